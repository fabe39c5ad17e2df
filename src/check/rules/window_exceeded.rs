//! CUT034 `window-exceeded`.
//!
//! ## What it does
//!
//! Adds up the schedule, the way both runners run the plan: steps one after another in the
//! compiled order (preflight first), a rolling step (`serial`) once per batch, the hosts of one
//! batch at the same time. A step takes its `estimate` (in whole seconds, rounded up) times its
//! batches; a step without `on` or `serial` is one batch. When the sum is longer than the window
//! minus its buffer (`buffer`, 20% unless the plan says otherwise), it is an error that names
//! the heaviest steps. The numbers are the ones `build` writes into the runbook and the JSON.
//!
//! A step with no estimate from anywhere (its own, its action's, a duration argument the
//! action names, or the estimate of the migration it runs) counts as zero, so the sum can only
//! be too low: the rule then also warns, once per plan, how many steps have none. A plan
//! without a `window` gets neither the error nor the warning.
//!
//! ## Why it matters
//!
//! A plan that cannot finish inside its window ends in a rushed rollback, or in a
//! service that stays down after the announced time. The buffer is kept for what goes wrong:
//! a retry, a slow host, a person reading a log.
//!
//! ## Example
//!
//! ```yaml
//! window: 1h
//! buffer: 25%                 # 45m for the work
//! steps:
//!   - id: stop-agent
//!     do: service.stop
//!     with: { unit: dten-agent.service }
//!     on: app                 # 3 hosts
//!     serial: 1               # one at a time: 3 batches
//!     estimate: 5m            # 15m
//!   - id: install-core
//!     do: install
//!     with: { target: dten-core@4.2.0 }
//!     on: app                 # all 3 hosts at once: 1 batch
//!     estimate: 35m           # 15m + 35m = 50m, over the 45m
//! ```
//!
//! ## Fix
//!
//! Shorten the heaviest steps, raise `serial` on a rolling step so that it runs in fewer
//! batches, split the plan over two windows, or ask for a longer window. Steps never run side
//! by side, so dropping an `after` does not shorten the schedule. Give every step an
//! `estimate` (or its action one) so that the sum is complete.

use crate::check::Context;
use crate::resolve::ResolvedStep;
use crate::codes::{CUT034, Severity};
use crate::diagnostic::Diagnostic;
use crate::graph::schedule::{self, Schedule};
use crate::model::Duration;

/// How many of the heaviest steps the help names and the labels point at.
const HEAVIEST_SHOWN: usize = 3;
/// How many steps without an estimate get a label of their own; the help names them all.
const MISSING_LABELED: usize = 5;

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let plan = context.inputs.plan;
    let (Some(order), Some(window)) = (context.order, plan.window.as_ref()) else { return };
    let steps = &context.resolved.steps;
    let schedule = schedule::schedule(steps, order);
    let buffer = plan.buffer.as_ref().map_or(schedule::DEFAULT_BUFFER, |buffer| buffer.value);
    let window_seconds = window.value.seconds();
    // Whole seconds, as lowering writes them, so the check and the runbook agree to the second.
    let budget = schedule::budget_seconds(window_seconds, buffer);
    if schedule.total_seconds > budget {
        let mut diagnostic = Diagnostic::new(
            CUT034,
            window.span,
            format!(
                "the schedule takes {}, over the {} budget ({} window, {buffer} buffer)",
                seconds(schedule.total_seconds),
                seconds(budget),
                seconds(window_seconds),
            ),
        )
        .with_primary_label(format!("leaves {} for the work", seconds(budget)));
        if let Some(written) = &plan.buffer {
            diagnostic =
                diagnostic.with_label(written.span, format!("keeps {} free", seconds(window_seconds - budget)));
        }
        let heaviest = heaviest(&schedule);
        for scheduled in &heaviest {
            diagnostic = diagnostic.with_label(steps[scheduled.step].step.id.span, describe(&steps[scheduled.step], scheduled));
        }
        let heaviest_described: Vec<String> = heaviest
            .iter()
            .map(|scheduled| format!("`{}` ({})", steps[scheduled.step].id(), seconds(scheduled.duration_seconds)))
            .collect();
        // How the schedule is counted, so that nobody looks for time in steps running side by side.
        let counted = "steps run one after another, a rolling step once per batch";
        let help = if heaviest_described.is_empty() {
            format!("{counted}: shorten the steps, split the plan over two windows, or ask for a longer window")
        } else {
            format!(
                "{counted}; the heaviest are {}: shorten them, raise `serial` for fewer batches, split the plan over two windows, or ask for a longer window",
                join_words(&heaviest_described)
            )
        };
        diagnostics.push(diagnostic.with_help(help));
    }
    let missing: Vec<&ResolvedStep<'_>> = steps
        .iter()
        // A call to an unknown action was reported already; its estimate is not missing, unknown.
        .filter(|step| step.estimate.is_none() && (step.step.call.is_none() || step.action.is_some()))
        .collect();
    if missing.is_empty() {
        return;
    }
    let message = if missing.len() == 1 {
        "1 step has no estimate and counts as zero in the schedule".to_owned()
    } else {
        format!("{} steps have no estimate and count as zero in the schedule", missing.len())
    };
    let mut diagnostic = Diagnostic::new(CUT034, window.span, message)
        .with_severity(Severity::Warning)
        .with_primary_label("the schedule is judged against this window");
    for step in missing.iter().take(MISSING_LABELED) {
        diagnostic = diagnostic.with_label(step.step.id.span, "no estimate");
    }
    let names: Vec<String> = missing.iter().map(|step| format!("`{}`", step.id())).collect();
    diagnostics
        .push(diagnostic.with_help(format!("add `estimate:` to {} (or to the actions they call)", join_words(&names))));
}

