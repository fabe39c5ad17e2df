//! CUT017 `required-config-unset`.
//!
//! ## What it does
//!
//! For every key of the config matrix with `required: true` and an `expect`ed value, finds,
//! per host, the first step (in graph order) that starts a service of the key's component
//! after the component's install at the manifest version, and checks that a step setting
//! the key to that value runs before it on that host. A step sets the key when it has a
//! `config_key` argument naming it and a `value` argument equal to `expect` (as
//! `config.set` does). A step starts a service when it has a `unit` argument naming one of
//! the component's `units` and calls `service.start` or `service.restart`, or its command
//! runs `systemctl start` or `restart`; an inline step starts the units its command names.
//!
//! A key belongs to the component its `component:` names in the matrix; without one, to the
//! component its first dotted word names (`dten-core.threads` belongs to dten-core);
//! otherwise, as with `dten.hybrid.enable` or postgres's `wal_level`, to every component of
//! the manifest that ships units. Say `component:` for a key like `api.auth.mode` that one
//! component of several reads, or the rule asks for it before every component's start.
//!
//! ## Why it matters
//!
//! The new version starts without the setting it needs and comes up wrong: the vendor's
//! `why` says how (single-node mode, a standby that cannot replicate). A setting written
//! after the start is read only at the next restart.
//!
//! ## Example
//!
//! ```yaml
//! # manifest: dten.hybrid.enable: { required: true, expect: "true" }
//! - { id: install-core, do: install, with: { target: dten-core@4.2.0 }, on: app }
//! - id: start-core
//!   do: service.start
//!   with: { unit: dten-core.service }
//!   on: app
//!   after: [install-core]
//! ```
//!
//! ## Fix
//!
//! Set the key before the start, and make the start wait for it:
//! `- { id: set-hybrid, do: config.set, with: { file: /etc/dten/dten.conf, key: dten.hybrid.enable, value: "true" }, on: app, after: [install-core] }`
//! and `after: [set-hybrid]` on `start-core`.

use std::collections::BTreeMap;

use crate::check::Context;
use crate::resolve::ResolvedStep;
use crate::codes::CUT017;
use crate::diagnostic::Diagnostic;
use crate::model::{Component, ConfigKey, ParamType, Spanned};
use crate::source::Span;

use super::removed_config_key::{KeySet, keys_set};

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let (Some(manifest), Some(order)) = (context.inputs.manifest, context.order) else { return };
    let settings = keys_set(context);
    for row in manifest.config.values() {
        let Some(expect) = row.expect.as_ref().filter(|_| row.required) else { continue };
        if row.since.as_ref().is_some_and(|since| since.value > *manifest.release_of(row).1) {
            continue;
        }
        let settings: Vec<&KeySet<'_, '_>> = settings.iter().filter(|setting| setting.row.name == row.name).collect();
        // One diagnostic per start step, even where several components own the key.
        let mut starts: BTreeMap<usize, FirstStart> = BTreeMap::new();
        for component in manifest.owners_of(row) {
            for (position, start) in first_starts(context, order, component) {
                let entry = starts.entry(position).or_insert(FirstStart { hosts: Vec::new(), ..start });
                for host in start.hosts {
                    if !entry.hosts.contains(&host) {
                        entry.hosts.push(host);
                    }
                }
            }
        }
        for start in starts.into_values() {
            if let Some(diagnostic) = judge(context, row, expect, &settings, &start) {
                diagnostics.push(diagnostic);
            }
        }
    }
}

/// The first start of a component's service on some hosts after its install.
#[derive(Clone)]
struct FirstStart {
    step: usize,
    /// The unit argument, or an inline step's command.
    span: Span,
    unit: String,
    hosts: Vec<String>,
}

