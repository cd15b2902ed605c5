//! Stage 1 of `run-crate`: a workflow run directory, as a WES service such as sapporo leaves
//! it, becomes facts in the source graph: what the run request asked for, how the run ended,
//! and what each file is and holds (size, sha256, lines, text, VCF statistics).
//!
//! Nothing is decided here: which files are inputs or outputs, how entities are named and
//! described, which format an extension means, all of that is in `queries/run-crate/`. A run
//! directory is whatever the engine left behind, so every fact is optional except the run
//! request itself: what cannot be read is left out, never guessed.

use crate::rdf::frozen::GraphBuilder;
use crate::rdf::iri::encode_path as uri_path;
use crate::rdf::source_graph::SourceGraph;
use crate::rdf::vocab;
use oxigraph::model::Literal;
use oxigraph::store::StorageError;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    #[error("{}: cannot read the run request", path.display())]
    Request {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: the run request is not a JSON object: {message}", path.display())]
    Json { path: PathBuf, message: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The query choosing the run's files (`run-files.rq`) failed.
    #[error("run-files.rq: {0}")]
    Select(String),
    /// A fifo, socket or device: reading it could block forever, so the run is refused.
    #[error("{}: not a regular file; a run directory holds files and directories only", .0.display())]
    NotRegular(PathBuf),
}

/// What was loaded, for the caller's report and the archive record.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub run_id: String,
    pub files: usize,
    pub bytes: u64,
    /// The crate's files as read and hashed, in path order: a bag's payload.
    pub payload: Vec<LoadedFile>,
}

/// One file of the run crate, as it was when hashed.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    /// Relative to the run directory, as the crate names it.
    pub path: String,
    pub size: u64,
    pub sha256: String,
    /// Whether its bytes are already compressed (`.gz`, `.bz2`...).
    pub compressed: bool,
}

/// Text files up to this size are embedded in the crate (`text`).
const EMBED_TEXT: u64 = 10 * 1024;
/// How many lines of stderr.log a failed run reports as its `error`.
const ERROR_LINES: usize = 20;

/// The run id: runtime_info.json's (`info`), else the directory's name.
fn run_id(dir: &Path, info: Option<&Value>) -> String {
    info.and_then(|info| info["run_id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| {
            dir.canonicalize()
                .ok()
                .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "run".to_owned())
        })
}

