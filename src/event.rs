//! What a run reports while it works; the caller (the CLI's progress lines) decides how to show it.

/// One thing a release or run-crate reports as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    Stage(&'static str),
    Warning(String),
    /// Files done, files in all, bytes done.
    Payload(usize, usize, u64),
}
