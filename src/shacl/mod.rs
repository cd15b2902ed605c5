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

const SH: &str = "http://www.w3.org/ns/shacl#";

fn sh(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{SH}{local}"))
}

#[derive(Debug, thiserror::Error)]
pub enum ShaclError {
    #[error("{file}: cannot parse shapes: {source}")]
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
}

/// The parameters of one shape's constraint components.
#[derive(Default)]
struct Constraints {
    deactivated: bool,
    path: Option<Term>,
    /// `path` as users read it (`schema:author`, `^schema:hasPart`).
    property: Option<String>,
    min_count: Option<u64>,
    max_count: Option<u64>,
    has_value: Option<Term>,
    classes: Vec<Term>,
    datatype: Option<NamedNode>,
    node_kind: Option<NamedNode>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<(String, Regex)>,
    allowed: Option<Vec<Term>>,
    nodes: Vec<NamedOrBlankNode>,
    nots: Vec<NamedOrBlankNode>,
    /// `sh:and`, `sh:or`, `sh:xone`: the component's name and each list's members.
    logical: Vec<(&'static str, Vec<NamedOrBlankNode>)>,
    properties: Vec<NamedOrBlankNode>,
    sparql: Vec<SparqlConstraint>,
    message: Option<String>,
    level: Level,
    label: String,
    /// Whether findings carry `label`; anonymous property shapes report their node shape's.
    named: bool,
}

struct SparqlConstraint {
    node: NamedOrBlankNode,
    select: String,
    message: String,
}

impl Constraints {
    fn read(graph: &Graph, shape: &NamedOrBlankNode, label: String) -> Result<Self, ShaclError> {
        let nodes = |p: &str| -> Vec<NamedOrBlankNode> {
            graph
                .objects_for_subject_predicate_owned(Some(shape), &sh(p))
                .iter()
                .map(as_subject)
                .collect()
        };
        let pattern = match graph.object_str(shape, &sh("pattern")) {
            Some(pattern) => {
                let flags = graph.object_str(shape, &sh("flags")).unwrap_or_default();
                let regex = compile(&pattern, &flags).map_err(|message| ShaclError::Shape {
                    shape: label.clone(),
                    message,
                })?;
                Some((pattern, regex))
            }
            None => None,
        };
        let mut sparql = Vec::new();
        for node in nodes("sparql") {
            let Some(select) = graph.object_str(&node, &sh("select")) else {
                return Err(ShaclError::Shape {
                    shape: label,
                    message: "sh:sparql constraint without sh:select".into(),
                });
            };
            let message = graph
                .object_str(&node, &sh("message"))
                .unwrap_or_else(|| "violates a SPARQL constraint".into());
            sparql.push(SparqlConstraint {
                node,
                select,
                message,
            });
        }
        let named_node = |p: &str| match graph.object(shape, &sh(p)) {
            Some(Term::NamedNode(n)) => Some(n),
            _ => None,
        };
        let path = graph.object(shape, &sh("path"));
        Ok(Constraints {
            deactivated: graph.has(shape, &sh("deactivated"), &Literal::from(true).into()),
            property: path.as_ref().map(|p| graph.path_string(p)),
            path,
            min_count: graph.object_u64(shape, &sh("minCount")),
            max_count: graph.object_u64(shape, &sh("maxCount")),
            has_value: graph.object(shape, &sh("hasValue")),
            classes: graph.objects_for_subject_predicate_owned(Some(shape), &sh("class")),
            datatype: named_node("datatype"),
            node_kind: named_node("nodeKind"),
            min_length: graph.object_u64(shape, &sh("minLength")),
            max_length: graph.object_u64(shape, &sh("maxLength")),
            pattern,
            allowed: graph.object(shape, &sh("in")).map(|list| graph.list(&list)),
            nodes: nodes("node"),
            nots: nodes("not"),
            logical: ["and", "or", "xone"]
                .into_iter()
                .flat_map(|c| {
                    graph
                        .objects_for_subject_predicate_owned(Some(shape), &sh(c))
                        .into_iter()
                        .map(move |list| (c, graph.list(&list).iter().map(as_subject).collect()))
                })
                .collect(),
            properties: nodes("property"),
            sparql,
            message: graph.object_str(shape, &sh("message")),
            level: severity(graph.object(shape, &sh("severity")).as_ref()),
            named: !matches!(shape, NamedOrBlankNode::BlankNode(_))
                || graph.object(shape, &sh("name")).is_some(),
            label,
        })
    }
}

/// The findings of the shapes documents `assets` on the default graph of `graph`, a crate
/// graph whose root is `base`: what a pipeline checks its own output with.
pub fn check(
    assets: &[crate::assets::Asset],
    graph: &Store,
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

    /// Validates the default graph of `store`; findings come back sorted and without duplicates.
    /// SHACL-SPARQL constraints use scratch named graphs of `store`, removed before returning.
    ///
    /// Shapes run on every core. A shape with many focus nodes (every File of a 10,000-file
    /// crate) is split in one part per core; each part runs its SPARQL constraints once for
    /// all its nodes, so a constraint whose cost does not depend on the focus is paid once per
    /// core, not once per node.
    pub fn validate(&self, store: &Store) -> Result<Vec<Finding>, ShaclError> {
        let cores = crate::parallel::workers(usize::MAX, 8);
        let mut work: Vec<(NamedOrBlankNode, HashSet<Term>)> = Vec::new();
        let targets = Data::new(store, 0);
        for shape in self.node_shapes() {
            if self.constraints(&shape).deactivated {
                continue;
            }
            let focus = self.focus_nodes(&shape, &targets)?;
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
        targets.clear_focus()?;
        // Largest first, so the last item a core takes is a small one.
        work.sort_by_key(|(_, focus)| std::cmp::Reverse(focus.len()));
        let workers = crate::parallel::workers(work.len(), cores);
        let done = crate::parallel::map(&work, workers, |i, (shape, focus)| {
            let data = Data::new(store, i + 1);
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
            let rows = self.select(&self.label(shape), &select, data, None::<[&Term; 0]>)?;
            focus.extend(rows.into_iter().filter_map(|mut row| row.remove("this")));
        }
        Ok(focus)
    }

    /// Runs a SELECT; with `this`, pre-binds `$this` to each of those nodes.
    fn select<'t>(
        &self,
        shape: &str,
        query: &str,
        data: &Data,
        this: Option<impl IntoIterator<Item = &'t Term>>,
    ) -> Result<Vec<HashMap<String, Term>>, ShaclError> {
        let mut text = format!("{}{query}", self.prefixes);
        if let Some(nodes) = this {
            let at = text[self.prefixes.len()..]
                .find('{')
                .ok_or_else(|| ShaclError::Sparql {
                    shape: shape.to_owned(),
                    message: "the query has no WHERE group".into(),
                })?;
            data.mark_focus(nodes)?;
            text.insert_str(self.prefixes.len() + at + 1, &data.pattern);
        }
        crate::rdf::select::select(data.store, Some(&self.base), &text)
            .map(|r| r.rows)
            .map_err(|message| ShaclError::Sparql {
                shape: shape.to_owned(),
                message,
            })
    }

    /// A term as users see it: IRIs inside the crate relative to its root (`./`, `data/x.csv`).
    fn relative(&self, term: &Term) -> String {
        match term {
            Term::NamedNode(n) => crate::crate_relative(n.as_str(), &self.base),
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

/// State of one validation run.
struct Run<'a> {
    shapes: &'a Shapes,
    data: &'a Data<'a>,
    findings: &'a mut BTreeSet<Finding>,
    /// The name of the node shape being checked, for findings of its anonymous property shapes.
    check: String,
    /// The focus nodes of the node shape being checked.
    focus: &'a HashSet<Term>,
    /// Rows of each `sh:sparql` constraint for all of `focus`, by `?this`, computed once.
    sparql_cache: HashMap<NamedOrBlankNode, HashMap<Term, Vec<HashMap<String, Term>>>>,
}

impl<'a> Run<'a> {
    /// A shape's constraints, borrowed for `'a` rather than for `self`, so checks can recurse.
    fn constraints(&self, shape: &NamedOrBlankNode) -> &'a Constraints {
        self.shapes.constraints(shape)
    }

    /// Checks a focus node against a node shape and records what fails.
    fn check_node_shape(
        &mut self,
        shape: &NamedOrBlankNode,
        focus: &Term,
    ) -> Result<(), ShaclError> {
        let c = self.constraints(shape);
        if let Some(expected) = &c.has_value {
            if expected != focus {
                self.record(true, c, focus, false, Some(focus), || {
                    format!("must be {}", display_term(expected))
                });
            }
        }
        self.check_value(c, focus, focus, false, true)?;
        self.check_sparql(c, focus, false, true)?;
        for property in &c.properties {
            self.check_property_shape(property, focus, true)?;
        }
        Ok(())
    }

    fn check_property_shape(
        &mut self,
        shape: &NamedOrBlankNode,
        focus: &Term,
        record: bool,
    ) -> Result<bool, ShaclError> {
        let c = self.constraints(shape);
        if c.deactivated {
            return Ok(true);
        }
        let Some(path) = &c.path else {
            return Err(ShaclError::Shape {
                shape: c.label.clone(),
                message: "property shape without sh:path".into(),
            });
        };
        let values: Vec<Term> = self
            .data
            .path_values(self.graph(), focus, path)?
            .into_iter()
            .collect();
        let mut conforms = self.check_counts(c, focus, &values, record);
        for value in &values {
            conforms &= self.check_value(c, focus, value, true, record)?;
        }
        for nested in &c.properties {
            for value in &values {
                conforms &= self.check_property_shape(nested, value, record)?;
            }
        }
        conforms &= self.check_sparql(c, focus, true, record)?;
        Ok(conforms)
    }

    /// The shapes graph, borrowed for `'a`, for walking property paths.
    fn graph(&self) -> &'a Graph {
        &self.shapes.graph
    }

    fn check_counts(
        &mut self,
        c: &Constraints,
        focus: &Term,
        values: &[Term],
        record: bool,
    ) -> bool {
        let mut conforms = true;
        if let Some(min) = c.min_count {
            if (values.len() as u64) < min {
                conforms = false;
                self.record(record, c, focus, true, None, || {
                    format!("needs at least {min} value(s), has {}", values.len())
                });
            }
        }
        if let Some(max) = c.max_count {
            if values.len() as u64 > max {
                conforms = false;
                self.record(record, c, focus, true, None, || {
                    format!("allows at most {max} value(s), has {}", values.len())
                });
            }
        }
        if let Some(expected) = &c.has_value {
            if !values.contains(expected) {
                conforms = false;
                self.record(record, c, focus, true, None, || {
                    format!("must have the value {}", display_term(expected))
                });
            }
        }
        conforms
    }

    /// Value-type, string, list and logical constraints on a single value node; `on_path`
    /// says whether `value` was reached through the shape's path (and findings name it).
    fn check_value(
        &mut self,
        c: &Constraints,
        focus: &Term,
        value: &Term,
        on_path: bool,
        record: bool,
    ) -> Result<bool, ShaclError> {
        let mut failures: Vec<String> = Vec::new();
        for class in &c.classes {
            if !self.data.is_instance(value, class)? {
                failures.push(format!("must be an entity of type {}", display_term(class)));
            }
        }
        if let Some(datatype) = &c.datatype {
            let ok = matches!(value, Term::Literal(l) if l.datatype() == datatype.as_ref() && well_formed(l));
            if !ok {
                failures.push(format!(
                    "must be a literal of datatype {}",
                    datatype.as_str()
                ));
            }
        }
        if let Some(kind) = &c.node_kind {
            if !node_kind_matches(kind.as_ref(), value) {
                failures.push(format!(
                    "must be of node kind {}",
                    local_name(kind.as_str())
                ));
            }
        }
        let text = lexical(value);
        if let Some(min) = c.min_length {
            if text
                .as_ref()
                .is_none_or(|t| (t.chars().count() as u64) < min)
            {
                failures.push(format!("must be at least {min} characters long"));
            }
        }
        if let Some(max) = c.max_length {
            if text.as_ref().is_none_or(|t| t.chars().count() as u64 > max) {
                failures.push(format!("must be at most {max} characters long"));
            }
        }
        if let Some((pattern, regex)) = &c.pattern {
            if text.as_ref().is_none_or(|t| !regex.is_match(t)) {
                failures.push(format!("must match the pattern {pattern:?}"));
            }
        }
        if let Some(allowed) = &c.allowed {
            if !allowed.contains(value) {
                let names: Vec<String> = allowed.iter().map(display_term).collect();
                failures.push(format!("must be one of {}", names.join(", ")));
            }
        }
        for node in &c.nodes {
            if !self.conforms(node, value)? {
                failures.push(format!("must conform to {}", self.constraints(node).label));
            }
        }
        for not in &c.nots {
            if self.conforms(not, value)? {
                failures.push(format!(
                    "must not conform to {}",
                    self.constraints(not).label
                ));
            }
        }
        for (component, members) in &c.logical {
            let mut passed = 0;
            for member in members {
                if self.conforms(member, value)? {
                    passed += 1;
                }
            }
            let (ok, rule) = match *component {
                "and" => (passed == members.len(), "all"),
                "or" => (passed >= 1, "at least one"),
                _ => (passed == 1, "exactly one"),
            };
            if !ok {
                failures.push(format!(
                    "must conform to {rule} of the alternatives in sh:{component}"
                ));
            }
        }
        let conforms = failures.is_empty();
        for failure in failures {
            self.record(record, c, focus, on_path, Some(value), || failure.clone());
        }
        Ok(conforms)
    }

    /// Whether `value` conforms to `shape`, without reporting (for `sh:node`, `sh:not`, ...).
    fn conforms(&mut self, shape: &NamedOrBlankNode, value: &Term) -> Result<bool, ShaclError> {
        let findings_before = self.findings.len();
        let c = self.constraints(shape);
        let verdict = if c.path.is_some() {
            self.check_property_shape(shape, value, false)?
        } else {
            let mut ok = self.check_value(c, value, value, false, false)?;
            ok &= self.check_sparql(c, value, false, false)?;
            for property in &c.properties {
                ok &= self.check_property_shape(property, value, false)?;
            }
            ok
        };
        debug_assert_eq!(findings_before, self.findings.len());
        Ok(verdict)
    }

    fn check_sparql(
        &mut self,
        c: &'a Constraints,
        focus: &Term,
        on_path: bool,
        record: bool,
    ) -> Result<bool, ShaclError> {
        let mut conforms = true;
        for constraint in &c.sparql {
            let rows = if self.focus.contains(focus) {
                if !self.sparql_cache.contains_key(&constraint.node) {
                    let rows = self.shapes.select(
                        &c.label,
                        &constraint.select,
                        self.data,
                        Some(self.focus),
                    )?;
                    let mut by_focus: HashMap<Term, Vec<HashMap<String, Term>>> = HashMap::new();
                    for row in rows {
                        if let Some(this) = row.get("this").cloned() {
                            by_focus.entry(this).or_default().push(row);
                        }
                    }
                    self.sparql_cache.insert(constraint.node.clone(), by_focus);
                }
                self.sparql_cache[&constraint.node]
                    .get(focus)
                    .cloned()
                    .unwrap_or_default()
            } else {
                self.shapes
                    .select(&c.label, &constraint.select, self.data, Some([focus]))?
            };
            if rows.is_empty() {
                continue;
            }
            conforms = false;
            for row in rows {
                let value = row.get("value").cloned();
                let property = match row.get("path") {
                    Some(p) => Some(self.graph().path_string(p)),
                    None if on_path => c.property.clone(),
                    None => None,
                };
                let text = substitute(&constraint.message, &row);
                self.record_with(record, c, focus, property, value.as_ref(), text);
            }
        }
        Ok(conforms)
    }

    fn record(
        &mut self,
        record: bool,
        c: &Constraints,
        focus: &Term,
        on_path: bool,
        value: Option<&Term>,
        fallback: impl FnOnce() -> String,
    ) {
        if !record {
            return;
        }
        let message = c.message.clone().unwrap_or_else(fallback);
        let property = if on_path { c.property.clone() } else { None };
        self.record_with(true, c, focus, property, value, message);
    }

    fn record_with(
        &mut self,
        record: bool,
        c: &Constraints,
        focus: &Term,
        property: Option<String>,
        value: Option<&Term>,
        message: String,
    ) {
        if !record {
            return;
        }
        self.findings.insert(Finding {
            level: c.level,
            check: if c.named {
                c.label.clone()
            } else {
                self.check.clone()
            },
            entity: self.shapes.relative(focus),
            property,
            value: value.map(|v| self.shapes.relative(v)),
            message,
        });
    }
}

/// The data graph: the default graph of a store.
struct Data<'a> {
    store: &'a Store,
    /// The scratch named graph that holds a constraint's focus nodes while its query runs, one
    /// per piece of work running at the same time; queries read the default graph, so the data
    /// never sees it.
    focus: NamedNode,
    /// Opens the query's outermost group, binding `?this` to the focus nodes. A triple pattern
    /// rather than `VALUES`: oxigraph joins a 10,000-row `VALUES` with a triple pattern in a
    /// nested loop (3.4 s for the file-reachability check of a 10,000-file crate), and a
    /// trailing `VALUES` would leave `$this` unbound in the group's FILTERs.
    pattern: String,
    marked: Cell<bool>,
}

/// Shapes with at least this many focus nodes are shared between the cores.
const SPLIT_FROM: usize = 256;

impl<'a> Data<'a> {
    fn new(store: &'a Store, piece: usize) -> Self {
        let focus = NamedNode::new_unchecked(format!("urn:trecrate:shacl:focus:{piece}"));
        let pattern = format!(" GRAPH {focus} {{ {focus} {focus} ?this }} ");
        Data {
            store,
            focus,
            pattern,
            marked: Cell::new(false),
        }
    }