/// The steps of the schedule that take longest, longest first (ties in run order), leaving
/// out steps that take no time.
fn heaviest(schedule: &Schedule) -> Vec<schedule::ScheduledStep> {
    let mut heaviest: Vec<schedule::ScheduledStep> =
        schedule.steps.iter().copied().filter(|scheduled| scheduled.duration_seconds > 0).collect();
    // A stable sort keeps run order among equal durations.
    heaviest.sort_by_key(|scheduled| std::cmp::Reverse(scheduled.duration_seconds));
    heaviest.truncate(HEAVIEST_SHOWN);
    heaviest
}

/// "takes 5m", or "takes 5m × 3 batches = 15m" for a rolling step.
fn describe(step: &ResolvedStep<'_>, scheduled: &schedule::ScheduledStep) -> String {
    let mut estimate = seconds(step.estimate.map_or(0, Duration::seconds)).to_string();
    let gate = schedule::gate_seconds(step);
    if gate > 0 {
        estimate = format!("{estimate} + its gate {}", seconds(gate));
        if scheduled.batches > 1 {
            estimate = format!("({estimate})");
        }
    }
    match scheduled.batches {
        1 => format!("takes {estimate}"),
        batches => format!("takes {estimate} × {batches} batches = {}", seconds(scheduled.duration_seconds)),
    }
}

fn seconds(value: u64) -> Duration {
    Duration::from_seconds(value)
}

