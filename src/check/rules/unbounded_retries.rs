//! CUT039 `unbounded-retries`.
//!
//! ## What it does
//!
//! Warns about `retries` that hammer or that wait without a bound, on steps and on the actions
//! the plan and its libraries define:
//!
//! - a `count` above zero with no `backoff` (or `backoff: none`): every retry starts at once;
//! - `backoff: exponential` or `linear` with no `max`: the waits grow without a cap
//!   (exponential doubles from `base`, 1s unless given).
//!
//! `backoff: fixed` waits `base` each time and is bounded by itself. A step that calls an
//! action and sets its own `retries` is judged on its own; the action's are judged once, where
//! the action is defined.
//!
//! ## Why it matters
//!
//! Retrying at once only repeats the failure, faster than whatever failed (a lock, a service
//! restarting, a rate limit) can recover, and it can make things worse. Uncapped growth turns
//! ten retries into a wait of several hours hidden inside one step, which the schedule
//! does not show.
//!
//! ## Example
//!
//! ```yaml
//! steps:
//!   - id: wait-migrations
//!     run: dtenctl migrate status --pending=0
//!     readonly: true
//!     retries: { count: 12, backoff: exponential, base: 10s }   # the last wait is 5h41m20s
//!   - id: register
//!     run: dtenctl nodes register
//!     rollback: dtenctl nodes deregister
//!     retries: 5                                                # no wait at all
//! ```
//!
//! ## Fix
//!
//! Give every retry a wait and a cap: `retries: { count: 12, backoff: exponential, base: 10s,
//! max: 2m }`, or a fixed wait: `retries: { count: 5, backoff: fixed, base: 15s }`.

use crate::check::Context;
use crate::codes::CUT039;
use crate::diagnostic::Diagnostic;
use crate::model::{Backoff, Duration, Retries, Spanned};

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let plan = context.inputs.plan;
    let steps = plan.preflight.iter().chain(plan.steps.iter());
    let step_retries =
        steps.filter_map(|step| Some((format!("step `{}`", step.id.value), step.tuning.retries.as_ref()?)));
    let actions = plan.actions.iter().chain(context.inputs.libraries.iter().flat_map(|library| library.actions.iter()));
    let action_retries =
        actions.filter_map(|action| Some((format!("action `{}`", action.name.value), action.tuning.retries.as_ref()?)));
    for (owner, retries) in step_retries.chain(action_retries) {
        if let Some(diagnostic) = judge(&owner, retries) {
            diagnostics.push(diagnostic);
        }
    }
}

/// The diagnostic for one `retries`, if it hammers or grows without a cap.
fn judge(owner: &str, retries: &Spanned<Retries>) -> Option<Diagnostic> {
    let Retries { count, backoff, base, max } = retries.value;
    if count == 0 {
        return None;
    }
    let times = if count == 1 { "once".to_owned() } else { format!("{count} times") };
    match backoff {
        None | Some(Backoff::None) => Some(
            Diagnostic::new(CUT039, retries.span, format!("{owner} retries {times} with no wait between attempts"))
                .with_primary_label("no `backoff`: every retry starts at once")
                .with_help(format!(
                    "wait between attempts and cap the wait: `retries: {{ count: {count}, backoff: exponential, base: 5s, max: 1m }}`"
                )),
        ),
        Some(growth @ (Backoff::Exponential | Backoff::Linear)) if max.is_none() => {
            let base = base.unwrap_or(Duration::from_seconds(1));
            let last = match growth {
                Backoff::Exponential => base.millis().saturating_mul(1u64.checked_shl(count - 1).unwrap_or(u64::MAX)),
                _ => base.millis().saturating_mul(u64::from(count)),
            };
            Some(
                Diagnostic::new(
                    CUT039,
                    retries.span,
                    format!("{owner} retries {times} with {} backoff and no `max`", growth.as_str()),
                )
                .with_primary_label(format!("the last wait alone is {}", Duration(last)))
                .with_help("add `max:` to cap each wait, like `max: 1m`"),
            )
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, codes_of, rule_diagnostics};
    use crate::codes::CUT039;

    #[test]
    fn no_backoff_and_no_cap_are_flagged() {
        let plan = "steps:\n  - { id: a, run: ./a.sh, rollback: ./b.sh, retries: 5 }\n  - { id: b, run: ./a.sh, rollback: ./b.sh, retries: { count: 3, backoff: none } }\n  - { id: c, run: ./a.sh, rollback: ./b.sh, retries: { count: 12, backoff: exponential, base: 10s } }\n  - { id: d, run: ./a.sh, rollback: ./b.sh, retries: { count: 4, backoff: linear } }\n";
        let diagnostics = rule_diagnostics(CUT039, plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT039"; 4]);
        let messages: Vec<&str> = diagnostics.iter().map(|diagnostic| diagnostic.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "step `a` retries 5 times with no wait between attempts",
                "step `b` retries 3 times with no wait between attempts",
                "step `c` retries 12 times with exponential backoff and no `max`",
                "step `d` retries 4 times with linear backoff and no `max`",
            ]
        );
        assert_eq!(diagnostics[2].primary.message.as_deref(), Some("the last wait alone is 5h41m20s"));
        assert_eq!(diagnostics[3].primary.message.as_deref(), Some("the last wait alone is 4s"));
    }

    #[test]
    fn bounded_retries_are_fine() {
        let plan = "steps:\n  - { id: a, run: ./a.sh, rollback: ./b.sh, retries: { count: 3, backoff: exponential, base: 2s, max: 30s } }\n  - { id: b, run: ./a.sh, rollback: ./b.sh, retries: { count: 3, backoff: fixed, base: 10s } }\n  - { id: c, run: ./a.sh, rollback: ./b.sh, retries: 0 }\n";
        assert_eq!(codes_of(&rule_diagnostics(CUT039, plan, DTEN_MANIFEST, DTEN_INVENTORY)), Vec::<&str>::new());
    }

    #[test]
    fn actions_are_judged_where_they_are_defined() {
        let plan = "steps:\n  - { id: a, do: poll }\n  - { id: b, do: poll, retries: { count: 2, backoff: fixed, base: 5s } }\nactions:\n  poll:\n    run: ./poll.sh\n    readonly: true\n    retries: { count: 20, backoff: exponential }\n";
        let diagnostics = rule_diagnostics(CUT039, plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT039"]);
        assert_eq!(diagnostics[0].message, "action `poll` retries 20 times with exponential backoff and no `max`");
    }
}
