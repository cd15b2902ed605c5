//! The documents that drive the pipeline: SPARQL queries, SHACL shapes, JSON-LD contexts and the
//! preview template. All are embedded so the binary works alone in an air-gapped TRE, and each
//! set can be replaced from a directory to adapt the mapping without rebuilding.

use crate::rdf::vocab::RoCrateVersion;
use std::path::{Path, PathBuf};

macro_rules! embed {
    ($path:literal) => {
        ($path, include_str!(concat!("../", $path)))
    };
}

/// Every embedded document, by its path in the source tree.
const EMBEDDED: &[(&str, &str)] = &[
    embed!("queries/release/identify.rq"),
    embed!("queries/release/metadata-descriptor.rq"),
    embed!("queries/release/root-data-entity.rq"),
    embed!("queries/release/file.rq"),
    embed!("queries/release/person.rq"),
    embed!("queries/release/organization.rq"),
    embed!("queries/release/license.rq"),
    embed!("queries/release/approval.rq"),
    embed!("queries/release/review.rq"),
    embed!("queries/release/audit-event.rq"),
    embed!("queries/release/profile.rq"),
    embed!("queries/release/1.2/metadata-descriptor.rq"),
    embed!("queries/release/1.2/profile-type.rq"),
    embed!("queries/release/1.2/contact-point.rq"),
    embed!("queries/release/1.2/action-status.rq"),
    embed!("queries/release/1.3/metadata-descriptor.rq"),
    embed!("queries/payload.rq"),
    embed!("queries/run-files.rq"),
    embed!("queries/preview/request.rq"),
    embed!("queries/preview/approval.rq"),
    embed!("queries/preview/files.rq"),
    embed!("queries/preview/reviews.rq"),
    embed!("queries/audit/releases.rq"),
    embed!("queries/audit/release-by-checksum.rq"),
    embed!("queries/audit/releases-by-checker.rq"),
    embed!("queries/audit/releases-by-project.rq"),
    embed!("queries/audit/files-by-statbarn.rq"),
    embed!("queries/audit/approval-anomalies.rq"),
    embed!("queries/audit/request-timeline.rq"),
    embed!("queries/run-crate/identify.rq"),
    embed!("queries/run-crate/metadata-descriptor.rq"),
    embed!("queries/run-crate/root-data-entity.rq"),
    embed!("queries/run-crate/workflow.rq"),
    embed!("queries/run-crate/parameter.rq"),
    embed!("queries/run-crate/file.rq"),
    embed!("queries/run-crate/action.rq"),
    embed!("queries/run-crate/software.rq"),
    embed!("queries/run-crate/statistics.rq"),
    embed!("queries/validate/conforms-to.rq"),
    embed!("queries/validate/profiles.rq"),
    embed!("queries/validate/profile-crate.rq"),
    embed!("shapes/profiles/manifest.ttl"),
    embed!("shapes/profiles/five-safes-crate-0.4.ttl"),
    embed!("shapes/profiles/process-run-crate-0.5.ttl"),
    embed!("shapes/profiles/provenance-run-crate-0.5.ttl"),
    embed!("shapes/profiles/ro-crate-1.3.ttl"),
    embed!("shapes/profiles/workflow-ro-crate-1.0.ttl"),
    embed!("shapes/profiles/workflow-run-crate-0.5.ttl"),
    embed!("queries/validate/data-entities.rq"),
    embed!("queries/ingest/record.rq"),
    embed!("shapes/payload.ttl"),
    embed!("shapes/bagit.ttl"),
    embed!("shapes/ro-crate-1.1.ttl"),
    embed!("shapes/ro-crate-1.2.ttl"),
    embed!("shapes/run-crate/workflow-run.ttl"),
    embed!("shapes/trecrate-release.ttl"),
    embed!("context/ro-crate-1.1.jsonld"),
    embed!("context/ro-crate-1.2.jsonld"),
    embed!("context/ro-crate-1.3.jsonld"),
    embed!("context/ro-terms-test.jsonld"),
    embed!("context/tre.jsonld"),
    embed!("context/ro-terms-workflow-run.jsonld"),
    embed!("context/ro-terms-sapporo.jsonld"),
    embed!("context/run-crate.jsonld"),
    embed!("templates/preview.html"),
    embed!("templates/serve/index.html"),
    embed!("templates/serve/app.js"),
    embed!("templates/serve/app.css"),
];

