//! Validation reports: text for people, JSON for programs. The JSON field names are stable and
//! documented in the README.

use super::CrateReport;
use crate::finding::{Finding, Level, Sanitized};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(rename = "crate")]
    crate_path: &'a str,
    profile: Vec<&'a str>,
    level: Level,
    passed: bool,
    findings: Vec<JsonFinding<'a>>,
    statistics: Statistics,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    severity: Level,
    /// The profile whose check this is (`process-run-crate-0.5`).
    profile: Option<&'a str>,
    check: &'a str,
    /// `profile/check-name` (`ro-crate-1.1/root-data-entity`): the check's name is data (a
    /// shape's `sh:name`), unique within its profile, and stays when messages are reworded.
    check_id: String,
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
                    profile: f.profile.as_deref(),
                    check: &f.check,
                    check_id: check_id(f),
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

/// A finding's stable id: its profile and its check's name, lowercased, each run of other
/// characters than letters and digits one `-` (`Payload: data entities exist` is
/// `payload-data-entities-exist`).
pub fn check_id(finding: &Finding) -> String {
    let mut slug = String::new();
    for c in finding.check.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    match &finding.profile {
        Some(profile) => format!("{profile}/{slug}"),
        None => slug.to_owned(),
    }
}

/// Grouped by crate, profile and severity; each finding says what, where, and what to do.
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
        let shown = counted(r, level);
        let mut by_profile: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for f in &shown {
            by_profile
                .entry(f.profile.as_deref().unwrap_or("other"))
                .or_default()
                .push(f);
        }
        for (profile, findings) in by_profile {
            let _ = writeln!(out, "  {}", sanitize(profile));
            for severity in Level::ALL {
                let group: Vec<&&Finding> =
                    findings.iter().filter(|f| f.level == severity).collect();
                if group.is_empty() {
                    continue;
                }
                let _ = writeln!(out, "    {severity} ({})", group.len());
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
                        "      [{}] {place}: {}",
                        sanitize(&f.check),
                        sanitize(&f.message)
                    );
                }
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

/// Crate content reaches a terminal: control, bidi and zero-width characters are shown
/// escaped, never emitted.
fn sanitize(text: &str) -> String {
    Sanitized(text).to_string()
}

use crate::rdf::vocab::{REPORT as TRECRATE, SCHEMA, SH};

