//! Writing values back: a DSL word or string, a YAML plain or double-quoted scalar. Whatever
//! the text, what is written reads back as exactly that text, on one line: every line break any
//! reader knows (`\n`, `\r`, U+0085, U+2028, U+2029) and every character YAML does not allow
//! in a file is an escape.

use std::fmt::Write as _;
/// Whether the grammar reads `text` as one bare word.
#[must_use]
pub fn is_bare(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "_./-@+%".contains(c))
}

/// A name or value as the DSL writes it: bare when it can be, quoted otherwise. A name spelled
/// like a keyword (`on`) needs no quotes: every place a name goes holds a name.
#[must_use]
pub fn dsl_word(text: &str) -> String {
    if is_bare(text) { text.to_owned() } else { dsl_string(text) }
}

/// A DSL string in double quotes.
#[must_use]
pub fn dsl_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for next in text.chars() {
        match next {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}') => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A YAML scalar: plain when YAML 1.2 reads it back as the same text, double-quoted otherwise.
#[must_use]
pub fn yaml_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_alphanumeric() || "_./-@+%".contains(c))
        && text.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '/')
        && !matches!(text, "null" | "Null" | "NULL" | "~");
    if plain { text.to_owned() } else { yaml_string(text) }
}

/// The longest implicit key YAML reads, in characters (YAML 1.2, 7.4.2). A key the DSL allows
/// may be longer; it is then written as an explicit key, behind `? `.
const LONGEST_IMPLICIT_KEY: usize = 1024;

/// A key of a flow mapping (`{ key: value }`) as [`yaml_scalar`] writes it, for the caller to
/// put `: value` after: `? key ` when it is too long to be an implicit key.
#[must_use]
pub fn yaml_flow_key(text: &str) -> String {
    let key = yaml_scalar(text);
    if key.chars().count() < LONGEST_IMPLICIT_KEY { key } else { format!("? {key} ") }
}

/// A key of a block mapping with its `:`, at `indent`, for a value on the lines after it:
/// `key:`, or `? key` and `:` on a line of its own when it is too long to be an implicit key.
#[must_use]
pub fn yaml_block_key(text: &str, indent: &str) -> String {
    let key = yaml_scalar(text);
    if key.chars().count() < LONGEST_IMPLICIT_KEY { format!("{key}:") } else { format!("? {key}\n{indent}:") }
}

/// A YAML double-quoted scalar.
#[must_use]
pub fn yaml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for next in text.chars() {
        match next {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control()
                || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}') =>
            {
                let code = u32::from(c);
                if code <= 0xffff {
                    let _ = write!(out, "\\u{code:04x}");
                } else {
                    let _ = write!(out, "\\U{code:08x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_strings() {
        assert_eq!(dsl_word("dten-core@4.2.0"), "dten-core@4.2.0");
        assert_eq!(dsl_word("on"), "on");
        assert_eq!(dsl_word("a b"), "\"a b\"");
        assert_eq!(dsl_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u{1}\"");
        assert_eq!(yaml_scalar("4.2.0"), "4.2.0");
        assert_eq!(yaml_scalar("-x"), "\"-x\"");
        assert_eq!(yaml_scalar("null"), "\"null\"");
        assert_eq!(yaml_scalar("http://x"), "\"http://x\"");
    }

    #[test]
    fn keys_too_long_for_yaml_are_explicit() {
        assert_eq!(yaml_flow_key("unit"), "unit");
        assert_eq!(yaml_block_key("unit", "  "), "unit:");
        let long = "k".repeat(LONGEST_IMPLICIT_KEY);
        assert_eq!(yaml_flow_key(&long), format!("? {long} "));
        assert_eq!(yaml_block_key(&long, "  "), format!("? {long}\n  :"));
    }
}
