//! Stage 1 of the pipeline: **bundle** (archive → entries).
//!
//! Receives a path from the command line: a directory, a plain `.tar`, or a
//! gzip-compressed tar (`.tar.gz`/`.tgz`; the format is sniffed from the magic
//! bytes, never from the file name). Hands each regular file to the caller as a
//! stream, in archive order, without extracting anything to disk, and returns a
//! [`Listing`] of what was seen: files, links (resolved virtually, inside the
//! bundle only), and notices for what was skipped or cut short.
//!
//! Everything here treats the bundle as hostile: paths with `..` or absolute
//! paths are never honoured, links are never followed on disk, device files are
//! never opened, and every size is bounded by [`Limits`]. A corrupt archive is
//! not fatal: what was read before the break is kept and the break is recorded.
//!
//! The next stage, `facts`, decides per entry whether to buffer or stream it,
//! strips the single top-level folder ([`common_root`]) and detects the layout
//! ([`layout`]).

pub mod layout;

use std::cell::Cell;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Component, Path};
use std::rc::Rc;

use thiserror::Error;

pub use layout::{Layout, detect_layout};

/// Bounds on what one bundle may make us read. Every field has a CLI flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Total uncompressed bytes read from the bundle.
    pub max_total_bytes: u64,
    /// Bytes of one file buffered for structured parsing; larger files are streamed as text lines.
    pub max_file_bytes: u64,
    /// Number of archive entries (files, folders and links).
    pub max_entries: u64,
    /// Uncompressed-to-compressed ratio beyond which a gzip stream is treated as a bomb.
    pub max_ratio: u64,
    /// Nesting depth of a JSON or YAML document.
    pub max_depth: usize,
    /// Nodes of one parsed document, YAML aliases expanded (billion-laughs guard).
    pub max_nodes: usize,
    /// Bytes of one log line kept for matching; the rest of a longer line is skipped.
    pub max_line_bytes: usize,
    /// Template execution budget (minijinja fuel) for rule texts and report templates.
    pub template_fuel: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_total_bytes: 8 << 30,
            max_file_bytes: 64 << 20,
            max_entries: 200_000,
            max_ratio: 200,
            max_depth: 128,
            max_nodes: 2_000_000,
            max_line_bytes: 64 << 10,
            template_fuel: 5_000_000,
        }
    }
}

/// Archive formats we read, sniffed from the first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// A folder on disk.
    Directory,
    /// An uncompressed tar stream.
    Tar,
    /// A gzip-compressed tar stream.
    TarGz,
}

/// Errors that stop the reading of a bundle before any entry could be read.
#[derive(Debug, Error)]
pub enum BundleError {
    /// The path does not exist or cannot be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The bundle path as given.
        path: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The file is not a format we read.
    #[error("{path}: {what}; bundle-doctor reads a directory, a .tar, or a .tar.gz/.tgz")]
    Unsupported {
        /// The bundle path as given.
        path: String,
        /// What the file looks like instead.
        what: String,
    },
}

/// One regular file handed to the visitor.
#[derive(Debug, Clone)]
pub struct EntryMeta {
    /// Normalised path inside the bundle, `/`-separated, still including any top-level folder.
    pub path: String,
    /// Size declared by the archive header (or the file system).
    pub size: u64,
}

/// A symbolic link entry, resolved virtually against the bundle's own paths.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Link {
    /// Where the link sits in the bundle.
    pub path: String,
    /// The link target as written in the archive.
    pub target: String,
    /// A hard link names an archive path; a symbolic link is relative to its folder.
    pub hard: bool,
}

/// Something skipped or cut short while reading; reported, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Notice {
    /// Path in the bundle the notice is about (the bundle itself when empty).
    pub source: String,
    /// What happened and what was done about it.
    pub message: String,
}

