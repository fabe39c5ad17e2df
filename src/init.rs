//! `cutover init`: a plan set scaffolded from a manifest and an inventory. One release step per
//! component and host group, in manifest order, with the required stops already in place (in a
//! group of mixed versions, each stop only on the hosts below it); a
//! snapshot before irreversible migrations; `TODO` markers wherever a person must decide. The
//! scaffold reads and resolves clean; what is left to do is the list of its TODOs, and each one
//! is a CUT040 error (`unfinished-scaffold`) until a person settles it, so an unfinished scaffold
//! never passes CI.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::model::paths::{StopKind, upgrade_path};
use crate::model::{Component, Inventory, LockMode, Manifest};

/// The files of a scaffold, by name relative to the plan set's folder, in writing order.
#[derive(Debug)]
pub struct Scaffold {
    pub files: Vec<(String, String)>,
}

impl Scaffold {
    /// Every `TODO` line, as `FILE:LINE: text`.
    #[must_use]
    pub fn todos(&self) -> Vec<String> {
        let mut todos = Vec::new();
        for (name, text) in &self.files {
            for (number, line) in text.lines().enumerate() {
                if let Some(at) = line.find("TODO") {
                    let todo = &line[at..];
                    let todo = todo.find(['"', '\'']).map_or(todo, |quote| &todo[..quote]);
                    todos.push(format!("{name}:{}: {}", number + 1, todo.trim_end()));
                }
            }
        }
        todos
    }
}

/// Builds the scaffold. `manifest` and `inventory` are the paths the plan will name, relative to
/// the plan set's folder.
#[must_use]
pub fn scaffold(manifest: &Manifest, inventory: &Inventory, manifest_path: &str, inventory_path: &str) -> Scaffold {
    let mut plan = String::new();
    let package = &manifest.package.value;
    let _ = writeln!(plan, "# {package} {} upgrade, scaffolded by `cutover init`.", manifest.version.value);
    plan.push_str("# Settle every item `cutover init` listed, then `cutover check` this file.\n");
    plan.push_str("cutover: 1\n");
    let _ = writeln!(plan, "plan: {package}-{}", manifest.version.value);
    let _ = writeln!(plan, "manifest: {manifest_path}");
    let _ = writeln!(plan, "inventory: {inventory_path}");
    // The versions every check trusts: asked of the hosts where the manifest says how.
    let unprobed: Vec<&str> = manifest
        .components
        .values()
        .filter(|component| component.probe.is_none())
        .filter(|component| inventory.hosts.values().any(|host| host.installed.contains_key(component.name.as_str())))
        .map(|component| component.name.as_str())
        .collect();
    if unprobed.is_empty() && manifest.components.values().any(|component| component.probe.is_some()) {
        let _ = writeln!(
            plan,
            "# Refresh the inventory from the hosts before each build (run in this folder): cutover gather --manifest {manifest_path} \
             --inventory {inventory_path} -o {inventory_path}"
        );
    } else if !unprobed.is_empty() {
        let _ = writeln!(
            plan,
            "# TODO: the manifest has no `probe:` for {}: their versions are typed by hand, and the runners cannot \
             check them before they start (docs/inventory.md)",
            unprobed.join(", ")
        );
    }
    plan.push_str("window: 1h  # TODO: the maintenance window agreed for this upgrade\n");
    plan.push_str("use: [lib.yaml]\n");

    let installed: Vec<&String> = manifest
        .components
        .keys()
        .filter(|component| inventory.hosts.values().any(|host| host.installed.contains_key(*component)))
        .collect();
    if !installed.is_empty() {
        let goals: Vec<String> = installed
            .iter()
            .map(|component| format!("{component}: {}", manifest.components[component.as_str()].version.value))
            .collect();
        let _ = writeln!(plan, "upgrade: {{ {} }}", goals.join(", "));
    }
    if let Some(signing) = &manifest.signing {
        let certificate = signing.certificate.as_ref().map_or("certs/package.pem", |certificate| certificate.as_str());
        plan.push_str("preflight:\n");
        plan.push_str("  # The manifest is signed: verify the package before anything is installed.\n");
        let _ = writeln!(
            plan,
            "  - {{ id: verify-package, do: package.verify, with: {{ certificate: {certificate}, chain: certs/chain.pem }} }}  # TODO: the CA chain you trust"
        );
    }
    plan.push_str("steps:\n");
    let mut previous: Option<String> = None;
    let mut installs_by_component: Vec<(String, String)> = Vec::new();
    for component_name in &installed {
        let component = &manifest.components[component_name.as_str()];
        for (target, hosts) in targets(inventory, component_name) {
            let suffix = if target == "local" { String::new() } else { format!("-{target}") };
            let layer = stop_steps(&mut plan, inventory, component_name, component, &target, &hosts, previous.take());
            let id = format!("install-{component_name}{suffix}");
            push_release(&mut plan, &id, component_name, &component.version.value.to_string(), &target, &layer);
            installs_by_component.push(((*component_name).clone(), id.clone()));
            previous = Some(id);
        }
    }
    let needs_migrate = follow_up_steps(&mut plan, manifest, &installs_by_component);
    let library = library_text(needs_migrate);
    let settings = "# cutover.toml: per-rule levels and the endpoints plans may reach (docs/lint.md).\n[rules]\n# CUT037 = \"allow\"\n\n[endpoints]\nallowed = []\n";
    Scaffold {
        files: vec![
            ("plan.yaml".to_owned(), plan),
            ("lib.yaml".to_owned(), library),
            ("cutover.toml".to_owned(), settings.to_owned()),
        ],
    }
}

