//! The exit status of a run, as the README documents it: 0 done, 1 refused on the merits of the
//! input (a failed check, a conflict, a bad query), 2 could not run at all.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    Success,
    /// The input was read and found wanting; the user has something to fix in it.
    Refused,
    /// trecrate could not do its job: unreadable files, bad options, I/O, storage.
    Error,
}

impl ExitStatus {
    /// The status of a failure that the library classified.
    pub fn of_failure(refused: bool) -> Self {
        if refused {
            ExitStatus::Refused
        } else {
            ExitStatus::Error
        }
    }

    /// The status of several runs (crates validated, ingested): the worst wins.
    pub fn merge(self, other: ExitStatus) -> ExitStatus {
        self.max(other)
    }

    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Refused => 1,
            ExitStatus::Error => 2,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}

#[cfg(test)]
mod tests {
    use super::ExitStatus::{self, *};

    #[test]
    fn the_worst_status_wins() {
        let all = [Success, Refused, Error];
        for a in all {
            for b in all {
                let merged = a.merge(b);
                assert_eq!(merged, b.merge(a));
                assert!(merged.code() >= a.code() && merged.code() >= b.code());
                assert!(merged == a || merged == b);
            }
        }
        assert_eq!(
            [Refused, Success, Error, Success]
                .into_iter()
                .fold(Success, ExitStatus::merge),
            Error
        );
    }

    #[test]
    fn codes_are_the_documented_ones() {
        assert_eq!(Success.code(), 0);
        assert_eq!(ExitStatus::of_failure(true).code(), 1);
        assert_eq!(ExitStatus::of_failure(false).code(), 2);
    }
}
