//! CUT018 `renamed-unit`.
//!
//! ## What it does
//!
//! Flags a `unit` argument that names a unit by the old name of a component's
//! `renamed_units`, in a step that runs (in the graph) after a step installing the
//! component's manifest version, the version that renames it, on one of the same hosts.
//! The same name before the install is right: the old version still ships the old unit.
//!
//! ## Why it matters
//!
//! After the install the old unit no longer exists: `systemctl stop dten.service` fails,
//! or worse, `systemctl start` of an alias left behind starts nothing, and the step after it
//! waits on a service that never comes up.
//!
//! ## Example
//!
//! ```yaml
//! # manifest: renamed_units: { dten.service: dten-core.service }
//! - { id: install-core, do: install, with: { target: dten-core@4.2.0 }, on: app }
//! - id: start-core
//!   do: service.start
//!   with: { unit: dten.service }
//!   on: app
//!   after: [install-core]
//! ```
//!
//! ## Fix
//!
//! Use the new name (`dten-core.service`) in steps after the install, and keep the old name
//! only in steps before it.

use crate::check::Context;
use crate::codes::CUT018;
use crate::diagnostic::Diagnostic;
use crate::model::ParamType;

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(manifest) = context.inputs.manifest else { return };
    let steps = &context.resolved.steps;
    for (index, step) in steps.iter().enumerate() {
        for argument in step.arguments.values().filter(|argument| argument.kind == ParamType::Unit) {
            for component in manifest.components.values() {
                let Some((old, new)) = component.renamed_units.iter().find(|(old, _)| old.value == argument.text)
                else {
                    continue;
                };
                // The first release of the renaming version that runs before this step on one
                // of its hosts.
                let renaming = steps.iter().enumerate().find_map(|(release_index, release_step)| {
                    let release = release_step.releases.iter().find(|release| {
                        release.component == component.name.value && release.version == component.version.value
                    })?;
                    let shares_a_host = release_step.hosts.iter().any(|host| step.hosts.contains(host));
                    (shares_a_host && context.runs_before(release_index, index)).then_some((release_step, release))
                });
                let Some((release_step, release)) = renaming else { continue };
                diagnostics.push(
                    Diagnostic::new(
                        CUT018,
                        argument.span,
                        format!(
                            "`{}` no longer exists after `{}`: {} {} renamed it to `{}`",
                            old.value,
                            release_step.id(),
                            component.name.value,
                            component.version.value,
                            new.value
                        ),
                    )
                    .with_primary_label("the old name")
                    .with_label(release.span, "the unit was renamed by this release")
                    .with_label(old.span, format!("renamed to `{}` here", new.value))
                    .with_help(format!("use `{}`", new.value)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_CONFIG_MANIFEST, DTEN_INVENTORY, codes_of, rule_diagnostics};
    use crate::codes::CUT018;

    const INSTALL: &str = "  - { id: install-core, do: install, with: { target: dten-core@4.2.0 }, on: app }\n";

    #[test]
    fn the_old_name_after_the_install() {
        let plan = format!(
            "steps:\n{INSTALL}  - {{ id: stop-core, do: service.stop, with: {{ unit: dten.service }}, on: app, after: [install-core] }}\n"
        );
        let diagnostics = rule_diagnostics(CUT018, &plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT018"]);
        assert_eq!(
            diagnostics[0].message,
            "`dten.service` no longer exists after `install-core`: dten-core 4.2.0 renamed it to `dten-core.service`"
        );
        assert_eq!(diagnostics[0].help.as_deref(), Some("use `dten-core.service`"));
        assert_eq!(diagnostics[0].secondary.len(), 2);
    }

    #[test]
    fn the_old_name_before_the_install_is_right() {
        let plan = format!(
            "steps:\n  - {{ id: stop-core, do: service.stop, with: {{ unit: dten.service }}, on: app }}\n{}",
            INSTALL.replace(" }\n", ", after: [stop-core] }\n")
        );
        assert_eq!(codes_of(&rule_diagnostics(CUT018, &plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY)), Vec::<&str>::new());
    }

    #[test]
    fn hosts_that_did_not_get_the_release_keep_the_old_name() {
        // A canary: app-1 gets 4.2.0 first, app-2 still runs dten.service afterwards.
        let plan = "steps:\n  - { id: canary, do: install, with: { target: dten-core@4.2.0 }, on: app-1 }\n  - { id: stop-rest, do: service.stop, with: { unit: dten.service }, on: app-2, after: [canary] }\n  - { id: rest, do: install, with: { target: dten-core@4.2.0 }, on: app-2, after: [stop-rest] }\n";
        assert_eq!(codes_of(&rule_diagnostics(CUT018, plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY)), Vec::<&str>::new());
    }
}
