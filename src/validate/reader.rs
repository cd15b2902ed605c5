//! Opening a crate for validation: a directory, a zip read in place (never extracted), or a
//! metadata file (attached `ro-crate-metadata.json`, or a detached `*-ro-crate-metadata.json`).
//! A directory or zip that is a BagIt bag (RFC 8493: `bagit.txt` at its root) holds the crate
//! in its payload directory `data/`; the bag's own files are listed beside the crate's.
//!
//! Nothing here follows a path out of the crate: zip entries and symbolic links that would
//! leave the root become findings, and their content is never read.

use crate::finding::{Finding, Level};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

pub const METADATA: &str = "ro-crate-metadata.json";
/// The file that makes a directory a BagIt bag (RFC 8493, section 2.1.1).
pub const BAG_DECLARATION: &str = "bagit.txt";
/// A bag's payload directory, where a bagged crate's root is.
const BAG_PAYLOAD: &str = "data/";
const DETACHED_SUFFIX: &str = "-ro-crate-metadata.json";

/// A zip entry inflating more than this many times its compressed size, past 1 MiB, is treated
/// as a zip bomb and never read.
const BOMB_RATIO: u64 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: no such file or directory", .0.display())]
    NotFound(PathBuf),
    #[error("{}: not an RO-Crate: no {METADATA} in this directory", .0.display())]
    NoMetadata(PathBuf),
    #[error("{}: {METADATA} is a directory, not a file", .0.display())]
    MetadataIsDirectory(PathBuf),
    #[error("{}: not an RO-Crate: expected a crate directory, a .zip, or a *ro-crate-metadata.json file", .0.display())]
    NotACrate(PathBuf),
    #[error("{}: unreadable zip", path.display())]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("{}: not an RO-Crate: no {METADATA} at the root of the zip (nor in its single top folder)", .0.display())]
    NoMetadataInZip(PathBuf),
    #[error("{}: a BagIt bag (it has {BAG_DECLARATION}), but not an RO-Crate: no {METADATA} in its payload directory {BAG_PAYLOAD}", .0.display())]
    NoMetadataInBag(PathBuf),
    #[error("{}: the metadata file is {size} bytes, over the {limit}-byte limit (--max-metadata-bytes)", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{}: cannot read it", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReadError + '_ {
    move |source| ReadError::Io {
        path: path.to_owned(),
        source,
    }
}

/// One file of the payload as found on disk or in the zip.
#[derive(Debug, Clone)]
pub struct PayloadEntry {
    pub size: u64,
    /// Index of the zip entry, for zips.
    index: Option<usize>,
}

/// An opened crate: its metadata bytes and, for attached crates, its payload.
pub struct Opened {
    /// File name of the metadata document (`ro-crate-metadata.json` or `x-ro-crate-metadata.json`).
    pub metadata_name: String,
    pub metadata: Vec<u8>,
    /// Files of the payload by crate-relative path, `None` for detached crates.
    pub payload: Option<BTreeMap<String, PayloadEntry>>,
    /// Problems met while opening: escaping entries, symbolic links, zip bombs.
    pub findings: Vec<Finding>,
    /// The bag the crate is the payload of, if it is bagged.
    pub bag: Option<Bag>,
    /// The metadata entry of a zip was not read, being a zip bomb: `metadata` is empty and
    /// `findings` says why.
    pub metadata_withheld: bool,
    content: Content,
}

/// A BagIt bag around a crate.
pub struct Bag {
    /// Every file of the bag, tag files and payload alike, by path from the bag's root.
    pub files: BTreeMap<String, PayloadEntry>,
    /// The bag's directory; `None` for a zip, whose entries are read by index.
    root: Option<PathBuf>,
}

enum Content {
    Directory(PathBuf),
    Zip {
        path: PathBuf,
        archive: Box<zip::ZipArchive<File>>,
    },
    None,
}

impl Opened {
    /// Whether the payload has the directory `path` (`dir/`): on disk, or as the prefix of a
    /// zip entry.
    pub fn has_directory(&self, path: &str) -> bool {
        let prefix = format!("{}/", path.trim_end_matches('/'));
        match &self.content {
            Content::Directory(root) => {
                // Never followed out of the crate: a link is not a directory of the crate.
                let dir = root.join(&prefix);
                dir.symlink_metadata().is_ok_and(|m| m.is_dir())
            }
            _ => self.payload.as_ref().is_some_and(|p| {
                p.range(prefix.clone()..)
                    .next()
                    .is_some_and(|(k, _)| k.starts_with(&prefix))
            }),
        }
    }