/// The source graph of the run directory `dir`, and what was loaded. `license` (an IRI)
/// overrides the run request's `tags.license`; `select` (`queries/run-files.rq`) chooses
/// which files are the crate's.
pub fn load(
    dir: &Path,
    license: Option<&str>,
    select: &str,
) -> Result<(GraphBuilder, Loaded), RunDirError> {
    let request_path = dir.join("run_request.json");
    let bytes = read_regular(&request_path).map_err(|source| RunDirError::Request {
        path: request_path.clone(),
        source,
    })?;
    let request: Value = serde_json::from_slice(&bytes).map_err(|e| RunDirError::Json {
        path: request_path.clone(),
        message: e.to_string(),
    })?;
    if !request.is_object() {
        return Err(RunDirError::Json {
            path: request_path,
            message: "expected an object".into(),
        });
    }
    let mut g = SourceGraph::new(vocab::RUN, "urn:trecrate:run:");
    let run = g.node("run");
    g.class(&run, "Run");
    let info = read_json(&dir.join("runtime_info.json"));
    let run_id = run_id(dir, info.as_ref());
    g.text(&run, "id", &run_id);
    // Times are plain strings, as RO-Crate writes them (an xsd:dateTime literal would
    // compact to a typed value object).
    g.text(
        &run,
        "generatedAt",
        crate::rdf::timestamp::Timestamp::now().as_str(),
    );
    // The licence as given: an IRI, or text the crate's shapes will ask to be an IRI. Which
    // licence a run without one gets is the mapping's choice (root-data-entity.rq).
    match license
        .map(str::to_owned)
        .or_else(|| scalar(&request["tags"]["license"]))
    {
        Some(l) if oxigraph::model::NamedNode::new(l.as_str()).is_ok() => {
            g.iri(&run, "license", &l)
        }
        Some(l) => g.text(&run, "licenseText", &l),
        None => {}
    }

    for (key, property) in [
        ("workflow_type", "workflowType"),
        ("workflow_type_version", "workflowTypeVersion"),
        ("workflow_engine", "engine"),
        ("workflow_engine_version", "engineVersion"),
        ("workflow_url", "workflowUrl"),
    ] {
        if let Some(value) = scalar(&request[key]) {
            g.text(&run, property, &value);
        }
    }
    if let Some(info) = &info {
        for (key, property) in [("sapporo_version", "wesVersion"), ("base_url", "baseUrl")] {
            if let Some(value) = scalar(&info[key]) {
                g.text(&run, property, &value);
            }
        }
    }
    let small = |name: &str| {
        read_regular(&dir.join(name))
            .ok()
            .map(|t| String::from_utf8_lossy(&t).trim().to_owned())
            .filter(|t| !t.is_empty())
    };
    if let Some(state) = small("state.txt") {
        g.text(&run, "state", &state);
    }
    if let Some(code) = small("exit_code.txt") {
        match code.parse::<i64>() {
            Ok(n) => g.push(&run, "exitCode", Literal::from(n)),
            Err(_) => g.text(&run, "exitCodeText", &code),
        }
    }
    for (file, property) in [("start_time.txt", "startTime"), ("end_time.txt", "endTime")] {
        if let Some(time) = small(file).as_deref().and_then(date_time) {
            g.text(&run, property, &time);
        }
    }
    if let Some(user) = small("username.txt") {
        g.text(&run, "username", &user);
    }
    if let Some(image) = small("cmd.txt").as_deref().and_then(container_image) {
        g.text(&run, "containerImage", &image);
    }
    if let Some(tail) = read_regular(&dir.join("stderr.log")).ok().map(|b| tail(&b)) {
        g.text(&run, "stderrTail", &tail);
    }

    // Files: those of run-files.rq's choosing. A file listed in run_request.json or
    // outputs.json but gone is skipped.
    let files = choose(dir, select)?;
    // Reading and hashing is the slow part, so the cores take the files one at a time (a few
    // large outputs must not all land on one core); the facts are then added in path order.
    let workers = crate::parallel::workers(files.len(), 8);
    // A worker that stopped leaves the files it took without facts, never misplaced.
    let facts = crate::parallel::map(&files, workers, |_, file| FileFacts::of(dir, file));
    let mut bytes = 0;
    let mut payload = Vec::new();
    for (i, (file, facts)) in files.iter().zip(facts).enumerate() {
        let facts = facts.unwrap_or_default();
        let path = &file.path;
        if let (Some(size), Some(sha256)) = (facts.size, &facts.sha256) {
            payload.push(LoadedFile {
                path: path.clone(),
                size,
                sha256: sha256.clone(),
                compressed: file.compression.is_some(),
            });
        }
        let node = g.node(&format!("files/{i}"));
        g.class(&node, "File");
        g.link(&run, "file", &node);
        g.text(&node, "path", path);
        g.text(&node, "uriPath", &uri_path(path));
        g.text(&node, "name", path.rsplit('/').next().unwrap_or(path));
        if let Some(extension) = &file.extension {
            g.text(&node, "extension", extension);
        }
        if let Some(compression) = &file.compression {
            g.text(&node, "compression", compression);
        }
        if let Some(size) = facts.size {
            bytes += size;
            g.integer(&node, "size", size);
        }
        if let Some(modified) = facts.modified {
            g.text(&node, "modified", &modified);
        }
        if let Some(sha256) = &facts.sha256 {
            g.text(&node, "sha256", sha256);
        }
        if let Some(lines) = facts.lines {
            g.integer(&node, "lineCount", lines);
        }
        if let Some(text) = &facts.text {
            g.text(&node, "text", text);
        }
        if let Some(stats) = facts.vcf {
            g.integer(&node, "variantCount", stats.variants);
            g.integer(&node, "snpCount", stats.snps);
            g.integer(&node, "indelCount", stats.indels);
        }
    }

    // The workflow's parameters, from the request (exe/workflow_params.json is the same).
    let params = match &request["workflow_params"] {
        Value::Object(params) => Some(params.clone()),
        // WES sends the parameters as a JSON document inside a form field.
        Value::String(text) => serde_json::from_str(text).ok(),
        _ => None,
    }
    .or_else(|| {
        read_json(&dir.join("exe/workflow_params.json")).and_then(|v| v.as_object().cloned())
    });
    if let Some(params) = params {
        for (i, (name, value)) in params.iter().enumerate() {
            let param = g.node(&format!("params/{i}"));
            g.class(&param, "Parameter");
            g.link(&run, "param", &param);
            g.text(&param, "name", name);
            let class = value["class"].as_str().map(str::to_owned);
            let shown = match (&class, value) {
                (Some(_), v) => scalar(&v["path"])
                    .or_else(|| scalar(&v["location"]))
                    .unwrap_or_else(|| v.to_string()),
                (None, v) => scalar(v).unwrap_or_else(|| v.to_string()),
            };
            g.text(&param, "value", &shown);
            g.text(
                &param,
                "valueClass",
                class.as_deref().unwrap_or(json_kind(value)),
            );
        }
    }

    let loaded = Loaded {
        run_id,
        files: files.len(),
        bytes,
        payload,
    };
    Ok((g.into_builder(), loaded))
}

