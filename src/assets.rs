//! The documents that drive the pipeline: SPARQL queries, SHACL shapes, JSON-LD contexts and the
//! preview template. All are embedded so the binary works alone in an air-gapped TRE, and each
//! set can be replaced from a directory to adapt the mapping without rebuilding.

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
    embed!("shapes/ro-crate-1.1.ttl"),
    embed!("shapes/trecrate-release.ttl"),
    embed!("context/ro-crate-1.1.jsonld"),
    embed!("context/tre.jsonld"),
    embed!("templates/preview.html"),
];

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
    #[error("{}: the release queries must include identify.rq", dir.display())]
    NoIdentify { dir: PathBuf },
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
    pub ro_crate_context: String,
    pub tre_context: String,
    pub template: String,
}

impl Assets {
    pub fn load(dirs: &AssetDirs) -> Result<Self, AssetError> {
        let mut release = set(dirs.queries.as_deref(), "queries/", "release/", ".rq")?;
        let position = release
            .iter()
            .position(|a| a.name == "release/identify.rq")
            .ok_or_else(|| AssetError::NoIdentify {
                dir: dirs.queries.clone().unwrap_or_default(),
            })?;
        let identify = release.remove(position);
        Ok(Assets {
            identify,
            construct: release,
            preview: set(dirs.queries.as_deref(), "queries/", "preview/", ".rq")?,
            shapes: set(dirs.shapes.as_deref(), "shapes/", "", ".ttl")?,
            ro_crate_context: one(dirs.contexts.as_deref(), "context/", "ro-crate-1.1.jsonld")?,
            tre_context: one(dirs.contexts.as_deref(), "context/", "tre.jsonld")?,
            template: match &dirs.template {
                Some(path) => read(path)?,
                None => embedded("templates/preview.html"),
            },
        })
    }
}

/// The auditors' library, `audit/*.rq`, from `dir` (a `--queries` directory) or embedded.
pub fn audit_queries(dir: Option<&Path>) -> Result<Vec<Asset>, AssetError> {
    set(dir, "queries/", "audit/", ".rq")
}

fn embedded(path: &str) -> String {
    EMBEDDED
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, text)| (*text).to_owned())
        .unwrap_or_default()
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
