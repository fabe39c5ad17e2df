//! CUT005 `dependency-cycle`.
//!
//! ## What it does
//!
//! Finds steps that wait for each other in a circle, through `after` entries or
//! through the ordering the manifest implies, and names every step on the circle: the
//! message names the first 20 and counts the rest, and a label points at every edge.
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

/// The most steps the message names. A longer cycle is named by its first steps and a count;
/// its labels still give every edge (all of them in `lint --format json` and SARIF).
const NAMED_STEPS: usize = 20;

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    for cycle in context.graph.cycles() {
        let steps = &context.resolved.steps;
        let names: Vec<&str> = cycle.steps.iter().take(NAMED_STEPS).map(|step| steps[*step].id()).collect();
        let message = if cycle.steps.len() <= NAMED_STEPS {
            format!("dependency cycle: {} → {}", names.join(" → "), names[0])
        } else {
            format!(
                "dependency cycle of {} steps: {} → … {} more … → {}",
                cycle.steps.len(),
                names.join(" → "),
                cycle.steps.len() - NAMED_STEPS,
                names[0]
            )
        };
        let first = &steps[cycle.steps[0]];
        let mut diagnostic = Diagnostic::new(CUT005, first.step.id.span, message)
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
    fn a_long_cycle_is_named_by_its_first_steps_and_labels_every_edge() {
        use std::fmt::Write as _;
        let mut plan = String::from("steps:\n");
        for index in 0..30 {
            let before = (index + 29) % 30;
            let _ = writeln!(plan, "  - {{ id: s{index}, run: \"true\", rollback: \"true\", after: [s{before}] }}");
        }
        let diagnostics = diagnostics_of(&plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT005"]);
        let named: Vec<String> = (0..20).map(|index| format!("s{index}")).collect();
        assert_eq!(
            diagnostics[0].message,
            format!("dependency cycle of 30 steps: {} → … 10 more … → s0", named.join(" → "))
        );
        assert_eq!(diagnostics[0].secondary.len(), 30);
    }

    #[test]
    fn a_step_waiting_for_itself_is_a_cycle() {
        let plan = "steps:\n  - { id: a, run: \"true\", rollback: \"true\", after: [a] }\n";
        assert_eq!(codes_of(&diagnostics_of(plan, DTEN_MANIFEST, DTEN_INVENTORY)), ["CUT005"]);
    }
}