/// "a", "a and b", "a, b and c".
fn join_words(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use crate::codes::Severity;
    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, codes_of, compile_body, rule_diagnostics};
    use crate::codes::CUT034;

    /// Three hosts, so that `serial: 1` makes three batches.
    const THREE_HOSTS: &str = "groups: { app: [app-1, app-2, app-3] }\nhosts: {}\n";

    #[test]
    fn a_schedule_longer_than_the_budget_is_an_error_naming_the_heaviest_steps() {
        // `side` depends on nothing, and still runs after the others: 15m + 50m + 1m.
        let plan = "window: 1h\nbuffer: 25%\nsteps:\n  - { id: stop-agent, run: ./stop.sh, rollback: ./start.sh, on: app, serial: 1, estimate: 5m }\n  - { id: install-core, run: ./i.sh, rollback: ./u.sh, on: app, after: [stop-agent], estimate: 50m }\n  - { id: side, run: ./s.sh, rollback: ./t.sh, estimate: 1m }\n";
        let diagnostics = rule_diagnostics(CUT034, plan, DTEN_MANIFEST, THREE_HOSTS);
        assert_eq!(codes_of(&diagnostics), ["CUT034"]);
        let diagnostic = &diagnostics[0];
        assert_eq!(diagnostic.severity, Severity::Error);
        assert_eq!(
            diagnostic.message,
            "the schedule takes 1h6m, over the 45m budget (1h window, 25% buffer)"
        );
        let help = diagnostic.help.as_deref().unwrap_or_default();
        assert!(
            help.starts_with("steps run one after another, a rolling step once per batch; the heaviest are `install-core` (50m), `stop-agent` (15m) and `side` (1m)"),
            "{help}"
        );
        let labels: Vec<&str> = diagnostic.secondary.iter().filter_map(|label| label.message.as_deref()).collect();
        assert_eq!(labels, ["keeps 15m free", "takes 50m", "takes 5m × 3 batches = 15m", "takes 1m"]);
    }

    #[test]
    fn the_check_and_the_lowered_plan_agree() {
        // Step `a`: (4m and a gate of 1m soak) × 3 batches = 15m.
        let fits = "window: 1h\nbuffer: 25%\nsteps:\n  - { id: a, run: ./a.sh, rollback: ./b.sh, on: app, serial: 1, estimate: 4m, gate: { command: ./ok.sh, soak: 1m } }\n  - { id: b, run: ./a.sh, rollback: ./b.sh, estimate: 30m }\n";
        let compilation = compile_body(fits, DTEN_MANIFEST, THREE_HOSTS);
        assert!(compilation.diagnostics.is_empty(), "{:?}", compilation.diagnostics);
        let lowered = compilation.lowered.expect("lowers");
        assert_eq!(lowered.schedule.total_seconds, 45 * 60);
        assert_eq!(lowered.budget_seconds, Some(45 * 60));
        // One second more and the same numbers fail the check.
        let over = fits.replace("estimate: 30m", "estimate: 30m1s");
        assert_eq!(codes_of(&rule_diagnostics(CUT034, &over, DTEN_MANIFEST, THREE_HOSTS)), ["CUT034"]);
    }

    #[test]
    fn the_default_buffer_is_a_fifth_and_preflight_comes_first() {
        let plan = "window: 10m\npreflight:\n  - { id: look, run: ./look.sh, readonly: true, estimate: 5m }\nsteps:\n  - { id: work, run: ./w.sh, rollback: ./u.sh, estimate: 4m }\n";
        let diagnostics = rule_diagnostics(CUT034, plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT034"]);
        assert_eq!(
            diagnostics[0].message,
            "the schedule takes 9m, over the 8m budget (10m window, 20% buffer)"
        );
    }

    #[test]
    fn missing_estimates_are_counted_once() {
        let plan = "window: 1h\nsteps:\n  - { id: a, run: ./a.sh, rollback: ./b.sh }\n  - { id: b, run: ./a.sh, rollback: ./b.sh, after: [a] }\n  - { id: c, run: ./a.sh, rollback: ./b.sh, estimate: 1m }\n";
        let diagnostics = rule_diagnostics(CUT034, plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT034"]);
        assert_eq!(diagnostics[0].severity, Severity::Warning);
        assert_eq!(diagnostics[0].message, "2 steps have no estimate and count as zero in the schedule");
        assert_eq!(
            diagnostics[0].help.as_deref(),
            Some("add `estimate:` to `a` and `b` (or to the actions they call)")
        );
    }

    #[test]
    fn estimates_from_actions_and_arguments_count() {
        let plan = "window: 1h\nsteps:\n  - { id: up, do: install, with: { target: dten-core@4.0.3 }, on: app }\n  - { id: wait, do: http.wait, with: { url: \"http://localhost:8080/health\", timeout: 5m }, after: [up] }\n";
        assert!(rule_diagnostics(CUT034, plan, DTEN_MANIFEST, DTEN_INVENTORY).is_empty());
    }

    #[test]
    fn no_window_no_finding() {
        let plan = "steps:\n  - { id: a, run: ./a.sh, rollback: ./b.sh, estimate: 100h }\n  - { id: b, run: ./a.sh, rollback: ./b.sh }\n";
        assert!(rule_diagnostics(CUT034, plan, DTEN_MANIFEST, DTEN_INVENTORY).is_empty());
    }
}
