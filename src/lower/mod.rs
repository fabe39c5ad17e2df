//! Lowering: a checked plan to ordered step instances, one per host, each with its forward,
//! verify, rollback and cleanup commands already rendered and quoted.
//!
//! **Invariant:** lowering never reports user errors: it only sees a checked, acyclic plan.
//! **Invariant:** the lowered plan is everything an emitter needs; emitters never look back at
//! the model, the manifest or the checker.

pub mod gate;
mod noop;

use std::fmt::Write as _;

use indexmap::IndexMap;
use serde::Serialize;

use crate::check::Checked;
use crate::graph::EdgeKind;
use crate::graph::flow::Verdict;
use crate::graph::schedule;
use crate::model::ParamType;
use crate::resolve::template::{Part, Quoting, Template};
use crate::resolve::{Bound, UndoPlan, Value};

pub use crate::resolve::LOCAL;
pub use crate::resolve::template::quote;
pub use noop::only_prints;

/// The `format` field of the JSON output; bumped on any incompatible change.
pub const FORMAT: &str = "cutover-plan/1";

/// The lowered plan: what every emitter works from. Serialized as-is by `--emit json`.
#[derive(Debug, Serialize)]
pub struct LoweredPlan {
    pub format: &'static str,
    pub compiler: String,
    pub plan: String,
    /// The input files with their sha256, plan first.
    pub sources: Vec<SourceInput>,
    pub package: Option<Package>,
    pub window_seconds: Option<u64>,
    pub buffer_percent: f64,
    /// The share of the window the schedule may use: window minus buffer.
    pub budget_seconds: Option<u64>,
    /// The plan's `notify` template as written; `{event}` and `{message}` are filled in at run
    /// time.
    pub notify: Option<String>,
    /// The same template split at its placeholders, for the emitters (not part of the JSON).
    #[serde(skip)]
    pub notify_command: Option<NotifyCommand>,
    pub upgrade: Vec<Goal>,
    pub groups: IndexMap<String, Vec<String>>,
    pub steps: Vec<LoweredStep>,
    pub edges: Vec<Edge>,
    pub instances: Vec<Instance>,
    pub config_changes: Vec<ConfigChange>,
    pub schedule: Schedule,
    pub notes: Vec<String>,
    /// What the runners' drift guard checks before the first step that touches a host: for
    /// each host the plan touches, the version of every probed component it was compiled for.
    pub compiled_for: IndexMap<String, IndexMap<String, String>>,
    /// The bash text that probes a host for those components ([`crate::probe::script`]);
    /// empty when the manifest has no probe. Not part of the JSON.
    #[serde(skip)]
    pub probe: String,
}

impl LoweredPlan {
    /// The instances of a step, in run order.
    #[must_use]
    pub fn instances_of(&self, step: &LoweredStep) -> &[Instance] {
        &self.instances[step.instance_range.clone()]
    }

    /// How many hosts each batch of a step holds, in order (one batch: all its hosts).
    #[must_use]
    pub fn batch_sizes(&self, step: &LoweredStep) -> Vec<usize> {
        let mut sizes = vec![0; step.batches];
        for instance in self.instances_of(step) {
            sizes[instance.batch - 1] += 1;
        }
        sizes
    }

    /// The step an instance belongs to.
    #[must_use]
    pub fn step_of(&self, instance: &Instance) -> &LoweredStep {
        &self.steps[instance.step_position]
    }

    /// How an instance is undone: the one place that reads the rollback, the irreversible
    /// reason and read-only together.
    #[must_use]
    pub fn undo_of<'p>(&'p self, instance: &'p Instance) -> Undo<'p> {
        match (&instance.rollback, &self.step_of(instance).irreversible) {
            (Some(rollback), _) => Undo::Rollback(rollback),
            (None, Some(reason)) => Undo::Irreversible(reason),
            (None, None) => Undo::Nothing,
        }
    }
}

/// How an instance is undone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undo<'p> {
    /// By its rollback command.
    Rollback(&'p str),
    /// It cannot be: the plan says why.
    Irreversible(&'p str),
    /// Nothing to undo: a read-only step.
    Nothing,
}

/// Which list a step was written in: preflight checks run before every main step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Preflight,
    Main,
}

/// What a command of an instance is for, in the order they are written: the run, each verify,
/// the rollback, each cleanup (numbered from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Run,
    Verify(usize),
    Rollback,
    Cleanup(usize),
}

