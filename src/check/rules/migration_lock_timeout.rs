//! CUT033 `migration-lock-timeout`.
//!
//! ## What it does
//!
//! Flags a step that runs a migration (a `migration` argument) whose manifest `lock` is
//! `share` or stronger (`share`, `exclusive`, `access_exclusive`) when the step has no
//! argument named `lock_timeout`.
//!
//! ## Why it matters
//!
//! A migration that waits for a strong lock queues behind whatever holds the table (a long
//! report, a forgotten `psql` session), and every query after it queues behind the
//! migration: the database stops answering while the step looks merely slow. A lock timeout
//! makes the step fail fast instead, and a retry can try again.
//!
//! ## Example
//!
//! ```yaml
//! # manifest: { id: 0042_split_sessions, lock: access_exclusive }
//! - id: migrate-sessions
//!   do: migrate
//!   with: { id: 0042_split_sessions }
//! ```
//!
//! ## Fix
//!
//! Give the action a `lock_timeout: duration` parameter, pass it to the migration tool
//! (`--lock-timeout={lock_timeout.seconds}`), and set it on the step:
//! `with: { id: 0042_split_sessions, lock_timeout: 30s }`.

use crate::check::Context;
use crate::codes::CUT033;
use crate::diagnostic::Diagnostic;
use crate::model::LockMode;

/// The argument that bounds the wait for a lock.
const LOCK_TIMEOUT: &str = "lock_timeout";

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    for step in &context.resolved.steps {
        if step.arguments.contains_key(LOCK_TIMEOUT) {
            continue;
        }
        for (migration, argument) in &step.migrations {
            let lock = migration.lock.value;
            if lock < LockMode::Share {
                continue;
            }
            let takes_param =
                step.action.is_some_and(|action| action.params.iter().any(|param| param.name.value == LOCK_TIMEOUT));
            let help = match step.action {
                Some(action) if !takes_param => format!(
                    "give action `{}` a `lock_timeout: duration` parameter, pass it to the migration tool, and set it here (`lock_timeout: 30s`)",
                    action.name.value
                ),
                _ => "set `lock_timeout: 30s` (or what the table's traffic allows) under `with:`".to_owned(),
            };
            diagnostics.push(
                Diagnostic::new(
                    CUT033,
                    *argument,
                    format!(
                        "migration `{}` takes a `{}` lock and step `{}` sets no `lock_timeout`",
                        migration.id.value,
                        lock.as_str(),
                        step.id()
                    ),
                )
                .with_primary_label("may wait on the lock without limit")
                .with_label(migration.lock.span, format!("`{}` lock declared here", lock.as_str()))
                .with_help(help),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_CONFIG_MANIFEST, DTEN_INVENTORY, codes_of, rule_diagnostics};
    use crate::codes::CUT033;

    const ACTIONS: &str = "actions:\n  migrate:\n    params: { id: migration }\n    run: \"dtenctl migrate {id}\"\n    rollback: \"dtenctl migrate undo {id}\"\n  migrate-bounded:\n    params: { id: migration, lock_timeout: duration }\n    run: \"dtenctl migrate {id} --lock-timeout={lock_timeout.seconds}\"\n    rollback: \"dtenctl migrate undo {id}\"\n";

    #[test]
    fn a_share_lock_without_a_timeout() {
        let plan = format!("steps:\n  - {{ id: index, do: migrate, with: {{ id: 0043_session_index }} }}\n{ACTIONS}");
        let diagnostics = rule_diagnostics(CUT033, &plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT033"]);
        assert_eq!(
            diagnostics[0].message,
            "migration `0043_session_index` takes a `share` lock and step `index` sets no `lock_timeout`"
        );
        assert!(diagnostics[0].help.as_deref().is_some_and(|help| help.starts_with("give action `migrate`")));
    }

    #[test]
    fn weak_locks_and_bounded_waits_are_fine() {
        let plan = format!(
            "steps:\n  - {{ id: touch, do: migrate, with: {{ id: 0044_touch_rows }} }}\n  - {{ id: index, do: migrate-bounded, with: {{ id: 0043_session_index, lock_timeout: 30s }} }}\n{ACTIONS}"
        );
        assert_eq!(codes_of(&rule_diagnostics(CUT033, &plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY)), Vec::<&str>::new());
    }
}