/// A file of the run chosen for the crate, with its name read by `run-files.rq`.
struct RunFile {
    path: String,
    extension: Option<String>,
    compression: Option<String>,
}

/// The files `select` chooses among every regular file under `dir`, in path order. Only
/// files that are there can be chosen: a row naming another path is ignored.
fn choose(dir: &Path, select: &str) -> Result<Vec<RunFile>, RunDirError> {
    let mut paths = Vec::new();
    walk(dir, "", &mut paths)?;
    select_files(&paths, select)
}

/// The rows of `select` over `paths` as run:Entry facts, restricted to those paths.
fn select_files(paths: &[String], select: &str) -> Result<Vec<RunFile>, RunDirError> {
    let mut g = SourceGraph::new(vocab::RUN, "urn:trecrate:run:");
    for (i, path) in paths.iter().enumerate() {
        let entry = g.node(&format!("entries/{i}"));
        g.class(&entry, "Entry");
        g.text(&entry, "path", path);
    }
    let entries = g.freeze();
    let rows = crate::rdf::select::select(&entries, None, select).map_err(RunDirError::Select)?;
    let listed: std::collections::HashSet<&String> = paths.iter().collect();
    let text = |row: &std::collections::HashMap<String, oxigraph::model::Term>, name: &str| {
        crate::rdf::select::text(row.get(name))
    };
    let mut files: Vec<RunFile> = rows
        .rows
        .iter()
        .filter_map(|row| {
            let path = text(row, "path").filter(|p| listed.contains(p))?;
            Some(RunFile {
                path,
                extension: text(row, "extension"),
                compression: text(row, "compression"),
            })
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    Ok(files)
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&read_regular(path).ok()?).ok()
}

/// A file's bytes, provided it is a regular file and not a symbolic link, which could lead
/// out of the run directory.
fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    if path.symlink_metadata()?.file_type().is_symlink() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a symbolic link, which is not followed",
        ));
    }
    crate::file::read_regular(path)
}

/// A JSON string, number or boolean as text; `None` for null, objects and arrays.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

/// An RFC 3339 date-time; one without an offset (sapporo writes end times so) is taken as UTC.
fn date_time(text: &str) -> Option<String> {
    let candidate = if crate::rdf::timestamp::Timestamp::parse(text).is_some() {
        text.to_owned()
    } else {
        format!("{text}Z")
    };
    crate::rdf::timestamp::Timestamp::parse(&candidate).map(|t| t.as_str().to_owned())
}

