//! The TRE's release export (`"format": "trevor-release/1"`): typed, and checked before anything
//! else runs, so every later stage can trust it.
//!
//! The export is walked by hand rather than derived with serde so that each error names the exact
//! field (`objects[3].versions[1].path`) and unknown fields become warnings instead of failures.

use crate::timestamp::Timestamp;
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashSet};
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
    #[error("{field}: {reason}")]
    Approval { field: String, reason: String },
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
        let bytes = std::fs::read(path).map_err(|source| ExportError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_slice(&bytes, path)
    }

    /// Parses and checks an export; `path` is only used in messages.
    pub fn from_slice(bytes: &[u8], path: &Path) -> Result<Self, ExportError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| ExportError::Json {
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
        let objects = root
            .array("objects")?
            .iter()
            .map(|o| parse_object(o, &mut warnings))
            .collect::<Result<Vec<_>, _>>()?;
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
        export.check_approval()?;
        Ok(export)
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

    /// The two-person rule: at least two distinct checkers approved, and none of them is the
    /// researcher who asked for the release.
    fn check_approval(&self) -> Result<(), ExportError> {
        let researcher = &self.request.researcher;
        for (i, review) in self.reviews.iter().enumerate() {
            let checker = &review.checker;
            let same_orcid = checker.orcid.is_some() && checker.orcid == researcher.orcid;
            if checker.id == researcher.id || same_orcid {
                return Err(ExportError::Approval {
                    field: format!("reviews[{i}].checker"),
                    reason: format!(
                        "checker {:?} is the researcher who made the request; outputs cannot be \
                         checked by their own author",
                        checker.id
                    ),
                });
            }
        }
        let approvers: BTreeSet<&str> = self
            .reviews
            .iter()
            .filter(|r| r.decision == "approved")
            .map(|r| r.checker.id.as_str())
            .collect();
        if approvers.len() < 2 {
            return Err(ExportError::Approval {
                field: "reviews".into(),
                reason: format!(
                    "an approval needs reviews by at least two distinct checkers with decision \
                     \"approved\", found {}",
                    approvers.len()
                ),
            });
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
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Node<'a> {
    fn root(value: &'a Value) -> Result<Self, ExportError> {
        match value {
            Value::Object(map) => Ok(Node {
                map,
                path: String::new(),
            }),
            other => Err(type_error("(document)".into(), "an object", other)),
        }
    }

    fn field_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&self, key: &str) -> Result<&'a Value, ExportError> {
        match self.map.get(key) {
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
        match self.map.get(key) {
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
        let path = self.field_path(key);
        let Value::Array(items) = self.get(key)? else {
            return Err(type_error(path, "an array", self.get(key)?));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, value)| match value {
                Value::Object(map) => Ok(Node {
                    map,
                    path: format!("{path}[{i}]"),
                }),
                other => Err(type_error(format!("{path}[{i}]"), "an object", other)),
            })
            .collect()
    }

    fn string(&self, key: &str) -> Result<String, ExportError> {
        match self.get(key)? {
            Value::String(s) => Ok(s.clone()),
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
        value
            .as_u64()
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
        for key in self.map.keys() {
            if !known.contains(&key.as_str()) {
                warnings.push(format!("unknown field {} ignored", self.field_path(key)));
            }
        }
    }
}

fn type_error(field: String, expected: &'static str, found: &Value) -> ExportError {
    ExportError::Type {
        field,
        expected,
        found: kind(found),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
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
        let value = serde_json::json!({ "ok": "a/b.csv", "dot": "./a.csv", "abs": "/a",
            "up": "a/../../b", "back": "a\\\\b", "empty": "" });
        let Value::Object(map) = &value else {
            unreachable!()
        };
        let node = Node {
            map,
            path: "v".into(),
        };
        assert_eq!(node.relative_path("ok").unwrap(), "a/b.csv");
        assert_eq!(node.relative_path("dot").unwrap(), "./a.csv");
        for bad in ["abs", "up", "back", "empty"] {
            let err = node.relative_path(bad).unwrap_err().to_string();
            assert!(err.starts_with(&format!("v.{bad}: invalid value")), "{err}");
        }
    }

    #[test]
    fn identifiers_and_media_types() {
        let value = serde_json::json!({ "id": "obj-001.v_2", "slash": "a/b", "dot": ".hidden",
            "csv": "text/csv; charset=utf-8", "nope": "csv" });
        let Value::Object(map) = &value else {
            unreachable!()
        };
        let node = Node {
            map,
            path: String::new(),
        };
        assert!(node.identifier("id").is_ok());
        assert!(node.identifier("slash").is_err());
        assert!(node.identifier("dot").is_err());
        assert!(node.media_type("csv").is_ok());
        assert!(node.media_type("nope").is_err());
    }
}
