//! Opening files named by input without ever blocking on one that is not a regular file.
//!
//! Opening a fifo for reading waits for a writer, and reading a device may never end: a crate,
//! an export or a run directory holding one would hang trecrate with no message. Files are
//! opened non-blocking and their type checked on the open descriptor, so a file swapped for a
//! fifo between a directory listing and the open is refused all the same.

use std::fs::File;
use std::io;
use std::path::Path;

/// The error of a file that is not a regular one; its message is what users are told.
pub fn not_regular() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "not a regular file")
}

/// Opens `path` for reading if it is (or links to) a regular file.
pub fn open_regular(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    Ok(file)
}

/// Asks the kernel to start reading `file` into its page cache, without waiting for it.
pub fn read_ahead(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open for the duration of the call; advice changes nothing but
    // what the kernel caches, and its failure nothing at all.
    unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_WILLNEED) };
}

/// The bytes of the regular file `path`.
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = open_regular(path)?;
    // Sized up front: grown by doubling, a large file was held twice while it was copied.
    let size = file.metadata()?.len();
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}
