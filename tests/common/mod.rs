//! Helpers shared by the integration tests: scratch directories, the example export, and
//! running the `trecrate` binary.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled examples, each a release export with its quarantine.
pub const EXAMPLES: [&str; 2] = ["release-AR-2025-0042", "release-AR-2024-0107"];

pub fn example() -> PathBuf {
    root().join("examples").join(EXAMPLES[0])
}

/// A fresh directory under the target dir, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = root()
            .join("target/test-scratch")
            .join(format!("{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A copy of the example export and quarantine that a test may modify.
pub struct Fixture {
    pub scratch: Scratch,
    pub export: PathBuf,
    pub quarantine: PathBuf,
    pub out: PathBuf,
}

impl Fixture {
    pub fn new(name: &str) -> Self {
        Self::of(EXAMPLES[0], name)
    }

    /// A copy of the bundled example `example` (one of [`EXAMPLES`]).
    pub fn of(example: &str, name: &str) -> Self {
        let scratch = Scratch::new(name);
        copy_dir(&root().join("examples").join(example), scratch.path());
        Fixture {
            export: scratch.join("release.json"),
            quarantine: scratch.join("quarantine"),
            out: scratch.join("out"),
            scratch,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&std::fs::read(&self.export).unwrap()).unwrap()
    }

    pub fn write_json(&self, value: &Value) {
        std::fs::write(&self.export, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    }

    /// Applies `edit` to the export.
    pub fn edit(&self, edit: impl FnOnce(&mut Value)) {
        let mut value = self.json();
        edit(&mut value);
        self.write_json(&value);
    }

    pub fn release(&self, extra: &[&str]) -> Output {
        let mut args = vec![
            "release".to_owned(),
            self.export.display().to_string(),
            "--quarantine".into(),
            self.quarantine.display().to_string(),
            "--out".into(),
            self.out.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        trecrate(&args)
    }

    /// Library options for releasing this fixture, as the CLI's defaults would give.
    pub fn options(&self, tre_namespace: &str) -> trecrate::ReleaseOptions {
        trecrate::ReleaseOptions {
            export: self.export.clone(),
            quarantine: self.quarantine.clone().into(),
            out: self.out.clone().into(),
            s3: Default::default(),
            force: false,
            publisher: trecrate::release::load::Publisher {
                name: trecrate::release::load::DEFAULT_PUBLISHER_NAME.into(),
                url: trecrate::release::load::DEFAULT_PUBLISHER_URL.into(),
            },
            tre_namespace: tre_namespace.into(),
            assets: Default::default(),
            deflate_level: 6,
            store: None,
            ro_crate_version: Default::default(),
            bagit: false,
            cancel: Default::default(),
        }
    }

    pub fn request_id(&self) -> String {
        self.json()["request"]["id"].as_str().unwrap().to_owned()
    }

    pub fn crate_dir(&self) -> PathBuf {
        self.out.join(format!("ro-crate-{}", self.request_id()))
    }
}

/// The binary, with a fixed clock, and recording into no archive unless a test removes
/// `TRECRATE_NO_STORE` (so that tests never touch the user's default archive).
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trecrate"));
    command
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env("TRECRATE_NO_STORE", "1")
        .env_remove("TRECRATE_STORE")
        .env_remove("TRECRATE_TRE_NAMESPACE")
        .env_remove("TRECRATE_TOKEN");
    command
}

pub fn trecrate<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    command().args(args).output().unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            let mut perms = std::fs::metadata(&target).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).unwrap();
        }
    }
}

/// The Python of the venv that `scripts/setup` creates, or `TRECRATE_PYTHON`.
pub fn python() -> PathBuf {
    match std::env::var_os("TRECRATE_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => root().join(".venv/bin/python"),
    }
}

/// Runs a peer tool; panics with a remedy when the peer tools are not installed.
pub fn run_peer(program: &Path, args: &[&std::ffi::OsStr]) -> Output {
    if !program.exists() {
        panic!(
            "{} not found: the peer tools are installed by `scripts/setup` (or set TRECRATE_PYTHON)",
            program.display()
        );
    }
    Command::new(program).args(args).output().unwrap()
}

/// All files under `dir`, relative, sorted.
pub fn list_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