impl Role {
    /// The name every output gives it: `run`, `verify_1`, `rollback`, `cleanup_2`.
    #[must_use]
    pub fn key(self) -> String {
        match self {
            Self::Run => "run".to_owned(),
            Self::Verify(number) => format!("verify_{number}"),
            Self::Rollback => "rollback".to_owned(),
            Self::Cleanup(number) => format!("cleanup_{number}"),
        }
    }

    /// The kind without its number: `run`, `verify`, `rollback`, `cleanup`.
    #[must_use]
    pub fn kind(self) -> &'static str {
        match self {
            Self::Run => "run",
            Self::Verify(_) => "verify",
            Self::Rollback => "rollback",
            Self::Cleanup(_) => "cleanup",
        }
    }
}

impl Instance {
    /// Every command of the instance with its role, in order: run, verifies, rollback,
    /// cleanups.
    pub fn commands(&self) -> impl Iterator<Item = (Role, &str)> {
        std::iter::once((Role::Run, self.run.as_str()))
            .chain(self.verify.iter().enumerate().map(|(number, text)| (Role::Verify(number + 1), text.as_str())))
            .chain(self.rollback.iter().map(|text| (Role::Rollback, text.as_str())))
            .chain(self.cleanup.iter().enumerate().map(|(number, text)| (Role::Cleanup(number + 1), text.as_str())))
    }

    /// Whether its rollback changes nothing: it only prints, as a reboot's does ([`only_prints`]).
    /// The runners still run it; the runbook's rollback procedure leaves it out.
    #[must_use]
    pub fn rollback_does_nothing(&self) -> bool {
        self.rollback.as_deref().is_some_and(only_prints)
    }
}

/// A duration as people write it: `90s`, `5m`, `1h30m`.
#[must_use]
pub fn duration_text(seconds: u64) -> String {
    crate::model::Duration::from_seconds(seconds).to_string()
}

/// The plan's `notify` split at its placeholders, each with the quoting of the place it stands
/// in, so that every emitter fills in the event and the message the same safe way.
#[derive(Debug)]
pub struct NotifyCommand {
    parts: Vec<NotifyPart>,
}

#[derive(Debug)]
enum NotifyPart {
    Text(String),
    Event(Quoting),
    Message(Quoting),
}

impl NotifyCommand {
    fn new(template: &Template) -> Self {
        let parts = template
            .parts
            .iter()
            .map(|part| match part {
                Part::Literal(text) => NotifyPart::Text(text.clone()),
                Part::Placeholder { name, quoting, .. } if name == "event" => NotifyPart::Event(*quoting),
                Part::Placeholder { quoting, .. } => NotifyPart::Message(*quoting),
            })
            .collect();
        Self { parts }
    }

    /// The command as shell code that reads the event and the message from two shell variables:
    /// `"${event}"` where the placeholder stood outside quotes, `${event}` inside double quotes.
    /// Expanding a variable never runs what it holds, whatever it holds.
    #[must_use]
    pub fn shell(&self, event_variable: &str, message_variable: &str) -> String {
        let mut out = String::new();
        for part in &self.parts {
            let (variable, quoting) = match part {
                NotifyPart::Text(text) => {
                    out.push_str(text);
                    continue;
                }
                NotifyPart::Event(quoting) => (event_variable, quoting),
                NotifyPart::Message(quoting) => (message_variable, quoting),
            };
            match quoting {
                Quoting::Bare => {
                    let _ = write!(out, "\"${{{variable}}}\"");
                }
                Quoting::Double => {
                    let _ = write!(out, "${{{variable}}}");
                }
            }
        }
        out
    }
}

/// One input file: its role (`plan`, `manifest`, `inventory`, `library`), its path as the plan
/// names it (relative to the plan's folder), and the sha256 of its bytes.
#[derive(Clone, Debug, Serialize)]
pub struct SourceInput {
    pub role: &'static str,
    pub path: String,
    pub sha256: String,
}

#[derive(Debug, Serialize)]
pub struct Package {
    pub name: String,
    pub version: String,
}

/// One component of the `upgrade:` goal: where each host starts.
#[derive(Debug, Serialize)]
pub struct Goal {
    pub component: String,
    pub to: String,
    pub hosts: Vec<HostVersion>,
}

