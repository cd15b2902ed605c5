//! One function per command: resolve the settings, make the one library call, print what it
//! gave (results on stdout, progress, warnings and errors on stderr), and give the status.

use super::args::{
    EvaluateWorkerArgs, FormatArg, IngestArgs, PushArgs, QueryArgs, ReleaseArgs, ReleasesArgs,
    RunCrateArgs, ServeArgs, StoreArg, ValidateArgs,
};
use super::exit::ExitStatus;
use super::progress::Progress;
use super::{fail, settings};
use std::io::Write;
use std::time::{Duration, Instant};
use trecrate::archive::query::isolated::Isolation;
use trecrate::archive::query::{self, Format, Limits, QueryError};
use trecrate::archive::{Archive, Recorded};
use trecrate::finding::{Finding, Level};
use trecrate::Delivered;

/// Resolved settings, or the status of the error that stopped them.
macro_rules! settle {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(error) => return fail(&error, ExitStatus::Error),
        }
    };
}

fn open_archive(arg: &StoreArg, create: bool) -> Result<Archive, ExitStatus> {
    let path = settings::store_path(arg).map_err(|e| fail(&e, ExitStatus::Error))?;
    Archive::open(&path, create).map_err(|e| fail(&e, ExitStatus::of_failure(e.is_refusal())))
}

fn print_findings(findings: &[Finding]) {
    for finding in findings {
        eprintln!("  {finding}");
    }
}

fn warn_findings(findings: &[Finding]) {
    for finding in findings {
        eprintln!("trecrate: warning: {finding}");
    }
}

pub fn release(args: ReleaseArgs) -> ExitStatus {
    let quiet = args.quiet;
    let options = settle!(settings::release(args));
    let mut progress = Progress::new(quiet);
    let released = match trecrate::release(&options, &mut |event| progress.report(event)) {
        Ok(released) => released,
        Err(error) => {
            let status = fail(&error, ExitStatus::of_failure(error.is_refusal()));
            if let trecrate::Error::Refused(findings) = &error {
                print_findings(findings);
            }
            return status;
        }
    };
    warn_findings(&released.findings);
    let mut out = std::io::stdout().lock();
    match &released.delivered {
        Delivered::Dir(w) => {
            let _ = writeln!(out, "{}", w.crate_dir.display());
            let _ = writeln!(out, "{}  sha256 {}", w.zip.display(), w.record.zip.sha256);
            let _ = writeln!(out, "{}", w.record_path.display());
        }
        Delivered::Bucket(u) => {
            if let Some(abandoned) = &u.abandoned {
                eprintln!("trecrate: {abandoned}");
            }
            if u.unchanged {
                eprintln!(
                    "trecrate: this release is already there, byte for byte: nothing was uploaded"
                );
            }
            let _ = writeln!(out, "{}  sha256 {}", u.zip_url, u.record.zip.sha256);
            let _ = writeln!(out, "{}", u.record_url);
        }
    }
    match &released.archived {
        Some(Recorded::New { graph, .. }) => eprintln!("trecrate: archived as <{graph}>"),
        Some(Recorded::Unchanged { .. }) => {
            eprintln!("trecrate: already in the archive, unchanged")
        }
        None => {}
    }
    ExitStatus::Success
}

pub fn validate(args: ValidateArgs) -> ExitStatus {
    if args.list_profiles {
        return list_profiles();
    }
    let options = settle!(settings::validate(&args));
    let level = settings::level(args.level);
    let mut reports = Vec::new();
    let mut status = ExitStatus::Success;
    for path in &args.crates {
        match trecrate::validate::validate(path, &options) {
            Ok(report) => {
                if !report.passed(level) {
                    status = status.merge(ExitStatus::Refused);
                }
                reports.push(report);
            }
            Err(e) => status = status.merge(fail(&e, ExitStatus::Error)),
        }
    }
    use trecrate::validate::report;
    let text = match args.format {
        FormatArg::Text => report::text(&reports, level),
        FormatArg::Json => report::json(&reports, level),
        FormatArg::Turtle => report::turtle(&reports, level),
    };
    if !reports.is_empty() {
        // A closed pipe (e.g. `| head`) is not an error of the validation.
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }
    status
}

