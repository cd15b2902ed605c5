//! A source graph: the facts of an input (a release export, a run directory) as triples in
//! one source vocabulary, for the CONSTRUCT queries to map.

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphNameRef, LiteralRef, NamedNode, NamedNodeRef, QuadRef, TermRef};
use oxigraph::store::{StorageError, Store, Transaction};

/// Writes the quads of a source graph: properties and classes in one source vocabulary,
/// nodes named by position under `nodes` (`urn:trecrate:export:objects/0`).
pub struct SourceGraph<'a> {
    vocab: &'static str,
    nodes: &'static str,
    /// Facts go into the store as they are stated, borrowed: collecting them as owned quads
    /// first held 1.5 million of them (about 400 MB) for a 100,000-file export.
    transaction: Transaction<'a>,
}

impl<'a> SourceGraph<'a> {
    pub fn new(
        store: &'a Store,
        vocab: &'static str,
        nodes: &'static str,
    ) -> Result<Self, StorageError> {
        Ok(SourceGraph {
            vocab,
            nodes,
            transaction: store.start_transaction()?,
        })
    }

    /// Nothing is in the store until this succeeds.
    pub fn commit(self) -> Result<(), StorageError> {
        self.transaction.commit()
    }

    pub fn node(&self, path: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{}{path}", self.nodes))
    }

    pub fn push<'b>(
        &mut self,
        subject: &NamedNode,
        property: &str,
        object: impl Into<TermRef<'b>>,
    ) {
        let predicate = NamedNode::new_unchecked(format!("{}{property}", self.vocab));
        let object: TermRef<'_> = object.into();
        self.transaction.insert(QuadRef::new(
            subject.as_ref(),
            predicate.as_ref(),
            object,
            GraphNameRef::DefaultGraph,
        ));
    }

    pub fn class(&mut self, subject: &NamedNode, class: &str) {
        let class = NamedNode::new_unchecked(format!("{}{class}", self.vocab));
        self.transaction.insert(QuadRef::new(
            subject.as_ref(),
            rdf::TYPE,
            class.as_ref(),
            GraphNameRef::DefaultGraph,
        ));
    }

    pub fn text(&mut self, subject: &NamedNode, property: &str, value: &str) {
        self.push(subject, property, LiteralRef::new_simple_literal(value));
    }

    pub fn integer(&mut self, subject: &NamedNode, property: &str, value: u64) {
        let lexical = value.to_string();
        self.push(
            subject,
            property,
            LiteralRef::new_typed_literal(&lexical, xsd::INTEGER),
        );
    }

    /// Timestamps stay as the export wrote them (the crate repeats them verbatim); queries that
    /// order them cast to `xsd:dateTime`, whose canonical form would otherwise replace them.
    pub fn date_time(&mut self, subject: &NamedNode, property: &str, value: &str) {
        self.text(subject, property, value);
    }

    /// `value` was checked to be an absolute IRI by the export parser.
    pub fn iri(&mut self, subject: &NamedNode, property: &str, value: &str) {
        self.push(subject, property, NamedNodeRef::new_unchecked(value));
    }

    pub fn link(&mut self, subject: &NamedNode, property: &str, object: &NamedNode) {
        self.push(subject, property, object);
    }
}
