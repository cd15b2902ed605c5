//! The archive: every release kept as RDF in a persistent oxigraph store (RocksDB on disk), so
//! auditors can query all past releases with SPARQL.
//!
//! Each recorded version of a crate is one named graph, [`graph_name`], derived from the request
//! id and the metadata's sha256: stable (the same crate always lands in the same graph) and
//! unique. Its record, the facts about the release that are not in the crate (zip checksum and
//! location, release time, tool), goes into the [`RECORDS`] graph in the same transaction as the
//! crate's triples, so a crash leaves the whole release or nothing.

pub mod ingest;
pub mod push;
pub mod query;
pub mod serve;

use crate::rdf::vocab::ARCHIVE;
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{
    GraphName, GraphNameRef, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term,
    TermRef, Triple,
};
use oxigraph::store::{StorageError, Store};
use std::path::{Path, PathBuf};

/// Where the archive lives when neither `--store` nor `TRECRATE_STORE` says:
/// `$XDG_DATA_HOME/trecrate/store`, else `~/.local/share/trecrate/store`.
pub fn default_location() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("trecrate/store"))
}

pub use crate::rdf::vocab::RECORDS;

/// The directory, inside the store's, holding each recorded metadata document as
/// `{sha256}.json`. RocksDB owns the files of its directory by their names (`*.sst`,
/// `MANIFEST-*`, ...) and leaves a directory of another name alone.
const DOCUMENTS: &str = "trecrate-documents";

/// Where the document of this sha256 is kept; `None` for what is not a sha256, so that a
/// name from a request never becomes a path elsewhere.
fn document_path(store: &Path, sha256: &str) -> Option<PathBuf> {
    (sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
    .then(|| store.join(DOCUMENTS).join(format!("{sha256}.json")))
}

/// The metadata document of a recorded version in the archive at `store`, byte for byte as
/// it was released or ingested; `None` for a version recorded before the archive kept
/// documents. A function of the directory: `serve` reads it beside the process holding the
/// archive open.
pub fn document(store: &Path, metadata_sha256: &str) -> Result<Option<Vec<u8>>, ArchiveError> {
    let Some(path) = document_path(store, metadata_sha256) else {
        return Ok(None);
    };
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ArchiveError::Storage {
            path,
            source: source.into(),
        }),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{}: no archive here yet (record a release with `trecrate release --store`, or add crates with `trecrate ingest`)", path.display())]
    Missing { path: PathBuf },
    #[error("{}: the archive is locked by another process (`trecrate serve` keeps it open; a release or ingest holds it while recording): query through the endpoint, or retry when it is done", path.display())]
    Locked { path: PathBuf },
    #[error("{}: the archive's storage failed", path.display())]
    Storage {
        path: PathBuf,
        #[source]
        source: StorageError,
    },
    #[error(
        "request {request_id} is already archived with different content (metadata sha256 {archived}, \
         now {new}); use --force to record the new version (the old one stays queryable)"
    )]
    Conflict {
        request_id: String,
        archived: String,
        new: String,
    },
    #[error("{0}")]
    FailPoint(String),
}

impl ArchiveError {
    /// Different content under an archived request id is the user's to decide (`--force`).
    pub fn is_refusal(&self) -> bool {
        matches!(self, ArchiveError::Conflict { .. })
    }
}

/// What the archive knows about a crate version beyond its own metadata.
#[derive(Debug, Clone)]
pub struct Record {
    /// The airlock request id, or the name a foreign crate was ingested under.
    pub request_id: String,
    /// The crate's root data entity as an IRI (`arcp://name,{id}/`).
    pub root: String,
    pub metadata_sha256: String,
    /// RFC 3339.
    pub released_at: String,
    pub file_count: u64,
    pub payload_bytes: u64,
    pub zip: Option<ZipRecord>,
    /// `release` or `ingest`.
    pub recorded_by: &'static str,
}

