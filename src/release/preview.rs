//! Stage 5: `ro-crate-preview.html`, rendered from the crate graph, not from the export, so the
//! page shows exactly what the metadata says.
//!
//! Each `queries/preview/NAME.rq` is a SELECT whose rows reach the template as `NAME`; the
//! template is autoescaped, so any value from the export renders as text.

use crate::assets::Assets;
use oxigraph::model::Term;
use tera::value::Key;
use tera::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("queries/{query}: {message}")]
    Query { query: String, message: String },
    #[error("preview template: {0}")]
    Template(String),
}

pub fn render(
    graph: &(impl crate::rdf::select::Dataset + ?Sized),
    assets: &Assets,
    base: &str,
) -> Result<String, PreviewError> {
    let mut context = tera::Context::new();
    for query in &assets.preview {
        let fail = |message: String| PreviewError::Query {
            query: query.name.clone(),
            message,
        };
        // Rows become the template's values as the query yields them: at 100,000 files,
        // collecting the solutions first and copying them twice over took 1.5-2 s and
        // 300 MB more.
        let mut keys = Vec::new();
        let mut rows = Vec::new();
        crate::rdf::select::each_row(graph, Some(base), &query.text, fail, |solution| {
            if keys.is_empty() {
                keys = solution
                    .variables()
                    .iter()
                    .map(|v| Key::from(v.as_str().to_owned()))
                    .collect();
            }
            // Every projected variable is in every row, "" when unbound, so that templates
            // can test optional values without tripping over undefined fields.
            let row: Map = keys
                .iter()
                .zip(solution.values())
                .map(|(key, value)| {
                    let text = value.as_ref().map(|t| text(t, base)).unwrap_or_default();
                    (key.clone(), Value::from(text))
                })
                .collect();
            rows.push(Value::from(row));
            Ok(())
        })?;
        let name = query
            .name
            .trim_start_matches("preview/")
            .trim_end_matches(".rq")
            .replace('-', "_");
        context.insert_value(name, Value::from(rows));
    }
    let mut tera = tera::Tera::default();
    tera.add_raw_template("preview.html", &assets.template)
        .map_err(|e| PreviewError::Template(describe(&e)))?;
    tera.render("preview.html", &context)
        .map_err(|e| PreviewError::Template(describe(&e)))
}

/// Tera's message and its causes, without the template source it carries along.
fn describe(error: &tera::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Literals as their text; IRIs inside the crate as the relative paths a browser can follow.
fn text(term: &Term, base: &str) -> String {
    match term {
        Term::Literal(l) => l.value().to_owned(),
        Term::NamedNode(n) => crate::rdf::iri::crate_relative(n.as_str(), base),
        other => other.to_string(),
    }
}
