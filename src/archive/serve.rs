//! `trecrate serve`: the archive as a read-only SPARQL 1.1 Protocol endpoint.
//!
//! One route, `/query`, takes GET and POST queries and answers in the format the client's
//! `Accept` header prefers. Updates are refused (403) whatever route they come by. A bearer
//! token, when configured, guards every route; without one, only loopback addresses may be
//! bound, so an archive is never exposed to the network by accident.

use crate::archive::query::{Answer, Format, Limits, QueryError};
use oxhttp::model::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use oxhttp::model::{Body, Method, Request, Response, StatusCode};
use oxhttp::Server;
use oxigraph::store::Store;
use std::io::Read;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// Largest request body read: queries are text, not data.
const MAX_BODY: u64 = 1 << 20;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub bind: SocketAddr,
    pub token: Option<String>,
    pub limits: Limits,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("refusing to listen on {0} without a token: anyone on the network could read the archive; set --token-file (or TRECRATE_TOKEN), or bind a loopback address")]
    ExposedWithoutToken(SocketAddr),
    #[error("the token is empty")]
    EmptyToken,
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Serves until the process is stopped.
pub fn serve(
    store: Store,
    options: ServeOptions,
    log: impl Fn(&str) + Send + Sync + 'static,
) -> Result<(), ServeError> {
    if options.token.as_deref() == Some("") {
        return Err(ServeError::EmptyToken);
    }
    if options.token.is_none() && !options.bind.ip().is_loopback() {
        return Err(ServeError::ExposedWithoutToken(options.bind));
    }
    let addr = options.bind;
    let bind = |source| ServeError::Bind { addr, source };
    // Bound here first so that a taken port is reported before the banner.
    drop(std::net::TcpListener::bind(addr).map_err(bind)?);
    let server = Server::new(move |request| {
        let start = Instant::now();
        let response = handle(&store, &options, request);
        log(&format!(
            "{} {} -> {} ({:.1} ms)",
            request.method(),
            request.uri().path(),
            response.status().as_u16(),
            start.elapsed().as_secs_f64() * 1000.0
        ));
        response
    })
    .bind(addr)
    .with_global_timeout(Duration::from_secs(300))
    .with_max_concurrent_connections(64);
    let running = server.spawn().map_err(bind)?;
    running.join().map_err(bind)
}

/// Answers one HTTP request.
pub fn handle(
    store: &Store,
    options: &ServeOptions,
    request: &mut Request<Body>,
) -> Response<Body> {
    if let Some(token) = &options.token {
        let presented = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        // Compared without stopping at the first difference: timing does not leak the token.
        if !presented.is_some_and(|p| bool::from(p.as_bytes().ct_eq(token.as_bytes()))) {
            let mut response = text(
                StatusCode::UNAUTHORIZED,
                "this archive needs `Authorization: Bearer <token>`\n",
            );
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, "Bearer".parse().expect("valid header"));
            return response;
        }
    }
    match (request.method().clone(), request.uri().path()) {
        (Method::GET, "/") => text(StatusCode::OK, HOME),
        (_, "/update") => refuse_update(),
        (Method::GET, "/query") => {
            answer_form(store, options, request.uri().query().unwrap_or(""), request)
        }
        (Method::POST, "/query") => {
            let content_type = request
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            let body = match read_body(request) {
                Ok(body) => body,
                Err((status, message)) => return text(status, &message),
            };
            match content_type.as_str() {
                "application/sparql-query" => answer(store, options, &body, request),
                "application/sparql-update" => refuse_update(),
                "application/x-www-form-urlencoded" => {
                    answer_form(store, options, &body, request)
                }
                other => text(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    &format!("unsupported Content-Type {other:?}: send application/sparql-query or a form\n"),
                ),
            }
        }
        (_, "/query") => text(StatusCode::METHOD_NOT_ALLOWED, "use GET or POST\n"),
        _ => text(StatusCode::NOT_FOUND, "not found: the endpoint is /query\n"),
    }
}

const HOME: &str = "trecrate archive: a read-only SPARQL 1.1 endpoint at /query\n\
(GET /query?query=... or POST application/sparql-query). The default graph is the union\n\
of every archived release; see `trecrate query --help`.\n";

