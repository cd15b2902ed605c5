//! A SHACL engine over the oxigraph store: the crate graph is checked by shapes that are data
//! (`shapes/*.ttl`), never by Rust conditionals.
//!
//! Supported: SHACL Core targets (`targetNode`, `targetClass`, `targetSubjectsOf`,
//! `targetObjectsOf`, implicit class targets), all property path forms, and the constraint
//! components `class`, `datatype`, `nodeKind`, `minCount`, `maxCount`, `minLength`,
//! `maxLength`, `pattern`, `in`, `hasValue`, `node`, `property`, `not`, `and`, `or`, `xone`;
//! from SHACL-SPARQL, `sh:sparql` SELECT constraints; from SHACL-AF, `sh:SPARQLTarget`.
//! <https://www.w3.org/TR/shacl/>
//!
//! `tests/w3c_shacl.rs` runs the W3C SHACL Core test suite: every test of a supported component
//! passes; the others are skipped by name (value ranges, `equals`/`disjoint`/`lessThan`,
//! `languageIn`, `uniqueLang`, qualified value shapes, `closed`). A finding reached from several
//! focus nodes is reported once.
//!
//! `$this` is pre-bound the way SHACL-SPARQL asks (as if substituted everywhere, FILTERs and
//! NOT EXISTS included): the focus nodes of a shape are put into a scratch named graph, and a
//! triple pattern over it opens the query's outermost group. All focus nodes go into one query
//! whose rows are then grouped by `?this`, which is what keeps a 10,000-file crate fast.
//! Constraint queries must therefore project `$this`, and must not write `{` before WHERE.
//! Relative IRIs in shapes and queries resolve against the
//! crate root given to [`Shapes::parse`].

mod constraints;
mod data;
mod engine;
mod graph;
mod literal;
mod result;

use constraints::*;
pub use data::DataGraph;
use data::*;
use engine::*;
use graph::*;
use literal::*;
use result::*;

pub use crate::finding::{Finding, Level};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{
    Graph, GraphNameRef, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, QuadRef, Term,
    TermRef, TripleRef,
};
use oxigraph::store::Store;
use regex::Regex;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::rdf::vocab::SH;

fn sh(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{SH}{local}"))
}

#[derive(Debug, thiserror::Error)]
pub enum ShaclError {
    #[error("{file}: cannot parse shapes")]
    Parse {
        file: String,
        #[source]
        source: oxigraph::io::RdfSyntaxError,
    },
    #[error("shape {shape}: {message}")]
    Shape { shape: String, message: String },
    #[error("shape {shape}: SPARQL query failed: {message}")]
    Sparql { shape: String, message: String },
    #[error("cannot read the data graph")]
    Storage(#[from] oxigraph::store::StorageError),
}

/// Parsed shapes, ready to run against any number of data graphs.
pub struct Shapes {
    graph: Graph,
    base: String,
    /// `sh:declare` prefixes, prepended to SPARQL queries as SHACL-SPARQL prescribes.
    prefixes: String,
    /// What each shape asks, read from `graph` once: a 10,000-file crate asks the same shapes
    /// the same questions 10,000 times, and graph lookups were most of the time it took.
    constraints: HashMap<NamedOrBlankNode, Constraints>,
    /// For a node no triple describes (`sh:node ex:Undefined`): it asks nothing.
    nothing: Constraints,
    /// The document each shape comes from, by the name given to [`Shapes::parse`].
    origin: HashMap<NamedOrBlankNode, String>,
}

/// The findings of the shapes documents `assets` on the default graph of `graph`, a crate
/// graph whose root is `base`: what a pipeline checks its own output with.
pub fn check<'a>(
    assets: &[crate::assets::Asset],
    graph: impl Into<DataGraph<'a>>,
    base: &str,
) -> Result<Vec<Finding>, ShaclError> {
    Shapes::parse(
        assets.iter().map(|a| (a.name.as_str(), a.text.as_str())),
        base,
    )?
    .validate(graph)
}

