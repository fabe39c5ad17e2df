//! Ansible's INI inventory format, read line by line as Ansible's `ini` plugin reads it:
//! `[group]` sections of host lines (a host pattern, then `key=value` variables split as a
//! POSIX shell splits words), `[group:children]` sections of group names, `[group:vars]`
//! sections of `key=value` lines, and comments from `#` or `;`. Hosts before the first
//! section are in `ungrouped`. A variable's value is what Ansible's `ast.literal_eval` would
//! make of it; cutover reads only `cutover_installed` (a dict literal, read with the YAML
//! reader, which reads Python and JSON dicts of strings and numbers) and
//! `ansible_group_priority`.

use crate::codes::CUT001;
use crate::diagnostic::Diagnostic;
use crate::model::Spanned;
use crate::source::{FileId, Span};
use crate::syntax::reader::Reader;
use crate::syntax::yaml::{self, Node, NodeKind};

use super::ansible::{Declared, INSTALLED_VARIABLE, Installed, read_installed};
use super::pattern::{self, Located};

#[derive(Clone, Copy, PartialEq)]
enum Section {
    Hosts,
    Children,
    Vars,
    /// After a bad header: its lines are skipped, as they belong to no section.
    Skip,
}

/// Reads INI text into what it declares.
pub fn read(file: FileId, text: &str, diagnostics: &mut Vec<Diagnostic>) -> Declared {
    let mut declared = Declared::new(file);
    let ungrouped = Spanned::new("ungrouped".to_owned(), Span::new(file, 0, 0));
    let mut group = declared.group_for_vars(&ungrouped, diagnostics);
    let mut section = Section::Hosts;
    let mut children: Vec<(usize, Spanned<String>)> = Vec::new();
    let mut vars_sections: Vec<Spanned<String>> = Vec::new();
    let mut line_start = 0;
    for raw in text.split_inclusive('\n') {
        let start = line_start;
        line_start += raw.len();
        let content = raw.trim_end_matches(['\n', '\r']);
        let indent = content.len() - content.trim_start().len();
        let line = content.trim();
        let at = start + indent;
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        let error =
            |start: usize, end: usize, message: String| Diagnostic::new(CUT001, Span::new(file, start, end), message);
        if let Some(started) = section_start(file, line, at, diagnostics) {
            section = match started {
                (Section::Skip, _) => Section::Skip,
                (Section::Vars, name) => {
                    // `[g:vars]` does not declare `g`; it must be declared somewhere.
                    group = declared.group_for_vars(&name, diagnostics);
                    vars_sections.push(name);
                    Section::Vars
                }
                (section, name) => {
                    group = declared.group(&name, diagnostics);
                    section
                }
            };
            continue;
        }
        match section {
            Section::Skip => {}
            Section::Hosts => host_line(&mut declared, group, file, line, at, diagnostics),
            Section::Children => {
                let name_length = line.find(|c: char| c.is_whitespace() || c == '#').unwrap_or(line.len());
                let rest = line[name_length..].trim_start();
                if line[..name_length].contains([':', ']']) || !(rest.is_empty() || rest.starts_with('#')) {
                    diagnostics.push(
                        error(at, at + line.len(), format!("expected a group name, found `{line}`"))
                            .with_primary_label("not a group name")
                            .with_help("a `[group:children]` section lists one group name a line"),
                    );
                } else {
                    let child = Spanned::new(line[..name_length].to_owned(), Span::new(file, at, at + name_length));
                    children.push((group, child));
                }
            }
            Section::Vars => {
                let Some(equals) = line.find('=') else {
                    diagnostics.push(
                        error(at, at + line.len(), format!("expected `key=value`, found `{line}`"))
                            .with_primary_label("no `=`")
                            .with_help("a `[group:vars]` section holds `key=value` lines"),
                    );
                    continue;
                };
                let key = line[..equals].trim();
                let value = line[equals + 1..].trim();
                let value_start = at + equals + 1 + (line[equals + 1..].len() - line[equals + 1..].trim_start().len());
                let value = Located::exact(file, value, value_start);
                group_variable(&mut declared, group, key, &value, diagnostics);
            }
        }
    }
    // Children may be declared after the section naming them; `finish` reports those never
    // declared.
    for (parent, child) in children {
        declared.add_child(parent, child);
    }
    for name in vars_sections {
        if !declared.has_group(&name.value) {
            diagnostics.push(
                Diagnostic::new(
                    CUT001,
                    name.span,
                    format!("`[{}:vars]` sets variables of a group that is never declared", name.value),
                )
                .with_primary_label("no such group")
                .with_help(format!("declare it with a `[{}]` section", name.value)),
            );
        }
    }
    declared
}

