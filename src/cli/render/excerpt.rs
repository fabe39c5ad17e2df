//! What a report shows of one file: the lines its labels are on with a line of context either
//! side, each long line cropped to windows around its labels, `…` where text is left out.
//!
//! miette is handed this excerpt instead of the whole file, with the true line numbers and
//! columns, so a report's size does not grow with the file or with the line: a minified
//! manifest of 80 KB on one line printed whole under each of its diagnostics, and a column past
//! 65,535 made miette panic ("Formatting argument out of range").

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::source::SourceFile;

/// Lines up to this many bytes are shown whole; longer ones are cropped.
const WHOLE_LINE_BYTES: usize = 240;
/// Bytes kept either side of a label on a cropped line.
const CONTEXT_BYTES: usize = 40;
/// The most bytes of one label kept on a cropped line; its underline stops there.
const UNDERLINED_BYTES: usize = 60;
/// A label over more lines than this is shown on its first line only.
const MAX_LABEL_LINES: usize = 10;
/// Labels whose context lines are at most this many lines apart share one snippet, the lines
/// between shown; farther apart, each gets a snippet of its own.
const JOIN_GAP_LINES: usize = 8;
/// Lines of context before and after a label, as miette's handler is set.
const CONTEXT_LINES: usize = 1;
/// Marks text left out of a cropped line.
const ELLIPSIS: &str = "…";

/// The shown part of one file, as miette reads it.
#[derive(Debug)]
pub struct Excerpt {
    name: String,
    text: String,
    lines: Vec<ShownLine>,
    /// Each snippet's lines, as a range of indexes into `lines`.
    blocks: Vec<std::ops::Range<usize>>,
}

/// One line of the file as the excerpt shows it.
#[derive(Debug)]
struct ShownLine {
    /// The 0-based line number in the file.
    number: usize,
    /// Where it starts in the excerpt, and where it ends, its newline included.
    start: usize,
    end: usize,
    block: usize,
    /// The runs of the file's line it shows, in order.
    pieces: Vec<Piece>,
}

/// A run of text copied from the file into the excerpt.
#[derive(Clone, Copy, Debug)]
struct Piece {
    excerpt: usize,
    file: usize,
    length: usize,
    /// The 0-based column, in characters, of its first byte in the file.
    column: usize,
}

impl Excerpt {
    /// The excerpt of `file` that shows `spans` (byte ranges in the file), and the spans moved
    /// into it as (offset, length).
    pub fn new(file: &SourceFile, spans: &[(usize, usize)]) -> (Self, Vec<(usize, usize)>) {
        let text = &file.text;
        let last_line = file.line_count() - 1;
        // Each span's lines, a long span cut to the end of its first line.
        let spans: Vec<(usize, usize, usize, usize)> = spans
            .iter()
            .map(|&(start, end)| {
                let start = floor_boundary(text, start.min(text.len()));
                let end = ceil_boundary(text, end.clamp(start, text.len()));
                let first = file.line_of(start);
                let last = if end > start { file.line_of(end - 1) } else { first };
                if last - first >= MAX_LABEL_LINES {
                    (start, file.line_range(first).end.max(start), first, first)
                } else {
                    (start, end, first, last)
                }
            })
            .collect();
        let mut ranges: Vec<(usize, usize)> = spans
            .iter()
            .map(|&(_, _, first, last)| (first.saturating_sub(CONTEXT_LINES), (last + CONTEXT_LINES).min(last_line)))
            .collect();
        ranges.sort_unstable();
        let mut blocks: Vec<(usize, usize)> = Vec::new();
        for (first, last) in ranges {
            match blocks.last_mut() {
                Some(block) if first <= block.1 + 1 + JOIN_GAP_LINES => block.1 = block.1.max(last),
                _ => blocks.push((first, last)),
            }
        }
        let mut excerpt = Self { name: file.name.clone(), text: String::new(), lines: Vec::new(), blocks: Vec::new() };
        for (block, &(first, last)) in blocks.iter().enumerate() {
            let in_block = |line: usize| (first..=last).contains(&line);
            // Windows around the labels of the block, for its long lines.
            let mut windows_by_line: Vec<(usize, (usize, usize))> = Vec::new();
            for &(start, end, first_line, last_line) in spans.iter().filter(|span| in_block(span.2)) {
                for line in first_line..=last_line {
                    let range = file.line_range(line);
                    let from = if line == first_line { start.max(range.start) } else { range.start };
                    let to = if line == last_line { end.clamp(from, range.end.max(from)) } else { range.end };
                    let window = (from.saturating_sub(CONTEXT_BYTES), to.min(from + UNDERLINED_BYTES) + CONTEXT_BYTES);
                    windows_by_line.push((line, window));
                }
            }
            let first_shown = excerpt.lines.len();
            for line in first..=last {
                let own: Vec<(usize, usize)> =
                    windows_by_line.iter().filter(|(at, _)| *at == line).map(|(_, window)| *window).collect();
                // A long context line is cropped at the columns (in bytes) of the block's label
                // windows, so that it lines up with the label lines near it.
                let windows = if own.is_empty() {
                    let line_start = file.line_range(line).start;
                    windows_by_line
                        .iter()
                        .map(|(at, (from, to))| {
                            let at_start = file.line_range(*at).start;
                            // A window never ends before its own line starts; it may start before.
                            (line_start + from.saturating_sub(at_start), line_start + (to - at_start))
                        })
                        .collect()
                } else {
                    own
                };
                excerpt.push_line(file, line, block, windows);
            }
            excerpt.blocks.push(first_shown..excerpt.lines.len());
        }
        let moved = spans.iter().map(|&(start, end, ..)| excerpt.move_span(file, start, end)).collect();
        (excerpt, moved)
    }