/// The `on:` of a step already written to the plan text.
fn plan_target(plan: &str, id: &str) -> Option<String> {
    let start = plan.find(&format!("  - id: {id}\n"))?;
    let rest = &plan[start + 1..];
    let end = rest.find("\n  - ").unwrap_or(rest.len());
    rest[..end].lines().find_map(|line| line.trim().strip_prefix("on: ").map(str::to_owned))
}

/// The required stops of `component` on `target` (whose hosts are `hosts`), each after the
/// last: in a mixed group, a stop runs only on the hosts below it (a host past it would go
/// back to it: CUT013), on the group holding exactly those hosts, else host by host. Returns
/// the last stop's steps (or `previous`), which the release to the target comes after.
fn stop_steps(
    plan: &mut String,
    inventory: &Inventory,
    component_name: &str,
    component: &Component,
    target: &str,
    hosts: &[String],
    previous: Option<String>,
) -> Vec<String> {
    let suffix = if target == "local" { String::new() } else { format!("-{target}") };
    // Each host's required stops from where it is: in a mixed group, a stop runs only on
    // the hosts below it (a host past it would go back to it: CUT013).
    let stops_of: Vec<(&str, Vec<semver::Version>)> = hosts
        .iter()
        .map(|host| {
            let stops = inventory
                .hosts
                .get(host.as_str())
                .and_then(|entry| entry.installed.get(component_name))
                .and_then(|from| upgrade_path(component, &from.value).ok())
                .map(|path| {
                    path.into_iter().filter(|stop| stop.kind == StopKind::Required).map(|stop| stop.version).collect()
                })
                .unwrap_or_default();
            (host.as_str(), stops)
        })
        .collect();
    let stops: BTreeSet<&semver::Version> = stops_of.iter().flat_map(|(_, stops)| stops).collect();
    let mut layer: Vec<String> = previous.into_iter().collect();
    for stop in stops {
        let version = stop.to_string();
        let dashed = version.replace('.', "-");
        let needing: Vec<&str> =
            stops_of.iter().filter(|(_, stops)| stops.contains(stop)).map(|(host, _)| *host).collect();
        let places: Vec<(String, String)> = if needing.len() == hosts.len() {
            vec![(target.to_owned(), format!("install-{component_name}{suffix}-{dashed}"))]
        } else {
            let _ = writeln!(
                plan,
                "  # {} of {target} {} below {version}: the stop runs there only.",
                needing.join(", "),
                if needing.len() == 1 { "is" } else { "are" }
            );
            match group_of_exactly(inventory, &needing) {
                Some(group) => vec![(group.to_owned(), format!("install-{component_name}-{group}-{dashed}"))],
                None => needing
                    .iter()
                    .map(|host| {
                        let name = host.replace(['@', ':'], "-");
                        ((*host).to_owned(), format!("install-{component_name}-{name}-{dashed}"))
                    })
                    .collect(),
            }
        };
        let mut next = Vec::new();
        for (on, id) in places {
            push_release(plan, &id, component_name, &version, &on, &layer);
            next.push(id);
        }
        layer = next;
    }
    layer
}

