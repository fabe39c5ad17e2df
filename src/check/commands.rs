//! The shell commands a plan hands to hosts, as text the rules can read: every command template,
//! argument and `notify` with where it is, and a small shell-word splitter that finds the
//! command word of each simple command (past assignments and wrappers such as `sudo`).
//!
//! Read by CUT036 (hard-coded credentials) and CUT037 (external endpoints), through
//! [`Context::command_texts`], which gathers and splits the texts once for both.

use std::borrow::Cow;
use std::ops::Range;

use crate::check::Context;
use crate::model::{Action, Commands, Spanned, Undo};
use crate::source::{SourceMap, Span};

/// A text the plan hands to a shell, or a value substituted into one, with where it is and its
/// shell words.
///
/// CUT036 and CUT037 look at the same texts.
pub(crate) struct CommandText<'m> {
    pub text: &'m Spanned<String>,
    /// Where it is, for messages: "the `run` command of step `dump`".
    pub place: Place<'m>,
    /// For arguments and parameter defaults: the parameter, whose name may say what the value is.
    pub parameter: Option<&'m str>,
    /// The text's simple commands, each a list of words ([`shell_commands`]).
    pub commands: Vec<Vec<Word<'m>>>,
}

impl<'m> CommandText<'m> {
    fn new(text: &'m Spanned<String>, place: Place<'m>, parameter: Option<&'m str>) -> Self {
        Self { text, place, parameter, commands: shell_commands(&text.value) }
    }
}

/// Where a command text is. It is written out only when a rule reports on the text: building
/// the sentence for every command of a large plan cost more than reading the commands.
#[derive(Clone, Copy)]
pub(crate) enum Place<'m> {
    /// "the `run` command of step `dump`".
    Command { name: &'static str, owner: Owner<'m> },
    /// "argument `url` of step `fetch`".
    Argument { name: &'m str, owner: Owner<'m> },
    /// "the default of parameter `url` of action `fetch`".
    Default { name: &'m str, owner: Owner<'m> },
    /// "the plan's `notify` command".
    Notify,
}

/// The step or action a command text belongs to.
#[derive(Clone, Copy)]
pub(crate) enum Owner<'m> {
    Step(&'m str),
    Action(&'m str),
}

impl std::fmt::Display for Place<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Command { name, owner } => write!(formatter, "the `{name}` command of {owner}"),
            Self::Argument { name, owner } => write!(formatter, "argument `{name}` of {owner}"),
            Self::Default { name, owner } => write!(formatter, "the default of parameter `{name}` of {owner}"),
            Self::Notify => formatter.write_str("the plan's `notify` command"),
        }
    }
}

impl std::fmt::Display for Owner<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Step(id) => write!(formatter, "step `{id}`"),
            Self::Action(name) => write!(formatter, "action `{name}`"),
        }
    }
}

/// Every command template of the plan's steps and of the actions the plan and its libraries
/// define (the prelude is ours and holds none of these), every argument and parameter
/// default, and `notify`, split into words. Rules read them through [`Context::command_texts`].
pub(crate) fn command_texts<'m>(context: &Context<'_, 'm>) -> Vec<CommandText<'m>> {
    let plan = context.inputs.plan;
    let mut texts = Vec::new();
    for step in plan.preflight.iter().chain(plan.steps.iter()) {
        let owner = Owner::Step(step.id.as_str());
        push_commands(&mut texts, &step.commands, owner);
        for argument in step.call.iter().flat_map(|call| call.arguments.iter()) {
            let place = Place::Argument { name: argument.name.as_str(), owner };
            texts.push(CommandText::new(&argument.value, place, Some(argument.name.as_str())));
        }
    }
    if let Some(notify) = &plan.notify {
        texts.push(CommandText::new(notify, Place::Notify, None));
    }
    let actions: Vec<&Action> =
        plan.actions.iter().chain(context.inputs.libraries.iter().flat_map(|library| library.actions.iter())).collect();
    for action in actions {
        let owner = Owner::Action(action.name.as_str());
        push_commands(&mut texts, &action.commands, owner);
        for param in &action.params {
            if let Some(default) = &param.default {
                let place = Place::Default { name: param.name.as_str(), owner };
                texts.push(CommandText::new(default, place, Some(param.name.as_str())));
            }
        }
    }
    texts
}

