//! Hostile inputs and clients: special files, forged and bombed zips, idle connections. Each
//! test runs trecrate with a deadline, so that a hang fails the test instead of stalling CI.

mod common;

use common::{command, root, stderr, Fixture, Scratch};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `command`, killing it and failing the test if it is not done within 60 s.
fn bounded(mut command: Command, what: &str) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("{what}: still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn trecrate(args: &[&dyn AsRef<std::ffi::OsStr>], what: &str) -> Output {
    let mut c = command();
    for a in args {
        c.arg(a);
    }
    bounded(c, what)
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A special file of each kind a user can make: a fifo and a socket.
fn specials(dir: &Path, name: &str) -> Vec<(&'static str, std::path::PathBuf)> {
    let fifo = dir.join(format!("fifo-{name}"));
    let socket = dir.join(format!("socket-{name}"));
    vec![("fifo", fifo), ("socket", socket)]
}

fn make(kind: &str, path: &Path) -> Option<std::os::unix::net::UnixListener> {
    let _ = std::fs::remove_file(path);
    match kind {
        "fifo" => {
            mkfifo(path);
            None
        }
        // A socket's path is limited to about 100 bytes: bound in /tmp, then moved.
        _ => {
            let short = std::env::temp_dir().join(format!("trecrate-{}.sock", std::process::id()));
            let _ = std::fs::remove_file(&short);
            let listener = std::os::unix::net::UnixListener::bind(&short).unwrap();
            std::fs::rename(&short, path).unwrap();
            Some(listener)
        }
    }
}

fn refused_naming(output: &Output, code: i32, file: &str, what: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(code), "{what}: {err}");
    assert!(
        err.contains(file),
        "{what}: stderr does not name {file}:\n{err}"
    );
    assert!(err.contains("not a regular file"), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
}

fn release(f: &Fixture) -> Command {
    let mut c = command();
    c.args(["release", "--quiet"])
        .arg(&f.export)
        .arg("--quarantine")
        .arg(&f.quarantine)
        .arg("--out")
        .arg(&f.out);
    c
}

/// A released crate directory to tamper with.
fn released(name: &str) -> (Fixture, std::path::PathBuf) {
    let f = Fixture::new(name);
    let output = f.release(&["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let dir = f.crate_dir();
    (f, dir)
}

#[test]
fn a_special_file_as_metadata_is_refused_not_waited_on() {
    let (f, dir) = released("hostile-fifo-metadata");
    let metadata = dir.join("ro-crate-metadata.json");
    for (kind, _) in specials(f.scratch.path(), "m") {
        let _socket = make(kind, &metadata);
        let what = format!("validate with a {kind} as metadata");
        let output = trecrate(&[&"validate", &dir], &what);
        refused_naming(&output, 2, "ro-crate-metadata.json", &what);
        let what = format!("validate of the {kind} itself");
        let output = trecrate(&[&"validate", &metadata], &what);
        refused_naming(&output, 2, "ro-crate-metadata.json", &what);
        let what = format!("ingest with a {kind} as metadata");
        let store = f.scratch.join("store");
        let mut c = command();
        c.env_remove("TRECRATE_NO_STORE")
            .arg("ingest")
            .arg(&dir)
            .arg("--store")
            .arg(&store);
        refused_naming(&bounded(c, &what), 2, "ro-crate-metadata.json", &what);
    }
    // A fifo given as the crate, or as a zip.
    let fifo = f.scratch.join("crate.zip");
    mkfifo(&fifo);
    let output = trecrate(&[&"validate", &fifo], "validate of a fifo named .zip");
    refused_naming(&output, 2, "crate.zip", "validate of a fifo named .zip");
}

#[test]
fn a_special_file_in_the_payload_is_refused_not_waited_on() {
    let (f, dir) = released("hostile-fifo-payload");
    let victim = std::fs::read_dir(dir.join("data"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_file())
        .unwrap();
    let name = victim.file_name().unwrap().to_string_lossy().into_owned();
    for (kind, _) in specials(f.scratch.path(), "p") {
        let _socket = make(kind, &victim);
        let what = format!("validate with a {kind} in data/");
        refused_naming(&trecrate(&[&"validate", &dir], &what), 2, &name, &what);
    }
}

#[test]
fn a_special_file_in_the_inputs_of_a_release_is_refused() {
    // In the quarantine: every file made special, so that whichever is read first is one.
    for (kind, _) in specials(Path::new("."), "q") {
        let f = Fixture::new("hostile-fifo-quarantine");
        let _sockets: Vec<_> = walk_files(&f.quarantine)
            .iter()
            .map(|file| make(kind, file))
            .collect();
        let what = format!("release with {kind}s in the quarantine");
        let output = bounded(release(&f), &what);
        refused_naming(&output, 2, "obj-", &what);
        assert!(!f.out.exists(), "{what}: left {}", f.out.display());
    }
    // The export itself.
    let f = Fixture::new("hostile-fifo-export");
    std::fs::remove_file(&f.export).unwrap();
    mkfifo(&f.export);
    let output = bounded(release(&f), "release of a fifo export");
    refused_naming(&output, 2, "release.json", "release of a fifo export");
}

#[test]
fn a_special_file_in_a_run_directory_is_refused() {
    let scratch = Scratch::new("hostile-fifo-run");
    let run = scratch.join("run");
    common::copy_dir(&root().join("tests/corpus/sapporo/run-crate"), &run);
    std::fs::remove_file(run.join("ro-crate-metadata.json")).unwrap();
    for (kind, _) in specials(scratch.path(), "r") {
        let special = run.join("outputs-special");
        let _socket = make(kind, &special);
        let what = format!("run-crate with a {kind} in the run directory");
        let output = trecrate(&[&"run-crate", &run, &"--quiet"], &what);
        refused_naming(&output, 2, "outputs-special", &what);
        assert!(!run.join("ro-crate-metadata.json").exists(), "{what}");
        std::fs::remove_file(&special).unwrap();
    }
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk_files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}
