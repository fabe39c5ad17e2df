//! `--emit runbook`: Markdown for the people on the call. A summary, the schedule (with clock
//! times when `--start` is given), the graph, a preflight checklist, every step with
//! checkboxes, its command, verify and rollback and the rollback item to begin at when it
//! fails, the cleanups, the full rollback procedure, the config keys touched, and
//! status-update templates.
//!
//! Every piece of plan text goes through one of `markdown`'s helpers, chosen by where it
//! stands (prose, inline code, table cell, fenced block).

mod clock;
mod markdown;

use std::fmt::Write as _;

pub use clock::Start;
use markdown::{cell, cell_code, code, fenced, prose};

use crate::lower::Phase;
use crate::lower::{Instance, LOCAL, LoweredPlan, LoweredStep, Undo, duration_text};

/// The runbook without clock times: every time is T+… from the start of the run.
#[must_use]
pub fn emit(plan: &LoweredPlan) -> String {
    emit_with(plan, None)
}

/// The runbook, with a clock time beside each T+… when the start of the run is known.
#[must_use]
pub fn emit_with(plan: &LoweredPlan, start: Option<&Start>) -> String {
    let times = Times { start, window_seconds: plan.window_seconds };
    let rollback = RollbackItems::of(plan);
    let mut out = String::new();
    let _ = writeln!(out, "# Runbook: {}\n", prose(&plan.plan));
    if let Some(source) = plan.sources.first() {
        let _ = writeln!(
            out,
            "Compiled by {} from {} (sha256 `{}`). Do not edit: change the plan and build again.\n",
            prose(&plan.compiler),
            code(&source.path),
            &source.sha256[..16]
        );
    }
    summary(plan, &times, &mut out);
    schedule(plan, &times, &mut out);
    out.push_str("## Graph\n\nSolid arrows are written in the plan; dotted ones are implied by the manifest.\n\n");
    fenced(&mut out, "mermaid", &crate::emit::mermaid::emit(plan));
    out.push('\n');
    compiled_for(plan, &mut out);
    preflight(plan, &mut out);
    steps(plan, &times, &rollback, &mut out);
    cleanups(plan, &mut out);
    rollback_procedure(plan, &rollback, &mut out);
    config_changes(plan, &mut out);
    status_updates(plan, &mut out);
    out
}

fn seconds(value: u64) -> String {
    duration_text(value)
}

/// How the runbook writes a moment of the run: `T+mm:ss` (`T+h:mm:ss` from an hour on), and
/// the clock time beside it when the start is known.
struct Times<'s> {
    start: Option<&'s Start>,
    window_seconds: Option<u64>,
}

impl Times<'_> {
    /// `T+02:35`, `T+1:02:35`.
    fn offset(seconds: u64) -> String {
        let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
        if hours == 0 { format!("T+{minutes:02}:{seconds:02}") } else { format!("T+{hours}:{minutes:02}:{seconds:02}") }
    }

    /// `T+02:35`, or `T+02:35 (02:02:35)` with a start.
    fn at(&self, seconds: u64) -> String {
        match self.start {
            Some(start) => format!("{} ({})", Self::offset(seconds), start.clock(seconds)),
            None => Self::offset(seconds),
        }
    }

    fn after_window(&self, seconds: u64) -> bool {
        self.window_seconds.is_some_and(|window| seconds > window)
    }
}

