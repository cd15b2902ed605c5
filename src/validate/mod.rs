//! `trecrate validate`: is this crate sound? Checks its JSON form (`form`), its graph against
//! SHACL shapes per profile (`shacl`, `shapes/`), and its payload against its metadata.

pub mod bagit;
pub mod form;
pub mod graph;
pub mod payload;
pub mod profile_crate;
pub mod reader;
pub mod report;
pub mod streaming;

use crate::assets::Asset;
use crate::finding::{Finding, Level};
use crate::jsonld::contexts::Contexts;
pub use crate::profile::{Profile, ProfileError, Profiles, RELEASE_PROFILE};
use crate::rdf::vocab::in_tre_namespace;
use crate::shacl::Shapes;
use graph::{Filling, Graph};
use oxigraph::io::{JsonLdProfile, JsonLdProfileSet, LoadedDocument, RdfFormat, RdfParser};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Quad, Term};
use reader::{Opened, ReadError};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Where relative `@id`s resolve while the crate is RDF; shapes name the descriptor
/// `<ro-crate-metadata.json>` against the same base. It has a path segment of its own so that
/// an `@id` climbing out with `..` or starting with `/` resolves outside it, and so is never
/// taken for a file of the crate.
pub const BASE: &str = "arcp://name,validated-crate/crate/";

/// The profile of a crate that names none trecrate knows.
const DEFAULT_PROFILE: &str = "ro-crate-1.1";

#[derive(Debug, Clone)]
pub struct ValidateOptions {
    /// Profiles to check; empty means those the crate declares.
    pub profiles: Vec<Profile>,
    pub metadata_only: bool,
    pub contexts: Contexts,
    pub max_metadata_bytes: u64,
    /// Documents larger than this have their graph held on disk; see [`graph`].
    pub max_in_memory_bytes: u64,
    /// Checks not to run, by name (as reports show them).
    pub skip_checks: Vec<String>,
    /// Where the release profile looks for the `tre:` terms; see [`crate::rdf::vocab::in_tre_namespace`].
    pub tre_namespace: String,
    /// A directory of shapes: one named like a profile's shapes file replaces it, the
    /// others are checked as well.
    pub shapes: Option<PathBuf>,
    /// Profiles the user brings as Profile Crates: checked with the crate's own.
    pub profile_crates: Vec<profile_crate::ProfileCrate>,
}

