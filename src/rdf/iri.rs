//! A crate's entities as IRIs while they are RDF, and back as the `@id`s a crate user writes;
//! file paths as URI references and back (RFC 3986, section 2.1), one rule both ways.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What may stand unescaped in a name: RFC 3986's unreserved characters.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// A path keeps its `/` separators.
const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// `name` with every character outside the unreserved set percent-encoded (UTF-8 bytes):
/// safe in a URN, a path segment or a query.
pub fn encode_name(name: &str) -> String {
    utf8_percent_encode(name, UNRESERVED).to_string()
}

/// A relative file path as a URI reference (`outputs/a b.txt` is `outputs/a%20b.txt`).
pub fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

/// Whether `reference` is a valid URI reference (RFC 3986), as every `@id` must be.
pub fn is_reference(reference: &str) -> bool {
    oxiri::IriRef::parse(reference).is_ok()
}

/// `reference` with what may not stand in a URI reference percent-encoded (`a b.txt` is
/// `a%20b.txt`): how an @id of a file name should have been written.
pub fn escape_reference(reference: &str) -> String {
    const INVALID: &AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'<')
        .add(b'>')
        .add(b'\\')
        .add(b'^')
        .add(b'`')
        .add(b'{')
        .add(b'|')
        .add(b'}');
    utf8_percent_encode(reference, INVALID).to_string()
}

/// A URI reference's path as a file path: percent-decoded; `None` when the bytes it names are
/// not UTF-8. `%` not followed by two hex digits stays as it is.
pub fn decode_path(reference: &str) -> Option<String> {
    percent_decode_str(reference)
        .decode_utf8()
        .ok()
        .map(|p| p.into_owned())
}

/// The IRI the crate's relative `@id`s resolve against while it is RDF: an `arcp://name,`
/// IRI (draft-soilandreyes-arcp) unique to the crate, so releases never share entity IRIs.
pub fn crate_base(request_id: &str) -> String {
    format!("arcp://name,{request_id}/")
}

/// An IRI as a crate user writes it: relative to the crate root when inside it (`./`,
/// `data/x.csv`, `#approval`), absolute otherwise.
pub fn crate_relative(iri: &str, base: &str) -> String {
    match iri.strip_prefix(base) {
        Some("") => "./".to_owned(),
        Some(relative) => relative.to_owned(),
        None => iri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_through_uri_references() {
        for path in ["outputs/a b#1.txt", "données/é.csv", "a%b", "x/y?z"] {
            assert_eq!(decode_path(&encode_path(path)).as_deref(), Some(path));
        }
        assert_eq!(encode_path("outputs/a b#1.txt"), "outputs/a%20b%231.txt");
        assert_eq!(encode_name("run 1/x"), "run%201%2Fx");
        assert_eq!(decode_path("50%").as_deref(), Some("50%"));
        assert_eq!(decode_path("%FF"), None);
        assert!(!is_reference("pics/2017-06-11 12.56.14.jpg"));
        assert_eq!(
            escape_reference("pics/2017-06-11 12.56.14.jpg"),
            "pics/2017-06-11%2012.56.14.jpg"
        );
        assert!(is_reference(&escape_reference("a b{c}.txt")));
        // The same file both ways: the written name and the escaped @id.
        assert_eq!(
            decode_path(&escape_reference("a b.txt")).as_deref(),
            Some("a b.txt")
        );
    }

    #[test]
    fn iris_inside_the_crate_become_relative() {
        let base = crate_base("AR-1");
        assert_eq!(crate_relative(&base, &base), "./");
        assert_eq!(
            crate_relative(&format!("{base}#approval"), &base),
            "#approval"
        );
        assert_eq!(
            crate_relative(&format!("{base}data/x.csv"), &base),
            "data/x.csv"
        );
        assert_eq!(
            crate_relative("https://orcid.org/0000-0002-1825-0097", &base),
            "https://orcid.org/0000-0002-1825-0097"
        );
    }
}
