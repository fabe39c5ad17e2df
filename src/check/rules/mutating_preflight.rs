//! CUT035 `mutating-preflight`.
//!
//! ## What it does
//!
//! Flags a `preflight` step that is not read-only: its action is not declared
//! `readonly: true` (or, inline, the step itself is not).
//!
//! ## Why it matters
//!
//! Preflight runs before the window opens, often days before, and nobody
//! expects it to change anything; a preflight that stops a service is an outage.
//!
//! ## Example
//!
//! `preflight: [{ id: stop-early, do: service.stop, with: { unit: dten.service } }]`
//!
//! ## Fix
//!
//! Move the step under `steps:`, or call a read-only action such as `package.verify`.

use crate::check::Context;
use crate::codes::CUT035;
use crate::diagnostic::Diagnostic;
use crate::model::Phase;

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    for step in &context.resolved.steps {
        if step.step.phase != Phase::Preflight || step.readonly || step.run.is_none() {
            continue;
        }
        let mut diagnostic =
            Diagnostic::new(CUT035, step.step.id.span, format!("preflight step `{}` is not read-only", step.id()))
                .with_primary_label("preflight may only look, not change");
        diagnostic = match step.action {
            Some(action) => diagnostic
                .with_label(action.name.span, "this action is not `readonly: true`")
                .with_help("move the step under `steps:`, or call a read-only action"),
            None => diagnostic.with_help("move the step under `steps:`, or mark it `readonly: true` if it only looks"),
        };
        diagnostics.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, codes_of, rule_diagnostics};
    use crate::codes::CUT035;

    #[test]
    fn preflight_must_only_look() {
        let plan = "preflight:\n  - { id: stop, do: service.stop, with: { unit: x.service } }\n  - { id: look, run: ./check.sh, readonly: true }\n  - { id: verify, do: package.verify, with: { certificate: a.pem, chain: b.pem } }\n";
        let diagnostics = rule_diagnostics(CUT035, plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT035"]);
    }
}
