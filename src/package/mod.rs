//! Stage 6 of a release: `ro-crate-{id}/`, its zip and the release record on disk. Its zip
//! writer ([`assemble`]) also packs `run-crate`'s bag and streams a release to S3.
//!
//! Everything is written into a hidden staging directory beside the targets and renamed into
//! place only when all of it succeeded; the record is renamed last, so its presence means the
//! release is complete. Any failure, including a checksum that does not match the export, leaves
//! the output directory as it was.

pub mod bag;
mod staging;
mod zip;

use self::staging::*;
pub(crate) use self::zip::check;
pub use self::zip::{assemble, Zipped};
use crate::rdf::digest::hex;
use crate::rdf::timestamp::Timestamp;
use crate::storage::scratch::remove_abandoned;
use ::zip::write::{SimpleFileOptions, ZipFileBuilder};
use ::zip::{CompressionMethod, PreparedZipFile, ZipWriter};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex, OnceLock};

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{}: a release already exists there (use --force to replace it)", path.display())]
    Exists { path: PathBuf },
    #[error("{}: --out must be a directory, and this is a file", path.display())]
    NotADirectory { path: PathBuf },
    #[error("{}: I/O error", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot write the zip", path.display())]
    Zip {
        path: PathBuf,
        #[source]
        source: ::zip::result::ZipError,
    },
    #[error(transparent)]
    Mismatch(Box<Mismatch>),
    #[error("cancelled")]
    Cancelled,
}

impl PackageError {
    /// A file that is not what the export says, or a release already there.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            PackageError::Mismatch(_) | PackageError::Exists { .. }
        )
    }
}

/// A payload file whose bytes are not those the export describes.
#[derive(Debug, thiserror::Error)]
#[error(
    "{field}: {what} mismatch for object {object} version {version}: the export says {expected}, \
     the quarantine file has {actual}"
)]
pub struct Mismatch {
    pub field: String,
    pub object: String,
    pub version: String,
    pub what: &'static str,
    pub expected: String,
    pub actual: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PackageError + '_ {
    move |source| PackageError::Io {
        path: path.to_owned(),
        source,
    }
}

/// [`io`]'s twin for the zip writer's own errors.
fn zip_error(path: &Path) -> impl FnOnce(::zip::result::ZipError) -> PackageError + '_ {
    move |source| PackageError::Zip {
        path: path.to_owned(),
        source,
    }
}

/// One file of the payload: where it comes from and what the export promised about it.
#[derive(Debug, Clone)]
pub struct PayloadFile {
    /// Path inside the crate, e.g. `data/obj-001_v2.csv`.
    pub crate_path: String,
    pub source: PathBuf,
    /// The export field of the version, for error messages.
    pub field: String,
    pub object: String,
    pub version: String,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
}

/// What goes into one release.
pub struct Package<'a> {
    pub request_id: &'a str,
    /// The metadata and preview, given or still being written.
    pub texts: &'a Texts,
    pub payload: &'a [PayloadFile],
    /// Zip entry dates; the approval time, so that the zip is reproducible.
    pub date: &'a Timestamp,
    /// Deflate level for compressible files; `0` stores everything.
    pub deflate_level: u32,
    /// Packaged as a BagIt bag; see [`bag`].
    pub bag: Option<&'a bag::BagInfo>,
    /// Checked before each file.
    pub cancel: crate::event::Cancel,
}

/// A package's `ro-crate-metadata.json` and preview: given when the package is made
/// ([`Texts::ready`]), or set while its payload is being written ([`Texts::set`]), as a
/// release's JSON-LD is beside its zipping. The zip's first entries wait for them.
#[derive(Debug, Default)]
pub struct Texts(OnceLock<Option<Ready>>);

#[derive(Debug)]
pub struct Ready {
    pub metadata: String,
    /// `run-crate` writes none.
    pub preview: Option<String>,
}

impl Texts {
    pub fn ready(metadata: String, preview: Option<String>) -> Self {
        let texts = Texts::default();
        texts.set(metadata, preview);
        texts
    }

    /// Gives the texts to the package waiting for them; only the first call counts.
    pub fn set(&self, metadata: String, preview: Option<String>) {
        let _ = self.0.set(Some(Ready { metadata, preview }));
    }

    /// No texts will come: a package waiting for them stops with [`PackageError::Cancelled`]
    /// (and, as on any error, leaves nothing behind).
    pub fn abandon(&self) {
        let _ = self.0.set(None);
    }

    /// The texts back, once the package is written.
    pub fn into_ready(self) -> Option<Ready> {
        self.0.into_inner().flatten()
    }

    /// The texts if they have been given.
    fn get(&self) -> Option<&Ready> {
        self.0.get().and_then(Option::as_ref)
    }