    /// Opens `path`; `max_metadata` bounds the bytes read for the metadata document. A crate
    /// directory's files are listed only when `list_payload` (a `stat` each: 10,000 of them
    /// took a twentieth of a metadata-only validation).
    pub fn open(path: &Path, max_metadata: u64, list_payload: bool) -> Result<Self, ReadError> {
        let meta = std::fs::metadata(path).map_err(|_| ReadError::NotFound(path.to_owned()))?;
        if !meta.is_dir() && !meta.is_file() {
            return Err(io(path)(crate::file::not_regular()));
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if meta.is_dir() && path.join(BAG_DECLARATION).is_file() {
            let root = path.canonicalize().map_err(io(path))?;
            let mut opened = match Self::open(&root.join(BAG_PAYLOAD), max_metadata, list_payload) {
                Err(ReadError::NotFound(_) | ReadError::NoMetadata(_)) => {
                    return Err(ReadError::NoMetadataInBag(path.to_owned()))
                }
                opened => opened?,
            };
            // Links are reported by the crate's listing; the bag's is for the manifests.
            let files = match list_payload {
                true => list_directory(&root, &mut Vec::new())?,
                false => BTreeMap::new(),
            };
            opened.bag = Some(Bag {
                files,
                root: Some(root),
            });
            return Ok(opened);
        }
        if meta.is_dir() {
            let metadata_path = path.join(METADATA);
            match std::fs::metadata(&metadata_path) {
                Ok(m) if m.is_dir() => return Err(ReadError::MetadataIsDirectory(path.to_owned())),
                Ok(_) => {}
                Err(_) => {
                    // A folder holding just a detached crate's descriptor stands for it.
                    let detached: Vec<PathBuf> = std::fs::read_dir(path)
                        .map_err(io(path))?
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(DETACHED_SUFFIX))
                        .collect();
                    return match detached.as_slice() {
                        [one] => Self::open(one, max_metadata, list_payload),
                        _ => Err(ReadError::NoMetadata(path.to_owned())),
                    };
                }
            }
            let root = path.canonicalize().map_err(io(path))?;
            let mut findings = Vec::new();
            let payload = if list_payload {
                list_directory(&root, &mut findings)?
            } else {
                BTreeMap::new()
            };
            return Ok(Opened {
                metadata_name: METADATA.into(),
                metadata: read_bounded(&metadata_path, max_metadata)?,
                payload: Some(payload),
                findings,
                bag: None,
                metadata_withheld: false,
                content: Content::Directory(root),
            });
        }
        if name == METADATA {
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut opened = Self::open(parent, max_metadata, list_payload)?;
            // The folder's crate is this file, read already, unless the folder is a bag,
            // whose crate is in data/: that one is let go before this one is read.
            if opened.bag.is_some() {
                opened.metadata = Vec::new();
                opened.metadata = read_bounded(path, max_metadata)?;
            }
            return Ok(opened);
        }
        if name.ends_with(DETACHED_SUFFIX) {
            return Ok(Opened {
                metadata_name: name.to_owned(),
                metadata: read_bounded(path, max_metadata)?,
                payload: None,
                findings: Vec::new(),
                bag: None,
                metadata_withheld: false,
                content: Content::None,
            });
        }
        let mut magic = [0u8; 4];
        let is_zip = crate::file::open_regular(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok()
            && &magic == b"PK\x03\x04";
        if is_zip || name.ends_with(".zip") {
            return open_zip(path, max_metadata);
        }
        Err(ReadError::NotACrate(path.to_owned()))
    }

    /// Reads a payload file. `limit` bounds the bytes read: pass the expected size + 1 so that
    /// an oversized or bomb-like file costs no more than the crate claims.
    pub fn read_payload(
        &mut self,
        path: &str,
        limit: Option<u64>,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<u64, ReadError> {
        let entry = self.payload.as_ref().and_then(|p| p.get(path)).cloned();
        self.read(None, path, entry, limit, sink)
    }

    /// As [`Opened::read_payload`], for a file of the bag, by its path from the bag's root.
    pub fn read_bag_file(
        &mut self,
        path: &str,
        limit: Option<u64>,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<u64, ReadError> {
        let bag = self.bag.as_ref();
        let entry = bag.and_then(|b| b.files.get(path)).cloned();
        let root = bag.and_then(|b| b.root.clone());
        self.read(root, path, entry, limit, sink)
    }

    /// Reads `entry` at `path`, from the directory `root` if given, else from the crate's.
    fn read(
        &mut self,
        root: Option<PathBuf>,
        path: &str,
        entry: Option<PayloadEntry>,
        limit: Option<u64>,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<u64, ReadError> {
        let mut reader: Box<dyn Read + '_> = match (&mut self.content, entry) {
            (Content::Directory(crate_root), Some(_)) => {
                let file = root.as_ref().unwrap_or(crate_root).join(path);
                Box::new(crate::file::open_regular(&file).map_err(io(&file))?)
            }
            (
                Content::Zip {
                    path: zip_path,
                    archive,
                },
                Some(PayloadEntry { index: Some(i), .. }),
            ) => {
                let zip_path = zip_path.clone();
                Box::new(archive.by_index(i).map_err(|source| ReadError::Zip {
                    path: zip_path,
                    source,
                })?)
            }
            _ => {
                return Err(ReadError::NotFound(PathBuf::from(path)));
            }
        };
        let mut buffer = vec![0u8; 1 << 16];
        let mut total = 0u64;
        loop {
            let want = match limit {
                Some(l) if total >= l => break,
                Some(l) => buffer.len().min((l - total) as usize),
                None => buffer.len(),
            };
            let n = reader
                .read(&mut buffer[..want])
                .map_err(io(Path::new(path)))?;
            if n == 0 {
                break;
            }
            sink(&buffer[..n]);
            total += n as u64;
        }
        Ok(total)
    }
}

fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    if meta.is_dir() {
        return Err(ReadError::MetadataIsDirectory(path.to_owned()));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            path: path.to_owned(),
            size: meta.len(),
            limit,
        });
    }
    crate::file::read_regular(path).map_err(io(path))
}