#[derive(Debug, Serialize)]
pub struct HostVersion {
    pub host: String,
    /// `None` where the host has no version yet: a fresh install.
    pub from: Option<String>,
}

/// A step of the plan, in run order.
#[derive(Debug, Serialize)]
pub struct LoweredStep {
    /// Where its instances are in [`LoweredPlan::instances`] (contiguous, in run order); not
    /// part of the JSON, which says it through each instance's `step`.
    #[serde(skip)]
    pub instance_range: std::ops::Range<usize>,
    pub id: String,
    /// 1-based position in run order.
    pub position: usize,
    pub phase: Phase,
    pub action: Option<String>,
    /// `local`, an inventory group or a host.
    pub on: String,
    pub hosts: Vec<String>,
    pub serial: Option<String>,
    pub batches: usize,
    /// The failure budget as written (`1`, `25%`), or null: no host may fail.
    pub max_fail: Option<String>,
    /// How many of the step's hosts may fail before the plan fails (0 without `max_fail`).
    pub max_fail_hosts: usize,
    pub after: Vec<String>,
    pub inferred_after: Vec<InferredDependency>,
    pub readonly: bool,
    pub effects: Vec<&'static str>,
    /// Why it cannot be undone, for irreversible steps.
    pub irreversible: Option<String>,
    pub estimate_seconds: Option<u64>,
    pub timeout_seconds: Option<u64>,
    pub retries: Option<Retries>,
    /// The health check run on the batch's hosts after each batch.
    pub gate: Option<gate::LoweredGate>,
    /// A call of the prelude's `approve`: its message. The runners wait for a person before
    /// the step's first instance runs.
    pub approval: Option<String>,
    pub arguments: IndexMap<String, ArgumentValue>,
}