fn refuse_update() -> Response<Body> {
    text(
        StatusCode::FORBIDDEN,
        "SPARQL Update is refused: this endpoint is read-only\n",
    )
}

fn answer(
    store: &Store,
    options: &ServeOptions,
    query: &str,
    request: &Request<Body>,
) -> Response<Body> {
    let accept = request
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*")
        .to_owned();
    let prepared = match crate::archive::query::prepare(query, "the query") {
        Ok(p) => p,
        Err(e @ QueryError::Update { .. }) => {
            return text(StatusCode::FORBIDDEN, &format!("{e}\n"));
        }
        Err(e) => return text(StatusCode::BAD_REQUEST, &format!("{e}\n")),
    };
    let answer = match crate::archive::query::evaluate(store, prepared, options.limits) {
        Ok(a) => a,
        Err(e @ QueryError::Timeout(_)) => {
            return text(StatusCode::SERVICE_UNAVAILABLE, &format!("{e}\n"))
        }
        Err(e @ QueryError::TooManyResults(_)) => {
            return text(StatusCode::PAYLOAD_TOO_LARGE, &format!("{e}\n"))
        }
        Err(e) => return text(StatusCode::BAD_REQUEST, &format!("{e}\n")),
    };
    let Some(format) = negotiate(&accept, &answer) else {
        return text(
            StatusCode::NOT_ACCEPTABLE,
            &format!(
                "none of the accepted types ({accept}) can carry {}\n",
                answer.kind()
            ),
        );
    };
    let mut body = Vec::new();
    if let Err(e) = crate::archive::query::write(&answer, format, &mut body) {
        return text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n"));
    }
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, format.media_type())
        .body(Body::from(body))
        .expect("valid response")
}

/// The format for `answer` that the `Accept` header prefers (highest q, then first listed).
fn negotiate(accept: &str, answer: &Answer) -> Option<Format> {
    let graph = matches!(answer, Answer::Graph(_));
    let mut ranges: Vec<(f32, usize, String)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(i, range)| {
            let mut parts = range.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (q > 0.0 && !media.is_empty()).then_some((q, i, media))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.into_iter().find_map(|(_, _, media)| {
        let format = match media.as_str() {
            "*/*" | "application/*" if graph => Format::Turtle,
            "*/*" | "application/*" => Format::Json,
            "text/*" if graph => Format::Turtle,
            "text/*" => Format::Csv,
            "application/sparql-results+json" | "application/json" => Format::Json,
            "application/sparql-results+xml" | "application/xml" => Format::Xml,
            "text/csv" => Format::Csv,
            "text/tab-separated-values" => Format::Tsv,
            "text/turtle" | "application/x-turtle" => Format::Turtle,
            "application/n-triples" => Format::NTriples,
            "application/ld+json" => Format::JsonLd,
            "text/plain" => Format::Table,
            _ => return None,
        };
        let fits = match format {
            Format::Table => true,
            Format::Turtle | Format::NTriples | Format::JsonLd => graph,
            _ => !graph,
        };
        fits.then_some(format)
    })
}

/// The body as text, or the status and message to refuse it with.
fn read_body(request: &mut Request<Body>) -> Result<String, (StatusCode, String)> {
    let mut bytes = Vec::new();
    request
        .body_mut()
        .take(MAX_BODY + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            (
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}\n"),
            )
        })?;
    if bytes.len() as u64 > MAX_BODY {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is over 1 MiB\n".into(),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| (StatusCode::BAD_REQUEST, "the body is not UTF-8\n".into()))
}

/// A query given as form parameters, in a GET's URL or a POST's body.
fn answer_form(
    store: &Store,
    options: &ServeOptions,
    encoded: &str,
    request: &Request<Body>,
) -> Response<Body> {
    let params: Vec<(String, String)> = form_urlencoded::parse(encoded.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let find = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    match find("query") {
        Some(query) => answer(store, options, query, request),
        None if find("update").is_some() => refuse_update(),
        None => text(StatusCode::BAD_REQUEST, "missing the query parameter\n"),
    }
}

fn text(status: StatusCode, message: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from(message.to_owned()))
        .expect("valid response")
}
