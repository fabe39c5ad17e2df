//! CUT031 `irreversible-without-snapshot`.
//!
//! ## What it does
//!
//! Flags a step that cannot be undone (it is `irreversible: "why"`, or it runs a migration
//! that the manifest marks `reversible: false`) when no step with the `snapshot` effect runs
//! before it in the graph. A snapshot step that nothing orders before it is pointed at.
//!
//! ## Why it matters
//!
//! When a later step fails, cutover rolls back everything it can, but an irreversible step
//! stays done: without a snapshot taken before it, there is no way back to the state the
//! plan started from, only forward under pressure.
//!
//! ## Example
//!
//! ```yaml
//! - id: migrate-sessions
//!   do: migrate          # irreversible: dten migrations are forward-only
//!   with: { id: 0042_split_sessions, lock_timeout: 30s }
//! ```
//!
//! ## Fix
//!
//! Take a snapshot first (`file.backup`, a database dump with `effects: [snapshot]`) and put
//! it in the irreversible step's `after`.

use crate::check::Context;
use crate::resolve::{ResolvedStep, UndoPlan};
use crate::codes::CUT031;
use crate::diagnostic::Diagnostic;
use crate::model::{Effect, Phase, Undo};

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let steps = &context.resolved.steps;
    let snapshots: Vec<usize> =
        (0..steps.len()).filter(|&index| steps[index].effects.contains(&Effect::Snapshot)).collect();
    for (index, step) in steps.iter().enumerate() {
        if step.readonly || step.step.phase == Phase::Preflight {
            continue;
        }
        let irreversible = matches!(step.undo, UndoPlan::Irreversible(_));
        let one_way_migration = step.migrations.iter().find(|(migration, _)| !migration.reversible);
        if !irreversible && one_way_migration.is_none() {
            continue;
        }
        if snapshots.iter().any(|&snapshot| context.runs_before(snapshot, index)) {
            continue;
        }
        let mut diagnostic = Diagnostic::new(
            CUT031,
            step.step.id.span,
            format!("step `{}` cannot be undone and no snapshot is taken before it", step.id()),
        )
        .with_primary_label("cannot be undone");
        if let Some(span) = irreversible_span(step).filter(|_| irreversible) {
            diagnostic = diagnostic.with_label(span, "declared irreversible here");
        }
        if let Some((migration, argument)) = one_way_migration {
            diagnostic = diagnostic
                .with_label(*argument, format!("runs migration `{}`", migration.id.value))
                .with_label(migration.id.span, "the manifest marks this migration `reversible: false`");
        }
        // Snapshots that may run before it, but that nothing makes run before it.
        let unordered: Vec<&ResolvedStep<'_>> = snapshots
            .iter()
            .filter(|&&snapshot| snapshot != index && !context.runs_before(index, snapshot))
            .map(|&snapshot| &steps[snapshot])
            .collect();
        for snapshot in &unordered {
            diagnostic = diagnostic.with_label(
                snapshot.step.id.span,
                format!("takes a snapshot, but `{}` does not wait for it", step.id()),
            );
        }
        diagnostic = diagnostic.with_help(match unordered.first() {
            Some(snapshot) => format!("add `{}` to the `after` of `{}`", snapshot.id(), step.id()),
            None => format!(
                "add a step with effect `snapshot` (`file.backup`, a database dump) and list it in the `after` of `{}`",
                step.id()
            ),
        });
        diagnostics.push(diagnostic);
    }
}

/// Where `irreversible:` is written: on the action the step calls, or on the step itself.
fn irreversible_span(step: &ResolvedStep<'_>) -> Option<crate::source::Span> {
    let undo = step.action.map_or(step.step.commands.undo.as_ref(), |action| action.commands.undo.as_ref());
    match undo {
        Some(Undo::Irreversible(reason)) => Some(reason.span),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_CONFIG_MANIFEST, DTEN_INVENTORY, codes_of, rule_diagnostics};
    use crate::codes::CUT031;

    const MIGRATE: &str = "actions:\n  migrate:\n    params: { id: migration, lock_timeout: duration }\n    run: \"dtenctl migrate {id} {lock_timeout}\"\n    rollback: \"dtenctl migrate undo {id}\"\n";

    #[test]
    fn an_irreversible_inline_step_without_a_snapshot() {
        let plan = "steps:\n  - { id: drop-cache, run: ./drop.sh, irreversible: \"the cache is gone\" }\n";
        let diagnostics = rule_diagnostics(CUT031, plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT031"]);
        assert_eq!(diagnostics[0].message, "step `drop-cache` cannot be undone and no snapshot is taken before it");
    }

    #[test]
    fn a_one_way_migration_even_with_a_rollback() {
        let plan = format!(
            "steps:\n  - {{ id: backup, do: file.backup, with: {{ path: /var/lib/dten }} }}\n  - {{ id: migrate, do: migrate, with: {{ id: 0042_split_sessions, lock_timeout: 30s }} }}\n{MIGRATE}"
        );
        let diagnostics = rule_diagnostics(CUT031, &plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT031"]);
        assert_eq!(diagnostics[0].help.as_deref(), Some("add `backup` to the `after` of `migrate`"));
    }

    #[test]
    fn a_snapshot_before_it_is_fine() {
        let plan = format!(
            "steps:\n  - {{ id: backup, do: file.backup, with: {{ path: /var/lib/dten }} }}\n  - {{ id: migrate, do: migrate, with: {{ id: 0042_split_sessions, lock_timeout: 30s }}, after: [backup] }}\n  - {{ id: reindex, do: migrate, with: {{ id: 0044_touch_rows, lock_timeout: 30s }} }}\n{MIGRATE}"
        );
        assert_eq!(codes_of(&rule_diagnostics(CUT031, &plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY)), Vec::<&str>::new());
    }
}
