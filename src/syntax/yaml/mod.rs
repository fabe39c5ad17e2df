//! YAML (and JSON) text to a tree of spanned nodes: the only module that knows the YAML parser.
//!
//! Every later reader sees [`Node`]s, so the YAML library could be swapped by rewriting this
//! file alone. granit-parser (the parser serde-saphyr is built on) reads every text: the tree
//! is built straight from its events, one node per event, without a deserializer in between.
//! (A second, line-at-a-time reader for plain block YAML was removed: it halved the reading of
//! 10,000-step plans but had to build exactly this tree, spans included; docs/performance.md.) It keeps each plain
//! scalar's exact source text rather than a YAML 1.1 reading of it: `on` stays the word `on`
//! (not `true`), `14.10` stays `14.10` (not the float 14.1). Typing is left to the readers,
//! which know what each field expects.
//!
//! Beyond the events, this module gives YAML what users of serde-based readers expect: aliases
//! are expanded, `<<` merge keys merged, a key written twice in one mapping and a second
//! document are errors; and it bounds hostile input (nesting, node count, alias expansion).

use std::collections::{HashMap, HashSet};

use granit_parser::{Event, Options, Parser, ScalarStyle, ScanError, StructureStyle, Tag};

use crate::codes::CUT001;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// A YAML node with the byte span it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Null,
    Scalar(Scalar),
    Sequence(Vec<Node>),
    Mapping(Vec<(Node, Node)>),
}

/// A scalar's text. `plain` scalars were written without quotes or tag; their `text` is exactly
/// what the source holds. Quoted, block and tagged scalars carry their decoded value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scalar {
    pub text: String,
    pub plain: bool,
}

impl Node {
    /// The text of a scalar node.
    #[must_use]
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// The spans of every scalar in the tree, keys included, in no particular order: where a
    /// `#` is text and not a comment.
    #[must_use]
    pub fn scalar_spans(&self) -> Vec<Span> {
        let mut spans = Vec::new();
        let mut pending = vec![self];
        while let Some(node) = pending.pop() {
            match &node.kind {
                NodeKind::Null => {}
                NodeKind::Scalar(_) => spans.push(node.span),
                NodeKind::Sequence(items) => pending.extend(items),
                NodeKind::Mapping(entries) => pending.extend(entries.iter().flat_map(|(key, value)| [key, value])),
            }
        }
        spans
    }

    /// A word for what the node is, for messages: "a mapping", "a list".
    #[must_use]
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            NodeKind::Null => "nothing",
            NodeKind::Scalar(_) => "a single value",
            NodeKind::Sequence(_) => "a list",
            NodeKind::Mapping(_) => "a mapping",
        }
    }
}

/// Limits that keep hostile input cheap: an alias bomb or deep nesting fails fast with a
/// diagnostic instead of taking seconds and gigabytes.
const MAX_DEPTH: usize = 32;
const MAX_NODES: usize = 4_000_000;
const MAX_ALIASES: usize = 10_000;

/// Mappings with more keys than this look up duplicates in a hash set; smaller ones (nearly
/// all of them) compare with each earlier key.
const LINEAR_KEY_LOOKUP: usize = 16;

/// Parses YAML or JSON text.
///
/// # Errors
/// A CUT001 diagnostic at the place the parser stopped.
pub fn parse(file: FileId, text: &str) -> Result<Node, Diagnostic> {
    if text.trim().is_empty() {
        return Err(Diagnostic::new(CUT001, Span::new(file, 0, 0), "the file is empty"));
    }
    read_with_parser(file, text)
}

/// Reads `text` with granit-parser: any YAML, and a diagnostic for text that is not.
fn read_with_parser(file: FileId, text: &str) -> Result<Node, Diagnostic> {
    let mut options = Options::default();
    // The parser's own limits sit above ours, so that ours (with its message) is met first.
    options.flow_nesting_limit = MAX_DEPTH * 2;
    options.block_nesting_limit = MAX_DEPTH * 2;
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut builder = Builder::new(file, text);
    while let Some(event) = parser.next_event() {
        match event {
            Ok((event, span)) => {
                let start = span.start.byte_offset().unwrap_or(0).min(text.len());
                let end = span.end.byte_offset().unwrap_or(start).clamp(start, text.len());
                builder.event(event, start, end)?;
            }
            Err(error) => return Err(scan_error(file, text, &error)),
        }
    }
    Ok(builder.finish())
}

/// A collection being read: its children so far.
struct Frame {
    start: usize,
    anchor: usize,
    nodes_before: usize,
    flow: bool,
    kind: FrameKind,
}

