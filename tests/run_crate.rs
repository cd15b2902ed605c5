//! `trecrate run-crate`: the corpus's sapporo run checked by the reference validator for the
//! four profiles, and run directories built here for each way a run directory can be
//! incomplete, each checked entity by entity.

mod common;

use common::{command, root, stderr, Scratch};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Output;

fn run_crate(dir: &Path, extra: &[&str]) -> Output {
    command()
        .arg("run-crate")
        .arg(dir)
        .arg("--quiet")
        .args(extra)
        .output()
        .unwrap()
}

fn metadata(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("ro-crate-metadata.json")).unwrap()).unwrap()
}

fn entity<'a>(metadata: &'a Value, id: &str) -> &'a Value {
    find(metadata, id).unwrap_or_else(|| panic!("no entity {id} in {metadata:#}"))
}

fn find<'a>(metadata: &'a Value, id: &str) -> Option<&'a Value> {
    metadata["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["@id"] == id)
}

/// The `@id`s a property points to, whether it holds one reference or several.
fn refs(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().flat_map(refs).collect(),
        Value::Object(o) => o
            .get("@id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

fn values(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// The single CreateAction of a run crate.
fn action(metadata: &Value) -> &Value {
    let actions: Vec<&Value> = metadata["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["@type"] == "CreateAction")
        .collect();
    assert_eq!(actions.len(), 1, "{metadata:#}");
    actions[0]
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A copy of the corpus's sapporo run (tests/corpus/SOURCES.md), without the crate another
/// implementation wrote.
fn corpus_run(scratch: &Scratch) -> PathBuf {
    let dir = scratch.join("run");
    common::copy_dir(&root().join("tests/corpus/sapporo/run-crate"), &dir);
    std::fs::remove_file(dir.join("ro-crate-metadata.json")).unwrap();
    dir
}

/// A small run directory of a CWL workflow with one file parameter and one plain one.
fn small_run(scratch: &Scratch, name: &str) -> PathBuf {
    let dir = scratch.join(name);
    let write = |path: &str, text: &str| {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    };
    let request = json!({
        "workflow_params": {
            "reads": { "class": "File", "path": "reads.fq" },
            "threads": 4
        },
        "workflow_type": "CWL",
        "workflow_type_version": "v1.2",
        "workflow_engine": "cwltool",
        "workflow_engine_version": "3.1.0",
        "workflow_url": "wf.cwl",
        "workflow_attachment": [
            { "filename": "wf.cwl" }, { "filename": "reads.fq" }, { "filename": "gone.txt" }
        ]
    });
    write("run_request.json", &request.to_string());
    write(
        "runtime_info.json",
        r#"{"run_id": "run-1", "sapporo_version": "2.1.0"}"#,
    );
    write("exe/wf.cwl", "cwlVersion: v1.2\nclass: Workflow\n");
    write("exe/reads.fq", "@r1\nACGT\n+\nIIII\n");
    write("outputs/counts.csv", "read,count\nr1,4\n");
    write("state.txt", "COMPLETE\n");
    write("exit_code.txt", "0\n");
    write("start_time.txt", "2026-02-19T09:11:39Z\n");
    write("end_time.txt", "2026-02-19T09:11:50\n");
    write("stdout.log", "{}\n");
    write("stderr.log", "INFO done\n");
    write(
        "cmd.txt",
        "docker run --rm -v /tmp:/tmp -w=/run quay.io/commonwl/cwltool:3.1.0 --outdir out wf.cwl\n",
    );
    write("outputs.json", r#"[{"file_name": "missing.txt"}]"#);
    dir
}

fn edit_request(dir: &Path, edit: impl FnOnce(&mut Value)) {
    let path = dir.join("run_request.json");
    let mut request: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut request);
    std::fs::write(path, request.to_string()).unwrap();
}

#[test]
fn the_corpus_run_passes_the_reference_validator_for_the_four_profiles() {
    let scratch = Scratch::new("run-crate-corpus");
    let dir = corpus_run(&scratch);
    let out = run_crate(&dir, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    for profile in [
        "ro-crate-1.1",
        "process-run-crate-0.5",
        "workflow-run-crate-0.5",
        "workflow-ro-crate-1.0",
    ] {
        let report = common::reference_validator(
            &dir,
            &scratch.join("rocv-cache"),
            profile,
            "required",
            &[],
        );
        assert_eq!(report["passed"], true, "{profile}: {:#}", report["issues"]);
        assert_eq!(report["skipped_checks"], 0, "{profile}: {report:#}");
    }

    let m = metadata(&dir);
    let root_entity = entity(&m, "./");
    assert_eq!(
        refs(&root_entity["conformsTo"]),
        [
            "https://w3id.org/ro/wfrun/process/0.5",
            "https://w3id.org/ro/wfrun/workflow/0.5",
            "https://w3id.org/workflowhub/workflow-ro-crate/1.0"
        ]
    );
    assert_eq!(
        refs(&root_entity["mainEntity"]),
        ["exe/trimming_and_qc.cwl"]
    );
    let workflow = entity(&m, "exe/trimming_and_qc.cwl");
    assert_eq!(
        workflow["@type"],
        json!(["File", "SoftwareSourceCode", "ComputationalWorkflow"])
    );
    assert_eq!(
        refs(&workflow["programmingLanguage"]),
        ["https://w3id.org/workflowhub/workflow-ro-crate#cwl"]
    );
    let run = action(&m);
    assert_eq!(
        refs(&root_entity["mentions"]),
        [run["@id"].as_str().unwrap()]
    );
    assert_eq!(
        refs(&run["actionStatus"]),
        ["http://schema.org/CompletedActionStatus"]
    );
    assert_eq!(run["exitCode"], 0);
    assert_eq!(run["startTime"], "2026-02-19T09:11:39Z");
    assert_eq!(run["endTime"], "2026-02-19T09:11:50Z");
    assert!(run.get("error").is_none());
    let image = entity(&m, refs(&run["containerImage"])[0].as_str());
    assert_eq!(image["name"], "quay.io/commonwl/cwltool:3.1.20260108082145");
    assert_eq!(image["registry"], "quay.io");
    assert_eq!(image["tag"], "3.1.20260108082145");
    let engines = refs(&run["executedBy"]);
    assert!(
        engines.contains(&"https://github.com/common-workflow-language/cwltool".to_owned())
            && engines.contains(&"https://github.com/sapporo-wes/sapporo-service".to_owned()),
        "{engines:?}"
    );

    // The outputs on disk are the results; the two that outputs.json lists but the run
    // directory lacks are skipped.
    let mut results = refs(&run["result"]);
    results.sort();
    assert_eq!(
        results,
        [
            "outputs/ERR034597_1.small.fq.trimmed.1U.fq",
            "outputs/ERR034597_1.small.fq.trimmed.2U.fq",
            "outputs/ERR034597_1.small_fastqc.html",
            "outputs/ERR034597_2.small_fastqc.html"
        ]
    );
    assert!(find(&m, "outputs/ERR034597_1.small.fq.trimmed.1P.fq").is_none());
    for id in refs(&root_entity["hasPart"]) {
        let file = entity(&m, &id);
        let bytes = std::fs::read(dir.join(&id)).unwrap();
        assert_eq!(file["sha256"], sha256_hex(&bytes), "{id}");
        assert_eq!(file["contentSize"], bytes.len(), "{id}");
    }
    let fastq = entity(&m, "exe/ERR034597_1.small.fq.gz");
    assert_eq!(
        values(&fastq["encodingFormat"]),
        [
            json!({"@id": "http://edamontology.org/format_1930"}),
            json!("application/gzip")
        ]
    );
    assert!(fastq.get("lineCount").is_none() && fastq.get("text").is_none());
    let trimmed = entity(&m, "outputs/ERR034597_1.small.fq.trimmed.1U.fq");
    assert_eq!(trimmed["lineCount"], 3424);
    assert!(trimmed.get("text").is_none(), "larger than 10 KB");
    let cwl = entity(&m, "exe/fastqc.cwl");
    assert_eq!(
        cwl["text"],
        std::fs::read_to_string(dir.join("exe/fastqc.cwl")).unwrap()
    );
    // Parameters: the files they name, as FormalParameters of the workflow.
    assert_eq!(
        refs(&workflow["input"]),
        ["#param-input-fastq_1", "#param-input-fastq_2"]
    );
    assert_eq!(
        refs(&entity(&m, "#param-input-fastq_1")["workExample"]),
        ["exe/ERR034597_1.small.fq.gz"]
    );

    // The same directory gives the same bytes.
    let first = std::fs::read(dir.join("ro-crate-metadata.json")).unwrap();
    assert!(run_crate(&dir, &[]).status.success());
    assert_eq!(
        std::fs::read(dir.join("ro-crate-metadata.json")).unwrap(),
        first
    );
}

#[test]
fn unknown_languages_and_engines_get_generic_entities_without_noise() {
    let scratch = Scratch::new("run-crate-unknown");
    let known = small_run(&scratch, "known");
    let unknown = small_run(&scratch, "unknown");
    edit_request(&unknown, |r| {
        r["workflow_type"] = "Galaxy".into();
        r["workflow_engine"] = "my-engine".into();
    });
    let (a, b) = (run_crate(&known, &[]), run_crate(&unknown, &[]));
    assert!(a.status.success() && b.status.success(), "{}", stderr(&b));
    assert_eq!(
        stderr(&a),
        stderr(&b),
        "the unknown names add nothing to stderr"
    );
    let m = metadata(&unknown);
    let language = entity(&m, "#language-Galaxy");
    assert_eq!(language["@type"], "ComputerLanguage");
    assert_eq!(language["name"], "Galaxy");
    assert_eq!(
        refs(&entity(&m, "exe/wf.cwl")["programmingLanguage"]),
        ["#language-Galaxy"]
    );
    let engine = entity(&m, "#engine-my-engine");
    assert_eq!(engine["@type"], "SoftwareApplication");
    assert_eq!(engine["name"], "my-engine");
    assert_eq!(engine["softwareVersion"], "3.1.0");
    assert!(refs(&action(&m)["executedBy"]).contains(&"#engine-my-engine".to_owned()));
}

#[test]
fn a_workflow_missing_on_disk_is_named_by_its_url() {
    let scratch = Scratch::new("run-crate-remote");
    let dir = small_run(&scratch, "run");
    std::fs::remove_file(dir.join("exe/wf.cwl")).unwrap();
    let url = "https://example.org/workflows/wf.cwl";
    edit_request(&dir, |r| r["workflow_url"] = url.into());
    let out = run_crate(&dir, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let m = metadata(&dir);
    assert_eq!(refs(&entity(&m, "./")["mainEntity"]), [url]);
    let workflow = entity(&m, url);
    assert_eq!(
        workflow["@type"],
        json!(["File", "SoftwareSourceCode", "ComputationalWorkflow"])
    );
    assert_eq!(refs(&action(&m)["instrument"]), [url]);
    // RO-Crate 1.1: every data entity, web-based ones too, is reachable through hasPart.
    assert!(refs(&entity(&m, "./")["hasPart"]).contains(&url.to_owned()));
    assert!(find(&m, "exe/wf.cwl").is_none());
}

#[test]
fn files_listed_but_gone_are_skipped_and_unreadable_ones_lose_only_what_needs_reading() {
    use std::os::unix::fs::PermissionsExt;
    let open_to_all = |p: &Path| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
    };
    // Root reads anything: the run is then made by nobody, with its own copy of the binary,
    // in a directory under the system's temporary directory (the checkout may be where
    // nobody cannot go).
    let root_user = is_root();
    let scratch = if root_user {
        let dir = std::env::temp_dir().join(format!("trecrate-unreadable-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    } else {
        Scratch::new("run-crate-unreadable")
    };
    let dir = small_run(&scratch, "run");
    let secret = dir.join("outputs/secret.txt");
    std::fs::write(&secret, "not for you\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    open_to_all(scratch.path());
    open_to_all(&dir);
    let mut cmd = if root_user {
        let program = scratch.join("trecrate");
        std::fs::copy(env!("CARGO_BIN_EXE_trecrate"), &program).unwrap();
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(program);
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_trecrate"))
    };
    let out = cmd
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .args(["run-crate", "--quiet"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let m = metadata(&dir);
    let file = entity(&m, "outputs/secret.txt");
    assert_eq!(file["contentSize"], 12, "the size needs no reading");
    for property in ["sha256", "lineCount", "text"] {
        assert!(file.get(property).is_none(), "{property}: {file:#}");
    }
    assert!(refs(&action(&m)["result"]).contains(&"outputs/secret.txt".to_owned()));
    // Listed in outputs.json and in the request's attachments, but not in the directory.
    for gone in ["outputs/missing.txt", "exe/gone.txt"] {
        assert!(find(&m, gone).is_none(), "{gone}");
    }
}

/// Whether this process runs as root, from /proc (no libc dependency for one call).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[test]
fn a_missing_or_broken_run_request_exits_2_naming_it() {
    let scratch = Scratch::new("run-crate-request");
    let dir = small_run(&scratch, "run");
    std::fs::remove_file(dir.join("run_request.json")).unwrap();
    let out = run_crate(&dir, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("run_request.json"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.join("ro-crate-metadata.json").exists());

    std::fs::write(dir.join("run_request.json"), "{ not json").unwrap();
    let out = run_crate(&dir, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("run_request.json") && stderr(&out).contains("not a JSON object"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.join("ro-crate-metadata.json").exists());

    // With --on-error-write-stub: the failure is written where the crate would be, and
    // appended to the run's stderr.log.
    let out = run_crate(&dir, &["--on-error-write-stub"]);
    assert_eq!(out.status.code(), Some(2));
    let stub = metadata(&dir);
    let message = stub["@error"].as_str().unwrap();
    assert!(message.contains("run_request.json"), "{stub}");
    assert_eq!(stub.as_object().unwrap().len(), 1);
    let log = std::fs::read_to_string(dir.join("stderr.log")).unwrap();
    assert!(log.starts_with("INFO done\n"), "{log}");
    assert!(
        log.ends_with(&format!("trecrate run-crate: {message}\n")),
        "{log}"
    );
}

#[test]
fn a_failed_run_reports_its_status_exit_code_and_the_end_of_stderr() {
    let scratch = Scratch::new("run-crate-failed");
    let dir = small_run(&scratch, "run");
    let lines: Vec<String> = (1..=30).map(|i| format!("line {i}")).collect();
    std::fs::write(dir.join("stderr.log"), lines.join("\n") + "\n").unwrap();
    std::fs::write(dir.join("exit_code.txt"), "137\n").unwrap();
    std::fs::write(dir.join("state.txt"), "EXECUTOR_ERROR\n").unwrap();
    let run = action_of(&dir, "http://schema.org/FailedActionStatus");
    assert_eq!(run["exitCode"], 137);
    assert_eq!(run["error"], lines[10..].join("\n"));
    assert_eq!(run["wesState"], "EXECUTOR_ERROR");

    // A code that is not a number: failed, and no exitCode.
    std::fs::write(dir.join("exit_code.txt"), "killed\n").unwrap();
    let run = action_of(&dir, "http://schema.org/FailedActionStatus");
    assert!(run.get("exitCode").is_none(), "{run:#}");

    // No exit code at all: state.txt decides.
    std::fs::remove_file(dir.join("exit_code.txt")).unwrap();
    std::fs::write(dir.join("state.txt"), "COMPLETE\n").unwrap();
    let run = action_of(&dir, "http://schema.org/CompletedActionStatus");
    assert!(run.get("error").is_none());
}

/// Writes the crate of `dir` and gives its CreateAction, checking its actionStatus.
fn action_of(dir: &Path, status: &str) -> Value {
    let out = run_crate(dir, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let m = metadata(dir);
    let run = action(&m).clone();
    assert_eq!(refs(&run["actionStatus"]), [status]);
    run
}

#[test]
fn the_run_is_described_with_its_agent_parameters_and_statistics() {
    let scratch = Scratch::new("run-crate-details");
    let dir = small_run(&scratch, "run");
    std::fs::write(dir.join("username.txt"), "alice\n").unwrap();
    let vcf = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\n\
               1\t10\t.\tA\tG\t50\n1\t20\t.\tA\tAT\t50\n1\t30\t.\tACG\tA\t50\n";
    std::fs::write(dir.join("outputs/calls.vcf"), vcf).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, vcf.repeat(2).as_bytes()).unwrap();
    std::fs::write(dir.join("outputs/calls.vcf.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(
        dir.join("multiqc_general_stats.json"),
        r#"{"sample": {"reads": 4}}"#,
    )
    .unwrap();
    let out = run_crate(&dir, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let m = metadata(&dir);
    let run = action(&m);
    let agent = entity(&m, "#person-alice");
    assert_eq!(agent["@type"], "Person");
    assert_eq!(refs(&run["agent"]), ["#person-alice"]);

    for (file, count) in [("outputs/calls.vcf", 3), ("outputs/calls.vcf.gz", 6)] {
        let entity_of_file = entity(&m, file);
        assert!(
            values(&entity_of_file["encodingFormat"])
                .contains(&json!({"@id": "http://edamontology.org/format_3016"})),
            "{entity_of_file:#}"
        );
        let stats = entity(&m, &refs(&entity_of_file["stats"])[0]);
        assert_eq!(stats["@type"], "FileStats");
        assert_eq!(stats["variantCount"], count);
        assert_eq!(stats["snpsCount"], count / 3);
        assert_eq!(stats["indelsCount"], 2 * count / 3);
    }
    assert_eq!(refs(&run["stats"]), ["multiqc_general_stats.json"]);
    assert!(refs(&entity(&m, "./")["hasPart"]).contains(&"multiqc_general_stats.json".to_owned()));

    // One parameter names a file of the run, the other is a plain value.
    let mut objects = refs(&run["object"]);
    objects.sort();
    assert_eq!(objects, ["#pv-threads", "exe/reads.fq"]);
    let threads = entity(&m, "#pv-threads");
    assert_eq!(threads["@type"], "PropertyValue");
    assert_eq!(threads["value"], "4");
    assert_eq!(
        entity(&m, "#param-input-threads")["additionalType"],
        "Integer"
    );
    let mut logs = refs(&run["subjectOf"]);
    logs.sort();
    assert_eq!(logs, ["cmd.txt", "stderr.log", "stdout.log"]);
    assert_eq!(
        entity(&m, "outputs/counts.csv")["encodingFormat"],
        "text/csv"
    );
}

#[test]
fn runs_recorded_with_store_are_queryable_like_releases() {
    let scratch = Scratch::new("run-crate-store");
    let dir = small_run(&scratch, "run");
    let store = scratch.join("archive");
    let out = run_crate(&dir, &["--store", store.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("archived as"), "{}", stderr(&out));
    let listed = common::releases_csv(&store);
    assert!(listed.contains("run-1"), "{listed}");
    let query = "PREFIX schema: <http://schema.org/>
        SELECT ?status WHERE { GRAPH ?g { ?run a schema:CreateAction ; schema:actionStatus ?status } }";
    let answer = command()
        .args([
            "query",
            "--format",
            "csv",
            "--store",
            store.to_str().unwrap(),
            query,
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&answer.stdout).contains("CompletedActionStatus"),
        "{}{}",
        String::from_utf8_lossy(&answer.stdout),
        stderr(&answer)
    );
}

#[test]
fn a_licence_given_as_text_stays_text_and_is_warned_about() {
    let scratch = Scratch::new("run-crate-licence");
    let dir = small_run(&scratch, "run");
    edit_request(&dir, |r| {
        r["tags"] = json!({"license": "free for academic use"})
    });
    let output = run_crate(&dir, &[]);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    // Not replaced by CC0: RO-Crate asks for an IRI (a SHOULD), so it is a warning.
    assert_eq!(
        entity(&metadata(&dir), "./")["license"],
        "free for academic use"
    );
    assert!(err.contains("warning") && err.contains("license"), "{err}");
    // Without any licence, sapporo's default: CC0.
    edit_request(&dir, |r| {
        r.as_object_mut().unwrap().remove("tags");
    });
    assert!(run_crate(&dir, &[]).status.success());
    assert_eq!(
        refs(&entity(&metadata(&dir), "./")["license"]),
        ["https://spdx.org/licenses/CC0-1.0"]
    );
}

#[test]
fn a_file_name_with_a_space_becomes_a_percent_encoded_id_and_the_crate_passes() {
    let scratch = Scratch::new("run-crate-space");
    let dir = small_run(&scratch, "run");
    std::fs::write(dir.join("outputs/a b.txt"), "spaced\n").unwrap();
    let output = run_crate(&dir, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let m = metadata(&dir);
    assert_eq!(entity(&m, "outputs/a%20b.txt")["name"], "a b.txt");
    let check = common::trecrate(&["validate", dir.to_str().unwrap(), "--level", "required"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

/// Which files of the run directory are the crate's is queries/run-files.rq: files outside
/// sapporo's layout are left out, and a --queries directory's run-files.rq can take them in.
#[test]
fn the_files_of_the_crate_are_those_run_files_rq_chooses() {
    let scratch = Scratch::new("run-crate-files");
    let dir = small_run(&scratch, "run");
    std::fs::create_dir_all(dir.join("work")).unwrap();
    std::fs::write(dir.join("work/intermediate.txt"), "scratch\n").unwrap();
    let output = run_crate(&dir, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let m = metadata(&dir);
    assert!(find(&m, "work/intermediate.txt").is_none());
    assert!(find(&m, "outputs/counts.csv").is_some());

    let queries = scratch.join("queries");
    common::copy_dir(&common::root().join("queries"), &queries);
    let select = std::fs::read_to_string(queries.join("run-files.rq")).unwrap();
    let widened = select.replace(
        "|| STRSTARTS(?path, \"outputs/\")",
        "|| STRSTARTS(?path, \"outputs/\") || STRSTARTS(?path, \"work/\")",
    );
    assert_ne!(select, widened);
    std::fs::write(queries.join("run-files.rq"), widened).unwrap();
    let output = run_crate(&dir, &["--force", "--queries", queries.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let m = metadata(&dir);
    assert_eq!(entity(&m, "work/intermediate.txt")["contentSize"], 8);
}

/// `--bagit`: the run crate also as a BagIt bag, in a zip beside the metadata. bagit-python
/// accepts it once Python's zipfile unpacks it, trecrate validate passes it, the bag holds
/// the metadata and every file the crate describes, and the archive records it as a bag.
#[test]
fn a_bagged_run_crate_passes_bagit_py_and_trecrate_validate() {
    let scratch = Scratch::new("run-crate-bagit");
    let dir = corpus_run(&scratch);
    let store = scratch.join("archive");
    let out = run_crate(&dir, &["--bagit", "--store", store.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let zip = stdout
        .lines()
        .find_map(|l| {
            l.split_once("  sha256 ")
                .map(|(path, _)| PathBuf::from(path))
        })
        .unwrap_or_else(|| panic!("no zip named: {stdout}"));
    assert_eq!(zip.parent(), Some(dir.as_path()));
    let name = zip.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("ro-crate-") && name.ends_with(".zip"),
        "{name}"
    );

    let checked = common::run_peer(
        &common::python(),
        &[
            root().join("tests/peers/bagit_validate.py").as_os_str(),
            zip.as_os_str(),
        ],
    );
    assert!(
        checked.status.success(),
        "{}{}",
        String::from_utf8_lossy(&checked.stdout),
        stderr(&checked)
    );
    let ours = command().arg("validate").arg(&zip).output().unwrap();
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stdout)
    );

    let archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let entries: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    let top = format!("{}/data/", name.trim_end_matches(".zip"));
    let m = metadata(&dir);
    let files: Vec<&str> = m["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| values(&e["@type"]).contains(&json!("File")))
        .filter_map(|e| e["@id"].as_str())
        .filter(|id| !id.contains(':'))
        .collect();
    assert!(files.len() > 5, "{files:?}");
    for id in files.iter().chain(&["ro-crate-metadata.json"]) {
        let entry = format!("{top}{id}");
        assert!(entries.contains(&entry), "{entry} not in {entries:?}");
    }
    assert!(common::releases_csv(&store).contains(",bagit"));
}
