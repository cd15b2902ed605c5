//! The archive: releases recorded in a persistent store, ingest, the auditors' built-in
//! queries (answers checked exactly), atomicity, and the query CLI's errors.

mod common;

use common::{command, copy_dir, root, rows, stderr, Archive, Scratch};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn column(rows: &[Vec<String>], i: usize) -> Vec<&str> {
    rows.iter().map(|r| r[i].as_str()).collect()
}

/// The metadata of a released crate, as JSON.
fn metadata(out: &Path, request: &str) -> Value {
    let path = out.join(format!("ro-crate-{request}/ro-crate-metadata.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `@id`s of the entities of a released crate whose `key` equals `value`: the oracle the
/// archive's answers are checked against, read from the JSON rather than from the store.
fn ids_with(out: &Path, request: &str, key: &str, value: &str) -> Vec<String> {
    metadata(out, request)["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e[key].as_str() == Some(value))
        .map(|e| e["@id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn builtin_queries_answer_exactly() {
    let archive = Archive::new("archive-builtins");
    archive.release_all();

    let releases = archive.builtin("releases", &[]);
    assert_eq!(
        column(&releases, 0),
        [
            "AR-2024-0107",
            "AR-2025-0042",
            "AR-2025-0115",
            "AR-2026-0003"
        ]
    );
    assert_eq!(column(&releases, 2), ["3", "4", "3", "1"], "file counts");
    for (row, request) in releases.iter().zip([
        "AR-2024-0107",
        "AR-2025-0042",
        "AR-2025-0115",
        "AR-2026-0003",
    ]) {
        let record: Value = serde_json::from_slice(
            &std::fs::read(
                archive
                    .out()
                    .join(format!("ro-crate-{request}.release.json")),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            row[1], "2026-01-01T00:00:00Z",
            "released_at from SOURCE_DATE_EPOCH"
        );
        assert_eq!(row[3], record["zip"]["sha256"].as_str().unwrap());
        assert!(
            row[4].ends_with(&format!("ro-crate-{request}.zip")),
            "{}",
            row[4]
        );
        assert_eq!(row[5], "true");
    }

    // The admissions table of AR-2025-0042 was re-released unchanged in AR-2025-0115.
    let shared = "55e5b36e";
    let sha = metadata(&archive.out(), "AR-2025-0042")["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["sha256"].as_str())
        .find(|s| s.starts_with(shared))
        .unwrap()
        .to_owned();
    let found = archive.builtin(
        "release-by-checksum",
        &[&format!("sha256={}", sha.to_uppercase())],
    );
    let expected: Vec<(String, String)> = ["AR-2025-0042", "AR-2025-0115"]
        .iter()
        .flat_map(|r| {
            ids_with(&archive.out(), r, "sha256", &sha)
                .into_iter()
                .map(move |id| (r.to_string(), id))
        })
        .collect();
    assert_eq!(expected.len(), 2);
    let got: Vec<(String, String)> = found.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    assert_eq!(got, expected);
    assert!(found
        .iter()
        .all(|r| r[4].ends_with(".zip") && r[5].len() == 64));
    assert!(archive
        .builtin(
            "release-by-checksum",
            &[&format!("sha256={}", "0".repeat(64))]
        )
        .is_empty());

    // Checkers by name, by ORCID and by TRE user id; only approving reviews count.
    let by = |who: &str| {
        let rows = archive.builtin("releases-by-checker", &[&format!("checker={who}")]);
        column(&rows, 0)
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        by("Tomás Reyes"),
        ["AR-2024-0107", "AR-2025-0042", "AR-2026-0003"]
    );
    assert_eq!(
        by("https://orcid.org/0000-0003-1419-2405"),
        ["AR-2024-0107", "AR-2025-0115"]
    );
    assert_eq!(by("u-0030"), ["AR-2025-0115", "AR-2026-0003"]);
    assert_eq!(
        by("Ada Okafor"),
        Vec::<String>::new(),
        "the researcher approved nothing"
    );

    // Projects by id or name, and periods on the calendar date of datePublished.
    let project = |params: &[&str]| {
        let rows = archive.builtin("releases-by-project", params);
        column(&rows, 0)
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        project(&["project=PRJ-017"]),
        ["AR-2025-0042", "AR-2025-0115"]
    );
    assert_eq!(
        project(&["project=PRJ-017", "from=2025-06-01"]),
        ["AR-2025-0115"]
    );
    assert_eq!(
        project(&["project=Cardiology outcomes cohort", "to=2025-12-31"]),
        ["AR-2024-0107"]
    );
    assert_eq!(
        project(&["project=PRJ-044", "from=2026-01-20", "to=2026-01-20"]),
        ["AR-2026-0003"],
        "both ends included"
    );

    // "Every frequency table released from project PRJ-017 in 2025."
    let frequencies = archive.builtin("files-by-statbarn", &["statbarn=frequencies"]);
    let mut expected = Vec::new();
    for request in [
        "AR-2024-0107",
        "AR-2025-0042",
        "AR-2025-0115",
        "AR-2026-0003",
    ] {
        for id in ids_with(&archive.out(), request, "tre:statbarn", "frequencies") {
            expected.push((request.to_owned(), id));
        }
    }
    let mut got: Vec<(String, String)> = frequencies
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(got.len(), 5);
    let in_2025 = archive.builtin(
        "files-by-statbarn",
        &[
            "statbarn=frequencies",
            "project=PRJ-017",
            "from=2025-01-01",
            "to=2025-12-31",
        ],
    );
    assert_eq!(
        column(&in_2025, 0),
        [
            "AR-2025-0042",
            "AR-2025-0042",
            "AR-2025-0115",
            "AR-2025-0115"
        ]
    );

    assert!(archive.builtin("approval-anomalies", &[]).is_empty());

    // The timeline: audit trail, output checks, approval and archiving, in time order.
    let timeline = archive.builtin("request-timeline", &["request=AR-2024-0107"]);
    let events: Vec<(&str, &str)> = timeline[..9]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        events,
        [
            ("2024-11-02T08:15:00Z", "submitted"),
            ("2024-11-04T10:30:00Z", "changes_requested"),
            ("2024-11-04T10:30:00Z", "output check: changes_requested"),
            ("2024-11-06T16:00:00Z", "resubmitted"),
            ("2024-11-07T09:40:00Z", "output check: approved"),
            ("2024-11-08T14:02:11Z", "approved"),
            ("2024-11-08T14:02:11Z", "output check: approved"),
            ("2024-11-08T14:02:11.250Z", "approval"),
            ("2024-11-08T14:05:00Z", "releasing"),
        ]
    );
    assert_eq!(timeline[9][0], "2026-01-01T00:00:00Z");
    assert!(
        timeline[9][1].starts_with("archived (metadata sha256 "),
        "{:?}",
        timeline[9]
    );
    assert_eq!(timeline.len(), 10);
    assert_eq!(timeline[2][2], "Tomás Reyes", "who: the checker's name");
}

#[test]
fn anomalies_are_found_in_crates_ingested_with_force() {
    let archive = Archive::new("archive-anomalies");
    let output = archive.release("release-AR-2025-0042", &["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    // Another TRE's crate where one checker approved alone, and that checker is the author.
    let tampered = archive.scratch.join("AR-2025-0900");
    copy_dir(&archive.out().join("ro-crate-AR-2025-0042"), &tampered);
    let path = tampered.join("ro-crate-metadata.json");
    let mut json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let author = json["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["@id"] == "./")
        .unwrap()["author"]["@id"]
        .as_str()
        .unwrap()
        .to_owned();
    for entity in json["@graph"].as_array_mut().unwrap() {
        if entity["@id"] == "./" {
            entity["tre:airlockRequestId"] = "AR-2025-0900".into();
        }
        if entity["@type"] == "AssessAction" || entity["@type"] == "CreateAction" {
            entity["agent"] = serde_json::json!({ "@id": author });
        }
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();

    let refused = archive.run(&["ingest", tampered.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("REQUIRED"),
        "{}",
        stderr(&refused)
    );
    assert!(
        archive.builtin("approval-anomalies", &[]).is_empty(),
        "refused means not archived"
    );

    let forced = archive.run(&["ingest", tampered.to_str().unwrap(), "--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    let anomalies = archive.builtin("approval-anomalies", &[]);
    assert_eq!(anomalies.len(), 1, "{anomalies:?}");
    assert_eq!(anomalies[0][0], "AR-2025-0900");
    assert_eq!(anomalies[0][1], "1", "one distinct approving checker");
    assert_eq!(anomalies[0][2], "true", "self-approval");
}

#[test]
fn recording_again_is_a_no_op_and_new_content_needs_force() {
    let archive = Archive::new("archive-versions");
    assert!(archive
        .release("release-AR-2025-0042", &["--quiet"])
        .status
        .success());
    let again = archive.release("release-AR-2025-0042", &["--quiet", "--force"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stderr(&again).contains("unchanged"), "{}", stderr(&again));
    assert_eq!(archive.builtin("releases", &[]).len(), 1);

    // The same request with a different title: refused without --force, before writing.
    let fixture = Scratch::new("archive-versions-export");
    copy_dir(
        &root().join("examples/release-AR-2025-0042"),
        fixture.path(),
    );
    let export = fixture.join("release.json");
    let mut json: Value = serde_json::from_slice(&std::fs::read(&export).unwrap()).unwrap();
    json["request"]["title"] = "Regional admissions, corrected title".into();
    std::fs::write(&export, serde_json::to_vec(&json).unwrap()).unwrap();
    let elsewhere = fixture.join("out");
    let quarantine = fixture.join("quarantine");
    let release = |extra: &[&str]| {
        let extra = [&["--quiet"], extra].concat();
        archive.release_export(&export, &quarantine, &elsewhere, &extra)
    };
    let refused = release(&[]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("already archived with different content"));
    assert!(common::list_files(&elsewhere).is_empty(), "nothing written");

    let forced = release(&["--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    let versions = archive.builtin("releases", &[]);
    assert_eq!(versions.len(), 2);
    let current: BTreeSet<&str> = column(&versions, 5).into_iter().collect();
    assert_eq!(current, BTreeSet::from(["false", "true"]));
    // The old version stays queryable, in its own graph.
    let titles = archive.run(&[
        "query",
        "--format",
        "csv",
        "PREFIX schema: <http://schema.org/> SELECT ?title WHERE { GRAPH ?g { <arcp://name,AR-2025-0042/> schema:name ?title } } ORDER BY ?title",
    ]);
    let text = String::from_utf8(titles.stdout).unwrap();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "title",
            "Regional admissions and HbA1c model outputs",
            "\"Regional admissions, corrected title\"",
        ]
    );
}

#[test]
fn ingest_reads_zips_and_foreign_crates() {
    let released = Archive::new("archive-ingest-source");
    assert!(released
        .release("release-AR-2024-0107", &["--quiet"])
        .status
        .success());
    let zip = released.out().join("ro-crate-AR-2024-0107.zip");

    // Ingesting the release's zip into the archive that recorded it changes nothing.
    let same = released.run(&["ingest", zip.to_str().unwrap()]);
    assert!(same.status.success(), "{}", stderr(&same));
    assert!(String::from_utf8_lossy(&same.stdout).contains("unchanged"));

    // Into a fresh archive: the same graph IRI, and the zip's own checksum as the record's.
    let fresh = Archive::new("archive-ingest-fresh");
    let output = fresh.run(&["ingest", zip.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let a = released.builtin("releases", &[]);
    let b = fresh.builtin("releases", &[]);
    assert_eq!(
        a[0][6], b[0][6],
        "graph IRI derived from request id and metadata"
    );
    assert_eq!(a[0][3], b[0][3], "zip sha256");
    assert_eq!(a[0][2], b[0][2], "file count");
    let triples = |archive: &Archive| {
        let out = archive.run(&["query", "--format", "csv", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER (?g != <urn:trecrate:records>) }"]);
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        triples(&released),
        triples(&fresh),
        "same triples from JSON-LD as from CONSTRUCT"
    );

    // A crate written by another tool: refused while its outputs are missing, archived with
    // --metadata-only under its folder name.
    let sapporo = root().join("tests/corpus/sapporo/run-crate");
    let refused = fresh.run(&["ingest", sapporo.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let ok = fresh.run(&["ingest", sapporo.to_str().unwrap(), "--metadata-only"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let names = fresh.builtin("releases", &[]);
    let names: BTreeSet<&str> = column(&names, 0).into_iter().collect();
    assert_eq!(names, BTreeSet::from(["AR-2024-0107", "run-crate"]));
}

#[test]
fn validate_ingest_and_query_follow_the_tre_namespace_a_release_was_made_in() {
    const NS: &str = "https://tre.example.org/terms#";
    let released = Archive::new("archive-namespace");
    let output = released.release("release-AR-2025-0042", &["--quiet", "--tre-namespace", NS]);
    assert!(output.status.success(), "{}", stderr(&output));
    let crate_dir = released.out().join("ro-crate-AR-2025-0042");

    // The release profile finds the tre: terms where it is told they are.
    let validate = |namespace: Option<&str>| {
        let mut validate = command();
        if let Some(ns) = namespace {
            validate.env("TRECRATE_TRE_NAMESPACE", ns);
        }
        validate.arg("validate").arg(&crate_dir).output().unwrap()
    };
    let elsewhere = validate(None);
    assert_eq!(elsewhere.status.code(), Some(1), "{}", stderr(&elsewhere));
    assert!(String::from_utf8_lossy(&elsewhere.stdout).contains("tre:statbarn"));
    let there = validate(Some(NS));
    let report = String::from_utf8_lossy(&there.stdout);
    assert!(there.status.success(), "{report}");
    assert!(report.contains("trecrate-release"), "{report}");

    // So do the auditors' queries.
    let statbarn = |extra: &[&str]| {
        let mut args = vec![
            "query",
            "--builtin",
            "files-by-statbarn",
            "--param",
            "statbarn=frequencies",
            "--format",
            "json",
        ];
        args.extend(extra);
        let output = released.run(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        rows(&output.stdout)
    };
    let mut expected = ids_with(
        &released.out(),
        "AR-2025-0042",
        "tre:statbarn",
        "frequencies",
    );
    expected.sort();
    assert!(!expected.is_empty());
    let found = statbarn(&["--tre-namespace", NS]);
    let mut paths: Vec<String> = column(&found, 1).into_iter().map(str::to_owned).collect();
    paths.sort();
    assert_eq!(paths, expected);
    assert!(statbarn(&[]).is_empty(), "nothing in the default namespace");

    // And ingest, which reads the request id from tre:airlockRequestId.
    let fresh = Archive::new("archive-namespace-ingest");
    let zip = released.out().join("ro-crate-AR-2025-0042.zip");
    let refused = fresh.run(&["ingest", zip.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let ingested = fresh.run(&["ingest", zip.to_str().unwrap(), "--tre-namespace", NS]);
    assert!(ingested.status.success(), "{}", stderr(&ingested));
    assert!(
        String::from_utf8_lossy(&ingested.stdout).contains("AR-2025-0042 archived"),
        "{}",
        String::from_utf8_lossy(&ingested.stdout)
    );

    let bad = fresh.run(&["query", "--list", "--tre-namespace", "tre"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--tre-namespace"), "{}", stderr(&bad));
}

#[test]
fn a_failure_between_graph_and_record_leaves_nothing() {
    let archive = Archive::new("archive-atomic");
    for how in ["error", "abort"] {
        let output = command()
            .env_remove("TRECRATE_NO_STORE")
            .env("TRECRATE_FAIL_AT", "between-graph-and-record")
            .env("TRECRATE_FAIL_HOW", how)
            .args([
                "release",
                root()
                    .join("examples/release-AR-2025-0042/release.json")
                    .to_str()
                    .unwrap(),
                "--quarantine",
                root()
                    .join("examples/release-AR-2025-0042/quarantine")
                    .to_str()
                    .unwrap(),
                "--out",
                archive
                    .scratch
                    .join(&format!("out-{how}"))
                    .to_str()
                    .unwrap(),
                "--quiet",
                "--store",
                archive.store().to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{how}");
        if how == "error" {
            assert_eq!(output.status.code(), Some(2));
            assert!(
                stderr(&output).contains("failure injected"),
                "{}",
                stderr(&output)
            );
        }
        // Nothing of it in the store, which still opens and answers.
        let count = archive.run(&[
            "query",
            "--format",
            "csv",
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
        ]);
        assert!(count.status.success(), "{}", stderr(&count));
        assert_eq!(String::from_utf8(count.stdout).unwrap(), "n\r\n0\r\n");
    }
    // And the store is usable: the same release now goes in whole.
    let output = archive.release("release-AR-2025-0042", &["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(archive.builtin("releases", &[]).len(), 1);
}

#[test]
fn killed_releases_leave_the_whole_release_or_nothing() {
    let archive = Archive::new("archive-kill");
    let export = common::synthetic_export(archive.scratch.path(), 2000);
    let mut outcomes = BTreeSet::new();
    for (i, delay_ms) in [50u64, 150, 300, 450, 600, 800, 1000, 1300]
        .iter()
        .enumerate()
    {
        let out = archive.scratch.join(&format!("out-{i}"));
        let mut child = command()
            .env_remove("TRECRATE_NO_STORE")
            .args([
                "release",
                export.to_str().unwrap(),
                "--quarantine",
                archive.scratch.join("quarantine").to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--quiet",
                "--force",
                "--store",
                archive.store().to_str().unwrap(),
            ])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(*delay_ms));
        let _ = child.kill();
        let status = child.wait().unwrap();
        let n = archive.quads();
        outcomes.insert((status.success(), n));
        if n > 0 {
            let releases = archive.builtin("releases", &[]);
            assert_eq!(releases.len(), 1, "one whole release");
            assert_eq!(releases[0][2], "2000");
        }
    }
    // Whatever the moment of the kill: nothing, or one whole release (always the same count).
    let counts: BTreeSet<u64> = outcomes
        .iter()
        .map(|(_, n)| *n)
        .filter(|n| *n > 0)
        .collect();
    assert!(counts.len() <= 1, "{outcomes:?}");
    let complete = archive.release_synthetic_complete(&export);
    assert!(
        counts.iter().all(|n| *n == complete),
        "{outcomes:?} vs {complete}"
    );
}

impl Archive {
    /// Releases the synthetic export to completion and returns the archive's quad count.
    fn release_synthetic_complete(&self, export: &Path) -> u64 {
        let output = self.run(&[
            "release",
            export.to_str().unwrap(),
            "--quarantine",
            self.scratch.join("quarantine").to_str().unwrap(),
            "--out",
            self.scratch.join("out-final").to_str().unwrap(),
            "--quiet",
            "--force",
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        self.quads()
    }

    /// How many quads the archive holds, records included.
    fn quads(&self) -> u64 {
        let out = self.run(&[
            "query",
            "--format",
            "csv",
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap()
    }
}

#[test]
fn query_errors_are_clear() {
    let archive = Archive::new("archive-query-errors");
    let missing = archive.run(&["query", "ASK {}"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("no archive here yet"),
        "{}",
        stderr(&missing)
    );

    assert!(archive
        .release("release-AR-2025-0042", &["--quiet"])
        .status
        .success());
    let update = archive.run(&["query", "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }"]);
    assert_eq!(update.status.code(), Some(1));
    assert!(
        stderr(&update).contains("SPARQL Update is refused"),
        "{}",
        stderr(&update)
    );
    assert_eq!(archive.builtin("releases", &[]).len(), 1, "still there");

    let syntax = archive.run(&["query", "SELECT ?x WHERE {\n  ?x ?y \n}"]);
    assert_eq!(syntax.status.code(), Some(1));
    assert!(
        stderr(&syntax).contains("SPARQL syntax error"),
        "{}",
        stderr(&syntax)
    );
    assert!(
        stderr(&syntax).contains("3:"),
        "line and column: {}",
        stderr(&syntax)
    );

    for (params, message) in [
        (vec![], "missing --param sha256"),
        (vec!["sha256=xyz"], "not hexadecimal"),
        (vec!["sha256=ab", "colour=red"], "no parameter \"colour\""),
    ] {
        let mut args = vec!["query", "--builtin", "release-by-checksum"];
        for p in &params {
            args.extend(["--param", p]);
        }
        let output = archive.run(&args);
        assert_eq!(output.status.code(), Some(1), "{params:?}");
        assert!(
            stderr(&output).contains(message),
            "{params:?}: {}",
            stderr(&output)
        );
    }
    let date = archive.run(&[
        "query",
        "--builtin",
        "releases-by-project",
        "--param",
        "project=x",
        "--param",
        "from=2025-13-01",
    ]);
    assert!(stderr(&date).contains("not a date"), "{}", stderr(&date));
    let unknown = archive.run(&["query", "--builtin", "nope"]);
    assert!(
        stderr(&unknown).contains("known: approval-anomalies"),
        "{}",
        stderr(&unknown)
    );

    // A parameter value is bound, not spliced: SPARQL in it is just text.
    let injection = archive.builtin("releases-by-checker", &["checker=x\" || true || \""]);
    assert!(injection.is_empty());

    // Formats: a graph as Turtle, a SELECT as an aligned table.
    let turtle = archive.run(&[
        "query",
        "--format",
        "turtle",
        "CONSTRUCT { ?g a ?t } WHERE { ?g a ?t . FILTER (?t = trecrate:Release) } ",
    ]);
    assert_eq!(
        turtle.status.code(),
        Some(1),
        "trecrate: is not predeclared in queries"
    );
    let turtle = archive.run(&["query", "--format", "turtle", "PREFIX trecrate: <https://w3id.org/trecrate/archive#> CONSTRUCT { ?g a trecrate:Release } WHERE { ?g a trecrate:Release }"]);
    let text = String::from_utf8(turtle.stdout).unwrap();
    assert!(text.contains("a trecrate:Release"), "{text}");
    let mismatch = archive.run(&[
        "query",
        "--format",
        "csv",
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1",
    ]);
    assert!(
        stderr(&mismatch).contains("use turtle, ntriples or jsonld"),
        "{}",
        stderr(&mismatch)
    );
    let table = archive.run(&["releases"]);
    let text = String::from_utf8(table.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("request       releasedAt"), "{text}");
    assert!(lines[1].starts_with("------------  "), "{text}");
    assert_eq!(lines.last(), Some(&"(1 row)"));
    let listed = archive.run(&["query", "--list"]);
    let text = String::from_utf8(listed.stdout).unwrap();
    for name in [
        "release-by-checksum",
        "releases-by-checker",
        "releases-by-project",
        "files-by-statbarn",
        "approval-anomalies",
        "request-timeline",
    ] {
        assert!(text.contains(name), "{name} listed");
    }
}
