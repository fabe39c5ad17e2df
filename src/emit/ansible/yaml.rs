//! YAML text for the playbook: scalars that read back exactly as written, that Ansible never
//! evaluates as Jinja, and that wrap to stay within ansible-lint's line length.

/// Lines are wrapped before this width (ansible-lint's yamllint default allows 160).
const WIDTH: usize = 120;

/// A plan value as a YAML scalar: double-quoted, and tagged `!unsafe` when it holds a brace,
/// so that Ansible never renders it as a template.
pub fn value(text: &str, indent: usize) -> String {
    if text.contains(['{', '}']) { unsafe_value(text, indent) } else { quoted(text, indent, "") }
}

/// A command: always `!unsafe`, whatever it holds, so reviewers see at a glance that nothing in
/// it is a template.
pub fn unsafe_value(text: &str, indent: usize) -> String {
    format!("!unsafe {}", quoted(text, indent, "!unsafe "))
}

/// A double-quoted scalar. A newline is written `\n` and continues on the next line (an
/// escaped line break, which YAML drops); long lines break the same way. Continuation lines
/// are indented by `indent + 2` spaces; a space or tab that starts one is escaped, because
/// YAML discards unescaped leading white space there.
///
/// One pass over the text: the length of the word after each character is counted once,
/// from the end, since a long run without spaces (a key, a blob) made a look-ahead at every
/// character quadratic.
fn quoted(text: &str, indent: usize, prefix: &str) -> String {
    let continuation = " ".repeat(indent + 2);
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut column = indent + prefix.len() + 1;
    let characters: Vec<char> = text.chars().collect();
    // `word_from[position]`: how many characters from `position` on before a space or newline.
    let mut word_from = vec![0usize; characters.len() + 1];
    for position in (0..characters.len()).rev() {
        word_from[position] = if matches!(characters[position], ' ' | '\n') { 0 } else { word_from[position + 1] + 1 };
    }
    let mut at_line_start = false;
    for (position, &character) in characters.iter().enumerate() {
        let escaped = if at_line_start && matches!(character, ' ' | '\t') {
            if character == ' ' { "\\ ".to_owned() } else { "\\t".to_owned() }
        } else {
            escape(character)
        };
        out.push_str(&escaped);
        column += escaped.chars().count();
        at_line_start = false;
        let last = position + 1 == characters.len();
        let break_after_newline = character == '\n' && !last;
        // Prefer a break after a space, before the word that would cross the width; a word
        // longer than the line is broken anywhere (an escaped line break may fall mid-word).
        let next_word = word_from[position + 1];
        let break_long_line =
            !last && ((character == ' ' && column + next_word > WIDTH) || column >= WIDTH + WIDTH / 4);
        if break_after_newline || break_long_line {
            out.push_str("\\\n");
            out.push_str(&continuation);
            column = continuation.len();
            at_line_start = true;
        }
    }
    out.push('"');
    out
}

