//! Using cutover as a library: compile a plan, walk its diagnostics, then its lowered steps.
//!
//! Run it with `cargo run --example check_plan -- plans/dten-4.2/plan.yaml`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let path = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "plans/dten-4.2/plan.yaml".to_owned()));
    let compilation = match cutover::compile_path(&path) {
        Ok(compilation) => compilation,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };

    // Diagnostics are data: a code, a severity, a message and spans into the loaded sources.
    for diagnostic in &compilation.diagnostics {
        let file = compilation.sources.get(diagnostic.primary.span.file);
        let (line, column) = file.line_column(diagnostic.primary.span.start);
        println!(
            "{}:{line}:{column}: {} {} [{}]: {}",
            file.name,
            diagnostic.severity.as_str(),
            diagnostic.code,
            diagnostic.code.name(),
            diagnostic.message
        );
    }

    // With no errors there is a lowered plan: step instances in the order they run.
    let Some(lowered) = &compilation.lowered else { return ExitCode::from(1) };
    for instance in &lowered.instances {
        let rollback = instance.rollback.as_deref().unwrap_or("(no rollback)");
        println!("[{}] {} @ {}: {}\n    undo: {rollback}", instance.index, instance.step, instance.host, instance.run);
    }
    println!("schedule: {}s over {} steps", lowered.schedule.total_seconds, lowered.schedule.steps.len());
    ExitCode::SUCCESS
}