    /// Replaces the scratch graph's content with `nodes`.
    fn mark_focus<'t>(&self, nodes: impl IntoIterator<Item = &'t Term>) -> Result<(), ShaclError> {
        let focus = self.focus.as_ref();
        self.store.clear_graph(focus)?;
        self.marked.set(true);
        self.store.extend(
            nodes
                .into_iter()
                .map(|node| QuadRef::new(focus, focus, node.as_ref(), focus).into_owned()),
        )?;
        Ok(())
    }

    fn clear_focus(&self) -> Result<(), ShaclError> {
        if self.marked.take() {
            self.store.remove_named_graph(self.focus.as_ref())?;
        }
        Ok(())
    }

    fn objects(
        &self,
        subject: &Term,
        predicate: NamedNodeRef<'_>,
    ) -> Result<Vec<Term>, ShaclError> {
        let Some(subject) = subject_ref(subject) else {
            return Ok(Vec::new());
        };
        self.store
            .quads_for_pattern(
                Some(subject.as_ref()),
                Some(predicate),
                None,
                Some(GraphNameRef::DefaultGraph),
            )
            .map(|q| Ok(q?.object))
            .collect()
    }

    fn subjects(
        &self,
        predicate: NamedNodeRef<'_>,
        object: &Term,
    ) -> Result<Vec<Term>, ShaclError> {
        self.store
            .quads_for_pattern(
                None,
                Some(predicate),
                Some(object.as_ref()),
                Some(GraphNameRef::DefaultGraph),
            )
            .map(|q| Ok(q?.subject.into()))
            .collect()
    }

