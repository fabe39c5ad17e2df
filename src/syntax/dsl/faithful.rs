//! Whether what `convert` and `fmt` write means what they read, comments included: nothing a
//! plan says runs unless it is written as a command, and no comment changes what is checked.
//!
//! - The text written reads back, cleanly, as the same plan: no comment became a field and no
//!   value gained a line.
//! - Every suppression comment (`syntax::suppression`) covers the same steps, or the same values
//!   of one line, with the same codes; no comment became a suppression and none stopped being
//!   one.
//!
//! [`Reach::of`] finds the suppressions of a text and what each covers in terms both forms
//! share (the step's place in the plan, the values of the model), [`Reach::reserve`] keeps each
//! one's comment for the element it must be written before, and [`verify`] reads what was
//! written and compares. When anything differs, nothing is written: a [`Refusal`] says which
//! comment and why.

use super::comments::Comments;
use super::{Document, Form, print, read_document};
use crate::codes::Code;
use crate::model::{Action, Commands, Effect, Plan, Spanned, Step, Tuning, Undo};
use crate::source::{FileId, Span};
use crate::syntax::suppression::{self, Covers};

/// Why a conversion was not written: `offset` is where in the input (the comment), when there
/// is a place to point at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub offset: Option<u32>,
    pub message: String,
}

/// The suppressions of one text and what each covers.
#[derive(Debug)]
pub struct Reach {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    /// The comment, `#` to the end of its line.
    comment: Span,
    codes: Result<Vec<Code>, String>,
    target: Target,
    /// The element of the source the comment must be written before to cover the same, or
    /// `None` when only the end of the file covers the same (nothing).
    element: Option<u32>,
}

/// What a suppression covers, in terms both forms share.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// Whole steps, by their place among the preflight and main steps.
    Steps(Vec<usize>),
    /// The values on one line, each with whether all of it lies on that line.
    Line(Vec<(Anchor, bool)>),
    /// No value of the plan.
    Nothing,
}

/// One value of the model, named by where it is in the plan rather than where it was written.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Anchor {
    owner: Owner,
    field: &'static str,
    item: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Owner {
    Plan,
    Step(usize),
    Action(usize),
}

impl Reach {
    /// The suppressions of `text`, which reads as `document`.
    #[must_use]
    pub fn of(file: FileId, text: &str, document: &Document) -> Self {
        let steps = steps_of(document);
        let step_starts: Vec<u32> = steps.iter().map(|step| step.span.start).collect();
        let values = match document {
            Document::Plan(plan) => suppression::value_spans(plan),
            Document::Library(_) => Vec::new(),
        };
        let found = suppression::find(file, text, &step_starts, &values);
        if found.is_empty() {
            return Self { entries: Vec::new() };
        }
        let anchors = anchors_of(document);
        let entries = found
            .into_iter()
            .map(|found| {
                let (target, element) = match found.covers {
                    Covers::Nothing => (Target::Nothing, None),
                    Covers::Step { line_start, .. } => {
                        let on_line: Vec<usize> = (0..steps.len())
                            .filter(|index| suppression::line_start(text, steps[*index].span.start) == line_start)
                            .collect();
                        let element = on_line.iter().map(|index| steps[*index].span.start).min();
                        (Target::Steps(on_line), element)
                    }
                    Covers::Line { range } => line_target(&anchors, range),
                };
                Entry { comment: found.comment, codes: found.parsed, target, element }
            })
            .collect();
        Self { entries }
    }

    /// Keeps every suppression comment for the element it must be written before.
    pub fn reserve(&self, comments: &mut Comments) {
        for entry in &self.entries {
            match entry.element {
                Some(element) => comments.reserve_before(entry.comment.start, element),
                None => comments.reserve_for_end(entry.comment.start),
            }
        }
    }
}

