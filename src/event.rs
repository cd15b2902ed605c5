//! What a run reports while it works; the caller (the CLI's progress lines) decides how to show it.

/// One thing a release or run-crate reports as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    Stage(&'static str),
    Warning(String),
    /// Files done, files in all, bytes done.
    Payload(usize, usize, u64),
}

/// A request to stop a run, set from elsewhere (the Python binding, on Ctrl-C) and checked
/// between stages and between files: the run then ends with its `Cancelled` error, and, as for
/// any error, nothing half-written is left. The default is a run nobody can stop.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Option<std::sync::Arc<std::sync::atomic::AtomicBool>>);

impl Cancel {
    /// A token that [`Cancel::cancel`] can set.
    pub fn new() -> Self {
        Cancel(Some(Default::default()))
    }

    pub fn cancel(&self) {
        if let Some(flag) = &self.0 {
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.0
            .as_ref()
            .is_some_and(|flag| flag.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// `Err(cancelled)` once cancelled, for the checks between stages:
    /// `options.cancel.check(Error::Cancelled)?`.
    pub fn check<E>(&self, cancelled: E) -> Result<(), E> {
        match self.is_cancelled() {
            true => Err(cancelled),
            false => Ok(()),
        }
    }
}

/// An error and its causes on one line (`a: b: c`), as a message for someone who cannot see
/// the chain: a Python exception, an HTTP answer.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