/// Everything the reader saw, apart from file contents.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listing {
    /// The sniffed format.
    pub format: Format,
    /// Regular files, in the order they were read.
    pub files: Vec<String>,
    /// Symbolic links (never followed on disk).
    pub links: Vec<Link>,
    /// Skipped entries, limits hit, corruption.
    pub notices: Vec<Notice>,
    /// Uncompressed bytes read.
    pub bytes: u64,
    /// Size in bytes of the bundle file as given (0 for a directory).
    pub compressed_bytes: u64,
    /// SHA-256 of the bundle file (archives only).
    pub sha256: Option<String>,
}

/// Reads the bundle at `path`, calling `visit` once per regular file with a
/// bounded reader over its content. An error returned by `visit` for one file is
/// recorded as a notice and reading goes on.
pub fn read_bundle<F>(path: &Path, limits: &Limits, mut visit: F) -> Result<Listing, BundleError>
where
    F: FnMut(&EntryMeta, &mut dyn Read) -> io::Result<()>,
{
    let meta = std::fs::metadata(path).map_err(|source| BundleError::Open {
        path: path.display().to_string(),
        source,
    })?;
    if meta.is_dir() {
        let mut listing = read_directory(path, limits, &mut visit);
        no_files_notice(&mut listing);
        return Ok(listing);
    }
    let file = File::open(path).map_err(|source| BundleError::Open {
        path: path.display().to_string(),
        source,
    })?;
    let file = ProgressReader { inner: file };
    read_archive(&path.display().to_string(), file, meta.len(), limits, visit)
}