enum FrameKind {
    Sequence(Vec<Node>),
    Mapping {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        /// Key texts, once the mapping outgrows [`LINEAR_KEY_LOOKUP`].
        seen: Option<HashSet<String>>,
        /// `<<` values, with the number of explicit entries before each.
        merges: Vec<(usize, Node)>,
    },
}

/// An anchored node and how many nodes one copy of it adds.
struct Anchored {
    node: Node,
    size: usize,
}

struct Builder<'text> {
    file: FileId,
    text: &'text str,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    nodes: usize,
    aliases: usize,
    documents: usize,
    root: Option<Node>,
}

impl<'text> Builder<'text> {
    fn new(file: FileId, text: &'text str) -> Self {
        Self { file, text, stack: Vec::new(), anchors: HashMap::new(), nodes: 0, aliases: 0, documents: 0, root: None }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn error(&self, start: usize, end: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(CUT001, self.span(start, end), message)
    }

    fn too_big(&self, start: usize, end: usize) -> Diagnostic {
        self.error(
            start,
            end,
            format!(
                "invalid YAML: the document is too big to read safely: more than {MAX_DEPTH} levels of \
                 nesting, {MAX_NODES} values or {MAX_ALIASES} aliases, or aliases that expand too far"
            ),
        )
    }

    fn count(&mut self, added: usize, start: usize, end: usize) -> Result<(), Diagnostic> {
        self.nodes = self.nodes.saturating_add(added);
        if self.nodes > MAX_NODES { Err(self.too_big(start, end)) } else { Ok(()) }
    }

    fn event(&mut self, event: Event<'_>, start: usize, end: usize) -> Result<(), Diagnostic> {
        match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(self
                        .error(
                            start,
                            end.max(start + 1).min(self.text.len()),
                            "invalid YAML: a second YAML document in one file",
                        )
                        .with_primary_label("a plan file holds one YAML document")
                        .with_help("remove this `---` and what follows it, or move it to a file of its own"));
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                self.count(1, start, end)?;
                let node = self.scalar(value.into_owned(), style, tag.as_deref(), start, end);
                self.complete(node, anchor, 1)?;
            }
            Event::SequenceStart(style, anchor, _) | Event::MappingStart(style, anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(self.too_big(start, end));
                }
                self.count(1, start, end)?;
                let kind = if matches!(event, Event::SequenceStart(..)) {
                    FrameKind::Sequence(Vec::new())
                } else {
                    FrameKind::Mapping { entries: Vec::new(), key: None, seen: None, merges: Vec::new() }
                };
                let flow = style == StructureStyle::Flow;
                self.stack.push(Frame { start, anchor, nodes_before: self.nodes - 1, flow, kind });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else { return Ok(()) };
                let size = self.nodes - frame.nodes_before;
                let anchor = frame.anchor;
                let node = self.close(frame, end)?;
                self.complete(node, anchor, size)?;
            }
            Event::Alias(id) => {
                self.aliases += 1;
                if self.aliases > MAX_ALIASES {
                    return Err(self.too_big(start, end));
                }
                let Some(anchored) = self.anchors.get(&id) else {
                    return Err(self.error(start, end, "invalid YAML: an alias to an anchor not defined before it"));
                };
                let size = anchored.size;
                self.count(size, start, end)?;
                let node = self.anchors[&id].node.clone();
                self.complete(node, 0, size)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn scalar(&self, value: String, style: ScalarStyle, tag: Option<&Tag>, start: usize, end: usize) -> Node {
        let plain = style == ScalarStyle::Plain && tag.is_none();
        let null = match tag {
            Some(tag) => tag.core_suffix() == Some("null"),
            None => plain && is_null_word(&value),
        };
        let kind = if null {
            NodeKind::Null
        } else if plain {
            // A plain scalar on one line reads as its source text; one folded over lines keeps
            // the parser's reading (its line breaks folded to spaces).
            let source = self.text.get(start..end).unwrap_or_default();
            if source == value || source.is_empty() || source.contains('\n') {
                NodeKind::Scalar(Scalar { text: value, plain: true })
            } else {
                NodeKind::Scalar(Scalar { text: source.to_owned(), plain: true })
            }
        } else {
            NodeKind::Scalar(Scalar { text: value, plain: false })
        };
        Node { kind, span: self.span(start, end) }
    }
}

impl Builder<'_> {
    /// A finished node: remembered under its anchor, then placed in the collection being read
    /// (or as the document's root).
    fn complete(&mut self, node: Node, anchor: usize, size: usize) -> Result<(), Diagnostic> {
        if anchor != 0 {
            self.anchors.insert(anchor, Anchored { node: node.clone(), size });
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match &mut frame.kind {
            FrameKind::Sequence(items) => items.push(node),
            FrameKind::Mapping { entries, key, seen, merges } => match key.take() {
                None => *key = Some(node),
                Some(name) => match name.as_scalar() {
                    Some(scalar) if scalar.plain && scalar.text == "<<" => merges.push((entries.len(), node)),
                    Some(scalar) => {
                        if let Some(first) = earlier_key(entries, seen, &scalar.text) {
                            return Err(Diagnostic::new(
                                CUT001,
                                name.span,
                                format!("invalid YAML: the key `{}` is written twice in this mapping", scalar.text),
                            )
                            .with_primary_label("written again here")
                            .with_label(first, "first here")
                            .with_help("keep one of the two"));
                        }
                        entries.push((name, node));
                    }
                    None => entries.push((name, node)),
                },
            },
        }
        Ok(())
    }

    /// The node of a finished collection, its span stretched over all of it, merge keys merged.
    fn close(&self, frame: Frame, end_event: usize) -> Result<Node, Diagnostic> {
        let start = frame.start;
        let kind = match frame.kind {
            FrameKind::Sequence(items) => NodeKind::Sequence(items),
            FrameKind::Mapping { entries, key, merges, .. } => {
                let mut entries = entries;
                if let Some(key) = key {
                    // A key whose value never came (the parser reports such text itself).
                    entries.push((key, Node { kind: NodeKind::Null, span: self.span(end_event, end_event) }));
                }
                if merges.is_empty() { NodeKind::Mapping(entries) } else { NodeKind::Mapping(merge(entries, merges)?) }
            }
        };
        let last_child_end = match &kind {
            NodeKind::Sequence(items) => items.last().map(|item| item.span.end),
            NodeKind::Mapping(entries) => entries.last().map(|(_, value)| value.span.end.max(value.span.start)),
            _ => None,
        };
        let end = collection_end(self.text, start, frame.flow, last_child_end);
        Ok(Node { kind, span: self.span(start, end) })
    }

    /// The document's root; a file of comments alone holds nothing.
    fn finish(self) -> Node {
        let empty = self.span(0, 0);
        self.root.unwrap_or(Node { kind: NodeKind::Null, span: empty })
    }
}

/// The plain scalars YAML's core schema reads as null.
fn is_null_word(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// Where `key` was first written in a mapping, if it was; records it otherwise (once the
/// mapping is large enough to keep a set of its keys).
fn earlier_key(entries: &[(Node, Node)], seen: &mut Option<HashSet<String>>, key: &str) -> Option<Span> {
    let find = || {
        entries
            .iter()
            .find(|(earlier, _)| earlier.as_scalar().is_some_and(|other| other.text == key))
            .map(|(earlier, _)| earlier.span)
    };
    if entries.len() < LINEAR_KEY_LOOKUP {
        return find();
    }
    let seen = seen.get_or_insert_with(|| {
        entries.iter().filter_map(|(earlier, _)| earlier.as_scalar().map(|scalar| scalar.text.clone())).collect()
    });
    if seen.insert(key.to_owned()) { None } else { find() }
}

/// A mapping's explicit entries with the entries of its `<<` merge keys put in at the place of
/// each `<<`: keys written in the mapping win over merged ones, and an earlier merged mapping
/// wins over a later one (YAML's merge key type, as `PyYAML` and serde-based readers apply it).
fn merge(entries: Vec<(Node, Node)>, merges: Vec<(usize, Node)>) -> Result<Vec<(Node, Node)>, Diagnostic> {
    let mut taken: HashSet<String> =
        entries.iter().filter_map(|(key, _)| key.as_scalar().map(|scalar| scalar.text.clone())).collect();
    let mut inserts: Vec<(usize, Vec<(Node, Node)>)> = Vec::with_capacity(merges.len());
    for (position, value) in merges {
        let span = value.span;
        let sources = match value.kind {
            NodeKind::Mapping(_) => vec![value],
            NodeKind::Sequence(items) if items.iter().all(|item| matches!(item.kind, NodeKind::Mapping(_))) => items,
            _ => {
                return Err(Diagnostic::new(
                    CUT001,
                    span,
                    "invalid YAML: a `<<` merge key needs a mapping or a list of mappings",
                )
                .with_primary_label(format!("this is {}", value_word(&value.kind))));
            }
        };
        let mut added = Vec::new();
        for source in sources {
            let NodeKind::Mapping(source_entries) = source.kind else { continue };
            for (key, value) in source_entries {
                let fresh = key.as_scalar().is_none_or(|scalar| taken.insert(scalar.text.clone()));
                if fresh {
                    added.push((key, value));
                }
            }
        }
        inserts.push((position, added));
    }
    let mut result = Vec::with_capacity(entries.len() + inserts.iter().map(|(_, added)| added.len()).sum::<usize>());
    let mut inserts = inserts.into_iter().peekable();
    for (index, entry) in entries.into_iter().enumerate() {
        while let Some((_, added)) = inserts.next_if(|(position, _)| *position == index) {
            result.extend(added);
        }
        result.push(entry);
    }
    result.extend(inserts.flat_map(|(_, added)| added));
    Ok(result)
}

fn value_word(kind: &NodeKind) -> &'static str {
    match kind {
        NodeKind::Null => "nothing",
        NodeKind::Scalar(_) => "a single value",
        NodeKind::Sequence(_) => "a list with something other than mappings in it",
        NodeKind::Mapping(_) => "a mapping",
    }
}

/// Where a collection starting at `start` ends: after its last child, and after the closing
/// bracket of a flow collection (`{…}`, `[…]`).
fn collection_end(text: &str, start: usize, flow: bool, last_child_end: Option<u32>) -> usize {
    let after_children = last_child_end.map_or(start, |end| (end as usize).max(start));
    let closing = match text.as_bytes().get(start) {
        Some(b'{') if flow => b'}',
        Some(b'[') if flow => b']',
        _ => return after_children,
    };
    let from = if last_child_end.is_some() { after_children } else { start + 1 };
    let rest = text.get(from..).unwrap_or_default();
    let skipped = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n', ',']).len();
    if rest.as_bytes().get(skipped) == Some(&closing) { from + skipped + 1 } else { after_children }
}

/// A parser error as a CUT001 diagnostic at the character it stopped at.
fn scan_error(file: FileId, text: &str, error: &ScanError) -> Diagnostic {
    let marker = error.marker();
    let offset = marker
        .byte_offset()
        .unwrap_or_else(|| text.char_indices().nth(marker.index()).map_or(text.len(), |(offset, _)| offset))
        .min(text.len());
    let length = text[offset..].chars().next().map_or(0, char::len_utf8);
    let message = tidy_message(&error.info());
    Diagnostic::new(CUT001, Span::new(file, offset, offset + length), format!("invalid YAML: {message}"))
}

/// The parser's message with the lowercase start of our messages and no final stop.
fn tidy_message(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or_default();
    let trimmed = first_line.trim().trim_end_matches('.');
    let mut characters = trimmed.chars();
    match characters.next() {
        None => "the parser stopped here".to_owned(),
        Some(first) if !trimmed.starts_with("YAML") => first.to_lowercase().chain(characters).collect(),
        Some(_) => trimmed.to_owned(),
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Node {
        parse(FileId(0), text).unwrap_or_else(|diagnostic| panic!("{}", diagnostic.message))
    }

    fn entries(node: &Node) -> &[(Node, Node)] {
        match &node.kind {
            NodeKind::Mapping(entries) => entries,
            other => panic!("not a mapping: {other:?}"),
        }
    }

    #[test]
    fn plain_scalars_keep_their_source_text_and_span() {
        let text = "on: app\ny: 14.10\nv: \"4.2\"\nn:\nblock: |\n  a\n";
        let root = parse_text(text);
        let entries = entries(&root);
        let key = entries[0].0.as_scalar().unwrap();
        assert_eq!((key.text.as_str(), key.plain), ("on", true));
        assert_eq!(&text[entries[0].1.span.start as usize..entries[0].1.span.end as usize], "app");
        assert_eq!(entries[1].0.as_scalar().unwrap().text, "y");
        assert_eq!(entries[1].1.as_scalar().unwrap().text, "14.10");
        let quoted = entries[2].1.as_scalar().unwrap();
        assert_eq!((quoted.text.as_str(), quoted.plain), ("4.2", false));
        assert_eq!(entries[3].1.kind, NodeKind::Null);
        assert_eq!(entries[4].1.as_scalar().unwrap().text, "a\n");
    }

    #[test]
    fn collections_span_their_whole_extent() {
        let text = "a: { b: 1, c: [x, y] }\nd:\n  e: 2\n  f: 3\nempty: {}\n";
        let root = parse_text(text);
        let entries = entries(&root);
        let slice = |node: &Node| &text[node.span.start as usize..node.span.end as usize];
        assert_eq!(slice(&entries[0].1), "{ b: 1, c: [x, y] }");
        assert_eq!(slice(&entries[1].1), "e: 2\n  f: 3");
        assert_eq!(slice(&entries[2].1), "{}");
    }

    #[test]
    fn json_is_read_too() {
        let root = parse_text("{\"package\": \"dten\", \"version\": \"4.2.0\", \"n\": [1, 2.50]}");
        let entries = entries(&root);
        assert_eq!(entries[1].1.as_scalar().unwrap().text, "4.2.0");
        match &entries[2].1.kind {
            NodeKind::Sequence(items) => assert_eq!(items[1].as_scalar().unwrap().text, "2.50"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn syntax_errors_point_at_the_problem() {
        let text = "a: [1, 2\nb: 3\n";
        let error = parse(FileId(0), text).unwrap_err();
        assert_eq!(error.code, CUT001);
        assert!(error.primary.span.start > 0, "the span points into the text, not at its start");
        assert!(error.message.starts_with("invalid YAML: "), "{}", error.message);
    }

    #[test]
    fn aliases_expand_and_merge_keys_merge() {
        let text = "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\nl: *b\ns: &v word\nt: *v\n\
                    m:\n  <<: [{p: 1}, {p: 2, q: 2}]\n  r: 3\n";
        let root = parse_text(text);
        let entries = entries(&root);
        let pairs = |node: &Node| -> Vec<(String, String)> {
            self::entries(node)
                .iter()
                .map(|(key, value)| (key.as_scalar().unwrap().text.clone(), value.as_scalar().unwrap().text.clone()))
                .collect()
        };
        let owned = |items: &[(&str, &str)]| -> Vec<(String, String)> {
            items.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect()
        };
        assert_eq!(pairs(&entries[1].1), owned(&[("x", "1"), ("y", "3")]), "the written key wins");
        assert_eq!(pairs(&entries[2].1), owned(&[("x", "1"), ("y", "2")]));
        assert_eq!(entries[4].1.as_scalar().unwrap().text, "word");
        assert_eq!(pairs(&entries[5].1), owned(&[("p", "1"), ("q", "2"), ("r", "3")]), "the first merged map wins");
        let error = parse(FileId(0), "a: &a x\nb:\n  <<: *a\n").unwrap_err();
        assert!(error.message.contains("merge key"), "{}", error.message);
    }

    #[test]
    fn a_key_twice_and_a_second_document_are_errors() {
        let text = "a: 1\nb: 2\na: 3\n";
        let error = parse(FileId(0), text).unwrap_err();
        assert_eq!((error.code, error.primary.span.start, error.primary.span.end), (CUT001, 10, 11));
        assert!(error.message.contains("`a` is written twice"), "{}", error.message);
        assert_eq!(error.secondary.len(), 1, "the first one is labelled");
        let mut many: String = (0..40).map(|index| format!("k{index}: v\n")).collect::<Vec<_>>().concat();
        many.push_str("k7: again\n");
        let error = parse(FileId(0), &many).unwrap_err();
        assert!(error.message.contains("`k7` is written twice"), "{}", error.message);
        let error = parse(FileId(0), "a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(&"a: 1\n---\nb: 2\n"[error.primary.span.start as usize..error.primary.span.end as usize], "---");
    }

    #[test]
    fn tags_and_nulls() {
        let root = parse_text("a: ~\nb: !!str null\nc: !!null x\nd: ''\ne: .inf\n");
        let entries = entries(&root);
        assert_eq!(entries[0].1.kind, NodeKind::Null);
        assert_eq!(entries[1].1.as_scalar().unwrap(), &Scalar { text: "null".to_owned(), plain: false });
        assert_eq!(entries[2].1.kind, NodeKind::Null);
        assert_eq!(entries[3].1.as_scalar().unwrap(), &Scalar { text: String::new(), plain: false });
        assert_eq!(entries[4].1.as_scalar().unwrap().text, ".inf");
        assert_eq!(parse_text("# nothing but a comment\n").kind, NodeKind::Null);
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused() {
        use std::fmt::Write as _;

        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..12 {
            let previous = (b'a' + level - 1) as char;
            let name = (b'a' + level) as char;
            let items = vec![format!("*{previous}"); 10].join(", ");
            let _ = writeln!(bomb, "{name}: &{name} [{items}]");
        }
        assert_eq!(parse(FileId(0), &bomb).unwrap_err().code, CUT001);
        let deep = "[".repeat(100_000);
        assert_eq!(parse(FileId(0), &deep).unwrap_err().code, CUT001);
        let deep_block: String = (0..200).map(|level| " ".repeat(level) + "k:\n").collect();
        assert_eq!(parse(FileId(0), &deep_block).unwrap_err().code, CUT001);
    }
}
