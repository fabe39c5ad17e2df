//! `--emit runbook`: Markdown for the people on the call. A summary, the graph, a preflight
//! checklist, every step with checkboxes and its command, verify and rollback, the cleanups,
//! the full rollback procedure, the config keys touched, and status-update templates.

use std::fmt::Write as _;

use crate::lower::Phase;
use crate::lower::{Instance, LOCAL, LoweredPlan, LoweredStep, Undo, duration_text};

#[must_use]
pub fn emit(plan: &LoweredPlan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Runbook: {}\n", plan.plan);
    if let Some(source) = plan.sources.first() {
        let _ = writeln!(
            out,
            "Compiled by {} from `{}` (sha256 `{}`). Do not edit: change the plan and build again.\n",
            plan.compiler,
            source.path,
            &source.sha256[..16]
        );
    }
    summary(plan, &mut out);
    out.push_str(
        "## Graph\n\nSolid arrows are written in the plan; dotted ones are implied by the manifest.\n\n```mermaid\n",
    );
    out.push_str(&crate::emit::mermaid::emit(plan));
    out.push_str("```\n\n");
    preflight(plan, &mut out);
    steps(plan, &mut out);
    cleanups(plan, &mut out);
    rollback_procedure(plan, &mut out);
    config_changes(plan, &mut out);
    status_updates(plan, &mut out);
    out
}

fn seconds(value: u64) -> String {
    duration_text(value)
}

