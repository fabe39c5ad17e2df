//! Command templates: `{name}` and `{name.field}` placeholders, `{{` and `}}` for literal braces.
//!
//! Every substituted value is quoted for the place it stands in (`shell`): outside quotes it is
//! one single-quoted word, inside double quotes it is escaped for them; where no quoting can
//! hold (single quotes, comments, `bash -c "…"`, …) the template is refused. No value can leave
//! its word, whatever it holds.

pub mod shell;

use std::fmt::Write as _;

pub use shell::Quoting;

/// A parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Literal(String),
    /// `{name}` or `{name.field}`; `offset` is the byte offset of `{` in the template text.
    Placeholder {
        name: String,
        field: Option<String>,
        offset: usize,
        length: usize,
        /// How the shell text around it makes the value be quoted.
        quoting: Quoting,
    },
}

/// A template that could not be parsed: an unclosed or empty placeholder at `offset`, or one
/// that stands where its value could not be quoted.
#[derive(Debug, PartialEq, Eq)]
pub struct TemplateError {
    pub offset: usize,
    pub length: usize,
    pub message: String,
    pub help: Option<String>,
}

impl Template {
    /// Parses template text.
    ///
    /// # Errors
    /// An unclosed `{`, an empty `{}`, a placeholder that is not a name, or one that stands
    /// where no quoting keeps its value from being read as code.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        if let Some(offset) = text.find('\0') {
            return Err(TemplateError {
                offset,
                length: 1,
                message: "the command holds a NUL byte, which bash cannot read".to_owned(),
                help: Some("remove the `\\0`: bash would drop it and run another command than the plan's".to_owned()),
            });
        }
        let mut template = Self::parse_parts(text)?;
        template.classify(text.len())?;
        Ok(template)
    }

    /// Gives every placeholder its quoting from the shell text around it, and checks that the
    /// command ends where its text does; `length` is the template text's.
    fn classify(&mut self, length: usize) -> Result<(), TemplateError> {
        let mut tokens = Vec::new();
        let mut names = Vec::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => tokens.extend(text.chars().map(shell::Token::Char)),
                Part::Placeholder { name, .. } => {
                    tokens.push(shell::Token::Hole);
                    names.push(name.as_str());
                }
            }
        }
        let quotings = shell::classify(&tokens, &names).map_err(|refused| match refused {
            shell::Refused::Misplaced(misplaced) => {
                let (offset, length) = self
                    .placeholders()
                    .nth(misplaced.placeholder)
                    .map_or((0, 0), |(_, _, offset, length)| (offset, length));
                TemplateError { offset, length, message: misplaced.message, help: Some(misplaced.help) }
            }
            // The whole command: what is open may have been opened anywhere in it.
            shell::Refused::Unended { message, help } => TemplateError { offset: 0, length, message, help: Some(help) },
        })?;
        let placeholders = self.parts.iter_mut().filter_map(|part| match part {
            Part::Placeholder { quoting, .. } => Some(quoting),
            Part::Literal(_) => None,
        });
        for (slot, quoting) in placeholders.zip(quotings) {
            *slot = quoting;
        }
        Ok(())
    }

    fn parse_parts(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(index) = rest.find(['{', '}']) {
            literal.push_str(&rest[..index]);
            let brace = rest.as_bytes()[index];
            let after = &rest[index + 1..];
            if after.as_bytes().first() == Some(&brace) {
                literal.push(brace as char);
                rest = &after[1..];
                offset += index + 2;
                continue;
            }
            if brace == b'}' {
                // A lone `}` is only a brace: shell code is full of them.
                literal.push('}');
                rest = after;
                offset += index + 1;
                continue;
            }
            let start = offset + index;
            let Some(close) = after.find('}') else {
                return Err(TemplateError {
                    offset: start,
                    length: 1,
                    message: "`{` opens a placeholder that is never closed (write `{{` for a literal brace)".to_owned(),
                    help: None,
                });
            };
            let inner = &after[..close];
            let (name, field) = match inner.split_once('.') {
                Some((name, field)) => (name.trim(), Some(field.trim().to_owned())),
                None => (inner.trim(), None),
            };
            if !is_name(name) || field.as_deref().is_some_and(|field| !is_name(field)) {
                return Err(TemplateError {
                    offset: start,
                    length: close + 2,
                    message: format!(
                        "`{{{inner}}}` is not a placeholder like `{{name}}` or `{{name.field}}` (write `{{{{` for a literal brace)"
                    ),
                    help: None,
                });
            }
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            parts.push(Part::Placeholder {
                name: name.to_owned(),
                field,
                offset: start,
                length: close + 2,
                quoting: Quoting::Bare,
            });
            rest = &after[close + 1..];
            offset = start + close + 2;
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Self { parts })
    }

    pub fn placeholders(&self) -> impl Iterator<Item = (&str, Option<&str>, usize, usize)> {
        self.parts.iter().filter_map(|part| match part {
            Part::Placeholder { name, field, offset, length, .. } => {
                Some((name.as_str(), field.as_deref(), *offset, *length))
            }
            Part::Literal(_) => None,
        })
    }

    /// Renders the template, quoting every substituted value.
    pub fn render(&self, mut value_of: impl FnMut(&str, Option<&str>) -> String) -> String {
        // Room for the literals and the quotes around each value, most of the command: lowering
        // renders every command for every host, and growing the string piece by piece was a
        // quarter of the rendering.
        let mut out = String::with_capacity(
            self.parts.iter().map(|part| if let Part::Literal(text) = part { text.len() } else { 2 }).sum(),
        );
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Placeholder { name, field, quoting: Quoting::Bare, .. } => {
                    push_quoted(&mut out, &value_of(name, field.as_deref()));
                }
                Part::Placeholder { name, field, quoting: Quoting::Double, .. } => {
                    push_double_quoted(&mut out, &value_of(name, field.as_deref()));
                }
            }
        }
        out
    }
}

