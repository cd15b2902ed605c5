//! `trecrate validate`: one failing crate per check, each with its expected finding, and the
//! inputs that must never crash or hang it.

mod common;

use common::{stderr, trecrate, Fixture, Scratch, EXAMPLES};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A fresh release of the first example, to break in one way per test.
fn release(name: &str) -> (Fixture, PathBuf) {
    let f = Fixture::new(name);
    let output = f.release(&["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let dir = f.crate_dir();
    (f, dir)
}

fn validate(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["validate", "--format", "json"];
    all.extend_from_slice(args);
    let output = trecrate(&all);
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{err}");
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap_or(-1), report)
}

fn metadata(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("ro-crate-metadata.json")).unwrap()).unwrap()
}

fn write_metadata(dir: &Path, value: &Value) {
    std::fs::write(
        dir.join("ro-crate-metadata.json"),
        serde_json::to_vec_pretty(value).unwrap(),
    )
    .unwrap();
}

/// Reads, changes and writes back a crate's metadata.
fn edit(dir: &Path, change: impl FnOnce(&mut Value)) {
    let mut m = metadata(dir);
    change(&mut m);
    write_metadata(dir, &m);
}

fn entity<'a>(m: &'a mut Value, id: &str) -> &'a mut Value {
    m["@graph"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["@id"] == id)
        .unwrap()
}

/// Asserts the report has a finding of this severity and check about `entity`.
fn has(report: &Value, severity: &str, check: &str, entity: &str) {
    let found = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| {
            f["severity"] == severity
                && f["check"] == check
                && f["entity"].as_str().unwrap_or("").contains(entity)
        });
    assert!(
        found,
        "no {severity} [{check}] on {entity:?} in\n{report:#}"
    );
}

/// One broken crate per case: mutate a fresh release, expect exit 1 and the finding.
fn broken(
    name: &str,
    mutate: impl FnOnce(&Path),
    level: &str,
    severity: &str,
    check: &str,
    entity: &str,
) {
    let (_f, dir) = release(name);
    mutate(&dir);
    let (code, report) = validate(&[dir.to_str().unwrap(), "--level", level]);
    assert_eq!(code, 1, "{name}: {report:#}");
    assert_eq!(report["passed"], false, "{name}");
    has(&report, severity, check, entity);
}

#[test]
fn releases_pass_every_profile_they_declare_in_every_form() {
    for example in EXAMPLES {
        let f = Fixture::of(example, "valid");
        assert!(f.release(&["--quiet"]).status.success());
        let dir = f.crate_dir();
        let zip = f.out.join(format!("ro-crate-{}.zip", f.request_id()));
        let metadata_file = dir.join("ro-crate-metadata.json");
        for target in [&dir, &zip, &metadata_file] {
            let (code, report) = validate(&[target.to_str().unwrap(), "--level", "optional"]);
            assert_eq!(code, 0, "{}: {report:#}", target.display());
            assert_eq!(report["passed"], true);
            assert_eq!(
                report["profile"],
                json!(["ro-crate-1.1", "trecrate-release"])
            );
            assert_eq!(report["findings"], json!([]));
            let stats = &report["statistics"];
            assert!(stats["checks_run"].as_u64().unwrap() >= 20, "{stats}");
            assert_eq!(stats["checks_run"], stats["checks_passed"]);
        }
    }
}

#[test]
fn json_form_checks() {
    broken(
        "utf8",
        |d| {
            std::fs::write(
                d.join("ro-crate-metadata.json"),
                b"{\"@context\": \"\xff\"}",
            )
            .unwrap()
        },
        "required",
        "REQUIRED",
        "Metadata: UTF-8",
        "ro-crate-metadata.json",
    );
    broken(
        "truncated",
        |d| {
            let text = std::fs::read_to_string(d.join("ro-crate-metadata.json")).unwrap();
            std::fs::write(d.join("ro-crate-metadata.json"), &text[..text.len() / 3]).unwrap();
        },
        "required",
        "REQUIRED",
        "Metadata: JSON",
        "ro-crate-metadata.json",
    );
    broken(
        "deep",
        |d| {
            let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
            std::fs::write(d.join("ro-crate-metadata.json"), text).unwrap();
        },
        "required",
        "REQUIRED",
        "Metadata: JSON",
        "ro-crate-metadata.json",
    );
    broken(
        "no-graph",
        |d| {
            write_metadata(
                d,
                &json!({"@context": "https://w3id.org/ro/crate/1.1/context"}),
            )
        },
        "required",
        "REQUIRED",
        "Metadata: JSON-LD form",
        "ro-crate-metadata.json",
    );
    broken(
        "unknown-key",
        |d| {
            edit(d, |m| {
                entity(m, "./")["colour"] = "blue".into();
            });
        },
        "required",
        "REQUIRED",
        "Metadata: compacted keys",
        "./",
    );
    broken(
        "nested",
        |d| {
            edit(d, |m| {
                entity(m, "./")["author"] =
                    json!({"@id": "#x", "@type": "Person", "name": "Nested"});
            });
        },
        "required",
        "REQUIRED",
        "Metadata: flattened @graph",
        "./",
    );
    broken(
        "no-type",
        |d| {
            edit(d, |m| {
                entity(m, "#approval")
                    .as_object_mut()
                    .unwrap()
                    .remove("@type");
            });
        },
        "required",
        "REQUIRED",
        "Metadata: entity types",
        "#approval",
    );
    broken(
        "duplicate-id",
        |d| {
            edit(d, |m| {
                let copy = entity(m, "#approval").clone();
                m["@graph"].as_array_mut().unwrap().push(copy);
            });
        },
        "required",
        "REQUIRED",
        "Metadata: entity identifiers",
        "#approval",
    );
}

