//! CUT022 `unmet-during-rollout`.
//!
//! ## What it does
//!
//! Walks the schedule (steps in the graph's order, a rolling step batch by batch) and checks
//! every state the fleet passes through: after each batch, each component a host has at the
//! manifest's version must meet its `requires` (on the same host where the host has the
//! package, otherwise on every host of the inventory that has it, as CUT014 reads them), and
//! every `skew:` rule of the manifest must hold, in every state including before and after the
//! plan:
//!
//! - `{ component: A, at_most: B }`: A is never newer than B (the whole version compared);
//! - `{ component: A, behind: B, max_minor: N }`: A is never newer than B, has B's major, and
//!   is at most N minor versions older.
//!
//! A skew rule compares A with B on the same host where that host has both, otherwise with
//! every host that has B; where no host has B it says nothing. Versions are what is installed:
//! a stopped service still counts as installed, so stopping a unit does not mend a state.
//!
//! The diagnostic names the first state that breaks a rule, the step and batch that lead to
//! it, and the later step that mends it. A requirement still unmet after the whole plan is
//! CUT014's, not this rule's. The first state is the fleet before the plan: a host upgraded
//! ahead of the others by hand (a canary on the new release while its database is still old)
//! breaks it there, and the diagnostic says no order of the plan's steps avoids that.
//!
//! ## Why it matters
//!
//! A rolling upgrade spends most of its window between the old fleet and the new one. An agent
//! upgraded before its core, or a node that talks to a server two minors away, fails in the
//! middle of the rollout even though the end state is fine: exactly when half the fleet is
//! already changed and rolling back is hardest.
//!
//! ## Example
//!
//! The manifest says `{ component: dten-agent, at_most: dten-core }` and the plan upgrades
//! dten-agent to 4.2.0 on the app hosts before dten-core: after the agent step, app-1 runs
//! dten-agent 4.2.0 beside dten-core 4.0.3.
//!
//! ## Fix
//!
//! Reorder the steps (`after:`) so that what the rule measures against is upgraded first, or
//! upgrade both in one step per host.

use std::collections::{BTreeMap, BTreeSet};

use semver::Version;

use crate::check::Context;
use crate::codes::CUT022;
use crate::diagnostic::Diagnostic;
use crate::graph::schedule::host_batches;
use crate::model::{Inventory, Manifest};
use crate::source::Span;

use super::unmet_requirement::every_host;

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let (Some(flow), Some(order), Some(manifest), Some(inventory)) =
        (context.flow, context.order, context.inputs.manifest, context.inputs.inventory)
    else {
        return;
    };
    let watched = watched_components(manifest);
    if watched.is_empty() || (manifest.skew.is_empty() && flow.hops.is_empty()) {
        return;
    }
    let hosts = every_host(inventory, flow);
    let mut fleet = Fleet::new(&hosts, inventory, &watched);
    // Each state after the first: the step and batch that led to it.
    let mut states: Vec<Option<Moment>> = vec![None];
    let mut broken: Vec<BTreeMap<Rule, Vec<Finding>>> = vec![fleet.broken(manifest)];
    for &step_index in order {
        let step = &context.resolved.steps[step_index];
        if step.releases.is_empty() {
            continue;
        }
        let batches = host_batches(step);
        for (batch, batch_hosts) in batches.iter().enumerate() {
            let mut changed = false;
            let mut span = None;
            for host in *batch_hosts {
                for hop in flow.hops_of(step_index, host) {
                    span.get_or_insert(hop.span);
                    changed |= fleet.set(host, &hop.component, &hop.to);
                }
            }
            if !changed {
                continue;
            }
            let span = span.expect("a changed batch has a hop");
            states.push(Some(Moment { step: step.id().to_owned(), batch: batch + 1, batches: batches.len(), span }));
            broken.push(fleet.broken(manifest));
        }
    }
    let last = broken.len() - 1;
    let mut reported = BTreeSet::new();
    for (position, state) in broken.iter().enumerate() {
        for (rule, findings) in state {
            if !reported.insert(*rule) {
                continue;
            }
            // A requirement unmet at the end is CUT014's; a skew rule is this rule's in every state.
            if matches!(rule, Rule::Requires { .. }) && broken[last].contains_key(rule) {
                continue;
            }
            let mended = (position + 1..=last).find(|later| !broken[*later].contains_key(rule));
            diagnostics.push(diagnostic(manifest, *rule, findings, states[position].as_ref(), mended.map(|later| {
                states[later].as_ref().expect("a later state has its moment")
            })));
        }
    }
}

