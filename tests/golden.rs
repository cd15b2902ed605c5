//! Byte-identical output: each bundled example is released exactly as recorded in
//! `tests/golden/` (metadata, preview, and the zip by its sha256). A change here is a change of what trecrate writes, to be made on
//! purpose: `TRECRATE_BLESS=1 cargo test --release --test golden` records the new output.

mod common;

use common::{command, root, Scratch};
use std::path::Path;

const EXAMPLES: [&str; 4] = [
    "release-AR-2024-0107",
    "release-AR-2025-0042",
    "release-AR-2025-0115",
    "release-AR-2026-0003",
];

/// Compares `actual` with the recorded fixture `name`, or records it when blessing.
fn check(name: &str, actual: &[u8]) {
    let fixture = root().join("tests/golden").join(name);
    if std::env::var_os("TRECRATE_BLESS").is_some() {
        std::fs::create_dir_all(fixture.parent().unwrap()).unwrap();
        std::fs::write(&fixture, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&fixture).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (record it with TRECRATE_BLESS=1)",
            fixture.display()
        )
    });
    if expected != actual {
        let first = expected
            .iter()
            .zip(actual)
            .position(|(a, b)| a != b)
            .unwrap_or(expected.len().min(actual.len()));
        panic!(
            "{name} differs from the recorded output at byte {first} (recorded {} bytes, now {})",
            expected.len(),
            actual.len()
        );
    }
}

fn sha256_of(path: &Path) -> String {
    trecrate::rdf::digest::sha256_hex(&std::fs::read(path).unwrap())
}

#[test]
fn the_examples_are_released_byte_for_byte_as_recorded() {
    for example in EXAMPLES {
        let scratch = Scratch::new(&format!("golden-{example}"));
        let dir = root().join("examples").join(example);
        let out = scratch.join("out");
        let output = command()
            .arg("release")
            .arg(dir.join("release.json"))
            .arg("--quarantine")
            .arg(dir.join("quarantine"))
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{example}: {}",
            common::stderr(&output)
        );
        let id = example.trim_start_matches("release-");
        let crate_dir = out.join(format!("ro-crate-{id}"));
        for file in ["ro-crate-metadata.json", "ro-crate-preview.html"] {
            check(
                &format!("{id}/{file}"),
                &std::fs::read(crate_dir.join(file)).unwrap(),
            );
        }
        let zip = sha256_of(&out.join(format!("ro-crate-{id}.zip")));
        check(&format!("{id}/zip.sha256"), format!("{zip}\n").as_bytes());
    }
}
