//! CUT023 `no-gate-after-rolling`.
//!
//! ## What it does
//!
//! Warns about a step that rolls out in batches (`serial` cuts its hosts into two batches or
//! more) and changes something, but has neither a `gate` nor a `verify`: nothing checks a
//! batch before the next one starts. A `verify` of the step or of the action it calls counts;
//! read-only steps and steps whose `serial` leaves one batch are not judged.
//!
//! ## Why it matters
//!
//! Rolling out in batches exists so that a bad release stops at the first batch. The runners
//! go on to the next batch as soon as the commands of this one exit 0, and a service that
//! started and then fell over, or answers with errors, exits 0 too: without a check between
//! batches, `serial` only makes a bad rollout slower.
//!
//! ## Example
//!
//! ```yaml
//! steps:
//!   - id: restart-app
//!     do: service.restart
//!     with: { unit: dten.service }
//!     on: app
//!     serial: 1            # app-2 restarts whether app-1 came back or not
//! ```
//!
//! ## Fix
//!
//! Give the step a gate that watches each batch, such as
//! `gate: { http: { url: "http://localhost:8080/health" }, passes: 3, soak: 2m }`, or a
//! `verify` command that fails when the batch is unhealthy.

use crate::check::Context;
use crate::codes::CUT023;
use crate::diagnostic::Diagnostic;
use crate::graph::schedule;

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    for step in &context.resolved.steps {
        let Some(serial) = &step.step.serial else { continue };
        if step.readonly || step.step.gate.is_some() || !step.verify.is_empty() {
            continue;
        }
        let batches = schedule::batches(step);
        if batches < 2 {
            continue;
        }
        diagnostics.push(
            Diagnostic::new(
                CUT023,
                serial.span,
                format!("step `{}` rolls out in {batches} batches with no gate and no verify", step.id()),
            )
            .with_primary_label("nothing checks a batch before the next one starts")
            .with_help(
                "add a gate that watches each batch, like `gate: { http: { url: \"http://localhost:8080/health\" }, passes: 3 }`, or a `verify` command",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::codes::CUT023;
    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, codes_of, rule_diagnostics};

    #[test]
    fn a_rolling_step_with_nothing_to_stop_a_bad_batch_is_flagged() {
        let plan = "steps:\n  - { id: a, run: ./a.sh, rollback: ./b.sh, on: app, serial: 1 }\n";
        let diagnostics = rule_diagnostics(CUT023, plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT023"]);
        assert_eq!(diagnostics[0].message, "step `a` rolls out in 2 batches with no gate and no verify");
    }

    #[test]
    fn a_gate_a_verify_one_batch_or_a_read_only_step_is_fine() {
        let plan = "steps:\n  - { id: gated, run: ./a.sh, rollback: ./b.sh, on: app, serial: 1, gate: { command: ./healthy.sh } }\n  - { id: verified, run: ./a.sh, rollback: ./b.sh, verify: ./check.sh, on: app, serial: 1 }\n  - { id: one-batch, run: ./a.sh, rollback: ./b.sh, on: app, serial: 100% }\n  - { id: all-at-once, run: ./a.sh, rollback: ./b.sh, on: app }\n  - { id: looks, run: ./look.sh, readonly: true, on: app, serial: 1 }\n";
        assert_eq!(codes_of(&rule_diagnostics(CUT023, plan, DTEN_MANIFEST, DTEN_INVENTORY)), Vec::<&str>::new());
    }

    #[test]
    fn an_action_s_verify_counts() {
        let plan = "steps:\n  - { id: a, do: bounce, on: app, serial: 1 }\nactions:\n  bounce:\n    run: ./bounce.sh\n    rollback: ./bounce.sh\n    verify: ./up.sh\n";
        assert_eq!(codes_of(&rule_diagnostics(CUT023, plan, DTEN_MANIFEST, DTEN_INVENTORY)), Vec::<&str>::new());
    }
}
