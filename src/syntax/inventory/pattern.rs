//! Ansible host patterns: `app-[1:3]`, `db[01:03]`, `node-[a:c]`, `web[1:10:2]`, and a
//! `:port` after the name, read as Ansible's `expand_hostname_range` and `parse_address` do.
//! Also [`Located`], text that knows where each of its bytes came from in the file, so a
//! diagnostic can point at the bad range inside a quoted INI word.

use std::ops::Range;

use crate::codes::CUT001;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// Most hosts the patterns of one inventory may expand to: far above any fleet, and small
/// enough that `h[0:99999999]` costs a diagnostic, not gigabytes.
pub const MAX_EXPANDED_HOSTS: usize = 100_000;

/// A piece of text and where it came from. `runs` maps byte offsets of `text` to offsets in
/// the file: each `(text_offset, file_offset)` starts a stretch copied unchanged, so quotes
/// and escapes an INI word dropped are skipped over. With no runs, every part of the text is
/// placed at `whole` (a YAML scalar whose text differs from its source).
#[derive(Clone, Debug)]
pub struct Located {
    pub text: String,
    pub runs: Vec<(usize, usize)>,
    pub whole: Span,
}

impl Located {
    /// Text that is exactly the file's bytes from `start`.
    #[must_use]
    pub fn exact(file: FileId, text: &str, start: usize) -> Self {
        Self { text: text.to_owned(), runs: vec![(0, start)], whole: Span::new(file, start, start + text.len()) }
    }

    /// The file offset of byte `offset` of the text.
    fn file_offset(&self, offset: usize) -> Option<usize> {
        let run = self.runs.iter().rev().find(|(text_offset, _)| *text_offset <= offset)?;
        Some(run.1 + (offset - run.0))
    }

    /// The span of `range`, a byte range of the text.
    #[must_use]
    pub fn span(&self, range: Range<usize>) -> Span {
        let start = self.file_offset(range.start.min(self.text.len()));
        let end = if range.end > range.start { self.file_offset(range.end - 1).map(|last| last + 1) } else { start };
        match (start, end) {
            (Some(start), Some(end)) if !self.text.is_empty() => Span::new(self.whole.file, start, end),
            _ => self.whole,
        }
    }

    /// The part `range` of the text, still located.
    #[must_use]
    pub fn slice(&self, range: Range<usize>) -> Self {
        let runs = if self.runs.is_empty() {
            Vec::new()
        } else {
            let mut runs = vec![(0, self.file_offset(range.start).unwrap_or(self.whole.start as usize))];
            runs.extend(
                self.runs
                    .iter()
                    .filter(|(text_offset, _)| *text_offset > range.start && *text_offset < range.end)
                    .map(|(text_offset, file_offset)| (text_offset - range.start, *file_offset)),
            );
            runs
        };
        Self { text: self.text[range.clone()].to_owned(), runs, whole: self.span(range) }
    }
}