fn push_commands<'m>(texts: &mut Vec<CommandText<'m>>, commands: &'m Commands, owner: Owner<'m>) {
    let rollback = match &commands.undo {
        Some(Undo::Rollback(rollback)) => Some(rollback),
        _ => None,
    };
    let named = [("run", commands.run.as_ref()), ("rollback", rollback), ("verify", commands.verify.as_ref())];
    for (name, text) in named.into_iter().chain([("cleanup", commands.cleanup.as_ref())]) {
        if let Some(text) = text {
            texts.push(CommandText::new(text, Place::Command { name, owner }, None));
        }
    }
}

/// The span of bytes `range` of a value. Where the source holds that text verbatim (the same
/// number of times as the value does), the span is exactly those bytes; a text over several
/// lines is looked up by its first line, because block scalars drop their indentation.
/// Otherwise (escapes in a quoted scalar) it is the whole value's span.
pub(crate) fn sub_span(sources: &SourceMap, text: &Spanned<String>, range: Range<usize>) -> Span {
    let value = &text.value;
    let needle = value[range.clone()].split('\n').next().unwrap_or_default();
    if needle.is_empty() {
        return text.span;
    }
    let source = sources.slice(text.span);
    let before = value[..range.start].matches(needle).count();
    let in_source: Vec<usize> = source.match_indices(needle).map(|(offset, _)| offset).collect();
    match in_source.get(before) {
        Some(offset) if in_source.len() == value.matches(needle).count() => {
            let start = text.span.start as usize + offset;
            Span::new(text.span.file, start, start + needle.len())
        }
        _ => text.span,
    }
}

/// A word of a shell command: its bytes in the text (quotes included) and its text with the
/// quotes taken off (borrowed from the command when it has no quotes or escapes to take off,
/// as nearly all words have not).
pub(crate) struct Word<'t> {
    pub range: Range<usize>,
    pub text: Cow<'t, str>,
}

impl Word<'_> {
    /// The bytes of the word inside its outer quotes, when it is quoted as a whole.
    pub fn inner(&self, text: &str) -> Range<usize> {
        unquoted(text, self.range.clone())
    }

    /// The command name: the last part of a path (`/usr/bin/curl` is `curl`).
    pub fn basename(&self) -> &str {
        self.text.rsplit('/').next().unwrap_or_default()
    }
}

/// `range` without its outer quotes, when the text there is quoted as a whole.
pub(crate) fn unquoted(text: &str, range: Range<usize>) -> Range<usize> {
    let raw = &text[range.clone()];
    let quoted = raw.len() >= 2
        && ((raw.starts_with('"') && raw.ends_with('"')) || (raw.starts_with('\'') && raw.ends_with('\'')));
    if quoted { range.start + 1..range.end - 1 } else { range }
}

/// A word being read: where it starts, and its text once quotes or escapes made it differ from
/// the bytes it covers.
struct Pending {
    start: usize,
    owned: Option<String>,
}

impl Pending {
    /// From here on the word's text is not its bytes: keep a copy of what it was so far.
    fn own(&mut self, text: &str, offset: usize) -> &mut String {
        self.owned.get_or_insert_with(|| text[self.start..offset].to_owned())
    }

    fn finish(self, text: &str, end: usize) -> Word<'_> {
        let range = self.start..end;
        let text = match self.owned {
            Some(owned) => Cow::Owned(owned),
            None => Cow::Borrowed(&text[range.clone()]),
        };
        Word { range, text }
    }
}

