//! The payload against the metadata: every data entity's file exists, with the size and
//! checksums it claims, and every file is described.

use super::reader::{self, Opened};
use super::{select, ValidateError, BASE};
use crate::finding::{Finding, Level};
use crate::rdf::select::text;
use md5::Md5;
use oxigraph::model::Term;
use oxigraph::store::Store;
use sha2::{Digest, Sha256, Sha512};
use std::collections::{BTreeMap, BTreeSet};

/// Data entities against the bytes: existence, sizes, checksums, and undescribed files.
pub fn check_payload(graph: &Store, opened: &mut Opened) -> Result<Vec<Finding>, ValidateError> {
    let mut findings = Vec::new();
    let rows = select(graph, crate::assets::DATA_ENTITIES_QUERY)?;
    let mut described: BTreeSet<String> = BTreeSet::new();
    let mut directories: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for row in rows {
        let Some(Term::NamedNode(entity)) = row.get("entity") else {
            continue;
        };
        let Some(relative) = entity.as_str().strip_prefix(BASE) else {
            continue;
        };
        if relative.is_empty() || !seen.insert(relative.to_owned()) {
            continue;
        }
        let display = relative.to_owned();
        let path = match decode_path(relative) {
            Some(p) => p,
            None => {
                findings.push(Finding::new(
                    Level::Required,
                    "Payload: paths stay inside the crate",
                    &display,
                    Some("@id"),
                    None,
                    "this @id would leave the crate root; it was not followed".into(),
                ));
                continue;
            }
        };
        if path.contains('#') || path.contains('?') {
            continue;
        }
        if row.contains_key("dataset") {
            // Files under a described directory count as described.
            directories.push(format!("{}/", path.trim_end_matches('/')));
            continue;
        }
        described.insert(path.clone());
        let entry = opened.payload.as_ref().and_then(|p| p.get(&path)).cloned();
        let embedded = text(row.get("text")).filter(|_| entry.is_none());
        let actual_size = match (&entry, &embedded) {
            (Some(e), _) => e.size,
            (None, Some(t)) => t.len() as u64,
            (None, None) => {
                findings.push(Finding::new(
                    Level::Required,
                    "Payload: data entities exist",
                    &display,
                    None,
                    None,
                    format!("the file {path:?} is described but not in the crate; add it, or give the entity an absolute URI if it lives elsewhere"),
                ));
                continue;
            }
        };
        let size = text(row.get("size"));
        if let Some(claimed) = &size {
            if claimed.trim().parse::<u64>().ok() != Some(actual_size) {
                findings.push(Finding::new(
                    Level::Required,
                    "Payload: sizes and checksums match",
                    &display,
                    Some("contentSize"),
                    Some(claimed.clone()),
                    format!("the file has {actual_size} bytes"),
                ));
                continue;
            }
        }
        let sums: Vec<(&str, String)> = ["sha256", "md5", "sha512"]
            .into_iter()
            .filter_map(|k| text(row.get(k)).map(|v| (k, v.trim().to_ascii_lowercase())))
            .collect();
        if sums.is_empty() {
            continue;
        }
        let mut digests = Digests::new(sums.iter().map(|(kind, _)| *kind));
        match &embedded {
            Some(t) => digests.update(t.as_bytes()),
            None => {
                opened
                    .read_payload(&path, Some(actual_size), &mut |chunk| digests.update(chunk))?;
            }
        }
        let actual = digests.finish();
        for (kind, claimed) in sums {
            if actual.get(kind) != Some(&claimed) {
                findings.push(Finding::new(
                    Level::Required,
                    "Payload: sizes and checksums match",
                    &display,
                    Some(kind),
                    Some(claimed),
                    format!("the file's {kind} is {}", actual[kind]),
                ));
            }
        }
    }
    if let Some(payload) = &opened.payload {
        for file in payload.keys() {
            let metadata = file == reader::METADATA
                || file == "ro-crate-preview.html"
                || file.starts_with("ro-crate-preview_files/");
            let covered = described.contains(file)
                || directories.iter().any(|d| file.starts_with(d.as_str()));
            if !metadata && !covered {
                findings.push(Finding::new(
                    Level::Recommended,
                    "Payload: every file is described",
                    file,
                    None,
                    None,
                    "this file is in the crate but no data entity describes it; add a File entity to hasPart".into(),
                ));
            }
        }
    }
    Ok(findings)
}

/// The checksums a file's entity claims, computed in one pass over its bytes; only those:
/// computing all three for every file tripled the hashing time of a sha256-only crate.
#[derive(Default)]
struct Digests {
    sha256: Option<Sha256>,
    sha512: Option<Sha512>,
    md5: Option<Md5>,
}

impl Digests {
    fn new<'k>(kinds: impl IntoIterator<Item = &'k str>) -> Self {
        let mut digests = Digests::default();
        for kind in kinds {
            match kind {
                "sha256" => digests.sha256 = Some(Sha256::new()),
                "sha512" => digests.sha512 = Some(Sha512::new()),
                _ => digests.md5 = Some(Md5::new()),
            }
        }
        digests
    }

    fn update(&mut self, chunk: &[u8]) {
        if let Some(h) = &mut self.sha256 {
            h.update(chunk);
        }
        if let Some(h) = &mut self.sha512 {
            h.update(chunk);
        }
        if let Some(h) = &mut self.md5 {
            h.update(chunk);
        }
    }

    fn finish(self) -> BTreeMap<&'static str, String> {
        let hex = |bytes: &[u8]| crate::rdf::digest::hex(bytes);
        [
            ("sha256", self.sha256.map(|h| hex(&h.finalize()))),
            ("sha512", self.sha512.map(|h| hex(&h.finalize()))),
            ("md5", self.md5.map(|h| hex(&h.finalize()))),
        ]
        .into_iter()
        .filter_map(|(kind, sum)| Some((kind, sum?)))
        .collect()
    }
}

/// A relative `@id` as a crate path: percent-decoded, and `None` if it would leave the root.
fn decode_path(relative: &str) -> Option<String> {
    let path = crate::rdf::iri::decode_path(relative)?;
    let path = path.strip_prefix("./").unwrap_or(&path).to_owned();
    let escapes = path.starts_with('/') || path.split('/').any(|s| s == "..");
    (!escapes).then_some(path)
}
