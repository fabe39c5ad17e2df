//! `cutover build PLAN --emit FORMAT [-o FILE] [--start TIME]`: diagnostics to standard error; the output to
//! standard output or to a path, written whole or not at all (`cli::output`).

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use super::render::Renderer;
use super::{EmitFormat, Failure, compile};
use crate::emit;

pub fn run(
    plan: &Path,
    format: EmitFormat,
    output: Option<&Path>,
    start: Option<&str>,
    renderer: &Renderer,
) -> Result<ExitCode, Failure> {
    // A bad `--start` is refused before anything is compiled, in one line.
    let start = start
        .map(|text| emit::runbook::Start::parse(text).map_err(|error| Failure(format!("--start `{text}`: {error}"))))
        .transpose()?;
    if start.is_some() && format != EmitFormat::Runbook {
        return Err(Failure("`--start` gives the runbook its clock times: use it with `--emit runbook`".to_owned()));
    }
    let compilation = compile(plan)?;
    eprint!("{}", renderer.diagnostics(&compilation.diagnostics, &compilation.sources));
    let Some(lowered) = &compilation.lowered else {
        eprintln!("{}: {}; nothing written", plan.display(), super::render::tally(&compilation.diagnostics));
        return Ok(ExitCode::from(1));
    };
    if format == EmitFormat::Ansible {
        let Some(directory) = output else {
            return Err(Failure("`--emit ansible` writes a directory: name it with `-o DIR`".to_owned()));
        };
        super::output::write_directory(directory, &emit::ansible::emit(lowered))?;
        return Ok(ExitCode::SUCCESS);
    }
    let text = match format {
        EmitFormat::Json => emit::json::emit(lowered),
        EmitFormat::Dot => emit::dot::emit(lowered),
        EmitFormat::Mermaid => emit::mermaid::emit(lowered),
        EmitFormat::Sh => emit::sh::emit(lowered),
        EmitFormat::Runbook => emit::runbook::emit_with(lowered, start.as_ref()),
        EmitFormat::Ansible => unreachable!("written as a directory above"),
    };
    if let Some(path) = output {
        super::output::write_file(path, &text)?;
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
