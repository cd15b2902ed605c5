//! `/releases` and `/releases/{request_id}/ro-crate`: the archived crates as their services
//! hand them out. The list is `trecrate releases --format json`; a crate is its metadata
//! document byte for byte as it was recorded, or with `download=true` its zip, streamed from
//! where the release record says it went and checked against the recorded sha256 on the way
//! (the shape of sapporo's `GET /runs/{run_id}/ro-crate?download=`).

use super::{bytes, full, text, Body, Request, State};
use crate::archive::{self, query};
use crate::storage::location::BucketUrl;
use bytes::Bytes;
use http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use http::{Response, StatusCode};
use oxigraph::model::Term;
use oxigraph::store::Store;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Routes what follows `/releases` in the path.
pub(super) fn route(state: &State, rest: &str, request: &Request) -> Response<Body> {
    if rest.is_empty() || rest == "/" {
        return list(state);
    }
    let Some(id) = rest
        .strip_prefix('/')
        .and_then(|r| r.strip_suffix("/ro-crate"))
        .filter(|id| !id.is_empty() && !id.contains('/'))
    else {
        return text(StatusCode::NOT_FOUND, super::NOT_FOUND);
    };
    let id: String = percent_decode(id);
    let params: Vec<(String, String)> =
        form_urlencoded::parse(request.uri.query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let versions = match versions(&state.store, &id) {
        Ok(v) => v,
        Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    };
    if versions.is_empty() {
        return text(
            StatusCode::NOT_FOUND,
            &format!("no release of request {id:?} in this archive\n"),
        );
    }
    let chosen = match param("version") {
        Some(sha) => versions.iter().find(|v| v.metadata_sha256 == sha),
        None => versions.iter().find(|v| v.current),
    };
    let Some(version) = chosen else {
        return text(
            StatusCode::NOT_FOUND,
            &format!(
                "request {id:?} has no archived version with metadata sha256 {:?}\n",
                param("version").unwrap_or("")
            ),
        );
    };
    match param("download") {
        Some("true") => download(state, &id, version),
        Some("false") | None => metadata(state, &id, version),
        Some(other) => text(
            StatusCode::BAD_REQUEST,
            &format!("download={other:?}: give true or false\n"),
        ),
    }
}

/// Every archived version, as `trecrate releases --format json` prints them.
fn list(state: &State) -> Response<Body> {
    let answered = (|| {
        let prepared = query::prepare_builtin(&state.options.builtins, "releases", &[])?;
        let answer = query::evaluate(&state.store, prepared, state.options.limits)?;
        let mut body = Vec::new();
        query::write(&answer, query::Format::Json, &mut body)?;
        Ok::<_, query::QueryError>(body)
    })();
    match answered {
        Ok(body) => bytes(StatusCode::OK, query::Format::Json.media_type(), body),
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    }
}

/// One recorded version of a crate, as its record says.
struct Version {
    metadata_sha256: String,
    current: bool,
    zip: Option<Zip>,
}

struct Zip {
    location: String,
    sha256: String,
    size: u64,
}

/// The recorded versions of a request, as the archive reads its records.
fn versions(store: &Store, id: &str) -> Result<Vec<Version>, oxigraph::store::StorageError> {
    let mut versions = Vec::new();
    for graph in archive::graphs_of(store, id)? {
        let value = |local: &str| -> Result<Option<String>, oxigraph::store::StorageError> {
            Ok(
                match archive::record_value(store, &graph, &archive::term(local))? {
                    Some(Term::Literal(l)) => Some(l.value().to_owned()),
                    Some(Term::NamedNode(n)) => Some(n.into_string()),
                    _ => None,
                },
            )
        };
        let Some(metadata_sha256) = value("metadataSha256")? else {
            continue;
        };
        let zip = match (
            value("zipLocation")?,
            value("zipSha256")?,
            value("zipSize")?,
        ) {
            (Some(location), Some(sha256), Some(size)) => Some(Zip {
                location,
                sha256,
                size: size.parse().unwrap_or(0),
            }),
            _ => None,
        };
        let current = value("supersededBy")?.is_none();
        versions.push(Version {
            metadata_sha256,
            current,
            zip,
        });
    }
    Ok(versions)
}

/// The metadata document as recorded.
fn metadata(state: &State, id: &str, version: &Version) -> Response<Body> {
    match crate::archive::document(&state.options.archive, &version.metadata_sha256) {
        Ok(Some(document)) => bytes(StatusCode::OK, "application/ld+json", document),
        Ok(None) => text(
            StatusCode::GONE,
            &format!(
                "request {id:?}, metadata sha256 {}: recorded before the archive kept metadata \
                 documents; its graph is still queryable at /query\n",
                version.metadata_sha256
            ),
        ),
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    }
}

/// How many chunks of the zip may wait for a slow client.
const CHUNKS_AHEAD: usize = 4;
const CHUNK: usize = 1 << 20;

/// The zip, streamed with its length and digest announced. The bytes are hashed as they go,
/// and the last chunk is held back until the digest is known: if the bytes are not the
/// recorded ones, the response ends short of its Content-Length with an error (the client
/// cannot take it for complete) and the mismatch is logged. Other bytes are never served as
/// the release.
fn download(state: &State, id: &str, version: &Version) -> Response<Body> {
    let Some(zip) = &version.zip else {
        return text(
            StatusCode::NOT_FOUND,
            &format!("request {id:?}: no zip was recorded for this version\n"),
        );
    };
    let source = match open(state, &zip.location) {
        Ok(Some(source)) => source,
        Ok(None) => {
            return text(
                StatusCode::GONE,
                &format!("{}: the recorded zip is no longer there\n", zip.location),
            )
        }
        Err(e) => {
            return text(
                StatusCode::BAD_GATEWAY,
                &format!("{}: cannot read the zip: {e}\n", zip.location),
            )
        }
    };
    let (sender, receiver) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
    let (expected, size, location) = (zip.sha256.clone(), zip.size, zip.location.clone());
    let log = std::sync::Arc::clone(&state.log);
    std::thread::spawn(move || {
        let mut source = source;
        let mut hasher = Sha256::new();
        let mut sent = 0u64;
        let mut held: Option<Bytes> = None;
        loop {
            let mut chunk = vec![0; CHUNK];
            match source.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    chunk.truncate(n);
                    hasher.update(&chunk);
                    sent += n as u64;
                    if let Some(previous) = held.replace(Bytes::from(chunk)) {
                        if sender.blocking_send(Ok(previous)).is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    let _ = sender.blocking_send(Err(e));
                    return;
                }
            }
        }
        let actual = crate::rdf::digest::hex(&hasher.finalize());
        if actual != expected || sent != size {
            let message = format!(
                "{location}: the zip is not the recorded one (sha256 {actual}, {sent} bytes; \
                 recorded {expected}, {size} bytes): the download was cut short"
            );
            log(&message);
            let _ = sender.blocking_send(Err(std::io::Error::other(message)));
        } else if let Some(last) = held {
            let _ = sender.blocking_send(Ok(last));
        }
    });
    let name = zip
        .location
        .rsplit('/')
        .next()
        .filter(|n| n.ends_with(".zip"))
        .unwrap_or("ro-crate.zip")
        .replace(['"', '\\'], "_");
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "application/zip")
        .header(CONTENT_LENGTH, zip.size)
        .header("Repr-Digest", repr_digest(&zip.sha256))
        .header(
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .body(http_body_util::BodyExt::boxed(Channel(receiver)))
        .unwrap_or_else(|_| Response::new(full("internal error: bad response headers\n")))
}

