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
        let plan_directory = relative_folder(directory, plan)?;
        super::output::write_directory(directory, &emit::ansible::emit(lowered, &plan_directory))?;
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

/// The folder of `plan` as a path from `directory`, with `/` between its parts: `.`, or
/// `../plans/dten-4.2`. Found from both as absolute paths, without reading links, so that the
/// same layout gives the same playbook wherever it is.
fn relative_folder(directory: &Path, plan: &Path) -> Result<String, Failure> {
    let absolute =
        |path: &Path| std::path::absolute(path).map_err(|error| Failure(format!("{}: {error}", path.display())));
    let from = absolute(directory)?;
    let to = absolute(plan)?;
    let to = to.parent().unwrap_or(&to);
    let parts = |path: &Path| -> Vec<String> {
        path.components()
            .filter(|part| !matches!(part, std::path::Component::CurDir))
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect()
    };
    let (from, to) = (parts(&from), parts(to));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path: Vec<&str> = vec![".."; from.len() - common];
    path.extend(to[common..].iter().map(String::as_str));
    Ok(if path.is_empty() { ".".to_owned() } else { path.join("/") })
}
