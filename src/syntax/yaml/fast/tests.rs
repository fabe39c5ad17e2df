//! The line reader against the parser-based builder: the same trees, spans included, on every
//! file of the repository, on generated documents, on random lines and on random edits.

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
        let context = |tree: &str| tree.lines().skip(line.saturating_sub(12)).take(16).collect::<Vec<_>>().join("\n");
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
            let key =
                if self.next(6) == 0 || index == 0 { key } else { ["on", "after", "verify", "estimate"][index - 1] };
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
