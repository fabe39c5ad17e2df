//! Suppression comments: `# cutover: allow CUT037 -- reason` on the line before a step turns the
//! named rules off for that step. The reason is required (CUT008 without one); a suppression
//! that suppresses nothing is itself reported (CUT009).
//!
//! Which comments are suppressions and what each covers (the whole step when the next line starts
//! a step, otherwise that next line, such as `window:`) is decided in [`crate::syntax::suppression`],
//! so that `convert` and `fmt` judge the text they write by the same rules; this module applies
//! them to the diagnostics of a check.

use crate::codes::{CUT008, CUT009, Code};
use crate::diagnostic::Diagnostic;
use crate::model::Plan;
use crate::source::{SourceMap, Span};
use crate::syntax::suppression;

/// One well-formed suppression comment and whether it removed a diagnostic.
#[derive(Debug)]
struct Suppression {
    codes: Vec<Code>,
    comment: Span,
    /// Byte range of the plan file it covers.
    covers: (u32, u32),
    used: bool,
}

/// Removes suppressed diagnostics and adds CUT008/CUT009 for bad and unused suppressions.
pub fn apply(plan: &Plan, sources: &SourceMap, diagnostics: &mut Vec<Diagnostic>) {
    let text = &sources.get(plan.file).text;
    // Most plans hold no suppression, and splitting a long plan into lines to find that out
    // cost more than most rules.
    if !suppression::may_hold_a_suppression(text) {
        return;
    }
    let step_starts: Vec<u32> = plan.preflight.iter().chain(plan.steps.iter()).map(|step| step.span.start).collect();
    let mut suppressions = Vec::new();
    for found in suppression::find(plan.file, text, &step_starts, &suppression::value_spans(plan)) {
        match found.parsed {
            Err(problem) => diagnostics.push(
                Diagnostic::new(CUT008, found.comment, problem)
                    .with_help("write `# cutover: allow CUT037 -- why this is fine here`"),
            ),
            Ok(codes) => {
                suppressions.push(Suppression {
                    codes,
                    comment: found.comment,
                    covers: found.covers.range(),
                    used: false,
                });
            }
        }
    }
    diagnostics.retain(|diagnostic| {
        if diagnostic.primary.span.file != plan.file || matches!(diagnostic.code, CUT008 | CUT009) {
            return true;
        }
        let at = diagnostic.primary.span.start;
        let suppression = suppressions.iter_mut().find(|suppression| {
            suppression.codes.contains(&diagnostic.code) && suppression.covers.0 <= at && at < suppression.covers.1
        });
        match suppression {
            Some(suppression) => {
                suppression.used = true;
                false
            }
            None => true,
        }
    });
    for suppression in suppressions.iter().filter(|suppression| !suppression.used) {
        let names: Vec<&str> = suppression.codes.iter().map(|code| code.as_str()).collect();
        diagnostics.push(
            Diagnostic::new(
                CUT009,
                suppression.comment,
                format!("this suppression of {} suppresses nothing", names.join(", ")),
            )
            .with_primary_label("nothing here is reported under these codes")
            .with_help("remove the comment, or move it to the line before the step it is meant for"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, codes_of, diagnostics_of};

    #[test]
    fn a_reasoned_suppression_silences_its_step_only() {
        let plan = "steps:\n  # cutover: allow CUT030 -- the cache rebuilds itself\n  - id: warm\n    run: ./warm.sh\n  - id: other\n    run: ./other.sh\n";
        let diagnostics = diagnostics_of(plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT030"]);
        assert!(diagnostics[0].message.contains("`other`"), "{}", diagnostics[0].message);
    }

    #[test]
    fn names_work_like_codes() {
        let plan =
            "steps:\n  # cutover: allow missing-rollback -- rebuilt on its own\n  - { id: warm, run: ./warm.sh }\n";
        assert!(diagnostics_of(plan, DTEN_MANIFEST, DTEN_INVENTORY).is_empty());
    }

    #[test]
    fn a_suppression_without_a_reason_or_with_an_unknown_code_is_an_error() {
        let plan = "steps:\n  # cutover: allow CUT030\n  - { id: warm, run: ./warm.sh, rollback: ./cold.sh }\n  # cutover: allow CUT999 -- no such rule\n  - { id: b, run: ./b.sh, rollback: ./c.sh }\n";
        assert_eq!(codes_of(&diagnostics_of(plan, DTEN_MANIFEST, DTEN_INVENTORY)), ["CUT008", "CUT008"]);
    }

    #[test]
    fn an_unused_suppression_is_reported() {
        let plan = "steps:\n  # cutover: allow CUT030 -- just in case\n  - { id: warm, run: ./warm.sh, rollback: ./cold.sh }\n";
        let diagnostics = diagnostics_of(plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT009"]);
    }
}
