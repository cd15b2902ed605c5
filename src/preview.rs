//! Stage 5: `ro-crate-preview.html`, rendered from the crate graph, not from the export, so the
//! page shows exactly what the metadata says.
//!
//! Each `queries/preview/NAME.rq` is a SELECT whose rows reach the template as `NAME`; the
//! template is autoescaped, so any value from the export renders as text.

use crate::assets::Assets;
use oxigraph::model::Term;
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
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
        let results = SparqlEvaluator::new()
            .with_base_iri(base)
            .map_err(|e| fail(e.to_string()))?
            .parse_query(&query.text)
            .map_err(|e| fail(e.to_string()))?
            .on_store(graph)
            .execute()
            .map_err(|e| fail(e.to_string()))?;
        let QueryResults::Solutions(solutions) = results else {
            return Err(fail("expected a SELECT query".into()));
        };
        // Every projected variable is in every row, "" when unbound, so that templates can
        // test optional values without tripping over undefined fields.
        let variables: Vec<String> = solutions
            .variables()
            .iter()
            .map(|v| v.as_str().to_owned())
            .collect();
        let mut rows = Vec::new();
        for solution in solutions {
            let solution = solution.map_err(|e| fail(e.to_string()))?;
            let row: BTreeMap<&str, String> = variables
                .iter()
                .map(|var| {
                    let value = solution.get(var.as_str()).map(|t| text(t, base));
                    (var.as_str(), value.unwrap_or_default())
                })
                .collect();
            rows.push(row);
        }
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
