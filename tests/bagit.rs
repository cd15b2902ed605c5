//! Bagged crates (RFC 8493): a bag directory or zip whose `data/` holds the crate. The bag's
//! findings are the `bagit` profile's; the crate in `data/` is validated as any other. Every
//! bag made here, sound or broken, is also judged by bagit-python (the Library of Congress's
//! implementation, in the test venv), and the two verdicts must agree.

mod common;

use common::{trecrate, Scratch};
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha512};
use std::path::{Path, PathBuf};

/// A small crate with two files, as a bag with sha512 and sha256 payload manifests, a sha256
/// tag manifest and a bag-info.txt with its Payload-Oxum.
fn bag(scratch: &Scratch, name: &str) -> PathBuf {
    let dir = scratch.join(name);
    let data = dir.join("data");
    std::fs::create_dir_all(data.join("results")).unwrap();
    let metadata = json!({
        "@context": "https://w3id.org/ro/crate/1.1/context",
        "@graph": [
            {"@id": "ro-crate-metadata.json", "@type": "CreativeWork",
             "conformsTo": {"@id": "https://w3id.org/ro/crate/1.1"}, "about": {"@id": "./"}},
            {"@id": "./", "@type": "Dataset", "name": "A bagged crate",
             "description": "Two files in a bag", "datePublished": "2026-12-06",
             "license": {"@id": "https://creativecommons.org/licenses/by/4.0/"},
             "hasPart": [{"@id": "a.txt"}, {"@id": "results/"}]},
            {"@id": "a.txt", "@type": "File", "name": "a"},
            {"@id": "results/", "@type": "Dataset", "name": "results"}
        ]
    });
    std::fs::write(
        data.join("ro-crate-metadata.json"),
        serde_json::to_vec_pretty(&metadata).unwrap(),
    )
    .unwrap();
    std::fs::write(data.join("a.txt"), "alpha\n").unwrap();
    std::fs::write(data.join("results/b e.csv"), "x,y\n1,2\n").unwrap();
    std::fs::write(
        dir.join("bagit.txt"),
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
    )
    .unwrap();
    manifests(&dir);
    dir
}

/// (Re)writes the manifests and bag-info.txt of the bag `dir` from its payload.
fn manifests(dir: &Path) {
    let payload = common::list_files(&dir.join("data"));
    let mut sha512 = String::new();
    let mut sha256 = String::new();
    let mut octets = 0;
    for path in &payload {
        let bytes = std::fs::read(dir.join("data").join(path)).unwrap();
        octets += bytes.len();
        sha512 += &format!("{}  data/{path}\n", hex(&Sha512::digest(&bytes)));
        sha256 += &format!("{}  data/{path}\n", hex(&Sha256::digest(&bytes)));
    }
    std::fs::write(dir.join("manifest-sha512.txt"), sha512).unwrap();
    std::fs::write(dir.join("manifest-sha256.txt"), sha256).unwrap();
    std::fs::write(
        dir.join("bag-info.txt"),
        format!(
            "Payload-Oxum: {octets}.{}\nBagging-Date: 2026-12-06\n",
            payload.len()
        ),
    )
    .unwrap();
    let mut tags = String::new();
    for name in [
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha512.txt",
        "manifest-sha256.txt",
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        tags += &format!("{} {name}\n", hex(&Sha256::digest(&bytes)));
    }
    std::fs::write(dir.join("tagmanifest-sha256.txt"), tags).unwrap();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `dir` zipped, its entries under `top/` when given.
fn zip_of(dir: &Path, zip: &Path, top: Option<&str>) {
    let mut writer = zip::ZipWriter::new(std::fs::File::create(zip).unwrap());
    for path in common::list_files(dir) {
        let name = match top {
            Some(t) => format!("{t}/{path}"),
            None => path.clone(),
        };
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut writer, &std::fs::read(dir.join(&path)).unwrap()).unwrap();
    }
    writer.finish().unwrap();
}

fn validate(path: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["validate", path.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    let output = trecrate(&args);
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap(), report)
}