    fn subjects_of(&self, predicate: &NamedNode) -> Result<Vec<Term>, ShaclError> {
        self.store
            .quads_for_pattern(
                None,
                Some(predicate.as_ref()),
                None,
                Some(GraphNameRef::DefaultGraph),
            )
            .map(|q| Ok(q?.subject.into()))
            .collect()
    }

    fn objects_of(&self, predicate: &NamedNode) -> Result<Vec<Term>, ShaclError> {
        self.store
            .quads_for_pattern(
                None,
                Some(predicate.as_ref()),
                None,
                Some(GraphNameRef::DefaultGraph),
            )
            .map(|q| Ok(q?.object))
            .collect()
    }

    /// Instances of `class` or of any of its `rdfs:subClassOf` descendants in the data graph.
    fn instances(&self, class: &Term) -> Result<HashSet<Term>, ShaclError> {
        let mut classes = vec![class.clone()];
        let mut seen = HashSet::new();
        let mut instances = HashSet::new();
        while let Some(c) = classes.pop() {
            if !seen.insert(c.clone()) {
                continue;
            }
            instances.extend(self.subjects(rdf::TYPE, &c)?);
            classes.extend(self.subjects(rdfs::SUB_CLASS_OF, &c)?);
        }
        Ok(instances)
    }