fn escape_finding(entity: &str, message: String) -> Finding {
    Finding::new(
        Level::Required,
        "Payload: paths stay inside the crate",
        entity,
        None,
        None,
        message,
    )
}

/// Regular files under `root`, relative, with symbolic links resolved only when they stay inside.
fn list_directory(
    root: &Path,
    findings: &mut Vec<Finding>,
) -> Result<BTreeMap<String, PayloadEntry>, ReadError> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let path = entry.path();
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let kind = entry.file_type().map_err(io(&path))?;
            let meta = if kind.is_symlink() {
                match path.canonicalize() {
                    Ok(target) if target.starts_with(root) => {
                        std::fs::metadata(&target).map_err(io(&path))?
                    }
                    Ok(target) => {
                        findings.push(escape_finding(
                            &relative,
                            format!(
                                "symbolic link to {}, outside the crate; it was not followed. Replace it with the file itself",
                                target.display()
                            ),
                        ));
                        continue;
                    }
                    Err(_) => {
                        findings.push(escape_finding(
                            &relative,
                            "dangling symbolic link; it was not followed".into(),
                        ));
                        continue;
                    }
                }
            } else {
                entry.metadata().map_err(io(&path))?
            };
            if meta.is_dir() {
                if !kind.is_symlink() {
                    pending.push(path);
                }
            } else if !meta.is_file() {
                // A fifo or device could not be read to its end: refused, never opened.
                return Err(io(&path)(crate::file::not_regular()));
            } else {
                files.insert(
                    relative,
                    PayloadEntry {
                        size: meta.len(),
                        index: None,
                    },
                );
            }
        }
    }
    Ok(files)
}

/// A finding for each name that more than one entry of a zip has: readers disagree on which
/// of them is the file (some take the first, some the last), so bytes nobody checked could be
/// the ones a user gets.
fn duplicate_entries(names: &[String]) -> Vec<Finding> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for name in names {
        *count.entry(name).or_default() += 1;
    }
    count
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(name, n)| {
            Finding::new(
                Level::Required,
                "Payload: zip entries are unique",
                name,
                None,
                Some(format!("{n} entries")),
                format!("duplicate entry: the zip holds {n} entries of this name, and readers disagree on which one is the file; only the last was checked"),
            )
        })
        .collect()
}

/// The name of every entry of the zip's central directory at `start`, duplicates included
/// (APPNOTE 4.3.12: a fixed 46-byte header, then the name, extra field and comment).
fn central_directory_names(path: &Path, start: u64) -> std::io::Result<Vec<String>> {
    use std::io::{BufReader, Seek, SeekFrom};
    let mut file = BufReader::new(crate::file::open_regular(path)?);
    file.seek(SeekFrom::Start(start))?;
    let mut names = Vec::new();
    let mut header = [0u8; 46];
    while file.read_exact(&mut header).is_ok() && header[..4] == [0x50, 0x4b, 0x01, 0x02] {
        let field = |at: usize| u16::from_le_bytes([header[at], header[at + 1]]);
        let mut name = vec![0u8; field(28) as usize];
        file.read_exact(&mut name)?;
        file.seek_relative(i64::from(field(30)) + i64::from(field(32)))?;
        names.push(String::from_utf8_lossy(&name).into_owned());
    }
    Ok(names)
}

