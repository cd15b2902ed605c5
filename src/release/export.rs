//! The TRE's release export (`"format": "trevor-release/1"`): typed, and checked before anything
//! else runs, so every later stage can trust it.
//!
//! The export is walked by hand rather than derived with serde so that each error names the exact
//! field (`objects[3].versions[1].path`) and unknown fields become warnings instead of failures.

use crate::rdf::timestamp::Timestamp;
use serde::de::{Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

/// The only export format this version understands.
pub const FORMAT: &str = "trevor-release/1";

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: malformed JSON: {message}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{field}: missing required field")]
    Missing { field: String },
    #[error("{field}: expected {expected}, found {found}")]
    Type {
        field: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("format: unknown export format {found:?} (this trecrate reads {FORMAT:?})")]
    Format { found: String },
    #[error("{field}: {value:?} is not an RFC 3339 timestamp (e.g. 2025-03-05T16:30:02Z)")]
    Timestamp { field: String, value: String },
    #[error("{field}: invalid value {value:?}: {reason}")]
    Invalid {
        field: String,
        value: String,
        reason: &'static str,
    },
    #[error("{field}: duplicate {what} {value:?}")]
    Duplicate {
        field: String,
        what: &'static str,
        value: String,
    },
    /// A bug of trecrate's, whatever the export says.
    #[error("{field}: internal error: reading the objects from here stopped unexpectedly")]
    Stopped { field: String },
}

impl ExportError {
    /// Everything but an unreadable file is a fault of the export's content.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, ExportError::Read { .. } | ExportError::Stopped { .. })
    }
}

/// A parsed, checked export plus the warnings (unknown fields) met on the way.
#[derive(Debug, Clone)]
pub struct Export {
    pub request: Request,
    pub objects: Vec<OutputObject>,
    pub reviews: Vec<Review>,
    pub audit: Vec<AuditEvent>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub id: String,
    pub title: String,
    pub description: String,
    pub project: Project,
    pub researcher: Person,
    pub submitted_at: Timestamp,
    pub approved_at: Timestamp,
    pub license: String,
}

#[derive(Debug, Clone)]
pub struct Project {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub orcid: Option<String>,
    pub affiliation: Option<String>,
}

#[derive(Debug, Clone)]
pub struct OutputObject {
    pub id: String,
    pub versions: Vec<Version>,
}

