//! `--emit dot`: the step graph for Graphviz. Inferred edges are dashed and say why.

use std::fmt::Write as _;

use crate::lower::LoweredPlan;
use crate::lower::Phase;

#[must_use]
pub fn emit(plan: &LoweredPlan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quote(&plan.plan));
    out.push_str("  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    let preflight: Vec<_> = plan.steps.iter().filter(|step| step.phase == Phase::Preflight).collect();
    if !preflight.is_empty() {
        out.push_str("  subgraph cluster_preflight {\n    label=\"preflight\";\n    style=dashed;\n");
        for step in &preflight {
            let _ = writeln!(out, "    {} [label={}];", quote(&step.id), quote(&label(step)));
        }
        out.push_str("  }\n");
    }
    for step in plan.steps.iter().filter(|step| step.phase != Phase::Preflight) {
        let shape = if step.irreversible.is_some() { ", color=red" } else { "" };
        let _ = writeln!(out, "  {} [label={}{shape}];", quote(&step.id), quote(&label(step)));
    }
    for edge in &plan.edges {
        match &edge.reason {
            Some(reason) if edge.inferred => {
                let _ = writeln!(
                    out,
                    "  {} -> {} [style=dashed, label={}];",
                    quote(&edge.from),
                    quote(&edge.to),
                    quote(reason)
                );
            }
            _ => {
                let _ = writeln!(out, "  {} -> {};", quote(&edge.from), quote(&edge.to));
            }
        }
    }
    out.push_str("}\n");
    out
}

/// The label of a step: its id, and where it runs.
fn label(step: &crate::lower::LoweredStep) -> String {
    let mut text = step.id.clone();
    if step.on != crate::lower::LOCAL {
        let _ = write!(text, "\non {}", step.on);
        if let Some(serial) = &step.serial {
            let _ = write!(text, ", serial {serial}");
        }
    }
    text
}

/// A DOT string literal.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
}
