//! Checks on the metadata as JSON, before it is read as RDF: what a JSON-LD processor would
//! silently repair or drop. <https://www.researchobject.org/ro-crate/1.1/structure.html>

use crate::finding::{Finding, Level};
use crate::jsonld::contexts::Contexts;
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// What is wrong with the metadata's form.
pub struct Form {
    pub findings: Vec<Finding>,
    /// The `@id`s that are not URI references: RDF cannot hold them, so the checks of the graph
    /// never see them; the files they name are looked up by their name all the same.
    pub invalid_ids: Vec<String>,
    /// Whether it is a JSON object whose every context resolved, i.e. whether reading it as
    /// RDF makes sense.
    pub contexts_resolved: bool,
}

/// A REQUIRED finding: everything wrong with the JSON form is.
fn finding(
    check: &str,
    entity: &str,
    property: Option<&str>,
    value: Option<String>,
    message: String,
) -> Finding {
    Finding::new(Level::Required, check, entity, property, value, message)
}

pub fn check(bytes: &[u8], file: &str, contexts: &Contexts) -> Form {
    let fail = |f: Finding| Form {
        findings: vec![f],
        invalid_ids: Vec::new(),
        contexts_resolved: false,
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            return fail(finding(
                "Metadata: UTF-8",
                file,
                None,
                None,
                format!(
                    "not valid UTF-8 at byte {}; save the file as UTF-8",
                    e.valid_up_to()
                ),
            ))
        }
    };
    let document: Document = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let message = e.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m);
            return fail(finding(
                "Metadata: JSON",
                file,
                None,
                None,
                format!(
                    "not valid JSON at line {} column {}: {message}",
                    e.line(),
                    e.column()
                ),
            ));
        }
    };
    let mut findings = Vec::new();
    let Document::Object { context, graphs } = document else {
        findings.push(finding(
            "Metadata: JSON-LD form",
            file,
            None,
            None,
            "the document must be a JSON object with @context and @graph".into(),
        ));
        return Form {
            findings,
            invalid_ids: Vec::new(),
            contexts_resolved: false,
        };
    };
    let (terms, resolved) = resolve_contexts(context.as_ref(), contexts, file, &mut findings);
    let mut invalid_ids = Vec::new();
    match graphs.last() {
        Some(true) => {
            let mut checker = Checker {
                terms: &terms,
                findings: &mut findings,
                invalid: &mut invalid_ids,
                seen: HashSet::new(),
            };
            // The bytes parsed as JSON once already: the second reading cannot fail.
            let mut reader = serde_json::Deserializer::from_str(text);
            let last = graphs.len();
            if let Err(e) = DocumentSeed(&mut checker, last).deserialize(&mut reader) {
                checker.findings.push(finding(
                    "Metadata: JSON",
                    file,
                    None,
                    None,
                    format!("not valid JSON: {e}"),
                ));
            }
        }
        Some(false) => findings.push(finding(
            "Metadata: JSON-LD form",
            file,
            Some("@graph"),
            None,
            "@graph must be an array of entities".into(),
        )),
        None => findings.push(finding(
            "Metadata: JSON-LD form",
            file,
            Some("@graph"),
            None,
            "no @graph: RO-Crate metadata is flattened JSON-LD, a @graph array of entities".into(),
        )),
    }
    Form {
        findings,
        invalid_ids,
        contexts_resolved: resolved,
    }
}

/// Terms the contexts define (term -> IRI) and whether `@vocab` makes any key acceptable.
#[derive(Default)]
struct Terms {
    terms: HashMap<String, String>,
    vocab: bool,
}

fn resolve_contexts(
    value: Option<&Value>,
    contexts: &Contexts,
    file: &str,
    findings: &mut Vec<Finding>,
) -> (Terms, bool) {
    let mut terms = Terms::default();
    let Some(value) = value else {
        findings.push(finding(
            "Metadata: JSON-LD context",
            file,
            Some("@context"),
            None,
            "no @context: reference the RO-Crate context, e.g. \"https://w3id.org/ro/crate/1.1/context\"".into(),
        ));
        return (terms, false);
    };
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut resolved = true;
    for item in items {
        match item {
            Value::String(url) => match contexts.parsed(url) {
                Some(document) => add_terms(document.get("@context"), &mut terms),
                None => {
                    resolved = false;
                    findings.push(finding(
                        "Metadata: JSON-LD context",
                        file,
                        Some("@context"),
                        Some(url.clone()),
                        format!(
                            "unknown context {url:?}: trecrate never fetches from the network; \
                             pass its document with --context {url}=FILE"
                        ),
                    ));
                }
            },
            Value::Object(_) => add_terms(Some(item), &mut terms),
            other => {
                resolved = false;
                findings.push(finding(
                    "Metadata: JSON-LD context",
                    file,
                    Some("@context"),
                    Some(other.to_string()),
                    "a context must be a URL or an object".into(),
                ));
            }
        }
    }
    (terms, resolved)
}

