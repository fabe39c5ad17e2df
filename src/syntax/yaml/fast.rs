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

use super::{MAX_DEPTH, MAX_NODES, Node, NodeKind, Scalar, earlier_key};
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
        let kind = if matches!(source, "~" | "null" | "Null" | "NULL") {
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
        let mut lines = 0;
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
            let breaks = if lines == 0 || folded { blanks } else { blanks + 1 };
            if folded && blanks == 0 && lines > 0 {
                text.push(' ');
            }
            text.extend(std::iter::repeat_n('\n', breaks));
            text.push_str(&self.text[position + content..line_end]);
            first_text.get_or_insert(position + content);
            lines += 1;
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
mod tests {
    use super::super::read_with_parser;
    use super::*;

    /// Reads `text` both ways; when the fast reader reads it, its tree must be the parser's,
    /// spans included. Whether the fast reader read it.
    fn agrees(text: &str) -> bool {
        let Some(fast) = read(FileId(0), text) else { return false };
        let general = read_with_parser(FileId(0), text)
            .unwrap_or_else(|diagnostic| panic!("read fast, refused by the parser ({}):\n{text}", diagnostic.message));
        if fast != general {
            let (fast, general) = (format!("{fast:#?}"), format!("{general:#?}"));
            let differing = fast.lines().zip(general.lines()).enumerate().find(|(_, (one, other))| one != other);
            let (line, _) = differing.unwrap_or_default();
            let context =
                |tree: &str| tree.lines().skip(line.saturating_sub(12)).take(16).collect::<Vec<_>>().join("\n");
            panic!("fast:\n{}\nparser:\n{}\ntext:\n{text}", context(&fast), context(&general));
        }
        true
    }

    #[test]
    fn plan_shaped_text_is_read_fast_and_the_same() {
        let texts = [
            "cutover: 1\nplan: p\n",
            "a:\n  b: 1\n  c:\n    - x\n    - y # a comment\n  d: [1, \"two\", 'th''ree', [], {}]\nn:\nm: ~\n",
            "steps:\n  - id: a\n    run: |\n      echo one\n\n      echo two\n    verify: >-\n      test\n      -e x\n\n      more\n  -\n  - plain\n",
            "k:\n- a\n- b: c\n  d: e\nnext: { a: 1, b: [x, y], c: { d: e } }\n",
            "k:\n-\n- b\nl:\n-   # nothing\n-   spaced\nm:\n- x: 1\n",
            "a:   # c\nb:  \nc:\n  -  \n  - x\n",
            "# head\n\nkey: value with # inside and a: colon-less\nurl: http://x/y?z#w # tail\n",
            "l: |-\n  kept\n   more indented\n\n\nk: >\n\n  leading blank\n  folded\n",
            "- a\n-\n- - not read fast\n",
            "a: -1\nb: ?x\nc: :y\nd: 'quoted': no\n",
            "empty: ''\ne2: \"\"\nt: true\nv: 14.10\non: off\n",
        ];
        let mut fast = 0;
        for text in texts {
            if agrees(text) {
                fast += 1;
            }
        }
        assert!(fast >= 6, "the plan-shaped texts are read fast: {fast}");
        assert!(agrees(texts[2]) && agrees(texts[3]) && agrees(texts[5]));
    }

    #[test]
    fn what_it_does_not_know_is_left_to_the_parser() {
        let texts = [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a:\n  <<: {b: 1}\n",
            "a: \"esc\\n\"\n",
            "a: plain\n  over lines\n",
            "a: [1,\n  2]\n",
            "? complex\n: key\n",
            "a:\t1\n",
            "a: 1\r\n",
            "---\na: 1\n",
            "a: 1\na: 2\n",
            "a: 1",
            "a: |+\n  kept\n\n",
            "a: |2\n   x\n",
            "just a scalar\n",
            "{\"json\": 1}\n",
        ];
        for text in texts {
            assert!(!agrees(text), "{text}");
        }
    }

    fn repository_texts() -> Vec<(std::path::PathBuf, String)> {
        fn collect(directory: &std::path::Path, texts: &mut Vec<(std::path::PathBuf, String)>) {
            for entry in std::fs::read_dir(directory).expect("a folder").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    collect(&path, texts);
                } else if path
                    .extension()
                    .is_some_and(|extension| ["yaml", "yml", "json"].contains(&extension.to_str().unwrap_or_default()))
                {
                    let text = std::fs::read_to_string(&path).expect("readable");
                    texts.push((path, text));
                }
            }
        }
        let mut texts = Vec::new();
        for directory in ["plans", "tests/fixtures", "examples"] {
            collect(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(directory), &mut texts);
        }
        texts.sort();
        texts
    }

    #[test]
    fn every_file_of_the_repository_reads_the_same() {
        let texts = repository_texts();
        let fast: Vec<_> = texts.iter().filter(|(_, text)| agrees(text)).map(|(path, _)| path).collect();
        for (path, _) in &texts {
            if !fast.contains(&path) {
                eprintln!("not fast: {}", path.display());
            }
        }
        assert!(fast.len() * 2 > texts.len(), "most files are read fast: {} of {}", fast.len(), texts.len());
    }

    /// Lines of block YAML, valid and not, to put together at random.
    const LINES: &[&str] = &[
        "a: 1",
        "b: two words",
        "c:",
        "- x",
        "-",
        "- ",
        "-   # c",
        "- a: 1",
        "- - n",
        "k: v # c",
        "k: v#c",
        "d: [1, {e: f}]",
        "d: []",
        "d: { }",
        "d: [a, b,]",
        "d: [a",
        "d: {a: 1, a: 2}",
        "d: [a: 1]",
        "q: 'it''s'",
        "q: \"s\"",
        "q: 'open",
        "q: \"x\" y",
        "q: \"a\": b",
        "f: |",
        "f: |-",
        "f: >",
        "f: >-",
        "f: | # c",
        "f: |+",
        "text",
        "more text",
        "- item-like text",
        "# comment",
        "",
        "h: ~",
        "h: null",
        "n: x: y",
        "o: -1",
        "p: - q",
        "r: ?x",
        "s: :t",
        "u: a:b",
        "v: &a x",
        "w: *a",
        "x: !t y",
        "<<: {a: 1}",
        "y: http://h:1/p",
        "z: 'a' # c",
        "'k': v",
        "? k",
        ": v",
        "---",
        "...",
        "%YAML 1.2",
        "a :b",
        "a : b",
    ];

    /// A small random generator of plan-like YAML: nested block mappings and lists, every
    /// kind of scalar this reader knows and some it does not, comments and blank lines between.
    struct Generator {
        state: u64,
        text: String,
    }

    const SCALARS: &[&str] = &[
        "v",
        "two words",
        "-1",
        "a:b",
        "x#y",
        "http://h:1/p?q",
        "~",
        "null",
        "''",
        "'it''s'",
        "\"q\"",
        "\"a: b\"",
        "[a, 'b', [c], {d: e}]",
        "{ a: 1, b: [x, y] }",
        "[]",
        "{}",
        "v # c",
        "14.10",
        "on",
        "[a , b ]",
        "{ a: 1 , b: 'c' }",
        "trailing   ",
        "spaced   # c",
        "'q'   # c",
        "[ ]",
        "-dash",
        "?q",
        ":c",
        "a,b",
        "x]",
        "{a: [b, {c: d}]}",
        "it's",
    ];

    /// Scalars the fast reader leaves to the parser, put in now and then.
    const ODD_SCALARS: &[&str] = &["&a v", "!t v", "\"e\\n\"", "[a,\n  b]", "*a", "[a, b,]", "{a: 1, a: 2}"];

    const BLOCKS: &[&str] = &["|", "|-", ">", ">-", "| # c", ">- # c"];

    const ODD_BLOCKS: &[&str] = &["|+", "|2", ">+"];

    impl Generator {
        fn next(&mut self, below: usize) -> usize {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            usize::try_from(self.state % below as u64).unwrap_or(0)
        }

        /// One of `usual`, or one of `odd` about one time in twelve.
        fn pick(&mut self, usual: &[&'static str], odd: &[&'static str]) -> &'static str {
            if self.next(12) == 0 { odd[self.next(odd.len())] } else { usual[self.next(usual.len())] }
        }

        fn line(&mut self, indent: usize, text: &str) {
            self.text.push_str(&" ".repeat(indent));
            self.text.push_str(text);
            self.text.push('\n');
        }

        fn filler(&mut self, indent: usize) {
            match self.next(12) {
                0 => self.text.push('\n'),
                1 => self.line(indent, "# a comment"),
                2 => self.line(indent + 3, "# deeper"),
                3 => self.line(0, "# at the margin"),
                _ => {}
            }
        }

        /// A value after `key:` or `-`: inline, or on the lines below at `indent` and deeper.
        fn value(&mut self, indent: usize, depth: usize, in_mapping: bool) {
            match self.next(if depth > 4 { 4 } else { 8 }) {
                0 | 1 => {
                    let scalar = self.pick(SCALARS, ODD_SCALARS);
                    self.text.push(' ');
                    self.line(0, scalar);
                }
                2 => self.text.push('\n'),
                3 => {
                    let block = self.pick(BLOCKS, ODD_BLOCKS);
                    self.text.push(' ');
                    self.line(0, block);
                    let inner = indent + 1 + self.next(3);
                    for _ in 0..=self.next(4) {
                        match self.next(6) {
                            0 => self.text.push('\n'),
                            1 if block.starts_with('|') || self.next(8) == 0 => self.line(inner + 2, "more indented"),
                            2 => self.line(inner, "- item-like # not a comment"),
                            _ => self.line(inner, "text line"),
                        }
                    }
                }
                4 | 5 => {
                    self.text.push('\n');
                    let inner = indent + 2 * self.next(2) + usize::from(!in_mapping) * 2;
                    self.mapping(inner.max(indent + 1), depth + 1);
                }
                _ => {
                    self.text.push('\n');
                    let inner = if in_mapping && self.next(2) == 0 { indent } else { indent + 2 };
                    self.sequence(inner, depth + 1);
                }
            }
        }

        fn mapping(&mut self, indent: usize, depth: usize) {
            for index in 0..=self.next(4) {
                self.filler(indent);
                let key = ["id", "run", "with", "k", "key with spaces", "<<", "id"][self.next(7).min(4 + index)];
                let key = if self.next(6) == 0 || index == 0 {
                    key
                } else {
                    ["on", "after", "verify", "estimate"][index - 1]
                };
                self.text.push_str(&" ".repeat(indent));
                self.text.push_str(key);
                self.text.push(':');
                self.value(indent, depth, true);
            }
        }

        fn sequence(&mut self, indent: usize, depth: usize) {
            for _ in 0..=self.next(4) {
                self.filler(indent);
                self.text.push_str(&" ".repeat(indent));
                if self.next(3) == 0 {
                    // A mapping starting on the item's line.
                    self.text.push_str("- first:");
                    self.value(indent + 2, depth + 1, true);
                    if self.next(2) == 0 {
                        self.text.push_str(&" ".repeat(indent + 2));
                        self.text.push_str("second:");
                        self.value(indent + 2, depth + 1, true);
                    }
                } else {
                    self.text.push('-');
                    self.value(indent, depth, false);
                }
            }
        }
    }

    fn generated(seed: u64) -> String {
        let mut generator = Generator { state: seed | 1, text: String::new() };
        generator.mapping(0, 0);
        generator.text
    }

    #[test]
    fn most_generated_documents_are_read_fast() {
        let fast = (0..400u64).filter(|seed| agrees(&generated(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)))).count();
        assert!(fast > 120, "the generator exercises the fast reader: {fast} of 400");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        /// Whatever lines at whatever indentation: the fast reader either gives up or reads what
        /// the parser reads (and never reads what the parser refuses).
        #[test]
        fn generated_documents_read_fast_read_the_same(seed in proptest::prelude::any::<u64>()) {
            agrees(&generated(seed));
        }

        #[test]
        fn random_lines_read_fast_read_the_same(
            lines in proptest::collection::vec((0..LINES.len(), 0..4usize), 1..24),
        ) {
            let mut text = String::new();
            for (line, indent) in &lines {
                text.push_str(&"  ".repeat(*indent));
                text.push_str(LINES[*line]);
                text.push('\n');
            }
            agrees(&text);
        }

        /// Small edits of the repository's files: an inserted or removed character, a line
        /// indented or doubled.
        #[test]
        fn edited_repository_files_read_fast_read_the_same(
            file in 0..200usize,
            at in 0..100_000usize,
            edit in 0..6usize,
            character in proptest::sample::select(vec![' ', ':', '-', '#', '\'', '"', '[', ']', '{', '}', ',', '|', '>', '\n', 'x', '&', '*']),
        ) {
            let texts = repository_texts();
            let (_, text) = &texts[file % texts.len()];
            let mut text = text.clone();
            let at = text.char_indices().map(|(offset, _)| offset).nth(at % text.chars().count().max(1)).unwrap_or(0);
            let line_start = text[..at].rfind('\n').map_or(0, |offset| offset + 1);
            let line_end = text[at..].find('\n').map_or(text.len(), |offset| at + offset + 1);
            match edit {
                0 | 1 => text.insert(at, character),
                2 => { text.remove(at); }
                3 => text.insert_str(line_start, "  "),
                4 => { let line = text[line_start..line_end].to_owned(); text.insert_str(line_start, &line); }
                _ => { text.replace_range(line_start..line_end, ""); }
            }
            agrees(&text);
        }
    }
}
