//! CUT034 `window-exceeded`.
//!
//! ## What it does
//!
//! Adds up the critical path: the longest chain of steps through the graph by
//! `estimate`, where a rolling step (`serial`) counts once per batch and main steps start only
//! after every preflight step. When that is longer than the window minus its buffer (`buffer`,
//! 20% unless the plan says otherwise), it is an error that names the path and the heaviest
//! steps on it. The numbers are the ones `build` writes into the runbook and the JSON.
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
//!     on: app
//!     after: [stop-agent]
//!     estimate: 50m
//! ```
//!
//! ## Fix
//!
//! Shorten the heaviest steps, let steps that do not depend on each other run side by side
//! (drop an `after` that is not needed, raise `serial`), split the plan over two windows, or
//! ask for a longer window. Give every step an `estimate` (or its action one) so that the
//! sum is complete.

use crate::check::Context;
use crate::resolve::ResolvedStep;
use crate::codes::{CUT034, Severity};
use crate::diagnostic::Diagnostic;
use crate::graph::critical::{self, CriticalPath};
use crate::model::Duration;

/// How many of the heaviest steps on the path the help names and the labels point at.
const HEAVIEST_SHOWN: usize = 3;
/// How many steps without an estimate get a label of their own; the help names them all.
const MISSING_LABELED: usize = 5;

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let plan = context.inputs.plan;
    let (Some(order), Some(window)) = (context.order, plan.window.as_ref()) else { return };
    let steps = &context.resolved.steps;
    let path = critical::critical_path(steps, context.graph, order);
    let buffer = plan.buffer.as_ref().map_or(critical::DEFAULT_BUFFER, |buffer| buffer.value);
    let window_seconds = window.value.seconds();
    // Whole seconds, as lowering writes them, so the check and the runbook agree to the second.
    let budget = critical::budget_seconds(window_seconds, buffer);
    let length = path.millis.div_ceil(1000);
    if length > budget {
        let path_ids: Vec<&str> = path.steps.iter().map(|index| steps[*index].id()).collect();
        let mut diagnostic = Diagnostic::new(
            CUT034,
            window.span,
            format!(
                "critical path {} exceeds the {} budget ({} window, {buffer} buffer): {}",
                seconds(length),
                seconds(budget),
                seconds(window_seconds),
                path_ids.join(" → ")
            ),
        )
        .with_primary_label(format!("leaves {} for the work", seconds(budget)));
        if let Some(written) = &plan.buffer {
            diagnostic =
                diagnostic.with_label(written.span, format!("keeps {} free", seconds(window_seconds - budget)));
        }
        let heaviest = heaviest(steps, &path);
        for &index in &heaviest {
            diagnostic = diagnostic.with_label(steps[index].step.id.span, describe_weight(&steps[index]));
        }
        let heaviest_described: Vec<String> = heaviest
            .iter()
            .map(|index| format!("`{}` ({})", steps[*index].id(), Duration(critical::weight(&steps[*index]))))
            .collect();
        let help = if heaviest_described.is_empty() {
            "shorten the steps on the path, run them side by side, or ask for a longer window".to_owned()
        } else {
            format!(
                "the heaviest steps on the path are {}: shorten them, let steps that do not depend on each other run side by side (fewer `after` edges, a larger `serial`), or ask for a longer window",
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
        "1 step has no estimate and counts as zero on the critical path".to_owned()
    } else {
        format!("{} steps have no estimate and count as zero on the critical path", missing.len())
    };
    let mut diagnostic = Diagnostic::new(CUT034, window.span, message)
        .with_severity(Severity::Warning)
        .with_primary_label("the critical path is judged against this window");
    for step in missing.iter().take(MISSING_LABELED) {
        diagnostic = diagnostic.with_label(step.step.id.span, "no estimate");
    }
    let names: Vec<String> = missing.iter().map(|step| format!("`{}`", step.id())).collect();
    diagnostics
        .push(diagnostic.with_help(format!("add `estimate:` to {} (or to the actions they call)", join_words(&names))));
}

/// The steps on the path that weigh most, heaviest first (ties in path order), leaving out
/// steps that weigh nothing.
fn heaviest(steps: &[ResolvedStep<'_>], path: &CriticalPath) -> Vec<usize> {
    let mut on_path: Vec<usize> =
        path.steps.iter().copied().filter(|index| critical::weight(&steps[*index]) > 0).collect();
    // A stable sort keeps path order among equal weights.
    on_path.sort_by_key(|index| std::cmp::Reverse(critical::weight(&steps[*index])));
    on_path.truncate(HEAVIEST_SHOWN);
    on_path
}

/// "5m", or "5m × 3 batches = 15m" for a rolling step.
fn describe_weight(step: &ResolvedStep<'_>) -> String {
    let estimate = step.estimate.unwrap_or_default();
    match critical::batches(step) {
        1 => format!("takes {estimate}"),
        batches => format!("takes {estimate} × {batches} batches = {}", Duration(critical::weight(step))),
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
    fn a_path_longer_than_the_budget_is_an_error_naming_it() {
        let plan = "window: 1h\nbuffer: 25%\nsteps:\n  - { id: stop-agent, run: ./stop.sh, rollback: ./start.sh, on: app, serial: 1, estimate: 5m }\n  - { id: install-core, run: ./i.sh, rollback: ./u.sh, on: app, after: [stop-agent], estimate: 50m }\n  - { id: side, run: ./s.sh, rollback: ./t.sh, estimate: 1m }\n";
        let diagnostics = rule_diagnostics(CUT034, plan, DTEN_MANIFEST, THREE_HOSTS);
        assert_eq!(codes_of(&diagnostics), ["CUT034"]);
        let diagnostic = &diagnostics[0];
        assert_eq!(diagnostic.severity, Severity::Error);
        assert_eq!(
            diagnostic.message,
            "critical path 1h5m exceeds the 45m budget (1h window, 25% buffer): stop-agent → install-core"
        );
        let help = diagnostic.help.as_deref().unwrap_or_default();
        assert!(
            help.starts_with("the heaviest steps on the path are `install-core` (50m) and `stop-agent` (15m)"),
            "{help}"
        );
        let labels: Vec<&str> = diagnostic.secondary.iter().filter_map(|label| label.message.as_deref()).collect();
        assert_eq!(labels, ["keeps 15m free", "takes 50m", "takes 5m × 3 batches = 15m"]);
    }

    #[test]
    fn the_check_and_the_lowered_plan_agree() {
        let fits = "window: 1h\nbuffer: 25%\nsteps:\n  - { id: a, run: ./a.sh, rollback: ./b.sh, on: app, serial: 1, estimate: 5m }\n  - { id: b, run: ./a.sh, rollback: ./b.sh, after: [a], estimate: 30m }\n";
        let compilation = compile_body(fits, DTEN_MANIFEST, THREE_HOSTS);
        assert!(compilation.diagnostics.is_empty(), "{:?}", compilation.diagnostics);
        let lowered = compilation.lowered.expect("lowers");
        assert_eq!(lowered.critical_path.seconds, 45 * 60);
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
            "critical path 9m exceeds the 8m budget (10m window, 20% buffer): look → work"
        );
    }

    #[test]
    fn missing_estimates_are_counted_once() {
        let plan = "window: 1h\nsteps:\n  - { id: a, run: ./a.sh, rollback: ./b.sh }\n  - { id: b, run: ./a.sh, rollback: ./b.sh, after: [a] }\n  - { id: c, run: ./a.sh, rollback: ./b.sh, estimate: 1m }\n";
        let diagnostics = rule_diagnostics(CUT034, plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT034"]);
        assert_eq!(diagnostics[0].severity, Severity::Warning);
        assert_eq!(diagnostics[0].message, "2 steps have no estimate and count as zero on the critical path");
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
