//! Release formats (issue 20): each RO-Crate version trecrate writes (1.1, 1.2, 1.3), plain
//! and as a BagIt bag, on every bundled example, as trecrate's own validator, the reference
//! validator and bagit.py see it, and in one archive beside each other. PyLD and ro-crate-py
//! read every version in tests/peers.rs; the byte-for-byte records are tests/golden.rs's.

mod common;

use common::{entity, python, root, run_peer, stderr, trecrate, Archive, Fixture, ALL};
use serde_json::Value;
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

const VERSIONS: [&str; 3] = ["1.1", "1.2", "1.3"];

/// A release of `example` in `version`, bagged or not.
fn released(example: &str, version: &str, bagit: bool, name: &str) -> Fixture {
    let f = Fixture::of(example, &format!("{name}-{version}-{bagit}"));
    let output = f.release(&common::format_options(version, bagit));
    assert!(
        output.status.success(),
        "{example} {version} bagit={bagit}: {}",
        stderr(&output)
    );
    f
}

/// The RO-Crate root: the crate directory, or a bag's payload directory.
fn crate_root(f: &Fixture, bagit: bool) -> PathBuf {
    match bagit {
        true => f.crate_dir().join("data"),
        false => f.crate_dir(),
    }
}

fn zip_of(f: &Fixture) -> PathBuf {
    f.out.join(format!("ro-crate-{}.zip", f.request_id()))
}

fn script(name: &str) -> PathBuf {
    root().join("tests/peers").join(name)
}

fn metadata(root: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(root.join("ro-crate-metadata.json")).unwrap()).unwrap()
}

#[test]
fn each_version_says_what_it_is_and_passes_trecrate_validate() {
    for example in ALL {
        for version in VERSIONS {
            for bagit in [false, true] {
                let f = released(example, version, bagit, "formats");
                let what = format!("{example} {version} bagit={bagit}");
                let m = metadata(&crate_root(&f, bagit));
                let context_url = format!("https://w3id.org/ro/crate/{version}/context");
                assert_eq!(m["@context"][0], context_url, "{what}");
                assert_eq!(
                    entity(&m, "ro-crate-metadata.json")["conformsTo"]["@id"],
                    format!("https://w3id.org/ro/crate/{version}"),
                    "{what}"
                );
                // sha256 is 1.1's extension term, and 1.2's own.
                let inline = &m["@context"][1];
                assert_eq!(inline.get("sha256").is_some(), version == "1.1", "{what}");
                let profile = entity(&m, trecrate::rdf::vocab::RELEASE_PROFILE);
                let typed_profile = profile["@type"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == "Profile"));
                assert_eq!(typed_profile, version != "1.1", "{what}: {profile}");
                let reviews: Vec<&Value> = m["@graph"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|e| e["@type"] == "AssessAction")
                    .collect();
                assert!(reviews.len() >= 2, "{what}");
                for review in reviews {
                    assert_eq!(
                        review["additionalType"]["@id"], "https://w3id.org/shp#DisclosureCheck",
                        "{what}"
                    );
                }
                let preview =
                    std::fs::read_to_string(crate_root(&f, bagit).join("ro-crate-preview.html"))
                        .unwrap();
                assert!(preview.starts_with("<!DOCTYPE html>"), "{what}");

                let record: Value = serde_json::from_slice(
                    &std::fs::read(
                        f.out
                            .join(format!("ro-crate-{}.release.json", f.request_id())),
                    )
                    .unwrap(),
                )
                .unwrap();
                assert_eq!(
                    record.get("packaging").and_then(Value::as_str),
                    bagit.then_some("bagit"),
                    "{what}"
                );
                let zip = zip_of(&f);
                let entries = zip_entries(&zip);
                let top = format!("ro-crate-{}/", f.request_id());
                if bagit {
                    assert!(entries.iter().all(|e| e.starts_with(&top)), "{entries:?}");
                    assert!(entries.contains(&format!("{top}bagit.txt")), "{entries:?}");
                    assert!(entries.contains(&format!("{top}data/ro-crate-metadata.json")));
                } else {
                    assert!(entries.contains(&"ro-crate-metadata.json".to_owned()));
                }
                for path in [f.crate_dir(), zip] {
                    let output = trecrate(&[OsStr::new("validate"), path.as_os_str()]);
                    assert!(
                        output.status.success(),
                        "{what}: trecrate validate {}: {}{}",
                        path.display(),
                        String::from_utf8_lossy(&output.stdout),
                        stderr(&output)
                    );
                    let shown = String::from_utf8_lossy(&output.stdout).into_owned();
                    assert!(
                        shown.contains(&format!("ro-crate-{version}")),
                        "{what}: {shown}"
                    );
                }
            }
        }
    }
}

