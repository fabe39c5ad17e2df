//! What a change to a plan changes in what will run: steps added, removed and moved, the
//! dependencies between steps that appeared or went away (written `after` and inferred from the
//! manifest), commands changed per step and host, the schedule's total before and after, and
//! diagnostics that appeared or went away. Compares two lowered plans, so a reviewer sees consequences, not YAML lines;
//! written for a terminal, a pull-request comment, or tools (JSON, `"format": "cutover-diff/1"`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::Compilation;
use crate::lower::{Edge, Instance, LoweredPlan, LoweredStep};
use crate::model::Duration;

/// The differences between two compilations of a plan.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PlanDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Steps whose place among the steps both plans have changed: `(step, old position, new
    /// position)`, positions 1-based in run order.
    pub moved: Vec<(String, usize, usize)>,
    /// Dependencies that went away or appeared, step by step in run order, the ones that went
    /// away first.
    pub dependencies: Vec<DependencyChange>,
    pub changed: Vec<CommandChange>,
    /// The schedule's total in seconds, before and after (when both plans lower).
    pub schedule: Option<(u64, u64)>,
    pub new_diagnostics: Vec<String>,
    pub gone_diagnostics: Vec<String>,
}

/// A dependency one plan has and the other has not: `step` waits (or waited) for `waits_for`
/// to finish.
#[derive(Debug, PartialEq, Eq)]
pub struct DependencyChange {
    pub step: String,
    pub waits_for: String,
    /// Whether the new plan has it (otherwise only the old one had it).
    pub added: bool,
    /// Why the manifest implies it, for an inferred dependency; `None` for a written `after`.
    pub inferred: Option<String>,
}

impl DependencyChange {
    /// "install-core now waits for stop-agent", "install-core no longer waits for stop-core".
    #[must_use]
    pub fn sentence(&self) -> String {
        let verb = if self.added { "now waits" } else { "no longer waits" };
        format!("{} {verb} for {}", self.step, self.waits_for)
    }

    /// "written `after`", or "inferred: dten-core 4.0.3 is a required stop".
    #[must_use]
    pub fn origin(&self) -> String {
        match &self.inferred {
            Some(reason) => format!("inferred: {reason}"),
            None => "written `after`".to_owned(),
        }
    }
}

/// A command of a step that differs, on the hosts where it differs the same way.
#[derive(Debug, PartialEq, Eq)]
pub struct CommandChange {
    pub step: String,
    /// `run`, `verify`, `rollback` or `cleanup`.
    pub what: &'static str,
    pub hosts: Vec<String>,
    pub before: String,
    pub after: String,
}

impl PlanDiff {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.moved.is_empty()
            && self.dependencies.is_empty()
            && self.changed.is_empty()
            && self.new_diagnostics.is_empty()
            && self.gone_diagnostics.is_empty()
            && self.schedule.is_none_or(|(before, after)| before == after)
    }
}

/// Compares two compilations.
#[must_use]
pub fn diff(old: &Compilation, new: &Compilation) -> PlanDiff {
    let mut result = PlanDiff::default();
    let messages = |compilation: &Compilation| -> BTreeSet<String> {
        compilation.diagnostics.iter().map(|diagnostic| format!("{} {}", diagnostic.code, diagnostic.message)).collect()
    };
    let (old_messages, new_messages) = (messages(old), messages(new));
    result.new_diagnostics = new_messages.difference(&old_messages).cloned().collect();
    result.gone_diagnostics = old_messages.difference(&new_messages).cloned().collect();
    if let (Some(old), Some(new)) = (&old.lowered, &new.lowered) {
        compare_plans(old, new, &mut result);
    }
    result
}