/// What a suppression covering the line `range` covers, and the element it is written before.
fn line_target(anchors: &[(Anchor, Span)], range: (u32, u32)) -> (Target, Option<u32>) {
    let mut touched: Vec<(Anchor, bool)> = Vec::new();
    let mut first_start = None::<u32>;
    let mut all_whole = true;
    for (anchor, span) in anchors {
        let reaches_in = span.start < range.1 && span.end.max(span.start + 1) > range.0;
        if !reaches_in {
            continue;
        }
        let whole = span.start >= range.0 && span.end <= range.1;
        all_whole &= whole;
        if span.start >= range.0 {
            first_start = Some(first_start.map_or(span.start, |first| first.min(span.start)));
        }
        touched.push((anchor.clone(), whole));
    }
    if touched.is_empty() {
        return (Target::Nothing, None);
    }
    touched.sort();
    // A value that runs on past the line is covered only in part; no other writing of it
    // covers the same part, and verify refuses.
    (Target::Line(touched), if all_whole { first_start } else { None })
}

/// Reads what a conversion wrote and checks that it means what the source meant: the same plan,
/// and the same reach for every suppression. `written` says what was done, for messages
/// ("written as YAML", "formatted").
///
/// # Errors
/// What differs, at the source comment concerned where there is one.
pub fn verify(
    file: FileId,
    source: &Document,
    source_reach: &Reach,
    source_comments: &Comments,
    output: &str,
    to: Form,
    written: &str,
) -> Result<(), Refusal> {
    let not_the_same = || Refusal {
        offset: None,
        message: format!(
            "{written}, the plan would not read back as the same plan; this is a bug in cutover, please report it"
        ),
    };
    let mut diagnostics = Vec::new();
    let output_document = read_document(file, output, to == Form::Dsl, &mut diagnostics).ok_or_else(not_the_same)?;
    if !diagnostics.is_empty() || fingerprint(source) != fingerprint(&output_document) {
        return Err(not_the_same());
    }
    let output_reach = Reach::of(file, output, &output_document);
    let mut unmatched: Vec<&Entry> = output_reach.entries.iter().collect();
    for entry in &source_reach.entries {
        let position = unmatched.iter().position(|other| other.codes == entry.codes && other.target == entry.target);
        if let Some(position) = position {
            unmatched.remove(position);
            continue;
        }
        let message = if source_comments.at(entry.comment.start).is_none() {
            format!(
                "this line inside a value reads as a suppression comment to `cutover check`; {written}, the value \
                 is one line and this suppression would be gone; move the suppression out of the value"
            )
        } else {
            let there = output_reach
                .entries
                .iter()
                .find(|other| {
                    comment_text(output, other.comment)
                        == source_comments.at(entry.comment.start).map(|c| c.text.as_str())
                })
                .map_or_else(|| "nothing".to_owned(), |other| describe(&other.target, &output_document));
            format!(
                "this suppression covers {} here, and {written} it would cover {there}; put it on the line before the \
                 step it is meant for",
                describe(&entry.target, source)
            )
        };
        return Err(Refusal { offset: Some(entry.comment.start), message });
    }
    if let Some(extra) = unmatched.first() {
        let text = comment_text(output, extra.comment);
        let offset = text.and_then(|text| source_comments.offset_of(text));
        return Err(Refusal {
            offset,
            message: format!(
                "this comment suppresses nothing here, and {written} it would be a suppression covering {}; write \
                 it on a line of its own where it is meant to apply, or reword it",
                describe(&extra.target, &output_document)
            ),
        });
    }
    Ok(())
}

/// The text after a suppression comment's `#`, as [`Comments`] keeps it.
fn comment_text(text: &str, comment: Span) -> Option<&str> {
    text.get(comment.start as usize + 1..comment.end as usize).map(str::trim_end)
}

/// The plan with every span and comment left out: equal for two texts exactly when they say the
/// same thing.
fn fingerprint(document: &Document) -> String {
    match document {
        Document::Plan(plan) => format!("plan\n{}", print::plan(plan, &mut Comments::none())),
        Document::Library(library) => format!("library\n{}", print::library(library, &mut Comments::none())),
    }
}

fn steps_of(document: &Document) -> Vec<&Step> {
    match document {
        Document::Plan(plan) => plan.preflight.iter().chain(&plan.steps).collect(),
        Document::Library(_) => Vec::new(),
    }
}