/// Bytes of bundle archive files read so far by this process, over every
/// bundle (each archive is read once, front to back): the command line's
/// progress bar compares it with the archives' total size.
pub static ARCHIVE_BYTES_READ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Adds what it reads to [`ARCHIVE_BYTES_READ`].
struct ProgressReader<R> {
    inner: R,
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        ARCHIVE_BYTES_READ.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads a tar or tar.gz stream (sniffed from its first bytes); `name` is used in errors.
pub fn read_archive<R: Read, F>(
    name: &str,
    reader: R,
    compressed_bytes: u64,
    limits: &Limits,
    mut visit: F,
) -> Result<Listing, BundleError>
where
    F: FnMut(&EntryMeta, &mut dyn Read) -> io::Result<()>,
{
    let compressed = Rc::new(Cell::new(0u64));
    let mut counted = CountingReader {
        inner: BufReader::with_capacity(1 << 20, reader),
        count: Rc::clone(&compressed),
        hasher: sha2::Sha256::default(),
    };
    let head = counted
        .inner
        .fill_buf()
        .map_err(|source| BundleError::Open {
            path: name.to_string(),
            source,
        })?;
    let head = head.get(..512).unwrap_or(head);
    let format = sniff(head).map_err(|what| BundleError::Unsupported {
        path: name.to_string(),
        what,
    })?;
    let mut listing = Listing {
        format,
        files: Vec::new(),
        links: Vec::new(),
        notices: Vec::new(),
        bytes: 0,
        compressed_bytes,
        sha256: None,
    };
    let counted = match format {
        Format::TarGz => {
            let mut gz = flate2::read::MultiGzDecoder::new(counted);
            // Look at the first decompressed block: a gzip file that is not a tar
            // (one compressed log, say) is refused here rather than reported as corrupt.
            let mut first = Vec::with_capacity(512);
            let peek = (&mut gz).take(512).read_to_end(&mut first);
            let what = match peek {
                Err(e) => Some(format!(
                    "the gzip stream is corrupt before the first tar entry ({e})"
                )),
                Ok(_) if first.is_empty() => Some("gzip-compressed, but empty".into()),
                Ok(_) if !looks_like_tar(&first) => Some(
                    "gzip-compressed, but the content is not a tar archive (a single compressed file?)"
                        .into(),
                ),
                Ok(_) => None,
            };
            if let Some(what) = what {
                return Err(BundleError::Unsupported {
                    path: name.to_string(),
                    what,
                });
            }
            let stream = io::Cursor::new(first).chain(gz);
            let (_, gz) =
                read_tar(stream, limits, Some(&compressed), &mut listing, &mut visit).into_inner();
            gz.into_inner()
        }
        Format::Tar => read_tar(counted, limits, None, &mut listing, &mut visit),
        Format::Directory => counted,
    };
    listing.sha256 = Some(counted.finish());
    no_files_notice(&mut listing);
    Ok(listing)
}

/// A bundle that yielded no regular file at all says so, rather than printing an empty report.
fn no_files_notice(listing: &mut Listing) {
    if listing.files.is_empty() {
        listing.notices.push(Notice {
            source: String::new(),
            message: "the bundle holds no files that could be read; nothing was analysed".into(),
        });
    }
}

/// The first block of a tar stream: ustar magic, a valid v7 checksum, or the
/// zero block of an empty archive.
fn looks_like_tar(block: &[u8]) -> bool {
    block.get(257..262) == Some(b"ustar".as_slice())
        || (block.len() == 512 && (tar_checksum_ok(block) || block.iter().all(|b| *b == 0)))
}

/// Reads an in-memory bundle (the embedded demo) through the same visitor and
/// limits as a directory.
pub fn read_memory<F>(files: &[(String, &[u8])], limits: &Limits, mut visit: F) -> Listing
where
    F: FnMut(&EntryMeta, &mut dyn Read) -> io::Result<()>,
{
    let mut listing = Listing {
        format: Format::Directory,
        files: Vec::new(),
        links: Vec::new(),
        notices: Vec::new(),
        bytes: 0,
        compressed_bytes: 0,
        sha256: None,
    };
    let total = Cell::new(0u64);
    for (path, bytes) in files {
        let Some(path) = normalize_path(path) else {
            continue;
        };
        let mut bounded = BoundedReader {
            inner: *bytes,
            total: &total,
            compressed: None,
            limits,
        };
        if visit_file(
            &mut listing,
            path,
            bytes.len() as u64,
            &mut bounded,
            &mut visit,
        ) {
            break;
        }
    }
    listing.bytes = total.get();
    listing
}

/// Hands one file of a directory or in-memory bundle to the visitor and records
/// what went wrong; true when a bundle-wide limit was hit and reading must stop.
fn visit_file<F>(
    listing: &mut Listing,
    path: String,
    size: u64,
    reader: &mut dyn Read,
    visit: &mut F,
) -> bool
where
    F: FnMut(&EntryMeta, &mut dyn Read) -> io::Result<()>,
{
    listing.files.push(path.clone());
    let meta = EntryMeta {
        path: path.clone(),
        size,
    };
    let Err(e) = visit(&meta, reader) else {
        return false;
    };
    let limit = limit_hit(&e);
    let stop = limit.is_some();
    listing.notices.push(Notice {
        source: path,
        message: limit.unwrap_or_else(|| format!("read error: {e}")),
    });
    stop
}

fn too_many_entries(limits: &Limits) -> Notice {
    Notice {
        source: String::new(),
        message: format!(
            "more than --max-entries ({}) entries; the rest was not read",
            limits.max_entries
        ),
    }
}

/// Identifies the archive format from its first bytes.
fn sniff(head: &[u8]) -> Result<Format, String> {
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(Format::TarGz);
    }
    if head.len() >= 262 && &head[257..262] == b"ustar" {
        return Ok(Format::Tar);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Err(
            "this is a .zip archive, which is not supported yet: unzip it and pass the folder"
                .into(),
        );
    }
    if head.starts_with(b"BZh") {
        return Err("this is bzip2-compressed; decompress it (bunzip2) first".into());
    }
    if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z']) {
        return Err("this is xz-compressed; decompress it (unxz) first".into());
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Err("this is zstd-compressed; decompress it (unzstd) first".into());
    }
    if head.is_empty() {
        return Err("the file is empty".into());
    }
    // An old-style (v7) tar has no magic; accept it when the header checksum is
    // valid. An empty tar is only zero blocks.
    if head.len() == 512 && (tar_checksum_ok(head) || head.iter().all(|b| *b == 0)) {
        return Ok(Format::Tar);
    }
    Err("not an archive".into())
}