/// Splits shell text into simple commands (at `;`, `|`, `&`, newlines, parentheses and
/// backticks outside quotes), each a list of words. Enough to find a command's arguments; not
/// a shell parser.
///
/// Every character it acts on is ASCII, so it reads bytes, and takes a run of bytes that only
/// extend the word (plain bytes outside quotes, anything but the closing quote or an escape
/// inside them) in one step: it runs on every command text of the plan, and nearly all of
/// their words are plain.
pub(crate) fn shell_commands(text: &str) -> Vec<Vec<Word<'_>>> {
    let bytes = text.as_bytes();
    let mut commands = Vec::new();
    let mut words: Vec<Word> = Vec::new();
    let mut current: Option<Pending> = None;
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    let start = |offset: usize| Pending { start: offset, owned: None };
    let mut offset = 0;
    while let Some(&byte) = bytes.get(offset) {
        let extends_the_word = |byte: u8| match quote {
            None => is_plain(byte),
            Some(open) => byte != open && !(open == b'"' && byte == b'\\'),
        };
        if !escaped && extends_the_word(byte) {
            let run = bytes[offset..].iter().position(|byte| !extends_the_word(*byte)).unwrap_or(bytes.len() - offset);
            let end = offset + run;
            if let Some(owned) = current.get_or_insert_with(|| start(offset)).owned.as_mut() {
                owned.push_str(&text[offset..end]);
            }
            offset = end;
            continue;
        }
        // A character: the bytes of one, when it is not ASCII.
        let end = offset + if byte.is_ascii() { 1 } else { byte.leading_ones() as usize };
        if escaped {
            escaped = false;
            current.get_or_insert_with(|| start(offset)).own(text, offset).push_str(&text[offset..end]);
        } else if quote.is_some() {
            // The closing quote or, inside double quotes, a backslash.
            if byte == b'\\' {
                escaped = true;
                current.get_or_insert_with(|| start(offset)).own(text, offset);
            } else {
                quote = None;
                if let Some(pending) = &mut current {
                    pending.own(text, offset);
                }
            }
        } else if byte == b'\\' {
            escaped = true;
            current.get_or_insert_with(|| start(offset)).own(text, offset);
        } else if matches!(byte, b'\'' | b'"') {
            quote = Some(byte);
            current.get_or_insert_with(|| start(offset)).own(text, offset);
        } else if byte.is_ascii() || text[offset..end].chars().all(char::is_whitespace) {
            // Whitespace or an operator.
            if let Some(pending) = current.take() {
                words.push(pending.finish(text, offset));
            }
            if !matches!(byte, b' ' | b'\t') && !words.is_empty() {
                commands.push(std::mem::take(&mut words));
            }
        } else if let Some(owned) = current.get_or_insert_with(|| start(offset)).owned.as_mut() {
            owned.push_str(&text[offset..end]);
        }
        offset = end;
    }
    if let Some(pending) = current.take() {
        words.push(pending.finish(text, text.len()));
    }
    if !words.is_empty() {
        commands.push(words);
    }
    commands
}

/// Whether a byte outside quotes only extends the word it is in: ASCII, and not whitespace
/// (`char::is_whitespace`: space, tab, newline, vertical tab, form feed, return), an operator,
/// a quote or a backslash. Other characters are looked at whole.
fn is_plain(byte: u8) -> bool {
    byte.is_ascii()
        && !matches!(
            byte,
            b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b';' | b'|' | b'&' | b'(' | b')' | b'`' | b'\'' | b'"' | b'\\'
        )
}

