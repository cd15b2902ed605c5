//! S3-compatible object storage (ADR-0004, "Implementation"): the quarantine bucket approved
//! files are fetched from, and the release bucket the zip is streamed to.
//!
//! Fetched files go to a local scratch directory, each checked against the export's size and
//! sha256 as it streams in, so a wrong file is refused before anything is uploaded. The zip
//! goes up as a multipart upload: S3 shows an object under its key only once the upload is
//! completed, and every failure aborts the upload, so a key holds a whole release or nothing.
//!
//! Credentials, region and endpoint come from the usual AWS environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ENDPOINT_URL`...), which
//! [`Config`] overrides field by field. Request signing is object_store's.

use crate::release::package::{self, OnFile, Package, PackageError, PayloadFile, ReleaseRecord};
use futures::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as Key;
use object_store::{BackoffConfig, ObjectStoreExt, RetryConfig};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;

#[derive(Debug, thiserror::Error)]
pub enum BucketError {
    #[error("{url:?} is not an s3:// location: {reason}")]
    Url { url: String, reason: String },
    #[error("{url}: {reason}")]
    Config { url: String, reason: String },
    #[error("{url}: not found")]
    NotFound { url: String },
    #[error("{url}: access denied ({reason}); check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --s3-access-key-id and --s3-secret-access-key-file)")]
    Denied { url: String, reason: String },
    #[error("{url}: {what} failed: {reason}")]
    Request {
        url: String,
        what: &'static str,
        reason: String,
    },
    #[error("{0}")]
    Mismatch(Box<package::Mismatch>),
    #[error("{}: {source}", path.display())]
    Local {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{url}: a different release is already there (its zip's sha256: {existing}; this one's: {new}); use --force to replace it")]
    Exists {
        url: String,
        existing: String,
        new: String,
    },
    #[error("{url}: the upload failed and was aborted, nothing was left in the bucket: {cause}")]
    Aborted {
        url: String,
        cause: Box<BucketError>,
    },
    #[error("{url}: the upload failed ({cause}), and aborting it failed too ({abort}): the incomplete multipart upload stays in the bucket until a lifecycle rule or an operator removes it")]
    NotAborted {
        url: String,
        cause: Box<BucketError>,
        abort: String,
    },
    #[error("{0}")]
    Package(#[from] PackageError),
}

impl BucketError {
    /// The error of a request on `url`, without object_store's HTTP details: the S3 error
    /// code and message when the server sent one, else the innermost cause.
    fn of(url: String, what: &'static str, error: object_store::Error) -> Self {
        let reason = reason(&error);
        match error {
            object_store::Error::NotFound { .. } => BucketError::NotFound { url },
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => BucketError::Denied { url, reason },
            _ => BucketError::Request { url, what, reason },
        }
    }
}

/// The key as it is: `Key::from` would percent-encode the characters AWS advises against
/// (`#`, `~`, `%`, ...) and so name another object.
fn object_key(key: &str) -> Result<Key, BucketError> {
    Key::parse(key).map_err(|e| BucketError::Url {
        url: key.to_owned(),
        reason: e.to_string(),
    })
}

/// What a user needs from a failed request: `Code: Message` from an S3 error body, else the
/// innermost cause, with the number of retries when there were some.
fn reason(error: &object_store::Error) -> String {
    let mut chain = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = next {
        chain.push(e.to_string());
        next = e.source();
    }
    let text = chain.join(" ");
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))?;
        Some(text[start..start + end].trim().to_owned())
    };
    let mut reason = match (tag("Code"), tag("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => {
            let innermost = chain.last().map(String::as_str).unwrap_or_default();
            match innermost.strip_prefix("Server returned non-2xx status code: ") {
                // A response without a body (to HEAD, say): its status says it all.
                Some(status) => format!("HTTP {}", status.trim_end_matches([':', ' '])),
                None => innermost.to_owned(),
            }
        }
    };
    if let Some(retries) = text
        .split_once("after ")
        .and_then(|(_, rest)| rest.split_once(" retries"))
        .map(|(n, _)| n)
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
    {
        reason.push_str(&format!(" (gave up after {retries} retries)"));
    }
    reason
}

/// Where files are read from or written to: a local directory or an `s3://bucket/prefix/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Dir(PathBuf),
    Bucket(BucketUrl),
}

impl Location {
    /// `s3://...` is a bucket; anything else a local path.
    pub fn parse(text: &str) -> Result<Self, BucketError> {
        if text.starts_with("s3://") {
            BucketUrl::parse(text).map(Location::Bucket)
        } else {
            Ok(Location::Dir(PathBuf::from(text)))
        }
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Self {
        Location::Dir(path)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Dir(path) => write!(f, "{}", path.display()),
            Location::Bucket(url) => write!(f, "{url}"),
        }
    }
}

