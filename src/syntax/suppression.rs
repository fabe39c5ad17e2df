//! Where a plan's suppression comments are and what each one covers (SPEC §2), decided once for
//! both forms: `check::suppress` applies them to diagnostics, and `convert` and `fmt` check that
//! what they write gives every suppression the same reach (`syntax::dsl::faithful`).
//!
//! A suppression is a line whose first non-blank text is `#` and then `cutover:` (blanks allowed
//! between them). It covers what follows it: the whole step when the next line that is neither
//! blank nor a comment starts a step, otherwise that next line alone. Lines are separated by
//! `\n` (a `\r` before one is dropped). A `#` after code on a line is never a suppression.

use crate::codes::Code;
use crate::model::{Commands, Plan, Spanned, Undo};
use crate::source::{FileId, Span};

/// What a suppression comment starts with after its `#` (and any blanks).
pub const MARKER: &str = "cutover:";

/// One suppression comment as written.
#[derive(Debug)]
pub struct Suppression {
    /// The comment, from its `#` to the end of its line.
    pub comment: Span,
    /// The codes it allows, or what is wrong with it (a CUT008 message).
    pub parsed: Result<Vec<Code>, String>,
    pub covers: Covers,
}

/// What one suppression comment covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Covers {
    /// The step (or the steps) starting on the line that begins at `line_start`, to the next step
    /// or the next top-level line: `range` is that byte range.
    Step { line_start: u32, range: (u32, u32) },
    /// One line that starts no step: `range` is that line.
    Line { range: (u32, u32) },
    /// Nothing: no line follows.
    Nothing,
}

impl Covers {
    /// The byte range whose diagnostics the suppression removes.
    #[must_use]
    pub fn range(self) -> (u32, u32) {
        match self {
            Self::Step { range, .. } | Self::Line { range } => range,
            Self::Nothing => (0, 0),
        }
    }
}

/// Whether some `#` in the text is followed by `cutover:`, whitespace between them allowed: so
/// is every suppression comment, and without one there is nothing to look for.
#[must_use]
pub fn may_hold_a_suppression(text: &str) -> bool {
    text.match_indices('#').any(|(hash, _)| text[hash + 1..].trim_start().starts_with(MARKER))
}

/// Every suppression comment of a plan's text, in order. `step_starts` are the byte offsets
/// where the plan's steps (preflight and main) start, in any order; `values` the byte ranges of
/// the plan's values ([`value_spans`]): a line inside a value (a command's `|` block) that reads
/// like a suppression is the command's text, not a comment, and switches nothing off.
#[must_use]
pub fn find(file: FileId, text: &str, step_starts: &[u32], values: &[(u32, u32)]) -> Vec<Suppression> {
    if !may_hold_a_suppression(text) {
        return Vec::new();
    }
    let lines = lines_with_offsets(text);
    let mut step_line_starts: Vec<u32> = step_starts.iter().map(|start| line_start(text, *start)).collect();
    step_line_starts.sort_unstable();
    let mut found = Vec::new();
    for (index, &(start, line)) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix('#').map(str::trim_start).and_then(|rest| rest.strip_prefix(MARKER))
        else {
            continue;
        };
        let start = start as usize;
        let comment = Span::new(file, start + (line.len() - trimmed.len()), start + line.len());
        if inside_a_value(values, comment.start) {
            continue;
        }
        found.push(Suppression {
            comment,
            parsed: parse(rest.trim()),
            covers: covered(text, &lines, index, &step_line_starts),
        });
    }
    found
}

/// The byte ranges of the plan file's values that can run over lines: commands, arguments,
/// reasons and `notify`, sorted by start.
#[must_use]
pub fn value_spans(plan: &Plan) -> Vec<(u32, u32)> {
    let mut spans = Vec::new();
    let mut add = |value: &Spanned<String>| {
        if value.span.file == plan.file {
            spans.push((value.span.start, value.span.end));
        }
    };
    for step in plan.preflight.iter().chain(&plan.steps) {
        add_commands(&step.commands, &mut add);
        for argument in step.call.iter().flat_map(|call| &call.arguments) {
            add(&argument.value);
        }
    }
    for action in &plan.actions {
        add_commands(&action.commands, &mut add);
    }
    if let Some(notify) = &plan.notify {
        add(notify);
    }
    spans.sort_unstable();
    spans
}

