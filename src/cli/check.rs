//! `cutover check PLAN…`: diagnostics to standard output, a summary line per plan. A plan that
//! cannot be read is one line on standard error; the others are still checked, and the run
//! exits 2.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use super::render::{Renderer, count, tally};
use super::{Failure, compile};

pub fn run(plans: &[PathBuf], renderer: &Renderer) -> ExitCode {
    let mut any_errors = false;
    let mut unreadable = false;
    let mut stdout = std::io::stdout().lock();
    for (index, plan) in plans.iter().enumerate() {
        let compilation = match compile(plan) {
            Ok(compilation) => compilation,
            Err(Failure(message)) => {
                eprintln!("error: {message}");
                unreadable = true;
                continue;
            }
        };
        let mut out = renderer.diagnostics(&compilation.diagnostics, &compilation.sources);
        out.push_str(&renderer.notes(&compilation.notes, &compilation.sources));
        any_errors |= compilation.has_errors();
        let summary = match &compilation.lowered {
            Some(lowered) => format!(
                "{}: {} ({}, {}, schedule {})",
                plan.display(),
                tally(&compilation.diagnostics),
                count(lowered.steps.len(), "step"),
                count(lowered.instances.len(), "step instance"),
                crate::model::Duration::from_seconds(lowered.schedule.total_seconds)
            ),
            None => format!("{}: {}", plan.display(), tally(&compilation.diagnostics)),
        };
        out.push_str(&summary);
        out.push('\n');
        if let Err(error) = stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()) {
            // A closed pipe: nobody is reading the rest. Anything else is said, exit 2.
            if error.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("error: cannot write to standard output: {error}");
                return ExitCode::from(2);
            }
            break;
        }
        if index + 1 == plans.len() {
            // The process ends next and gives all memory back at once; freeing the last
            // compilation's allocations one by one first was 4% of checking a large plan.
            std::mem::forget(compilation);
        }
    }
    let _ = stdout.flush();
    if unreadable {
        ExitCode::from(2)
    } else if any_errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