/// Writes a synthetic export of `n` small approved CSV files, with its quarantine, into `dir`.
pub fn synthetic_export(dir: &Path, n: usize) -> PathBuf {
    use sha2::{Digest, Sha256};
    let mut objects = Vec::new();
    for i in 0..n {
        let data = format!("region,count\nr{i},{}\n", i * 7 % 101).repeat(20);
        let path = format!("obj-{i:05}/v1/table.csv");
        let file = dir.join("quarantine").join(&path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &data).unwrap();
        let sha: String = Sha256::digest(data.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        objects.push(serde_json::json!({
            "id": format!("obj-{i:05}"),
            "versions": [{
                "version": 1, "state": "approved", "path": path, "name": format!("Table {i}"),
                "description": "Synthetic.", "media_type": "text/csv", "sha256": sha,
                "size": data.len(), "statbarn": "frequencies",
                "researcher_justification": "", "suppression_notes": ""
            }]
        }));
    }
    let mut export: Value =
        serde_json::from_slice(&std::fs::read(example().join("release.json")).unwrap()).unwrap();
    export["request"]["id"] = "AR-SYNTH".into();
    export["objects"] = Value::Array(objects);
    let path = dir.join("release.json");
    std::fs::write(&path, serde_json::to_vec(&export).unwrap()).unwrap();
    path
}

/// Every bundled example: four requests over two projects, four checkers, 2024 to 2026.
pub const ALL: [&str; 4] = [
    "release-AR-2024-0107",
    "release-AR-2025-0042",
    "release-AR-2025-0115",
    "release-AR-2026-0003",
];

/// A scratch archive with the bundled examples released into it.
pub struct Archive {
    pub scratch: Scratch,
}

impl Archive {
    pub fn new(name: &str) -> Self {
        Archive {
            scratch: Scratch::new(name),
        }
    }

    pub fn store(&self) -> PathBuf {
        self.scratch.join("store")
    }

    pub fn out(&self) -> PathBuf {
        self.scratch.join("out")
    }

    /// `trecrate ARGS --store STORE`.
    pub fn run(&self, args: &[&str]) -> Output {
        command()
            .env_remove("TRECRATE_NO_STORE")
            .args(args)
            .arg("--store")
            .arg(self.store())
            .output()
            .unwrap()
    }

    pub fn release(&self, example: &str, extra: &[&str]) -> Output {
        let dir = root().join("examples").join(example);
        let (export, quarantine) = (dir.join("release.json"), dir.join("quarantine"));
        self.release_export(&export, &quarantine, &self.out(), extra)
    }

    /// `trecrate release EXPORT --quarantine QUARANTINE --out OUT EXTRA` into this archive.
    pub fn release_export(
        &self,
        export: &Path,
        quarantine: &Path,
        out: &Path,
        extra: &[&str],
    ) -> Output {
        let mut args = vec![
            "release".to_owned(),
            export.display().to_string(),
            "--quarantine".into(),
            quarantine.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&args)
    }

    pub fn release_all(&self) {
        for example in ALL {
            let output = self.release(example, &["--quiet"]);
            assert!(output.status.success(), "{example}: {}", stderr(&output));
        }
    }

    /// A built-in query's rows, as JSON results read back into strings (unbound: "").
    pub fn builtin(&self, name: &str, params: &[&str]) -> Vec<Vec<String>> {
        let mut args = vec!["query", "--builtin", name, "--format", "json"];
        for p in params {
            args.push("--param");
            args.push(p);
        }
        let output = self.run(&args);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        rows(&output.stdout)
    }
}

/// The options of a quiet release in RO-Crate `version`, bagged or not.
pub fn format_options(version: &str, bagit: bool) -> Vec<&str> {
    let mut options = vec!["--quiet", "--ro-crate-version", version];
    if bagit {
        options.push("--bagit");
    }
    options
}

/// The entity of a metadata document's `@graph` with this `@id`.
pub fn entity<'a>(metadata: &'a Value, id: &str) -> &'a Value {
    metadata["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["@id"] == id)
        .unwrap_or_else(|| panic!("no entity {id}"))
}

/// Loads `url` in headless Chromium, giving its scripts up to five seconds (of virtual time,
/// which waits for their requests); returns the DOM and the console lines it logged.
pub fn chromium(url: &str) -> (String, Vec<String>) {
    let binary = std::env::var("TRECRATE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&binary).exists(),
        "{binary} not found: Debian's chromium is installed by `scripts/setup` (or set TRECRATE_CHROMIUM)"
    );
    let profile = Scratch::new("chromium-profile");
    let output = std::process::Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let console = stderr(&output)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        console,
    )
}

/// SPARQL JSON results as rows of values in the projected order.
pub fn rows(json: &[u8]) -> Vec<Vec<String>> {
    let results: Value = serde_json::from_slice(json).unwrap();
    let vars: Vec<String> = results["head"]["vars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    results["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            vars.iter()
                .map(|v| b[v]["value"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .collect()
}

/// A server process started by a test, killed when dropped. Its output goes to a log file in
/// the scratch directory (a pipe nobody reads would stall a chatty server).
pub struct Server {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts `command` and waits until `port` accepts connections.
    pub fn start(mut command: Command, port: u16) -> Server {
        let log = root().join(format!("target/test-scratch/server-{port}.log"));
        std::fs::create_dir_all(log.parent().unwrap()).unwrap();
        let out = std::fs::File::create(&log).unwrap();
        let mut child = command
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "the server exited with {status}: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, port, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// What the server has printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// rocrate-validator's JSON report on `crate_dir` for `profile` at `level`, offline: its
/// cache is seeded with the bundled contexts. `skips` are check identifiers to skip.
pub fn reference_validator(
    crate_dir: &Path,
    cache: &Path,
    profile: &str,
    level: &str,
    skips: &[&str],
) -> Value {
    use std::ffi::OsStr;
    let seeded = run_peer(
        &python(),
        &[
            root().join("tests/peers/seed_rocv_cache.py").as_os_str(),
            cache.as_os_str(),
            root().join("context").as_os_str(),
        ],
    );
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    let mut args: Vec<&OsStr> = [
        "-y",
        "--disable-color",
        "validate",
        "--offline",
        "--cache-path",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    args.push(cache.as_os_str());
    for arg in ["-p", profile, "-l", level, "--output-format", "json"] {
        args.push(OsStr::new(arg));
    }
    let skipped = skips.join(",");
    if !skips.is_empty() {
        args.extend([OsStr::new("--skip-checks"), OsStr::new(&skipped)]);
    }
    args.push(crate_dir.as_os_str());
    let output = run_peer(&python().with_file_name("rocrate-validator"), &args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout[stdout.find('{').unwrap_or(0)..]).unwrap_or_else(|e| {
        panic!(
            "rocrate-validator gave no JSON report ({e}): {stdout}\n{}",
            stderr(&output)
        )
    })
}

/// `trecrate releases --format csv` of the archive at `store`.
pub fn releases_csv(store: &Path) -> String {
    let listed = command()
        .args(["releases", "--format", "csv", "--store"])
        .arg(store)
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", stderr(&listed));
    String::from_utf8_lossy(&listed.stdout).into_owned()
}
