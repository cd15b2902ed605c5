//! `trecrate release` on the bundled example: layout, content, reproducibility, atomic
//! replacement.

mod common;

use common::{entity, list_files, stderr, Fixture};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Read;

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn ids(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().flat_map(ids).collect(),
        Value::Object(o) => vec![o["@id"].as_str().unwrap().to_owned()],
        _ => panic!("not a reference: {value}"),
    }
}

#[test]
fn writes_the_release_layout_with_only_the_latest_approved_versions() {
    let f = Fixture::new("layout");
    let output = f.release(&["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        list_files(&f.out),
        [
            "ro-crate-AR-2025-0042.release.json",
            "ro-crate-AR-2025-0042.zip",
            "ro-crate-AR-2025-0042/data/obj-001_v2.csv",
            "ro-crate-AR-2025-0042/data/obj-002_v1.csv",
            "ro-crate-AR-2025-0042/data/obj-003_v1.md",
            "ro-crate-AR-2025-0042/data/obj-004_v1.png",
            "ro-crate-AR-2025-0042/ro-crate-metadata.json",
            "ro-crate-AR-2025-0042/ro-crate-preview.html",
        ]
    );
    // The shipped bytes are the approved versions' bytes.
    for (shipped, source) in [
        ("obj-001_v2.csv", "obj-001/v2/admissions_by_region.csv"),
        ("obj-004_v1.png", "obj-004/v1/admissions_chart.png"),
    ] {
        assert_eq!(
            std::fs::read(f.crate_dir().join("data").join(shipped)).unwrap(),
            std::fs::read(f.quarantine.join(source)).unwrap()
        );
    }
}

#[test]
fn metadata_says_what_adr_0004_asks() {
    let f = Fixture::new("metadata");
    assert!(f.release(&["--quiet"]).status.success());
    let text = std::fs::read_to_string(f.crate_dir().join("ro-crate-metadata.json")).unwrap();
    let m: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        m["@context"],
        serde_json::json!([
            "https://w3id.org/ro/crate/1.1/context",
            {"tre": "https://karectl.example/trevor/context#", "sha256": "http://schema.org/sha256"}
        ])
    );
    let graph = m["@graph"].as_array().unwrap();
    assert_eq!(graph[0]["@id"], "ro-crate-metadata.json");
    assert_eq!(graph[1]["@id"], "./");
    // Flat: no nested object carries more than an @id.
    for e in graph {
        for (key, value) in e.as_object().unwrap() {
            for v in value
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![value.clone()])
            {
                if let Value::Object(o) = v {
                    assert_eq!(
                        o.keys().collect::<Vec<_>>(),
                        ["@id"],
                        "{key} of {}",
                        e["@id"]
                    );
                }
            }
        }
    }

    let root = entity(&m, "./");
    assert_eq!(root["@type"], "Dataset");
    assert_eq!(root["name"], "Regional admissions and HbA1c model outputs");
    assert_eq!(root["identifier"], "AR-2025-0042");
    assert_eq!(root["tre:airlockRequestId"], "AR-2025-0042");
    assert_eq!(root["datePublished"], "2025-03-05T16:30:02Z");
    assert_eq!(
        ids(&root["license"]),
        ["https://spdx.org/licenses/CC-BY-4.0"]
    );
    assert_eq!(
        ids(&root["author"]),
        ["https://orcid.org/0000-0002-1825-0097"]
    );
    assert_eq!(ids(&root["publisher"]), ["https://karectl.example/"]);
    assert_eq!(ids(&root["sourceOrganization"]), ["#project-PRJ-017"]);
    assert_eq!(
        ids(&root["hasPart"]),
        [
            "data/obj-001_v2.csv",
            "data/obj-002_v1.csv",
            "data/obj-003_v1.md",
            "data/obj-004_v1.png"
        ]
    );
    let mentions = ids(&root["mentions"]);
    for id in [
        "#approval",
        "#review-rev-88",
        "#review-rev-91",
        "#audit-1",
        "#audit-6",
    ] {
        assert!(
            mentions.contains(&id.to_owned()),
            "{id} not in {mentions:?}"
        );
    }
    // Nothing of the superseded, rejected or changes-requested versions.
    for absent in [
        "882fca07",
        "62501b1d",
        "65176afa",
        "notes.txt",
        "recoloured",
    ] {
        assert!(!text.contains(absent), "{absent} leaked into the metadata");
    }

    let file = entity(&m, "data/obj-002_v1.csv");
    assert_eq!(file["@type"], "File");
    assert_eq!(file["name"], "HbA1c linear model coefficients");
    assert_eq!(file["encodingFormat"], "text/csv");
    assert_eq!(file["contentSize"], "273");
    assert_eq!(
        file["sha256"],
        "f59c1ace922e4c02ee14b1905e3ad5e37450cb97cf7ebf5dc5da5ce6181008b0"
    );
    assert_eq!(file["tre:statbarn"], "linear_regression");
    assert_eq!(file["identifier"], "obj-002");
    assert_eq!(file["version"], 1);
    assert!(file["tre:agentReviewSummary"]
        .as_str()
        .unwrap()
        .starts_with("Automated check"));
    assert!(file["tre:researcherJustification"].is_string());
    // An empty suppression note in the export is left out rather than written as "".
    assert!(file.get("tre:suppressionNotes").is_none());
    assert_eq!(entity(&m, "data/obj-001_v2.csv")["version"], 2);

    let researcher = entity(&m, "https://orcid.org/0000-0002-1825-0097");
    assert_eq!(researcher["@type"], "Person");
    assert_eq!(researcher["name"], "Ada Okafor");
    let affiliation = ids(&researcher["affiliation"]);
    assert_eq!(
        entity(&m, &affiliation[0])["name"],
        "University of Exampleton"
    );
    assert_eq!(entity(&m, "#person-u-0013")["name"], "Tomás Reyes");

    let approval = entity(&m, "#approval");
    assert_eq!(approval["@type"], "CreateAction");
    assert_eq!(
        ids(&approval["agent"]),
        ["#person-u-0013", "https://orcid.org/0000-0001-5109-3700"]
    );
    assert_eq!(ids(&approval["result"]), ["./"]);
    assert_eq!(approval["startTime"], "2025-03-03T10:02:00Z");
    assert_eq!(approval["endTime"], "2025-03-05T16:30:02Z");
    assert_eq!(
        ids(&approval["object"]),
        ["#review-rev-88", "#review-rev-91"]
    );
    assert_eq!(
        ids(&approval["actionStatus"]),
        ["http://schema.org/CompletedActionStatus"]
    );

    let review = entity(&m, "#review-rev-88");
    assert_eq!(review["@type"], "AssessAction");
    assert_eq!(
        ids(&review["agent"]),
        ["https://orcid.org/0000-0001-5109-3700"]
    );
    assert_eq!(review["startTime"], "2025-03-03T10:02:00Z");
    assert_eq!(review["endTime"], "2025-03-03T11:47:31Z");
    assert_eq!(review["tre:reviewDecision"], "approved");
    assert!(review["description"]
        .as_str()
        .unwrap()
        .starts_with("Rounding applied"));

    let audit = entity(&m, "#audit-3");
    assert_eq!(audit["startTime"], "2025-03-03T11:47:31Z");
    assert_eq!(audit["tre:auditEvent"], "changes_requested");
    assert_eq!(audit["tre:actor"], "u-0007");
    assert_eq!(
        ids(&audit["agent"]),
        ["https://orcid.org/0000-0001-5109-3700"]
    );
    assert_eq!(
        ids(&entity(&m, "#audit-6")["agent"]),
        ["https://karectl.example/"]
    );

    let license = entity(&m, "https://spdx.org/licenses/CC-BY-4.0");
    assert_eq!(license["@type"], "CreativeWork");
    assert_eq!(license["name"], "CC-BY-4.0");
    let publisher = entity(&m, "https://karectl.example/");
    assert_eq!(publisher["@type"], "Organization");
    assert!(publisher["name"].is_string());
}

