//! Progress lines on stderr: each stage with the time since the start, and the payload at
//! most once a second.

use std::time::{Duration, Instant};
use trecrate::Event;

/// Stage lines with the time since start and, for the payload, at most one line a second.
pub struct Progress {
    quiet: bool,
    start: Instant,
    last: Option<Instant>,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        Progress {
            quiet,
            start: Instant::now(),
            last: None,
        }
    }

    pub fn report(&mut self, event: Event) {
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
