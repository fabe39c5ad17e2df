//! The critical path: the longest chain of steps through the graph by estimate, each rolling step
//! weighing its estimate once per batch, with main steps waiting for every preflight step.
//!
//! Lowering reports it and CUT034 judges it against the window; both call [`critical_path`], so
//! the number in the runbook and the number the check compares can never disagree.

use crate::graph::StepGraph;
use crate::model::{Percent, Phase};
use crate::resolve::ResolvedStep;

/// The share of the window kept free when the plan sets no `buffer` (SPEC §1.3).
pub const DEFAULT_BUFFER: Percent = Percent(2000);

/// The longest chain of steps by estimate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CriticalPath {
    /// How long the chain takes, in milliseconds.
    pub millis: u64,
    /// The steps on it, as indexes into the resolved steps, first to last.
    pub steps: Vec<usize>,
    /// Steps of the whole plan with no estimate from anywhere, counted as zero.
    pub steps_without_estimate: usize,
}

/// Finds the critical path of a plan. `order` is the graph's topological order.
///
/// Ties keep the first chain found: among predecessors that finish at the same time, the one
/// met first wins, and among steps that end the plan at the same time, the one declared first.
#[must_use]
pub fn critical_path(steps: &[ResolvedStep<'_>], graph: &StepGraph, order: &[usize]) -> CriticalPath {
    let mut finish = vec![0u64; steps.len()];
    let mut previous: Vec<Option<usize>> = vec![None; steps.len()];
    let mut last_preflight: Option<usize> = None;
    for &index in order {
        let mut start = 0;
        if steps[index].step.phase == Phase::Main
            && let Some(preflight) = last_preflight
        {
            start = finish[preflight];
            previous[index] = Some(preflight);
        }
        for (before, _) in graph.predecessors(index) {
            if finish[before] > start || (previous[index].is_none() && finish[before] == start) {
                start = finish[before];
                previous[index] = Some(before);
            }
        }
        finish[index] = start + weight(&steps[index]);
        if steps[index].step.phase == Phase::Preflight
            && last_preflight.is_none_or(|longest| finish[index] > finish[longest])
        {
            last_preflight = Some(index);
        }
    }
    let end = order.iter().copied().max_by_key(|index| (finish[*index], std::cmp::Reverse(*index)));
    let mut path = Vec::new();
    let mut cursor = end;
    while let Some(index) = cursor {
        path.push(index);
        cursor = previous[index];
    }
    path.reverse();
    CriticalPath {
        millis: end.map_or(0, |index| finish[index]),
        steps: path,
        steps_without_estimate: steps.iter().filter(|step| step.estimate.is_none()).count(),
    }
}

/// The time the critical path may take, in whole seconds: the window minus its buffer.
#[must_use]
pub fn budget_seconds(window_seconds: u64, buffer: Percent) -> u64 {
    window_seconds - window_seconds * u64::from(buffer.0) / 10_000
}

/// What a step adds to a chain, in milliseconds: its estimate (zero without one) times its
/// batches.
#[must_use]
pub fn weight(step: &ResolvedStep<'_>) -> u64 {
    step.estimate.map_or(0, crate::model::Duration::millis) * batches(step) as u64
}

/// How many batches a step runs in: one, or one per `serial` hosts.
#[must_use]
pub fn batches(step: &ResolvedStep<'_>) -> usize {
    match step.serial {
        Some(serial) => step.hosts.len().div_ceil(serial.batch_size(step.hosts.len())).max(1),
        None => 1,
    }
}
