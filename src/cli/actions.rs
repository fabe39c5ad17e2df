//! `cutover actions [PLAN]`: every action a plan can call, one line each (or JSON), and the
//! lookup `cutover explain ACTION` uses. Both render `crate::actions::Reference`.

use std::path::Path;
use std::process::ExitCode;

use super::Failure;
use super::render::Renderer;
use crate::actions::Reference;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line an action, in columns.
    Human,
    /// Every action in full, for tools (`"format": "cutover-actions/1"`).
    Json,
}

pub fn run(plan: Option<&Path>, format: Format, renderer: &Renderer) -> Result<ExitCode, Failure> {
    let Some(reference) = reference(plan, renderer)? else {
        return Ok(ExitCode::from(1));
    };
    let text = match format {
        Format::Human => reference.listing(),
        Format::Json => {
            let document = serde_json::json!({ "format": "cutover-actions/1", "actions": reference.actions });
            let mut text = serde_json::to_string_pretty(&document).expect("plain data serializes");
            text.push('\n');
            text
        }
    };
    super::completions::write(text.as_bytes())
}

/// The reference of the prelude and, with a plan, of its libraries and `actions:`. A plan
/// whose actions cannot all be read gets its diagnostics on standard error and `None`: a
/// partial list would look complete.
pub fn reference(plan: Option<&Path>, renderer: &Renderer) -> Result<Option<Reference>, Failure> {
    let read = crate::driver::read_actions(crate::source::SourceMap::new(), plan)
        .map_err(|error| Failure(error.to_string()))?;
    if read.diagnostics.iter().any(crate::diagnostic::Diagnostic::is_error) {
        eprint!("{}", renderer.diagnostics(&read.diagnostics, &read.sources));
        return Ok(None);
    }
    Ok(Some(Reference::new(&read)))
}
