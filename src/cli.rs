//! Command-line arguments. Only parsing lives here; `main.rs` turns them into library calls.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "trecrate",
    version,
    about = "Build, check and archive RO-Crate 1.1 release packages for Trusted Research Environments",
    long_about = "trecrate turns an approved airlock request of a Trusted Research Environment (TRE) into an \
RO-Crate 1.1 release package: the request's metadata is loaded as RDF, mapped to the RO-Crate graph by \
SPARQL CONSTRUCT queries, checked by SHACL shapes and written as compacted JSON-LD, with an HTML \
preview, the approved files, a zip and a release record.\n\nEverything works offline: the JSON-LD \
contexts, queries and shapes are built into the binary."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the release package of one approved airlock request
    #[command(after_long_help = RELEASE_HELP)]
    Release(ReleaseArgs),
    /// Check RO-Crates (directories, zips or metadata files) offline
    #[command(after_long_help = VALIDATE_HELP)]
    Validate(ValidateArgs),
}

const VALIDATE_HELP: &str = "\
Checks, without any network access:
  - the metadata as JSON: UTF-8, @context resolvable from the bundled contexts (or --context),
    every key a term or compact IRI, a flat @graph, @id and @type on every entity, unique @ids;
  - the graph, with SHACL shapes: RO-Crate 1.1 (and 1.2 where it differs), and trecrate's own
    release profile for crates that declare it;
  - the payload (unless --metadata-only): described files exist, sizes and sha256/sha512/md5
    match, undescribed files, and nothing escapes the crate (`..`, absolute paths, symlinks).
Profiles come from the crate's conformsTo unless --profile is given.

Exit status:
  0  no crate has a finding that counts at --level
  1  some crate has a finding that counts
  2  some crate could not be read at all (not a crate, unreadable zip, ...)

Examples:
  trecrate validate out/ro-crate-AR-2025-0042
  trecrate validate release.zip --level recommended --format json
  trecrate validate crate/ --context https://example.org/ctx=ctx.jsonld";

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Crate directories, .zip files, or metadata files
    #[arg(value_name = "CRATE", required = true)]
    pub crates: Vec<PathBuf>,

    /// Profiles to check (repeatable): ro-crate-1.1, ro-crate-1.2, trecrate-release
    #[arg(long, value_name = "PROFILE")]
    pub profile: Vec<String>,

    /// Which findings count: required; recommended (REQUIRED and RECOMMENDED); optional (all)
    #[arg(long, value_enum, default_value = "required")]
    pub level: LevelArg,

    /// Report format
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,

    /// Check the metadata only, not the payload
    #[arg(long)]
    pub metadata_only: bool,

    /// Use FILE as the context document for URL (repeatable), instead of failing on an unknown context
    #[arg(long, value_name = "URL=FILE")]
    pub context: Vec<String>,

    /// Do not run the check of this name, as reports show it (repeatable)
    #[arg(long, value_name = "NAME")]
    pub skip_check: Vec<String>,

    /// Largest metadata file read, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 256 * 1024 * 1024)]
    pub max_metadata_bytes: u64,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LevelArg {
    Required,
    Recommended,
    Optional,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    /// A SHACL validation report, as RDF
    Turtle,
}

const RELEASE_HELP: &str = "\
Writes, under --out, all at once or not at all (ID is the request id):
  ro-crate-ID/ro-crate-metadata.json     RO-Crate 1.1 metadata (flattened, compacted JSON-LD)
  ro-crate-ID/ro-crate-preview.html      human-readable preview
  ro-crate-ID/data/OBJECT_vN.EXT         the latest approved version N of each output object
  ro-crate-ID.zip                        the crate, ro-crate-metadata.json at the zip root
  ro-crate-ID.release.json               release record: zip and metadata sha256, sizes, time

Only the latest version in state \"approved\" of each object ships; each file's size and sha256
must match the export. The export must show two approving reviews by distinct checkers, neither
of them the researcher.

Exit status:
  0  the release was written
  1  the release was refused: invalid export, unsafe path, checksum mismatch, failed REQUIRED
     shape, or a release already at the target (see --force)
  2  trecrate could not run: unreadable files, bad options or documents, I/O errors

Example:
  trecrate release examples/release-AR-2025-0042/release.json \\
      --quarantine examples/release-AR-2025-0042/quarantine --out out/";

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// The release export written by the TRE (format trevor-release/1)
    #[arg(value_name = "RELEASE_JSON")]
    pub export: PathBuf,

    /// Quarantine directory holding the files at the export's `path`s
    #[arg(long, value_name = "DIR")]
    pub quarantine: PathBuf,

    /// Directory receiving the crate, zip and release record (created if missing)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Replace a release of the same request already present under --out
    #[arg(long)]
    pub force: bool,

    /// No progress output; warnings and errors are still printed
    #[arg(long, short)]
    pub quiet: bool,

    /// Name of the TRE, the crate's publisher
    #[arg(
        long,
        env = "TRECRATE_PUBLISHER_NAME",
        default_value = "KARECTL Trusted Research Environment"
    )]
    pub publisher_name: String,

    /// URL of the TRE, the publisher's @id
    #[arg(
        long,
        env = "TRECRATE_PUBLISHER_URL",
        default_value = "https://karectl.example/"
    )]
    pub publisher_url: String,

    /// Namespace of the tre: terms (ADR-0004 section 5)
    #[arg(long, env = "TRECRATE_TRE_NAMESPACE", default_value = trecrate::vocab::TRE)]
    pub tre_namespace: String,

    /// Deflate level (1-9) for compressible files; 0 stores every file uncompressed.
    /// Already-compressed formats (images, zip, gzip, parquet, pdf...) are always stored
    #[arg(long, default_value_t = 6, value_name = "LEVEL")]
    pub deflate_level: u32,

    /// Use the SPARQL queries in DIR/release/*.rq and DIR/preview/*.rq instead of the built-in ones
    #[arg(
        long,
        value_name = "DIR",
        help_heading = "Overriding the built-in documents"
    )]
    pub queries: Option<PathBuf>,

    /// Use the SHACL shapes in DIR/*.ttl instead of the built-in ones
    #[arg(
        long,
        value_name = "DIR",
        help_heading = "Overriding the built-in documents"
    )]
    pub shapes: Option<PathBuf>,

    /// Use DIR/ro-crate-1.1.jsonld and DIR/tre.jsonld instead of the built-in contexts
    #[arg(
        long,
        value_name = "DIR",
        help_heading = "Overriding the built-in documents"
    )]
    pub contexts: Option<PathBuf>,

    /// Use FILE as the preview's Tera template
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Overriding the built-in documents"
    )]
    pub preview_template: Option<PathBuf>,
}
