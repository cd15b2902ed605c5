//! Stage 5: `ro-crate-preview.html`, rendered from the crate graph, not from the export, so the
//! page shows exactly what the metadata says.
//!
//! Each `queries/preview/NAME.rq` is a SELECT whose rows reach the template as `NAME`; the
//! template is autoescaped, so any value from the export renders as text.

use crate::assets::Assets;
use oxigraph::model::Term;
use oxigraph::store::Store;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("queries/{query}: {message}")]
    Query { query: String, message: String },
    #[error("preview template: {0}")]
    Template(String),
}

pub fn render(graph: &Store, assets: &Assets, base: &str) -> Result<String, PreviewError> {
    let mut context = tera::Context::new();
    for query in &assets.preview {
        let fail = |message: String| PreviewError::Query {
            query: query.name.clone(),
            message,
        };
        let result = crate::select::select(graph, Some(base), &query.text).map_err(fail)?;
        // Every projected variable is in every row, "" when unbound, so that templates can
        // test optional values without tripping over undefined fields.
        let rows: Vec<BTreeMap<&str, String>> = result
            .rows
            .iter()
            .map(|row| {
                result
                    .variables
                    .iter()
                    .map(|var| {
                        let value = row.get(var).map(|t| text(t, base));
                        (var.as_str(), value.unwrap_or_default())
                    })
                    .collect()
            })
            .collect();
        let name = query
            .name
            .trim_start_matches("preview/")
            .trim_end_matches(".rq")
            .replace('-', "_");
        context.insert(name, &rows);
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
        Term::NamedNode(n) => crate::crate_relative(n.as_str(), base),
        other => other.to_string(),
    }
}
