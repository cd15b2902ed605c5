//! `trecrate query` and the SPARQL endpoint: read-only SPARQL over the archive, and the
//! auditors' library of built-in queries (`queries/audit/*.rq`).
//!
//! The default graph is the union of every archived graph (all releases and their records);
//! `GRAPH ?release { ... }` keeps one crate version apart from the others.
//!
//! A built-in query declares its parameters in its leading comment; values given with
//! `--param name=value` are checked against the declared kind and bound to the variable
//! `?name` before evaluation, never spliced into the query text.

use crate::assets::Asset;
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
        !matches!(self, QueryError::Io(_))
    }
}

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal (Turtle for graphs).
    Table,
    Csv,
    Tsv,
    Json,
    Xml,
    Turtle,
    NTriples,
    JsonLd,
}

impl Format {
    /// Every format, as `--format` names them.
    pub const ALL: [Format; 8] = [
        Format::Table,
        Format::Csv,
        Format::Tsv,
        Format::Json,
        Format::Xml,
        Format::Turtle,
        Format::NTriples,
        Format::JsonLd,
    ];

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Json => "json",
            Format::Xml => "xml",
            Format::Turtle => "turtle",
            Format::NTriples => "ntriples",
            Format::JsonLd => "jsonld",
        }
    }

    fn results(self) -> Option<QueryResultsFormat> {
        match self {
            Format::Csv => Some(QueryResultsFormat::Csv),
            Format::Tsv => Some(QueryResultsFormat::Tsv),
            Format::Json => Some(QueryResultsFormat::Json),
            Format::Xml => Some(QueryResultsFormat::Xml),
            _ => None,
        }
    }

    fn graph(self) -> Option<RdfFormat> {
        match self {
            Format::Table | Format::Turtle => Some(RdfFormat::Turtle),
            Format::NTriples => Some(RdfFormat::NTriples),
            Format::JsonLd => Some(RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            }),
            _ => None,
        }
    }

    /// The media type written, for HTTP responses.
    pub fn media_type(self) -> &'static str {
        match (self.results(), self.graph()) {
            (Some(f), _) => f.media_type(),
            (None, Some(_)) if self == Format::Table => "text/plain; charset=utf-8",
            (None, Some(f)) => f.media_type(),
            (None, None) => "application/octet-stream",
        }
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