/// The section a header line starts, with its group's name; [`Section::Skip`] for a bad
/// header (reported), `None` for a line that is no header.
fn section_start(
    file: FileId,
    line: &str,
    at: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(Section, Spanned<String>)> {
    if !line.starts_with('[') {
        return None;
    }
    let help = "a section is `[group]`, `[group:children]` or `[group:vars]`, with no spaces";
    let Some((name, kind)) = header(line) else {
        if line.ends_with(']') {
            diagnostics.push(
                Diagnostic::new(
                    CUT001,
                    Span::new(file, at, at + line.len()),
                    format!("`{line}` is not a section header"),
                )
                .with_primary_label("not a section")
                .with_help(help),
            );
            return Some((Section::Skip, Spanned::new(line.to_owned(), Span::new(file, at, at + line.len()))));
        }
        return None;
    };
    let name_span = Span::new(file, at + 1, at + 1 + name.len());
    let section = match kind {
        None | Some("hosts") => Section::Hosts,
        Some("children") => Section::Children,
        Some("vars") => Section::Vars,
        Some(other) => {
            let kind_start = name_span.end as usize + 1;
            diagnostics.push(
                Diagnostic::new(
                    CUT001,
                    Span::new(file, kind_start, kind_start + other.len()),
                    format!("section `{line}` has unknown type `{other}`"),
                )
                .with_primary_label("not a section type")
                .with_help(help),
            );
            return Some((Section::Skip, Spanned::new(name.to_owned(), name_span)));
        }
    };
    Some((section, Spanned::new(name.to_owned(), name_span)))
}

/// The group name and type of a section header `[name]` or `[name:type]` (a comment may
/// follow), as Ansible's pattern `^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:\#.*)?$` reads it.
fn header(line: &str) -> Option<(&str, Option<&str>)> {
    let inside = line.strip_prefix('[')?;
    let name_length = inside.find(|c: char| c == ':' || c == ']' || c.is_whitespace()).unwrap_or(inside.len());
    if name_length == 0 {
        return None;
    }
    let (name, mut rest) = inside.split_at(name_length);
    let mut kind = None;
    if let Some(after) = rest.strip_prefix(':') {
        let kind_length = after.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(after.len());
        if kind_length == 0 {
            return None;
        }
        kind = Some(&after[..kind_length]);
        rest = &after[kind_length..];
    }
    let rest = rest.strip_prefix(']')?.trim_start();
    (rest.is_empty() || rest.starts_with('#')).then_some((name, kind))
}

/// A host line: a host pattern, then `key=value` variables.
fn host_line(
    declared: &mut Declared,
    group: usize,
    file: FileId,
    line: &str,
    at: usize,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let words = match split_words(file, line, at) {
        Ok(words) => words,
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            return;
        }
    };
    let Some((pattern, variables)) = words.split_first() else { return };
    let mut installed = None;
    for word in variables {
        let Some(equals) = word.text.find('=') else {
            diagnostics.push(
                Diagnostic::new(
                    CUT001,
                    word.whole,
                    format!("expected `key=value` after the host, found `{}`", word.text),
                )
                .with_primary_label("no `=`")
                .with_help("quote a value that holds spaces: cutover_installed=\"{'dten-core': '3.9.2'}\""),
            );
            continue;
        };
        if &word.text[..equals] == INSTALLED_VARIABLE {
            installed = read_value(&word.slice(equals + 1..word.text.len()), diagnostics);
        }
    }
    match pattern::expand(pattern, &mut declared.host_budget) {
        Ok(names) => {
            for (name, span) in names {
                let host = declared.host(&name, span, diagnostics);
                declared.add_host(group, host);
                if let Some(installed) = &installed {
                    declared.set_host_installed(host, installed.clone());
                }
            }
        }
        Err(diagnostic) => diagnostics.push(diagnostic),
    }
}

fn group_variable(
    declared: &mut Declared,
    group: usize,
    key: &str,
    value: &Located,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if key == INSTALLED_VARIABLE {
        if let Some(installed) = read_value(value, diagnostics) {
            declared.set_group_installed(group, installed);
        }
    } else if key == "ansible_group_priority"
        && let Ok(priority) = value.text.parse()
    {
        declared.set_group_priority(group, priority);
    }
}

/// A `cutover_installed` value, read as YAML flow (which reads Python and JSON dict literals of
/// strings and numbers), its spans moved to where the value sits in the file.
fn read_value(value: &Located, diagnostics: &mut Vec<Diagnostic>) -> Option<Installed> {
    let help = "write a dict like cutover_installed=\"{'dten-core': '3.9.2'}\"";
    if value.text.trim().is_empty() {
        diagnostics
            .push(Diagnostic::new(CUT001, value.whole, format!("`{INSTALLED_VARIABLE}` has no value")).with_help(help));
        return None;
    }
    let mut node = match yaml::parse(value.whole.file, &value.text) {
        Ok(node) => node,
        Err(mut diagnostic) => {
            let span = diagnostic.primary.span;
            diagnostic.primary.span = value.span(span.start as usize..span.end as usize);
            diagnostic.message =
                diagnostic.message.replacen("invalid YAML", &format!("invalid `{INSTALLED_VARIABLE}`"), 1);
            diagnostics.push(diagnostic.with_help(help));
            return None;
        }
    };
    // Move every span from the value's text to the file.
    let mut pending: Vec<&mut Node> = vec![&mut node];
    while let Some(node) = pending.pop() {
        node.span = value.span(node.span.start as usize..node.span.end as usize);
        match &mut node.kind {
            NodeKind::Null | NodeKind::Scalar(_) => {}
            NodeKind::Sequence(items) => pending.extend(items.iter_mut()),
            NodeKind::Mapping(entries) => {
                pending.extend(entries.iter_mut().flat_map(|(key, value)| [key, value]));
            }
        }
    }
    if let NodeKind::Scalar(scalar) = &node.kind
        && !scalar.plain
        && scalar.text.trim_start().starts_with('{')
    {
        diagnostics.push(
            Diagnostic::new(CUT001, node.span, format!("`{INSTALLED_VARIABLE}` is a quoted string, not a dict"))
                .with_primary_label("Ansible reads this as text")
                .with_help("in a `[group:vars]` section, write the dict without quotes around it"),
        );
        return None;
    }
    Some(read_installed(&mut Reader { diagnostics }, &node))
}

