//! A line-at-a-time reader for the block YAML that plans are written in.
//!
//! Plans, manifests and inventories use a small part of YAML: block mappings with plain keys,
//! block lists, plain scalars on one line, quoted scalars on one line without escapes, `|` and
//! `>` block scalars, and flow lists and mappings on one line. This module reads that part
//! directly from the bytes, several times faster than the general parser, into the same tree
//! with the same spans. Anything else makes it give up (`None`) and the caller reads the text
//! with granit-parser: anchors, aliases, tags, merge keys, complex keys, escapes, scalars or
//! flow collections over lines, directives, document markers, tabs, carriage returns, control
//! characters, a key written twice, nesting or sizes beyond the budgets. It never reports an
//! error itself: every diagnostic comes from the general reader, so giving up costs time and
//! nothing else.
//!
//! **Invariant:** when it reads a text, the tree equals the general reader's, spans included
//! (tests compare the two on every file of the repository, on generated pieces and on edits
//! of them).

use super::{MAX_DEPTH, MAX_NODES, Node, NodeKind, Scalar, earlier_key, is_null_word};
use crate::source::{FileId, Span};

/// YAML allows an implicit key of at most 1024 characters; staying below it in bytes leaves
/// the longer ones to the general reader.
const MAX_KEY_BYTES: usize = 1000;

/// The text read from its first byte, or `None` when it is not in the part this reader knows.
pub(super) fn read(file: FileId, text: &str) -> Option<Node> {
    if !plain_characters(text) || has_document_markers(text) {
        return None;
    }
    let mut reader = Reader { text, bytes: text.as_bytes(), file, nodes: 0, entries: Vec::new(), items: Vec::new() };
    let first = reader.content_line(0)?;
    let (root, after) = reader.block_node(first, 0)?;
    if after.is_some() {
        return None;
    }
    Some(root)
}

/// A text this reader can take character for character: it ends with a line break and holds
/// no tab, carriage return, control character, byte order mark or other character YAML treats
/// specially.
fn plain_characters(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !text.ends_with('\n') {
        return false;
    }
    // Whole chunks at a time, so that the test compiles to vector instructions.
    let suspicious = |byte: u8| (byte < 0x20 && byte != b'\n') || byte >= 0x7f;
    if !bytes.chunks(64).any(|chunk| chunk.iter().fold(false, |found, byte| found | suspicious(*byte))) {
        return true;
    }
    !bytes.iter().any(|byte| *byte < 0x20 && *byte != b'\n')
        && text.chars().all(|character| {
            matches!(character as u32, 0x20..=0x7e | 0xa0..=0xd7ff | 0xe000..=0xfefe | 0xff00..=0xfffd | 0x10000..)
                || character == '\n'
        })
}

/// Directives, `---` and `...` belong to the general reader.
fn has_document_markers(text: &str) -> bool {
    text.starts_with('%')
        || text.starts_with("---")
        || text.starts_with("...")
        || text.contains("\n%")
        || text.contains("\n---")
        || text.contains("\n...")
}

/// The first line of a node: where its first character is, and its indentation.
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    indent: usize,
}

/// What holds a value: a mapping (whose value may be a list at the mapping's own
/// indentation) or a list item (which may be a mapping starting on the item's line).
#[derive(Clone, Copy)]
enum Holder {
    Mapping,
    Item { line_start: usize },
}

struct Reader<'text> {
    text: &'text str,
    bytes: &'text [u8],
    file: FileId,
    nodes: usize,
    /// The entries and items of the collections being read, innermost last: each collection
    /// takes its own off the top when it closes, in a vector of exactly their number.
    entries: Vec<(Node, Node)>,
    items: Vec<Node>,
}

/// A node read, and the next line with content after it (`None` at the end of the text).
type Parsed = (Node, Option<Line>);

