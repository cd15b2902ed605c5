//! A bagged crate's bag (RFC 8493). As for the payload, what the bag holds is observed here and
//! written as RDF, the bag facts; what it must be is `shapes/bagit.ttl`: the declaration, the
//! manifests (present, every digest matching, every payload file in every payload manifest) and
//! `Payload-Oxum`. Its findings are the `bagit` profile's.

use super::reader::{Opened, BAG_DECLARATION};
use super::ValidateError;
use crate::finding::Finding;
use crate::rdf::digest::Digests;
use crate::rdf::vocab::{BAG_FACTS, RDF};
use oxigraph::model::{BlankNode, Literal, NamedNode, NamedOrBlankNode, Quad, Term};
use oxigraph::store::Store;
use std::collections::{BTreeMap, BTreeSet};

/// The profile bag findings belong to.
pub const PROFILE: &str = "bagit";

/// Where the bag's paths resolve while it is RDF: findings name `data/x.txt`, `bagit.txt`.
const BAG_BASE: &str = "arcp://name,validated-bag/";

/// Tag files are read whole up to this size; a larger one is read no further.
const MAX_TAG_FILE: u64 = 64 << 20;

/// The findings of `shapes` (`shapes/bagit.ttl`) on the facts of the bag `opened` is in.
pub fn check(
    opened: &mut Opened,
    shapes: &crate::shacl::Shapes,
) -> Result<Vec<Finding>, ValidateError> {
    let Some(bag) = &opened.bag else {
        return Ok(Vec::new());
    };
    let files: Vec<(String, u64)> = bag
        .files
        .iter()
        .map(|(path, entry)| (path.clone(), entry.size))
        .collect();
    let mut facts = Facts::default();
    let root = node("");
    facts.add(&root, "root", Literal::from(true));

    for (path, size) in &files {
        let file = node(path);
        facts.add(&file, "size", Literal::from(*size));
        if path.starts_with("data/") {
            facts.add(&file, "payload", Literal::from(true));
        }
    }
    for name in [BAG_DECLARATION, "bag-info.txt"] {
        if files.iter().any(|(p, _)| p == name) {
            let text = read_tag_file(opened, name)?;
            facts.elements(&node(name), &text);
        }
    }
    // Manifests, and which algorithms each listed file is to be hashed with.
    let mut hashes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, _) in &files {
        let (kind, algorithm) = match manifest_kind(name) {
            Some(found) => found,
            None => continue,
        };
        let manifest = node(name);
        facts.typed(&manifest, kind);
        facts.add(&manifest, "algorithm", Literal::from(algorithm));
        facts.add(
            &manifest,
            "verifiable",
            Literal::from(Digests::supports(algorithm)),
        );
        let text = read_tag_file(opened, name)?;
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            // "checksum, one or more linear whitespace characters, filepath" (section 2.1.3).
            let parsed = line
                .split_once([' ', '\t'])
                .map(|(digest, path)| (digest, path.trim_start_matches([' ', '\t'])))
                .filter(|(digest, path)| !digest.is_empty() && !path.is_empty());
            let Some((digest, path)) = parsed else {
                facts.malformed(&manifest, number + 1, line);
                continue;
            };
            let path = decode_manifest_path(path.strip_prefix("./").unwrap_or(path));
            let listed = node(&path);
            let claim = BlankNode::default();
            facts.add(&listed, "listed", claim.clone());
            facts.add(&claim, "in", manifest.clone());
            facts.add(&claim, "algorithm", Literal::from(algorithm));
            facts.add(&claim, "digest", Literal::from(digest));
            facts.add(&listed, "path", Literal::from(path.as_str()));
            hashes.entry(path).or_default().insert(algorithm.to_owned());
        }
    }
    for (path, algorithms) in hashes {
        let Some(size) = files.iter().find(|(p, _)| *p == path).map(|(_, s)| *s) else {
            continue;
        };
        let mut digests = Digests::new(algorithms.iter().map(String::as_str));
        opened.read_bag_file(&path, Some(size), &mut |chunk| digests.update(chunk))?;
        let file = node(&path);
        for (algorithm, value) in digests.finish() {
            let computed = BlankNode::default();
            facts.add(&file, "computed", computed.clone());
            facts.add(&computed, "algorithm", Literal::from(algorithm));
            facts.add(&computed, "digest", Literal::from(value));
        }
    }
    let store = Store::new().map_err(|e| query_error(e.to_string()))?;
    store
        .extend(facts.quads)
        .map_err(|e| query_error(e.to_string()))?;
    let mut findings = shapes.validate(&store)?;
    for finding in &mut findings {
        finding.profile = Some(PROFILE.to_owned());
    }
    Ok(findings)
}