fn list_profiles() -> ExitStatus {
    let known = settle!(trecrate::validate::Profiles::builtin());
    let mut out = std::io::stdout().lock();
    for p in known.all() {
        let _ = writeln!(out, "{}  {}", p.token, p.title);
        let _ = writeln!(out, "    spec: {}", p.url.as_deref().unwrap_or(&p.iri));
        let _ = writeln!(out, "    conformsTo: {}", p.iri);
        let builds_on = if p.builds_on.is_empty() && !p.crate_version {
            "the crate's RO-Crate version".to_owned()
        } else if p.builds_on.is_empty() {
            "-".to_owned()
        } else {
            p.builds_on.join(", ")
        };
        let _ = writeln!(out, "    builds on: {builds_on}");
    }
    ExitStatus::Success
}

pub fn ingest(args: IngestArgs) -> ExitStatus {
    let options = settle!(settings::ingest(&args));
    let archive = match open_archive(&args.store, true) {
        Ok(a) => a,
        Err(status) => return status,
    };
    let mut status = ExitStatus::Success;
    let start = Instant::now();
    let total = args.crates.len();
    let mut last = Instant::now();
    trecrate::archive::ingest::ingest_all(&archive, &args.crates, &options, &mut |n, result| {
        let path = &args.crates[n];
        match result {
            Ok(ingested) => {
                let what = match &ingested.recorded {
                    Recorded::New {
                        graph,
                        superseded: None,
                    } => format!("archived as <{graph}>"),
                    Recorded::New {
                        graph,
                        superseded: Some(old),
                    } => format!("archived as <{graph}>, superseding <{old}>"),
                    Recorded::Unchanged { .. } => "already archived, unchanged".into(),
                };
                let required = ingested
                    .findings
                    .iter()
                    .filter(|f| f.level == Level::Required)
                    .count();
                if required > 0 {
                    eprintln!("trecrate: warning: {}: archived despite {required} REQUIRED finding(s) (--force)", path.display());
                }
                if total <= 20 {
                    println!("{}: {} {what}", path.display(), ingested.request_id);
                } else if last.elapsed() >= Duration::from_secs(1) || n + 1 == total {
                    last = Instant::now();
                    eprintln!(
                        "trecrate: [{:6.2}s] {}/{total} crates",
                        start.elapsed().as_secs_f64(),
                        n + 1
                    );
                }
            }
            Err(error) => {
                if let trecrate::archive::ingest::IngestError::Refused { findings, .. } = &error {
                    print_findings(&findings[..findings.len().min(20)]);
                }
                status = status.merge(fail(&error, ExitStatus::of_failure(error.is_refusal())));
            }
        }
    });
    status
}

fn query_failed(error: &QueryError) -> ExitStatus {
    fail(error, ExitStatus::of_failure(error.is_refusal()))
}

fn builtins(
    dir: Option<&std::path::Path>,
    tre_namespace: &str,
) -> Result<Vec<query::Builtin>, ExitStatus> {
    let assets = trecrate::assets::audit_queries(dir).map_err(|e| fail(&e, ExitStatus::Error))?;
    query::builtins(&assets, tre_namespace).map_err(|e| fail(&e, ExitStatus::Error))
}

pub fn releases(args: ReleasesArgs) -> ExitStatus {
    let prepared = builtins(None, trecrate::rdf::vocab::TRE).and_then(|library| {
        query::prepare_builtin(&library, "releases", &[]).map_err(|e| query_failed(&e))
    });
    let prepared = match prepared {
        Ok(p) => p,
        Err(status) => return status,
    };
    match open_archive(&args.store, false) {
        Ok(archive) => answer(&archive, prepared, args.format, false),
        Err(status) => status,
    }
}