fn summary(plan: &LoweredPlan, times: &Times<'_>, out: &mut String) {
    out.push_str("## Summary\n\n| | |\n|---|---|\n");
    if let Some(package) = &plan.package {
        let _ = writeln!(out, "| Package | {} {} |", cell(&package.name), cell(&package.version));
    }
    for goal in &plan.upgrade {
        let mut by_version: Vec<(String, Vec<&str>)> = Vec::new();
        for host in &goal.hosts {
            let from = host.from.clone().unwrap_or_else(|| "(new)".to_owned());
            match by_version.iter_mut().find(|(version, _)| *version == from) {
                Some((_, hosts)) => hosts.push(&host.host),
                None => by_version.push((from, vec![&host.host])),
            }
        }
        let moves: Vec<String> =
            by_version.iter().map(|(from, hosts)| format!("{from} → {} on {}", goal.to, hosts.join(", "))).collect();
        let _ = writeln!(out, "| {} | {} |", cell(&goal.component), cell(&moves.join("; ")));
    }
    // The count is the length of the list it stands before: the machine running the plan is
    // one of them when a step runs there.
    let mut hosts: Vec<&str> = plan.instances.iter().map(|instance| instance.host.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    let runs_locally = hosts.contains(&LOCAL);
    let mut shown: Vec<String> = hosts.iter().filter(|host| **host != LOCAL).map(|host| (*host).to_owned()).collect();
    if runs_locally {
        shown.push(format!("{LOCAL} (the machine running the plan)"));
    }
    let _ = writeln!(out, "| Hosts | {} |", cell(&format!("{}: {}", shown.len(), shown.join(", "))));
    if let Some(window) = plan.window_seconds {
        let clock = times
            .start
            .map(|start| format!(", from {} to {}", start.clock(0), start.clock(window)))
            .unwrap_or_default();
        let _ = writeln!(out, "| Window | {}{} |", seconds(window), cell(&clock));
    }
    let budget =
        plan.budget_seconds.map(|budget| format!(" (leaves {} for the work)", seconds(budget))).unwrap_or_default();
    let _ = writeln!(out, "| Buffer | {}%{budget} |", plan.buffer_percent);
    let missing = match plan.schedule.steps_without_estimate {
        0 => String::new(),
        1 => "; 1 step has no estimate".to_owned(),
        count => format!("; {count} steps have no estimate"),
    };
    let _ = writeln!(
        out,
        "| Schedule | {}, ends {}: steps one after another, rolling steps batch by batch{missing} |",
        seconds(plan.schedule.total_seconds),
        times.at(plan.schedule.total_seconds)
    );
    let _ = writeln!(out, "| Steps | {} steps, {} step instances |\n", plan.steps.len(), plan.instances.len());
    if !plan.notes.is_empty() {
        for note in &plan.notes {
            let _ = writeln!(out, "> Note: {}", prose(note));
        }
        out.push('\n');
    }
}

/// When each step is planned to start and end, and how the end stands against the window.
fn schedule(plan: &LoweredPlan, times: &Times<'_>, out: &mut String) {
    out.push_str("## Schedule\n\nWhen each step should start, counted from the start of the run (T+00:00): steps run one after another, a rolling step batch by batch.");
    match times.start {
        Some(start) => {
            let _ = write!(out, " Clock times count from `--start {}`.", prose(start.written()));
        }
        None => out.push_str(" `cutover build --emit runbook --start HH:MM` adds clock times."),
    }
    out.push_str("\n\n");
    let clock = times.start.is_some();
    out.push_str(if clock {
        "| # | Step | Start | End | Clock |\n|---|---|---|---|---|\n"
    } else {
        "| # | Step | Start | End |\n|---|---|---|---|\n"
    });
    let mut number = 0;
    for (step, scheduled) in plan.steps.iter().zip(&plan.schedule.steps) {
        let label = if step.phase == Phase::Preflight {
            "preflight".to_owned()
        } else {
            number += 1;
            number.to_string()
        };
        let end = scheduled.start_seconds + scheduled.duration_seconds;
        let late = if times.after_window(end) { " ⚠ after the window" } else { "" };
        let _ = write!(
            out,
            "| {label} | {} | {} | {}{late} |",
            cell(&step.id),
            Times::offset(scheduled.start_seconds),
            Times::offset(end)
        );
        match times.start {
            Some(start) => {
                let _ = writeln!(out, " {} |", start.clock(scheduled.start_seconds));
            }
            None => out.push('\n'),
        }
    }
    out.push('\n');
    let total = plan.schedule.total_seconds;
    if let Some(window) = plan.window_seconds {
        let budget = plan.budget_seconds.unwrap_or(window);
        let _ = write!(out, "The window closes at {}", times.at(window));
        if budget < window {
            let _ = write!(out, "; the buffer asks for the work to end by {}", times.at(budget));
        }
        out.push_str(". ");
        if total > window {
            let _ = writeln!(
                out,
                "**The schedule overruns the window by {}:** it ends at {}.\n",
                seconds(total - window),
                times.at(total)
            );
        } else if total > budget {
            let _ = writeln!(
                out,
                "The schedule ends at {}, {} into the buffer.\n",
                times.at(total),
                seconds(total - budget)
            );
        } else {
            let _ = writeln!(
                out,
                "The schedule ends at {}, {} before the window closes.\n",
                times.at(total),
                seconds(window - total)
            );
        }
    }
}

/// The instances of a step, grouped by identical commands: hosts whose commands differ (a
/// rollback to a different `.from`) get their own block.
fn groups<'p>(plan: &'p LoweredPlan, step: &LoweredStep) -> Vec<(Vec<&'p str>, &'p Instance)> {
    let mut groups: Vec<(Vec<&str>, &Instance)> = Vec::new();
    for instance in plan.instances_of(step) {
        let same = |other: &Instance| other.commands().eq(instance.commands()) && other.noop == instance.noop;
        match groups.iter_mut().find(|(_, first)| same(first)) {
            Some((hosts, _)) => hosts.push(&instance.host),
            None => groups.push((vec![&instance.host], instance)),
        }
    }
    groups
}