/// Per host, the first step in graph order that starts one of the component's units after a
/// release of the component at the manifest version ran there; keyed by position in `order`.
fn first_starts(context: &Context<'_, '_>, order: &[usize], component: &Component) -> BTreeMap<usize, FirstStart> {
    let steps = &context.resolved.steps;
    let installs: Vec<usize> = (0..steps.len())
        .filter(|&index| {
            steps[index]
                .releases
                .iter()
                .any(|release| release.component == component.name.value && release.version == component.version.value)
        })
        .collect();
    let mut starts: BTreeMap<usize, FirstStart> = BTreeMap::new();
    if installs.is_empty() {
        return starts;
    }
    let units: Vec<&str> =
        component.units.iter().chain(component.renamed_units.iter().map(|(_, new)| new)).map(Spanned::as_str).collect();
    let mut hosts_started: Vec<&str> = Vec::new();
    for (position, &index) in order.iter().enumerate() {
        let step = &steps[index];
        let Some((span, unit)) = started_unit(step, &units) else { continue };
        for host in &step.hosts {
            let installed_before = installs
                .iter()
                .any(|&install| steps[install].hosts.contains(host) && context.runs_before(install, index));
            if !installed_before || hosts_started.contains(&host.as_str()) {
                continue;
            }
            hosts_started.push(host);
            starts
                .entry(position)
                .or_insert_with(|| FirstStart { step: index, span, unit: unit.to_owned(), hosts: Vec::new() })
                .hosts
                .push(host.clone());
        }
    }
    starts
}

/// The unit among `units` that a step starts, with the span to point at.
fn started_unit<'u>(step: &ResolvedStep<'_>, units: &[&'u str]) -> Option<(Span, &'u str)> {
    let command = step.run.as_ref().map(|run| {
        run.render(|name, _| step.arguments.get(name).map(|argument| argument.text.clone()).unwrap_or_default())
    });
    let runs_start = command.as_deref().is_some_and(starts_a_service);
    let Some(action) = step.action else {
        let command = command.filter(|_| runs_start)?;
        let unit = units.iter().find(|unit| command.contains(**unit))?;
        return Some((step.step.commands.run.as_ref().map_or(step.step.id.span, |run| run.span), *unit));
    };
    if !(runs_start || matches!(action.name.as_str(), "service.start" | "service.restart")) {
        return None;
    }
    step.arguments
        .values()
        .filter(|argument| argument.kind == ParamType::Unit)
        .find_map(|argument| units.iter().find(|unit| **unit == argument.text).map(|unit| (argument.span, *unit)))
}

/// Whether a shell command starts a unit: `systemctl start`, `restart`, `try-restart`,
/// `reload-or-restart`, or `enable --now`.
fn starts_a_service(command: &str) -> bool {
    command.split("systemctl").skip(1).any(|rest| {
        let words: Vec<&str> =
            rest.split_whitespace().take_while(|word| !matches!(*word, "&&" | "||" | ";" | "|")).collect();
        match words.iter().find(|word| !word.starts_with('-')) {
            Some(&"start" | &"restart" | &"try-restart" | &"reload-or-restart") => true,
            Some(&"enable") => words.contains(&"--now"),
            _ => false,
        }
    })
}