pub fn query(args: QueryArgs) -> ExitStatus {
    let namespace = settle!(settings::tre_namespace(args.tre_namespace.clone()));
    let library = match builtins(args.queries.as_deref(), &namespace) {
        Ok(b) => b,
        Err(status) => return status,
    };
    if args.list {
        let mut out = std::io::stdout().lock();
        for builtin in &library {
            let _ = writeln!(out, "{}  {}", builtin.name, builtin.usage());
            let _ = writeln!(out, "    {}", builtin.summary);
            for p in &builtin.params {
                let optional = if p.optional { ", optional" } else { "" };
                let _ = writeln!(
                    out,
                    "    {}: {}{optional} - {}",
                    p.name,
                    p.kind.name(),
                    p.doc
                );
            }
        }
        return ExitStatus::Success;
    }
    let params = settle!(settings::params(&args.param));
    if args.show {
        let name = args.builtin.as_deref().unwrap_or_default();
        if params.is_empty() {
            if let Some(b) = library.iter().find(|b| b.name == name) {
                print!("{}", b.text);
                return ExitStatus::Success;
            }
        }
        // With parameters: the query as it runs, values in place, for another SPARQL endpoint.
        return match query::prepare_builtin(&library, name, &params).and_then(|p| p.bound()) {
            Ok(text) => {
                println!("{text}");
                ExitStatus::Success
            }
            Err(e) => query_failed(&e),
        };
    }
    let prepared = match (&args.query, &args.file, &args.builtin) {
        (Some(text), _, _) => query::prepare(text, "the query"),
        (None, Some(file), _) => match std::fs::read_to_string(file) {
            Ok(text) => query::prepare(&text, &file.display().to_string()),
            Err(e) => {
                eprintln!("trecrate: error: cannot read {}: {e}", file.display());
                return ExitStatus::Error;
            }
        },
        (None, None, Some(name)) => query::prepare_builtin(&library, name, &params),
        (None, None, None) => {
            eprintln!("trecrate: error: give a QUERY, --file FILE or --builtin NAME (see --list)");
            return ExitStatus::Error;
        }
    };
    let prepared = match prepared {
        Ok(p) => p,
        Err(e) => return query_failed(&e),
    };
    match open_archive(&args.store, false) {
        Ok(archive) => answer(&archive, prepared, args.format, args.time),
        Err(status) => status,
    }
}

