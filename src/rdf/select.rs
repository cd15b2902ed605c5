//! Running a SPARQL query over a graph and reading its rows: release, preview, SHACL and
//! validate all read graphs this way, each wrapping the message in its own error.

use super::frozen;
use oxigraph::model::Term;
use oxigraph::sparql::{PreparedSparqlQuery, QueryResults, QuerySolution, SparqlEvaluator};
use oxigraph::store::Store;
use std::collections::HashMap;

/// A graph SPARQL queries read: a store's default graph, or a [`frozen::Graph`].
pub trait Dataset: Sync {
    fn execute(&self, query: PreparedSparqlQuery) -> Result<QueryResults<'_>, String>;
}

impl Dataset for Store {
    fn execute(&self, query: PreparedSparqlQuery) -> Result<QueryResults<'_>, String> {
        query.on_store(self).execute().map_err(|e| e.to_string())
    }
}

impl Dataset for frozen::Graph {
    fn execute(&self, query: PreparedSparqlQuery) -> Result<QueryResults<'_>, String> {
        query
            .on_queryable_dataset(self)
            .execute()
            .map_err(|e| e.to_string())
    }
}

/// `query` parsed, its relative IRIs resolved against `base`: parsed once, run on many graphs.
pub fn prepare(base: Option<&str>, query: &str) -> Result<PreparedSparqlQuery, String> {
    let mut evaluator = SparqlEvaluator::new();
    if let Some(base) = base {
        evaluator = evaluator.with_base_iri(base).map_err(|e| e.to_string())?;
    }
    evaluator.parse_query(query).map_err(|e| e.to_string())
}

/// The rows of a SELECT, with its projected variables (a row lacks the unbound ones).
pub struct Rows {
    pub variables: Vec<String>,
    pub rows: Vec<HashMap<String, Term>>,
}

/// Runs `query` over `graph`; relative IRIs in it resolve against `base`. The error is the
/// parser's or evaluator's message, for the caller to place.
pub fn select(
    graph: &(impl Dataset + ?Sized),
    base: Option<&str>,
    query: &str,
) -> Result<Rows, String> {
    let mut rows = Vec::new();
    let variables = each_row(
        graph,
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
    graph: &(impl Dataset + ?Sized),
    base: Option<&str>,
    query: &str,
    error: impl Fn(String) -> E,
    row: impl FnMut(&QuerySolution) -> Result<(), E>,
) -> Result<Vec<String>, E> {
    let query = prepare(base, query).map_err(&error)?;
    each_prepared_row(graph, query, error, row)
}

/// [`each_row`] of a query [`prepare`]d before.
pub fn each_prepared_row<E>(
    graph: &(impl Dataset + ?Sized),
    query: PreparedSparqlQuery,
    error: impl Fn(String) -> E,
    mut row: impl FnMut(&QuerySolution) -> Result<(), E>,
) -> Result<Vec<String>, E> {
    let QueryResults::Solutions(solutions) = graph.execute(query).map_err(&error)? else {
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