fn add_commands(commands: &Commands, add: &mut impl FnMut(&Spanned<String>)) {
    for command in [&commands.run, &commands.verify, &commands.cleanup].into_iter().flatten() {
        add(command);
    }
    if let Some(Undo::Rollback(text) | Undo::Irreversible(text)) = &commands.undo {
        add(text);
    }
}

/// Whether byte `at` lies inside one of `spans`, which do not overlap (values never nest).
fn inside_a_value(spans: &[(u32, u32)], at: u32) -> bool {
    let before = spans.partition_point(|&(start, _)| start < at);
    before > 0 && at < spans[before - 1].1
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
fn covered(text: &str, lines: &[(u32, &str)], index: usize, step_line_starts: &[u32]) -> Covers {
    let Some(&(next_start, next_line)) = lines[index + 1..].iter().find(|(_, line)| {
        let trimmed = line.trim_start();
        !trimmed.is_empty() && !trimmed.starts_with('#')
    }) else {
        return Covers::Nothing;
    };
    let line_end = next_start + next_line.len() as u32;
    let starts_step = step_line_starts.binary_search(&next_start).is_ok()
        || next_line.trim_start().starts_with("- ")
            && step_line_starts.iter().any(|start| *start > next_start && *start < line_end + 1);
    if !starts_step {
        return Covers::Line { range: (next_start, line_end) };
    }
    let next_step = step_line_starts.iter().copied().find(|start| *start > next_start);
    let next_top_level = lines
        .iter()
        .find(|(start, line)| *start > next_start && !line.is_empty() && !line.starts_with([' ', '\t', '#', '-']))
        .map(|(start, _)| *start);
    let end = [next_step, next_top_level].into_iter().flatten().min().unwrap_or(text.len() as u32);
    Covers::Step { line_start: next_start, range: (next_start, end) }
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

/// The offset where the line holding `offset` starts.
#[must_use]
pub fn line_start(text: &str, offset: u32) -> u32 {
    text[..(offset as usize).min(text.len())].rfind('\n').map_or(0, |newline| newline as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_without_a_suppression_comment_are_not_read_for_one() {
        assert!(may_hold_a_suppression("steps:\n  #cutover: allow CUT030 -- x\n"));
        assert!(may_hold_a_suppression("steps:\n\t# \t cutover: allow\n"));
        assert!(!may_hold_a_suppression("# Generated.\ncutover: 1\nsteps: []\n# see cutover.toml\n"));
        assert!(!may_hold_a_suppression("cutover: 1\nnotify: \"echo '#'; cutover\"\n"));
    }

    #[test]
    fn a_comment_covers_the_step_after_it_or_the_line_after_it() {
        let text = "window: 1h\n# cutover: allow CUT034 -- x\nbuffer: 5%\nsteps:\n  # cutover: allow CUT030 -- y\n\n  - id: a\n    run: x\n  - id: b\n    run: y\n# cutover: allow CUT030 -- z\n";
        let step_starts: Vec<u32> = ["id: a", "id: b"].iter().map(|id| text.find(id).unwrap() as u32).collect();
        let found = find(FileId(0), text, &step_starts, &[]);
        let covers: Vec<Covers> = found.iter().map(|suppression| suppression.covers).collect();
        let line = |needle: &str| text.find(needle).unwrap() as u32;
        assert_eq!(
            covers,
            [
                Covers::Line { range: (line("buffer"), line("buffer") + 10) },
                Covers::Step { line_start: line("  - id: a"), range: (line("  - id: a"), line("  - id: b")) },
                Covers::Nothing,
            ]
        );
        assert!(found.iter().all(|suppression| suppression.parsed.is_ok()));
    }

    #[test]
    fn a_comment_after_code_is_no_suppression() {
        assert!(find(FileId(0), "steps:\n  - id: a  # cutover: allow CUT030 -- x\n", &[10], &[]).is_empty());
    }
}