/// The versions the plan was compiled for, host by host: what the drift guard checks.
fn compiled_for(plan: &LoweredPlan, out: &mut String) {
    if plan.compiled_for.is_empty() {
        return;
    }
    let mut components: Vec<&str> = Vec::new();
    for versions in plan.compiled_for.values() {
        for component in versions.keys() {
            if !components.contains(&component.as_str()) {
                components.push(component);
            }
        }
    }
    out.push_str(
        "## Versions compiled for\n\nWhat each host ran when the plan was built. The script and the playbook ask every host \
         before the first step and stop, changing nothing, where one differs; by hand, check them first \
         (`cutover gather` asks every host).\n\n- [ ] Every host runs the versions below.\n\n| Host |",
    );
    for component in &components {
        let _ = write!(out, " {} |", cell(component));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(components.len()));
    out.push('\n');
    for (host, versions) in &plan.compiled_for {
        let _ = write!(out, "| {} |", cell(host));
        for component in &components {
            let _ =
                write!(out, " {} |", versions.get(*component).map_or_else(|| "—".to_owned(), |version| cell(version)));
        }
        out.push('\n');
    }
    out.push('\n');
}

fn preflight(plan: &LoweredPlan, out: &mut String) {
    let checks: Vec<&LoweredStep> = plan.steps.iter().filter(|step| step.phase == Phase::Preflight).collect();
    if checks.is_empty() {
        return;
    }
    out.push_str("## Preflight checklist\n\nRead-only checks, before the window opens. Do not start until every box is ticked.\n\n");
    for step in checks {
        for (hosts, instance) in groups(plan, step) {
            let _ =
                writeln!(out, "- [ ] **{}** on {}: {}", prose(&step.id), prose(&hosts.join(", ")), code(&instance.run));
        }
    }
    out.push('\n');
}

