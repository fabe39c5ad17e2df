//! The model printed as canonical DSL: what `cutover fmt` writes and `convert --to dsl` produces.
//!
//! Canonical form: `cutover 1`, a blank line, the plan block with its header fields first (each
//! keyword padded to the widest), then preflight and steps in the order written, then actions.
//! A step calling an action is one line (`step ID on … after …: action(arg: value)`) with a
//! block only for what a line cannot hold; an inline step is a block. Block keywords are padded
//! so their values line up. Blank lines between statements are kept (at most one); comments come
//! back before the element they preceded, or at the end of its line.

use super::comments::Comments;
use super::quote::{dsl_string, dsl_word};
use crate::model::{Action, Commands, Gate, GateCheck, Library, Plan, Retries, Step, Tuning, Undo};
use std::fmt::Write as _;

/// A plan as canonical DSL text.
#[must_use]
pub fn plan(plan: &Plan, comments: &mut Comments) -> String {
    let mut printer = Printer { out: String::new(), comments };
    printer.plan(plan);
    printer.out
}

/// An action library as canonical DSL text.
#[must_use]
pub fn library(library: &Library, comments: &mut Comments) -> String {
    let mut printer = Printer { out: String::new(), comments };
    printer.actions(&library.actions, true);
    printer.finish_comments(0);
    printer.out
}

struct Printer<'c> {
    out: String,
    comments: &'c mut Comments,
}

/// One line of a block: keyword, value, and the offsets that anchor its comments.
struct Line {
    keyword: &'static str,
    value: String,
    start: u32,
    end: u32,
}

impl Line {
    /// The offsets whose source lines this line stands for; none for a line the source did not
    /// write (an action's `readonly` has no place of its own).
    fn offsets(&self) -> Vec<u32> {
        if self.start == u32::MAX { Vec::new() } else { vec![self.start, self.end] }
    }
}