/// The host names a pattern stands for, in Ansible's order (the first range varies slowest),
/// without a `:port`. `budget` is what is left of [`MAX_EXPANDED_HOSTS`] and is spent here.
///
/// # Errors
/// A CUT001 diagnostic at the bad part of the pattern.
pub fn expand(pattern: &Located, budget: &mut usize) -> Result<Vec<(String, Span)>, Diagnostic> {
    let name = without_port(&pattern.text);
    let at = |range: Range<usize>| pattern.span(range);
    let whole = at(name.clone());
    if pattern.text.ends_with(':') {
        return Err(Diagnostic::new(CUT001, whole, format!("host pattern `{}` ends with `:`", pattern.text))
            .with_help("Ansible reserves `:` after a host name for a port, like `app-1:2222`"));
    }
    let text = &pattern.text[name.clone()];
    let mut parts: Vec<Vec<String>> = Vec::new();
    let mut rest = 0;
    while let Some(open) = text[rest..].find('[').map(|found| rest + found) {
        parts.push(vec![text[rest..open].to_owned()]);
        let Some(close) = text[open..].find(']').map(|found| open + found) else {
            return Err(Diagnostic::new(
                CUT001,
                at(name.start + open..name.start + open + 1),
                format!("host pattern `{text}` opens a range with `[` and never closes it"),
            )
            .with_primary_label("no `]` after this")
            .with_help("a host range is written `app-[1:3]`"));
        };
        let range = name.start + open..name.start + close + 1;
        parts.push(range_values(&text[open + 1..close]).map_err(|message| {
            Diagnostic::new(CUT001, at(range.clone()), format!("host range `{}` {message}", &text[open..=close]))
                .with_primary_label("not a host range")
                .with_help("a host range is `[1:3]`, `[01:10]` (zero-padded), `[a:c]`, or with a step `[1:10:2]`")
        })?);
        rest = close + 1;
    }
    parts.push(vec![text[rest..].to_owned()]);
    let count = parts.iter().try_fold(1usize, |count, values| count.checked_mul(values.len()));
    match count {
        Some(count) if count <= *budget => *budget -= count,
        _ => {
            return Err(Diagnostic::new(
                CUT001,
                whole,
                format!("host pattern `{text}` stands for more than {MAX_EXPANDED_HOSTS} hosts with the others"),
            )
            .with_primary_label("too many hosts"));
        }
    }
    let mut names = vec![String::new()];
    for values in &parts {
        names = names.iter().flat_map(|head| values.iter().map(move |value| format!("{head}{value}"))).collect();
    }
    Ok(names.into_iter().map(|host| (host, whole)).collect())
}

/// The byte range of the host name in `pattern`, a `:port` after it left out: `app-1:2222`,
/// `db[1:3]:22` and `[fe80::1]:22` have ports; `fe80::1` (several colons, no brackets) has none.
fn without_port(pattern: &str) -> Range<usize> {
    let mut depth = 0usize;
    let mut colons = Vec::new();
    for (offset, character) in pattern.char_indices() {
        match character {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => colons.push(offset),
            _ => {}
        }
    }
    let mut name = 0..pattern.len();
    if let [colon] = colons[..] {
        let port = &pattern[colon + 1..];
        if !port.is_empty() && port.bytes().all(|byte| byte.is_ascii_digit()) {
            name = 0..colon;
        }
    }
    // A bracketed IPv6 address is an address, not a range.
    let inside = &pattern[name.clone()];
    if let Some(address) = inside.strip_prefix('[').and_then(|rest| rest.strip_suffix(']'))
        && address.matches(':').count() >= 2
        && address.bytes().all(|byte| byte.is_ascii_hexdigit() || matches!(byte, b':' | b'.'))
    {
        name = name.start + 1..name.end - 1;
    }
    name
}

