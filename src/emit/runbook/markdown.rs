//! Text into Markdown, one helper per place it can stand: running prose, an inline code span, a
//! table cell (prose or code) and a fenced block. Everything the runbook writes from the plan,
//! the manifest or a command goes through one of them, so that no plan text becomes markup or
//! HTML: a `<script>` in an irreversible reason is text, a `|` in a config value stays in its
//! cell, a backtick in a command cannot end its code span.

use std::fmt::Write as _;

/// Plan text in running prose, on one line. A backslash goes before each character that
/// Markdown or HTML would read as syntax there, and only those, so that ordinary text reads
/// the same in the source: `<` and `>` (HTML, autolinks), `&` before a name (entities), `*`,
/// `_` at a word's edge, `~` (emphasis), `` ` `` (code), `]` before `(` or `[` (a link; the
/// runbook defines no link references, so a bracket alone is text), `|` (table cells), `$`
/// (math on GitHub) and the backslash itself.
#[must_use]
pub fn prose(text: &str) -> String {
    let characters: Vec<char> = one_line(text).chars().collect();
    let mut out = String::with_capacity(text.len());
    for (at, &character) in characters.iter().enumerate() {
        let before = at.checked_sub(1).map(|before| characters[before]);
        let after = characters.get(at + 1).copied();
        let escape = match character {
            '\\' | '`' | '*' | '~' | '<' | '>' | '|' | '$' => true,
            ']' => matches!(after, Some('(' | '[')),
            // Inside a word (`dten_core`) an underscore is never emphasis.
            '_' => !(before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric)),
            '&' => after.is_some_and(|next| next.is_ascii_alphanumeric() || next == '#'),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(character);
    }
    out
}

/// An inline code span, on one line, delimited by a run of backticks longer than any in the
/// text (and padded with a space where the text starts or ends with one).
#[must_use]
pub fn code(text: &str) -> String {
    let text = one_line(text.trim());
    let fence = "`".repeat(longest_backtick_run(&text) + 1);
    if text.starts_with('`') || text.ends_with('`') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Plain text in a table cell: prose, whose escapes already keep `|` inside the cell.
#[must_use]
pub fn cell(text: &str) -> String {
    prose(text)
}

/// An inline code span in a table cell. GitHub splits a row at every `|` before it reads code
/// spans, so pipes in the code get a backslash, which it removes again inside the span.
#[must_use]
pub fn cell_code(text: &str) -> String {
    code(text).replace('|', "\\|")
}

/// A fenced code block, with a fence longer than any run of backticks in the text so that
/// nothing in it can close the block early.
pub fn fenced(out: &mut String, info: &str, text: &str) {
    let fence = "`".repeat(longest_backtick_run(text).max(2) + 1);
    let _ = writeln!(out, "{fence}{info}\n{}\n{fence}", text.trim_end_matches('\n'));
}

/// Line breaks and other control characters as spaces: prose and code spans are one line.
fn one_line(text: &str) -> String {
    text.chars().map(|character| if character.is_control() { ' ' } else { character }).collect()
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|character| character != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_keeps_plain_text_plain_and_markup_inert() {
        assert_eq!(prose("dten-core 4.2.0 on app-1, stop_core"), "dten-core 4.2.0 on app-1, stop_core");
        assert_eq!(prose("<script>alert(1)</script>"), "\\<script\\>alert(1)\\</script\\>");
        assert_eq!(
            prose("a | b & c &amp; *d* _e_ [f](g) [1, 10%] `h` $i$"),
            "a \\| b & c \\&amp; \\*d\\* \\_e\\_ [f\\](g) [1, 10%] \\`h\\` \\$i\\$"
        );
        assert_eq!(prose("two\nlines"), "two lines");
    }

    #[test]
    fn code_spans_survive_backticks_and_cells_survive_pipes() {
        assert_eq!(code("echo `id`"), "`` echo `id` ``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("a\nb"), "`a b`");
        assert_eq!(cell_code("a | b"), "`a \\| b`");
        let mut out = String::new();
        fenced(&mut out, "sh", "echo ```\n");
        assert_eq!(out, "````sh\necho ```\n````\n");
    }
}