fn open_zip(path: &Path, max_metadata: u64) -> Result<Opened, ReadError> {
    let zip_error = |source| ReadError::Zip {
        path: path.to_owned(),
        source,
    };
    let file = crate::file::open_regular(path).map_err(io(path))?;
    let mut archive = zip::ZipArchive::new(file).map_err(zip_error)?;
    let mut findings = Vec::new();
    let mut entries: Vec<(String, usize, u64)> = Vec::new();
    // Bombs are never read, but a bombed metadata entry is still where the crate is.
    let mut bombs: Vec<(String, usize, u64)> = Vec::new();
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(zip_error)?;
        let raw = entry
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| format!("(entry {i})"));
        if entry.is_dir() {
            continue;
        }
        let safe = entry.enclosed_name().is_some()
            && !Path::new(&raw)
                .components()
                .any(|c| matches!(c, Component::ParentDir));
        if !safe {
            findings.push(escape_finding(
                &raw,
                "zip entry would be written outside the crate root; it was not read".into(),
            ));
            continue;
        }
        if entry.is_symlink() {
            findings.push(escape_finding(
                &raw,
                "zip entry is a symbolic link; it was not followed".into(),
            ));
            continue;
        }
        let (size, compressed) = (entry.size(), entry.compressed_size());
        if size > (1 << 20) && size / compressed.max(1) > BOMB_RATIO {
            findings.push(Finding::new(
                Level::Required,
                "Payload: zip entries are not zip bombs",
                &raw,
                None,
                Some(format!("{size} bytes from {compressed}")),
                format!("inflates {}x; it was not read", size / compressed.max(1)),
            ));
            bombs.push((raw, i, size));
            continue;
        }
        entries.push((raw, i, size));
    }
    if archive.has_duplicate_names() {
        // The zip crate keeps one entry per name (the last); the central directory has all.
        let names =
            central_directory_names(path, archive.central_directory_start()).map_err(io(path))?;
        findings.extend(duplicate_entries(&names));
    }
    // The metadata (or a bag's declaration) at the root, or inside a single top-level folder
    // that holds everything.
    let tops: std::collections::BTreeSet<&str> = entries
        .iter()
        .filter_map(|(n, _, _)| n.split_once('/').map(|(t, _)| t))
        .collect();
    let single = (tops.len() == 1 && entries.iter().all(|(n, _, _)| n.contains('/')))
        .then(|| tops.iter().next().map(|t| format!("{t}/")))
        .flatten();
    let holds = |prefix: &str, name: &str| {
        entries
            .iter()
            .chain(&bombs)
            .any(|(n, _, _)| n.strip_prefix(prefix) == Some(name))
    };
    let top = |name: &str| match &single {
        _ if holds("", name) => Some(String::new()),
        Some(p) if holds(p, name) => Some(p.clone()),
        _ => None,
    };
    let bag_prefix = top(BAG_DECLARATION);
    let prefix = match (&bag_prefix, top(METADATA)) {
        (Some(bag), _) => format!("{bag}{BAG_PAYLOAD}"),
        (None, Some(p)) => p,
        (None, None) => return Err(ReadError::NoMetadataInZip(path.to_owned())),
    };
    let bag = bag_prefix.map(|bag| Bag {
        files: entries
            .iter()
            .filter_map(|(name, index, size)| {
                let relative = name.strip_prefix(&bag)?;
                let entry = PayloadEntry {
                    size: *size,
                    index: Some(*index),
                };
                Some((relative.to_owned(), entry))
            })
            .collect(),
        root: None,
    });
    let mut payload = BTreeMap::new();
    let mut metadata_index = None;
    for (name, index, size) in entries {
        let Some(relative) = name.strip_prefix(&prefix) else {
            continue;
        };
        if relative == METADATA {
            metadata_index = Some((index, size));
        }
        payload.insert(
            relative.to_owned(),
            PayloadEntry {
                size,
                index: Some(index),
            },
        );
    }
    let withheld = bombs
        .iter()
        .any(|(n, _, _)| n.strip_prefix(&prefix) == Some(METADATA));
    if withheld {
        return Ok(Opened {
            metadata_name: METADATA.into(),
            metadata: Vec::new(),
            payload: Some(payload),
            findings,
            bag,
            metadata_withheld: true,
            content: Content::None,
        });
    }
    let Some((index, size)) = metadata_index else {
        return Err(match bag {
            Some(_) => ReadError::NoMetadataInBag(path.to_owned()),
            None => ReadError::NoMetadataInZip(path.to_owned()),
        });
    };
    if size > max_metadata {
        return Err(ReadError::TooLarge {
            path: path.join(METADATA),
            size,
            limit: max_metadata,
        });
    }
    let mut metadata = Vec::new();
    archive
        .by_index(index)
        .map_err(zip_error)?
        .take(max_metadata + 1)
        .read_to_end(&mut metadata)
        .map_err(io(path))?;
    Ok(Opened {
        metadata_name: METADATA.into(),
        metadata,
        payload: Some(payload),
        findings,
        bag,
        metadata_withheld: false,
        content: Content::Zip {
            path: path.to_owned(),
            archive: Box::new(archive),
        },
    })
}
