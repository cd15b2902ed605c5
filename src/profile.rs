//! The profiles trecrate knows, read from `shapes/profiles/manifest.ttl` (the W3C Profiles
//! Vocabulary, as RO-Crate 1.2's profiles.md uses it): which shapes check each, what it builds
//! on, and how a crate names it in `conformsTo`. `validate` checks crates against them, and
//! `release` and `run-crate` their own output. Composition is in the manifest and its query
//! (`queries/validate/profiles.rq`), not here.

use crate::assets;
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::Term;
use oxigraph::store::Store;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub use crate::rdf::vocab::{RoCrateVersion, RELEASE_PROFILE};

/// Where the manifest sits among the assets; its relative IRIs (the shapes files) resolve
/// against this, and become asset paths again when this prefix is taken off.
const ASSETS_BASE: &str = "https://w3id.org/trecrate/assets/";

/// The token of trecrate's release profile, which `release` checks its output against.
pub const RELEASE_TOKEN: &str = "trecrate-release";
/// The token of the RO-Crate version `run-crate` writes.
pub const RUN_CRATE_BASE_TOKEN: &str = "ro-crate-1.1";

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{}: {message}", assets::PROFILE_MANIFEST)]
    Manifest { message: String },
    #[error("{manifest}: no profile {0:?}", manifest = assets::PROFILE_MANIFEST)]
    Unknown(&'static str),
}

/// One profile: RO-Crate itself, a profile built on it, or trecrate's release profile.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Profile {
    /// The name `--profile` takes and reports show (`ro-crate-1.1`).
    pub token: String,
    pub title: String,
    /// The profile's IRI in the manifest.
    pub iri: String,
    /// Where its specification is read.
    pub url: Option<String>,
    /// Tokens of the profiles it builds on directly.
    pub builds_on: Vec<String>,
    /// A `conformsTo` IRI starting with one of these names the profile.
    pub prefixes: Vec<String>,
    /// Asset paths of its shapes, those of the profiles it builds on included.
    pub shapes: Vec<String>,
    /// Asset paths of its own shapes: findings of these are this profile's.
    pub own_shapes: Vec<String>,
    /// A version of RO-Crate itself, rather than a profile built on one.
    pub crate_version: bool,
}

impl Profile {
    pub fn name(&self) -> &str {
        &self.token
    }

    /// The token without its version (`process-run-crate` of `process-run-crate-0.5`), and
    /// the version's numbers.
    fn family(&self) -> (&str, Vec<u64>) {
        let numeric = |v: &str| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
        match self.token.rsplit_once('-') {
            Some((family, version)) if version.split('.').all(numeric) => {
                let numbers = version.split('.').filter_map(|n| n.parse().ok()).collect();
                (family, numbers)
            }
            _ => (&self.token, Vec::new()),
        }
    }
}

/// Reports name a profile by its token.
impl Serialize for Profile {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.token)
    }
}

/// Every profile of a manifest, in token order.
#[derive(Debug, Clone)]
pub struct Profiles(Vec<Profile>);

