//! CUT032 `effect-without-cleanup`.
//!
//! ## What it does
//!
//! Flags a step whose effects (its own or its action's) include `flag`, `webhook`,
//! `credential` or `schedule`, but which has no `cleanup`, neither on the step nor on its
//! action.
//!
//! ## Why it matters
//!
//! These effects outlive the run: a feature flag left as an override, a webhook still
//! pointing at a maintenance page, a temporary credential that never expires, a cron job
//! still paused. A rollback undoes the step, but a run that succeeds leaves them behind
//! unless a cleanup removes them, and cleanups run whatever the outcome.
//!
//! ## Example
//!
//! ```yaml
//! - id: pause-billing
//!   run: dtenctl schedules pause billing
//!   rollback: dtenctl schedules resume billing
//!   effects: [schedule]
//! ```
//!
//! ## Fix
//!
//! Add `cleanup: dtenctl schedules resume billing` (on the step, or on the action so that
//! every caller gets it).

use crate::check::Context;
use crate::codes::CUT032;
use crate::diagnostic::Diagnostic;
use crate::model::Effect;

/// The effects that outlive a run.
const LASTING: [Effect; 4] = [Effect::Flag, Effect::Webhook, Effect::Credential, Effect::Schedule];

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    for step in &context.resolved.steps {
        let lasting: Vec<Effect> = step.effects.iter().copied().filter(|effect| LASTING.contains(effect)).collect();
        if lasting.is_empty() || !step.cleanup.is_empty() {
            continue;
        }
        // A cleanup that failed to parse was already reported; do not report it missing too.
        let action_cleanup = step.action.is_some_and(|action| action.commands.cleanup.is_some());
        if step.step.commands.cleanup.is_some() || action_cleanup {
            continue;
        }
        let names: Vec<String> = lasting.iter().map(|effect| format!("`{}`", effect.as_str())).collect();
        let (noun, pronoun) = if names.len() == 1 { ("effect", "it") } else { ("effects", "them") };
        let mut diagnostic = Diagnostic::new(
            CUT032,
            step.step.id.span,
            format!("step `{}` has the {} {noun} and no cleanup", step.id(), names.join(" and ")),
        )
        .with_primary_label("no `cleanup`");
        for effect in &lasting {
            let on_step = step.step.effects.iter().find(|declared| declared.value == *effect);
            if let Some(declared) = on_step {
                diagnostic = diagnostic.with_label(declared.span, "declared here");
            } else if let Some(action) = step.action {
                let span = action
                    .effects
                    .iter()
                    .find(|declared| declared.value == *effect)
                    .map_or(action.name.span, |declared| declared.span);
                diagnostic = diagnostic
                    .with_label(span, format!("action `{}` declares it here, with no cleanup", action.name.value));
            }
        }
        let help = match step.action {
            Some(action) if step.step.effects.is_empty() => format!(
                "add `cleanup:` to action `{}` (or to this step) that undoes {pronoun} after the run, whatever its outcome",
                action.name.value
            ),
            _ => format!("add `cleanup: COMMAND` that undoes {pronoun} after the run, whatever its outcome"),
        };
        diagnostics.push(diagnostic.with_help(help));
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_CONFIG_MANIFEST, DTEN_INVENTORY, codes_of, rule_diagnostics};
    use crate::codes::CUT032;

    #[test]
    fn an_inline_schedule_without_cleanup() {
        let plan =
            "steps:\n  - { id: pause-billing, run: ./pause.sh, rollback: ./resume.sh, effects: [schedule, config] }\n";
        let diagnostics = rule_diagnostics(CUT032, plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT032"]);
        assert_eq!(diagnostics[0].message, "step `pause-billing` has the `schedule` effect and no cleanup");
        assert_eq!(diagnostics[0].secondary[0].message.as_deref(), Some("declared here"));
    }

    #[test]
    fn an_action_flag_without_cleanup_points_at_the_action() {
        let plan = "steps:\n  - { id: flip, do: flag.on, with: { name: x } }\nactions:\n  flag.on:\n    params: { name: string }\n    run: \"flags set {name} on\"\n    rollback: \"flags set {name} off\"\n    effects: [flag, webhook]\n";
        let diagnostics = rule_diagnostics(CUT032, plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT032"]);
        assert_eq!(diagnostics[0].message, "step `flip` has the `flag` and `webhook` effects and no cleanup");
        assert_eq!(diagnostics[0].secondary.len(), 2);
    }

    #[test]
    fn a_cleanup_on_the_step_or_the_prelude_action_is_enough() {
        let plan = "steps:\n  - { id: pause-billing, run: ./pause.sh, rollback: ./resume.sh, cleanup: ./resume.sh, effects: [schedule] }\n  - { id: pause-cron, do: cron.pause, with: { file: /etc/cron.d/dten } }\n  - { id: backup, do: file.backup, with: { path: /etc/dten } }\n";
        assert_eq!(codes_of(&rule_diagnostics(CUT032, plan, DTEN_CONFIG_MANIFEST, DTEN_INVENTORY)), Vec::<&str>::new());
    }
}
