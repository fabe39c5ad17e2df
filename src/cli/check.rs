//! `cutover check PLAN…`: diagnostics to standard output, a summary line per plan.

use std::path::PathBuf;
use std::process::ExitCode;

use super::render::{Renderer, tally};
use super::{Failure, compile};

pub fn run(plans: &[PathBuf], renderer: &Renderer) -> Result<ExitCode, Failure> {
    let mut any_errors = false;
    let mut out = String::new();
    for plan in plans {
        let compilation = compile(plan)?;
        for diagnostic in &compilation.diagnostics {
            out.push_str(&renderer.diagnostic(diagnostic, &compilation.sources));
        }
        for note in &compilation.notes {
            out.push_str(&renderer.note(note, &compilation.sources));
        }
        any_errors |= compilation.has_errors();
        let summary = match &compilation.lowered {
            Some(lowered) => format!(
                "{}: {} ({}, {}, critical path {})",
                plan.display(),
                tally(&compilation.diagnostics),
                super::render::count(lowered.steps.len(), "step"),
                super::render::count(lowered.instances.len(), "step instance"),
                crate::model::Duration::from_seconds(lowered.critical_path.seconds)
            ),
            None => format!("{}: {}", plan.display(), tally(&compilation.diagnostics)),
        };
        out.push_str(&summary);
        out.push('\n');
    }
    print!("{out}");
    Ok(if any_errors { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
