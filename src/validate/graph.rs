//! The crate's graph while it is checked: in memory, or on disk when the document is large.
//!
//! oxigraph's memory store takes about four and a half times the bytes of the JSON-LD it
//! holds (950 MB for a 210 MB document of 290,000 entities), and with the document and its
//! reordered copy that made 1.8 GB. On disk, in RocksDB under a scratch directory, the same
//! validation peaks under half a gigabyte; its queries take about twice as long, so small
//! documents, the usual ones, stay in memory.

use crate::storage::scratch::Scratch;
use oxigraph::store::{StorageError, Store};
use std::ops::Deref;

/// Documents larger than this are held on disk, by default (`--max-in-memory-bytes`).
pub const ON_DISK_FROM: u64 = 64 << 20;

pub struct Graph {
    /// Declared before the scratch directory, so that it is closed before that is removed.
    store: Store,
    _scratch: Option<Scratch>,
}

impl Graph {
    /// An empty graph for a document of `len` bytes, on disk if it is over `max_in_memory`.
    pub fn for_document(len: usize, max_in_memory: u64) -> Result<Self, StorageError> {
        if len as u64 <= max_in_memory {
            return Ok(Graph {
                store: Store::new()?,
                _scratch: None,
            });
        }
        let scratch = Scratch::create("graph").map_err(StorageError::Io)?;
        Ok(Graph {
            store: Store::open(scratch.path())?,
            _scratch: Some(scratch),
        })
    }
}

impl Deref for Graph {
    type Target = Store;

    fn deref(&self) -> &Store {
        &self.store
    }
}
