//! CUT005 `dependency-cycle`.
//!
//! ## What it does
//!
//! Finds steps that wait for each other in a circle, through `after` entries or
//! through the ordering the manifest implies, and names every step on the circle.
//!
//! ## Why it matters
//!
//! A cycle has no order to run in; cutover cannot lower the plan at all.
//!
//! ## Example
//!
//! ```yaml
//! - { id: stop-agent, run: "...", rollback: "...", after: [install-core] }
//! - { id: install-core, do: install, with: { target: dten-core@4.2.0 }, after: [stop-agent] }
//! ```
//!
//! ## Fix
//!
//! Remove the `after` entry that points backwards. When an edge is inferred (a release after
//! the release of what it requires), reorder the written ones to agree with it.

use crate::check::Context;
use crate::codes::CUT005;
use crate::diagnostic::Diagnostic;
use crate::graph::EdgeKind;

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    for cycle in context.graph.cycles() {
        let steps = &context.resolved.steps;
        let names: Vec<&str> = cycle.steps.iter().map(|step| steps[*step].id()).collect();
        let mut path = names.join(" → ");
        path.push_str(" → ");
        path.push_str(names[0]);
        let first = &steps[cycle.steps[0]];
        let mut diagnostic = Diagnostic::new(CUT005, first.step.id.span, format!("dependency cycle: {path}"))
            .with_primary_label("this step is on the cycle")
            .with_help("remove one of the `after` entries on the cycle so the steps have an order");
        for (position, edge) in cycle.edges.iter().enumerate() {
            let before = steps[cycle.steps[position]].id();
            let after = steps[cycle.steps[(position + 1) % cycle.steps.len()]].id();
            diagnostic = match edge {
                EdgeKind::After { span } => diagnostic.with_label(*span, format!("`{after}` waits for `{before}`")),
                EdgeKind::Inferred { reason, cause } => {
                    diagnostic.with_label(*cause, format!("`{after}` runs after `{before}` because {reason}"))
                }
            };
        }
        diagnostics.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, codes_of, diagnostics_of};

    #[test]
    fn a_cycle_through_after_names_every_step() {
        let plan = r#"
steps:
  - { id: a, run: "true", rollback: "true", after: [c] }
  - { id: b, run: "true", rollback: "true", after: [a] }
  - { id: c, run: "true", rollback: "true", after: [b] }
"#;
        let diagnostics = diagnostics_of(plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT005"]);
        assert_eq!(diagnostics[0].message, "dependency cycle: a → b → c → a");
        assert_eq!(diagnostics[0].secondary.len(), 3);
    }

    #[test]
    fn a_step_waiting_for_itself_is_a_cycle() {
        let plan = "steps:\n  - { id: a, run: \"true\", rollback: \"true\", after: [a] }\n";
        assert_eq!(codes_of(&diagnostics_of(plan, DTEN_MANIFEST, DTEN_INVENTORY)), ["CUT005"]);
    }
}
