//! `Contexts::trimmed` hands the JSON-LD parser only the context terms a document can reach.
//! Proof that it changes nothing: every metadata file of the corpus, and every bundled
//! example's release, read as RDF with the whole context and with the trimmed one, gives the
//! same quads.

mod common;

use oxigraph::io::{JsonLdProfileSet, LoadedDocument, RdfFormat, RdfParser};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use trecrate::contexts::{names_in_json, Contexts};

/// The document's quads, its contexts served whole or, given `used`, trimmed to it.
fn quads(
    bytes: &[u8],
    contexts: &Contexts,
    used: Option<HashSet<String>>,
) -> Option<BTreeSet<String>> {
    let contexts = contexts.clone();
    let format = RdfFormat::JsonLd {
        profile: JsonLdProfileSet::empty(),
    };
    let parser = RdfParser::from_format(format)
        .with_base_iri("arcp://name,test/")
        .unwrap();
    let mut out = BTreeSet::new();
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
        // Blank node labels are the parser's own; compare shapes, not labels.
        let quad = quad.ok()?;
        let text = quad.to_string();
        out.insert(if text.contains("_:") {
            "blank".into()
        } else {
            text
        });
    }
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

#[test]
fn trimmed_contexts_give_the_same_graph() {
    let mut files = Vec::new();
    metadata_files(&common::root().join("tests/corpus"), &mut files);
    let scratch = common::Scratch::new("context-trimming");
    for example in common::ALL {
        let f = common::Fixture::of(example, &format!("trim-{example}"));
        let output = f.release(&[]);
        assert!(output.status.success(), "{}", common::stderr(&output));
        let copy = scratch.join(&format!("{example}-ro-crate-metadata.json"));
        std::fs::copy(f.crate_dir().join("ro-crate-metadata.json"), &copy).unwrap();
        files.push(copy);
    }
    let contexts = Contexts::default();
    let mut compared = 0;
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        if serde_json::from_slice::<serde_json::Value>(&bytes).is_err() {
            continue;
        }
        let used = names_in_json(&bytes);
        let whole = quads(&bytes, &contexts, None);
        let trimmed = quads(&bytes, &contexts, Some(used));
        assert_eq!(whole, trimmed, "{}", file.display());
        compared += whole.is_some() as usize;
    }
    assert!(compared > 100, "only {compared} documents parsed");
}
