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
            // A described directory must be there (data-entities.md: a Dataset with a
            // relative @id is a directory of the payload); the files under it count as
            // described.
            if !opened.has_directory(&path) {
                findings.push(absent(&display, "directory", &path));
            }
            directories.push(format!("{}/", path.trim_end_matches('/')));
            continue;
        }
        described.insert(path.clone());
        let entry = opened.payload.as_ref().and_then(|p| p.get(&path)).cloned();
        // A File with a relative @id is a file of the payload, whatever its metadata embeds
        // (`text` is a description of its content, not the content's place).
        let actual_size = match &entry {
            Some(e) => e.size,
            None => {
                findings.push(absent(&display, "file", &path));
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
        opened.read_payload(&path, Some(actual_size), &mut |chunk| digests.update(chunk))?;
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
    if opened
        .payload
        .as_ref()
        .is_some_and(|p| p.contains_key(PREVIEW))
    {
        findings.extend(check_preview(opened)?);
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

/// The files named by `@id`s that are not URI references (`pics/a b.jpg`): the graph never held
/// them, so they are looked up here, by the one rule both ways (the name as written, its
/// percent-escapes decoded). A local `#` identifier or an absolute one names no file.
pub fn check_unreadable_ids(ids: &[String], opened: &Opened) -> Vec<Finding> {
    let Some(payload) = &opened.payload else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    for id in ids {
        let relative = !id.starts_with('#') && !id.contains("://") && !id.starts_with("urn:");
        // An @id leaving the crate has its finding from the form check already.
        let Some(path) = decode_path(id).filter(|_| relative) else {
            continue;
        };
        if !payload.contains_key(&path) && !opened.has_directory(&path) {
            findings.push(absent(id, "file", &path));
        }
    }
    findings
}

/// The finding of a data entity whose file or directory is not in the crate.
fn absent(entity: &str, kind: &str, path: &str) -> Finding {
    Finding::new(
        Level::Required,
        "Payload: data entities exist",
        entity,
        None,
        None,
        format!("the {kind} {path:?} is described but not in the crate; add it, or give the entity an absolute URI if it lives elsewhere"),
    )
}

const PREVIEW: &str = "ro-crate-preview.html";

/// structure.md (1.1 and 1.2): "If present in the root directory, ro-crate-preview.html MUST be a
/// valid HTML 5 document". What can be told without a full HTML parser: a document that does not
/// open with the HTML5 doctype is not one (it is read in quirks mode).
fn check_preview(opened: &mut Opened) -> Result<Option<Finding>, ValidateError> {
    // The doctype opens the document: its first 4 KiB are all that is read.
    let mut head = Vec::new();
    opened.read_payload(PREVIEW, Some(4096), &mut |chunk| {
        head.extend_from_slice(chunk)
    })?;
    Ok((!has_html5_doctype(&head)).then(|| {
        Finding::new(
            Level::Required,
            "Preview: HTML 5",
            PREVIEW,
            None,
            None,
            "the preview must be a valid HTML 5 document: begin it with <!DOCTYPE html>".into(),
        )
    }))
}

/// Whether `head` opens, after a byte order mark, white space and comments, with `<!DOCTYPE html`.
fn has_html5_doctype(head: &[u8]) -> bool {
    let mut rest = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    loop {
        rest = &rest[rest.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
        match rest.strip_prefix(b"<!--") {
            Some(comment) => match comment.windows(3).position(|w| w == b"-->") {
                Some(end) => rest = &comment[end + 3..],
                None => return false,
            },
            None => break,
        }
    }
    // `<!DOCTYPE html>`, or HTML5's legacy-compatible `<!DOCTYPE html SYSTEM "about:legacy-compat">`.
    let doctype = b"<!doctype html";
    if rest.len() <= doctype.len() || !rest[..doctype.len()].eq_ignore_ascii_case(doctype) {
        return false;
    }
    let after = &rest[doctype.len()..];
    let after = &after[after.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
    after.first() == Some(&b'>') || after.len() >= 6 && after[..6].eq_ignore_ascii_case(b"system")
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

#[cfg(test)]
mod tests {
    use super::has_html5_doctype;

    #[test]
    fn the_html5_doctype_is_found_behind_bom_space_and_comments() {
        for ok in [
            &b"<!DOCTYPE html>\n<html>"[..],
            b"\xEF\xBB\xBF  <!-- generated -->\n<!doctype HTML>",
            b"<!DOCTYPE html SYSTEM \"about:legacy-compat\">",
        ] {
            assert!(has_html5_doctype(ok), "{}", String::from_utf8_lossy(ok));
        }
        for bad in [
            &b"<html><body>"[..],
            b"<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">",
            b"<!-- never closed <!DOCTYPE html>",
            b"<!DOCTYPE htmlx>",
            b"",
        ] {
            assert!(!has_html5_doctype(bad), "{}", String::from_utf8_lossy(bad));
        }
    }
}
