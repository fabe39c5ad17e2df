//! YAML (and JSON) text to a tree of spanned nodes: the only module that knows serde-saphyr.
//!
//! Every later reader sees [`Node`]s, so the YAML library could be swapped by rewriting this
//! file alone. The tree keeps each plain scalar's exact source text rather than the library's
//! YAML 1.1 reading of it: `on` stays the word `on` (not `true`), `14.10` stays `14.10` (not the
//! float 14.1). Typing is left to the readers, which know what each field expects.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

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

/// A scalar's text. `plain` scalars were written without quotes; their `text` is exactly what
/// the source holds. Quoted and block scalars carry their decoded value.
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
const PARSER_STACK_BYTES: usize = 64 * 1024 * 1024;

fn limited_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_events = MAX_NODES * 3;
    budget.max_aliases = MAX_ALIASES;
    budget.max_recorded_anchor_events = MAX_NODES / 10;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options
}

/// Parses YAML or JSON text.
///
/// # Errors
/// A CUT001 diagnostic at the place the parser stopped.
pub fn parse(file: FileId, text: &str) -> Result<Node, Diagnostic> {
    if text.trim().is_empty() {
        return Err(Diagnostic::new(CUT001, Span::new(file, 0, 0), "the file is empty"));
    }
    // Deserializing recurses once per nesting level; a thread of our own with a generous stack
    // keeps even a debug build far from overflow at the depth limit.
    let parse_once = || serde_saphyr::from_str_with_options::<RawNode>(text, limited_options());
    let parsed = std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("yaml".to_owned())
            .stack_size(PARSER_STACK_BYTES)
            .spawn_scoped(scope, parse_once)
        {
            Ok(handle) => handle.join().unwrap_or_else(|_| Err(de::Error::custom("the YAML parser failed"))),
            // Without a thread of our own, parse on this one: the depth limit still holds.
            Err(_) => parse_once(),
        }
    });
    match parsed {
        Ok(raw) => Ok(raw.into_node(file, text)),
        Err(error) => Err(syntax_error(file, text, &error)),
    }
}

fn syntax_error(file: FileId, text: &str, error: &serde_saphyr::Error) -> Diagnostic {
    let offset = error.location().map_or(0, |location| {
        location
            .span()
            .byte_offset()
            .and_then(|offset| usize::try_from(offset).ok())
            .unwrap_or_else(|| offset_of(text, location.line(), location.column()))
            .min(text.len())
    });
    let length = text[offset..].chars().next().map_or(0, char::len_utf8);
    let message = match error {
        serde_saphyr::Error::Budget { .. } => format!(
            "the document is too big to read safely: more than {MAX_DEPTH} levels of nesting, \
             {MAX_NODES} values or {MAX_ALIASES} aliases, or aliases that expand too far"
        ),
        _ => tidy_message(&error.to_string()),
    };
    Diagnostic::new(CUT001, Span::new(file, offset, offset + length), format!("invalid YAML: {message}"))
}

/// The byte offset of a 1-based line and column (in characters).
fn offset_of(text: &str, line: u64, column: u64) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX))
        .map(str::len)
        .sum();
    let rest = &text[line_start.min(text.len())..];
    let within: usize = rest
        .chars()
        .take_while(|character| *character != '\n')
        .take(usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX))
        .map(char::len_utf8)
        .sum();
    line_start + within
}

/// The library's message without the position it appends (the span shows that) and with the
/// lowercase start of our messages.
fn tidy_message(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or_default();
    let without_position = match first_line.find(" at line ") {
        Some(index) => &first_line[..index],
        None => first_line,
    };
    let trimmed = without_position.trim().trim_end_matches('.');
    let mut characters = trimmed.chars();
    match characters.next() {
        Some(first) if !trimmed.starts_with("YAML") => first.to_lowercase().chain(characters).collect(),
        _ => trimmed.to_owned(),
    }
}

/// What serde-saphyr hands us: the library's value with its location, before we recover plain
/// scalars' source text.
struct RawNode {
    kind: RawKind,
    start: Option<u64>,
    length: Option<u64>,
}

enum RawKind {
    Null,
    Text(String),
    Sequence(Vec<RawNode>),
    Mapping(Vec<(RawNode, RawNode)>),
}

