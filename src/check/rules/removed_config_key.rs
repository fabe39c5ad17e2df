//! CUT015 `removed-config-key`.
//!
//! ## What it does
//!
//! Flags a step that sets a config key (a `config_key` argument, like `key:` of `config.set`)
//! whose row in the manifest's config matrix has `removed_in` at or below the version the plan
//! installs: of the key's component (its `component:`, or the component its first dotted word
//! names), otherwise of the package.
//!
//! ## Why it matters
//!
//! The new version no longer reads the key: at best the setting is silently lost, at worst
//! the service refuses to start on a key it does not know, in the middle of the window.
//!
//! ## Example
//!
//! ```yaml
//! # manifest: dten.legacy.fallback: { removed_in: 4.2.0, replaced_by: dten.hybrid.enable }
//! - id: keep-fallback
//!   do: config.set
//!   with: { file: /etc/dten/dten.conf, key: dten.legacy.fallback, value: "true" }
//! ```
//!
//! ## Fix
//!
//! Set the key that replaces it (`replaced_by`, named in the help) instead, or drop the step;
//! where the file still holds the key, delete it with the prelude's `config.unset` (`file`,
//! `key`), which keeps every other byte and is rolled back with the file. A step whose action deletes the key (an action named `….unset`, `….delete`, `….remove` or
//! `….drop`) is not reported: removing a removed key is the right thing to do.

use crate::check::Context;
use crate::resolve::{Bound, ResolvedStep};
use crate::codes::CUT015;
use crate::diagnostic::Diagnostic;
use crate::model::{ConfigKey, ParamType};

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(manifest) = context.inputs.manifest else { return };
    for KeySet { step, argument, row, .. } in keys_set(context) {
        let (package, installed) = manifest.release_of(row);
        let Some(removed_in) = row.removed_in.as_ref().filter(|removed_in| removed_in.value <= *installed) else {
            continue;
        };
        let key = row.name.as_str();
        let unset = format!("; to delete it from the file, `do: config.unset` with `key: {key}`");
        let help = match (&row.replaced_by, &row.why) {
            (Some(replacement), _) => format!("use `{}` instead{unset}", replacement.value),
            (None, Some(why)) => format!("remove this setting: {}{unset}", why.value),
            (None, None) => format!("remove this setting: {package} {installed} no longer reads it{unset}"),
        };
        diagnostics.push(
            Diagnostic::new(
                CUT015,
                argument.span,
                format!("step `{}` sets `{key}`, which {package} {} removed", step.id(), removed_in.value),
            )
            .with_primary_label(format!("removed in {}", removed_in.value))
            .with_label(removed_in.span, format!("the config matrix removes `{key}` here"))
            .with_help(help),
        );
    }
}

/// A step that sets a key of the config matrix.
pub(super) struct KeySet<'c, 'm> {
    /// The step's index in [`crate::resolve::Resolved::steps`].
    pub index: usize,
    pub step: &'c ResolvedStep<'m>,
    /// The `config_key` argument.
    pub argument: &'c Bound,
    /// The key's row in the manifest's config matrix.
    pub row: &'m ConfigKey,
}

/// Every `config_key` argument of a step that changes something, with its row of the config
/// matrix, in step order. Keys the matrix does not list are left out (SPEC §1.3: they are
/// fine), and so are steps whose action deletes the key rather than setting it.
pub(super) fn keys_set<'c, 'm>(context: &Context<'c, 'm>) -> Vec<KeySet<'c, 'm>> {
    let Some(manifest) = context.inputs.manifest else { return Vec::new() };
    let mut found = Vec::new();
    for (index, step) in context.resolved.steps.iter().enumerate() {
        if step.readonly || step.action.is_some_and(|action| deletes_keys(action.name.as_str())) {
            continue;
        }
        for argument in step.arguments.values().filter(|argument| argument.kind == ParamType::ConfigKey) {
            if let Some(row) = manifest.config.get(&argument.text) {
                found.push(KeySet { index, step, argument, row });
            }
        }
    }
    found
}

/// Whether an action's name says it deletes a key (`config.unset`, `ini-delete`), judged by
/// its last word.
fn deletes_keys(action: &str) -> bool {
    let last_word = action.rsplit(['.', '-', '_']).next().unwrap_or(action);
    matches!(last_word, "unset" | "delete" | "remove" | "drop")
}

#[cfg(test)]
mod tests {
    use super::deletes_keys;
    use crate::testing::{DTEN_CONFIG_MANIFEST, DTEN_INVENTORY, codes_of, rule_diagnostics};
    use crate::codes::CUT015;

    const UNSET: &str = "actions:\n  config.unset:\n    params: { file: path, key: config_key }\n    run: \"sed -i /^{key}/d {file}\"\n    rollback: \"true\"\n";

    #[test]
    fn setting_a_removed_key() {
        let plan = "steps:\n  - { id: keep-fallback, do: config.set, with: { file: /etc/dten.conf, key: dten.legacy.fallback, value: \"true\" }, on: app }\n";
        let diagnostics = rule_diagnostics(CUT015, plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT015"]);
        assert_eq!(
            diagnostics[0].message,
            "step `keep-fallback` sets `dten.legacy.fallback`, which dten 4.2.0 removed"
        );
        assert_eq!(diagnostics[0].help.as_deref(), Some(
                "use `dten.hybrid.enable` instead; to delete it from the file, `do: config.unset` with `key: \
                 dten.legacy.fallback`"
            ));
        assert_eq!(diagnostics[0].secondary.len(), 1);
    }

    #[test]
    fn deleting_a_removed_key_and_setting_a_current_one_are_fine() {
        let plan = format!(
            "steps:\n  - {{ id: drop, do: config.unset, with: {{ file: /etc/dten.conf, key: dten.legacy.fallback }}, on: app }}\n  - {{ id: set, do: config.set, with: {{ file: /etc/dten.conf, key: dten.hybrid.enable, value: \"true\" }}, on: app }}\n  - {{ id: other, do: config.set, with: {{ file: /etc/dten.conf, key: not.in.matrix, value: x }}, on: app }}\n{UNSET}"
        );
        assert_eq!(codes_of(&rule_diagnostics(CUT015, &plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY)), Vec::<&str>::new());
    }

    #[test]
    fn delete_actions_are_known_by_their_last_word() {
        assert!(deletes_keys("config.unset"));
        assert!(deletes_keys("ini-delete"));
        assert!(!deletes_keys("config.set"));
        assert!(!deletes_keys("undelete.key"));
    }
}
