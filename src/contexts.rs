//! The JSON-LD context documents crates name by URL, bundled so nothing is ever fetched.
//! See `context/README.md` for their sources.

use std::collections::HashMap;
use std::path::PathBuf;

/// Bundled documents by canonical URL (https, no `.jsonld` suffix).
const BUNDLED: &[(&str, &str)] = &[
    (
        "https://w3id.org/ro/crate/1.1/context",
        include_str!("../context/ro-crate-1.1.jsonld"),
    ),
    (
        "https://w3id.org/ro/crate/1.2/context",
        include_str!("../context/ro-crate-1.2.jsonld"),
    ),
    (
        "https://w3id.org/ro/crate/1.3/context",
        include_str!("../context/ro-crate-1.3.jsonld"),
    ),
    (
        "https://w3id.org/ro/terms/workflow-run/context",
        include_str!("../context/ro-terms-workflow-run.jsonld"),
    ),
    (
        "https://w3id.org/ro/terms/workflow-run",
        include_str!("../context/ro-terms-workflow-run.jsonld"),
    ),
    (
        "https://w3id.org/ro/terms/sapporo",
        include_str!("../context/ro-terms-sapporo.jsonld"),
    ),
    (
        "https://w3id.org/ro/terms/test",
        include_str!("../context/ro-terms-test.jsonld"),
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
        Ok(Contexts { extra })
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
            .map(|(_, text)| *text)
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
}
