//! The zip, written in one pass over the payload with the crate directory: small files read,
//! hashed and deflated by one worker per core, large ones streamed, each checked against what
//! the export promised.

use super::*;
use ::zip::write::StreamWriter;
use ::zip::ZipArchive;
use std::io::BufReader;

/// Writes the zip into `sink`, and the crate directory when one is given, in one pass over
/// the payload. `sink_name` names the zip in errors. A bagged package's zip holds the bag
/// folder, and `crate_dir` is the bag: the crate is under its `data/`.
///
/// The metadata and preview are the zip's first entries. When they are still being written
/// (see [`Texts`]) and `spool` names a file, the payload's entries go there meanwhile. Once the
/// texts come they are compressed on a thread of their own, and at the next file the head and
/// the spooled entries are copied into the zip, as they are, and the payload goes on there:
/// the zip is byte for byte the one written in order, and at most the entries written before
/// the texts came are copied.
pub fn assemble<W: Write>(
    package: &Package<'_>,
    crate_dir: Option<&Path>,
    spool: Option<&Path>,
    sink: W,
    sink_name: &Path,
    on_file: OnFile<'_>,
) -> Result<(Zipped, W), PackageError> {
    let layout = Layout::of(package, crate_dir);
    // Streamed (data descriptors, no seeking back) and hashed on its way out: one pass, and
    // the zip is never read again.
    let mut zip = ZipWriter::new_stream(Hashing::new(sink));
    let (head, payload) = match (package.texts.get(), spool) {
        (None, Some(spool)) => std::thread::scope(|scope| {
            // The head is compressed on a thread of its own as soon as the texts come, and
            // the payload's entries move from the spool to the zip then, not at the end.
            let head = scope.spawn(|| {
                let texts = package.texts.wait()?;
                prepare_head(texts, package, &layout, sink_name)
            });
            let file = File::create(spool).map_err(io(spool))?;
            let part = ZipWriter::new_stream(BufWriter::with_capacity(1 << 20, file));
            let mut entries = Entries {
                zip: &mut zip,
                name: sink_name,
                head: None,
                spool: Some(Spool {
                    part,
                    path: spool,
                    head,
                }),
            };
            let written = write_payload(package, &layout, &mut entries, on_file)?;
            Ok::<_, PackageError>((entries.finish()?, written))
        })?,
        _ => {
            let head = prepare_head(package.texts.wait()?, package, &layout, sink_name)?;
            let mut entries = Entries {
                zip: &mut zip,
                name: sink_name,
                head: None,
                spool: None,
            };
            entries.add_head(head)?;
            let written = write_payload(package, &layout, &mut entries, on_file)?;
            (entries.finish()?, written)
        }
    };
    if let Some(info) = package.bag {
        let (y, mo, d, ..) = package.date.utc_fields();
        let date = format!("{y:04}-{mo:02}-{d:02}");
        let digested: Vec<bag::Digested> =
            head.digested.into_iter().chain(payload.digested).collect();
        let tags = bag::tag_files(
            info,
            package.request_id,
            &head.metadata_sha256,
            &date,
            &digested,
        );
        for (name, text) in tags {
            if let Some(dir) = crate_dir {
                let path = dir.join(name);
                std::fs::write(&path, &text).map_err(io(&path))?;
            }
            let entry = format!("{}/{name}", package.name());
            zip.start_file(entry, layout.options("text/plain", text.len() as u64))
                .map_err(zip_error(sink_name))?;
            zip.write_all(text.as_bytes()).map_err(io(sink_name))?;
        }
    }
    let hashing = zip.finish().map_err(zip_error(sink_name))?.into_inner();
    let (zip_sha256, zip_size, sink) = hashing.finish();
    let zipped = Zipped {
        payload_bytes: payload.bytes,
        metadata_sha256: head.metadata_sha256,
        zip_sha256,
        zip_size,
    };
    Ok((zipped, sink))
}