    fn wait(&self) -> Result<&Ready, PackageError> {
        self.0.wait().as_ref().ok_or(PackageError::Cancelled)
    }
}

/// Paths of a finished release.
#[derive(Debug, Clone)]
pub struct Written {
    pub crate_dir: PathBuf,
    pub zip: PathBuf,
    pub record_path: PathBuf,
    pub record: ReleaseRecord,
}

/// `ro-crate-{id}.release.json`: what was released, when, and the checksums to verify it by.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseRecord {
    pub format: String,
    pub request_id: String,
    #[serde(rename = "crate")]
    pub crate_name: String,
    pub zip: ZipRecord,
    pub file_count: usize,
    pub payload_bytes: u64,
    pub metadata_sha256: String,
    /// `bagit` when the zip holds a BagIt bag; absent for the crate zipped as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packaging: Option<String>,
    pub tool: Tool,
    pub released_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ZipRecord {
    /// Relative to the record.
    pub path: String,
    /// Where the zip was uploaded, when it went to object storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// Progress of the payload pass: files done, files in all, bytes done.
pub type OnFile<'a> = &'a mut dyn FnMut(usize, usize, u64);

/// Writes the release under `out`; see the module documentation for the guarantees.
pub fn write(
    package: &Package<'_>,
    out: &Path,
    force: bool,
    on_file: OnFile<'_>,
) -> Result<Written, PackageError> {
    let name = package.name();
    let targets = Targets {
        crate_dir: out.join(&name),
        zip: out.join(format!("{name}.zip")),
        record: out.join(format!("{name}.release.json")),
    };
    if !force {
        for path in targets.all() {
            if path.symlink_metadata().is_ok() {
                return Err(PackageError::Exists {
                    path: path.to_owned(),
                });
            }
        }
    }
    let mut staging = Staging::create(out, &name)?;
    let staged = Targets {
        crate_dir: staging.dir.join(&name),
        zip: staging.dir.join(format!("{name}.zip")),
        record: staging.dir.join(format!("{name}.release.json")),
    };
    let payload_dir = match package.bag {
        Some(_) => staged.crate_dir.join("data/data"),
        None => staged.crate_dir.join("data"),
    };
    std::fs::create_dir_all(&payload_dir).map_err(io(&payload_dir))?;
    let zip_file = File::create(&staged.zip).map_err(io(&staged.zip))?;
    // The payload's entries wait here when the metadata is not written yet.
    let spool = staging.dir.join("payload.zip.part");
    let (zipped, writer) = assemble(
        package,
        Some(&staged.crate_dir),
        Some(&spool),
        BufWriter::with_capacity(1 << 20, zip_file),
        &staged.zip,
        on_file,
    )?;
    writer
        .into_inner()
        .map_err(|e| PackageError::Io {
            path: staged.zip.clone(),
            source: e.into_error(),
        })?
        .sync_all()
        .map_err(io(&staged.zip))?;
    if spool.exists() {
        std::fs::remove_file(&spool).map_err(io(&spool))?;
    }
    let record = package.record(&zipped, None, None);
    std::fs::write(&staged.record, record.to_json()).map_err(io(&staged.record))?;
    staging.commit(&staged, &targets)?;
    Ok(Written {
        crate_dir: targets.crate_dir,
        zip: targets.zip,
        record_path: targets.record,
        record,
    })
}

impl Package<'_> {
    /// `ro-crate-{id}`: the crate directory, and the stem of the zip and record names.
    pub fn name(&self) -> String {
        format!("ro-crate-{}", self.request_id)
    }

    /// The release record of a zip; `url` and `etag` when it went to object storage.
    pub fn record(
        &self,
        zipped: &Zipped,
        url: Option<String>,
        etag: Option<String>,
    ) -> ReleaseRecord {
        let name = self.name();
        ReleaseRecord {
            format: "trecrate-release-record/1".to_owned(),
            request_id: self.request_id.to_owned(),
            zip: ZipRecord {
                path: format!("{name}.zip"),
                url,
                etag,
                sha256: zipped.zip_sha256.clone(),
                size: zipped.zip_size,
            },
            crate_name: name,
            file_count: self.payload.len(),
            payload_bytes: zipped.payload_bytes,
            metadata_sha256: zipped.metadata_sha256.clone(),
            packaging: self.bag.map(|_| bag::PACKAGING.to_owned()),
            tool: Tool {
                name: env!("CARGO_PKG_NAME").to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            released_at: Timestamp::now().as_str().to_owned(),
        }
    }
}

impl ReleaseRecord {
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

struct Targets {
    crate_dir: PathBuf,
    zip: PathBuf,
    record: PathBuf,
}

impl Targets {
    /// In commit order: the record last.
    fn all(&self) -> [&Path; 3] {
        [&self.crate_dir, &self.zip, &self.record]
    }
}
