//! `cutover graph PLAN`: the step graph in run order, as text, DOT or Mermaid.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use super::render::Renderer;
use super::{Failure, GraphFormat, compile};
use crate::emit;
use crate::lower::LoweredPlan;
use crate::lower::Phase;

pub fn run(plan: &Path, format: GraphFormat, renderer: &Renderer) -> Result<ExitCode, Failure> {
    let compilation = compile(plan)?;
    eprint!("{}", renderer.diagnostics(&compilation.diagnostics, &compilation.sources));
    let Some(lowered) = &compilation.lowered else {
        eprintln!("{}: {}; no graph", plan.display(), super::render::tally(&compilation.diagnostics));
        return Ok(ExitCode::from(1));
    };
    let text = match format {
        GraphFormat::Text => text(lowered),
        GraphFormat::Dot => emit::dot::emit(lowered),
        GraphFormat::Mermaid => emit::mermaid::emit(lowered),
    };
    super::output::write_stdout(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Steps in run order, each with where it runs and what it waits for.
fn text(plan: &LoweredPlan) -> String {
    let width = plan.steps.len().to_string().len();
    let mut out = String::new();
    for step in &plan.steps {
        let _ = write!(out, "{:>width$}. {}", step.position, step.id);
        if step.phase == Phase::Preflight {
            out.push_str(" (preflight)");
        }
        if step.on != crate::resolve::LOCAL {
            let _ = write!(out, " on {} [{}]", step.on, step.hosts.join(", "));
        }
        if let Some(serial) = &step.serial {
            let _ = write!(out, ", serial {serial} ({} batches)", step.batches);
        }
        out.push('\n');
        for before in &step.after {
            let _ = writeln!(out, "{:width$}    after {before}", "");
        }
        for inferred in &step.inferred_after {
            let _ = writeln!(out, "{:width$}    after {} (inferred: {})", "", inferred.step, inferred.reason);
        }
    }
    out
}
