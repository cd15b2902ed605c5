//! The BagIt packaging of a release (`--bagit`; RFC 8493, BagIt 1.0): the crate directory is
//! the bag, with the crate under its `data/`, and the zip holds that one folder. The tag files
//! are computed from digests taken in the payload's single pass, and hold nothing that varies
//! between runs: a re-run gives the same bytes.

use crate::rdf::digest::hex;
use sha1::{Digest, Sha1};

/// How the release record and the archive name this packaging.
pub const PACKAGING: &str = "bagit";

/// What `bag-info.txt` says beyond what the payload gives.
#[derive(Debug, Clone)]
pub struct BagInfo {
    /// `Source-Organization`: the publisher, the TRE.
    pub source_organization: Option<String>,
}

/// One file of the bag's payload, as the manifests list it.
#[derive(Debug, Clone)]
pub(super) struct Digested {
    /// Path inside the crate (`data/x.csv`, `ro-crate-metadata.json`).
    pub(super) crate_path: String,
    pub(super) size: u64,
    pub(super) sha256: String,
    pub(super) sha512: String,
}

/// The tag files in the order they are written, each a name under the bag and its text.
pub(super) fn tag_files(
    info: &BagInfo,
    request_id: &str,
    metadata_sha256: &str,
    bagging_date: &str,
    payload: &[Digested],
) -> Vec<(&'static str, String)> {
    let mut sorted: Vec<&Digested> = payload.iter().collect();
    sorted.sort_by(|a, b| a.crate_path.cmp(&b.crate_path));
    let manifest = |digest: fn(&Digested) -> &str| -> String {
        sorted
            .iter()
            .map(|f| format!("{}  data/{}\n", digest(f), encode_path(&f.crate_path)))
            .collect()
    };
    let octets: u64 = payload.iter().map(|f| f.size).sum();
    let declaration = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_owned();
    let source = info
        .source_organization
        .as_deref()
        .map(|name| format!("Source-Organization: {}\n", one_line(name)))
        .unwrap_or_default();
    let bag_info = format!(
        "{source}External-Identifier: urn:uuid:{}\nBagging-Date: {bagging_date}\nPayload-Oxum: {octets}.{}\n",
        external_identifier(request_id, metadata_sha256),
        payload.len(),
    );
    let manifest_sha512 = manifest(|f| &f.sha512);
    let manifest_sha256 = manifest(|f| &f.sha256);
    let tags = [
        ("bagit.txt", &declaration),
        ("bag-info.txt", &bag_info),
        ("manifest-sha256.txt", &manifest_sha256),
        ("manifest-sha512.txt", &manifest_sha512),
    ];
    let tag_manifest: String = tags
        .iter()
        .map(|(name, text)| format!("{}  {name}\n", hex(&sha2::Sha512::digest(text.as_bytes()))))
        .collect();
    let mut files: Vec<(&'static str, String)> = tags
        .into_iter()
        .map(|(name, text)| (name, text.clone()))
        .collect();
    files.push(("tagmanifest-sha512.txt", tag_manifest));
    files
}

/// A UUID v5 (RFC 9562, name-based, SHA-1) in the URL namespace of the crate version, so that
/// the same release gives the same identifier and a changed one another.
pub fn external_identifier(request_id: &str, metadata_sha256: &str) -> String {
    /// RFC 9562's namespace for names that are URLs.
    const NAMESPACE_URL: [u8; 16] = [
        0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30,
        0xc8,
    ];
    let name = format!(
        "{}#metadata-sha256={metadata_sha256}",
        crate::rdf::iri::crate_base(request_id)
    );
    let mut hasher = Sha1::new();
    hasher.update(NAMESPACE_URL);
    hasher.update(name.as_bytes());
    let mut bytes: [u8; 16] = hasher.finalize()[..16].try_into().unwrap_or_default();
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// A manifest line's path: RFC 8493 section 2.1.3 encodes CR, LF and `%` only.
fn encode_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A tag value on one line: the export's names are free text.
fn one_line(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_external_identifier_is_a_version_5_uuid_of_the_crate_version() {
        let a = external_identifier("AR-1", &"0".repeat(64));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "5", "{a}");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert_eq!(a, external_identifier("AR-1", &"0".repeat(64)));
        assert_ne!(a, external_identifier("AR-1", &"1".repeat(64)));
        assert_ne!(a, external_identifier("AR-2", &"0".repeat(64)));
    }

    #[test]
    fn manifest_paths_encode_only_cr_lf_and_percent() {
        assert_eq!(encode_path("data/a b%\r\n.txt"), "data/a b%25%0D%0A.txt");
    }

    #[test]
    fn tag_files_list_every_payload_file_and_each_other() {
        let payload = [
            Digested {
                crate_path: "ro-crate-metadata.json".into(),
                size: 10,
                sha256: "a".repeat(64),
                sha512: "b".repeat(128),
            },
            Digested {
                crate_path: "data/x.csv".into(),
                size: 5,
                sha256: "c".repeat(64),
                sha512: "d".repeat(128),
            },
        ];
        let info = BagInfo {
            source_organization: Some("A\nTRE".into()),
        };
        let files = tag_files(&info, "AR-1", &"0".repeat(64), "2025-01-02", &payload);
        let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "bagit.txt",
                "bag-info.txt",
                "manifest-sha256.txt",
                "manifest-sha512.txt",
                "tagmanifest-sha512.txt"
            ]
        );
        let text = |name| &files.iter().find(|(n, _)| *n == name).unwrap().1;
        assert!(text("bag-info.txt").contains("Payload-Oxum: 15.2\n"));
        assert!(text("bag-info.txt").contains("Source-Organization: A TRE\n"));
        assert_eq!(
            text("manifest-sha256.txt"),
            &format!(
                "{}  data/data/x.csv\n{}  data/ro-crate-metadata.json\n",
                "c".repeat(64),
                "a".repeat(64)
            )
        );
        assert_eq!(text("tagmanifest-sha512.txt").lines().count(), 4);
    }
}
