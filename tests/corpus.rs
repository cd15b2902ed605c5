//! Conformance: `trecrate validate` over crates other projects wrote, against the verdicts
//! their authors expect (tests/corpus/EXPECTED.tsv, from the Python reference validator's
//! suite). Rows where trecrate differs are listed with the reason: `disagreements.tsv` where
//! trecrate is right, `known-gaps.tsv` where a rule is still missing. A listed row that starts
//! to agree fails the test, so the lists never go stale.

mod common;

use common::{root, stderr, trecrate};
use std::collections::BTreeMap;

fn table(name: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(root().join("tests/corpus").join(name))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn listed(name: &str) -> BTreeMap<(String, String), String> {
    table(name)
        .into_iter()
        .map(|r| {
            (
                (r[0].clone(), r[1].clone()),
                r.get(2).cloned().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn verdicts_match_the_corpus_except_where_listed() {
    let map: BTreeMap<String, String> = table("check-map.tsv")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let disagreements = listed("disagreements.tsv");
    let gaps = listed("known-gaps.tsv");
    let mut problems = Vec::new();
    let mut matched = 0;
    for row in table("EXPECTED.tsv") {
        let (crate_dir, profile, level, expected, metadata_only, skipped) =
            (&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]);
        let mut args = vec![
            "validate".to_owned(),
            root()
                .join("tests/corpus")
                .join(crate_dir)
                .display()
                .to_string(),
            "--profile".into(),
            profile.clone(),
            "--level".into(),
            level.to_lowercase(),
        ];
        if metadata_only == "yes" {
            args.push("--metadata-only".into());
        }
        for id in skipped.split(',').filter(|s| !s.is_empty()) {
            if let Some(name) = map.get(id) {
                args.push("--skip-check".into());
                args.push(name.clone());
            }
        }
        let output = trecrate(&args);
        let got = match output.status.code() {
            Some(0) => "pass",
            Some(1) => "fail",
            _ => "error",
        };
        assert!(
            !stderr(&output).contains("panicked"),
            "{crate_dir}: {}",
            stderr(&output)
        );
        let key = (crate_dir.clone(), level.clone());
        let agrees = got == expected;
        match (
            agrees,
            disagreements.contains_key(&key) || gaps.contains_key(&key),
        ) {
            (true, false) => matched += 1,
            (false, true) => {}
            (true, true) => problems.push(format!(
                "{crate_dir} [{level}] now agrees ({got}): remove it from the lists"
            )),
            (false, false) => problems.push(format!(
                "{crate_dir} [{level}]: expected {expected}, trecrate says {got}\n{}",
                String::from_utf8_lossy(&output.stdout)
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(matched >= 90, "only {matched} rows agree");
}

/// Its two outputs were not committed upstream; its logs are absent too, with their content
/// embedded as `text`. RO-Crate 1.1 (data-entities.md): files represented as Data Entities "MUST
/// be present in the RO-Crate"; `text` does not change where a File's bytes are. The reference
/// validator reports the same four.
#[test]
fn sapporo_reports_exactly_its_missing_outputs_and_logs() {
    let output = trecrate(&[
        "validate",
        root()
            .join("tests/corpus/sapporo/run-crate")
            .to_str()
            .unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let required: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "REQUIRED")
        .map(|f| (f["check"].as_str().unwrap(), f["entity"].as_str().unwrap()))
        .collect();
    assert_eq!(
        required,
        [
            (
                "Payload: data entities exist",
                "outputs/ERR034597_1.small.fq.trimmed.1P.fq"
            ),
            (
                "Payload: data entities exist",
                "outputs/ERR034597_1.small.fq.trimmed.2P.fq"
            ),
            ("Payload: data entities exist", "stderr.log"),
            ("Payload: data entities exist", "stdout.log"),
        ]
    );
}
