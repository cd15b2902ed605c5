//! `trecrate release` with S3 storage, against a real S3-compatible server: moto's, from the
//! venv `scripts/setup` makes, one per test on an ephemeral port. The bucket is inspected
//! with boto3 (tests/s3/bucket.py), not with the client trecrate uses. Failures are injected
//! by a small HTTP proxy between trecrate and the server.

mod common;

use common::{command, free_port, python, root, stderr, Fixture, Server};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const QUARANTINE: &str = "s3://quarantine-bucket/requests/AR-2025-0042/";
const RELEASES: &str = "s3://release-bucket/releases/";
const ZIP_KEY: &str = "releases/ro-crate-AR-2025-0042.zip";
const RECORD_KEY: &str = "releases/ro-crate-AR-2025-0042.release.json";

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A moto S3 server with the two buckets, and the example's quarantine uploaded.
struct Moto {
    server: Server,
}

impl Moto {
    fn start(fixture: &Fixture) -> Moto {
        let moto = Moto::bare(&[]);
        moto.bucket(&["mkbucket", "quarantine-bucket", "release-bucket"]);
        moto.bucket(&[
            "put-tree",
            "quarantine-bucket",
            "requests/AR-2025-0042/",
            fixture.quarantine.to_str().unwrap(),
        ]);
        moto
    }

    /// A server without buckets; `env` goes to moto itself.
    fn bare(env: &[(&str, &str)]) -> Moto {
        let program = python().with_file_name("moto_server");
        assert!(
            program.exists(),
            "{} not found: the peer tools are installed by `scripts/setup`",
            program.display()
        );
        let port = free_port();
        let mut cmd = Command::new(program);
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied());
        Moto {
            server: Server::start(cmd, port),
        }
    }

    fn endpoint(&self) -> String {
        self.server.url("")
    }

    /// Runs tests/s3/bucket.py against this server.
    fn bucket(&self, args: &[&str]) -> Vec<u8> {
        let output = Command::new(python())
            .arg(root().join("tests/s3/bucket.py"))
            .args(args)
            .envs(aws_env(&self.endpoint()))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "bucket.py {args:?}: {}",
            stderr(&output)
        );
        output.stdout
    }

    fn objects(&self, bucket: &str) -> Vec<Value> {
        serde_json::from_slice(&self.bucket(&["ls", bucket])).unwrap()
    }

    fn keys(&self, bucket: &str) -> Vec<String> {
        self.objects(bucket)
            .iter()
            .map(|o| o["key"].as_str().unwrap().to_owned())
            .collect()
    }

    fn open_uploads(&self, bucket: &str) -> Vec<Value> {
        serde_json::from_slice(&self.bucket(&["uploads", bucket])).unwrap()
    }

    fn download(&self, bucket: &str, key: &str, to: &Path) -> Vec<u8> {
        self.bucket(&["get", bucket, key, to.to_str().unwrap()]);
        std::fs::read(to).unwrap()
    }

    fn delete(&self, bucket: &str, key: &str) {
        self.bucket(&["rm", bucket, key]);
    }

    /// The release record in the release bucket, downloaded to `to`.
    fn record(&self, to: &Path) -> Value {
        serde_json::from_slice(&self.download("release-bucket", RECORD_KEY, to)).unwrap()
    }

    /// How many requests the server logged whose line contains `needle`.
    fn requests(&self, needle: &str) -> usize {
        self.server
            .log()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    }
}