/// One version of an output object, as the checkers saw it.
#[derive(Debug, Clone)]
pub struct Version {
    /// Where the version sits in the export, e.g. `objects[0].versions[1]`, for error messages.
    pub field: String,
    pub number: u64,
    pub state: String,
    pub path: String,
    pub name: String,
    pub description: String,
    pub media_type: String,
    pub sha256: String,
    pub size: u64,
    pub statbarn: String,
    pub researcher_justification: String,
    pub suppression_notes: String,
    pub agent_review_summary: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Review {
    pub id: String,
    pub checker: Person,
    pub decision: String,
    pub started_at: Timestamp,
    pub completed_at: Timestamp,
    pub comments: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub at: Timestamp,
    pub actor: String,
    pub event: String,
    pub detail: Option<String>,
}

impl Export {
    /// Reads and checks an export file.
    pub fn from_path(path: &Path) -> Result<Self, ExportError> {
        let bytes = crate::file::read_regular(path).map_err(|source| ExportError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_slice(&bytes, path)
    }

    /// Parses and checks an export; `path` is only used in messages.
    pub fn from_slice(bytes: &[u8], path: &Path) -> Result<Self, ExportError> {
        let Root(value) = serde_json::from_slice(bytes).map_err(|e| ExportError::Json {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        })?;
        let mut warnings = Vec::new();
        let root = Node::root(&value)?;
        let format = root.string("format")?;
        if format != FORMAT {
            return Err(ExportError::Format { found: format });
        }
        let request = parse_request(&root.object("request")?, &mut warnings)?;
        let objects = parse_objects(&root, &mut warnings)?;
        let reviews = root
            .array("reviews")?
            .iter()
            .map(|r| parse_review(r, &mut warnings))
            .collect::<Result<Vec<_>, _>>()?;
        let audit = root
            .array("audit")?
            .iter()
            .map(|a| parse_audit(a, &mut warnings))
            .collect::<Result<Vec<_>, _>>()?;
        root.warn_unknown(
            &["format", "request", "objects", "reviews", "audit"],
            &mut warnings,
        );
        let export = Export {
            request,
            objects,
            reviews,
            audit,
            warnings,
        };
        export.check_identities()?;
        Ok(export)
    }

    /// The request alone, once the rest has been loaded into the source graph: at 100,000
    /// files the objects and reviews hold over a million strings.
    pub fn into_request(self) -> Request {
        self.request
    }

    fn check_identities(&self) -> Result<(), ExportError> {
        let mut ids = HashSet::new();
        for (i, object) in self.objects.iter().enumerate() {
            if !ids.insert(object.id.as_str()) {
                return Err(ExportError::Duplicate {
                    field: format!("objects[{i}].id"),
                    what: "object id",
                    value: object.id.clone(),
                });
            }
            let mut numbers = HashSet::new();
            for version in &object.versions {
                if !numbers.insert(version.number) {
                    return Err(ExportError::Duplicate {
                        field: format!("{}.version", version.field),
                        what: "version",
                        value: version.number.to_string(),
                    });
                }
            }
        }
        let mut review_ids = HashSet::new();
        for (i, review) in self.reviews.iter().enumerate() {
            if !review_ids.insert(review.id.as_str()) {
                return Err(ExportError::Duplicate {
                    field: format!("reviews[{i}].id"),
                    what: "review id",
                    value: review.id.clone(),
                });
            }
        }
        Ok(())
    }
}

fn parse_request(node: &Node, warnings: &mut Vec<String>) -> Result<Request, ExportError> {
    let id = node.identifier("id")?;
    let project = node.object("project")?;
    let researcher = parse_person(&node.object("researcher")?, warnings)?;
    let request = Request {
        id,
        title: node.string("title")?,
        description: node.string("description")?,
        project: Project {
            id: project.string("id")?,
            name: project.string("name")?,
        },
        researcher,
        submitted_at: node.timestamp("submitted_at")?,
        approved_at: node.timestamp("approved_at")?,
        license: node.iri("license")?,
    };
    project.warn_unknown(&["id", "name"], warnings);
    node.warn_unknown(
        &[
            "id",
            "title",
            "description",
            "project",
            "researcher",
            "submitted_at",
            "approved_at",
            "license",
        ],
        warnings,
    );
    Ok(request)
}

fn parse_person(node: &Node, warnings: &mut Vec<String>) -> Result<Person, ExportError> {
    node.warn_unknown(&["id", "name", "orcid", "affiliation"], warnings);
    Ok(Person {
        id: node.string("id")?,
        name: node.string("name")?,
        orcid: node.optional("orcid", Node::iri)?,
        affiliation: node.optional("affiliation", Node::string)?,
    })
}

/// Objects in a run read on one core: a tenth of 10,000, so that both cores finish together.
const OBJECTS_PER_RUN: usize = 1024;

/// The objects are most of a large export (two thirds of the time it took to read 100,000 of
/// them): read in runs, on every core. Warnings and the first error come in the export's
/// order, as if read one by one.
fn parse_objects(
    root: &Node,
    warnings: &mut Vec<String>,
) -> Result<Vec<OutputObject>, ExportError> {
    let (path, items) = root.raw_items("objects")?;
    let runs: Vec<&[&RawValue]> = items.chunks(OBJECTS_PER_RUN).collect();
    let workers = crate::parallel::workers(runs.len(), usize::MAX);
    let results = crate::parallel::map(&runs, workers, |r, run| {
        let start = r * OBJECTS_PER_RUN;
        let mut warnings = Vec::new();
        let objects = run
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                let i = start + i;
                // Checked as JSON with the whole file; it cannot fail here.
                let value: Value =
                    serde_json::from_str(raw.get()).map_err(|_| ExportError::Stopped {
                        field: format!("{path}[{i}]"),
                    })?;
                parse_object(&Node::item(&path, i, &value)?, &mut warnings)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((objects, warnings))
    });
    let mut objects = Vec::with_capacity(items.len());
    for (r, result) in results.into_iter().enumerate() {
        let (run, run_warnings) = result.ok_or_else(|| ExportError::Stopped {
            field: format!("{path}[{}]", r * OBJECTS_PER_RUN),
        })??;
        objects.extend(run);
        warnings.extend(run_warnings);
    }
    Ok(objects)
}

fn parse_object(node: &Node, warnings: &mut Vec<String>) -> Result<OutputObject, ExportError> {
    node.warn_unknown(&["id", "versions"], warnings);
    Ok(OutputObject {
        id: node.identifier("id")?,
        versions: node
            .array("versions")?
            .iter()
            .map(|v| parse_version(v, warnings))
            .collect::<Result<_, _>>()?,
    })
}

fn parse_version(node: &Node, warnings: &mut Vec<String>) -> Result<Version, ExportError> {
    node.warn_unknown(
        &[
            "version",
            "state",
            "path",
            "name",
            "description",
            "media_type",
            "sha256",
            "size",
            "statbarn",
            "researcher_justification",
            "suppression_notes",
            "agent_review_summary",
        ],
        warnings,
    );
    Ok(Version {
        field: node.path.clone(),
        number: node.unsigned("version")?,
        state: node.string("state")?,
        path: node.relative_path("path")?,
        name: node.string("name")?,
        description: node.string("description")?,
        media_type: node.media_type("media_type")?,
        sha256: node.sha256("sha256")?,
        size: node.unsigned("size")?,
        statbarn: node.non_empty("statbarn")?,
        researcher_justification: node.string("researcher_justification")?,
        suppression_notes: node.string("suppression_notes")?,
        agent_review_summary: node.optional("agent_review_summary", Node::string)?,
    })
}

fn parse_review(node: &Node, warnings: &mut Vec<String>) -> Result<Review, ExportError> {
    node.warn_unknown(
        &[
            "id",
            "checker",
            "decision",
            "started_at",
            "completed_at",
            "comments",
        ],
        warnings,
    );
    Ok(Review {
        id: node.identifier("id")?,
        checker: parse_person(&node.object("checker")?, warnings)?,
        decision: node.non_empty("decision")?,
        started_at: node.timestamp("started_at")?,
        completed_at: node.timestamp("completed_at")?,
        comments: node.optional("comments", Node::string)?,
    })
}

fn parse_audit(node: &Node, warnings: &mut Vec<String>) -> Result<AuditEvent, ExportError> {
    node.warn_unknown(&["at", "actor", "event", "detail"], warnings);
    Ok(AuditEvent {
        at: node.timestamp("at")?,
        actor: node.non_empty("actor")?,
        event: node.non_empty("event")?,
        detail: node.optional("detail", Node::string)?,
    })
}

/// A JSON object with the path that led to it, so every error can name its field.
struct Node<'a> {
    map: &'a [(Key<'a>, Value<'a>)],
    path: String,
}

impl<'a> Node<'a> {
    fn root(value: &'a Value<'a>) -> Result<Self, ExportError> {
        match value {
            Value::Object(map) => Ok(Node {
                map,
                path: String::new(),
            }),
            other => Err(type_error("(document)".into(), "an object", other)),
        }
    }