/// A zip that entries are added to, whatever it writes into: the package's, or the spool.
pub(super) trait Zip: Write {
    fn add(&mut self, entry: PreparedZipFile) -> ::zip::result::ZipResult<()>;
    fn start(&mut self, name: String, options: SimpleFileOptions) -> ::zip::result::ZipResult<()>;
}

impl<W: Write + std::io::Seek> Zip for ZipWriter<W> {
    fn add(&mut self, entry: PreparedZipFile) -> ::zip::result::ZipResult<()> {
        self.add_prepared_file(entry)
    }

    fn start(&mut self, name: String, options: SimpleFileOptions) -> ::zip::result::ZipResult<()> {
        self.start_file(name, options)
    }
}

/// Where the payload's entries go: the package's zip, after its head; or, while the head is
/// not ready, a spool of their own, copied into the zip as it is once the head is in.
struct Entries<'z, 's, S: Write + std::io::Seek> {
    zip: &'z mut ZipWriter<S>,
    /// The zip's name in errors.
    name: &'z Path,
    /// Written into the zip.
    head: Option<Head>,
    spool: Option<Spool<'s, 'z>>,
}

struct Spool<'s, 'z> {
    part: ZipWriter<StreamWriter<BufWriter<File>>>,
    path: &'z Path,
    head: std::thread::ScopedJoinHandle<'s, Result<Head, PackageError>>,
}

impl<S: Write + std::io::Seek> Entries<'_, '_, S> {
    /// The zip the next entry goes into, and its name in errors: the package's as soon as
    /// its head is ready.
    fn next(&mut self) -> Result<(&mut dyn Zip, &Path), PackageError> {
        if self.spool.as_ref().is_some_and(|s| s.head.is_finished()) {
            self.hand_over()?;
        }
        Ok(match &mut self.spool {
            Some(spool) => (&mut spool.part, spool.path),
            None => (&mut *self.zip, self.name),
        })
    }

    fn add_head(&mut self, mut head: Head) -> Result<(), PackageError> {
        let entries = std::mem::take(&mut head.entries);
        let entries =
            ZipArchive::new(std::io::Cursor::new(entries)).map_err(zip_error(self.name))?;
        self.zip
            .merge_archive(entries)
            .map_err(zip_error(self.name))?;
        self.head = Some(head);
        Ok(())
    }

    /// The head into the zip, waiting for it if need be, then what the spool holds.
    fn hand_over(&mut self) -> Result<(), PackageError> {
        let Some(Spool { part, path, head }) = self.spool.take() else {
            return Ok(());
        };
        let head = head.join().unwrap_or_else(|_| {
            Err(io(path)(std::io::Error::other(
                "the thread compressing the metadata stopped",
            )))
        })?;
        self.add_head(head)?;
        part.finish()
            .map_err(zip_error(path))?
            .into_inner()
            .into_inner()
            .map_err(|e| io(path)(e.into_error()))?;
        let part = File::open(path).map_err(io(path))?;
        let part =
            ZipArchive::new(BufReader::with_capacity(1 << 20, part)).map_err(zip_error(path))?;
        self.zip.merge_archive(part).map_err(zip_error(self.name))
    }

    /// The head that went into the zip.
    fn finish(mut self) -> Result<Head, PackageError> {
        self.hand_over()?;
        self.head.take().ok_or(PackageError::Cancelled)
    }
}

/// Where a package's entries go: the zip's folder prefix (a bag's), the directory the crate's
/// files are written in, and each entry's options.
struct Layout {
    prefix: String,
    content_dir: Option<PathBuf>,
    date: ::zip::DateTime,
    deflate_level: u32,
}