/// The `bagit` findings: (severity, check, entity).
fn bag_findings(report: &Value) -> Vec<(String, String, String)> {
    let mut found: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["profile"] == "bagit")
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_owned(),
                f["check"].as_str().unwrap().to_owned(),
                f["entity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

/// bagit-python's verdict on the bag directory `dir`: valid or not.
fn referee(dir: &Path) -> bool {
    let output = common::run_peer(
        &common::python(),
        &[
            "-c".as_ref(),
            "import sys, bagit\ntry:\n    bagit.Bag(sys.argv[1]).validate()\nexcept bagit.BagError as e:\n    print(e)\n    sys.exit(1)".as_ref(),
            dir.as_os_str(),
        ],
    );
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "bagit-python: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.status.success()
}

#[test]
fn a_sound_bag_passes_as_a_directory_a_zip_and_a_zip_with_a_top_folder() {
    let scratch = Scratch::new("bagit-sound");
    let dir = bag(&scratch, "bag");
    assert!(referee(&dir));
    // The crate has RECOMMENDED findings of its own (no publisher, ...); none is the bag's.
    let (code, report) = validate(&dir, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(bag_findings(&report), [], "{report:#}");
    let findings = report["findings"].clone();
    let checks = report["statistics"]["checks_run"].as_u64().unwrap();
    for top in [None, Some("bag")] {
        let zip = scratch.join(&format!("bag-{}.zip", top.unwrap_or("flat")));
        zip_of(&dir, &zip, top);
        let (code, report) = validate(&zip, &[]);
        assert_eq!(code, 0, "{report:#}");
        assert_eq!(report["findings"], findings, "{report:#}");
        assert_eq!(report["statistics"]["checks_run"].as_u64().unwrap(), checks);
    }
    // --metadata-only reads no payload, and so no bag.
    std::fs::write(dir.join("data/a.txt"), "changed").unwrap();
    assert_eq!(validate(&dir, &["--metadata-only"]).0, 0);
    assert_eq!(validate(&dir, &[]).0, 1);
}

/// One broken bag per rule; each fails with its finding of the `bagit` profile, and
/// bagit-python finds it invalid too, but for a manifest line that is not "checksum filepath":
/// RFC 8493 section 2.1.3 says each line MUST be of that form, bagit-python logs the line as an
/// error and still calls the bag valid (tests/peers/README.md).
#[test]
fn each_broken_bag_fails_with_its_bagit_finding_and_the_referee_agrees() {
    let scratch = Scratch::new("bagit-broken");
    type Break = fn(&Path);
    let cases: [(&str, Break, (&str, &str, &str)); 7] = [
        (
            "altered-file",
            |d| std::fs::write(d.join("data/a.txt"), "omega\n").unwrap(),
            ("REQUIRED", "BagIt: checksums match", "data/a.txt"),
        ),
        (
            "missing-file",
            |d| std::fs::remove_file(d.join("data/results/b e.csv")).unwrap(),
            (
                "REQUIRED",
                "BagIt: listed files are present",
                "data/results/b%20e.csv",
            ),
        ),
        (
            "unlisted-file",
            |d| std::fs::write(d.join("data/results/c.csv"), "z\n").unwrap(),
            (
                "REQUIRED",
                "BagIt: every payload file is in every payload manifest",
                "data/results/c.csv",
            ),
        ),
        (
            "no-version",
            |d| {
                std::fs::write(d.join("bagit.txt"), "Tag-File-Character-Encoding: UTF-8\n")
                    .unwrap();
                rewrite_tag_manifest(d);
            },
            ("REQUIRED", "BagIt: declaration", "bagit.txt"),
        ),
        (
            "no-payload-manifest",
            |d| {
                std::fs::remove_file(d.join("manifest-sha512.txt")).unwrap();
                std::fs::remove_file(d.join("manifest-sha256.txt")).unwrap();
                std::fs::remove_file(d.join("tagmanifest-sha256.txt")).unwrap();
            },
            ("REQUIRED", "BagIt: payload manifest", "./"),
        ),
        (
            "garbled-manifest-line",
            |d| {
                let path = d.join("manifest-sha256.txt");
                let text = std::fs::read_to_string(&path).unwrap();
                std::fs::write(path, format!("{text}not-a-line\n")).unwrap();
                rewrite_tag_manifest(d);
            },
            ("REQUIRED", "BagIt: tag file lines", "manifest-sha256.txt"),
        ),
        (
            "tag-file-altered",
            |d| {
                let path = d.join("bag-info.txt");
                let text = std::fs::read_to_string(&path).unwrap();
                std::fs::write(path, format!("{text}Contact-Name: someone\n")).unwrap();
            },
            ("REQUIRED", "BagIt: checksums match", "bag-info.txt"),
        ),
    ];
    for (name, breaking, expected) in cases {
        let dir = bag(&scratch, name);
        breaking(&dir);
        let (code, report) = validate(&dir, &[]);
        assert_eq!(code, 1, "{name}: {report:#}");
        let expected = (
            expected.0.to_owned(),
            expected.1.to_owned(),
            expected.2.to_owned(),
        );
        assert!(
            bag_findings(&report).contains(&expected),
            "{name}: {expected:?} not in {:#?}",
            bag_findings(&report)
        );
        let lenient = name == "garbled-manifest-line";
        assert_eq!(referee(&dir), lenient, "{name}: bagit-python's verdict");
    }
}

/// Payload-Oxum ("bytes.files" of the payload) is checked against the payload; the finding says
/// what the payload has. bagit-python fails the bag too.
#[test]
fn a_wrong_payload_oxum_is_found() {
    let scratch = Scratch::new("bagit-oxum");
    let dir = bag(&scratch, "bag");
    let info = std::fs::read_to_string(dir.join("bag-info.txt")).unwrap();
    let oxum = info.lines().next().unwrap().to_owned();
    std::fs::write(
        dir.join("bag-info.txt"),
        info.replace(&oxum, "Payload-Oxum: 1.1"),
    )
    .unwrap();
    rewrite_tag_manifest(&dir);
    assert!(!referee(&dir));
    let (code, report) = validate(&dir, &[]);
    assert_eq!(code, 1, "{report:#}");
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "BagIt: Payload-Oxum")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(finding["profile"], "bagit");
    assert_eq!(finding["entity"], "bag-info.txt");
    let actual = oxum.trim_start_matches("Payload-Oxum: ");
    assert!(
        finding["message"].as_str().unwrap().contains(actual),
        "{finding:#}"
    );
}

/// The bag is sound but the crate in it is not: the crate's findings are its profile's, none
/// of them the bag's. And a bag without a crate in data/ is not a crate.
#[test]
fn the_crate_in_the_bag_is_validated_as_any_other() {
    let scratch = Scratch::new("bagit-crate");
    let dir = bag(&scratch, "bag");
    let path = dir.join("data/ro-crate-metadata.json");
    let mut metadata: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    metadata["@graph"][1]
        .as_object_mut()
        .unwrap()
        .remove("license");
    std::fs::write(&path, serde_json::to_vec(&metadata).unwrap()).unwrap();
    manifests(&dir);
    assert!(referee(&dir));
    let (code, report) = validate(&dir, &["--level", "recommended"]);
    assert_eq!(code, 1, "{report:#}");
    assert!(bag_findings(&report).is_empty(), "{report:#}");
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["profile"] == "ro-crate-1.1" && f["property"] == "schema:license"));

    std::fs::remove_file(&path).unwrap();
    let zip = scratch.join("bag.zip");
    zip_of(&dir, &zip, Some("bag"));
    for path in [&dir, &zip] {
        let output = trecrate(&["validate", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2));
        let err = common::stderr(&output);
        assert!(
            err.contains("a BagIt bag") && err.contains("payload directory data/"),
            "{err}"
        );
    }
}