fn steps(plan: &LoweredPlan, times: &Times<'_>, rollback: &RollbackItems, out: &mut String) {
    out.push_str("## Steps\n\n");
    let main: Vec<&LoweredStep> = plan.steps.iter().filter(|step| step.phase != Phase::Preflight).collect();
    // The first irreversible step: where rollback stops being complete.
    let point_of_no_return = main.iter().find(|step| step.irreversible.is_some()).map(|step| step.position);
    for (number, step) in main.iter().enumerate() {
        let _ = writeln!(out, "### {}. {}\n", number + 1, prose(&step.id));
        let mut facts = vec![format!("on {}", prose(&where_(step)))];
        if let Some(serial) = &step.serial {
            let sizes = plan.batch_sizes(step);
            // Batches of one size (the last one takes what is left) read as "N at a time"; a
            // ramp is spelled out, batch by batch.
            let one_size = match sizes.split_last() {
                Some((last, rest)) => rest.iter().all(|size| *size == sizes[0]) && *last <= sizes[0],
                None => true,
            };
            if one_size {
                facts.push(format!("{} at a time ({} batches)", prose(serial), step.batches));
            } else {
                let sizes: Vec<String> = sizes.iter().map(ToString::to_string).collect();
                facts.push(format!("serial {}: batches of {} hosts", prose(serial), sizes.join(", ")));
            }
        }
        if let Some(action) = &step.action {
            facts.push(format!("action {}", code(action)));
        }
        if let Some(estimate) = step.estimate_seconds {
            facts.push(format!("estimate {}", seconds(estimate)));
        }
        if let Some(timeout) = step.timeout_seconds {
            facts.push(format!("timeout {}", seconds(timeout)));
        }
        // Where the step stands in the schedule, so that the person running it can tell how
        // far ahead of or behind the promise the run is.
        if let Some(scheduled) = plan.schedule.steps.get(step.position - 1) {
            let end = scheduled.start_seconds + scheduled.duration_seconds;
            facts.push(format!("starts {}, ends {}", times.at(scheduled.start_seconds), times.at(end)));
        }
        if let Some(retries) = &step.retries {
            facts.push(format!("{} retries ({})", retries.count, retries.backoff.unwrap_or("no backoff")));
        }
        let waits: Vec<String> = step
            .after
            .iter()
            .map(|before| code(before))
            .chain(
                step.inferred_after
                    .iter()
                    .map(|inferred| format!("{} ({})", code(&inferred.step), prose(&inferred.reason))),
            )
            .collect();
        if !waits.is_empty() {
            facts.push(format!("after {}", waits.join(", ")));
        }
        let _ = writeln!(out, "{}\n", facts.join(" · "));
        if let Some(reason) = &step.irreversible {
            let _ = writeln!(out, "> **Irreversible:** {}\n", prose(reason));
        }
        go_no_go(step, point_of_no_return == Some(step.position), out);
        if let Some(sentence) = rollback.start_sentence(plan, step) {
            let _ = writeln!(out, "{sentence}\n");
        }
        for instance in plan.instances_of(step) {
            match &instance.noop {
                Some(noop) => {
                    let _ = writeln!(out, "- [x] {} — nothing to do: {}", prose(&instance.host), prose(noop));
                }
                None => {
                    let _ = writeln!(out, "- [ ] {}", prose(&instance.host));
                }
            }
        }
        out.push('\n');
        if let Some(gate) = &step.gate {
            gate_items(plan, step, gate, out);
        }
        let mut groups = groups(plan, step);
        groups.retain(|(_, instance)| instance.noop.is_none());
        let several = groups.len() > 1;
        for (hosts, instance) in groups {
            if several {
                let _ = writeln!(out, "On {}:\n", prose(&hosts.join(", ")));
            }
            if let Some(edit) = config_edit(step) {
                // What a config edit does fits in a line; its generated shell (a backup, an
                // awk program) is there for who wants to check it, folded.
                let _ = writeln!(out, "**{edit}**\n");
                out.push_str("<details><summary>command</summary>\n\n");
                block(out, "Command", &instance.run);
                out.push_str("</details>\n\n<details><summary>verify, rollback and cleanup</summary>\n\n");
                commands_after_run(plan, instance, out);
                out.push_str("</details>\n\n");
            } else {
                block(out, "Command", &instance.run);
                commands_after_run(plan, instance, out);
            }
        }
    }
}

/// The go/no-go boxes of a step: an approval (the prelude's `approve`), and the point of no
/// return (the plan's first irreversible step).
fn go_no_go(step: &LoweredStep, point_of_no_return: bool, out: &mut String) {
    if let Some(message) = &step.approval {
        let _ = writeln!(
            out,
            "**Go / no-go:** {}{} The run waits here for a person: the script asks on its terminal \
             (or stops with exit 4 until rerun with {}), the playbook pauses.\n\n\
             - [ ] approved by ________ at ________\n",
            prose(message),
            if message.trim_end().ends_with(['.', '?', '!']) { "" } else { "." },
            code(&format!("--approve {}", step.id))
        );
    }
    if point_of_no_return {
        let _ = writeln!(
            out,
            "**Point of no return.** From this step on a rollback no longer undoes everything: \
             this step stays done whatever happens after it.\n\n\
             - [ ] go: every step before this one is done and checked, by ________ at ________\n"
        );
    }
}

/// A gate: what it checks, then a box for each batch, which the next batch waits for.
fn gate_items(plan: &LoweredPlan, step: &LoweredStep, gate: &crate::lower::gate::LoweredGate, out: &mut String) {
    let when = if step.batches > 1 { "after each batch, on its hosts" } else { "once every host is done" };
    let _ =
        writeln!(out, "**Gate** ({when}): {}. A gate that fails is a failure of this step.\n", prose(&gate.describe()));
    let instances = plan.instances_of(step);
    for batch in 1..=step.batches {
        let hosts: Vec<&str> = instances
            .iter()
            .filter(|instance| instance.batch == batch)
            .map(|instance| instance.host.as_str())
            .collect();
        let next = if batch < step.batches { ", before the next batch starts" } else { "" };
        let _ = writeln!(out, "- [ ] gate passed on {}{next}", prose(&hosts.join(", ")));
    }
    out.push_str("\n<details><summary>gate command</summary>\n\n");
    block(out, "Gate", &gate.run);
    out.push_str("</details>\n\n");
}

