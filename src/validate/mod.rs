//! `trecrate validate`: is this crate sound? Checks its JSON form (`form`), its graph against
//! SHACL shapes per profile (`shacl`, `shapes/`), and its payload against its metadata.

pub mod form;
pub mod reader;
pub mod report;
pub mod streaming;

use crate::finding::{Finding, Level};
use crate::jsonld::contexts::Contexts;
use crate::rdf::select::text;
use crate::rdf::vocab::in_tre_namespace;
use crate::shacl::Shapes;
use crate::validate::reader::{Opened, ReadError};
use md5::Md5;
use oxigraph::io::{JsonLdProfile, JsonLdProfileSet, LoadedDocument, RdfFormat, RdfParser};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Quad, Term};
use oxigraph::store::Store;
use serde::Serialize;
use sha2::{Digest, Sha256, Sha512};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Where relative `@id`s resolve while the crate is RDF; shapes name the descriptor
/// `<ro-crate-metadata.json>` against the same base. It has a path segment of its own so that
/// an `@id` climbing out with `..` or starting with `/` resolves outside it, and so is never
/// taken for a file of the crate.
pub const BASE: &str = "arcp://name,validated-crate/crate/";

/// The profiles trecrate can check, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Profile {
    #[serde(rename = "ro-crate-1.1")]
    RoCrate11,
    #[serde(rename = "ro-crate-1.2")]
    RoCrate12,
    #[serde(rename = "trecrate-release")]
    TrecrateRelease,
}

/// The identifier release crates declare in their root's `conformsTo`.
pub const RELEASE_PROFILE: &str = "https://w3id.org/trecrate/profiles/release/1.0";

impl Profile {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "ro-crate-1.1" => Some(Profile::RoCrate11),
            "ro-crate-1.2" => Some(Profile::RoCrate12),
            "trecrate-release" => Some(Profile::TrecrateRelease),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::RoCrate11 => "ro-crate-1.1",
            Profile::RoCrate12 => "ro-crate-1.2",
            Profile::TrecrateRelease => "trecrate-release",
        }
    }

    /// The shapes files of the profile; a profile includes the RO-Crate rules it builds on.
    fn shapes(self) -> &'static [(&'static str, &'static str)] {
        const RO_1_1: (&str, &str) = (
            "shapes/ro-crate-1.1.ttl",
            include_str!("../../shapes/ro-crate-1.1.ttl"),
        );
        const RO_1_2: (&str, &str) = (
            "shapes/ro-crate-1.2.ttl",
            include_str!("../../shapes/ro-crate-1.2.ttl"),
        );
        const RELEASE: (&str, &str) = (
            "shapes/trecrate-release.ttl",
            include_str!("../../shapes/trecrate-release.ttl"),
        );
        match self {
            Profile::RoCrate11 => &[RO_1_1],
            Profile::RoCrate12 => &[RO_1_1, RO_1_2],
            Profile::TrecrateRelease => &[RO_1_1, RELEASE],
        }
    }

    /// The profile a `conformsTo` IRI names, if trecrate knows it.
    fn from_iri(iri: &str) -> Option<Self> {
        let iri = iri.trim_end_matches('/');
        if iri.starts_with("https://w3id.org/ro/crate/1.1") {
            Some(Profile::RoCrate11)
        } else if iri.starts_with("https://w3id.org/ro/crate/1.2")
            || iri.starts_with("https://w3id.org/ro/crate/1.3")
        {
            Some(Profile::RoCrate12)
        } else if iri == RELEASE_PROFILE {
            Some(Profile::TrecrateRelease)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone)]
