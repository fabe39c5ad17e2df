//! CUT016 `deprecated-config-key`.
//!
//! ## What it does
//!
//! Flags a step that sets a config key whose row in the manifest's config matrix has
//! `deprecated_in` at or below the package version the plan installs, and which that version
//! has not removed yet (a removed key is CUT015).
//!
//! ## Why it matters
//!
//! The key still works, but the next upgrade removes it, and the setting this plan writes
//! becomes the problem of whoever runs that one.
//!
//! ## Example
//!
//! ```yaml
//! # manifest: dten.cache.legacy_size: { deprecated_in: 4.1.0, replaced_by: dten.cache.size }
//! - id: size-cache
//!   do: config.set
//!   with: { file: /etc/dten/dten.conf, key: dten.cache.legacy_size, value: 2G }
//! ```
//!
//! ## Fix
//!
//! Set the key that replaces it (`replaced_by`, named in the help) instead.

use crate::check::Context;
use crate::codes::CUT016;
use crate::diagnostic::Diagnostic;

use super::removed_config_key::{KeySet, keys_set};

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(manifest) = context.inputs.manifest else { return };
    for KeySet { step, argument, row, .. } in keys_set(context) {
        let (package, installed) = manifest.release_of(row);
        let Some(deprecated_in) = row.deprecated_in.as_ref().filter(|deprecated_in| deprecated_in.value <= *installed)
        else {
            continue;
        };
        if row.removed_in.as_ref().is_some_and(|removed_in| removed_in.value <= *installed) {
            continue;
        }
        let key = row.name.as_str();
        let help = match (&row.replaced_by, &row.removed_in) {
            (Some(replacement), _) => format!("use `{}` instead", replacement.value),
            (None, Some(removed_in)) => format!("stop setting it before {package} {} removes it", removed_in.value),
            (None, None) => "stop setting it before a later release removes it".to_owned(),
        };
        diagnostics.push(
            Diagnostic::new(
                CUT016,
                argument.span,
                format!("step `{}` sets `{key}`, which {package} {} deprecated", step.id(), deprecated_in.value),
            )
            .with_primary_label(format!("deprecated since {}", deprecated_in.value))
            .with_label(deprecated_in.span, format!("the config matrix deprecates `{key}` here"))
            .with_help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::codes::Severity;
    use crate::testing::{DTEN_CONFIG_MANIFEST, DTEN_INVENTORY, codes_of, rule_diagnostics};
    use crate::codes::CUT016;

    #[test]
    fn setting_a_deprecated_key_warns() {
        let plan = "steps:\n  - { id: size-cache, do: config.set, with: { file: /etc/dten.conf, key: dten.cache.legacy_size, value: 2G }, on: app }\n";
        let diagnostics = rule_diagnostics(CUT016, plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT016"]);
        assert_eq!(diagnostics[0].severity, Severity::Warning);
        assert_eq!(
            diagnostics[0].message,
            "step `size-cache` sets `dten.cache.legacy_size`, which dten 4.1.0 deprecated"
        );
        assert_eq!(diagnostics[0].help.as_deref(), Some("use `dten.cache.size` instead"));
    }

    #[test]
    fn a_removed_key_is_only_reported_as_removed() {
        let plan = "steps:\n  - { id: keep-fallback, do: config.set, with: { file: /etc/dten.conf, key: dten.legacy.fallback, value: \"true\" }, on: app }\n";
        // CUT015 reports it (removed_config_key.rs); this rule stays quiet about it.
        assert_eq!(codes_of(&rule_diagnostics(CUT016, plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY)), Vec::<&str>::new());
    }

    #[test]
    fn deprecated_only_in_a_later_release_is_fine() {
        let manifest = DTEN_CONFIG_MANIFEST.replace("deprecated_in: 4.1.0", "deprecated_in: 4.3.0");
        let plan = "steps:\n  - { id: size-cache, do: config.set, with: { file: /etc/dten.conf, key: dten.cache.legacy_size, value: 2G }, on: app }\n";
        assert_eq!(codes_of(&rule_diagnostics(CUT016, plan, &manifest, DTEN_INVENTORY)), Vec::<&str>::new());
    }
}
