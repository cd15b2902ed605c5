//! Command-line arguments. Only parsing lives here; `main.rs` turns them into library calls.

use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use trecrate::archive::query::Format;
use trecrate::profile::RoCrateVersion;
use trecrate::storage::Location;

#[derive(Debug, Parser)]
#[command(
    name = "trecrate",
    version,
    about = "Build, check and archive RO-Crate release packages for Trusted Research Environments",
    long_about = "trecrate turns an approved airlock request of a Trusted Research Environment (TRE) into an \
RO-Crate release package (1.1 by default; 1.2, 1.3, BagIt on request): the request's metadata is loaded as RDF, mapped to the RO-Crate graph by \
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
    Release(Box<ReleaseArgs>),
    /// Check RO-Crates (directories, zips or metadata files) offline
    #[command(after_long_help = VALIDATE_HELP)]
    Validate(ValidateArgs),
    /// Add crates made elsewhere (or releases that travelled) to the archive
    #[command(after_long_help = INGEST_HELP)]
    Ingest(IngestArgs),
    /// List the archived releases
    Releases(ReleasesArgs),
    /// Run a read-only SPARQL query over every archived release
    #[command(after_long_help = QUERY_HELP)]
    Query(QueryArgs),
    /// Serve the archive as a read-only SPARQL 1.1 Protocol endpoint
    #[command(after_long_help = SERVE_HELP)]
    Serve(ServeArgs),
    /// Copy the archived release graphs to a SPARQL 1.1 Graph Store Protocol endpoint
    #[command(after_long_help = PUSH_HELP)]
    Push(PushArgs),
    /// Write the Workflow Run Crate of a workflow run directory (sapporo's layout)
    #[command(after_long_help = RUN_CRATE_HELP)]
    RunCrate(RunCrateArgs),
    /// Evaluates one query for `serve`, reading it on stdin
    #[command(name = "evaluate-worker", hide = true)]
    EvaluateWorker(EvaluateWorkerArgs),
}

const RUN_CRATE_HELP: &str = "\
RUN_DIR is a run directory as a WES service (sapporo) leaves it: run_request.json (required),
state.txt, exit_code.txt, start_time.txt, end_time.txt, cmd.txt, username.txt, runtime_info.json,
exe/ (the workflow and its attachments), outputs/, stdout.log, stderr.log, system_logs.json,
workflow_engine_params.txt, multiqc_general_stats.json. The crate conforms to RO-Crate 1.1,
Process Run Crate 0.5, Workflow Run Crate 0.5 and Workflow RO-Crate 1.0: the workflow with its
language and parameters, the run as a CreateAction (status from the exit code, the end of
stderr.log as error on failure, the container image from cmd.txt), every file with size,
sha256, encoding format (EDAM for bioinformatics formats), line count, its text when small,
and variant counts for VCF files. Anything the engine did not leave is left out, not guessed.