/// The image a `docker run` (or `podman run`) command line starts: the first argument after
/// `run` that is neither an option nor an option's value.
fn container_image(cmd: &str) -> Option<String> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let start = words.iter().position(|w| *w == "run")? + 1;
    // Options that take no value; every other `-x` / `--long` without `=` takes the next word.
    const FLAGS: [&str; 12] = [
        "--rm",
        "-d",
        "--detach",
        "-i",
        "--interactive",
        "-t",
        "--tty",
        "-it",
        "-ti",
        "--init",
        "--privileged",
        "--read-only",
    ];
    let mut rest = words[start..].iter();
    while let Some(word) = rest.next() {
        if let Some(option) = word.strip_prefix('-') {
            if !FLAGS.contains(word) && !option.contains('=') {
                rest.next();
            }
            continue;
        }
        return Some((*word).to_owned());
    }
    None
}

/// The last [`ERROR_LINES`] lines.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(ERROR_LINES)..].join("\n")
}

/// Every regular file under `dir`, as `prefix` + its relative path; symbolic links are not
/// followed, so nothing outside the run directory is read.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<(), RunDirError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let path = format!("{prefix}{name}");
        if kind.is_dir() {
            walk(&entry.path(), &format!("{path}/"), out)?;
        } else if kind.is_file() {
            out.push(path);
        } else if !kind.is_symlink() {
            return Err(RunDirError::NotRegular(entry.path()));
        }
    }
    Ok(())
}

/// What could be read of one file; each fact is `None` when it could not be.
#[derive(Default)]
struct FileFacts {
    size: Option<u64>,
    modified: Option<String>,
    sha256: Option<String>,
    lines: Option<u64>,
    text: Option<String>,
    vcf: Option<VcfStats>,
}

impl FileFacts {
    fn of(dir: &Path, chosen: &RunFile) -> Self {
        let path = &dir.join(&chosen.path);
        let mut facts = FileFacts::default();
        let Ok(meta) = std::fs::metadata(path) else {
            return facts;
        };
        facts.size = Some(meta.len());
        facts.modified = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| crate::rdf::timestamp::Timestamp::from_epoch(d.as_secs() as i64))
            .map(|t| t.as_str().to_owned());
        let Ok(mut file) = crate::file::open_regular(path) else {
            return facts;
        };
        let mut hasher = Sha256::new();
        let mut buffer = vec![0; 1 << 16];
        let (mut newlines, mut last, mut text, mut first) = (0u64, b'\n', true, true);
        let mut small = Vec::new();
        loop {
            let n = match file.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(_) => {
                    return FileFacts {
                        sha256: None,
                        ..facts
                    }
                }
            };
            let chunk = &buffer[..n];
            hasher.update(chunk);
            if first {
                // Text: no NUL byte and valid UTF-8 at the start (a character cut at the
                // chunk's end is fine).
                text = !chunk.contains(&0)
                    && std::str::from_utf8(chunk)
                        .map_or_else(|e| e.error_len().is_none(), |_| true);
                first = false;
            }
            if text {
                newlines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
                last = chunk[n - 1];
                if meta.len() <= EMBED_TEXT {
                    small.extend_from_slice(chunk);
                }
            }
        }
        facts.sha256 = Some(crate::rdf::digest::hex(&hasher.finalize()));
        if text {
            facts.lines = Some(newlines + u64::from(last != b'\n'));
            if meta.len() <= EMBED_TEXT {
                facts.text = String::from_utf8(small).ok();
            }
        }
        if chosen.extension.as_deref() == Some("vcf") {
            facts.vcf = VcfStats::of(path, chosen.compression.as_deref());
        }
        facts
    }
}

/// Counts of a VCF file's records: every record is a variant; a SNP has a one-base REF and
/// only one-base ALTs; an indel has an ALT of another length than REF. Symbolic (`<DEL>`),
/// breakend and missing (`*`, `.`) alleles count as neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VcfStats {
    pub variants: u64,
    pub snps: u64,
    pub indels: u64,
}

impl VcfStats {
    fn of(path: &Path, compression: Option<&str>) -> Option<Self> {
        let file = crate::file::open_regular(path).ok()?;
        let reader: Box<dyn BufRead> = match compression {
            None => Box::new(std::io::BufReader::new(file)),
            // bgzip writes many gzip members: all are read.
            Some("gz" | "bgz") => Box::new(std::io::BufReader::new(
                flate2::read::MultiGzDecoder::new(file),
            )),
            Some(_) => return None,
        };
        Self::read(reader).ok()
    }