/// A bucket and a key prefix, which always ends with `/` unless empty: a folder of keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketUrl {
    pub bucket: String,
    pub prefix: String,
}

impl BucketUrl {
    pub fn parse(text: &str) -> Result<Self, BucketError> {
        let invalid = |reason: &str| BucketError::Url {
            url: text.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = text
            .strip_prefix("s3://")
            .ok_or_else(|| invalid("it must start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.']);
        if !valid_bucket {
            return Err(invalid(
                "the bucket name must be 3 to 63 lowercase letters, digits, '-' or '.'",
            ));
        }
        let prefix = prefix.trim_end_matches('/');
        if !prefix.is_empty() {
            Key::parse(prefix).map_err(|e| invalid(&format!("bad key prefix: {e}")))?;
        }
        Ok(BucketUrl {
            bucket: bucket.to_owned(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
        })
    }

    /// The key of `relative` under the prefix; `None` if `relative` is not a plain relative
    /// key (`..`, `.`, empty segments, a leading `/`, control characters), which could name
    /// a key outside the prefix or a different one than the export meant.
    pub fn key(&self, relative: &str) -> Option<String> {
        let safe = !relative.is_empty()
            && relative
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains('\\'))
            && Key::parse(relative).is_ok();
        safe.then(|| format!("{}{relative}", self.prefix))
    }

    pub fn url_of(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

impl fmt::Display for BucketUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// Overrides of the AWS environment; `None` keeps what the environment says.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Retries of a request that failed transiently (5xx, dropped connection, timeout);
    /// 403 and 404 are never retried.
    pub retries: usize,
}

/// Size of the parts of a multipart upload; with [`PARTS_IN_FLIGHT`], bounds the memory an
/// upload holds (5 x 10 MiB) whatever the size of the zip. S3 allows 10,000 parts: 100 GB.
const PART_SIZE: usize = 10 << 20;
const PARTS_IN_FLIGHT: usize = 4;
/// Objects fetched at the same time from the quarantine bucket.
const FETCHES_IN_FLIGHT: usize = 16;

/// A connection to S3-compatible storage; object_store needs a tokio runtime to run on.
pub struct Client {
    runtime: Runtime,
    config: Config,
}

impl Client {
    pub fn new(config: &Config) -> Result<Self, BucketError> {
        crate::install_tls_provider();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("trecrate-s3")
            .enable_all()
            .build()
            .map_err(|source| BucketError::Local {
                path: PathBuf::from("tokio runtime"),
                source,
            })?;
        Ok(Client {
            runtime,
            config: config.clone(),
        })
    }

    pub fn bucket(&self, url: &BucketUrl) -> Result<Bucket<'_>, BucketError> {
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&url.bucket);
        let c = &self.config;
        if let Some(endpoint) = &c.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(region) = &c.region {
            builder = builder.with_region(region);
        }
        if let Some(id) = &c.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &c.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        // The endpoint the builder will use, from the flag or the environment it read; a
        // plain-http one is the user's explicit choice (a local S3 server).
        let endpoint = [AmazonS3ConfigKey::S3Endpoint, AmazonS3ConfigKey::Endpoint]
            .iter()
            .find_map(|key| builder.get_config_value(key));
        if endpoint.is_some_and(|e| e.starts_with("http://")) {
            builder = builder.with_allow_http(true);
        }
        let store = builder
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(10),
                    base: 2.0,
                },
                max_retries: c.retries,
                retry_timeout: Duration::from_secs(180),
            })
            .build()
            .map_err(|e| BucketError::Config {
                url: url.to_string(),
                reason: reason(&e),
            })?;
        Ok(Bucket {
            runtime: &self.runtime,
            store: Arc::new(store),
            url: url.clone(),
        })
    }
}

/// One bucket and prefix, ready for requests.
pub struct Bucket<'a> {
    runtime: &'a Runtime,
    store: Arc<AmazonS3>,
    url: BucketUrl,
}

/// A local directory removed with everything in it when dropped: the fetched files never
/// outlive the run, whether it succeeded or not.
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// A new directory under the system's temporary directory (`TMPDIR`), after removing
    /// those that killed runs left there.
    pub fn create() -> Result<Self, BucketError> {
        package::remove_abandoned(&std::env::temp_dir(), "trecrate-fetch-");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("trecrate-fetch-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|source| BucketError::Local {
            path: dir.clone(),
            source,
        })?;
        Ok(Scratch { dir })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
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
}

