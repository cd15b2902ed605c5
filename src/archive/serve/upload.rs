//! `POST /validate`: a crate sent as the body (a zip, or a metadata document alone) is
//! validated as `trecrate validate --format json` would, with `?profile=` and `?level=` as on
//! the command line. The body is streamed to a temporary file, never held in memory, and
//! refused past `--max-upload-bytes`.

use super::{bytes, text, unauthorized, Body, State, BODY_TIMEOUT};
use crate::finding::Level;
use crate::storage::scratch::Scratch;
use crate::validate::{self, report, Profiles};
use http::header::CONTENT_LENGTH;
use http::{Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::io::Write;
use std::sync::Arc;

/// The first bytes of a zip (a local file header).
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

pub(super) async fn validate(
    state: &Arc<State>,
    head: http::request::Parts,
    mut incoming: Incoming,
) -> Response<Body> {
    if let Some(refused) = unauthorized(&state.options, &head.headers) {
        return refused;
    }
    let limit = state.options.max_upload_bytes;
    let too_large = || {
        text(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "the crate is over the {limit}-byte limit of this server (--max-upload-bytes)\n"
            ),
        )
    };
    let announced = head
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit) {
        return too_large();
    }
    let (options, level) = match options(state, head.uri.query().unwrap_or("")) {
        Ok(parsed) => parsed,
        Err(message) => return text(StatusCode::BAD_REQUEST, &format!("{message}\n")),
    };
    let scratch = match Scratch::create("upload") {
        Ok(s) => s,
        Err(e) => {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot create a temporary directory: {e}\n"),
            )
        }
    };
    let received = scratch.path().join("received");
    let mut file = match std::fs::File::create(&received) {
        Ok(f) => f,
        Err(e) => {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot write the upload: {e}\n"),
            )
        }
    };
    let mut size = 0u64;
    let mut start: Vec<u8> = Vec::new();
    loop {
        // The whole body may take long (a gigabyte); silence may not.
        let frame = match tokio::time::timeout(BODY_TIMEOUT, incoming.frame()).await {
            Err(_) => {
                return text(
                    StatusCode::REQUEST_TIMEOUT,
                    "the body stopped arriving for 10 seconds\n",
                )
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return text(
                    StatusCode::BAD_REQUEST,
                    &format!("cannot read the body: {e}\n"),
                )
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        size += data.len() as u64;
        if size > limit {
            return too_large();
        }
        if start.len() < ZIP_MAGIC.len() {
            start.extend(data.iter().take(ZIP_MAGIC.len() - start.len()));
        }
        if let Err(e) = tokio::task::block_in_place(|| file.write_all(&data)) {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot write the upload: {e}\n"),
            );
        }
    }
    drop(file);
    if size == 0 {
        return text(
            StatusCode::BAD_REQUEST,
            "the body is empty: send a zipped crate or a ro-crate-metadata.json\n",
        );
    }
    // A zip is a crate with its payload; anything else is read as a metadata document
    // alone, whose files are not there to check.
    let is_zip = start == ZIP_MAGIC;
    let (name, metadata_only) = match is_zip {
        true => ("crate.zip", options.metadata_only),
        false => (crate::validate::reader::METADATA, true),
    };
    let path = scratch.path().join(name);
    if let Err(e) = std::fs::rename(&received, &path) {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("cannot write the upload: {e}\n"),
        );
    }
    let options = validate::ValidateOptions {
        metadata_only,
        ..options
    };
    let checked = tokio::task::spawn_blocking(move || {
        let result = validate::validate(&path, &options);
        drop(scratch);
        result
    })
    .await;
    match checked {
        Ok(Ok(mut crate_report)) => {
            crate_report.crate_path = name.to_owned();
            bytes(
                StatusCode::OK,
                "application/json",
                report::json(&[crate_report], level),
            )
        }
        Ok(Err(e)) => text(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("{}\n", crate::event::error_chain(&e)),
        ),
        Err(_) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error: the validation stopped unexpectedly\n",
        ),
    }
}

/// The server's validation options with the request's `profile` (repeatable) and `level`.
fn options(state: &State, query: &str) -> Result<(validate::ValidateOptions, Level), String> {
    let mut options = state.options.validate.clone();
    let mut level = Level::Required;
    let known = Profiles::builtin().map_err(|e| e.to_string())?;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "profile" => {
                let profile = known.named(&value).map_err(|e| format!("profile: {e}"))?;
                options.profiles.push(profile.clone());
            }
            "level" => {
                level = Level::parse(&value).ok_or_else(|| {
                    format!("level={value:?}: give required, recommended or optional")
                })?;
            }
            "metadata_only" => options.metadata_only = value == "true",
            other => {
                return Err(format!(
                    "unknown parameter {other:?}: give profile or level"
                ))
            }
        }
    }
    Ok((options, level))
}
