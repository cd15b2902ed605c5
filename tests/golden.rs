//! Byte-identical output: each bundled example is released exactly as recorded in
//! `tests/golden/` (metadata, preview, and the zip by its sha256). A change here is a change of what trecrate writes, to be made on
//! purpose: `TRECRATE_BLESS=1 cargo test --release --test golden` records the new output.

mod common;

use common::{command, root, Scratch};
use std::path::{Path, PathBuf};

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

/// Each RO-Crate version, plain and bagged: (its version's directory under the example's
/// records, bagged, extra options). A bag's metadata is its version's, and every preview is
/// the same page, so each is recorded once and the others are checked against it.
const FORMATS: [(&str, bool, &[&str]); 6] = [
    ("", false, &[]),
    ("", true, &["--bagit"]),
    ("1.2", false, &["--ro-crate-version", "1.2"]),
    ("1.2", true, &["--ro-crate-version", "1.2", "--bagit"]),
    ("1.3", false, &["--ro-crate-version", "1.3"]),
    ("1.3", true, &["--ro-crate-version", "1.3", "--bagit"]),
];

#[test]
fn the_examples_are_released_byte_for_byte_as_recorded() {
    for example in EXAMPLES {
        for (version, bagged, options) in FORMATS {
            let scratch = Scratch::new(&format!("golden-{example}-{version}-{bagged}"));
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
                .args(options)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{example} {options:?}: {}",
                common::stderr(&output)
            );
            let id = example.trim_start_matches("release-");
            let under = |dir: &str| match dir {
                "" => id.to_owned(),
                dir => format!("{id}/{dir}"),
            };
            let bag = out.join(format!("ro-crate-{id}"));
            let crate_dir = match bagged {
                true => bag.join("data"),
                false => bag.clone(),
            };
            let read = |path: PathBuf| std::fs::read(path).unwrap();
            check(
                &format!("{}/ro-crate-metadata.json", under(version)),
                &read(crate_dir.join("ro-crate-metadata.json")),
            );
            check(
                &format!("{id}/ro-crate-preview.html"),
                &read(crate_dir.join("ro-crate-preview.html")),
            );
            let packaging = match (version, bagged) {
                ("", false) => String::new(),
                ("", true) => "bagit".to_owned(),
                (version, false) => version.to_owned(),
                (version, true) => format!("{version}-bagit"),
            };
            if bagged {
                for file in [
                    "bag-info.txt",
                    "manifest-sha512.txt",
                    "tagmanifest-sha512.txt",
                ] {
                    check(
                        &format!("{}/{file}", under(&packaging)),
                        &read(bag.join(file)),
                    );
                }
            }
            let zip = sha256_of(&out.join(format!("ro-crate-{id}.zip")));
            check(
                &format!("{}/zip.sha256", under(&packaging)),
                format!("{zip}\n").as_bytes(),
            );
        }
    }
}

/// A release of 10,000 files (bench/synth.py's export: every tenth object has a superseded
/// version) is what it was when the pipeline ran as one graph: the metadata, preview and zip
/// by their sha256, for the default crate, a bag and RO-Crate 1.3. What issue 18's
/// parallel pipeline must keep byte for byte.
#[test]
fn a_10000_file_release_is_byte_identical_to_the_recorded_one() {
    let scratch = Scratch::new("golden-10000");
    let export = scratch.join("export");
    let synth = common::run_peer(
        &common::python(),
        &[
            root().join("bench/synth.py").as_os_str(),
            export.as_os_str(),
            "10000".as_ref(),
        ],
    );
    assert!(synth.status.success(), "{}", common::stderr(&synth));
    let mut sums = String::new();
    for (name, options) in [
        ("default", &[][..]),
        ("bagit", &["--bagit"][..]),
        ("1.3", &["--ro-crate-version", "1.3"][..]),
    ] {
        let out = scratch.join(name);
        let output = command()
            .arg("release")
            .arg(export.join("release.json"))
            .arg("--quarantine")
            .arg(export.join("quarantine"))
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .args(options)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name}: {}",
            common::stderr(&output)
        );
        let bag = out.join("ro-crate-AR-BENCH-10000");
        let crate_dir = match options.contains(&"--bagit") {
            true => bag.join("data"),
            false => bag.clone(),
        };
        for file in ["ro-crate-metadata.json", "ro-crate-preview.html"] {
            sums.push_str(&format!(
                "{}  {name}/{file}\n",
                sha256_of(&crate_dir.join(file))
            ));
        }
        let zip = out.join("ro-crate-AR-BENCH-10000.zip");
        sums.push_str(&format!("{}  {name}/zip\n", sha256_of(&zip)));
    }
    check("synthetic-10000.sha256", sums.as_bytes());
}