impl Bucket<'_> {
    /// Streams each file's object (its `source` is the key) into `scratch`, checking size and
    /// sha256 on the way, and points `source` at the local copy.
    pub fn fetch(
        &self,
        payload: &mut [PayloadFile],
        scratch: &Scratch,
        on_file: OnFile<'_>,
    ) -> Result<(), BucketError> {
        let total = payload.len();
        self.runtime.block_on(async {
            let mut fetches = futures::stream::iter(payload.iter_mut().map(|file| async {
                let local = scratch.path().join(&file.crate_path);
                let size = self.fetch_one(file, &local).await?;
                file.source = local;
                Ok::<u64, BucketError>(size)
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

    async fn fetch_one(&self, file: &PayloadFile, local: &Path) -> Result<u64, BucketError> {
        let key = file.source.to_string_lossy().into_owned();
        let url = self.url.url_of(&key);
        let located = |e: BucketError| match e {
            BucketError::NotFound { url } => BucketError::NotFound {
                url: format!("{}.path: {url}", file.field),
            },
            other => other,
        };
        let object = self
            .store
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
        package::check(file, size, &package::hex(&hasher.finalize())).map_err(|e| match e {
            PackageError::Mismatch(m) => BucketError::Mismatch(m),
            other => BucketError::Package(other),
        })?;
        Ok(size)
    }

    /// Uploads the release's zip and then its record under the prefix. An identical release
    /// already there is left as it is; a different one is refused unless `force`.
    pub fn upload_release(
        &self,
        package: &Package<'_>,
        force: bool,
        on_file: OnFile<'_>,
    ) -> Result<Uploaded, BucketError> {
        let name = package.name();
        let zip_key = format!("{}{name}.zip", self.url.prefix);
        let record_key = format!("{}{name}.release.json", self.url.prefix);
        let (zip_url, record_url) = (self.url.url_of(&zip_key), self.url.url_of(&record_key));
        let (zip_object, record_object) = (object_key(&zip_key)?, object_key(&record_key)?);

        if let Some((size, existing)) = self.existing(&zip_key, &record_key)? {
            // Zips are reproducible: zipping again, into nothing, tells whether the bytes
            // would be the same without uploading them.
            let (zipped, _) =
                package::assemble(package, None, std::io::sink(), Path::new(&zip_url), on_file)?;
            match existing {
                Some(record)
                    if record.zip.sha256 == zipped.zip_sha256 && size == zipped.zip_size =>
                {
                    return Ok(Uploaded {
                        zip_url,
                        record_url,
                        record,
                        unchanged: true,
                    });
                }
                _ if force => {}
                existing => {
                    return Err(BucketError::Exists {
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

        let (zipped, etag) = self.upload_zip(package, &zip_key, on_file)?;
        let record = package.record(&zipped, Some(zip_url.clone()), etag);
        let put = self
            .runtime
            .block_on(self.store.put(&record_object, record.to_json().into()));
        if let Err(e) = put {
            // A zip without its record is not a release: take it away again, and a record
            // of an earlier zip with it.
            let _ = self.runtime.block_on(async {
                let _ = self.store.delete(&zip_object).await;
                self.store.delete(&record_object).await
            });
            return Err(BucketError::of(
                record_url,
                "upload of the release record",
                e,
            ));
        }
        Ok(Uploaded {
            zip_url,
            record_url,
            record,
            unchanged: false,
        })
    }

    /// The size of the zip already under the prefix, if there is one, with its record if
    /// that is readable.
    fn existing(
        &self,
        zip_key: &str,
        record_key: &str,
    ) -> Result<Option<(u64, Option<ReleaseRecord>)>, BucketError> {
        let head = self
            .runtime
            .block_on(self.store.head(&object_key(zip_key)?));
        let meta = match head {
            Ok(meta) => meta,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => {
                return Err(BucketError::of(
                    self.url.url_of(zip_key),
                    "checking for an existing release",
                    e,
                ))
            }
        };
        let record = self.runtime.block_on(async {
            let object = self.store.get(&object_key(record_key).ok()?).await.ok()?;
            let bytes = object.bytes().await.ok()?;
            serde_json::from_slice::<ReleaseRecord>(&bytes).ok()
        });
        Ok(Some((meta.size, record)))
    }

    /// The zip as a multipart upload: completed if everything succeeded, aborted otherwise.
    fn upload_zip(
        &self,
        package: &Package<'_>,
        zip_key: &str,
        on_file: OnFile<'_>,
    ) -> Result<(package::Zipped, Option<String>), BucketError> {
        let zip_url = self.url.url_of(zip_key);
        let upload = self
            .runtime
            .block_on(self.store.put_multipart(&object_key(zip_key)?))
            .map_err(|e| BucketError::of(zip_url.clone(), "starting the upload", e))?;
        let mut parts = Parts {
            runtime: self.runtime,
            upload,
            part: Vec::with_capacity(PART_SIZE),
            in_flight: tokio::task::JoinSet::new(),
            failed: None,
        };
        let assembled = package::assemble(package, None, &mut parts, Path::new(&zip_url), on_file);
        let result = match assembled {
            Ok((zipped, _)) => parts.complete(&zip_url).map(|etag| (zipped, etag)),
            // The upload's own error says more than the io::Error the zip writer saw.
            Err(error) => Err(parts
                .failed
                .take()
                .map_or(BucketError::Package(error), |e| {
                    BucketError::of(zip_url.clone(), "upload", e)
                })),
        };
        result.map_err(|cause| {
            let cause = Box::new(cause);
            match parts.abort() {
                Ok(()) => BucketError::Aborted {
                    url: zip_url,
                    cause,
                },
                Err(e) => BucketError::NotAborted {
                    url: zip_url,
                    cause,
                    abort: reason(&e),
                },
            }
        })
    }
}

/// A blocking writer over a multipart upload, for the zip writer: bytes are gathered into
/// parts of [`PART_SIZE`], and at most [`PARTS_IN_FLIGHT`] upload while the next one fills.
struct Parts<'a> {
    runtime: &'a Runtime,
    upload: Box<dyn object_store::MultipartUpload>,
    part: Vec<u8>,
    in_flight: tokio::task::JoinSet<object_store::Result<()>>,
    /// The first failed request, kept for the error message.
    failed: Option<object_store::Error>,
}

impl Parts<'_> {
    /// Sends the part gathered so far, after waiting for room among the parts in flight.
    fn send(&mut self) -> object_store::Result<()> {
        self.wait(PARTS_IN_FLIGHT - 1)?;
        let part = std::mem::replace(&mut self.part, Vec::with_capacity(PART_SIZE));
        let request = self.upload.put_part(part.into());
        self.in_flight.spawn_on(request, self.runtime.handle());
        Ok(())
    }

    /// Waits until at most `room` parts are in flight.
    fn wait(&mut self, room: usize) -> object_store::Result<()> {
        self.runtime.block_on(async {
            while self.in_flight.len() > room {
                match self.in_flight.join_next().await {
                    Some(Ok(result)) => result?,
                    Some(Err(join)) => return Err(object_store::Error::JoinError { source: join }),
                    None => break,
                }
            }
            Ok(())
        })
    }

    /// Sends the last part and completes the upload; the object's ETag.
    fn complete(&mut self, url: &str) -> Result<Option<String>, BucketError> {
        let done = (|| {
            if !self.part.is_empty() || self.in_flight.is_empty() {
                self.send()?;
            }
            self.wait(0)?;
            self.runtime.block_on(self.upload.complete())
        })();
        done.map(|r| r.e_tag)
            .map_err(|e| BucketError::of(url.to_owned(), "upload", e))
    }

    /// Stops the parts in flight and aborts the upload, so that the bucket keeps nothing.
    fn abort(&mut self) -> object_store::Result<()> {
        self.runtime.block_on(async {
            self.in_flight.shutdown().await;
            self.upload.abort().await
        })
    }
}

impl Write for &mut Parts<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len().min(PART_SIZE - self.part.len());
        self.part.extend_from_slice(&buf[..n]);
        if self.part.len() == PART_SIZE {
            if let Err(e) = self.send() {
                let message = reason(&e);
                self.failed.get_or_insert(e);
                return Err(std::io::Error::other(message));
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_urls_and_keys_stay_under_their_prefix() {
        let url = BucketUrl::parse("s3://quarantine-bucket/requests/AR-1/").unwrap();
        assert_eq!(url.bucket, "quarantine-bucket");
        assert_eq!(url.prefix, "requests/AR-1/");
        assert_eq!(BucketUrl::parse("s3://release-bucket").unwrap().prefix, "");
        assert_eq!(
            url.key("outputs/a.csv").as_deref(),
            Some("requests/AR-1/outputs/a.csv")
        );
        for unsafe_key in [
            "../x.csv",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "./a",
            "",
            "a\\b",
        ] {
            assert_eq!(url.key(unsafe_key), None, "{unsafe_key:?}");
        }
        for bad in ["s3://", "s3://UPPER/x", "s3://ab", "s3://bucket/a/../b"] {
            assert!(BucketUrl::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Location::parse("out/").unwrap(),
            Location::Dir(PathBuf::from("out/"))
        );
    }
}