/// The diagnostic for one start, if some of its hosts have no setting of the key before it.
fn judge(
    context: &Context<'_, '_>,
    row: &ConfigKey,
    expect: &Spanned<String>,
    settings: &[&KeySet<'_, '_>],
    start: &FirstStart,
) -> Option<Diagnostic> {
    let sets_expected =
        |setting: &KeySet<'_, '_>| setting.step.arguments.get("value").is_some_and(|value| value.text == expect.value);
    let missing: Vec<&str> = start
        .hosts
        .iter()
        .filter(|host| {
            !settings.iter().any(|setting| {
                sets_expected(setting)
                    && setting.step.hosts.contains(host)
                    && context.runs_before(setting.index, start.step)
            })
        })
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return None;
    }
    let key = row.name.as_str();
    let expected = expect.as_str();
    let start_id = context.resolved.steps[start.step].id();
    let mut diagnostic = Diagnostic::new(
        CUT017,
        start.span,
        format!(
            "`{key}` is not set to `{expected}` before `{start_id}` starts {} on {}",
            start.unit,
            missing.join(", ")
        ),
    )
    .with_primary_label("service starts here")
    .with_label(row.name.span, "required here");
    let mut unordered = None;
    // Settings on other hosts are no part of this start's story.
    let nearby = settings.iter().filter(|setting| setting.step.hosts.iter().any(|host| start.hosts.contains(host)));
    for setting in nearby {
        let index = setting.index;
        let (span, label) = if !sets_expected(setting) {
            let value = setting.step.arguments.get("value");
            let written = value.map_or_else(|| "another value".to_owned(), |value| format!("`{}`", value.text));
            (value.map_or(setting.argument.span, |value| value.span), format!("sets it to {written}, not `{expected}`"))
        } else if context.runs_before(start.step, index) {
            (setting.argument.span, "sets it only after the service starts".to_owned())
        } else if !context.runs_before(index, start.step) {
            let covers_missing = missing.iter().all(|host| setting.step.hosts.iter().any(|name| name == host));
            if covers_missing {
                unordered = unordered.or(Some(setting.step.id()));
            }
            (setting.argument.span, format!("sets it, but `{start_id}` does not wait for this step"))
        } else {
            (setting.argument.span, format!("sets it on {} only", setting.step.target.describe()))
        };
        diagnostic = diagnostic.with_label(span, label);
    }
    let help = match unordered {
        Some(setting) => format!("add `{setting}` to the `after` of `{start_id}`"),
        None => format!("set `{key}` to `{expected}` on {} in a step that `{start_id}` runs after", missing.join(", ")),
    };
    let help = match &row.why {
        Some(why) => format!("{help} ({})", why.value),
        None => help,
    };
    Some(diagnostic.with_help(help))
}

#[cfg(test)]
mod tests {
    use super::starts_a_service;
    use crate::testing::{DTEN_CONFIG_MANIFEST, DTEN_INVENTORY, codes_of, rule_diagnostics};
    use crate::codes::CUT017;

    const INSTALL: &str = "  - { id: install-core, do: install, with: { target: dten-core@4.2.0 }, on: app }\n";
    const START: &str =
        "  - { id: start-core, do: service.start, with: { unit: dten-core.service }, on: app, after: [install-core";

    fn plan(setting: &str, start_after: &str) -> String {
        format!("steps:\n{INSTALL}{setting}{START}{start_after}] }}\n")
    }