#[test]
fn zip_and_record_match_the_crate() {
    let f = Fixture::new("zip");
    assert!(f.release(&["--quiet"]).status.success());
    let zip_bytes = std::fs::read(f.out.join("ro-crate-AR-2025-0042.zip")).unwrap();
    let record: Value = serde_json::from_slice(
        &std::fs::read(f.out.join("ro-crate-AR-2025-0042.release.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["request_id"], "AR-2025-0042");
    assert_eq!(record["zip"]["sha256"], sha256_hex(&zip_bytes));
    assert_eq!(record["zip"]["size"], zip_bytes.len());
    assert_eq!(record["file_count"], 4);
    assert_eq!(record["tool"]["name"], "trecrate");
    assert_eq!(record["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        record["released_at"], "2026-01-01T00:00:00Z",
        "SOURCE_DATE_EPOCH is honoured"
    );
    let metadata = std::fs::read(f.crate_dir().join("ro-crate-metadata.json")).unwrap();
    assert_eq!(record["metadata_sha256"], sha256_hex(&metadata));

    // The zip holds exactly the crate directory's files, metadata at its root.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        assert_eq!(
            bytes,
            std::fs::read(f.crate_dir().join(&name)).unwrap(),
            "{name}"
        );
        names.push(name);
    }
    assert_eq!(names[0], "ro-crate-metadata.json");
    names.sort();
    let mut on_disk = list_files(&f.crate_dir());
    on_disk.sort();
    assert_eq!(names, on_disk);
    // Already-compressed images are stored, text is deflated.
    assert_eq!(
        archive
            .by_name("data/obj-004_v1.png")
            .unwrap()
            .compression(),
        zip::CompressionMethod::Stored
    );
    assert_eq!(
        archive
            .by_name("data/obj-001_v2.csv")
            .unwrap()
            .compression(),
        zip::CompressionMethod::Deflated
    );
}

#[test]
fn the_same_release_twice_is_byte_identical() {
    let a = Fixture::new("repro-a");
    let b = Fixture::new("repro-b");
    assert!(a.release(&["--quiet"]).status.success());
    assert!(b.release(&["--quiet"]).status.success());
    for name in [
        "ro-crate-AR-2025-0042/ro-crate-metadata.json",
        "ro-crate-AR-2025-0042/ro-crate-preview.html",
        "ro-crate-AR-2025-0042.zip",
        "ro-crate-AR-2025-0042.release.json",
    ] {
        let (x, y) = (
            std::fs::read(a.out.join(name)).unwrap(),
            std::fs::read(b.out.join(name)).unwrap(),
        );
        assert!(x == y, "{name} differs between two runs");
    }
}

#[test]
fn an_existing_release_is_kept_unless_forced() {
    let f = Fixture::new("force");
    assert!(f.release(&["--quiet"]).status.success());
    let before = std::fs::read(f.out.join("ro-crate-AR-2025-0042.zip")).unwrap();

    f.edit(|v| v["request"]["title"] = "A new title".into());
    let again = f.release(&["--quiet"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert!(stderr(&again).contains("--force"));
    assert_eq!(
        std::fs::read(f.out.join("ro-crate-AR-2025-0042.zip")).unwrap(),
        before
    );

    let forced = f.release(&["--quiet", "--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    let metadata = std::fs::read_to_string(f.crate_dir().join("ro-crate-metadata.json")).unwrap();
    assert!(metadata.contains("A new title"));
    // No staging directory or previous release left behind.
    let entries: Vec<_> = std::fs::read_dir(&f.out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries.len(), 3, "{entries:?}");
}

#[test]
fn unknown_fields_are_warnings_and_progress_can_be_silenced() {
    let f = Fixture::new("unknown");
    f.edit(|v| {
        v["request"]["colour"] = "blue".into();
        v["objects"][1]["versions"][0]["extra"] = 1.into();
    });
    let loud = f.release(&[]);
    assert!(loud.status.success(), "{}", stderr(&loud));
    let err = stderr(&loud);
    assert!(
        err.contains("warning: unknown field request.colour ignored"),
        "{err}"
    );
    assert!(
        err.contains("warning: unknown field objects[1].versions[0].extra ignored"),
        "{err}"
    );
    assert!(
        err.contains("hashing"),
        "progress is shown by default: {err}"
    );

    let quiet = f.release(&["--quiet", "--force"]);
    let err = stderr(&quiet);
    assert!(
        err.contains("unknown field request.colour"),
        "warnings survive --quiet"
    );
    assert!(!err.contains("hashing"), "{err}");
}

#[test]
fn the_tre_namespace_and_publisher_are_configurable() {
    let f = Fixture::new("namespace");
    let output = f.release(&[
        "--quiet",
        "--tre-namespace",
        "https://tre.example.org/terms#",
        "--publisher-name",
        "Example TRE",
        "--publisher-url",
        "https://tre.example.org/",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let m: Value = serde_json::from_slice(
        &std::fs::read(f.crate_dir().join("ro-crate-metadata.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(m["@context"][1]["tre"], "https://tre.example.org/terms#");
    assert_eq!(
        entity(&m, "data/obj-001_v2.csv")["tre:statbarn"],
        "frequencies"
    );
    assert_eq!(
        entity(&m, "https://tre.example.org/")["name"],
        "Example TRE"
    );
    let preview = std::fs::read_to_string(f.crate_dir().join("ro-crate-preview.html")).unwrap();
    assert!(
        preview.contains("frequencies"),
        "the preview still shows statbarns"
    );

    let bad = f.release(&[
        "--quiet",
        "--force",
        "--tre-namespace",
        "https://tre.example.org/terms",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--tre-namespace"), "{}", stderr(&bad));
}

#[test]
fn a_title_with_markup_is_escaped_in_the_preview() {
    let f = Fixture::new("xss");
    f.edit(|v| v["request"]["title"] = "<script>alert('x')</script> & more".into());
    assert!(f.release(&["--quiet"]).status.success());
    let preview = std::fs::read_to_string(f.crate_dir().join("ro-crate-preview.html")).unwrap();
    assert!(!preview.contains("<script>"));
    assert!(preview.contains("&lt;script&gt;"));
}

/// Small files are prepared by parallel workers, files over 1 MiB are streamed by the writer:
/// both paths give the crate's bytes, in payload order, and refuse a file the export does not
/// describe.
#[test]
fn large_files_are_streamed_and_checked_like_small_ones() {
    let large: Vec<u8> = (0..1_600_000u32)
        .flat_map(|i| format!("{},{}\n", i, i % 97).into_bytes())
        .take(1_500_000)
        .collect();
    let with_large = |name: &str| {
        let f = Fixture::new(name);
        std::fs::write(f.quarantine.join("obj-002/v1/hba1c_model.csv"), &large).unwrap();
        f.edit(|v| {
            let version = &mut v["objects"][1]["versions"][0];
            version["size"] = large.len().into();
            version["sha256"] = sha256_hex(&large).into();
        });
        f
    };
    let f = with_large("large");
    let output = f.release(&["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        std::fs::read(f.crate_dir().join("data/obj-002_v1.csv")).unwrap(),
        large
    );
    let zip_bytes = std::fs::read(f.out.join("ro-crate-AR-2025-0042.zip")).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes.clone())).unwrap();
    let names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    let mut sorted = names[2..].to_vec();
    sorted.sort();
    assert_eq!(names[2..], sorted, "payload entries in path order");
    let mut entry = archive.by_name("data/obj-002_v1.csv").unwrap();
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes, large);
    drop(entry);

    let again = with_large("large-again");
    assert!(again.release(&["--quiet"]).status.success());
    assert_eq!(
        std::fs::read(again.out.join("ro-crate-AR-2025-0042.zip")).unwrap(),
        zip_bytes,
        "the same large release twice is byte-identical"
    );

    let tampered = with_large("large-tampered");
    let mut bytes = large.clone();
    bytes[1_400_000] ^= 1;
    std::fs::write(
        tampered.quarantine.join("obj-002/v1/hba1c_model.csv"),
        bytes,
    )
    .unwrap();
    let output = tampered.release(&[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("sha256 mismatch for object obj-002 version 1"),
        "{}",
        stderr(&output)
    );
    assert!(!tampered.out.exists());
}