    /// Appends line `line` of the file, cropped to `windows` (byte ranges of the file) when it
    /// is long.
    fn push_line(&mut self, file: &SourceFile, line: usize, block: usize, mut windows: Vec<(usize, usize)>) {
        let text = &file.text;
        let range = file.line_range(line);
        let newline_end = newline_end(file, line);
        let start = self.text.len();
        let mut pieces = Vec::new();
        if range.len() <= WHOLE_LINE_BYTES {
            pieces.push(Piece { excerpt: start, file: range.start, length: range.len(), column: 0 });
            self.text.push_str(&text[range.clone()]);
        } else {
            windows.sort_unstable();
            let mut merged: Vec<(usize, usize)> = Vec::new();
            for (from, to) in windows {
                let from = floor_boundary(text, from.clamp(range.start, range.end));
                let to = ceil_boundary(text, to.clamp(from, range.end));
                match merged.last_mut() {
                    Some(last) if from <= last.1 + ELLIPSIS.len() + 2 => last.1 = last.1.max(to),
                    _ => merged.push((from, to)),
                }
            }
            for (index, &(from, to)) in merged.iter().enumerate() {
                if from > range.start {
                    self.text.push_str(if index == 0 { "… " } else { " … " });
                }
                pieces.push(Piece {
                    excerpt: self.text.len(),
                    file: from,
                    length: to - from,
                    column: file.column_of(line, from),
                });
                self.text.push_str(&text[from..to]);
            }
            if merged.last().is_none_or(|last| last.1 < range.end) {
                self.text.push_str(" …");
            }
        }
        self.text.push_str(&text[range.end..newline_end]);
        self.lines.push(ShownLine { number: line, start, end: self.text.len(), block, pieces });
    }

    /// Where a span of the file lies in the excerpt: its start in the piece that holds it, its
    /// end too or, when the end was cropped away, at the end of the last piece before it.
    fn move_span(&self, file: &SourceFile, start: usize, end: usize) -> (usize, usize) {
        let moved_start = self.move_offset(file, start);
        let moved_end = self.move_offset(file, end).max(moved_start);
        (moved_start, moved_end - moved_start)
    }

    fn move_offset(&self, file: &SourceFile, offset: usize) -> usize {
        let number = file.line_of(offset);
        let index = self.lines.partition_point(|line| line.number < number);
        let Some(line) = self.lines.get(index).filter(|line| line.number == number) else {
            // Past the last line shown (a span that ends at the next line's start): its end.
            return self.lines.get(index.wrapping_sub(1)).map_or(0, |line| line.end);
        };
        let range = file.line_range(number);
        if offset > range.end {
            // Inside a `\r\n`: as far into the newline as in the file.
            let newline_length = newline_end(file, number) - range.end;
            return line.end - newline_length + (offset - range.end);
        }
        match line.pieces.iter().rev().find(|piece| piece.file <= offset) {
            Some(piece) => piece.excerpt + (offset - piece.file).min(piece.length),
            None => line.pieces.first().map_or(line.start, |piece| piece.excerpt),
        }
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let offset = span.offset();
        let end = offset + span.len();
        let line_at = |at: usize| self.lines.partition_point(|line| line.start <= at).checked_sub(1);
        let first_of_span = line_at(offset).ok_or(MietteError::OutOfBounds)?;
        let last_of_span = if end > offset { line_at(end - 1).ok_or(MietteError::OutOfBounds)? } else { first_of_span };
        let block = &self.blocks[self.lines[first_of_span].block];
        // A span across two snippets cannot be shown as one: miette then shows them apart.
        if !block.contains(&last_of_span) {
            return Err(MietteError::OutOfBounds);
        }
        let first = first_of_span.saturating_sub(context_lines_before).max(block.start);
        let last = (last_of_span + context_lines_after).min(block.end - 1);
        let line = &self.lines[first];
        let (data_start, column) = if context_lines_before == 0 {
            let shown = &self.lines[first_of_span];
            let piece = shown.pieces.iter().rev().find(|piece| piece.excerpt <= offset);
            let column = piece.map_or(0, |piece| piece.column + self.text[piece.excerpt..offset].chars().count());
            (offset, column)
        } else {
            (line.start, 0)
        };
        let data_end = self.lines[last].end.max(data_start);
        // With `line_count` reaching the snippet's last line, miette joins two labels' contexts
        // exactly when they are in the same snippet.
        let block_last_line = self.lines[block.end - 1].number;
        let first_number = if context_lines_before == 0 { self.lines[first_of_span].number } else { line.number };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[data_start..data_end],
            SourceSpan::from((data_start, data_end - data_start)),
            first_number,
            column,
            block_last_line + 1 - first_number,
        )))
    }
}

/// Where line `line`'s newline ends in the file: the next line's start, or the text's end.
fn newline_end(file: &SourceFile, line: usize) -> usize {
    if line + 1 < file.line_count() { file.line_range(line + 1).start } else { file.text.len() }
}

fn floor_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn ceil_boundary(text: &str, mut offset: usize) -> usize {
    while offset < text.len() && !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}