    #[test]
    fn starting_without_the_required_key() {
        let diagnostics = rule_diagnostics(CUT017, &plan("", ""), DTEN_CONFIG_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT017"]);
        assert_eq!(
            diagnostics[0].message,
            "`dten.hybrid.enable` is not set to `true` before `start-core` starts dten-core.service on app-1, app-2"
        );
        assert_eq!(diagnostics[0].primary.message.as_deref(), Some("service starts here"));
    }

    #[test]
    fn setting_it_first_is_fine() {
        let setting = "  - { id: set-hybrid, do: config.set, with: { file: /etc/dten.conf, key: dten.hybrid.enable, value: \"true\" }, on: app, after: [install-core] }\n";
        assert_eq!(
            codes_of(&rule_diagnostics(CUT017, &plan(setting, ", set-hybrid"), DTEN_CONFIG_MANIFEST, DTEN_INVENTORY)),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn a_setting_that_is_not_ordered_or_has_another_value_is_pointed_at() {
        let unordered = "  - { id: set-hybrid, do: config.set, with: { file: /etc/dten.conf, key: dten.hybrid.enable, value: \"true\" }, on: app, after: [install-core] }\n";
        let diagnostics = rule_diagnostics(CUT017, &plan(unordered, ""), DTEN_CONFIG_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT017"]);
        assert_eq!(
            diagnostics[0]
                .help
                .as_deref()
                .map(|help| help.starts_with("add `set-hybrid` to the `after` of `start-core`")),
            Some(true)
        );
        let wrong = "  - { id: set-hybrid, do: config.set, with: { file: /etc/dten.conf, key: dten.hybrid.enable, value: \"false\" }, on: app }\n";
        let diagnostics = rule_diagnostics(CUT017, &plan(wrong, ", set-hybrid"), DTEN_CONFIG_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT017"]);
        assert_eq!(diagnostics[0].secondary[1].message.as_deref(), Some("sets it to `false`, not `true`"));
    }

    #[test]
    fn only_hosts_without_the_setting_are_reported() {
        let setting = "  - { id: set-hybrid, do: config.set, with: { file: /etc/dten.conf, key: dten.hybrid.enable, value: \"true\" }, on: app-1 }\n";
        let diagnostics = rule_diagnostics(CUT017, &plan(setting, ", set-hybrid"), DTEN_CONFIG_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT017"]);
        assert!(diagnostics[0].message.ends_with("on app-2"), "{}", diagnostics[0].message);
    }

    #[test]
    fn a_start_before_the_install_and_an_inline_restart() {
        // The old version starts before the install: the key does not matter to it.
        let before = "steps:\n  - { id: start-old, do: service.start, with: { unit: dten-core.service }, on: app }\n  - { id: install-core, do: install, with: { target: dten-core@4.2.0 }, on: app, after: [start-old] }\n";
        assert_eq!(codes_of(&rule_diagnostics(CUT017, before, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY)), Vec::<&str>::new());
        let inline = format!(
            "steps:\n{INSTALL}  - {{ id: bounce, run: systemctl restart dten-core.service, rollback: \"true\", on: app, after: [install-core] }}\n"
        );
        assert_eq!(codes_of(&rule_diagnostics(CUT017, &inline, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY)), ["CUT017"]);
    }

    /// A key the matrix gives to one component is asked for before that component's start
    /// only: here dten-agent's, so starting dten-core without it is fine.
    #[test]
    fn a_key_belongs_to_the_component_the_matrix_names() {
        let owned = DTEN_CONFIG_MANIFEST.replace("dten.hybrid.enable: { type: bool,", "dten.hybrid.enable: { component: dten-agent, type: bool,");
        assert_ne!(owned, DTEN_CONFIG_MANIFEST);
        assert_eq!(codes_of(&rule_diagnostics(CUT017, &plan("", ""), &owned, DTEN_INVENTORY)), Vec::<&str>::new());
        let agent = "steps:\n  - { id: install-agent, do: install, with: { target: dten-agent@4.2.0 }, on: app }\n  - { id: start-agent, do: service.start, with: { unit: dten-agent.service }, on: app, after: [install-agent] }\n";
        assert_eq!(codes_of(&rule_diagnostics(CUT017, agent, &owned, DTEN_INVENTORY)), ["CUT017"]);
        // A component the manifest does not have is an unknown component, at the name.
        let unknown = DTEN_CONFIG_MANIFEST.replace("dten.hybrid.enable: { type: bool,", "dten.hybrid.enable: { component: dten-api, type: bool,");
        let diagnostics = crate::testing::diagnostics_of(&plan("", ""), &unknown, DTEN_INVENTORY);
        assert!(
            diagnostics.iter().any(|diagnostic| diagnostic.code == crate::codes::CUT010
                && diagnostic.message.contains("belongs to `dten-api`, which is no component")),
            "{:?}",
            diagnostics.iter().map(|diagnostic| &diagnostic.message).collect::<Vec<_>>()
        );
    }

    #[test]
    fn systemctl_verbs_that_start() {
        assert!(starts_a_service("systemctl start 'x.service'"));
        assert!(starts_a_service("systemctl --quiet restart x"));
        assert!(starts_a_service("systemctl enable --now x"));
        assert!(!starts_a_service("systemctl stop x && systemctl is-active x"));
        assert!(!starts_a_service("systemctl enable x"));
    }
}