fn add_terms(context: Option<&Value>, terms: &mut Terms) {
    match context {
        Some(Value::Object(map)) => {
            for (term, definition) in map {
                if term == "@vocab" {
                    terms.vocab = true;
                    continue;
                }
                let iri = match definition {
                    Value::String(s) => s.clone(),
                    Value::Object(o) => o
                        .get("@id")
                        .and_then(Value::as_str)
                        .unwrap_or(term)
                        .to_owned(),
                    _ => continue,
                };
                terms.terms.insert(term.clone(), iri);
            }
        }
        Some(Value::Array(items)) => items.iter().for_each(|i| add_terms(Some(i), terms)),
        _ => {}
    }
}

/// The checks of the `@graph`'s items, run on each as it is read, so that the document is
/// never held as a tree: only the `@id`s seen so far are kept, borrowed from the bytes.
struct Checker<'c, 'de> {
    terms: &'c Terms,
    findings: &'c mut Vec<Finding>,
    invalid: &'c mut Vec<String>,
    seen: HashSet<Cow<'de, str>>,
}

impl<'de> Checker<'_, 'de> {
    /// Checks the `i`th item.
    fn item(&mut self, i: usize, entity: Option<Entity<'de>>) {
        let findings = &mut *self.findings;
        let Some(entity) = entity else {
            findings.push(finding(
                "Metadata: flattened @graph",
                &format!("@graph[{i}]"),
                None,
                None,
                "every @graph item must be an entity (an object)".into(),
            ));
            return;
        };
        let id = match &entity.id {
            Some(id) => id.to_string(),
            None => {
                findings.push(finding(
                    "Metadata: entity identifiers",
                    &format!("@graph[{i}]"),
                    Some("@id"),
                    None,
                    "every entity needs an @id".into(),
                ));
                format!("@graph[{i}]")
            }
        };
        // A blank node identifier (`_:x`) is JSON-LD's, not a URI reference, and is fine.
        if entity.has_id && !id.starts_with("_:") && !crate::rdf::iri::is_reference(&id) {
            findings.push(finding(
                "Metadata: entity identifiers",
                &id,
                Some("@id"),
                None,
                format!(
                    "this @id is not a valid URI reference, so the entity cannot be read as RDF and \
                     no other rule can check it; percent-encode it: {:?}",
                    crate::rdf::iri::escape_reference(&id)
                ),
            ));
            self.invalid.push(id.clone());
        }
        if escapes(&id) {
            findings.push(finding(
                "Payload: paths stay inside the crate",
                &id,
                Some("@id"),
                None,
                "this @id leaves the crate root (`..` or an absolute path); it is not followed. \
                 Use a path inside the crate or an absolute URI"
                    .into(),
            ));
        }
        let first = match (entity.has_id, entity.id) {
            (false, _) => true,
            (true, Some(own)) => self.seen.insert(own),
            // An @id that is not a string reads as the entity's position.
            (true, None) => self.seen.insert(Cow::Owned(id.clone())),
        };
        if !first {
            findings.push(finding(
                "Metadata: entity identifiers",
                &id,
                Some("@id"),
                None,
                "two entities share this @id; merge them into one".into(),
            ));
        }
        if !entity.has_type {
            findings.push(finding(
                "Metadata: entity types",
                &id,
                Some("@type"),
                None,
                "every entity needs a @type".into(),
            ));
        }
        check_keys(&entity.keys, &id, self.terms, findings);
        for key in &entity.nesting {
            findings.push(finding(
                "Metadata: flattened @graph",
                &id,
                Some(key),
                None,
                "a nested entity: in flattened JSON-LD a value may only reference another entity as {\"@id\": ...}; move it to @graph".into(),
            ));
        }
    }
}

