//! The specialised compactor writes exactly what the json-ld crate writes, on every crate the
//! test suite makes and on graphs that exercise every kind of value.

mod common;

use common::Fixture;
use oxigraph::io::{RdfFormat, RdfParser};
use trecrate::build;
use trecrate::jsonld::{serialize_with, Compaction, Context};
use trecrate::rdf::frozen::{self, GraphBuilder};

fn context(namespace: &str) -> Context {
    Context::new(
        trecrate::jsonld::Remote {
            url: trecrate::rdf::vocab::RO_CRATE_1_1_CONTEXT,
            file: "ro-crate-1.1.jsonld",
            document: include_str!("../context/ro-crate-1.1.jsonld"),
        },
        include_str!("../context/tre.jsonld"),
        namespace,
    )
    .unwrap()
}

fn assert_same(graph: &frozen::Graph, base: &str, context: &Context, what: &str) {
    let library = serialize_with(graph, base, context, Compaction::Library).unwrap();
    let specialised = serialize_with(graph, base, context, Compaction::Specialised).unwrap();
    assert_eq!(specialised, library, "{what}");
}

#[test]
fn release_crates_compact_identically() {
    type Edit = fn(&mut serde_json::Value);
    let cases: [(&str, Edit, &str); 4] = [
        ("example", |_| {}, trecrate::rdf::vocab::TRE),
        (
            "markup",
            |v| v["request"]["title"] = "<b>bold</b> \"quoted\" ünïcode 面试".into(),
            trecrate::rdf::vocab::TRE,
        ),
        ("namespace", |_| {}, "https://tre.example.org/terms/"),
        (
            "no-orcid-no-affiliation",
            |v| {
                let r = v["request"]["researcher"].as_object_mut().unwrap();
                r.remove("orcid");
                r.remove("affiliation");
            },
            trecrate::rdf::vocab::TRE,
        ),
    ];
    for (name, edit, namespace) in cases {
        let f = Fixture::new(&format!("equiv-{name}"));
        f.edit(edit);
        let built = build(&f.options(namespace), &mut |_| {}).unwrap();
        let ctx = context(namespace);
        assert_same(&built.graph, &built.base, &ctx, name);
        assert_eq!(
            built.metadata,
            serialize_with(&built.graph, &built.base, &ctx, Compaction::Library).unwrap(),
            "{name}: the release path uses the specialised compactor"
        );
    }
}

#[test]
fn every_kind_of_value_compacts_identically() {
    let base = "arcp://name,equivalence/";
    let turtle = r#"
        @base <arcp://name,equivalence/> .
        @prefix schema: <http://schema.org/> .
        @prefix dct: <http://purl.org/dc/terms/> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        @prefix tre: <https://karectl.example/trevor/context#> .
        <ro-crate-metadata.json> a schema:CreativeWork ; schema:about <./> ;
            dct:conformsTo <https://w3id.org/ro/crate/1.1> .
        <./> a schema:Dataset, schema:CreativeWork ; schema:name "multi-typed" ;
            schema:hasPart <data/a.csv>, <data/b.csv> ;
            schema:keywords "x", "y", "z" ;
            schema:dateCreated "2025-01-01T00:00:00Z"^^xsd:dateTime ;
            schema:inLanguage "en"@en ;
            schema:isAccessibleForFree true ;
            schema:size 42 ;
            schema:temporalCoverage "1.5"^^xsd:decimal ;
            <http://example.org/vocab#unmapped> "no term, no prefix" ;
            schema:mentions <#thing>, <http://schema.org/Thing>, <https://example.org/elsewhere> .
        <data/a.csv> a schema:MediaObject ; schema:name "a"@en, "ein"@de ; tre:statbarn "x" ;
            schema:sha256 "00" ; schema:encodingFormat <https://www.nationalarchives.gov.uk/PRONOM/fmt/18> .
        <data/b.csv> a schema:MediaObject, <http://example.org/vocab#Table> ; schema:journal <#j> .
        <#thing> a schema:Thing ; schema:url "http://example.org/" ;
            <http://purl.org/dc/terms/title> "dct title" ; <http://purl.org/ro/roterms#notATerm> <#j> .
        <#j> a schema:Periodical .
    "#;
    let mut graph = GraphBuilder::new();
    graph.extend(
        RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(turtle.as_bytes())
            .map(Result::unwrap),
    );
    let graph = graph.freeze();
    let ctx = context(trecrate::rdf::vocab::TRE);
    assert_same(&graph, base, &ctx, "value kinds");
    let text = serialize_with(&graph, base, &ctx, Compaction::Specialised).unwrap();
    // Spot checks that the graph really exercised the branches.
    for needle in [
        "\"@language\": \"de\"",
        "\"@type\": \"http://www.w3.org/2001/XMLSchema#dateTime\"",
        "\"isAccessibleForFree\": true",
        "\"size\": 42",
        "\"http://example.org/vocab#unmapped\"",
        "\"dct:title\"",
        "\"roterms:notATerm\"",
        "\"Journal\"",
    ] {
        assert!(text.contains(needle), "{needle} not in\n{text}");
    }
}
