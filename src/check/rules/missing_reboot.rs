//! CUT019 `missing-reboot`.
//!
//! ## What it does
//!
//! For a component whose manifest says `reboot: required` (an error) or
//! `reboot: recommended` (a warning), flags each step that installs the component's manifest
//! version on hosts where no reboot follows: no step that calls the `reboot` action, or has
//! the `reboot` effect, runs after it (in the graph) on that host. Hosts that already have
//! the version need no reboot and are left out.
//!
//! ## Why it matters
//!
//! A new kernel module, a raised system limit or a replaced library only takes effect at the
//! next boot: until then the host runs a mix of old and new, a state nobody tested, and the
//! next unplanned reboot changes behaviour long after the window closed.
//!
//! ## Example
//!
//! ```yaml
//! # manifest: dten-kmod: { version: 4.2.0, reboot: required }
//! steps:
//!   - { id: install-kmod, do: install, with: { target: dten-kmod@4.2.0 }, on: app }
//! ```
//!
//! ## Fix
//!
//! Add a reboot after the install, one host at a time if the service must stay up:
//! `- { id: reboot-app, do: reboot, on: app, serial: 1, after: [install-kmod] }`.

use crate::check::Context;
use crate::resolve::ResolvedStep;
use crate::codes::{CUT019, Severity};
use crate::diagnostic::Diagnostic;
use crate::graph::flow::Verdict;
use crate::model::{Effect, Reboot};

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(manifest) = context.inputs.manifest else { return };
    let steps = &context.resolved.steps;
    for component in manifest.components.values() {
        let (severity, verb) = match component.reboot.value {
            Reboot::None => continue,
            Reboot::Recommended => (Severity::Warning, "recommends"),
            Reboot::Required => (Severity::Error, "requires"),
        };
        let name = component.name.as_str();
        let version = &component.version.value;
        for (index, step) in steps.iter().enumerate() {
            let Some(release) =
                step.releases.iter().find(|release| release.component == name && &release.version == version)
            else {
                continue;
            };
            let already_there = |host: &str| {
                context.flow.is_some_and(|flow| {
                    flow.hops_of(index, host).any(|hop| hop.component == name && hop.verdict == Verdict::AlreadyThere)
                })
            };
            let rebooted = |host: &str| {
                steps.iter().enumerate().any(|(later, reboot)| {
                    reboots(reboot) && reboot.hosts.iter().any(|name| name == host) && context.runs_before(index, later)
                })
            };
            let unrebooted: Vec<&str> =
                step.hosts.iter().map(String::as_str).filter(|host| !already_there(host) && !rebooted(host)).collect();
            if unrebooted.is_empty() {
                continue;
            }
            let hosts = unrebooted.join(", ");
            diagnostics.push(
                Diagnostic::new(
                    CUT019,
                    release.span,
                    format!("{name} {version} {verb} a reboot, and no step reboots {hosts} after `{}`", step.id()),
                )
                .with_severity(severity)
                .with_primary_label("installed here")
                .with_label(component.reboot.span, format!("the manifest {verb} a reboot here"))
                .with_help(format!("add a step `do: reboot` on {hosts} with `after: [{}]`", step.id())),
            );
        }
    }
}

/// Whether a step reboots its hosts: it calls the `reboot` action or declares the effect.
fn reboots(step: &ResolvedStep<'_>) -> bool {
    step.effects.contains(&Effect::Reboot) || step.action.is_some_and(|action| action.name.value == "reboot")
}

#[cfg(test)]
mod tests {
    use crate::codes::Severity;
    use crate::testing::{DTEN_CONFIG_MANIFEST, DTEN_INVENTORY, codes_of, rule_diagnostics};
    use crate::codes::CUT019;

    #[test]
    fn a_required_reboot_that_never_happens() {
        let plan = "steps:\n  - { id: install-kmod, do: install, with: { target: dten-kmod@4.2.0 }, on: app }\n";
        let diagnostics = rule_diagnostics(CUT019, plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT019"]);
        assert_eq!(diagnostics[0].severity, Severity::Error);
        assert_eq!(
            diagnostics[0].message,
            "dten-kmod 4.2.0 requires a reboot, and no step reboots app-1, app-2 after `install-kmod`"
        );
    }

    #[test]
    fn a_recommended_reboot_warns_for_the_hosts_left_out() {
        let plan = "steps:\n  - { id: install-tools, do: install, with: { target: dten-tools@4.2.0 }, on: app }\n  - { id: reboot-one, do: reboot, on: app-1, after: [install-tools] }\n";
        let diagnostics = rule_diagnostics(CUT019, plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT019"]);
        assert_eq!(diagnostics[0].severity, Severity::Warning);
        assert!(diagnostics[0].message.contains("no step reboots app-2 after"), "{}", diagnostics[0].message);
    }

    #[test]
    fn a_reboot_after_the_install_is_fine_and_one_before_is_not() {
        let after = "steps:\n  - { id: install-kmod, do: install, with: { target: dten-kmod@4.2.0 }, on: app }\n  - { id: reboot-app, do: reboot, on: app, serial: 1, after: [install-kmod] }\n";
        assert_eq!(codes_of(&rule_diagnostics(CUT019, after, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY)), Vec::<&str>::new());
        let before = "steps:\n  - { id: reboot-app, do: reboot, on: app }\n  - { id: install-kmod, do: install, with: { target: dten-kmod@4.2.0 }, on: app, after: [reboot-app] }\n";
        assert_eq!(codes_of(&rule_diagnostics(CUT019, before, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY)), ["CUT019"]);
    }
}
