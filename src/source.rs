//! Source files and byte spans: the only place, with `cli`, that reads files.
//!
//! Every input (plan, manifest, inventory, action libraries, the built-in prelude) is loaded once
//! into a [`SourceMap`] and addressed by a [`FileId`]; a [`Span`] is a byte range in one of them.

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// Largest input file cutover reads. A real plan is a few hundred kilobytes; a synthetic plan of
/// 50,000 steps is under ten megabytes. Past this size a file is refused before parsing, so a
/// runaway input costs no time or memory.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    #[must_use]
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        let clamp = |offset: usize| u32::try_from(offset).unwrap_or(u32::MAX);
        Self { file, start: clamp(start), end: clamp(end.max(start)) }
    }

    #[must_use]
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// One loaded file: its name as shown to people, its path on disk (if any) and its text.
#[derive(Debug)]
pub struct SourceFile {
    /// The name diagnostics show: the path as the user wrote it, relative where possible.
    pub name: String,
    /// Where the file was read from; `None` for built-in text such as the prelude.
    pub path: Option<PathBuf>,
    pub text: String,
    /// Where lines start, built the first time a position is asked for: most files of a clean
    /// run never need one.
    lines: std::sync::OnceLock<LineIndex>,
}

/// Line starts and character counts of one text, so that the line and column of an offset
/// take a binary search and a short count, not a scan from the start: ten thousand
/// diagnostics on one long line were quadratic in its length.
#[derive(Debug)]
struct LineIndex {
    /// The byte offset of each line's first byte; the first is 0.
    starts: Vec<u32>,
    /// `characters_before[block]`: how many characters start before byte `block *
    /// CHARACTER_BLOCK`.
    characters_before: Vec<u32>,
}

/// Characters are counted from the nearest multiple of this many bytes.
const CHARACTER_BLOCK: usize = 1024;

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(index, _)| index as u32 + 1));
        let mut characters_before = Vec::with_capacity(text.len() / CHARACTER_BLOCK + 1);
        let mut characters = 0u32;
        for block in text.as_bytes().chunks(CHARACTER_BLOCK) {
            characters_before.push(characters);
            characters += count_character_starts(block) as u32;
        }
        characters_before.push(characters);
        Self { starts, characters_before }
    }

    /// How many characters start before byte `offset`.
    fn characters_before(&self, text: &str, offset: usize) -> usize {
        let block = offset / CHARACTER_BLOCK;
        self.characters_before[block] as usize
            + count_character_starts(&text.as_bytes()[block * CHARACTER_BLOCK..offset])
    }
}

/// The bytes that start a character: all but UTF-8's continuation bytes (`10xxxxxx`).
fn count_character_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|byte| (**byte & 0xC0) != 0x80).count()
}

impl SourceFile {
    fn new(name: String, path: Option<PathBuf>, text: String) -> Self {
        Self { name, path, text, lines: std::sync::OnceLock::new() }
    }

    fn line_index(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }

    /// 1-based line and column (in characters) of a byte offset.
    #[must_use]
    pub fn line_column(&self, offset: u32) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, (offset as usize).min(self.text.len()));
        let line = self.line_of(offset);
        (line + 1, self.column_of(line, offset) + 1)
    }

    /// The 0-based line a byte offset is on.
    #[must_use]
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_index().starts.partition_point(|start| *start as usize <= offset) - 1
    }

    /// How many lines the text has: one more than its newlines.
    #[must_use]
    pub fn line_count(&self) -> usize {
        self.line_index().starts.len()
    }

    /// The byte range of a 0-based line, its newline (`\n` or `\r\n`) left out.
    #[must_use]
    pub fn line_range(&self, line: usize) -> std::ops::Range<usize> {
        let starts = &self.line_index().starts;
        let start = starts[line] as usize;
        let end = starts.get(line + 1).map_or(self.text.len(), |next| *next as usize - 1);
        let end = if self.text[start..end].ends_with('\r') { end - 1 } else { end };
        start..end
    }

    /// The 0-based column, in characters, of a byte offset on a 0-based line.
    #[must_use]
    pub fn column_of(&self, line: usize, offset: usize) -> usize {
        let index = self.line_index();
        let line_start = index.starts[line] as usize;
        index.characters_before(&self.text, offset) - index.characters_before(&self.text, line_start)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Every file of one compilation.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// Files served from memory instead of disk, by path: tests and embedders use this.
    overlay: std::collections::HashMap<PathBuf, String>,
    /// Read files as they were at this git revision (`git show REV:PATH`) instead of from disk.
    revision: Option<String>,
}

