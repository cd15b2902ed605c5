//! Running a SPARQL SELECT over a store and collecting its rows: release, preview, SHACL and
//! validate all read the graph this way, each wrapping the message in its own error.

use oxigraph::model::Term;
use oxigraph::sparql::{QueryResults, QuerySolution, SparqlEvaluator};
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
    let mut rows = Vec::new();
    let variables = each_row(
        store,
        base,
        query,
        |e| e,
        |solution| {
            rows.push(
                solution
                    .iter()
                    .map(|(v, t)| (v.as_str().to_owned(), t.clone()))
                    .collect(),
            );
            Ok(())
        },
    )?;
    Ok(Rows { variables, rows })
}

/// [`select`] without collecting: each solution goes to `row` as the query yields it, borrowed,
/// and the first error `row` returns stops the query. Returns the projected variables. For
/// large results (a row per file) that are turned into something smaller at once.
pub fn each_row<E>(
    store: &Store,
    base: Option<&str>,
    query: &str,
    error: impl Fn(String) -> E,
    mut row: impl FnMut(&QuerySolution) -> Result<(), E>,
) -> Result<Vec<String>, E> {
    let mut evaluator = SparqlEvaluator::new();
    if let Some(base) = base {
        evaluator = evaluator
            .with_base_iri(base)
            .map_err(|e| error(e.to_string()))?;
    }
    let results = evaluator
        .parse_query(query)
        .map_err(|e| error(e.to_string()))?
        .on_store(store)
        .execute()
        .map_err(|e| error(e.to_string()))?;
    let QueryResults::Solutions(solutions) = results else {
        return Err(error("expected a SELECT query".into()));
    };
    let variables = solutions
        .variables()
        .iter()
        .map(|v| v.as_str().to_owned())
        .collect();
    for solution in solutions {
        row(&solution.map_err(|e| error(e.to_string()))?)?;
    }
    Ok(variables)
}

/// A literal's lexical form or an IRI's text; `None` for blank nodes and unbound variables.
pub fn text(term: Option<&Term>) -> Option<String> {
    match term? {
        Term::Literal(l) => Some(l.value().to_owned()),
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        _ => None,
    }
}
