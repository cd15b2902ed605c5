//! The `trecrate` command: parses the arguments, runs the one command they name, exits with
//! its status. Everything it runs is in the library; everything it prints is in `cli/`.

mod cli;

use clap::Parser;
use cli::args::{Cli, Command};
use cli::commands;
use std::process::ExitCode;

/// The pipeline allocates and frees millions of small terms and JSON nodes; glibc's malloc
/// spent about a fifth of a 10,000-file release in its free lists (perf, bench/RESULTS.md).
///
/// mimalloc also replaces `malloc` for the C and C++ code (its `override` feature): oxigraph
/// frees RocksDB's C-allocated error messages with the Rust allocator, and with two different
/// allocators that crashed every RocksDB error, such as an archive locked by `trecrate serve`
/// (tests/endpoint.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process. mimalloc asks for them, and each time it
/// returns freed memory and takes it back the kernel zeroes two megabytes at a fault: at
/// 100,000 files that was a fifth of the release's CPU time (`clear_page_erms` in perf), and
/// without them the release took 20.2 s instead of 23.3 s, 4.6 s of system time instead of
/// 9.0 s, and read its export in 0.45 s instead of 1.9 s (bench/RESULTS.md, 2026-12-07).
/// The Python module leaves its host process's pages alone.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and changes no memory the
    // program holds; a kernel that lacks it returns an error, which leaves things as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// mimalloc's `mi_option_purge_delay`, which `libmimalloc-sys` has no constant for: its place
/// in `mi_option_e` (mimalloc.h), right before `use_numa_nodes`.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t =
    libmimalloc_sys::mi_option_use_numa_nodes - 1;

/// Has mimalloc give freed memory back to the system 10 ms after it is freed instead of a
/// second (mimalloc 3's default; 10 ms was mimalloc 2's). Validation frees the metadata's bytes
/// and the parser's buffers and then allocates the checks' working sets on other threads, which
/// do not reuse another thread's free pages: with the default, both were resident at the peak.
/// A 53 MB document peaked at 211-240 MB, and at 193 MB with this. The release keeps the
/// default: there the sooner purging cost 1.5 s of system time at 100,000 files.
fn prompt_purge() {
    // SAFETY: sets a number mimalloc reads when it next purges; no memory changes hands.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) }
}

fn main() -> ExitCode {
    no_huge_pages();
    let command = Cli::parse().command;
    if let Command::Validate(_) | Command::Ingest(_) = command {
        prompt_purge();
    }
    let status = match command {
        Command::Release(args) => commands::release(*args),
        Command::Validate(args) => commands::validate(args),
        Command::Ingest(args) => commands::ingest(args),
        Command::Releases(args) => commands::releases(args),
        Command::Query(args) => commands::query(args),
        Command::Serve(args) => commands::serve(args),
        Command::Push(args) => commands::push(args),
        Command::RunCrate(args) => commands::run_crate(args),
        Command::EvaluateWorker(args) => return commands::evaluate_worker(args),
    };
    status.into()
}

#[cfg(test)]
mod tests {
    /// clap's own consistency checks over every command and argument.
    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }

    /// The option `prompt_purge` sets is the purge delay: the only one whose default is a
    /// second, so a mimalloc that renumbered its options fails here.
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // SAFETY: reads an option.
        let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000);
    }
}