/// The index of the word that names the command, past variable assignments and wrappers such
/// as `sudo -u postgres`, `timeout 30`, `runuser -u postgres --`, `env`, `nice -n 10`.
pub(crate) fn command_index(words: &[Word]) -> Option<usize> {
    const WRAPPERS: &[&str] =
        &["sudo", "runuser", "env", "exec", "command", "nohup", "nice", "time", "timeout", "xargs"];
    const WRAPPER_OPTIONS_WITH_VALUE: &[&str] = &["-u", "-g", "-n", "-s", "-k", "-C", "--user", "--group"];
    let mut index = 0;
    while let Some(word) = words.get(index) {
        let is_assignment = word.text.split_once('=').is_some_and(|(name, _)| {
            name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if is_assignment {
            index += 1;
            continue;
        }
        if !WRAPPERS.contains(&word.basename()) {
            return Some(index);
        }
        let wrapper = word.basename();
        index += 1;
        while let Some(option) = words.get(index).filter(|option| option.text.starts_with('-')) {
            index += if WRAPPER_OPTIONS_WITH_VALUE.contains(&option.text.as_ref()) { 2 } else { 1 };
        }
        // `timeout 30 cmd`: the duration comes before the command.
        if wrapper == "timeout" {
            index += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Vec<(String, &str, bool)>> {
        shell_commands(text)
            .into_iter()
            .map(|command| {
                command
                    .into_iter()
                    .map(|word| {
                        let borrowed = matches!(word.text, Cow::Borrowed(_));
                        (word.text.into_owned(), &text[word.range], borrowed)
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn words_lose_their_quotes_and_escapes_and_borrow_when_they_have_none() {
        let text = r#"FOO=1 sudo -u pg "a b"c 'd'\ e\"f; curl -fsS https://x/y|tee "$(id)" x\"#;
        let commands = words(text);
        let texts: Vec<Vec<&str>> =
            commands.iter().map(|command| command.iter().map(|(text, _, _)| text.as_str()).collect()).collect();
        assert_eq!(
            texts,
            [
                vec!["FOO=1", "sudo", "-u", "pg", "a bc", "d e\"f"],
                vec!["curl", "-fsS", "https://x/y"],
                vec!["tee", "$(id)", "x"]
            ]
        );
        let (_, raw, borrowed) = &commands[0][4];
        assert_eq!((*raw, *borrowed), ("\"a b\"c", false));
        assert_eq!(commands[0][5].1, r#"'d'\ e\"f"#);
        assert!(commands[1].iter().all(|(_, _, borrowed)| *borrowed), "plain words are borrowed");
        let index = command_index(&shell_commands(text)[0]);
        assert_eq!(index, Some(4), "past the assignment and `sudo -u pg`");
    }

    #[test]
    fn unicode_whitespace_splits_and_other_characters_stay_whole() {
        let text = "echo\u{a0}é'ü x'\\ñ \"a\\é\"\u{3000}b\u{2028}c";
        let texts: Vec<Vec<String>> =
            words(text).into_iter().map(|command| command.into_iter().map(|(text, _, _)| text).collect()).collect();
        // Whitespace other than a space or a tab ends the command too, as a newline does.
        assert_eq!(texts, [vec!["echo"], vec!["éü xñ", "aé"], vec!["b"], vec!["c"]]);
    }

    /// The splitter as it was first written, one `char` at a time, with the rules spelled out as
    /// a `match`: the byte-wise one must split every text the same way.
    fn one_character_at_a_time(text: &str) -> Vec<Vec<(Range<usize>, String)>> {
        let mut commands = Vec::new();
        let mut words = Vec::new();
        let mut current: Option<(usize, String)> = None;
        let mut quote: Option<char> = None;
        let mut escaped = false;
        for (offset, character) in text.char_indices() {
            if escaped {
                escaped = false;
                current.get_or_insert_with(|| (offset, String::new())).1.push(character);
                continue;
            }
            match (quote, character) {
                (Some(open), _) if character == open => quote = None,
                (Some('"') | None, '\\') => {
                    escaped = true;
                    current.get_or_insert_with(|| (offset, String::new()));
                }
                (Some(_), _) => current.get_or_insert_with(|| (offset, String::new())).1.push(character),
                (None, '\'' | '"') => {
                    quote = Some(character);
                    current.get_or_insert_with(|| (offset, String::new()));
                }
                (None, _) if character.is_whitespace() || ";|&()`".contains(character) => {
                    if let Some((start, word)) = current.take() {
                        words.push((start..offset, word));
                    }
                    if !matches!(character, ' ' | '\t') && !words.is_empty() {
                        commands.push(std::mem::take(&mut words));
                    }
                }
                (None, _) => current.get_or_insert_with(|| (offset, String::new())).1.push(character),
            }
        }
        if let Some((start, word)) = current.take() {
            words.push((start..text.len(), word));
        }
        if !words.is_empty() {
            commands.push(words);
        }
        commands
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        /// Texts made of the characters the splitter acts on, plain ones, and characters of two
        /// to four bytes, whitespace among them.
        #[test]
        fn bytes_split_as_characters_do(
            text in proptest::string::string_regex("[a-z0-9=/ \t\n\r;|&()`'\"\\\\$é€𝄞\u{a0}\u{85}\u{2028}\u{3000}\u{b}\u{c}\u{1c}]{0,40}").unwrap()
        ) {
            let split: Vec<Vec<(Range<usize>, String)>> = shell_commands(&text)
                .into_iter()
                .map(|command| command.into_iter().map(|word| (word.range, word.text.into_owned())).collect())
                .collect();
            proptest::prop_assert_eq!(split, one_character_at_a_time(&text), "{:?}", text);
        }
    }
}