impl Printer<'_> {
    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    fn leading(&mut self, offset: u32, depth: usize) {
        for comment in self.comments.leading(offset) {
            self.indent(depth);
            self.out.push('#');
            self.out.push_str(&comment);
            self.out.push('\n');
        }
    }

    /// Ends a line that stands for the source lines of `offsets`, with their comments.
    fn end_line(&mut self, offsets: &[u32]) {
        self.end_line_leaving(offsets, &[]);
    }

    /// As [`Self::end_line`], leaving the comments on the source lines of `leave` to the lines
    /// of the output that write what is there (a block's opening line leaves its fields' own).
    fn end_line_leaving(&mut self, offsets: &[u32], leave: &[u32]) {
        if let Some(comment) = self.comments.trailing(offsets, leave) {
            self.out.push_str(" #");
            self.out.push_str(&comment);
        }
        self.out.push('\n');
    }

    /// A blank line where the author left one, never two in a row nor after an opening brace.
    fn blank_if_written(&mut self, offset: u32) {
        if self.comments.blank_before(offset) && !self.out.ends_with("\n\n") && !self.out.ends_with("{\n") {
            self.out.push('\n');
        }
    }

    fn finish_comments(&mut self, depth: usize) {
        for comment in self.comments.rest() {
            self.indent(depth);
            self.out.push('#');
            self.out.push_str(&comment);
            self.out.push('\n');
        }
    }

    fn plan(&mut self, plan: &Plan) {
        self.leading(plan.language.span.start, 0);
        let _ = write!(self.out, "cutover {}", plan.language.value);
        self.end_line(&[plan.language.span.start, plan.language.span.end]);
        self.out.push('\n');
        self.leading(plan.name.span.start, 0);
        let _ = write!(self.out, "plan {} {{", dsl_string(&plan.name.value));
        self.end_line(&[plan.name.span.start, plan.name.span.end]);

        let mut header: Vec<Line> = Vec::new();
        let mut push = |keyword: &'static str, value: String, span: crate::source::Span| {
            header.push(Line { keyword, value, start: span.start, end: span.end });
        };
        if let Some(manifest) = &plan.manifest {
            push("manifest", dsl_string(&manifest.value), manifest.span);
        }
        if let Some(inventory) = &plan.inventory {
            push("inventory", dsl_string(&inventory.value), inventory.span);
        }
        if let Some(window) = &plan.window {
            push("window", window.value.to_string(), window.span);
        }
        if let Some(buffer) = &plan.buffer {
            push("buffer", buffer.value.to_string(), buffer.span);
        }
        if let (Some(first), Some(last)) = (plan.uses.first(), plan.uses.last()) {
            let value = plan.uses.iter().map(|path| dsl_string(&path.value)).collect::<Vec<_>>().join(", ");
            header.push(Line { keyword: "use", value, start: first.span.start, end: last.span.end });
        }
        if let (Some(first), Some(last)) = (plan.upgrade.first(), plan.upgrade.last()) {
            let value = plan
                .upgrade
                .iter()
                .map(|(component, version)| dsl_word(&format!("{}@{}", component.value, version.value)))
                .collect::<Vec<_>>()
                .join(", ");
            header.push(Line { keyword: "upgrade", value, start: first.0.span.start, end: last.1.span.end });
        }
        if let Some(notify) = &plan.notify {
            header.push(Line {
                keyword: "notify",
                value: dsl_string(&notify.value),
                start: notify.span.start,
                end: notify.span.end,
            });
        }
        self.block_lines(&header, 1);

        for (index, step) in plan.preflight.iter().chain(&plan.steps).enumerate() {
            // The steps are set apart from the header, and the main steps from the preflight.
            if (index == 0 && !header.is_empty()) || (index == plan.preflight.len() && index > 0) {
                if !self.out.ends_with("\n\n") {
                    self.out.push('\n');
                }
            } else {
                self.blank_if_written(step.span.start);
            }
            self.step(step);
        }
        let end = plan.actions.first().map_or(u32::MAX, |action| action.name.span.start);
        let closing_comments = self.comments.leading(end);
        for comment in closing_comments {
            let _ = writeln!(self.out, "  #{comment}");
        }
        self.out.push_str("}\n");
        self.actions(&plan.actions, false);
        self.finish_comments(0);
    }

    /// Lines of a block, keywords padded so that the values line up.
    fn block_lines(&mut self, lines: &[Line], depth: usize) {
        let width = lines.iter().map(|line| line.keyword.len()).max().unwrap_or(0);
        for line in lines {
            self.leading(line.start, depth);
            self.indent(depth);
            self.out.push_str(line.keyword);
            if !line.value.is_empty() {
                for _ in line.keyword.len()..=width {
                    self.out.push(' ');
                }
                self.out.push_str(&line.value);
            }
            self.end_line(&line.offsets());
        }
    }

    fn step(&mut self, step: &Step) {
        self.leading(step.span.start, 1);
        self.indent(1);
        let keyword = match step.phase {
            crate::model::Phase::Preflight => "preflight",
            crate::model::Phase::Main => "step",
        };
        let mut head = format!("{keyword} {}", dsl_word(&step.id.value));
        // What the head line writes, wherever the source wrote it: a comment at the end of any
        // of those lines ends the head line.
        let mut head_offsets = vec![step.span.start, step.id.span.start, step.id.span.end];
        let mut written_in_head = |span: crate::source::Span| head_offsets.extend([span.start, span.end]);
        if let Some(on) = &step.on {
            let _ = write!(head, " on {}", dsl_word(&on.value));
            written_in_head(on.span);
        }
        if let Some(serial) = &step.serial {
            let _ = write!(head, " serial {}", serial.value);
            written_in_head(serial.span);
        }
        if let Some(max_fail) = &step.max_fail {
            let _ = write!(head, " max_fail {}", max_fail.value);
            written_in_head(max_fail.span);
        }
        if !step.after.is_empty() {
            let after: Vec<String> = step.after.iter().map(|name| dsl_word(&name.value)).collect();
            let _ = write!(head, " after {}", after.join(", "));
            step.after.iter().for_each(|name| written_in_head(name.span));
        }
        let mut lines = Vec::new();
        if let Some(call) = &step.call {
            if let Some(estimate) = &step.tuning.estimate {
                let _ = write!(head, " estimate {}", estimate.value);
                written_in_head(estimate.span);
            }
            if let Some(timeout) = &step.tuning.timeout {
                let _ = write!(head, " timeout {}", timeout.value);
                written_in_head(timeout.span);
            }
            let _ = write!(head, ": {}", dsl_word(&call.action.value));
            written_in_head(call.action.span);
            if !call.arguments.is_empty() {
                let arguments: Vec<String> = call
                    .arguments
                    .iter()
                    .map(|argument| format!("{}: {}", dsl_word(&argument.name.value), dsl_word(&argument.value.value)))
                    .collect();
                let _ = write!(head, "({})", arguments.join(", "));
                for argument in &call.arguments {
                    written_in_head(argument.name.span);
                    written_in_head(argument.value.span);
                }
            }
            command_lines(&step.commands, &mut lines);
            tuning_lines(&Tuning { estimate: None, timeout: None, retries: step.tuning.retries.clone() }, &mut lines);
        } else {
            command_lines(&step.commands, &mut lines);
            tuning_lines(&step.tuning, &mut lines);
        }
        if let Some(gate) = &step.gate {
            lines.push(Line {
                keyword: "gate",
                value: gate_text(&gate.value),
                start: gate.span.start,
                end: gate.span.end,
            });
        }
        effect_lines(&step.effects, &mut lines);
        if let Some(readonly) = &step.readonly {
            let value = if readonly.value { String::new() } else { "false".to_owned() };
            lines.push(Line { keyword: "readonly", value, start: readonly.span.start, end: readonly.span.end });
        }
        self.out.push_str(&head);
        if lines.is_empty() && step.call.is_some() {
            head_offsets.push(step.span.end);
            self.end_line(&head_offsets);
            return;
        }
        self.out.push_str(" {");
        let block_lines: Vec<u32> = lines.iter().flat_map(Line::offsets).collect();
        self.end_line_leaving(&head_offsets, &block_lines);
        self.block_lines(&lines, 2);
        self.leading(step.span.end, 2);
        self.indent(1);
        self.out.push('}');
        self.end_line(&[step.span.end]);
    }

    fn actions(&mut self, actions: &[Action], library: bool) {
        for (index, action) in actions.iter().enumerate() {
            if !(library && index == 0) {
                self.out.push('\n');
            }
            self.action(action);
        }
    }

    fn action(&mut self, action: &Action) {
        self.leading(action.name.span.start, 0);
        let _ = write!(self.out, "action {}", dsl_word(&action.name.value));
        if !action.params.is_empty() {
            let params: Vec<String> = action
                .params
                .iter()
                .map(|param| {
                    let mut text = format!("{}: {}", dsl_word(&param.name.value), param.kind.value.as_str());
                    if let Some(default) = &param.default {
                        let _ = write!(text, " = {}", dsl_word(&default.value));
                    }
                    text
                })
                .collect();
            let _ = write!(self.out, "({})", params.join(", "));
        }
        self.out.push_str(" {");
        let mut head_offsets = vec![action.name.span.start, action.name.span.end];
        for param in &action.params {
            head_offsets.extend([param.name.span.start, param.kind.span.end]);
            head_offsets.extend(param.default.iter().map(|default| default.span.end));
        }
        let mut lines = Vec::new();
        command_lines(&action.commands, &mut lines);
        let mut tuning = action.tuning.clone();
        if let Some(from) = &action.estimate_from {
            lines.push(Line {
                keyword: "estimate",
                value: dsl_string(&format!("{{{}}}", from.value)),
                start: from.span.start,
                end: from.span.end,
            });
            tuning.estimate = None;
        }
        tuning_lines(&tuning, &mut lines);
        effect_lines(&action.effects, &mut lines);
        if action.readonly {
            lines.push(Line { keyword: "readonly", value: String::new(), start: u32::MAX, end: u32::MAX });
        }
        let block_lines: Vec<u32> = lines.iter().flat_map(Line::offsets).collect();
        self.end_line_leaving(&head_offsets, &block_lines);
        self.block_lines(&lines, 1);
        self.out.push_str("}\n");
    }
}

