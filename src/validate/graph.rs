//! The crate's graph while it is checked: in memory, or on disk when the document is large.
//!
//! In memory it is a [`frozen::Graph`]: numbered terms and sorted triples, written once as the
//! document is parsed. oxigraph's memory store took about eight times the bytes of a dense
//! document (its versioned indexes; 300 of the 410 MB a 36 MB document peaked at), which put
//! validation at twelve to fourteen times the metadata. On disk, in RocksDB under a scratch
//! directory, the graph costs little memory and the queries about twice the time, so only
//! documents over `--max-in-memory-bytes` go there.

use crate::rdf::frozen::{self, GraphBuilder};
use crate::rdf::select::Dataset;
use crate::shacl::DataGraph;
use crate::storage::scratch::Scratch;
use oxigraph::model::{NamedNode, Quad, Term};
use oxigraph::sparql::{PreparedSparqlQuery, QueryResults};
use oxigraph::store::{BulkLoader, StorageError, Store};

/// Documents larger than this are held on disk, by default (`--max-in-memory-bytes`).
pub const ON_DISK_FROM: u64 = 64 << 20;

pub enum Graph {
    Memory(frozen::Graph),
    OnDisk {
        /// Declared before the scratch directory, so that it is closed before that is removed.
        store: Store,
        _scratch: Scratch,
    },
}

/// A graph being filled as the document is parsed.
pub enum Filling {
    Memory(GraphBuilder),
    OnDisk { store: Store, scratch: Scratch },
}

impl Filling {
    /// An empty graph for a document of `len` bytes, on disk if it is over `max_in_memory`.
    pub fn for_document(len: usize, max_in_memory: u64) -> Result<Self, StorageError> {
        if len as u64 <= max_in_memory {
            return Ok(Filling::Memory(GraphBuilder::new()));
        }
        let scratch = Scratch::create("graph").map_err(StorageError::Io)?;
        Ok(Filling::OnDisk {
            store: Store::open(scratch.path())?,
            scratch,
        })
    }

    /// Fills the graph with the quads of `batches`, then makes it ready to query.
    pub fn fill(self, batches: impl Iterator<Item = Vec<Quad>>) -> Result<Graph, StorageError> {
        match self {
            Filling::Memory(mut builder) => {
                builder.extend(batches.flatten());
                Ok(Graph::Memory(builder.freeze()))
            }
            Filling::OnDisk { store, scratch } => {
                let mut loader: BulkLoader =
                    store.bulk_loader().with_max_memory_size_in_megabytes(128);
                for batch in batches {
                    loader.load_quads(batch)?;
                }
                loader.commit()?;
                Ok(Graph::OnDisk {
                    store,
                    _scratch: scratch,
                })
            }
        }
    }
}

impl Graph {
    /// The graph as the SHACL engine reads it.
    pub fn data(&self) -> DataGraph<'_> {
        match self {
            Graph::Memory(graph) => graph.into(),
            Graph::OnDisk { store, .. } => store.into(),
        }
    }

    /// Replaces the named graph `name` with `quads`' triples.
    pub fn set_named(&mut self, name: &NamedNode, quads: Vec<Quad>) -> Result<(), StorageError> {
        match self {
            Graph::Memory(graph) => {
                graph.set_named(name.clone().into(), quads.into_iter().map(Into::into));
                Ok(())
            }
            Graph::OnDisk { store, .. } => {
                store.remove_named_graph(name)?;
                store.extend(quads)
            }
        }
    }

    pub fn remove_named(&mut self, name: &NamedNode) -> Result<(), StorageError> {
        match self {
            Graph::Memory(graph) => {
                graph.remove_named(&Term::from(name.clone()));
                Ok(())
            }
            Graph::OnDisk { store, .. } => store.remove_named_graph(name),
        }
    }

    /// Every quad of the graph.
    pub fn quads(&self) -> Result<Vec<Quad>, StorageError> {
        match self {
            Graph::Memory(graph) => Ok(graph.quads().collect()),
            Graph::OnDisk { store, .. } => store.iter().collect(),
        }
    }
}

impl Dataset for Graph {
    fn execute(&self, query: PreparedSparqlQuery) -> Result<QueryResults<'_>, String> {
        match self {
            Graph::Memory(graph) => graph.execute(query),
            Graph::OnDisk { store, .. } => store.execute(query),
        }
    }
}