/// Why a file could not be loaded; rendered as one line.
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub reason: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "cannot read `{}`: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for LoadError {}

impl SourceMap {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A source map that serves these files from memory instead of disk.
    #[must_use]
    pub fn with_files(files: impl IntoIterator<Item = (PathBuf, String)>) -> Self {
        Self { files: Vec::new(), overlay: files.into_iter().collect(), revision: None }
    }

    /// A source map that reads every file as it was at a git revision: `cutover diff
    /// main:plans/x.yaml plans/x.yaml` compares a plan with its own past.
    #[must_use]
    pub fn at_revision(revision: impl Into<String>) -> Self {
        Self { revision: Some(revision.into()), ..Self::default() }
    }

    /// Adds text that did not come from disk (the prelude, a test's input, standard input).
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.push(SourceFile::new(name.into(), None, text.into()))
    }

    /// Reads a file from disk. `name` is what diagnostics will call it.
    ///
    /// # Errors
    /// A missing or unreadable file, a directory, a file over [`MAX_FILE_BYTES`], or one that is
    /// not UTF-8 text.
    pub fn load(&mut self, path: &Path, name: impl Into<String>) -> Result<FileId, LoadError> {
        let text = match (self.overlay.get(path), &self.revision) {
            (Some(text), _) => text.clone(),
            (None, Some(revision)) => read_at_revision(revision, path)?,
            (None, None) => read_text(path)?,
        };
        Ok(self.push(SourceFile::new(name.into(), Some(path.to_path_buf()), text)))
    }

    fn push(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 4 billion source files"));
        self.files.push(file);
        id
    }

    #[must_use]
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The text a span covers.
    #[must_use]
    pub fn slice(&self, span: Span) -> &str {
        let text = &self.get(span.file).text;
        let start = floor_char_boundary(text, (span.start as usize).min(text.len()));
        let end = floor_char_boundary(text, (span.end as usize).min(text.len()));
        &text[start..end.max(start)]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(index, file)| (FileId(index as u32), file))
    }
}

/// Reads a whole file as UTF-8, refusing directories, huge files and binary content with a
/// reason a person can act on.
///
/// # Errors
/// See [`SourceMap::load`].
pub fn read_text(path: &Path) -> Result<String, LoadError> {
    let fail = |reason: String| LoadError { path: path.to_path_buf(), reason };
    let metadata = std::fs::metadata(path).map_err(|error| fail(describe_io_error(&error)))?;
    if metadata.is_dir() {
        return Err(fail("it is a directory, not a file".to_owned()));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(fail(too_large(Some(metadata.len()))));
    }
    // The size is checked again while reading: a FIFO or a device has none to tell beforehand.
    let file = std::fs::File::open(path).map_err(|error| fail(describe_io_error(&error)))?;
    read_text_from(file, metadata.len() as usize).map_err(fail)
}

/// Reads standard input whole, with the checks a file gets: at most [`MAX_FILE_BYTES`] (no more
/// than one byte past the limit is ever read), no NUL bytes, UTF-8.
///
/// # Errors
/// The reason, in words, for "cannot read standard input: REASON".
pub fn read_standard_input() -> Result<String, String> {
    read_text_from(std::io::stdin().lock(), 0)
}

/// Reads text from any reader, refusing more than [`MAX_FILE_BYTES`], NUL bytes and invalid
/// UTF-8; the error is the reason alone. `expected` is the size to make room for at once.
fn read_text_from(reader: impl std::io::Read, expected: usize) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(expected.saturating_add(1));
    reader.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|error| describe_io_error(&error))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(None));
    }
    if bytes.contains(&0) {
        return Err("it holds NUL bytes: it is a binary file, not text".to_owned());
    }
    String::from_utf8(bytes)
        .map_err(|error| format!("it is not UTF-8 text (invalid byte at offset {})", error.utf8_error().valid_up_to()))
}

