//! Mutations of plan sets: a seeded random generator and the edits it drives, from deleting a
//! byte to writing a hostile value into a field. Every edit keeps the text UTF-8 and keeps each
//! line under [`MAX_LINE`] characters.

use cutover::syntax::dsl::quote;

/// The longest line a mutant may hold. Longer lines are known to be slow in the diagnostics
/// renderer (another change fixes that); this test is about what the pipeline does with
/// hostile text, so it stays clear of them.
pub const MAX_LINE: usize = 60_000;

/// The most lines one edit may add by duplication: with at most [`MAX_EDITS`] edits, a mutant
/// stays far below 10,000 steps, past which graph algorithms are another change's business.
const MAX_DUPLICATES: usize = 64;

/// The most edits applied to one mutant.
pub const MAX_EDITS: usize = 4;

/// `SplitMix64`: small, fast, and the same sequence on every machine for a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        mixed ^ (mixed >> 31)
    }

    /// A number in `0..bound`; `bound` must not be zero.
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    /// True once in `times` draws on average.
    pub fn one_in(&mut self, times: usize) -> bool {
        self.below(times) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Text that has broken a reader, a writer or a generated file before, or could: every line
/// break some reader knows, quotes and escapes of each language the outputs are written in,
/// placeholders where no quoting holds, suppression comments, YAML's anchors, aliases, tags and
/// document markers, option-shaped names, and shell code that leaves a trace when it runs
/// (`PWNED` is replaced by a path the test watches).
pub const PIECES: &[&str] = &[
    "\n",
    "\r",
    "\r\n",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{0}",
    "\t",
    "\u{feff}",
    "\u{1b}[2J",
    "'",
    "\"",
    "\\",
    "`",
    "'{name}'",
    "\"{name}\"",
    "{x}",
    "{{",
    "}}",
    "{",
    "}",
    "$'{x}'",
    "${x}",
    "echo 'hello {name}'",
    " # cutover: allow CUT030 -- x",
    "\n# cutover: allow CUT030 -- x\n",
    "# cutover: allow CUT999 -- x",
    "# cutover: allow missing-rollback",
    "&anchor ",
    "*anchor",
    "<<: *anchor",
    "!!str ",
    "!tag ",
    "!!binary ",
    "? ",
    ": ",
    "- ",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "[",
    "]",
    "{ a: b }",
    "~",
    "null",
    "yes",
    "99999999999999999999999999",
    "18446744073709551616",
    "-1",
    "1e309",
    "0x7fffffff",
    "99999999999999h",
    "-oProxyCommand=x",
    "-oProxyCommand=touch PWNED",
    "--help",
    "$(touch PWNED)",
    "`touch PWNED`",
    "; touch PWNED;",
    "\ntouch PWNED\n",
    "\rtouch PWNED\r",
    "\u{2028}touch PWNED\u{2028}",
    "\nCUTOVER_TEXT\ntouch PWNED\n",
    "\n}\ntouch PWNED\n",
    "{{ lookup('pipe', 'touch PWNED') }}",
    "{% raw %}",
    "\n- hosts: all\n  tasks: [{ ansible.builtin.shell: touch PWNED }]\n",
    "ünïcødé ✓ 🚀",
    "\u{301}",
];

/// The pieces written inside a quoted value: with escapes, they reach the model as they are.
fn hostile_text(rng: &mut Rng, pwned: &str) -> String {
    let mut text = String::new();
    for _ in 0..=rng.below(3) {
        text.push_str(&rng.pick(PIECES).replace("PWNED", pwned));
        if rng.one_in(2) {
            text.push('x');
        }
    }
    text
}

/// Applies one random edit to `text`; `dsl` says which form it is written in (YAML otherwise),
/// `lines` is every line of the corpus, to splice from. Returns what it did.
pub fn edit(rng: &mut Rng, text: &mut String, dsl: bool, lines: &[&str], pwned: &str) -> String {
    for _ in 0..32 {
        let mut candidate = text.clone();
        let what = edit_once(rng, &mut candidate, dsl, lines, pwned);
        if candidate.split('\n').all(|line| line.chars().count() <= MAX_LINE) {
            *text = candidate;
            return what;
        }
    }
    "no edit under the line limit".to_owned()
}

fn edit_once(rng: &mut Rng, text: &mut String, dsl: bool, lines: &[&str], pwned: &str) -> String {
    match rng.below(14) {
        0 => {
            let at = boundary(rng, text);
            let end = ceil_boundary(text, at + 1 + rng.below(16));
            let removed = text[at..end].to_owned();
            text.replace_range(at..end, "");
            format!("delete {removed:?} at {at}")
        }
        1 => {
            let (start, end) = line_range(rng, text);
            let removed = text[start..end].to_owned();
            text.replace_range(start..end, "");
            format!("delete line {removed:?}")
        }
        2 => {
            let (start, end) = line_range(rng, text);
            let line = text[start..end].to_owned();
            let times = if rng.one_in(4) { 1 + rng.below(MAX_DUPLICATES) } else { 1 };
            text.insert_str(end, &line.repeat(times));
            format!("duplicate line {line:?} {times} times")
        }
        3 => {
            let first = line_range(rng, text);
            let second = line_range(rng, text);
            let (first, second) = if first.0 <= second.0 { (first, second) } else { (second, first) };
            if first.1 > second.0 {
                return "swap nothing".to_owned();
            }
            let one = text[first.0..first.1].to_owned();
            let two = text[second.0..second.1].to_owned();
            text.replace_range(second.0..second.1, &one);
            text.replace_range(first.0..first.1, &two);
            format!("swap lines {one:?} and {two:?}")
        }
        4 | 5 => {
            let at = boundary(rng, text);
            let piece = rng.pick(PIECES).replace("PWNED", pwned);
            text.insert_str(at, &piece);
            format!("insert {piece:?} at {at}")
        }
        6..=8 => quoted_value(rng, text, dsl, pwned),
        9 => {
            let Some((start, end)) = word(rng, text) else { return "replace no word".to_owned() };
            let piece = rng.pick(PIECES).replace("PWNED", pwned);
            let replaced = text[start..end].to_owned();
            text.replace_range(start..end, &piece);
            format!("replace word {replaced:?} with {piece:?}")
        }
        10 => {
            let line = rng.pick(lines);
            let at = line_range(rng, text).0;
            text.insert_str(at, &format!("{line}\n"));
            format!("splice line {line:?} at {at}")
        }
        11 => {
            let at = boundary(rng, text);
            text.truncate(at);
            format!("truncate at {at}")
        }
        12 => {
            let at = boundary(rng, text);
            let length = 1 + rng.below(MAX_LINE / 2);
            let unit = *rng.pick(&["a", "x ", "{", "[", "'", "\\", "é", "-"]);
            text.insert_str(at, &unit.repeat(length / unit.len()));
            format!("insert {length} bytes of {unit:?} at {at}")
        }
        _ => nesting(rng, text, dsl),
    }
}

/// A hostile value written into a place that holds a value, escaped so that it reads: the
/// value of a YAML `key: value` line as a double-quoted scalar, or a DSL string's content.
fn quoted_value(rng: &mut Rng, text: &mut String, dsl: bool, pwned: &str) -> String {
    let hostile = hostile_text(rng, pwned);
    if dsl {
        let strings: Vec<(usize, usize)> = dsl_strings(text);
        if strings.is_empty() {
            return "no DSL string".to_owned();
        }
        let (start, end) = *rng.pick(&strings);
        let content = cutover::syntax::dsl::parser::unescape(&text[start + 1..end - 1]);
        let value = mix(rng, &content, &hostile);
        let written = quote::dsl_string(&value);
        text.replace_range(start..end, &written);
        return format!("DSL string at {start} := {value:?}");
    }
    let values: Vec<(usize, usize)> = yaml_values(text);
    if values.is_empty() {
        return "no YAML value".to_owned();
    }
    let (start, end) = *rng.pick(&values);
    let value = mix(rng, text[start..end].trim_matches(['"', '\'']), &hostile);
    let written = quote::yaml_string(&value);
    text.replace_range(start..end, &written);
    format!("YAML value at {start} := {value:?}")
}

/// The hostile text before, after, in place of or in the middle of what was there.
fn mix(rng: &mut Rng, original: &str, hostile: &str) -> String {
    match rng.below(4) {
        0 => format!("{hostile}{original}"),
        1 => format!("{original}{hostile}"),
        2 => hostile.to_owned(),
        _ => {
            let mut at = rng.below(original.len() + 1);
            while !original.is_char_boundary(at) {
                at -= 1;
            }
            format!("{}{hostile}{}", &original[..at], &original[at..])
        }
    }
}

/// Deep nesting, in the brackets of the form: YAML flow collections, DSL lists and blocks.
fn nesting(rng: &mut Rng, text: &mut String, dsl: bool) -> String {
    let deepest = if rng.one_in(4) { 2_000 } else { 64 };
    let depth = 1 + rng.below(deepest);
    let (open, close) = if dsl {
        *rng.pick(&[("{ ", " }"), ("(", ")"), ("[", "]")])
    } else {
        *rng.pick(&[("[", "]"), ("{ a: ", " }"), ("- ", "")])
    };
    let at = boundary(rng, text);
    let nested = format!("{}x{}", open.repeat(depth), close.repeat(depth));
    text.insert_str(at, &nested);
    format!("nest {open:?} {depth} deep at {at}")
}

/// The byte ranges of DSL strings, quotes included.
fn dsl_strings(text: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut start = None;
    let mut escaped = false;
    for (at, character) in text.char_indices() {
        match (start, character) {
            (None, '"') => start = Some(at),
            (Some(_), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(open), '"') if !escaped => {
                found.push((open, at + 1));
                start = None;
            }
            (Some(_), '\n') => start = None,
            _ => {}
        }
        escaped = false;
    }
    found
}

/// The byte ranges of the values of YAML `key: value` lines and `- value` items.
fn yaml_values(text: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        if !trimmed.starts_with('#') {
            let value_start = content
                .find(": ")
                .map(|colon| colon + 2)
                .or_else(|| trimmed.starts_with("- ").then(|| content.len() - trimmed.len() + 2));
            if let Some(value_start) = value_start {
                let value = &content[value_start..];
                if !value.is_empty() && !value.starts_with(['[', '{', '|', '>', '&', '*', '!']) {
                    found.push((offset + value_start, offset + content.len()));
                }
            }
        }
        offset += line.len();
    }
    found
}

/// A random word: a run of letters, digits and `-_.@`.
fn word(rng: &mut Rng, text: &str) -> Option<(usize, usize)> {
    let is_word = |character: char| character.is_alphanumeric() || "-_.@".contains(character);
    let at = boundary(rng, text);
    let start = text[at..].find(is_word).map(|found| at + found)?;
    let end = text[start..].find(|character| !is_word(character)).map_or(text.len(), |found| start + found);
    Some((start, end))
}

/// A random character boundary of `text`, its end included.
fn boundary(rng: &mut Rng, text: &str) -> usize {
    let mut at = rng.below(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// The byte range of a random line, its `\n` included.
fn line_range(rng: &mut Rng, text: &str) -> (usize, usize) {
    let at = boundary(rng, text);
    let start = text[..at].rfind('\n').map_or(0, |newline| newline + 1);
    let end = text[at..].find('\n').map_or(text.len(), |newline| at + newline + 1);
    (start, end)
}