impl Profiles {
    /// The built-in manifest's profiles, read once.
    pub fn builtin() -> Result<&'static Profiles, ProfileError> {
        static BUILTIN: OnceLock<Result<Profiles, String>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Profiles::parse(assets::document(assets::PROFILE_MANIFEST)))
            .as_ref()
            .map_err(|message| ProfileError::Manifest {
                message: message.clone(),
            })
    }

    fn parse(manifest: &str) -> Result<Profiles, String> {
        let store = Store::new().map_err(|e| e.to_string())?;
        let base = format!("{ASSETS_BASE}{}", assets::PROFILE_MANIFEST);
        let parser = RdfParser::from_format(RdfFormat::Turtle)
            .with_base_iri(&base)
            .map_err(|e| e.to_string())?;
        store
            .load_from_slice(parser, manifest.as_bytes())
            .map_err(|e| e.to_string())?;
        let rows =
            crate::rdf::select::select(&store, None, assets::document(assets::PROFILES_QUERY))?
                .rows;
        let mut profiles: BTreeMap<String, Profile> = BTreeMap::new();
        let text = |term: Option<&Term>| crate::rdf::select::text(term);
        for row in &rows {
            let (Some(token), Some(title), Some(iri)) = (
                text(row.get("token")),
                text(row.get("title")),
                text(row.get("profile")),
            ) else {
                continue;
            };
            let profile = profiles.entry(token.clone()).or_insert_with(|| Profile {
                token,
                title,
                iri,
                url: None,
                builds_on: Vec::new(),
                prefixes: Vec::new(),
                shapes: Vec::new(),
                own_shapes: Vec::new(),
                crate_version: false,
            });
            if text(row.get("version")).is_some() {
                profile.crate_version = true;
            }
            if let Some(url) = text(row.get("url")) {
                profile.url = Some(url);
            }
            if let Some(prefix) = text(row.get("prefix")) {
                profile.prefixes.push(prefix);
            }
            if let Some(base) = text(row.get("buildsOn")) {
                profile.builds_on.push(base);
            }
            let asset = |iri: String| {
                iri.strip_prefix(ASSETS_BASE)
                    .map(str::to_owned)
                    .ok_or_else(|| format!("the shapes {iri} are not a file beside the manifest"))
            };
            if let Some(shapes) = text(row.get("shapes")) {
                profile.shapes.push(asset(shapes)?);
            }
            if let Some(own) = text(row.get("own")) {
                profile.own_shapes.push(asset(own)?);
            }
        }
        for profile in profiles.values_mut() {
            for list in [
                &mut profile.builds_on,
                &mut profile.prefixes,
                &mut profile.shapes,
                &mut profile.own_shapes,
            ] {
                list.sort();
                list.dedup();
            }
        }
        Ok(Profiles(profiles.into_values().collect()))
    }

    pub fn all(&self) -> &[Profile] {
        &self.0
    }

    /// The profile of this token, or, for a token without a version (`process-run-crate`),
    /// the latest version of it.
    pub fn get(&self, token: &str) -> Option<&Profile> {
        self.0.iter().find(|p| p.token == token).or_else(|| {
            self.0
                .iter()
                .filter(|p| p.family().0 == token)
                .max_by(|a, b| a.family().1.cmp(&b.family().1))
        })
    }

    /// The profile a user names (`--profile`, `?profile=`, Python's `profiles=`), as
    /// [`Profiles::get`] finds it; the error lists the known ones.
    pub fn named(&self, name: &str) -> Result<&Profile, String> {
        self.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.0.iter().map(Profile::name).collect();
            format!(
                "{name:?} is not a known profile (known: {})",
                known.join(", ")
            )
        })
    }

    /// The profiles `profile` builds on, itself included, each once: the profiles whose
    /// findings a check against it reports.
    pub fn closure<'a>(&'a self, profile: &'a Profile) -> Vec<&'a Profile> {
        let mut all = vec![profile];
        let mut i = 0;
        while i < all.len() {
            for base in &all[i].builds_on {
                if let Some(p) = self.get(base) {
                    if !all.contains(&p) {
                        all.push(p);
                    }
                }
            }
            i += 1;
        }
        all
    }

    /// The profile whose own shapes document `path` is.
    pub fn owning(&self, path: &str) -> Option<&Profile> {
        self.0
            .iter()
            .find(|p| p.own_shapes.iter().any(|s| s == path))
    }

    /// The profile a `conformsTo` IRI names, if any is known.
    pub fn named_by(&self, iri: &str) -> Option<&Profile> {
        let iri = iri.trim_end_matches('/');
        self.0.iter().find(|p| {
            p.prefixes
                .iter()
                .any(|prefix| iri.starts_with(prefix.as_str()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_manifest_composes_profiles() {
        let profiles = Profiles::builtin().unwrap();
        let tokens: Vec<&str> = profiles.all().iter().map(Profile::name).collect();
        assert_eq!(
            tokens,
            [
                "five-safes-crate-0.4",
                "process-run-crate-0.5",
                "provenance-run-crate-0.5",
                "ro-crate-1.1",
                "ro-crate-1.2",
                "ro-crate-1.3",
                "trecrate-release",
                "workflow-ro-crate-1.0",
                "workflow-run-crate-0.5"
            ]
        );
        let provenance = profiles.get("provenance-run-crate").unwrap();
        assert_eq!(provenance.token, "provenance-run-crate-0.5");
        let closure: Vec<&str> = profiles
            .closure(provenance)
            .iter()
            .map(|p| p.name())
            .collect();
        assert_eq!(
            closure,
            [
                "provenance-run-crate-0.5",
                "workflow-run-crate-0.5",
                "process-run-crate-0.5",
                "workflow-ro-crate-1.0"
            ]
        );
        assert_eq!(provenance.shapes.len(), 4);
        assert_eq!(
            profiles.get("ro-crate").unwrap().token,
            "ro-crate-1.3",
            "the latest version"
        );
        assert!(profiles.get("ro-crate-1.1").unwrap().crate_version);
        assert!(!provenance.crate_version);
        assert_eq!(
            profiles.owning("shapes/ro-crate-1.2.ttl").unwrap().token,
            "ro-crate-1.2"
        );
        let release = profiles.get("trecrate-release").unwrap();
        assert_eq!(release.builds_on, ["ro-crate-1.1"]);
        assert_eq!(
            release.shapes,
            ["shapes/ro-crate-1.1.ttl", "shapes/trecrate-release.ttl"]
        );
        for profile in profiles.all() {
            for shapes in &profile.shapes {
                assert!(!assets::document(shapes).is_empty(), "{shapes}");
            }
        }
    }

    #[test]
    fn conforms_to_iris_name_profiles() {
        let profiles = Profiles::builtin().unwrap();
        let named = |iri: &str| profiles.named_by(iri).map(|p| p.token.as_str());
        assert_eq!(
            named("https://w3id.org/ro/crate/1.1/"),
            Some("ro-crate-1.1")
        );
        assert_eq!(named("https://w3id.org/ro/crate/1.2"), Some("ro-crate-1.2"));
        assert_eq!(
            named("https://w3id.org/ro/crate/1.3-DRAFT"),
            Some("ro-crate-1.3")
        );
        assert_eq!(
            named("https://w3id.org/ro/crate/1.2-DRAFT"),
            Some("ro-crate-1.2")
        );
        assert_eq!(
            named("https://w3id.org/ro/wfrun/process/0.4"),
            Some("process-run-crate-0.5")
        );
        assert_eq!(named(RELEASE_PROFILE), Some("trecrate-release"));
        assert_eq!(named("https://example.org/profile"), None);
    }
}