impl Answer {
    pub fn kind(&self) -> &'static str {
        match self {
            Answer::Solutions { .. } => "SELECT results",
            Answer::Boolean(_) => "an ASK result",
            Answer::Graph(_) => "a graph (CONSTRUCT or DESCRIBE)",
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

/// Writes `answer` in `format`.
pub fn write(answer: &Answer, format: Format, out: &mut dyn Write) -> Result<(), QueryError> {
    let mismatch = |hint| QueryError::Format {
        format: format.name(),
        kind: answer.kind(),
        hint,
    };
    match answer {
        Answer::Solutions { variables, rows } => {
            if format == Format::Table {
                return Ok(out.write_all(table(variables, rows).as_bytes())?);
            }
            let results = format
                .results()
                .ok_or_else(|| mismatch("table, csv, tsv, json or xml"))?;
            let mut serializer = QueryResultsSerializer::from_format(results)
                .serialize_solutions_to_writer(out, variables.clone())?;
            for row in rows {
                serializer.serialize(row)?;
            }
            serializer.finish()?;
        }
        Answer::Boolean(value) => {
            if format == Format::Table {
                return Ok(writeln!(out, "{value}")?);
            }
            let results = format
                .results()
                .ok_or_else(|| mismatch("table, json, xml, csv or tsv"))?;
            QueryResultsSerializer::from_format(results)
                .serialize_boolean_to_writer(out, *value)?;
        }
        Answer::Graph(triples) => {
            let rdf = format
                .graph()
                .ok_or_else(|| mismatch("turtle, ntriples or jsonld"))?;
            let mut serializer = RdfSerializer::from_format(rdf);
            for (prefix, iri) in display_prefixes() {
                serializer = serializer
                    .with_prefix(prefix.trim_end_matches(':'), iri)
                    .map_err(|e| QueryError::Evaluation(e.to_string()))?;
            }
            let mut writer = serializer.for_writer(out);
            for triple in triples {
                writer.serialize_triple(triple)?;
            }
            writer.finish()?;
        }
    }
    Ok(())
}

fn display_prefixes() -> impl Iterator<Item = (&'static str, &'static str)> {
    DISPLAY_PREFIXES.into_iter().chain([
        ("trecrate:", crate::rdf::vocab::ARCHIVE),
        ("xsd:", "http://www.w3.org/2001/XMLSchema#"),
    ])
}

/// Rows as aligned columns: IRIs shortened by the display prefixes or in `<>`, literals as
/// their text, unbound values empty.
fn table(variables: &[Variable], rows: &[QuerySolution]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            variables
                .iter()
                .map(|v| row.get(v).map(show).unwrap_or_default())
                .collect()
        })
        .collect();
    let headers: Vec<String> = variables.iter().map(|v| v.as_str().to_owned()).collect();
    let widths: Vec<usize> = (0..variables.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([headers[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |values: &[String]| {
        let mut text = String::new();
        for (i, value) in values.iter().enumerate() {
            if i + 1 == values.len() {
                text.push_str(value);
            } else {
                text.push_str(value);
                text.extend(std::iter::repeat_n(
                    ' ',
                    widths[i] - value.chars().count() + 2,
                ));
            }
        }
        text.truncate(text.trim_end().len());
        text.push('\n');
        text
    };
    let mut text = line(&headers);
    text.push_str(&line(
        &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(),
    ));
    for row in &cells {
        text.push_str(&line(row));
    }
    text.push_str(&format!(
        "({} row{})\n",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    ));
    text
}

fn show(term: &Term) -> String {
    let text = match term {
        Term::NamedNode(n) => display_prefixes()
            .find_map(|(prefix, iri)| {
                n.as_str()
                    .strip_prefix(iri)
                    .filter(|local| !local.is_empty() && !local.contains(['/', '#']))
                    .map(|local| format!("{prefix}{local}"))
            })
            .unwrap_or_else(|| format!("<{}>", n.as_str())),
        Term::BlankNode(b) => b.to_string(),
        Term::Literal(l) => match l.language() {
            Some(language) => format!("{:?}@{language}", l.value()),
            None => l.value().to_owned(),
        },
    };
    text.replace('\n', "\\n").replace('\t', "\\t")
}

/// One query of the auditors' library.
#[derive(Debug, Clone)]
pub struct Builtin {
    /// The file name without `.rq`.
    pub name: String,
    /// The first paragraph of the leading comment: what the query answers.
    pub summary: String,
    pub params: Vec<Param>,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub kind: Kind,
    pub optional: bool,
    pub doc: String,
}

/// What a parameter's value must look like, and the RDF term it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any text: a plain literal.
    String,
    /// Hexadecimal digits, compared lower-case: a plain literal.
    Hex,
    /// An absolute IRI.
    Iri,
    /// `YYYY-MM-DD`: an `xsd:date`.
    Date,
    /// An `xsd:integer`.
    Integer,
}

impl Kind {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "string" => Kind::String,
            "hex" => Kind::Hex,
            "iri" => Kind::Iri,
            "date" => Kind::Date,
            "integer" => Kind::Integer,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Hex => "hex",
            Kind::Iri => "iri",
            Kind::Date => "date",
            Kind::Integer => "integer",
        }
    }

    fn term(self, value: &str) -> Result<Term, String> {
        Ok(match self {
            Kind::String => Literal::new_simple_literal(value).into(),
            Kind::Hex => {
                if value.is_empty() || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(format!("{value:?} is not hexadecimal"));
                }
                Literal::new_simple_literal(value.to_ascii_lowercase()).into()
            }
            Kind::Iri => NamedNode::new(value)
                .map_err(|e| format!("{value:?} is not an absolute IRI: {e}"))?
                .into(),
            Kind::Date => {
                let ok = value.len() == 10
                    && value.bytes().enumerate().all(|(i, b)| match i {
                        4 | 7 => b == b'-',
                        _ => b.is_ascii_digit(),
                    })
                    && matches!(value[5..7].parse::<u8>(), Ok(1..=12))
                    && matches!(value[8..10].parse::<u8>(), Ok(1..=31));
                if !ok {
                    return Err(format!("{value:?} is not a date YYYY-MM-DD"));
                }
                Literal::new_typed_literal(value, xsd::DATE).into()
            }
            Kind::Integer => {
                let n: i64 = value
                    .parse()
                    .map_err(|_| format!("{value:?} is not an integer"))?;
                Literal::from(n).into()
            }
        })
    }
}

