//! CUT021 `goal-not-reached` (and CUT010/CUT011 for the goal itself).
//!
//! ## What it does
//!
//! Checks the plan's `upgrade:` goal: each component must be in the manifest
//! (CUT010) at a version it offers (CUT011), and every host of the inventory that has the
//! component must end the plan at that version (CUT021).
//!
//! ## Why it matters
//!
//! A host left behind is found weeks later, when the next upgrade assumes it
//! was upgraded.
//!
//! ## Example
//!
//! `upgrade: { dten-core: 4.2.0 }`, and the install step runs `on: app`, but db-1 runs
//! dten-core too.
//!
//! ## Fix
//!
//! Add a release step for the hosts left behind, or widen the step's group.

use crate::check::Context;
use crate::codes::{CUT001, CUT010, CUT011, CUT021};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::parse_version;

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(manifest) = context.inputs.manifest else { return };
    for (component_name, version_text) in &context.inputs.plan.upgrade {
        let Some(component) = manifest.components.get(component_name.as_str()) else {
            diagnostics.push(
                Diagnostic::new(CUT010, component_name.span, format!("unknown component `{}`", component_name.value))
                    .with_primary_label(format!("not a component of {}", manifest.package.value))
                    .with_optional_help(did_you_mean(
                        component_name.as_str(),
                        manifest.components.keys().map(String::as_str),
                    )),
            );
            continue;
        };
        let goal = match parse_version(&version_text.value) {
            Ok(goal) => goal,
            Err(message) => {
                diagnostics
                    .push(Diagnostic::new(CUT001, version_text.span, message).with_primary_label("not a version"));
                continue;
            }
        };
        if !component.offered_versions().any(|offered| offered.value == goal) {
            diagnostics.push(
                Diagnostic::new(
                    CUT011,
                    version_text.span,
                    format!("the manifest does not offer {} {goal}", component_name.value),
                )
                .with_primary_label("no such version in the manifest")
                .with_label(
                    component.version.span,
                    format!("{} is offered at {}", component_name.value, component.version.value),
                ),
            );
            continue;
        }
        let (Some(flow), Some(inventory)) = (context.flow, context.inputs.inventory) else { continue };
        let behind: Vec<String> = inventory
            .hosts
            .values()
            .filter(|host| host.installed.contains_key(component_name.as_str()))
            .filter_map(|host| {
                let ends = flow.final_version(inventory, &host.name.value, &component_name.value)?;
                (ends != goal).then(|| format!("{} ({ends})", host.name.value))
            })
            .collect();
        if behind.is_empty() {
            continue;
        }
        let mut diagnostic = Diagnostic::new(
            CUT021,
            version_text.span,
            format!("{} does not reach {goal} on {}", component_name.value, behind.join(", ")),
        )
        .with_primary_label("the goal")
        .with_help(format!(
            "add a step `do: …` with `{}@{goal}` on the hosts left behind, or widen the group of the existing one",
            component_name.value
        ));
        let first_host = behind[0].split(' ').next().unwrap_or_default();
        if let Some(installed) =
            inventory.hosts.get(first_host).and_then(|host| host.installed.get(component_name.as_str()))
        {
            diagnostic = diagnostic
                .with_label(installed.span, format!("{first_host} runs {} {}", component_name.value, installed.value));
        }
        diagnostics.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, codes_of, rule_diagnostics};
    use crate::codes::CUT021;

    #[test]
    fn a_host_left_behind() {
        let plan = "upgrade: { dten-core: 4.2.0 }\nsteps:\n  - { id: stop, do: install, with: { target: dten-core@4.0.3 }, on: app-1 }\n  - { id: up, do: install, with: { target: dten-core@4.2.0 }, on: app-1 }\n";
        let diagnostics = rule_diagnostics(CUT021, plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT021"]);
        assert_eq!(diagnostics[0].message, "dten-core does not reach 4.2.0 on app-2 (3.9.2)");
    }

    #[test]
    fn an_unknown_goal_component_and_version() {
        let plan = "upgrade: { dten-cor: 4.2.0, dten-agent: 9.9.9 }\n";
        let diagnostics = rule_diagnostics(CUT021, plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT010", "CUT011"]);
        assert_eq!(diagnostics[0].help.as_deref(), Some("did you mean `dten-core`?"));
    }
}
