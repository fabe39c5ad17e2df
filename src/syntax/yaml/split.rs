//! A large plan read in two halves, on two threads.
//!
//! A plan's size is its `steps:` list, and the YAML parser is the largest single cost of a
//! check. When a file is a block mapping with a top-level `steps:` block sequence, the text is
//! cut at the start of the item nearest its middle; the first half (everything before that
//! item) and `steps:` followed by the second half are read at the same time, and the second
//! half's items are appended to the first half's `steps`.
//!
//! A line that starts an item at the list's indentation starts an item in the whole file too,
//! unless it sits inside a quoted scalar or a flow collection that spans lines, and then the
//! first half ends with it unclosed and does not read. Everything else that could make the
//! halves differ from the whole is refused before cutting (directives, document markers, tabs,
//! carriage returns, merge keys) or checked after (each half reads, the `steps` keys are where
//! the cut found them, the item counts match, no root key is written in both halves, the
//! budgets hold together). Any doubt reads the file whole, which also gives the exact
//! diagnostic of a file that does not read.

use std::collections::HashSet;

use super::{MAX_ALIASES, MAX_NODES, Node, NodeKind, read};
use crate::source::FileId;

/// What the second half starts with, so that it reads as the same list.
const KEY: &str = "steps:\n";

/// Where the file is cut: `key` is the offset of the `steps:` line, `at` the offset of the
/// item the second half starts with, `indent` the items' indentation; the list holds `before`
/// items before it and `after` from it on.
#[derive(Debug, PartialEq, Eq)]
struct Cut {
    key: usize,
    at: usize,
    indent: usize,
    before: usize,
    after: usize,
}

/// The file read in two halves, or `None` when it is not cut or the halves do not fit.
pub(super) fn read_in_two(file: FileId, text: &str) -> Option<Node> {
    let cut = find_cut(text)?;
    // The first half ends with an empty item where the second half's first item starts: where a
    // scalar ends (a block scalar's trailing lines, a plain scalar over lines) depends on the
    // line after it, which must be the same line start as in the whole file.
    let first_text = format!("{}{}-\n", &text[..cut.at], " ".repeat(cut.indent));
    let second_text = format!("{KEY}{}", &text[cut.at..]);
    let (first, second) =
        crate::parallel::join(|| read(file, &first_text, 0), || read(file, &second_text, cut.at - KEY.len()));
    // A half that does not read, or a thread that failed, leaves the file to be read whole.
    let (first, second) = (first.ok()?.ok()?, second.ok()?);
    if first.nodes + second.nodes > MAX_NODES || first.aliases + second.aliases > MAX_ALIASES {
        return None;
    }
    join(text, first.root, second.root, &cut)
}

fn find_cut(text: &str) -> Option<Cut> {
    let refused = text.starts_with(['\u{feff}', '%', '-', '.', '{', '['])
        || text.contains(['\r', '\t'])
        || text.contains("\n%")
        || text.contains("\n---")
        || text.contains("\n...")
        || text.contains("<<");
    if refused {
        return None;
    }
    let key = if text.starts_with("steps:") { 0 } else { text.find("\nsteps:")? + 1 };
    let key_line_end = key + text[key..].find('\n')?;
    let after_key = &text[key + "steps:".len()..key_line_end];
    let only_a_comment = after_key.starts_with(' ') && after_key.trim_start().starts_with('#');
    if !(after_key.trim().is_empty() || only_a_comment) {
        return None;
    }
    let mut indent_of_items = None;
    let mut items = Vec::new();
    let mut position = key_line_end + 1;
    while position < text.len() {
        let line_end = text[position..].find('\n').map_or(text.len(), |offset| position + offset);
        let line = &text[position..line_end];
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        if !(body.is_empty() || body.starts_with('#')) {
            let is_item = body.starts_with('-') && matches!(body.as_bytes().get(1), None | Some(b' '));
            match indent_of_items {
                None if is_item => indent_of_items = Some(indent),
                None => return None,
                Some(items_indent) if indent < items_indent || (indent == items_indent && !is_item) => break,
                Some(_) => {}
            }
            if is_item && Some(indent) == indent_of_items {
                items.push(position);
            }
        }
        position = line_end + 1;
    }
    if items.len() < 2 {
        return None;
    }
    // The item nearest the middle of the file, never the first.
    let index = items.iter().position(|start| *start >= text.len() / 2).unwrap_or(items.len() - 1).max(1);
    let indent = indent_of_items?;
    Some(Cut { key, at: items[index], indent, before: index, after: items.len() - index })
}

