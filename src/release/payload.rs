//! The files a release ships, found in the quarantine. Which versions ship was decided by
//! `identify.rq`; `queries/payload.rq` lists them with what the export promised about them.

use super::quarantine::{Quarantine, QuarantineError};
use crate::package::PayloadFile;
use crate::rdf::{frozen, select};
use oxigraph::sparql::PreparedSparqlQuery;

#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// The query, or a row it gave, is not what the payload list needs: a fault of the
    /// (possibly user-supplied) `payload.rq`, not of the export.
    #[error("queries/payload.rq: {0}")]
    Query(String),
    #[error(transparent)]
    Quarantine(#[from] QuarantineError),
}

impl PayloadError {
    pub fn is_refusal(&self) -> bool {
        matches!(self, PayloadError::Quarantine(q) if q.is_refusal())
    }
}

/// `queries/payload.rq`, parsed once for every shard.
pub fn prepare(query: &str) -> Result<PreparedSparqlQuery, PayloadError> {
    select::prepare(None, query).map_err(PayloadError::Query)
}

/// The files a source graph (after `identify.rq`) ships, each resolved inside the quarantine,
/// in crate path order.
pub fn payload(
    source: &frozen::Graph,
    base: &str,
    quarantine: &Quarantine,
    query: &PreparedSparqlQuery,
) -> Result<Vec<PayloadFile>, PayloadError> {
    let mut files = Vec::new();
    // Row by row: at 100,000 files the rows, collected, outweighed the files made of them.
    select::each_prepared_row(source, query.clone(), PayloadError::Query, |row| {
        let get = |name: &str| -> Result<String, PayloadError> {
            select::text(row.get(name))
                .ok_or_else(|| PayloadError::Query(format!("?{name} is unbound or not a literal")))
        };
        let entity = get("entity")?;
        let crate_path = entity
            .strip_prefix(base)
            .filter(|p| is_safe_crate_path(p))
            .ok_or_else(|| {
                PayloadError::Query(format!("{entity} is not a file path inside the crate"))
            })?
            .to_owned();
        let field = get("field")?;
        let path = get("path")?;
        let source_path = quarantine.resolve(&format!("{field}.path"), &path)?;
        files.push(PayloadFile {
            crate_path,
            source: source_path,
            field,
            object: get("object")?,
            version: get("version")?,
            sha256: get("sha256")?,
            size: get("size")?
                .parse()
                .map_err(|_| PayloadError::Query("?size is not an integer".into()))?,
            media_type: get("mediaType")?,
        });
        Ok(())
    })?;
    files.sort_by(|a, b| a.crate_path.cmp(&b.crate_path));
    Ok(files)
}

/// A crate-relative file path under `data/` that cannot leave the crate directory.
fn is_safe_crate_path(path: &str) -> bool {
    path.starts_with("data/")
        && path.split('/').all(|segment| {
            !segment.is_empty() && segment != "." && segment != ".." && !segment.contains('\\')
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn crate_paths_stay_under_data() {
        assert!(super::is_safe_crate_path("data/obj-001_v2.csv"));
        for path in [
            "data/../x",
            "x.csv",
            "data//x",
            "data/./x",
            "data/a\\b",
            "data/",
        ] {
            assert!(!super::is_safe_crate_path(path), "{path}");
        }
    }
}