fn compare_plans(old: &LoweredPlan, new: &LoweredPlan, result: &mut PlanDiff) {
    let old_ids: Vec<&str> = old.steps.iter().map(|step| step.id.as_str()).collect();
    let new_ids: Vec<&str> = new.steps.iter().map(|step| step.id.as_str()).collect();
    let (old_set, new_set): (BTreeSet<&str>, BTreeSet<&str>) =
        (old_ids.iter().copied().collect(), new_ids.iter().copied().collect());
    result.added = new_ids.iter().filter(|id| !old_set.contains(*id)).map(|id| (*id).to_owned()).collect();
    result.removed = old_ids.iter().filter(|id| !new_set.contains(*id)).map(|id| (*id).to_owned()).collect();
    result.moved = moved(&old_ids, &new_ids);
    result.dependencies = dependencies(old, new);
    let old_steps: BTreeMap<&str, &LoweredStep> = old.steps.iter().map(|step| (step.id.as_str(), step)).collect();
    for step in &new.steps {
        if let Some(old_step) = old_steps.get(step.id.as_str()) {
            compare_instances(&step.id, old.instances_of(old_step), new.instances_of(step), &mut result.changed);
        }
    }
    result.schedule = Some((old.schedule.total_seconds, new.schedule.total_seconds));
}

/// The steps both plans have whose relative order changed: everything outside a longest run
/// kept in the same order.
fn moved(old_ids: &[&str], new_ids: &[&str]) -> Vec<(String, usize, usize)> {
    let new_position: BTreeMap<&str, usize> = new_ids.iter().enumerate().map(|(index, id)| (*id, index)).collect();
    let old_position: BTreeMap<&str, usize> = old_ids.iter().enumerate().map(|(index, id)| (*id, index)).collect();
    let common: Vec<&str> = old_ids.iter().copied().filter(|id| new_position.contains_key(id)).collect();
    let sequence: Vec<usize> = common.iter().map(|id| new_position[id]).collect();
    let kept = longest_increasing(&sequence);
    common
        .iter()
        .enumerate()
        .filter(|(index, _)| !kept.contains(index))
        .map(|(_, id)| ((*id).to_owned(), old_position[id] + 1, new_position[id] + 1))
        .collect()
}

/// The dependencies only one of the plans has. A dependency is the pair of steps and whether it
/// is written or inferred: an `after` that the manifest now implies as well is a change a
/// reviewer should see (deleting the `after` would no longer free the step), while a new
/// wording of an inferred reason is not.
fn dependencies(old: &LoweredPlan, new: &LoweredPlan) -> Vec<DependencyChange> {
    let key = |edge: &Edge| (edge.from.clone(), edge.to.clone(), edge.inferred);
    let old_keys: BTreeSet<_> = old.edges.iter().map(key).collect();
    let new_keys: BTreeSet<_> = new.edges.iter().map(key).collect();
    let change = |edge: &Edge, added: bool| DependencyChange {
        step: edge.to.clone(),
        waits_for: edge.from.clone(),
        added,
        inferred: edge.inferred.then(|| edge.reason.clone().unwrap_or_default()),
    };
    let mut changes: Vec<DependencyChange> = old
        .edges
        .iter()
        .filter(|edge| !new_keys.contains(&key(edge)))
        .map(|edge| change(edge, false))
        .chain(new.edges.iter().filter(|edge| !old_keys.contains(&key(edge))).map(|edge| change(edge, true)))
        .collect();
    // Step by step in the new run order (steps only the old plan has after them), what went
    // away before what came, so "no longer waits for X" and "now waits for Y" read together.
    let position = |step: &str| {
        new.steps
            .iter()
            .position(|candidate| candidate.id == step)
            .or_else(|| old.steps.iter().position(|candidate| candidate.id == step).map(|at| new.steps.len() + at))
            .unwrap_or(usize::MAX)
    };
    changes.sort_by_key(|change| (position(&change.step), change.added));
    changes
}

