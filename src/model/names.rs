//! The grammar of names: plans, steps, actions, parameters, groups and hosts.
//!
//! Names travel into places where text can become code: `#` comment lines of the script, YAML
//! keys and comments of the playbook, ssh's argument list, Markdown headings. A name is
//! therefore an identifier, never free text: it starts with a letter or a digit (so it can
//! never be read as an option, `-oProxyCommand=…`) and holds only letters, digits, `.`, `_`
//! and `-`; host names may also hold `@` and `:` (`deploy@app-1`, `fe80::1`), which ssh reads
//! as a user and an address. No name can hold white space, a quote, a line break or a control
//! character. docs/decisions.md gives the grammar to users.

use crate::codes::CUT001;
use crate::diagnostic::Diagnostic;
use crate::model::Spanned;

/// What a name names; each kind has its grammar and its word in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Plan,
    Step,
    Action,
    /// A parameter of an action: what a template names with `{name}`.
    Parameter,
    Group,
    Host,
}

impl NameKind {
    /// The noun with its article, for "a step id is …".
    fn with_article(self) -> &'static str {
        match self {
            Self::Action => "an action name",
            Self::Plan => "a plan name",
            Self::Step => "a step id",
            Self::Parameter => "a parameter name",
            Self::Group => "a group name",
            Self::Host => "a host name",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Self::Plan => "plan name",
            Self::Step => "step id",
            Self::Action => "action name",
            Self::Parameter => "parameter name",
            Self::Group => "group name",
            Self::Host => "host name",
        }
    }

    fn allows(self, character: char) -> bool {
        match self {
            Self::Parameter => character.is_ascii_alphanumeric() || matches!(character, '_' | '-'),
            Self::Host => character.is_ascii_alphanumeric() || matches!(character, '.' | '_' | '-' | '@' | ':'),
            Self::Plan | Self::Step | Self::Action | Self::Group => {
                character.is_ascii_alphanumeric() || matches!(character, '.' | '_' | '-')
            }
        }
    }

    fn allows_first(self, character: char) -> bool {
        match self {
            // Templates write parameters as `{name}`, whose grammar starts with a letter or `_`.
            Self::Parameter => character.is_ascii_alphabetic() || character == '_',
            _ => character.is_ascii_alphanumeric(),
        }
    }

    fn grammar(self) -> &'static str {
        match self {
            Self::Parameter => "a letter or `_`, then letters, digits, `_` and `-`",
            Self::Host => "a letter or digit, then letters, digits, `.`, `_`, `-`, `@` and `:`",
            _ => "a letter or digit, then letters, digits, `.`, `_` and `-`",
        }
    }
}

/// True when `text` is a valid name of this kind.
#[must_use]
pub fn is_valid(kind: NameKind, text: &str) -> bool {
    let mut characters = text.chars();
    characters.next().is_some_and(|first| kind.allows_first(first)) && characters.all(|c| kind.allows(c))
}

/// CUT001 at a name that does not follow its grammar, naming the first character that breaks it.
#[must_use]
pub fn check(kind: NameKind, name: &Spanned<String>) -> Option<Diagnostic> {
    if is_valid(kind, &name.value) {
        return None;
    }
    let noun = kind.noun();
    let found = name.value.chars().enumerate().find(|&(position, character)| {
        if position == 0 { !kind.allows_first(character) } else { !kind.allows(character) }
    });
    let (message, label) = match found {
        None => (format!("{} cannot be empty", kind.with_article()), "empty".to_owned()),
        Some((0, '-')) => (
            format!("{noun} `{}` starts with `-`", shown(&name.value)),
            "a program would read it as an option".to_owned(),
        ),
        Some((_, character)) => (
            format!("{noun} `{}` holds {}", shown(&name.value), describe(character)),
            format!("not allowed in {}", kind.with_article()),
        ),
    };
    Some(Diagnostic::new(CUT001, name.span, message).with_primary_label(label).with_help(format!(
        "{} is {}",
        kind.with_article(),
        kind.grammar()
    )))
}

/// The name for a message, with line breaks and control characters written as escapes so the
/// message stays on its line.
fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        if out.chars().count() >= 40 {
            out.push('…');
            break;
        }
        if character.is_control() || matches!(character, '\u{2028}' | '\u{2029}') {
            out.extend(character.escape_default());
        } else {
            out.push(character);
        }
    }
    out
}

fn describe(character: char) -> String {
    match character {
        '\n' => "a line break".to_owned(),
        '\r' => "a carriage return".to_owned(),
        '\t' => "a tab".to_owned(),
        ' ' => "a space".to_owned(),
        character if character.is_control() || character.is_whitespace() => {
            format!("the character U+{:04X}", u32::from(character))
        }
        character => format!("`{character}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_identifiers() {
        for good in ["dten-4.2", "stop-agent", "0042_split", "service.stop", "A1"] {
            assert!(is_valid(NameKind::Step, good), "{good}");
        }
        for bad in ["", "-x", ".x", "a b", "a\nb", "a\rb", "a;b", "a'b", "a\"b", "a$b", "a{b", "é", "a\u{2028}b"] {
            assert!(!is_valid(NameKind::Step, bad), "{bad:?}");
            assert!(!is_valid(NameKind::Host, bad), "{bad:?}");
        }
        assert!(is_valid(NameKind::Host, "deploy@app-1"));
        assert!(is_valid(NameKind::Host, "fe80::1"));
        assert!(!is_valid(NameKind::Host, "-oProxyCommand=touch"));
        assert!(!is_valid(NameKind::Group, "db@x"));
        assert!(is_valid(NameKind::Parameter, "lock_timeout"));
        assert!(!is_valid(NameKind::Parameter, "0x"));
        assert!(!is_valid(NameKind::Parameter, "a.b"));
    }

    #[test]
    fn the_message_names_what_breaks_the_grammar() {
        let span = crate::source::Span::new(crate::source::FileId(0), 0, 1);
        let name = |text: &str| Spanned::new(text.to_owned(), span);
        let diagnostic = check(NameKind::Plan, &name("p\ntouch /tmp/x\n")).expect("refused");
        assert_eq!(diagnostic.message, "plan name `p\\ntouch /tmp/x\\n` holds a line break");
        let diagnostic = check(NameKind::Host, &name("-oProxyCommand=x")).expect("refused");
        assert_eq!(diagnostic.message, "host name `-oProxyCommand=x` starts with `-`");
        assert_eq!(check(NameKind::Step, &name("")).expect("refused").message, "a step id cannot be empty");
        assert!(check(NameKind::Step, &name("ok")).is_none());
    }
}