impl Default for ValidateOptions {
    /// The command line's defaults: the profiles the crate declares, payload included.
    fn default() -> Self {
        ValidateOptions {
            profiles: Vec::new(),
            metadata_only: false,
            contexts: Contexts::default(),
            max_metadata_bytes: 256 * 1024 * 1024,
            max_in_memory_bytes: graph::ON_DISK_FROM,
            skip_checks: Vec::new(),
            tre_namespace: crate::rdf::vocab::TRE.to_owned(),
            shapes: None,
            profile_crates: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Assets(#[from] crate::assets::AssetError),
    #[error(transparent)]
    Shapes(#[from] crate::shacl::ShaclError),
    #[error(transparent)]
    Profiles(#[from] ProfileError),
    #[error("built-in query {name}: {message}")]
    Query { name: &'static str, message: String },
    /// A thread of the run panicked: a bug of trecrate's, whatever the crate.
    #[error("internal error: the thread {0} stopped unexpectedly")]
    Panicked(&'static str),
}

/// The outcome for one crate.
#[derive(Debug, Clone)]
pub struct CrateReport {
    pub crate_path: String,
    pub profiles: Vec<Profile>,
    pub findings: Vec<Finding>,
    /// Names of every check that ran, for the statistics.
    pub checks: BTreeSet<String>,
    pub duration_ms: u128,
}

impl CrateReport {
    /// Whether no finding counts at `level` (REQUIRED counts at every level, and so on).
    pub fn passed(&self, level: Level) -> bool {
        !self.findings.iter().any(|f| f.level <= level)
    }
}

const FORM_CHECKS: [&str; 8] = [
    "Metadata: UTF-8",
    "Metadata: JSON",
    "Metadata: JSON-LD form",
    "Metadata: JSON-LD context",
    "Metadata: flattened @graph",
    "Metadata: entity identifiers",
    "Metadata: entity types",
    "Metadata: compacted keys",
];

/// The payload checks made while reading it; the others are `shapes/payload.ttl`'s.
const PAYLOAD_CHECKS: [&str; 3] = [
    "Payload: paths stay inside the crate",
    "Payload: zip entries are not zip bombs",
    "Payload: zip entries are unique",
];

pub fn validate(path: &Path, options: &ValidateOptions) -> Result<CrateReport, ValidateError> {
    run(path, options, false).map(|checked| checked.report)
}

/// A crate as `validate` read it: the report, and for `ingest` the graph and metadata bytes.
pub struct Checked {
    pub report: CrateReport,
    /// The metadata as RDF, relative `@id`s resolved against [`BASE`]; `None` when the
    /// JSON-LD could not be read.
    pub graph: Option<Graph>,
    pub metadata: Vec<u8>,
    /// The crate came in a BagIt bag.
    pub bag: bool,
}

/// [`validate`], keeping what it read.
pub fn check(path: &Path, options: &ValidateOptions) -> Result<Checked, ValidateError> {
    run(path, options, true)
}

/// Validates the crate at `path`; the metadata's bytes are kept for the caller only if
/// `keep_metadata`, else let go once read as JSON and RDF, which for a large document is
/// most of what validating it holds.
fn run(
    path: &Path,
    options: &ValidateOptions,
    keep_metadata: bool,
) -> Result<Checked, ValidateError> {
    let start = Instant::now();
    let mut opened = Opened::open(path, options.max_metadata_bytes, !options.metadata_only)?;
    let mut findings = std::mem::take(&mut opened.findings);
    let known = Profiles::builtin()?;
    if opened.metadata_withheld {
        // The opening's findings say why there is nothing more to check.
        let checks = PAYLOAD_CHECKS.iter().map(|s| s.to_string()).collect();
        let profiles = with_bases(known, options.profiles.clone(), &[]);
        let report = report(path, &opened, findings, checks, profiles, options, start);
        return Ok(Checked {
            report,
            graph: None,
            bag: opened.bag.is_some(),
            metadata: opened.metadata,
        });
    }
    let mut checks: BTreeSet<String> = FORM_CHECKS.iter().map(|s| s.to_string()).collect();

    // The JSON form is checked on one core while the other loads the JSON-LD; the graph is
    // used only if the form check finds the contexts resolvable.
    let rdf = without_null_base(&opened.metadata);
    let (form, graph) = std::thread::scope(|scope| {
        let form =
            scope.spawn(|| form::check(&opened.metadata, &opened.metadata_name, &options.contexts));
        let graph = load(
            rdf.as_deref().unwrap_or(&opened.metadata),
            &options.contexts,
            &opened.metadata_name,
            options.max_in_memory_bytes,
        );
        (form.join(), graph)
    });
    let form = form.map_err(|_| ValidateError::Panicked("checking the JSON form"))?;
    let base_was_null = rdf.is_some();
    drop(rdf);
    if !keep_metadata {
        opened.metadata = Vec::new();
    }
    findings.extend(form.findings);
    if base_was_null {
        findings.push(Finding::new(
            Level::Recommended,
            "Metadata: JSON-LD context",
            reader::METADATA,
            Some("@context"),
            Some("{\"@base\": null}".into()),
            "the saved metadata should not set @base to null (RO-Crate's relative-uris appendix); its relative @ids were read against the crate root, as they are meant".into(),
        ));
    }
    // The files of `--shapes`, read once, when shapes are first needed.
    let mut own: Option<Vec<Asset>> = None;
    let mut profiles = options.profiles.clone();
    let mut loaded = None;
    if form.contexts_resolved {
        match graph {
            Ok(graph) => {
                let declared = declared_profiles(&graph, known)?;
                if profiles.is_empty() {
                    profiles = declared.clone();
                }
                for brought in &options.profile_crates {
                    profiles.extend(brought.builds_on.iter().cloned());
                }
                profiles = with_bases(known, profiles, &declared);
                let own = own.insert(own_shapes(options)?);
                let files = shapes_of(&profiles, options, own);
                let shapes =
                    Shapes::parse(files.iter().map(|(n, t)| (n.as_str(), t.as_ref())), BASE)?;
                checks.extend(shapes.check_names());
                let payload = !options.metadata_only && opened.payload.is_some();
                let payload_shapes = match payload {
                    true => Some(observed_shapes(own, crate::assets::PAYLOAD_SHAPES, BASE)?),
                    false => None,
                };
                if let Some(shapes) = &payload_shapes {
                    checks.extend(PAYLOAD_CHECKS.iter().map(|s| s.to_string()));
                    checks.extend(shapes.check_names());
                }
                // The payload is read and hashed on one core while the shapes run on the other;
                // the payload shapes then judge what it holds.
                let invalid_ids = &form.invalid_ids;
                let mut graph = graph;
                let (graph_findings, observed) = std::thread::scope(|scope| {
                    let observing = payload.then(|| {
                        scope.spawn(|| payload::observe(&graph, &mut opened, invalid_ids))
                    });
                    let graph_findings = shapes.validate(graph.data());
                    let observed = match observing.map(|h| h.join()) {
                        None => Ok(Vec::new()),
                        Some(Ok(observed)) => observed,
                        Some(Err(_)) => Err(ValidateError::Panicked("reading the payload")),
                    };
                    (graph_findings, observed)
                });
                findings.extend(graph_findings?);
                let facts = observed?;
                if let Some(shapes) = &payload_shapes {
                    findings.extend(payload::check(&mut graph, facts, shapes)?);
                }
                loaded = Some(graph);
            }
            Err(message) => findings.push(Finding::new(
                Level::Required,
                "Metadata: JSON-LD form",
                &opened.metadata_name,
                None,
                None,
                format!("not valid JSON-LD: {message}"),
            )),
        }
    }
    if opened.bag.is_some() && !options.metadata_only {
        let own = match own {
            Some(own) => own,
            None => own_shapes(options)?,
        };
        let shapes = observed_shapes(&own, crate::assets::BAGIT_SHAPES, bagit::base())?;
        checks.extend(shapes.check_names());
        findings.extend(bagit::check(&mut opened, &shapes)?);
    }
    if profiles.is_empty() {
        profiles = with_bases(known, options.profiles.clone(), &[]);
    }
    Ok(Checked {
        report: report(path, &opened, findings, checks, profiles, options, start),
        graph: loaded,
        bag: opened.bag.is_some(),
        metadata: opened.metadata,
    })
}

/// The report of the findings on the crate at `path`: each finding with its profile, those of
/// skipped checks left out, in order.
fn report(
    path: &Path,
    opened: &Opened,
    mut findings: Vec<Finding>,
    mut checks: BTreeSet<String>,
    profiles: Vec<Profile>,
    options: &ValidateOptions,
    start: Instant,
) -> CrateReport {
    let known = Profiles::builtin().expect("parsed before any check ran");
    attribute(&mut findings, &profiles, known, &options.profile_crates);
    if opened.metadata_name != reader::METADATA {
        for f in &mut findings {
            if f.entity == reader::METADATA {
                f.entity = opened.metadata_name.clone();
            }
        }
    }
    findings.retain(|f| !options.skip_checks.contains(&f.check));
    checks.retain(|c| !options.skip_checks.contains(c));
    findings.sort();
    findings.dedup();
    CrateReport {
        crate_path: path.display().to_string(),
        profiles,
        findings,
        checks,
        duration_ms: start.elapsed().as_millis(),
    }
}

/// `profiles`, with the crate's RO-Crate version (from `declared`, else the default) when none
/// of them is or builds on one: profiles that build on "the crate's RO-Crate version" bring
/// whichever that is. The shapes of what each builds on come with it (`Profile::shapes`).
fn with_bases(known: &Profiles, mut profiles: Vec<Profile>, declared: &[Profile]) -> Vec<Profile> {
    let has_version = profiles
        .iter()
        .any(|p| known.closure(p).iter().any(|b| b.crate_version));
    if !has_version {
        let version = declared
            .iter()
            .find(|p| p.crate_version)
            .or_else(|| known.get(DEFAULT_PROFILE));
        profiles.extend(version.cloned());
    }
    profiles.sort();
    profiles.dedup();
    profiles
}

/// Each finding gets the profile whose check it is: the one owning its shapes document, or,
/// for the checks of every version (JSON form, payload), the RO-Crate version checked.
fn attribute(
    findings: &mut [Finding],
    profiles: &[Profile],
    known: &Profiles,
    brought: &[profile_crate::ProfileCrate],
) {
    let base = profiles
        .iter()
        .flat_map(|p| known.closure(p))
        .filter(|p| p.crate_version)
        .max()
        .map(|p| p.token.clone());
    for finding in findings.iter_mut().filter(|f| f.profile.is_none()) {
        let source = finding.source.as_deref();
        let owner = source
            .and_then(|source| known.owning(source))
            .map(|p| p.token.clone())
            .or_else(|| {
                brought
                    .iter()
                    .find(|c| c.shapes.iter().any(|a| Some(a.name.as_str()) == source))
                    .map(|c| c.id.clone())
            });
        finding.profile = owner.or_else(|| {
            // A user's own shapes (`--shapes`) are theirs: named by their file. The payload
            // shapes are RO-Crate's, whatever its version.
            match finding.source.as_deref() {
                Some(crate::assets::PAYLOAD_SHAPES) | None => base.clone(),
                Some(source) => Some(source.trim_start_matches("shapes/").to_owned()),
            }
        });
    }
}

/// The metadata without `"@base": null` in its `@context`, if it has one: with it, a JSON-LD
/// processor keeps the relative @ids relative and drops every triple that has one, which is
/// every entity of the crate; RO-Crate means them relative to the crate root.
fn without_null_base(bytes: &[u8]) -> Option<Vec<u8>> {
    // The parse is paid only by documents that name @base at all.
    if !bytes.windows(7).any(|w| w == b"\"@base\"") {
        return None;
    }
    let mut document: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let context = document.get_mut("@context")?;
    let mut removed = false;
    let mut strip = |entry: &mut serde_json::Value| {
        if let Some(object) = entry.as_object_mut() {
            if object.get("@base").is_some_and(|b| b.is_null()) {
                object.remove("@base");
                removed = true;
            }
        }
    };
    match context {
        serde_json::Value::Array(entries) => entries.iter_mut().for_each(&mut strip),
        other => strip(other),
    }
    if !removed {
        return None;
    }
    serde_json::to_vec(&document).ok()
}

/// The shapes documents of `profiles`, each once, by name, in the TRE's namespace; with
/// `own` (the files of `--shapes`), they replace the built-in ones of the same name and add the
/// others.
fn shapes_of(
    profiles: &[Profile],
    options: &ValidateOptions,
    own: &[Asset],
) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for path in profiles.iter().flat_map(|p| p.shapes.iter()) {
        files.insert(path.clone(), shapes_text(own, path));
    }
    for asset in own {
        let path = format!("shapes/{}", asset.name);
        if OBSERVED.contains(&path.as_str()) {
            continue;
        }
        files.entry(path).or_insert_with(|| asset.text.clone());
    }
    for asset in options.profile_crates.iter().flat_map(|c| &c.shapes) {
        files.insert(asset.name.clone(), asset.text.clone());
    }
    for text in files.values_mut() {
        *text = in_tre_namespace(text, &options.tre_namespace).into_owned();
    }
    files
}

/// The shapes files of `--shapes`, read once per crate.
fn own_shapes(options: &ValidateOptions) -> Result<Vec<Asset>, ValidateError> {
    Ok(match &options.shapes {
        Some(dir) => crate::assets::shapes_in(dir)?,
        None => Vec::new(),
    })
}

/// The built-in shapes document at `path`, or the one of `own` with its file name.
fn shapes_text(own: &[Asset], path: &str) -> String {
    let name = path.trim_start_matches("shapes/");
    match own.iter().find(|a| a.name == name) {
        Some(asset) => asset.text.clone(),
        None => crate::assets::document(path).to_owned(),
    }
}

/// Shapes of every crate whatever its profiles (the payload's, the bag's), not run with the
/// profiles' because they judge facts observed of the bytes.
const OBSERVED: [&str; 2] = [crate::assets::PAYLOAD_SHAPES, crate::assets::BAGIT_SHAPES];

/// The shapes document at `path` (one of [`OBSERVED`]) parsed against `base`: the built-in one,
/// or the one of the same name in `--shapes` (`own`).
fn observed_shapes(own: &[Asset], path: &'static str, base: &str) -> Result<Shapes, ValidateError> {
    let text = shapes_text(own, path);
    Ok(Shapes::parse([(path, text.as_str())], base)?)
}

/// The metadata as RDF, contexts served from the bundle only. A detached crate's descriptor
/// (`x-ro-crate-metadata.json`) is renamed `ro-crate-metadata.json`, the name the shapes and
/// queries use for "the metadata descriptor".
///
/// The document is parsed in streaming key order when it can be rewritten so (half the time and
/// memory, see [`streaming`]); any error there, and the original is parsed in the default
/// mode, whose findings are the ones reported.
fn load(
    bytes: &[u8],
    contexts: &Contexts,
    metadata_name: &str,
    max_in_memory: u64,
) -> Result<Graph, String> {
    let contexts = Arc::new(contexts.clone());
    let used = Arc::new(crate::jsonld::contexts::names_in_json(
        bytes,
        contexts.terms(),
    ));
    let ordered = streaming::Reordered::new(bytes);
    let streaming = JsonLdProfileSet::from(JsonLdProfile::Streaming);
    if let Ok(graph) = parse(
        Source::Reordered(ordered),
        bytes.len(),
        streaming,
        &contexts,
        &used,
        metadata_name,
        max_in_memory,
    ) {
        return Ok(graph);
    }
    parse(
        Source::Bytes(bytes),
        bytes.len(),
        JsonLdProfileSet::empty(),
        &contexts,
        &used,
        metadata_name,
        max_in_memory,
    )
}

/// What the parser reads: the document, or its rewriting in streaming order, produced as it is
/// read. (Read from a reader, a single token is limited to 16 MiB, so a longer string stops
/// the streaming parse and the document is parsed from its bytes.)
enum Source<'a> {
    Bytes(&'a [u8]),
    Reordered(streaming::Reordered<'a>),
}

fn parse(
    source: Source<'_>,
    len: usize,
    profile: JsonLdProfileSet,
    contexts: &Arc<Contexts>,
    used: &Arc<HashSet<String>>,
    metadata_name: &str,
    max_in_memory: u64,
) -> Result<Graph, String> {
    let (contexts, used) = (Arc::clone(contexts), Arc::clone(used));
    let parser = RdfParser::from_format(RdfFormat::JsonLd { profile })
        .with_base_iri(BASE)
        .map_err(|e| e.to_string())?;
    let filling = Filling::for_document(len, max_in_memory).map_err(|e| e.to_string())?;
    let descriptor = NamedNode::new_unchecked(format!("{BASE}{}", reader::METADATA));
    let detached = NamedNode::new_unchecked(format!("{BASE}{metadata_name}"));
    let rename = |term: Term| match term {
        Term::NamedNode(n) if n == detached => Term::NamedNode(descriptor.clone()),
        other => other,
    };
    // Parsing and inserting take about the same time: the parser runs on its own thread and
    // hands over batches of quads as it goes. (Its stack is large because the document has
    // not been checked yet: the form check runs at the same time.)
    const BATCH: usize = 4096;
    std::thread::scope(|scope| {
        let (sender, batches) = std::sync::mpsc::sync_channel::<Vec<Quad>>(4);
        let parsing = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn_scoped(scope, move || -> Result<(), String> {
                let loader = move |url: &str| match contexts.trimmed(url, &used) {
                    Some(text) => Ok(LoadedDocument {
                        url: url.to_owned(),
                        content: text.into_bytes(),
                        format: RdfFormat::JsonLd {
                            profile: JsonLdProfileSet::empty(),
                        },
                    }),
                    None => Err(format!("unknown context {url}: not fetched").into()),
                };
                let quads: Box<dyn Iterator<Item = Result<Quad, String>>> = match source {
                    Source::Bytes(bytes) => Box::new(
                        parser
                            .for_slice(bytes)
                            .with_document_loader(loader)
                            .map(|q| q.map_err(|e| e.to_string())),
                    ),
                    Source::Reordered(reader) => Box::new(
                        parser
                            .for_reader(reader)
                            .with_document_loader(loader)
                            .map(|q| q.map_err(|e| e.to_string())),
                    ),
                };
                let mut batch = Vec::with_capacity(BATCH);
                for quad in quads {
                    batch.push(quad?);
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        if sender.send(full).is_err() {
                            return Ok(());
                        }
                    }
                }
                let _ = sender.send(batch);
                Ok(())
            })
            .map_err(|e| format!("cannot start the JSON-LD parser: {e}"))?;
        let renamed = batches.into_iter().map(|batch| {
            batch
                .into_iter()
                .map(|q| {
                    let subject = match rename(q.subject.into()) {
                        Term::NamedNode(n) => NamedOrBlankNode::NamedNode(n),
                        Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b),
                        _ => NamedOrBlankNode::NamedNode(descriptor.clone()),
                    };
                    Quad::new(subject, q.predicate, rename(q.object), q.graph_name)
                })
                .collect()
        });
        let graph = filling.fill(renamed).map_err(|e| e.to_string());
        parsing
            .join()
            .map_err(|_| "the JSON-LD parser stopped unexpectedly".to_owned())??;
        graph
    })
}

/// The rows of the embedded query at `path`, over the crate's graph.
pub(crate) fn select(
    graph: &(impl crate::rdf::select::Dataset + ?Sized),
    path: &'static str,
) -> Result<Vec<HashMap<String, Term>>, ValidateError> {
    crate::rdf::select::select(graph, Some(BASE), crate::assets::document(path))
        .map(|r| r.rows)
        .map_err(|message| ValidateError::Query {
            name: path,
            message,
        })
}

/// The known profiles the crate names in `conformsTo`.
fn declared_profiles(graph: &Graph, known: &Profiles) -> Result<Vec<Profile>, ValidateError> {
    let rows = select(graph, crate::assets::CONFORMS_TO_QUERY)?;
    Ok(named_profiles(&rows, "profile", known))
}

/// The known profiles the IRIs of `variable` in `rows` name, each once.
fn named_profiles(
    rows: &[HashMap<String, Term>],
    variable: &str,
    known: &Profiles,
) -> Vec<Profile> {
    let mut profiles: Vec<Profile> = rows
        .iter()
        .filter_map(|r| match r.get(variable) {
            Some(Term::NamedNode(n)) => known.named_by(n.as_str()).cloned(),
            _ => None,
        })
        .collect();
    profiles.sort();
    profiles.dedup();
    profiles
}