/// The words of a host line as Python's `shlex.split(line, comments=True)` gives them: split at
/// white space, `'…'` and `"…"` quoting, `\` escaping, a `#` outside quotes ending the line.
fn split_words(file: FileId, line: &str, at: usize) -> Result<Vec<Located>, Diagnostic> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Between,
        Word,
        Single,
        Double,
    }
    let mut words = Vec::new();
    let mut word = Located { text: String::new(), runs: Vec::new(), whole: Span::new(file, at, at) };
    let mut state = State::Between;
    let mut quote_start = at;
    let mut characters = line.char_indices().peekable();
    let push = |word: &mut Located, character: char, offset: usize| {
        let continues = word
            .runs
            .last()
            .is_some_and(|(text_offset, file_offset)| file_offset + (word.text.len() - text_offset) == at + offset);
        if !continues {
            word.runs.push((word.text.len(), at + offset));
        }
        word.text.push(character);
    };
    while let Some((offset, character)) = characters.next() {
        if state == State::Between {
            if character.is_whitespace() {
                continue;
            }
            if character == '#' {
                break;
            }
            word = Located { text: String::new(), runs: Vec::new(), whole: Span::new(file, at + offset, at + offset) };
            state = State::Word;
        }
        match (state, character) {
            (State::Word, c) if c.is_whitespace() || c == '#' => {
                word.whole = Span::new(file, word.whole.start as usize, at + offset);
                words.push(std::mem::replace(
                    &mut word,
                    Located { text: String::new(), runs: Vec::new(), whole: Span::new(file, at, at) },
                ));
                state = State::Between;
                if c == '#' {
                    break;
                }
            }
            (State::Word, '\'') => (state, quote_start) = (State::Single, at + offset),
            (State::Word, '"') => (state, quote_start) = (State::Double, at + offset),
            (State::Word | State::Double, '\\') => match characters.peek().copied() {
                Some((next_offset, next)) if state == State::Word || matches!(next, '"' | '\\') => {
                    characters.next();
                    push(&mut word, next, next_offset);
                }
                Some(_) => push(&mut word, '\\', offset),
                None => {
                    return Err(Diagnostic::new(
                        CUT001,
                        Span::new(file, at + offset, at + offset + 1),
                        "a `\\` ends the line",
                    )
                    .with_primary_label("nothing to escape"));
                }
            },
            (State::Single, '\'') | (State::Double, '"') => state = State::Word,
            (_, c) => push(&mut word, c, offset),
        }
    }
    match state {
        State::Single | State::Double => {
            Err(Diagnostic::new(CUT001, Span::new(file, quote_start, quote_start + 1), "this quote is never closed")
                .with_primary_label("opened here")
                .with_help("close it on the same line"))
        }
        State::Word => {
            word.whole = Span::new(file, word.whole.start as usize, at + line.len());
            words.push(word);
            Ok(words)
        }
        State::Between => Ok(words),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_as_shlex_does_and_keep_their_place() {
        let line = r#"app-1 a=1 b="x y" c='{"k": 2}' d=e\ f # comment"#;
        let words = split_words(FileId(0), line, 100).unwrap();
        let texts: Vec<&str> = words.iter().map(|word| word.text.as_str()).collect();
        assert_eq!(texts, ["app-1", "a=1", "b=x y", r#"c={"k": 2}"#, "d=e f"]);
        // `2` of the fourth word sits at its place in the line.
        let two = words[3].text.find('2').unwrap();
        let span = words[3].span(two..two + 1);
        assert_eq!(&line[span.start as usize - 100..span.end as usize - 100], "2");
        assert!(split_words(FileId(0), "app-1 a='open", 0).is_err());
        assert!(split_words(FileId(0), "app-1 a=b\\", 0).is_err());
    }

    #[test]
    fn headers_read_as_ansible_reads_them() {
        assert_eq!(header("[web]"), Some(("web", None)));
        assert_eq!(header("[web:children]  # the web tier"), Some(("web", Some("children"))));
        assert_eq!(header("[web:vars]"), Some(("web", Some("vars"))));
        assert_eq!(header("[web servers]"), None);
        assert_eq!(header("[web:]"), None);
        assert_eq!(header("[]"), None);
    }
}