/// A SHACL validation report (<https://www.w3.org/TR/shacl/#validation-report>) per crate, in
/// Turtle. Focus nodes inside a crate directory are `file:` IRIs of that directory; findings
/// not made by shapes (JSON form, payload) are results too, named by `trecrate:check`.
pub fn turtle(reports: &[CrateReport], level: Level) -> String {
    use oxigraph::io::{RdfFormat, RdfSerializer};
    use oxigraph::model::vocab::rdf;
    use oxigraph::model::{BlankNode, Literal, NamedNode, Term, Triple};

    let sh = |local: &str| NamedNode::new_unchecked(format!("{SH}{local}"));
    let own = |local: &str| NamedNode::new_unchecked(format!("{TRECRATE}{local}"));
    let mut triples = Vec::new();
    for r in reports {
        let report = BlankNode::default();
        let base = crate_base_iri(&r.crate_path);
        triples.push(Triple::new(
            report.clone(),
            rdf::TYPE,
            sh("ValidationReport"),
        ));
        triples.push(Triple::new(
            report.clone(),
            sh("conforms"),
            Literal::from(r.passed(level)),
        ));
        triples.push(Triple::new(
            report.clone(),
            own("crate"),
            Literal::new_simple_literal(&r.crate_path),
        ));
        for f in counted(r, level) {
            let result = BlankNode::default();
            triples.push(Triple::new(report.clone(), sh("result"), result.clone()));
            triples.push(Triple::new(
                result.clone(),
                rdf::TYPE,
                sh("ValidationResult"),
            ));
            let severity = match f.level {
                Level::Required => "Violation",
                Level::Recommended => "Warning",
                Level::Optional => "Info",
            };
            triples.push(Triple::new(
                result.clone(),
                sh("resultSeverity"),
                sh(severity),
            ));
            let focus: Term = match entity_iri(&f.entity, &base) {
                Some(iri) => iri.into(),
                None => BlankNode::default().into(),
            };
            triples.push(Triple::new(result.clone(), sh("focusNode"), focus));
            match f.property.as_deref().and_then(property_iri) {
                Some(path) => triples.push(Triple::new(result.clone(), sh("resultPath"), path)),
                None => {
                    if let Some(p) = &f.property {
                        triples.push(Triple::new(
                            result.clone(),
                            own("property"),
                            Literal::new_simple_literal(p),
                        ));
                    }
                }
            }
            if let Some(v) = &f.value {
                triples.push(Triple::new(
                    result.clone(),
                    sh("value"),
                    Literal::new_simple_literal(v),
                ));
            }
            triples.push(Triple::new(
                result.clone(),
                sh("resultMessage"),
                Literal::new_simple_literal(&f.message),
            ));
            triples.push(Triple::new(
                result.clone(),
                own("check"),
                Literal::new_simple_literal(&f.check),
            ));
        }
    }
    let mut serializer = RdfSerializer::from_format(RdfFormat::Turtle);
    for (prefix, iri) in [("sh", SH), ("trecrate", TRECRATE), ("schema", SCHEMA)] {
        serializer = match serializer.clone().with_prefix(prefix, iri) {
            Ok(s) => s,
            Err(_) => serializer,
        };
    }
    let mut writer = serializer.for_writer(Vec::new());
    for t in &triples {
        let _ = writer.serialize_triple(t);
    }
    writer
        .finish()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// `file:` IRI of a crate directory (or of the directory holding a zip or metadata file).
fn crate_base_iri(path: &str) -> String {
    let path = std::path::Path::new(path);
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let dir = if absolute.is_dir() {
        absolute
    } else {
        absolute.parent().map(|p| p.to_owned()).unwrap_or(absolute)
    };
    let mut text = format!(
        "file://{}",
        crate::rdf::iri::encode_path(&dir.to_string_lossy())
    );
    if !text.ends_with('/') {
        text.push('/');
    }
    text
}

fn entity_iri(entity: &str, base: &str) -> Option<oxigraph::model::NamedNode> {
    use oxigraph::model::NamedNode;
    if entity.starts_with('(') {
        return None;
    }
    if let Ok(iri) = NamedNode::new(entity) {
        return Some(iri);
    }
    let relative = entity.strip_prefix("./").unwrap_or(entity);
    NamedNode::new(format!("{base}{relative}")).ok()
}

fn property_iri(property: &str) -> Option<oxigraph::model::NamedNode> {
    use oxigraph::model::NamedNode;
    for (prefix, namespace) in crate::rdf::vocab::DISPLAY_PREFIXES {
        if let Some(local) = property.strip_prefix(prefix) {
            return NamedNode::new(format!("{namespace}{local}")).ok();
        }
    }
    property
        .contains("://")
        .then(|| NamedNode::new(property).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_the_profile_and_the_name_in_lowercase_words() {
        let mut finding = Finding::new(
            Level::Required,
            "Payload: data entities exist",
            "a.txt",
            None,
            None,
            "the file is described but not in the crate".into(),
        );
        assert_eq!(check_id(&finding), "payload-data-entities-exist");
        finding.profile = Some("ro-crate-1.2".into());
        finding.check = "SoftwareApplication or ComputerLanguage (1.2)".into();
        assert_eq!(
            check_id(&finding),
            "ro-crate-1.2/softwareapplication-or-computerlanguage-1-2"
        );
        finding.check = "Five Safes: a CheckValue's `actionStatus`".into();
        assert_eq!(
            check_id(&finding),
            "ro-crate-1.2/five-safes-a-checkvalue-s-actionstatus"
        );
    }
}
