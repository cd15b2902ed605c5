//! `trecrate ingest`: crates made elsewhere, or releases that travelled, into the archive. They
//! are read and validated exactly as `trecrate validate` does; a crate with a REQUIRED finding
//! is refused unless forced.

use crate::archive::{Archive, ArchiveError, Record, Recorded, ZipRecord};
use crate::finding::{Finding, Level};
use crate::rdf::select::text;
use crate::rdf::timestamp::Timestamp;
use crate::validate::{ValidateError, ValidateOptions, BASE};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Term, Triple};

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Validate(#[from] ValidateError),
    #[error("{path}: refused: {} REQUIRED finding(s) (see `trecrate validate`; --force records it anyway)", findings.len())]
    Refused {
        path: String,
        findings: Vec<Finding>,
    },
    #[error("{path}: the metadata is not readable as JSON-LD, so there is no graph to archive")]
    NoGraph { path: String },
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}: cannot archive it")]
    Archive {
        path: String,
        #[source]
        source: ArchiveError,
    },
}

impl IngestError {
    /// A crate with REQUIRED findings, or different content under an archived name.
    pub fn is_refusal(&self) -> bool {
        match self {
            IngestError::Refused { .. } => true,
            IngestError::Archive { source, .. } => source.is_refusal(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub validate: ValidateOptions,
    /// Record crates with REQUIRED findings, and new versions of archived requests.
    pub force: bool,
    /// The name to archive the crate under when it carries no airlock request id; by default
    /// its directory or file name.
    pub name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Ingested {
    pub request_id: String,
    pub recorded: Recorded,
    /// Every finding of the validation (REQUIRED ones only when forced).
    pub findings: Vec<Finding>,
}

/// Quads recorded between two flushes of the store's memory tables (about 70 MB of them).
const FLUSH_EVERY: usize = 100_000;

/// A crate read, validated and turned into what the archive records, not yet recorded.
pub struct Prepared {
    path: String,
    record: Record,
    triples: Vec<Triple>,
    /// The metadata document as read, for the archive to keep.
    document: Vec<u8>,
    findings: Vec<Finding>,
}

/// Ingests one crate.
pub fn ingest(
    archive: &Archive,
    path: &Path,
    options: &IngestOptions,
) -> Result<Ingested, IngestError> {
    commit(archive, prepare(path, options)?, options.force)
}

/// Ingests `paths`, reading and validating them on every core while the archive records them
/// one by one, in the order given; `on_done` hears of each crate in that order.
pub fn ingest_all(
    archive: &Archive,
    paths: &[std::path::PathBuf],
    options: &IngestOptions,
    on_done: &mut dyn FnMut(usize, Result<Ingested, IngestError>),
) {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(paths.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (sender, receiver) = std::sync::mpsc::sync_channel(workers * 2);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let sender = sender.clone();
            let next = &next;
            scope.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(path) = paths.get(i) else { break };
                if sender.send((i, prepare(path, options))).is_err() {
                    break;
                }
            });
        }
        drop(sender);
        let mut waiting = std::collections::BTreeMap::new();
        let mut due = 0;
        let mut unflushed = 0;
        for (i, prepared) in receiver {
            waiting.insert(i, prepared);
            while let Some(prepared) = waiting.remove(&due) {
                if let Ok(p) = &prepared {
                    unflushed += p.triples.len();
                }
                let mut result = prepared.and_then(|p| commit(archive, p, options.force));
                if unflushed > FLUSH_EVERY {
                    unflushed = 0;
                    if let Err(source) = archive.flush() {
                        result = Err(IngestError::Archive {
                            path: paths[due].display().to_string(),
                            source,
                        });
                    }
                }
                on_done(due, result);
                due += 1;
            }
        }
    });
}

fn commit(archive: &Archive, prepared: Prepared, force: bool) -> Result<Ingested, IngestError> {
    let recorded = archive
        .record(
            &prepared.record,
            prepared.triples,
            &prepared.document,
            force,
        )
        .map_err(|source| IngestError::Archive {
            path: prepared.path,
            source,
        })?;
    Ok(Ingested {
        request_id: prepared.record.request_id,
        recorded,
        findings: prepared.findings,
    })
}