impl Layout {
    fn of(package: &Package<'_>, crate_dir: Option<&Path>) -> Self {
        let (prefix, content_dir) = match package.bag {
            Some(_) => (
                format!("{}/data/", package.name()),
                crate_dir.map(|d| d.join("data")),
            ),
            None => (String::new(), crate_dir.map(Path::to_owned)),
        };
        let (y, mo, d, h, mi, s) = package.date.utc_fields();
        let date = ::zip::DateTime::from_date_and_time(
            y.clamp(1980, 2107) as u16,
            mo as u8,
            d as u8,
            h as u8,
            mi as u8,
            s as u8,
        )
        .unwrap_or_default();
        Layout {
            prefix,
            content_dir,
            date,
            deflate_level: package.deflate_level,
        }
    }

    fn options(&self, media_type: &str, size: u64) -> SimpleFileOptions {
        let stored = self.deflate_level == 0 || precompressed(media_type);
        let base = SimpleFileOptions::default()
            .last_modified_time(self.date)
            .unix_permissions(0o644)
            .large_file(size >= u64::from(u32::MAX));
        if stored {
            base.compression_method(CompressionMethod::Stored)
        } else {
            base.compression_method(CompressionMethod::Deflated)
                .compression_level(Some(i64::from(self.deflate_level.min(9))))
        }
    }
}

/// What was written of a package: the bytes of its files, and their digests for a bag's
/// manifests (only a bag has manifests).
struct Written {
    bytes: u64,
    digested: Vec<bag::Digested>,
}

/// The metadata and preview, the zip's first entries: compressed, and written to the crate
/// directory.
struct Head {
    metadata_sha256: String,
    digested: Vec<bag::Digested>,
    /// The entries, as a zip of their own: copied into the package's as they are, they are
    /// byte for byte those written there directly. (A prepared entry's local header differs:
    /// it carries the CRC.) Taken when they go in.
    entries: Vec<u8>,
}

fn prepare_head(
    texts: &Ready,
    package: &Package<'_>,
    layout: &Layout,
    zip_name: &Path,
) -> Result<Head, PackageError> {
    let metadata_sha256 = hex(&Sha256::digest(texts.metadata.as_bytes()));
    let mut digested = Vec::new();
    let mut entries = ZipWriter::new_stream(Vec::new());
    let metadata = (
        "ro-crate-metadata.json",
        &texts.metadata,
        "application/ld+json",
    );
    let preview = texts
        .preview
        .as_ref()
        .map(|text| ("ro-crate-preview.html", text, "text/html"));
    for (name, text, media_type) in std::iter::once(metadata).chain(preview) {
        if let Some(dir) = &layout.content_dir {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(io(&path))?;
        }
        entries
            .start_file(
                format!("{}{name}", layout.prefix),
                layout.options(media_type, text.len() as u64),
            )
            .map_err(zip_error(zip_name))?;
        entries.write_all(text.as_bytes()).map_err(io(zip_name))?;
        if package.bag.is_some() {
            let bytes = text.as_bytes();
            let sha256 = match name == metadata.0 {
                true => metadata_sha256.clone(),
                false => hex(&Sha256::digest(bytes)),
            };
            digested.push(bag::Digested {
                crate_path: name.to_owned(),
                size: bytes.len() as u64,
                sha256,
                sha512: hex(&Sha512::digest(bytes)),
            });
        }
    }
    let entries = entries.finish().map_err(zip_error(zip_name))?.into_inner();
    Ok(Head {
        metadata_sha256,
        digested,
        entries,
    })
}