fn answer(archive: &Archive, prepared: query::Prepared, format: Format, time: bool) -> ExitStatus {
    let start = Instant::now();
    let answer = match query::evaluate(archive.store(), prepared, Limits::default()) {
        Ok(a) => a,
        Err(e) => return query_failed(&e),
    };
    if time {
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        eprintln!("trecrate: query evaluated in {ms:.1} ms");
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match query::write(&answer, format, &mut out).and_then(|()| Ok(out.flush()?)) {
        Ok(()) => ExitStatus::Success,
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(QueryError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitStatus::Success,
        Err(e) => query_failed(&e),
    }
}

pub fn serve(args: ServeArgs) -> ExitStatus {
    let token = settle!(settings::token(args.token_file.as_deref(), args.token));
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        eprintln!("trecrate: error: --timeout must be a positive number of seconds");
        return ExitStatus::Error;
    }
    let namespace = settle!(settings::tre_namespace(args.tre_namespace));
    let library = match builtins(None, &namespace) {
        Ok(b) => b,
        Err(status) => return status,
    };
    let archive = match open_archive(&args.store, false) {
        Ok(a) => a,
        Err(status) => return status,
    };
    let options = trecrate::archive::serve::ServeOptions {
        bind: args.bind,
        token,
        limits: Limits {
            timeout: Some(Duration::from_secs_f64(args.timeout)),
            max_results: Some(args.max_results),
        },
        isolation: Some(Isolation {
            program: match std::env::current_exe() {
                Ok(program) => program,
                Err(e) => return fail(&e, ExitStatus::Error),
            },
            store: archive.path().to_owned(),
            max_memory: args.max_query_memory.saturating_mul(1 << 20),
        }),
        archive: archive.path().to_owned(),
        max_upload_bytes: args.max_upload_bytes,
        validate: trecrate::validate::ValidateOptions {
            tre_namespace: namespace,
            ..Default::default()
        },
        s3: settle!(settings::s3(&args.s3)),
        builtins: library,
    };
    let needs_token = if options.token.is_some() {
        " (bearer token required)"
    } else {
        ""
    };
    // Bound first: a refused option or a taken port is said before anything claims to serve.
    let listening = match trecrate::archive::serve::bind(archive.store().clone(), options) {
        Ok(listening) => listening,
        Err(e) => return fail(&e, ExitStatus::Error),
    };
    eprintln!(
        "trecrate: serving {} at http://{}/ (SPARQL at /query){needs_token}",
        archive.path().display(),
        args.bind,
    );
    match listening.run(|line| eprintln!("trecrate: {line}")) {
        Ok(()) => ExitStatus::Success,
        Err(e) => fail(&e, ExitStatus::Error),
    }
}

/// The worker of `serve`'s isolated queries: its exit status is its answer's kind
/// (`archive::query::isolated`).
pub fn evaluate_worker(args: EvaluateWorkerArgs) -> std::process::ExitCode {
    use trecrate::archive::query::isolated;
    let mut query = String::new();
    if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut query) {
        eprintln!("cannot read the query: {e}");
        return std::process::ExitCode::from(isolated::REFUSED as u8);
    }
    let max_results = args.max_results.parse().ok();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let done = isolated::work(&args.store, args.format, max_results, &query, &mut out)
        .and_then(|()| std::io::Write::flush(&mut out).map_err(QueryError::Io));
    let code = match done {
        Ok(()) => 0,
        Err(QueryError::TooManyResults(_)) => isolated::TOO_MANY_RESULTS,
        Err(e) => {
            eprintln!("{e}");
            isolated::REFUSED
        }
    };
    std::process::ExitCode::from(code as u8)
}

pub fn push(args: PushArgs) -> ExitStatus {
    let token = settle!(settings::token(args.token_file.as_deref(), None));
    let archive = match open_archive(&args.store, false) {
        Ok(a) => a,
        Err(status) => return status,
    };
    let options = trecrate::archive::push::PushOptions {
        endpoint: args.endpoint,
        release: args.release,
        token,
    };
    let pushed = trecrate::archive::push::push(&archive, &options, &mut |graph, triples| {
        eprintln!("trecrate: pushed <{graph}> ({triples} triples)")
    });
    match pushed {
        Ok(n) => {
            let endpoint = &options.endpoint;
            println!("{n} release graph(s) and the records pushed to {endpoint}");
            ExitStatus::Success
        }
        Err(e) => fail(&e, ExitStatus::of_failure(e.is_refusal())),
    }
}

pub fn run_crate(args: RunCrateArgs) -> ExitStatus {
    let (quiet, on_error_write_stub) = (args.quiet, args.on_error_write_stub);
    let options = settings::run_crate(args);
    let mut progress = Progress::new(quiet);
    match trecrate::run_crate::run_crate(&options, &mut |event| progress.report(event)) {
        Ok(written) => {
            warn_findings(&written.findings);
            if let Some(Recorded::New { graph, .. }) = &written.archived {
                eprintln!("trecrate: archived as <{graph}>");
            }
            println!("{}", written.path.display());
            if let Some(bag) = &written.bag {
                println!("{}  sha256 {}", bag.zip.display(), bag.zipped.zip_sha256);
            }
            ExitStatus::Success
        }
        Err(error) => {
            let status = fail(&error, ExitStatus::of_failure(error.is_refusal()));
            if let trecrate::run_crate::RunCrateError::Refused(findings) = &error {
                print_findings(findings);
            }
            if on_error_write_stub {
                let cause = trecrate::event::error_chain(&error);
                if let Err(e) = trecrate::run_crate::write_stub(&options, &cause) {
                    fail(&e, ExitStatus::Error);
                }
            }
            status
        }
    }
}
