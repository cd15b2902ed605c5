//! S3-compatible object storage (ADR-0004, "Implementation"): a client, a bucket and prefix,
//! and multipart uploads, for the release's quarantine and release buckets.
//!
//! Credentials, region and endpoint come from the usual AWS environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ENDPOINT_URL`...), which
//! [`Config`] overrides field by field. Request signing is object_store's.

use super::location::BucketUrl;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as Key;
use object_store::{BackoffConfig, ObjectStoreExt, RetryConfig};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;

#[derive(Debug, thiserror::Error)]
pub enum BucketError {
    #[error("{key:?} cannot be an object key: {reason}")]
    Key { key: String, reason: String },
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
    #[error("cannot write {}", path.display())]
    Local {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the runtime the S3 client runs on")]
    Runtime(#[source] std::io::Error),
}

impl BucketError {
    /// An object missing from the quarantine bucket is the export's fault; everything else
    /// is storage that cannot be reached or used.
    pub fn is_refusal(&self) -> bool {
        matches!(self, BucketError::NotFound { .. })
    }

    /// The error of a request on `url`, without object_store's HTTP details: the S3 error
    /// code and message when the server sent one, else the innermost cause.
    pub fn of(url: String, what: &'static str, error: object_store::Error) -> Self {
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
pub fn object_key(key: &str) -> Result<Key, BucketError> {
    Key::parse(key).map_err(|e| BucketError::Key {
        key: key.to_owned(),
        reason: e.to_string(),
    })
}

/// What a user needs from a failed request: `Code: Message` from an S3 error body, else the
/// innermost cause, with the number of retries when there were some.
pub fn reason(error: &object_store::Error) -> String {
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
pub const PART_SIZE: usize = 10 << 20;
pub const PARTS_IN_FLIGHT: usize = 4;
/// Objects fetched at the same time from the quarantine bucket.
pub const FETCHES_IN_FLIGHT: usize = 16;

/// A connection to S3-compatible storage; object_store needs a tokio runtime to run on.
pub struct Client {
    runtime: Runtime,
    config: Config,
}

impl Client {
    pub fn new(config: &Config) -> Result<Self, BucketError> {
        crate::storage::http::install_tls_provider();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("trecrate-s3")
            .enable_all()
            .build()
            .map_err(BucketError::Runtime)?;
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
        if endpoint
            .as_deref()
            .is_some_and(|e| e.starts_with("http://"))
        {
            builder = builder.with_allow_http(true);
        }
        // Where the bucket's own requests go, as object_store addresses it (zonal endpoints
        // aside), for the one request it has no method for.
        let config = |key| builder.get_config_value(&key);
        let region = config(AmazonS3ConfigKey::Region).unwrap_or_else(|| "us-east-1".into());
        let virtual_hosted = config(AmazonS3ConfigKey::VirtualHostedStyleRequest)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let bucket = &url.bucket;
        let endpoint = match (endpoint, virtual_hosted) {
            (Some(endpoint), true) => endpoint,
            (Some(endpoint), false) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
            (None, true) => format!("https://{bucket}.s3.{region}.amazonaws.com"),
            (None, false) => format!("https://s3.{region}.amazonaws.com/{bucket}"),
        };
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
            endpoint,
            region,
        })
    }
}

/// One bucket and prefix, ready for requests.
pub struct Bucket<'a> {
    runtime: &'a Runtime,
    store: Arc<AmazonS3>,
    url: BucketUrl,
    /// The bucket's URL, and the region requests are signed for.
    endpoint: String,
    region: String,
}

impl Bucket<'_> {
    pub fn url(&self) -> &BucketUrl {
        &self.url
    }

    pub fn store(&self) -> &AmazonS3 {
        &self.store
    }

    /// Runs `future` to its end on the client's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Aborts the multipart uploads of `key` left open, and says how many there were. A run
    /// killed while uploading (SIGKILL, a lost machine) cannot abort its own upload, and the
    /// bucket keeps its parts, billed and invisible to listings of objects, until someone
    /// does. Only uploads of exactly `key` are touched: a release's zip key, which only a
    /// release of that request writes. (An upload's metadata cannot tell whose it is: S3's
    /// listing of uploads does not return it.)
    pub fn abort_abandoned(&self, key: &str) -> Result<usize, BucketError> {
        use object_store::multipart::MultipartStore;
        let failed = |reason: String| BucketError::Request {
            url: self.url.url_of(key),
            what: "listing the open multipart uploads",
            reason,
        };
        let object = object_key(key)?;
        self.runtime.block_on(async {
            let ids = self.open_uploads(key).await.map_err(failed)?;
            for id in &ids {
                self.store
                    .abort_multipart(&object, id)
                    .await
                    .map_err(|e| BucketError::of(self.url.url_of(key), "aborting an upload", e))?;
            }
            Ok(ids.len())
        })
    }

    /// The ids of the multipart uploads of `key` open in the bucket (ListMultipartUploads,
    /// signed with object_store's SigV4 signer; the first 1,000 are enough for one key).
    async fn open_uploads(&self, key: &str) -> Result<Vec<String>, String> {
        use object_store::aws::AwsAuthorizer;
        use object_store::client::HttpRequestBody;
        use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
        // RFC 3986's unreserved characters stay as they are; SigV4 signs the query so.
        const QUERY: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~');
        let url = format!(
            "{}/?prefix={}&uploads=",
            self.endpoint.trim_end_matches('/'),
            utf8_percent_encode(key, QUERY)
        );
        let credential = self
            .store
            .credentials()
            .get_credential()
            .await
            .map_err(|e| reason(&e))?;
        let mut request = http::Request::get(&url)
            .body(HttpRequestBody::empty())
            .map_err(|e| e.to_string())?;
        AwsAuthorizer::new(&credential, "s3", &self.region)
            .try_authorize(&mut request, None)
            .map_err(|e| reason(&e))?;
        let response = reqwest::Client::new()
            .get(&url)
            .headers(request.headers().clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            let tag = |name| xml_elements(&body, name).into_iter().next();
            return Err(match (tag("Code"), tag("Message")) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                _ => format!("HTTP {status}"),
            });
        }
        Ok(xml_elements(&body, "Upload")
            .into_iter()
            .filter(|upload| xml_elements(upload, "Key").first().map(String::as_str) == Some(key))
            .filter_map(|upload| xml_elements(&upload, "UploadId").into_iter().next())
            .collect())
    }