fn aws_env(endpoint: &str) -> [(&'static str, String); 4] {
    [
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

/// A release run with the AWS environment pointing at `endpoint`, and its own TMPDIR, so
/// that a test can check that no temporary file is left.
struct Run {
    tmp: PathBuf,
}

impl Run {
    fn new(fixture: &Fixture) -> Run {
        let tmp = fixture.scratch.join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        Run { tmp }
    }

    fn release(&self, fixture: &Fixture, endpoint: &str, args: &[&str]) -> Output {
        self.command(fixture, endpoint, args).output().unwrap()
    }

    fn command(&self, fixture: &Fixture, endpoint: &str, args: &[&str]) -> Command {
        let mut command = command();
        command
            .arg("release")
            .arg(&fixture.export)
            .args(args)
            .args(["--s3-retries", "2"])
            .envs(aws_env(endpoint))
            .env_remove("TRECRATE_NO_STORE")
            .env("TMPDIR", &self.tmp);
        command
    }

    /// From the quarantine bucket to the release bucket, recording nothing.
    fn bucket_to_bucket(&self, fixture: &Fixture, moto: &Moto, extra: &[&str]) -> Output {
        let args = ["--quarantine", QUARANTINE, "--out", RELEASES, "--no-store"];
        self.release(fixture, &moto.endpoint(), &[&args[..], extra].concat())
    }

    /// From bucket to bucket, recorded in the archive at `store`.
    fn recorded(&self, fixture: &Fixture, moto: &Moto, store: &Path) -> Output {
        let args = ["--quarantine", QUARANTINE, "--out", RELEASES, "--store"];
        let store = store.to_str().unwrap();
        self.release(fixture, &moto.endpoint(), &[&args[..], &[store]].concat())
    }

    fn leftovers(&self) -> Vec<String> {
        common::list_files(&self.tmp)
    }
}

/// No object in the release bucket, no multipart upload open, no temporary file.
fn assert_nothing_left(moto: &Moto, run: &Run) {
    assert_eq!(moto.keys("release-bucket"), Vec::<String>::new());
    assert_eq!(moto.open_uploads("release-bucket"), Vec::<Value>::new());
    assert_eq!(run.leftovers(), Vec::<String>::new());
}

#[test]
fn release_from_a_quarantine_bucket_to_a_release_bucket() {
    let f = Fixture::new("s3-release");
    // A key with characters S3 advises against, which a client must not re-encode.
    let odd = "obj-003/v1/cohort summary #1~[a].md";
    std::fs::rename(
        f.quarantine.join("obj-003/v1/cohort_summary.md"),
        f.quarantine.join(odd),
    )
    .unwrap();
    f.edit(|export| export["objects"][2]["versions"][0]["path"] = odd.into());
    let moto = Moto::start(&f);
    let run = Run::new(&f);
    let store = f.scratch.join("archive");
    let out = run.recorded(&f, &moto, &store);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(moto.keys("release-bucket"), [RECORD_KEY, ZIP_KEY]);
    assert_eq!(moto.open_uploads("release-bucket"), Vec::<Value>::new());
    assert_eq!(run.leftovers(), Vec::<String>::new());

    // The record, next to the zip, describes exactly the bytes in the bucket.
    let zip = moto.download("release-bucket", ZIP_KEY, &f.scratch.join("dl.zip"));
    let record = moto.record(&f.scratch.join("dl.json"));
    assert_eq!(record["zip"]["sha256"], sha256_hex(&zip));
    assert_eq!(record["zip"]["size"], zip.len());
    assert_eq!(
        record["zip"]["url"],
        "s3://release-bucket/releases/ro-crate-AR-2025-0042.zip"
    );
    let listed = moto.objects("release-bucket");
    let zip_entry = listed.iter().find(|o| o["key"] == ZIP_KEY).unwrap();
    assert_eq!(record["zip"]["etag"], zip_entry["etag"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "s3://release-bucket/{ZIP_KEY}  sha256 {}",
            sha256_hex(&zip)
        )),
        "{stdout}"
    );

    // A valid crate, byte for byte the zip a local release of the same request makes.
    let check = common::trecrate(&["validate", f.scratch.join("dl.zip").to_str().unwrap()]);
    assert!(check.status.success(), "{}", stderr(&check));
    let local = f.release(&[]);
    assert!(local.status.success(), "{}", stderr(&local));
    assert_eq!(
        zip,
        std::fs::read(f.out.join("ro-crate-AR-2025-0042.zip")).unwrap()
    );

    // The archive knows where the zip went.
    let text = common::releases_csv(&store);
    assert!(
        text.contains("s3://release-bucket/releases/ro-crate-AR-2025-0042.zip")
            && text.contains(&sha256_hex(&zip)),
        "{text}"
    );

    // The same release again: nothing to do. A different one: refused, then forced.
    let again = run.bucket_to_bucket(&f, &moto, &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stderr(&again).contains("already there, byte for byte"));
    assert_eq!(moto.requests(&format!("PUT /release-bucket/{ZIP_KEY}")), 1);
    let different = ["--deflate-level", "0"];
    let before = moto.objects("release-bucket");
    let refused = run.bucket_to_bucket(&f, &moto, &different);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("a different release is already there"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(moto.objects("release-bucket"), before);
    let forced = run.bucket_to_bucket(&f, &moto, &[&different[..], &["--force"]].concat());
    assert!(forced.status.success(), "{}", stderr(&forced));
    let replaced = moto.download("release-bucket", ZIP_KEY, &f.scratch.join("dl2.zip"));
    assert_ne!(replaced, zip);
    let record = moto.record(&f.scratch.join("dl2.json"));
    assert_eq!(record["zip"]["sha256"], sha256_hex(&replaced));
    assert_eq!(run.leftovers(), Vec::<String>::new());
}

/// A 1.3 bag through the buckets: the zip uploaded is the bag a local release makes, byte for
/// byte, and the record says it is one.
#[test]
fn a_bag_goes_from_bucket_to_bucket_as_it_would_to_a_directory() {
    let f = Fixture::new("s3-bag");
    let moto = Moto::start(&f);
    let run = Run::new(&f);
    let format = ["--ro-crate-version", "1.3", "--bagit"];
    let out = run.bucket_to_bucket(&f, &moto, &format);
    assert!(out.status.success(), "{}", stderr(&out));
    let zip = moto.download("release-bucket", ZIP_KEY, &f.scratch.join("dl.zip"));
    let record = moto.record(&f.scratch.join("dl.json"));
    assert_eq!(record["packaging"], "bagit");
    assert_eq!(record["zip"]["sha256"], sha256_hex(&zip));
    let local = f.release(&format);
    assert!(local.status.success(), "{}", stderr(&local));
    assert_eq!(
        zip,
        std::fs::read(f.out.join("ro-crate-AR-2025-0042.zip")).unwrap()
    );
    let check = common::trecrate(&["validate", f.scratch.join("dl.zip").to_str().unwrap()]);
    assert!(check.status.success(), "{}", stderr(&check));
    assert!(String::from_utf8_lossy(&check.stdout).contains("ro-crate-1.3"));
    assert_eq!(run.leftovers(), Vec::<String>::new());
}

/// `serve` streams a zip recorded at an s3:// location from the bucket, with its digest
/// checked; an object gone from the bucket is 410.
#[test]
fn serve_hands_out_a_zip_recorded_in_a_bucket() {
    let f = Fixture::new("s3-serve");
    let moto = Moto::start(&f);
    let run = Run::new(&f);
    let store = f.scratch.join("archive");
    let recorded = run.recorded(&f, &moto, &store);
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    let zip = moto.download("release-bucket", ZIP_KEY, &f.scratch.join("dl.zip"));

    let port = common::free_port();
    let mut serve = command();
    serve
        .args(["serve", "--store"])
        .arg(&store)
        .args(["--bind", &format!("127.0.0.1:{port}"), "--s3-retries", "0"])
        .envs(aws_env(&moto.endpoint()));
    let server = common::Server::start(serve, port);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::blocking::Client::new();
    let url = server.url("/releases/AR-2025-0042/ro-crate?download=true");
    let response = http.get(&url).send().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-length"],
        zip.len().to_string().as_str()
    );
    assert_eq!(response.bytes().unwrap(), zip);

    moto.delete("release-bucket", ZIP_KEY);
    let gone = http.get(&url).send().unwrap();
    assert_eq!(gone.status(), 410);
    assert!(gone.text().unwrap().contains("no longer there"));
}

#[test]
fn a_wrong_checksum_in_quarantine_is_refused_before_anything_is_uploaded() {
    let f = Fixture::new("s3-checksum");
    let moto = Moto::start(&f);
    let tampered = f.scratch.join("tampered.csv");
    std::fs::write(&tampered, "region,count\nnorth,999\n").unwrap();
    moto.bucket(&[
        "put",
        "quarantine-bucket",
        "requests/AR-2025-0042/obj-001/v2/admissions_by_region.csv",
        tampered.to_str().unwrap(),
    ]);
    let run = Run::new(&f);
    // What a killed run left (no process has this id): removed by the next run.
    let abandoned = run.tmp.join("trecrate-fetch-4000000000-1/data");
    std::fs::create_dir_all(&abandoned).unwrap();
    std::fs::write(abandoned.join("x.csv"), "left behind").unwrap();
    let out = run.bucket_to_bucket(&f, &moto, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("objects[0].versions[1]") && err.contains("mismatch"),
        "{err}"
    );
    assert_eq!(moto.requests("POST /release-bucket"), 0);
    assert_nothing_left(&moto, &run);
}

#[test]
fn a_missing_object_fails_at_once_with_its_key_named() {
    let f = Fixture::new("s3-missing");
    let moto = Moto::bare(&[]);
    moto.bucket(&["mkbucket", "quarantine-bucket", "release-bucket"]);
    let run = Run::new(&f);
    let out = run.bucket_to_bucket(&f, &moto, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("s3://quarantine-bucket/requests/AR-2025-0042/obj-")
            && err.contains("not found"),
        "{err}"
    );
    // A 404 is not retried: one request per key at most.
    let key = "GET /quarantine-bucket/requests/AR-2025-0042/obj-002/v1/hba1c_model.csv";
    assert!(moto.requests(key) <= 1, "{}", moto.server.log());
    assert_nothing_left(&moto, &run);
}

#[test]
fn wrong_credentials_give_a_clear_message() {
    let f = Fixture::new("s3-credentials");
    // Every request is authenticated, and moto knows no access key.
    let moto = Moto::bare(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]);
    let run = Run::new(&f);
    let quarantine = f.quarantine.to_str().unwrap().to_owned();
    for args in [
        ["--quarantine", QUARANTINE, "--out", f.out.to_str().unwrap()],
        ["--quarantine", &quarantine, "--out", RELEASES],
    ] {
        let out = run.release(&f, &moto.endpoint(), &[&args[..], &["--no-store"]].concat());
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("access denied") && err.contains("AWS_ACCESS_KEY_ID"),
            "{err}"
        );
        assert!(
            !err.contains("Server returned") && !err.contains("caused by"),
            "{err}"
        );
        let said: Vec<_> = err
            .lines()
            .filter(|l| !l.starts_with("trecrate: ["))
            .collect();
        assert_eq!(said.len(), 1, "{err}");
    }
    assert!(!f.out.exists());
    assert_eq!(run.leftovers(), Vec::<String>::new());
}

