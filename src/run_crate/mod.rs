//! `trecrate run-crate`: the RO-Crate of a workflow run directory, conforming to RO-Crate 1.1,
//! Process Run Crate 0.5, Workflow Run Crate 0.5 and Workflow RO-Crate 1.0.
//!
//! The release pipeline with another profile: the run directory is loaded as RDF
//! ([`crate::run_crate::run_dir`]), `queries/run-crate/*.rq` build the crate graph, the RO-Crate 1.1 and
//! `shapes/run-crate/` shapes check it, and it is written as flattened, compacted JSON-LD under
//! the RO-Crate 1.1, workflow-run and sapporo contexts. Only the loader is specific to runs.

pub mod run_dir;

use crate::archive::{self, Archive, Recorded};
use crate::assets::{AssetDirs, RunAssets};
use crate::event::Event;
use crate::jsonld::{self, Remote};
use crate::package::{self, Package, PayloadFile};
use crate::rdf::frozen;
use crate::rdf::iri::crate_base;
use crate::shacl::{self, Finding, Level};
use crate::shape;
use run_dir::Loaded;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RunCrateError {
    #[error("{}: not a run directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("invalid option --license: {0:?} is not an absolute IRI")]
    License(String),
    #[error(transparent)]
    RunDir(#[from] run_dir::RunDirError),
    #[error(transparent)]
    Assets(#[from] crate::assets::AssetError),
    #[error(transparent)]
    Profile(#[from] crate::profile::ProfileError),
    #[error(transparent)]
    Shape(#[from] shape::ShapeError),
    #[error(transparent)]
    Shacl(#[from] crate::shacl::ShaclError),
    #[error(transparent)]
    JsonLd(#[from] jsonld::JsonLdError),
    #[error(transparent)]
    Archive(#[from] archive::ArchiveError),
    #[error(transparent)]
    Package(Box<package::PackageError>),
    #[error("{}: cannot write the crate", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the run crate fails {} REQUIRED check(s) of its own shapes; nothing was written", .0.iter().filter(|f| f.level == Level::Required).count())]
    Refused(Vec<Finding>),
    #[error("cancelled; nothing was written")]
    Cancelled,
}

impl RunCrateError {
    pub fn is_refusal(&self) -> bool {
        match self {
            RunCrateError::Refused(_) => true,
            RunCrateError::Archive(a) => a.is_refusal(),
            _ => false,
        }
    }
}

/// Everything `trecrate run-crate` needs.
#[derive(Debug, Clone, Default)]
pub struct RunCrateOptions {
    pub dir: PathBuf,
    /// Where the metadata goes; `None` is `dir/ro-crate-metadata.json`.
    pub out: Option<PathBuf>,
    /// The crate's licence (an IRI); `None` takes the run request's `tags.license`, else CC0.
    pub license: Option<String>,
    pub assets: AssetDirs,
    /// The archive to record the run in; `None` records nothing.
    pub store: Option<PathBuf>,
    pub force: bool,
    /// Also write the crate as a BagIt bag in a zip beside the metadata.
    pub bagit: bool,
    /// Stops the run between stages and files.
    pub cancel: crate::event::Cancel,
}

impl RunCrateOptions {
    pub fn metadata_path(&self) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| self.dir.join("ro-crate-metadata.json"))
    }

    /// With `bagit`: `ro-crate-{run id}.zip` beside the metadata.
    pub fn bag_path(&self, run_id: &str) -> PathBuf {
        self.metadata_path()
            .with_file_name(format!("ro-crate-{run_id}.zip"))
    }
}

/// A written run crate.
#[derive(Debug, Clone)]
pub struct RunCrate {
    pub path: PathBuf,
    /// The bag's zip, with `bagit`.
    pub bag: Option<BagZip>,
    pub loaded: Loaded,
    /// RECOMMENDED and OPTIONAL findings of the crate's shapes.
    pub findings: Vec<Finding>,
    pub archived: Option<Recorded>,
}

/// Builds and writes the run crate of `options.dir`: load, shape, validate, JSON-LD, write.
pub fn run_crate(
    options: &RunCrateOptions,
    on_event: &mut dyn FnMut(Event),
) -> Result<RunCrate, RunCrateError> {
    if !options.dir.is_dir() {
        return Err(RunCrateError::NotADirectory(options.dir.clone()));
    }
    if let Some(license) = &options.license {
        if oxigraph::model::NamedNode::new(license.as_str()).is_err() {
            return Err(RunCrateError::License(license.clone()));
        }
    }
    let archive = match &options.store {
        Some(path) => Some(Archive::open(path, true)?),
        None => None,
    };
    let base = crate::profile::Profiles::builtin()?
        .get(crate::profile::RUN_CRATE_BASE_TOKEN)
        .ok_or(crate::profile::ProfileError::Unknown(
            crate::profile::RUN_CRATE_BASE_TOKEN,
        ))?;
    let assets = RunAssets::load(&options.assets, &base.shapes)?;

    on_event(Event::Stage(
        "reading the run directory into the triple store",
    ));
    let (source, loaded) = run_dir::load(&options.dir, options.license.as_deref(), &assets.files)?;
    let base = crate_base(&loaded.run_id);

    on_event(Event::Stage(
        "building the Workflow Run Crate graph (SPARQL CONSTRUCT)",
    ));
    let graph = shape::shape(source, &assets.identify, &assets.construct, &base)?;

    options.cancel.check(RunCrateError::Cancelled)?;
    on_event(Event::Stage("checking the crate graph (SHACL)"));
    let findings = shacl::check(&assets.shapes, &graph, &base)?;
    if findings.iter().any(|f| f.level == Level::Required) {
        return Err(RunCrateError::Refused(findings));
    }

    options.cancel.check(RunCrateError::Cancelled)?;
    on_event(Event::Stage("writing JSON-LD"));
    let context = jsonld::Context::of(
        &[
            Remote {
                url: crate::rdf::vocab::RO_CRATE_1_1_CONTEXT,
                file: "ro-crate-1.1.jsonld",
                document: &assets.ro_crate_context,
            },
            Remote {
                url: crate::rdf::vocab::WORKFLOW_RUN_CONTEXT,
                file: "ro-terms-workflow-run.jsonld",
                document: &assets.workflow_run_context,
            },
            Remote {
                url: crate::rdf::vocab::SAPPORO_CONTEXT,
                file: "ro-terms-sapporo.jsonld",
                document: &assets.sapporo_context,
            },
        ],
        jsonld::inline_terms("run-crate.jsonld", &assets.inline_context)?,
    )?;
    let metadata = jsonld::serialize(&graph, &base, &context)?;
    let path = options.metadata_path();
    let metadata_sha256 = crate::rdf::digest::sha256_hex(metadata.as_bytes());
    if let Some(archive) = &archive {
        archive.check(&loaded.run_id, &metadata_sha256, options.force)?;
    }
    // The bag is staged first and put in place after the metadata: a failure leaves neither
    // a half-written zip nor a zip of metadata that was never written.
    let bag = match options.bagit {
        true => {
            on_event(Event::Stage("writing the BagIt bag"));
            Some(stage_bag(options, &loaded, &metadata, on_event)?)
        }
        false => None,
    };
    write_atomically(&path, metadata.as_bytes())?;
    let bag = match bag {
        Some((staged, bag)) => {
            staged.commit()?;
            Some(bag)
        }
        None => None,
    };

    let archived = match &archive {
        Some(archive) => {
            on_event(Event::Stage("recording the run in the archive"));
            Some(record(
                archive,
                &graph,
                &loaded,
                &metadata,
                &metadata_sha256,
                bag.as_ref(),
                options.force,
            )?)
        }
        None => None,
    };
    Ok(RunCrate {
        path,
        bag,
        loaded,
        findings,
        archived,
    })
}

/// The crate graph and a record of the run, into the archive beside the releases.
fn record(
    archive: &Archive,
    graph: &frozen::Graph,
    loaded: &Loaded,
    metadata: &str,
    metadata_sha256: &str,
    bag: Option<&BagZip>,
    force: bool,
) -> Result<Recorded, RunCrateError> {
    let record = archive::Record {
        request_id: loaded.run_id.clone(),
        root: crate_base(&loaded.run_id),
        metadata_sha256: metadata_sha256.to_owned(),
        released_at: crate::rdf::timestamp::Timestamp::now().as_str().to_owned(),
        file_count: loaded.files as u64,
        payload_bytes: loaded.bytes,
        zip: bag.map(|bag| archive::ZipRecord {
            location: std::path::absolute(&bag.zip)
                .unwrap_or_else(|_| bag.zip.clone())
                .display()
                .to_string(),
            sha256: bag.zipped.zip_sha256.clone(),
            size: bag.zipped.zip_size,
            etag: None,
            bagit: true,
        }),
        recorded_by: "run-crate",
    };
    Ok(archive.record(
        &record,
        archive::triples_of(graph),
        metadata.as_bytes(),
        force,
    )?)
}

/// The run crate as a bag in a zip (`--bagit`).
#[derive(Debug, Clone)]
pub struct BagZip {
    pub zip: PathBuf,
    /// Its sha256 and size, the metadata's sha256.
    pub zipped: package::Zipped,
}

/// A file written beside its target, `.{name}.trecrate-tmp-{pid}`, to be renamed into place;
/// removed when dropped, so that a run that fails between writing and renaming leaves nothing.
struct Staged {
    path: PathBuf,
    target: PathBuf,
}

impl Staged {
    fn beside(target: &Path) -> Self {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Staged {
            path: target.with_file_name(format!(".{name}.trecrate-tmp-{}", std::process::id())),
            target: target.to_owned(),
        }
    }

    fn commit(self) -> Result<(), RunCrateError> {
        std::fs::rename(&self.path, &self.target).map_err(|source| RunCrateError::Write {
            path: self.target.clone(),
            source,
        })
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // After a commit there is nothing left to remove.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The run crate as a BagIt bag in a zip: the metadata and every file the crate describes,
/// checked against the digests taken when the run directory was read.
fn stage_bag(
    options: &RunCrateOptions,
    loaded: &Loaded,
    metadata: &str,
    on_event: &mut dyn FnMut(Event),
) -> Result<(Staged, BagZip), RunCrateError> {
    let payload: Vec<PayloadFile> = loaded
        .payload
        .iter()
        .map(|f| PayloadFile {
            crate_path: f.path.clone(),
            source: options.dir.join(&f.path),
            field: f.path.clone(),
            object: f.path.clone(),
            version: "as read".into(),
            sha256: f.sha256.clone(),
            size: f.size,
            media_type: if f.compressed {
                "application/gzip".into()
            } else {
                "application/octet-stream".into()
            },
        })
        .collect();
    let info = package::bag::BagInfo {
        source_organization: None,
    };
    let texts = package::Texts::ready(metadata.to_owned(), None);
    let package = Package {
        request_id: &loaded.run_id,
        texts: &texts,
        payload: &payload,
        date: &crate::rdf::timestamp::Timestamp::now(),
        deflate_level: 6,
        bag: Some(&info),
        cancel: options.cancel.clone(),
    };
    let zip = options.bag_path(&loaded.run_id);
    let staged = Staged::beside(&zip);
    let error = |source| RunCrateError::Write {
        path: zip.clone(),
        source,
    };
    let file = std::fs::File::create(&staged.path).map_err(error)?;
    let (zipped, writer) = package::assemble(
        &package,
        None,
        None,
        std::io::BufWriter::new(file),
        &zip,
        &mut |done, total, bytes| on_event(Event::Payload(done, total, bytes)),
    )
    .map_err(|e| RunCrateError::Package(Box::new(e)))?;
    writer
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .map_err(error)?;
    Ok((staged, BagZip { zip, zipped }))
}

/// Writes `bytes` beside `path` and renames it into place: a reader sees the old file or the
/// new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), RunCrateError> {
    let staged = Staged::beside(path);
    std::fs::write(&staged.path, bytes).map_err(|source| RunCrateError::Write {
        path: path.to_owned(),
        source,
    })?;
    staged.commit()
}

/// For `--on-error-write-stub`: a metadata file that says the generation failed, so that a
/// service can tell a failure from a crate not yet made, and the cause appended to the run's
/// stderr.log.
pub fn write_stub(options: &RunCrateOptions, error: &str) -> Result<(), RunCrateError> {
    let stub = serde_json::json!({ "@error": error });
    let mut text = serde_json::to_string_pretty(&stub).unwrap_or_default();
    text.push('\n');
    write_atomically(&options.metadata_path(), text.as_bytes())?;
    let log = options.dir.join("stderr.log");
    let line = format!("trecrate run-crate: {error}\n");
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()))
        .map_err(|source| RunCrateError::Write { path: log, source })
}