/// The verifies, the rollback (or why there is none) and the cleanups of an instance.
fn commands_after_run(plan: &LoweredPlan, instance: &Instance, out: &mut String) {
    for verify in &instance.verify {
        block(out, "Verify", verify);
    }
    match plan.undo_of(instance) {
        Undo::Rollback(rollback) if instance.rollback_does_nothing() => {
            let _ = writeln!(
                out,
                "Rollback: nothing to undo (its rollback only prints: {}); left out of the rollback procedure.\n",
                code(rollback)
            );
        }
        Undo::Rollback(rollback) => block(out, "Rollback", rollback),
        Undo::Irreversible(_) => out.push_str("Rollback: none, irreversible (see above).\n\n"),
        Undo::Nothing => out.push_str("Rollback: none needed, read-only.\n\n"),
    }
    for cleanup in &instance.cleanup {
        block(out, "Cleanup (at the end)", cleanup);
    }
}

/// What a `config.set` or `config.unset` step does, in words: `set` `key = value` `in` `FILE`,
/// `remove key` `KEY` `from` `FILE`. `None` for any other step, and for a library's
/// replacement of those actions that takes other parameters.
fn config_edit(step: &LoweredStep) -> Option<String> {
    let argument = |name: &str| step.arguments.get(name).map(|argument| argument.value.as_str());
    let (key, file) = (argument("key")?, argument("file")?);
    match step.action.as_deref()? {
        "config.set" => Some(format!("set {} in {}", code(&format!("{key} = {}", argument("value")?)), code(file))),
        "config.unset" => Some(format!("remove key {} from {}", code(key), code(file))),
        _ => None,
    }
}

fn where_(step: &LoweredStep) -> String {
    if step.hosts.len() == 1 && step.hosts[0] == step.on {
        step.on.clone()
    } else {
        format!("{} ({})", step.on, step.hosts.join(", "))
    }
}

fn cleanups(plan: &LoweredPlan, out: &mut String) {
    let with_cleanups: Vec<&Instance> =
        plan.instances.iter().rev().filter(|instance| !instance.cleanup.is_empty()).collect();
    if with_cleanups.is_empty() {
        return;
    }
    out.push_str("## Cleanup\n\nAfter success, and after a rollback, in this order. A failing cleanup is reported; do the others anyway.\n\n");
    for instance in with_cleanups {
        for cleanup in &instance.cleanup {
            let _ = writeln!(out, "- [ ] {} @ {}: {}", prose(&instance.step), prose(&instance.host), code(cleanup));
        }
    }
    out.push('\n');
}

/// The items of the rollback procedure: the instances that have something to undo (or that
/// cannot be undone, which the operator must pass over knowingly), newest first, numbered from
/// 1. Instances that do nothing, are read-only, or whose rollback only prints have no item.
struct RollbackItems {
    /// The item number of each instance, by its place in [`LoweredPlan::instances`].
    number: Vec<Option<usize>>,
    /// Where the procedure starts when that instance fails: its own item, or else the item of
    /// the newest instance completed before it; `None` when nothing before it has one.
    start: Vec<Option<usize>>,
    any_cleanup: bool,
}

impl RollbackItems {
    fn of(plan: &LoweredPlan) -> Self {
        let mut number = vec![None; plan.instances.len()];
        let mut next = 0;
        for (at, instance) in plan.instances.iter().enumerate().rev() {
            let has_item = instance.noop.is_none()
                && !instance.rollback_does_nothing()
                && !matches!(plan.undo_of(instance), Undo::Nothing);
            if has_item {
                next += 1;
                number[at] = Some(next);
            }
        }
        let mut start = Vec::with_capacity(number.len());
        let mut latest = None;
        for item in &number {
            latest = item.or(latest);
            start.push(latest);
        }
        let any_cleanup = plan.instances.iter().any(|instance| !instance.cleanup.is_empty());
        Self { number, start, any_cleanup }
    }

