//! Suppression comments: `# cutover: allow CUT037 -- reason` on the line before a step turns the
//! named rules off for that step. The reason is required (CUT008 without one); a suppression
//! that suppresses nothing is itself reported (CUT009).
//!
//! A comment suppresses diagnostics whose primary span lies in what follows it: the whole step
//! when the next line starts a step, otherwise that next line (a plan field such as `window:`).

use crate::codes::{CUT008, CUT009, Code};
use crate::diagnostic::Diagnostic;
use crate::model::Plan;
use crate::source::{SourceMap, Span};

/// What a suppression comment starts with after its `#` (and any blanks).
const MARKER: &str = "cutover:";

/// One suppression comment.
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
    if !may_hold_a_suppression(text) {
        return;
    }
    let lines = lines_with_offsets(text);
    let mut step_starts: Vec<u32> =
        plan.preflight.iter().chain(plan.steps.iter()).map(|step| line_start(text, step.span.start)).collect();
    step_starts.sort_unstable();
    let mut suppressions = Vec::new();
    for (index, &(start, line)) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix('#').map(str::trim_start).and_then(|rest| rest.strip_prefix(MARKER))
        else {
            continue;
        };
        let start = start as usize;
        let comment = Span::new(plan.file, start + (line.len() - trimmed.len()), start + line.len());
        match parse(rest.trim()) {
            Err(problem) => diagnostics.push(
                Diagnostic::new(CUT008, comment, problem)
                    .with_help("write `# cutover: allow CUT037 -- why this is fine here`"),
            ),
            Ok(codes) => {
                let covers = covered(text, &lines, index, &step_starts);
                suppressions.push(Suppression { codes, comment, covers, used: false });
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

/// Whether some `#` in the text is followed by `cutover:`, whitespace between them allowed: so
/// is every suppression comment, and without one there is nothing to apply.
fn may_hold_a_suppression(text: &str) -> bool {
    text.match_indices('#').any(|(hash, _)| text[hash + 1..].trim_start().starts_with(MARKER))
}

/// `allow CUT037, unbounded-retries -- reason` to its codes.
fn parse(text: &str) -> Result<Vec<Code>, String> {
    let Some(rest) = text.strip_prefix("allow") else {
        return Err("a `cutover:` comment must say `allow CODE -- reason`".to_owned());
    };
    let (codes, reason) = match rest.split_once("--") {
        Some((codes, reason)) => (codes, reason.trim()),
        None => (rest, ""),
    };
    if reason.is_empty() {
        return Err("a suppression needs a reason after ` -- `".to_owned());
    }
    let mut found = Vec::new();
    for name in codes.split([',', ' ']).map(str::trim).filter(|name| !name.is_empty()) {
        match Code::find(name) {
            Some(code) => found.push(code),
            None => return Err(format!("`{name}` is not a rule code or name")),
        }
    }
    if found.is_empty() {
        return Err("a suppression must name the rule it allows".to_owned());
    }
    Ok(found)
}

/// What a comment on line `index` covers: the step starting on the next non-comment line (up to
/// the next step or the next top-level key), or else that line alone.
fn covered(text: &str, lines: &[(u32, &str)], index: usize, step_starts: &[u32]) -> (u32, u32) {
    let Some(&(next_start, next_line)) = lines[index + 1..].iter().find(|(_, line)| {
        let trimmed = line.trim_start();
        !trimmed.is_empty() && !trimmed.starts_with('#')
    }) else {
        return (0, 0);
    };
    let line_end = next_start + next_line.len() as u32;
    let starts_step = step_starts.binary_search(&next_start).is_ok()
        || next_line.trim_start().starts_with("- ")
            && step_starts.iter().any(|start| *start > next_start && *start < line_end + 1);
    if !starts_step {
        return (next_start, line_end);
    }
    let next_step = step_starts.iter().copied().find(|start| *start > next_start);
    let next_top_level = lines
        .iter()
        .find(|(start, line)| *start > next_start && !line.is_empty() && !line.starts_with([' ', '\t', '#', '-']))
        .map(|(start, _)| *start);
    let end = [next_step, next_top_level].into_iter().flatten().min().unwrap_or(text.len() as u32);
    (next_start, end)
}

fn lines_with_offsets(text: &str) -> Vec<(u32, &str)> {
    let mut offset = 0u32;
    text.split('\n')
        .map(|line| {
            let start = offset;
            offset += line.len() as u32 + 1;
            (start, line.strip_suffix('\r').unwrap_or(line))
        })
        .collect()
}

fn line_start(text: &str, offset: u32) -> u32 {
    text[..(offset as usize).min(text.len())].rfind('\n').map_or(0, |newline| newline as u32 + 1)
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
    fn plans_without_a_suppression_comment_are_not_read_for_one() {
        use super::may_hold_a_suppression;
        assert!(may_hold_a_suppression("steps:\n  #cutover: allow CUT030 -- x\n"));
        assert!(may_hold_a_suppression("steps:\n\t# \t cutover: allow\n"));
        assert!(!may_hold_a_suppression("# Generated.\ncutover: 1\nsteps: []\n# see cutover.toml\n"));
        assert!(!may_hold_a_suppression("cutover: 1\nnotify: \"echo '#'; cutover\"\n"));
    }

    #[test]
    fn an_unused_suppression_is_reported() {
        let plan = "steps:\n  # cutover: allow CUT030 -- just in case\n  - { id: warm, run: ./warm.sh, rollback: ./cold.sh }\n";
        let diagnostics = diagnostics_of(plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT009"]);
    }
}