/// A target in words: "step `a`", "`window`", "nothing".
fn describe(target: &Target, document: &Document) -> String {
    match target {
        Target::Steps(indices) => {
            let steps = steps_of(document);
            let names: Vec<String> = indices
                .iter()
                .filter_map(|index| steps.get(*index))
                .map(|step| format!("`{}`", step.id.value.escape_debug()))
                .collect();
            match names.len() {
                0 => "nothing".to_owned(),
                1 => format!("step {}", names[0]),
                _ => format!("steps {}", names.join(", ")),
            }
        }
        Target::Line(anchors) => {
            let mut words: Vec<String> = Vec::new();
            for (anchor, whole) in anchors {
                let word = describe_anchor(anchor, document);
                let word = if *whole { word } else { format!("a line of {word}") };
                if !words.contains(&word) {
                    words.push(word);
                }
            }
            words.join(", ")
        }
        Target::Nothing => "nothing".to_owned(),
    }
}

fn describe_anchor(anchor: &Anchor, document: &Document) -> String {
    let field = anchor.field;
    match anchor.owner {
        Owner::Plan => format!("`{field}`"),
        Owner::Step(index) => match steps_of(document).get(index) {
            Some(step) => format!("`{field}` of step `{}`", step.id.value.escape_debug()),
            None => format!("`{field}`"),
        },
        Owner::Action(index) => {
            let actions = match document {
                Document::Plan(plan) => &plan.actions,
                Document::Library(library) => &library.actions,
            };
            match actions.get(index) {
                Some(action) => format!("`{field}` of action `{}`", action.name.value.escape_debug()),
                None => format!("`{field}`"),
            }
        }
    }
}

/// Every value of the model that a diagnostic can point at, with where it was written.
fn anchors_of(document: &Document) -> Vec<(Anchor, Span)> {
    let mut anchors = Anchors(Vec::new());
    match document {
        Document::Plan(plan) => {
            anchors.plan(plan);
            anchors.actions(&plan.actions);
        }
        Document::Library(library) => anchors.actions(&library.actions),
    }
    anchors.0
}

struct Anchors(Vec<(Anchor, Span)>);

impl Anchors {
    fn add(&mut self, owner: Owner, field: &'static str, item: usize, span: Span) {
        self.0.push((Anchor { owner, field, item }, span));
    }

    fn add_optional<T>(&mut self, owner: Owner, field: &'static str, value: Option<&Spanned<T>>) {
        if let Some(value) = value {
            self.add(owner, field, 0, value.span);
        }
    }

    fn plan(&mut self, plan: &Plan) {
        let owner = Owner::Plan;
        self.add(owner, "cutover", 0, plan.language.span);
        self.add(owner, "plan", 0, plan.name.span);
        self.add_optional(owner, "manifest", plan.manifest.as_ref());
        self.add_optional(owner, "inventory", plan.inventory.as_ref());
        self.add_optional(owner, "window", plan.window.as_ref());
        self.add_optional(owner, "buffer", plan.buffer.as_ref());
        for (item, path) in plan.uses.iter().enumerate() {
            self.add(owner, "use", item, path.span);
        }
        for (item, (component, version)) in plan.upgrade.iter().enumerate() {
            self.add(owner, "upgrade", item * 2, component.span);
            self.add(owner, "upgrade", item * 2 + 1, version.span);
        }
        self.add_optional(owner, "notify", plan.notify.as_ref());
        for (index, step) in plan.preflight.iter().chain(&plan.steps).enumerate() {
            self.step(Owner::Step(index), step);
        }
    }

    fn step(&mut self, owner: Owner, step: &Step) {
        self.add(owner, "id", 0, step.id.span);
        self.add_optional(owner, "on", step.on.as_ref());
        self.add_optional(owner, "serial", step.serial.as_ref());
        self.add_optional(owner, "max_fail", step.max_fail.as_ref());
        for (item, name) in step.after.iter().enumerate() {
            self.add(owner, "after", item, name.span);
        }
        if let Some(call) = &step.call {
            self.add(owner, "do", 0, call.action.span);
            for (item, argument) in call.arguments.iter().enumerate() {
                self.add(owner, "with", item * 2, argument.name.span);
                self.add(owner, "with", item * 2 + 1, argument.value.span);
            }
        }
        self.commands(owner, &step.commands);
        self.tuning(owner, &step.tuning);
        self.add_optional(owner, "gate", step.gate.as_ref());
        self.effects(owner, &step.effects);
        self.add_optional(owner, "readonly", step.readonly.as_ref());
    }

