//! `trecrate query` and the SPARQL endpoint: read-only SPARQL over the archive, and the
//! auditors' library of built-in queries (`queries/audit/*.rq`).
//!
//! The default graph is the union of every archived graph (all releases and their records);
//! `GRAPH ?release { ... }` keeps one crate version apart from the others.
//!
//! A built-in query declares its parameters in its leading comment; values given with
//! `--param name=value` are checked against the declared kind and bound to the variable
//! `?name` before evaluation, never spliced into the query text.

mod builtin;
mod format;
pub mod isolated;
mod substitute;

pub use builtin::{builtins, prepare_builtin, Builtin, Kind, Param};
pub use format::{write, Format};

use crate::rdf::vocab::DISPLAY_PREFIXES;
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use oxigraph::model::vocab::xsd;
use oxigraph::model::{Literal, NamedNode, Term, Triple, Variable};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{
    CancellationToken, PreparedSparqlQuery, QueryResults, QuerySolution, SparqlEvaluator,
};
use oxigraph::store::Store;
use spargebra::algebra::GraphPattern;
use std::io::Write;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{source_name}: SPARQL syntax error: {message}")]
    Syntax {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: SPARQL Update is refused: the archive is read-only here (records are added by `trecrate release` and `trecrate ingest`)")]
    Update { source_name: String },
    #[error("no built-in query named {name:?}; known: {known}")]
    UnknownBuiltin { name: String, known: String },
    #[error("{builtin}: {message}")]
    Param { builtin: String, message: String },
    #[error("query evaluation failed: {0}")]
    Evaluation(String),
    #[error("the query ran longer than the limit of {} s and was stopped", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("the query has more than {0} results, the limit; add a LIMIT or raise the limit")]
    TooManyResults(usize),
    #[error("the query needed more than {} MiB of memory, the limit, and was stopped", .0 >> 20)]
    OutOfMemory(u64),
    /// The process evaluating the query failed for a reason of its own.
    #[error("the query's worker failed: {0}")]
    Worker(String),
    #[error("format {format} cannot show {kind}; use {hint}")]
    Format {
        format: &'static str,
        kind: &'static str,
        hint: &'static str,
    },
    #[error("cannot write the results")]
    Io(#[from] std::io::Error),
}

impl QueryError {
    /// Everything but writing the results is about the query the user gave.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, QueryError::Io(_) | QueryError::Worker(_))
    }
}

/// Bounds on one evaluation; the endpoint sets them, the CLI by default does not.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    pub timeout: Option<Duration>,
    pub max_results: Option<usize>,
}

/// A query's answer, held whole so that limits can be enforced before a byte is written.
pub enum Answer {
    Solutions {
        variables: Vec<Variable>,
        rows: Vec<QuerySolution>,
    },
    Boolean(bool),
    Graph(Vec<Triple>),
}

const SOLUTIONS: &str = "SELECT results";
const BOOLEAN: &str = "an ASK result";
const GRAPH: &str = "a graph (CONSTRUCT or DESCRIBE)";

impl Answer {
    pub fn kind(&self) -> &'static str {
        match self {
            Answer::Solutions { .. } => SOLUTIONS,
            Answer::Boolean(_) => BOOLEAN,
            Answer::Graph(_) => GRAPH,
        }
    }
}

/// A parsed query and the values bound to its parameters.
pub struct Prepared {
    query: spargebra::Query,
    /// Parameters: a value, or `None` for an optional one left out.
    bindings: Vec<(Variable, Option<Term>)>,
}

