//! `cutover diff OLD NEW`: what a change to a plan changes in what will run. Either side may be
//! a git revision, `REV:PATH` (`cutover diff main:plans/x.yaml plans/x.yaml`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{DiffFormat, Failure};
use crate::Compilation;
use crate::source::SourceMap;

pub fn run(old: &str, new: &str, format: DiffFormat) -> Result<ExitCode, Failure> {
    let before = compile(old)?;
    let after = compile(new)?;
    let diff = crate::diff::diff(&before, &after);
    let text = match format {
        DiffFormat::Human => crate::diff::human(&diff, old, new),
        DiffFormat::Markdown => crate::diff::markdown(&diff, old, new),
        DiffFormat::Json => crate::diff::json(&diff, old, new),
    };
    super::output::write_stdout(text.as_bytes())?;
    Ok(if after.has_errors() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// A plan from disk, or from a git revision when written `REV:PATH` and no such file exists.
fn compile(argument: &str) -> Result<Compilation, Failure> {
    let as_path = Path::new(argument);
    let (sources, path) = match argument.split_once(':') {
        Some((revision, path)) if !as_path.exists() && !revision.is_empty() && !path.is_empty() => {
            (SourceMap::at_revision(revision), PathBuf::from(path))
        }
        _ => (SourceMap::new(), as_path.to_path_buf()),
    };
    crate::compile(sources, &path).map_err(|error| Failure(error.to_string()))
}
