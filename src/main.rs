//! The `trecrate` command: parses arguments, calls the library once, reports, exits.

#[path = "cli/args.rs"]
mod cli;

use clap::Parser;
use cli::{
    Cli, Command, FormatArg, IngestArgs, LevelArg, PushArgs, QueryArgs, ReleaseArgs, ReleasesArgs,
    RunCrateArgs, ServeArgs, StoreArg, TreNamespaceArg, ValidateArgs,
};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use trecrate::archive::query::{Format, Limits, QueryError};
use trecrate::archive::{Archive, ArchiveError, Recorded};
use trecrate::assets::AssetDirs;
use trecrate::finding::Level;
use trecrate::jsonld::contexts::Contexts;
use trecrate::release::load::Publisher;
use trecrate::release::package::PackageError;
use trecrate::shacl::Finding;
use trecrate::storage::s3::BucketError;
use trecrate::validate::{Profile, ValidateOptions};
use trecrate::{Delivered, Error, Event, ReleaseOptions};

/// The pipeline allocates and frees millions of small terms and JSON nodes; glibc's malloc
/// spent about a fifth of a 10,000-file release in its free lists (perf, bench/RESULTS.md).
///
/// mimalloc also replaces `malloc` for the C and C++ code (its `override` feature): oxigraph
/// frees RocksDB's C-allocated error messages with the Rust allocator, and with two different
/// allocators that crashed every RocksDB error, such as an archive locked by `trecrate serve`
/// (tests/endpoint.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Release(args) => release(*args),
        Command::Validate(args) => validate(args),
        Command::Ingest(args) => ingest(args),
        Command::Releases(args) => releases(args),
        Command::Query(args) => query(args),
        Command::Serve(args) => serve(args),
        Command::Push(args) => push(args),
        Command::RunCrate(args) => run_crate(args),
    }
}

/// Prints an error with its causes and gives the exit code.
fn fail(error: &dyn std::error::Error, code: u8) -> ExitCode {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "trecrate: error: {error}");
    for cause in causes(error).skip(1) {
        let _ = writeln!(err, "  caused by: {cause}");
    }
    ExitCode::from(code)
}

/// `error` and the errors that caused it, outermost first.
fn causes<'a>(
    error: &'a (dyn std::error::Error + 'a),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'a)> {
    std::iter::successors(Some(error), |e| {
        e.source().map(|s| s as &(dyn std::error::Error + 'a))
    })
}

fn store_path(arg: &StoreArg) -> Result<PathBuf, ExitCode> {
    match arg
        .store
        .clone()
        .or_else(trecrate::archive::default_location)
    {
        Some(path) => Ok(path),
        None => {
            eprintln!("trecrate: error: no archive location: set --store or TRECRATE_STORE (HOME is not set)");
            Err(ExitCode::from(2))
        }
    }
}

/// Opens the archive; the error is reported, with code 2.
fn open_archive(arg: &StoreArg, create: bool) -> Result<Archive, ExitCode> {
    let path = store_path(arg)?;
    Archive::open(&path, create).map_err(|e| fail(&e, 2))
}

fn archive_code(error: &ArchiveError) -> u8 {
    match error {
        ArchiveError::Conflict { .. } => 1,
        _ => 2,
    }
}

fn contexts_or_exit(files: &[String]) -> Result<Contexts, ExitCode> {
    Contexts::with_files(files).map_err(|e| fail(&e, 2))
}

fn ingest(args: IngestArgs) -> ExitCode {
    if args.name.is_some() && args.crates.len() > 1 {
        eprintln!("trecrate: error: --name names one crate; give one CRATE with it");
        return ExitCode::from(2);
    }
    let contexts = match contexts_or_exit(&args.context) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let tre_namespace = match tre_namespace(args.tre_namespace) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let archive = match open_archive(&args.store, true) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let options = trecrate::archive::ingest::IngestOptions {
        validate: ValidateOptions {
            profiles: Vec::new(),
            metadata_only: args.metadata_only,
            contexts,
            max_metadata_bytes: 256 * 1024 * 1024,
            skip_checks: Vec::new(),
            tre_namespace,
        },
        force: args.force,
        name: args.name,
    };
    let mut code = 0;
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
                    } => {
                        format!("archived as <{graph}>, superseding <{old}>")
                    }
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
                let this = match &error {
                    trecrate::archive::ingest::IngestError::Refused { findings, .. } => {
                        for finding in findings.iter().take(20) {
                            eprintln!("  {}", describe(finding));
                        }
                        1
                    }
                    trecrate::archive::ingest::IngestError::Archive { source, .. } => {
                        archive_code(source)
                    }
                    _ => 2,
                };
                fail(&error, this);
                code = code.max(this);
            }
        }
    });
    ExitCode::from(code)
}