fn tar_checksum_ok(header: &[u8]) -> bool {
    let Some(field) = header.get(148..156) else {
        return false;
    };
    let text: String = field
        .iter()
        .take_while(|b| **b != 0 && **b != b' ')
        .map(|b| char::from(*b))
        .collect();
    let Ok(expected) = u32::from_str_radix(text.trim(), 8) else {
        return false;
    };
    let sum: u32 = header
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    sum == expected
}

/// Counts bytes pulled through a reader (compressed side of the ratio check).
struct CountingReader<R> {
    inner: R,
    count: Rc<Cell<u64>>,
    hasher: sha2::Sha256,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl<R: Read> CountingReader<R> {
    /// Reads what the archive reader left (tar padding, gzip trailer) and returns the file's SHA-256.
    fn finish(mut self) -> String {
        use sha2::Digest;
        let _ = io::copy(&mut self, &mut io::sink());
        self.hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Counts the bytes read from one archive entry.
struct EntryCounter<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for EntryCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Which limit stopped a read; carried inside an `io::Error` so the tar crate passes it up.
#[derive(Debug)]
struct LimitHit(String);

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LimitHit {}

/// Bounds one entry's reader by the bundle-wide byte budget and the gzip ratio.
struct BoundedReader<'a, R> {
    inner: R,
    total: &'a Cell<u64>,
    compressed: Option<&'a Cell<u64>>,
    limits: &'a Limits,
}

impl<R: Read> Read for BoundedReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self.total.get() + n as u64;
        self.total.set(total);
        if total > self.limits.max_total_bytes {
            return Err(io::Error::other(LimitHit(format!(
                "the bundle exceeds --max-total-bytes ({} bytes uncompressed); the rest was not read",
                self.limits.max_total_bytes
            ))));
        }
        if let Some(compressed) = self.compressed {
            // Judge the ratio only past 16 MiB so small, very compressible bundles pass.
            let c = compressed.get().max(1);
            if total > 16 << 20 && total / c > self.limits.max_ratio {
                return Err(io::Error::other(LimitHit(format!(
                    "compression ratio above --max-ratio ({}:1) after {total} bytes: treated as a decompression bomb; the rest was not read",
                    self.limits.max_ratio
                ))));
            }
        }
        Ok(n)
    }
}

fn limit_hit(err: &io::Error) -> Option<String> {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<LimitHit>())
        .map(|hit| hit.0.clone())
}

/// Reads the tar stream and hands back the underlying reader (so the caller can finish checksumming it).
fn read_tar<R: Read, F>(
    reader: R,
    limits: &Limits,
    compressed: Option<&Rc<Cell<u64>>>,
    listing: &mut Listing,
    visit: &mut F,
) -> R
where
    F: FnMut(&EntryMeta, &mut dyn Read) -> io::Result<()>,
{
    let total = Cell::new(0u64);
    let bounded = BoundedReader {
        inner: reader,
        total: &total,
        compressed: compressed.map(|c| c.as_ref()),
        limits,
    };
    let mut archive = tar::Archive::new(bounded);
    read_entries(&mut archive, limits, listing, visit);
    listing.bytes = total.get();
    archive.into_inner().inner
}