fn command_lines(commands: &Commands, lines: &mut Vec<Line>) {
    let mut push = |keyword: &'static str, text: &crate::model::Spanned<String>| {
        lines.push(Line { keyword, value: dsl_string(&text.value), start: text.span.start, end: text.span.end });
    };
    if let Some(run) = &commands.run {
        push("run", run);
    }
    match &commands.undo {
        Some(Undo::Rollback(rollback)) => push("rollback", rollback),
        Some(Undo::Irreversible(reason)) => push("irreversible", reason),
        None => {}
    }
    if let Some(verify) = &commands.verify {
        push("verify", verify);
    }
    if let Some(cleanup) = &commands.cleanup {
        push("cleanup", cleanup);
    }
}

fn tuning_lines(tuning: &Tuning, lines: &mut Vec<Line>) {
    if let Some(estimate) = &tuning.estimate {
        lines.push(Line {
            keyword: "estimate",
            value: estimate.value.to_string(),
            start: estimate.span.start,
            end: estimate.span.end,
        });
    }
    if let Some(timeout) = &tuning.timeout {
        lines.push(Line {
            keyword: "timeout",
            value: timeout.value.to_string(),
            start: timeout.span.start,
            end: timeout.span.end,
        });
    }
    if let Some(retries) = &tuning.retries {
        lines.push(Line {
            keyword: "retries",
            value: retries_text(&retries.value),
            start: retries.span.start,
            end: retries.span.end,
        });
    }
}