    /// "If this step fails, the rollback starts at item M", linked. The hosts of one batch run
    /// at once, so when one of them fails the others may have finished: the procedure starts
    /// at the batch's newest instance (rollbacks are idempotent, so undoing one that did not
    /// finish is safe). A rolling step gets one start per batch.
    fn start_sentence(&self, plan: &LoweredPlan, step: &LoweredStep) -> Option<String> {
        let range = step.instance_range.clone();
        let mut last_of_batch: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
        for (at, instance) in range.clone().zip(plan.instances_of(step)) {
            last_of_batch.insert(instance.batch, at);
        }
        let mut by_batch: Vec<(usize, Vec<&str>, Option<usize>)> = Vec::new();
        for instance in plan.instances_of(step) {
            if instance.noop.is_some() {
                continue;
            }
            let start = self.start[last_of_batch[&instance.batch]];
            match by_batch.iter_mut().find(|(batch, ..)| *batch == instance.batch) {
                Some((_, hosts, _)) => hosts.push(&instance.host),
                None => by_batch.push((instance.batch, vec![&instance.host], start)),
            }
        }
        let first = by_batch.first()?.2;
        if by_batch.iter().all(|(.., start)| *start == first) {
            return Some(match first {
                Some(item) => format!("If this step fails, the rollback starts at {}.", link(item)),
                None if self.any_cleanup => {
                    "If this step fails, there is nothing to roll back: go to the [cleanups](#cleanup).".to_owned()
                }
                None => "If this step fails, there is nothing to roll back and nothing to clean up.".to_owned(),
            });
        }
        let start_text = |start: Option<usize>| start.map_or_else(|| "nothing to roll back".to_owned(), link);
        let parts: Vec<String> = by_batch
            .iter()
            .map(|(batch, hosts, start)| {
                format!("batch {batch} ({}): {}", prose(&hosts.join(", ")), start_text(*start))
            })
            .collect();
        Some(format!("If this step fails, the rollback starts at the failing batch's item: {}.", parts.join("; ")))
    }
}

/// A link to an item of the rollback procedure.
fn link(item: usize) -> String {
    format!("[item {item}](#rollback-{item})")
}

fn rollback_procedure(plan: &LoweredPlan, items: &RollbackItems, out: &mut String) {
    out.push_str(
        "## Rollback procedure\n\n\
         When a step fails: start at the item its section names (the failed instance's own \
         rollback, or the newest completed one before it), do every item from there down the \
         list, newest first, then do the cleanups. \
         The script does this by itself; `--rollback` undoes what its journal holds.\n\n",
    );
    let mut left_out: Vec<(&str, usize)> = Vec::new();
    for (at, instance) in plan.instances.iter().enumerate().rev() {
        let Some(number) = items.number[at] else {
            if instance.noop.is_none() && instance.rollback_does_nothing() {
                match left_out.last_mut() {
                    Some((step, count)) if *step == instance.step => *count += 1,
                    _ => left_out.push((&instance.step, 1)),
                }
            }
            continue;
        };
        let anchor = format!("<a id=\"rollback-{number}\"></a>");
        match plan.undo_of(instance) {
            Undo::Rollback(rollback) => {
                let _ = writeln!(
                    out,
                    "{number}. [ ] {anchor}{} @ {}: {}",
                    prose(&instance.step),
                    prose(&instance.host),
                    code(rollback)
                );
            }
            Undo::Irreversible(reason) => {
                let _ = writeln!(
                    out,
                    "{number}. {anchor}**{} @ {} cannot be undone** ({}); pass over it.",
                    prose(&instance.step),
                    prose(&instance.host),
                    prose(reason)
                );
            }
            Undo::Nothing => {}
        }
    }
    if !left_out.is_empty() {
        let steps: Vec<String> = left_out
            .iter()
            .map(|(step, count)| format!("{} ({count} {})", code(step), if *count == 1 { "host" } else { "hosts" }))
            .collect();
        let _ = write!(out, "\nLeft out, because their rollback only prints: {}.\n", steps.join(", "));
    }
    out.push('\n');
}

