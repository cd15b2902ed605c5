//! Checksums as RO-Crate writes them: lowercase hexadecimal.

use sha2::{Digest, Sha256};
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

#[cfg(test)]
mod tests {
    #[test]
    fn digests_are_lowercase_hex() {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(super::sha256_hex(b""), empty);
        assert_eq!(super::sha256_of(&b""[..]).unwrap(), (empty.to_owned(), 0));
        assert_eq!(super::hex(&[0, 0xab, 0x10]), "00ab10");
    }
}