pub struct ValidateOptions {
    /// Profiles to check; empty means those the crate declares.
    pub profiles: Vec<Profile>,
    pub metadata_only: bool,
    pub contexts: Contexts,
    pub max_metadata_bytes: u64,
    /// Checks not to run, by name (as reports show them).
    pub skip_checks: Vec<String>,
    /// Where the release profile looks for the `tre:` terms; see [`crate::rdf::vocab::in_tre_namespace`].
    pub tre_namespace: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{0}")]
    Internal(String),
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

const PAYLOAD_CHECKS: [&str; 5] = [
    "Payload: paths stay inside the crate",
    "Payload: data entities exist",
    "Payload: sizes and checksums match",
    "Payload: every file is described",
    "Payload: zip entries are not zip bombs",
];

pub fn validate(path: &Path, options: &ValidateOptions) -> Result<CrateReport, ValidateError> {
    check(path, options).map(|checked| checked.report)
}

/// A crate as `validate` read it: the report, and for `ingest` the graph and metadata bytes.
pub struct Checked {
    pub report: CrateReport,
    /// The metadata as RDF, relative `@id`s resolved against [`BASE`]; `None` when the
    /// JSON-LD could not be read.
    pub graph: Option<Store>,
    pub metadata: Vec<u8>,
}

/// [`validate`], keeping what it read.
pub fn check(path: &Path, options: &ValidateOptions) -> Result<Checked, ValidateError> {
    let start = Instant::now();
    let mut opened = Opened::open(path, options.max_metadata_bytes, !options.metadata_only)?;
    let mut findings = std::mem::take(&mut opened.findings);
    let mut checks: BTreeSet<String> = FORM_CHECKS.iter().map(|s| s.to_string()).collect();

    // The JSON form is checked on one core while the other loads the JSON-LD; the graph is
    // used only if the form check finds the contexts resolvable.
    let (form, graph) = std::thread::scope(|scope| {
        let form = scope.spawn(|| {
            crate::validate::form::check(&opened.metadata, &opened.metadata_name, &options.contexts)
        });
        let graph = load(&opened.metadata, &options.contexts, &opened.metadata_name);
        (form.join(), graph)
    });
    let form = form.map_err(|_| ValidateError::Internal("the JSON form check stopped".into()))?;
    findings.extend(form.findings);
    let mut profiles = options.profiles.clone();
    let mut loaded = None;
    if form.contexts_resolved {
        match graph {
            Ok(graph) => {
                if profiles.is_empty() {
                    profiles = declared_profiles(&graph)?;
                }
                if profiles.is_empty() {
                    profiles.push(Profile::RoCrate11);
                }
                let files: BTreeMap<&str, Cow<str>> = profiles
                    .iter()
                    .flat_map(|p| p.shapes().iter())
                    .map(|&(name, text)| (name, in_tre_namespace(text, &options.tre_namespace)))
                    .collect();
                let shapes = Shapes::parse(files.iter().map(|(n, t)| (*n, t.as_ref())), BASE)
                    .map_err(|e| ValidateError::Internal(e.to_string()))?;
                checks.extend(shapes.check_names());
                let payload = !options.metadata_only && opened.payload.is_some();
                if payload {
                    checks.extend(PAYLOAD_CHECKS.iter().map(|s| s.to_string()));
                }
                // The payload is read and hashed on one core while the shapes run on the other.
                let (graph_findings, payload_findings) = std::thread::scope(|scope| {
                    let hashing =
                        payload.then(|| scope.spawn(|| check_payload(&graph, &mut opened)));
                    let graph_findings = shapes.validate(&graph);
                    let payload_findings = match hashing.map(|h| h.join()) {
                        None => Ok(Vec::new()),
                        Some(Ok(found)) => found,
                        Some(Err(_)) => Err(ValidateError::Internal(
                            "the payload check stopped unexpectedly".into(),
                        )),
                    };
                    (graph_findings, payload_findings)
                });
                findings
                    .extend(graph_findings.map_err(|e| ValidateError::Internal(e.to_string()))?);
                findings.extend(payload_findings?);
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
    if profiles.is_empty() {
        profiles.push(Profile::RoCrate11);
    }
    if opened.metadata_name != crate::validate::reader::METADATA {
        for f in &mut findings {
            if f.entity == crate::validate::reader::METADATA {
                f.entity = opened.metadata_name.clone();
            }
        }
    }
    findings.retain(|f| !options.skip_checks.contains(&f.check));
    checks.retain(|c| !options.skip_checks.contains(c));
    findings.sort();
    findings.dedup();
    Ok(Checked {
        report: CrateReport {
            crate_path: path.display().to_string(),
            profiles,
            findings,
            checks,
            duration_ms: start.elapsed().as_millis(),
        },
        graph: loaded,
        metadata: opened.metadata,
    })
}

/// The metadata as RDF, contexts served from the bundle only. A detached crate's descriptor
/// (`x-ro-crate-metadata.json`) is renamed `ro-crate-metadata.json`, the name the shapes and
/// queries use for "the metadata descriptor".
///
/// The document is parsed in streaming key order when it can be rewritten so (half the time and
/// memory, see [`crate::validate::streaming`]); any error there, and the original is parsed in the default
/// mode, whose findings are the ones reported.
fn load(bytes: &[u8], contexts: &Contexts, metadata_name: &str) -> Result<Store, String> {
    let contexts = Arc::new(contexts.clone());
    let used = Arc::new(crate::jsonld::contexts::names_in_json(bytes));
    if let Some(ordered) = crate::validate::streaming::streaming_order(bytes) {
        let streaming = JsonLdProfileSet::from(JsonLdProfile::Streaming);
        if let Ok(store) = parse(&ordered, streaming, &contexts, &used, metadata_name) {
            return Ok(store);
        }
    }
    parse(
        bytes,
        JsonLdProfileSet::empty(),
        &contexts,
        &used,
        metadata_name,
    )
}

fn parse(
    bytes: &[u8],
    profile: JsonLdProfileSet,
    contexts: &Arc<Contexts>,
    used: &Arc<HashSet<String>>,
    metadata_name: &str,
) -> Result<Store, String> {
    let (contexts, used) = (Arc::clone(contexts), Arc::clone(used));
    let parser = RdfParser::from_format(RdfFormat::JsonLd { profile })
        .with_base_iri(BASE)
        .map_err(|e| e.to_string())?;
    let store = Store::new().map_err(|e| e.to_string())?;
    let descriptor =
        NamedNode::new_unchecked(format!("{BASE}{}", crate::validate::reader::METADATA));
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
                let quads = parser
                    .for_slice(bytes)
                    .with_document_loader(move |url| match contexts.trimmed(url, &used) {
                        Some(text) => Ok(LoadedDocument {
                            url: url.to_owned(),
                            content: text.into_bytes(),
                            format: RdfFormat::JsonLd {
                                profile: JsonLdProfileSet::empty(),
                            },
                        }),
                        None => Err(format!("unknown context {url}: not fetched").into()),
                    });
                let mut batch = Vec::with_capacity(BATCH);
                for quad in quads {
                    batch.push(quad.map_err(|e| e.to_string())?);
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
        for batch in batches {
            store
                .extend(batch.into_iter().map(|q| {
                    let subject = match rename(q.subject.into()) {
                        Term::NamedNode(n) => NamedOrBlankNode::NamedNode(n),
                        Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b),
                        _ => NamedOrBlankNode::NamedNode(descriptor.clone()),
                    };
                    Quad::new(subject, q.predicate, rename(q.object), q.graph_name)
                }))
                .map_err(|e| e.to_string())?;
        }
        parsing
            .join()
            .map_err(|_| "the JSON-LD parser stopped unexpectedly".to_owned())?
    })?;
    Ok(store)
}

fn select(graph: &Store, query: &str) -> Result<Vec<HashMap<String, Term>>, ValidateError> {
    crate::rdf::select::select(graph, Some(BASE), query)
        .map(|r| r.rows)
        .map_err(|e| ValidateError::Internal(format!("built-in query: {e}")))
}

fn declared_profiles(graph: &Store) -> Result<Vec<Profile>, ValidateError> {
    let rows = select(graph, include_str!("../../queries/validate/conforms-to.rq"))?;
    let mut profiles: Vec<Profile> = rows
        .iter()
        .filter_map(|r| match r.get("profile") {
            Some(Term::NamedNode(n)) => Profile::from_iri(n.as_str()),
            _ => None,
        })
        .collect();
    profiles.sort();
    profiles.dedup();
    Ok(profiles)
}

/// Data entities against the bytes: existence, sizes, checksums, and undescribed files.
fn check_payload(graph: &Store, opened: &mut Opened) -> Result<Vec<Finding>, ValidateError> {
    let mut findings = Vec::new();
    let rows = select(
        graph,
        include_str!("../../queries/validate/data-entities.rq"),
    )?;
    let mut described: BTreeSet<String> = BTreeSet::new();
    let mut directories: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for row in rows {
        let Some(Term::NamedNode(entity)) = row.get("entity") else {
            continue;
        };
        let Some(relative) = entity.as_str().strip_prefix(BASE) else {
            continue;
        };
        if relative.is_empty() || !seen.insert(relative.to_owned()) {
            continue;
        }
        let display = relative.to_owned();
        let path = match decode_path(relative) {
            Some(p) => p,
            None => {
                findings.push(Finding::new(
                    Level::Required,
                    "Payload: paths stay inside the crate",
                    &display,
                    Some("@id"),
                    None,
                    "this @id would leave the crate root; it was not followed".into(),
                ));
                continue;
            }
        };
        if path.contains('#') || path.contains('?') {
            continue;
        }
        if row.contains_key("dataset") {
            // Files under a described directory count as described.
            directories.push(format!("{}/", path.trim_end_matches('/')));
            continue;
        }
        described.insert(path.clone());
        let entry = opened.payload.as_ref().and_then(|p| p.get(&path)).cloned();
        let embedded = text(row.get("text")).filter(|_| entry.is_none());
        let actual_size = match (&entry, &embedded) {
            (Some(e), _) => e.size,
            (None, Some(t)) => t.len() as u64,
            (None, None) => {
                findings.push(Finding::new(
                    Level::Required,
                    "Payload: data entities exist",
                    &display,
                    None,
                    None,
                    format!("the file {path:?} is described but not in the crate; add it, or give the entity an absolute URI if it lives elsewhere"),
                ));
                continue;
            }
        };
        let size = text(row.get("size"));
        if let Some(claimed) = &size {
            if claimed.trim().parse::<u64>().ok() != Some(actual_size) {
                findings.push(Finding::new(
                    Level::Required,
                    "Payload: sizes and checksums match",
                    &display,
                    Some("contentSize"),
                    Some(claimed.clone()),
                    format!("the file has {actual_size} bytes"),
                ));
                continue;
            }
        }
        let sums: Vec<(&str, String)> = ["sha256", "md5", "sha512"]
            .into_iter()
            .filter_map(|k| text(row.get(k)).map(|v| (k, v.trim().to_ascii_lowercase())))
            .collect();
        if sums.is_empty() {
            continue;
        }
        let mut digests = Digests::new(sums.iter().map(|(kind, _)| *kind));
        match &embedded {
            Some(t) => digests.update(t.as_bytes()),
            None => {
                opened
                    .read_payload(&path, Some(actual_size), &mut |chunk| digests.update(chunk))
                    .map_err(|e| ValidateError::Internal(e.to_string()))?;
            }
        }
        let actual = digests.finish();
        for (kind, claimed) in sums {
            if actual.get(kind) != Some(&claimed) {
                findings.push(Finding::new(
                    Level::Required,
                    "Payload: sizes and checksums match",
                    &display,
                    Some(kind),
                    Some(claimed),
                    format!("the file's {kind} is {}", actual[kind]),
                ));
            }
        }
    }
    if let Some(payload) = &opened.payload {
        for file in payload.keys() {
            let metadata = file == crate::validate::reader::METADATA
                || file == "ro-crate-preview.html"
                || file.starts_with("ro-crate-preview_files/");
            let covered = described.contains(file)
                || directories.iter().any(|d| file.starts_with(d.as_str()));
            if !metadata && !covered {
                findings.push(Finding::new(
                    Level::Recommended,
                    "Payload: every file is described",
                    file,
                    None,
                    None,
                    "this file is in the crate but no data entity describes it; add a File entity to hasPart".into(),
                ));
            }
        }
    }
    Ok(findings)
}

/// The checksums a file's entity claims, computed in one pass over its bytes; only those:
/// computing all three for every file tripled the hashing time of a sha256-only crate.
#[derive(Default)]
struct Digests {
    sha256: Option<Sha256>,
    sha512: Option<Sha512>,
    md5: Option<Md5>,
}

impl Digests {
    fn new<'k>(kinds: impl IntoIterator<Item = &'k str>) -> Self {
        let mut digests = Digests::default();
        for kind in kinds {
            match kind {
                "sha256" => digests.sha256 = Some(Sha256::new()),
                "sha512" => digests.sha512 = Some(Sha512::new()),
                _ => digests.md5 = Some(Md5::new()),
            }
        }
        digests
    }

    fn update(&mut self, chunk: &[u8]) {
        if let Some(h) = &mut self.sha256 {
            h.update(chunk);
        }
        if let Some(h) = &mut self.sha512 {
            h.update(chunk);
        }
        if let Some(h) = &mut self.md5 {
            h.update(chunk);
        }
    }

    fn finish(self) -> BTreeMap<&'static str, String> {
        let hex = |bytes: &[u8]| crate::release::package::hex(bytes);
        [
            ("sha256", self.sha256.map(|h| hex(&h.finalize()))),
            ("sha512", self.sha512.map(|h| hex(&h.finalize()))),
            ("md5", self.md5.map(|h| hex(&h.finalize()))),
        ]
        .into_iter()
        .filter_map(|(kind, sum)| Some((kind, sum?)))
        .collect()
    }
}

/// A relative `@id` as a crate path: percent-decoded, and `None` if it would leave the root.
fn decode_path(relative: &str) -> Option<String> {
    let bytes = relative.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&relative[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    let path = String::from_utf8(out).ok()?;
    let path = path.strip_prefix("./").unwrap_or(&path).to_owned();
    let escapes = path.starts_with('/') || path.split('/').any(|s| s == "..");
    (!escapes).then_some(path)
}
