//! The `trecrate` command: parses arguments, calls the library once, reports, exits.

mod cli;

use clap::Parser;
use cli::{Cli, Command, FormatArg, LevelArg, ReleaseArgs, ValidateArgs};
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use trecrate::assets::AssetDirs;
use trecrate::contexts::Contexts;
use trecrate::finding::Level;
use trecrate::load::Publisher;
use trecrate::package::PackageError;
use trecrate::shacl::Finding;
use trecrate::validate::{Profile, ValidateOptions};
use trecrate::{Error, Event, ReleaseOptions};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Release(args) => release(args),
        Command::Validate(args) => validate(args),
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
    let contexts = match Contexts::with_files(&args.context) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("trecrate: error: {e}");
            return ExitCode::from(2);
        }
    };
    let level = match args.level {
        LevelArg::Required => Level::Required,
        LevelArg::Recommended => Level::Recommended,
        LevelArg::Optional => Level::Optional,
    };
    let options = ValidateOptions {
        profiles,
        metadata_only: args.metadata_only,
        contexts,
        max_metadata_bytes: args.max_metadata_bytes,
        skip_checks: args.skip_check,
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
        FormatArg::Text => trecrate::report::text(&reports, level),
        FormatArg::Json => trecrate::report::json(&reports, level),
        FormatArg::Turtle => trecrate::report::turtle(&reports, level),
    };
    if !reports.is_empty() {
        let mut out = std::io::stdout().lock();
        // A closed pipe (e.g. `| head`) is not an error of the validation.
        let _ = out.write_all(text.as_bytes());
    }
    ExitCode::from(code)
}

fn release(args: ReleaseArgs) -> ExitCode {
    let options = ReleaseOptions {
        export: args.export,
        quarantine: args.quarantine,
        out: args.out,
        force: args.force,
        publisher: Publisher {
            name: args.publisher_name,
            url: args.publisher_url,
        },
        tre_namespace: args.tre_namespace,
        assets: AssetDirs {
            queries: args.queries,
            shapes: args.shapes,
            contexts: args.contexts,
            template: args.preview_template,
        },
        deflate_level: args.deflate_level,
    };
    let mut progress = Progress::new(args.quiet);
    match trecrate::release(&options, &mut |event| progress.report(event)) {
        Ok(released) => {
            for finding in &released.findings {
                eprintln!("trecrate: warning: {}", describe(finding));
            }
            let w = &released.written;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", w.crate_dir.display());
            let _ = writeln!(out, "{}  sha256 {}", w.zip.display(), w.record.zip.sha256);
            let _ = writeln!(out, "{}", w.record_path.display());
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
        Error::Export(trecrate::export::ExportError::Read { .. }) => 2,
        Error::Export(_) | Error::Quarantine(_) | Error::Refused(_) => 1,
        Error::Package(PackageError::Mismatch(_) | PackageError::Exists { .. }) => 1,
        _ => 2,
    }
}

fn report_error(error: &Error) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "trecrate: error: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let _ = writeln!(err, "  caused by: {cause}");
        source = cause.source();
    }
    if let Error::Refused(findings) = error {
        for finding in findings {
            let _ = writeln!(err, "  {}", describe(finding));
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
