//! The auditors' library: each `queries/audit/*.rq` declares its parameters in its leading
//! comment; values are checked against their kind and bound in the algebra, never spliced.

use super::*;
use crate::assets::Asset;

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
