//! Answers written for people (an aligned table) and for programs (SPARQL results formats, RDF
//! serialisations), each format named once for the command line and the endpoint.

use super::*;

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
        ("xsd:", crate::rdf::vocab::XSD),
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

pub(super) fn show(term: &Term) -> String {
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
