//! Checks on the metadata as JSON, before it is read as RDF: what a JSON-LD processor would
//! silently repair or drop. <https://www.researchobject.org/ro-crate/1.1/structure.html>

use crate::contexts::Contexts;
use crate::finding::{Finding, Level};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// What is wrong with the metadata's form.
pub struct Form {
    pub findings: Vec<Finding>,
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
    let json: Value = match serde_json::from_str(text) {
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
    let Value::Object(top) = &json else {
        findings.push(finding(
            "Metadata: JSON-LD form",
            file,
            None,
            None,
            "the document must be a JSON object with @context and @graph".into(),
        ));
        return Form {
            findings,
            contexts_resolved: false,
        };
    };
    let (terms, resolved) = resolve_contexts(top.get("@context"), contexts, file, &mut findings);
    match top.get("@graph") {
        Some(Value::Array(graph)) => check_graph(graph, &terms, &mut findings),
        Some(_) => findings.push(finding(
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

fn check_graph(graph: &[Value], terms: &Terms, findings: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    for (i, entity) in graph.iter().enumerate() {
        let Value::Object(object) = entity else {
            findings.push(finding(
                "Metadata: flattened @graph",
                &format!("@graph[{i}]"),
                None,
                None,
                "every @graph item must be an entity (an object)".into(),
            ));
            continue;
        };
        let id = match object.get("@id") {
            Some(Value::String(id)) => id.clone(),
            _ => {
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
        if object.contains_key("@id") && !seen.insert(id.clone()) {
            findings.push(finding(
                "Metadata: entity identifiers",
                &id,
                Some("@id"),
                None,
                "two entities share this @id; merge them into one".into(),
            ));
        }
        if !object.contains_key("@type") {
            findings.push(finding(
                "Metadata: entity types",
                &id,
                Some("@type"),
                None,
                "every entity needs a @type".into(),
            ));
        }
        check_keys(object, &id, terms, findings);
        for (key, value) in object {
            if key.starts_with('@') {
                continue;
            }
            let values: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for v in values {
                if let Value::Object(nested) = v {
                    let value_object = nested.contains_key("@value");
                    let reference = nested.len() == 1 && nested.contains_key("@id");
                    if !value_object && !reference {
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
        }
    }
}

fn check_keys(object: &Map<String, Value>, id: &str, terms: &Terms, findings: &mut Vec<Finding>) {
    if terms.vocab {
        return;
    }
    for key in object.keys() {
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
