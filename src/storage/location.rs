//! Where files are read from or written to: a local directory or an `s3://bucket/prefix/`.

use object_store::path::Path as Key;
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[error("{url:?} is not an s3:// location: {reason}")]
pub struct LocationError {
    pub url: String,
    pub reason: String,
}

/// Where files are read from or written to: a local directory or an `s3://bucket/prefix/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Dir(PathBuf),
    Bucket(BucketUrl),
}

impl Location {
    /// `s3://...` is a bucket; anything else a local path.
    pub fn parse(text: &str) -> Result<Self, LocationError> {
        if text.starts_with("s3://") {
            BucketUrl::parse(text).map(Location::Bucket)
        } else {
            Ok(Location::Dir(PathBuf::from(text)))
        }
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Self {
        Location::Dir(path)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Dir(path) => write!(f, "{}", path.display()),
            Location::Bucket(url) => write!(f, "{url}"),
        }
    }
}

/// A bucket and a key prefix, which always ends with `/` unless empty: a folder of keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketUrl {
    pub bucket: String,
    pub prefix: String,
}

impl BucketUrl {
    pub fn parse(text: &str) -> Result<Self, LocationError> {
        let invalid = |reason: &str| LocationError {
            url: text.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = text
            .strip_prefix("s3://")
            .ok_or_else(|| invalid("it must start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.']);
        if !valid_bucket {
            return Err(invalid(
                "the bucket name must be 3 to 63 lowercase letters, digits, '-' or '.'",
            ));
        }
        let prefix = prefix.trim_end_matches('/');
        if !prefix.is_empty() {
            Key::parse(prefix).map_err(|e| invalid(&format!("bad key prefix: {e}")))?;
        }
        Ok(BucketUrl {
            bucket: bucket.to_owned(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
        })
    }

    /// The key of `relative` under the prefix; `None` if `relative` is not a plain relative
    /// key (`..`, `.`, empty segments, a leading `/`, control characters), which could name
    /// a key outside the prefix or a different one than the export meant.
    pub fn key(&self, relative: &str) -> Option<String> {
        let safe = !relative.is_empty()
            && relative
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains('\\'))
            && Key::parse(relative).is_ok();
        safe.then(|| format!("{}{relative}", self.prefix))
    }

    pub fn url_of(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

impl fmt::Display for BucketUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_urls_and_keys_stay_under_their_prefix() {
        let url = BucketUrl::parse("s3://quarantine-bucket/requests/AR-1/").unwrap();
        assert_eq!(url.bucket, "quarantine-bucket");
        assert_eq!(url.prefix, "requests/AR-1/");
        assert_eq!(BucketUrl::parse("s3://release-bucket").unwrap().prefix, "");
        assert_eq!(
            url.key("outputs/a.csv").as_deref(),
            Some("requests/AR-1/outputs/a.csv")
        );
        for unsafe_key in [
            "../x.csv",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "./a",
            "",
            "a\\b",
        ] {
            assert_eq!(url.key(unsafe_key), None, "{unsafe_key:?}");
        }
        for bad in ["s3://", "s3://UPPER/x", "s3://ab", "s3://bucket/a/../b"] {
            assert!(BucketUrl::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Location::parse("out/").unwrap(),
            Location::Dir(PathBuf::from("out/"))
        );
    }
}