/// Reboots where the manifest asks for them, then the migrations, a snapshot before the first
/// irreversible one. Returns whether the plan migrates.
fn follow_up_steps(plan: &mut String, manifest: &Manifest, installs_by_component: &[(String, String)]) -> bool {
    // Components whose manifest asks for a reboot get one after their install, host by host.
    for (component_name, install) in installs_by_component {
        let component = &manifest.components[component_name.as_str()];
        if component.reboot.value == crate::model::Reboot::None {
            continue;
        }
        let target = plan_target(plan, install);
        let id = format!("reboot-after-{install}");
        let _ = writeln!(plan, "  - id: {id}\n    do: reboot");
        if let Some(target) = target {
            // One host at a time, each checked before the next goes down (CUT023).
            let _ = writeln!(
                plan,
                "    on: {target}\n    serial: 1\n    \
                 gate: {{ command: \"echo 'TODO: a check that the host is back and healthy, like curl -fsS http://localhost:8080/health'\" }}"
            );
        }
        let _ = writeln!(plan, "    after: [{install}]");
    }
    let mut needs_migrate = false;
    let mut snapshot_taken = false;
    for migration in &manifest.migrations {
        let Some((_, install)) =
            installs_by_component.iter().rev().find(|(component, _)| *component == migration.component.value)
        else {
            continue;
        };
        needs_migrate = true;
        if !migration.reversible && !snapshot_taken {
            plan.push_str("  # Migrations that cannot be undone need a snapshot to go back to.\n");
            plan.push_str(
                "  - id: snapshot\n    run: \"echo 'TODO: take a snapshot of the data the migrations change'\"\n",
            );
            plan.push_str("    rollback: \"echo 'TODO: restore that snapshot'\"\n    effects: [snapshot]\n    estimate: 10m  # TODO: measure it\n");
            let _ = writeln!(plan, "    after: [{install}]");
            snapshot_taken = true;
        }
        let id = format!("migrate-{}", migration.id.value.replace('_', "-"));
        let lock_timeout = if migration.lock.value >= LockMode::Share { ", lock_timeout: 30s" } else { "" };
        let _ = writeln!(plan, "  - id: {id}");
        let _ = writeln!(plan, "    do: migrate");
        let _ = writeln!(plan, "    with: {{ id: {}{lock_timeout} }}", migration.id.value);
        let after =
            if !migration.reversible && snapshot_taken { format!("{install}, snapshot") } else { install.clone() };
        let _ = writeln!(plan, "    after: [{after}]");
    }

    needs_migrate
}

/// The action library: an `install` action (and `migrate` when the plan migrates) whose
/// commands are TODOs.
fn library_text(needs_migrate: bool) -> String {
    let mut library = String::from("# Actions for this plan set: how each step is done on your hosts.\nactions:\n");
    library.push_str(
        "  install:\n    params: { target: release }\n    run: \"echo 'TODO: install' {target.component} {target.version}\"\n    \
         # An empty {target.from} means a fresh install: remove the package.\n    \
         rollback: \"echo 'TODO: go back to' {target.component} {target.from}\"\n    \
         verify: \"echo 'TODO: check that' {target.component} {target.version} 'is installed'\"\n    estimate: 5m  # TODO: measure it\n",
    );
    if needs_migrate {
        library.push_str(
            "  migrate:\n    params: { id: migration, lock_timeout: { type: duration, default: 30s } }\n    \
             run: \"echo 'TODO: apply migration' {id} --lock-timeout {lock_timeout}\"\n    \
             irreversible: \"TODO: say why it cannot be undone, or write its rollback\"\n",
        );
    }
    library
}

fn push_release(plan: &mut String, id: &str, component: &str, version: &str, target: &str, after: &[String]) {
    let _ = writeln!(plan, "  - id: {id}");
    let _ = writeln!(plan, "    do: install");
    let _ = writeln!(plan, "    with: {{ target: {component}@{version} }}");
    if target != "local" {
        let _ = writeln!(plan, "    on: {target}");
    }
    if !after.is_empty() {
        let _ = writeln!(plan, "    after: [{}]", after.join(", "));
    }
}

/// The inventory group whose hosts are exactly `hosts`, if there is one.
fn group_of_exactly<'i>(inventory: &'i Inventory, hosts: &[&str]) -> Option<&'i str> {
    let wanted: BTreeSet<&str> = hosts.iter().copied().collect();
    inventory.groups.iter().find_map(|(name, group)| {
        let members: BTreeSet<&str> = group.hosts.iter().map(|host| host.value.as_str()).collect();
        (members == wanted).then_some(name.as_str())
    })
}

/// Where a component's releases run: each inventory group whose hosts all have it, then each
/// host that has it outside those groups.
fn targets(inventory: &Inventory, component: &str) -> Vec<(String, Vec<String>)> {
    let has = |host: &str| inventory.hosts.get(host).is_some_and(|entry| entry.installed.contains_key(component));
    let mut targets: Vec<(String, Vec<String>)> = Vec::new();
    let mut covered: BTreeSet<&str> = BTreeSet::new();
    for (name, group) in &inventory.groups {
        let hosts: Vec<&str> = group.hosts.iter().map(|host| host.value.as_str()).collect();
        if !hosts.is_empty() && hosts.iter().all(|host| has(host)) && hosts.iter().any(|host| !covered.contains(host)) {
            covered.extend(hosts.iter().copied());
            targets.push((name.clone(), hosts.iter().map(|host| (*host).to_owned()).collect()));
        }
    }
    for host in inventory.hosts.keys() {
        if has(host) && !covered.contains(host.as_str()) {
            targets.push((host.clone(), vec![host.clone()]));
        }
    }
    targets
}