/// How the proxy misbehaves with the requests it picks.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// The connection is dropped halfway through the body.
    Drop,
    /// The server answers with this status and an S3 error document.
    Status(u16),
    /// The server goes away: this and every later connection is dropped.
    Down,
    /// The request is read and never answered, as by a server that hangs.
    Stall,
}

/// Which requests get the fault: the large ones (multipart parts), or those naming a key.
#[derive(Clone, Copy, Debug)]
enum Target {
    LargerThan(usize),
    Naming(&'static str),
}

/// An HTTP/1.1 proxy to an upstream server that injects `fault` into the requests `target`
/// picks, at most `budget` times. One request per connection.
struct Proxy {
    port: u16,
    faults: Arc<AtomicUsize>,
}

impl Proxy {
    fn start(upstream: u16, fault: Fault, target: Target, budget: usize) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let faults = Arc::new(AtomicUsize::new(0));
        let down = Arc::new(AtomicBool::new(false));
        let counter = faults.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (faults, down) = (counter.clone(), down.clone());
                std::thread::spawn(move || {
                    let injected = |n: &AtomicUsize| {
                        n.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                            (used < budget).then_some(used + 1)
                        })
                        .is_ok()
                    };
                    let _ = relay(client, upstream, &down, |request, length| {
                        let picked = match target {
                            Target::LargerThan(threshold) => length > threshold,
                            Target::Naming(key) => request.contains(key),
                        };
                        (picked && injected(&faults)).then_some(fault)
                    });
                });
            }
        });
        Proxy { port, faults }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn faults(&self) -> usize {
        self.faults.load(Ordering::SeqCst)
    }
}

