//! `trecrate serve`: the archive as a read-only SPARQL 1.1 Protocol endpoint.
//!
//! One route, `/query`, takes GET and POST queries and answers in the format the client's
//! `Accept` header prefers. Updates are refused (403) whatever route they come by. A bearer
//! token, when configured, guards every route; without one, only loopback addresses may be
//! bound, so an archive is never exposed to the network by accident.

use crate::archive::query::{self, isolated, Format, Limits, QueryError};
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderMap, Method, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use oxigraph::store::Store;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// Largest request body read: queries are text, not data.
const MAX_BODY: usize = 1 << 20;
/// How long a client has to send a request's head, and how long an idle keep-alive connection
/// is kept: a connection that sends nothing, or half a request line, is closed after it.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client has to send the body its head announced.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections one peer address may hold open at once, so that one client cannot take them all.
pub const MAX_PER_PEER: usize = 32;
/// Connections held open at once, all peers together: below the usual limit of 1024 open files.
const MAX_CONNECTIONS: usize = 512;
/// Threads evaluating queries at once; more wait their turn.
const QUERY_THREADS: usize = 16;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub bind: SocketAddr,
    pub token: Option<String>,
    pub limits: Limits,
    /// Each query in a worker process of its own, killed at its timeout or memory limit;
    /// `None` evaluates in this process, where a cancelled query stops only at its next
    /// read of the store.
    pub isolation: Option<isolated::Isolation>,
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

/// A bound endpoint, not yet answering: the caller may say where it listens first, knowing
/// that the options were accepted and the address taken.
pub struct Listening {
    listener: std::net::TcpListener,
    store: Store,
    options: ServeOptions,
}

/// Checks the options and takes the address; nothing is served until [`Listening::run`].
pub fn bind(store: Store, options: ServeOptions) -> Result<Listening, ServeError> {
    if options.token.as_deref() == Some("") {
        return Err(ServeError::EmptyToken);
    }
    if options.token.is_none() && !options.bind.ip().is_loopback() {
        return Err(ServeError::ExposedWithoutToken(options.bind));
    }
    let addr = options.bind;
    let bind = |source| ServeError::Bind { addr, source };
    let listener = std::net::TcpListener::bind(addr).map_err(bind)?;
    listener.set_nonblocking(true).map_err(bind)?;
    Ok(Listening {
        listener,
        store,
        options,
    })
}

impl Listening {
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the process is stopped. Each connection is a task, not a thread, so idle
    /// ones cost little; queries are evaluated on a bounded pool of threads.
    pub fn run(self, log: impl Fn(&str) + Send + Sync + 'static) -> Result<(), ServeError> {
        let addr = self.options.bind;
        let failed = |source| ServeError::Bind { addr, source };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_io()
            .enable_time()
            .max_blocking_threads(QUERY_THREADS)
            .build()
            .map_err(failed)?;
        let state = Arc::new(State {
            store: self.store,
            options: self.options,
            log: Box::new(log),
            peers: Mutex::new(HashMap::new()),
        });
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(self.listener).map_err(failed)?;
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    // Out of file descriptors, or a connection reset before it was taken:
                    // the listener itself is sound, so it goes on after a breath.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let Some(admitted) = Admitted::new(&state, peer.ip()) else {
                    tokio::spawn(turn_away(stream));
                    continue;
                };
                tokio::spawn(connection(Arc::clone(&state), stream, admitted));
            }
        })
    }
}

struct State {
    store: Store,
    options: ServeOptions,
    log: Box<dyn Fn(&str) + Send + Sync>,
    /// Open connections by peer address.
    peers: Mutex<HashMap<IpAddr, usize>>,
}

/// A connection counted against its peer's share and the total, until dropped.
struct Admitted {
    state: Arc<State>,
    peer: IpAddr,
}

impl Admitted {
    fn new(state: &Arc<State>, peer: IpAddr) -> Option<Self> {
        let mut peers = state.peers.lock().unwrap_or_else(|e| e.into_inner());
        let total: usize = peers.values().sum();
        let mine = peers.entry(peer).or_default();
        if *mine >= MAX_PER_PEER || total >= MAX_CONNECTIONS {
            return None;
        }
        *mine += 1;
        Some(Admitted {
            state: Arc::clone(state),
            peer,
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut peers = self.state.peers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = peers.get_mut(&self.peer) {
            *n -= 1;
            if *n == 0 {
                peers.remove(&self.peer);
            }
        }
    }
}

/// Answers a connection over its share with 503 and closes it, giving up if the client does
/// not take the answer within a second.
async fn turn_away(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    const MESSAGE: &str =
        "too many connections open, from this address or in all: try again later\n";
    let busy = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nRetry-After: 10\r\nConnection: close\r\n\r\n{MESSAGE}",
        MESSAGE.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(busy.as_bytes())).await;
}

/// Serves the requests of one connection. The head of each must arrive within
/// [`HEADER_TIMEOUT`] (hyper's timer runs from the moment a request is awaited, so it is the
/// keep-alive idle timeout too); a connection open longer than twice the query timeout plus a
/// minute, as a client that never reads its answer would keep it, is closed.
async fn connection(state: Arc<State>, stream: tokio::net::TcpStream, admitted: Admitted) {
    let query_timeout = state
        .options
        .limits
        .timeout
        .unwrap_or(Duration::from_secs(300));
    let lifetime = query_timeout * 2 + Duration::from_secs(60);
    let service = hyper::service::service_fn(move |request| respond(Arc::clone(&state), request));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true);
    let served = http.serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(lifetime, served).await;
    drop(admitted);
}

