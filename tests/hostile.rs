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

/// Writes a zip of `entries` in order with Python's zipfile, which (unlike the zip crate)
/// writes two entries of one name when asked.
fn python_zip(path: &Path, entries: &[(String, Vec<u8>)]) {
    let dir = path.with_extension("entries");
    std::fs::create_dir_all(&dir).unwrap();
    let mut listing = String::new();
    for (i, (name, bytes)) in entries.iter().enumerate() {
        std::fs::write(dir.join(i.to_string()), bytes).unwrap();
        listing.push_str(&format!("{name}\n"));
    }
    let script = "import sys, zipfile, warnings\n\
        warnings.simplefilter('ignore')\n\
        names = open(sys.argv[2]).read().splitlines()\n\
        with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n\
        \x20   for i, n in enumerate(names):\n\
        \x20       z.writestr(n, open(sys.argv[3] + '/' + str(i), 'rb').read())\n";
    std::fs::write(dir.join("names"), listing).unwrap();
    let status = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .arg(dir.join("names"))
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
}

/// The entries of a released crate directory, metadata first.
fn entries_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut entries = vec![(
        "ro-crate-metadata.json".to_owned(),
        std::fs::read(dir.join("ro-crate-metadata.json")).unwrap(),
    )];
    for file in walk_files(dir) {
        let name = file
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if name != "ro-crate-metadata.json" {
            entries.push((name, std::fs::read(&file).unwrap()));
        }
    }
    entries
}

/// The findings of validating `zip`, which must fail with a REQUIRED finding of `check` on
/// `entity` whose message has `text`.
fn fails_with(zip: &Path, check: &str, entity: &str, text: &str) -> Vec<serde_json::Value> {
    let output = trecrate(&[&"validate", &zip, &"--format", &"json"], "validate");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("not a JSON report: {}", stderr(&output)));
    let found = report["findings"].as_array().unwrap().clone();
    let matches = |f: &serde_json::Value| {
        f["severity"] == "REQUIRED"
            && f["check"] == check
            && f["entity"] == entity
            && f["message"].as_str().unwrap_or("").contains(text)
    };
    assert!(found.iter().any(matches), "{found:#?}");
    found
}

#[test]
fn a_zip_with_two_entries_of_one_name_fails_and_is_not_ingested() {
    let (f, dir) = released("hostile-duplicate");
    let mut entries = entries_of(&dir);
    let real = entries
        .iter()
        .position(|(n, _)| n == "data/obj-001_v2.csv")
        .unwrap();
    // The forgery first, the real file last: a reader taking the first entry gets the forgery.
    entries.insert(1, (entries[real].0.clone(), b"forged,bytes\n".to_vec()));
    let zip = f.scratch.join("forged.zip");
    python_zip(&zip, &entries);
    fails_with(
        &zip,
        "Payload: zip entries are unique",
        "data/obj-001_v2.csv",
        "duplicate entry",
    );
    let mut c = command();
    c.env_remove("TRECRATE_NO_STORE")
        .arg("ingest")
        .arg(&zip)
        .arg("--store")
        .arg(f.scratch.join("store"));
    let output = bounded(c, "ingest");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("refused"), "{}", stderr(&output));

    // Without the forgery the same zip passes: the finding is the duplicate's.
    entries.remove(1);
    python_zip(&zip, &entries);
    let output = trecrate(&[&"validate", &zip], "validate the sound zip");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn a_bombed_metadata_entry_is_a_zip_bomb_finding() {
    let (f, dir) = released("hostile-metadata-bomb");
    let mut entries = entries_of(&dir);
    // Valid JSON still: an empty object and 64 MiB of blanks, which deflate 1,028 times.
    entries[0].1 = b"{}".to_vec();
    entries[0].1.extend(std::iter::repeat_n(b' ', 64 << 20));
    let zip = f.scratch.join("bomb.zip");
    python_zip(&zip, &entries);
    let found = fails_with(
        &zip,
        "Payload: zip entries are not zip bombs",
        "ro-crate-metadata.json",
        "inflates",
    );
    let ratio = found
        .iter()
        .find_map(|f| f["message"].as_str()?.strip_prefix("inflates "))
        .and_then(|m| m.split('x').next()?.parse::<u64>().ok())
        .unwrap();
    assert!(ratio > 1000, "{found:#?}");
}

fn archive_of_one(name: &str) -> common::Archive {
    let archive = common::Archive::new(name);
    let released = archive.release(common::EXAMPLES[0], &[]);
    assert!(released.status.success(), "{}", stderr(&released));
    archive
}

fn serve(archive: &common::Archive, bind: &str) -> Command {
    let mut c = command();
    c.args(["serve", "--store"])
        .arg(archive.store())
        .args(["--bind", bind]);
    c
}