/// Why an input is refused for its size, with the size when it is known.
fn too_large(bytes: Option<u64>) -> String {
    let limit = MAX_FILE_BYTES / 1_048_576;
    match bytes {
        Some(bytes) => {
            format!("it is {:.1} MiB, over the limit of {limit} MiB for an input file", bytes as f64 / 1_048_576.0)
        }
        None => format!("it is over the limit of {limit} MiB for an input file"),
    }
}

/// `git show REV:PATH`, with PATH relative to the repository root as git wants it.
fn read_at_revision(revision: &str, path: &Path) -> Result<String, LoadError> {
    let fail = |reason: String| LoadError { path: path.to_path_buf(), reason };
    let directory = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| fail("not a file name".to_owned()))?;
    // `./NAME` is resolved by git relative to the working directory given with -C.
    let spec = format!("{revision}:./{}", name.to_string_lossy());
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(directory)
        .args(["show", &spec])
        .output()
        .map_err(|error| fail(format!("cannot run git: {error}")))?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr);
        let first = message.lines().next().unwrap_or("git show failed").trim_start_matches("fatal: ");
        return Err(fail(format!("not found at revision `{revision}` ({first})")));
    }
    if output.stdout.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(too_large(None)));
    }
    String::from_utf8(output.stdout).map_err(|_| fail("it is not UTF-8 text".to_owned()))
}

fn describe_io_error(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    }
}

/// The sha256 of some bytes, as lowercase hex.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    sha2::Sha256::digest(bytes).iter().fold(String::with_capacity(64), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let mut sources = SourceMap::new();
        let id = sources.add("t", "ab\nçd: x\n");
        let file = sources.get(id);
        assert_eq!(file.line_column(0), (1, 1));
        assert_eq!(file.line_column(3), (2, 1));
        // `ç` is two bytes but one column.
        assert_eq!(file.line_column(5), (2, 2));
    }

    #[test]
    fn the_line_index_agrees_with_counting_from_the_start() {
        // Wide characters across the 1,024-byte blocks characters are counted in, long and
        // empty lines, a CRLF line.
        let mut text = String::new();
        for index in 0..6_000 {
            text.push_str(match index {
                _ if index % 1_300 == 1_299 => "\r\n",
                _ if index % 700 == 699 => "\n\n",
                _ => ["a", "ç", "漢", "  "][index % 4],
            });
        }
        let mut sources = SourceMap::new();
        let id = sources.add("t", text.clone());
        let crlf_id = sources.add("crlf", "a\r\nbc\n");
        let file = sources.get(id);
        for offset in (0..=text.len()).filter(|offset| text.is_char_boundary(*offset)) {
            let before = &text[..offset];
            let line_start = before.rfind('\n').map_or(0, |index| index + 1);
            let expected = (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1);
            assert_eq!(file.line_column(offset as u32), expected, "at {offset}");
        }
        assert_eq!(file.line_count(), text.matches('\n').count() + 1);
        let crlf = sources.get(crlf_id);
        assert_eq!((crlf.line_range(0), crlf.line_range(1), crlf.line_range(2)), (0..1, 3..5, 6..6));
    }

    #[test]
    fn a_reader_gets_the_checks_a_file_gets() {
        assert_eq!(read_text_from(&b"cutover 1\n"[..], 0).as_deref(), Ok("cutover 1\n"));
        assert!(read_text_from(&b"a\0b"[..], 0).unwrap_err().contains("NUL bytes"));
        assert!(read_text_from(&b"caf\xe9"[..], 0).unwrap_err().contains("not UTF-8"));
        // An endless reader: refused after one byte past the limit, not read to the end.
        let endless = std::io::repeat(b'a');
        assert!(read_text_from(endless, 0).unwrap_err().contains("over the limit"));
    }
}