/// The payload, into the crate directory and the zip: small files read, hashed and deflated
/// by one worker per core, large ones streamed, each checked against what the export promised.
fn write_payload<S: Write + std::io::Seek>(
    package: &Package<'_>,
    layout: &Layout,
    entries: &mut Entries<'_, '_, S>,
    on_file: OnFile<'_>,
) -> Result<Written, PackageError> {
    let bag = package.bag;
    let content_dir = layout.content_dir.as_deref();
    let prefix = &layout.prefix;
    let options = |media_type: &str, size: u64| layout.options(media_type, size);
    let mut digested = Vec::new();
    let total = package.payload.len();
    let mut bytes_done = 0;
    let window = Window::new(package.payload);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let next = AtomicUsize::new(0);
    // Small files opened ahead of their run, for the worker that reads them; see READ_AHEAD.
    let opened: Vec<Mutex<Option<File>>> =
        package.payload.iter().map(|_| Mutex::default()).collect();
    std::thread::scope(|scope| -> Result<(), PackageError> {
        let (sender, results) = mpsc::channel();
        for _ in 0..workers {
            let sender = sender.clone();
            let (next, window, options, opened) = (&next, &window, &options, &opened);
            // A run of files at a time: handed over one by one, the writer and the workers
            // woke each other for every file, and the two cores idled a tenth of the
            // payload's time in those wake-ups.
            scope.spawn(move || loop {
                let start = next.fetch_add(RUN, Ordering::Relaxed);
                let end = (start + RUN).min(total);
                // The first run opens its own files and the READ_AHEAD after them; each
                // later run, the files READ_AHEAD past its own.
                let first = if start == 0 { 0 } else { start + READ_AHEAD };
                let ahead = first.min(total)..(end + READ_AHEAD).min(total);
                for (file, slot) in package.payload[ahead.clone()].iter().zip(&opened[ahead]) {
                    if file.size <= SMALL_FILE {
                        if let Ok(f) = crate::file::open_regular(&file.source) {
                            crate::file::read_ahead(&f);
                            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
                        }
                    }
                }
                if start >= total || !window.wait_for(start, end) {
                    break;
                }
                let run: Vec<_> = (start..end)
                    .map(|i| {
                        let file = &package.payload[i];
                        let prepared = (file.size <= SMALL_FILE)
                            .then(|| {
                                let options = options(&file.media_type, file.size);
                                let opened =
                                    opened[i].lock().unwrap_or_else(|e| e.into_inner()).take();
                                prepare(file, opened, options, prefix, bag.is_some())
                            })
                            .transpose();
                        (i, prepared)
                    })
                    .collect();
                if sender.send(run).is_err() {
                    break;
                }
            });
        }
        drop(sender);
        // Entries go into the zip in payload order, whichever worker finished first.
        let mut pending = BTreeMap::new();
        let result = (|| {
            for (i, file) in package.payload.iter().enumerate() {
                package.cancel.check(PackageError::Cancelled)?;
                let prepared = loop {
                    if let Some(p) = pending.remove(&i) {
                        break p;
                    }
                    let Ok(run) = results.recv() else {
                        return Err(PackageError::Io {
                            path: file.source.clone(),
                            source: std::io::Error::other("a payload worker stopped"),
                        });
                    };
                    pending.extend(run);
                };
                let (zip, zip_name) = entries.next()?;
                let (size, sha512) = match prepared? {
                    Some(small) => {
                        check(file, small.bytes.len() as u64, &small.sha256)?;
                        // Files are created by this thread only: ext4 serialises inode
                        // allocation, and workers creating files in parallel spent their time
                        // spinning on its lock.
                        if let Some(dir) = content_dir {
                            let target = dir.join(&file.crate_path);
                            std::fs::write(&target, &small.bytes).map_err(io(&target))?;
                        }
                        zip.add(small.entry).map_err(zip_error(zip_name))?;
                        (small.bytes.len() as u64, small.sha512)
                    }
                    None => stream(file, content_dir, zip, &options, prefix, bag.is_some())?,
                };
                if let Some(sha512) = sha512 {
                    digested.push(bag::Digested {
                        crate_path: file.crate_path.clone(),
                        size,
                        sha256: file.sha256.clone(),
                        sha512,
                    });
                }
                window.advance();
                bytes_done += size;
                on_file(i + 1, total, bytes_done);
            }
            Ok(())
        })();
        window.stop();
        result
    })?;
    Ok(Written {
        bytes: bytes_done,
        digested,
    })
}