/// Our own Jinja text (never a plan value) as the value of a key at `key_column`: one quoted
/// line when it fits, otherwise a folded block (`>-`) broken at single spaces, which folding
/// turns back into exactly those spaces.
pub fn expression(text: &str, key_column: usize) -> String {
    if key_column + text.len() < 110 {
        return format!("\"{}\"", text.chars().map(escape).collect::<String>());
    }
    let pad = " ".repeat(key_column + 2);
    let mut out = String::from(">-");
    let mut line = String::new();
    let words: Vec<&str> = text.split(' ').collect();
    for (position, word) in words.iter().enumerate() {
        // A break is only safe between two non-empty words: a run of spaces stays on its line.
        let breakable = !line.is_empty()
            && !word.is_empty()
            && !line.ends_with(' ')
            && line.len() + word.len() + 1 > 100
            && words.get(position.wrapping_sub(1)).is_some_and(|previous| !previous.is_empty());
        if breakable {
            out.push('\n');
            out.push_str(&pad);
            out.push_str(&line);
            line.clear();
        } else if position > 0 {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push('\n');
    out.push_str(&pad);
    out.push_str(&line);
    out
}

fn escape(character: char) -> String {
    match character {
        '"' => "\\\"".to_owned(),
        '\\' => "\\\\".to_owned(),
        '\n' => "\\n".to_owned(),
        '\t' => "\\t".to_owned(),
        '\r' => "\\r".to_owned(),
        // YAML 1.1 readers (Ansible's PyYAML) take these for line breaks, even in a scalar.
        '\u{85}' => "\\N".to_owned(),
        '\u{2028}' => "\\L".to_owned(),
        '\u{2029}' => "\\P".to_owned(),
        character if character.is_control() => format!("\\u{:04x}", u32::from(character)),
        character => character.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_make_a_value_unsafe() {
        assert_eq!(value("app-1", 4), "\"app-1\"");
        assert_eq!(value("{{ x }}", 4), "!unsafe \"{{ x }}\"");
    }

    #[test]
    fn newlines_and_leading_spaces_survive_continuation() {
        assert_eq!(quoted("a\n  b", 0, ""), "\"a\\n\\\n  \\  b\"");
        assert_eq!(quoted("say \"hi\" \\ now", 0, ""), "\"say \\\"hi\\\" \\\\ now\"");
    }

    #[test]
    fn long_expressions_fold_at_single_spaces() {
        let text = format!("{{{{ {} }}}}", ["a and b"; 30].join(" and "));
        let folded = expression(&text, 4);
        assert!(folded.starts_with(">-\n"));
        let unfolded: Vec<&str> = folded.lines().skip(1).map(str::trim_start).collect();
        assert_eq!(unfolded.join(" "), text);
        assert_eq!(expression("x | length > 0", 4), "\"x | length > 0\"");
    }

    /// `quoted` as it was before it was made linear: it looked ahead for the next word and
    /// searched the output for a line start at every character.
    fn quoted_as_it_was(text: &str, indent: usize, prefix: &str) -> String {
        let continuation = " ".repeat(indent + 2);
        let mut out = String::from("\"");
        let mut column = indent + prefix.len() + 1;
        let characters: Vec<char> = text.chars().collect();
        for (position, &character) in characters.iter().enumerate() {
            let escaped = escape(character);
            let at_line_start = out.ends_with(&format!("\\\n{continuation}"));
            let escaped = if at_line_start && matches!(character, ' ' | '\t') {
                if character == ' ' { "\\ ".to_owned() } else { "\\t".to_owned() }
            } else {
                escaped
            };
            out.push_str(&escaped);
            column += escaped.chars().count();
            let last = position + 1 == characters.len();
            let break_after_newline = character == '\n' && !last;
            let next_word = characters[position + 1..].iter().take_while(|next| !matches!(next, ' ' | '\n')).count();
            let break_long_line =
                !last && ((character == ' ' && column + next_word > WIDTH) || column >= WIDTH + WIDTH / 4);
            if break_after_newline || break_long_line {
                out.push_str("\\\n");
                out.push_str(&continuation);
                column = continuation.len();
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn quoting_is_what_it_was_on_random_text() {
        // Spaces, tabs and newlines where breaks and escapes meet, long words, quotes,
        // backslashes, control and wide characters.
        const ALPHABET: &[char] = &[' ', ' ', ' ', '\n', '\t', '"', '\\', 'a', 'b', 'é', '\u{1}', '{', '漢'];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..2_000 {
            let length = (next() % 400) as usize;
            // Every fourth text is mostly one long word, the case that used to be quadratic.
            let text: String = (0..length)
                .map(|_| {
                    let pick = next() as usize;
                    if case % 4 == 0 && !pick.is_multiple_of(50) { 'x' } else { ALPHABET[pick % ALPHABET.len()] }
                })
                .collect();
            let indent = (next() % 12) as usize;
            let prefix = if case % 2 == 0 { "" } else { "!unsafe " };
            assert_eq!(quoted(&text, indent, prefix), quoted_as_it_was(&text, indent, prefix), "{text:?}");
        }
    }

    #[test]
    fn long_lines_break_after_a_space() {
        let long = "word ".repeat(40);
        let wrapped = quoted(long.trim_end(), 4, "");
        assert!(wrapped.lines().all(|line| line.chars().count() <= WIDTH + 8), "{wrapped}");
        assert!(wrapped.lines().count() > 1);
    }
}