fn config_changes(plan: &LoweredPlan, out: &mut String) {
    if plan.config_changes.is_empty() {
        return;
    }
    out.push_str("## Config changes and deprecations\n\n| Step | Key | Value | File | What the manifest says |\n|---|---|---|---|---|\n");
    for change in &plan.config_changes {
        let mut says = Vec::new();
        if let Some(since) = &change.since {
            says.push(format!("since {}", cell(since)));
        }
        if change.required {
            says.push(match &change.expect {
                Some(expect) => format!("required, expected {}", cell_code(expect)),
                None => "required".to_owned(),
            });
        }
        if let Some(version) = &change.deprecated_in {
            says.push(format!("deprecated in {}", cell(version)));
        }
        if let Some(version) = &change.removed_in {
            says.push(format!("removed in {}", cell(version)));
        }
        if let Some(replacement) = &change.replaced_by {
            says.push(format!("use {} instead", cell_code(replacement)));
        }
        if says.is_empty() {
            says.push("not in the config matrix".to_owned());
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&change.step),
            cell_code(&change.key),
            change.value.as_deref().map_or_else(String::new, cell_code),
            change.file.as_deref().map_or_else(String::new, cell_code),
            says.join("; ")
        );
    }
    out.push('\n');
}

fn status_updates(plan: &LoweredPlan, out: &mut String) {
    let moves: Vec<String> = plan.upgrade.iter().map(|goal| format!("{} to {}", goal.component, goal.to)).collect();
    let what = if moves.is_empty() { plan.plan.clone() } else { format!("{} ({})", plan.plan, moves.join(", ")) };
    let what = prose(&what);
    let name = prose(&plan.plan);
    let expected = seconds(plan.schedule.total_seconds);
    let (step, count) = (code("<step>"), code("<n>"));
    out.push_str("## Status updates\n\nFor the announcement channel; fill in the parts in angle brackets.\n\n");
    let window = plan.window_seconds.map(|window| format!(" in a window of {}", seconds(window))).unwrap_or_default();
    let _ = writeln!(
        out,
        "- **Start:** Starting the {what} upgrade now{window}; expected to take about {expected}. Updates follow here."
    );
    let _ = writeln!(out, "- **Progress:** {name}: {step} done ({count} of {} steps). Next: {step}.", plan.steps.len());
    let _ = writeln!(out, "- **Done:** The {what} upgrade is done and verified. Thanks for your patience.");
    let _ = writeln!(
        out,
        "- **Rolled back:** The {name} upgrade hit a problem at {step} and was rolled back; everything runs the previous version. We will follow up with a new date."
    );
    if let Some(notify) = &plan.notify {
        let _ = writeln!(out, "\nThe script also sends each update itself, through {}.", code(notify));
    }
}

