//! Nothing half-written: a release is built in a hidden staging directory beside its targets
//! and renamed into place only when all of it succeeded.

use super::*;

/// The hidden working directory of one run; removed on drop unless the run committed, and the
/// output directories too if this run created them and nothing else is in them.
pub(super) struct Staging {
    pub(super) dir: PathBuf,
    /// Directories this run created for `--out`, innermost first.
    pub(super) created: Vec<PathBuf>,
}

pub(super) const STAGING_MARK: &str = ".trecrate-tmp-";

impl Staging {
    pub(super) fn create(out: &Path, name: &str) -> Result<Self, PackageError> {
        if out.exists() && !out.is_dir() {
            return Err(PackageError::NotADirectory {
                path: out.to_owned(),
            });
        }
        let mut created = Vec::new();
        let mut missing = Some(out);
        while let Some(dir) = missing.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            created.push(dir.to_owned());
            missing = dir.parent();
        }
        std::fs::create_dir_all(out).map_err(io(out))?;
        remove_abandoned(out, &format!(".{name}{STAGING_MARK}"));
        let dir = out.join(format!(".{name}{STAGING_MARK}{}", std::process::id()));
        let staging = Staging { dir, created };
        if staging.dir.exists() {
            std::fs::remove_dir_all(&staging.dir).map_err(io(&staging.dir))?;
        }
        std::fs::create_dir(&staging.dir).map_err(io(&staging.dir))?;
        Ok(staging)
    }
    /// Renames the staged release into place. With `--force`, an existing release is first
    /// moved into the staging directory, and put back if a rename fails.
    pub(super) fn commit(
        &mut self,
        staged: &Targets,
        targets: &Targets,
    ) -> Result<(), PackageError> {
        let previous = self.dir.join("previous");
        std::fs::create_dir(&previous).map_err(io(&previous))?;
        let mut moved_away = Vec::new();
        for target in targets.all() {
            if target.symlink_metadata().is_ok() {
                let aside = previous.join(target.file_name().unwrap_or_default());
                std::fs::rename(target, &aside).map_err(io(target))?;
                moved_away.push((target.to_owned(), aside));
            }
        }
        let mut placed: Vec<(&Path, &Path)> = Vec::new();
        for (from, to) in staged.all().into_iter().zip(targets.all()) {
            if let Err(source) = std::fs::rename(from, to) {
                for (from, to) in placed.into_iter().rev() {
                    let _ = std::fs::rename(to, from);
                }
                for (target, aside) in moved_away {
                    let _ = std::fs::rename(aside, target);
                }
                return Err(PackageError::Io {
                    path: to.to_owned(),
                    source,
                });
            }
            placed.push((from, to));
        }
        self.created.clear();
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        for dir in &self.created {
            // Only succeeds if empty: never removes anything this run did not create.
            let _ = std::fs::remove_dir(dir);
        }
    }
}