/// Files up to this size are read whole, hashed and compressed by the payload workers, in
/// parallel; larger ones are streamed through a 1 MiB buffer, so memory stays bounded.
pub(super) const SMALL_FILE: u64 = 1 << 20;

/// How many files the workers may prepare ahead of the zip writer. With 32 the window was
/// often full while the file the writer waited for was still being prepared, and the second
/// core idled a tenth of the payload's last stretch once the checks were done.
pub(super) const AHEAD: usize = 256;

/// How many bytes of small files the workers may hold ahead of the writer, beyond the run
/// holding the next file to write: with their compressed form, at most about twice as much
/// in memory.
pub(super) const AHEAD_BYTES: u64 = 32 << 20;

/// How many files a payload worker takes at a time; a divisor of [`AHEAD`].
const RUN: usize = 8;

/// How many files past the run they take the payload workers open, and ask the kernel to
/// read. Files out of its cache, as a quarantine's are some time after they were written, had
/// each worker waiting on its reads one file at a time: 10,000 such files took 1.46 s (0.9 s
/// when cached), 1.14 s read ahead. Opened once, for the worker that reads them, so that a
/// warm cache pays only the advice. At most this many, and the files of the runs in hand, are
/// open at a time.
const READ_AHEAD: usize = 32;

/// A small file read, hashed and compressed for its zip entry.
pub(super) struct Prepared {
    pub(super) bytes: Vec<u8>,
    pub(super) entry: PreparedZipFile,
    pub(super) sha256: String,
    /// For a bag's manifest.
    pub(super) sha512: Option<String>,
}

/// `opened` is the file's source, if it was opened ahead; `prefix` goes before the entry's
/// crate path (a bag's folder); `sha512` asks for that digest too.
pub(super) fn prepare(
    file: &PayloadFile,
    opened: Option<File>,
    options: SimpleFileOptions,
    prefix: &str,
    sha512: bool,
) -> Result<Prepared, PackageError> {
    let mut bytes = Vec::with_capacity(file.size as usize + 1);
    opened
        .map_or_else(|| crate::file::open_regular(&file.source), Ok)
        .and_then(|f| f.take(file.size + 1).read_to_end(&mut bytes))
        .map_err(io(&file.source))?;
    let entry_path = Path::new(&file.crate_path);
    let name = format!("{prefix}{}", file.crate_path);
    let mut entry = ZipFileBuilder::new(&name, options).map_err(zip_error(entry_path))?;
    entry.write_all(&bytes).map_err(io(&file.source))?;
    Ok(Prepared {
        entry: entry.finish().map_err(zip_error(entry_path))?,
        sha256: hex(&Sha256::digest(&bytes)),
        sha512: sha512.then(|| hex(&Sha512::digest(&bytes))),
        bytes,
    })
}

