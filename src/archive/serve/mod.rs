//! `trecrate serve`: the archive over HTTP, for auditors and for the services that release.
//!
//! Routes, one module each: `/query`, a read-only SPARQL 1.1 Protocol endpoint ([`sparql`]);
//! `/releases` and `/releases/{request_id}/ro-crate`, the archived crates and their zips
//! ([`crates`]); `POST /validate`, a crate validated ([`upload`]); `/`, the auditors' page
//! ([`page`]). Updates are refused (403) whatever route they come by. A bearer token, when
//! configured, guards every route but the page's own static files; without one, only loopback
//! addresses may be bound, so an archive is never exposed to the network by accident.

mod crates;
mod page;
mod sparql;
mod upload;

use crate::archive::query::{isolated, Limits};
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderMap, Method, Response, StatusCode, Uri};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use oxigraph::store::Store;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
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
    /// The archive's directory, where the recorded metadata documents are kept.
    pub archive: PathBuf,
    /// Largest body `POST /validate` takes; it is streamed to a temporary file, never held.
    pub max_upload_bytes: u64,
    /// How `POST /validate` validates, but for its `profile` and `level` parameters.
    pub validate: crate::validate::ValidateOptions,
    /// For zips recorded at `s3://` locations.
    pub s3: crate::storage::s3::Config,
    /// The auditors' library, read once, in the TRE's namespace: `/query?builtin=`, the
    /// release list and the page's forms.
    pub builtins: Vec<crate::archive::query::Builtin>,
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
            log: Arc::new(log),
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
    log: Arc<dyn Fn(&str) + Send + Sync>,
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

/// A response's body: whole, or streamed (a zip).
type Body = BoxBody<Bytes, std::io::Error>;

/// A body held whole.
fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

async fn respond(
    state: Arc<State>,
    request: hyper::Request<Incoming>,
) -> Result<Response<Body>, std::convert::Infallible> {
    let start = Instant::now();
    let (head, incoming) = request.into_parts();
    let (method, path) = (head.method.clone(), head.uri.path().to_owned());
    if method == Method::POST && path == "/validate" {
        let response = upload::validate(&state, head, incoming).await;
        state.log_response(&method, &path, &response, start);
        return Ok(response);
    }
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
            tokio::task::spawn_blocking(move || handle(&worker, &request))
                .await
                .unwrap_or_else(|_| {
                    text(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal error: the query's thread stopped unexpectedly\n",
                    )
                })
        }
    };
    state.log_response(&method, &path, &response, start);
    Ok(response)
}

impl State {
    fn log_response(&self, method: &Method, path: &str, response: &Response<Body>, start: Instant) {
        (self.log)(&format!(
            "{method} {path} -> {} ({:.1} ms)",
            response.status().as_u16(),
            start.elapsed().as_secs_f64() * 1000.0
        ));
    }
}

/// A request as the routes see it, its body read.
pub struct Request {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// The 401 for a request without the token, when there is one.
fn unauthorized(options: &ServeOptions, headers: &HeaderMap) -> Option<Response<Body>> {
    let token = options.token.as_ref()?;
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Compared without stopping at the first difference: timing does not leak the token.
    if presented.is_some_and(|p| bool::from(p.as_bytes().ct_eq(token.as_bytes()))) {
        return None;
    }
    let mut response = text(
        StatusCode::UNAUTHORIZED,
        "this archive needs `Authorization: Bearer <token>`\n",
    );
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, "Bearer".parse().expect("valid header"));
    Some(response)
}

/// Answers one HTTP request.
fn handle(state: &State, request: &Request) -> Response<Body> {
    let (store, options) = (&state.store, &state.options);
    // The page and its script hold no data: a browser loads them without the token, which
    // the page then asks for.
    if request.method == Method::GET {
        if let Some(response) = page::static_file(request.uri.path(), &options.builtins) {
            return response;
        }
    }
    if let Some(refused) = unauthorized(options, &request.headers) {
        return refused;
    }
    let path = request.uri.path();
    if let Some(rest) = path.strip_prefix("/releases") {
        return match request.method {
            Method::GET => crates::route(state, rest, request),
            _ => text(StatusCode::METHOD_NOT_ALLOWED, "use GET\n"),
        };
    }
    if path == "/validate" {
        return text(
            StatusCode::METHOD_NOT_ALLOWED,
            "use POST with the crate as the body\n",
        );
    }
    use sparql::{answer, answer_form, refuse_update};
    match (request.method.clone(), path) {
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
        _ => text(StatusCode::NOT_FOUND, NOT_FOUND),
    }
}

const NOT_FOUND: &str = "not found: the routes are / (the auditors' page), /query (SPARQL), \
/releases, /releases/{request_id}/ro-crate[?version=SHA256|download=true] and POST /validate\n";

fn text(status: StatusCode, message: &str) -> Response<Body> {
    bytes(status, "text/plain; charset=utf-8", message.to_owned())
}

/// A whole body of `media_type`.
fn bytes(status: StatusCode, media_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, media_type)
        .body(full(body))
        .expect("valid response")
}
