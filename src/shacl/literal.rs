//! Value checks of the constraint components on single terms: node kinds, well-formed literals
//! (<https://www.w3.org/TR/shacl/#DatatypeConstraintComponent>) and patterns.

use super::*;

pub(super) fn node_kind_matches(kind: NamedNodeRef<'_>, value: &Term) -> bool {
    let (iri, blank, literal) = match value {
        Term::NamedNode(_) => (true, false, false),
        Term::BlankNode(_) => (false, true, false),
        Term::Literal(_) => (false, false, true),
        #[allow(unreachable_patterns)]
        _ => (false, false, false),
    };
    match local_name(kind.as_str()) {
        "IRI" => iri,
        "BlankNode" => blank,
        "Literal" => literal,
        "BlankNodeOrIRI" => blank || iri,
        "BlankNodeOrLiteral" => blank || literal,
        "IRIOrLiteral" => iri || literal,
        _ => false,
    }
}

/// Whether a literal's lexical form is valid for its datatype: an ill-formed literal never
/// conforms to `sh:datatype`. XSD's dates, times, durations, decimals and booleans are parsed
/// by oxsdatatypes (oxigraph's own); integers by range, without the 64-bit bound oxsdatatypes
/// has (`xsd:integer` has none); floats by XSD's lexical space, which Rust's (`inf`) is not.
/// Other datatypes pass.
pub(super) fn well_formed(literal: &Literal) -> bool {
    use oxsdatatypes::{
        Boolean, Date, DateTime, DayTimeDuration, Decimal, Duration, GDay, GMonth, GMonthDay,
        GYear, GYearMonth, Time, YearMonthDuration,
    };
    use std::str::FromStr;
    let v = literal.value();
    let Some(local) = literal
        .datatype()
        .as_str()
        .strip_prefix(crate::rdf::vocab::XSD)
    else {
        return true;
    };
    let integer = |min: i128, max: i128| -> bool {
        let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
        !digits.is_empty()
            && digits.bytes().all(|c| c.is_ascii_digit())
            && v.parse::<i128>().is_ok_and(|n| (min..=max).contains(&n))
    };
    match local {
        "integer" => integer(i128::MIN, i128::MAX),
        "long" => integer(i64::MIN.into(), i64::MAX.into()),
        "int" => integer(i32::MIN.into(), i32::MAX.into()),
        "short" => integer(i16::MIN.into(), i16::MAX.into()),
        "byte" => integer(i8::MIN.into(), i8::MAX.into()),
        "nonNegativeInteger" => integer(0, i128::MAX),
        "positiveInteger" => integer(1, i128::MAX),
        "nonPositiveInteger" => integer(i128::MIN, 0),
        "negativeInteger" => integer(i128::MIN, -1),
        "unsignedLong" => integer(0, u64::MAX.into()),
        "unsignedInt" => integer(0, u32::MAX.into()),
        "unsignedShort" => integer(0, u16::MAX.into()),
        "unsignedByte" => integer(0, u8::MAX.into()),
        "double" | "float" => {
            matches!(v, "INF" | "-INF" | "+INF" | "NaN")
                || v.parse::<f64>().is_ok() && !v.contains(['i', 'I', 'n', 'N'])
        }
        "decimal" => Decimal::from_str(v).is_ok(),
        "boolean" => Boolean::from_str(v).is_ok(),
        "dateTime" => DateTime::from_str(v).is_ok(),
        "date" => Date::from_str(v).is_ok(),
        "time" => Time::from_str(v).is_ok(),
        "gYear" => GYear::from_str(v).is_ok(),
        "gYearMonth" => GYearMonth::from_str(v).is_ok(),
        "gMonth" => GMonth::from_str(v).is_ok(),
        "gMonthDay" => GMonthDay::from_str(v).is_ok(),
        "gDay" => GDay::from_str(v).is_ok(),
        "duration" => Duration::from_str(v).is_ok(),
        "dayTimeDuration" => DayTimeDuration::from_str(v).is_ok(),
        "yearMonthDuration" => YearMonthDuration::from_str(v).is_ok(),
        _ => true,
    }
}

pub(super) fn lexical(value: &Term) -> Option<String> {
    match value {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        Term::Literal(l) => Some(l.value().to_owned()),
        _ => None,
    }
}

/// SHACL patterns are XPath regular expressions; `regex` covers the subset the shapes use.
pub(super) fn compile(pattern: &str, flags: &str) -> Result<Regex, String> {
    let mut prefix = String::new();
    for flag in flags.chars() {
        match flag {
            'i' | 'm' | 's' | 'x' => prefix.push(flag),
            'q' => return Regex::new(&regex::escape(pattern)).map_err(|e| e.to_string()),
            other => return Err(format!("unsupported regular expression flag {other:?}")),
        }
    }
    let full = if prefix.is_empty() {
        pattern.to_owned()
    } else {
        format!("(?{prefix}){pattern}")
    };
    Regex::new(&full).map_err(|e| format!("bad sh:pattern {pattern:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::well_formed;
    use oxigraph::model::{Literal, NamedNode};

    fn typed(value: &str, datatype: &str) -> Literal {
        let iri = format!("http://www.w3.org/2001/XMLSchema#{datatype}");
        Literal::new_typed_literal(value, NamedNode::new_unchecked(iri))
    }

    #[test]
    fn xsd_lexical_spaces() {
        for (value, datatype) in [
            ("2025-03-05T16:30:02Z", "dateTime"),
            // XSD makes the timezone optional.
            ("2025-03-05T16:30:02", "dateTime"),
            ("2025-03-05T16:30:02.250+01:00", "dateTime"),
            ("2025-03-05", "date"),
            ("2017", "gYear"),
            ("12.50", "decimal"),
            ("-INF", "double"),
            ("1", "boolean"),
            ("99999999999999999999999", "integer"),
            ("P1DT2H", "duration"),
        ] {
            assert!(well_formed(&typed(value, datatype)), "{value} {datatype}");
        }
        for (value, datatype) in [
            ("2025-03-05 16:30:02", "dateTime"),
            ("2025-02-30", "date"),
            ("1.2.3", "decimal"),
            ("inf", "double"),
            ("True", "boolean"),
            ("256", "unsignedByte"),
            ("1e3", "integer"),
        ] {
            assert!(!well_formed(&typed(value, datatype)), "{value} {datatype}");
        }
    }
}