/// The values of one range's inside, `1:3`, `01:10`, `a:c` or `1:10:2`, or what is wrong.
fn range_values(inside: &str) -> Result<Vec<String>, String> {
    const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let bounds: Vec<&str> = inside.split(':').collect();
    let (start, end, step) = match bounds[..] {
        [start, end] => (start, end, "1"),
        [start, end, step] => (start, end, step),
        _ => return Err("is not `[start:end]` or `[start:end:step]`".to_owned()),
    };
    let start = if start.is_empty() { "0" } else { start };
    if end.is_empty() {
        return Err("has no end".to_owned());
    }
    let step: usize = match step.parse() {
        Ok(0) | Err(_) => return Err(format!("has step `{step}`, which is not a whole number from 1")),
        Ok(step) => step,
    };
    let letter = |text: &str| if text.len() == 1 { LETTERS.find(text) } else { None };
    if let (Some(first), Some(last)) = (letter(start), letter(end)) {
        if first > last {
            return Err(format!("starts at `{start}`, after its end `{end}`"));
        }
        return Ok(LETTERS[first..=last].chars().step_by(step).map(String::from).collect());
    }
    let number = |text: &str| {
        if text.bytes().all(|byte| byte.is_ascii_digit()) { text.parse::<u64>().ok() } else { None }
    };
    let (Some(first), Some(last)) = (number(start), number(end)) else {
        return Err("needs two numbers or two letters".to_owned());
    };
    let width = if start.len() > 1 && start.starts_with('0') {
        if start.len() != end.len() {
            return Err("is zero-padded at its start but not to the same width at its end".to_owned());
        }
        start.len()
    } else {
        0
    };
    if first > last {
        return Err(format!("starts at {first}, after its end {last}"));
    }
    let count = (last - first) / step as u64 + 1;
    if count > MAX_EXPANDED_HOSTS as u64 {
        return Err(format!("holds more than {MAX_EXPANDED_HOSTS} values"));
    }
    Ok((0..count).map(|index| format!("{:0width$}", first + index * step as u64)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pattern: &str) -> Result<Vec<String>, String> {
        let mut budget = MAX_EXPANDED_HOSTS;
        expand(&Located::exact(FileId(0), pattern, 10), &mut budget)
            .map(|hosts| hosts.into_iter().map(|(name, _)| name).collect())
            .map_err(|diagnostic| diagnostic.message)
    }

    #[test]
    fn ranges_expand_as_ansible_documents() {
        assert_eq!(names("app-[1:3]").unwrap(), ["app-1", "app-2", "app-3"]);
        assert_eq!(
            names("db[01:03].example.com").unwrap(),
            ["db01.example.com", "db02.example.com", "db03.example.com"]
        );
        assert_eq!(names("node-[a:c]").unwrap(), ["node-a", "node-b", "node-c"]);
        assert_eq!(names("web[1:10:3]").unwrap(), ["web1", "web4", "web7", "web10"]);
        assert_eq!(names("r[:2]").unwrap(), ["r0", "r1", "r2"]);
        assert_eq!(names("x[y:B]").unwrap(), ["xy", "xz", "xA", "xB"]);
        assert_eq!(names("[1:2]-[a:b]").unwrap(), ["1-a", "1-b", "2-a", "2-b"]);
        assert_eq!(names("plain.example.com").unwrap(), ["plain.example.com"]);
    }

    #[test]
    fn ports_are_not_part_of_the_name() {
        assert_eq!(names("app-1:2222").unwrap(), ["app-1"]);
        assert_eq!(names("db[1:2]:22").unwrap(), ["db1", "db2"]);
        assert_eq!(names("[fe80::1]:22").unwrap(), ["fe80::1"]);
        assert_eq!(names("fe80::1").unwrap(), ["fe80::1"]);
    }

    #[test]
    fn bad_ranges_are_diagnostics_pointing_at_the_range() {
        for (pattern, message) in [
            ("app-[1:3", "never closes it"),
            ("app-[3:1]", "after its end"),
            ("app-[1]", "is not `[start:end]`"),
            ("app-[1:]", "has no end"),
            ("app-[01:100]", "same width"),
            ("app-[1:5:0]", "step `0`"),
            ("app-[1:z]", "two numbers or two letters"),
            ("app-[0:99999999999]", "more than"),
            ("a[0:999]b[0:999]", "more than"),
            ("app-1:", "ends with `:`"),
        ] {
            let error = names(pattern).expect_err(pattern);
            assert!(error.contains(message), "{pattern}: {error}");
        }
        let mut budget = MAX_EXPANDED_HOSTS;
        let diagnostic = expand(&Located::exact(FileId(0), "app-[3:1].x", 10), &mut budget).unwrap_err();
        assert_eq!((diagnostic.primary.span.start, diagnostic.primary.span.end), (14, 19));
    }

    #[test]
    fn located_text_maps_through_dropped_quotes() {
        // `a"b c"d` in the file at 100: the word is `ab cd`, its `d` at 106.
        let word = Located {
            text: "ab cd".to_owned(),
            runs: vec![(0, 100), (1, 102), (4, 106)],
            whole: Span::new(FileId(0), 100, 107),
        };
        assert_eq!(word.span(4..5), Span::new(FileId(0), 106, 107));
        assert_eq!(word.span(0..5), Span::new(FileId(0), 100, 107));
        let tail = word.slice(2..5);
        assert_eq!(tail.text, " cd");
        assert_eq!(tail.span(2..3), Span::new(FileId(0), 106, 107));
    }
}
