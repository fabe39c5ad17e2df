//! The schedule (SPEC §3): steps one after another in the graph's order, a step's instances
//! batch after batch, the instances of one batch at the same time. It is how both runners run
//! a plan, so it is the duration every output promises.
//!
//! CUT034 judges it against the window and lowering writes it into the JSON and the runbook;
//! both call [`schedule`], so the number in the runbook and the number the check compares can
//! never disagree.

use crate::model::Percent;
use crate::resolve::ResolvedStep;

/// The share of the window kept free when the plan sets no `buffer` (SPEC §1.3).
pub const DEFAULT_BUFFER: Percent = Percent(2000);

/// When each step starts and how long it takes, in run order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// How long the whole plan takes, in seconds: the sum of the steps' durations.
    pub total_seconds: u64,
    pub steps: Vec<ScheduledStep>,
    /// Steps of the whole plan with no estimate from anywhere, counted as zero.
    pub steps_without_estimate: usize,
}

/// One step of the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduledStep {
    /// The step, as an index into the resolved steps.
    pub step: usize,
    /// Seconds from the start of the run (T+…) at which its first batch starts.
    pub start_seconds: u64,
    /// How many batches its instances run in.
    pub batches: usize,
    /// Its estimate in whole seconds (rounded up, zero without one), with its gate's expected
    /// time, times its batches.
    pub duration_seconds: u64,
}

/// The schedule of a plan. `order` is the graph's topological order, the one lowering keeps.
///
/// Durations are whole seconds, each step's estimate rounded up before it is multiplied, so
/// that the JSON's `estimate_seconds × batches` adds up to the total to the second.
#[must_use]
pub fn schedule(steps: &[ResolvedStep<'_>], order: &[usize]) -> Schedule {
    let mut start_seconds = 0u64;
    let mut scheduled = Vec::with_capacity(order.len());
    for &index in order {
        let step = &steps[index];
        let batches = batches(step);
        // A gate runs after each batch: what a healthy batch spends in it (the checks before
        // its last pass, then the soak) is added to the estimate once per batch.
        let duration_seconds =
            (estimate_seconds(step).saturating_add(gate_seconds(step))).saturating_mul(batches as u64);
        scheduled.push(ScheduledStep { step: index, start_seconds, batches, duration_seconds });
        start_seconds = start_seconds.saturating_add(duration_seconds);
    }
    Schedule {
        total_seconds: start_seconds,
        steps: scheduled,
        steps_without_estimate: steps.iter().filter(|step| step.estimate.is_none()).count(),
    }
}

/// The time the schedule may take, in whole seconds: the window minus its buffer.
#[must_use]
pub fn budget_seconds(window_seconds: u64, buffer: Percent) -> u64 {
    window_seconds - window_seconds * u64::from(buffer.0) / 10_000
}

/// How many batches a step runs in: one without `serial`, otherwise as many as its batch
/// sizes (a ramp's in order, the last repeating) take to cover its hosts.
#[must_use]
pub fn batches(step: &ResolvedStep<'_>) -> usize {
    match &step.serial {
        Some(serial) => serial.batch_sizes(step.hosts.len()).len().max(1),
        None => 1,
    }
}

/// The hosts of each batch of a step, in run order: its hosts in order, cut by its batch sizes
/// (one batch of every host without `serial`). Lowering and CUT022 both cut batches here.
#[must_use]
pub fn host_batches<'s>(step: &'s ResolvedStep<'_>) -> Vec<&'s [String]> {
    let sizes =
        step.serial.as_ref().map_or_else(|| vec![step.hosts.len()], |serial| serial.batch_sizes(step.hosts.len()));
    let mut batches = Vec::with_capacity(sizes.len());
    let mut start = 0;
    for size in sizes {
        batches.push(&step.hosts[start..start + size]);
        start += size;
    }
    batches
}

/// What a healthy batch of the step spends in its gate, in whole seconds; zero without one.
#[must_use]
pub fn gate_seconds(step: &ResolvedStep<'_>) -> u64 {
    step.step.gate.as_ref().map_or(0, |gate| gate.value.expected_seconds())
}

/// A step's estimate in whole seconds, rounded up; zero without one.
fn estimate_seconds(step: &ResolvedStep<'_>) -> u64 {
    step.estimate.map_or(0, crate::model::Duration::seconds)
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_MANIFEST, compile_body};

    /// `serial: 1` on three hosts is three batches, `serial: 50%` on four is two, no `serial`
    /// is one; each step starts when the one before it ends.
    #[test]
    fn steps_follow_each_other_and_batches_multiply() {
        let inventory = "groups: { three: [a, b, c], four: [d, e, f, g] }\nhosts: {}\n";
        let plan = "steps:\n  - { id: one-by-one, run: ./r.sh, rollback: ./u.sh, on: three, serial: 1, estimate: 1m }\n  - { id: halves, run: ./r.sh, rollback: ./u.sh, on: four, serial: 50%, estimate: 2m }\n  - { id: all, run: ./r.sh, rollback: ./u.sh, on: four, estimate: 30s }\n  - { id: unknown, run: ./r.sh, rollback: ./u.sh }\n";
        let compilation = compile_body(plan, DTEN_MANIFEST, inventory);
        let lowered = compilation.lowered.expect("lowers");
        let schedule = &lowered.schedule;
        let rows: Vec<(&str, u64, usize, u64)> = schedule
            .steps
            .iter()
            .map(|step| (step.step.as_str(), step.start_seconds, step.batches, step.duration_seconds))
            .collect();
        assert_eq!(
            rows,
            [("one-by-one", 0, 3, 180), ("halves", 180, 2, 240), ("all", 420, 1, 30), ("unknown", 450, 1, 0)]
        );
        // 3 × 1m + 2 × 2m + 30s + 0.
        assert_eq!(schedule.total_seconds, 450);
        assert_eq!(schedule.steps_without_estimate, 1);
    }
}
