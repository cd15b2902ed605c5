//! The payload against the metadata. What the bytes are is observed here and written as RDF,
//! the payload facts; what they must be is `shapes/payload.ttl`, SHACL over the crate graph and
//! those facts: existence, sizes, checksums, undescribed files, the preview's HTML.

use super::graph::Graph;
use super::reader::Opened;
use super::{select, ValidateError, BASE};
use crate::finding::Finding;
use crate::rdf::digest::Digests;
use crate::rdf::select::text;
use crate::rdf::vocab::PAYLOAD_FACTS;
use oxigraph::model::{GraphName, Literal, NamedNode, Quad, Term};
use std::collections::{BTreeMap, BTreeSet};

/// What the payload holds, for the paths the metadata names, as the quads of the named graph
/// [`PAYLOAD_FACTS`]`facts`, which [`check`] adds to the graph and removes. Every file of the payload has its
/// `pf:filePath` and `pf:size`; a directory a data entity names has its `pf:directoryPath` when
/// it is there; each data entity `pf:describes` the file path its `@id` names
/// (`pf:describesDirectory` for a Dataset, `pf:names` for an `@id` that is not a URI reference
/// and so not in the graph, `pf:outsideRoot` for one that would leave the crate).
///
/// The facts are gathered on the thread that reads the payload, while the profile shapes run.
/// A file is hashed only with the algorithms its
/// entities claim: computing all three for every file tripled the hashing time of a crate that
/// claims sha256 alone.
pub fn observe(
    graph: &Graph,
    opened: &mut Opened,
    invalid_ids: &[String],
) -> Result<Vec<Quad>, ValidateError> {
    let mut facts = Facts::default();
    let mut hashes: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    let mut directories = BTreeSet::new();
    for row in select(graph, crate::assets::DATA_ENTITIES_QUERY)? {
        let Some(Term::NamedNode(entity)) = row.get("entity") else {
            continue;
        };
        let Some(relative) = entity.as_str().strip_prefix(BASE) else {
            continue;
        };
        if relative.is_empty() {
            continue;
        }
        let Some(path) = decode_path(relative) else {
            facts.add(entity, "outsideRoot", Literal::from(true));
            continue;
        };
        // A fragment or a query names no file.
        if path.contains('#') || path.contains('?') {
            continue;
        }
        if row.contains_key("dataset") {
            let path = path.trim_end_matches('/').to_owned();
            facts.add(entity, "describesDirectory", Literal::from(path.as_str()));
            directories.insert(path);
            continue;
        }
        facts.add(entity, "describes", Literal::from(path.as_str()));
        let claimed = hashes.entry(path).or_default();
        for kind in ALGORITHMS {
            if text(row.get(kind)).is_some() {
                claimed.insert(kind);
            }
        }
    }
    for id in invalid_ids {
        let relative = !id.starts_with('#') && !id.contains("://") && !id.starts_with("urn:");
        // An @id leaving the crate has its finding from the form check already.
        let Some(path) = decode_path(id).filter(|_| relative) else {
            continue;
        };
        let node =
            NamedNode::new_unchecked(format!("{BASE}{}", crate::rdf::iri::escape_reference(id)));
        facts.add(&node, "names", Literal::from(path.as_str()));
        directories.insert(path.trim_end_matches('/').to_owned());
    }
    for path in directories {
        if opened.has_directory(&path) {
            let node = path_node(&format!("{path}/"));
            facts.add(&node, "directoryPath", Literal::from(path.as_str()));
        }
    }
    let files: Vec<(String, u64)> = opened
        .payload
        .iter()
        .flatten()
        .map(|(path, entry)| (path.clone(), entry.size))
        .collect();
    for (path, size) in files {
        let node = path_node(&path);
        facts.add(&node, "filePath", Literal::from(path.as_str()));
        facts.add(&node, "size", Literal::from(size));
        if let Some(kinds) = hashes.get(&path).filter(|k| !k.is_empty()) {
            let mut digests = Digests::new(kinds.iter().copied());
            opened.read_payload(&path, Some(size), &mut |chunk| digests.update(chunk))?;
            for (kind, sum) in digests.finish() {
                facts.add(&node, kind, Literal::from(sum));
            }
        }
        if path == PREVIEW {
            let html5 = preview_is_html5(opened)?;
            facts.add(&node, "html5Doctype", Literal::from(html5));
        }
    }
    Ok(facts.quads)
}

/// The findings of the payload shapes on `graph` with the payload facts [`observe`]d; the facts
/// are gone from `graph` afterwards, whatever the outcome.
pub fn check(
    graph: &mut Graph,
    facts: Vec<Quad>,
    shapes: &crate::shacl::Shapes,
) -> Result<Vec<Finding>, ValidateError> {
    let stored = |e: oxigraph::store::StorageError| ValidateError::Query {
        name: "payload facts",
        message: e.to_string(),
    };
    let name = facts_graph();
    graph.set_named(&name, facts).map_err(stored)?;
    let findings = shapes.validate(graph.data());
    graph.remove_named(&name).map_err(stored)?;
    Ok(findings?)
}

const ALGORITHMS: [&str; 3] = ["sha256", "md5", "sha512"];

fn facts_graph() -> NamedNode {
    NamedNode::new_unchecked(format!("{PAYLOAD_FACTS}facts"))
}

/// The node of a crate path (`data/a b.txt` is `<data/a%20b.txt>`): findings name it as the
/// `@id` a data entity describing it would have.
fn path_node(path: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{BASE}{}", crate::rdf::iri::encode_path(path)))
}

/// The payload facts as they are gathered.
#[derive(Default)]
struct Facts {
    quads: Vec<Quad>,
}

impl Facts {
    fn add(&mut self, subject: &NamedNode, term: &str, object: impl Into<Term>) {
        self.quads.push(Quad::new(
            subject.clone(),
            NamedNode::new_unchecked(format!("{PAYLOAD_FACTS}{term}")),
            object,
            GraphName::NamedNode(facts_graph()),
        ));
    }
}

const PREVIEW: &str = "ro-crate-preview.html";

/// Whether the preview opens with the HTML5 doctype: what can be told of "a valid HTML 5
/// document" (structure.md) without a full HTML parser; without it, it is read in quirks mode.
/// The doctype opens the document: its first 4 KiB are all that is read.
fn preview_is_html5(opened: &mut Opened) -> Result<bool, ValidateError> {
    let mut head = Vec::new();
    opened.read_payload(PREVIEW, Some(4096), &mut |chunk| {
        head.extend_from_slice(chunk)
    })?;
    Ok(has_html5_doctype(&head))
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