impl Builtin {
    /// Reads the header comment of `queries/audit/NAME.rq`:
    ///
    /// ```text
    /// # What the query answers (first paragraph).
    /// #
    /// # Parameters:
    /// #   name  kind[?]  what it is (`?` marks an optional parameter)
    /// ```
    pub fn parse(asset: &Asset) -> Result<Self, QueryError> {
        let name = asset
            .name
            .rsplit('/')
            .next()
            .unwrap_or(&asset.name)
            .trim_end_matches(".rq")
            .to_owned();
        let comments: Vec<&str> = asset
            .text
            .lines()
            .map_while(|l| l.strip_prefix('#'))
            .map(str::trim)
            .collect();
        let summary = comments
            .iter()
            .take_while(|l| !l.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let mut params = Vec::new();
        let declared = comments.iter().skip_while(|l| **l != "Parameters:").skip(1);
        for line in declared.take_while(|l| !l.is_empty()) {
            let mut words = line.split_whitespace();
            let (Some(param), Some(kind)) = (words.next(), words.next()) else {
                continue;
            };
            let optional = kind.ends_with('?');
            let kind =
                Kind::parse(kind.trim_end_matches('?')).ok_or_else(|| QueryError::Param {
                    builtin: asset.name.clone(),
                    message: format!(
                    "parameter {param} has unknown kind {kind:?} (string, hex, iri, date, integer)"
                ),
                })?;
            params.push(Param {
                name: param.to_owned(),
                kind,
                optional,
                doc: words.collect::<Vec<_>>().join(" "),
            });
        }
        Ok(Builtin {
            name,
            summary,
            params,
            text: asset.text.clone(),
        })
    }

    /// Checks `--param name=value` pairs against the declaration; the terms to bind.
    pub fn bind(
        &self,
        given: &[(String, String)],
    ) -> Result<Vec<(Variable, Option<Term>)>, QueryError> {
        let error = |message: String| QueryError::Param {
            builtin: self.name.clone(),
            message,
        };
        let mut bindings: Vec<(Variable, Option<Term>)> = Vec::new();
        for (name, value) in given {
            let param = self
                .params
                .iter()
                .find(|p| p.name == *name)
                .ok_or_else(|| {
                    error(format!(
                        "no parameter {name:?}; this query takes: {}",
                        self.usage()
                    ))
                })?;
            if bindings.iter().any(|(v, _)| v.as_str() == name) {
                return Err(error(format!("parameter {name} given twice")));
            }
            let term = param
                .kind
                .term(value)
                .map_err(|m| error(format!("parameter {name}: {m}")))?;
            bindings.push((Variable::new_unchecked(name.clone()), Some(term)));
        }
        for param in &self.params {
            let missing = !given.iter().any(|(n, _)| *n == param.name);
            if missing && param.optional {
                bindings.push((Variable::new_unchecked(param.name.clone()), None));
            } else if missing {
                return Err(error(format!(
                    "missing --param {}=VALUE ({}: {})",
                    param.name,
                    param.kind.name(),
                    param.doc
                )));
            }
        }
        Ok(bindings)
    }

    /// The parameters in one line, e.g. `sha256=<hex> [from=<date>]`.
    pub fn usage(&self) -> String {
        if self.params.is_empty() {
            return "no parameters".into();
        }
        self.params
            .iter()
            .map(|p| {
                let text = format!("{}=<{}>", p.name, p.kind.name());
                if p.optional {
                    format!("[{text}]")
                } else {
                    text
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Parses the library, its `tre:` terms in `tre_namespace`; a malformed header is an error
/// naming the file.
pub fn builtins(assets: &[Asset], tre_namespace: &str) -> Result<Vec<Builtin>, QueryError> {
    assets
        .iter()
        .map(|asset| {
            let mut builtin = Builtin::parse(asset)?;
            builtin.text =
                crate::rdf::vocab::in_tre_namespace(&builtin.text, tre_namespace).into_owned();
            Ok(builtin)
        })
        .collect()
}

/// Prepares the built-in `name` with `params` bound.
pub fn prepare_builtin(
    builtins: &[Builtin],
    name: &str,
    params: &[(String, String)],
) -> Result<Prepared, QueryError> {
    let builtin =
        builtins
            .iter()
            .find(|b| b.name == name)
            .ok_or_else(|| QueryError::UnknownBuiltin {
                name: name.to_owned(),
                known: builtins
                    .iter()
                    .map(|b| b.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
    let bindings = builtin.bind(params)?;
    let mut prepared = prepare(&builtin.text, &format!("queries/audit/{name}.rq"))?;
    for (variable, term) in bindings {
        prepared = prepared.bind(variable, term);
    }
    Ok(prepared)
}

/// Replacing a variable by a constant throughout a query's algebra, or, for a parameter left
/// out (`None`), only `BOUND(?v)` by `false`; then a FILTER that became constantly false
/// prunes its branch, so an alternative written for the other case costs nothing.
mod substitute {
    use oxigraph::model::vocab::xsd;
    use oxigraph::model::{Term, Variable};
    use spargebra::algebra::{AggregateExpression, Expression, GraphPattern, OrderExpression};
    use spargebra::term::{NamedNodePattern, TermPattern, TriplePattern};

    type Result<T> = std::result::Result<T, String>;

    pub fn pattern(p: GraphPattern, v: &Variable, t: Option<&Term>) -> Result<GraphPattern> {
        let sub = |p: Box<GraphPattern>| pattern(*p, v, t).map(Box::new);
        let expr = |e: Expression| expression(e, v, t);
        Ok(match p {
            GraphPattern::Bgp { patterns } => GraphPattern::Bgp {
                patterns: patterns
                    .into_iter()
                    .map(|tp| triple(tp, v, t))
                    .collect::<Result<_>>()?,
            },
            GraphPattern::Path {
                subject,
                path,
                object,
            } => GraphPattern::Path {
                subject: term(subject, v, t),
                path,
                object: term(object, v, t),
            },
            GraphPattern::Join { left, right } => GraphPattern::Join {
                left: sub(left)?,
                right: sub(right)?,
            },
            GraphPattern::LeftJoin {
                left,
                right,
                expression,
            } => GraphPattern::LeftJoin {
                left: sub(left)?,
                right: sub(right)?,
                expression: expression.map(expr),
            },
            GraphPattern::Lateral { left, right } => GraphPattern::Lateral {
                left: sub(left)?,
                right: sub(right)?,
            },
            GraphPattern::Filter { expr: e, inner } => match expr(e) {
                e if is_false(&e) => GraphPattern::Values {
                    variables: Vec::new(),
                    bindings: Vec::new(),
                },
                e => GraphPattern::Filter {
                    expr: e,
                    inner: sub(inner)?,
                },
            },
            GraphPattern::Union { left, right } => GraphPattern::Union {
                left: sub(left)?,
                right: sub(right)?,
            },
            GraphPattern::Graph { name, inner } => GraphPattern::Graph {
                name: named(name, v, t)?,
                inner: sub(inner)?,
            },
            GraphPattern::Extend {
                inner,
                variable,
                expression,
            } => GraphPattern::Extend {
                inner: sub(inner)?,
                variable,
                expression: expr(expression),
            },
            GraphPattern::Minus { left, right } => GraphPattern::Minus {
                left: sub(left)?,
                right: sub(right)?,
            },
            values @ GraphPattern::Values { .. } => values,
            GraphPattern::OrderBy { inner, expression } => GraphPattern::OrderBy {
                inner: sub(inner)?,
                expression: expression
                    .into_iter()
                    .map(|o| match o {
                        OrderExpression::Asc(e) => OrderExpression::Asc(expr(e)),
                        OrderExpression::Desc(e) => OrderExpression::Desc(expr(e)),
                    })
                    .collect(),
            },
            GraphPattern::Project { inner, variables } => {
                let mut inner = sub(inner)?;
                if let (true, Some(t)) = (variables.contains(v), t) {
                    // A projected parameter still shows, with its value.
                    inner = Box::new(GraphPattern::Extend {
                        inner,
                        variable: v.clone(),
                        expression: constant(t),
                    });
                }
                GraphPattern::Project { inner, variables }
            }
            GraphPattern::Distinct { inner } => GraphPattern::Distinct { inner: sub(inner)? },
            GraphPattern::Reduced { inner } => GraphPattern::Reduced { inner: sub(inner)? },
            GraphPattern::Slice {
                inner,
                start,
                length,
            } => GraphPattern::Slice {
                inner: sub(inner)?,
                start,
                length,
            },
            GraphPattern::Group {
                inner,
                variables,
                aggregates,
            } => GraphPattern::Group {
                inner: sub(inner)?,
                variables: variables
                    .into_iter()
                    .filter(|x| x != v || t.is_none())
                    .collect(),
                aggregates: aggregates
                    .into_iter()
                    .map(|(x, a)| {
                        let a = match a {
                            AggregateExpression::FunctionCall {
                                name,
                                expr: e,
                                distinct,
                            } => AggregateExpression::FunctionCall {
                                name,
                                expr: expr(e),
                                distinct,
                            },
                            count => count,
                        };
                        (x, a)
                    })
                    .collect(),
            },
            GraphPattern::Service {
                name,
                inner,
                silent,
            } => GraphPattern::Service {
                name: named(name, v, t)?,
                inner: sub(inner)?,
                silent,
            },
        })
    }

    fn constant(t: &Term) -> Expression {
        match t {
            Term::NamedNode(n) => Expression::NamedNode(n.clone()),
            Term::Literal(l) => Expression::Literal(l.clone()),
            Term::BlankNode(_) => unreachable!("parameters are never blank nodes"),
        }
    }

    fn is_false(e: &Expression) -> bool {
        match e {
            Expression::Literal(l) => l.value() == "false" && l.datatype() == xsd::BOOLEAN,
            Expression::Not(inner) => {
                matches!(&**inner, Expression::Literal(l) if l.value() == "true" && l.datatype() == xsd::BOOLEAN)
            }
            Expression::And(a, b) => is_false(a) || is_false(b),
            _ => false,
        }
    }

    fn expression(e: Expression, v: &Variable, t: Option<&Term>) -> Expression {
        let sub = |e: Box<Expression>| Box::new(expression(*e, v, t));
        let all = |es: Vec<Expression>| es.into_iter().map(|e| expression(e, v, t)).collect();
        match e {
            Expression::Variable(x) if x == *v && t.is_some() => constant(t.expect("checked")),
            Expression::Bound(x) if x == *v => Expression::Literal(t.is_some().into()),
            Expression::Or(a, b) => Expression::Or(sub(a), sub(b)),
            Expression::And(a, b) => Expression::And(sub(a), sub(b)),
            Expression::Equal(a, b) => Expression::Equal(sub(a), sub(b)),
            Expression::SameTerm(a, b) => Expression::SameTerm(sub(a), sub(b)),
            Expression::Greater(a, b) => Expression::Greater(sub(a), sub(b)),
            Expression::GreaterOrEqual(a, b) => Expression::GreaterOrEqual(sub(a), sub(b)),
            Expression::Less(a, b) => Expression::Less(sub(a), sub(b)),
            Expression::LessOrEqual(a, b) => Expression::LessOrEqual(sub(a), sub(b)),
            Expression::In(a, b) => Expression::In(sub(a), all(b)),
            Expression::Add(a, b) => Expression::Add(sub(a), sub(b)),
            Expression::Subtract(a, b) => Expression::Subtract(sub(a), sub(b)),
            Expression::Multiply(a, b) => Expression::Multiply(sub(a), sub(b)),
            Expression::Divide(a, b) => Expression::Divide(sub(a), sub(b)),
            Expression::UnaryPlus(a) => Expression::UnaryPlus(sub(a)),
            Expression::UnaryMinus(a) => Expression::UnaryMinus(sub(a)),
            Expression::Not(a) => Expression::Not(sub(a)),
            // A parameter in an IRI-only position inside EXISTS leaves that EXISTS as written.
            Expression::Exists(p) => match pattern(*p.clone(), v, t) {
                Ok(bound) => Expression::Exists(Box::new(bound)),
                Err(_) => Expression::Exists(p),
            },
            Expression::If(a, b, c) => Expression::If(sub(a), sub(b), sub(c)),
            Expression::Coalesce(es) => Expression::Coalesce(all(es)),
            Expression::FunctionCall(f, es) => Expression::FunctionCall(f, all(es)),
            other => other,
        }
    }

    fn triple(tp: TriplePattern, v: &Variable, t: Option<&Term>) -> Result<TriplePattern> {
        Ok(TriplePattern {
            subject: term(tp.subject, v, t),
            predicate: named(tp.predicate, v, t)?,
            object: term(tp.object, v, t),
        })
    }

    fn term(p: TermPattern, v: &Variable, t: Option<&Term>) -> TermPattern {
        let Some(t) = t else { return p };
        match p {
            TermPattern::Variable(x) if x == *v => match t {
                Term::NamedNode(n) => TermPattern::NamedNode(n.clone()),
                Term::Literal(l) => TermPattern::Literal(l.clone()),
                Term::BlankNode(b) => TermPattern::BlankNode(b.clone()),
            },
            other => other,
        }
    }

    fn named(p: NamedNodePattern, v: &Variable, t: Option<&Term>) -> Result<NamedNodePattern> {
        let Some(t) = t else { return Ok(p) };
        match p {
            NamedNodePattern::Variable(x) if x == *v => match t {
                Term::NamedNode(n) => Ok(NamedNodePattern::NamedNode(n.clone())),
                _ => Err(format!(
                    "parameter {v} stands where only an IRI fits (a predicate or graph name); declare it as iri"
                )),
            },
            other => Ok(other),
        }
    }
}

#[cfg(test)]
mod tests {
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