/// The base IRI the bag shapes are parsed against.
pub fn base() -> &'static str {
    BAG_BASE
}

/// `manifest-sha512.txt` is a payload manifest, `tagmanifest-md5.txt` a tag manifest (section
/// 2.1.3 and 2.2.1), each with its algorithm.
fn manifest_kind(name: &str) -> Option<(&'static str, &str)> {
    let (kind, rest) = match name.strip_prefix("tagmanifest-") {
        Some(rest) => ("TagManifest", rest),
        None => ("PayloadManifest", name.strip_prefix("manifest-")?),
    };
    let algorithm = rest.strip_suffix(".txt")?;
    (!algorithm.is_empty() && !algorithm.contains('/')).then_some((kind, algorithm))
}

/// A manifest's file path: only CR, LF and `%` are percent-encoded there (section 2.1.3).
fn decode_manifest_path(path: &str) -> String {
    path.replace("%0D", "\r")
        .replace("%0d", "\r")
        .replace("%0A", "\n")
        .replace("%0a", "\n")
        .replace("%25", "%")
}

/// A tag file's text, as UTF-8 (bagit.txt says which encoding; every other one is a finding of
/// the shapes, and its lines are still read as far as they decode).
fn read_tag_file(opened: &mut Opened, name: &str) -> Result<String, ValidateError> {
    let mut bytes = Vec::new();
    opened.read_bag_file(name, Some(MAX_TAG_FILE), &mut |chunk| {
        bytes.extend_from_slice(chunk)
    })?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned())
}

fn node(path: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{BAG_BASE}{}", crate::rdf::iri::encode_path(path)))
}

fn query_error(message: String) -> ValidateError {
    ValidateError::Query {
        name: "bag facts",
        message,
    }
}

/// The bag facts as they are gathered, in the default graph of their own store.
#[derive(Default)]
struct Facts {
    quads: Vec<Quad>,
}

impl Facts {
    fn add(
        &mut self,
        subject: &(impl Clone + Into<NamedOrBlankNode>),
        term: &str,
        object: impl Into<Term>,
    ) {
        self.quads.push(Quad::new(
            subject.clone(),
            NamedNode::new_unchecked(format!("{BAG_FACTS}{term}")),
            object,
            oxigraph::model::GraphName::DefaultGraph,
        ));
    }

    fn typed(&mut self, subject: &NamedNode, class: &str) {
        self.quads.push(Quad::new(
            subject.clone(),
            NamedNode::new_unchecked(format!("{RDF}type")),
            NamedNode::new_unchecked(format!("{BAG_FACTS}{class}")),
            oxigraph::model::GraphName::DefaultGraph,
        ));
    }

    /// A tag file's metadata elements, `Label: value` (section 2.2.2); a line starting with
    /// white space continues the value before it.
    fn elements(&mut self, file: &NamedNode, text: &str) {
        let mut elements: Vec<(usize, String, String)> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                if let Some(last) = elements.last_mut() {
                    last.2.push(' ');
                    last.2.push_str(line.trim());
                    continue;
                }
            }
            match line.split_once(':') {
                Some((label, value)) if !label.trim().is_empty() => {
                    elements.push((number + 1, label.trim().to_owned(), value.trim().to_owned()))
                }
                _ => self.malformed(file, number + 1, line),
            }
        }
        for (number, label, value) in elements {
            let element = BlankNode::default();
            self.add(file, "element", element.clone());
            self.add(&element, "line", Literal::from(number as u64));
            self.add(&element, "label", Literal::from(label));
            self.add(&element, "value", Literal::from(value));
        }
    }

    fn malformed(&mut self, file: &NamedNode, number: usize, line: &str) {
        let entry = BlankNode::default();
        self.add(file, "malformed", entry.clone());
        self.add(&entry, "line", Literal::from(number as u64));
        self.add(&entry, "text", Literal::from(line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_are_known_by_their_names() {
        assert_eq!(
            manifest_kind("manifest-sha512.txt"),
            Some(("PayloadManifest", "sha512"))
        );
        assert_eq!(
            manifest_kind("tagmanifest-md5.txt"),
            Some(("TagManifest", "md5"))
        );
        assert_eq!(manifest_kind("manifest-.txt"), None);
        assert_eq!(manifest_kind("data/manifest-md5.txt"), None);
        assert_eq!(manifest_kind("bag-info.txt"), None);
    }

    #[test]
    fn manifest_paths_decode_only_cr_lf_and_percent() {
        assert_eq!(
            decode_manifest_path("data/a%0Ab%25c%20d"),
            "data/a\nb%c%20d"
        );
    }
}