    fn is_instance(&self, node: &Term, class: &Term) -> Result<bool, ShaclError> {
        let mut pending = self.objects(node, rdf::TYPE)?;
        let mut seen = HashSet::new();
        while let Some(c) = pending.pop() {
            if &c == class {
                return Ok(true);
            }
            if seen.insert(c.clone()) {
                pending.extend(self.objects(&c, rdfs::SUB_CLASS_OF)?);
            }
        }
        Ok(false)
    }

    /// Value nodes of a SHACL property path.
    fn path_values(
        &self,
        shapes: &Graph,
        focus: &Term,
        path: &Term,
    ) -> Result<HashSet<Term>, ShaclError> {
        let mut out = HashSet::new();
        match path {
            Term::NamedNode(p) => out.extend(self.objects(focus, p.as_ref())?),
            // A list is a sequence path, whatever else its node says (the W3C suite's
            // "strange paths"); otherwise the node's path forms apply.
            Term::BlankNode(_)
                if shapes
                    .object(&as_subject(path), &rdf::FIRST.into_owned())
                    .is_some() =>
            {
                let mut current = HashSet::from([focus.clone()]);
                for step in &shapes.list(path) {
                    let mut next = HashSet::new();
                    for node in &current {
                        next.extend(self.path_values(shapes, node, step)?);
                    }
                    current = next;
                }
                out = current;
            }
            Term::BlankNode(_) => {
                let node = as_subject(path);
                if let Some(inner) = shapes.object(&node, &sh("inversePath")) {
                    match &inner {
                        Term::NamedNode(p) => out.extend(self.subjects(p.as_ref(), focus)?),
                        _ => out.extend(self.inverse_complex(shapes, focus, &inner)?),
                    }
                }
                if let Some(list) = shapes.object(&node, &sh("alternativePath")) {
                    for alt in shapes.list(&list) {
                        out.extend(self.path_values(shapes, focus, &alt)?);
                    }
                }
                if let Some(inner) = shapes.object(&node, &sh("zeroOrMorePath")) {
                    out.extend(self.closure(shapes, focus, &inner, true)?);
                }
                if let Some(inner) = shapes.object(&node, &sh("oneOrMorePath")) {
                    out.extend(self.closure(shapes, focus, &inner, false)?);
                }
                if let Some(inner) = shapes.object(&node, &sh("zeroOrOnePath")) {
                    out.insert(focus.clone());
                    out.extend(self.path_values(shapes, focus, &inner)?);
                }
            }
            _ => {}
        }
        Ok(out)
    }