/// One `ASK {}` from 127.0.0.1, which must be answered within `deadline`.
fn ask(port: u16, deadline: Duration) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(deadline)).unwrap();
    stream.set_write_timeout(Some(deadline)).unwrap();
    stream
        .write_all(b"GET /query?query=ASK%7B%7D HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .unwrap_or_else(|e| panic!("no answer within {deadline:?}: {e}; got {answer:?}"));
    answer
}

#[test]
fn idle_connections_neither_stall_the_endpoint_nor_stay_open() {
    use std::io::{Read, Write};
    let archive = archive_of_one("hostile-idle");
    let port = common::free_port();
    let _server = common::Server::start(serve(&archive, &format!("127.0.0.1:{port}")), port);

    // 500 connections from another loopback address: half send nothing, half the start of a
    // request line.
    let target: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let opened = Instant::now();
    let mut idle: Vec<std::net::TcpStream> = (0..500)
        .map(|i| {
            let socket =
                socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
            socket
                .bind(&std::net::SocketAddr::from(([127, 0, 0, 2], 0)).into())
                .unwrap();
            socket.connect(&target.into()).unwrap();
            let mut stream: std::net::TcpStream = socket.into();
            if i % 2 == 1 {
                stream.write_all(b"GET /qu").unwrap();
            }
            stream
        })
        .collect();

    // Others are still answered, at once.
    let answer = ask(port, Duration::from_secs(1));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("true"), "{answer}");

    // Each idle connection is closed: at once with a 503 beyond the peer's share, else by the
    // header timeout (10 s).
    let mut turned_away = 0;
    for stream in &mut idle {
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut got = Vec::new();
        match stream.read_to_end(&mut got) {
            Ok(_) => {}
            // A reset is a close too.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!(
                "an idle connection still open after {:?}: {e}",
                opened.elapsed()
            ),
        }
        if got.starts_with(b"HTTP/1.1 503") {
            turned_away += 1;
        }
    }
    assert!(opened.elapsed() < Duration::from_secs(30));
    assert_eq!(
        turned_away,
        500 - 32,
        "one peer holds at most 32 connections"
    );
    // And the endpoint still answers.
    assert!(ask(port, Duration::from_secs(1)).starts_with("HTTP/1.1 200"));
}

#[test]
fn a_refused_bind_claims_nothing() {
    let archive = archive_of_one("hostile-bind");
    let port = common::free_port();
    let output = bounded(serve(&archive, &format!("0.0.0.0:{port}")), "serve 0.0.0.0");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("without a token"), "{err}");
    assert!(!err.contains("serving"), "{err}");
}

/// A process's resident memory in MiB, and its children, from /proc.
fn resident_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        / 1024
}

fn children(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|stat| {
                    // The fields after the command's closing parenthesis: state, then ppid.
                    let rest = stat.rsplit_once(')')?.1.to_owned();
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

/// GET /query for `sparql` from 127.0.0.1; the status line and the body.
fn get(port: u16, sparql: &str) -> String {
    use std::io::{Read, Write};
    let encoded: String = form_urlencoded::byte_serialize(sparql.as_bytes()).collect();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "GET /query?query={encoded} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn a_runaway_query_is_stopped_with_its_memory() {
    // A cartesian product of every triple three times, sorted: oxigraph reads the store only
    // for the outer rows, so in-process cancellation came too late (770 MB held for minutes).
    const CARTESIAN: &str = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g";
    let archive = archive_of_one("hostile-runaway");
    for (limits, expected) in [
        (
            ["--timeout", "1", "--max-query-memory", "8192"],
            "longer than the limit of 1 s",
        ),
        (
            ["--timeout", "120", "--max-query-memory", "100"],
            "more than 100 MiB of memory",
        ),
    ] {
        let port = common::free_port();
        let mut command = serve(&archive, &format!("127.0.0.1:{port}"));
        command.args(limits);
        let server = common::Server::start(command, port);
        let start = Instant::now();
        let answer = get(port, CARTESIAN);
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.contains(expected), "{answer}");
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{:?}",
            start.elapsed()
        );
        // Stopped: no worker left, and the endpoint itself never held the rows.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !children(server.pid()).is_empty() {
            assert!(Instant::now() < deadline, "the worker outlived its query");
            std::thread::sleep(Duration::from_millis(50));
        }
        let rss = resident_mib(server.pid());
        assert!(rss < 150, "the endpoint holds {rss} MiB after the query");
        // And the endpoint answers the next query.
        assert!(get(port, "ASK {}").starts_with("HTTP/1.1 200"));
    }
}

