//! CUT030 `missing-rollback`.
//!
//! ## What it does
//!
//! Flags a step that changes something (its action is not `readonly`) and says
//! neither how to undo it (`rollback`) nor that it cannot be undone (`irreversible: "why"`).
//!
//! ## Why it matters
//!
//! When a later step fails, cutover undoes every completed step in reverse; a
//! step without a rollback silently stays done.
//!
//! ## Example
//!
//! `- { id: warm-cache, run: ./scripts/warm-cache.sh }`
//!
//! ## Fix
//!
//! Add `rollback: ./scripts/drop-cache.sh`, or `irreversible: "why it cannot be undone"`,
//! or `readonly: true` if it changes nothing.

use crate::check::Context;
use crate::resolve::UndoPlan;
use crate::codes::CUT030;
use crate::diagnostic::Diagnostic;

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    for step in &context.resolved.steps {
        if step.readonly || !matches!(step.undo, UndoPlan::Missing) || step.run.is_none() {
            continue;
        }
        // A rollback that failed to parse was already reported; do not report it missing too.
        let has_written_undo =
            step.action.map_or(step.step.commands.undo.is_some(), |action| action.commands.undo.is_some());
        if has_written_undo {
            continue;
        }
        let mut diagnostic = Diagnostic::new(
            CUT030,
            step.step.id.span,
            format!("step `{}` changes something and has no rollback", step.id()),
        )
        .with_primary_label("neither `rollback` nor `irreversible`");
        diagnostic = match step.action {
            Some(action) => diagnostic
                .with_label(action.name.span, "the action is defined here without a rollback")
                .with_help(format!(
                    "add `rollback:` (or `irreversible: \"why\"`) to action `{}`, or `readonly: true` if it changes nothing",
                    action.name.value
                )),
            None => diagnostic.with_help(
                "add `rollback: COMMAND`, or `irreversible: \"why it cannot be undone\"`, or `readonly: true` if it changes nothing",
            ),
        };
        diagnostics.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, codes_of, rule_diagnostics};
    use crate::codes::CUT030;

    #[test]
    fn inline_and_action_steps_need_a_way_back() {
        let plan = "steps:\n  - { id: warm, run: ./warm.sh }\n  - { id: ro, run: ./look.sh, readonly: true }\n  - { id: gone, run: ./drop.sh, irreversible: \"drops the cache for good\" }\n  - { id: flag, do: no-undo }\nactions:\n  no-undo: { run: \"true\" }\n";
        let diagnostics = rule_diagnostics(CUT030, plan, DTEN_MANIFEST, DTEN_INVENTORY);
        // `gone` is irreversible with no snapshot before it: CUT031's business, not this rule's.
        assert_eq!(codes_of(&diagnostics), ["CUT030", "CUT030"]);
        let warm = &diagnostics[0];
        assert!(warm.message.contains("`warm`"), "{}", warm.message);
    }
}
