//! RFC 3339 timestamps, the only time format a `trevor-release/1` export uses.
//!
//! Parsing is strict on purpose: a timestamp the TRE wrote badly must be refused before it
//! becomes the crate's `datePublished`, and no dependency is worth pulling in for 60 lines.

use std::time::{SystemTime, UNIX_EPOCH};

/// A validated RFC 3339 date-time, kept as written so the crate repeats the export verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    text: String,
    /// Seconds since the Unix epoch, offset applied, for ordering and zip dates.
    epoch: i64,
}

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)`.
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let s = text.get(r)?;
            s.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| s.parse().ok())?
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let mut rest = &text[19..];
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            rest = &frac[digits..];
        }
        let offset = match rest {
            "Z" | "z" => 0,
            _ => {
                let ob = rest.as_bytes();
                if ob.len() != 6 || !matches!(ob[0], b'+' | b'-') || ob[3] != b':' {
                    return None;
                }
                let oh = num_of(&rest[1..3])?;
                let om = num_of(&rest[4..6])?;
                if oh > 23 || om > 59 {
                    return None;
                }
                let sign = if ob[0] == b'-' { -1 } else { 1 };
                sign * (oh * 3600 + om * 60)
            }
        };
        let days = days_from_civil(year, month, day);
        let epoch = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
        Some(Timestamp {
            text: text.to_owned(),
            epoch,
        })
    }

    /// The current time, or `SOURCE_DATE_EPOCH` when set, so release records can be reproduced.
    pub fn now() -> Self {
        let epoch = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0)
            });
        Self::from_epoch(epoch)
    }

    pub fn from_epoch(epoch: i64) -> Self {
        let (y, mo, d, h, mi, s) = civil(epoch);
        Timestamp {
            text: format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
            epoch,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    /// UTC calendar fields: (year, month, day, hour, minute, second).
    pub fn utc_fields(&self) -> (i64, i64, i64, i64, i64, i64) {
        civil(self.epoch)
    }
}

fn num_of(s: &str) -> Option<i64> {
    s.bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| s.parse().ok())?
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil(epoch: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rfc3339_forms() {
        for ok in [
            "2025-03-05T16:30:02Z",
            "2025-03-05T16:30:02.123Z",
            "2024-02-29T00:00:00+01:00",
            "2025-12-31T23:59:60-05:30",
        ] {
            assert!(Timestamp::parse(ok).is_some(), "{ok}");
        }
    }

    #[test]
    fn refuses_bad_forms() {
        for bad in [
            "",
            "2025-03-05",
            "2025-03-05 16:30:02Z",
            "2025-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-03-05T24:00:00Z",
            "2025-03-05T16:30:02",
            "2025-03-05T16:30:02.Z",
            "2025-03-05T16:30:02+1:00",
            "२०२५-03-05T16:30:02Z",
            "2025-03-05T16:30:02Zjunk",
        ] {
            assert!(Timestamp::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn offsets_are_applied() {
        let a = Timestamp::parse("2025-03-05T16:30:02Z").unwrap();
        let b = Timestamp::parse("2025-03-05T17:30:02+01:00").unwrap();
        assert_eq!(a.epoch(), b.epoch());
        assert_eq!(a.epoch(), 1_741_192_202);
    }

    #[test]
    fn epoch_round_trip() {
        let t = Timestamp::from_epoch(1_741_192_202);
        assert_eq!(t.as_str(), "2025-03-05T16:30:02Z");
        assert_eq!(t.utc_fields(), (2025, 3, 5, 16, 30, 2));
        assert_eq!(Timestamp::from_epoch(0).as_str(), "1970-01-01T00:00:00Z");
    }
}