    /// `sh:inversePath` of a complex path: nodes from which `inner` reaches `focus`. Only
    /// sequence-free inner paths are supported, by walking each step backwards.
    fn inverse_complex(
        &self,
        shapes: &Graph,
        focus: &Term,
        inner: &Term,
    ) -> Result<HashSet<Term>, ShaclError> {
        let node = as_subject(inner);
        if let Some(back) = shapes.object(&node, &sh("inversePath")) {
            return self.path_values(shapes, focus, &back);
        }
        let steps = shapes.list(inner);
        let mut current = HashSet::from([focus.clone()]);
        for step in steps.iter().rev() {
            let Term::NamedNode(p) = step else {
                return Ok(HashSet::new());
            };
            let mut next = HashSet::new();
            for n in &current {
                next.extend(self.subjects(p.as_ref(), n)?);
            }
            current = next;
        }
        Ok(current)
    }

    fn closure(
        &self,
        shapes: &Graph,
        focus: &Term,
        inner: &Term,
        reflexive: bool,
    ) -> Result<HashSet<Term>, ShaclError> {
        let mut out = HashSet::new();
        if reflexive {
            out.insert(focus.clone());
        }
        let mut frontier = vec![focus.clone()];
        while let Some(node) = frontier.pop() {
            for next in self.path_values(shapes, &node, inner)? {
                if out.insert(next.clone()) {
                    frontier.push(next);
                }
            }
        }
        Ok(out)
    }
}