fn check_keys(keys: &[Cow<str>], id: &str, terms: &Terms, findings: &mut Vec<Finding>) {
    if terms.vocab {
        return;
    }
    for key in keys {
        let key = key.as_ref();
        if key.starts_with('@') || terms.terms.contains_key(key) {
            continue;
        }
        match key.split_once(':') {
            Some((prefix, rest)) if terms.terms.contains_key(prefix) && !rest.starts_with("//") => {}
            Some((_, rest)) if rest.starts_with("//") || key.starts_with("urn:") => findings.push(Finding::new(
                Level::Recommended,
                "Metadata: compacted keys",
                id,
                Some(key),
                None,
                "an absolute IRI as key; add a term for it to the context".into(),
            )),
            _ => findings.push(finding(
                "Metadata: compacted keys",
                id,
                Some(key),
                None,
                format!("{key:?} is neither a term nor a compact IRI of the context: JSON-LD processors drop it; define it in an extra context"),
            )),
        }
    }
}

/// The metadata as the form checks read it first: the `@context` whole, and the `@graph`s
/// skipped. No tree is built: the 100,000-file bench crate as a `serde_json::Value` took longer
/// to read than the JSON-LD parser, on the other core, took to read it as RDF, and hundreds of
/// MB. The `@graph`'s items are checked in a second reading (a [`DocumentSeed`]), once the
/// context says which keys are terms, wherever it stands in the document.
enum Document {
    NotAnObject,
    Object {
        context: Option<Value>,
        /// Each `@graph` key's value in turn (a processor takes the last): whether it is an
        /// array.
        graphs: Vec<bool>,
    },
}

/// A `@graph` item that is an object: what the checks ask of it.
#[derive(Default)]
struct Entity<'a> {
    has_id: bool,
    /// The last `@id` if it is a string, like a JSON-LD processor reads it.
    id: Option<Cow<'a, str>>,
    has_type: bool,
    keys: Vec<Cow<'a, str>>,
    /// Properties holding a nested entity rather than a reference or a value object.
    nesting: Vec<Cow<'a, str>>,
}

/// A key or string, borrowed from the document unless it holds escapes.
struct Text<'a>(Cow<'a, str>);

/// An item of the `@graph`: `None` if it is not an object.
struct Item<'a>(Option<Entity<'a>>);

/// A string, or `None` for any other value.
struct MaybeText<'a>(Option<Cow<'a, str>>);

/// Whether a property's value, or an item of its array, is a nested entity.
struct Nests(bool);

/// Whether an array item is a nested entity; an array in an array never is.
struct NestsItem(bool);

/// Visitor methods for the JSON values a visitor has no interest in: they read as `$value`.
/// Numbers, booleans and null always; strings, arrays and objects (skipped whole) when named
/// after the `;`.
macro_rules! otherwise {
    ($value:expr; $($kind:ident),*) => {
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
        $(otherwise!(@$kind $value);)*
    };
    (@str $value:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (@seq $value:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<Skip>()?.is_some() {}
            Ok($value)
        }
    };
    (@map $value:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<Skip, Skip>()?.is_some() {}
            Ok($value)
        }
    };
}

/// A value read and dropped. Unlike `serde::de::IgnoredAny` it goes through the parser's
/// nesting limit, so a document nested too deep is invalid JSON as it was with a full tree.
struct Skip;
impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}
struct SkipVisitor;
impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;
    otherwise!(Skip; str, seq, map);
}

/// Whether an object in a property's value is a nested entity: neither a value object nor a
/// bare reference `{"@id": ...}`.
fn nested_entity<'de, A: MapAccess<'de>>(mut map: A) -> Result<bool, A::Error> {
    let (mut value, mut only_id, mut keys) = (false, true, false);
    while let Some(Text(key)) = map.next_key()? {
        map.next_value::<Skip>()?;
        keys = true;
        value |= key == "@value";
        only_id &= key == "@id";
    }
    Ok(!(value || keys && only_id))
}

/// Implements `Deserialize` for `$type` with a unit visitor `$visitor` reading any JSON value.
macro_rules! deserialize_any {
    ($type:ty, $visitor:ident) => {
        struct $visitor;
        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any($visitor)
            }
        }
    };
}

deserialize_any!(Document, DocumentVisitor);
impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = Document;
    otherwise!(Document::NotAnObject; str, seq);
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut context, mut graphs) = (None, Vec::new());
        while let Some(Text(key)) = map.next_key()? {
            match key.as_ref() {
                "@context" => context = Some(map.next_value()?),
                "@graph" => graphs.push(map.next_value::<IsArray>()?.0),
                _ => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(Document::Object { context, graphs })
    }
}