/// The step and batch after which a state holds.
struct Moment {
    step: String,
    batch: usize,
    batches: usize,
    /// The release argument of the step, for the label.
    span: Span,
}

impl Moment {
    fn describe(&self) -> String {
        if self.batches == 1 {
            format!("`{}`", self.step)
        } else {
            format!("batch {} of {} of `{}`", self.batch, self.batches, self.step)
        }
    }
}

/// A rule of the manifest: a requirement of a component, or a skew rule by position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rule {
    Requires { component: usize, requirement: usize },
    Skew(usize),
}

/// One host on which a rule is broken, in words: "app-1 has dten-core 4.0.3".
#[derive(Debug)]
struct Finding {
    text: String,
}

/// The components whose versions the rules read: those with `requires`, what they require, and
/// both sides of every skew rule.
fn watched_components(manifest: &Manifest) -> BTreeSet<&str> {
    let mut watched = BTreeSet::new();
    for (name, component) in &manifest.components {
        if !component.requires.is_empty() {
            watched.insert(name.as_str());
            watched.extend(component.requires.iter().map(|requirement| requirement.name.as_str()));
        }
    }
    for rule in &manifest.skew {
        watched.insert(rule.component.as_str());
        watched.insert(rule.other().as_str());
    }
    watched
}

/// What every host has of the watched components in one state, and the distinct versions of
/// each across the fleet (with the host that has each first), for the fleet-wide readings.
struct Fleet<'a> {
    hosts: &'a [String],
    watched: &'a BTreeSet<&'a str>,
    /// Host position to component to version.
    installed: Vec<BTreeMap<&'a str, Version>>,
    /// Component to version to how many hosts have it.
    versions: BTreeMap<&'a str, BTreeMap<Version, usize>>,
}

impl<'a> Fleet<'a> {
    fn new(hosts: &'a [String], inventory: &Inventory, watched: &'a BTreeSet<&'a str>) -> Self {
        let mut fleet = Self { hosts, watched, installed: vec![BTreeMap::new(); hosts.len()], versions: BTreeMap::new() };
        for (position, host) in hosts.iter().enumerate() {
            let Some(entry) = inventory.hosts.get(host) else { continue };
            for (component, version) in &entry.installed {
                if let Some(&name) = watched.get(component.as_str()) {
                    fleet.installed[position].insert(name, version.value.clone());
                    *fleet.versions.entry(name).or_default().entry(version.value.clone()).or_default() += 1;
                }
            }
        }
        fleet
    }

    /// Moves `host` to `version` of `component`; whether that changed a watched version.
    fn set(&mut self, host: &str, component: &str, version: &Version) -> bool {
        let Some(&name) = self.watched.get(component) else { return false };
        let Some(position) = self.hosts.iter().position(|candidate| candidate == host) else { return false };
        let previous = self.installed[position].insert(name, version.clone());
        if previous.as_ref() == Some(version) {
            return false;
        }
        let counts = self.versions.entry(name).or_default();
        if let Some(previous) = previous
            && let Some(count) = counts.get_mut(&previous)
        {
            *count -= 1;
            if *count == 0 {
                counts.remove(&previous);
            }
        }
        *counts.entry(version.clone()).or_default() += 1;
        true
    }

    /// A host that has `version` of `component`, for messages.
    fn host_with(&self, component: &str, version: &Version) -> &str {
        self.hosts
            .iter()
            .zip(&self.installed)
            .find(|(_, installed)| installed.get(component) == Some(version))
            .map_or("", |(host, _)| host.as_str())
    }