/// The tag manifest, after a tag file was changed on purpose.
fn rewrite_tag_manifest(dir: &Path) {
    let path = dir.join("tagmanifest-sha256.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let mut lines = String::new();
    for line in text.lines() {
        let name = line.split_once(' ').unwrap().1;
        let bytes = std::fs::read(dir.join(name)).unwrap();
        lines += &format!("{} {name}\n", hex(&Sha256::digest(&bytes)));
    }
    std::fs::write(path, lines).unwrap();
}

/// The Five Safes examples as their authors bagged them: bagit-python and trecrate agree that
/// `BagIt-version` is not the declaration RFC 8493 asks for. The result's directory was edited
/// after bagging: its checksums no longer match.
#[test]
fn the_five_safes_example_bags_fail_their_declaration_in_both_tools() {
    let corpus = common::root().join("tests/corpus/five-safes");
    let scratch = Scratch::new("bagit-five-safes");
    for name in ["example-request", "example-result"] {
        let dir = scratch.join(name);
        common::copy_dir(&corpus.join(name), &dir);
        assert!(!referee(&dir), "{name}");
        let (code, report) = validate(&corpus.join(format!("{name}.bagit.zip")), &[]);
        assert_eq!(code, 1);
        assert_eq!(
            bag_findings(&report),
            [(
                "REQUIRED".to_owned(),
                "BagIt: declaration".to_owned(),
                "bagit.txt".to_owned()
            )],
            "{name}"
        );
        if name == "example-request" {
            continue;
        }
        let (_, report) = validate(&dir, &[]);
        let altered: Vec<String> = bag_findings(&report)
            .into_iter()
            .filter(|(_, check, _)| check == "BagIt: checksums match")
            .map(|(_, _, entity)| entity)
            .collect();
        assert!(
            altered.contains(&"data/ro-crate-metadata.json".to_owned()),
            "{name}: {altered:?}"
        );
    }
}
