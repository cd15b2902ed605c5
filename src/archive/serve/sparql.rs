//! `/query`: the SPARQL 1.1 Protocol, read-only, answered in the format the client's `Accept`
//! header prefers.

use super::{text, Body, Request, ServeOptions};
use crate::archive::query::{self, isolated, Format, QueryError};
use http::header::ACCEPT;
use http::{Response, StatusCode};
use oxigraph::store::Store;

pub(super) fn refuse_update() -> Response<Body> {
    text(
        StatusCode::FORBIDDEN,
        "SPARQL Update is refused: this endpoint is read-only\n",
    )
}

pub(super) fn answer(
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
        Ok(body) => super::bytes(status, format.media_type(), body),
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
pub(super) fn answer_form(
    store: &Store,
    options: &ServeOptions,
    encoded: &str,
    request: &Request,
) -> Response<Body> {
    let params: Vec<(String, String)> = form_urlencoded::parse(encoded.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let find = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    if let Some(name) = find("builtin") {
        return answer_builtin(store, options, name, &params, request);
    }
    match find("query") {
        Some(query) => answer(store, options, query, request),
        None if find("update").is_some() => refuse_update(),
        None => text(StatusCode::BAD_REQUEST, "missing the query parameter\n"),
    }
}

/// `builtin=NAME` and its parameters: the auditors' query with the values bound as
/// `trecrate query --builtin` binds them, then answered as any query.
fn answer_builtin(
    store: &Store,
    options: &ServeOptions,
    name: &str,
    params: &[(String, String)],
    request: &Request,
) -> Response<Body> {
    let values: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "builtin")
        .cloned()
        .collect();
    let bound = query::prepare_builtin(&options.builtins, name, &values)
        .and_then(|prepared| prepared.bound());
    match bound {
        Ok(sparql) => answer(store, options, &sparql.to_string(), request),
        Err(e) => text(StatusCode::BAD_REQUEST, &format!("{e}\n")),
    }
}