fn retries_text(retries: &Retries) -> String {
    let mut text = retries.count.to_string();
    if let Some(backoff) = retries.backoff {
        let _ = write!(text, " backoff {}", backoff.as_str());
    }
    if let Some(base) = retries.base {
        let _ = write!(text, " base {base}");
    }
    if let Some(max) = retries.max {
        let _ = write!(text, " max {max}");
    }
    text
}

/// `{ http "URL" status 200 passes 3 }`: a gate on one line.
fn gate_text(gate: &Gate) -> String {
    let mut text = String::from("{");
    match &gate.check {
        GateCheck::Http { url, status, body } => {
            let _ = write!(text, " http {}", dsl_word(&url.value));
            if let Some(status) = status {
                let _ = write!(text, " status {status}");
            }
            if let Some(body) = body {
                let _ = write!(text, " body {}", dsl_string(&body.value));
            }
        }
        GateCheck::Command(command) => {
            let _ = write!(text, " command {}", dsl_string(&command.value));
        }
    }
    if let Some(interval) = gate.interval {
        let _ = write!(text, " interval {interval}");
    }
    if let Some(passes) = gate.passes {
        let _ = write!(text, " passes {passes}");
    }
    if let Some(soak) = gate.soak {
        let _ = write!(text, " soak {soak}");
    }
    if let Some(timeout) = gate.timeout {
        let _ = write!(text, " timeout {timeout}");
    }
    text.push_str(" }");
    text
}

fn effect_lines(effects: &[crate::model::Spanned<crate::model::Effect>], lines: &mut Vec<Line>) {
    if let (Some(first), Some(last)) = (effects.first(), effects.last()) {
        let value = effects.iter().map(|effect| effect.value.as_str()).collect::<Vec<_>>().join(", ");
        lines.push(Line { keyword: "effects", value, start: first.span.start, end: last.span.end });
    }
}