    fn actions(&mut self, actions: &[Action]) {
        for (index, action) in actions.iter().enumerate() {
            let owner = Owner::Action(index);
            self.add(owner, "name", 0, action.name.span);
            for (item, param) in action.params.iter().enumerate() {
                self.add(owner, "params", item * 3, param.name.span);
                self.add(owner, "params", item * 3 + 1, param.kind.span);
                if let Some(default) = &param.default {
                    self.add(owner, "params", item * 3 + 2, default.span);
                }
            }
            self.commands(owner, &action.commands);
            self.add_optional(owner, "estimate", action.estimate_from.as_ref());
            self.tuning(owner, &action.tuning);
            self.effects(owner, &action.effects);
        }
    }

    fn commands(&mut self, owner: Owner, commands: &Commands) {
        self.add_optional(owner, "run", commands.run.as_ref());
        match &commands.undo {
            Some(Undo::Rollback(text)) => self.add(owner, "rollback", 0, text.span),
            Some(Undo::Irreversible(text)) => self.add(owner, "irreversible", 0, text.span),
            None => {}
        }
        self.add_optional(owner, "verify", commands.verify.as_ref());
        self.add_optional(owner, "cleanup", commands.cleanup.as_ref());
    }

    fn tuning(&mut self, owner: Owner, tuning: &Tuning) {
        self.add_optional(owner, "estimate", tuning.estimate.as_ref());
        self.add_optional(owner, "timeout", tuning.timeout.as_ref());
        self.add_optional(owner, "retries", tuning.retries.as_ref());
    }

    fn effects(&mut self, owner: Owner, effects: &[Spanned<Effect>]) {
        for (item, effect) in effects.iter().enumerate() {
            self.add(owner, "effects", item, effect.span);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "cutover 1\nplan \"p\" {\n  manifest  \"m.json\"\n  inventory \"i.yaml\"\n\n  # cutover: allow CUT030 -- rebuilt\n  step a {\n    run \"./a.sh\"\n  }\n  step b {\n    run \"./b.sh\"\n  }\n}\n";

    fn verify_output(output: &str) -> Result<(), Refusal> {
        let file = FileId(0);
        let mut diagnostics = Vec::new();
        let source = read_document(file, PLAN, true, &mut diagnostics).expect("reads");
        let reach = Reach::of(file, PLAN, &source);
        verify(file, &source, &reach, &Comments::of_dsl(PLAN), output, Form::Dsl, "formatted")
    }

    #[test]
    fn the_same_plan_with_the_same_suppressions_passes() {
        assert_eq!(verify_output(PLAN), Ok(()));
        assert_eq!(verify_output(&PLAN.replace("  # cutover", "\n  # a note\n  # cutover")), Ok(()));
    }

    #[test]
    fn a_comment_that_became_code_is_refused() {
        let refusal = verify_output(
            &PLAN.replace("  inventory \"i.yaml\"\n", "  inventory \"i.yaml\"\n  notify    \"touch /tmp/x\"\n"),
        )
        .expect_err("a new field");
        assert_eq!(refusal.offset, None);
        assert!(refusal.message.contains("would not read back as the same plan"), "{}", refusal.message);
    }

    #[test]
    fn a_suppression_that_moved_to_another_step_is_refused() {
        let moved = PLAN
            .replace("  # cutover: allow CUT030 -- rebuilt\n", "")
            .replace("  step b {", "  # cutover: allow CUT030 -- rebuilt\n  step b {");
        let refusal = verify_output(&moved).expect_err("moved");
        assert_eq!(refusal.offset, PLAN.find("# cutover").map(|offset| offset as u32));
        assert_eq!(
            refusal.message,
            "this suppression covers step `a` here, and formatted it would cover step `b`; put it on the line before \
             the step it is meant for"
        );
        let added = PLAN.replace("  step b {", "  # cutover: allow CUT030 -- rebuilt\n  step b {");
        assert!(
            verify_output(&added)
                .expect_err("a second one")
                .message
                .contains("would be a suppression covering step `b`")
        );
    }
}