/// Relays one request and its response, or injects the fault `decide` picks for the
/// request line and body length.
fn relay(
    client: TcpStream,
    upstream: u16,
    down: &AtomicBool,
    decide: impl Fn(&str, usize) -> Option<Fault>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let head = read_head(&mut reader)?;
    if down.load(Ordering::SeqCst) {
        return Ok(());
    }
    let length = head
        .iter()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0usize);
    let mut client = client;
    match decide(&head[0], length) {
        Some(Fault::Drop) => {
            std::io::copy(
                &mut reader.by_ref().take(length as u64 / 2),
                &mut std::io::sink(),
            )?;
            return Ok(());
        }
        Some(Fault::Down) => {
            down.store(true, Ordering::SeqCst);
            return Ok(());
        }
        Some(Fault::Stall) => {
            std::thread::sleep(Duration::from_secs(600));
            return Ok(());
        }
        Some(Fault::Status(status)) => {
            std::io::copy(
                &mut reader.by_ref().take(length as u64),
                &mut std::io::sink(),
            )?;
            let body =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>\
                        <Message>injected by the test proxy</Message></Error>";
            write!(
                client,
                "HTTP/1.1 {status} Injected\r\nContent-Type: application/xml\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )?;
            return Ok(());
        }
        None => {}
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut server = TcpStream::connect(("127.0.0.1", upstream))?;
    server.write_all(close_connection(&head).as_bytes())?;
    server.write_all(&body)?;
    let mut response = BufReader::new(server);
    let head = read_head(&mut response)?;
    client.write_all(close_connection(&head).as_bytes())?;
    std::io::copy(&mut response, &mut client)?;
    Ok(())
}

/// The lines of a message head, up to and without the blank line.
fn read_head(reader: &mut impl BufRead) -> std::io::Result<Vec<String>> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            return Ok(lines);
        }
        lines.push(line);
    }
}

