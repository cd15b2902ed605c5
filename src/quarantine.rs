//! Where approved files are read from: a quarantine directory whose root no export path may
//! leave, whether by `..`, an absolute path or a symbolic link.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum QuarantineError {
    #[error("quarantine root {}: {source}", root.display())]
    Root {
        root: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{field}: {path:?} not found in the quarantine ({})", root.display())]
    Missing {
        field: String,
        path: String,
        root: PathBuf,
    },
    #[error("{field}: {path:?} resolves to {}, outside the quarantine root {}", resolved.display(), root.display())]
    Escapes {
        field: String,
        path: String,
        resolved: PathBuf,
        root: PathBuf,
    },
    #[error("{field}: {path:?} is not a regular file")]
    NotAFile { field: String, path: String },
}

/// A local quarantine directory.
#[derive(Debug, Clone)]
pub struct Quarantine {
    root: PathBuf,
}

impl Quarantine {
    pub fn open(root: &Path) -> Result<Self, QuarantineError> {
        let root = root
            .canonicalize()
            .map_err(|source| QuarantineError::Root {
                root: root.to_owned(),
                source,
            })?;
        Ok(Quarantine { root })
    }

    /// The real location of `path`, after following every symbolic link, provided it stays
    /// inside the root. `field` names the export field in errors.
    pub fn resolve(&self, field: &str, path: &str) -> Result<PathBuf, QuarantineError> {
        let candidate = self.root.join(path);
        let resolved = candidate
            .canonicalize()
            .map_err(|_| QuarantineError::Missing {
                field: field.to_owned(),
                path: path.to_owned(),
                root: self.root.clone(),
            })?;
        if !resolved.starts_with(&self.root) {
            return Err(QuarantineError::Escapes {
                field: field.to_owned(),
                path: path.to_owned(),
                resolved,
                root: self.root.clone(),
            });
        }
        if !resolved.is_file() {
            return Err(QuarantineError::NotAFile {
                field: field.to_owned(),
                path: path.to_owned(),
            });
        }
        Ok(resolved)
    }
}
