//! The architecture, checked: every module of the library imports only modules of lower layers,
//! so the import graph has no upward arrow and no cycle. A new module must be given its layer
//! here; `rdf` imports nothing else of the crate.

use std::collections::BTreeSet;
use std::path::Path;

/// Top-level modules by layer, lowest first.
const LAYERS: &[&[&str]] = &[
    &["rdf", "file"],
    &["assets", "event", "finding", "parallel"],
    &["jsonld", "profile", "shacl", "shape", "storage"],
    &["package", "validate"],
    &["archive"],
    &["release", "run_crate"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The top-level modules a source file names through `crate::`, outside comments.
fn imports(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = &rest[..at];
            rest = &rest[at + "crate::".len()..];
            // `trecrate::` is the binary's, not a module path of the library.
            if before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue;
            }
            // `crate::{a, b::C}` names several modules; `crate::a::...` one.
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group
                    .split('}')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .collect(),
                None => vec![rest],
            };
            for name in names {
                let ident: String = name
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !ident.is_empty() {
                    found.insert(ident);
                }
            }
        }
    }
    found
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_import_points_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap();
        let module = first.as_os_str().to_str().unwrap().trim_end_matches(".rs");
        // The façade, and the binary with its own modules, sit above every layer.
        if matches!(module, "lib" | "main" | "cli") {
            continue;
        }
        let Some(own) = layer(module) else {
            wrong.push(format!(
                "{}: module {module} has no layer in tests/layers.rs",
                relative.display()
            ));
            continue;
        };
        checked += 1;
        for import in imports(&std::fs::read_to_string(file).unwrap()) {
            if import == module {
                continue;
            }
            match layer(&import) {
                Some(theirs) if theirs < own => {}
                Some(_) => wrong.push(format!(
                    "{}: {module} imports {import}, which is not below it",
                    relative.display()
                )),
                None => wrong.push(format!(
                    "{}: imports crate::{import}, which has no layer",
                    relative.display()
                )),
            }
        }
    }
    assert!(checked > 40, "only {checked} source files were checked");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn imports_are_read_in_every_form() {
    let text = "use crate::rdf::vocab;\nuse crate::{archive, shacl::Shapes};\n\
                // crate::release in a comment\nlet x = trecrate::release;\n\
                let y = crate::finding::Level::Required; // crate::cli";
    let found: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(found, ["archive", "finding", "rdf", "shacl"]);
}
