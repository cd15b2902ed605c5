//! A query evaluated in a process of its own, for the endpoint. oxigraph checks a query's
//! cancellation only when it reads the store, so a join or sort over rows already read runs
//! on after its timeout, holding its memory (a cancelled cartesian ORDER BY over a 182-triple
//! archive kept a core busy and 770 MB for minutes). Killed, a process gives back both at
//! once; watched, it is stopped as soon as it holds more memory than it may.
//!
//! The worker is the same program (`trecrate evaluate-worker`, hidden): it opens the archive
//! read-only, reads the query on stdin, and writes the answer, already in its format, on
//! stdout. Its exit status says which refusal it met.

use super::{evaluate as evaluate_here, prepare, write, Format, Limits, QueryError};
use oxigraph::store::Store;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The hidden subcommand that evaluates one query.
pub const WORKER: &str = "evaluate-worker";
/// The worker's exit status when the query has more results than allowed.
pub const TOO_MANY_RESULTS: i32 = 3;
/// The worker's exit status for any other refusal; its message is on stderr.
pub const REFUSED: i32 = 4;
/// How often the worker's memory and time are looked at.
const WATCH: Duration = Duration::from_millis(10);

/// How to run the worker.
#[derive(Debug, Clone)]
pub struct Isolation {
    /// The trecrate program.
    pub program: PathBuf,
    /// The archive, opened read-only by the worker.
    pub store: PathBuf,
    /// Most resident memory the worker may hold, in bytes.
    pub max_memory: u64,
}

/// The answer to `query` in `format`, from a worker killed at `limits.timeout` or when over
/// `isolation.max_memory`.
pub fn evaluate(
    isolation: &Isolation,
    query: &str,
    format: Format,
    limits: Limits,
) -> Result<Vec<u8>, QueryError> {
    let mut command = Command::new(&isolation.program);
    command
        .arg(WORKER)
        .arg(&isolation.store)
        .arg(format.name())
        .arg(limits.max_results.map_or("none".into(), |n| n.to_string()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The worker dies with the endpoint, whatever kills it.
    // SAFETY: between fork and exec only prctl runs, which is async-signal-safe and touches
    // no memory of the parent.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn()?;
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("piped");
    let query = query.to_owned();
    let feeding = std::thread::spawn(move || stdin.write_all(query.as_bytes()));
    let drain = |mut from: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            from.read_to_end(&mut bytes).map(|_| bytes)
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let start = Instant::now();
    let stopped = loop {
        if let Some(status) = child.try_wait()? {
            break Ok(status);
        }
        if limits.timeout.is_some_and(|t| start.elapsed() > t) {
            break Err(QueryError::Timeout(limits.timeout.unwrap_or_default()));
        }
        if resident(pid).is_some_and(|rss| rss > isolation.max_memory) {
            break Err(QueryError::OutOfMemory(isolation.max_memory));
        }
        std::thread::sleep(WATCH);
    };
    if stopped.is_err() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let _ = feeding.join();
    let stdout = stdout.join().map_err(|_| gone())??;
    let stderr = stderr.join().map_err(|_| gone())??;
    let status = stopped?;
    match status.code() {
        Some(0) => Ok(stdout),
        Some(TOO_MANY_RESULTS) => Err(QueryError::TooManyResults(
            limits.max_results.unwrap_or_default(),
        )),
        Some(REFUSED) => Err(QueryError::Evaluation(
            String::from_utf8_lossy(&stderr).trim().to_owned(),
        )),
        _ => Err(QueryError::Worker(format!(
            "{status}: {}",
            String::from_utf8_lossy(&stderr).trim()
        ))),
    }
}

fn gone() -> std::io::Error {
    std::io::Error::other("a thread reading the query worker stopped")
}

/// The resident memory of process `pid` in bytes, from `/proc`.
fn resident(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The worker's side: answers `query` over the archive at `store`, opened read-only.
pub fn work(
    store: &Path,
    format: Format,
    max_results: Option<usize>,
    query: &str,
    out: &mut dyn Write,
) -> Result<(), QueryError> {
    let limits = Limits {
        timeout: None,
        max_results,
    };
    // A read-only view is the files of the moment it opens; a compaction by the serving
    // process (which holds the archive open for writing) may delete one of them before it is
    // read. The view is then opened again, on the files that replaced it.
    let mut attempts = 0;
    let answer = loop {
        attempts += 1;
        let answer = Store::open_read_only(store)
            .map_err(|e| QueryError::Worker(e.to_string()))
            .and_then(|store| evaluate_here(&store, prepare(query, "the query")?, limits));
        match answer {
            Err(e) if attempts < 5 && e.to_string().contains("No such file") => continue,
            answer => break answer?,
        }
    };
    write(&answer, format, out)
}