/// A metadata document of at least `bytes` bytes: a root dataset and files with short values
/// of the kinds a release gives them (denser in triples per byte than a release's own
/// metadata). Returns its size.
fn write_large_metadata(path: &Path, bytes: usize) -> usize {
    let mut files = String::with_capacity(bytes + (1 << 20));
    let mut parts = String::new();
    let mut i = 0usize;
    while files.len() < bytes {
        let id = format!("data/obj-{i:07}_v1.csv");
        parts.push_str(&format!("{{\"@id\":\"{id}\"}},"));
        files.push_str(&format!(
            ",{{\"@id\":\"{id}\",\"@type\":\"File\",\"name\":\"Table {i}\",\
             \"description\":\"Synthetic frequency table {i}, counts below 10 suppressed.\",\
             \"encodingFormat\":\"text/csv\",\"contentSize\":\"{}\",\
             \"identifier\":\"{:064x}\",\"dateModified\":\"2025-01-03T17:00:00Z\",\
             \"author\":{{\"@id\":\"#researcher\"}}}}",
            4000 + i % 97,
            i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
        ));
        i += 1;
    }
    parts.pop();
    let document = format!(
        "{{\"@context\":\"https://w3id.org/ro/crate/1.1/context\",\"@graph\":[\
         {{\"@id\":\"ro-crate-metadata.json\",\"@type\":\"CreativeWork\",\
         \"conformsTo\":{{\"@id\":\"https://w3id.org/ro/crate/1.1\"}},\"about\":{{\"@id\":\"./\"}}}},\
         {{\"@id\":\"./\",\"@type\":\"Dataset\",\"name\":\"Large release\",\
         \"description\":\"{i} files.\",\"datePublished\":\"2025-01-03\",\
         \"license\":{{\"@id\":\"https://spdx.org/licenses/CC-BY-4.0\"}},\"hasPart\":[{parts}]}},\
         {{\"@id\":\"#researcher\",\"@type\":\"Person\",\"name\":\"A Researcher\"}}{files}]}}"
    );
    std::fs::write(path, &document).unwrap();
    document.len()
}

/// `trecrate validate --metadata-only ARGS PATH`: its exit code and peak resident memory in
/// bytes, from the kernel's accounting of that one process (`wait4`), not a sample.
#[allow(clippy::zombie_processes)] // reaped by wait4, which std's Child does not know of
fn validate_with_peak(path: &Path, args: &[&str]) -> (i32, u64) {
    let child = command()
        .args(["validate", "--metadata-only"])
        .args(args)
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data the call fills in; the pid is our unwaited child's.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4");
    assert!(libc::WIFEXITED(status), "killed by a signal: {status}");
    (libc::WEXITSTATUS(status), usage.ru_maxrss as u64 * 1024)
}

/// Item 8 of issue 22: 200 MB of metadata took 1.27 GB. A document large enough to be held on
/// disk with the defaults is validated in under four times its size (the issue measured 6.4
/// times; it takes about 3.3 times at 105 MiB and 2.6 at 220 MiB, where the process's own
/// memory counts for less; the README has the figures).
#[test]
fn validating_large_metadata_stays_under_four_times_its_size() {
    let dir = Scratch::new("large-metadata");
    let path = dir.join("ro-crate-metadata.json");
    let size = write_large_metadata(&path, 96 << 20);
    let (code, peak) = validate_with_peak(&path, &["--format", "json"]);
    assert_eq!(code, 0, "the document is a valid crate");
    let mib = |b: u64| b >> 20;
    assert!(
        peak < 4 * size as u64,
        "peak {} MiB for {} MiB of metadata",
        mib(peak),
        mib(size as u64)
    );
}

/// Held in memory (the default under 64 MiB), a dense document's graph is terms in one buffer
/// and sorted numbers: peak memory under three times the metadata plus the process (which takes
/// 28 MiB alone; 119-124 MiB were measured for this document). oxigraph's memory store took
/// thirteen times (473 MiB).
#[test]
fn a_graph_held_in_memory_stays_under_three_times_the_metadata() {
    let dir = Scratch::new("in-memory-metadata");
    let path = dir.join("ro-crate-metadata.json");
    let size = write_large_metadata(&path, 32 << 20) as u64;
    let (code, peak) = validate_with_peak(&path, &["--format", "json"]);
    assert_eq!(code, 0, "the document is a valid crate");
    assert!(
        peak < 3 * size + (64 << 20),
        "peak {} MiB for {} MiB of metadata",
        peak >> 20,
        size >> 20
    );
}

/// With every graph on disk (`--max-in-memory-bytes 0`), the bound the README gives for it:
/// three times the metadata plus 128 MiB for the process itself (80 MiB with nothing loaded).
/// In memory the same document takes about twelve times its size.
#[test]
fn a_graph_held_on_disk_stays_under_three_times_the_metadata() {
    let dir = Scratch::new("on-disk-metadata");
    let path = dir.join("ro-crate-metadata.json");
    let size = write_large_metadata(&path, 32 << 20) as u64;
    let (code, peak) = validate_with_peak(&path, &["--max-in-memory-bytes", "0"]);
    assert_eq!(code, 0, "the document is a valid crate");
    assert!(
        peak < 3 * size + (128 << 20),
        "peak {} MiB for {} MiB of metadata",
        peak >> 20,
        size >> 20
    );
}
