//! How a result reads in a finding: severity, message placeholders, and terms shortened for
//! people (<https://www.w3.org/TR/shacl/#results-validation-result>).

use super::*;

/// RO-Crate's MUST / SHOULD / MAY map onto SHACL's Violation / Warning / Info.
pub(super) fn severity(term: Option<&Term>) -> Level {
    match term {
        Some(Term::NamedNode(n)) if n.as_str() == format!("{SH}Warning") => Level::Recommended,
        Some(Term::NamedNode(n)) if n.as_str() == format!("{SH}Info") => Level::Optional,
        _ => Level::Required,
    }
}

/// `{?var}` and `{$var}` placeholders in SHACL-SPARQL messages.
pub(super) fn substitute(message: &str, row: &HashMap<String, Term>) -> String {
    let mut out = message.to_owned();
    for (name, term) in row {
        let text = match term {
            Term::Literal(l) => l.value().to_owned(),
            other => display_term(other),
        };
        out = out
            .replace(&format!("{{?{name}}}"), &text)
            .replace(&format!("{{${name}}}"), &text);
    }
    out
}

pub(super) fn local_name(iri: &str) -> &str {
    iri.rsplit(['#', '/']).next().unwrap_or(iri)
}

pub(super) fn display_term(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => n.as_str().to_owned(),
        Term::Literal(l) => l.value().to_owned(),
        other => other.to_string(),
    }
}

/// Well-known namespaces shortened in reports.
pub(super) fn compact(iri: &str) -> String {
    for (prefix, ns) in crate::rdf::vocab::DISPLAY_PREFIXES {
        if let Some(local) = iri.strip_prefix(ns) {
            return format!("{prefix}{local}");
        }
    }
    iri.to_owned()
}