    /// The last of duplicate keys wins, as it did with serde_json's own map.
    fn lookup(&self, key: &str) -> Option<&'a Value<'a>> {
        self.map
            .iter()
            .rev()
            .find(|(Key(k), _)| k == key)
            .map(|(_, value)| value)
    }

    fn field_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&self, key: &str) -> Result<&'a Value<'a>, ExportError> {
        match self.lookup(key) {
            Some(Value::Null) | None => Err(ExportError::Missing {
                field: self.field_path(key),
            }),
            Some(value) => Ok(value),
        }
    }

    fn optional<T>(
        &self,
        key: &str,
        read: impl Fn(&Self, &str) -> Result<T, ExportError>,
    ) -> Result<Option<T>, ExportError> {
        match self.lookup(key) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => read(self, key).map(Some),
        }
    }

    fn object(&self, key: &str) -> Result<Node<'a>, ExportError> {
        match self.get(key)? {
            Value::Object(map) => Ok(Node {
                map,
                path: self.field_path(key),
            }),
            other => Err(type_error(self.field_path(key), "an object", other)),
        }
    }

    fn array(&self, key: &str) -> Result<Vec<Node<'a>>, ExportError> {
        let (path, items) = self.items(key)?;
        items
            .iter()
            .enumerate()
            .map(|(i, value)| Node::item(&path, i, value))
            .collect()
    }

    /// The values of an array field, and the field's path.
    fn items(&self, key: &str) -> Result<(String, &'a [Value<'a>]), ExportError> {
        let path = self.field_path(key);
        match self.get(key)? {
            Value::Array(items) => Ok((path, items)),
            other => Err(type_error(path, "an array", other)),
        }
    }

    /// The items of an array field read as raw JSON (the export's objects), and its path.
    fn raw_items(&self, key: &str) -> Result<(String, &'a [&'a RawValue]), ExportError> {
        let path = self.field_path(key);
        match self.get(key)? {
            Value::Raw(items) => Ok((path, items)),
            other => Err(type_error(path, "an array", other)),
        }
    }

    /// Item `i` of the array at `path`, which must be an object.
    fn item(path: &str, i: usize, value: &'a Value<'a>) -> Result<Node<'a>, ExportError> {
        match value {
            Value::Object(map) => Ok(Node {
                map,
                path: format!("{path}[{i}]"),
            }),
            other => Err(type_error(format!("{path}[{i}]"), "an object", other)),
        }
    }

    fn string(&self, key: &str) -> Result<String, ExportError> {
        match self.get(key)? {
            Value::String(s) => Ok(s.clone().into_owned()),
            other => Err(type_error(self.field_path(key), "a string", other)),
        }
    }

    fn invalid(&self, key: &str, value: &str, reason: &'static str) -> ExportError {
        ExportError::Invalid {
            field: self.field_path(key),
            value: value.to_owned(),
            reason,
        }
    }

    fn non_empty(&self, key: &str) -> Result<String, ExportError> {
        let s = self.string(key)?;
        if s.trim().is_empty() {
            return Err(self.invalid(key, &s, "must not be empty"));
        }
        Ok(s)
    }

    /// Identifiers end up in file and directory names, so they are kept to a portable alphabet.
    fn identifier(&self, key: &str) -> Result<String, ExportError> {
        let s = self.string(key)?;
        let ok = s.len() <= 128
            && s.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
        if !ok {
            return Err(self.invalid(
                key,
                &s,
                "identifiers must be 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter \
                 or digit",
            ));
        }
        Ok(s)
    }

    fn unsigned(&self, key: &str) -> Result<u64, ExportError> {
        let value = self.get(key)?;
        match value {
            Value::Number(Some(n)) => Some(*n),
            _ => None,
        }
        .ok_or_else(|| type_error(self.field_path(key), "a non-negative integer", value))
    }

    fn timestamp(&self, key: &str) -> Result<Timestamp, ExportError> {
        let s = self.string(key)?;
        Timestamp::parse(&s).ok_or_else(|| ExportError::Timestamp {
            field: self.field_path(key),
            value: s,
        })
    }

    fn iri(&self, key: &str) -> Result<String, ExportError> {
        let s = self.string(key)?;
        match oxigraph::model::NamedNode::new(&s) {
            Ok(_) if s.starts_with("http://") || s.starts_with("https://") => Ok(s),
            _ => Err(self.invalid(key, &s, "expected an absolute http(s) IRI")),
        }
    }

    fn sha256(&self, key: &str) -> Result<String, ExportError> {
        let s = self.string(key)?;
        if s.len() != 64 || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(self.invalid(key, &s, "expected 64 hexadecimal digits"));
        }
        Ok(s.to_ascii_lowercase())
    }

    fn media_type(&self, key: &str) -> Result<String, ExportError> {
        let s = self.string(key)?;
        let token = |t: &str| {
            !t.is_empty()
                && t.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&c))
        };
        match s.split_once('/') {
            Some((kind, sub)) if token(kind) && token(sub.split(';').next().unwrap_or("")) => Ok(s),
            _ => Err(self.invalid(key, &s, "expected a media type such as text/csv")),
        }
    }

    /// A quarantine path: relative, no `..`, no backslash, no NUL. Where it resolves to is
    /// checked later, against the real quarantine root (symlinks included).
    fn relative_path(&self, key: &str) -> Result<String, ExportError> {
        let s = self.string(key)?;
        let reason = if s.is_empty() {
            Some("must not be empty")
        } else if s.starts_with('/') || Path::new(&s).is_absolute() {
            Some("absolute paths are refused; paths are relative to the quarantine root")
        } else if s.contains('\\') || s.contains('\0') {
            Some("backslashes and NUL bytes are refused in paths")
        } else if Path::new(&s)
            .components()
            .any(|c| matches!(c, Component::ParentDir))
        {
            Some("`..` would leave the quarantine root")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(self.invalid(key, &s, reason)),
            None => Ok(s),
        }
    }

    fn warn_unknown(&self, known: &[&str], warnings: &mut Vec<String>) {
        for (Key(key), _) in self.map {
            if !known.contains(&key.as_ref()) {
                warnings.push(format!("unknown field {} ignored", self.field_path(key)));
            }
        }
    }
}

