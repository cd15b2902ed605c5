//! Delivery of a release through S3 (ADR-0004, "Implementation"): approved files fetched from
//! the quarantine bucket, the zip streamed to the release bucket.
//!
//! Fetched files go to a local scratch directory, each checked against the export's size and
//! sha256 as it streams in, so a wrong file is refused before anything is uploaded. The zip
//! goes up as a multipart upload: S3 shows an object under its key only once the upload is
//! completed, and every failure aborts the upload, so a key holds a whole release or nothing.

use crate::package::{self, OnFile, Package, PackageError, PayloadFile, ReleaseRecord};
use crate::storage::s3::{object_key, reason, Bucket, BucketError, FETCHES_IN_FLIGHT};
use crate::storage::scratch::Scratch;
use futures::StreamExt;
use object_store::ObjectStoreExt;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error(transparent)]
    Bucket(#[from] BucketError),
    #[error(transparent)]
    Mismatch(Box<package::Mismatch>),
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error("{url}: a different release is already there (its zip's sha256: {existing}; this one's: {new}); use --force to replace it")]
    Exists {
        url: String,
        existing: String,
        new: String,
    },
    #[error("{url}: the upload failed and was aborted, nothing was left in the bucket")]
    Aborted {
        url: String,
        #[source]
        cause: Box<DeliverError>,
    },
    #[error("{url}: the upload failed, and aborting it failed too ({abort}): the incomplete multipart upload stays in the bucket until a lifecycle rule or an operator removes it")]
    NotAborted {
        url: String,
        #[source]
        cause: Box<DeliverError>,
        abort: String,
    },
}

impl DeliverError {
    /// Whether the release was refused on its merits (a wrong file, a release already
    /// there, a file missing from the quarantine) rather than undeliverable.
    pub fn is_refusal(&self) -> bool {
        match self {
            DeliverError::Mismatch(_) | DeliverError::Exists { .. } => true,
            DeliverError::Bucket(BucketError::NotFound { .. }) => true,
            DeliverError::Package(p) => p.is_refusal(),
            DeliverError::Aborted { cause, .. } | DeliverError::NotAborted { cause, .. } => {
                cause.is_refusal()
            }
            DeliverError::Bucket(_) => false,
        }
    }
}

/// What [`Bucket::upload_release`] did.
#[derive(Debug, Clone)]
pub struct Uploaded {
    pub zip_url: String,
    pub record_url: String,
    pub record: ReleaseRecord,
    /// The same release was already there, byte for byte: nothing was uploaded.
    pub unchanged: bool,
    /// What became of uploads of the zip left open by earlier runs, when there were some or
    /// they could not be listed.
    pub abandoned: Option<String>,
}

/// Streams each file's object (its `source` is the key) into `scratch`, checking size and
/// sha256 on the way, and points `source` at the local copy.
pub fn fetch(
    bucket: &Bucket<'_>,
    payload: &mut [PayloadFile],
    scratch: &Scratch,
    on_file: OnFile<'_>,
) -> Result<(), DeliverError> {
    let total = payload.len();
    bucket.block_on(async {
        let mut fetches = futures::stream::iter(payload.iter_mut().map(|file| async {
            let local = scratch.path().join(&file.crate_path);
            let size = fetch_one(bucket, file, &local).await?;
            file.source = local;
            Ok::<u64, DeliverError>(size)
        }))
        .buffer_unordered(FETCHES_IN_FLIGHT);
        let (mut done, mut bytes) = (0, 0);
        while let Some(result) = fetches.next().await {
            bytes += result?;
            done += 1;
            on_file(done, total, bytes);
        }
        Ok(())
    })
}

async fn fetch_one(
    bucket: &Bucket<'_>,
    file: &PayloadFile,
    local: &Path,
) -> Result<u64, DeliverError> {
    let key = file.source.to_string_lossy().into_owned();
    let url = bucket.url().url_of(&key);
    let located = |e: BucketError| match e {
        BucketError::NotFound { url } => BucketError::NotFound {
            url: format!("{}.path: {url}", file.field),
        },
        other => other,
    };
    let object = bucket
        .store()
        .get(&object_key(&key)?)
        .await
        .map_err(|e| located(BucketError::of(url.clone(), "download", e)))?;
    if let Some(parent) = local.parent() {
        std::fs::create_dir_all(parent).map_err(|source| BucketError::Local {
            path: parent.to_owned(),
            source,
        })?;
    }
    let local_error = |source| BucketError::Local {
        path: local.to_owned(),
        source,
    };
    let mut out = std::fs::File::create(local).map_err(local_error)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut chunks = object.into_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| BucketError::of(url.clone(), "download", e))?;
        size += chunk.len() as u64;
        // An object larger than the export says is refused without reading the rest.
        if size > file.size {
            break;
        }
        hasher.update(&chunk);
        out.write_all(&chunk).map_err(local_error)?;
    }
    package::check(file, size, &crate::rdf::digest::hex(&hasher.finalize())).map_err(
        |e| match e {
            PackageError::Mismatch(m) => DeliverError::Mismatch(m),
            other => DeliverError::Package(other),
        },
    )?;
    Ok(size)
}

