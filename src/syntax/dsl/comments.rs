//! The comments of a plan file, in either form, so that `fmt` and `convert` can carry them.
//!
//! The model holds no comments; a printer asks for the comments written before the element it
//! is about to print ([`Comments::leading`]) and for one at the end of its line
//! ([`Comments::trailing`]). Comments are handed out once each, in source order, and whatever
//! no element claimed comes out at the end ([`Comments::rest`]): a comment is never lost.

use crate::model::{Plan, Undo};
use crate::source::Span;

/// One `#` comment.
#[derive(Clone, Debug)]
pub struct Comment {
    /// Byte offset of the `#`.
    pub offset: u32,
    /// The text after `#`, trailing whitespace removed.
    pub text: String,
    /// Alone on its line (not after code).
    pub own_line: bool,
    line: usize,
}

/// The comments of one file and which were printed already.
#[derive(Debug, Default)]
pub struct Comments {
    list: Vec<Comment>,
    taken: Vec<bool>,
    line_starts: Vec<u32>,
    /// Lines that hold nothing but whitespace.
    blank_lines: Vec<bool>,
}

impl Comments {
    /// No comments (a plan built in memory).
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Leaves out the editors' `# yaml-language-server: $schema=…` line: it points a YAML
    /// file at its JSON Schema and means nothing in another form.
    pub fn skip_yaml_modeline(&mut self) {
        for (comment, taken) in self.list.iter().zip(self.taken.iter_mut()) {
            if comment.own_line && comment.text.trim_start().starts_with("yaml-language-server:") {
                *taken = true;
            }
        }
    }

    /// The comments of DSL text: `#` outside strings, to the end of the line.
    #[must_use]
    pub fn of_dsl(text: &str) -> Self {
        let mut found = Vec::new();
        let mut chars = text.char_indices().peekable();
        while let Some((index, next)) = chars.next() {
            match next {
                '"' => {
                    while let Some((_, inside)) = chars.next() {
                        if inside == '\\' {
                            chars.next();
                        } else if inside == '"' {
                            break;
                        }
                    }
                }
                '#' => {
                    let end = text[index..].find('\n').map_or(text.len(), |offset| index + offset);
                    found.push((index, end));
                    while chars.peek().is_some_and(|(position, _)| *position < end) {
                        chars.next();
                    }
                }
                _ => {}
            }
        }
        Self::build(text, found)
    }

    /// The comments of a YAML plan: `#` at the start of a line or after whitespace, outside
    /// quotes, and not inside a command (a block scalar's `#` is the command's own text).
    #[must_use]
    pub fn of_yaml(text: &str, commands: &[Span]) -> Self {
        let inside_command =
            |offset: usize| commands.iter().any(|span| (span.start as usize) <= offset && offset < span.end as usize);
        let mut found = Vec::new();
        let mut line_start = 0;
        for line in text.split_inclusive('\n') {
            let mut quote = None;
            let mut previous = ' ';
            for (column, next) in line.char_indices() {
                match (quote, next) {
                    (None, '#') if previous.is_whitespace() => {
                        let offset = line_start + column;
                        if !inside_command(offset) {
                            found.push((offset, line_start + line.trim_end().len()));
                        }
                        break;
                    }
                    (None, '"' | '\'') if previous.is_whitespace() || "[{,:".contains(previous) => quote = Some(next),
                    (Some(open), close) if open == close => quote = None,
                    _ => {}
                }
                previous = next;
            }
            line_start += line.len();
        }
        Self::build(text, found)
    }

