//! `trecrate release`: an approved airlock request becomes an RO-Crate release package.
//!
//! The stages, one module each, in the order [`build`] and [`release`] run them: [`export`]
//! (the export, checked), [`load`] (source graphs, one per shard of the export's objects), the
//! CONSTRUCT mapping of each shard (`crate::shape`) and its files in the [`quarantine`]
//! ([`payload`]), all shards on every core, the SHACL check of the crate graph
//! (`crate::shacl`), [`preview`], JSON-LD (`crate::jsonld`), `crate::package` (directory, zip
//! and record) or [`deliver`] (through S3), and the archive.

pub mod deliver;
pub mod export;
pub mod load;
pub mod payload;
pub mod preview;
pub mod quarantine;

use crate::assets::{self, AssetDirs, Assets};
use crate::event::{Cancel, Event};
use crate::finding::{Finding, Level};
use crate::package::{self, Package, PayloadFile, ReleaseRecord, Texts, Written};
use crate::profile::{ProfileError, Profiles, RoCrateVersion, RELEASE_TOKEN};
use crate::rdf::frozen::{self, GraphBuilder};
use crate::rdf::iri::crate_base;
use crate::storage::s3::BucketError;
use crate::storage::scratch::Scratch;
use crate::storage::Location;
use crate::{archive, jsonld, rdf, shacl, shape, storage};
use deliver::{DeliverError, Uploaded};
use export::Export;
use load::Publisher;
use quarantine::Quarantine;
use std::path::PathBuf;