/// A head that asks for the connection to be closed after this message.
fn close_connection(head: &[String]) -> String {
    let mut text: String = head
        .iter()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(String::as_str)
        .collect();
    text.push_str("Connection: close\r\n\r\n");
    text
}

/// Adds an approved object with `size` bytes that do not compress, so that the zip needs
/// several multipart parts.
fn add_large_object(f: &Fixture, size: usize) {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let bytes: Vec<u8> = (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let path = "obj-900/v1/large.bin";
    let file = f.quarantine.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, &bytes).unwrap();
    let sha = sha256_hex(&bytes);
    f.edit(|export| {
        let mut object = export["objects"][1].clone();
        object["id"] = "obj-900".into();
        let mut version = object["versions"][0].clone();
        version["path"] = path.into();
        version["name"] = "Large output".into();
        version["media_type"] = "application/octet-stream".into();
        version["sha256"] = sha.clone().into();
        version["size"] = size.into();
        object["versions"] = Value::Array(vec![version]);
        export["objects"].as_array_mut().unwrap().push(object);
    });
}

/// The multipart parts: every other request is far smaller than a megabyte.
const PARTS: Target = Target::LargerThan(1 << 20);

/// A fixture whose zip takes three parts, released from a local quarantine through a proxy.
fn faulty_upload(
    name: &str,
    fault: Fault,
    target: Target,
    budget: usize,
) -> (Fixture, Moto, Proxy, Run, Output) {
    let f = Fixture::new(name);
    add_large_object(&f, 24 << 20);
    let moto = Moto::bare(&[]);
    moto.bucket(&["mkbucket", "release-bucket"]);
    let proxy = Proxy::start(moto.server.port, fault, target, budget);
    let run = Run::new(&f);
    let quarantine = f.quarantine.to_str().unwrap().to_owned();
    let out = run.release(
        &f,
        &proxy.endpoint(),
        &["--quarantine", &quarantine, "--out", RELEASES, "--no-store"],
    );
    (f, moto, proxy, run, out)
}

#[test]
fn a_dropped_connection_aborts_the_upload_and_leaves_nothing() {
    let (_f, moto, proxy, run, out) = faulty_upload("s3-drop", Fault::Drop, PARTS, usize::MAX);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("s3://release-bucket/{ZIP_KEY}"))
            && err.contains("the upload failed and was aborted, nothing was left in the bucket")
            && err.contains("gave up after 2 retries"),
        "{err}"
    );
    assert!(proxy.faults() >= 3, "{}", proxy.faults());
    assert_nothing_left(&moto, &run);
}

#[test]
fn server_errors_during_the_upload_abort_it() {
    let (_f, moto, _proxy, run, out) =
        faulty_upload("s3-500", Fault::Status(500), PARTS, usize::MAX);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("InternalError: injected by the test proxy") && err.contains("aborted"),
        "{err}"
    );
    assert_nothing_left(&moto, &run);
}

#[test]
fn transient_errors_are_retried() {
    for (name, fault) in [("s3-503", Fault::Status(503)), ("s3-reset", Fault::Drop)] {
        let (f, moto, proxy, _run, out) = faulty_upload(name, fault, PARTS, 1);
        assert!(out.status.success(), "{fault:?}: {}", stderr(&out));
        assert_eq!(proxy.faults(), 1);
        let zip = moto.download("release-bucket", ZIP_KEY, &f.scratch.join("dl.zip"));
        let check = common::trecrate(&["validate", f.scratch.join("dl.zip").to_str().unwrap()]);
        assert!(check.status.success(), "{}", stderr(&check));
        assert!(zip.len() > 24 << 20);
    }
}