/// Reads and validates one crate, and builds its record and triples.
pub fn prepare(path: &Path, options: &IngestOptions) -> Result<Prepared, IngestError> {
    let shown = path.display().to_string();
    let checked = crate::validate::check(path, &options.validate)?;
    let findings = checked.report.findings;
    let required: Vec<Finding> = findings
        .iter()
        .filter(|f| f.level == Level::Required)
        .cloned()
        .collect();
    if !required.is_empty() && !options.force {
        return Err(IngestError::Refused {
            path: shown,
            findings: required,
        });
    }
    let graph = checked.graph.ok_or_else(|| IngestError::NoGraph {
        path: shown.clone(),
    })?;
    let read = |message: String| IngestError::Read {
        path: shown.clone(),
        message,
    };
    let facts = crate::rdf::select::select(
        &graph,
        Some(BASE),
        &crate::rdf::vocab::in_tre_namespace(
            crate::assets::document(crate::assets::INGEST_RECORD_QUERY),
            &options.validate.tre_namespace,
        ),
    )
    .map_err(|e| read(format!("queries/ingest/record.rq: {e}")))?
    .rows
    .into_iter()
    .next()
    .unwrap_or_default();
    let request_id = match (text(facts.get("request")), &options.name) {
        (_, Some(name)) => name.clone(),
        (Some(id), None) => id,
        (None, None) => name_of(path),
    };
    let root = crate::rdf::iri::crate_base(&request_id);
    let released_at = text(facts.get("published"))
        .and_then(|p| Timestamp::parse(&p))
        .unwrap_or_else(Timestamp::now);
    let number = |name: &str| {
        text(facts.get(name))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let zip = zip_record(path, checked.bag).map_err(|e| read(e.to_string()))?;
    let record = Record {
        request_id: request_id.clone(),
        root: root.clone(),
        metadata_sha256: crate::rdf::digest::sha256_hex(&checked.metadata),
        released_at: released_at.as_str().to_owned(),
        file_count: number("files"),
        payload_bytes: number("bytes"),
        zip,
        recorded_by: "ingest",
    };
    let quads = graph.quads().map_err(|e| read(e.to_string()))?;
    let triples = quads
        .into_iter()
        .map(|quad| {
            Triple::new(
                match quad.subject {
                    NamedOrBlankNode::NamedNode(n) => NamedOrBlankNode::NamedNode(rebase(n, &root)),
                    other => other,
                },
                rebase(quad.predicate, &root),
                match quad.object {
                    Term::NamedNode(n) => Term::NamedNode(rebase(n, &root)),
                    other => other,
                },
            )
        })
        .collect();
    Ok(Prepared {
        path: shown,
        record,
        triples,
        document: checked.metadata,
        findings,
    })
}

/// Moves an IRI from validate's base to the crate's archive base, where `release` puts it.
fn rebase(iri: NamedNode, root: &str) -> NamedNode {
    match iri.as_str().strip_prefix(BASE) {
        Some(relative) => NamedNode::new_unchecked(format!("{root}{relative}")),
        None => iri,
    }
}

fn name_of_file(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A crate's archive name from its path: the directory, the zip without `.zip`, or for a
/// metadata file its folder; characters other than `[A-Za-z0-9._-]` become `-`.
fn name_of(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut name = name_of_file(&absolute);
    if name == crate::validate::reader::METADATA {
        name = absolute.parent().map(name_of_file).unwrap_or_default();
    }
    let name = name.strip_suffix(".zip").unwrap_or(&name);
    let name = name.strip_suffix("-ro-crate-metadata.json").unwrap_or(name);
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if clean.is_empty() {
        "crate".into()
    } else {
        clean
    }
}

/// For a zip crate: where it is, its sha256 and size, as for a release's zip.
fn zip_record(path: &Path, bagit: bool) -> std::io::Result<Option<ZipRecord>> {
    if !path.is_file() || !path.to_string_lossy().ends_with(".zip") {
        return Ok(None);
    }
    let (sha256, size) = crate::rdf::digest::sha256_of(crate::file::open_regular(path)?)?;
    Ok(Some(ZipRecord {
        location: std::fs::canonicalize(path)?.display().to_string(),
        sha256,
        size,
        etag: None,
        bagit,
    }))
}