impl Shapes {
    /// Parses Turtle shapes files given as `(name, text)`; `name` is only used in messages.
    /// `base` is the IRI of the crate root the shapes will check.
    pub fn parse<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
        base: &str,
    ) -> Result<Self, ShaclError> {
        let mut graph = Graph::new();
        let mut origin = HashMap::new();
        for (name, text) in files {
            let parser = RdfParser::from_format(RdfFormat::Turtle)
                .with_base_iri(base)
                .map_err(|e| ShaclError::Shape {
                    shape: name.to_owned(),
                    message: format!("invalid base IRI {base:?}: {e}"),
                })?;
            for quad in parser.for_slice(text.as_bytes()) {
                let quad = quad.map_err(|source| ShaclError::Parse {
                    file: name.to_owned(),
                    source,
                })?;
                // A shape belongs to the document that declares it (another may deactivate it).
                if quad.predicate == rdf::TYPE || quad.predicate.as_str().starts_with(SH) {
                    origin
                        .entry(quad.subject.clone())
                        .or_insert_with(|| name.to_owned());
                }
                graph.insert(TripleRef::from(quad.as_ref()));
            }
        }
        let mut prefixes = BTreeMap::new();
        for declaration in graph.objects_for_subject_predicate_owned(None, &sh("declare")) {
            let node = as_subject(&declaration);
            let prefix = graph.object_str(&node, &sh("prefix"));
            let namespace = graph.object_str(&node, &sh("namespace"));
            if let (Some(p), Some(ns)) = (prefix, namespace) {
                prefixes.insert(p, ns);
            }
        }
        let prefixes = prefixes
            .iter()
            .map(|(p, ns)| format!("PREFIX {p}: <{ns}>\n"))
            .collect();
        let mut shapes = Shapes {
            graph,
            base: base.to_owned(),
            prefixes,
            constraints: HashMap::new(),
            nothing: Constraints::default(),
            origin,
        };
        let mut nodes: HashSet<NamedOrBlankNode> = HashSet::new();
        for t in shapes.graph.iter() {
            nodes.insert(t.subject.into_owned());
            if let TermRef::NamedNode(_) | TermRef::BlankNode(_) = t.object {
                nodes.insert(as_subject(&t.object.into_owned()));
            }
        }
        for node in nodes {
            let constraints = Constraints::read(&shapes.graph, &node, shapes.label(&node))?;
            shapes.constraints.insert(node, constraints);
        }
        Ok(shapes)
    }

    fn constraints(&self, shape: &NamedOrBlankNode) -> &Constraints {
        self.constraints.get(shape).unwrap_or(&self.nothing)
    }

    /// The names of the checks these shapes make: every node shape, and every property shape
    /// that has a name of its own.
    pub fn check_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.node_shapes().iter().map(|s| self.label(s)).collect();
        for t in self.graph.triples_for_predicate(&sh("path")) {
            let shape = t.subject.into_owned();
            if self.graph.object(&shape, &sh("name")).is_some() {
                names.push(self.label(&shape));
            }
        }
        names.sort();
        names.dedup();
        names
    }

    /// Validates the default graph of `graph`; findings come back sorted and without duplicates.
    /// SHACL-SPARQL constraints use scratch named graphs of a store, removed before returning.
    ///
    /// Shapes run on every core. A shape with many focus nodes (every File of a 10,000-file
    /// crate) is split in one part per core; each part runs its SPARQL constraints once for
    /// all its nodes, so a constraint whose cost does not depend on the focus is paid once per
    /// core, not once per node.
    pub fn validate<'a>(
        &self,
        graph: impl Into<DataGraph<'a>>,
    ) -> Result<Vec<Finding>, ShaclError> {
        let graph = graph.into();
        let cores = crate::parallel::workers(usize::MAX, 8);
        let mut work: Vec<(NamedOrBlankNode, HashSet<Term>)> = Vec::new();
        // Targets are found on every core too: a SPARQL target is a query over the whole crate.
        // Finding them marks no focus nodes, so the scratch graph of piece 0 is never written.
        let shapes: Vec<NamedOrBlankNode> = self
            .node_shapes()
            .into_iter()
            .filter(|shape| !self.constraints(shape).deactivated)
            .collect();
        let found = crate::parallel::map(
            &shapes,
            crate::parallel::workers(shapes.len(), cores),
            |_, shape| self.focus_nodes(shape, &Data::new(graph, 0)),
        );
        for (shape, focus) in shapes.into_iter().zip(found) {
            let focus = focus.ok_or_else(|| ShaclError::Shape {
                shape: self.label(&shape),
                message: "finding its targets stopped unexpectedly".into(),
            })??;
            let parts = if focus.len() >= SPLIT_FROM { cores } else { 1 };
            let mut split: Vec<HashSet<Term>> = (0..parts).map(|_| HashSet::new()).collect();
            for (i, node) in focus.into_iter().enumerate() {
                split[i % parts].insert(node);
            }
            work.extend(
                split
                    .into_iter()
                    .filter(|part| !part.is_empty())
                    .map(|part| (shape.clone(), part)),
            );
        }
        // Largest first, so the last item a core takes is a small one.
        work.sort_by_key(|(_, focus)| std::cmp::Reverse(focus.len()));
        let workers = crate::parallel::workers(work.len(), cores);
        let done = crate::parallel::map(&work, workers, |i, (shape, focus)| {
            let data = Data::new(graph, i + 1);
            let mut findings = BTreeSet::new();
            let checked = self.check_shape(shape, focus, &data, &mut findings);
            let cleared = data.clear_focus();
            checked.and(cleared).map(|()| findings)
        });
        let mut findings = BTreeSet::new();
        for (result, (shape, _)) in done.into_iter().zip(&work) {
            findings.extend(result.ok_or_else(|| ShaclError::Shape {
                shape: self.label(shape),
                message: "the check stopped unexpectedly".into(),
            })??);
        }
        Ok(findings.into_iter().collect())
    }

    fn check_shape(
        &self,
        shape: &NamedOrBlankNode,
        focus: &HashSet<Term>,
        data: &Data,
        findings: &mut BTreeSet<Finding>,
    ) -> Result<(), ShaclError> {
        let constraints = self.constraints(shape);
        let mut ctx = Run {
            shapes: self,
            data,
            findings,
            check: constraints.label.clone(),
            source: self.origin.get(shape).cloned(),
            focus,
            sparql_cache: HashMap::new(),
        };
        // A targeted shape with a path is a property shape with targets of its own.
        let is_property_shape = constraints.path.is_some();
        for node in focus {
            if is_property_shape {
                ctx.check_property_shape(shape, node, true)?;
            } else {
                ctx.check_node_shape(shape, node)?;
            }
        }
        Ok(())
    }

    /// Shapes that select their own focus nodes.
    fn node_shapes(&self) -> Vec<NamedOrBlankNode> {
        let target_predicates = [
            "targetNode",
            "targetClass",
            "targetSubjectsOf",
            "targetObjectsOf",
            "target",
        ];
        let mut shapes = HashSet::new();
        for p in target_predicates {
            for t in self.graph.triples_for_predicate(&sh(p)) {
                shapes.insert(t.subject.into_owned());
            }
        }
        for t in self
            .graph
            .subjects_for_predicate_object(rdf::TYPE, &sh("NodeShape"))
        {
            if self.graph.has_type(&t.into_owned(), rdfs::CLASS) {
                shapes.insert(t.into_owned());
            }
        }
        shapes.into_iter().collect()
    }

    fn focus_nodes(
        &self,
        shape: &NamedOrBlankNode,
        data: &Data,
    ) -> Result<HashSet<Term>, ShaclError> {
        let mut focus = HashSet::new();
        for node in self
            .graph
            .objects_for_subject_predicate_owned(Some(shape), &sh("targetNode"))
        {
            focus.insert(node);
        }
        let mut classes: Vec<Term> = self
            .graph
            .objects_for_subject_predicate_owned(Some(shape), &sh("targetClass"));
        if self.graph.has_type(shape, rdfs::CLASS) {
            classes.push(shape.clone().into());
        }
        for class in classes {
            focus.extend(data.instances(&class)?);
        }
        for p in self
            .graph
            .objects_for_subject_predicate_owned(Some(shape), &sh("targetSubjectsOf"))
        {
            if let Term::NamedNode(p) = p {
                focus.extend(data.subjects_of(&p)?);
            }
        }
        for p in self
            .graph
            .objects_for_subject_predicate_owned(Some(shape), &sh("targetObjectsOf"))
        {
            if let Term::NamedNode(p) = p {
                focus.extend(data.objects_of(&p)?);
            }
        }
        for target in self
            .graph
            .objects_for_subject_predicate_owned(Some(shape), &sh("target"))
        {
            let target = as_subject(&target);
            let Some(select) = self.graph.object_str(&target, &sh("select")) else {
                return Err(ShaclError::Shape {
                    shape: self.label(shape),
                    message: "sh:target without sh:select is not supported".into(),
                });
            };
            // Taken as the query yields them: a row each, for every file of a large crate.
            let text = format!("{}{select}", self.prefixes);
            let message = |message| ShaclError::Sparql {
                shape: self.label(shape),
                message,
            };
            data.with_dataset(|graph| {
                crate::rdf::select::each_row(graph, Some(&self.base), &text, message, |row| {
                    if let Some(node) = row.get("this") {
                        focus.insert(node.clone());
                    }
                    Ok(())
                })
            })?;
        }
        Ok(focus)
    }

    /// Runs a SELECT with `$this` pre-bound to each of `this`, marked as `what`.
    fn select<'t>(
        &self,
        shape: &str,
        query: &str,
        data: &Data,
        this: impl IntoIterator<Item = &'t Term>,
        what: Marked,
    ) -> Result<Vec<HashMap<String, Term>>, ShaclError> {
        let mut text = format!("{}{query}", self.prefixes);
        let at = text[self.prefixes.len()..]
            .find('{')
            .ok_or_else(|| ShaclError::Sparql {
                shape: shape.to_owned(),
                message: "the query has no WHERE group".into(),
            })?;
        data.mark_focus(this, what)?;
        text.insert_str(self.prefixes.len() + at + 1, &data.pattern);
        data.with_dataset(|graph| crate::rdf::select::select(graph, Some(&self.base), &text))
            .map(|r| r.rows)
            .map_err(|message| ShaclError::Sparql {
                shape: shape.to_owned(),
                message,
            })
    }

    /// A term as users see it: IRIs inside the crate relative to its root (`./`, `data/x.csv`).
    fn relative(&self, term: &Term) -> String {
        match term {
            Term::NamedNode(n) => crate::rdf::iri::crate_relative(n.as_str(), &self.base),
            // Blank node labels are random: say what it is instead.
            Term::BlankNode(_) => "(an entity without @id)".to_owned(),
            other => display_term(other),
        }
    }

    fn label(&self, shape: &NamedOrBlankNode) -> String {
        if let Some(name) = self.graph.object_str(shape, &sh("name")) {
            return name;
        }
        match shape {
            NamedOrBlankNode::NamedNode(n) => n.as_str().to_owned(),
            NamedOrBlankNode::BlankNode(_) => "(anonymous shape)".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIXES: &str = "@prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <http://example.org/> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n";

    /// Runs `shapes` over `data` (both Turtle, sharing the prefixes above) and returns
    /// `(entity, message)` of each finding.
    fn run(shapes: &str, data: &str) -> Vec<(String, String)> {
        findings(shapes, data)
            .into_iter()
            .map(|f| (f.entity, f.message))
            .collect()
    }

    /// Parsed shapes and a store holding the data, both Turtle without prefix declarations.
    fn setup(shapes: &str, data: &str) -> (Shapes, Store) {
        let store = Store::new().unwrap();
        store
            .load_from_reader(RdfFormat::Turtle, format!("{PREFIXES}{data}").as_bytes())
            .unwrap();
        let text = format!("{PREFIXES}{shapes}");
        let shapes = Shapes::parse([("test.ttl", text.as_str())], "http://crate.example/").unwrap();
        (shapes, store)
    }

    /// The findings on the data in a store, which must be those on the same data frozen.
    fn findings(shapes: &str, data: &str) -> Vec<Finding> {
        let (shapes, store) = setup(shapes, data);
        let stored = shapes.validate(&store).unwrap();
        let mut builder = crate::rdf::frozen::GraphBuilder::new();
        builder.extend(store.iter().map(Result::unwrap));
        assert_eq!(shapes.validate(&builder.freeze()).unwrap(), stored);
        stored
    }

    fn entities(shapes: &str, data: &str) -> Vec<String> {
        let mut e: Vec<String> = run(shapes, data).into_iter().map(|(e, _)| e).collect();
        e.dedup();
        e
    }

    #[test]
    fn counts() {
        let shapes = "ex:S a sh:NodeShape ; sh:targetClass ex:T ;
            sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:maxCount 2 ] .";
        let data = "ex:none a ex:T . ex:one a ex:T ; ex:p 1 . ex:three a ex:T ; ex:p 1, 2, 3 .";
        assert_eq!(
            entities(shapes, data),
            ["http://example.org/none", "http://example.org/three"]
        );
    }

    #[test]
    fn class_follows_subclasses_in_the_data() {
        let shapes =
            "ex:S sh:targetNode ex:a, ex:b ; sh:property [ sh:path ex:p ; sh:class ex:C ] .";
        let data = "ex:Sub rdfs:subClassOf ex:C . ex:x a ex:Sub . ex:y a ex:Other .
            ex:a ex:p ex:x . ex:b ex:p ex:y .";
        assert_eq!(entities(shapes, data), ["http://example.org/b"]);
    }

    #[test]
    fn datatype_checks_type_and_lexical_form() {
        let shapes = "ex:S sh:targetSubjectsOf ex:n ; sh:property [ sh:path ex:n ; sh:datatype xsd:integer ] .";
        let data = r#"ex:ok ex:n 3 . ex:string ex:n "3" . ex:illformed ex:n "x"^^xsd:integer ."#;
        assert_eq!(
            entities(shapes, data),
            ["http://example.org/illformed", "http://example.org/string"]
        );
    }

    #[test]
    fn node_kind_pattern_and_lengths() {
        let shapes = r#"ex:S sh:targetSubjectsOf ex:p ; sh:property [ sh:path ex:p ; sh:nodeKind sh:Literal ] ,
            [ sh:path ex:p ; sh:pattern "^a" ; sh:flags "i" ] , [ sh:path ex:p ; sh:minLength 2 ; sh:maxLength 3 ] ."#;
        let data =
            r#"ex:ok ex:p "Abc" . ex:iri ex:p ex:abc . ex:short ex:p "a" . ex:wrong ex:p "bcd" ."#;
        let found = run(shapes, data);
        let by = |e: &str| found.iter().filter(|(x, _)| x == e).count();
        assert_eq!(by("http://example.org/ok"), 0);
        // Not a literal; and SHACL matches patterns and lengths on str(v), the whole IRI.
        assert_eq!(by("http://example.org/iri"), 3);
        assert_eq!(by("http://example.org/short"), 1);
        assert_eq!(by("http://example.org/wrong"), 1);
    }

    #[test]
    fn in_and_has_value() {
        let shapes = "ex:S sh:targetSubjectsOf ex:p ;
            sh:property [ sh:path ex:p ; sh:in ( ex:a ex:b ) ] , [ sh:path ex:p ; sh:hasValue ex:a ] .";
        let data = "ex:ok ex:p ex:a . ex:b-only ex:p ex:b . ex:c ex:p ex:c .";
        let found = run(shapes, data);
        assert!(found
            .iter()
            .any(|(e, m)| e.ends_with("b-only") && m.contains("must have the value")));
        assert_eq!(found.iter().filter(|(e, _)| e.ends_with("/c")).count(), 2);
        assert!(!found.iter().any(|(e, _)| e.ends_with("/ok")));
    }

    #[test]
    fn logical_components() {
        let shapes = r#"
            ex:HasName sh:property [ sh:path ex:name ; sh:minCount 1 ] .
            ex:HasId sh:property [ sh:path ex:id ; sh:minCount 1 ] .
            ex:Or sh:targetClass ex:Or ; sh:or ( ex:HasName ex:HasId ) .
            ex:And sh:targetClass ex:And ; sh:and ( ex:HasName ex:HasId ) .
            ex:Xone sh:targetClass ex:Xone ; sh:xone ( ex:HasName ex:HasId ) .
            ex:Not sh:targetClass ex:Not ; sh:not ex:HasName .
            ex:Node sh:targetClass ex:Node ; sh:node ex:HasId ."#;
        let data = r#"
            ex:or-none a ex:Or . ex:or-one a ex:Or ; ex:id 1 .
            ex:and-one a ex:And ; ex:id 1 . ex:and-both a ex:And ; ex:id 1 ; ex:name "n" .
            ex:xone-both a ex:Xone ; ex:id 1 ; ex:name "n" . ex:xone-one a ex:Xone ; ex:name "n" .
            ex:not-named a ex:Not ; ex:name "n" . ex:not-anon a ex:Not .
            ex:node-none a ex:Node . ex:node-id a ex:Node ; ex:id 2 ."#;
        assert_eq!(
            entities(shapes, data),
            [
                "http://example.org/and-one",
                "http://example.org/node-none",
                "http://example.org/not-named",
                "http://example.org/or-none",
                "http://example.org/xone-both",
            ]
        );
    }

    #[test]
    fn property_paths() {
        let shapes = "
            ex:Inverse sh:targetNode ex:leaf ; sh:property [ sh:path [ sh:inversePath ex:child ] ; sh:minCount 2 ] .
            ex:Sequence sh:targetNode ex:root ; sh:property [ sh:path ( ex:child ex:child ) ; sh:minCount 2 ] .
            ex:Alt sh:targetNode ex:root ; sh:property [ sh:path [ sh:alternativePath ( ex:child ex:other ) ] ; sh:minCount 3 ] .
            ex:Star sh:targetNode ex:root ; sh:property [ sh:path [ sh:zeroOrMorePath ex:child ] ; sh:maxCount 3 ] .
            ex:Plus sh:targetNode ex:root ; sh:property [ sh:path [ sh:oneOrMorePath ex:child ] ; sh:minCount 3 ] .
            ex:Opt sh:targetNode ex:root ; sh:property [ sh:path [ sh:zeroOrOnePath ex:child ] ; sh:minCount 2 ; sh:maxCount 2 ] .";
        let data = "ex:root ex:child ex:mid ; ex:other ex:x . ex:mid ex:child ex:leaf . ex:x ex:child ex:leaf .";
        let found = findings(shapes, data);
        let checks: Vec<&str> = found.iter().map(|f| f.check.as_str()).collect();
        // Inverse: leaf has parents mid and x (2): ok. Sequence: root/child/child = {leaf}: 1 < 2.
        // Alternative: {mid, x} < 3. Star: {root, mid, leaf} = 3: ok. Plus: {mid, leaf} < 3.
        // Optional: {root, mid} = 2: ok.
        assert_eq!(
            checks,
            [
                "http://example.org/Alt",
                "http://example.org/Plus",
                "http://example.org/Sequence"
            ]
        );
        let sequence = found
            .iter()
            .find(|f| f.check.ends_with("Sequence"))
            .unwrap();
        assert_eq!(
            sequence.property.as_deref(),
            Some("http://example.org/child/http://example.org/child")
        );
    }

    #[test]
    fn sparql_constraints_and_targets_bind_this() {
        let shapes = r#"
            ex: sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
            ex:S sh:target [ a sh:SPARQLTarget ; sh:prefixes ex: ; sh:select "SELECT ?this WHERE { ?this ex:kind ex:Checked }" ] ;
                sh:sparql [ sh:prefixes ex: ; sh:message "{$this} points at itself" ;
                    sh:select "SELECT $this ?value WHERE { $this ex:p ?value FILTER(?value = $this) }" ] .
            ex:Exists sh:targetNode ex:nothing ;
                sh:sparql [ sh:prefixes ex: ; sh:message "no ex:Checked at all" ;
                    sh:select "SELECT $this WHERE { FILTER NOT EXISTS { ?x ex:kind ex:Checked } }" ] ."#;
        let data = "ex:a ex:kind ex:Checked ; ex:p ex:a . ex:b ex:kind ex:Checked ; ex:p ex:a . ex:c ex:p ex:c .";
        assert_eq!(
            run(shapes, data),
            [(
                "http://example.org/a".to_owned(),
                "http://example.org/a points at itself".to_owned()
            )]
        );
        // The pre-binding works even when $this appears in no triple pattern.
        let found = run(shapes, "ex:c ex:p ex:c .");
        assert_eq!(
            found,
            [(
                "http://example.org/nothing".to_owned(),
                "no ex:Checked at all".to_owned()
            )]
        );
    }

    #[test]
    fn a_shape_shared_between_cores_reports_every_node_once() {
        let shapes = r#"
            ex: sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
            ex:S sh:targetClass ex:T ; sh:property [ sh:path ex:p ; sh:minCount 1 ] ;
                sh:sparql [ sh:prefixes ex: ; sh:message "{$this} points at itself" ;
                    sh:select "SELECT $this WHERE { $this ex:q $this }" ] ."#;
        // Enough focus nodes for the shape to be split: every seventh lacks ex:p, every
        // eleventh points at itself.
        let mut data = String::new();
        let mut expected = BTreeSet::new();
        for i in 0..3 * super::SPLIT_FROM {
            data += &format!("ex:n{i} a ex:T . ");
            let iri = format!("http://example.org/n{i}");
            if i % 7 == 0 {
                expected.insert((iri.clone(), false));
            } else {
                data += &format!("ex:n{i} ex:p 1 . ");
            }
            if i % 11 == 0 {
                expected.insert((iri, true));
                data += &format!("ex:n{i} ex:q ex:n{i} . ");
            }
        }
        let (shapes, store) = setup(shapes, &data);
        let found = shapes.validate(&store).unwrap();
        assert_eq!(found.len(), expected.len());
        let found: BTreeSet<(String, bool)> = found
            .into_iter()
            .map(|f| (f.entity, f.message.ends_with("points at itself")))
            .collect();
        assert_eq!(found, expected);
        assert_eq!(
            store.named_graphs().count(),
            0,
            "scratch graphs left behind"
        );
    }

    #[test]
    fn this_is_bound_inside_filters_and_not_exists() {
        // Neither constraint binds $this in a triple pattern: with a trailing VALUES the
        // FILTER would see it unbound and never fire, and the NOT EXISTS would be satisfied by
        // any other node's link.
        let shapes = r#"
            ex: sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
            ex:Prefix sh:targetClass ex:Dir ;
                sh:sparql [ sh:prefixes ex: ; sh:message "{$value} lies under {$this}" ;
                    sh:select "SELECT $this ?value WHERE { ?value a ex:Item FILTER(STRSTARTS(STR(?value), STR($this))) }" ] .
            ex:Linked sh:targetClass ex:Item ;
                sh:sparql [ sh:prefixes ex: ; sh:message "{$this} is not linked" ;
                    sh:select "SELECT $this WHERE { FILTER NOT EXISTS { ?d ex:has $this } }" ] ."#;
        let data = r#"<http://example.org/d/> a ex:Dir ; ex:has <http://example.org/d/x> .
            <http://example.org/d/x> a ex:Item . <http://example.org/y> a ex:Item ."#;
        // A blank focus node is bound as well as an IRI, and the scratch graph is gone after.
        let with_blank = findings(
            shapes,
            &format!("{data} <http://example.org/d/> ex:has [ a ex:Item ] . [ a ex:Item ] ."),
        );
        assert_eq!(
            with_blank
                .iter()
                .filter(|f| f.message.ends_with("is not linked"))
                .count(),
            2,
            "{with_blank:?}"
        );
        let store = Store::new().unwrap();
        store
            .load_from_reader(RdfFormat::Turtle, format!("{PREFIXES}{data}").as_bytes())
            .unwrap();
        let before = store.len().unwrap();
        let parsed = Shapes::parse(
            [("t.ttl", format!("{PREFIXES}{shapes}").as_str())],
            "http://crate.example/",
        )
        .unwrap();
        assert_eq!(parsed.validate(&store).unwrap().len(), 2);
        assert_eq!(store.len().unwrap(), before);
        assert_eq!(
            run(shapes, data),
            [
                (
                    "http://example.org/y".to_owned(),
                    "http://example.org/y is not linked".to_owned()
                ),
                (
                    "http://example.org/d/".to_owned(),
                    "http://example.org/d/x lies under http://example.org/d/".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn severities_messages_and_deactivation() {
        let shapes = r#"
            ex:Warn sh:targetClass ex:T ; sh:name "warned" ;
                sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:severity sh:Warning ; sh:message "needs p" ] .
            ex:Info sh:targetClass ex:T ; sh:property [ sh:path ex:q ; sh:minCount 1 ; sh:severity sh:Info ] .
            ex:Off sh:targetClass ex:T ; sh:deactivated true ; sh:property [ sh:path ex:r ; sh:minCount 1 ] ."#;
        let found = findings(shapes, "ex:x a ex:T .");
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].level, Level::Recommended);
        assert_eq!(
            found[0].check, "warned",
            "anonymous property shapes report their node shape"
        );
        assert_eq!(found[0].message, "needs p");
        assert_eq!(found[1].level, Level::Optional);
        assert!(
            found[1].message.contains("at least 1"),
            "{}",
            found[1].message
        );
    }

    #[test]
    fn bad_shapes_are_errors_not_panics() {
        let store = Store::new().unwrap();
        let broken =
            format!("{PREFIXES} ex:S sh:targetNode ex:x ; sh:property [ sh:minCount 1 ] .");
        let shapes =
            Shapes::parse([("broken.ttl", broken.as_str())], "http://crate.example/").unwrap();
        store
            .load_from_reader(
                RdfFormat::Turtle,
                format!("{PREFIXES} ex:x ex:p 1 .").as_bytes(),
            )
            .unwrap();
        assert!(matches!(
            shapes.validate(&store),
            Err(ShaclError::Shape { .. })
        ));
        let syntax = Shapes::parse([("bad.ttl", "ex:S sh:path")], "http://crate.example/");
        assert!(matches!(syntax, Err(ShaclError::Parse { .. })));
    }
}