impl Reader<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    /// Counts one node against the budget the general reader keeps.
    fn count(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES).then_some(())
    }

    /// The next line from `from` (a line's start) that holds more than spaces and a comment.
    fn content_line(&self, from: usize) -> Option<Line> {
        let mut position = from;
        while position < self.bytes.len() {
            let start = position + self.spaces(position);
            match self.bytes[start] {
                b'\n' => position = start + 1,
                b'#' => position = self.line_end(start) + 1,
                _ => return Some(Line { start, indent: start - position }),
            }
        }
        None
    }

    fn spaces(&self, from: usize) -> usize {
        self.bytes[from..].iter().take_while(|byte| **byte == b' ').count()
    }

    /// The offset of the line break that ends the line `from` is on (every text ends with one).
    fn line_end(&self, from: usize) -> usize {
        self.bytes[from..].iter().position(|byte| *byte == b'\n').map_or(self.bytes.len(), |offset| from + offset)
    }

    fn is_item(&self, at: usize) -> bool {
        self.bytes[at] == b'-' && matches!(self.bytes[at + 1], b' ' | b'\n')
    }

    /// Spaces then the end of the line or a comment: where the line break is, if that is all
    /// that follows `from`.
    fn rest_is_empty(&self, from: usize) -> Option<usize> {
        let after = from + self.spaces(from);
        match self.bytes[after] {
            b'\n' => Some(after),
            b'#' if after > from => Some(self.line_end(after)),
            _ => None,
        }
    }

    fn block_node(&mut self, line: Line, depth: usize) -> Option<Parsed> {
        if depth >= MAX_DEPTH {
            return None;
        }
        if self.is_item(line.start) {
            self.block_sequence(line.indent, line.start, depth)
        } else if self.key_end(line.start).is_some() {
            self.block_mapping(line.indent, line.start, depth)
        } else {
            None
        }
    }

    /// A block mapping whose first key starts at `at`, its keys at column `indent`.
    fn block_mapping(&mut self, indent: usize, mut at: usize, depth: usize) -> Option<Parsed> {
        self.count()?;
        let start = at;
        let mark = self.entries.len();
        let mut seen = None;
        loop {
            let colon = self.key_end(at)?;
            let key = self.plain(at, colon)?;
            if let Some(scalar) = key.as_scalar()
                && (scalar.text == "<<" || earlier_key(&self.entries[mark..], &mut seen, &scalar.text).is_some())
            {
                return None;
            }
            let (value, next) = self.value(indent, colon + 1, depth, Holder::Mapping)?;
            self.entries.push((key, value));
            match next {
                Some(line) if line.indent == indent && !self.is_item(line.start) => at = line.start,
                Some(line) if line.indent >= indent => return None,
                next => {
                    let span = self.close(start, self.entries.last().map(|(_, value)| value));
                    let entries = self.entries.drain(mark..).collect();
                    return Some((Node { kind: NodeKind::Mapping(entries), span }, next));
                }
            }
        }
    }

    /// A block list whose first `-` is at `at`, in column `indent`.
    fn block_sequence(&mut self, indent: usize, mut at: usize, depth: usize) -> Option<Parsed> {
        self.count()?;
        let start = at;
        let mark = self.items.len();
        loop {
            let line_start = at - indent;
            let (item, next) = self.value(indent, at + 1, depth, Holder::Item { line_start })?;
            self.items.push(item);
            match next {
                Some(line) if line.indent == indent && self.is_item(line.start) => at = line.start,
                Some(line) if line.indent > indent => return None,
                next => {
                    let span = self.close(start, self.items.last());
                    let items = self.items.drain(mark..).collect();
                    return Some((Node { kind: NodeKind::Sequence(items), span }, next));
                }
            }
        }
    }

    /// A collection's span: from its start to the end of its last child.
    fn close(&self, start: usize, last: Option<&Node>) -> Span {
        let start = self.span(start, start);
        let end = last.map_or(start.end, |child| child.span.end.max(child.span.start).max(start.start));
        Span { end, ..start }
    }

    /// The value after a key's `:` or an item's `-` (`from` is just after it), held by a
    /// collection at column `indent`.
    fn value(&mut self, indent: usize, from: usize, depth: usize, holder: Holder) -> Option<Parsed> {
        let at = from + self.spaces(from);
        if let Some(line_end) = self.rest_is_empty(from) {
            let next = self.content_line(line_end + 1);
            return match next {
                Some(line) if line.indent > indent => self.block_node(line, depth + 1),
                Some(line)
                    if matches!(holder, Holder::Mapping) && line.indent == indent && self.is_item(line.start) =>
                {
                    if depth + 1 >= MAX_DEPTH {
                        return None;
                    }
                    // The parser starts a list written at its key's indentation at the token
                    // after its first `-` rather than at the `-`
                    let (mut node, next) = self.block_sequence(indent, line.start, depth + 1)?;
                    // (or at the end of its line when nothing follows it there).
                    let first_token =
                        self.rest_is_empty(line.start + 1).unwrap_or_else(|| self.after_spaces(line.start + 1));
                    node.span.start = self.span(first_token, first_token).start;
                    Some((node, next))
                }
                _ => {
                    // The parser puts an empty value at a key's `:`, and at the end of an
                    // item's line.
                    let at = if matches!(holder, Holder::Mapping) { from - 1 } else { line_end };
                    self.count()?;
                    Some((Node { kind: NodeKind::Null, span: self.span(at, at) }, next))
                }
            };
        }
        let (node, line_end) = match self.bytes[at] {
            b'[' | b'{' => {
                let (node, end) = self.flow(at, depth + 1)?;
                (node, self.rest_is_empty(end)?)
            }
            b'"' | b'\'' => {
                let (node, end) = self.quoted(at)?;
                (node, self.rest_is_empty(end)?)
            }
            b'|' | b'>' => return self.block_scalar(indent, at),
            _ => {
                if let Holder::Item { line_start } = holder
                    && self.key_end(at).is_some()
                {
                    if depth + 1 >= MAX_DEPTH {
                        return None;
                    }
                    return self.block_mapping(at - line_start, at, depth + 1);
                }
                self.block_plain(at)?
            }
        };
        Some((node, self.content_line(line_end + 1)))
    }

    /// Where the `:` of a plain key starting at `at` is, if the line is `key: …` or `key:`.
    fn key_end(&self, at: usize) -> Option<usize> {
        if !starts_plain(self.bytes, at) {
            return None;
        }
        let mut position = at;
        loop {
            match self.bytes[position] {
                b':' if matches!(self.bytes[position + 1], b' ' | b'\n') => {
                    let fits = position > at && self.bytes[position - 1] != b' ' && position - at <= MAX_KEY_BYTES;
                    return fits.then_some(position);
                }
                b'\n' => return None,
                b'#' if self.bytes[position - 1] == b' ' => return None,
                _ => position += 1,
            }
        }
    }

    /// A plain scalar in block context from `at` to the end of its line (or a comment):
    /// the node and where the line ends.
    fn block_plain(&mut self, at: usize) -> Option<(Node, usize)> {
        if !starts_plain(self.bytes, at) {
            return None;
        }
        let mut position = at;
        let mut end = at;
        loop {
            match self.bytes[position] {
                b'\n' => break,
                b':' if matches!(self.bytes[position + 1], b' ' | b'\n') => return None,
                b'#' if self.bytes[position - 1] == b' ' => {
                    position = self.line_end(position);
                    break;
                }
                b' ' => {}
                _ => end = position + 1,
            }
            position += 1;
        }
        Some((self.plain(at, end)?, position))
    }

    /// The node of the plain scalar `text[start..end]`: its source text, or null.
    fn plain(&mut self, start: usize, end: usize) -> Option<Node> {
        self.count()?;
        let source = &self.text[start..end];
        let kind = if is_null_word(source) {
            NodeKind::Null
        } else {
            NodeKind::Scalar(Scalar { text: source.to_owned(), plain: true })
        };
        Some(Node { kind, span: self.span(start, end) })
    }

    /// A quoted scalar on one line without escapes: the node and the offset after its closing
    /// quote.
    fn quoted(&mut self, at: usize) -> Option<(Node, usize)> {
        let quote = self.bytes[at];
        let mut text = String::new();
        let mut from = at + 1;
        let mut position = from;
        loop {
            match self.bytes[position] {
                b'\n' => return None,
                b'\\' if quote == b'"' => return None,
                byte if byte == quote => {
                    text.push_str(&self.text[from..position]);
                    if quote == b'\'' && self.bytes[position + 1] == b'\'' {
                        text.push('\'');
                        position += 2;
                        from = position;
                        continue;
                    }
                    break;
                }
                _ => position += 1,
            }
        }
        self.count()?;
        let end = position + 1;
        Some((Node { kind: NodeKind::Scalar(Scalar { text, plain: false }), span: self.span(at, end) }, end))
    }

    /// A flow list or mapping that closes on its line: the node and the offset after it.
    fn flow(&mut self, at: usize, depth: usize) -> Option<(Node, usize)> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.count()?;
        let mapping = self.bytes[at] == b'{';
        let close = if mapping { b'}' } else { b']' };
        let (entries_mark, items_mark) = (self.entries.len(), self.items.len());
        let mut seen = None;
        let mut position = self.after_spaces(at + 1);
        if self.bytes[position] != close {
            loop {
                if mapping {
                    let (key, colon) = self.flow_plain(position)?;
                    let scalar = key.as_scalar()?;
                    if self.bytes[colon] != b':'
                        || self.bytes[colon + 1] != b' '
                        || scalar.text == "<<"
                        || colon - position > MAX_KEY_BYTES
                        || earlier_key(&self.entries[entries_mark..], &mut seen, &scalar.text).is_some()
                    {
                        return None;
                    }
                    let (value, end) = self.flow_item(self.after_spaces(colon + 1), depth)?;
                    self.entries.push((key, value));
                    position = self.after_spaces(end);
                } else {
                    let (item, end) = self.flow_item(position, depth)?;
                    self.items.push(item);
                    position = self.after_spaces(end);
                }
                match self.bytes[position] {
                    b',' => {
                        position = self.after_spaces(position + 1);
                        if self.bytes[position] == close {
                            return None;
                        }
                    }
                    byte if byte == close => break,
                    _ => return None,
                }
            }
        }
        let end = position + 1;
        let kind = if mapping {
            NodeKind::Mapping(self.entries.drain(entries_mark..).collect())
        } else {
            NodeKind::Sequence(self.items.drain(items_mark..).collect())
        };
        Some((Node { kind, span: self.span(at, end) }, end))
    }

    fn after_spaces(&self, from: usize) -> usize {
        from + self.spaces(from)
    }

    fn flow_item(&mut self, at: usize, depth: usize) -> Option<(Node, usize)> {
        match self.bytes[at] {
            b'[' | b'{' => self.flow(at, depth + 1),
            b'"' | b'\'' => self.quoted(at),
            _ => {
                let (node, end) = self.flow_plain(at)?;
                (self.bytes[end] != b':').then_some((node, end))
            }
        }
    }

    /// A plain scalar in a flow collection: the node and the offset of what ends it (a flow
    /// indicator or a `:`; it never holds one).
    fn flow_plain(&mut self, at: usize) -> Option<(Node, usize)> {
        if !starts_plain(self.bytes, at) {
            return None;
        }
        let mut position = at;
        let mut end = at;
        loop {
            match self.bytes[position] {
                b',' | b'[' | b']' | b'{' | b'}' | b':' => break,
                b'\n' => return None,
                b'#' if self.bytes[position - 1] == b' ' => return None,
                b' ' => {}
                _ => end = position + 1,
            }
            position += 1;
        }
        Some((self.plain(at, end)?, position))
    }

    /// A `|` or `>` block scalar whose indicator is at `at`, held by a collection at column
    /// `indent`.
    fn block_scalar(&mut self, indent: usize, at: usize) -> Option<Parsed> {
        let folded = self.bytes[at] == b'>';
        let mut header = at + 1;
        let strip = self.bytes[header] == b'-';
        if strip {
            header += 1;
        }
        let header_end = match self.bytes[header] {
            b'\n' => header,
            b' ' => self.rest_is_empty(header)?,
            _ => return None,
        };
        let mut content_indent = None;
        let mut leading_blank_spaces = 0;
        // Blank lines since the last text line.
        let mut blanks = 0;
        let mut text = String::new();
        let mut position = header_end + 1;
        let mut first_text = None;
        while position < self.bytes.len() {
            let spaces = self.spaces(position);
            let line_end = self.line_end(position);
            if position + spaces == line_end {
                match content_indent {
                    None => leading_blank_spaces = leading_blank_spaces.max(spaces),
                    Some(content) if spaces > content => return None,
                    Some(_) => {}
                }
                blanks += 1;
                position = line_end + 1;
                continue;
            }
            let content = match content_indent {
                Some(content) if spaces < content => break,
                Some(content) => content,
                None if spaces <= indent || leading_blank_spaces > spaces => return None,
                None => {
                    content_indent = Some(spaces);
                    spaces
                }
            };
            if folded && spaces > content {
                return None;
            }
            // A line break between two lines of text folds into a space; blank lines each
            // keep theirs.
            let after_text = first_text.is_some();
            let breaks = if !after_text || folded { blanks } else { blanks + 1 };
            if folded && blanks == 0 && after_text {
                text.push(' ');
            }
            text.extend(std::iter::repeat_n('\n', breaks));
            text.push_str(&self.text[position + content..line_end]);
            first_text.get_or_insert(position + content);
            blanks = 0;
            position = line_end + 1;
        }
        let start = first_text?;
        if !strip {
            text.push('\n');
        }
        self.count()?;
        // The parser's span runs from the first character of text to the next token: past the
        // trailing blank lines and the indentation of the line after the scalar.
        let end = if position < self.bytes.len() { position + self.spaces(position) } else { position };
        let node = Node { kind: NodeKind::Scalar(Scalar { text, plain: false }), span: self.span(start, end) };
        Some((node, self.content_line(position)))
    }
}

/// Whether a plain scalar may start at `at`: not with an indicator, except `-`, `?` and `:`
/// when a character other than a space follows.
fn starts_plain(bytes: &[u8], at: usize) -> bool {
    match bytes[at] {
        b'-' | b'?' | b':' => !matches!(bytes[at + 1], b' ' | b'\n' | b',' | b'[' | b']' | b'{' | b'}'),
        b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@'
        | b'`' | b'\n' | b' ' => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests;