impl RawNode {
    fn into_node(self, file: FileId, text: &str) -> Node {
        let start = self.start.and_then(|offset| usize::try_from(offset).ok()).unwrap_or(0).min(text.len());
        let length = self.length.and_then(|length| usize::try_from(length).ok()).unwrap_or(0);
        let end = (start + length).min(text.len());
        let kind = match self.kind {
            RawKind::Null => NodeKind::Null,
            RawKind::Text(decoded) => NodeKind::Scalar(scalar_text(text, start, end, decoded)),
            RawKind::Sequence(items) => {
                NodeKind::Sequence(items.into_iter().map(|item| item.into_node(file, text)).collect())
            }
            RawKind::Mapping(entries) => NodeKind::Mapping(
                entries
                    .into_iter()
                    .map(|(key, value)| (key.into_node(file, text), value.into_node(file, text)))
                    .collect(),
            ),
        };
        // The library marks where a collection starts; it covers up to its last child, and its
        // closing bracket when it is written in flow style.
        let end = match &kind {
            NodeKind::Sequence(items) => collection_end(text, start, items.last().map(|item| item.span.end)),
            NodeKind::Mapping(entries) => {
                collection_end(text, start, entries.last().map(|(_, value)| value.span.end.max(value.span.start)))
            }
            _ => end,
        };
        Node { kind, span: Span::new(file, start, end) }
    }
}

/// Where a collection starting at `start` ends: after its last child, and after the closing
/// bracket of a flow collection (`{…}`, `[…]`).
fn collection_end(text: &str, start: usize, last_child_end: Option<u32>) -> usize {
    let after_children = last_child_end.map_or(start, |end| (end as usize).max(start));
    let closing = match text.as_bytes().get(start) {
        Some(b'{') => b'}',
        Some(b'[') => b']',
        _ => return after_children,
    };
    let from = if last_child_end.is_some() { after_children } else { start + 1 };
    let rest = text.get(from..).unwrap_or_default();
    let skipped = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n', ',']).len();
    if rest.as_bytes().get(skipped) == Some(&closing) { from + skipped + 1 } else { after_children }
}

/// Plain scalars keep their source text; quoted and block scalars keep the decoded value.
fn scalar_text(text: &str, start: usize, end: usize, decoded: String) -> Scalar {
    let source = text.get(start..end).unwrap_or_default();
    let quoted_or_block = matches!(source.as_bytes().first(), Some(b'"' | b'\'' | b'|' | b'>'));
    if quoted_or_block || source.is_empty() || source.contains('\n') {
        Scalar { text: decoded, plain: !quoted_or_block }
    } else if decoded == source {
        // Most plain scalars read as themselves: keep the string already made.
        Scalar { text: decoded, plain: true }
    } else {
        Scalar { text: source.to_owned(), plain: true }
    }
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<RawKind>::deserialize(deserializer)?;
        let span = spanned.referenced.span();
        Ok(Self { kind: spanned.value, start: span.byte_offset(), length: span.byte_len() })
    }
}

impl<'de> Deserialize<'de> for RawKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = RawKind;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<RawKind, E> {
        Ok(RawKind::Null)
    }

    fn visit_none<E>(self) -> Result<RawKind, E> {
        Ok(RawKind::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawKind, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E>(self, value: bool) -> Result<RawKind, E> {
        Ok(RawKind::Text(value.to_string()))
    }

    fn visit_i64<E>(self, value: i64) -> Result<RawKind, E> {
        Ok(RawKind::Text(value.to_string()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<RawKind, E> {
        Ok(RawKind::Text(value.to_string()))
    }

    fn visit_i128<E>(self, value: i128) -> Result<RawKind, E> {
        Ok(RawKind::Text(value.to_string()))
    }

    fn visit_u128<E>(self, value: u128) -> Result<RawKind, E> {
        Ok(RawKind::Text(value.to_string()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<RawKind, E> {
        Ok(RawKind::Text(value.to_string()))
    }

    fn visit_char<E>(self, value: char) -> Result<RawKind, E> {
        Ok(RawKind::Text(value.to_string()))
    }

    fn visit_str<E>(self, value: &str) -> Result<RawKind, E> {
        Ok(RawKind::Text(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<RawKind, E> {
        Ok(RawKind::Text(value))
    }

    fn visit_bytes<E: de::Error>(self, value: &[u8]) -> Result<RawKind, E> {
        Ok(RawKind::Text(String::from_utf8_lossy(value).into_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<RawKind, A::Error> {
        let mut items = Vec::with_capacity(access.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = access.next_element::<RawNode>()? {
            items.push(item);
        }
        Ok(RawKind::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<RawKind, A::Error> {
        let mut entries = Vec::with_capacity(access.size_hint().unwrap_or(0).min(1024));
        while let Some(key) = access.next_key::<RawNode>()? {
            let value = access.next_value::<RawNode>()?;
            entries.push((key, value));
        }
        Ok(RawKind::Mapping(entries))
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
