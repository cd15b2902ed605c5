//! Running a SPARQL SELECT over a store and collecting its rows: release, preview, SHACL and
//! validate all read the graph this way, each wrapping the message in its own error.

use oxigraph::model::Term;
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use std::collections::HashMap;

/// The rows of a SELECT, with its projected variables (a row lacks the unbound ones).
pub struct Rows {
    pub variables: Vec<String>,
    pub rows: Vec<HashMap<String, Term>>,
}

/// Runs `query` over the default graph of `store`; relative IRIs in it resolve against `base`.
/// The error is the parser's or evaluator's message, for the caller to place.
pub fn select(store: &Store, base: Option<&str>, query: &str) -> Result<Rows, String> {
    let mut evaluator = SparqlEvaluator::new();
    if let Some(base) = base {
        evaluator = evaluator.with_base_iri(base).map_err(|e| e.to_string())?;
    }
    let results = evaluator
        .parse_query(query)
        .map_err(|e| e.to_string())?
        .on_store(store)
        .execute()
        .map_err(|e| e.to_string())?;
    let QueryResults::Solutions(solutions) = results else {
        return Err("expected a SELECT query".into());
    };
    let variables = solutions
        .variables()
        .iter()
        .map(|v| v.as_str().to_owned())
        .collect();
    let rows = solutions
        .map(|s| {
            let s = s.map_err(|e| e.to_string())?;
            Ok(s.iter()
                .map(|(v, t)| (v.as_str().to_owned(), t.clone()))
                .collect())
        })
        .collect::<Result<_, String>>()?;
    Ok(Rows { variables, rows })
}

/// A literal's lexical form or an IRI's text; `None` for blank nodes and unbound variables.
pub fn text(term: Option<&Term>) -> Option<String> {
    match term? {
        Term::Literal(l) => Some(l.value().to_owned()),
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        _ => None,
    }
}