    pub fn read(reader: impl BufRead) -> std::io::Result<Self> {
        let mut stats = VcfStats {
            variants: 0,
            snps: 0,
            indels: 0,
        };
        for line in reader.lines() {
            let line = line?;
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut fields = line.split('\t').skip(3);
            let (Some(reference), Some(alternates)) = (fields.next(), fields.next()) else {
                continue;
            };
            stats.variants += 1;
            let alternates: Vec<&str> = alternates
                .split(',')
                .filter(|a| {
                    !a.is_empty()
                        && *a != "."
                        && *a != "*"
                        && a.bytes().all(|b| b.is_ascii_alphabetic())
                })
                .collect();
            if alternates.is_empty() {
                continue;
            }
            if reference.len() == 1 && alternates.iter().all(|a| a.len() == 1) {
                stats.snps += 1;
            } else if alternates.iter().any(|a| a.len() != reference.len()) {
                stats.indels += 1;
            }
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_container_image_is_the_first_word_after_the_options() {
        let cmd = "docker run --rm -v /a:/b -e X=1 -w=/w --name x quay.io/commonwl/cwltool:3.1 --outdir o wf.cwl";
        assert_eq!(
            container_image(cmd).as_deref(),
            Some("quay.io/commonwl/cwltool:3.1")
        );
        assert_eq!(
            container_image("nextflow run main.nf"),
            Some("main.nf".into())
        );
        assert_eq!(container_image("cwltool wf.cwl"), None);
    }

    #[test]
    fn vcf_records_are_counted_as_snps_and_indels() {
        let vcf = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\n\
                   1\t10\t.\tA\tG\t.\n1\t20\t.\tA\tAT\t.\n1\t30\t.\tAC\tA\t.\n\
                   1\t40\t.\tA\tC,T\t.\n1\t50\t.\tA\t<DEL>\t.\n1\t60\t.\tAC\tGT\t.\n";
        let stats = VcfStats::read(vcf.as_bytes()).unwrap();
        assert_eq!(
            stats,
            VcfStats {
                variants: 6,
                snps: 2,
                indels: 2
            }
        );
    }

    #[test]
    fn run_files_rq_chooses_the_files_and_reads_their_names() {
        let paths: Vec<String> = [
            "outputs/a.VCF.gz",
            "exe/ERR034597_1.small.fq.gz",
            "outputs/x.gz",
            "outputs/README",
            "outputs/.hidden",
            "stderr.log",
            "run_request.json",
            "work/tmp.txt",
        ]
        .map(str::to_owned)
        .to_vec();
        let select = crate::assets::document("queries/run-files.rq");
        let files = select_files(&paths, select).unwrap();
        let read: Vec<(&str, Option<&str>, Option<&str>)> = files
            .iter()
            .map(|f| {
                (
                    f.path.as_str(),
                    f.extension.as_deref(),
                    f.compression.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            read,
            [
                ("exe/ERR034597_1.small.fq.gz", Some("fq"), Some("gz")),
                ("outputs/.hidden", Some("hidden"), None),
                ("outputs/README", None, None),
                ("outputs/a.VCF.gz", Some("vcf"), Some("gz")),
                ("outputs/x.gz", Some("gz"), None),
                ("stderr.log", Some("log"), None),
            ]
        );
        // A row naming a file that is not there is not followed.
        let invented = "SELECT ?path WHERE { VALUES ?path { \"../etc/passwd\" \"stderr.log\" } }";
        let files = select_files(&paths, invented).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, "stderr.log");
        assert_eq!(uri_path("outputs/a b#1.txt"), "outputs/a%20b%231.txt");
    }

    #[test]
    fn timestamps_without_an_offset_are_utc() {
        assert_eq!(
            date_time("2026-02-19T09:11:50").as_deref(),
            Some("2026-02-19T09:11:50Z")
        );
        assert_eq!(date_time("yesterday"), None);
    }
}