    /// Every rule broken in this state, with the hosts where it is.
    fn broken(&self, manifest: &Manifest) -> BTreeMap<Rule, Vec<Finding>> {
        let mut broken: BTreeMap<Rule, Vec<Finding>> = BTreeMap::new();
        for (host, installed) in self.hosts.iter().zip(&self.installed) {
            for (component_position, (name, component)) in manifest.components.iter().enumerate() {
                if component.requires.is_empty() || installed.get(name.as_str()) != Some(&component.version.value) {
                    continue;
                }
                for (requirement_position, requirement) in component.requires.iter().enumerate() {
                    let required = requirement.name.as_str();
                    let wanted = &requirement.requirement.value;
                    let text = if let Some(version) = installed.get(required) {
                        (!wanted.matches(version)).then(|| format!("{host} has {required} {version}"))
                    } else {
                        match self.versions.get(required).filter(|versions| !versions.is_empty()) {
                            None => Some(format!("no host has {required} for {host}")),
                            Some(versions) => versions.keys().find(|version| !wanted.matches(version)).map(|version| {
                                format!("{host} reads {required} {version} on {}", self.host_with(required, version))
                            }),
                        }
                    };
                    if let Some(text) = text {
                        let rule = Rule::Requires { component: component_position, requirement: requirement_position };
                        broken.entry(rule).or_default().push(Finding { text });
                    }
                }
            }
            for (position, rule) in manifest.skew.iter().enumerate() {
                let Some(version) = installed.get(rule.component.as_str()) else { continue };
                let other = rule.other().as_str();
                let text = if let Some(theirs) = installed.get(other) {
                    (!rule.allows(version, theirs))
                        .then(|| format!("{host} has {} {version} beside {other} {theirs}", rule.component.value))
                } else {
                    self.versions.get(other).and_then(|versions| {
                        versions.keys().find(|theirs| !rule.allows(version, theirs)).map(|theirs| {
                            format!(
                                "{host} has {} {version} and {} has {other} {theirs}",
                                rule.component.value,
                                self.host_with(other, theirs)
                            )
                        })
                    })
                };
                if let Some(text) = text {
                    broken.entry(Rule::Skew(position)).or_default().push(Finding { text });
                }
            }
        }
        broken
    }
}

/// How many hosts a message names before it says "and N more".
const NAMED: usize = 3;

fn diagnostic(
    manifest: &Manifest,
    rule: Rule,
    findings: &[Finding],
    moment: Option<&Moment>,
    mended: Option<&Moment>,
) -> Diagnostic {
    let mut found: Vec<&str> = findings.iter().take(NAMED).map(|finding| finding.text.as_str()).collect();
    let more = findings.len().saturating_sub(NAMED);
    let more_text = format!("{more} more");
    if more > 0 {
        found.push(&more_text);
    }
    let found = found.join(", ");
    let when = moment.map_or_else(|| "before the plan".to_owned(), |moment| format!("after {}", moment.describe()));
    let (what, rule_span, help) = match rule {
        Rule::Requires { component, requirement } => {
            let (name, component) = manifest.components.get_index(component).expect("a component of this manifest");
            let requirement = &component.requires[requirement];
            (
                format!("{name} {} requires {} {}", component.version.value, requirement.name.value, requirement.text),
                requirement.requirement.span,
                format!(
                    "upgrade {} in a step before the one that brings {name} to {} (`after:`), or both in one step",
                    requirement.name.value, component.version.value
                ),
            )
        }
        Rule::Skew(position) => {
            let skew = &manifest.skew[position];
            (
                skew.describe(),
                skew.span,
                format!(
                    "upgrade {} before {} (`after:`), or both in one step on each host",
                    skew.other().value,
                    skew.component.value
                ),
            )
        }
    };
    let ending = match mended {
        Some(mended) => format!("; {} mends it", mended.describe()),
        None => "; nothing later in the plan mends it".to_owned(),
    };
    // Broken before the plan: no order of this plan's steps helps, the fleet starts that way.
    let help = if moment.is_none() {
        let first = match rule {
            Rule::Requires { component, requirement } => {
                let (_, component) = manifest.components.get_index(component).expect("a component of this manifest");
                component.requires[requirement].name.value.clone()
            }
            Rule::Skew(position) => manifest.skew[position].other().value.clone(),
        };
        format!(
            "the fleet starts this way, so no order of these steps avoids it: upgrade {first} in a plan run \
             before this one, or check that the inventory is what the hosts run (`cutover gather`)"
        )
    } else {
        help
    };
    let message = format!("during the rollout, {what}, but {when} {found}{ending}");
    let mut diagnostic = match moment {
        Some(moment) => Diagnostic::new(CUT022, moment.span, message)
            .with_primary_label(format!("{} leaves the fleet here", moment.describe()))
            .with_label(rule_span, "the rule"),
        None => Diagnostic::new(CUT022, rule_span, message).with_primary_label("broken before the plan starts"),
    };
    if let Some(mended) = mended {
        diagnostic = diagnostic.with_label(mended.span, format!("mended after {}", mended.describe()));
    }
    diagnostic.with_help(help)
}

