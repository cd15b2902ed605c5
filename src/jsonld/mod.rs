//! Stage 4: the crate graph becomes `ro-crate-metadata.json`, flattened and compacted JSON-LD.
//! <https://www.w3.org/TR/json-ld11-api/#compaction-algorithms>
//!
//! Flattening is free here: the graph has no blank nodes, so one node object per subject *is*
//! the flattened form (json-ld's own `flatten` is quadratic and never called). Compaction runs
//! against the bundled contexts only, in one of two ways:
//! - [`Compaction::Specialised`], the default: the compaction algorithm for contexts made only
//!   of simple term definitions (`"term": "iri"`), which the RO-Crate contexts are. The json-ld
//!   crate takes 3 s for a 10,000-file crate, almost all of it in IRI compaction; this takes
//!   milliseconds. Tests prove its output equal to the library's.
//! - [`Compaction::Library`]: the json-ld crate, the reference, and the fallback whenever a
//!   context holds anything but simple terms.
//!
//! Entities and keys are then put in a fixed order so the same graph always gives the same bytes.

pub mod contexts;

use crate::rdf::{frozen, vocab};
use iref::IriBuf;
use json_ld::syntax::{Parse, TryFromJson};
use json_ld::{JsonLdProcessor, Options, RemoteDocument, RemoteDocumentReference};
use json_syntax::Print;
use oxigraph::model::vocab::xsd;
use oxigraph::model::{NamedNode, NamedNodeRef, Term, TermRef};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, thiserror::Error)]
pub enum JsonLdError {
    #[error("context/{file}: {message}")]
    Context { file: &'static str, message: String },
    #[error("JSON-LD compaction failed: {0}")]
    Compaction(String),
}

/// The `@context` trecrate writes, with the documents needed to process it offline.
pub struct Context {
    /// `["https://w3id.org/ro/crate/1.1/context", ..., { "tre": ..., "sha256": ... }]`.
    value: Value,
    loader: HashMap<IriBuf, RemoteDocument>,
    /// Prefix terms of the contexts (`schema` -> `http://schema.org/`), to undo compact IRIs
    /// in `@id` values; see [`normalize`].
    prefixes: HashMap<String, String>,
    /// `None` when a context holds more than simple term definitions.
    specialised: Option<SimpleCompactor>,
    /// The TRE's `tre:` namespace, which the graph's terms of [`vocab::TRE`] are written in.
    tre_namespace: String,
}

/// How to compact; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compaction {
    Specialised,
    Library,
}

/// A context document a crate names by URL, bundled so that nothing is fetched.
pub struct Remote<'a> {
    pub url: &'static str,
    /// The file it was read from, for error messages.
    pub file: &'static str,
    pub document: &'a str,
}

impl Context {
    /// `ro_crate` is the bundled context of the crate's RO-Crate version; `extension` is
    /// `context/tre.jsonld`, whose `tre` prefix is replaced by `tre_namespace`.
    pub fn new(
        ro_crate: Remote<'_>,
        extension: &str,
        tre_namespace: &str,
    ) -> Result<Self, JsonLdError> {
        let mut terms = inline_terms("tre.jsonld", extension)?;
        terms.insert("tre".into(), Value::String(tre_namespace.to_owned()));
        Ok(Context {
            tre_namespace: tre_namespace.to_owned(),
            ..Context::of(&[ro_crate], terms)?
        })
    }

