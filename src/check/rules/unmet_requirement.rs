//! CUT014 `unmet-requirement`.
//!
//! ## What it does
//!
//! After the plan, for every host where a component ends at the manifest's
//! version, checks each of its `requires`: met by the same host where that host has the
//! package, otherwise by every host of the inventory that has it (a shared database, say).
//! A requirement that nothing in the inventory provides is unmet too.
//!
//! ## Why it matters
//!
//! The new version starts, finds an old dependency, and fails in ways the
//! vendor never tested.
//!
//! ## Example
//!
//! Dten-core 4.2.0 requires `openssl: ">=3.0, <4"` and app-2 runs openssl 1.1.1.
//!
//! ## Fix
//!
//! Upgrade the dependency first (a step before the release), or leave the host out.

use std::collections::BTreeMap;

use crate::check::Context;
use crate::codes::CUT014;
use crate::diagnostic::Diagnostic;
use crate::graph::flow::Flow;
use crate::model::{Inventory, Requirement};
use crate::source::Span;

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let (Some(flow), Some(manifest), Some(inventory)) =
        (context.flow, context.inputs.manifest, context.inputs.inventory)
    else {
        return;
    };
    let hosts = every_host(inventory, flow);
    // (component, requirement) to the hosts where it fails, with what they have.
    let mut unmet: BTreeMap<(&str, &str), Vec<(String, Unmet)>> = BTreeMap::new();
    for (component_name, component) in &manifest.components {
        for host in &hosts {
            if flow.final_version(inventory, host, component_name).as_ref() != Some(&component.version.value) {
                continue;
            }
            for requirement in &component.requires {
                if let Some(problem) = check_requirement(requirement, host, &hosts, inventory, flow) {
                    unmet
                        .entry((component_name.as_str(), requirement.name.as_str()))
                        .or_default()
                        .push((host.clone(), problem));
                }
            }
        }
    }
    for ((component_name, required), failures) in unmet {
        let component = &manifest.components[component_name];
        let requirement =
            component.requires.iter().find(|requirement| requirement.name.value == required).expect("grouped from it");
        let primary = release_span(flow, component_name, &failures[0].0).unwrap_or(requirement.requirement.span);
        let found: Vec<String> = failures
            .iter()
            .map(|(host, unmet)| match unmet {
                Unmet::Found(version) => format!("{host} has {required} {version}"),
                Unmet::Nowhere => host.clone(),
            })
            .collect();
        let nowhere = failures.iter().all(|(_, unmet)| *unmet == Unmet::Nowhere);
        let message = if nowhere {
            format!(
                "{component_name} {} requires {required} {}, which no host of the inventory has",
                component.version.value, requirement.text
            )
        } else {
            format!(
                "{component_name} {} requires {required} {}, but {}",
                component.version.value,
                requirement.text,
                found.join(", ")
            )
        };
        diagnostics.push(
            Diagnostic::new(CUT014, primary, message)
                .with_primary_label(format!("{component_name} reaches {} here", component.version.value))
                .with_label(requirement.requirement.span, "required here")
                .with_help(if nowhere {
                    format!("add {required} to the inventory where it is installed, or install it before this step")
                } else {
                    format!("upgrade {required} to match `{}` in a step before this one", requirement.text)
                }),
        );
    }
}

/// Why a requirement is unmet for one host.
#[derive(Debug, PartialEq, Eq)]
enum Unmet {
    /// This version (on the host, or on the hosts that provide it) is outside the requirement.
    Found(semver::Version),
    /// No host of the inventory has the package.
    Nowhere,
}

/// `None` when the requirement is met for `host`.
fn check_requirement(
    requirement: &Requirement,
    host: &str,
    hosts: &[String],
    inventory: &Inventory,
    flow: &Flow,
) -> Option<Unmet> {
    let required = requirement.name.as_str();
    if let Some(version) = flow.final_version(inventory, host, required) {
        return (!requirement.requirement.value.matches(&version)).then_some(Unmet::Found(version));
    }
    let elsewhere: Vec<semver::Version> =
        hosts.iter().filter_map(|other| flow.final_version(inventory, other, required)).collect();
    if elsewhere.is_empty() {
        return Some(Unmet::Nowhere);
    }
    elsewhere.into_iter().find(|version| !requirement.requirement.value.matches(version)).map(Unmet::Found)
}

/// Every host of the inventory, then any host only the plan names (such as `local`).
pub(super) fn every_host(inventory: &Inventory, flow: &Flow) -> Vec<String> {
    let mut hosts: Vec<String> = inventory.hosts.keys().cloned().collect();
    for hop in &flow.hops {
        if !inventory.hosts.contains_key(&hop.host) && !hosts.contains(&hop.host) {
            hosts.push(hop.host.clone());
        }
    }
    hosts
}

/// The argument of the last release that took `component` on `host` to where it ends.
fn release_span(flow: &Flow, component: &str, host: &str) -> Option<Span> {
    flow.hops.iter().rev().find(|hop| hop.component == component && hop.host == host).map(|hop| hop.span)
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_MANIFEST, codes_of, rule_diagnostics};
    use crate::codes::CUT014;

    #[test]
    fn a_dependency_too_old_on_the_same_host() {
        let inventory = "groups: { app: [app-1] }\nhosts:\n  app-1: { installed: { dten-core: 4.1.0, openssl: 1.1.1 } }\n  db-1: { installed: { postgres: 14.11 } }\n";
        let plan = "upgrade: { dten-core: 4.2.0 }\nsteps:\n  - { id: up, do: install, with: { target: dten-core@4.2.0 }, on: app }\n";
        let diagnostics = rule_diagnostics(CUT014, plan, DTEN_MANIFEST, inventory);
        assert_eq!(codes_of(&diagnostics), ["CUT014"]);
        assert!(diagnostics[0].message.contains("app-1 has openssl 1.1.1"), "{}", diagnostics[0].message);
    }

    #[test]
    fn a_dependency_nowhere_in_the_inventory() {
        let inventory =
            "groups: { app: [app-1] }\nhosts:\n  app-1: { installed: { dten-core: 4.1.0, openssl: 3.0.13 } }\n";
        let plan = "upgrade: { dten-core: 4.2.0 }\nsteps:\n  - { id: up, do: install, with: { target: dten-core@4.2.0 }, on: app }\n";
        let diagnostics = rule_diagnostics(CUT014, plan, DTEN_MANIFEST, inventory);
        assert_eq!(codes_of(&diagnostics), ["CUT014"]);
        assert!(diagnostics[0].message.contains("which no host of the inventory has"), "{}", diagnostics[0].message);
    }
}