/// The documents modules ask for by path, outside the sets above.
pub const NAMED: &[&str] = &[
    "context/ro-crate-1.2.jsonld",
    "context/ro-crate-1.3.jsonld",
    "context/ro-terms-test.jsonld",
    CONFORMS_TO_QUERY,
    DATA_ENTITIES_QUERY,
    PROFILES_QUERY,
    PROFILE_CRATE_QUERY,
    PROFILE_MANIFEST,
    PAYLOAD_SHAPES,
    BAGIT_SHAPES,
    INGEST_RECORD_QUERY,
    SERVE_PAGE,
    SERVE_SCRIPT,
    SERVE_STYLE,
];
/// The auditors' page of `serve`.
pub const SERVE_PAGE: &str = "templates/serve/index.html";
pub const SERVE_SCRIPT: &str = "templates/serve/app.js";
pub const SERVE_STYLE: &str = "templates/serve/app.css";
pub const CONFORMS_TO_QUERY: &str = "queries/validate/conforms-to.rq";
pub const DATA_ENTITIES_QUERY: &str = "queries/validate/data-entities.rq";
pub const INGEST_RECORD_QUERY: &str = "queries/ingest/record.rq";
pub const PROFILES_QUERY: &str = "queries/validate/profiles.rq";
pub const PROFILE_CRATE_QUERY: &str = "queries/validate/profile-crate.rq";
pub const PROFILE_MANIFEST: &str = "shapes/profiles/manifest.ttl";
pub const PAYLOAD_SHAPES: &str = "shapes/payload.ttl";
pub const BAGIT_SHAPES: &str = "shapes/bagit.ttl";