fn summary(plan: &LoweredPlan, out: &mut String) {
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
    let mut hosts: Vec<&str> = plan.instances.iter().map(|instance| instance.host.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    let runs_locally = hosts.contains(&LOCAL);
    hosts.retain(|host| *host != LOCAL);
    let local = if runs_locally { ", and the machine running the plan" } else { "" };
    let _ = writeln!(out, "| Hosts | {} |", cell(&format!("{}: {}{local}", hosts.len(), hosts.join(", "))));
    if let Some(window) = plan.window_seconds {
        let _ = writeln!(out, "| Window | {} |", seconds(window));
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
        "| Schedule | {}: steps one after another, rolling steps batch by batch{missing} |",
        seconds(plan.schedule.total_seconds)
    );
    let _ = writeln!(out, "| Steps | {} steps, {} step instances |\n", plan.steps.len(), plan.instances.len());
    if !plan.notes.is_empty() {
        for note in &plan.notes {
            let _ = writeln!(out, "> Note: {note}");
        }
        out.push('\n');
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

/// A step's instances, in run order, by step id: looking them up by scanning every instance for
/// every step made the runbook quadratic (2.6 s for 10,000 steps).
fn preflight(plan: &LoweredPlan, out: &mut String) {
    let checks: Vec<&LoweredStep> = plan.steps.iter().filter(|step| step.phase == Phase::Preflight).collect();
    if checks.is_empty() {
        return;
    }
    out.push_str("## Preflight checklist\n\nRead-only checks, before the window opens. Do not start until every box is ticked.\n\n");
    for step in checks {
        for (hosts, instance) in groups(plan, step) {
            let _ = writeln!(out, "- [ ] **{}** on {}: {}", step.id, hosts.join(", "), code_span(&instance.run));
        }
    }
    out.push('\n');
}

fn steps(plan: &LoweredPlan, out: &mut String) {
    out.push_str("## Steps\n\n");
    let main: Vec<&LoweredStep> = plan.steps.iter().filter(|step| step.phase != Phase::Preflight).collect();
    for (number, step) in main.iter().enumerate() {
        let _ = writeln!(out, "### {}. {}\n", number + 1, step.id);
        let mut facts = vec![format!("on {}", where_(step))];
        if let Some(serial) = &step.serial {
            let sizes = plan.batch_sizes(step);
            // Batches of one size (the last one takes what is left) read as "N at a time"; a
            // ramp is spelled out, batch by batch.
            let one_size = match sizes.split_last() {
                Some((last, rest)) => rest.iter().all(|size| *size == sizes[0]) && *last <= sizes[0],
                None => true,
            };
            if one_size {
                facts.push(format!("{serial} at a time ({} batches)", step.batches));
            } else {
                let sizes: Vec<String> = sizes.iter().map(ToString::to_string).collect();
                facts.push(format!("serial {serial}: batches of {} hosts", sizes.join(", ")));
            }
        }
        if let Some(action) = &step.action {
            facts.push(format!("action `{action}`"));
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
            facts.push(format!("scheduled T+{} to T+{}", seconds(scheduled.start_seconds), seconds(end)));
        }
        if let Some(retries) = &step.retries {
            facts.push(format!("{} retries ({})", retries.count, retries.backoff.unwrap_or("no backoff")));
        }
        let waits: Vec<String> = step
            .after
            .iter()
            .map(|before| format!("`{before}`"))
            .chain(step.inferred_after.iter().map(|inferred| format!("`{}` ({})", inferred.step, inferred.reason)))
            .collect();
        if !waits.is_empty() {
            facts.push(format!("after {}", waits.join(", ")));
        }
        let _ = writeln!(out, "{}\n", facts.join(" · "));
        if let Some(reason) = &step.irreversible {
            let _ = writeln!(out, "> **Irreversible:** {reason}\n");
        }
        for instance in plan.instances_of(step) {
            match &instance.noop {
                Some(noop) => {
                    let _ = writeln!(out, "- [x] {} — nothing to do: {noop}", instance.host);
                }
                None => {
                    let _ = writeln!(out, "- [ ] {}", instance.host);
                }
            }
        }
        out.push('\n');
        let mut groups = groups(plan, step);
        groups.retain(|(_, instance)| instance.noop.is_none());
        let several = groups.len() > 1;
        for (hosts, instance) in groups {
            if several {
                let _ = writeln!(out, "On {}:\n", hosts.join(", "));
            }
            block(out, "Command", &instance.run);
            for verify in &instance.verify {
                block(out, "Verify", verify);
            }
            match plan.undo_of(instance) {
                Undo::Rollback(rollback) => block(out, "Rollback", rollback),
                Undo::Irreversible(_) => out.push_str("Rollback: none, irreversible (see above).\n\n"),
                Undo::Nothing => out.push_str("Rollback: none needed, read-only.\n\n"),
            }
            for cleanup in &instance.cleanup {
                block(out, "Cleanup (at the end)", cleanup);
            }
        }
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
            let _ = writeln!(out, "- [ ] {} @ {}: {}", instance.step, instance.host, code_span(cleanup));
        }
    }
    out.push('\n');
}

fn rollback_procedure(plan: &LoweredPlan, out: &mut String) {
    out.push_str(
        "## Rollback procedure\n\n\
         When a step fails: roll back that step on its host, then every completed step instance below, \
         newest first (start from the failed one and go down the list), then do the cleanups. \
         The script does this by itself; `--rollback` undoes what its journal holds.\n\n",
    );
    let mut number = 0;
    for instance in plan.instances.iter().rev() {
        if instance.noop.is_some() {
            continue;
        }
        match plan.undo_of(instance) {
            Undo::Rollback(rollback) => {
                number += 1;
                let _ = writeln!(out, "{number}. [ ] {} @ {}: {}", instance.step, instance.host, code_span(rollback));
            }
            Undo::Irreversible(reason) => {
                number += 1;
                let _ = writeln!(
                    out,
                    "{number}. **{} @ {} cannot be undone** ({reason}); pass over it.",
                    instance.step, instance.host
                );
            }
            Undo::Nothing => {}
        }
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
            says.push(format!("since {since}"));
        }
        if change.required {
            says.push(match &change.expect {
                Some(expect) => format!("required, expected `{expect}`"),
                None => "required".to_owned(),
            });
        }
        if let Some(version) = &change.deprecated_in {
            says.push(format!("deprecated in {version}"));
        }
        if let Some(version) = &change.removed_in {
            says.push(format!("removed in {version}"));
        }
        if let Some(replacement) = &change.replaced_by {
            says.push(format!("use `{replacement}` instead"));
        }
        if says.is_empty() {
            says.push("not in the config matrix".to_owned());
        }
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} |",
            cell(&change.step),
            cell(&change.key),
            change.value.as_deref().map_or_else(String::new, |value| format!("`{}`", cell(value))),
            change.file.as_deref().map_or_else(String::new, |file| format!("`{}`", cell(file))),
            cell(&says.join("; "))
        );
    }
    out.push('\n');
}

