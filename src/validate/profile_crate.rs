//! Profiles users bring as RO-Crate 1.2 Profile Crates (profiles.md, "Profile Crate"): a crate
//! whose root is a `Profile`, with `ResourceDescriptor`s whose role is validation pointing at
//! SHACL files inside it. The crate is read from a local directory only: an artifact elsewhere
//! is an error, never a download.

use super::BASE;
use crate::assets::Asset;
use crate::jsonld::contexts::Contexts;
use crate::profile::{Profile, Profiles};
use crate::rdf::select::text;
use oxigraph::model::Term;
use std::path::{Path, PathBuf};

/// The media type of SHACL's Turtle files; an artifact without an encodingFormat counts as
/// SHACL when its name ends in `.ttl`.
const TURTLE: &str = "text/turtle";

#[derive(Debug, thiserror::Error)]
pub enum ProfileCrateError {
    #[error("--profile-crate {}: no ro-crate-metadata.json in this directory", .0.display())]
    NoMetadata(PathBuf),
    #[error("--profile-crate {}: cannot read {file}", dir.display())]
    Read {
        dir: PathBuf,
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("--profile-crate {}: {message}", dir.display())]
    Invalid { dir: PathBuf, message: String },
}

/// A Profile Crate as `validate` uses it.
#[derive(Debug, Clone)]
pub struct ProfileCrate {
    /// What findings name as their profile: the profile's `@id` when absolute (as profiles.md
    /// says it SHOULD be), else the directory's name.
    pub id: String,
    /// The profiles trecrate knows among those it is a profile of (`isProfileOf`): they are
    /// checked with it.
    pub builds_on: Vec<Profile>,
    /// Its SHACL documents, named `ID ARTIFACT`.
    pub shapes: Vec<Asset>,
}

impl ProfileCrate {
    pub fn read(
        dir: &Path,
        contexts: &Contexts,
        known: &Profiles,
    ) -> Result<Self, ProfileCrateError> {
        let invalid = |message: String| ProfileCrateError::Invalid {
            dir: dir.to_owned(),
            message,
        };
        let read = |file: &str| {
            crate::file::read_regular(&dir.join(file)).map_err(|source| ProfileCrateError::Read {
                dir: dir.to_owned(),
                file: file.to_owned(),
                source,
            })
        };
        if !dir.join(super::reader::METADATA).is_file() {
            return Err(ProfileCrateError::NoMetadata(dir.to_owned()));
        }
        let metadata = read(super::reader::METADATA)?;
        let graph = super::load(
            &metadata,
            contexts,
            super::reader::METADATA,
            super::graph::ON_DISK_FROM,
        )
        .map_err(|e| invalid(format!("its metadata is not readable JSON-LD: {e}")))?;
        let rows = super::select(&graph, crate::assets::PROFILE_CRATE_QUERY)
            .map_err(|e| invalid(e.to_string()))?;
        let Some(profile) = rows.iter().find_map(|r| r.get("profile").cloned()) else {
            return Err(invalid(
                "its root is not a Profile: profiles.md asks a Profile Crate's Root Data Entity to have the @type Profile".into(),
            ));
        };
        let id = match &profile {
            Term::NamedNode(n) if !n.as_str().starts_with(BASE) => n.as_str().to_owned(),
            _ => dir
                .canonicalize()
                .ok()
                .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "profile-crate".to_owned()),
        };
        let builds_on = super::named_profiles(&rows, "base", known);
        let mut shapes = Vec::new();
        for row in &rows {
            let Some(Term::NamedNode(artifact)) = row.get("artifact") else {
                continue;
            };
            let Some(path) = artifact.as_str().strip_prefix(BASE) else {
                return Err(invalid(format!(
                    "the validation resource <{}> is not a file of the Profile Crate; trecrate fetches nothing: copy it into the crate",
                    artifact.as_str()
                )));
            };
            let format = text(row.get("format"));
            let shacl = match format.as_deref() {
                Some(format) => format == TURTLE,
                None => path.ends_with(".ttl"),
            };
            if !shacl {
                continue;
            }
            let path = crate::rdf::iri::decode_path(path)
                .filter(|p| !p.starts_with('/') && !p.split('/').any(|s| s == ".."))
                .ok_or_else(|| invalid(format!("{path:?} leaves the Profile Crate")))?;
            let bytes = read(&path)?;
            let text = String::from_utf8(bytes)
                .map_err(|_| invalid(format!("{path} is not UTF-8 text")))?;
            let name = format!("{id} {path}");
            if !shapes.iter().any(|a: &Asset| a.name == name) {
                shapes.push(Asset { name, text });
            }
        }
        if shapes.is_empty() {
            return Err(invalid(format!(
                "no SHACL resource: a ResourceDescriptor with hasRole <http://www.w3.org/ns/dx/prof/role/validation> and a hasArtifact of encodingFormat {TURTLE} is what trecrate checks with"
            )));
        }
        Ok(ProfileCrate {
            id,
            builds_on,
            shapes,
        })
    }
}