fn read_entries<R: Read, F>(
    archive: &mut tar::Archive<R>,
    limits: &Limits,
    listing: &mut Listing,
    visit: &mut F,
) where
    F: FnMut(&EntryMeta, &mut dyn Read) -> io::Result<()>,
{
    let entries = match archive.entries() {
        Ok(entries) => entries,
        Err(e) => {
            listing.notices.push(Notice {
                source: String::new(),
                message: format!("not a readable tar archive: {e}"),
            });
            return;
        }
    };
    let mut seen: u64 = 0;
    let mut names: HashSet<String> = HashSet::new();
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let message = limit_hit(&e).unwrap_or_else(|| {
                    format!(
                        "the archive is truncated or corrupt after {} entries ({e}); what was read before is analysed",
                        seen
                    )
                });
                listing.notices.push(Notice {
                    source: String::new(),
                    message,
                });
                break;
            }
        };
        seen += 1;
        if seen > limits.max_entries {
            listing.notices.push(too_many_entries(limits));
            break;
        }
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(path) = normalize_path(&raw_path) else {
            if !Path::new(&raw_path)
                .components()
                .any(|c| c == Component::ParentDir)
            {
                // `./` or `/`: the archive's own root folder, nothing to read.
                continue;
            }
            listing.notices.push(Notice {
                source: raw_path.clone(),
                message: "entry path leaves the bundle (`..` or absolute); skipped".into(),
            });
            continue;
        };
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            listing.links.push(Link {
                path,
                target,
                hard: kind.is_hard_link(),
            });
            continue;
        }
        if !(kind.is_file() || kind.is_contiguous()) {
            listing.notices.push(Notice {
                source: path,
                message: "special file (device, fifo or unknown type); never opened".into(),
            });
            continue;
        }
        if !names.insert(path.clone()) {
            listing.notices.push(Notice {
                source: path.clone(),
                message: "appears twice in the archive; the later copy was analysed too".into(),
            });
        }
        let meta = EntryMeta {
            path: path.clone(),
            size: entry.size(),
        };
        listing.files.push(path.clone());
        let mut counted = EntryCounter {
            inner: &mut entry,
            read: 0,
        };
        // Drain what the visitor left, so that an archive cut inside this file is
        // noticed and named here (the tar reader ends short data silently).
        let outcome = visit(&meta, &mut counted)
            .and_then(|()| io::copy(&mut counted, &mut io::sink()).map(drop));
        if outcome.is_ok() && counted.read < meta.size {
            listing.notices.push(Notice {
                source: path,
                message: format!(
                    "the archive ends inside this file ({} of {} bytes); the file is analysed as far as it was read, nothing after it",
                    counted.read, meta.size
                ),
            });
            break;
        }
        if let Err(e) = outcome {
            if let Some(message) = limit_hit(&e) {
                listing.notices.push(Notice {
                    source: path,
                    message,
                });
                break;
            }
            listing.notices.push(Notice {
                source: path,
                message: format!("read error: {e}; the file is analysed as far as it was read"),
            });
            // A read error inside an entry usually means the stream itself broke.
            if e.kind() == io::ErrorKind::UnexpectedEof || e.kind() == io::ErrorKind::InvalidInput {
                break;
            }
        }
    }
}