Which files are the crate's is queries/run-files.rq; the mapping is queries/run-crate/*.rq,
checked by shapes/ro-crate-1.1.ttl and shapes/run-crate/*.ttl (replace them with --queries and
--shapes).

With --bagit, the crate is also written as a BagIt bag, in ro-crate-RUNID.zip beside the
metadata: one folder holding bagit.txt, bag-info.txt, sha512 and sha256 manifests and the crate
(the metadata and every file it describes) under data/.

Exit status:
  0  the crate was written
  1  the crate fails a REQUIRED check of its shapes (nothing written)
  2  no run_request.json, or it is not JSON; unreadable files; bad options; I/O errors

Examples:
  trecrate run-crate runs/8b/8b6bd6e3-32dd-475f-ac6c-10da380e002e
  trecrate run-crate RUN_DIR --out run.json --store archive/ --on-error-write-stub";

#[derive(Debug, Args)]
pub struct RunCrateArgs {
    /// The run directory
    #[arg(value_name = "RUN_DIR")]
    pub dir: PathBuf,

    /// Where to write the metadata [default: RUN_DIR/ro-crate-metadata.json]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// The crate's licence, an IRI [default: the run request's tags.license, else
    /// https://spdx.org/licenses/CC0-1.0]
    #[arg(long, value_name = "IRI")]
    pub license: Option<String>,

    /// On failure, write {"@error": "..."} as the metadata file and append the cause to
    /// RUN_DIR/stderr.log, so that a service can tell a failed generation from a missing one
    #[arg(long)]
    pub on_error_write_stub: bool,

    /// Record the run in this archive, beside the releases (queryable with `trecrate query`)
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,

    /// Replace a different crate of the same run in the archive
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub bagit: BagitArg,

    /// No progress output; warnings and errors are still printed
    #[arg(long, short)]
    pub quiet: bool,

    /// Use the SPARQL queries in DIR/run-crate/*.rq (and DIR/run-files.rq, if there) instead
    /// of the built-in ones
    #[arg(
        long,
        value_name = "DIR",
        help_heading = "Overriding the built-in documents"
    )]
    pub queries: Option<PathBuf>,

    /// Use the SHACL shapes in DIR/*.ttl and DIR/run-crate/*.ttl instead of the built-in ones
    #[arg(
        long,
        value_name = "DIR",
        help_heading = "Overriding the built-in documents"
    )]
    pub shapes: Option<PathBuf>,

    /// Use the context documents in DIR (ro-crate-1.1.jsonld, ro-terms-workflow-run.jsonld,
    /// ro-terms-sapporo.jsonld, run-crate.jsonld) instead of the built-in ones
    #[arg(
        long,
        value_name = "DIR",
        help_heading = "Overriding the built-in documents"
    )]
    pub contexts: Option<PathBuf>,
}

/// Where the archive is; shared by every command that uses it.
#[derive(Debug, Args)]
pub struct StoreArg {
    /// The archive: an oxigraph database directory
    /// [default: $XDG_DATA_HOME/trecrate/store, else ~/.local/share/trecrate/store]
    #[arg(long, value_name = "DIR", env = "TRECRATE_STORE")]
    pub store: Option<PathBuf>,
}

/// The TRE's `tre:` namespace; shared by every command that writes or reads those terms.
#[derive(Debug, Clone, Args)]
pub struct TreNamespaceArg {
    /// Namespace of the tre: terms (ADR-0004 section 5). Give every command the same one
    /// (TRECRATE_TRE_NAMESPACE does): release writes the terms in it, and validate, ingest
    /// and query look for them there
    #[arg(long, value_name = "IRI", env = "TRECRATE_TRE_NAMESPACE", default_value = trecrate::rdf::vocab::TRE)]
    pub tre_namespace: String,
}

const INGEST_HELP: &str = "\
Each CRATE (a directory, a .zip, or a metadata file) is validated as `trecrate validate` would;
a crate with a REQUIRED finding is refused unless --force. It is archived under its airlock
request id (tre:airlockRequestId, which release crates carry), else --name, else its directory
or zip name. Archiving the same content again changes nothing; different content under an
archived name is refused unless --force, which keeps the previous version queryable.

Exit status:
  0  every crate was archived (or already was)
  1  some crate was refused (REQUIRED findings, or different content without --force)
  2  some crate could not be read, or the archive could not be opened

Example:
  trecrate ingest out/ro-crate-AR-2025-0042.zip ../elsewhere/run-crate --store archive/";

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Crate directories, .zip files, or metadata files
    #[arg(value_name = "CRATE", required = true)]
    pub crates: Vec<PathBuf>,

    #[command(flatten)]
    pub store: StoreArg,

    /// Archive crates with REQUIRED findings, and replace the current version of a request
    #[arg(long)]
    pub force: bool,

    /// Archive name for a crate without an airlock request id (only with one CRATE)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Validate the metadata only, not the payload
    #[arg(long)]
    pub metadata_only: bool,

    /// Use FILE as the context document for URL (repeatable)
    #[arg(long, value_name = "URL=FILE")]
    pub context: Vec<String>,

    #[command(flatten)]
    pub tre_namespace: TreNamespaceArg,
}

#[derive(Debug, Args)]
pub struct ReleasesArgs {
    #[command(flatten)]
    pub store: StoreArg,

    /// Output format
    #[arg(long, default_value = "table", value_parser = query_format())]
    pub format: Format,
}

const QUERY_HELP: &str = "\
The default graph is the union of every archived graph: each crate version is a named graph
<urn:trecrate:release:ID:METADATA_SHA256> and the records are in <urn:trecrate:records>
(trecrate:requestId, releasedAt, zipSha256, zipLocation, supersededBy ...). To query one
release, match its graph:  GRAPH ?g { ... } ?g trecrate:requestId \"AR-2025-0042\" .
(Declare the prefixes you use: PREFIX trecrate: <https://w3id.org/trecrate/archive#>.)
Only queries run: SPARQL Update is refused. SERVICE never reaches the network.

Formats: table (default; Turtle for graphs), csv, tsv, json, xml for SELECT and ASK;
turtle, ntriples, jsonld for CONSTRUCT and DESCRIBE.

Exit status: 0 answered, 1 bad query or parameters, 2 no archive or I/O error.

Examples:
  trecrate query --list
  trecrate query --builtin release-by-checksum --param sha256=3f1a...
  trecrate query --builtin files-by-statbarn --param statbarn=frequencies \\
      --param project=P-2025-017 --param from=2025-01-01 --param to=2025-12-31
  trecrate query 'PREFIX trecrate: <https://w3id.org/trecrate/archive#>
      SELECT ?request ?at WHERE { ?g trecrate:requestId ?request ; trecrate:releasedAt ?at }'
  trecrate query --file audit.rq --format csv";

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The SPARQL query text
    #[arg(value_name = "QUERY", conflicts_with_all = ["file", "builtin", "list"])]
    pub query: Option<String>,

    /// Read the query from FILE
    #[arg(long, value_name = "FILE", conflicts_with_all = ["builtin", "list"])]
    pub file: Option<PathBuf>,

    /// Run the built-in auditor query NAME (see --list)
    #[arg(long, value_name = "NAME", conflicts_with = "list")]
    pub builtin: Option<String>,

    /// A parameter of the built-in query, bound to ?NAME (repeatable)
    #[arg(long, value_name = "NAME=VALUE", requires = "builtin")]
    pub param: Vec<String>,

    /// List the built-in queries with their parameters
    #[arg(long)]
    pub list: bool,

    /// Print the built-in query instead of running it; with --param, with the values in place
    /// (to run it on another SPARQL endpoint)
    #[arg(long, requires = "builtin")]
    pub show: bool,

    /// Output format
    #[arg(long, default_value = "table", value_parser = query_format())]
    pub format: Format,

    #[command(flatten)]
    pub store: StoreArg,

    /// Take the built-in queries from DIR/audit/*.rq
    #[arg(long, value_name = "DIR")]
    pub queries: Option<PathBuf>,

    /// Print the evaluation time on standard error
    #[arg(long)]
    pub time: bool,

    #[command(flatten)]
    pub tre_namespace: TreNamespaceArg,
}

fn query_format() -> impl clap::builder::TypedValueParser<Value = Format> {
    clap::builder::PossibleValuesParser::new(Format::ALL.map(Format::name))
        .map(|name| Format::from_name(&name).expect("one of the possible values"))
}

const SERVE_HELP: &str = "\
Routes:
  GET  /                     the auditors' page: releases, built-in queries as forms, a SPARQL
                             box, results as a table and CSV (no token needed to load it; it
                             asks for one and sends it)
  GET  /query                SPARQL 1.1 Protocol: ?query=..., or ?builtin=NAME&PARAM=VALUE for
  POST /query                a built-in query (see `trecrate query --list`); POST as a form or
                             as application/sparql-query
  GET  /releases             every archived version, as `trecrate releases --format json`
  GET  /releases/ID/ro-crate the current version's ro-crate-metadata.json, byte for byte as
                             released (?version=METADATA_SHA256 for an older one);
                             ?download=true the zip, streamed with Content-Length and
                             Repr-Digest, checked against the recorded sha256 as it goes
                             (404: unknown request; 410: the recorded zip is gone)
  POST /validate             a zip or a metadata document as the body (up to
                             --max-upload-bytes, streamed to a temporary file): the JSON
                             report of `trecrate validate`; ?profile=NAME (repeatable) and
                             ?level=required|recommended|optional as on the command line

Query results by content negotiation (Accept): SPARQL JSON (default), XML, CSV, TSV; Turtle
(default), N-Triples, JSON-LD for graphs; text/plain gives an aligned table. The default graph
is the union of all archived graphs.

Read-only: updates get 403. With a token (--token-file or TRECRATE_TOKEN), every request
needs `Authorization: Bearer TOKEN` (401 otherwise). A non-loopback --bind needs a token.
Each query runs in a process of its own (about 20 ms more per query), stopped when it runs
past --timeout or holds more than --max-query-memory (503 either way, its memory given back
at once); one with more results than --max-results gets 413.
Clients: a request's head must arrive within 10 s, which is also how long an idle keep-alive
connection is kept; one address may hold 32 connections and all together 512 (503 beyond).
The archive stays open (locked) while serving: stop the server to record releases.

Examples:
  TRECRATE_TOKEN=$(cat token) trecrate serve --bind 0.0.0.0:7878
  curl -H 'Authorization: Bearer ...' --data-urlencode 'query=ASK {}' http://host:7878/query
  curl -OJ 'http://127.0.0.1:7878/releases/AR-2025-0042/ro-crate?download=true'
  curl --data-binary @crate.zip 'http://127.0.0.1:7878/validate?level=recommended'";

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArg,

    /// Address and port to listen on
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:7878")]
    pub bind: std::net::SocketAddr,

    /// File holding the bearer token every request must present
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// The bearer token itself (prefer --token-file: environments leak)
    #[arg(
        long = "token",
        env = "TRECRATE_TOKEN",
        hide_env_values = true,
        hide = true
    )]
    pub token: Option<String>,

    /// Longest a query may run, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub timeout: f64,

    /// Most results (rows or triples) a query may return
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_results: usize,

    /// Most memory a query may use, in MiB: each query runs in a process of its own, stopped
    /// when over it or over --timeout, which gives its memory back at once
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    pub max_query_memory: u64,

    /// Largest crate POST /validate takes, in bytes (1 GiB by default)
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 30)]
    pub max_upload_bytes: u64,

    #[command(flatten)]
    pub tre_namespace: TreNamespaceArg,

    #[command(flatten)]
    pub s3: S3Args,
}

/// The endpoint's query worker (`archive::query::isolated`): not for users.
#[derive(Debug, Args)]
pub struct EvaluateWorkerArgs {
    pub store: PathBuf,
    #[arg(value_parser = query_format())]
    pub format: Format,
    /// A number, or `none`
    pub max_results: String,
}

const PUSH_HELP: &str = "\
Each archived crate version's named graph is sent with an HTTP PUT to ENDPOINT?graph=IRI
(SPARQL 1.1 Graph Store Protocol), then the release records to <urn:trecrate:records>, so
the same queries give the same answers on the server (query it with its default graph as the
union of its named graphs, e.g. `oxigraph serve --union-default-graph`). With --release, only
that request's graphs are sent and its records added.

Example:
  trecrate push --endpoint http://triplestore.example:7878/store";

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The Graph Store Protocol endpoint URL (e.g. http://host:7878/store for oxigraph)
    #[arg(long, value_name = "URL")]
    pub endpoint: String,

    #[command(flatten)]
    pub store: StoreArg,

    /// Push only the graphs of this airlock request
    #[arg(long, value_name = "ID")]
    pub release: Option<String>,

    /// File holding a bearer token for the endpoint
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

const VALIDATE_HELP: &str = "\
Checks, without any network access:
  - the metadata as JSON: UTF-8, @context resolvable from the bundled contexts (or --context),
    every key a term or compact IRI, a flat @graph, @id and @type on every entity, unique @ids;
  - the graph, with SHACL shapes: RO-Crate 1.1, 1.2 and 1.3, the run-crate profiles, Workflow
    RO-Crate, Five Safes RO-Crate (--list-profiles), trecrate's release profile;
  - the payload (unless --metadata-only): described files exist, sizes and sha256/sha512/md5
    match, undescribed files, and nothing escapes the crate (`..`, absolute paths, symlinks);
  - a BagIt bag holding the crate in data/ (unless --metadata-only): bagit.txt, every manifest
    and tag manifest entry, every payload file in every payload manifest, Payload-Oxum; its
    findings are the `bagit` profile's.
Profiles come from the crate's conformsTo unless --profile is given.

Exit status:
  0  no crate has a finding that counts at --level
  1  some crate has a finding that counts
  2  some crate could not be read at all (not a crate, unreadable zip, ...)

Examples:
  trecrate validate out/ro-crate-AR-2025-0042
  trecrate validate release.zip --level recommended --format json
  trecrate validate bagged-crate.zip --profile five-safes-crate
  trecrate validate crate/ --context https://example.org/ctx=ctx.jsonld";

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Crate directories, .zip files, BagIt bags (directory or zip), or metadata files
    #[arg(value_name = "CRATE", required_unless_present = "list_profiles")]
    pub crates: Vec<PathBuf>,

    /// Profiles to check (repeatable), by id (process-run-crate-0.5) or name for the latest
    /// version (process-run-crate); a profile brings those it builds on. See --list-profiles.
    /// Default: the profiles the crate declares in conformsTo
    #[arg(long, value_name = "PROFILE")]
    pub profile: Vec<String>,

    /// List the profiles trecrate knows: id, name, specification and what each builds on
    #[arg(long)]
    pub list_profiles: bool,

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

    /// Largest metadata whose graph is held in memory, in bytes: about twice as fast, at
    /// peak memory up to three times the document plus 50 MiB. Larger ones are held on disk,
    /// in a scratch directory under TMPDIR: peak memory about three times the document plus
    /// 90 MiB. 0 puts every graph on disk
    #[arg(long, value_name = "BYTES", default_value_t = trecrate::validate::graph::ON_DISK_FROM)]
    pub max_in_memory_bytes: u64,

    /// Your own SHACL shapes, a FILE.ttl or a DIR of *.ttl, checked as well (sh:severity:
    /// Violation REQUIRED, Warning RECOMMENDED, Info OPTIONAL); a file named like a built-in
    /// profile's (ro-crate-1.1.ttl, ...) replaces it
    #[arg(long, value_name = "FILE|DIR")]
    pub shapes: Option<PathBuf>,

    /// A profile of your own as an RO-Crate 1.2 Profile Crate in DIR (repeatable): its
    /// ResourceDescriptors of role validation name the SHACL files (text/turtle) checked, and
    /// its isProfileOf the profiles checked with them; findings name its @id as profile
    #[arg(long, value_name = "DIR")]
    pub profile_crate: Vec<PathBuf>,

    #[command(flatten)]
    pub tre_namespace: TreNamespaceArg,
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
  ro-crate-ID/ro-crate-metadata.json     RO-Crate metadata (flattened, compacted JSON-LD)
  ro-crate-ID/ro-crate-preview.html      human-readable preview
  ro-crate-ID/data/OBJECT_vN.EXT         the latest approved version N of each output object
  ro-crate-ID.zip                        the crate, ro-crate-metadata.json at the zip root
With --bagit, ro-crate-ID/ is a BagIt bag (bagit.txt, bag-info.txt, manifests) with the crate
under ro-crate-ID/data/, and the zip holds the folder ro-crate-ID/. With --ro-crate-version 1.2
or 1.3 the crate is written in that version (its context, conformsTo and Profile entity).
  ro-crate-ID.release.json               release record: zip and metadata sha256, sizes, time
and records the release in the archive (--store; --no-store to skip), one transaction:
the crate graph and its record, or nothing.

Only the latest version in state \"approved\" of each object ships; each file's size and sha256
must match the export. The export must show two approving reviews by distinct checkers, neither
of them the researcher.

With --out s3://BUCKET/PREFIX/, the zip is streamed to PREFIX/ro-crate-ID.zip as a multipart
upload (never whole in memory) and PREFIX/ro-crate-ID.release.json is written after it, with
the object's URL, ETag and sha256. The zip appears under its key only when complete; a failed
upload is aborted. An identical release already there is a success that uploads nothing; a
different one is refused without --force. With --quarantine s3://..., each object is fetched
to a temporary directory ($TMPDIR), checked against the export's size and sha256 before
anything is written or uploaded, and removed at the end. Credentials, region and endpoint come
from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL
unless the --s3-* options say otherwise.

Exit status:
  0  the release was written (or was already there, identical)
  1  the release was refused: invalid export, unsafe path, checksum mismatch, failed REQUIRED
     shape, a file missing from the quarantine, or a release already at the target (see --force)
  2  trecrate could not run: unreadable files, bad options or documents, I/O errors, storage
     that refuses the credentials or cannot be reached

Examples:
  trecrate release examples/release-AR-2025-0042/release.json \\
      --quarantine examples/release-AR-2025-0042/quarantine --out out/
  AWS_ENDPOINT_URL=https://s3.tre.example AWS_REGION=eu-west-2 \\
    trecrate release release.json --quarantine s3://quarantine-bucket/requests/AR-2025-0042/ \\
      --out s3://release-bucket/releases/";

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// The release export written by the TRE (format trevor-release/1)
    #[arg(value_name = "RELEASE_JSON")]
    pub export: PathBuf,

    /// Quarantine directory holding the files at the export's `path`s, or an S3 prefix
    /// (s3://BUCKET/PREFIX/) whose keys they are
    #[arg(long, value_name = "DIR|S3_URL", value_parser = location())]
    pub quarantine: Location,

    /// Directory receiving the crate, zip and release record (created if missing), or an S3
    /// prefix (s3://BUCKET/PREFIX/) receiving the zip and release record
    #[arg(long, value_name = "DIR|S3_URL", value_parser = location())]
    pub out: Location,

    /// Replace a release of the same request already present under --out (and in the archive,
    /// where the previous version stays queryable)
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub store: StoreArg,

    /// Do not record the release in the archive
    #[arg(long, env = "TRECRATE_NO_STORE", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_store: bool,

    /// No progress output; warnings and errors are still printed
    #[arg(long, short)]
    pub quiet: bool,

    /// Name of the TRE, the crate's publisher
    #[arg(
        long,
        env = "TRECRATE_PUBLISHER_NAME",
        default_value = trecrate::release::load::DEFAULT_PUBLISHER_NAME
    )]
    pub publisher_name: String,

    /// URL of the TRE, the publisher's @id
    #[arg(
        long,
        env = "TRECRATE_PUBLISHER_URL",
        default_value = trecrate::release::load::DEFAULT_PUBLISHER_URL
    )]
    pub publisher_url: String,

    #[command(flatten)]
    pub tre_namespace: TreNamespaceArg,

    /// Deflate level (1-9) for compressible files; 0 stores every file uncompressed.
    /// Already-compressed formats (images, zip, gzip, parquet, pdf...) are always stored
    #[arg(long, default_value_t = 6, value_name = "LEVEL")]
    pub deflate_level: u32,

    /// The RO-Crate version to write: 1.1 (ADR-0004's choice), 1.2 or 1.3. 1.2 and 1.3 name
    /// their own context and declare the release profile as a Profile entity
    #[arg(
        long,
        value_name = "VERSION",
        env = "TRECRATE_RO_CRATE_VERSION",
        default_value = "1.1",
        value_parser = ro_crate_version
    )]
    pub ro_crate_version: RoCrateVersion,

    #[command(flatten)]
    pub bagit: BagitArg,

    /// Use the SPARQL queries in DIR/release/*.rq and DIR/preview/*.rq instead of the built-in
    /// ones; for --ro-crate-version 1.2 or 1.3, DIR/release/1.2/ and 1.3/ (when there) replace or
    /// add to them
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

    /// Use DIR/ro-crate-VERSION.jsonld (the --ro-crate-version's) and DIR/tre.jsonld instead of
    /// the built-in contexts
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

    #[command(flatten)]
    pub s3: S3Args,
}

/// `--bagit`, shared by `release` and `run-crate`.
#[derive(Debug, Args)]
pub struct BagitArg {
    /// Package the crate as a BagIt 1.0 bag (RFC 8493): the zip holds one folder, the bag,
    /// with bagit.txt, bag-info.txt, sha512 and sha256 manifests, a sha512 tag manifest, and the
    /// crate under data/ (release: the crate directory is that bag too)
    #[arg(long, env = "TRECRATE_BAGIT", value_parser = clap::builder::BoolishValueParser::new())]
    pub bagit: bool,
}

fn ro_crate_version(value: &str) -> Result<RoCrateVersion, String> {
    value.parse()
}

/// Overrides of the AWS environment for s3:// locations.
#[derive(Debug, Args)]
#[command(next_help_heading = "S3 storage (overriding the AWS_* environment)")]
pub struct S3Args {
    /// S3 endpoint, e.g. http://127.0.0.1:9000 for a local server [default: $AWS_ENDPOINT_URL,
    /// else AWS]
    #[arg(long, value_name = "URL")]
    pub s3_endpoint_url: Option<String>,

    /// Region [default: $AWS_REGION, else us-east-1]
    #[arg(long, value_name = "REGION")]
    pub s3_region: Option<String>,

    /// Access key id [default: $AWS_ACCESS_KEY_ID]
    #[arg(long, value_name = "ID")]
    pub s3_access_key_id: Option<String>,

    /// Read the secret access key from FILE [default: $AWS_SECRET_ACCESS_KEY]. Not a flag
    /// value, which other users could read in the process list
    #[arg(long, value_name = "FILE")]
    pub s3_secret_access_key_file: Option<PathBuf>,

    /// Retries of a request that failed transiently (5xx, dropped connection, timeout), with
    /// exponential backoff from 0.1 s; 403 and 404 are never retried
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub s3_retries: usize,
}

fn location() -> impl clap::builder::TypedValueParser<Value = Location> {
    clap::builder::StringValueParser::new().try_map(|text| Location::parse(&text))
}
