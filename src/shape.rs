//! Stage 2: SPARQL CONSTRUCT queries turn the source graph into the RO-Crate graph.
//!
//! The mapping is entirely in `queries/release/*.rq`; this module only runs them, in two steps:
//! `identify.rq` names entities and picks the shipped versions (its triples go back into the
//! source graph), then every other query contributes its triples to the crate graph.

use crate::assets::Asset;
use crate::rdf::vocab;
use oxigraph::model::{GraphName, NamedNode, Quad, Term, Triple};
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::{StorageError, Store};

#[derive(Debug, thiserror::Error)]
pub enum ShapeError {
    #[error("queries/{query}: {message}")]
    Query { query: String, message: String },
    #[error("queries/{query}: expected a CONSTRUCT query")]
    NotConstruct { query: String },
    #[error("invalid crate base IRI {base:?}")]
    Base { base: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Builds the crate graph, as the default graph of a new store, from the source graph in
/// `source`: `identify` first, its triples added to the source graph, then the `mapping`
/// queries. Relative IRIs in the queries resolve against `base`, the crate's root.
pub fn shape(
    source: &Store,
    identify: &Asset,
    mapping: &[Asset],
    base: &str,
) -> Result<Store, ShapeError> {
    // Collected before any goes in: the query reads the graph it adds to.
    let mut identified = Vec::new();
    construct(source, identify, base, &mut |batch| {
        identified.extend(batch);
        true
    })?;
    source.extend(
        identified
            .into_iter()
            .map(|t| t.in_graph(GraphName::DefaultGraph)),
    )?;
    // The queries only read the source graph: they run side by side, a thread each (the
    // File query alone is half the work for a 10,000-file release). Their triples go into
    // the crate graph in batches as they come, query after query in the mapping's order, so
    // that the graph is the same whichever finishes first; only the queries still waiting for
    // their turn hold theirs (the File query's 1.1 million triples at 100,000 files no longer
    // sit in memory beside both stores).
    let crate_graph = Store::new()?;
    std::thread::scope(|scope| -> Result<(), ShapeError> {
        let channels: Vec<_> = mapping
            .iter()
            .map(|query| {
                let (sender, batches) = std::sync::mpsc::channel();
                scope.spawn(move || {
                    let result = construct(source, query, base, &mut |batch| {
                        sender.send(Ok(Some(batch))).is_ok()
                    });
                    // `None` says the query finished: a thread that panicked never sends it.
                    let _ = sender.send(result.map(|()| None));
                });
                (query, batches)
            })
            .collect();
        for (query, batches) in channels {
            loop {
                let batch = batches.recv().map_err(|_| ShapeError::Query {
                    query: query.name.clone(),
                    message: "its evaluation stopped unexpectedly".into(),
                })?;
                let Some(batch) = batch? else {
                    break;
                };
                crate_graph.extend(
                    batch
                        .into_iter()
                        .map(|t| t.in_graph(GraphName::DefaultGraph)),
                )?;
            }
        }
        Ok(())
    })?;
    Ok(crate_graph)
}

/// Triples handed over to the crate graph at a time.
const BATCH: usize = 16_384;

/// Runs one CONSTRUCT query, handing its triples to `deliver` in batches; stops early, without
/// an error, when `deliver` says nobody wants more.
fn construct(
    store: &Store,
    query: &Asset,
    base: &str,
    deliver: &mut dyn FnMut(Vec<Triple>) -> bool,
) -> Result<(), ShapeError> {
    let fail = |message: String| ShapeError::Query {
        query: query.name.clone(),
        message,
    };
    let evaluator = SparqlEvaluator::new()
        .with_base_iri(base)
        .map_err(|_| ShapeError::Base {
            base: base.to_owned(),
        })?;
    let results = evaluator
        .parse_query(&query.text)
        .map_err(|e| fail(e.to_string()))?
        .on_store(store)
        .execute()
        .map_err(|e| fail(e.to_string()))?;
    let QueryResults::Graph(triples) = results else {
        return Err(ShapeError::NotConstruct {
            query: query.name.clone(),
        });
    };
    let mut batch = Vec::with_capacity(BATCH);
    for triple in triples {
        batch.push(triple.map_err(|e| fail(e.to_string()))?);
        if batch.len() == BATCH
            && !deliver(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
        {
            return Ok(());
        }
    }
    if !batch.is_empty() {
        deliver(batch);
    }
    Ok(())
}

/// Moves the `tre:` terms from ADR-0004's default namespace to the one the TRE configured.
///
/// The queries always write the default namespace so that they stay plain, static documents.
pub fn rename_namespace(graph: &Store, namespace: &str) -> Result<(), StorageError> {
    if namespace == vocab::TRE {
        return Ok(());
    }
    let rename = |n: NamedNode| match n.as_str().strip_prefix(vocab::TRE) {
        Some(local) => NamedNode::new_unchecked(format!("{namespace}{local}")),
        None => n,
    };
    let old: Vec<Quad> = graph.iter().collect::<Result<_, _>>()?;
    graph.clear()?;
    graph.extend(old.into_iter().map(|q| {
        let object = match q.object {
            Term::NamedNode(n) => rename(n).into(),
            other => other,
        };
        Quad::new(q.subject, rename(q.predicate), object, q.graph_name)
    }))
}