    /// A writer that uploads what it is given as the parts of a multipart upload of `key`.
    pub fn multipart(&self, key: &str) -> Result<Parts<'_>, BucketError> {
        let upload = self
            .runtime
            .block_on(self.store.put_multipart(&object_key(key)?))
            .map_err(|e| BucketError::of(self.url.url_of(key), "starting the upload", e))?;
        Ok(Parts {
            runtime: self.runtime,
            upload,
            part: Vec::with_capacity(PART_SIZE),
            in_flight: tokio::task::JoinSet::new(),
            failed: None,
        })
    }
}

/// The text of every element `name` in the XML document `xml`, its five predefined entities
/// replaced: S3's listings are flat, and this is all that is read of them.
fn xml_elements(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else {
            break;
        };
        found.push(
            after[..end]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        );
        rest = &after[end + close.len()..];
    }
    found
}

/// A blocking writer over a multipart upload, for the zip writer: bytes are gathered into
/// parts of [`PART_SIZE`], and at most [`PARTS_IN_FLIGHT`] upload while the next one fills.
pub struct Parts<'a> {
    runtime: &'a Runtime,
    upload: Box<dyn object_store::MultipartUpload>,
    part: Vec<u8>,
    in_flight: tokio::task::JoinSet<object_store::Result<()>>,
    /// The first failed request, kept for the error message.
    pub failed: Option<object_store::Error>,
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
    pub fn complete(&mut self, url: &str) -> Result<Option<String>, BucketError> {
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
    pub fn abort(&mut self) -> object_store::Result<()> {
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

/// An object's bytes as a reader: fetched a chunk at a time on the client's runtime, from a
/// thread of the caller's (not one of another runtime's).
pub struct ObjectReader {
    client: Client,
    chunks: futures::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>,
    chunk: bytes::Bytes,
    url: String,
}

/// Opens the object `key` of `url`'s bucket for reading; [`BucketError::NotFound`] when
/// there is none.
pub fn read_object(
    client: Client,
    url: &BucketUrl,
    key: &str,
) -> Result<ObjectReader, BucketError> {
    let located = url.url_of(key);
    let bucket = client.bucket(url)?;
    let store = Arc::clone(&bucket.store);
    let object = bucket
        .block_on(store.get(&object_key(key)?))
        .map_err(|e| BucketError::of(located.clone(), "download", e))?;
    drop(bucket);
    Ok(ObjectReader {
        client,
        chunks: object.into_stream(),
        chunk: bytes::Bytes::new(),
        url: located,
    })
}

impl std::io::Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use futures::StreamExt;
        while self.chunk.is_empty() {
            match self.client.runtime.block_on(self.chunks.next()) {
                None => return Ok(0),
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(e)) => {
                    return Err(std::io::Error::other(format!(
                        "{}: {}",
                        self.url,
                        reason(&e)
                    )))
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}
