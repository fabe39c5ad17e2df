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
    let text = match format {
        EmitFormat::Json => emit::json::emit(lowered),
        EmitFormat::Dot => emit::dot::emit(lowered),
        EmitFormat::Mermaid => emit::mermaid::emit(lowered),
        EmitFormat::Sh => emit::sh::emit(lowered),
        EmitFormat::Runbook => emit::runbook::emit(lowered),
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