fn is_key(node: &Node, name: &str) -> bool {
    node.as_scalar().is_some_and(|scalar| scalar.plain && scalar.text == name)
}

/// The first half's root with the second half's items and keys added, if both are what the
/// cut expects.
fn join(text: &str, first: Node, second: Node, cut: &Cut) -> Option<Node> {
    let (NodeKind::Mapping(mut entries), NodeKind::Mapping(second_entries)) = (first.kind, second.kind) else {
        return None;
    };
    let mut second_entries = second_entries.into_iter();
    let (second_key, second_steps) = second_entries.next()?;
    if !is_key(&second_key, "steps") || second_key.span.start as usize != cut.at - KEY.len() {
        return None;
    }
    let NodeKind::Sequence(more) = second_steps.kind else { return None };
    let (key, steps) = entries.last_mut()?;
    if !is_key(key, "steps") || key.span.start as usize != cut.key || more.len() != cut.after {
        return None;
    }
    let NodeKind::Sequence(items) = &mut steps.kind else { return None };
    // The empty item that ended the first half.
    let placeholder = items.pop()?;
    if placeholder.kind != NodeKind::Null
        || placeholder.span.start as usize != cut.at + cut.indent + 1
        || items.len() != cut.before
        || text.as_bytes().get(steps.span.start as usize) == Some(&b'[')
    {
        return None;
    }
    items.extend(more);
    steps.span.end = items.last().map_or(steps.span.end, |item| item.span.end.max(steps.span.start));
    let written: HashSet<String> =
        entries.iter().filter_map(|(key, _)| key.as_scalar().map(|scalar| scalar.text.clone())).collect();
    for (key, value) in second_entries {
        if key.as_scalar().is_none_or(|scalar| written.contains(&scalar.text)) {
            return None;
        }
        entries.push((key, value));
    }
    let mut span = first.span;
    span.end = entries.last().map_or(span.end, |(_, value)| value.span.end.max(value.span.start).max(span.start));
    Some(Node { kind: NodeKind::Mapping(entries), span })
}

#[cfg(test)]
mod tests {
    use super::super::{parse_with, read};
    use super::*;

    fn whole(text: &str) -> Result<Node, String> {
        read(FileId(0), text, 0).map(|read| read.root).map_err(|diagnostic| diagnostic.message)
    }

    fn in_two(text: &str) -> Option<Node> {
        read_in_two(FileId(0), text)
    }

    /// A plan-like file: a head, `steps` of `count` items (each made by `item`), a tail.
    fn plan(count: usize, item: impl Fn(usize) -> String, tail: &str) -> String {
        let mut text = String::from("cutover: 1\nplan: split\n# the steps\nsteps:\n");
        for index in 0..count {
            text.push_str(&item(index));
        }
        text.push_str(tail);
        text
    }

    fn step(index: usize) -> String {
        format!(
            "  - id: s{index}\n    run: >-\n      echo {index}\n      - not an item\n    with: {{ a: \"{index}\", b: [x, y] }}\n\n    # a comment\n"
        )
    }

    #[test]
    fn a_plan_read_in_two_equals_the_plan_read_whole() {
        let text = plan(40, step, "actions:\n  x:\n    run: \"true\"\n");
        let cut = find_cut(&text).expect("a cut");
        assert_eq!((cut.before + cut.after, cut.key), (40, text.find("steps:").unwrap()));
        assert!(cut.before > 10 && cut.after > 10, "near the middle: {cut:?}");
        assert_eq!(Ok(in_two(&text).expect("read in two")), whole(&text));
        // Through `parse`, with the size threshold lowered.
        assert_eq!(parse_with(FileId(0), &text, 0).map_err(|diagnostic| diagnostic.message), whole(&text));
        // Indentless items, and a list that ends the file.
        let indentless = plan(9, |index| format!("- id: s{index}\n  run: \"true\"\n"), "");
        assert_eq!(Ok(in_two(&indentless).expect("read in two")), whole(&indentless));
    }