type Body = Full<Bytes>;

async fn respond(
    state: Arc<State>,
    request: hyper::Request<Incoming>,
) -> Result<Response<Body>, std::convert::Infallible> {
    let start = Instant::now();
    let (head, incoming) = request.into_parts();
    let body = match tokio::time::timeout(BODY_TIMEOUT, Limited::new(incoming, MAX_BODY).collect())
        .await
    {
        Err(_) => Err(text(
            StatusCode::REQUEST_TIMEOUT,
            "the body did not arrive in time\n",
        )),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(text(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is over 1 MiB\n",
        )),
        Ok(Err(e)) => Err(text(
            StatusCode::BAD_REQUEST,
            &format!("cannot read the body: {e}\n"),
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    };
    let (method, path) = (head.method.clone(), head.uri.path().to_owned());
    let response = match body {
        Err(response) => response,
        Ok(body) => {
            let request = Request {
                method: head.method,
                uri: head.uri,
                headers: head.headers,
                body: body.to_vec(),
            };
            let worker = Arc::clone(&state);
            tokio::task::spawn_blocking(move || handle(&worker.store, &worker.options, &request))
                .await
                .unwrap_or_else(|_| {
                    text(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal error: the query's thread stopped unexpectedly\n",
                    )
                })
        }
    };
    (state.log)(&format!(
        "{method} {path} -> {} ({:.1} ms)",
        response.status().as_u16(),
        start.elapsed().as_secs_f64() * 1000.0
    ));
    Ok(response)
}

/// A request as the routes see it, its body read.
pub struct Request {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Answers one HTTP request.
pub fn handle(store: &Store, options: &ServeOptions, request: &Request) -> Response<Body> {
    if let Some(token) = &options.token {
        let presented = request
            .headers
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
    match (request.method.clone(), request.uri.path()) {
        (Method::GET, "/") => text(StatusCode::OK, HOME),
        (_, "/update") => refuse_update(),
        (Method::GET, "/query") => {
            answer_form(store, options, request.uri.query().unwrap_or(""), request)
        }
        (Method::POST, "/query") => {
            let content_type = request
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            let Ok(body) = std::str::from_utf8(&request.body) else {
                return text(StatusCode::BAD_REQUEST, "the body is not UTF-8\n");
            };
            match content_type.as_str() {
                "application/sparql-query" => answer(store, options, body, request),
                "application/sparql-update" => refuse_update(),
                "application/x-www-form-urlencoded" => answer_form(store, options, body, request),
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
    sparql: &str,
    request: &Request,
) -> Response<Body> {
    let accept = request
        .headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*")
        .to_owned();
    let prepared = match query::prepare(sparql, "the query") {
        Ok(p) => p,
        Err(e @ QueryError::Update { .. }) => {
            return text(StatusCode::FORBIDDEN, &format!("{e}\n"));
        }
        Err(e) => return text(StatusCode::BAD_REQUEST, &format!("{e}\n")),
    };
    let Some(format) = negotiate(&accept, prepared.is_graph()) else {
        return text(
            StatusCode::NOT_ACCEPTABLE,
            &format!(
                "none of the accepted types ({accept}) can carry {}\n",
                prepared.kind()
            ),
        );
    };
    let body = match &options.isolation {
        Some(isolation) => isolated::evaluate(isolation, sparql, format, options.limits),
        None => query::evaluate(store, prepared, options.limits).and_then(|answer| {
            let mut body = Vec::new();
            query::write(&answer, format, &mut body)?;
            Ok(body)
        }),
    };
    let status = match &body {
        Ok(_) => StatusCode::OK,
        Err(QueryError::Timeout(_) | QueryError::OutOfMemory(_)) => StatusCode::SERVICE_UNAVAILABLE,
        Err(QueryError::TooManyResults(_)) => StatusCode::PAYLOAD_TOO_LARGE,
        Err(QueryError::Io(_) | QueryError::Worker(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        Err(_) => StatusCode::BAD_REQUEST,
    };
    match body {
        Ok(body) => Response::builder()
            .status(status)
            .header(CONTENT_TYPE, format.media_type())
            .body(Body::from(body))
            .expect("valid response"),
        Err(e) => text(status, &format!("{e}\n")),
    }
}

/// The format for an answer (a graph or not) that the `Accept` header prefers (highest q,
/// then first listed).
fn negotiate(accept: &str, graph: bool) -> Option<Format> {
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

/// A query given as form parameters, in a GET's URL or a POST's body.
fn answer_form(
    store: &Store,
    options: &ServeOptions,
    encoded: &str,
    request: &Request,
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
