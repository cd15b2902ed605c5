//! IRIs the pipeline names in Rust. Everything else lives in the `.rq` and `.ttl` files.

/// The source vocabulary: a one-to-one RDF mirror of the `trevor-release/1` export.
pub const EXPORT: &str = "https://karectl.example/trevor/export#";
/// ADR-0004 section 5's `tre:` namespace; the CONSTRUCT queries write it, and
/// the mapping stage (`shape::rename_namespace`) moves it when the operator configures another one
/// (for validate, ingest and query: [`in_tre_namespace`]).
pub const TRE: &str = "https://karectl.example/trevor/context#";
/// The source vocabulary of `run-crate`: facts read from a workflow run directory.
pub const RUN: &str = "https://w3id.org/trecrate/run#";
/// What `validate` observed of a crate's payload (files, sizes, digests), which
/// `shapes/payload.ttl` checks against the metadata.
pub const PAYLOAD_FACTS: &str = "https://w3id.org/trecrate/payload#";
/// What `validate` observed of a bagged crate's bag (RFC 8493), which `shapes/bagit.ttl` checks.
pub const BAG_FACTS: &str = "https://w3id.org/trecrate/bagit#";
/// Terms of the archive's release records (`trecrate:`), see the `archive` module.
pub const ARCHIVE: &str = "https://w3id.org/trecrate/archive#";
/// Terms of trecrate's own in validation reports (`trecrate:check`).
pub const REPORT: &str = "https://w3id.org/trecrate/ns#";
/// The named graph holding one record per archived crate version.
pub const RECORDS: &str = "urn:trecrate:records";
/// The identifier release crates declare in their root's `conformsTo`.
pub const RELEASE_PROFILE: &str = "https://w3id.org/trecrate/profiles/release/1.0";
pub const SCHEMA: &str = "http://schema.org/";
pub const DCT: &str = "http://purl.org/dc/terms/";
pub const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
pub const SH: &str = "http://www.w3.org/ns/shacl#";
/// RO-Crate 1.1's context URL, the first entry of every `@context` trecrate writes.
pub const RO_CRATE_1_1_CONTEXT: &str = "https://w3id.org/ro/crate/1.1/context";
pub const RO_CRATE_1_2_CONTEXT: &str = "https://w3id.org/ro/crate/1.2/context";
pub const RO_CRATE_1_3_CONTEXT: &str = "https://w3id.org/ro/crate/1.3/context";
/// The versions of RO-Crate `release` writes (`--ro-crate-version`). What differs between them
/// is data: each has its context document, and `queries/release/VERSION/` holds the queries that
/// replace the base mapping's (applied in order, so 1.3 inherits 1.2's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum RoCrateVersion {
    /// ADR-0004's choice, the default.
    #[default]
    V1_1,
    V1_2,
    V1_3,
}

impl RoCrateVersion {
    pub const ALL: [RoCrateVersion; 3] = [
        RoCrateVersion::V1_1,
        RoCrateVersion::V1_2,
        RoCrateVersion::V1_3,
    ];

    /// `1.2`, as the option takes it and the specification's URLs name it.
    pub fn as_str(self) -> &'static str {
        match self {
            RoCrateVersion::V1_1 => "1.1",
            RoCrateVersion::V1_2 => "1.2",
            RoCrateVersion::V1_3 => "1.3",
        }
    }

    /// Its profile token in the manifest (`ro-crate-1.2`).
    pub fn token(self) -> &'static str {
        match self {
            RoCrateVersion::V1_1 => "ro-crate-1.1",
            RoCrateVersion::V1_2 => "ro-crate-1.2",
            RoCrateVersion::V1_3 => "ro-crate-1.3",
        }
    }

    pub fn context_url(self) -> &'static str {
        match self {
            RoCrateVersion::V1_1 => RO_CRATE_1_1_CONTEXT,
            RoCrateVersion::V1_2 => RO_CRATE_1_2_CONTEXT,
            RoCrateVersion::V1_3 => RO_CRATE_1_3_CONTEXT,
        }
    }

    /// The bundled context document's file name under `context/`.
    pub fn context_file(self) -> &'static str {
        match self {
            RoCrateVersion::V1_1 => "ro-crate-1.1.jsonld",
            RoCrateVersion::V1_2 => "ro-crate-1.2.jsonld",
            RoCrateVersion::V1_3 => "ro-crate-1.3.jsonld",
        }
    }

    /// The versions after 1.1 up to this one: the query folders that override the base
    /// mapping, in the order they apply.
    pub fn overrides(self) -> impl Iterator<Item = RoCrateVersion> {
        RoCrateVersion::ALL
            .into_iter()
            .filter(move |v| *v > RoCrateVersion::V1_1 && *v <= self)
    }
}

impl std::fmt::Display for RoCrateVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RoCrateVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        RoCrateVersion::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a version trecrate writes (1.1, 1.2 or 1.3)"))
    }
}

/// The contexts a run crate names after RO-Crate 1.1's (ro-terms workflow-run and sapporo).
pub const WORKFLOW_RUN_CONTEXT: &str = "https://w3id.org/ro/terms/workflow-run/context";
pub const SAPPORO_CONTEXT: &str = "https://w3id.org/ro/terms/sapporo";

/// Prefixes findings use to show property IRIs (`schema:name`); reports expand them back.
pub const DISPLAY_PREFIXES: [(&str, &str); 4] = [
    ("schema:", SCHEMA),
    ("dct:", DCT),
    ("rdf:", RDF),
    ("tre:", TRE),
];

/// A query or shapes document of trecrate's, read in the TRE's `tre:` namespace. They are all
/// written in [`TRE`], whose IRI appears in them only as that namespace; a TRE that configured
/// another one gets its releases checked, ingested and queried in the terms they carry.
pub fn in_tre_namespace<'a>(text: &'a str, namespace: &str) -> std::borrow::Cow<'a, str> {
    if namespace == TRE {
        text.into()
    } else {
        text.replace(TRE, namespace).into()
    }
}

/// `iri` moved from [`TRE`] to the TRE's `namespace`, if it is a term of [`TRE`] and the TRE
/// configured another namespace: the mapping always writes [`TRE`], and what leaves trecrate
/// (the metadata, the archive's graph) carries the TRE's own.
pub fn moved_to_namespace(iri: &str, namespace: &str) -> Option<String> {
    match iri.strip_prefix(TRE) {
        Some(local) if namespace != TRE => Some(format!("{namespace}{local}")),
        _ => None,
    }
}

/// Why `namespace` cannot be the `tre:` namespace, if it cannot: it must be an absolute IRI
/// ending with `#` or `/`, so that the terms are the namespace and a local name.
pub fn check_tre_namespace(namespace: &str) -> Result<(), String> {
    if oxigraph::model::NamedNode::new(namespace).is_err()
        || !(namespace.ends_with('#') || namespace.ends_with('/'))
    {
        return Err(format!(
            "{namespace:?} must be an absolute IRI ending with '#' or '/'"
        ));
    }
    Ok(())
}