fn query_code(error: &QueryError) -> u8 {
    match error {
        QueryError::Io(_) => 2,
        _ => 1,
    }
}

fn builtins(
    dir: Option<&std::path::Path>,
    tre_namespace: &str,
) -> Result<Vec<trecrate::archive::query::Builtin>, ExitCode> {
    let assets = trecrate::assets::audit_queries(dir).map_err(|e| fail(&e, 2))?;
    trecrate::archive::query::builtins(&assets, tre_namespace).map_err(|e| fail(&e, 2))
}

/// The `--tre-namespace` value, or exit status 2 when it cannot be a namespace.
fn tre_namespace(arg: TreNamespaceArg) -> Result<String, ExitCode> {
    match trecrate::rdf::vocab::check_tre_namespace(&arg.tre_namespace) {
        Ok(()) => Ok(arg.tre_namespace),
        Err(message) => {
            eprintln!("trecrate: error: --tre-namespace {message}");
            Err(ExitCode::from(2))
        }
    }
}

fn releases(args: ReleasesArgs) -> ExitCode {
    let library = match builtins(None, trecrate::rdf::vocab::TRE) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let prepared = match trecrate::archive::query::prepare_builtin(&library, "releases", &[]) {
        Ok(p) => p,
        Err(e) => return fail(&e, query_code(&e)),
    };
    let archive = match open_archive(&args.store, false) {
        Ok(a) => a,
        Err(code) => return code,
    };
    answer(&archive, prepared, args.format, false)
}