/// A value skipped, saying whether it was an array.
struct IsArray(bool);
deserialize_any!(IsArray, IsArrayVisitor);
impl<'de> Visitor<'de> for IsArrayVisitor {
    type Value = IsArray;
    otherwise!(IsArray(false); str, map);
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(IsArray(true))
    }
}

/// The second reading of the document: the items of its `n`th `@graph` (counted from 1) go
/// to the checker.
struct DocumentSeed<'s, 'c, 'de>(&'s mut Checker<'c, 'de>, usize);
impl<'de> DeserializeSeed<'de> for DocumentSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}
impl<'de> Visitor<'de> for DocumentSeed<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut graphs = 0;
        while let Some(Text(key)) = map.next_key()? {
            if key == "@graph" {
                graphs += 1;
                if graphs == self.1 {
                    map.next_value_seed(GraphSeed(&mut *self.0))?;
                    continue;
                }
            }
            map.next_value::<Skip>()?;
        }
        Ok(())
    }
}

/// The `@graph` array, each item checked as it is read.
struct GraphSeed<'s, 'c, 'de>(&'s mut Checker<'c, 'de>);
impl<'de> DeserializeSeed<'de> for GraphSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}
impl<'de> Visitor<'de> for GraphSeed<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(Item(entity)) = seq.next_element()? {
            self.0.item(i, entity);
            i += 1;
        }
        Ok(())
    }
}

deserialize_any!(Item<'de>, ItemVisitor);
impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Item<'de>;
    otherwise!(Item(None); str, seq);
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entity = Entity::default();
        while let Some(Text(key)) = map.next_key()? {
            match key.as_ref() {
                "@id" => {
                    entity.has_id = true;
                    entity.id = map.next_value::<MaybeText>()?.0;
                }
                "@type" => {
                    entity.has_type = true;
                    map.next_value::<Skip>()?;
                }
                k if k.starts_with('@') => {
                    map.next_value::<Skip>()?;
                }
                _ => {
                    if map.next_value::<Nests>()?.0 {
                        entity.nesting.push(key.clone());
                    }
                }
            }
            entity.keys.push(key);
        }
        Ok(Item(Some(entity)))
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_str(TextVisitor)? {
            MaybeText(Some(text)) => Ok(Text(text)),
            MaybeText(None) => Err(de::Error::custom("expected a string")),
        }
    }
}

deserialize_any!(Nests, NestsVisitor);
impl<'de> Visitor<'de> for NestsVisitor {
    type Value = Nests;
    otherwise!(Nests(false); str);
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        nested_entity(map).map(Nests)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut nests = false;
        while let Some(NestsItem(item)) = seq.next_element()? {
            nests |= item;
        }
        Ok(Nests(nests))
    }
}

deserialize_any!(NestsItem, NestsItemVisitor);
impl<'de> Visitor<'de> for NestsItemVisitor {
    type Value = NestsItem;
    otherwise!(NestsItem(false); str, seq);
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        nested_entity(map).map(NestsItem)
    }
}

deserialize_any!(MaybeText<'de>, TextVisitor);
impl<'de> Visitor<'de> for TextVisitor {
    type Value = MaybeText<'de>;
    otherwise!(MaybeText(None); seq, map);
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(MaybeText(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(MaybeText(Some(Cow::Owned(v.to_owned()))))
    }
}

/// Whether a relative `@id` climbs out of the crate root or is an absolute path.
fn escapes(id: &str) -> bool {
    let has_scheme = id.split_once(':').is_some_and(|(scheme, _)| {
        scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    if has_scheme || id.starts_with('#') || id.starts_with("_:") {
        return false;
    }
    let path = id.split(['#', '?']).next().unwrap_or("");
    if path.starts_with('/') {
        return true;
    }
    let mut depth = 0i32;
    for segment in path.split('/') {
        match segment {
            ".." => depth -= 1,
            "." | "" => {}
            _ => depth += 1,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::escapes;

    #[test]
    fn escaping_ids() {
        for bad in ["../x", "a/../../x", "/etc/passwd", "./../x"] {
            assert!(escapes(bad), "{bad}");
        }
        for ok in [
            "./",
            "data/x.csv",
            "a/../b",
            "#person",
            "https://example.org/../x",
            "urn:x:..",
            "_:b0",
        ] {
            assert!(!escapes(ok), "{ok}");
        }
    }
}