/// A large file, read once: one thread reads, hashes and copies it, this one writes the zip
/// entry (which computes the entry's CRC and the zip's own sha256), so that both cores share
/// the two sha256 passes and the two writes evenly. At most [`CHUNKS`] buffers of [`CHUNK`]
/// bytes are in flight: memory stays bounded whatever the file size.
pub(super) fn stream(
    file: &PayloadFile,
    crate_dir: Option<&Path>,
    zip: &mut dyn Zip,
    options: &dyn Fn(&str, u64) -> SimpleFileOptions,
    prefix: &str,
    sha512: bool,
) -> Result<(u64, Option<String>), PackageError> {
    let target = crate_dir.map_or_else(
        || PathBuf::from(&file.crate_path),
        |dir| dir.join(&file.crate_path),
    );
    let mut input = crate::file::open_regular(&file.source).map_err(io(&file.source))?;
    let mut output = match crate_dir {
        Some(_) => Some(File::create(&target).map_err(io(&target))?),
        None => None,
    };
    zip.start(
        format!("{prefix}{}", file.crate_path),
        options(&file.media_type, file.size),
    )
    .map_err(zip_error(&target))?;
    let (size, sha256, sha512) = std::thread::scope(|scope| {
        // Declared in here, so that an early return drops them and the reader stops.
        let (full, filled) = mpsc::sync_channel::<Vec<u8>>(CHUNKS);
        let (empty, recycled) = mpsc::sync_channel::<Vec<u8>>(CHUNKS);
        for _ in 0..CHUNKS {
            let _ = empty.send(Vec::with_capacity(CHUNK));
        }
        let target = &target;
        let reader = scope.spawn(move || -> Result<_, PackageError> {
            let mut hasher = Sha256::new();
            let mut hasher512 = sha512.then(Sha512::new);
            let mut size = 0u64;
            while let Ok(mut chunk) = recycled.recv() {
                chunk.resize(CHUNK, 0);
                let n = input.read(&mut chunk).map_err(io(&file.source))?;
                if n == 0 {
                    break;
                }
                chunk.truncate(n);
                hasher.update(&chunk);
                if let Some(h) = &mut hasher512 {
                    h.update(&chunk);
                }
                size += n as u64;
                if let Some(output) = &mut output {
                    output.write_all(&chunk).map_err(io(target))?;
                }
                if full.send(chunk).is_err() {
                    break;
                }
            }
            let sha512 = hasher512.map(|h| hex(&h.finalize()));
            Ok((size, hex(&hasher.finalize()), sha512))
        });
        for chunk in filled {
            zip.write_all(&chunk).map_err(io(target))?;
            let _ = empty.send(chunk);
        }
        reader.join().unwrap_or_else(|_| {
            Err(io(&file.source)(std::io::Error::other(
                "the reading thread stopped",
            )))
        })
    })?;
    check(file, size, &sha256)?;
    Ok((size, sha512))
}

/// The buffers of [`stream`]: 4 x 1 MiB.
pub(super) const CHUNK: usize = 1 << 20;
pub(super) const CHUNKS: usize = 4;

/// Refuses bytes that are not those the export describes.
pub(crate) fn check(file: &PayloadFile, size: u64, sha256: &str) -> Result<(), PackageError> {
    let mismatch = |what, expected: String, actual: String| {
        PackageError::Mismatch(Box::new(Mismatch {
            field: file.field.clone(),
            object: file.object.clone(),
            version: file.version.clone(),
            what,
            expected,
            actual,
        }))
    };
    if size != file.size {
        return Err(mismatch(
            "size",
            format!("{} bytes", file.size),
            format!("{size} bytes"),
        ));
    }
    if sha256 != file.sha256 {
        return Err(mismatch("sha256", file.sha256.clone(), sha256.to_owned()));
    }
    Ok(())
}

/// Keeps the payload workers at most [`AHEAD`] files and [`AHEAD_BYTES`] of small files
/// ahead of the zip writer, and stops them when the writer gives up.
struct Window {
    /// Files written to the zip, and whether the writer stopped.
    state: Mutex<(usize, bool)>,
    moved: Condvar,
    /// The bytes of the small files before each file of the payload, and after the last:
    /// the workers hold the small files whole, the large ones are streamed by the writer.
    small_bytes_before: Vec<u64>,
}

impl Window {
    fn new(payload: &[PayloadFile]) -> Self {
        let mut total = 0;
        let mut small_bytes_before = Vec::with_capacity(payload.len() + 1);
        small_bytes_before.push(0);
        for file in payload {
            if file.size <= SMALL_FILE {
                total += file.size;
            }
            small_bytes_before.push(total);
        }
        Window {
            state: Mutex::default(),
            moved: Condvar::new(),
            small_bytes_before,
        }
    }

    /// Waits until the files `start..end` may be prepared; `false` if the writer stopped. The
    /// run holding the next file to write always may, whatever its size.
    fn wait_for(&self, start: usize, end: usize) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while !state.1 && !self.allows(state.0, start, end) {
            state = self.moved.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        !state.1
    }

