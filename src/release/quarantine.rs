//! Where approved files are read from: a quarantine directory whose root no export path may
//! leave, whether by `..`, an absolute path or a symbolic link; or a bucket prefix whose keys
//! the export's paths are, relative to it.

use crate::storage::{BucketUrl, Location};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum QuarantineError {
    #[error("quarantine root {}: cannot open it", root.display())]
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
    #[error(
        "{field}: {path:?} is not a plain relative path, so it could name a key outside {prefix}"
    )]
    UnsafeKey {
        field: String,
        path: String,
        prefix: String,
    },
    #[error("{field}: {path:?} is not a regular file")]
    NotAFile { field: String, path: String },
    /// A fifo, socket or device where an approved file should be: the quarantine's fault,
    /// not the export's, and never opened, since reading it could block forever.
    #[error("{field}: {path:?} in the quarantine is not a regular file (a fifo, socket or device); it was not read")]
    Special { field: String, path: String },
}

impl QuarantineError {
    /// A path of the export that is missing or unsafe is the export's fault; a quarantine
    /// root that cannot be opened is the invocation's (README: exit 2).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            QuarantineError::Root { .. } | QuarantineError::Special { .. }
        )
    }
}

/// A local quarantine directory, or a bucket prefix.
#[derive(Debug, Clone)]
pub enum Quarantine {
    Dir { root: PathBuf },
    Bucket(BucketUrl),
}

impl Quarantine {
    pub fn open(location: &Location) -> Result<Self, QuarantineError> {
        let root = match location {
            Location::Bucket(url) => return Ok(Quarantine::Bucket(url.clone())),
            Location::Dir(root) => root,
        };
        let root = root
            .canonicalize()
            .map_err(|source| QuarantineError::Root {
                root: root.to_owned(),
                source,
            })?;
        Ok(Quarantine::Dir { root })
    }

    /// Where the bytes of `path` are: a file's real location, or in a bucket the object's key,
    /// fetched later. `field` names the export field in errors.
    pub fn resolve(&self, field: &str, path: &str) -> Result<PathBuf, QuarantineError> {
        match self {
            Quarantine::Dir { root } => resolve_in(root, field, path),
            Quarantine::Bucket(url) => {
                url.key(path)
                    .map(PathBuf::from)
                    .ok_or_else(|| QuarantineError::UnsafeKey {
                        field: field.to_owned(),
                        path: path.to_owned(),
                        prefix: url.to_string(),
                    })
            }
        }
    }
}

/// The real location of `path`, after following every symbolic link, provided it stays
/// inside the root.
///
/// Only the components below the (already canonical) root are inspected, one `lstat`
/// each; a symbolic link among them sends the rest through `canonicalize`. Resolving the
/// whole path each time re-read the root's own components for every file: 90,000
/// `readlink` calls for a 10,000-file release.
fn resolve_in(root: &Path, field: &str, path: &str) -> Result<PathBuf, QuarantineError> {
    let missing = || QuarantineError::Missing {
        field: field.to_owned(),
        path: path.to_owned(),
        root: root.to_owned(),
    };
    let mut resolved = root.to_owned();
    let mut components = Path::new(path).components().peekable();
    let mut is_file = false;
    while let Some(component) = components.next() {
        let std::path::Component::Normal(name) = component else {
            continue;
        };
        resolved.push(name);
        let meta = resolved.symlink_metadata().map_err(|_| missing())?;
        if meta.file_type().is_symlink() {
            let rest: PathBuf = components.by_ref().collect();
            if !rest.as_os_str().is_empty() {
                resolved.push(rest);
            }
            resolved = resolved.canonicalize().map_err(|_| missing())?;
            is_file = resolved.is_file();
            break;
        }
        is_file = meta.is_file();
    }
    if !resolved.starts_with(root) {
        return Err(QuarantineError::Escapes {
            field: field.to_owned(),
            path: path.to_owned(),
            resolved,
            root: root.to_owned(),
        });
    }
    if !is_file && !resolved.is_dir() {
        return Err(QuarantineError::Special {
            field: field.to_owned(),
            path: path.to_owned(),
        });
    }
    if !is_file {
        return Err(QuarantineError::NotAFile {
            field: field.to_owned(),
            path: path.to_owned(),
        });
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbolic_links_are_followed_only_inside_the_root() {
        let base = std::env::temp_dir().join(format!("trecrate-quarantine-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("root");
        std::fs::create_dir_all(root.join("real")).unwrap();
        std::fs::create_dir_all(base.join("outside")).unwrap();
        std::fs::write(root.join("real/a.csv"), "a").unwrap();
        std::fs::write(base.join("outside/b.csv"), "b").unwrap();
        std::os::unix::fs::symlink(root.join("real"), root.join("inner-link")).unwrap();
        std::os::unix::fs::symlink(base.join("outside"), root.join("outer-link")).unwrap();
        std::os::unix::fs::symlink(base.join("outside/b.csv"), root.join("real/b.csv")).unwrap();
        let q = Quarantine::open(&Location::Dir(root.clone())).unwrap();

        assert!(q
            .resolve("f", "real/a.csv")
            .unwrap()
            .ends_with("real/a.csv"));
        assert!(q
            .resolve("f", "inner-link/a.csv")
            .unwrap()
            .ends_with("real/a.csv"));
        for escaping in ["outer-link/b.csv", "real/b.csv"] {
            assert!(
                matches!(
                    q.resolve("f", escaping),
                    Err(QuarantineError::Escapes { .. })
                ),
                "{escaping}"
            );
        }
        assert!(matches!(
            q.resolve("f", "real"),
            Err(QuarantineError::NotAFile { .. })
        ));
        assert!(matches!(
            q.resolve("f", "real/none.csv"),
            Err(QuarantineError::Missing { .. })
        ));
        let _ = std::fs::remove_dir_all(&base);
    }
}