/// Indexes of one longest strictly increasing subsequence (patience sorting, O(n log n)).
fn longest_increasing(sequence: &[usize]) -> BTreeSet<usize> {
    let mut tails: Vec<usize> = Vec::new();
    let mut previous: Vec<Option<usize>> = vec![None; sequence.len()];
    for (index, value) in sequence.iter().enumerate() {
        let place = tails.partition_point(|tail| sequence[*tail] < *value);
        previous[index] = place.checked_sub(1).map(|before| tails[before]);
        if place == tails.len() {
            tails.push(index);
        } else {
            tails[place] = index;
        }
    }
    let mut kept = BTreeSet::new();
    let mut cursor = tails.last().copied();
    while let Some(index) = cursor {
        kept.insert(index);
        cursor = previous[index];
    }
    kept
}

fn compare_instances(step: &str, old: &[Instance], new: &[Instance], changes: &mut Vec<CommandChange>) {
    let old_instances: BTreeMap<&str, &Instance> =
        old.iter().map(|instance| (instance.host.as_str(), instance)).collect();
    let new_instances: BTreeMap<&str, &Instance> =
        new.iter().map(|instance| (instance.host.as_str(), instance)).collect();
    let mut grouped: Vec<CommandChange> = Vec::new();
    for (host, after) in &new_instances {
        let Some(before) = old_instances.get(host) else { continue };
        let pairs = [
            ("run", before.run.clone(), after.run.clone()),
            ("verify", before.verify.join("\n"), after.verify.join("\n")),
            ("rollback", before.rollback.clone().unwrap_or_default(), after.rollback.clone().unwrap_or_default()),
            ("cleanup", before.cleanup.join("\n"), after.cleanup.join("\n")),
        ];
        for (what, before, after) in pairs {
            if before == after {
                continue;
            }
            match grouped
                .iter_mut()
                .find(|change| change.what == what && change.before == before && change.after == after)
            {
                Some(change) => change.hosts.push((*host).to_owned()),
                None => grouped.push(CommandChange {
                    step: step.to_owned(),
                    what,
                    hosts: vec![(*host).to_owned()],
                    before,
                    after,
                }),
            }
        }
    }
    changes.extend(grouped);
}

/// The diff for a terminal.
#[must_use]
pub fn human(diff: &PlanDiff, old_name: &str, new_name: &str) -> String {
    let mut out = format!("{old_name} → {new_name}\n");
    if diff.is_empty() {
        out.push_str("no change in what will run\n");
        return out;
    }
    for step in &diff.added {
        let _ = writeln!(out, "+ step {step}");
    }
    for step in &diff.removed {
        let _ = writeln!(out, "- step {step}");
    }
    for (step, before, after) in &diff.moved {
        let _ = writeln!(out, "~ step {step} moved: {} → {}", ordinal(*before), ordinal(*after));
    }
    for dependency in &diff.dependencies {
        let sign = if dependency.added { '+' } else { '-' };
        let _ = writeln!(out, "{sign} {} ({})", dependency.sentence(), dependency.origin());
    }
    for change in &diff.changed {
        let _ = writeln!(out, "~ step {}: {} changed on {}", change.step, change.what, change.hosts.join(", "));
        for line in change.before.lines() {
            let _ = writeln!(out, "    - {line}");
        }
        for line in change.after.lines() {
            let _ = writeln!(out, "    + {line}");
        }
    }
    if let Some((before, after)) = diff.schedule.filter(|(before, after)| before != after) {
        let _ = writeln!(out, "schedule: {} → {}", Duration::from_seconds(before), Duration::from_seconds(after));
    }
    for message in &diff.new_diagnostics {
        let _ = writeln!(out, "new diagnostic: {message}");
    }
    for message in &diff.gone_diagnostics {
        let _ = writeln!(out, "fixed diagnostic: {message}");
    }
    out
}

