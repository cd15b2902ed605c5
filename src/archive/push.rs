//! `trecrate push`: the archive's graphs to an external triple store over the SPARQL 1.1 Graph
//! Store Protocol, for an institution that outgrows one machine. Each crate version's graph is
//! replaced whole (PUT), so pushing twice gives the same server state.

use crate::archive::{Archive, ArchiveError, RECORDS};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphNameRef, NamedNode, NamedNodeRef, Quad};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("--endpoint {0:?} is not an http(s) URL")]
    Endpoint(String),
    #[error("no archived release has request id {0:?}")]
    UnknownRelease(String),
    #[error("{method} {url}: {message}")]
    Http {
        method: &'static str,
        url: String,
        message: String,
    },
}

impl PushError {
    pub fn is_refusal(&self) -> bool {
        matches!(self, PushError::Archive(a) if a.is_refusal())
    }
}

#[derive(Debug, Clone)]
pub struct PushOptions {
    pub endpoint: String,
    /// Only this request's graphs (and its records).
    pub release: Option<String>,
    pub token: Option<String>,
}

/// Pushes and reports each graph sent (its IRI and triple count) to `on_graph`.
pub fn push(
    archive: &Archive,
    options: &PushOptions,
    on_graph: &mut dyn FnMut(&str, usize),
) -> Result<usize, PushError> {
    if !(options.endpoint.starts_with("http://") || options.endpoint.starts_with("https://")) {
        return Err(PushError::Endpoint(options.endpoint.clone()));
    }
    let store = archive.store();
    let records = NamedNodeRef::new_unchecked(RECORDS);
    let graphs: Vec<NamedNode> = match &options.release {
        None => archive.release_graphs()?,
        Some(id) => {
            let graphs = archive.graphs_of(id)?;
            if graphs.is_empty() {
                return Err(PushError::UnknownRelease(id.clone()));
            }
            graphs
        }
    };
    crate::storage::http::install_tls_provider();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| PushError::Http {
            method: "PUT",
            url: options.endpoint.clone(),
            message: e.to_string(),
        })?;
    for graph in &graphs {
        let quads = store.quads_for_pattern(None, None, None, Some(graph.as_ref().into()));
        let (body, count) = ntriples(quads).map_err(archive.storage())?;
        send(&client, options, "PUT", graph.as_str(), body)?;
        on_graph(graph.as_str(), count);
    }
    // The records: all of them replace the server's when everything was pushed; with
    // --release, that request's records are added to the server's.
    let record_quads: Vec<Result<Quad, _>> = if options.release.is_some() {
        graphs
            .iter()
            .flat_map(|g| {
                store.quads_for_pattern(Some(g.as_ref().into()), None, None, Some(records.into()))
            })
            .collect()
    } else {
        store
            .quads_for_pattern(None, None, None, Some(GraphNameRef::NamedNode(records)))
            .collect()
    };
    let (body, count) = ntriples(record_quads.into_iter()).map_err(archive.storage())?;
    let method = if options.release.is_some() {
        "POST"
    } else {
        "PUT"
    };
    send(&client, options, method, RECORDS, body)?;
    on_graph(RECORDS, count);
    Ok(graphs.len())
}

fn ntriples<E>(quads: impl Iterator<Item = Result<Quad, E>>) -> Result<(Vec<u8>, usize), E> {
    let mut writer = RdfSerializer::from_format(RdfFormat::NTriples).for_writer(Vec::new());
    let mut count = 0;
    for quad in quads {
        let quad = quad?;
        writer
            .serialize_triple(quad.as_ref())
            .expect("writing to memory");
        count += 1;
    }
    Ok((writer.finish().expect("writing to memory"), count))
}

fn send(
    client: &reqwest::blocking::Client,
    options: &PushOptions,
    method: &'static str,
    graph: &str,
    body: Vec<u8>,
) -> Result<(), PushError> {
    let separator = if options.endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    let url = format!(
        "{}{separator}graph={}",
        options.endpoint,
        form_urlencoded::byte_serialize(graph.as_bytes()).collect::<String>()
    );
    let error = |message: String| PushError::Http {
        method,
        url: url.clone(),
        message,
    };
    let mut request = match method {
        "PUT" => client.put(&url),
        _ => client.post(&url),
    }
    .header("Content-Type", "application/n-triples")
    .body(body);
    if let Some(token) = &options.token {
        request = request.bearer_auth(token);
    }
    let response = request.send().map_err(|e| {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        error(message)
    })?;
    let status = response.status();
    if !status.is_success() {
        let text = response.text().unwrap_or_default();
        let text: String = text.chars().take(500).collect();
        return Err(error(format!(
            "the server answered {status}: {}",
            text.trim()
        )));
    }
    Ok(())
}
