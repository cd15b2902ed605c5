//! Stage 1: the export becomes triples in source graphs, one node per export object.
//!
//! Nothing is decided here: the RO-Crate mapping, including which version ships, is in
//! `queries/`. Node IRIs are positional (`urn:trecrate:export:objects/0/versions/1`) so that no
//! export value ever has to be escaped into an IRI.
//!
//! The mapping is per output object, so the objects are loaded in shards ([`shard`]): each
//! shard's graph holds the request's own graph ([`request`]: the request, its people,
//! reviews and audit trail) and a run of objects, and is mapped on a core of its own.

use super::export::{Export, Person};
use crate::rdf::source_graph::{Node, SourceGraph};
use crate::rdf::vocab;
use std::ops::Range;

/// The TRE that publishes releases, described in the crate as an Organization.
#[derive(Debug, Clone)]
pub struct Publisher {
    pub name: String,
    pub url: String,
}

/// The publisher when none is given (`--publisher-name`, `--publisher-url`): the TRE of the
/// bundled examples.
pub const DEFAULT_PUBLISHER_NAME: &str = "KARECTL Trusted Research Environment";
pub const DEFAULT_PUBLISHER_URL: &str = "https://karectl.example/";

/// The request's own graph: everything of the export but its objects.
pub fn request(export: &Export, publisher: &Publisher) -> SourceGraph {
    let mut g = SourceGraph::new(vocab::EXPORT, "urn:trecrate:export:");
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

    let researcher = person(&mut g, "researcher", &r.researcher);
    g.link(&request, "researcher", &researcher);

    let tre = g.node("publisher");
    g.class(&tre, "Publisher");
    g.text(&tre, "name", &publisher.name);
    g.iri(&tre, "url", &publisher.url);
    g.link(&request, "publisher", &tre);

    for (i, review) in export.reviews.iter().enumerate() {
        let rv = g.node(&format!("reviews/{i}"));
        g.class(&rv, "Review");
        g.link(&request, "review", &rv);
        g.text(&rv, "id", &review.id);
        let checker = person(&mut g, &format!("reviews/{i}/checker"), &review.checker);
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

    g
}

/// Objects in a shard: small enough that a shard's graph stays in the core's caches and
/// 100,000 files make dozens of shards for the cores to share, large enough that the request's
/// graph, repeated in each, is a small part of it.
pub const SHARD: usize = 1024;

/// The shards of `n` objects for `workers` cores: runs of at most [`SHARD`] objects, as many
/// as a multiple of `workers` where there are enough objects, their sizes at most one apart,
/// so that the cores finish together rather than one mapping a short last shard alone; and
/// one shard when there is no object, so that the request is always mapped.
pub fn shards(n: usize, workers: usize) -> Vec<Range<usize>> {
    let workers = workers.max(1);
    let count = (n.div_ceil(SHARD).div_ceil(workers) * workers).clamp(1, n.max(1));
    let (size, longer) = (n / count, n % count);
    let start = |i: usize| i * size + i.min(longer);
    (0..count).map(|i| start(i)..start(i + 1)).collect()
}

/// The source graph of a shard: the request's graph and the objects of `objects`.
pub fn shard(request: &SourceGraph, export: &Export, objects: Range<usize>) -> SourceGraph {
    let mut g = request.clone();
    let request = g.node("request");
    for i in objects {
        let object = &export.objects[i];
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
    g
}

/// A person of the export (researcher or checker) as a source node under `path`.
fn person(g: &mut SourceGraph, path: &str, person: &Person) -> Node {
    let p = g.node(path);
    g.class(&p, "Person");
    g.text(&p, "id", &person.id);
    g.text(&p, "name", &person.name);
    if let Some(orcid) = &person.orcid {
        g.iri(&p, "orcid", orcid);
    }
    if let Some(affiliation) = &person.affiliation {
        g.text(&p, "affiliation", affiliation);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::{shards, SHARD};

    #[test]
    fn shards_cover_every_object_once_in_even_runs_the_cores_can_share() {
        for n in [0, 1, 3, 7, 10, 100, 1023, 1024, 1025, 10_000, 100_000] {
            for workers in [1, 2, 3, 8] {
                let runs = shards(n, workers);
                let covered: Vec<usize> = runs.iter().flat_map(|r| r.clone()).collect();
                assert_eq!(covered, (0..n).collect::<Vec<_>>(), "{n} objects");
                assert!(runs.iter().all(|r| r.len() <= SHARD), "{n} objects");
                if n == 0 {
                    assert_eq!(runs.len(), 1, "the request alone is one shard");
                    assert!(runs[0].is_empty());
                    continue;
                }
                let sizes: Vec<usize> = runs.iter().map(|r| r.len()).collect();
                let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(max - min <= 1, "{n} objects, {workers} cores: {sizes:?}");
                if n >= workers {
                    assert_eq!(runs.len() % workers, 0, "{n} objects, {workers} cores");
                } else {
                    assert_eq!(runs.len(), n);
                }
            }
        }
    }
}