    fn build(text: &str, ranges: Vec<(usize, usize)>) -> Self {
        let mut line_starts = vec![0u32];
        line_starts.extend(text.match_indices('\n').map(|(index, _)| index as u32 + 1));
        let blank_lines = text.split('\n').map(|line| line.trim().is_empty()).collect();
        let mut comments = Self { list: Vec::new(), taken: Vec::new(), line_starts, blank_lines };
        for (start, end) in ranges {
            let line = comments.line_of(start as u32);
            let line_start = comments.line_starts[line] as usize;
            let own_line = text[line_start..start].trim().is_empty();
            let body = text[start + 1..end.max(start + 1)].trim_end().to_owned();
            comments.list.push(Comment { offset: start as u32, text: body, own_line, line });
        }
        comments.taken = vec![false; comments.list.len()];
        comments
    }

    fn line_of(&self, offset: u32) -> usize {
        self.line_starts.partition_point(|start| *start <= offset).saturating_sub(1)
    }

    /// Every comment not yet printed that was written before `offset`.
    pub fn leading(&mut self, offset: u32) -> Vec<String> {
        let mut out = Vec::new();
        for (comment, taken) in self.list.iter().zip(self.taken.iter_mut()) {
            if !*taken && comment.offset < offset {
                *taken = true;
                out.push(comment.text.clone());
            }
        }
        out
    }

    /// A comment after code on the line where `offset` lies, if not yet printed.
    pub fn trailing(&mut self, offset: u32) -> Option<String> {
        self.trailing_before(offset, u32::MAX)
    }

    /// As [`Self::trailing`], for a comment written before `limit` only (a block's opening line
    /// takes no comment that follows the block's first field).
    pub fn trailing_before(&mut self, offset: u32, limit: u32) -> Option<String> {
        let line = self.line_of(offset);
        let index = self.list.iter().zip(&self.taken).position(|(comment, taken)| {
            !taken && !comment.own_line && comment.line == line && comment.offset < limit
        })?;
        self.taken[index] = true;
        Some(self.list[index].text.clone())
    }

    /// Whether the source has an empty line just before the element at `offset` (or before the
    /// comments written above it that are still to be printed).
    #[must_use]
    pub fn blank_before(&self, offset: u32) -> bool {
        let first_comment = self
            .list
            .iter()
            .zip(&self.taken)
            .find(|(comment, taken)| !**taken && comment.own_line && comment.offset < offset)
            .map(|(comment, _)| comment.line);
        let line = first_comment.unwrap_or_else(|| self.line_of(offset));
        line > 0 && self.blank_lines.get(line - 1).copied().unwrap_or(false)
    }

    /// Every comment not printed yet.
    pub fn rest(&mut self) -> Vec<String> {
        self.leading(u32::MAX)
    }
}

/// The spans of every command, reason, argument and notify template of a plan, where a `#` is
/// text, not a comment.
#[must_use]
pub fn plan_text_spans(plan: &Plan) -> Vec<Span> {
    let mut spans: Vec<Span> = plan.notify.iter().map(|notify| notify.span).collect();
    spans.extend(action_text_spans(&plan.actions));
    let commands = plan.preflight.iter().chain(&plan.steps).map(|step| &step.commands);
    for commands in commands {
        spans.extend(commands.run.iter().chain(&commands.verify).chain(&commands.cleanup).map(|text| text.span));
        spans.extend(commands.undo.iter().map(|undo| match undo {
            Undo::Rollback(text) | Undo::Irreversible(text) => text.span,
        }));
    }
    for step in plan.preflight.iter().chain(&plan.steps) {
        spans.extend(step.call.iter().flat_map(|call| call.arguments.iter().map(|argument| argument.value.span)));
    }
    spans
}

/// The spans of the commands of some actions.
#[must_use]
pub fn action_text_spans(actions: &[crate::model::Action]) -> Vec<Span> {
    let mut spans = Vec::new();
    for commands in actions.iter().map(|action| &action.commands) {
        spans.extend(commands.run.iter().chain(&commands.verify).chain(&commands.cleanup).map(|text| text.span));
        spans.extend(commands.undo.iter().map(|undo| match undo {
            Undo::Rollback(text) | Undo::Irreversible(text) => text.span,
        }));
    }
    spans
}