    /// Whether the files `start..end` may be prepared once `done` files are written.
    fn allows(&self, done: usize, start: usize, end: usize) -> bool {
        let bytes = self.small_bytes_before[end] - self.small_bytes_before[done];
        start <= done || (end <= done + AHEAD && bytes <= AHEAD_BYTES)
    }

    /// Wakes the workers every [`RUN`] files, not at each: waking them at every file had
    /// them switching in and out for nothing. Runs start at multiples of `RUN`, so the run
    /// holding the next file to write is woken as soon as it may go; a run held back by the
    /// bounds waits at most `RUN - 1` files longer than it must.
    fn advance(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 += 1;
        if state.0.is_multiple_of(RUN) {
            self.moved.notify_all();
        }
    }

    fn stop(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
        self.moved.notify_all();
    }
}

/// What the single pass over the payload measured.
#[derive(Debug, Clone)]
pub struct Zipped {
    pub payload_bytes: u64,
    pub metadata_sha256: String,
    pub zip_sha256: String,
    pub zip_size: u64,
}

/// A writer that hashes and counts what passes through it.
pub(crate) struct Hashing<W: Write> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Hashing<W> {
    pub(crate) fn new(inner: W) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    /// The sha256 and size of what went through.
    pub(crate) fn finish(self) -> (String, u64, W) {
        (hex(&self.hasher.finalize()), self.size, self.inner)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Formats whose bytes are already compressed: deflating them costs time and saves nothing.
pub(super) fn precompressed(media_type: &str) -> bool {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("image/") && essence != "image/svg+xml" && essence != "image/bmp"
        || essence.starts_with("video/")
        || essence.starts_with("audio/")
        || matches!(
            essence.as_str(),
            "application/zip"
                | "application/gzip"
                | "application/x-gzip"
                | "application/x-bzip2"
                | "application/x-xz"
                | "application/zstd"
                | "application/x-7z-compressed"
                | "application/vnd.apache.parquet"
                | "application/x-parquet"
                | "application/pdf"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::scratch::Scratch;

    /// Small files and one streamed one, on disk, as the export promises them.
    fn payload(dir: &Path) -> Vec<PayloadFile> {
        let sizes = [10, 4000, SMALL_FILE as usize + 5, 700, 3];
        sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| {
                let bytes: Vec<u8> = (0..size)
                    .map(|j| b"abcdefgh,0123\n"[(i + j) % 14])
                    .collect();
                let source = dir.join(format!("f{i}.csv"));
                std::fs::write(&source, &bytes).unwrap();
                PayloadFile {
                    crate_path: format!("data/f{i}.csv"),
                    source,
                    field: format!("objects[{i}]"),
                    object: format!("o{i}"),
                    version: "1".into(),
                    sha256: hex(&Sha256::digest(&bytes)),
                    size: size as u64,
                    media_type: "text/csv".into(),
                }
            })
            .collect()
    }

    fn window_of(sizes: impl Iterator<Item = u64>) -> Window {
        let payload: Vec<PayloadFile> = sizes
            .enumerate()
            .map(|(i, size)| PayloadFile {
                crate_path: format!("data/f{i}"),
                source: PathBuf::from(format!("f{i}")),
                field: format!("objects[{i}]"),
                object: format!("o{i}"),
                version: "1".into(),
                sha256: String::new(),
                size,
                media_type: "text/csv".into(),
            })
            .collect();
        Window::new(&payload)
    }

    #[test]
    fn the_window_bounds_files_and_bytes_but_never_the_next_file_to_write() {
        let small = window_of(std::iter::repeat_n(4096, 600));
        assert!(small.allows(0, 0, RUN));
        assert!(small.allows(0, AHEAD - RUN, AHEAD));
        assert!(!small.allows(0, AHEAD, AHEAD + RUN));
        assert!(small.allows(RUN, AHEAD, AHEAD + RUN));
        // Files of 1 MiB: the bytes bound first; the run the writer waits for always goes.
        let mib = window_of(std::iter::repeat_n(SMALL_FILE, 100));
        assert!(mib.allows(0, RUN, 2 * RUN));
        assert!(!mib.allows(0, 32, 40));
        assert!(mib.allows(16, 32, 40));
        assert!(mib.allows(32, 32, 40));
        // Streamed files are not held, so only the count bounds them.
        let large = window_of(std::iter::repeat_n(SMALL_FILE + 1, 600));
        assert!(large.allows(0, AHEAD - RUN, AHEAD));
        assert!(!large.allows(0, AHEAD, AHEAD + RUN));
        // A stopped writer lets every waiting worker go, to stop.
        small.stop();
        assert!(!small.wait_for(AHEAD, AHEAD + RUN));
    }

    /// The zip of `payload` whose texts come when `deliver` says so, from the payload's
    /// progress: `Some(i)` once `i` files are written, `None` never (they are abandoned at
    /// the first file). Returns the zip, or the error, and the files written.
    fn zip_with(
        dir: &Path,
        payload: &[PayloadFile],
        deliver: Option<usize>,
    ) -> (Result<Vec<u8>, PackageError>, usize) {
        let texts = Texts::default();
        let date = Timestamp::parse("2025-01-03T17:00:00Z").unwrap();
        let package = Package {
            request_id: "AR-1",
            texts: &texts,
            payload,
            date: &date,
            deflate_level: 6,
            bag: None,
            cancel: crate::event::Cancel::new(),
        };
        let set = || texts.set("{\"@graph\": []}".repeat(50_000), Some("<p>hi</p>".into()));
        if deliver == Some(0) {
            set();
        }
        let spool = dir.join(format!("spool-{deliver:?}"));
        let mut written = 0;
        // The pause lets the head be compressed before the next file, so that the payload
        // moves to the zip in the middle of the pass.
        let pause = || std::thread::sleep(std::time::Duration::from_millis(100));
        let mut on_file = |done: usize, _: usize, _: u64| {
            written = done;
            match deliver {
                Some(i) if i == done => {
                    set();
                    pause();
                }
                None if done == 1 => {
                    texts.abandon();
                    pause();
                }
                _ => {}
            }
        };
        let zipped = assemble(
            &package,
            None,
            Some(&spool),
            Vec::new(),
            Path::new("test.zip"),
            &mut on_file,
        );
        (zipped.map(|(_, zip)| zip), written)
    }

    #[test]
    fn the_zip_is_the_same_whenever_the_texts_come() {
        let scratch = Scratch::create("zip-test").unwrap();
        let payload = payload(scratch.path());
        let direct = zip_with(scratch.path(), &payload, Some(0)).0.unwrap();
        let mut archive = ZipArchive::new(std::io::Cursor::new(&direct)).unwrap();
        let names: Vec<String> = (0..archive.len())
            .map(|i| archive.by_index(i).unwrap().name().unwrap().into_owned())
            .collect();
        assert_eq!(
            names[..2],
            ["ro-crate-metadata.json", "ro-crate-preview.html"]
        );
        assert_eq!(
            names[2..],
            [
                "data/f0.csv",
                "data/f1.csv",
                "data/f2.csv",
                "data/f3.csv",
                "data/f4.csv"
            ]
        );
        for moment in 1..=payload.len() {
            let (zip, written) = zip_with(scratch.path(), &payload, Some(moment));
            assert_eq!(written, payload.len());
            assert!(zip.unwrap() == direct, "texts after {moment} files");
        }
    }

    #[test]
    fn abandoned_texts_stop_the_payload() {
        let scratch = Scratch::create("zip-test").unwrap();
        let payload = payload(scratch.path());
        let (zip, written) = zip_with(scratch.path(), &payload, None);
        assert!(matches!(zip, Err(PackageError::Cancelled)), "{zip:?}");
        assert_eq!(written, 1);
    }
}
