//! Checksums as RO-Crate writes them: lowercase hexadecimal.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use std::io::Read;

/// Lowercase hexadecimal, as `sha256` and `md5` values are written in crates and records.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(text, "{b:02x}");
    }
    text
}

/// The sha256 of `bytes`, in hexadecimal.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The sha256 of everything `reader` gives, in hexadecimal, and how many bytes that was.
pub fn sha256_of(mut reader: impl Read) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    let mut size = 0;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((hex(&hasher.finalize()), size))
}

/// The digests of one file by the algorithms asked for (`sha256`, `sha512`, `sha1`, `md5`;
/// others are ignored), computed in one pass over its bytes, and only those: computing all of
/// them for every file tripled the hashing time of a crate that claims sha256 alone.
#[derive(Default)]
pub struct Digests {
    sha256: Option<Sha256>,
    sha512: Option<Sha512>,
    sha1: Option<Sha1>,
    md5: Option<Md5>,
}

impl Digests {
    pub fn new<'k>(algorithms: impl IntoIterator<Item = &'k str>) -> Self {
        let mut digests = Digests::default();
        for algorithm in algorithms {
            match algorithm {
                "sha256" => digests.sha256 = Some(Sha256::new()),
                "sha512" => digests.sha512 = Some(Sha512::new()),
                "sha1" => digests.sha1 = Some(Sha1::new()),
                "md5" => digests.md5 = Some(Md5::new()),
                _ => {}
            }
        }
        digests
    }

    /// Whether `algorithm` is one [`Digests::new`] computes.
    pub fn supports(algorithm: &str) -> bool {
        matches!(algorithm, "sha256" | "sha512" | "sha1" | "md5")
    }

    pub fn update(&mut self, chunk: &[u8]) {
        if let Some(h) = &mut self.sha256 {
            h.update(chunk);
        }
        if let Some(h) = &mut self.sha512 {
            h.update(chunk);
        }
        if let Some(h) = &mut self.sha1 {
            h.update(chunk);
        }
        if let Some(h) = &mut self.md5 {
            h.update(chunk);
        }
    }

    /// Each algorithm asked for, with the digest in lowercase hexadecimal.
    pub fn finish(self) -> Vec<(&'static str, String)> {
        [
            ("sha256", self.sha256.map(|h| hex(&h.finalize()))),
            ("sha512", self.sha512.map(|h| hex(&h.finalize()))),
            ("sha1", self.sha1.map(|h| hex(&h.finalize()))),
            ("md5", self.md5.map(|h| hex(&h.finalize()))),
        ]
        .into_iter()
        .filter_map(|(algorithm, sum)| Some((algorithm, sum?)))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn digests_are_lowercase_hex() {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(super::sha256_hex(b""), empty);
        assert_eq!(super::sha256_of(&b""[..]).unwrap(), (empty.to_owned(), 0));
        assert_eq!(super::hex(&[0, 0xab, 0x10]), "00ab10");
    }

    #[test]
    fn digests_are_computed_for_the_algorithms_asked_only() {
        let mut digests = super::Digests::new(["sha1", "md5", "sha3"]);
        digests.update(b"ab");
        digests.update(b"c");
        assert_eq!(
            digests.finish(),
            [
                (
                    "sha1",
                    "a9993e364706816aba3e25717850c26c9cd0d89d".to_owned()
                ),
                ("md5", "900150983cd24fb0d6963f7d28e17f72".to_owned()),
            ]
        );
    }
}