fn query(args: QueryArgs) -> ExitCode {
    let library = match tre_namespace(args.tre_namespace)
        .and_then(|namespace| builtins(args.queries.as_deref(), &namespace))
    {
        Ok(b) => b,
        Err(code) => return code,
    };
    if args.list {
        let mut out = std::io::stdout().lock();
        for builtin in &library {
            let _ = writeln!(out, "{}  {}", builtin.name, builtin.usage());
            let _ = writeln!(out, "    {}", builtin.summary);
            for p in &builtin.params {
                let _ = writeln!(
                    out,
                    "    {}: {}{} - {}",
                    p.name,
                    p.kind.name(),
                    if p.optional { ", optional" } else { "" },
                    p.doc
                );
            }
        }
        return ExitCode::SUCCESS;
    }
    let mut params = Vec::new();
    for p in &args.param {
        match p.split_once('=') {
            Some((k, v)) => params.push((k.to_owned(), v.to_owned())),
            None => {
                eprintln!("trecrate: error: --param {p:?} is not NAME=VALUE");
                return ExitCode::from(2);
            }
        }
    }
    if args.show {
        let name = args.builtin.as_deref().unwrap_or_default();
        if params.is_empty() {
            if let Some(b) = library.iter().find(|b| b.name == name) {
                print!("{}", b.text);
                return ExitCode::SUCCESS;
            }
        }
        // With parameters: the query as it runs, values in place, for another SPARQL endpoint.
        return match trecrate::archive::query::prepare_builtin(&library, name, &params)
            .and_then(|p| p.bound())
        {
            Ok(query) => {
                println!("{query}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e, query_code(&e)),
        };
    }
    let text = match (&args.query, &args.file) {
        (Some(text), _) => Some((text.clone(), "the query".to_owned())),
        (None, Some(file)) => match std::fs::read_to_string(file) {
            Ok(text) => Some((text, file.display().to_string())),
            Err(e) => {
                eprintln!("trecrate: error: cannot read {}: {e}", file.display());
                return ExitCode::from(2);
            }
        },
        (None, None) => None,
    };
    if text.is_none() && args.builtin.is_none() {
        eprintln!("trecrate: error: give a QUERY, --file FILE or --builtin NAME (see --list)");
        return ExitCode::from(2);
    }
    let prepared = match (&text, &args.builtin) {
        (Some((text, name)), _) => trecrate::archive::query::prepare(text, name),
        (None, Some(name)) => trecrate::archive::query::prepare_builtin(&library, name, &params),
        (None, None) => unreachable!("checked above"),
    };
    let prepared = match prepared {
        Ok(p) => p,
        Err(e) => return fail(&e, query_code(&e)),
    };
    let archive = match open_archive(&args.store, false) {
        Ok(a) => a,
        Err(code) => return code,
    };
    answer(&archive, prepared, args.format, args.time)
}

fn answer(
    archive: &Archive,
    prepared: trecrate::archive::query::Prepared,
    format: Format,
    time: bool,
) -> ExitCode {
    let start = Instant::now();
    let answer =
        match trecrate::archive::query::evaluate(archive.store(), prepared, Limits::default()) {
            Ok(a) => a,
            Err(e) => return fail(&e, query_code(&e)),
        };
    if time {
        eprintln!(
            "trecrate: query evaluated in {:.1} ms",
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match trecrate::archive::query::write(&answer, format, &mut out).and_then(|()| Ok(out.flush()?))
    {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(QueryError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(&e, query_code(&e)),
    }
}

fn read_token(file: Option<&PathBuf>, env: Option<String>) -> Result<Option<String>, ExitCode> {
    match file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(text.trim().to_owned())),
            Err(e) => {
                eprintln!(
                    "trecrate: error: cannot read the token file {}: {e}",
                    path.display()
                );
                Err(ExitCode::from(2))
            }
        },
        None => Ok(env.map(|t| t.trim().to_owned())),
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let token = match read_token(args.token_file.as_ref(), args.token) {
        Ok(t) => t,
        Err(code) => return code,
    };
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        eprintln!("trecrate: error: --timeout must be a positive number of seconds");
        return ExitCode::from(2);
    }
    let archive = match open_archive(&args.store, false) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let options = trecrate::archive::serve::ServeOptions {
        bind: args.bind,
        token,
        limits: Limits {
            timeout: Some(Duration::from_secs_f64(args.timeout)),
            max_results: Some(args.max_results),
        },
    };
    eprintln!(
        "trecrate: serving {} at http://{}/query{}",
        archive.path().display(),
        args.bind,
        if options.token.is_some() {
            " (bearer token required)"
        } else {
            ""
        }
    );
    let store = archive.store().clone();
    match trecrate::archive::serve::serve(store, options, |line| eprintln!("trecrate: {line}")) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e, 2),
    }
}