/// The streaming parse refuses a keyword alias after `@id`; `validate` then reads the
/// document in the default mode and checks it like any other.
#[test]
fn a_keyword_alias_is_read_by_the_default_parse() {
    let (_f, dir) = release("alias");
    edit(&dir, |m| {
        let context = m["@context"].as_array_mut().unwrap();
        context.push(json!({"kind": "@type"}));
        let root = entity(m, "./").as_object_mut().unwrap();
        let types = root.remove("@type").unwrap();
        root.insert("kind".into(), types);
    });
    let (code, report) = validate(&[dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{report:#}");
    has(&report, "REQUIRED", "Metadata: entity types", "./");
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .all(|f| f["check"] != "Metadata: JSON-LD form"),
        "{report:#}"
    );
    // Read as RDF, the root still is a Dataset: no shape misses its type.
    assert!(
        findings
            .iter()
            .all(|f| f["entity"] != "./" || f["check"] == "Metadata: entity types"),
        "{report:#}"
    );
}

#[test]
fn an_unknown_context_is_named_and_never_fetched() {
    let (f, dir) = release("unknown-context");
    let mut m = metadata(&dir);
    m["@context"] = json!(["https://w3id.org/ro/crate/1.1/context", "https://example.org/private-context",
        {"tre": "https://karectl.example/trevor/context#", "sha256": "http://schema.org/sha256"}]);
    write_metadata(&dir, &m);
    let (code, report) = validate(&[dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    has(
        &report,
        "REQUIRED",
        "Metadata: JSON-LD context",
        "ro-crate-metadata.json",
    );
    let text = report.to_string();
    assert!(
        text.contains("https://example.org/private-context"),
        "{text}"
    );
    // Supplied locally, the same crate passes.
    let ctx = f.scratch.join("private.jsonld");
    std::fs::write(
        &ctx,
        r#"{"@context": {"colourful": "https://example.org/colourful"}}"#,
    )
    .unwrap();
    let arg = format!("https://example.org/private-context={}", ctx.display());
    let (code, report) = validate(&[dir.to_str().unwrap(), "--context", &arg]);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn graph_checks_from_the_shapes() {
    broken(
        "no-date",
        |d| {
            edit(d, |m| {
                entity(m, "./")
                    .as_object_mut()
                    .unwrap()
                    .remove("datePublished");
            });
        },
        "required",
        "REQUIRED",
        "Root Data Entity",
        "./",
    );
    broken(
        "bad-date",
        |d| {
            edit(d, |m| {
                entity(m, "./")["datePublished"] = "last Tuesday".into();
            });
        },
        "required",
        "REQUIRED",
        "Root Data Entity",
        "./",
    );
    broken(
        "root-id",
        |d| {
            edit(d, |m| {
                entity(m, "ro-crate-metadata.json")["about"] = json!({"@id": "#root"});
                entity(m, "./")["@id"] = "#root".into();
            });
        },
        "required",
        "REQUIRED",
        "Root Data Entity",
        "#root",
    );
    broken(
        "descriptor",
        |d| {
            edit(d, |m| {
                entity(m, "ro-crate-metadata.json")["@type"] = "Thing".into();
            });
        },
        "required",
        "REQUIRED",
        "RO-Crate Metadata Descriptor",
        "ro-crate-metadata.json",
    );
    broken(
        "unreachable-file",
        |d| {
            edit(d, |m| {
                let parts = entity(m, "./")["hasPart"].as_array_mut().unwrap();
                parts.retain(|p| p["@id"] != "data/obj-003_v1.md");
            });
        },
        "required",
        "REQUIRED",
        "File Data Entity",
        "data/obj-003_v1.md",
    );
    broken(
        "no-encoding-format",
        |d| {
            edit(d, |m| {
                entity(m, "data/obj-001_v2.csv")
                    .as_object_mut()
                    .unwrap()
                    .remove("encodingFormat");
            });
        },
        "recommended",
        "RECOMMENDED",
        "File Data Entity: encodingFormat",
        "data/obj-001_v2.csv",
    );
}

#[test]
fn the_release_profile_is_rechecked() {
    broken(
        "no-sha",
        |d| {
            edit(d, |m| {
                entity(m, "data/obj-002_v1.csv")
                    .as_object_mut()
                    .unwrap()
                    .remove("sha256");
            });
        },
        "required",
        "REQUIRED",
        "Release: File",
        "data/obj-002_v1.csv",
    );
    broken(
        "one-checker",
        |d| {
            edit(d, |m| {
                entity(m, "#approval")["agent"] = json!({"@id": "#person-u-0013"});
            });
        },
        "required",
        "REQUIRED",
        "Release: approval",
        "#approval",
    );
    broken(
        "self-approval",
        |d| {
            edit(d, |m| {
                entity(m, "#approval")["agent"] = json!([{"@id": "#person-u-0013"}, {"@id": "https://orcid.org/0000-0002-1825-0097"}]);
            });
        },
        "required",
        "REQUIRED",
        "Release: approval",
        "#approval",
    );
}

#[test]
fn payload_checks() {
    broken(
        "sha-mismatch",
        |d| {
            let path = d.join("data/obj-001_v2.csv");
            let mut bytes = std::fs::read(&path).unwrap();
            bytes[3] ^= 1;
            std::fs::write(path, bytes).unwrap();
        },
        "required",
        "REQUIRED",
        "Payload: sizes and checksums match",
        "data/obj-001_v2.csv",
    );
    broken(
        "size-mismatch",
        |d| {
            std::fs::OpenOptions::new()
                .append(true)
                .open(d.join("data/obj-003_v1.md"))
                .unwrap()
                .write_all(b"!")
                .unwrap();
        },
        "required",
        "REQUIRED",
        "Payload: sizes and checksums match",
        "data/obj-003_v1.md",
    );
    broken(
        "missing",
        |d| std::fs::remove_file(d.join("data/obj-002_v1.csv")).unwrap(),
        "required",
        "REQUIRED",
        "Payload: data entities exist",
        "data/obj-002_v1.csv",
    );
    broken(
        "undescribed",
        |d| std::fs::write(d.join("data/extra.txt"), "stowaway").unwrap(),
        "recommended",
        "RECOMMENDED",
        "Payload: every file is described",
        "data/extra.txt",
    );
    broken(
        "dotdot",
        |d| {
            edit(d, |m| {
                entity(m, "./")["hasPart"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"@id": "../secret.txt"}));
                m["@graph"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"@id": "../secret.txt", "@type": "File", "name": "x"}));
            });
        },
        "required",
        "REQUIRED",
        "Payload: paths stay inside the crate",
        "",
    );
    broken(
        "symlink",
        |d| {
            let outside = d.parent().unwrap().join("outside.txt");
            std::fs::write(&outside, "not yours").unwrap();
            std::os::unix::fs::symlink(&outside, d.join("data/link.txt")).unwrap();
        },
        "required",
        "REQUIRED",
        "Payload: paths stay inside the crate",
        "data/link.txt",
    );
    // --metadata-only skips the payload.
    let (_f, dir) = release("metadata-only");
    std::fs::remove_file(dir.join("data/obj-002_v1.csv")).unwrap();
    let (code, _) = validate(&[dir.to_str().unwrap(), "--metadata-only"]);
    assert_eq!(code, 0);
}

/// The payload findings say which property is wrong, and only where one is: a size or a
/// checksum names it and the value claimed; an absent file names no property.
#[test]
fn payload_findings_name_the_property_and_the_claimed_value() {
    let (_f, dir) = release("payload-properties");
    std::fs::remove_file(dir.join("data/obj-002_v1.csv")).unwrap();
    std::fs::write(dir.join("data/obj-003_v1.md"), "shorter").unwrap();
    let (code, report) = validate(&[dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    let findings = report["findings"].as_array().unwrap();
    let of = |check: &str, entity: &str| -> Vec<(Value, Value)> {
        findings
            .iter()
            .filter(|f| f["check"] == check && f["entity"] == entity)
            .map(|f| (f["property"].clone(), f["value"].clone()))
            .collect()
    };
    assert_eq!(
        of("Payload: data entities exist", "data/obj-002_v1.csv"),
        [(Value::Null, Value::Null)]
    );
    let wrong = of("Payload: sizes and checksums match", "data/obj-003_v1.md");
    let properties: Vec<&str> = wrong.iter().map(|(p, _)| p.as_str().unwrap()).collect();
    assert_eq!(
        properties,
        ["schema:contentSize", "schema:sha256"],
        "{wrong:?}"
    );
    let mut metadata = metadata(&dir);
    let claimed = entity(&mut metadata, "data/obj-003_v1.md");
    assert_eq!(
        wrong[0].1,
        claimed["contentSize"].to_string().trim_matches('"')
    );
    assert_eq!(wrong[1].1, claimed["sha256"]);
}

fn write_zip(path: &Path, entries: &[(&str, Vec<u8>, zip::CompressionMethod)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes, method) in entries {
        let options = zip::write::SimpleFileOptions::default().compression_method(*method);
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn zips_are_read_in_place_and_never_trusted() {
    let (f, dir) = release("zips");
    let metadata = std::fs::read(dir.join("ro-crate-metadata.json")).unwrap();
    let mut entries: Vec<(&str, Vec<u8>, zip::CompressionMethod)> = vec![(
        "ro-crate-metadata.json",
        metadata.clone(),
        zip::CompressionMethod::Deflated,
    )];
    let names = [
        "data/obj-001_v2.csv",
        "data/obj-002_v1.csv",
        "data/obj-003_v1.md",
        "data/obj-004_v1.png",
    ];
    for name in names {
        entries.push((
            name,
            std::fs::read(dir.join(name)).unwrap(),
            zip::CompressionMethod::Deflated,
        ));
    }
    // In a single top folder, as zips of a directory often are: still found.
    let nested: Vec<(String, Vec<u8>)> = entries
        .iter()
        .map(|(n, b, _)| (format!("crate/{n}"), b.clone()))
        .collect();
    let folder_zip = f.scratch.join("folder.zip");
    let nested_refs: Vec<(&str, Vec<u8>, zip::CompressionMethod)> = nested
        .iter()
        .map(|(n, b)| (n.as_str(), b.clone(), zip::CompressionMethod::Stored))
        .collect();
    write_zip(&folder_zip, &nested_refs);
    let (code, report) = validate(&[folder_zip.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");

    let evil = f.scratch.join("evil.zip");
    let mut with_escape = entries.clone();
    with_escape.push((
        "../../escape.txt",
        b"gotcha".to_vec(),
        zip::CompressionMethod::Stored,
    ));
    with_escape.push((
        "data/bomb.bin",
        vec![0u8; 64 << 20],
        zip::CompressionMethod::Deflated,
    ));
    write_zip(&evil, &with_escape);
    let (code, report) = validate(&[evil.to_str().unwrap()]);
    assert_eq!(code, 1, "{report:#}");
    has(
        &report,
        "REQUIRED",
        "Payload: paths stay inside the crate",
        "../../escape.txt",
    );
    has(
        &report,
        "REQUIRED",
        "Payload: zip entries are not zip bombs",
        "data/bomb.bin",
    );
    assert!(!f
        .scratch
        .path()
        .parent()
        .unwrap()
        .join("escape.txt")
        .exists());

    let unreadable = f.scratch.join("broken.zip");
    std::fs::write(&unreadable, b"PK\x03\x04 this is not really a zip").unwrap();
    let output = trecrate(&["validate", unreadable.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unreadable zip"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unreadable_crates_exit_2_with_a_clear_message() {
    let scratch = Scratch::new("not-crates");
    let empty = scratch.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let dir_metadata = scratch.join("dir-metadata");
    std::fs::create_dir_all(dir_metadata.join("ro-crate-metadata.json")).unwrap();
    let text = scratch.join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    for (path, message) in [
        (empty.clone(), "no ro-crate-metadata.json"),
        (dir_metadata.clone(), "is a directory"),
        (text.clone(), "not an RO-Crate"),
        (scratch.join("nowhere"), "no such file"),
    ] {
        let output = trecrate(&["validate", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{}", path.display());
        assert!(
            stderr(&output).contains(message),
            "{}: {}",
            path.display(),
            stderr(&output)
        );
    }
    // One good crate and one unreadable: the worst outcome wins, and the good one is reported.
    let (_f, dir) = release("mixed");
    let output = trecrate(&["validate", dir.to_str().unwrap(), empty.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stdout).contains("PASSED"));
}

#[test]
fn a_large_metadata_file_is_bounded() {
    let (f, dir) = release("large");
    let mut m = metadata(&dir);
    entity(&mut m, "./")["description"] = "x".repeat(100 << 20).into();
    write_metadata(&dir, &m);
    let (code, report) = validate(&[dir.to_str().unwrap()]);
    assert_eq!(
        code, 0,
        "a 100 MB description is large but valid: {report:#}"
    );
    let output = trecrate(&[
        "validate",
        dir.to_str().unwrap(),
        "--max-metadata-bytes",
        "1000000",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("over the 1000000-byte limit"),
        "{}",
        stderr(&output)
    );
    drop(f);
}

#[test]
fn levels_decide_what_counts_and_text_reports_group_by_severity() {
    let (_f, dir) = release("levels");
    std::fs::write(dir.join("data/extra.txt"), "stowaway").unwrap();
    let (code, report) = validate(&[dir.to_str().unwrap()]);
    assert_eq!(
        code, 0,
        "a RECOMMENDED finding does not count at the default level"
    );
    assert_eq!(report["findings"], json!([]));
    assert_eq!(report["statistics"]["findings"]["RECOMMENDED"], 1);
    let (code, report) = validate(&[dir.to_str().unwrap(), "--level", "recommended"]);
    assert_eq!(code, 1);
    assert_eq!(report["passed"], false);
    let output = trecrate(&["validate", dir.to_str().unwrap(), "--level", "optional"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("FAILED"), "{text}");
    assert!(text.contains("  RECOMMENDED (1)"), "{text}");
    assert!(
        text.contains("[Payload: every file is described] data/extra.txt"),
        "{text}"
    );
}

#[test]
fn turtle_reports_are_shacl_validation_reports() {
    let corpus = common::root().join("tests/corpus/sapporo/run-crate");
    let output = trecrate(&["validate", corpus.to_str().unwrap(), "--format", "turtle"]);
    assert_eq!(output.status.code(), Some(1));
    let store = oxigraph::store::Store::new().unwrap();
    store
        .load_from_reader(oxigraph::io::RdfFormat::Turtle, output.stdout.as_slice())
        .unwrap();
    let query = "PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT ?focus WHERE { ?r a sh:ValidationReport ; sh:conforms false ; sh:result ?x .
                              ?x sh:resultSeverity sh:Violation ; sh:focusNode ?focus } ORDER BY ?focus";
    let oxigraph::sparql::QueryResults::Solutions(rows) = oxigraph::sparql::SparqlEvaluator::new()
        .parse_query(query)
        .unwrap()
        .on_store(&store)
        .execute()
        .unwrap()
    else {
        panic!("not a SELECT")
    };
    let focus: Vec<String> = rows
        .map(|r| r.unwrap().get("focus").unwrap().to_string())
        .collect();
    // Its two missing outputs and its two logs, absent but for their embedded text.
    assert_eq!(focus.len(), 4, "{focus:?}");
    assert!(
        focus[0].ends_with("run-crate/outputs/ERR034597_1.small.fq.trimmed.1P.fq>"),
        "{focus:?}"
    );
    assert!(focus[3].ends_with("run-crate/stdout.log>"), "{focus:?}");
}

/// A small RO-Crate 1.2 crate (metadata only) that passes every 1.2 rule, to break in one way
/// per case.
fn crate_1_2() -> Value {
    json!({
        "@context": "https://w3id.org/ro/crate/1.2/context",
        "@graph": [
            {"@id": "ro-crate-metadata.json", "@type": "CreativeWork", "about": {"@id": "./"},
             "conformsTo": {"@id": "https://w3id.org/ro/crate/1.2"}},
            {"@id": "./", "@type": "Dataset", "name": "Survey", "description": "A survey.",
             "datePublished": "2024-01-01", "license": {"@id": "https://spdx.org/licenses/MIT"},
             "publisher": {"@id": "https://ror.org/03f0f6041"},
             "author": {"@id": "https://orcid.org/0000-0001-6121-5409"},
             "hasPart": [{"@id": "https://example.org/data.csv"}]},
            {"@id": "https://spdx.org/licenses/MIT", "@type": "CreativeWork", "name": "MIT",
             "description": "The MIT licence."},
            {"@id": "https://ror.org/03f0f6041", "@type": "Organization", "name": "UTS",
             "url": "https://ror.org/03f0f6041", "contactPoint": {"@id": "mailto:data@uts.example"}},
            {"@id": "mailto:data@uts.example", "@type": "ContactPoint", "name": "Data office",
             "email": "data@uts.example", "contactType": "data"},
            {"@id": "https://orcid.org/0000-0001-6121-5409", "@type": "Person", "name": "Tim"},
            {"@id": "https://example.org/data.csv", "@type": "File", "name": "Data",
             "encodingFormat": "text/csv", "contentSize": "10", "sdDatePublished": "2024-01-01"}
        ]
    })
}

/// Validates `crate_1_2()` changed by `change`: `expected` is `None` for a crate that must pass
/// at `level`, else the severity, check and entity of the finding it must have.
fn check_1_2(
    name: &str,
    change: impl FnOnce(&mut Value),
    level: &str,
    expected: Option<(&str, &str, &str)>,
) {
    let scratch = Scratch::new(name);
    let mut m = crate_1_2();
    change(&mut m);
    write_metadata(scratch.path(), &m);
    let (code, report) = validate(&[
        scratch.path().to_str().unwrap(),
        "--metadata-only",
        "--level",
        level,
    ]);
    assert_eq!(report["profile"], json!(["ro-crate-1.2"]), "{name}");
    match expected {
        None => assert_eq!(code, 0, "{name}: {report:#}"),
        Some((severity, check, entity)) => {
            assert_eq!(code, 1, "{name}: {report:#}");
            has(&report, severity, check, entity);
        }
    }
}

fn add(m: &mut Value, entity: Value) {
    m["@graph"].as_array_mut().unwrap().push(entity);
}

#[test]
fn ro_crate_1_2_checks_from_the_shapes() {
    check_1_2("valid-1.2", |_| {}, "optional", None);
    check_1_2(
        "not-ror",
        |m| {
            entity(m, "https://ror.org/03f0f6041")["@id"] = "https://uts.example/".into();
            entity(m, "./")["publisher"] = json!({"@id": "https://uts.example/"});
        },
        "recommended",
        Some(("RECOMMENDED", "Organization (1.2)", "https://uts.example/")),
    );
    check_1_2(
        "contact-not-contactpoint",
        |m| entity(m, "mailto:data@uts.example")["@type"] = "Thing".into(),
        "recommended",
        Some((
            "RECOMMENDED",
            "Organization (1.2)",
            "https://ror.org/03f0f6041",
        )),
    );
    check_1_2(
        "nobody-to-contact",
        |m| {
            entity(m, "https://ror.org/03f0f6041")
                .as_object_mut()
                .unwrap()
                .remove("contactPoint");
        },
        "recommended",
        Some(("RECOMMENDED", "Root Data Entity: contact", "./")),
    );
    check_1_2(
        "person-contact",
        |m| {
            entity(m, "https://orcid.org/0000-0001-6121-5409")["contactPoint"] =
                json!({"@id": "https://ror.org/03f0f6041"});
        },
        "recommended",
        Some((
            "RECOMMENDED",
            "Person: contactPoint",
            "https://orcid.org/0000-0001-6121-5409",
        )),
    );
    check_1_2(
        "identifier-string",
        |m| entity(m, "./")["identifier"] = "10.5281/zenodo.1".into(),
        "recommended",
        Some(("RECOMMENDED", "Root Data Entity: identifier", "./")),
    );
    check_1_2(
        "identifier-propertyvalue",
        |m| {
            entity(m, "./")["identifier"] = json!({"@id": "#doi"});
            add(
                m,
                json!({"@id": "#doi", "@type": "PropertyValue", "propertyID": "DOI", "value": "10.5281/zenodo.1"}),
            );
        },
        "optional",
        None,
    );
    check_1_2(
        "person-funder",
        |m| entity(m, "./")["funder"] = json!({"@id": "https://orcid.org/0000-0001-6121-5409"}),
        "recommended",
        Some(("RECOMMENDED", "Root Data Entity: funder", "./")),
    );
    check_1_2(
        "grant-without-funder",
        |m| {
            entity(m, "./")["mentions"] = json!({"@id": "#grant"});
            add(m, json!({"@id": "#grant", "@type": "Grant", "name": "G-1"}));
        },
        "recommended",
        Some(("RECOMMENDED", "Root Data Entity: funder", "./")),
    );
    check_1_2(
        "project-org-without-funder",
        |m| {
            entity(m, "./")["funder"] = json!({"@id": "#project"});
            add(
                m,
                json!({"@id": "#project", "@type": "Organization", "name": "Project"}),
            );
        },
        "recommended",
        Some(("RECOMMENDED", "Funding: project Organization", "#project")),
    );
    check_1_2(
        "conforms-to-non-profile",
        |m| entity(m, "./")["conformsTo"] = json!({"@id": "https://example.org/profile"}),
        "required",
        Some(("REQUIRED", "Root Data Entity: conformsTo profiles", "./")),
    );
    check_1_2(
        "profile-not-declared",
        |m| {
            add(
                m,
                json!({"@id": "https://example.org/profile", "@type": ["CreativeWork", "Profile"], "name": "P"}),
            )
        },
        "recommended",
        Some(("RECOMMENDED", "Root Data Entity: conformsTo profiles", "./")),
    );
    check_1_2(
        "percent-encoded-id",
        |m| {
            entity(m, "https://orcid.org/0000-0001-6121-5409")["affiliation"] =
                json!({"@id": "#donn%C3%A9es"});
            add(
                m,
                json!({"@id": "#donn%C3%A9es", "@type": "Organization", "name": "D"}),
            );
        },
        "recommended",
        Some((
            "RECOMMENDED",
            "Entity identifier: native UTF-8",
            "#donn%C3%A9es",
        )),
    );
    check_1_2(
        "file-uri-with-host",
        |m| {
            entity(m, "./")["hasPart"] = json!([{"@id": "file://./x.csv"}]);
            add(
                m,
                json!({"@id": "file://./x.csv", "@type": "File", "name": "x"}),
            );
        },
        "required",
        Some(("REQUIRED", "Data Entity: file URI", "file://./x.csv")),
    );
    check_1_2(
        "web-file-undated",
        |m| {
            entity(m, "https://example.org/data.csv")
                .as_object_mut()
                .unwrap()
                .remove("sdDatePublished");
        },
        "recommended",
        Some((
            "RECOMMENDED",
            "Web-based File Data Entity",
            "https://example.org/data.csv",
        )),
    );
    let detached = |m: &mut Value, part: &str| {
        entity(m, "ro-crate-metadata.json")["about"] = json!({"@id": "https://example.org/crate"});
        entity(m, "./")["@id"] = "https://example.org/crate".into();
        let root = entity(m, "https://example.org/crate");
        root["hasPart"] = json!([{"@id": part}]);
    };
    check_1_2(
        "detached",
        |m| detached(m, "https://example.org/data.csv"),
        "optional",
        None,
    );
    check_1_2(
        "detached-with-a-path",
        |m| {
            detached(m, "data.csv");
            add(m, json!({"@id": "data.csv", "@type": "File", "name": "d"}));
        },
        "required",
        Some((
            "REQUIRED",
            "Detached crate: web-based Data Entities",
            "https://example.org/crate",
        )),
    );
    check_1_2(
        "unreachable-dataset",
        |m| add(m, json!({"@id": "sub/", "@type": "Dataset", "name": "s"})),
        "required",
        Some(("REQUIRED", "Root Data Entity (1.2)", "./")),
    );
    let referenced = |m: &mut Value| {
        entity(m, "./")["hasPart"]
            .as_array_mut()
            .unwrap()
            .push(json!({"@id": "https://example.org/other/"}));
        add(
            m,
            json!({"@id": "https://example.org/other/", "@type": "Dataset", "name": "Other",
                   "conformsTo": [{"@id": "https://w3id.org/ro/crate"}, {"@id": "https://w3id.org/ro/crate/1.2"}],
                   "subjectOf": {"@id": "#other-metadata"}, "sdDatePublished": "2024-01-01"}),
        );
        add(
            m,
            json!({"@id": "#other-metadata", "@type": "CreativeWork", "name": "Its metadata",
                   "encodingFormat": "application/ld+json"}),
        );
    };
    check_1_2("referenced", referenced, "recommended", None);
    check_1_2(
        "referenced-without-subject-of",
        |m| {
            referenced(m);
            entity(m, "https://example.org/other/")
                .as_object_mut()
                .unwrap()
                .remove("subjectOf");
        },
        "recommended",
        Some((
            "RECOMMENDED",
            "Referenced RO-Crate",
            "https://example.org/other/",
        )),
    );
    check_1_2(
        "referenced-undated",
        |m| {
            referenced(m);
            entity(m, "https://example.org/other/")
                .as_object_mut()
                .unwrap()
                .remove("sdDatePublished");
        },
        "recommended",
        Some((
            "RECOMMENDED",
            "Referenced RO-Crate",
            "https://example.org/other/",
        )),
    );
    check_1_2(
        "referenced-descriptor-about",
        |m| {
            referenced(m);
            entity(m, "#other-metadata")["about"] = json!({"@id": "https://example.org/other/"});
        },
        "recommended",
        Some((
            "RECOMMENDED",
            "Referenced RO-Crate: metadata descriptor",
            "#other-metadata",
        )),
    );
    check_1_2(
        "software-without-alternate-name",
        |m| {
            entity(m, "./")["mentions"] = json!({"@id": "https://example.org/tool"});
            add(
                m,
                json!({"@id": "https://example.org/tool", "@type": "SoftwareApplication",
                       "name": "Tool", "url": "https://example.org/tool", "version": "1"}),
            );
        },
        "optional",
        Some((
            "OPTIONAL",
            "SoftwareApplication or ComputerLanguage (1.2)",
            "https://example.org/tool",
        )),
    );
}

#[test]
fn validate_shapes_replace_a_profile_s_file_of_the_same_name_and_add_the_others() {
    let (f, dir) = release("own-shapes");
    let shapes = f.scratch.join("shapes");
    std::fs::create_dir_all(&shapes).unwrap();
    // An added profile of the user's: every File must have a `keywords`.
    std::fs::write(
        shapes.join("site.ttl"),
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix schema: <http://schema.org/> .\n\
         <#Files> a sh:NodeShape ; sh:name \"Site: keywords\" ; sh:targetClass schema:MediaObject ;\n\
           sh:property [ sh:path schema:keywords ; sh:minCount 1 ; sh:message \"keywords please\" ] .\n",
    )
    .unwrap();
    let args = |extra: &[&str]| {
        let mut a = vec![dir.to_str().unwrap().to_owned()];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |extra: &[&str]| {
        let owned = args(extra);
        validate(&owned.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (code, report) = run(&["--shapes", shapes.to_str().unwrap()]);
    assert_eq!(code, 1, "{report:#}");
    has(&report, "REQUIRED", "Site: keywords", "data/");
    // The same as one file; its findings name it as their profile.
    let (code, report) = run(&["--shapes", shapes.join("site.ttl").to_str().unwrap()]);
    assert_eq!(code, 1, "{report:#}");
    let profiles: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "Site: keywords")
        .map(|f| f["profile"].as_str().unwrap())
        .collect();
    assert!(
        !profiles.is_empty() && profiles.iter().all(|p| *p == "site.ttl"),
        "{profiles:?}"
    );
    // A file named like the release profile's replaces it: an empty one checks nothing more.
    std::fs::remove_file(shapes.join("site.ttl")).unwrap();
    std::fs::write(shapes.join("trecrate-release.ttl"), "").unwrap();
    edit(&dir, |m| {
        let root = entity(m, "./").as_object_mut().unwrap();
        root.remove("tre:airlockRequestId");
    });
    let (code, report) = run(&[]);
    assert_eq!(
        code, 1,
        "the built-in release profile sees the missing id: {report:#}"
    );
    let (code, report) = run(&["--shapes", shapes.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    // The payload rules are shapes too: a payload.ttl of the user's replaces them. One that
    // keeps only the existence rule lets an altered file pass, and still sees a missing one.
    std::fs::remove_file(shapes.join("trecrate-release.ttl")).unwrap();
    let builtin = std::fs::read_to_string(common::root().join("shapes/payload.ttl")).unwrap();
    let (prologue, rest) = builtin.split_once("payload:InsideRoot").unwrap();
    let exists = rest
        .split("\n\npayload:")
        .find(|s| s.starts_with("FileExists "))
        .unwrap();
    std::fs::write(
        shapes.join("payload.ttl"),
        format!("{prologue}payload:{exists}"),
    )
    .unwrap();
    let (_f2, dir) = release("own-payload-shapes");
    std::fs::write(dir.join("data/obj-001_v2.csv"), "altered").unwrap();
    let own = ["--shapes", shapes.to_str().unwrap()];
    let (code, report) = validate(&[dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{report:#}");
    has(
        &report,
        "REQUIRED",
        "Payload: sizes and checksums match",
        "data/obj-001_v2.csv",
    );
    let (code, report) = validate(&[&[dir.to_str().unwrap()][..], &own].concat());
    assert_eq!(code, 0, "{report:#}");
    std::fs::remove_file(dir.join("data/obj-001_v2.csv")).unwrap();
    let (code, report) = validate(&[&[dir.to_str().unwrap()][..], &own].concat());
    assert_eq!(code, 1, "{report:#}");
    has(
        &report,
        "REQUIRED",
        "Payload: data entities exist",
        "data/obj-001_v2.csv",
    );
}

/// A Profile Crate (RO-Crate 1.2 profiles.md) in DIR: its validation ResourceDescriptor's SHACL
/// file is checked, findings name the profile's @id, and what it is a profile of comes along.
#[test]
fn validate_profile_crate_checks_its_shacl_and_names_it_as_profile() {
    let (f, dir) = release("profile-crate");
    let profile = f.scratch.join("keywords-profile");
    std::fs::create_dir_all(&profile).unwrap();
    let id = "https://example.org/profiles/keywords/1.0";
    let metadata = |artifact: &str, format: &str| {
        json!({
            "@context": "https://w3id.org/ro/crate/1.2/context",
            "@graph": [
                {"@id": "ro-crate-metadata.json", "@type": "CreativeWork",
                 "conformsTo": {"@id": "https://w3id.org/ro/crate/1.2"}, "about": {"@id": id}},
                {"@id": id, "@type": ["Dataset", "Profile"], "name": "Keywords profile",
                 "isProfileOf": {"@id": "https://w3id.org/ro/crate/1.2"},
                 "hasPart": [{"@id": "index.html"}, {"@id": artifact}],
                 "hasResource": [{"@id": "#validation"}]},
                {"@id": "index.html", "@type": "File", "encodingFormat": "text/html"},
                {"@id": artifact, "@type": "File", "encodingFormat": format},
                {"@id": "#validation", "@type": "ResourceDescriptor",
                 "hasRole": {"@id": "http://www.w3.org/ns/dx/prof/role/validation"},
                 "hasArtifact": {"@id": artifact}}
            ]
        })
    };
    write_metadata(&profile, &metadata("shapes/keywords.ttl", "text/turtle"));
    std::fs::create_dir_all(profile.join("shapes")).unwrap();
    std::fs::write(
        profile.join("shapes/keywords.ttl"),
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix schema: <http://schema.org/> .\n\
         <#Files> a sh:NodeShape ; sh:name \"Keywords: every file\" ; sh:targetClass schema:MediaObject ;\n\
           sh:property [ sh:path schema:keywords ; sh:minCount 1 ; sh:message \"keywords please\" ] .\n",
    )
    .unwrap();
    let with = |profile: &Path| {
        validate(&[
            dir.to_str().unwrap(),
            "--profile-crate",
            profile.to_str().unwrap(),
        ])
    };
    let (code, report) = with(&profile);
    assert_eq!(code, 1, "{report:#}");
    let ours: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "Keywords: every file")
        .collect();
    assert!(!ours.is_empty(), "{report:#}");
    assert!(ours.iter().all(|f| f["profile"] == id), "{ours:#?}");
    assert_eq!(
        ours[0]["check_id"],
        format!("{id}/keywords-every-file"),
        "{ours:#?}"
    );
    // isProfileOf ro-crate-1.2: its shapes are checked too.
    let checked: Vec<&str> = report["profile"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(checked.contains(&"ro-crate-1.2"), "{checked:?}");

    // Offline: a validation resource elsewhere is an error that says so, before any crate.
    write_metadata(
        &profile,
        &metadata("https://example.org/shapes.ttl", "text/turtle"),
    );
    let refused = |profile: &Path, says: &str| {
        let output = trecrate(&[
            "validate",
            dir.to_str().unwrap(),
            "--profile-crate",
            profile.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr(&output).contains(says), "{}", stderr(&output));
    };
    refused(&profile, "fetches nothing");
    // No SHACL among its validation resources.
    write_metadata(&profile, &metadata("shapes/keywords.shex", "text/shex"));
    refused(&profile, "no SHACL resource");
    // Not a Profile Crate at all.
    refused(&dir, "not a Profile");
}

/// A crate directory of `metadata` with the files `files` (path, bytes).
fn crate_of(scratch: &Scratch, name: &str, metadata: Value, files: &[(&str, &[u8])]) -> PathBuf {
    let dir = scratch.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    write_metadata(&dir, &metadata);
    for (path, bytes) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, bytes).unwrap();
    }
    dir
}

/// A small RO-Crate 1.1 crate with one file, `a.txt`, changed by `change`.
fn small_crate(change: impl FnOnce(&mut Value)) -> Value {
    let mut m = json!({
        "@context": "https://w3id.org/ro/crate/1.1/context",
        "@graph": [
            {"@id": "ro-crate-metadata.json", "@type": "CreativeWork",
             "conformsTo": {"@id": "https://w3id.org/ro/crate/1.1"}, "about": {"@id": "./"}},
            {"@id": "./", "@type": "Dataset", "name": "x", "description": "y",
             "datePublished": "2024-05-01", "license": {"@id": "https://spdx.org/licenses/CC0-1.0"},
             "hasPart": [{"@id": "a.txt"}]},
            {"@id": "https://spdx.org/licenses/CC0-1.0", "@type": "CreativeWork", "name": "CC0"},
            {"@id": "a.txt", "@type": "File", "name": "a", "encodingFormat": "text/plain"}
        ]
    });
    change(&mut m);
    m
}

fn required(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "REQUIRED")
        .map(|f| {
            (
                f["check"].as_str().unwrap().to_owned(),
                f["entity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The fault classes a comparison with the reference validator on 242 crates found (issue 17),
/// each decided by the specification's words.
#[test]
fn rules_written_from_the_spec_not_from_habit() {
    let scratch = Scratch::new("spec-rules");
    let a = [("a.txt", &b"a\n"[..])];

    // root-data-entity.md: datePublished MUST be ISO 8601 and SHOULD be to the day; "2017" is
    // ISO 8601 (the spec's own example uses it).
    let dir = crate_of(
        &scratch,
        "year",
        small_crate(|m| m["@graph"][1]["datePublished"] = "2017".into()),
        &a,
    );
    let (code, report) = validate(&[dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    let (code, report) = validate(&[dir.to_str().unwrap(), "--level", "recommended"]);
    assert_eq!(code, 1);
    has(&report, "RECOMMENDED", "Root Data Entity", "./");

    // structure.md: a present ro-crate-preview.html MUST be a valid HTML 5 document.
    let dir = crate_of(
        &scratch,
        "preview",
        small_crate(|_| {}),
        &[
            ("a.txt", b"a\n"),
            ("ro-crate-preview.html", b"<html><body>x</body></html>"),
        ],
    );
    let (code, report) = validate(&[dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    has(
        &report,
        "REQUIRED",
        "Preview: HTML 5",
        "ro-crate-preview.html",
    );
    std::fs::write(
        dir.join("ro-crate-preview.html"),
        "<!DOCTYPE html>\n<html></html>",
    )
    .unwrap();
    assert_eq!(validate(&[dir.to_str().unwrap()]).0, 0);

    // data-entities.md (1.2): a File with a local # identifier is not a Data Entity, so it
    // need not be in hasPart.
    let dir = crate_of(
        &scratch,
        "local-file",
        small_crate(|m| {
            m["@graph"]
                .as_array_mut()
                .unwrap()
                .push(json!({"@id": "#log", "@type": "File", "name": "a log kind"}))
        }),
        &a,
    );
    let (code, report) = validate(&[dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");

    // data-entities.md: described files and directories MUST be present; embedding a File's
    // text does not make it present.
    let dir = crate_of(
        &scratch,
        "absent",
        small_crate(|m| {
            let graph = m["@graph"].as_array_mut().unwrap();
            graph[1]["hasPart"] =
                json!([{"@id": "a.txt"}, {"@id": "results/"}, {"@id": "log.txt"}]);
            graph.push(json!({"@id": "results/", "@type": "Dataset", "name": "results"}));
            graph.push(json!({"@id": "log.txt", "@type": "File", "name": "log", "text": "done\n"}));
        }),
        &a,
    );
    let (code, report) = validate(&[dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    let mut missing = required(&report);
    missing.sort();
    assert_eq!(
        missing,
        [
            (
                "Payload: data entities exist".to_owned(),
                "log.txt".to_owned()
            ),
            (
                "Payload: data entities exist".to_owned(),
                "results/".to_owned()
            )
        ]
    );

    // relative-uris appendix: the saved metadata SHOULD NOT have {"@base": null}; with it, its
    // entities are still the crate's and still checked.
    let dir = crate_of(
        &scratch,
        "base-null",
        small_crate(|m| {
            m["@context"] = json!(["https://w3id.org/ro/crate/1.1/context", {"@base": null}]);
            m["@graph"][3]["@id"] = "b.txt".into();
            m["@graph"][1]["hasPart"] = json!([{"@id": "b.txt"}]);
        }),
        &a,
    );
    let (code, report) = validate(&[dir.to_str().unwrap(), "--level", "recommended"]);
    assert_eq!(code, 1);
    assert_eq!(
        required(&report),
        [(
            "Payload: data entities exist".to_owned(),
            "b.txt".to_owned()
        )],
        "{report:#}"
    );
    has(
        &report,
        "RECOMMENDED",
        "Metadata: JSON-LD context",
        "ro-crate-metadata.json",
    );
}

/// data-entities.md: "all @id identifiers must be valid URI references ... escape special
/// characters like space (%20)". An @id with a space is named by a REQUIRED finding that says
/// how to write it, and its file is still looked up, by its name.
#[test]
fn an_id_that_is_not_a_uri_reference_is_named_and_its_file_still_checked() {
    let scratch = Scratch::new("spaced-id");
    let spaced = |m: &mut Value| {
        m["@graph"][3]["@id"] = "pics/a b.jpg".into();
        m["@graph"][1]["hasPart"] = json!([{"@id": "pics/a b.jpg"}]);
    };
    let present = crate_of(
        &scratch,
        "present",
        small_crate(spaced),
        &[("pics/a b.jpg", b"jpg")],
    );
    let (code, report) = validate(&[present.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        required(&report),
        [(
            "Metadata: entity identifiers".to_owned(),
            "pics/a b.jpg".to_owned()
        )],
        "{report:#}"
    );
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("pics/a%20b.jpg"), "{message}");
    let absent = crate_of(&scratch, "absent", small_crate(spaced), &[]);
    let (_, report) = validate(&[absent.to_str().unwrap()]);
    let mut found = required(&report);
    found.sort();
    assert_eq!(
        found,
        [
            (
                "Metadata: entity identifiers".to_owned(),
                "pics/a b.jpg".to_owned()
            ),
            // The payload finding names the entity as it should have been written.
            (
                "Payload: data entities exist".to_owned(),
                "pics/a%20b.jpg".to_owned()
            )
        ]
    );
}

/// Nothing silently dropped: in every crate of tests/corpus, each @id of the JSON is a subject
/// of the graph trecrate checked, or is named by one of its findings.
#[test]
fn every_id_of_every_corpus_crate_is_in_the_graph_or_named_by_a_finding() {
    use trecrate::validate::{check, ValidateOptions, BASE};
    fn crates(dir: &Path, out: &mut Vec<PathBuf>) {
        if dir.join("ro-crate-metadata.json").is_file() {
            out.push(dir.to_owned());
        }
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                crates(&path, out);
            }
        }
    }
    let mut all = Vec::new();
    crates(&common::root().join("tests/corpus"), &mut all);
    assert!(all.len() > 100, "only {} crates found", all.len());
    let options = ValidateOptions {
        metadata_only: true,
        ..ValidateOptions::default()
    };
    let mut dropped = Vec::new();
    for dir in &all {
        let metadata = std::fs::read(dir.join("ro-crate-metadata.json")).unwrap();
        let Ok(json) = serde_json::from_slice::<Value>(&metadata) else {
            continue;
        };
        let Ok(checked) = check(dir, &options) else {
            continue;
        };
        let named: std::collections::HashSet<&str> = checked
            .report
            .findings
            .iter()
            .map(|f| f.entity.as_str())
            .collect();
        let subjects: std::collections::HashSet<String> = match &checked.graph {
            Some(graph) => graph
                .quads()
                .unwrap()
                .into_iter()
                .map(|q| match q.subject {
                    oxigraph::model::NamedOrBlankNode::NamedNode(n) => n.into_string(),
                    other => other.to_string(),
                })
                .collect(),
            None => Default::default(),
        };
        // A document whose JSON-LD could not be read is named by the finding that says so.
        if checked.graph.is_none() {
            assert!(!checked.report.findings.is_empty(), "{}", dir.display());
            continue;
        }
        let base = oxiri::Iri::parse(BASE.to_owned()).unwrap();
        for entity in json["@graph"].as_array().into_iter().flatten() {
            let Some(id) = entity["@id"].as_str() else {
                continue;
            };
            let resolved = base.resolve(id).map(|i| i.into_inner());
            let in_graph = resolved.as_ref().is_ok_and(|iri| subjects.contains(iri))
                || id.starts_with("_:")
                || id == "ro-crate-metadata.json";
            if !in_graph && !named.contains(id) {
                dropped.push(format!("{}: {id}", dir.display()));
            }
        }
    }
    assert!(
        dropped.is_empty(),
        "dropped without a word:\n{}",
        dropped.join("\n")
    );
}