#[derive(Debug, Serialize)]
pub struct InferredDependency {
    pub step: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct Retries {
    pub count: u32,
    pub backoff: Option<&'static str>,
    pub base_seconds: Option<u64>,
    pub max_seconds: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct ArgumentValue {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: String,
}

/// A dependency between two steps, for graphs.
#[derive(Debug, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub inferred: bool,
    pub reason: Option<String>,
}

/// One step on one host: the unit a script runs, journals and rolls back.
#[derive(Debug, Serialize)]
pub struct Instance {
    /// Its step's place in [`LoweredPlan::steps`]; not part of the JSON (see `step`).
    #[serde(skip)]
    pub step_position: usize,
    /// 1-based position in run order.
    pub index: usize,
    pub step: String,
    pub host: String,
    /// 1-based batch of a rolling step; 1 when all hosts run at once.
    pub batch: usize,
    /// Why the instance does nothing (a release on a host already at that version).
    pub noop: Option<String>,
    pub run: String,
    pub verify: Vec<String>,
    /// `None` for read-only and irreversible steps.
    pub rollback: Option<String>,
    pub cleanup: Vec<String>,
    pub releases: Vec<Release>,
}

#[derive(Debug, Serialize)]
pub struct Release {
    pub component: String,
    pub from: Option<String>,
    pub to: String,
}

/// A config key a step sets, with what the manifest's matrix says of it.
#[derive(Debug, Serialize)]
pub struct ConfigChange {
    pub step: String,
    pub key: String,
    pub value: Option<String>,
    pub file: Option<String>,
    pub since: Option<String>,
    pub deprecated_in: Option<String>,
    pub removed_in: Option<String>,
    pub replaced_by: Option<String>,
    pub required: bool,
    pub expect: Option<String>,
}

/// The schedule (SPEC §3): steps one after another in run order, each batch of a step after the
/// one before, the instances of a batch at the same time. What CUT034 judged and what the
/// runbook promises.
#[derive(Debug, Serialize)]
pub struct Schedule {
    pub total_seconds: u64,
    /// Steps with no estimate from anywhere, counted as zero.
    pub steps_without_estimate: usize,
    pub steps: Vec<ScheduledStep>,
}

/// One step of the schedule, in run order.
#[derive(Debug, Serialize)]
pub struct ScheduledStep {
    pub step: String,
    /// Seconds from the start of the run at which the step starts (T+…).
    pub start_seconds: u64,
    pub batches: usize,
    /// Its estimate (whole seconds) times its batches.
    pub duration_seconds: u64,
}

/// Lowers a checked plan.
///
/// # Panics
/// Never: every edge it reads belongs to the plan's own graph.
#[must_use]
pub fn lower(checked: &Checked<'_>, sources: Vec<SourceInput>) -> LoweredPlan {
    let inputs = checked.inputs;
    let plan = inputs.plan;
    let resolved = &checked.resolved;
    let mut instances = Vec::new();
    let mut steps = Vec::with_capacity(checked.order.len());
    for (position, &step_index) in checked.order.iter().enumerate() {
        let step = &resolved.steps[step_index];
        let mut lowered_step = lower_step(checked, step_index, position + 1);
        let first_instance = instances.len();
        // The batch of each host, in host order: a ramp's sizes in order, the last repeating.
        for (batch, hosts) in schedule::host_batches(step).into_iter().enumerate() {
            for host in hosts {
                instances.push(lower_instance(checked, step_index, host, batch + 1, instances.len() + 1));
            }
        }
        for instance in &mut instances[first_instance..] {
            instance.step_position = position;
        }
        lowered_step.instance_range = first_instance..instances.len();
        steps.push(lowered_step);
    }
    let edges = checked
        .graph
        .graph
        .edge_indices()
        .map(|edge| {
            let (from, to) = checked.graph.graph.edge_endpoints(edge).expect("edge of this graph");
            let kind = &checked.graph.graph[edge];
            Edge {
                from: resolved.steps[checked.graph.graph[from]].id().to_owned(),
                to: resolved.steps[checked.graph.graph[to]].id().to_owned(),
                inferred: kind.is_inferred(),
                reason: match kind {
                    EdgeKind::Inferred { reason, .. } => Some(reason.clone()),
                    EdgeKind::After { .. } => None,
                },
            }
        })
        .collect();
    let window_seconds = plan.window.as_ref().map(|window| window.value.seconds());
    let buffer = plan.buffer.as_ref().map_or(schedule::DEFAULT_BUFFER, |buffer| buffer.value);
    let (compiled_for, probe) = drift_guard(checked, &instances);
    let notes =
        crate::check::already_there_notes(resolved, &checked.flow).into_iter().map(|note| note.message).collect();
    LoweredPlan {
        format: FORMAT,
        compiler: format!("cutover {}", env!("CARGO_PKG_VERSION")),
        plan: plan.name.value.clone(),
        sources,
        package: inputs.manifest.map(|manifest| Package {
            name: manifest.package.value.clone(),
            version: manifest.version.value.to_string(),
        }),
        window_seconds,
        buffer_percent: f64::from(buffer.0) / 100.0,
        budget_seconds: window_seconds.map(|window| schedule::budget_seconds(window, buffer)),
        notify: plan.notify.as_ref().map(|notify| notify.value.clone()),
        notify_command: resolved.notify.as_ref().map(NotifyCommand::new),
        upgrade: goals(checked),
        groups: inputs
            .inventory
            .map(|inventory| {
                inventory
                    .groups
                    .iter()
                    .map(|(name, group)| (name.clone(), group.hosts.iter().map(|host| host.value.clone()).collect()))
                    .collect()
            })
            .unwrap_or_default(),
        steps,
        edges,
        instances,
        config_changes: config_changes(checked),
        schedule: lowered_schedule(checked),
        notes,
        compiled_for,
        probe,
    }
}

/// The drift guard's data: the probe text of the manifest's probed components, and for every
/// host with instances the versions of those components its inventory entry says it runs.
fn drift_guard(checked: &Checked<'_>, instances: &[Instance]) -> (IndexMap<String, IndexMap<String, String>>, String) {
    let (Some(manifest), Some(inventory)) = (checked.inputs.manifest, checked.inputs.inventory) else {
        return (IndexMap::new(), String::new());
    };
    let probed: Vec<(&str, &crate::model::Probe)> = manifest
        .components
        .values()
        .filter_map(|component| component.probe.as_ref().map(|probe| (component.name.as_str(), probe)))
        .collect();
    if probed.is_empty() {
        return (IndexMap::new(), String::new());
    }
    let mut compiled_for = IndexMap::new();
    for instance in instances {
        if compiled_for.contains_key(&instance.host) {
            continue;
        }
        let Some(host) = inventory.hosts.get(&instance.host) else { continue };
        let versions: IndexMap<String, String> = probed
            .iter()
            .filter_map(|(name, _)| {
                host.installed.get(*name).map(|version| ((*name).to_owned(), version.value.to_string()))
            })
            .collect();
        if !versions.is_empty() {
            compiled_for.insert(instance.host.clone(), versions);
        }
    }
    (compiled_for, crate::probe::script(probed))
}

fn lower_step(checked: &Checked<'_>, step_index: usize, position: usize) -> LoweredStep {
    let step = &checked.resolved.steps[step_index];
    let mut after = Vec::new();
    let mut inferred_after = Vec::new();
    for (before, kind) in checked.graph.predecessors(step_index) {
        let before = checked.resolved.steps[before].id().to_owned();
        match kind {
            EdgeKind::After { .. } => after.push(before),
            EdgeKind::Inferred { reason, .. } => {
                inferred_after.push(InferredDependency { step: before, reason: reason.clone() });
            }
        }
    }
    LoweredStep {
        instance_range: 0..0,
        id: step.id().to_owned(),
        position,
        phase: match step.step.phase {
            crate::model::Phase::Preflight => Phase::Preflight,
            crate::model::Phase::Main => Phase::Main,
        },
        action: step.action.map(|action| action.name.value.clone()),
        on: step.target.describe(),
        hosts: step.hosts.clone(),
        serial: step.serial.as_ref().map(ToString::to_string),
        batches: schedule::batches(step),
        max_fail: step.max_fail.map(|max_fail| max_fail.to_string()),
        max_fail_hosts: step.max_fail.map_or(0, |max_fail| max_fail.allowed(step.hosts.len())),
        after,
        inferred_after,
        readonly: step.readonly,
        effects: step.effects.iter().map(|effect| effect.as_str()).collect(),
        irreversible: match &step.undo {
            UndoPlan::Irreversible(reason) => Some(reason.clone()),
            _ => None,
        },
        estimate_seconds: step.estimate.map(crate::model::Duration::seconds),
        timeout_seconds: step.timeout.map(crate::model::Duration::seconds),
        retries: step.retries.as_ref().map(|retries| Retries {
            count: retries.count,
            backoff: retries.backoff.map(crate::model::Backoff::as_str),
            base_seconds: retries.base.map(crate::model::Duration::seconds),
            max_seconds: retries.max.map(crate::model::Duration::seconds),
        }),
        gate: step.step.gate.as_ref().map(|written| gate::lower(&written.value)),
        approval: step
            .action
            .filter(|action| action.name.value == "approve" && action.name.span.file == checked.inputs.prelude.file)
            .map(|_| step.arguments.get("message").map(|message| message.text.clone()).unwrap_or_default()),
        arguments: step
            .arguments
            .iter()
            .map(|(name, bound)| (name.clone(), ArgumentValue { kind: bound.kind.as_str(), value: bound.text.clone() }))
            .collect(),
    }
}

fn lower_instance(checked: &Checked<'_>, step_index: usize, host: &str, batch: usize, index: usize) -> Instance {
    let step = &checked.resolved.steps[step_index];
    let hops: Vec<_> = checked.flow.hops_of(step_index, host).collect();
    let render = |template: &Template| {
        template.render(|name, field| {
            let from = hops.iter().find(|hop| hop.parameter == name).and_then(|hop| hop.from.as_ref());
            substitute(step.arguments.get(name), field, from)
        })
    };
    let noop = (!hops.is_empty() && hops.iter().all(|hop| hop.verdict == Verdict::AlreadyThere)).then(|| {
        let what: Vec<String> = hops.iter().map(|hop| format!("{} {}", hop.component, hop.to)).collect();
        format!("{host} already has {}", what.join(", "))
    });
    Instance {
        step_position: 0,
        index,
        step: step.id().to_owned(),
        host: host.to_owned(),
        batch,
        noop,
        run: step.run.as_ref().map(render).unwrap_or_default(),
        verify: step.verify.iter().map(render).collect(),
        rollback: match &step.undo {
            UndoPlan::Rollback(template) if !step.readonly => Some(render(template)),
            _ => None,
        },
        cleanup: step.cleanup.iter().map(render).collect(),
        releases: hops
            .iter()
            .map(|hop| Release {
                component: hop.component.clone(),
                from: hop.from.as_ref().map(ToString::to_string),
                to: hop.to.to_string(),
            })
            .collect(),
    }
}

/// The text a placeholder stands for, before quoting. A fresh install's `.from` is empty.
fn substitute(bound: Option<&Bound>, field: Option<&str>, from: Option<&semver::Version>) -> String {
    let Some(bound) = bound else { return String::new() };
    match (&bound.value, field) {
        (Value::Release { component, .. }, Some("component")) => component.clone(),
        (Value::Release { version, .. }, Some("version")) => version.to_string(),
        (Value::Release { .. }, Some("from")) => from.map(ToString::to_string).unwrap_or_default(),
        (Value::Release { component, version }, None) => format!("{component}@{version}"),
        (Value::Duration(duration), Some("seconds")) => duration.seconds().to_string(),
        _ => bound.text.clone(),
    }
}

fn goals(checked: &Checked<'_>) -> Vec<Goal> {
    let Some(inventory) = checked.inputs.inventory else { return Vec::new() };
    checked
        .inputs
        .plan
        .upgrade
        .iter()
        .map(|(component, version)| Goal {
            component: component.value.clone(),
            to: crate::model::parse_version(&version.value)
                .map_or_else(|_| version.value.clone(), |version| version.to_string()),
            hosts: inventory
                .hosts
                .values()
                .filter(|host| {
                    host.installed.contains_key(component.as_str())
                        || checked
                            .flow
                            .hops
                            .iter()
                            .any(|hop| hop.host == host.name.value && hop.component == component.value)
                })
                .map(|host| HostVersion {
                    host: host.name.value.clone(),
                    from: host.installed.get(component.as_str()).map(|version| version.value.to_string()),
                })
                .collect(),
        })
        .collect()
}

fn config_changes(checked: &Checked<'_>) -> Vec<ConfigChange> {
    let mut changes = Vec::new();
    for &step_index in &checked.order {
        let step = &checked.resolved.steps[step_index];
        let of_kind =
            |kind: ParamType| step.arguments.values().find(|bound| bound.kind == kind).map(|bound| bound.text.clone());
        for bound in step.arguments.values().filter(|bound| bound.kind == ParamType::ConfigKey) {
            let matrix = checked.inputs.manifest.and_then(|manifest| manifest.config.get(&bound.text));
            let version =
                |value: Option<&crate::model::Spanned<semver::Version>>| value.map(|version| version.value.to_string());
            changes.push(ConfigChange {
                step: step.id().to_owned(),
                key: bound.text.clone(),
                value: step.arguments.get("value").map(|value| value.text.clone()),
                file: of_kind(ParamType::Path),
                since: matrix.and_then(|row| version(row.since.as_ref())),
                deprecated_in: matrix.and_then(|row| version(row.deprecated_in.as_ref())),
                removed_in: matrix.and_then(|row| version(row.removed_in.as_ref())),
                replaced_by: matrix.and_then(|row| row.replaced_by.as_ref().map(|name| name.value.clone())),
                required: matrix.is_some_and(|row| row.required),
                expect: matrix.and_then(|row| row.expect.as_ref().map(|expect| expect.value.clone())),
            });
        }
    }
    changes
}

/// The schedule as `graph::schedule` computes it (the same one CUT034 judges), with step ids.
fn lowered_schedule(checked: &Checked<'_>) -> Schedule {
    let steps = &checked.resolved.steps;
    let computed = schedule::schedule(steps, &checked.order);
    Schedule {
        total_seconds: computed.total_seconds,
        steps_without_estimate: computed.steps_without_estimate,
        steps: computed
            .steps
            .iter()
            .map(|scheduled| ScheduledStep {
                step: steps[scheduled.step].id().to_owned(),
                start_seconds: scheduled.start_seconds,
                batches: scheduled.batches,
                duration_seconds: scheduled.duration_seconds,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_MANIFEST, compile_body};

    /// A host with no version yet gets a fresh install: `.from` is the empty word, so the
    /// rollback receives an explicit `''`, and the JSON says `null`.
    #[test]
    fn a_fresh_install_rolls_back_with_an_empty_from() {
        let inventory = "groups: { app: [app-1, new-1] }\nhosts:\n  app-1: { installed: { dten-core: 4.1.0, openssl: 3.0.13 } }\n  new-1: { installed: { openssl: 3.0.13 } }\n  db-1: { installed: { postgres: 14.11 } }\n";
        let plan = "upgrade: { dten-core: 4.2.0 }\nsteps:\n  - { id: up, do: install, with: { target: dten-core@4.2.0 }, on: app }\n";
        let compilation = compile_body(plan, DTEN_MANIFEST, inventory);
        assert!(compilation.diagnostics.is_empty(), "{:?}", compilation.diagnostics);
        let lowered = compilation.lowered.expect("lowers");
        let fresh = lowered.instances.iter().find(|instance| instance.host == "new-1").expect("an instance on new-1");
        assert_eq!(fresh.rollback.as_deref(), Some("install.sh 'dten-core' ''"));
        assert_eq!(fresh.releases[0].from, None);
        let upgrade = lowered.instances.iter().find(|instance| instance.host == "app-1").expect("app-1");
        assert_eq!(upgrade.rollback.as_deref(), Some("install.sh 'dten-core' '4.1.0'"));
    }

    /// A release on a host already at the version does nothing there, and says so.
    #[test]
    fn a_host_already_at_the_version_is_a_noop_with_a_note() {
        let inventory = "groups: { app: [app-1, app-2] }\nhosts:\n  app-1: { installed: { dten-core: 4.2.0, openssl: 3.0.13 } }\n  app-2: { installed: { dten-core: 4.1.0, openssl: 3.0.13 } }\n  db-1: { installed: { postgres: 14.11 } }\n";
        let plan = "upgrade: { dten-core: 4.2.0 }\nsteps:\n  - { id: up, do: install, with: { target: dten-core@4.2.0 }, on: app }\n";
        let compilation = compile_body(plan, DTEN_MANIFEST, inventory);
        assert!(compilation.diagnostics.is_empty(), "{:?}", compilation.diagnostics);
        assert_eq!(compilation.notes.len(), 1);
        assert_eq!(compilation.notes[0].message, "app-1 already has dten-core 4.2.0: `up` does nothing there");
        let lowered = compilation.lowered.expect("lowers");
        assert_eq!(lowered.instances[0].noop.as_deref(), Some("app-1 already has dten-core 4.2.0"));
        assert_eq!(lowered.instances[1].noop, None);
        assert_eq!(lowered.notes, [compilation.notes[0].message.clone()]);
    }

    /// `serial` splits a step's hosts into batches, and the schedule counts each batch.
    #[test]
    fn rolling_batches_count_in_the_schedule() {
        let inventory = "groups: { app: [a, b, c, d, e] }\nhosts: {}\n";
        let plan = "steps:\n  - { id: roll, run: ./r.sh, rollback: ./u.sh, on: app, serial: 2, estimate: 1m }\n  - { id: after, run: ./x.sh, rollback: ./y.sh, estimate: 30s, after: [roll] }\n";
        let lowered = compile_body(plan, DTEN_MANIFEST, inventory).lowered.expect("lowers");
        let batches: Vec<usize> = lowered
            .instances
            .iter()
            .filter(|instance| instance.step == "roll")
            .map(|instance| instance.batch)
            .collect();
        assert_eq!(batches, [1, 1, 2, 2, 3]);
        assert_eq!(lowered.schedule.total_seconds, 3 * 60 + 30);
    }

    /// A ramp, `[1, 10%, 50%]` on ten hosts: batches of 1, 1 and 5 hosts, then the last size
    /// again for the 3 left; the schedule counts the four batches.
    #[test]
    fn a_ramp_numbers_its_batches_in_order() {
        let inventory = "groups: { app: [a, b, c, d, e, f, g, h, i, j] }\nhosts: {}\n";
        let plan = "steps:\n  - { id: roll, run: ./r.sh, rollback: ./u.sh, verify: ./v.sh, on: app, serial: [1, 10%, 50%], estimate: 1m }\n";
        let compilation = compile_body(plan, DTEN_MANIFEST, inventory);
        assert!(compilation.diagnostics.is_empty(), "{:?}", compilation.diagnostics);
        let lowered = compilation.lowered.expect("lowers");
        let batches: Vec<usize> = lowered.instances.iter().map(|instance| instance.batch).collect();
        assert_eq!(batches, [1, 2, 3, 3, 3, 3, 3, 4, 4, 4]);
        assert_eq!(lowered.steps[0].serial.as_deref(), Some("[1, 10%, 50%]"));
        assert_eq!(lowered.steps[0].batches, 4);
        assert_eq!(lowered.batch_sizes(&lowered.steps[0]), [1, 1, 5, 3]);
        assert_eq!(lowered.schedule.total_seconds, 4 * 60);
    }
}
