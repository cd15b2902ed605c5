//! The JSON-LD context documents crates name by URL, bundled so nothing is ever fetched.
//! See `context/README.md` for their sources.

use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// Bundled documents (their paths in [`crate::assets`]) by canonical URL (https, no
/// `.jsonld` suffix).
const BUNDLED: &[(&str, &str)] = &[
    (
        crate::rdf::vocab::RO_CRATE_1_1_CONTEXT,
        "context/ro-crate-1.1.jsonld",
    ),
    (
        crate::rdf::vocab::RO_CRATE_1_2_CONTEXT,
        "context/ro-crate-1.2.jsonld",
    ),
    (
        crate::rdf::vocab::RO_CRATE_1_3_CONTEXT,
        "context/ro-crate-1.3.jsonld",
    ),
    (
        crate::rdf::vocab::WORKFLOW_RUN_CONTEXT,
        "context/ro-terms-workflow-run.jsonld",
    ),
    (
        "https://w3id.org/ro/terms/workflow-run",
        "context/ro-terms-workflow-run.jsonld",
    ),
    (
        crate::rdf::vocab::SAPPORO_CONTEXT,
        "context/ro-terms-sapporo.jsonld",
    ),
    (
        "https://w3id.org/ro/terms/test",
        "context/ro-terms-test.jsonld",
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("--context {0:?}: expected URL=FILE")]
    Syntax(String),
    #[error("--context {url}: cannot read {}", file.display())]
    Read {
        url: String,
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Context documents by URL: the bundled ones plus any the user supplied.
#[derive(Debug, Clone, Default)]
pub struct Contexts {
    extra: HashMap<String, String>,
    /// Documents parsed once per process (clones share it): every crate names the same few.
    parsed: Arc<Mutex<HashMap<String, Arc<Value>>>>,
    /// [`Contexts::terms`], once per process.
    terms: Arc<OnceLock<HashSet<String>>>,
}

impl Contexts {
    /// Adds `URL=FILE` pairs from `--context`.
    pub fn with_files(pairs: &[String]) -> Result<Self, ContextError> {
        let mut extra = HashMap::new();
        for pair in pairs {
            let (url, file) = pair
                .split_once('=')
                .filter(|(u, f)| !u.is_empty() && !f.is_empty())
                .ok_or_else(|| ContextError::Syntax(pair.clone()))?;
            let text = std::fs::read_to_string(file).map_err(|source| ContextError::Read {
                url: url.to_owned(),
                file: file.into(),
                source,
            })?;
            extra.insert(canonical(url), text);
        }
        Ok(Contexts {
            extra,
            ..Contexts::default()
        })
    }

    /// The document for `url`, if bundled or supplied, whatever its scheme and suffix.
    pub fn get(&self, url: &str) -> Option<&str> {
        let key = canonical(url);
        if let Some(text) = self.extra.get(&key) {
            return Some(text);
        }
        BUNDLED
            .iter()
            .find(|(u, _)| *u == key)
            .map(|(_, path)| crate::assets::document(path))
    }
}

impl Contexts {
    /// The document for `url` as JSON; `None` if unknown or not JSON.
    pub fn parsed(&self, url: &str) -> Option<Arc<Value>> {
        let key = canonical(url);
        let mut cache = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(value) = cache.get(&key) {
            return Some(value.clone());
        }
        let value = Arc::new(serde_json::from_str::<Value>(self.get(url)?).ok()?);
        cache.insert(key, value.clone());
        Some(value)
    }

    /// Every term one of these documents defines: the only names of a crate that
    /// [`Contexts::trimmed`] asks about, so the only ones worth collecting from it.
    pub fn terms(&self) -> &HashSet<String> {
        self.terms.get_or_init(|| {
            let urls = BUNDLED.iter().map(|(url, _)| *url);
            let mut terms = HashSet::new();
            for url in urls.chain(self.extra.keys().map(String::as_str)) {
                let Some(parsed) = self.parsed(url) else {
                    continue;
                };
                let mut contexts = vec![parsed.get("@context")];
                while let Some(context) = contexts.pop() {
                    match context {
                        Some(Value::Object(map)) => terms.extend(map.keys().cloned()),
                        Some(Value::Array(items)) => contexts.extend(items.iter().map(Some)),
                        _ => {}
                    }
                }
            }
            terms
        })
    }

    /// The document for `url` with only the terms a document can reach: those it names (`used`:
    /// its keys and string values), the terms their definitions name, every prefix and every
    /// keyword. Processing the 2,600-term RO-Crate context cost more than parsing a 50-file
    /// crate itself; terms a crate never mentions cannot change what it expands to. A context
    /// not shaped as one object of terms is returned whole.
    pub fn trimmed(&self, url: &str, used: &HashSet<String>) -> Option<String> {
        let text = self.get(url)?;
        let parsed = self.parsed(url)?;
        let Value::Object(document) = &*parsed else {
            return Some(text.to_owned());
        };
        let Some(Value::Object(terms)) = document.get("@context") else {
            return Some(text.to_owned());
        };
        let mut document: Map<String, Value> = document
            .iter()
            .filter(|(key, _)| *key != "@context")
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        let mut keep: HashSet<&str> = terms
            .iter()
            .filter(|(term, definition)| {
                term.starts_with('@') || used.contains(term.as_str()) || is_prefix(definition)
            })
            .map(|(term, _)| term.as_str())
            .collect();
        loop {
            let mut named = HashSet::new();
            for term in &keep {
                names_in(&terms[*term], &mut named);
            }
            let new: Vec<&str> = terms
                .keys()
                .map(String::as_str)
                .filter(|t| named.contains(*t) && !keep.contains(t))
                .collect();
            if new.is_empty() {
                break;
            }
            keep.extend(new);
        }
        let kept: Map<String, Value> = terms
            .iter()
            .filter(|(term, _)| keep.contains(term.as_str()))
            .map(|(term, definition)| (term.clone(), definition.clone()))
            .collect();
        document.insert("@context".into(), Value::Object(kept));
        Some(Value::Object(document).to_string())
    }
}

/// Whether a term definition can serve as a prefix in compact IRIs (JSON-LD 1.1: an IRI ending
/// in a gen-delim, or `@prefix: true`).
fn is_prefix(definition: &Value) -> bool {
    let iri = match definition {
        Value::String(iri) => iri.as_str(),
        Value::Object(d) if d.get("@prefix") == Some(&Value::Bool(true)) => return true,
        Value::Object(d) => d.get("@id").and_then(Value::as_str).unwrap_or(""),
        _ => "",
    };
    iri.ends_with(['/', '#', ':', '?', '[', ']', '@'])
}

/// Every object key and string value of a document: the names it may use as terms.
fn names_in(document: &Value, names: &mut HashSet<String>) {
    use serde::de::DeserializeSeed;
    // Walking a parsed value cannot fail.
    let _ = Names { names, only: None }.deserialize(document);
}

/// [`names_in`] for a document still in its bytes, read without building its tree (for a
/// 10,000-file crate that tree was about ten times the 7 MB file), keeping only the names in
/// `terms` (every string of a 200 MB crate was a set of half a gigabyte). Empty if it is not
/// JSON.
pub fn names_in_json(bytes: &[u8], terms: &HashSet<String>) -> HashSet<String> {
    use serde::de::DeserializeSeed;
    let mut names = HashSet::new();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match (Names {
        names: &mut names,
        only: Some(terms),
    })
    .deserialize(&mut deserializer)
    {
        Ok(()) => names,
        Err(_) => HashSet::new(),
    }
}

/// A name and, for a compact IRI, its prefix, unless `only` leaves them out.
fn add_name(name: &str, names: &mut HashSet<String>, only: Option<&HashSet<String>>) {
    for name in [Some(name), name.split_once(':').map(|(prefix, _)| prefix)]
        .into_iter()
        .flatten()
    {
        if !names.contains(name) && only.is_none_or(|only| only.contains(name)) {
            names.insert(name.to_owned());
        }
    }
}

/// Walks a JSON document, parsed or in its bytes, adding its keys and strings to the set.
struct Names<'s> {
    names: &'s mut HashSet<String>,
    only: Option<&'s HashSet<String>>,
}

impl Names<'_> {
    fn again(&mut self) -> Names<'_> {
        Names {
            names: self.names,
            only: self.only,
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Names<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Names<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        add_name(s, self.names, self.only);
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self.again())?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(self.again())?.is_some() {
            map.next_value_seed(self.again())?;
        }
        Ok(())
    }
}

