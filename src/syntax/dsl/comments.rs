//! The comments of a plan file, in either form, so that `fmt` and `convert` can carry them.
//!
//! The model holds no comments; a printer asks for the comments written before the element it
//! is about to print ([`Comments::leading`]) and for those at the end of the source lines of the
//! line it writes ([`Comments::trailing`]). Comments are handed out once each, in source order,
//! and whatever no element claimed comes out at the end ([`Comments::rest`]): a comment is never
//! lost. A suppression comment is handed out only where it keeps its reach
//! ([`Comments::reserve_before`]); `syntax::dsl::faithful` decides where that is.
//!
//! A comment's text never carries a line break into what is written: see [`visible`].

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::source::Span;

/// One `#` comment.
#[derive(Clone, Debug)]
pub struct Comment {
    /// Byte offset of the `#`.
    pub offset: u32,
    /// The text after `#`, trailing whitespace removed, made [`visible`].
    pub text: String,
    /// Alone on its line (not after code).
    pub own_line: bool,
    line: usize,
    place: Place,
}

/// Where a comment may be printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// Before whatever element follows it, or at the end of a line it was written on.
    Free,
    /// Only before the element that starts at this offset of the source.
    Before(u32),
    /// Only at the end of the file.
    End,
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

/// A comment's text as it is written out: every character that some reader of the output takes
/// for a line break (`\n`, `\r`; U+0085, U+2028 and U+2029, at which YAML 1.1 readers, Ansible's
/// among them, editors and diff viewers break lines) and every other character YAML does not
/// allow in a file (the other control characters, U+FFFE, U+FFFF) is written as a visible
/// escape: `\n`, `\r`, or `\u{2028}` in the DSL's notation. Otherwise the rest of a comment
/// would be a line of code to one reader and part of a comment to another. A backslash is kept
/// as it is: the escapes are for the people reading the file, nothing reads them back, and a
/// second conversion changes nothing.
#[must_use]
pub fn visible(text: &str) -> Cow<'_, str> {
    let breaks_a_line = |next: char| {
        (next.is_control() && next != '\t') || matches!(next, '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}')
    };
    if !text.contains(breaks_a_line) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for next in text.chars() {
        match next {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            next if breaks_a_line(next) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(next));
            }
            next => out.push(next),
        }
    }
    Cow::Owned(out)
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

    /// The comments of DSL text: `#` outside strings, to the end of the line (`\n`, as the
    /// grammar's `COMMENT` reads it: a `\r` before it is part of the comment).
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

    /// The comments of a YAML plan: `#` at the start of a line or after whitespace, and not
    /// inside a scalar (`scalars`, the span of every scalar of the tree: a quoted value's `#`,
    /// or a block scalar's, is the value's own text). A comment ends at the end of its line,
    /// and YAML 1.2 ends a line at `\r` as well as at `\n`: what follows a bare `\r` is YAML
    /// again, which the plan already holds.
    #[must_use]
    pub fn of_yaml(text: &str, scalars: &[Span]) -> Self {
        // Scalars never overlap: the last one starting at or before an offset is the only one
        // that can hold it.
        let mut scalar_ranges: Vec<(u32, u32)> = scalars.iter().map(|span| (span.start, span.end)).collect();
        scalar_ranges.sort_unstable();
        let inside_scalar = |offset: usize| {
            let offset = offset as u32;
            let before = scalar_ranges.partition_point(|(start, _)| *start <= offset);
            before > 0 && offset < scalar_ranges[before - 1].1
        };
        let mut found = Vec::new();
        let mut line_start = 0;
        for line in text.split_inclusive(['\n', '\r']) {
            let mut previous = ' ';
            for (column, next) in line.char_indices() {
                if next == '#' && previous.is_whitespace() && !inside_scalar(line_start + column) {
                    found.push((line_start + column, line_start + line.trim_end().len()));
                    break;
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
            // Lines as the suppression finder splits them, so that a comment is alone on its
            // line here exactly when `cutover check` would take it for a suppression.
            let own_line = text[line_start..start].trim().is_empty();
            let body = visible(text[start + 1..end.max(start + 1)].trim_end()).into_owned();
            comments.list.push(Comment { offset: start as u32, text: body, own_line, line, place: Place::Free });
        }
        comments.taken = vec![false; comments.list.len()];
        comments
    }

    fn line_of(&self, offset: u32) -> usize {
        self.line_starts.partition_point(|start| *start <= offset).saturating_sub(1)
    }

    /// The comment whose `#` is at `offset`, if any.
    #[must_use]
    pub fn at(&self, offset: u32) -> Option<&Comment> {
        self.list.iter().find(|comment| comment.offset == offset)
    }

    /// Where the first comment whose text is `text` was written.
    #[must_use]
    pub fn offset_of(&self, text: &str) -> Option<u32> {
        self.list.iter().find(|comment| comment.text == text).map(|comment| comment.offset)
    }

    /// Keeps the comment whose `#` is at `offset` for the element starting at `element` of the
    /// source: [`Self::leading`] hands it out for that element only.
    pub fn reserve_before(&mut self, offset: u32, element: u32) {
        self.place(offset, Place::Before(element));
    }

    /// Keeps the comment whose `#` is at `offset` for the end of the file.
    pub fn reserve_for_end(&mut self, offset: u32) {
        self.place(offset, Place::End);
    }

    fn place(&mut self, offset: u32, place: Place) {
        if let Some(comment) = self.list.iter_mut().find(|comment| comment.offset == offset) {
            comment.place = place;
        }
    }

    /// Whether [`Self::leading`] at `offset` hands out this comment; only [`Self::rest`] hands
    /// out those kept for the end.
    fn leads(comment: &Comment, offset: u32) -> bool {
        match comment.place {
            Place::Free => comment.offset < offset,
            Place::Before(element) => element == offset,
            Place::End => false,
        }
    }

    /// Every comment not yet printed that was written before `offset` (and every one reserved
    /// for the element starting there).
    pub fn leading(&mut self, offset: u32) -> Vec<String> {
        let mut out = Vec::new();
        for (comment, taken) in self.list.iter().zip(self.taken.iter_mut()) {
            if !*taken && Self::leads(comment, offset) {
                *taken = true;
                out.push(comment.text.clone());
            }
        }
        out
    }

    /// The comments after code, not yet printed, on the source lines of `offsets`, except on
    /// the lines of `leave` (which another line of the output claims): all of them, joined
    /// into one, since one written line ends in one comment. A comment that followed code
    /// stays after code: an own line would make `# cutover: …` a suppression.
    pub fn trailing(&mut self, offsets: &[u32], leave: &[u32]) -> Option<String> {
        let lines: Vec<usize> = offsets.iter().map(|offset| self.line_of(*offset)).collect();
        let left: Vec<usize> = leave.iter().map(|offset| self.line_of(*offset)).collect();
        let mut joined: Option<String> = None;
        for (comment, taken) in self.list.iter().zip(self.taken.iter_mut()) {
            if *taken || comment.own_line || !lines.contains(&comment.line) || left.contains(&comment.line) {
                continue;
            }
            *taken = true;
            match &mut joined {
                Some(text) => {
                    text.push_str(" #");
                    text.push_str(&comment.text);
                }
                None => joined = Some(comment.text.clone()),
            }
        }
        joined
    }

    /// Whether the source has an empty line just before the element at `offset` (or before the
    /// comments written above it that are still to be printed).
    #[must_use]
    pub fn blank_before(&self, offset: u32) -> bool {
        let first_comment = self
            .list
            .iter()
            .zip(&self.taken)
            .find(|(comment, taken)| !**taken && comment.own_line && Self::leads(comment, offset))
            .map(|(comment, _)| comment.line);
        let line = first_comment.unwrap_or_else(|| self.line_of(offset));
        line > 0 && self.blank_lines.get(line - 1).copied().unwrap_or(false)
    }

    /// Every comment not printed yet, those kept for the end included.
    pub fn rest(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for (comment, taken) in self.list.iter().zip(self.taken.iter_mut()) {
            if !*taken {
                *taken = true;
                out.push(comment.text.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn of_yaml(text: &str) -> Comments {
        let root = crate::syntax::yaml::parse(FileId(0), text).expect("YAML");
        Comments::of_yaml(text, &root.scalar_spans())
    }

    fn texts(comments: &Comments) -> Vec<(&str, bool)> {
        comments.list.iter().map(|comment| (comment.text.as_str(), comment.own_line)).collect()
    }

    #[test]
    fn no_line_break_is_written_in_a_comment() {
        assert_eq!(visible(" plain text, a \\ and a \t"), " plain text, a \\ and a \t");
        assert_eq!(visible("a\rb\nc"), "a\\rb\\nc");
        assert_eq!(
            visible("a\u{85}b\u{2028}c\u{2029}d\u{1b}e\u{7f}\u{fffe}"),
            "a\\u{85}b\\u{2028}c\\u{2029}d\\u{1b}e\\u{7f}\\u{fffe}"
        );
        // Written once, the escapes are plain text: a second pass changes nothing.
        assert_eq!(visible(&visible("a\rb")), "a\\rb");
    }

    #[test]
    fn a_yaml_comment_is_outside_every_scalar_and_ends_at_a_cr() {
        let text = "a: \"\\\"[\" # after an escaped quote\nb: |\n  # the script's own\nc: 'it''s # text' # real\n# a note\rd: 1 # after the CR\n";
        assert_eq!(
            texts(&of_yaml(text)),
            [(" after an escaped quote", false), (" real", false), (" a note", true), (" after the CR", false)]
        );
    }

    #[test]
    fn a_dsl_comment_runs_to_the_newline_and_keeps_a_cr_as_text() {
        let comments = Comments::of_dsl("x \"# not\" # one\rtwo\n# three\n");
        assert_eq!(texts(&comments), [(" one\\rtwo", false), (" three", true)]);
    }

    #[test]
    fn a_line_takes_the_trailing_comments_of_every_source_line_it_stands_for() {
        let text = "- id: a # one\n  do: x\n  on: app # two\n  run: y # three\n";
        let mut comments = of_yaml(text);
        let at = |needle: &str| text.find(needle).expect("present") as u32;
        // The head takes the lines of `id` and `on`, leaving the line of `run` to its own line.
        assert_eq!(comments.trailing(&[at("a #"), at("app")], &[at("y #")]).as_deref(), Some(" one # two"));
        assert_eq!(comments.trailing(&[at("y #")], &[]).as_deref(), Some(" three"));
        assert_eq!(comments.trailing(&[at("a #")], &[]), None);
    }

    #[test]
    fn a_reserved_comment_goes_only_before_its_element() {
        let text = "# free\n# kept for b\na: 1\nb: 2\n";
        let mut comments = of_yaml(text);
        comments.reserve_before(text.find("# kept").expect("present") as u32, text.find("b:").expect("present") as u32);
        assert_eq!(comments.leading(text.find("a:").expect("present") as u32), [" free"]);
        assert_eq!(comments.leading(text.find("b:").expect("present") as u32), [" kept for b"]);
        let mut comments = of_yaml(text);
        comments.reserve_for_end(0);
        assert_eq!(comments.leading(u32::MAX), [" kept for b"]);
        assert_eq!(comments.rest(), [" free"]);
    }
}
