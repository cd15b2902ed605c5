//! A source graph: the facts of an input (a release export, a run directory) as triples in
//! one source vocabulary, for the CONSTRUCT queries to map.

use super::frozen::{self, GraphBuilder};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{Literal, NamedNode, Term};
use rustc_hash::FxHashMap;

/// A node of the source graph, by its number in the graph being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node(u32);

/// Writes the triples of a source graph: properties and classes in one source vocabulary,
/// nodes named by position under `nodes` (`urn:trecrate:export:objects/0`).
#[derive(Clone)]
pub struct SourceGraph {
    vocab: &'static str,
    nodes: &'static str,
    graph: GraphBuilder,
    /// The vocabulary's terms by local name: each is stated once per node, thousands of times.
    terms: FxHashMap<String, u32>,
    rdf_type: u32,
}

impl SourceGraph {
    pub fn new(vocab: &'static str, nodes: &'static str) -> Self {
        let mut graph = GraphBuilder::new();
        let rdf_type = graph.id(rdf::TYPE);
        SourceGraph {
            vocab,
            nodes,
            graph,
            terms: FxHashMap::default(),
            rdf_type,
        }
    }

    /// The graph, for the queries to read.
    pub fn freeze(self) -> frozen::Graph {
        self.graph.freeze()
    }

    /// What has been stated so far, to be added to.
    pub fn into_builder(self) -> GraphBuilder {
        self.graph
    }

    pub fn node(&mut self, path: &str) -> Node {
        Node(
            self.graph
                .id(&NamedNode::new_unchecked(format!("{}{path}", self.nodes))),
        )
    }

    fn vocab_term(&mut self, local: &str) -> u32 {
        if let Some(id) = self.terms.get(local) {
            return *id;
        }
        let id = self
            .graph
            .id(&NamedNode::new_unchecked(format!("{}{local}", self.vocab)));
        self.terms.insert(local.to_owned(), id);
        id
    }

    pub fn push(&mut self, subject: &Node, property: &str, object: impl Into<Term>) {
        let predicate = self.vocab_term(property);
        let object = self.graph.id(&object.into());
        self.graph.insert_ids([subject.0, predicate, object]);
    }

    pub fn class(&mut self, subject: &Node, class: &str) {
        let class = self.vocab_term(class);
        self.graph.insert_ids([subject.0, self.rdf_type, class]);
    }

    pub fn text(&mut self, subject: &Node, property: &str, value: &str) {
        self.push(subject, property, Literal::new_simple_literal(value));
    }

    pub fn integer(&mut self, subject: &Node, property: &str, value: u64) {
        self.push(
            subject,
            property,
            Literal::new_typed_literal(value.to_string(), xsd::INTEGER),
        );
    }

    /// Timestamps stay as the export wrote them (the crate repeats them verbatim); queries that
    /// order them cast to `xsd:dateTime`, whose canonical form would otherwise replace them.
    pub fn date_time(&mut self, subject: &Node, property: &str, value: &str) {
        self.text(subject, property, value);
    }

    /// `value` was checked to be an absolute IRI by the export parser.
    pub fn iri(&mut self, subject: &Node, property: &str, value: &str) {
        self.push(subject, property, NamedNode::new_unchecked(value));
    }

    pub fn link(&mut self, subject: &Node, property: &str, object: &Node) {
        let predicate = self.vocab_term(property);
        self.graph.insert_ids([subject.0, predicate, object.0]);
    }
}