#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: no {what} found there", dir.display())]
    Empty { dir: PathBuf, what: &'static str },
    #[error("{}: the {profile} queries must include identify.rq", dir.display())]
    NoIdentify { dir: PathBuf, profile: &'static str },
}

/// A named document; the name (e.g. `release/file.rq`) appears in error messages.
#[derive(Debug, Clone)]
pub struct Asset {
    pub name: String,
    pub text: String,
}

/// Where to take documents from instead of the embedded ones; `None` keeps the embedded set.
#[derive(Debug, Clone, Default)]
pub struct AssetDirs {
    /// Holds `release/*.rq` and `preview/*.rq`.
    pub queries: Option<PathBuf>,
    /// Holds `*.ttl`.
    pub shapes: Option<PathBuf>,
    /// Holds `ro-crate-1.1.jsonld` and `tre.jsonld`.
    pub contexts: Option<PathBuf>,
    /// The preview template file.
    pub template: Option<PathBuf>,
}

/// The documents one release run uses.
#[derive(Debug, Clone)]
pub struct Assets {
    /// Runs first, over the source graph, and adds to it: names entities and picks versions.
    pub identify: Asset,
    /// Run over the source graph; their union is the crate graph.
    pub construct: Vec<Asset>,
    /// SELECT queries over the crate graph; each one's rows feed the preview under its name.
    pub preview: Vec<Asset>,
    pub shapes: Vec<Asset>,
    /// SELECT over the source graph: the files the release ships.
    pub payload: String,
    pub ro_crate_context: String,
    pub tre_context: String,
    pub template: String,
}

impl Assets {
    /// `shapes` are the embedded shapes documents to check the release with (its profile's,
    /// see [`crate::profile`]); a `dirs.shapes` directory replaces them all. The mapping is
    /// `release/*.rq` with the queries of `release/VERSION/` in their place, for each version
    /// up to `version` (from a `dirs.queries` directory when it has that folder).
    pub fn load(
        dirs: &AssetDirs,
        shapes: &[String],
        version: RoCrateVersion,
    ) -> Result<Self, AssetError> {
        let queries = dirs.queries.as_deref();
        let (mut identify, mut construct) = mapping(queries, "release")?;
        for v in version.overrides() {
            let folder = format!("release/{v}/");
            if queries.is_some_and(|dir| !dir.join(&folder).is_dir()) {
                continue;
            }
            for replacement in set(queries, "queries/", &folder, ".rq")? {
                let name = format!("release/{}", &replacement.name[folder.len()..]);
                let replacement = Asset {
                    name: name.clone(),
                    ..replacement
                };
                if identify.name == name {
                    identify = replacement;
                } else if let Some(query) = construct.iter_mut().find(|a| a.name == name) {
                    *query = replacement;
                } else {
                    construct.push(replacement);
                }
            }
        }
        let construct = sorted(construct);
        Ok(Assets {
            identify,
            construct,
            preview: set(dirs.queries.as_deref(), "queries/", "preview/", ".rq")?,
            shapes: match &dirs.shapes {
                Some(dir) => shapes_in(dir)?,
                None => named(shapes, "shapes/"),
            },
            payload: optional(dirs.queries.as_deref(), "queries/", "payload.rq")?,
            ro_crate_context: one(dirs.contexts.as_deref(), "context/", version.context_file())?,
            tre_context: one(dirs.contexts.as_deref(), "context/", "tre.jsonld")?,
            template: match &dirs.template {
                Some(path) => read(path)?,
                None => embedded("templates/preview.html"),
            },
        })
    }
}

/// The documents of `run-crate`: the Workflow Run Crate mapping and its shapes.
#[derive(Debug, Clone)]
pub struct RunAssets {
    /// `run-files.rq`: which files of the run directory are the crate's.
    pub files: String,
    pub identify: Asset,
    pub construct: Vec<Asset>,
    /// RO-Crate 1.1's shapes and the workflow-run profile's (`shapes/run-crate/`).
    pub shapes: Vec<Asset>,
    pub ro_crate_context: String,
    pub workflow_run_context: String,
    pub sapporo_context: String,
    /// Terms written inline in the `@context`.
    pub inline_context: String,
}

impl RunAssets {
    /// `dirs.queries` holds `run-crate/*.rq` (and may hold `run-files.rq`); `dirs.shapes` holds `*.ttl` (but for
    /// `trecrate-release.ttl`, which is a release's) and `run-crate/*.ttl`; `dirs.contexts` the
    /// context documents by their bundled names. Without a shapes directory, the embedded
    /// `base` shapes (RO-Crate's, see [`crate::profile`]) and `shapes/run-crate/*.ttl`.
    pub fn load(dirs: &AssetDirs, base: &[String]) -> Result<Self, AssetError> {
        let (identify, construct) = mapping(dirs.queries.as_deref(), "run-crate")?;
        let shapes = dirs.shapes.as_deref();
        let mut all_shapes = match shapes {
            Some(dir) => shapes_in(dir)?,
            None => named(base, "shapes/"),
        };
        all_shapes.retain(|a| a.name != "trecrate-release.ttl");
        all_shapes.extend(set(shapes, "shapes/", "run-crate/", ".ttl")?);
        let contexts = dirs.contexts.as_deref();
        Ok(RunAssets {
            files: optional(dirs.queries.as_deref(), "queries/", "run-files.rq")?,
            identify,
            construct,
            shapes: all_shapes,
            ro_crate_context: one(contexts, "context/", "ro-crate-1.1.jsonld")?,
            workflow_run_context: one(contexts, "context/", "ro-terms-workflow-run.jsonld")?,
            sapporo_context: one(contexts, "context/", "ro-terms-sapporo.jsonld")?,
            inline_context: one(contexts, "context/", "run-crate.jsonld")?,
        })
    }
}

/// A profile's CONSTRUCT queries, `PROFILE/*.rq`: `identify.rq` apart, the others in order.
fn mapping(dir: Option<&Path>, profile: &'static str) -> Result<(Asset, Vec<Asset>), AssetError> {
    let mut queries = set(dir, "queries/", &format!("{profile}/"), ".rq")?;
    let position = queries
        .iter()
        .position(|a| a.name == format!("{profile}/identify.rq"))
        .ok_or_else(|| AssetError::NoIdentify {
            dir: dir.map(Path::to_owned).unwrap_or_default(),
            profile,
        })?;
    let identify = queries.remove(position);
    Ok((identify, queries))
}

/// The shapes documents (`*.ttl`) of a user's directory, by file name; or the one file given.
pub fn shapes_in(dir: &Path) -> Result<Vec<Asset>, AssetError> {
    if dir.is_file() {
        let name = dir.file_name().map_or_else(
            || "shapes.ttl".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        return Ok(vec![Asset {
            name,
            text: read(dir)?,
        }]);
    }
    set(Some(dir), "shapes/", "", ".ttl")
}

/// The auditors' library, `audit/*.rq`, from `dir` (a `--queries` directory) or embedded.
pub fn audit_queries(dir: Option<&Path>) -> Result<Vec<Asset>, AssetError> {
    set(dir, "queries/", "audit/", ".rq")
}

/// The embedded document at `path` in the source tree (`shapes/ro-crate-1.1.ttl`); empty for
/// a path that is not embedded, which the tests below rule out for every path the crate names.
pub fn document(path: &str) -> &'static str {
    EMBEDDED
        .iter()
        .find(|(p, _)| *p == path)
        .map_or("", |(_, text)| text)
}

/// The embedded documents at `paths`, named relative to `root` as directory sets name them.
fn named(paths: &[String], root: &str) -> Vec<Asset> {
    sorted(
        paths
            .iter()
            .map(|path| Asset {
                name: path.strip_prefix(root).unwrap_or(path).to_owned(),
                text: embedded(path),
            })
            .collect(),
    )
}

fn embedded(path: &str) -> String {
    document(path).to_owned()
}

fn read(path: &Path) -> Result<String, AssetError> {
    std::fs::read_to_string(path).map_err(|source| AssetError::Read {
        path: path.to_owned(),
        source,
    })
}

/// The documents under `sub` with extension `ext`, sorted by name, from `dir` or embedded.
fn set(dir: Option<&Path>, root: &str, sub: &str, ext: &str) -> Result<Vec<Asset>, AssetError> {
    let Some(dir) = dir else {
        return Ok(sorted(
            EMBEDDED
                .iter()
                .filter_map(|(path, text)| {
                    let name = path.strip_prefix(root)?;
                    (name.starts_with(sub)
                        && name.ends_with(ext)
                        && !name[sub.len()..].contains('/'))
                    .then(|| Asset {
                        name: name.to_owned(),
                        text: (*text).to_owned(),
                    })
                })
                .collect(),
        ));
    };
    let folder = dir.join(sub);
    let entries = std::fs::read_dir(&folder).map_err(|source| AssetError::Read {
        path: folder.clone(),
        source,
    })?;
    let mut assets = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| AssetError::Read {
            path: folder.clone(),
            source,
        })?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name.ends_with(ext) {
            assets.push(Asset {
                name: format!("{sub}{file_name}"),
                text: read(&entry.path())?,
            });
        }
    }
    if assets.is_empty() {
        return Err(AssetError::Empty {
            dir: folder,
            what: if ext == ".rq" {
                "SPARQL queries (*.rq)"
            } else {
                "shapes (*.ttl)"
            },
        });
    }
    Ok(sorted(assets))
}

fn sorted(mut assets: Vec<Asset>) -> Vec<Asset> {
    assets.sort_by(|a, b| a.name.cmp(&b.name));
    assets
}

fn one(dir: Option<&Path>, root: &str, name: &str) -> Result<String, AssetError> {
    match dir {
        Some(dir) => read(&dir.join(name)),
        None => Ok(embedded(&format!("{root}{name}"))),
    }
}

/// As [`one`], but a directory without the document keeps the embedded one: `--queries`
/// directories written before `payload.rq` or `run-files.rq` could be replaced still work.
fn optional(dir: Option<&Path>, root: &str, name: &str) -> Result<String, AssetError> {
    match dir {
        Some(dir) if dir.join(name).exists() => read(&dir.join(name)),
        _ => Ok(embedded(&format!("{root}{name}"))),
    }
}

#[cfg(test)]
mod tests {
    /// Every document a module asks for by path is embedded.
    #[test]
    fn named_documents_are_embedded() {
        for path in super::NAMED {
            assert!(!super::document(path).is_empty(), "{path} is not embedded");
        }
    }
}