/// Everything `trecrate release` needs.
#[derive(Debug, Clone)]
pub struct ReleaseOptions {
    pub export: PathBuf,
    /// A directory, or a bucket prefix whose keys are the export's paths.
    pub quarantine: Location,
    /// A directory, or a bucket prefix the zip and release record are uploaded under.
    pub out: Location,
    /// Overrides of the AWS environment, for `s3://` locations.
    pub s3: storage::s3::Config,
    pub force: bool,
    pub publisher: Publisher,
    /// Namespace of the `tre:` terms (ADR-0004 section 5); must end with `#` or `/`.
    pub tre_namespace: String,
    pub assets: AssetDirs,
    pub deflate_level: u32,
    /// The archive to record the release in; `None` records nothing.
    pub store: Option<PathBuf>,
    pub ro_crate_version: RoCrateVersion,
    /// Package the crate as a BagIt bag: the crate directory is the bag, the zip holds it.
    pub bagit: bool,
    /// Stops the run between stages and files.
    pub cancel: Cancel,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Export(#[from] export::ExportError),
    #[error(transparent)]
    Assets(#[from] assets::AssetError),
    #[error(transparent)]
    Quarantine(#[from] quarantine::QuarantineError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Bucket(#[from] BucketError),
    #[error(transparent)]
    Deliver(#[from] DeliverError),
    #[error(transparent)]
    Shape(#[from] shape::ShapeError),
    #[error(transparent)]
    Shacl(#[from] shacl::ShaclError),
    #[error(transparent)]
    JsonLd(#[from] jsonld::JsonLdError),
    #[error(transparent)]
    Preview(#[from] preview::PreviewError),
    #[error(transparent)]
    Package(#[from] package::PackageError),
    #[error(transparent)]
    Archive(#[from] archive::ArchiveError),
    #[error("invalid option {option}: {message}")]
    Option {
        option: &'static str,
        message: String,
    },
    #[error(transparent)]
    Payload(#[from] payload::PayloadError),
    #[error("cannot create a scratch directory under {}", std::env::temp_dir().display())]
    Scratch(#[source] std::io::Error),
    /// A thread of the run panicked: a bug of trecrate's, whatever the input.
    #[error("internal error: the thread {0} stopped unexpectedly")]
    Panicked(&'static str),
    #[error("the crate graph fails {} REQUIRED check(s) of its own shapes; nothing was written", .0.iter().filter(|f| f.level == Level::Required).count())]
    Refused(Vec<Finding>),
    #[error("cancelled; nothing was written")]
    Cancelled,
}

impl Error {
    /// Whether the release was refused on its merits (exit status 1: the export, a file, a
    /// check or an existing release), rather than impossible to run (exit status 2).
    pub fn is_refusal(&self) -> bool {
        match self {
            Error::Export(e) => e.is_refusal(),
            Error::Quarantine(e) => e.is_refusal(),
            Error::Payload(e) => e.is_refusal(),
            Error::Package(e) => e.is_refusal(),
            Error::Bucket(e) => e.is_refusal(),
            Error::Deliver(e) => e.is_refusal(),
            Error::Archive(e) => e.is_refusal(),
            Error::Refused(_) => true,
            _ => false,
        }
    }
}

/// A release built in memory: everything but the bytes of the payload.
pub struct Built {
    /// The export's request; the rest of the export is in the crate graph by now.
    pub request: export::Request,
    /// The crate's root IRI while it is RDF; see [`crate_base`].
    pub base: String,
    /// The RO-Crate graph, read-only from here on.
    pub graph: frozen::Graph,
    pub metadata: String,
    pub preview: String,
    pub payload: Vec<PayloadFile>,
    /// RECOMMENDED and OPTIONAL findings of the release's own shapes.
    pub findings: Vec<Finding>,
}

/// Where a release went.
#[derive(Debug, Clone)]
pub enum Delivered {
    Dir(Written),
    Bucket(Uploaded),
}

impl Delivered {
    pub fn record(&self) -> &ReleaseRecord {
        match self {
            Delivered::Dir(written) => &written.record,
            Delivered::Bucket(uploaded) => &uploaded.record,
        }
    }

    /// An absolute path or an `s3://` URL.
    pub fn zip_location(&self) -> String {
        match self {
            Delivered::Dir(written) => std::path::absolute(&written.zip)
                .unwrap_or_else(|_| written.zip.clone())
                .display()
                .to_string(),
            Delivered::Bucket(uploaded) => uploaded.zip_url.clone(),
        }
    }
}

/// A finished release.
#[derive(Debug, Clone)]
pub struct Released {
    pub delivered: Delivered,
    pub findings: Vec<Finding>,
    /// What the archive did, when one was given.
    pub archived: Option<archive::Recorded>,
}

/// Builds one release package: export, load, shape, validate, JSON-LD, preview, package.
pub fn release(
    options: &ReleaseOptions,
    on_event: &mut dyn FnMut(Event),
) -> Result<Released, Error> {
    // Opened first: a busy or conflicting archive refuses the release before anything is written.
    let archive = match &options.store {
        Some(path) => Some(archive::Archive::open(path, true)?),
        None => None,
    };
    let shaped = shape(options, on_event)?;
    let (mut built, delivered) = if let (Location::Dir(_), Location::Dir(out), Ok(_)) =
        (&options.quarantine, &options.out, &shaped.payload)
    {
        write_beside(options, out, shaped, archive.as_ref(), on_event)?
    } else {
        on_event(Event::Stage(DESCRIBING));
        let described = describe(&shaped, options);
        let mut built = finish(shaped, described, options)?;
        if let Some(archive) = &archive {
            let sha256 = rdf::digest::sha256_hex(built.metadata.as_bytes());
            archive.check(&built.request.id, &sha256, options.force)?;
        }
        let texts = Texts::ready(
            std::mem::take(&mut built.metadata),
            Some(std::mem::take(&mut built.preview)),
        );
        let delivered = deliver(options, &mut built, &texts, on_event);
        if let Some(ready) = texts.into_ready() {
            built.metadata = ready.metadata;
            built.preview = ready.preview.unwrap_or_default();
        }
        (built, delivered?)
    };
    let archived = match &archive {
        Some(archive) => {
            on_event(Event::Stage("recording the release in the archive"));
            Some(record(archive, &built, &delivered, options.force)?)
        }
        None => None,
    };
    // Only the archive needs the crate graph. Freeing it takes a second at 100,000 files: done
    // on a thread of its own, while the process ends.
    let graph = std::mem::replace(&mut built.graph, GraphBuilder::new().freeze());
    std::thread::spawn(move || drop(graph));
    Ok(Released {
        delivered,
        findings: built.findings,
        archived,
    })
}

/// The stage the checks, preview and JSON-LD make, side by side.
const DESCRIBING: &str = "checking the RO-Crate graph (SHACL) beside the preview and the JSON-LD";

/// The payload written while the graph is checked and described: the zip's first entries,
/// the metadata and preview, wait for the description (in a spool file beside the zip), and
/// the release is committed only if the description passes. A local release only, whose
/// payload was found: the other deliveries check what is there against the metadata first.
fn write_beside(
    options: &ReleaseOptions,
    out: &std::path::Path,
    shaped: Shaped,
    archive: Option<&archive::Archive>,
    on_event: &mut dyn FnMut(Event),
) -> Result<(Built, Delivered), Error> {
    let texts = Texts::default();
    on_event(Event::Stage(
        "hashing, copying and zipping the payload beside the checks, preview and JSON-LD",
    ));
    let (described, written) = std::thread::scope(|scope| {
        let described = scope.spawn(|| {
            let described = describe(&shaped, options);
            let passed = matches!(&described, Ok(d) if !d.refused());
            // The archive must take the metadata before the release is committed.
            let described = match (described, archive) {
                (Ok(d), Some(archive)) if passed => {
                    let sha256 = rdf::digest::sha256_hex(d.metadata.as_bytes());
                    archive
                        .check(&shaped.request.id, &sha256, options.force)
                        .map(|()| d)
                        .map_err(Error::from)
                }
                (described, _) => described,
            };
            // The texts move to the package; they come back below.
            match described {
                Ok(mut d) if passed => {
                    texts.set(
                        std::mem::take(&mut d.metadata),
                        Some(std::mem::take(&mut d.preview)),
                    );
                    Ok(d)
                }
                other => {
                    texts.abandon();
                    other
                }
            }
        });
        let payload: &[PayloadFile] = shaped.payload.as_deref().unwrap_or_default();
        let bag = bag_info(options);
        let package = package_of(options, &shaped.request, &texts, payload, bag.as_ref());
        let mut on_payload = |done, total, bytes| on_event(Event::Payload(done, total, bytes));
        let written = package::write(&package, out, options.force, &mut on_payload);
        let described = described
            .join()
            .unwrap_or(Err(Error::Panicked("checking the crate graph")));
        (described, written)
    });
    let described = described.map(|mut d| {
        if let Some(ready) = texts.into_ready() {
            d.metadata = ready.metadata;
            d.preview = ready.preview.unwrap_or_default();
        }
        d
    });
    // What the description says comes first: the package stopped without it.
    let built = finish(shaped, described, options)?;
    Ok((built, Delivered::Dir(written?)))
}

/// The package of a release whose texts are, or will be, in `texts`; `bag` is its bag's, if it
/// is bagged (see [`bag_info`]).
fn package_of<'a>(
    options: &'a ReleaseOptions,
    request: &'a export::Request,
    texts: &'a Texts,
    payload: &'a [PayloadFile],
    bag: Option<&'a package::bag::BagInfo>,
) -> Package<'a> {
    Package {
        cancel: options.cancel.clone(),
        bag,
        request_id: &request.id,
        texts,
        payload,
        date: &request.approved_at,
        deflate_level: options.deflate_level,
    }
}

/// What a bagged release says of itself in `bag-info.txt`; `None` when it is not bagged.
fn bag_info(options: &ReleaseOptions) -> Option<package::bag::BagInfo> {
    options.bagit.then(|| package::bag::BagInfo {
        source_organization: Some(options.publisher.name.clone()),
    })
}

/// A described release to its `--out`: a directory, or a bucket (fetching the payload first
/// when the quarantine is a bucket too).
fn deliver(
    options: &ReleaseOptions,
    built: &mut Built,
    texts: &Texts,
    on_event: &mut dyn FnMut(Event),
) -> Result<Delivered, Error> {
    // The fetched files live until the release is written, and are removed however it ends.
    let _scratch = match &options.quarantine {
        Location::Bucket(url) => {
            on_event(Event::Stage("fetching and checking the approved files"));
            let scratch = Scratch::create("fetch").map_err(Error::Scratch)?;
            deliver::fetch(
                &storage::s3::Client::new(&options.s3)?.bucket(url)?,
                &mut built.payload,
                &scratch,
                &mut |done, total, bytes| on_event(Event::Payload(done, total, bytes)),
            )?;
            Some(scratch)
        }
        Location::Dir(_) => None,
    };
    options.cancel.check(Error::Cancelled)?;
    let bag = bag_info(options);
    let package = package_of(options, &built.request, texts, &built.payload, bag.as_ref());
    on_event(Event::Stage(match &options.out {
        Location::Dir(_) => "hashing, copying and zipping the payload",
        Location::Bucket(_) => "zipping the payload and uploading the zip",
    }));
    let mut on_payload = |done, total, bytes| on_event(Event::Payload(done, total, bytes));
    Ok(match &options.out {
        Location::Bucket(url) => Delivered::Bucket(deliver::upload_release(
            &storage::s3::Client::new(&options.s3)?.bucket(url)?,
            &package,
            options.force,
            &mut on_payload,
        )?),
        Location::Dir(out) => Delivered::Dir(package::write(
            &package,
            out,
            options.force,
            &mut on_payload,
        )?),
    })
}

/// The crate graph and its release record, into the archive in one transaction.
fn record(
    archive: &archive::Archive,
    built: &Built,
    delivered: &Delivered,
    force: bool,
) -> Result<archive::Recorded, Error> {
    let r = delivered.record();
    let record = archive::Record {
        request_id: r.request_id.clone(),
        root: built.base.clone(),
        metadata_sha256: r.metadata_sha256.clone(),
        released_at: r.released_at.clone(),
        file_count: r.file_count as u64,
        payload_bytes: r.payload_bytes,
        zip: Some(archive::ZipRecord {
            location: delivered.zip_location(),
            sha256: r.zip.sha256.clone(),
            size: r.zip.size,
            etag: r.zip.etag.clone(),
            bagit: r.packaging.as_deref() == Some(package::bag::PACKAGING),
        }),
        recorded_by: "release",
    };
    Ok(archive.record(
        &record,
        archive::triples_of(&built.graph),
        built.metadata.as_bytes(),
        force,
    )?)
}

/// Every stage before the payload is read: nothing is written to disk.
pub fn build(options: &ReleaseOptions, on_event: &mut dyn FnMut(Event)) -> Result<Built, Error> {
    let shaped = shape(options, on_event)?;
    on_event(Event::Stage(DESCRIBING));
    let described = describe(&shaped, options);
    finish(shaped, described, options)
}

/// The crate graph of an export and the files it ships.
struct Shaped {
    request: export::Request,
    base: String,
    graph: frozen::Graph,
    /// The files, or why they cannot be had, to be reported after the graph's checks.
    payload: Result<Vec<PayloadFile>, Error>,
    assets: Assets,
}

/// The export, read and mapped: the crate graph and the payload.
fn shape(options: &ReleaseOptions, on_event: &mut dyn FnMut(Event)) -> Result<Shaped, Error> {
    check_options(options)?;
    on_event(Event::Stage("reading the export"));
    let export = Export::from_path(&options.export)?;
    for warning in &export.warnings {
        on_event(Event::Warning(warning.clone()));
    }
    // The release profile's own shapes, and those of the RO-Crate version written.
    let profiles = Profiles::builtin()?;
    let profile = profiles
        .get(RELEASE_TOKEN)
        .ok_or(ProfileError::Unknown(RELEASE_TOKEN))?;
    let version = options.ro_crate_version;
    let version_profile = profiles
        .get(version.token())
        .ok_or(ProfileError::Unknown(version.token()))?;
    let mut shapes = version_profile.shapes.clone();
    shapes.extend(profile.own_shapes.iter().cloned());
    shapes.sort();
    shapes.dedup();
    let assets = Assets::load(&options.assets, &shapes, version)?;
    let quarantine = Quarantine::open(&options.quarantine)?;
    let base = crate_base(&export.request.id);

    options.cancel.check(Error::Cancelled)?;
    on_event(Event::Stage(
        "loading the export and building the RO-Crate graph (SPARQL CONSTRUCT), in shards",
    ));
    let (graph, payload) = map_shards(&export, options, &assets, &quarantine, &base)?;
    options.cancel.check(Error::Cancelled)?;
    Ok(Shaped {
        // From here on the crate graph says everything the export did.
        request: export.into_request(),
        base,
        graph,
        payload,
        assets,
    })
}

/// What is said of a crate graph: the findings of its checks, its preview and its metadata.
struct Described {
    findings: Vec<Finding>,
    preview: String,
    metadata: String,
}

impl Described {
    /// Whether the release's own shapes refuse it.
    fn refused(&self) -> bool {
        self.findings.iter().any(|f| f.level == Level::Required)
    }
}

/// The checks, the preview and the JSON-LD only read the crate graph's default graph: they
/// run side by side.
fn describe(shaped: &Shaped, options: &ReleaseOptions) -> Result<Described, Error> {
    let Shaped {
        graph,
        base,
        assets,
        ..
    } = shaped;
    let version = options.ro_crate_version;
    let (findings, preview, metadata) = std::thread::scope(|scope| {
        let findings = scope.spawn(|| shacl::check(&assets.shapes, graph, base));
        let preview = scope.spawn(|| preview::render(graph, assets, base));
        let metadata = jsonld::Context::new(
            jsonld::Remote {
                url: version.context_url(),
                file: version.context_file(),
                document: &assets.ro_crate_context,
            },
            &assets.tre_context,
            &options.tre_namespace,
        )
        .and_then(|context| jsonld::serialize(graph, base, &context));
        (findings.join(), preview.join(), metadata)
    });
    Ok(Described {
        findings: findings.map_err(|_| Error::Panicked("checking the crate graph"))??,
        preview: preview.map_err(|_| Error::Panicked("rendering the preview"))??,
        metadata: metadata?,
    })
}

/// The release built, or what is wrong with it, in the order a user should hear of it: a
/// REQUIRED finding, a file missing from the quarantine, then a fault of the preview or
/// JSON-LD.
fn finish(
    shaped: Shaped,
    described: Result<Described, Error>,
    options: &ReleaseOptions,
) -> Result<Built, Error> {
    if let Ok(d) = &described {
        if d.refused() {
            return Err(Error::Refused(d.findings.clone()));
        }
    }
    let payload = shaped.payload?;
    let described = described?;
    // The archive records the graph in the TRE's namespace, as the metadata has it.
    let graph = shape::rename_namespace(shaped.graph, &options.tre_namespace);
    Ok(Built {
        request: shaped.request,
        base: shaped.base,
        graph,
        metadata: described.metadata,
        preview: described.preview,
        payload,
        findings: described.findings,
    })
}

/// The crate graph and the payload of `export`, shard by shard on every core: each shard's
/// source graph is loaded, identified and mapped, its triples added to the crate graph and its
/// files found in the quarantine.
fn map_shards(
    export: &Export,
    options: &ReleaseOptions,
    assets: &Assets,
    quarantine: &Quarantine,
    base: &str,
) -> Result<(frozen::Graph, Result<Vec<PayloadFile>, Error>), Error> {
    let mapping = shape::Mapping::new(&assets.identify, &assets.construct, base)?;
    let payload_query = payload::prepare(&assets.payload)?;
    let request = load::request(export, &options.publisher);
    let workers = crate::parallel::workers(usize::MAX, usize::MAX);
    let shards = load::shards(export.objects.len(), workers);
    let mut graph = GraphBuilder::new();
    let mut files = Vec::new();
    let mut missing = None;
    let mut failed = None;
    // Each shard is merged as soon as it and those before it are mapped, while the cores
    // map the rest: merged after the last, the merge kept one core busy and left the other
    // idle.
    crate::parallel::in_order(
        &shards,
        crate::parallel::workers(shards.len(), workers),
        |_, objects| -> Result<_, Error> {
            options.cancel.check(Error::Cancelled)?;
            let source = load::shard(&request, export, objects.clone()).into_builder();
            // Numbered on the shard's core: what waits to be merged is small, and the merge
            // looks up each distinct term once.
            let (source, graph) = mapping.map(source, 1)?;
            let payload = payload::payload(&source, base, quarantine, &payload_query);
            Ok((graph, payload))
        },
        |_, result| {
            if failed.is_some() {
                return;
            }
            match result {
                Some(Ok((shard, payload))) => {
                    graph.merge(shard);
                    match payload {
                        Ok(shard) => files.extend(shard),
                        Err(e) => {
                            missing.get_or_insert(e);
                        }
                    }
                }
                Some(Err(e)) => failed = Some(e),
                None => failed = Some(Error::Panicked("mapping a shard of the export")),
            }
        },
    );
    if let Some(e) = failed {
        return Err(e);
    }
    files.sort_by(|a, b| a.crate_path.cmp(&b.crate_path));
    let payload = match missing {
        Some(e) => Err(e.into()),
        None => Ok(files),
    };
    Ok((graph.freeze(), payload))
}

fn check_options(options: &ReleaseOptions) -> Result<(), Error> {
    rdf::vocab::check_tre_namespace(&options.tre_namespace).map_err(|message| Error::Option {
        option: "--tre-namespace",
        message,
    })?;
    let url = &options.publisher.url;
    if oxigraph::model::NamedNode::new(url).is_err()
        || !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(Error::Option {
            option: "--publisher-url",
            message: format!("{url:?} must be an absolute http(s) URL"),
        });
    }
    if let Location::Dir(out) = &options.out {
        if out.exists() && !out.is_dir() {
            return Err(Error::Option {
                option: "--out",
                message: format!(
                    "{} is a file; give the directory to write the release in",
                    out.display()
                ),
            });
        }
    }
    if options.deflate_level > 9 {
        return Err(Error::Option {
            option: "--deflate-level",
            message: format!("{} is not between 0 and 9", options.deflate_level),
        });
    }
    Ok(())
}
