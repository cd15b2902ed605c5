//! Local scratch space of one run, and the cleaning up after runs that were killed.

use std::path::{Path, PathBuf};

/// A local directory removed with everything in it when dropped: the fetched files never
/// outlive the run, whether it succeeded or not.
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// A new directory `trecrate-{kind}-...` under the system's temporary directory
    /// (`TMPDIR`), after removing those of the same kind that killed runs left there.
    pub fn create(kind: &str) -> std::io::Result<Self> {
        let prefix = format!("trecrate-{kind}-");
        remove_abandoned(&std::env::temp_dir(), &prefix);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("{prefix}{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir)?;
        Ok(Scratch { dir })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Removes the directories under `dir` named `{prefix}{pid}` or `{prefix}{pid}-...` that runs
/// which were killed left behind: those whose process no longer exists. A live run's
/// directory is never touched.
pub fn remove_abandoned(dir: &Path, prefix: &str) {
    // Without /proc there is no telling a dead run from a live one: leave everything.
    let Some(entries) = Path::new("/proc/self")
        .exists()
        .then(|| std::fs::read_dir(dir).ok())
        .flatten()
    else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        let alive = Path::new("/proc").join(pid).exists();
        if !alive && !pid.is_empty() && pid.bytes().all(|c| c.is_ascii_digit()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