fn read_directory<F>(root: &Path, limits: &Limits, visit: &mut F) -> Listing
where
    F: FnMut(&EntryMeta, &mut dyn Read) -> io::Result<()>,
{
    let mut listing = Listing {
        format: Format::Directory,
        files: Vec::new(),
        links: Vec::new(),
        notices: Vec::new(),
        bytes: 0,
        compressed_bytes: 0,
        sha256: None,
    };
    let total = Cell::new(0u64);
    let mut seen = 0u64;
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name();
    for item in walker {
        let item = match item {
            Ok(item) => item,
            Err(e) => {
                let source = e
                    .path()
                    .and_then(|p| p.strip_prefix(root).ok())
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default();
                listing.notices.push(Notice {
                    source,
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        if item.depth() == 0 {
            continue;
        }
        seen += 1;
        if seen > limits.max_entries {
            listing.notices.push(too_many_entries(limits));
            break;
        }
        let rel = item.path().strip_prefix(root).unwrap_or(item.path());
        let Some(path) = normalize_path(&rel.to_string_lossy()) else {
            continue;
        };
        let ft = item.file_type();
        if ft.is_dir() {
            continue;
        }
        if ft.is_symlink() {
            let target = std::fs::read_link(item.path())
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            listing.links.push(Link {
                path,
                target,
                hard: false,
            });
            continue;
        }
        if !ft.is_file() {
            listing.notices.push(Notice {
                source: path,
                message: "special file (device, fifo or socket); never opened".into(),
            });
            continue;
        }
        let size = item.metadata().map(|m| m.len()).unwrap_or(0);
        let file = match File::open(item.path()) {
            Ok(f) => f,
            Err(e) => {
                listing.notices.push(Notice {
                    source: path,
                    message: format!("cannot open: {e}"),
                });
                continue;
            }
        };
        let mut bounded = BoundedReader {
            inner: BufReader::with_capacity(256 << 10, file),
            total: &total,
            compressed: None,
            limits,
        };
        if visit_file(&mut listing, path, size, &mut bounded, visit) {
            break;
        }
    }
    listing.bytes = total.get();
    listing
}

/// Normalises an archive path to `a/b/c` form. Returns `None` when the path
/// would leave the bundle (a `..` component or a root after normalisation is
/// empty); leading `/` and `./` are dropped.
pub fn normalize_path(raw: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for comp in Path::new(raw).components() {
        match comp {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            Component::ParentDir => return None,
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

/// The single top-level folder shared by every path, if there is one
/// (`support-bundle-2024-05-17T10_24_03/` in most troubleshoot archives).
pub fn common_root<'a>(paths: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut root: Option<&str> = None;
    let mut any = false;
    for path in paths {
        any = true;
        let (first, rest) = path.split_once('/')?;
        if rest.is_empty() {
            return None;
        }
        match root {
            None => root = Some(first),
            Some(r) if r == first => {}
            Some(_) => return None,
        }
    }
    if any { root.map(str::to_string) } else { None }
}

/// Resolves every link virtually against the set of bundle paths: a link
/// pointing outside the bundle, into a loop, or at nothing is reported, never
/// followed. Returns `link path → resolved file path` for links that land on a file.
pub fn resolve_links(
    links: &[Link],
    files: &HashSet<&str>,
    notices: &mut Vec<Notice>,
) -> BTreeMap<String, String> {
    let by_path: BTreeMap<&str, (&str, bool)> = links
        .iter()
        .map(|l| (l.path.as_str(), (l.target.as_str(), l.hard)))
        .collect();
    // Every folder that holds a file, so a link to a folder is recognised without
    // scanning every path for every link (quadratic on hostile archives).
    let mut folders: HashSet<&str> = HashSet::new();
    for file in files {
        let mut rest: &str = file;
        while let Some((parent, _)) = rest.rsplit_once('/') {
            if !folders.insert(parent) {
                break;
            }
            rest = parent;
        }
    }
    let mut resolved = BTreeMap::new();
    for link in links {
        let mut current = link.path.clone();
        let mut target = link.target.clone();
        let mut hard = link.hard;
        let mut outcome = None;
        for _ in 0..16 {
            let next = if hard {
                normalize_path(&target)
            } else {
                join_link(&current, &target)
            };
            match next {
                None => {
                    outcome = Some(Err(format!(
                        "link to `{}` points outside the bundle; not followed",
                        link.target
                    )));
                    break;
                }
                Some(next) => {
                    if files.contains(next.as_str()) {
                        outcome = Some(Ok(next));
                        break;
                    }
                    if let Some((t, h)) = by_path.get(next.as_str()) {
                        current = next;
                        target = (*t).to_string();
                        hard = *h;
                        continue;
                    }
                    let is_dir = folders.contains(next.as_str());
                    outcome = Some(Err(if is_dir {
                        format!(
                            "link to folder `{}`; its files are read where they are",
                            link.target
                        )
                    } else {
                        format!("link target `{}` is not in the bundle", link.target)
                    }));
                    break;
                }
            }
        }
        match outcome {
            Some(Ok(file)) => {
                resolved.insert(link.path.clone(), file);
            }
            Some(Err(message)) => notices.push(Notice {
                source: link.path.clone(),
                message,
            }),
            None => notices.push(Notice {
                source: link.path.clone(),
                message: "link loop; not followed".into(),
            }),
        }
    }
    resolved
}

/// Joins a link target to the folder of the link, inside the bundle.
fn join_link(link_path: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        // An absolute symlink target names the collecting machine's file system.
        return None;
    }
    let mut parts: Vec<&str> = link_path.split('/').collect();
    parts.pop();
    for comp in target.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_reads_advance_the_progress_counter() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("b.tar.gz");
        {
            let file = File::create(&path).expect("create");
            let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
            let mut tar = tar::Builder::new(gz);
            let body = "I0101 00:00:00.000000 1 x.go:1] hello\n".repeat(20_000);
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, "b/logs/x.log", body.as_bytes())
                .expect("append");
            tar.into_inner().expect("tar").finish().expect("gzip");
        }
        let size = std::fs::metadata(&path).expect("meta").len();
        let before = ARCHIVE_BYTES_READ.load(std::sync::atomic::Ordering::Relaxed);
        let listing = read_bundle(&path, &Limits::default(), |_, r| {
            io::copy(r, &mut io::sink()).map(|_| ())
        })
        .expect("read");
        assert_eq!(listing.files.len(), 1);
        let after = ARCHIVE_BYTES_READ.load(std::sync::atomic::Ordering::Relaxed);
        // Other tests read archives at the same time: at least this one's bytes were added.
        assert!(after - before >= size, "{} < {size}", after - before);
    }

    #[test]
    fn normalizes_and_rejects_escaping_paths() {
        assert_eq!(normalize_path("./a/b.json").as_deref(), Some("a/b.json"));
        assert_eq!(normalize_path("/etc/passwd").as_deref(), Some("etc/passwd"));
        assert_eq!(normalize_path("a/../../b"), None);
        assert_eq!(normalize_path("."), None);
    }

    #[test]
    fn finds_single_top_level_folder() {
        assert_eq!(
            common_root(["sb/version.yaml", "sb/cluster-resources/pods/a.json"]).as_deref(),
            Some("sb")
        );
        assert_eq!(common_root(["version.yaml", "sb/x"]), None);
        assert_eq!(common_root(["a/x", "b/x"]), None);
    }

    #[test]
    fn resolves_links_inside_only() {
        let files: HashSet<&str> = ["cluster-resources/pods/logs/default/p/c.log"]
            .into_iter()
            .collect();
        let links = vec![
            Link {
                path: "all-logs/default/p/c.log".into(),
                target: "../../../cluster-resources/pods/logs/default/p/c.log".into(),
                hard: false,
            },
            Link {
                path: "evil".into(),
                target: "../../etc/passwd".into(),
                hard: false,
            },
            Link {
                path: "abs".into(),
                target: "/etc/passwd".into(),
                hard: false,
            },
            Link {
                path: "loop1".into(),
                target: "loop2".into(),
                hard: false,
            },
            Link {
                path: "loop2".into(),
                target: "loop1".into(),
                hard: false,
            },
        ];
        let mut notices = Vec::new();
        let map = resolve_links(&links, &files, &mut notices);
        assert_eq!(
            map.get("all-logs/default/p/c.log").map(String::as_str),
            Some("cluster-resources/pods/logs/default/p/c.log")
        );
        assert_eq!(map.len(), 1);
        assert_eq!(notices.len(), 4, "{notices:?}");
        assert!(notices.iter().any(|n| n.message.contains("loop")));
        assert!(notices.iter().any(|n| n.message.contains("outside")));
    }

    #[test]
    fn sniffs_formats() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Ok(Format::TarGz));
        assert!(sniff(b"PK\x03\x04rest").unwrap_err().contains("zip"));
        assert!(sniff(b"hello").is_err());
        assert!(sniff(b"").is_err());
    }
}