/// A parsed export. Strings borrow from the file's bytes unless they hold escapes, and objects
/// are lists of entries: serde_json's tree of owned strings and hash maps took ten times the
/// file's size (543 MB for the 57 MB export of 100,000 files) and most of the time reading it.
enum Value<'a> {
    Null,
    Bool,
    /// `Some` for a non-negative integer, the only kind of number the export has.
    Number(Option<u64>),
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    Object(Vec<(Key<'a>, Value<'a>)>),
    /// An array whose items are still JSON text, checked but not parsed: the export's objects,
    /// parsed on every core (see [`Read::Root`]).
    Raw(Vec<&'a RawValue>),
}

/// An object key, borrowed like string values (serde's own `Cow<str>` always copies).
struct Key<'a>(Cow<'a, str>);

/// How a value is read: as a tree, or as the export's top level, whose `objects` items are
/// kept as JSON text ([`Value::Raw`]) for the cores to parse, since the one pass over the file
/// must be on one thread.
#[derive(Clone, Copy)]
enum Read {
    Tree,
    Root,
    Items,
}

/// The export's top level; see [`Read`].
struct Root<'a>(Value<'a>);

impl<'de> Visitor<'de> for Read {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Value<'de>, E> {
        Ok(Value::Bool)
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value<'de>, E> {
        Ok(Value::Number(Some(n)))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value<'de>, E> {
        Ok(Value::Number(u64::try_from(n).ok()))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Value<'de>, E> {
        Ok(Value::Number(None))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E>(self, s: String) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value<'de>, A::Error> {
        match self {
            Read::Items => items(seq).map(Value::Raw),
            _ => items(seq).map(Value::Array),
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key::<Key>()? {
            let read = match self {
                Read::Root if key.0 == "objects" => Read::Items,
                _ => Read::Tree,
            };
            let value = map.next_value_seed(read)?;
            entries.push((key, value));
        }
        Ok(Value::Object(entries))
    }
}