/// The zip's bytes, from a path or an `s3://` URL; `None` when nothing is there any more.
fn open(state: &State, location: &str) -> Result<Option<Box<dyn Read + Send>>, String> {
    let Some(rest) = location.strip_prefix("s3://") else {
        return match crate::file::open_regular(std::path::Path::new(location)) {
            Ok(file) => Ok(Some(Box::new(file))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        };
    };
    let (bucket, key) = rest.split_once('/').ok_or("no key in the URL")?;
    let url = BucketUrl::parse(&format!("s3://{bucket}/")).map_err(|e| e.to_string())?;
    let config = state.options.s3.clone();
    // On a thread outside the server's runtime: the S3 client runs a runtime of its own.
    let opened = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let client = crate::storage::s3::Client::new(&config)?;
                crate::storage::s3::read_object(client, &url, key)
            })
            .join()
    })
    .map_err(|_| "the S3 client stopped unexpectedly".to_owned())?;
    match opened {
        Ok(reader) => Ok(Some(Box::new(reader))),
        Err(crate::storage::s3::BucketError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// `Repr-Digest` (RFC 9530): `sha-256=:BASE64:`.
fn repr_digest(sha256_hex: &str) -> String {
    let bytes: Vec<u8> = (0..sha256_hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(sha256_hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    format!("sha-256=:{}:", base64(&bytes))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= group.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A body fed by a thread through a channel.
struct Channel(tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl hyper::body::Body for Channel {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| c.map(hyper::body::Frame::data)))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn repr_digest_is_the_base64_of_the_digest_bytes() {
        // sha256("") from RFC 9530's examples of an empty representation.
        assert_eq!(
            super::repr_digest("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"
        );
        assert_eq!(super::base64(b"ab"), "YWI=");
        assert_eq!(super::base64(b"a"), "YQ==");
    }

    #[test]
    fn request_ids_in_paths_are_percent_decoded() {
        assert_eq!(super::percent_decode("AR%202025+1"), "AR 2025+1");
    }
}