#[test]
fn when_the_server_goes_away_the_message_says_the_upload_is_left_open() {
    let (_f, moto, _proxy, run, out) = faulty_upload("s3-down", Fault::Down, PARTS, 1);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("aborting it failed too") && err.contains("stays in the bucket"),
        "{err}"
    );
    // Seen past the proxy: no object, and the one incomplete upload the message spoke of.
    assert_eq!(moto.keys("release-bucket"), Vec::<String>::new());
    let open = moto.open_uploads("release-bucket");
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["key"], ZIP_KEY);
    assert_eq!(run.leftovers(), Vec::<String>::new());
}

#[test]
fn an_upload_left_open_by_a_killed_release_is_aborted_by_the_next() {
    let f = Fixture::new("s3-killed");
    add_large_object(&f, 24 << 20);
    let moto = Moto::bare(&[]);
    moto.bucket(&["mkbucket", "release-bucket"]);
    // Someone else's upload, of another key, which must be left alone.
    moto.bucket(&["start-upload", "release-bucket", "releases/other.zip"]);
    let proxy = Proxy::start(moto.server.port, Fault::Stall, PARTS, usize::MAX);
    let run = Run::new(&f);
    let quarantine = f.quarantine.to_str().unwrap().to_owned();
    let args = ["--quarantine", &quarantine, "--out", RELEASES, "--no-store"];
    let mut release = run.command(&f, &proxy.endpoint(), &args).spawn().unwrap();
    // A part is on its way, so the upload is open: the release is killed as a machine dies.
    let deadline = Instant::now() + Duration::from_secs(60);
    while proxy.faults() == 0 {
        assert!(Instant::now() < deadline, "no part was sent");
        std::thread::sleep(Duration::from_millis(20));
    }
    release.kill().unwrap();
    release.wait().unwrap();
    let keys = |uploads: Vec<Value>| -> Vec<String> {
        let mut keys: Vec<String> = uploads
            .iter()
            .map(|u| u["key"].as_str().unwrap().to_owned())
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(
        keys(moto.open_uploads("release-bucket")),
        ["releases/other.zip", ZIP_KEY]
    );

    let out = run.release(&f, &moto.endpoint(), &args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("aborted 1 multipart upload(s)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        keys(moto.open_uploads("release-bucket")),
        ["releases/other.zip"]
    );
    assert!(moto.keys("release-bucket").contains(&ZIP_KEY.to_owned()));
}

#[test]
fn a_release_record_that_cannot_be_written_takes_its_zip_away() {
    let (_f, moto, proxy, run, out) = faulty_upload(
        "s3-record",
        Fault::Status(500),
        Target::Naming("PUT /release-bucket/releases/ro-crate-AR-2025-0042.release.json"),
        usize::MAX,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "s3://release-bucket/{RECORD_KEY}: upload of the release record failed"
        )),
        "{err}"
    );
    assert_eq!(proxy.faults(), 3, "the record is retried twice: {err}");
    // The zip was complete in the bucket before the record failed (object_store deletes
    // through the batch API); it is gone again.
    let log = moto.server.log();
    assert_eq!(
        moto.requests(&format!("POST /release-bucket/{ZIP_KEY}?uploadId=")),
        1,
        "{log}"
    );
    assert!(moto.requests("POST /release-bucket?delete") >= 1, "{log}");
    assert_nothing_left(&moto, &run);
}

#[test]
fn flags_override_the_aws_environment() {
    let f = Fixture::new("s3-flags");
    let moto = Moto::start(&f);
    let secret = f.scratch.join("secret");
    std::fs::write(&secret, "from-a-file\n").unwrap();
    let run = Run::new(&f);
    // The environment names a port where nothing listens; the flag names the server.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let endpoint = moto.endpoint();
    let out = run.release(
        &f,
        &nowhere,
        &[
            "--quarantine",
            QUARANTINE,
            "--out",
            RELEASES,
            "--no-store",
            "--s3-endpoint-url",
            &endpoint,
            "--s3-region",
            "eu-west-2",
            "--s3-access-key-id",
            "flag-key",
            "--s3-secret-access-key-file",
            secret.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(moto.keys("release-bucket"), [RECORD_KEY, ZIP_KEY]);

    let missing = f.scratch.join("no-such-secret");
    let out = run.release(
        &f,
        &endpoint,
        &[
            "--quarantine",
            QUARANTINE,
            "--out",
            RELEASES,
            "--s3-secret-access-key-file",
            missing.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--s3-secret-access-key-file")
            && stderr(&out).contains("no-such-secret"),
        "{}",
        stderr(&out)
    );
}