#[derive(Debug, Clone)]
pub struct ZipRecord {
    /// Where the zip went: an absolute path or a URL.
    pub location: String,
    pub sha256: String,
    pub size: u64,
    /// The object's ETag, when the zip went to object storage.
    pub etag: Option<String>,
    /// The zip holds a BagIt bag (the crate in its `data/`) rather than the crate itself.
    pub bagit: bool,
}

/// What [`Archive::record`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A new graph was written; `superseded` is the version it replaced as the current one.
    New {
        graph: String,
        superseded: Option<String>,
    },
    /// The same content was already the current version: nothing was written.
    Unchanged { graph: String },
}

/// An open archive; RocksDB allows one process at a time.
pub struct Archive {
    store: Store,
    path: PathBuf,
}

impl Archive {
    /// Opens the archive at `path`, creating it when `create` is set.
    pub fn open(path: &Path, create: bool) -> Result<Self, ArchiveError> {
        if !create && !path.join("CURRENT").is_file() {
            return Err(ArchiveError::Missing {
                path: path.to_owned(),
            });
        }
        if create {
            std::fs::create_dir_all(path).map_err(|e| ArchiveError::Storage {
                path: path.to_owned(),
                source: e.into(),
            })?;
        }
        let store = Store::open(path).map_err(|source| {
            if source.to_string().contains("lock") {
                ArchiveError::Locked {
                    path: path.to_owned(),
                }
            } else {
                ArchiveError::Storage {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
        Ok(Archive {
            store,
            path: path.to_owned(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Wraps a storage error with the archive's path.
    pub fn storage(&self) -> impl FnOnce(StorageError) -> ArchiveError + '_ {
        |source| ArchiveError::Storage {
            path: self.path.clone(),
            source,
        }
    }

    /// Refuses early, before anything is written elsewhere, what [`Archive::record`] would
    /// refuse: different content under an archived request id, without `force`.
    pub fn check(
        &self,
        request_id: &str,
        metadata_sha256: &str,
        force: bool,
    ) -> Result<(), ArchiveError> {
        let current = self.current(request_id)?;
        refuse_conflict(request_id, current.as_ref(), metadata_sha256, force)
    }

    /// Records one crate version: its triples (the crate graph, default-graph triples) in
    /// its own named graph and its record, in one transaction; and `document`, the metadata
    /// as it was written, beside the store (see [`document`]).
    pub fn record(
        &self,
        record: &Record,
        triples: impl IntoIterator<Item = Triple>,
        document: &[u8],
        force: bool,
    ) -> Result<Recorded, ArchiveError> {
        let graph = graph_name(&record.request_id, &record.metadata_sha256);
        // Kept before the transaction: named by its content, a document whose transaction
        // then fails is one no record points to, and the same bytes if tried again.
        self.keep_document(&record.metadata_sha256, document)?;
        let current = self.current(&record.request_id)?;
        if let Some((current_graph, archived)) = &current {
            if *archived == record.metadata_sha256 {
                return Ok(Recorded::Unchanged {
                    graph: current_graph.as_str().to_owned(),
                });
            }
        }
        refuse_conflict(
            &record.request_id,
            current.as_ref(),
            &record.metadata_sha256,
            force,
        )?;
        let records = NamedNode::new_unchecked(RECORDS);
        let superseded_by = term("supersededBy");
        let mut transaction = self.store.start_transaction().map_err(self.storage())?;
        let known = transaction
            .contains_named_graph(&graph)
            .map_err(self.storage())?;
        if known {
            // Going back to an earlier version: it becomes current again.
            let old: Vec<Quad> = transaction
                .quads_for_pattern(
                    Some(graph.as_ref().into()),
                    Some(superseded_by.as_ref()),
                    None,
                    Some(records.as_ref().into()),
                )
                .collect::<Result<_, _>>()
                .map_err(self.storage())?;
            for quad in &old {
                transaction.remove(quad);
            }
        } else {
            let name = GraphName::NamedNode(graph.clone());
            transaction.insert_named_graph(&graph);
            for t in triples {
                transaction.insert(&Quad::new(t.subject, t.predicate, t.object, name.clone()));
            }
            fail_point("between-graph-and-record")?;
            for (p, o) in record_triples(record) {
                transaction.insert(&Quad::new(
                    graph.clone(),
                    p,
                    o,
                    GraphName::NamedNode(records.clone()),
                ));
            }
        }
        if let Some((previous, _)) = &current {
            transaction.insert(&Quad::new(
                previous.clone(),
                superseded_by,
                graph.clone(),
                GraphName::NamedNode(records),
            ));
        }
        transaction.commit().map_err(self.storage())?;
        Ok(Recorded::New {
            graph: graph.into_string(),
            superseded: current.map(|(g, _)| g.into_string()),
        })
    }

    fn keep_document(&self, sha256: &str, document: &[u8]) -> Result<(), ArchiveError> {
        let path = document_path(&self.path, sha256).ok_or_else(|| ArchiveError::Storage {
            path: self.path.clone(),
            source: std::io::Error::other(format!("{sha256:?} is not a sha256")).into(),
        })?;
        if path.is_file() {
            return Ok(());
        }
        let failed = |source: std::io::Error| ArchiveError::Storage {
            path: path.clone(),
            source: source.into(),
        };
        let dir = self.path.join(DOCUMENTS);
        std::fs::create_dir_all(&dir).map_err(failed)?;
        let staged = dir.join(format!(".{sha256}.{}", std::process::id()));
        std::fs::write(&staged, document)
            .and_then(|()| std::fs::rename(&staged, &path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&staged);
                failed(e)
            })
    }

    /// Every recorded version of a request: their named graphs, in IRI order.
    pub fn graphs_of(&self, request_id: &str) -> Result<Vec<NamedNode>, ArchiveError> {
        graphs_of(&self.store, request_id).map_err(self.storage())
    }

    /// The current (not superseded) version of a request: its graph and metadata sha256.
    fn current(&self, request_id: &str) -> Result<Option<(NamedNode, String)>, ArchiveError> {
        let superseded_by = term("supersededBy");
        let metadata = term("metadataSha256");
        for graph in self.graphs_of(request_id)? {
            let value = |predicate| record_value(&self.store, &graph, predicate);
            if value(&superseded_by).map_err(self.storage())?.is_some() {
                continue;
            }
            let sha = match value(&metadata).map_err(self.storage())? {
                Some(Term::Literal(l)) => l.value().to_owned(),
                _ => String::new(),
            };
            return Ok(Some((graph, sha)));
        }
        Ok(None)
    }

    /// Writes RocksDB's memory tables to disk: without it, a long ingest holds every quad it
    /// wrote in memory (about 0.7 MB per 50-file release) until the store closes.
    pub fn flush(&self) -> Result<(), ArchiveError> {
        self.store.flush().map_err(self.storage())
    }

    /// Every crate version's named graph, the records' excluded, in IRI order.
    pub fn release_graphs(&self) -> Result<Vec<NamedNode>, ArchiveError> {
        let mut graphs = Vec::new();
        for graph in self.store.named_graphs() {
            if let NamedOrBlankNode::NamedNode(n) = graph.map_err(self.storage())? {
                if n.as_str() != RECORDS {
                    graphs.push(n);
                }
            }
        }
        graphs.sort();
        Ok(graphs)
    }
}

/// The recorded versions of a request in `store`: their named graphs, in IRI order. A
/// function of the store, so that `serve`, which holds only the store, reads records as the
/// archive does.
pub fn graphs_of(store: &Store, request_id: &str) -> Result<Vec<NamedNode>, StorageError> {
    let records = GraphNameRef::NamedNode(NamedNodeRef::new_unchecked(RECORDS));
    let id = Literal::new_simple_literal(request_id);
    let request = term("requestId");
    let mut graphs = Vec::new();
    for quad in store.quads_for_pattern(
        None,
        Some(request.as_ref()),
        Some(TermRef::Literal(id.as_ref())),
        Some(records),
    ) {
        if let NamedOrBlankNode::NamedNode(graph) = quad?.subject {
            graphs.push(graph);
        }
    }
    graphs.sort();
    Ok(graphs)
}

/// The value of `predicate` (a [`term`] of the archive's vocabulary) in the record of
/// `graph`, if any.
pub fn record_value(
    store: &Store,
    graph: &NamedNode,
    predicate: &NamedNode,
) -> Result<Option<Term>, StorageError> {
    let records = GraphNameRef::NamedNode(NamedNodeRef::new_unchecked(RECORDS));
    store
        .quads_for_pattern(
            Some(graph.as_ref().into()),
            Some(predicate.as_ref()),
            None,
            Some(records),
        )
        .next()
        .transpose()
        .map(|q| q.map(|q| q.object))
}

/// Different content under an archived request id, without `force`.
fn refuse_conflict(
    request_id: &str,
    current: Option<&(NamedNode, String)>,
    metadata_sha256: &str,
    force: bool,
) -> Result<(), ArchiveError> {
    match current {
        Some((_, archived)) if archived != metadata_sha256 && !force => {
            Err(ArchiveError::Conflict {
                request_id: request_id.to_owned(),
                archived: archived.clone(),
                new: metadata_sha256.to_owned(),
            })
        }
        _ => Ok(()),
    }
}

/// The triples of `graph`'s default graph, as [`Archive::record`] takes them.
pub fn triples_of(graph: &crate::rdf::frozen::Graph) -> Vec<Triple> {
    graph
        .quads()
        .map(|q| Triple::new(q.subject, q.predicate, q.object))
        .collect()
}

/// The named graph of one crate version.
pub fn graph_name(request_id: &str, metadata_sha256: &str) -> NamedNode {
    NamedNode::new_unchecked(format!(
        "urn:trecrate:release:{}:{metadata_sha256}",
        crate::rdf::iri::encode_name(request_id)
    ))
}

/// A term of the archive's vocabulary (`trecrate:requestId`).
pub fn term(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ARCHIVE}{local}"))
}

fn record_triples(record: &Record) -> Vec<(NamedNode, Term)> {
    let string = |s: &str| Term::from(Literal::new_simple_literal(s));
    let integer = |n: u64| Term::from(Literal::new_typed_literal(n.to_string(), xsd::INTEGER));
    let mut triples = vec![
        (rdf::TYPE.into_owned(), term("Release").into()),
        (term("requestId"), string(&record.request_id)),
        (
            term("crate"),
            NamedNode::new_unchecked(record.root.clone()).into(),
        ),
        (term("metadataSha256"), string(&record.metadata_sha256)),
        (
            term("releasedAt"),
            Literal::new_typed_literal(&record.released_at, xsd::DATE_TIME).into(),
        ),
        (term("fileCount"), integer(record.file_count)),
        (term("payloadBytes"), integer(record.payload_bytes)),
        (term("recordedBy"), string(record.recorded_by)),
        (
            term("tool"),
            string(concat!("trecrate ", env!("CARGO_PKG_VERSION"))),
        ),
    ];
    if let Some(zip) = &record.zip {
        triples.push((term("zipLocation"), string(&zip.location)));
        triples.push((term("zipSha256"), string(&zip.sha256)));
        triples.push((term("zipSize"), integer(zip.size)));
        if let Some(etag) = &zip.etag {
            triples.push((term("zipETag"), string(etag)));
        }
        let packaging = if zip.bagit { "bagit" } else { "zip" };
        triples.push((term("packaging"), string(packaging)));
    }
    triples
}

/// Lets tests stop a run at a named point (`TRECRATE_FAIL_AT=<point>`, with
/// `TRECRATE_FAIL_HOW=abort` for a crash rather than an error), to prove atomicity.
fn fail_point(point: &str) -> Result<(), ArchiveError> {
    if std::env::var("TRECRATE_FAIL_AT").is_ok_and(|p| p == point) {
        if std::env::var("TRECRATE_FAIL_HOW").is_ok_and(|h| h == "abort") {
            std::process::abort();
        }
        return Err(ArchiveError::FailPoint(format!(
            "failure injected at {point} (TRECRATE_FAIL_AT)"
        )));
    }
    Ok(())
}