fn status_updates(plan: &LoweredPlan, out: &mut String) {
    let moves: Vec<String> = plan.upgrade.iter().map(|goal| format!("{} to {}", goal.component, goal.to)).collect();
    let what = if moves.is_empty() { plan.plan.clone() } else { format!("{} ({})", plan.plan, moves.join(", ")) };
    let expected = seconds(plan.schedule.total_seconds);
    out.push_str("## Status updates\n\nFor the announcement channel; fill in the parts in angle brackets.\n\n");
    let window = plan.window_seconds.map(|window| format!(" in a window of {}", seconds(window))).unwrap_or_default();
    let _ = writeln!(
        out,
        "- **Start:** Starting the {what} upgrade now{window}; expected to take about {expected}. Updates follow here."
    );
    let _ = writeln!(
        out,
        "- **Progress:** {}: &lt;step&gt; done (&lt;n&gt; of {} steps). Next: &lt;step&gt;.",
        plan.plan,
        plan.steps.len()
    );
    let _ = writeln!(out, "- **Done:** The {what} upgrade is done and verified. Thanks for your patience.");
    let _ = writeln!(
        out,
        "- **Rolled back:** The {} upgrade hit a problem at &lt;step&gt; and was rolled back; everything runs the previous version. We will follow up with a new date.",
        plan.plan
    );
    if let Some(notify) = &plan.notify {
        let _ = writeln!(out, "\nThe script also sends each update itself, through {}.", code_span(notify));
    }
}

/// A fenced code block longer than any run of backticks in the command.
fn block(out: &mut String, title: &str, command: &str) {
    let fence = "`".repeat(longest_backtick_run(command).max(2) + 1);
    let _ = writeln!(out, "{title}:\n\n{fence}sh\n{}\n{fence}\n", command.trim_end());
}

/// An inline code span that survives backticks in the text; multi-line text goes on one line.
fn code_span(text: &str) -> String {
    let text = text.trim().replace('\n', " ");
    let fence = "`".repeat(longest_backtick_run(&text) + 1);
    if text.starts_with('`') || text.ends_with('`') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|character| character != '`').map(str::len).max().unwrap_or(0)
}

/// Text inside a table cell: pipes escaped, on one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_MANIFEST, compile_body};

    /// One batch size reads "N at a time"; a ramp is spelled out batch by batch.
    #[test]
    fn a_ramp_is_spelled_out_batch_by_batch() {
        let inventory = "groups: { app: [a, b, c, d, e, f, g, h, i, j] }\nhosts: {}\n";
        let plan = "steps:\n  - { id: ramp, run: ./r.sh, rollback: ./u.sh, on: app, serial: [1, 10%, 50%], estimate: 1m }\n  - { id: even, run: ./r.sh, rollback: ./u.sh, on: app, serial: 30%, estimate: 1m }\n";
        let lowered = compile_body(plan, DTEN_MANIFEST, inventory).lowered.expect("lowers");
        let text = super::emit(&lowered);
        assert!(text.contains(" · serial [1, 10%, 50%]: batches of 1, 1, 5, 3 hosts · "), "{text}");
        assert!(text.contains(" · 30% at a time (4 batches) · "), "{text}");
        assert!(text.contains("scheduled T+4m to T+8m"), "{text}");
    }
}