fn is_name(text: &str) -> bool {
    let mut characters = text.chars();
    characters.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Quotes a value as one bash word: `'…'`, with each `'` written `'\''`. Every byte but NUL
/// (which bash cannot carry and the checker refuses) survives unchanged.
#[must_use]
pub fn quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    push_quoted(&mut quoted, value);
    quoted
}

/// Appends `value` quoted as [`quote`] does, a run between two `'` at a time.
fn push_quoted(out: &mut String, value: &str) {
    out.push('\'');
    let mut runs = value.split('\'');
    out.push_str(runs.next().unwrap_or_default());
    for run in runs {
        out.push_str("'\\''");
        out.push_str(run);
    }
    out.push('\'');
}

/// Appends `value` for a place inside double quotes: `\`, `$`, `` ` `` and `"` escaped, the
/// only characters that keep a meaning there (history expansion is off in scripts).
fn push_double_quoted(out: &mut String, value: &str) {
    for character in value.chars() {
        if matches!(character, '\\' | '$' | '`' | '"') {
            out.push('\\');
        }
        out.push(character);
    }
}

/// Writes a template back in its source form, for messages.
#[must_use]
pub fn describe(template: &Template) -> String {
    let mut out = String::new();
    for part in &template.parts {
        match part {
            Part::Literal(text) => out.push_str(&text.replace('{', "{{").replace('}', "}}")),
            Part::Placeholder { name, field: Some(field), .. } => {
                let _ = write!(out, "{{{name}.{field}}}");
            }
            Part::Placeholder { name, field: None, .. } => {
                let _ = write!(out, "{{{name}}}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_placeholders_and_escaped_braces() {
        let template = Template::parse("install {target.component} ${{HOME}} {{x}} {unit}").unwrap();
        let names: Vec<_> = template.placeholders().map(|(name, field, ..)| (name, field)).collect();
        assert_eq!(names, [("target", Some("component")), ("unit", None)]);
        let rendered = template.render(|name, _| if name == "unit" { "it's".to_owned() } else { "core".to_owned() });
        assert_eq!(rendered, "install 'core' ${HOME} {x} 'it'\\''s'");
        assert_eq!(describe(&template), "install {target.component} ${{HOME}} {{x}} {unit}");
    }

    #[test]
    fn reports_unclosed_and_malformed_placeholders() {
        assert_eq!(Template::parse("echo {oops").unwrap_err().offset, 5);
        assert!(Template::parse("echo {}").is_err());
        assert!(Template::parse("awk '{print $1}'").is_err());
        assert!(Template::parse("awk '{{print $1}}'").is_ok());
        assert_eq!(Template::parse("a } b").unwrap().parts, [Part::Literal("a } b".to_owned())]);
    }

    /// bash drops a NUL byte from the script it reads: the command would not be the plan's.
    #[test]
    fn a_nul_byte_in_a_command_is_refused() {
        let error = Template::parse("echo a\0b").unwrap_err();
        assert_eq!((error.offset, error.length), (6, 1));
        assert!(error.message.contains("NUL"), "{}", error.message);
    }

    /// What is left open is pointed at as the whole command.
    #[test]
    fn a_command_left_open_is_refused_whole() {
        let error = Template::parse("echo 'it {x}").unwrap_err();
        assert!(error.message.contains("single quotes"), "a misplaced placeholder comes first: {}", error.message);
        let error = Template::parse("echo 'it").unwrap_err();
        assert_eq!((error.offset, error.length), (0, 8));
        assert!(error.message.contains("single-quoted string"), "{}", error.message);
    }

    #[test]
    fn quoting_is_one_word() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("'; touch pwned; '"), "''\\''; touch pwned; '\\'''");
    }
}