fn zip_entries(zip: &Path) -> Vec<String> {
    let archive = ::zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect()
}

/// rocrate-validator's RECOMMENDED checks of 1.2 and 1.3 that a release does not meet, each
/// for want of data the export does not have or for a rule the specification does not make.
/// tests/peers/README.md gives the reasoning against spec/ro-crate-1.2:
/// - 54.0: the root's identifier as a PropertyValue; root-data-entity.md makes that a MAY for
///   persistent identifiers and asks clients to accept a string (an airlock request id is not
///   a persistent identifier);
/// - 86.2: every Organization with a url; the export gives affiliations as names only, the same
///   disagreement as 1.1's 31.2;
/// - 89.0, 91.0: ROR and ORCID identifiers; contextual-entities.md asks for an existing
///   permalink when there is one, which trecrate uses (the checkers' ORCIDs, the TRE's URL);
/// - 90.1: a contactPoint on every Organization; the spec asks for contact information on the
///   crate, which the publisher's ContactPoint gives.
fn reference_skips(version: &str) -> Vec<String> {
    match version {
        "1.1" => vec!["ro-crate-1.1_31.2".to_owned()],
        _ => ["54.0", "86.2", "89.0", "90.1", "91.0"]
            .iter()
            .map(|check| format!("ro-crate-{version}_{check}"))
            .collect(),
    }
}

/// The bagged crates: the bag's payload directory is the RO-Crate root (RO-Crate 1.2,
/// appendix/implementation-notes.md, "Adding RO-Crate to BagIt"), and the reference validator
/// is given that root. (Given the bag directory itself, rocrate-validator 0.13 finds the
/// metadata in data/ but looks for the data entities beside bagit.txt, and reports every file
/// missing: its fault, not the bag's.) Plain 1.1 crates are tests/peers.rs's.
#[test]
fn the_reference_validator_accepts_every_version_at_recommended() {
    let cache = common::Scratch::new("formats-rocv-cache");
    for example in ALL {
        for version in VERSIONS {
            let f = released(example, version, true, "formats-rocv");
            let skips = reference_skips(version);
            let skips: Vec<&str> = skips.iter().map(String::as_str).collect();
            let report = common::reference_validator(
                &crate_root(&f, true),
                &cache.join("http-cache"),
                &format!("ro-crate-{version}"),
                "recommended",
                &skips,
            );
            assert!(
                report["passed"] == true,
                "{example} {version}: rocrate-validator found issues:\n{}",
                serde_json::to_string_pretty(&report["issues"]).unwrap()
            );
        }
    }
}

#[test]
fn bags_pass_bagit_py_as_directories_and_once_python_unzips_them() {
    let mut paths = Vec::new();
    let mut fixtures = Vec::new();
    for example in ALL {
        for version in VERSIONS {
            let f = released(example, version, true, "formats-bagit");
            paths.push(f.crate_dir());
            paths.push(zip_of(&f));
            fixtures.push(f);
        }
    }
    let mut args: Vec<&OsStr> = vec![script("bagit_validate.py").into_os_string().leak()];
    args.extend(paths.iter().map(|p| p.as_os_str()));
    let output = run_peer(&python(), &args);
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{said}{}", stderr(&output));
    assert_eq!(said.lines().filter(|l| l.starts_with("valid ")).count(), 24);
}

#[test]
fn a_changed_payload_byte_in_a_bag_is_caught_by_trecrate_and_bagit_py() {
    let f = released(ALL[1], "1.2", true, "formats-tamper");
    let target = f
        .crate_dir()
        .join("data/data")
        .read_dir()
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let mut bytes = std::fs::read(&target).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&target, bytes).unwrap();

    let ours = trecrate(&[OsStr::new("validate"), f.crate_dir().as_os_str()]);
    assert_eq!(ours.status.code(), Some(1), "{}", stderr(&ours));
    let shown = String::from_utf8_lossy(&ours.stdout);
    assert!(shown.contains("BagIt: checksums match"), "{shown}");
    let name = target.file_name().unwrap().to_string_lossy();
    assert!(shown.contains(&format!("data/data/{name}")), "{shown}");

    let theirs = run_peer(
        &python(),
        &[
            script("bagit_validate.py").as_os_str(),
            f.crate_dir().as_os_str(),
        ],
    );
    assert_eq!(theirs.status.code(), Some(1));
    let said = String::from_utf8_lossy(&theirs.stdout);
    assert!(said.contains(&*name) && said.contains("invalid"), "{said}");
}

