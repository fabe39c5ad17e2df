//! `cutover build PLAN --emit FORMAT [-o FILE]`: diagnostics to standard error; the output to
//! standard output or to a file written whole (temporary file, then rename) or not at all.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use super::render::Renderer;
use super::{EmitFormat, Failure, compile};
use crate::emit;

pub fn run(plan: &Path, format: EmitFormat, output: Option<&Path>, renderer: &Renderer) -> Result<ExitCode, Failure> {
    let compilation = compile(plan)?;
    let mut report = String::new();
    for diagnostic in &compilation.diagnostics {
        report.push_str(&renderer.diagnostic(diagnostic, &compilation.sources));
    }
    eprint!("{report}");
    let Some(lowered) = &compilation.lowered else {
        eprintln!("{}: {}; nothing written", plan.display(), super::render::tally(&compilation.diagnostics));
        return Ok(ExitCode::from(1));
    };
    if format == EmitFormat::Ansible {
        let Some(directory) = output else {
            return Err(Failure("`--emit ansible` writes a directory: name it with `-o DIR`".to_owned()));
        };
        write_directory(directory, &emit::ansible::emit(lowered))?;
        return Ok(ExitCode::SUCCESS);
    }
    let text = match format {
        EmitFormat::Json => emit::json::emit(lowered),
        EmitFormat::Dot => emit::dot::emit(lowered),
        EmitFormat::Mermaid => emit::mermaid::emit(lowered),
        EmitFormat::Sh => emit::sh::emit(lowered),
        EmitFormat::Runbook => emit::runbook::emit(lowered),
        EmitFormat::Ansible => unreachable!("written as a directory above"),
    };
    if let Some(path) = output {
        write_whole(path, &text)?;
    } else {
        let mut stdout = std::io::stdout().lock();
        if let Err(error) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
            // A closed pipe (`| head`) is not worth a message.
            if error.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(Failure(format!("cannot write to standard output: {error}")));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`, so a reader
/// never sees half a file.
pub fn write_whole(path: &Path, text: &str) -> Result<(), Failure> {
    let directory = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file_name =
        path.file_name().ok_or_else(|| Failure(format!("cannot write to `{}`: not a file name", path.display())))?;
    let temporary = directory.join(format!(".{}.{}.tmp", file_name.to_string_lossy(), std::process::id()));
    let fail = |error: std::io::Error| Failure(format!("cannot write `{}`: {error}", path.display()));
    let result = std::fs::write(&temporary, text).and_then(|()| std::fs::rename(&temporary, path));
    if let Err(error) = result {
        let _ = std::fs::remove_file(&temporary);
        return Err(fail(error));
    }
    Ok(())
}

/// Writes `files` into a fresh temporary directory beside `path`, then renames it over `path`
/// (an existing directory there is moved aside first and removed after), so a reader never
/// sees half an output; on an error nothing is left behind.
pub fn write_directory(path: &Path, files: &[(&str, String)]) -> Result<(), Failure> {
    let parent = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| Failure(format!("cannot write to `{}`: not a directory name", path.display())))?;
    let name = name.to_string_lossy();
    let temporary = parent.join(format!(".{name}.{}.tmp", std::process::id()));
    let old = parent.join(format!(".{name}.{}.old", std::process::id()));
    let fail = |error: std::io::Error| Failure(format!("cannot write `{}`: {error}", path.display()));
    let written = std::fs::create_dir(&temporary)
        .and_then(|()| files.iter().try_for_each(|(file, text)| std::fs::write(temporary.join(file), text)));
    if let Err(error) = written {
        let _ = std::fs::remove_dir_all(&temporary);
        return Err(fail(error));
    }
    if path.is_file() {
        let _ = std::fs::remove_dir_all(&temporary);
        return Err(Failure(format!("cannot write `{}`: a file is in the way of the directory", path.display())));
    }
    let moved_aside = path.exists() && std::fs::rename(path, &old).is_ok();
    if let Err(error) = std::fs::rename(&temporary, path) {
        if moved_aside {
            let _ = std::fs::rename(&old, path);
        }
        let _ = std::fs::remove_dir_all(&temporary);
        return Err(fail(error));
    }
    if moved_aside {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}
