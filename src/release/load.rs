//! Stage 1: the export becomes triples in the source graph (a store's default graph), one node
//! per export object.
//!
//! Nothing is decided here: the RO-Crate mapping, including which version ships, is in
//! `queries/`. Node IRIs are positional (`urn:trecrate:export:objects/0/versions/1`) so that no
//! export value ever has to be escaped into an IRI.

use crate::rdf::vocab;
use crate::release::export::{Export, Person};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphNameRef, LiteralRef, NamedNode, NamedNodeRef, QuadRef, TermRef};
use oxigraph::store::{StorageError, Store, Transaction};

/// The TRE that publishes releases, described in the crate as an Organization.
#[derive(Debug, Clone)]
pub struct Publisher {
    pub name: String,
    pub url: String,
}

/// Writes the source graph for `export` into `store`.
pub fn load(store: &Store, export: &Export, publisher: &Publisher) -> Result<(), StorageError> {
    let mut g = SourceGraph::new(store, vocab::EXPORT, "urn:trecrate:export:")?;
    let request = g.node("request");
    let r = &export.request;
    g.class(&request, "Request");
    g.text(&request, "id", &r.id);
    g.text(&request, "title", &r.title);
    g.text(&request, "description", &r.description);
    g.date_time(&request, "submittedAt", r.submitted_at.as_str());
    g.date_time(&request, "approvedAt", r.approved_at.as_str());
    g.iri(&request, "license", &r.license);

    let project = g.node("project");
    g.class(&project, "Project");
    g.text(&project, "id", &r.project.id);
    g.text(&project, "name", &r.project.name);
    g.link(&request, "project", &project);

    let researcher = g.person("researcher", &r.researcher);
    g.link(&request, "researcher", &researcher);

    let tre = g.node("publisher");
    g.class(&tre, "Publisher");
    g.text(&tre, "name", &publisher.name);
    g.iri(&tre, "url", &publisher.url);
    g.link(&request, "publisher", &tre);

    for (i, object) in export.objects.iter().enumerate() {
        let o = g.node(&format!("objects/{i}"));
        g.class(&o, "OutputObject");
        g.text(&o, "id", &object.id);
        g.link(&request, "object", &o);
        for (j, version) in object.versions.iter().enumerate() {
            let v = g.node(&format!("objects/{i}/versions/{j}"));
            g.class(&v, "Version");
            g.link(&o, "version", &v);
            g.text(&v, "field", &version.field);
            g.integer(&v, "number", version.number);
            g.text(&v, "state", &version.state);
            g.text(&v, "path", &version.path);
            g.text(&v, "name", &version.name);
            g.text(&v, "description", &version.description);
            g.text(&v, "mediaType", &version.media_type);
            g.text(&v, "sha256", &version.sha256);
            g.integer(&v, "size", version.size);
            g.text(&v, "statbarn", &version.statbarn);
            g.text(
                &v,
                "researcherJustification",
                &version.researcher_justification,
            );
            g.text(&v, "suppressionNotes", &version.suppression_notes);
            if let Some(summary) = &version.agent_review_summary {
                g.text(&v, "agentReviewSummary", summary);
            }
        }
    }

    for (i, review) in export.reviews.iter().enumerate() {
        let rv = g.node(&format!("reviews/{i}"));
        g.class(&rv, "Review");
        g.link(&request, "review", &rv);
        g.text(&rv, "id", &review.id);
        let checker = g.person(&format!("reviews/{i}/checker"), &review.checker);
        g.link(&rv, "checker", &checker);
        g.text(&rv, "decision", &review.decision);
        g.date_time(&rv, "startedAt", review.started_at.as_str());
        g.date_time(&rv, "completedAt", review.completed_at.as_str());
        if let Some(comments) = &review.comments {
            g.text(&rv, "comments", comments);
        }
    }

    for (i, event) in export.audit.iter().enumerate() {
        let e = g.node(&format!("audit/{i}"));
        g.class(&e, "AuditEvent");
        g.link(&request, "auditEvent", &e);
        g.integer(&e, "position", i as u64 + 1);
        g.date_time(&e, "at", event.at.as_str());
        g.text(&e, "actor", &event.actor);
        g.text(&e, "event", &event.event);
        if let Some(detail) = &event.detail {
            g.text(&e, "detail", detail);
        }
    }

    g.commit()
}

/// Writes the quads of a source graph: properties and classes in one source vocabulary,
/// nodes named by position under `nodes` (`urn:trecrate:export:objects/0`).
pub(crate) struct SourceGraph<'a> {
    vocab: &'static str,
    nodes: &'static str,
    /// Facts go into the store as they are stated, borrowed: collecting them as owned quads
    /// first held 1.5 million of them (about 400 MB) for a 100,000-file export.
    transaction: Transaction<'a>,
}

impl<'a> SourceGraph<'a> {
    pub(crate) fn new(
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
    pub(crate) fn commit(self) -> Result<(), StorageError> {
        self.transaction.commit()
    }

    pub(crate) fn node(&self, path: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{}{path}", self.nodes))
    }

    pub(crate) fn push<'b>(
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

    pub(crate) fn class(&mut self, subject: &NamedNode, class: &str) {
        let class = NamedNode::new_unchecked(format!("{}{class}", self.vocab));
        self.transaction.insert(QuadRef::new(
            subject.as_ref(),
            rdf::TYPE,
            class.as_ref(),
            GraphNameRef::DefaultGraph,
        ));
    }

    pub(crate) fn text(&mut self, subject: &NamedNode, property: &str, value: &str) {
        self.push(subject, property, LiteralRef::new_simple_literal(value));
    }

    pub(crate) fn integer(&mut self, subject: &NamedNode, property: &str, value: u64) {
        let lexical = value.to_string();
        self.push(
            subject,
            property,
            LiteralRef::new_typed_literal(&lexical, xsd::INTEGER),
        );
    }

    /// Timestamps stay as the export wrote them (the crate repeats them verbatim); queries that
    /// order them cast to `xsd:dateTime`, whose canonical form would otherwise replace them.
    pub(crate) fn date_time(&mut self, subject: &NamedNode, property: &str, value: &str) {
        self.text(subject, property, value);
    }

    /// `value` was checked to be an absolute IRI by the export parser.
    pub(crate) fn iri(&mut self, subject: &NamedNode, property: &str, value: &str) {
        self.push(subject, property, NamedNodeRef::new_unchecked(value));
    }

    pub(crate) fn link(&mut self, subject: &NamedNode, property: &str, object: &NamedNode) {
        self.push(subject, property, object);
    }

    fn person(&mut self, path: &str, person: &Person) -> NamedNode {
        let p = self.node(path);
        self.class(&p, "Person");
        self.text(&p, "id", &person.id);
        self.text(&p, "name", &person.name);
        if let Some(orcid) = &person.orcid {
            self.iri(&p, "orcid", orcid);
        }
        if let Some(affiliation) = &person.affiliation {
            self.text(&p, "affiliation", affiliation);
        }
        p
    }
}