/// A titled fenced block of shell.
fn block(out: &mut String, title: &str, command: &str) {
    let _ = writeln!(out, "{title}:\n");
    fenced(out, "sh", command);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, compile_body, compile_body_with};

    /// One batch size reads "N at a time"; a ramp is spelled out batch by batch.
    #[test]
    fn a_ramp_is_spelled_out_batch_by_batch() {
        let inventory = "groups: { app: [a, b, c, d, e, f, g, h, i, j] }\nhosts: {}\n";
        let plan = "steps:\n  - { id: ramp, run: ./r.sh, rollback: ./u.sh, on: app, serial: [1, 10%, 50%], estimate: 1m }\n  - { id: even, run: ./r.sh, rollback: ./u.sh, on: app, serial: 30%, estimate: 1m }\n";
        let lowered = compile_body(plan, DTEN_MANIFEST, inventory).lowered.expect("lowers");
        let text = super::emit(&lowered);
        assert!(text.contains(" · serial [1, 10%, 50%]: batches of 1, 1, 5, 3 hosts · "), "{text}");
        assert!(text.contains(" · 30% at a time (4 batches) · "), "{text}");
        assert!(text.contains(" · starts T+04:00, ends T+08:00"), "{text}");
    }

    fn runbook(plan: &str, start: Option<&str>) -> String {
        // CUT034 allowed, as a team may, so that a plan longer than its window still lowers.
        let settings = crate::config::Settings::from_toml("[rules]\nCUT034 = \"allow\"\n").expect("settings");
        let compilation = compile_body_with(plan, DTEN_MANIFEST, DTEN_INVENTORY, &settings);
        let lowered = compilation.lowered.unwrap_or_else(|| panic!("lowers: {:?}", compilation.diagnostics));
        let start = start.map(|text| super::Start::parse(text).expect("a start"));
        super::emit_with(&lowered, start.as_ref())
    }

    /// Plan text never becomes markup: a `<script>` in an irreversible reason stays text, a
    /// `|` in a config value stays in its cell, backticks in a command cannot close its span
    /// or its block.
    #[test]
    fn plan_text_is_escaped_for_where_it_stands() {
        let plan = "steps:\n  - { id: backup, run: ./b.sh, rollback: ./r.sh, effects: [snapshot] }\n  - { id: one-way, run: 'echo `date` | tee /tmp/x', irreversible: 'drops <script>alert(1)</script> | and `ticks`', after: [backup] }\n  - { id: edit, do: config.set, with: { file: /etc/a|b.conf, key: dten.hybrid.enable, value: 'x|`y`' }, on: app, after: [one-way] }\n";
        let text = runbook(plan, None);
        assert!(!text.contains("<script>"), "{text}");
        assert!(
            text.contains("> **Irreversible:** drops \\<script\\>alert(1)\\</script\\> \\| and \\`ticks\\`"),
            "{text}"
        );
        assert!(text.contains("```sh\necho `date` | tee /tmp/x\n```"), "{text}");
        assert!(text.contains("| edit | `dten.hybrid.enable` | `` x\\|`y` `` | `/etc/a\\|b.conf` |"), "{text}");
        assert!(text.contains("**set `` dten.hybrid.enable = x|`y` `` in `/etc/a|b.conf`**"), "{text}");
        assert!(!text.contains("&lt;"), "{text}");
    }

    /// Each step names the rollback item to begin at: its own, or else the newest completed
    /// one before it; rollbacks that only print are left out of the procedure.
    #[test]
    fn every_step_names_where_its_rollback_starts() {
        let plan = "steps:\n  - { id: first, run: ./a.sh, rollback: ./undo-a.sh }\n  - { id: bounce, run: ./bounce.sh, rollback: \"echo 'nothing to undo'\", on: app, after: [first] }\n  - { id: check, run: ./check.sh, readonly: true, after: [bounce] }\n  - { id: last, run: ./z.sh, rollback: ./undo-z.sh, on: app, serial: 1, after: [check] }\n";
        let text = runbook(plan, None);
        let procedure = &text[text.find("## Rollback procedure").expect("a procedure")..];
        assert!(!procedure.contains("nothing to undo'`"), "{procedure}");
        assert!(procedure.contains("1. [ ] <a id=\"rollback-1\"></a>last @ app-2: `./undo-z.sh`"), "{procedure}");
        assert!(procedure.contains("3. [ ] <a id=\"rollback-3\"></a>first @ local: `./undo-a.sh`"), "{procedure}");
        assert!(procedure.contains("Left out, because their rollback only prints: `bounce` (2 hosts)."), "{procedure}");
        let section = |step: &str| {
            let from = text.find(&format!(". {step}\n")).expect("a step section");
            text[from..].split("\n### ").next().expect("a section").to_owned()
        };
        assert!(section("first").contains("the rollback starts at [item 3](#rollback-3)."));
        assert!(section("bounce").contains("the rollback starts at [item 3](#rollback-3)."));
        assert!(section("check").contains("the rollback starts at [item 3](#rollback-3)."));
        assert!(
            section("last").contains("batch 1 (app-1): [item 2](#rollback-2); batch 2 (app-2): [item 1](#rollback-1)."),
            "{}",
            section("last")
        );
    }

    /// With `--start`, every T+… gets its clock time, and a plan longer than its window says
    /// by how much and which steps end after it closes.
    #[test]
    fn clock_times_follow_the_start_and_an_overrun_is_named() {
        let plan = "window: 10m\nsteps:\n  - { id: long, run: ./a.sh, rollback: ./b.sh, estimate: 8m }\n  - { id: longer, run: ./a.sh, rollback: ./b.sh, estimate: 4m, after: [long] }\n";
        let text = runbook(plan, Some("23:55"));
        assert!(text.contains("| Window | 10m, from 23:55:00 to 00:05:00 (+1 day) |"), "{text}");
        assert!(text.contains("| 2 | longer | T+08:00 | T+12:00 ⚠ after the window | 00:03:00 (+1 day) |"), "{text}");
        assert!(
            text.contains("**The schedule overruns the window by 2m:** it ends at T+12:00 (00:07:00 (+1 day))."),
            "{text}"
        );
        assert!(text.contains(" · starts T+08:00 (00:03:00 (+1 day)), ends T+12:00 (00:07:00 (+1 day))"), "{text}");
        let without = runbook(plan, None);
        assert!(without.contains("| 2 | longer | T+08:00 | T+12:00 ⚠ after the window |\n"), "{without}");
    }
}
