//! Writing what a command made to a path it was given (`-o`, the file `fmt` rewrites): whole or
//! not at all, and only into what a path can sensibly hold.
//!
//! A symbolic link is followed and its target written, so that the link stays a link. A
//! regular file (or nothing yet) is written beside itself and renamed into place, so a reader
//! never sees half of it. A FIFO or a character device (`/dev/stdout`, a terminal) is written
//! straight into: renaming over it would replace it, and its reader would get nothing. Anything
//! else (a directory where a file is wanted, a socket, a block device) is refused with one line.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::FileTypeExt as _;
use std::path::{Path, PathBuf};

use super::Failure;

/// How many symbolic links one path may go through, as Linux allows (`ELOOP` past it).
const MAX_LINKS: usize = 40;

/// Writes `text` to `path`: see the module header for what each kind of path gets.
///
/// # Errors
/// One line naming the path: it cannot hold a file, or writing failed (nothing is left
/// half-written).
pub fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    let (target, metadata) = follow_links(path)?;
    let fail = |error: std::io::Error| Failure(format!("cannot write `{}`: {error}", path.display()));
    let Some(metadata) = metadata else { return write_beside(&target, text, None).map_err(fail) };
    let kind = metadata.file_type();
    if kind.is_file() {
        write_beside(&target, text, Some(&metadata)).map_err(fail)
    } else if kind.is_fifo() || kind.is_char_device() {
        let mut stream = OpenOptions::new().write(true).open(&target).map_err(fail)?;
        stream.write_all(text.as_bytes()).and_then(|()| stream.flush()).map_err(fail)
    } else {
        Err(Failure(format!("cannot write `{}`: it is {}; name a file", path.display(), describe(&metadata))))
    }
}

/// Writes `files` as the directory `path`: a fresh directory beside it, renamed into place (an
/// existing directory there is moved aside first and removed after), so a reader never sees
/// half an output; on an error nothing is left behind. A symbolic link is followed and the
/// directory it names replaced; anything but a directory (or nothing yet) is refused.
///
/// # Errors
/// One line naming the path.
pub fn write_directory(path: &Path, files: &[(&str, String)]) -> Result<(), Failure> {
    let (target, metadata) = follow_links(path)?;
    if let Some(metadata) = &metadata
        && !metadata.is_dir()
    {
        return Err(Failure(format!(
            "cannot write `{}`: it is {}, not a directory; name a directory to write",
            path.display(),
            describe(metadata)
        )));
    }
    let fail = |error: std::io::Error| Failure(format!("cannot write `{}`: {error}", path.display()));
    let (parent, name) = parent_and_name(&target)
        .ok_or_else(|| Failure(format!("cannot write to `{}`: not a directory name", path.display())))?;
    let temporary = parent.join(format!(".{name}.{}.tmp", std::process::id()));
    let old = parent.join(format!(".{name}.{}.old", std::process::id()));
    let written = std::fs::create_dir(&temporary).and_then(|()| {
        files.iter().try_for_each(|(file, text)| write_new(&temporary.join(file), text.as_bytes(), None))
    });
    if let Err(error) = written {
        let _ = std::fs::remove_dir_all(&temporary);
        return Err(fail(error));
    }
    let moved_aside = metadata.is_some() && std::fs::rename(&target, &old).is_ok();
    if let Err(error) = std::fs::rename(&temporary, &target) {
        if moved_aside {
            let _ = std::fs::rename(&old, &target);
        }
        let _ = std::fs::remove_dir_all(&temporary);
        return Err(fail(error));
    }
    if moved_aside {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}

/// The path at the end of `path`'s symbolic links, with its metadata (`None` when nothing is
/// there yet: a link may name a file still to be written, as a shell's `>` would create it).
fn follow_links(path: &Path) -> Result<(PathBuf, Option<Metadata>), Failure> {
    let fail = |error: std::io::Error| Failure(format!("cannot write `{}`: {error}", path.display()));
    let mut current = path.to_path_buf();
    for _ in 0..=MAX_LINKS {
        let metadata = match std::fs::symlink_metadata(&current) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok((current, None)),
            Err(error) => return Err(fail(error)),
        };
        if !metadata.file_type().is_symlink() {
            return Ok((current, Some(metadata)));
        }
        let link = std::fs::read_link(&current).map_err(fail)?;
        // A relative link is read from the folder that holds it.
        current = match current.parent() {
            Some(folder) if link.is_relative() => folder.join(link),
            _ => link,
        };
    }
    Err(Failure(format!("cannot write `{}`: more than {MAX_LINKS} symbolic links in a row", path.display())))
}

/// Writes a regular file beside `target` and renames it over `target`, keeping the
/// permissions of the file it replaces (an executable script stays executable).
fn write_beside(target: &Path, text: &str, replaced: Option<&Metadata>) -> std::io::Result<()> {
    let (folder, name) = parent_and_name(target)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = write_new(&temporary, text.as_bytes(), replaced.map(Metadata::permissions))
        .and_then(|()| std::fs::rename(&temporary, target));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// Creates `path`, which must not exist (a link planted there is not followed), and writes
/// `bytes` to disk before returning, so that the rename that follows publishes a whole file.
fn write_new(path: &Path, bytes: &[u8], permissions: Option<std::fs::Permissions>) -> std::io::Result<()> {
    let mut file: File = OpenOptions::new().write(true).create_new(true).open(path)?;
    if let Some(permissions) = permissions {
        file.set_permissions(permissions)?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

/// The folder a path is in (`.` for a bare name) and its last component.
fn parent_and_name(path: &Path) -> Option<(&Path, String)> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let parent = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Some((parent, name))
}

/// What kind of thing is at a path, in words: "a directory", "a socket".
fn describe(metadata: &Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        "a directory"
    } else if kind.is_file() {
        "a file"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else {
        "not a regular file"
    }
}

/// Writes `bytes` to standard output: a closed pipe (`| head`) ends quietly, any other failure
/// (a full disk, `> /dev/full`) is one line and exit 2, never a panic.
pub fn write_stdout(bytes: &[u8]) -> Result<std::process::ExitCode, Failure> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure(format!("cannot write to standard output: {error}")))
        }
        _ => Ok(std::process::ExitCode::SUCCESS),
    }
}