impl Prepared {
    /// What the query answers with, as [`Answer::kind`] says it.
    pub fn kind(&self) -> &'static str {
        match self.query {
            spargebra::Query::Select { .. } => SOLUTIONS,
            spargebra::Query::Ask { .. } => BOOLEAN,
            _ => GRAPH,
        }
    }

    /// Whether the answer is a graph (CONSTRUCT, DESCRIBE).
    pub fn is_graph(&self) -> bool {
        self.kind() == GRAPH
    }

    /// Binds `?variable` to `term` before evaluation.
    pub fn bind(mut self, variable: Variable, term: Option<Term>) -> Self {
        self.bindings.push((variable, term));
        self
    }

    /// The query with its parameters replaced by their values in the algebra, so that the
    /// optimizer plans with the constants (oxigraph's own substitution binds values after
    /// planning: a parameter that selects one release was joined last, 100 times slower).
    pub fn bound(self) -> Result<spargebra::Query, QueryError> {
        use spargebra::Query;
        let bindings = self.bindings;
        let bind = |pattern: GraphPattern| -> Result<GraphPattern, QueryError> {
            bindings
                .iter()
                .try_fold(pattern, |p, (v, t)| substitute::pattern(p, v, t.as_ref()))
                .map_err(QueryError::Evaluation)
        };
        Ok(match self.query {
            Query::Select {
                dataset,
                pattern,
                base_iri,
            } => Query::Select {
                dataset,
                pattern: bind(pattern)?,
                base_iri,
            },
            Query::Construct {
                template,
                dataset,
                pattern,
                base_iri,
            } => Query::Construct {
                template,
                dataset,
                pattern: bind(pattern)?,
                base_iri,
            },
            Query::Describe {
                dataset,
                pattern,
                base_iri,
            } => Query::Describe {
                dataset,
                pattern: bind(pattern)?,
                base_iri,
            },
            Query::Ask {
                dataset,
                pattern,
                base_iri,
            } => Query::Ask {
                dataset,
                pattern: bind(pattern)?,
                base_iri,
            },
        })
    }
}

/// Parses a query, refusing updates. `source_name` names the query in messages (the file, the
/// built-in, or "the query"). SERVICE cannot reach the network: oxigraph is built without its
/// HTTP client.
pub fn prepare(text: &str, source_name: &str) -> Result<Prepared, QueryError> {
    match spargebra::SparqlParser::new().parse_query(text) {
        Ok(query) => Ok(Prepared {
            query,
            bindings: Vec::new(),
        }),
        Err(error) => {
            if spargebra::SparqlParser::new().parse_update(text).is_ok() {
                Err(QueryError::Update {
                    source_name: source_name.to_owned(),
                })
            } else {
                Err(QueryError::Syntax {
                    source_name: source_name.to_owned(),
                    message: error.to_string(),
                })
            }
        }
    }
}

/// Evaluates `prepared` over `store` within `limits`.
pub fn evaluate(store: &Store, prepared: Prepared, limits: Limits) -> Result<Answer, QueryError> {
    let query = prepared.bound()?;
    let token = CancellationToken::new();
    let mut prepared = SparqlEvaluator::new()
        .with_cancellation_token(token.clone())
        .for_query(query);
    if prepared.dataset().is_default_dataset() {
        prepared.dataset_mut().set_default_graph_as_union();
    }
    match limits.timeout {
        None => collect(store, prepared, limits.max_results),
        // The answer is awaited at most `timeout`; then the evaluation is cancelled, which
        // takes effect at its next read of the store (a join over data already read runs on
        // until then, in its thread, without holding up the answer).
        Some(timeout) => {
            let (sender, receiver) = std::sync::mpsc::channel();
            let store = store.clone();
            let max_results = limits.max_results;
            std::thread::spawn(move || {
                let _ = sender.send(collect(&store, prepared, max_results));
            });
            match receiver.recv_timeout(timeout) {
                Ok(result) => result,
                Err(_) => {
                    token.cancel();
                    Err(QueryError::Timeout(timeout))
                }
            }
        }
    }
}