#[cfg(test)]
mod tests {
    use crate::codes::CUT022;
    use crate::testing::{DTEN_MANIFEST, codes_of, rule_diagnostics};

    const SKEWED: &str = "skew:\n  - { component: dten-agent, at_most: dten-core }\n";

    fn manifest_with(extra: &str) -> String {
        format!("{DTEN_MANIFEST}{extra}")
    }

    #[test]
    fn an_agent_before_its_core_breaks_the_middle_only() {
        let inventory = "groups: { app: [app-1, app-2] }\nhosts:\n  app-1: { installed: { dten-core: 4.1.0, dten-agent: 4.1.0, openssl: 3.0.13 } }\n  app-2: { installed: { dten-core: 4.1.0, dten-agent: 4.1.0, openssl: 3.0.13 } }\n  db-1: { installed: { postgres: 14.11 } }\n";
        // The agent's own requirement would order it after the core: a rule-only manifest.
        let manifest = manifest_with(SKEWED).replace("requires: { dten-core: \"^4.2\" }", "requires: {}");
        let plan = "upgrade: { dten-core: 4.2.0, dten-agent: 4.2.0 }\nsteps:\n  - { id: agent, do: install, with: { target: dten-agent@4.2.0 }, on: app }\n  - { id: core, do: install, with: { target: dten-core@4.2.0 }, on: app, serial: 1, after: [agent] }\n";
        let diagnostics = rule_diagnostics(CUT022, plan, &manifest, inventory);
        assert_eq!(codes_of(&diagnostics), ["CUT022"], "{diagnostics:#?}");
        let message = &diagnostics[0].message;
        assert!(message.contains("after `agent` app-1 has dten-agent 4.2.0 beside dten-core 4.1.0"), "{message}");
        assert!(message.contains("batch 2 of 2 of `core` mends it"), "{message}");
    }

    #[test]
    fn the_right_order_is_clean() {
        let inventory = "groups: { app: [app-1, app-2] }\nhosts:\n  app-1: { installed: { dten-core: 4.1.0, dten-agent: 4.1.0, openssl: 3.0.13 } }\n  app-2: { installed: { dten-core: 4.1.0, dten-agent: 4.1.0, openssl: 3.0.13 } }\n  db-1: { installed: { postgres: 14.11 } }\n";
        let manifest = manifest_with(SKEWED);
        let plan = "upgrade: { dten-core: 4.2.0, dten-agent: 4.2.0 }\nsteps:\n  - { id: core, do: install, with: { target: dten-core@4.2.0 }, on: app, serial: 1 }\n  - { id: agent, do: install, with: { target: dten-agent@4.2.0 }, on: app, serial: 1 }\n";
        assert_eq!(codes_of(&rule_diagnostics(CUT022, plan, &manifest, inventory)), [] as [&str; 0]);
    }

    #[test]
    fn behind_counts_minors_across_the_fleet() {
        let manifest = "package: k\nversion: 1.31.0\ncomponents:\n  kube-apiserver: { version: 1.31.0, upgrade_from: [{ from: \">=1.27.0\" }] }\n  kubelet: { version: 1.31.0, upgrade_from: [{ from: \">=1.27.0\" }] }\nskew:\n  - { component: kubelet, behind: kube-apiserver, max_minor: 3 }\n";
        let inventory = "groups: { cp: [cp-1], nodes: [node-1] }\nhosts:\n  cp-1: { installed: { kube-apiserver: 1.30.0 } }\n  node-1: { installed: { kubelet: 1.27.0 } }\n";
        let plan = "upgrade: { kube-apiserver: 1.31.0, kubelet: 1.31.0 }\nsteps:\n  - { id: cp, do: install, with: { target: kube-apiserver@1.31.0 }, on: cp }\n  - { id: nodes, do: install, with: { target: kubelet@1.31.0 }, on: nodes, after: [cp] }\n";
        let diagnostics = rule_diagnostics(CUT022, plan, manifest, inventory);
        assert_eq!(codes_of(&diagnostics), ["CUT022"], "{diagnostics:#?}");
        let message = &diagnostics[0].message;
        assert!(message.contains("after `cp` node-1 has kubelet 1.27.0 and cp-1 has kube-apiserver 1.31.0"), "{message}");
        assert!(message.contains("`nodes` mends it"), "{message}");
    }
}
