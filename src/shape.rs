//! Stage 2: SPARQL CONSTRUCT queries turn source graphs into the RO-Crate graph.
//!
//! The mapping is entirely in `queries/release/*.rq`; this module only runs them, in two steps:
//! `identify.rq` names entities and picks the shipped versions (its triples go back into the
//! source graph), then every other query contributes its triples to the crate graph.
//!
//! A source graph may come in shards (a release's objects, a thousand at a time, each with the
//! request they belong to): each shard is identified and mapped on its own, and the crate graph
//! is the union of what the shards give. That is the whole graph's mapping as long as no query
//! relates two objects, which none of the mapping does: each solution is about one object and
//! the request.

use crate::assets::Asset;
use crate::rdf::frozen::{self, GraphBuilder};
use crate::rdf::select::Dataset;
use crate::rdf::vocab;
use oxigraph::model::{NamedNode, Quad, Term, Triple};
use oxigraph::sparql::{PreparedSparqlQuery, QueryResults};

#[derive(Debug, thiserror::Error)]
pub enum ShapeError {
    #[error("queries/{query}: {message}")]
    Query { query: String, message: String },
    #[error("queries/{query}: expected a CONSTRUCT query")]
    NotConstruct { query: String },
}

/// A query of the mapping, parsed once for every shard.
struct Construct {
    name: String,
    query: PreparedSparqlQuery,
}

impl Construct {
    fn parse(asset: &Asset, base: &str) -> Result<Self, ShapeError> {
        Ok(Construct {
            name: asset.name.clone(),
            query: crate::rdf::select::prepare(Some(base), &asset.text).map_err(|message| {
                ShapeError::Query {
                    query: asset.name.clone(),
                    message,
                }
            })?,
        })
    }

    /// The query's triples over `graph`.
    fn run(&self, graph: &frozen::Graph) -> Result<Vec<Triple>, ShapeError> {
        let fail = |message: String| ShapeError::Query {
            query: self.name.clone(),
            message,
        };
        let QueryResults::Graph(triples) = graph.execute(self.query.clone()).map_err(fail)? else {
            return Err(ShapeError::NotConstruct {
                query: self.name.clone(),
            });
        };
        triples
            .map(|t| t.map_err(|e| fail(e.to_string())))
            .collect()
    }
}

/// The mapping: `identify`, then the CONSTRUCT queries whose union is the crate graph.
/// Relative IRIs in the queries resolve against the crate's root.
pub struct Mapping {
    identify: Construct,
    construct: Vec<Construct>,
}

impl Mapping {
    pub fn new(identify: &Asset, construct: &[Asset], base: &str) -> Result<Self, ShapeError> {
        Ok(Mapping {
            identify: Construct::parse(identify, base)?,
            construct: construct
                .iter()
                .map(|asset| Construct::parse(asset, base))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Identifies the entities of `source` and maps it, its queries spread over `workers`
    /// threads. Returns the source graph with what `identify` added (for the SELECTs that read
    /// it after) and the crate graph's triples, query after query in the mapping's order.
    pub fn map(
        &self,
        source: GraphBuilder,
        workers: usize,
    ) -> Result<(frozen::Graph, Vec<Triple>), ShapeError> {
        let source = source.freeze();
        // Collected before any goes in: the query reads the graph it adds to.
        let identified = self.identify.run(&source)?;
        let mut source = source.thaw();
        for triple in identified {
            source.insert(triple);
        }
        let source = source.freeze();
        let mut triples = Vec::new();
        let results = crate::parallel::map(&self.construct, workers, |_, query| query.run(&source));
        for (query, result) in self.construct.iter().zip(results) {
            triples.extend(result.ok_or_else(|| ShapeError::Query {
                query: query.name.clone(),
                message: "its evaluation stopped unexpectedly".into(),
            })??);
        }
        Ok((source, triples))
    }
}

/// The crate graph of one source graph, its queries run side by side.
pub fn shape(
    source: GraphBuilder,
    identify: &Asset,
    mapping: &[Asset],
    base: &str,
) -> Result<frozen::Graph, ShapeError> {
    let mapping = Mapping::new(identify, mapping, base)?;
    let workers = crate::parallel::workers(mapping.construct.len(), usize::MAX);
    let (_, triples) = mapping.map(source, workers)?;
    let mut graph = GraphBuilder::new();
    graph.extend(triples);
    Ok(graph.freeze())
}

/// Moves the `tre:` terms from ADR-0004's default namespace to the one the TRE configured.
///
/// The queries always write the default namespace so that they stay plain, static documents.
pub fn rename_namespace(graph: frozen::Graph, namespace: &str) -> frozen::Graph {
    if namespace == vocab::TRE {
        return graph;
    }
    let rename = |n: NamedNode| match vocab::moved_to_namespace(n.as_str(), namespace) {
        Some(moved) => NamedNode::new_unchecked(moved),
        None => n,
    };
    let mut renamed = GraphBuilder::new();
    renamed.extend(graph.quads().map(|q| {
        let object = match q.object {
            Term::NamedNode(n) => rename(n).into(),
            other => other,
        };
        Quad::new(q.subject, rename(q.predicate), object, q.graph_name)
    }));
    renamed.freeze()
}