/// `http://w3id.org/ro/crate/1.1/context.jsonld` -> `https://w3id.org/ro/crate/1.1/context`.
fn canonical(url: &str) -> String {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    let rest = rest.strip_suffix(".jsonld").unwrap_or(rest);
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    format!("https://{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_found_in_every_spelling() {
        let contexts = Contexts::default();
        for url in [
            "https://w3id.org/ro/crate/1.1/context",
            "http://w3id.org/ro/crate/1.1/context",
            "https://w3id.org/ro/crate/1.1/context.jsonld",
            "http://w3id.org/ro/crate/1.1/context/",
        ] {
            assert!(contexts.get(url).unwrap().contains("\"@context\""), "{url}");
        }
        assert!(contexts.get("https://example.org/context").is_none());
        assert!(contexts
            .get("https://w3id.org/ro/crate/1.2/context")
            .is_some());
    }

    #[test]
    fn names_are_the_same_read_from_bytes_or_from_the_tree() {
        let text = r#"{ "@context": ["https://w3id.org/ro/crate/1.1/context", { "ex": "http://e/" }],
            "@graph": [ { "@id": "./", "@type": ["Dataset", "ex:Thing"], "size": 3, "ok": true,
            "n\u0061me": "caf\u00e9: a \"quoted\" name", "hasPart": [{ "@id": "data/a.csv" }],
            "nothing": null, "deep": [[["schema:name"]]] } ] }"#;
        let mut every = HashSet::new();
        names_in(&serde_json::from_str(text).unwrap(), &mut every);
        for name in ["name", "ex", "schema", "Dataset", "caf\u{e9}", "@graph"] {
            assert!(every.contains(name), "{name}");
        }
        let terms = Contexts::default().terms().clone();
        let expected: HashSet<String> = every.intersection(&terms).cloned().collect();
        assert_eq!(names_in_json(text.as_bytes(), &terms), expected);
        for name in ["name", "schema", "Dataset", "hasPart"] {
            assert!(expected.contains(name), "{name}");
        }
        for name in ["caf\u{e9}", "data/a.csv", "ok", "deep"] {
            assert!(!expected.contains(name), "{name}");
        }
        assert!(names_in_json(b"{ not json", &terms).is_empty());
    }
}
