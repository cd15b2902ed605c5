//! Arguments resolved into the library's options: secrets and tokens read from their files,
//! defaults filled in, values checked. Every error here is the user's invocation (exit 2).

use super::args::{
    IngestArgs, LevelArg, ReleaseArgs, RunCrateArgs, S3Args, StoreArg, TreNamespaceArg,
    ValidateArgs,
};
use std::path::{Path, PathBuf};
use trecrate::archive::ingest::IngestOptions;
use trecrate::assets::AssetDirs;
use trecrate::finding::Level;
use trecrate::jsonld::contexts::{ContextError, Contexts};
use trecrate::release::load::Publisher;
use trecrate::run_crate::RunCrateOptions;
use trecrate::validate::profile_crate::ProfileCrate;
use trecrate::validate::{ProfileError, Profiles, ValidateOptions};
use trecrate::ReleaseOptions;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("no archive location: set --store or TRECRATE_STORE (HOME is not set)")]
    NoStore,
    #[error("{option} {}: cannot read the file", path.display())]
    Read {
        option: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{option} {message}")]
    Invalid {
        option: &'static str,
        message: String,
    },
    #[error(transparent)]
    Contexts(#[from] ContextError),
    #[error(transparent)]
    Profiles(#[from] ProfileError),
    #[error(transparent)]
    ProfileCrate(#[from] trecrate::validate::profile_crate::ProfileCrateError),
}

/// The archive's location: `--store`, `TRECRATE_STORE`, or the default under the home.
pub fn store_path(arg: &StoreArg) -> Result<PathBuf, SettingsError> {
    arg.store
        .clone()
        .or_else(trecrate::archive::default_location)
        .ok_or(SettingsError::NoStore)
}

/// A secret or token file's text, trimmed of the newline editors add.
pub fn read_secret(option: &'static str, path: &Path) -> Result<String, SettingsError> {
    std::fs::read_to_string(path)
        .map(|text| text.trim().to_owned())
        .map_err(|source| SettingsError::Read {
            option,
            path: path.to_owned(),
            source,
        })
}

/// The bearer token: from `--token-file`, else from the environment variable's value.
pub fn token(file: Option<&Path>, env: Option<String>) -> Result<Option<String>, SettingsError> {
    match file {
        Some(path) => read_secret("--token-file", path).map(Some),
        None => Ok(env.map(|t| t.trim().to_owned())),
    }
}

/// The `--tre-namespace` value, checked to be usable as a namespace.
pub fn tre_namespace(arg: TreNamespaceArg) -> Result<String, SettingsError> {
    trecrate::rdf::vocab::check_tre_namespace(&arg.tre_namespace).map_err(|message| {
        SettingsError::Invalid {
            option: "--tre-namespace",
            message,
        }
    })?;
    Ok(arg.tre_namespace)
}

pub fn level(arg: LevelArg) -> Level {
    match arg {
        LevelArg::Required => Level::Required,
        LevelArg::Recommended => Level::Recommended,
        LevelArg::Optional => Level::Optional,
    }
}

/// The `--s3-*` overrides of the AWS environment.
pub fn s3(args: &S3Args) -> Result<trecrate::storage::s3::Config, SettingsError> {
    let secret_access_key = match &args.s3_secret_access_key_file {
        Some(path) => Some(read_secret("--s3-secret-access-key-file", path)?),
        None => None,
    };
    Ok(trecrate::storage::s3::Config {
        endpoint: args.s3_endpoint_url.clone(),
        region: args.s3_region.clone(),
        access_key_id: args.s3_access_key_id.clone(),
        secret_access_key,
        retries: args.s3_retries,
    })
}

pub fn release(args: ReleaseArgs) -> Result<ReleaseOptions, SettingsError> {
    let s3 = s3(&args.s3)?;
    let store = if args.no_store {
        None
    } else {
        Some(store_path(&args.store)?)
    };
    Ok(ReleaseOptions {
        export: args.export,
        quarantine: args.quarantine,
        out: args.out,
        s3,
        force: args.force,
        publisher: Publisher {
            name: args.publisher_name,
            url: args.publisher_url,
        },
        tre_namespace: args.tre_namespace.tre_namespace,
        assets: AssetDirs {
            queries: args.queries,
            shapes: args.shapes,
            contexts: args.contexts,
            template: args.preview_template,
        },
        deflate_level: args.deflate_level,
        store,
        ro_crate_version: args.ro_crate_version,
        bagit: args.bagit.bagit,
        cancel: Default::default(),
    })
}

pub fn validate(args: &ValidateArgs) -> Result<ValidateOptions, SettingsError> {
    let known = Profiles::builtin()?;
    let mut profiles = Vec::new();
    for name in &args.profile {
        let profile = known
            .named(name)
            .map_err(|message| SettingsError::Invalid {
                option: "--profile",
                message,
            })?;
        profiles.push(profile.clone());
    }
    let contexts = Contexts::with_files(&args.context)?;
    let profile_crates = args
        .profile_crate
        .iter()
        .map(|dir| ProfileCrate::read(dir, &contexts, known))
        .collect::<Result<_, _>>()?;
    Ok(ValidateOptions {
        profiles,
        metadata_only: args.metadata_only,
        contexts,
        max_metadata_bytes: args.max_metadata_bytes,
        max_in_memory_bytes: args.max_in_memory_bytes,
        skip_checks: args.skip_check.clone(),
        tre_namespace: tre_namespace(args.tre_namespace.clone())?,
        shapes: args.shapes.clone(),
        profile_crates,
    })
}

pub fn ingest(args: &IngestArgs) -> Result<IngestOptions, SettingsError> {
    if args.name.is_some() && args.crates.len() > 1 {
        return Err(SettingsError::Invalid {
            option: "--name",
            message: "names one crate; give one CRATE with it".into(),
        });
    }
    Ok(IngestOptions {
        validate: ValidateOptions {
            metadata_only: args.metadata_only,
            contexts: Contexts::with_files(&args.context)?,
            tre_namespace: tre_namespace(args.tre_namespace.clone())?,
            ..ValidateOptions::default()
        },
        force: args.force,
        name: args.name.clone(),
    })
}

pub fn run_crate(args: RunCrateArgs) -> RunCrateOptions {
    RunCrateOptions {
        dir: args.dir,
        out: args.out,
        license: args.license,
        assets: AssetDirs {
            queries: args.queries,
            shapes: args.shapes,
            contexts: args.contexts,
            template: None,
        },
        store: args.store,
        force: args.force,
        bagit: args.bagit.bagit,
        cancel: Default::default(),
    }
}

/// `--param NAME=VALUE` pairs.
pub fn params(args: &[String]) -> Result<Vec<(String, String)>, SettingsError> {
    args.iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| SettingsError::Invalid {
                    option: "--param",
                    message: format!("{p:?} is not NAME=VALUE"),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_name_value_pairs() {
        let ok = params(&["a=1".into(), "b=x=y".into()]).unwrap();
        assert_eq!(ok, [("a".into(), "1".into()), ("b".into(), "x=y".into())]);
        let err = params(&["nope".into()]).unwrap_err().to_string();
        assert!(err.contains("--param") && err.contains("nope"), "{err}");
    }

    #[test]
    fn a_namespace_must_end_a_term() {
        let arg = |ns: &str| TreNamespaceArg {
            tre_namespace: ns.into(),
        };
        assert!(tre_namespace(arg("https://example.org/tre#")).is_ok());
        assert!(tre_namespace(arg("https://example.org/tre")).is_err());
    }
}