/// Reading helpers over the shapes graph.
trait ShapesGraph {
    fn object(&self, subject: &NamedOrBlankNode, predicate: &NamedNode) -> Option<Term>;
    fn objects_for_subject_predicate_owned(
        &self,
        subject: Option<&NamedOrBlankNode>,
        predicate: &NamedNode,
    ) -> Vec<Term>;
    fn object_str(&self, subject: &NamedOrBlankNode, predicate: &NamedNode) -> Option<String>;
    fn object_u64(&self, subject: &NamedOrBlankNode, predicate: &NamedNode) -> Option<u64>;
    fn has(&self, subject: &NamedOrBlankNode, predicate: &NamedNode, object: &Term) -> bool;
    fn has_type(&self, subject: &NamedOrBlankNode, class: NamedNodeRef<'_>) -> bool;
    fn list(&self, head: &Term) -> Vec<Term>;
    fn path_string(&self, path: &Term) -> String;
}

impl ShapesGraph for Graph {
    fn object(&self, subject: &NamedOrBlankNode, predicate: &NamedNode) -> Option<Term> {
        self.object_for_subject_predicate(subject, predicate)
            .map(TermRef::into_owned)
    }

    fn objects_for_subject_predicate_owned(
        &self,
        subject: Option<&NamedOrBlankNode>,
        predicate: &NamedNode,
    ) -> Vec<Term> {
        match subject {
            Some(s) => self
                .objects_for_subject_predicate(s, predicate)
                .map(TermRef::into_owned)
                .collect(),
            None => self
                .triples_for_predicate(predicate)
                .map(|t| t.object.into_owned())
                .collect(),
        }
    }

    fn object_str(&self, subject: &NamedOrBlankNode, predicate: &NamedNode) -> Option<String> {
        match self.object(subject, predicate)? {
            Term::Literal(l) => Some(l.value().to_owned()),
            Term::NamedNode(n) => Some(n.into_string()),
            _ => None,
        }
    }