    #[test]
    fn doubtful_files_are_read_whole() {
        let cases = [
            // An item line inside a quoted scalar that spans the cut: the first half does not read.
            plan(10, |index| if index == 5 { "  - run: \"one\n  - two\"\n".to_owned() } else { step(index) }, ""),
            // An alias in the second half to an anchor in the first.
            plan(
                10,
                |index| match index {
                    1 => "  - &first { id: a }\n".to_owned(),
                    9 => "  - *first\n".to_owned(),
                    _ => step(index),
                },
                "",
            ),
            // A root key written again after the list.
            plan(10, step, "plan: again\n"),
            // Merge keys, tabs, carriage returns, a second document.
            plan(10, step, "x:\n  <<: { a: 1 }\n"),
            plan(10, step, "x:\t1\n"),
            plan(10, step, "x: 1\r\n"),
            plan(10, step, "---\nx: 1\n"),
            // Not a block list.
            "cutover: 1\nsteps: [a, b,\n  c]\n".to_owned(),
        ];
        for text in &cases {
            assert_eq!(in_two(text), None, "{text}");
            // Whatever happens, `parse` agrees with reading the file whole.
            let parsed = parse_with(FileId(0), text, 0).map_err(|diagnostic| diagnostic.message);
            assert_eq!(parsed, whole(text), "{text}");
        }
    }

    #[test]
    fn every_file_of_the_repository_reads_the_same_in_two() {
        let mut texts = Vec::new();
        for directory in ["plans", "tests/fixtures"] {
            collect(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(directory), &mut texts);
        }
        let mut cut = 0;
        for text in &texts {
            if find_cut(text).is_some() {
                cut += 1;
            }
            let parsed = parse_with(FileId(0), text, 0).map_err(|diagnostic| diagnostic.message);
            assert_eq!(parsed, whole(text), "{text}");
        }
        assert!(cut >= 3, "the plans of plans/ are cut: {cut}");
    }

    fn collect(directory: &std::path::Path, texts: &mut Vec<String>) {
        for entry in std::fs::read_dir(directory).expect("a folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect(&path, texts);
            } else if path.extension().is_some_and(|extension| extension == "yaml" || extension == "json") {
                texts.push(std::fs::read_to_string(&path).expect("readable"));
            }
        }
    }

    /// Pieces of a steps list, tricky ones among them: item-looking lines inside block scalars,
    /// quoted scalars and flow collections over lines, anchors and aliases, comments at every
    /// indentation, empty items, items that are not mappings.
    const PIECES: &[&str] = &[
        "  - id: a\n    run: \"true\"\n",
        "  - id: b\n    run: |\n      - x\n    - y\n",
        "  - id: c\n    run: \"one\n  - two\"\n",
        "  - id: d\n    with: { a: 1,\n  - b: 2 }\n",
        "  - id: e\n    run: 'it''s\n\n  - fine'\n",
        "  - &anchor { id: f }\n",
        "  - *anchor\n",
        "# a comment at the margin\n",
        "  # a comment at the list's indentation\n",
        "\n",
        "  -\n",
        "  - plain text\n    over lines\n",
        "  - [a, b]\n",
        "  - id: g\n    run: >-\n      folded\n\n      - text\n",
    ];

    #[test]
    fn every_plain_piece_next_to_every_other_reads_the_same_in_two() {
        let plain = [0, 7, 8, 9, 10, 11, 12, 13];
        for first in plain {
            for second in plain {
                let order = [0, 11, 13, first, second, 12, 10, 0, first, second, 0, 13, first, second];
                let text = plan(order.len(), |index| PIECES[order[index]].to_owned(), "actions: {}\n");
                assert_eq!(Ok(in_two(&text).expect("read in two")), whole(&text), "{text}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Whatever the pieces, reading in two halves (where it happens) gives what reading the
        /// file whole gives: the same tree and spans, or the same diagnostic.
        #[test]
        fn reading_in_two_never_changes_the_reading(
            pieces in proptest::collection::vec(0..PIECES.len(), 2..40),
            tail in proptest::sample::select(vec!["", "actions: {}\n", "plan: twice\n", "x:\n  - 1\n"]),
        ) {
            let text = plan(pieces.len(), |index| PIECES[pieces[index]].to_owned(), tail);
            let parsed = parse_with(FileId(0), &text, 0).map_err(|diagnostic| diagnostic.message);
            proptest::prop_assert_eq!(parsed, whole(&text), "{}", text);
        }
    }
}