    /// `[remote URLs..., terms]`: the remote documents in order, then the inline terms. An
    /// inline term that the remote contexts already define alike is left out: `sha256` is an
    /// extension of RO-Crate 1.1 but a term of 1.2's own context.
    pub fn of(remote: &[Remote<'_>], mut terms: Map<String, Value>) -> Result<Self, JsonLdError> {
        let bad = |file, message: String| JsonLdError::Context { file, message };
        let mut loader = HashMap::new();
        let mut documents = Vec::new();
        for r in remote {
            let document = json_syntax::Value::parse_str(r.document)
                .map_err(|e| bad(r.file, e.to_string()))?
                .0;
            let plain_http = r.url.replacen("https://", "http://", 1);
            for url in [r.url, plain_http.as_str()] {
                let iri = IriBuf::new(url.to_owned()).map_err(|e| bad(r.file, e.to_string()))?;
                loader.insert(iri, RemoteDocument::new(None, None, document.clone()));
            }
            let parsed: Value =
                serde_json::from_str(r.document).map_err(|e| bad(r.file, e.to_string()))?;
            documents.push(parsed);
        }
        // The definition in effect is the last remote context's that has the term.
        terms.retain(|term, iri| {
            documents
                .iter()
                .rev()
                .find_map(|d| d.get("@context").and_then(|c| c.get(term)))
                != Some(iri)
        });
        let maps: Vec<&Map<String, Value>> = documents
            .iter()
            .map(|d| d.get("@context").and_then(Value::as_object))
            .chain([Some(&terms)])
            .flatten()
            .collect();
        let prefixes = maps
            .iter()
            .flat_map(|map| map.iter())
            .filter_map(|(term, iri)| {
                Some((
                    term.clone(),
                    iri.as_str().filter(|i| is_prefix_iri(i))?.to_owned(),
                ))
            })
            .collect();
        let specialised = SimpleCompactor::new(&maps);
        let mut value: Vec<Value> = remote.iter().map(|r| json!(r.url)).collect();
        if !terms.is_empty() {
            value.push(Value::Object(terms));
        }
        Ok(Context {
            value: Value::Array(value),
            loader,
            prefixes,
            specialised,
            tre_namespace: vocab::TRE.to_owned(),
        })
    }
}

/// The term definitions of a context document held inline, such as `context/tre.jsonld`.
pub fn inline_terms(file: &'static str, document: &str) -> Result<Map<String, Value>, JsonLdError> {
    let bad = |message: String| JsonLdError::Context { file, message };
    let mut document: Value = serde_json::from_str(document).map_err(|e| bad(e.to_string()))?;
    match document.get_mut("@context").map(Value::take) {
        Some(Value::Object(terms)) => Ok(terms),
        _ => Err(bad("expected an object with an \"@context\" object".into())),
    }
}

/// Serialises the default graph of `graph` as RO-Crate metadata; `base` is the crate root IRI
/// that every relative `@id` was resolved against.
pub fn serialize(
    graph: &frozen::Graph,
    base: &str,
    context: &Context,
) -> Result<String, JsonLdError> {
    serialize_with(graph, base, context, Compaction::Specialised)
}

/// [`serialize`] with a choice of compaction; `Specialised` falls back to `Library` when the
/// contexts are not all simple terms.
pub fn serialize_with(
    graph: &frozen::Graph,
    base: &str,
    context: &Context,
    compaction: Compaction,
) -> Result<String, JsonLdError> {
    if let (Some(compactor), Compaction::Specialised) = (&context.specialised, compaction) {
        return compactor.text(graph, base, context);
    }
    let document = normalize(compact(&expand(graph, context), base, context)?, context)?;
    let mut text = serde_json::to_string_pretty(&document)
        .map_err(|e| JsonLdError::Compaction(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// JSON-LD's "serialize RDF as JSON-LD" for a graph without blank nodes, in expanded form:
/// one node object per subject, `rdf:type` as `@type`, integers and booleans as native JSON.
fn expand(graph: &frozen::Graph, context: &Context) -> Value {
    let array = subjects(graph, &context.tre_namespace)
        .into_iter()
        .map(|(id, node)| {
            let mut object = Map::new();
            object.insert("@id".into(), Value::String(id));
            if !node.types.is_empty() {
                object.insert("@type".into(), json!(node.types));
            }
            for (predicate, values) in node.properties {
                object.insert(predicate, values.iter().map(value_object).collect());
            }
            Value::Object(object)
        })
        .collect();
    Value::Array(array)
}

/// What the graph says of one subject: its classes, and its other properties' values, each
/// property's in [`order`].
#[derive(Default)]
struct Node {
    types: BTreeSet<String>,
    properties: BTreeMap<String, Vec<Term>>,
}

/// One [`Node`] per subject of the default graph, in subject order (the output is sorted
/// later).
fn subjects(graph: &frozen::Graph, tre_namespace: &str) -> Vec<(String, Node)> {
    subject_numbers(graph)
        .into_iter()
        .map(|s| (subject_id(graph, s), node(graph, s, tre_namespace)))
        .collect()
}

/// The subjects of the default graph, each once, in the graph's subject order.
fn subject_numbers(graph: &frozen::Graph) -> Vec<u32> {
    let mut subjects: Vec<u32> = graph.matching(None, None, None).map(|[s, ..]| s).collect();
    subjects.dedup();
    subjects
}

/// A subject's `@id` before compaction: its IRI, or `_:` and its blank node label.
fn subject_id(graph: &frozen::Graph, s: u32) -> String {
    match graph.term(s) {
        TermRef::BlankNode(b) => format!("_:{}", b.as_str()),
        TermRef::NamedNode(n) => n.as_str().to_owned(),
        TermRef::Literal(l) => l.value().to_owned(),
    }
}

/// What the graph says of the subject numbered `s`, its terms of [`vocab::TRE`] moved to
/// `tre_namespace`. The graph itself is left as it is, so that the release's checks and
/// preview may read it meanwhile.
fn node(graph: &frozen::Graph, s: u32, tre_namespace: &str) -> Node {
    let moved = |n: NamedNodeRef<'_>| match vocab::moved_to_namespace(n.as_str(), tre_namespace) {
        Some(iri) => iri,
        None => n.as_str().to_owned(),
    };
    let mut node = Node::default();
    for [_, p, o] in graph.matching(Some(s), None, None) {
        let TermRef::NamedNode(predicate) = graph.term(p) else {
            continue;
        };
        let object = match graph.term(o) {
            TermRef::NamedNode(n) => Term::NamedNode(NamedNode::new_unchecked(moved(n))),
            other => other.into_owned(),
        };
        if predicate == oxigraph::model::vocab::rdf::TYPE {
            if let Term::NamedNode(class) = object {
                node.types.insert(class.into_string());
                continue;
            }
        }
        node.properties
            .entry(moved(predicate))
            .or_default()
            .push(object);
    }
    for values in node.properties.values_mut() {
        values.sort_by_cached_key(order);
    }
    node
}

/// Values of a property in a fixed order: IRIs by IRI, then literals by lexical form,
/// datatype and language.
fn order(term: &Term) -> (u8, String, String, String) {
    match term {
        Term::NamedNode(n) => (0, n.as_str().to_owned(), String::new(), String::new()),
        Term::Literal(l) => (
            1,
            l.value().to_owned(),
            l.datatype().as_str().to_owned(),
            l.language().unwrap_or_default().to_owned(),
        ),
        other => (2, other.to_string(), String::new(), String::new()),
    }
}

fn value_object(term: &Term) -> Value {
    match term {
        Term::NamedNode(n) => json!({ "@id": n.as_str() }),
        Term::BlankNode(b) => json!({ "@id": format!("_:{}", b.as_str()) }),
        Term::Literal(l) => {
            let datatype = l.datatype();
            if let Some(language) = l.language() {
                json!({ "@value": l.value(), "@language": language })
            } else if datatype == xsd::STRING {
                json!({ "@value": l.value() })
            } else if datatype == xsd::INTEGER && l.value().parse::<i64>().is_ok() {
                json!({ "@value": l.value().parse::<i64>().unwrap_or_default() })
            } else if datatype == xsd::BOOLEAN && matches!(l.value(), "true" | "false") {
                json!({ "@value": l.value() == "true" })
            } else {
                json!({ "@value": l.value(), "@type": datatype.as_str() })
            }
        }
        #[allow(unreachable_patterns)]
        other => json!({ "@value": other.to_string() }),
    }
}

/// JSON-LD 1.1 compaction (<https://www.w3.org/TR/json-ld11-api/#compaction-algorithm>)
/// specialised to flattened input and to contexts of simple term definitions only: no type,
/// language or container mappings, no `@vocab`, no default language. Under those conditions
/// every term matches every value, so term selection reduces to "the shortest term, then the
/// lexicographically least", and value compaction to unwrapping plain strings.
struct SimpleCompactor {
    /// IRI -> the term compaction selects for it.
    terms: HashMap<String, String>,
    /// Terms usable as prefixes of compact IRIs: their IRI ends with a gen-delim character.
    prefixes: Vec<(String, String)>,
    /// Every term, for the rule that a compact IRI must not be a term of another meaning.
    definitions: HashMap<String, String>,
}

impl SimpleCompactor {
    fn new(maps: &[&Map<String, Value>]) -> Option<Self> {
        let mut definitions = HashMap::new();
        for map in maps {
            for (term, definition) in *map {
                if term.starts_with('@') || term.is_empty() {
                    return None;
                }
                definitions.insert(term.clone(), definition.as_str()?.to_owned());
            }
        }
        let mut terms: HashMap<String, String> = HashMap::new();
        for (term, iri) in &definitions {
            let better = match terms.get(iri) {
                Some(current) => (term.len(), term) < (current.len(), current),
                None => true,
            };
            if better {
                terms.insert(iri.clone(), term.clone());
            }
        }
        let mut prefixes: Vec<(String, String)> = definitions
            .iter()
            .filter(|(_, iri)| is_prefix_iri(iri))
            .map(|(term, iri)| (term.clone(), iri.clone()))
            .collect();
        prefixes.sort();
        Some(SimpleCompactor {
            terms,
            prefixes,
            definitions,
        })
    }

    /// IRI compaction (JSON-LD 1.1 API, 6.3): a term when `vocab`, else a compact IRI, else
    /// the IRI itself, relative to `base` when not `vocab`.
    fn iri(&self, iri: &str, vocab: bool, base: &str) -> String {
        if vocab {
            if let Some(term) = self.terms.get(iri) {
                return term.clone();
            }
        }
        let mut best: Option<String> = None;
        for (term, namespace) in &self.prefixes {
            let Some(suffix) = iri.strip_prefix(namespace.as_str()) else {
                continue;
            };
            if suffix.is_empty() {
                continue;
            }
            let candidate = format!("{term}:{suffix}");
            let shorter = best
                .as_ref()
                .is_none_or(|b| (candidate.len(), &candidate) < (b.len(), b));
            let free = self
                .definitions
                .get(&candidate)
                .is_none_or(|meaning| meaning == iri);
            if shorter && free {
                best = Some(candidate);
            }
        }
        if let Some(compact) = best {
            return compact;
        }
        if !vocab {
            if let Some(relative) = iri.strip_prefix(base) {
                return relative.to_owned();
            }
        }
        iri.to_owned()
    }

    /// Compaction and [`normalize`] in one pass over the graph, without the expanded and
    /// compacted documents in between: at 100,000 files those were three trees of two million
    /// JSON values each. Each node object is made and written in turn, in the document's order,
    /// so only one is held at a time: the whole document as JSON values had been 550 MB at
    /// 100,000 files, half the release's peak memory. `tests/jsonld_equivalence.rs` holds it
    /// to the library's output.
    fn text(
        &self,
        graph: &frozen::Graph,
        base: &str,
        context: &Context,
    ) -> Result<String, JsonLdError> {
        let id = |iri: &str| absolute_id(self.iri(iri, false, base), &context.prefixes);
        let mut nodes: Vec<((u8, String), u32)> = subject_numbers(graph)
            .into_iter()
            .map(|s| (rank(id(&subject_id(graph, s))), s))
            .collect();
        // Stable: subjects of the same @id stay in subject order, as they were before.
        nodes.sort_by(|(a, _), (b, _)| a.cmp(b));
        let fail = |e: serde_json::Error| JsonLdError::Compaction(e.to_string());
        // The document around the nodes, pretty-printed as a whole document would be; its
        // empty `@graph` is opened again, and each node goes in at the array's indentation
        // (JSON escapes the line breaks of strings, so every line break is the printer's).
        let around = serde_json::to_string_pretty(&json!({
            "@context": context.value,
            "@graph": [],
        }))
        .map_err(fail)?;
        let mut text = match around.strip_suffix("[]\n}") {
            Some(head) if !nodes.is_empty() => head.to_owned(),
            _ => return Ok(around + "\n"),
        };
        let mut separator = "[\n    ";
        for ((_, id), s) in nodes {
            let object = self.object(graph, s, id, base, context);
            text.push_str(separator);
            text.push_str(
                &serde_json::to_string_pretty(&object)
                    .map_err(fail)?
                    .replace('\n', "\n    "),
            );
            separator = ",\n    ";
        }
        text.push_str("\n  ]\n}\n");
        Ok(text)
    }

    /// The node object of the subject numbered `s`, whose compacted `@id` is `subject`: compacted,
    /// its keys in order.
    fn object(
        &self,
        graph: &frozen::Graph,
        s: u32,
        subject: String,
        base: &str,
        context: &Context,
    ) -> Value {
        let id = |iri: &str| absolute_id(self.iri(iri, false, base), &context.prefixes);
        let node = node(graph, s, &context.tre_namespace);
        let mut entries: Vec<(String, Value)> = node
            .properties
            .into_iter()
            .map(|(predicate, values)| {
                let values = values
                    .iter()
                    .map(|term| match term {
                        Term::NamedNode(n) => json!({ "@id": id(n.as_str()) }),
                        Term::BlankNode(b) => json!({ "@id": id(&format!("_:{}", b.as_str())) }),
                        literal => self.literal(value_object(literal), base),
                    })
                    .collect();
                (self.iri(&predicate, true, base), unwrap_single(values))
            })
            .collect();
        entries.sort_by(|(a, _), (b, _)| a.cmp(b));
        let mut object = Map::new();
        object.insert("@id".into(), Value::String(subject));
        if !node.types.is_empty() {
            let types = node
                .types
                .iter()
                .map(|t| Value::String(self.iri(t, true, base)))
                .collect();
            object.insert("@type".into(), unwrap_single(types));
        }
        object.extend(entries);
        Value::Object(object)
    }

    /// Value compaction of an expanded literal: a plain string, number or boolean stands
    /// alone; a datatype or language stays, in [`key_rank`] order.
    fn literal(&self, expanded: Value, base: &str) -> Value {
        let Value::Object(mut object) = expanded else {
            return expanded;
        };
        match (
            object.remove("@value"),
            object.remove("@type"),
            object.remove("@language"),
        ) {
            (Some(v), None, None) => v,
            (Some(v), Some(Value::String(datatype)), None) => {
                json!({ "@type": self.iri(&datatype, true, base), "@value": v })
            }
            (Some(v), None, Some(language)) => json!({ "@language": language, "@value": v }),
            (v, t, l) => {
                let mut rest = Map::new();
                for (key, value) in [("@type", t), ("@language", l), ("@value", v)] {
                    if let Some(value) = value {
                        rest.insert(key.into(), value);
                    }
                }
                Value::Object(rest)
            }
        }
    }
}

/// JSON-LD 1.1: a simple term definition can serve as a prefix when its IRI ends with a
/// gen-delim character.
fn is_prefix_iri(iri: &str) -> bool {
    iri.ends_with([':', '/', '?', '#', '[', ']', '@'])
}

fn unwrap_single(mut values: Vec<Value>) -> Value {
    if values.len() == 1 {
        values.remove(0)
    } else {
        Value::Array(values)
    }
}

fn compact(expanded: &Value, base: &str, context: &Context) -> Result<Value, JsonLdError> {
    let fail = |message: String| JsonLdError::Compaction(message);
    let input = json_syntax::Value::parse_str(&expanded.to_string())
        .map_err(|e| fail(e.to_string()))?
        .0;
    let local = json_syntax::Value::parse_str(&context.value.to_string())
        .map_err(|e| fail(e.to_string()))?
        .0;
    let local =
        json_ld::syntax::context::Context::try_from_json(local).map_err(|e| fail(e.to_string()))?;
    let options = Options {
        base: Some(IriBuf::new(base.to_owned()).map_err(|e| fail(e.to_string()))?),
        ..Options::default()
    };
    let document = RemoteDocument::new(None, None, input);
    let context_reference = RemoteDocumentReference::Loaded(RemoteDocument::new(None, None, local));
    let compacted = futures::executor::block_on(document.compact_using(
        context_reference,
        &context.loader,
        options,
    ))
    .map_err(|e| fail(e.to_string()))?;
    serde_json::from_str(&compacted.compact_print().to_string()).map_err(|e| fail(e.to_string()))
}

/// Fixed order (descriptor, root, then by `@id`; `@id`, `@type`, then keys alphabetically), and
/// `@id` values as RO-Crate 1.1 wants them: a relative path or an absolute URI. Compaction writes
/// the root as `""` and IRIs under a context prefix as compact IRIs (`schema:CompletedActionStatus`);
/// both are equivalent JSON-LD, but a consumer reading the JSON without a JSON-LD processor would
/// see a URI of scheme `schema`, so they are written as `./` and full IRIs.
fn normalize(compacted: Value, context: &Context) -> Result<Value, JsonLdError> {
    let Value::Object(mut top) = compacted else {
        return Err(JsonLdError::Compaction(
            "compaction did not give an object".into(),
        ));
    };
    top.remove("@context");
    let mut nodes = match top.remove("@graph") {
        Some(Value::Array(nodes)) => nodes,
        Some(_) => return Err(JsonLdError::Compaction("@graph is not an array".into())),
        None => vec![Value::Object(top)],
    };
    for node in &mut nodes {
        *node = order_keys(std::mem::take(node), &context.prefixes);
    }
    Ok(graph_document(nodes, context))
}

/// The document around its node objects: the descriptor first, then the root, then the rest by
/// `@id`.
fn graph_document(mut nodes: Vec<Value>, context: &Context) -> Value {
    nodes.sort_by_cached_key(|node| {
        let id = node.get("@id").and_then(Value::as_str).unwrap_or_default();
        rank(id.to_owned())
    });
    json!({ "@context": context.value, "@graph": nodes })
}

/// Where a node with this `@id` goes: the descriptor, the root, then the rest by `@id`.
fn rank(id: String) -> (u8, String) {
    let group = match id.as_str() {
        "ro-crate-metadata.json" => 0,
        "./" => 1,
        _ => 2,
    };
    (group, id)
}

fn order_keys(value: Value, prefixes: &HashMap<String, String>) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|(a, _), (b, _)| key_rank(a).cmp(&key_rank(b)));
            let mut ordered = Map::new();
            for (key, value) in entries {
                let value = match (key.as_str(), value) {
                    ("@id", Value::String(id)) => Value::String(absolute_id(id, prefixes)),
                    (_, value) => order_keys(value, prefixes),
                };
                ordered.insert(key, value);
            }
            Value::Object(ordered)
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| order_keys(item, prefixes))
                .collect(),
        ),
        other => other,
    }
}

fn absolute_id(id: String, prefixes: &HashMap<String, String>) -> String {
    if id.is_empty() {
        return "./".into();
    }
    match id.split_once(':') {
        Some((prefix, suffix)) if !suffix.starts_with("//") => match prefixes.get(prefix) {
            Some(namespace) => format!("{namespace}{suffix}"),
            None => id,
        },
        _ => id,
    }
}

fn key_rank(key: &str) -> (u8, &str) {
    match key {
        "@id" => (0, key),
        "@type" => (1, key),
        _ => (2, key),
    }
}
