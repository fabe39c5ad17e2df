//! Emitters: the lowered plan to text. Each format is one file; none looks past the
//! [`LoweredPlan`](crate::lower::LoweredPlan).

pub mod ansible;
pub mod dot;
pub mod json;
pub mod mermaid;
pub mod runbook;
pub mod sh;

use std::fmt::Write as _;

use crate::lower::LoweredPlan;

/// The comment lines that open a generated file: the plan, the compiler, the package and the
/// sha256 of every input, so a reviewer can tell what a file was built from.
#[must_use]
pub(crate) fn provenance(plan: &LoweredPlan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Plan {}, compiled by {}. Do not edit: change the plan and build again.",
        plan.plan, plan.compiler
    );
    if let Some(package) = &plan.package {
        let _ = writeln!(out, "# Package {} {}.", package.name, package.version);
    }
    out.push_str("#\n# Inputs (sha256):\n");
    let width = plan.sources.iter().map(|source| source.path.len()).max().unwrap_or(0);
    for source in &plan.sources {
        let _ = writeln!(out, "#   {:<width$}  {}", source.path, source.sha256);
    }
    out
}