    fn object_u64(&self, subject: &NamedOrBlankNode, predicate: &NamedNode) -> Option<u64> {
        self.object_str(subject, predicate)?.parse().ok()
    }

    fn has(&self, subject: &NamedOrBlankNode, predicate: &NamedNode, object: &Term) -> bool {
        self.objects_for_subject_predicate(subject, predicate)
            .any(|o| o == object.as_ref())
    }

    fn has_type(&self, subject: &NamedOrBlankNode, class: NamedNodeRef<'_>) -> bool {
        self.objects_for_subject_predicate(subject, rdf::TYPE)
            .any(|o| o == class.into())
    }

    fn list(&self, head: &Term) -> Vec<Term> {
        let mut items = Vec::new();
        let mut node = head.clone();
        let mut seen = HashSet::new();
        while node != Term::from(rdf::NIL.into_owned()) && seen.insert(node.clone()) {
            let Some(subject) = subject_ref(&node) else {
                break;
            };
            let Some(first) = self.object(&subject, &rdf::FIRST.into_owned()) else {
                break;
            };
            items.push(first);
            match self.object(&subject, &rdf::REST.into_owned()) {
                Some(rest) => node = rest,
                None => break,
            }
        }
        items
    }

    /// A SHACL path in SPARQL property path syntax, for reports.
    fn path_string(&self, path: &Term) -> String {
        match path {
            Term::NamedNode(n) => compact(n.as_str()),
            Term::BlankNode(_) => {
                let node = as_subject(path);
                let unary = |p: &str, fmt: &dyn Fn(String) -> String| {
                    self.object(&node, &sh(p))
                        .map(|inner| fmt(self.path_string(&inner)))
                };
                unary("inversePath", &|s| format!("^{s}"))
                    .or_else(|| unary("zeroOrMorePath", &|s| format!("{s}*")))
                    .or_else(|| unary("oneOrMorePath", &|s| format!("{s}+")))
                    .or_else(|| unary("zeroOrOnePath", &|s| format!("{s}?")))
                    .or_else(|| {
                        self.object(&node, &sh("alternativePath")).map(|l| {
                            let parts: Vec<String> =
                                self.list(&l).iter().map(|p| self.path_string(p)).collect();
                            format!("({})", parts.join("|"))
                        })
                    })
                    .unwrap_or_else(|| {
                        let parts: Vec<String> = self
                            .list(path)
                            .iter()
                            .map(|p| self.path_string(p))
                            .collect();
                        parts.join("/")
                    })
            }
            other => other.to_string(),
        }
    }
}

fn as_subject(term: &Term) -> NamedOrBlankNode {
    subject_ref(term).unwrap_or_else(|| {
        NamedOrBlankNode::NamedNode(NamedNode::new_unchecked("urn:trecrate:invalid"))
    })
}

fn subject_ref(term: &Term) -> Option<NamedOrBlankNode> {
    match term {
        Term::NamedNode(n) => Some(n.clone().into()),
        Term::BlankNode(b) => Some(b.clone().into()),
        _ => None,
    }
}

/// RO-Crate's MUST / SHOULD / MAY map onto SHACL's Violation / Warning / Info.
fn severity(term: Option<&Term>) -> Level {
    match term {
        Some(Term::NamedNode(n)) if n.as_str() == format!("{SH}Warning") => Level::Recommended,
        Some(Term::NamedNode(n)) if n.as_str() == format!("{SH}Info") => Level::Optional,
        _ => Level::Required,
    }
}

fn node_kind_matches(kind: NamedNodeRef<'_>, value: &Term) -> bool {
    let (iri, blank, literal) = match value {
        Term::NamedNode(_) => (true, false, false),
        Term::BlankNode(_) => (false, true, false),
        Term::Literal(_) => (false, false, true),
        #[allow(unreachable_patterns)]
        _ => (false, false, false),
    };
    match local_name(kind.as_str()) {
        "IRI" => iri,
        "BlankNode" => blank,
        "Literal" => literal,
        "BlankNodeOrIRI" => blank || iri,
        "BlankNodeOrLiteral" => blank || literal,
        "IRIOrLiteral" => iri || literal,
        _ => false,
    }
}

/// Whether a literal's lexical form is valid for its datatype: an ill-formed literal never
/// conforms to `sh:datatype`. Covers the XSD types RO-Crate data uses; others pass.
fn well_formed(literal: &Literal) -> bool {
    let v = literal.value();
    let Some(local) = literal
        .datatype()
        .as_str()
        .strip_prefix("http://www.w3.org/2001/XMLSchema#")
    else {
        return true;
    };
    let integer = |min: i128, max: i128| -> bool {
        let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
        !digits.is_empty()
            && digits.bytes().all(|c| c.is_ascii_digit())
            && v.parse::<i128>().is_ok_and(|n| (min..=max).contains(&n))
    };
    match local {
        "integer" => integer(i128::MIN, i128::MAX),
        "long" => integer(i64::MIN.into(), i64::MAX.into()),
        "int" => integer(i32::MIN.into(), i32::MAX.into()),
        "short" => integer(i16::MIN.into(), i16::MAX.into()),
        "byte" => integer(i8::MIN.into(), i8::MAX.into()),
        "nonNegativeInteger" => integer(0, i128::MAX),
        "positiveInteger" => integer(1, i128::MAX),
        "nonPositiveInteger" => integer(i128::MIN, 0),
        "negativeInteger" => integer(i128::MIN, -1),
        "unsignedLong" => integer(0, u64::MAX.into()),
        "unsignedInt" => integer(0, u32::MAX.into()),
        "unsignedShort" => integer(0, u16::MAX.into()),
        "unsignedByte" => integer(0, u8::MAX.into()),
        "decimal" => {
            let body = v.strip_prefix(['+', '-']).unwrap_or(v);
            let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
            !(whole.is_empty() && fraction.is_empty())
                && whole.bytes().all(|c| c.is_ascii_digit())
                && fraction.bytes().all(|c| c.is_ascii_digit())
        }
        "double" | "float" => {
            matches!(v, "INF" | "-INF" | "+INF" | "NaN")
                || v.parse::<f64>().is_ok() && !v.contains(['i', 'I', 'n', 'N'])
        }
        "boolean" => matches!(v, "true" | "false" | "1" | "0"),
        "dateTime" => crate::rdf::timestamp::Timestamp::parse(v).is_some(),
        "date" => {
            v.len() >= 10
                && crate::rdf::timestamp::Timestamp::parse(&format!("{}T00:00:00Z", &v[..10]))
                    .is_some()
                && (v.len() == 10 || matches!(&v[10..], "Z") || v[10..].starts_with(['+', '-']))
        }
        _ => true,
    }
}

fn lexical(value: &Term) -> Option<String> {
    match value {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        Term::Literal(l) => Some(l.value().to_owned()),
        _ => None,
    }
}

/// SHACL patterns are XPath regular expressions; `regex` covers the subset the shapes use.
fn compile(pattern: &str, flags: &str) -> Result<Regex, String> {
    let mut prefix = String::new();
    for flag in flags.chars() {
        match flag {
            'i' | 'm' | 's' | 'x' => prefix.push(flag),
            'q' => return Regex::new(&regex::escape(pattern)).map_err(|e| e.to_string()),
            other => return Err(format!("unsupported regular expression flag {other:?}")),
        }
    }
    let full = if prefix.is_empty() {
        pattern.to_owned()
    } else {
        format!("(?{prefix}){pattern}")
    };
    Regex::new(&full).map_err(|e| format!("bad sh:pattern {pattern:?}: {e}"))
}

/// `{?var}` and `{$var}` placeholders in SHACL-SPARQL messages.
fn substitute(message: &str, row: &HashMap<String, Term>) -> String {
    let mut out = message.to_owned();
    for (name, term) in row {
        let text = match term {
            Term::Literal(l) => l.value().to_owned(),
            other => display_term(other),
        };
        out = out
            .replace(&format!("{{?{name}}}"), &text)
            .replace(&format!("{{${name}}}"), &text);
    }
    out
}

fn local_name(iri: &str) -> &str {
    iri.rsplit(['#', '/']).next().unwrap_or(iri)
}

fn display_term(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => n.as_str().to_owned(),
        Term::Literal(l) => l.value().to_owned(),
        other => other.to_string(),
    }
}

/// Well-known namespaces shortened in reports.
fn compact(iri: &str) -> String {
    for (prefix, ns) in crate::rdf::vocab::DISPLAY_PREFIXES {
        if let Some(local) = iri.strip_prefix(ns) {
            return format!("{prefix}{local}");
        }
    }
    iri.to_owned()
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

    fn findings(shapes: &str, data: &str) -> Vec<Finding> {
        let (shapes, store) = setup(shapes, data);
        shapes.validate(&store).unwrap()
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