/// One archive holds a release of every kind; every built-in auditor query answers for each,
/// and ingest records a bag's zip as a bag.
#[test]
fn one_archive_holds_every_kind_and_every_builtin_query_answers_for_all() {
    let archive = Archive::new("formats-archive");
    let example = root().join("examples").join(ALL[1]);
    let export: Value =
        serde_json::from_slice(&std::fs::read(example.join("release.json")).unwrap()).unwrap();
    let mut ids = Vec::new();
    for version in VERSIONS {
        for bagit in [false, true] {
            // The same request under another id per kind, so each is a release of its own.
            let id = format!("AR-KIND-{version}-{}", if bagit { "bag" } else { "zip" });
            let mut edited = export.clone();
            edited["request"]["id"] = Value::from(id.clone());
            let path = archive.scratch.join(&format!("{id}.json"));
            std::fs::write(&path, serde_json::to_vec(&edited).unwrap()).unwrap();
            let quarantine = example.join("quarantine");
            let options = common::format_options(version, bagit);
            let output = archive.release_export(&path, &quarantine, &archive.out(), &options);
            assert!(output.status.success(), "{id}: {}", stderr(&output));
            ids.push(id);
        }
    }
    let requests = |rows: &[Vec<String>]| -> BTreeSet<String> {
        rows.iter()
            .flat_map(|r| r.iter().filter(|v| v.starts_with("AR-KIND-")).cloned())
            .collect()
    };
    let all: BTreeSet<String> = ids.iter().cloned().collect();
    let file = &export["objects"][0]["versions"];
    let shipped = file
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["state"] == "approved")
        .max_by_key(|v| v["version"].as_u64())
        .unwrap();
    let checker = export["reviews"][0]["checker"]["name"].as_str().unwrap();
    let project = export["request"]["project"]["id"].as_str().unwrap();
    let statbarn = shipped["statbarn"].as_str().unwrap();
    let sha256 = shipped["sha256"].as_str().unwrap();
    for (name, params) in [
        ("releases", vec![]),
        ("release-by-checksum", vec![format!("sha256={sha256}")]),
        ("releases-by-checker", vec![format!("checker={checker}")]),
        ("releases-by-project", vec![format!("project={project}")]),
        ("files-by-statbarn", vec![format!("statbarn={statbarn}")]),
    ] {
        let params: Vec<&str> = params.iter().map(String::as_str).collect();
        let rows = archive.builtin(name, &params);
        assert_eq!(requests(&rows), all, "{name} {params:?}: {rows:?}");
    }
    // `releases` says how each zip holds its crate.
    for row in archive.builtin("releases", &[]) {
        let bag = row[0].ends_with("-bag");
        assert_eq!(
            row.last().unwrap(),
            if bag { "bagit" } else { "zip" },
            "{row:?}"
        );
    }
    assert!(archive.builtin("approval-anomalies", &[]).is_empty());
    for id in &ids {
        let timeline = archive.builtin("request-timeline", &[&format!("request={id}")]);
        assert!(
            timeline
                .iter()
                .any(|r| r.iter().any(|v| v.contains("archive"))),
            "{id}: {timeline:?}"
        );
    }

    // A 1.3 bag made elsewhere, ingested from its zip.
    let f = released(ALL[0], "1.3", true, "formats-ingest");
    let zip = zip_of(&f);
    let output = archive.run(&["ingest", zip.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let packaging = archive.run(&[
        "query",
        "--format",
        "json",
        "PREFIX a: <https://w3id.org/trecrate/archive#> \
         SELECT ?request ?packaging WHERE { GRAPH <urn:trecrate:records> \
         { ?g a:requestId ?request ; a:packaging ?packaging } } ORDER BY ?request",
    ]);
    assert!(packaging.status.success(), "{}", stderr(&packaging));
    let rows = common::rows(&packaging.stdout);
    let expected: Vec<Vec<String>> = ids
        .iter()
        .map(|id| {
            let bag = if id.ends_with("-bag") { "bagit" } else { "zip" };
            vec![id.clone(), bag.to_owned()]
        })
        .chain([vec![f.request_id(), "bagit".to_owned()]])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(rows, expected);
}