fn items<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(mut seq: A) -> Result<Vec<T>, A::Error> {
    let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
    while let Some(item) = seq.next_element()? {
        items.push(item);
    }
    Ok(items)
}

impl<'de> DeserializeSeed<'de> for Read {
    type Value = Value<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Read::Tree.deserialize(deserializer)
    }
}

impl<'de> Deserialize<'de> for Root<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Read::Root.deserialize(deserializer).map(Root)
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_str(Read::Tree)? {
            Value::String(s) => Ok(Key(s)),
            _ => Err(serde::de::Error::custom("expected a string key")),
        }
    }
}

fn type_error(field: String, expected: &'static str, found: &Value<'_>) -> ExportError {
    ExportError::Type {
        field,
        expected,
        found: kind(found),
    }
}

fn kind(value: &Value<'_>) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) | Value::Raw(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde_json appends " at line L column C"; the error already carries those as fields.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Export, ExportError> {
        Export::from_slice(text.as_bytes(), Path::new("release.json"))
    }

    #[test]
    fn json_errors_carry_position_without_repeating_it() {
        let err = parse("{\n  \"format\": 1,,\n}").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("release.json:2:15: malformed JSON: "),
            "{text}"
        );
        assert!(!text.contains("at line"), "{text}");
    }

    #[test]
    fn paths_are_checked_syntactically() {
        let text = r#"{ "ok": "a/b.csv", "dot": "./a.csv", "abs": "/a",
            "up": "a/../../b", "back": "a\\b", "empty": "" }"#;
        let value: Value = serde_json::from_str(text).unwrap();
        let mut node = Node::root(&value).unwrap();
        node.path = "v".into();
        assert_eq!(node.relative_path("ok").unwrap(), "a/b.csv");
        assert_eq!(node.relative_path("dot").unwrap(), "./a.csv");
        for bad in ["abs", "up", "back", "empty"] {
            let err = node.relative_path(bad).unwrap_err().to_string();
            assert!(err.starts_with(&format!("v.{bad}: invalid value")), "{err}");
        }
    }

    #[test]
    fn escaped_strings_and_duplicate_keys_read_as_serde_json_did() {
        let text = r#"{ "a": "first", "a\u0062": "tab\tand \"quotes\"", "a": 7, "n": -1 }"#;
        let value: Value = serde_json::from_str(text).unwrap();
        let node = Node::root(&value).unwrap();
        assert_eq!(node.string("ab").unwrap(), "tab\tand \"quotes\"");
        assert_eq!(node.unsigned("a").unwrap(), 7);
        let err = node.unsigned("n").unwrap_err().to_string();
        assert!(err.contains("a non-negative integer"), "{err}");
        assert!(matches!(node.lookup("a"), Some(Value::Number(Some(7)))));
    }

    #[test]
    fn identifiers_and_media_types() {
        let text = r#"{ "id": "obj-001.v_2", "slash": "a/b", "dot": ".hidden",
            "csv": "text/csv; charset=utf-8", "nope": "csv" }"#;
        let value: Value = serde_json::from_str(text).unwrap();
        let node = Node::root(&value).unwrap();
        assert!(node.identifier("id").is_ok());
        assert!(node.identifier("slash").is_err());
        assert!(node.identifier("dot").is_err());
        assert!(node.media_type("csv").is_ok());
        assert!(node.media_type("nope").is_err());
    }

    /// An example export with `n` objects, copies of its first one.
    fn many_objects(n: usize) -> serde_json::Value {
        let text = include_str!("../../examples/release-AR-2025-0042/release.json");
        let mut export: serde_json::Value = serde_json::from_str(text).unwrap();
        let first = export["objects"][0].clone();
        export["objects"] = (0..n)
            .map(|i| {
                let mut object = first.clone();
                object["id"] = format!("obj-{i}").into();
                object
            })
            .collect();
        export
    }

    #[test]
    fn objects_kept_as_json_text_read_as_the_rest_of_the_file() {
        let export = many_objects(2);
        let error = |text: &str| parse(text).unwrap_err().to_string();
        let with = |objects: &str| {
            let mut export = export.clone();
            export["objects"] = "OBJECTS".into();
            export.to_string().replace("\"OBJECTS\"", objects)
        };
        assert_eq!(
            error(&with("{}")),
            "objects: expected an array, found an object"
        );
        assert_eq!(
            error(&with("7")),
            "objects: expected an array, found a number"
        );
        assert_eq!(
            error(&with("[{}, 7]")),
            "objects[0].id: missing required field"
        );
        let first = export["objects"][0].to_string();
        assert_eq!(
            error(&with(&format!("[{first}, 7]"))),
            "objects[1]: expected an object, found a number"
        );
        // Malformed JSON among the objects: placed in the whole file.
        let text = with(&format!("[{first},\n {{\"id\": }}]"));
        let line = text.lines().count();
        assert!(
            error(&text).starts_with(&format!("release.json:{line}:9: malformed JSON")),
            "{}",
            error(&text)
        );
        // Escapes, and the last of duplicate keys, as everywhere else; a nested `objects` is
        // no different from any unknown field.
        let escaped = first.replacen("\"obj-0\"", "\"obj\\u002d0\"", 1);
        let text = with(&format!("[{first}]")).replacen(
            "{",
            r#"{"objects": [7], "x": {"objects": 1}, "#,
            1,
        );
        let text = text.replace(&format!("[{first}]"), &format!("[{escaped}]"));
        let read = parse(&text).unwrap();
        assert_eq!(read.objects.len(), 1);
        assert_eq!(read.objects[0].id, "obj-0");
        assert!(
            read.warnings.iter().any(|w| w.contains("x ignored")),
            "{:?}",
            read.warnings
        );
    }

    #[test]
    fn objects_read_on_every_core_report_in_the_export_order() {
        let n = 3 * OBJECTS_PER_RUN;
        let mut export = many_objects(n);
        for i in [7, OBJECTS_PER_RUN + 1, n - 1] {
            export["objects"][i]["colour"] = "blue".into();
        }
        let read = parse(&export.to_string()).unwrap();
        assert_eq!(read.objects.len(), n);
        assert!(read
            .objects
            .iter()
            .enumerate()
            .all(|(i, o)| o.id == format!("obj-{i}")));
        let warned: Vec<&String> = read
            .warnings
            .iter()
            .filter(|w| w.contains("colour"))
            .collect();
        assert_eq!(warned.len(), 3, "{warned:?}");
        for (warning, i) in warned.iter().zip([7, OBJECTS_PER_RUN + 1, n - 1]) {
            assert!(
                warning.contains(&format!("objects[{i}].colour")),
                "{warning}"
            );
        }
        // The first bad object in the export's order, whichever core read it first.
        for i in [2 * OBJECTS_PER_RUN + 3, OBJECTS_PER_RUN + 2] {
            export["objects"][i]["id"] = "no/slash".into();
        }
        let error = parse(&export.to_string()).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("objects[{}].id", OBJECTS_PER_RUN + 2)),
            "{error}"
        );
    }
}
