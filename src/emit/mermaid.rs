//! `--emit mermaid`: the step graph as a Mermaid flowchart, for Markdown. Inferred edges are
//! dotted (`-.->`) and labelled with their reason.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::lower::LoweredPlan;
use crate::lower::Phase;

#[must_use]
pub fn emit(plan: &LoweredPlan) -> String {
    // Step ids may hold characters Mermaid reads as syntax; nodes get plain names.
    let names: HashMap<&str, String> =
        plan.steps.iter().enumerate().map(|(index, step)| (step.id.as_str(), format!("s{}", index + 1))).collect();
    let mut out = String::from("flowchart TD\n");
    let preflight: Vec<_> = plan.steps.iter().filter(|step| step.phase == Phase::Preflight).collect();
    if !preflight.is_empty() {
        out.push_str("  subgraph preflight\n");
        for step in &preflight {
            let _ = writeln!(out, "    {}[\"{}\"]", names[step.id.as_str()], text(&label(step)));
        }
        out.push_str("  end\n");
    }
    for step in plan.steps.iter().filter(|step| step.phase != Phase::Preflight) {
        let _ = writeln!(out, "  {}[\"{}\"]", names[step.id.as_str()], text(&label(step)));
    }
    for edge in &plan.edges {
        let (from, to) = (&names[edge.from.as_str()], &names[edge.to.as_str()]);
        match &edge.reason {
            Some(reason) if edge.inferred => {
                let _ = writeln!(out, "  {from} -. \"{}\" .-> {to}", text(reason));
            }
            _ => {
                let _ = writeln!(out, "  {from} --> {to}");
            }
        }
    }
    let irreversible: Vec<&str> = plan
        .steps
        .iter()
        .filter(|step| step.irreversible.is_some())
        .map(|step| names[step.id.as_str()].as_str())
        .collect();
    if !irreversible.is_empty() {
        out.push_str("  classDef irreversible stroke:#c00,stroke-width:2px\n");
        let _ = writeln!(out, "  class {} irreversible", irreversible.join(","));
    }
    out
}

fn label(step: &crate::lower::LoweredStep) -> String {
    if step.on == crate::lower::LOCAL {
        step.id.clone()
    } else {
        match &step.serial {
            Some(serial) => format!("{}<br/>on {}, serial {serial}", step.id, step.on),
            None => format!("{}<br/>on {}", step.id, step.on),
        }
    }
}

/// Text inside a quoted Mermaid label: quotes and angle brackets as entities (the `<br/>` we add
/// ourselves is kept).
fn text(label: &str) -> String {
    label.replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;").replace("#lt;br/#gt;", "<br/>")
}
