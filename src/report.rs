//! Validation reports: text for people, JSON for programs. The JSON field names are stable and
//! documented in the README.

use crate::finding::{Finding, Level};
use crate::validate::CrateReport;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(rename = "crate")]
    crate_path: &'a str,
    profile: Vec<&'static str>,
    level: Level,
    passed: bool,
    findings: Vec<JsonFinding<'a>>,
    statistics: Statistics,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    severity: Level,
    check: &'a str,
    message: &'a str,
    entity: &'a str,
    property: Option<&'a str>,
    value: Option<&'a str>,
}

#[derive(Serialize)]
struct Statistics {
    checks_run: usize,
    checks_passed: usize,
    checks_failed: BTreeMap<Level, usize>,
    findings: BTreeMap<Level, usize>,
    duration_ms: u128,
}

fn counted(report: &CrateReport, level: Level) -> Vec<&Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.level <= level)
        .collect()
}

fn statistics(report: &CrateReport) -> Statistics {
    let mut failed: BTreeMap<Level, std::collections::BTreeSet<&str>> = BTreeMap::new();
    let mut findings = BTreeMap::new();
    for level in Level::ALL {
        failed.insert(level, Default::default());
        findings.insert(level, 0);
    }
    for f in &report.findings {
        failed.entry(f.level).or_default().insert(&f.check);
        *findings.entry(f.level).or_default() += 1;
    }
    let failed_any: std::collections::BTreeSet<&str> = failed.values().flatten().copied().collect();
    let run = report.checks.len().max(failed_any.len());
    Statistics {
        checks_run: run,
        checks_passed: run - failed_any.len(),
        checks_failed: failed.into_iter().map(|(l, s)| (l, s.len())).collect(),
        findings,
        duration_ms: report.duration_ms,
    }
}

/// One JSON document per crate, as an array when several crates were checked.
pub fn json(reports: &[CrateReport], level: Level) -> String {
    let docs: Vec<JsonReport<'_>> = reports
        .iter()
        .map(|r| JsonReport {
            crate_path: &r.crate_path,
            profile: r.profiles.iter().map(|p| p.name()).collect(),
            level,
            passed: r.passed(level),
            findings: counted(r, level)
                .into_iter()
                .map(|f| JsonFinding {
                    severity: f.level,
                    check: &f.check,
                    message: &f.message,
                    entity: &f.entity,
                    property: f.property.as_deref(),
                    value: f.value.as_deref(),
                })
                .collect(),
            statistics: statistics(r),
        })
        .collect();
    let text = if docs.len() == 1 {
        serde_json::to_string_pretty(&docs[0])
    } else {
        serde_json::to_string_pretty(&docs)
    };
    text.unwrap_or_default() + "\n"
}

/// Grouped by crate and severity; each finding says what, where, and what to do.
pub fn text(reports: &[CrateReport], level: Level) -> String {
    let mut out = String::new();
    for r in reports {
        let verdict = if r.passed(level) { "PASSED" } else { "FAILED" };
        let profiles: Vec<&str> = r.profiles.iter().map(|p| p.name()).collect();
        let _ = writeln!(
            out,
            "{} ({}, level {}): {verdict}",
            sanitize(&r.crate_path),
            profiles.join(", "),
            level.as_str().to_lowercase()
        );
        for severity in Level::ALL.into_iter().filter(|l| *l <= level) {
            let group: Vec<&Finding> = r.findings.iter().filter(|f| f.level == severity).collect();
            if group.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {severity} ({})", group.len());
            for f in group {
                let mut place = sanitize(&f.entity);
                if let Some(p) = &f.property {
                    place.push_str(&format!(" {}", sanitize(p)));
                }
                if let Some(v) = &f.value {
                    place.push_str(&format!(" = {:?}", sanitize(v)));
                }
                let _ = writeln!(
                    out,
                    "    [{}] {place}: {}",
                    sanitize(&f.check),
                    sanitize(&f.message)
                );
            }
        }
        let s = statistics(r);
        let hidden = r.findings.len() - counted(r, level).len();
        let _ = write!(
            out,
            "  {} checks, {} passed; {} ms",
            s.checks_run, s.checks_passed, s.duration_ms
        );
        if hidden > 0 {
            let _ = write!(
                out,
                "; {hidden} finding(s) below the chosen level not shown"
            );
        }
        out.push('\n');
    }
    out
}

/// Crate content reaches a terminal: control characters are shown escaped, never emitted.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
