//! Two shortcuts `validate` takes before the JSON-LD parser, proven to change nothing on every
//! metadata file of the corpus and on every bundled example's release:
//! - `Contexts::trimmed` hands the parser only the context terms a document can reach;
//! - `streaming_order` rewrites the document in the key order of the streaming profile, which
//!   the parser then reads without holding objects whole.

mod common;

use oxigraph::io::{JsonLdProfile, JsonLdProfileSet, LoadedDocument, RdfFormat, RdfParser};
use oxigraph::model::dataset::CanonicalizationAlgorithm;
use oxigraph::model::Dataset;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use trecrate::jsonld::contexts::{names_in_json, Contexts};
use trecrate::validate::streaming::streaming_order;

/// The document's quads, blank nodes canonicalized, its contexts served whole or, given
/// `used`, trimmed to it; `None` if the parser reports an error.
fn quads(
    bytes: &[u8],
    profile: JsonLdProfileSet,
    contexts: &Contexts,
    used: Option<HashSet<String>>,
) -> Option<Dataset> {
    let contexts = contexts.clone();
    let parser = RdfParser::from_format(RdfFormat::JsonLd { profile })
        .with_base_iri("arcp://name,test/")
        .unwrap();
    let mut out = Dataset::new();
    for quad in parser.for_slice(bytes).with_document_loader(move |url| {
        let text = match &used {
            Some(used) => contexts.trimmed(url, used),
            None => contexts.get(url).map(str::to_owned),
        };
        text.map(|text| LoadedDocument {
            url: url.to_owned(),
            content: text.into_bytes(),
            format: RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
        })
        .ok_or_else(|| format!("unknown context {url}").into())
    }) {
        out.insert(&quad.ok()?);
    }
    out.canonicalize(CanonicalizationAlgorithm::Unstable);
    Some(out)
}

fn metadata_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            metadata_files(&path, out);
        } else if path.to_string_lossy().ends_with("ro-crate-metadata.json") {
            out.push(path);
        }
    }
}

/// The corpus's metadata files and a fresh release of every bundled example, with their bytes.
fn documents(scratch_name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    metadata_files(&common::root().join("tests/corpus"), &mut files);
    let scratch = common::Scratch::new(scratch_name);
    for example in common::ALL {
        let f = common::Fixture::of(example, &format!("{scratch_name}-{example}"));
        let output = f.release(&[]);
        assert!(output.status.success(), "{}", common::stderr(&output));
        let copy = scratch.join(&format!("{example}-ro-crate-metadata.json"));
        std::fs::copy(f.crate_dir().join("ro-crate-metadata.json"), &copy).unwrap();
        files.push(copy);
    }
    files
        .into_iter()
        .map(|file| {
            let bytes = std::fs::read(&file).unwrap();
            (file, bytes)
        })
        .collect()
}

#[test]
fn trimmed_contexts_give_the_same_graph() {
    let contexts = Contexts::default();
    let mut compared = 0;
    for (file, bytes) in documents("context-trimming") {
        let used = names_in_json(&bytes, contexts.terms());
        let whole = quads(&bytes, JsonLdProfileSet::empty(), &contexts, None);
        let trimmed = quads(&bytes, JsonLdProfileSet::empty(), &contexts, Some(used));
        assert!(whole == trimmed, "{}: the graphs differ", file.display());
        compared += whole.is_some() as usize;
    }
    assert!(compared > 100, "only {compared} documents parsed");
}

/// Where the streaming parse of the rewritten document succeeds, `validate` uses it: it must
/// give the default parse's graph. Where it fails, `validate` falls back to the default parse,
/// so nothing is claimed; but the corpus's valid documents must mostly take the fast path.
#[test]
fn streaming_order_gives_the_same_graph() {
    let contexts = Contexts::default();
    let (mut streamed, mut parsed) = (0, 0);
    for (file, bytes) in documents("streaming-order") {
        let default = quads(&bytes, JsonLdProfileSet::empty(), &contexts, None);
        parsed += default.is_some() as usize;
        let Some(ordered) = streaming_order(&bytes) else {
            continue;
        };
        let streaming = JsonLdProfileSet::from(JsonLdProfile::Streaming);
        if let Some(fast) = quads(&ordered, streaming, &contexts, None) {
            assert!(
                Some(&fast) == default.as_ref(),
                "{}: the streaming parse gives {} quads, the default parse {:?}",
                file.display(),
                fast.len(),
                default.as_ref().map(Dataset::len)
            );
            streamed += 1;
        }
    }
    assert!(parsed > 100, "only {parsed} documents parsed");
    assert!(
        streamed * 10 >= parsed * 9,
        "only {streamed} of {parsed} documents took the streaming path"
    );
}

/// Why `validate` keeps the default parse as a fallback: a keyword alias is invisible to the
/// rewrite, and the streaming parser refuses what the default one reads.
#[test]
fn an_aliased_keyword_fails_only_the_streaming_parse() {
    let document = br#"{"@context": ["https://w3id.org/ro/crate/1.1/context", {"type": "@type"}],
        "@graph": [{"@id": "./", "type": "Dataset", "name": "x"}]}"#;
    let contexts = Contexts::default();
    let ordered = streaming_order(document).unwrap();
    let streaming = JsonLdProfileSet::from(JsonLdProfile::Streaming);
    assert!(quads(&ordered, streaming, &contexts, None).is_none());
    let default = quads(document, JsonLdProfileSet::empty(), &contexts, None).unwrap();
    assert_eq!(default.len(), 2);
}