/// Uploads the release's zip and then its record under the bucket's prefix. An identical
/// release already there is left as it is; a different one is refused unless `force`.
pub fn upload_release(
    bucket: &Bucket<'_>,
    package: &Package<'_>,
    force: bool,
    on_file: OnFile<'_>,
) -> Result<Uploaded, DeliverError> {
    let name = package.name();
    let prefix = &bucket.url().prefix;
    let zip_key = format!("{prefix}{name}.zip");
    let record_key = format!("{prefix}{name}.release.json");
    let (zip_url, record_url) = (
        bucket.url().url_of(&zip_key),
        bucket.url().url_of(&record_key),
    );
    let (zip_object, record_object) = (object_key(&zip_key)?, object_key(&record_key)?);
    let abandoned = match bucket.abort_abandoned(&zip_key) {
        Ok(0) => None,
        Ok(n) => Some(format!(
            "aborted {n} multipart upload(s) of {zip_url} left open by an earlier run"
        )),
        Err(e) => Some(format!(
            "{e}; uploads of the zip left open by an earlier run, if any, stay until aborted"
        )),
    };

    if let Some((size, existing)) = existing(bucket, &zip_key, &record_key)? {
        // Zips are reproducible: zipping again, into nothing, tells whether the bytes
        // would be the same without uploading them.
        let (zipped, _) = package::assemble(
            package,
            None,
            None,
            std::io::sink(),
            Path::new(&zip_url),
            on_file,
        )?;
        match existing {
            Some(record) if record.zip.sha256 == zipped.zip_sha256 && size == zipped.zip_size => {
                return Ok(Uploaded {
                    zip_url,
                    record_url,
                    record,
                    unchanged: true,
                    abandoned,
                });
            }
            _ if force => {}
            existing => {
                return Err(DeliverError::Exists {
                    url: zip_url,
                    existing: existing.map_or_else(
                        || "unknown: no readable release record".to_owned(),
                        |r| r.zip.sha256,
                    ),
                    new: zipped.zip_sha256,
                })
            }
        }
    }

    let (zipped, etag) = upload_zip(bucket, package, &zip_key, on_file)?;
    let record = package.record(&zipped, Some(zip_url.clone()), etag);
    let store = bucket.store();
    let put = bucket.block_on(store.put(&record_object, record.to_json().into()));
    if let Err(e) = put {
        // A zip without its record is not a release: take it away again, and a record
        // of an earlier zip with it.
        let _ = bucket.block_on(async {
            let _ = store.delete(&zip_object).await;
            store.delete(&record_object).await
        });
        return Err(BucketError::of(record_url, "upload of the release record", e).into());
    }
    Ok(Uploaded {
        zip_url,
        record_url,
        record,
        unchanged: false,
        abandoned,
    })
}

/// The size of the zip already under the prefix, if there is one, with its record if
/// that is readable.
fn existing(
    bucket: &Bucket<'_>,
    zip_key: &str,
    record_key: &str,
) -> Result<Option<(u64, Option<ReleaseRecord>)>, BucketError> {
    let store = bucket.store();
    let meta = match bucket.block_on(store.head(&object_key(zip_key)?)) {
        Ok(meta) => meta,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => {
            return Err(BucketError::of(
                bucket.url().url_of(zip_key),
                "checking for an existing release",
                e,
            ))
        }
    };
    let record = bucket.block_on(async {
        let object = store.get(&object_key(record_key).ok()?).await.ok()?;
        let bytes = object.bytes().await.ok()?;
        serde_json::from_slice::<ReleaseRecord>(&bytes).ok()
    });
    Ok(Some((meta.size, record)))
}

/// The zip as a multipart upload: completed if everything succeeded, aborted otherwise.
fn upload_zip(
    bucket: &Bucket<'_>,
    package: &Package<'_>,
    zip_key: &str,
    on_file: OnFile<'_>,
) -> Result<(package::Zipped, Option<String>), DeliverError> {
    let zip_url = bucket.url().url_of(zip_key);
    let mut parts = bucket.multipart(zip_key)?;
    let assembled = package::assemble(
        package,
        None,
        None,
        &mut parts,
        Path::new(&zip_url),
        on_file,
    );
    let result = match assembled {
        Ok((zipped, _)) => parts
            .complete(&zip_url)
            .map(|etag| (zipped, etag))
            .map_err(DeliverError::from),
        // The upload's own error says more than the io::Error the zip writer saw.
        Err(error) => Err(parts
            .failed
            .take()
            .map_or(DeliverError::Package(error), |e| {
                BucketError::of(zip_url.clone(), "upload", e).into()
            })),
    };
    result.map_err(|cause| {
        let cause = Box::new(cause);
        match parts.abort() {
            Ok(()) => DeliverError::Aborted {
                url: zip_url,
                cause,
            },
            Err(e) => DeliverError::NotAborted {
                url: zip_url,
                cause,
                abort: reason(&e),
            },
        }
    })
}
