//! The binary's own modules: the arguments ([`args`]), their resolution into the library's
//! options ([`settings`]), one function per command that calls the library and reports
//! ([`commands`]), the exit status ([`exit`]) and progress lines ([`progress`]).

pub mod args;
pub mod commands;
pub mod exit;
pub mod progress;
pub mod settings;

use exit::ExitStatus;
use std::io::Write;

/// Prints an error, then each cause that its message does not already say, and gives the
/// status; every message of the library names its subject and leaves the cause to its source.
pub fn fail(error: &dyn std::error::Error, status: ExitStatus) -> ExitStatus {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "trecrate: error: {error}");
    for cause in causes(error).skip(1) {
        let _ = writeln!(err, "  caused by: {cause}");
    }
    status
}

/// `error` and the errors that caused it, outermost first.
fn causes<'a>(
    error: &'a (dyn std::error::Error + 'a),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'a)> {
    std::iter::successors(Some(error), |e| {
        e.source().map(|s| s as &(dyn std::error::Error + 'a))
    })
}
