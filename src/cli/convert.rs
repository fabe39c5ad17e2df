//! `cutover convert PLAN --to dsl|yaml [-o FILE]`: a plan or action library from one written
//! form to the other, comments carried. The input's form is its extension (`.cutover` is the
//! DSL, anything else YAML). Both forms compile to the same output. A plan that does not read
//! cleanly is not converted (its diagnostics, exit 1); one whose comments cannot be written so
//! that each suppression covers what it covers now is not converted either (one line naming the
//! comment, exit 2).

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use super::render::Renderer;
use super::{ConvertTarget, Failure};
use crate::source::{SourceFile, SourceMap};
use crate::syntax::dsl::faithful::Refusal;
use crate::syntax::dsl::{self, Form, NotConverted};

pub fn run(plan: &Path, to: ConvertTarget, output: Option<&Path>, renderer: &Renderer) -> Result<ExitCode, Failure> {
    let text = crate::source::read_text(plan).map_err(|error| Failure(error.to_string()))?;
    let mut sources = SourceMap::new();
    let file = sources.add(plan.display().to_string(), text.clone());
    let mut diagnostics = Vec::new();
    let form = match to {
        ConvertTarget::Dsl => Form::Dsl,
        ConvertTarget::Yaml => Form::Yaml,
    };
    let converted = match dsl::convert(file, &text, dsl::is_dsl(plan), form, &mut diagnostics) {
        Ok(converted) => converted,
        Err(NotConverted::Unreadable) => {
            eprint!("{}", renderer.diagnostics(&diagnostics, &sources));
            eprintln!("{}: {}; nothing converted", plan.display(), super::render::tally(&diagnostics));
            return Ok(ExitCode::from(1));
        }
        Err(NotConverted::Unfaithful(refusal)) => {
            let place = refusal_place(&plan.display().to_string(), sources.get(file), &refusal);
            return Err(Failure(format!("{place}: not converted: {}", refusal.message)));
        }
    };
    if let Some(path) = output {
        super::output::write_file(path, &converted)?;
    } else {
        let mut stdout = std::io::stdout().lock();
        if let Err(error) = stdout.write_all(converted.as_bytes()).and_then(|()| stdout.flush())
            && error.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(Failure(format!("cannot write to standard output: {error}")));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `plan.yaml:6:12`, where a refusal points, or the file's name alone.
pub(super) fn refusal_place(name: &str, file: &SourceFile, refusal: &Refusal) -> String {
    match refusal.offset {
        Some(offset) => {
            let (line, column) = file.line_column(offset);
            format!("{name}:{line}:{column}")
        }
        None => name.to_owned(),
    }
}