fn collect(
    store: &Store,
    query: PreparedSparqlQuery,
    max_results: Option<usize>,
) -> Result<Answer, QueryError> {
    let evaluation =
        |e: oxigraph::sparql::QueryEvaluationError| QueryError::Evaluation(e.to_string());
    let check = |n: usize| match max_results {
        Some(max) if n > max => Err(QueryError::TooManyResults(max)),
        _ => Ok(()),
    };
    let results = query.on_store(store).execute().map_err(evaluation)?;
    Ok(match results {
        QueryResults::Boolean(b) => Answer::Boolean(b),
        QueryResults::Solutions(solutions) => {
            let variables = solutions.variables().to_vec();
            let mut rows = Vec::new();
            for solution in solutions {
                rows.push(solution.map_err(evaluation)?);
                check(rows.len())?;
            }
            Answer::Solutions { variables, rows }
        }
        QueryResults::Graph(triples) => {
            let mut graph = Vec::new();
            for triple in triples {
                graph.push(triple.map_err(evaluation)?);
                check(graph.len())?;
            }
            Answer::Graph(graph)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::format::show;
    use super::*;
    use oxigraph::model::{GraphName, Quad};

    fn store() -> Store {
        let store = Store::new().unwrap();
        let ex = |s: &str| NamedNode::new(format!("http://example.org/{s}")).unwrap();
        let g = GraphName::NamedNode(ex("g"));
        for (s, o) in [("a", "x"), ("b", "y")] {
            store
                .insert(&Quad::new(ex(s), ex("p"), Literal::from(o), g.clone()))
                .unwrap();
        }
        store
    }

    fn rows(query: &str, bindings: &[(&str, Option<Term>)]) -> Vec<Vec<String>> {
        let mut prepared = prepare(query, "test").unwrap();
        for (name, term) in bindings {
            prepared = prepared.bind(Variable::new(*name).unwrap(), term.clone());
        }
        match evaluate(&store(), prepared, Limits::default()).unwrap() {
            Answer::Solutions { variables, rows } => rows
                .iter()
                .map(|r| {
                    variables
                        .iter()
                        .map(|v| r.get(v).map(show).unwrap_or_default())
                        .collect()
                })
                .collect(),
            _ => panic!("not a SELECT"),
        }
    }

    const Q: &str =
        "PREFIX ex: <http://example.org/> SELECT ?s ?o WHERE { ?s ex:p ?o } ORDER BY ?s";

    #[test]
    fn a_bound_value_selects_and_a_projected_parameter_shows_it() {
        let x = Some(Literal::from("x").into());
        assert_eq!(
            rows(Q, &[("o", x.clone())]),
            [["<http://example.org/a>", "x"]]
        );
        assert_eq!(
            rows(Q, &[]).len(),
            2,
            "the union default graph sees the named graph"
        );
    }

    #[test]
    fn a_left_out_parameter_is_unbound_and_prunes_its_branch() {
        let q = "PREFIX ex: <http://example.org/> SELECT ?s WHERE {
            { FILTER (BOUND(?want)) ?s ex:p ?want } UNION { FILTER (!BOUND(?want)) ?s ex:p ?any }
        } ORDER BY ?s";
        assert_eq!(rows(q, &[("want", None)]).len(), 2);
        let y = Some(Literal::from("y").into());
        assert_eq!(rows(q, &[("want", y)]), [["<http://example.org/b>"]]);
    }

    #[test]
    fn a_literal_where_only_an_iri_fits_is_refused() {
        let q = "SELECT ?s WHERE { ?s ?p ?o }";
        let prepared = prepare(q, "test")
            .unwrap()
            .bind(Variable::new("p").unwrap(), Some(Literal::from("x").into()));
        let error = evaluate(&store(), prepared, Limits::default())
            .err()
            .unwrap();
        assert!(error.to_string().contains("only an IRI fits"), "{error}");
    }

    #[test]
    fn updates_are_refused_and_syntax_errors_located() {
        assert!(matches!(
            prepare("INSERT DATA { <a:b> <a:c> <a:d> }", "q"),
            Err(QueryError::Update { .. })
        ));
        let Err(QueryError::Syntax { message, .. }) = prepare("SELECT * WHERE {\n ?s }", "q")
        else {
            panic!("a syntax error");
        };
        assert!(message.contains("2:"), "{message}");
    }
}