/// The diff for a pull-request comment.
#[must_use]
pub fn markdown(diff: &PlanDiff, old_name: &str, new_name: &str) -> String {
    let mut out = format!("### What changes in `{new_name}`\n\nCompared with `{old_name}`, in lowered steps.\n\n");
    if diff.is_empty() {
        out.push_str("No change in what will run.\n");
        return out;
    }
    for step in &diff.added {
        let _ = writeln!(out, "- ➕ step `{step}` added");
    }
    for step in &diff.removed {
        let _ = writeln!(out, "- ➖ step `{step}` removed");
    }
    for (step, before, after) in &diff.moved {
        let _ = writeln!(out, "- 🔀 step `{step}` moved from {} to {}", ordinal(*before), ordinal(*after));
    }
    for dependency in &diff.dependencies {
        let (mark, verb) = if dependency.added { ("🔗", "now waits") } else { ("✂️", "no longer waits") };
        let _ = writeln!(
            out,
            "- {mark} step `{}` {verb} for `{}` ({})",
            dependency.step,
            dependency.waits_for,
            dependency.origin()
        );
    }
    for change in &diff.changed {
        let _ = writeln!(out, "- ✏️ step `{}`: {} changed on {}\n", change.step, change.what, change.hosts.join(", "));
        out.push_str("  ```diff\n");
        for line in change.before.lines() {
            let _ = writeln!(out, "  - {line}");
        }
        for line in change.after.lines() {
            let _ = writeln!(out, "  + {line}");
        }
        out.push_str("  ```\n");
    }
    if let Some((before, after)) = diff.schedule.filter(|(before, after)| before != after) {
        let _ = writeln!(out, "- ⏱️ schedule {} → {}", Duration::from_seconds(before), Duration::from_seconds(after));
    }
    for message in &diff.new_diagnostics {
        let _ = writeln!(out, "- ⚠️ new: {message}");
    }
    for message in &diff.gone_diagnostics {
        let _ = writeln!(out, "- ✅ fixed: {message}");
    }
    out
}

/// The `format` field of the JSON diff; bumped on any incompatible change.
pub const FORMAT: &str = "cutover-diff/1";

/// The diff for tools: everything the text shows, keys in a fixed order.
#[must_use]
pub fn json(diff: &PlanDiff, old_name: &str, new_name: &str) -> String {
    use serde_json::json;
    let dependencies: Vec<serde_json::Value> = diff
        .dependencies
        .iter()
        .map(|dependency| {
            json!({
                "step": dependency.step,
                "waits_for": dependency.waits_for,
                "change": if dependency.added { "added" } else { "removed" },
                "kind": if dependency.inferred.is_some() { "inferred" } else { "written" },
                "reason": dependency.inferred,
                "sentence": dependency.sentence(),
            })
        })
        .collect();
    let moved: Vec<serde_json::Value> = diff
        .moved
        .iter()
        .map(|(step, before, after)| json!({ "step": step, "from_position": before, "to_position": after }))
        .collect();
    let commands: Vec<serde_json::Value> = diff
        .changed
        .iter()
        .map(|change| {
            json!({
                "step": change.step,
                "command": change.what,
                "hosts": change.hosts,
                "before": change.before,
                "after": change.after,
            })
        })
        .collect();
    let value = json!({
        "format": FORMAT,
        "old": old_name,
        "new": new_name,
        "changed": !diff.is_empty(),
        "steps": { "added": diff.added, "removed": diff.removed, "moved": moved },
        "dependencies": dependencies,
        "commands": commands,
        "schedule": diff.schedule.map(|(before, after)| json!({ "before_seconds": before, "after_seconds": after })),
        "diagnostics": { "new": diff.new_diagnostics, "fixed": diff.gone_diagnostics },
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn ordinal(position: usize) -> String {
    let suffix = match (position % 10, position % 100) {
        (1, tens) if tens != 11 => "st",
        (2, tens) if tens != 12 => "nd",
        (3, tens) if tens != 13 => "rd",
        _ => "th",
    };
    format!("{position}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_step_is_the_one_outside_the_longest_kept_order() {
        let old = ["a", "b", "c", "d"];
        let new = ["a", "c", "d", "b"];
        assert_eq!(moved(&old, &new), [("b".to_owned(), 2, 4)]);
        assert!(moved(&old, &old).is_empty());
    }

    #[test]
    fn ordinals() {
        assert_eq!(
            [1, 2, 3, 4, 11, 12, 13, 21, 22, 101].map(ordinal),
            ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]
        );
    }
}