fn push(args: PushArgs) -> ExitCode {
    let token = match read_token(args.token_file.as_ref(), None) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let archive = match open_archive(&args.store, false) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let options = trecrate::archive::push::PushOptions {
        endpoint: args.endpoint,
        release: args.release,
        token,
    };
    match trecrate::archive::push::push(&archive, &options, &mut |graph, triples| {
        eprintln!("trecrate: pushed <{graph}> ({triples} triples)")
    }) {
        Ok(n) => {
            println!(
                "{n} release graph(s) and the records pushed to {}",
                options.endpoint
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let code = match &e {
                trecrate::archive::push::PushError::Archive(a) => archive_code(a),
                _ => 2,
            };
            fail(&e, code)
        }
    }
}

fn validate(args: ValidateArgs) -> ExitCode {
    let mut profiles = Vec::new();
    for name in &args.profile {
        match Profile::parse(name) {
            Some(p) => profiles.push(p),
            None => {
                eprintln!("trecrate: error: unknown profile {name:?} (known: ro-crate-1.1, ro-crate-1.2, trecrate-release)");
                return ExitCode::from(2);
            }
        }
    }
    let contexts = match contexts_or_exit(&args.context) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let level = match args.level {
        LevelArg::Required => Level::Required,
        LevelArg::Recommended => Level::Recommended,
        LevelArg::Optional => Level::Optional,
    };
    let tre_namespace = match tre_namespace(args.tre_namespace) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let options = ValidateOptions {
        profiles,
        metadata_only: args.metadata_only,
        contexts,
        max_metadata_bytes: args.max_metadata_bytes,
        skip_checks: args.skip_check,
        tre_namespace,
    };
    let mut reports = Vec::new();
    let mut code = 0;
    for path in &args.crates {
        match trecrate::validate::validate(path, &options) {
            Ok(report) => {
                if !report.passed(level) {
                    code = code.max(1);
                }
                reports.push(report);
            }
            Err(e) => {
                eprintln!("trecrate: error: {e}");
                code = 2;
            }
        }
    }
    let text = match args.format {
        FormatArg::Text => trecrate::validate::report::text(&reports, level),
        FormatArg::Json => trecrate::validate::report::json(&reports, level),
        FormatArg::Turtle => trecrate::validate::report::turtle(&reports, level),
    };
    if !reports.is_empty() {
        let mut out = std::io::stdout().lock();
        // A closed pipe (e.g. `| head`) is not an error of the validation.
        let _ = out.write_all(text.as_bytes());
    }
    ExitCode::from(code)
}

fn release(args: ReleaseArgs) -> ExitCode {
    let secret_access_key = match &args.s3.s3_secret_access_key_file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text.trim().to_owned()),
            Err(e) => {
                eprintln!(
                    "trecrate: error: --s3-secret-access-key-file {}: {e}",
                    path.display()
                );
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let options = ReleaseOptions {
        export: args.export,
        quarantine: args.quarantine,
        out: args.out,
        s3: trecrate::storage::s3::Config {
            endpoint: args.s3.s3_endpoint_url,
            region: args.s3.s3_region,
            access_key_id: args.s3.s3_access_key_id,
            secret_access_key,
            retries: args.s3.s3_retries,
        },
        force: args.force,
        publisher: Publisher {
            name: args.publisher_name,
            url: args.publisher_url,
        },
        tre_namespace: args.tre_namespace.tre_namespace,
        assets: AssetDirs {
            queries: args.queries,
            shapes: args.shapes,
            contexts: args.contexts,
            template: args.preview_template,
        },
        deflate_level: args.deflate_level,
        store: None,
    };
    let options = if args.no_store {
        options
    } else {
        match store_path(&args.store) {
            Ok(path) => ReleaseOptions {
                store: Some(path),
                ..options
            },
            Err(code) => return code,
        }
    };
    let mut progress = Progress::new(args.quiet);
    match trecrate::release(&options, &mut |event| progress.report(event)) {
        Ok(released) => {
            for finding in &released.findings {
                eprintln!("trecrate: warning: {}", describe(finding));
            }
            let mut out = std::io::stdout().lock();
            match &released.delivered {
                Delivered::Dir(w) => {
                    let _ = writeln!(out, "{}", w.crate_dir.display());
                    let _ = writeln!(out, "{}  sha256 {}", w.zip.display(), w.record.zip.sha256);
                    let _ = writeln!(out, "{}", w.record_path.display());
                }
                Delivered::Bucket(u) => {
                    if u.unchanged {
                        eprintln!("trecrate: this release is already there, byte for byte: nothing was uploaded");
                    }
                    let _ = writeln!(out, "{}  sha256 {}", u.zip_url, u.record.zip.sha256);
                    let _ = writeln!(out, "{}", u.record_url);
                }
            }
            match &released.archived {
                Some(Recorded::New { graph, .. }) => {
                    eprintln!("trecrate: archived as <{graph}>")
                }
                Some(Recorded::Unchanged { .. }) => {
                    eprintln!("trecrate: already in the archive, unchanged")
                }
                None => {}
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            report_error(&error);
            ExitCode::from(exit_code(&error))
        }
    }
}

/// 1 when the release was refused on its merits, 2 when trecrate could not do its job.
fn exit_code(error: &Error) -> u8 {
    match error {
        Error::Export(trecrate::release::export::ExportError::Read { .. }) => 2,
        Error::Export(_) | Error::Quarantine(_) | Error::Refused(_) => 1,
        Error::Package(PackageError::Mismatch(_) | PackageError::Exists { .. }) => 1,
        Error::Bucket(b) => bucket_code(b),
        Error::Archive(a) => archive_code(a),
        _ => 2,
    }
}

fn bucket_code(error: &BucketError) -> u8 {
    match error {
        BucketError::Mismatch(_) | BucketError::Exists { .. } | BucketError::NotFound { .. } => 1,
        BucketError::Package(PackageError::Mismatch(_)) => 1,
        BucketError::Aborted { cause, .. } | BucketError::NotAborted { cause, .. } => {
            bucket_code(cause)
        }
        _ => 2,
    }
}

fn report_error(error: &Error) {
    fail(error, 2);
    if let Error::Refused(findings) = error {
        for finding in findings {
            eprintln!("  {}", describe(finding));
        }
    }
}

fn run_crate(args: RunCrateArgs) -> ExitCode {
    use trecrate::run_crate::{RunCrateError, RunCrateOptions};
    let options = RunCrateOptions {
        dir: args.dir,
        out: args.out,
        license: args.license,
        assets: AssetDirs {
            queries: args.queries,
            shapes: args.shapes,
            contexts: args.contexts,
            template: None,
        },
        store: args.store,
        force: args.force,
    };
    let mut progress = Progress::new(args.quiet);
    match trecrate::run_crate::run_crate(&options, &mut |event| progress.report(event)) {
        Ok(written) => {
            for finding in &written.findings {
                eprintln!("trecrate: warning: {}", describe(finding));
            }
            if let Some(Recorded::New { graph, .. }) = &written.archived {
                eprintln!("trecrate: archived as <{graph}>");
            }
            println!("{}", written.path.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            let code = match &error {
                RunCrateError::Refused(_) => 1,
                RunCrateError::Archive(a) => archive_code(a),
                _ => 2,
            };
            fail(&error, code);
            if let RunCrateError::Refused(findings) = &error {
                for finding in findings {
                    eprintln!("  {}", describe(finding));
                }
            }
            if args.on_error_write_stub {
                let cause = causes(&error)
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join(": ");
                if let Err(e) = trecrate::run_crate::write_stub(&options, &cause) {
                    fail(&e, 2);
                }
            }
            ExitCode::from(code)
        }
    }
}

fn describe(f: &Finding) -> String {
    let mut text = format!("[{}] {}: {}", f.level, f.check, f.entity);
    if let Some(property) = &f.property {
        text.push_str(&format!(" {property}"));
    }
    if let Some(value) = &f.value {
        text.push_str(&format!(" = {value:?}"));
    }
    text.push_str(&format!(": {}", f.message));
    text
}

/// Stage lines with the time since start and, for the payload, at most one line a second.
struct Progress {
    quiet: bool,
    start: Instant,
    last: Option<Instant>,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        Progress {
            quiet,
            start: Instant::now(),
            last: None,
        }
    }

    fn report(&mut self, event: Event) {
        match event {
            Event::Warning(message) => eprintln!("trecrate: warning: {message}"),
            _ if self.quiet => {}
            Event::Stage(stage) => {
                eprintln!(
                    "trecrate: [{:6.2}s] {stage}",
                    self.start.elapsed().as_secs_f64()
                )
            }
            Event::Payload(done, total, bytes) => {
                let due = self
                    .last
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
                if due || done == total {
                    self.last = Some(Instant::now());
                    eprintln!(
                        "trecrate: [{:6.2}s]   {done}/{total} files, {:.1} MB",
                        self.start.elapsed().as_secs_f64(),
                        bytes as f64 / 1_000_000.0
                    );
                }
            }
        }
    }
}
