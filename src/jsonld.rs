//! Stage 4: the crate graph becomes `ro-crate-metadata.json`, flattened and compacted JSON-LD.
//! <https://www.w3.org/TR/json-ld11-api/#compaction-algorithms>
//!
//! Flattening is free here: the graph has no blank nodes, so one node object per subject *is*
//! the flattened form (json-ld's own `flatten` is quadratic and never called). Compaction is
//! json-ld's, against the bundled contexts only; then entities and keys are put in a fixed
//! order so that the same graph always gives the same bytes.

use crate::vocab;
use iref::IriBuf;
use json_ld::syntax::{Parse, TryFromJson};
use json_ld::{JsonLdProcessor, Options, RemoteDocument, RemoteDocumentReference};
use json_syntax::Print;
use oxigraph::model::vocab::xsd;
use oxigraph::model::{NamedOrBlankNode, Term};
use oxigraph::store::{StorageError, Store};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, thiserror::Error)]
pub enum JsonLdError {
    #[error("context/{file}: {message}")]
    Context { file: &'static str, message: String },
    #[error("JSON-LD compaction failed: {0}")]
    Compaction(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The `@context` trecrate writes, with the documents needed to process it offline.
pub struct Context {
    /// `["https://w3id.org/ro/crate/1.1/context", { "tre": ..., "sha256": ... }]`.
    value: Value,
    loader: HashMap<IriBuf, RemoteDocument>,
}

impl Context {
    /// `ro_crate` is the bundled RO-Crate 1.1 context document; `extension` is `context/tre.jsonld`,
    /// whose `tre` prefix is replaced by `tre_namespace`.
    pub fn new(ro_crate: &str, extension: &str, tre_namespace: &str) -> Result<Self, JsonLdError> {
        let bad = |file, message: String| JsonLdError::Context { file, message };
        let document = json_syntax::Value::parse_str(ro_crate)
            .map_err(|e| bad("ro-crate-1.1.jsonld", e.to_string()))?
            .0;
        let mut loader = HashMap::new();
        for url in [vocab::RO_CRATE_1_1_CONTEXT, "http://w3id.org/ro/crate/1.1/context"] {
            let iri = IriBuf::new(url.to_owned()).map_err(|e| bad("ro-crate-1.1.jsonld", e.to_string()))?;
            loader.insert(iri, RemoteDocument::new(None, None, document.clone()));
        }
        let mut extension: Value =
            serde_json::from_str(extension).map_err(|e| bad("tre.jsonld", e.to_string()))?;
        let Some(Value::Object(terms)) = extension.get_mut("@context").map(Value::take) else {
            return Err(bad("tre.jsonld", "expected an object with an \"@context\" object".into()));
        };
        let mut terms = terms;
        terms.insert("tre".into(), Value::String(tre_namespace.to_owned()));
        Ok(Context {
            value: json!([vocab::RO_CRATE_1_1_CONTEXT, terms]),
            loader,
        })
    }
}

/// Serialises the default graph of `graph` as RO-Crate metadata; `base` is the crate root IRI
/// that every relative `@id` was resolved against.
pub fn serialize(graph: &Store, base: &str, context: &Context) -> Result<String, JsonLdError> {
    let expanded = expand(graph)?;
    let compacted = compact(&expanded, base, context)?;
    let document = normalize(compacted, &context.value)?;
    let mut text = serde_json::to_string_pretty(&document)
        .map_err(|e| JsonLdError::Compaction(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// JSON-LD's "serialize RDF as JSON-LD" for a graph without blank nodes, in expanded form:
/// one node object per subject, `rdf:type` as `@type`, integers and booleans as native JSON.
fn expand(graph: &Store) -> Result<Value, JsonLdError> {
    #[derive(Default)]
    struct Node {
        types: BTreeSet<String>,
        properties: BTreeMap<String, BTreeSet<String>>,
    }
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    for quad in graph.iter() {
        let quad = quad?;
        let subject = match &quad.subject {
            NamedOrBlankNode::NamedNode(n) => n.as_str().to_owned(),
            NamedOrBlankNode::BlankNode(b) => format!("_:{}", b.as_str()),
        };
        let node = nodes.entry(subject).or_default();
        if quad.predicate.as_ref() == oxigraph::model::vocab::rdf::TYPE {
            if let Term::NamedNode(class) = &quad.object {
                node.types.insert(class.as_str().to_owned());
                continue;
            }
        }
        // Values are kept as their JSON text so that the set orders them deterministically.
        node.properties
            .entry(quad.predicate.as_str().to_owned())
            .or_default()
            .insert(value_object(&quad.object).to_string());
    }
    let array = nodes
        .into_iter()
        .map(|(id, node)| {
            let mut object = Map::new();
            object.insert("@id".into(), Value::String(id));
            if !node.types.is_empty() {
                object.insert("@type".into(), json!(node.types));
            }
            for (predicate, values) in node.properties {
                let values: Vec<Value> = values
                    .iter()
                    .filter_map(|v| serde_json::from_str(v).ok())
                    .collect();
                object.insert(predicate, Value::Array(values));
            }
            Value::Object(object)
        })
        .collect();
    Ok(Value::Array(array))
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

fn compact(expanded: &Value, base: &str, context: &Context) -> Result<Value, JsonLdError> {
    let fail = |message: String| JsonLdError::Compaction(message);
    let input = json_syntax::Value::parse_str(&expanded.to_string())
        .map_err(|e| fail(e.to_string()))?
        .0;
    let local = json_syntax::Value::parse_str(&context.value.to_string())
        .map_err(|e| fail(e.to_string()))?
        .0;
    let local = json_ld::syntax::context::Context::try_from_json(local).map_err(|e| fail(e.to_string()))?;
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

/// Fixed order (descriptor, root, then by `@id`; `@id`, `@type`, then keys alphabetically) and
/// RO-Crate's `./` for the root, which JSON-LD compaction writes as the equivalent `""`.
fn normalize(compacted: Value, context: &Value) -> Result<Value, JsonLdError> {
    let Value::Object(mut top) = compacted else {
        return Err(JsonLdError::Compaction("compaction did not give an object".into()));
    };
    top.remove("@context");
    let mut nodes = match top.remove("@graph") {
        Some(Value::Array(nodes)) => nodes,
        Some(_) => return Err(JsonLdError::Compaction("@graph is not an array".into())),
        None => vec![Value::Object(top)],
    };
    for node in &mut nodes {
        *node = order_keys(std::mem::take(node));
    }
    let rank = |node: &Value| {
        let id = node.get("@id").and_then(Value::as_str).unwrap_or_default().to_owned();
        let group = match id.as_str() {
            "ro-crate-metadata.json" => 0,
            "./" => 1,
            _ => 2,
        };
        (group, id)
    };
    nodes.sort_by_cached_key(rank);
    Ok(json!({ "@context": context, "@graph": nodes }))
}

fn order_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|(a, _), (b, _)| key_rank(a).cmp(&key_rank(b)));
            let mut ordered = Map::new();
            for (key, value) in entries {
                let value = if key == "@id" && value == Value::String(String::new()) {
                    Value::String("./".into())
                } else {
                    order_keys(value)
                };
                ordered.insert(key, value);
            }
            Value::Object(ordered)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(order_keys).collect()),
        other => other,
    }
}

fn key_rank(key: &str) -> (u8, &str) {
    match key {
        "@id" => (0, key),
        "@type" => (1, key),
        _ => (2, key),
    }
}
