//! Where each placeholder of a template stands in the shell code around it.
//!
//! A value is safe only when it is quoted for the place it lands in: outside quotes it becomes
//! one single-quoted word, inside double quotes its `\`, `$`, `` ` `` and `"` are escaped. Everywhere else the
//! shell (or a program the shell hands the text to) would read the value as code: inside single
//! quotes, `$'…'`, backquotes, `${…}`, arithmetic, a comment, a here-document, or a command
//! string that another shell or interpreter runs (`bash -c "…"`, `eval`, `ssh host "…"`). Those
//! are refused with a help line that shows the safe form: pass the value as an argument or
//! through the environment.
//!
//! The scanner follows bash's quoting and nesting rules closely enough to know the context of
//! every byte: quotes, backslashes, `$(…)` (a new command context, also inside double quotes),
//! `case` patterns, `{ …; }` groups, comments, here-documents and their delimiters.
//! docs/decisions.md lists the contexts for users.
//!
//! It also refuses a command that does not end where its text ends: one left inside a quote,
//! `$(…)`, `${…}` or a here-document, one ending in a backslash, or one closing a `{` it never
//! opened. The script holds each command verbatim in a function of its own, and such a command
//! would take in the lines after it (turning the quoted data of the next step into code) or end
//! its function early (running the rest at load time, even for `--help`).

/// How a placeholder is quoted when rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quoting {
    /// Outside quotes: the value becomes one single-quoted word.
    Bare,
    /// Inside double quotes: the value's `\`, `$`, `` ` `` and `"` are escaped.
    Double,
}

/// A placeholder that stands where no quoting keeps its value from being read as code.
#[derive(Debug, PartialEq, Eq)]
pub struct Misplaced {
    /// Which placeholder of the template, counting from 0.
    pub placeholder: usize,
    pub message: String,
    pub help: String,
}

/// A template's text as the scanner sees it: characters, and holes where placeholders stand.
#[derive(Clone, Copy, Debug)]
pub enum Token {
    Char(char),
    Hole,
}

/// Why a template's text cannot be run as it stands.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// A placeholder stands where no quoting keeps its value from being read as code.
    Misplaced(Misplaced),
    /// The command does not end where its text ends: what it leaves open, in words
    /// ("inside a single-quoted string"), and how to fix it.
    Unended { message: String, help: String },
}

/// The quoting of every hole in `tokens`, in order. `names` gives each hole's name for messages.
///
/// # Errors
/// The first hole that stands where no quoting holds, with the reason and the safe form; or,
/// when every hole can be quoted, a command that does not end where its text ends.
pub fn classify(tokens: &[Token], names: &[&str]) -> Result<Vec<Quoting>, Refused> {
    let mut scanner = Scanner {
        tokens,
        names,
        position: 0,
        stack: vec![Frame::command(Closer::End)],
        found: Vec::new(),
        trailing_backslash: false,
        stray_brace: false,
    };
    scanner.run().map_err(Refused::Misplaced)?;
    if let Some((message, help)) = scanner.unended() {
        return Err(Refused::Unended { message, help });
    }
    Ok(scanner.found)
}

/// What ends a command context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closer {
    /// The template's end: the top level.
    End,
    /// The `)` of `$(`.
    Paren,
}

/// Why text inside double quotes is code for another reader.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Reread {
    No,
    /// The program that reads it again (`bash -c`, `eval`, `ssh`).
    By(String),
}

#[derive(Debug)]
enum Frame {
    Command(Command),
    Double(Reread),
    Single(Reread),
    AnsiC,
    Backquote,
    /// `${…}`, with the depth of braces inside it.
    Parameter(u32),
    /// `$((…))` or `((…))`, with the depth of parentheses inside it.
    Arithmetic(u32),
    Comment,
    HereDocument(HereDocument),
}

#[derive(Debug)]
struct Command {
    closer: Closer,
    /// Open `(` inside this context (subshells, process substitutions, `(pattern)`).
    depth: u32,
    /// Open `case … esac`: a `)` at depth 0 ends a pattern, not the context.
    cases: u32,
    /// Open `{ …; }` groups.
    groups: u32,
    /// What the words of the current simple command say so far, for spotting `bash -c` and
    /// its kin: kept word by word, so a command of many words stays linear to scan.
    words: Words,
    /// The word being read: its unquoted characters, and whether anything else was in it.
    word: String,
    word_is_plain: bool,
    in_word: bool,
    /// True where a reserved word (`case`, `esac`) would be recognised.
    reserved_words_apply: bool,
    /// Here-documents whose bodies start at the next line break: delimiter, `<<-`.
    pending: Vec<(String, bool)>,
}

#[derive(Debug)]
struct HereDocument {
    delimiter: String,
    strip_tabs: bool,
    line: String,
}

impl Frame {
    fn command(closer: Closer) -> Self {
        Self::Command(Command {
            closer,
            depth: 0,
            cases: 0,
            groups: 0,
            words: Words::default(),
            word: String::new(),
            word_is_plain: true,
            in_word: false,
            reserved_words_apply: true,
            pending: Vec::new(),
        })
    }
}

/// Reserved words after which the shell still expects a command.
const KEEP_COMMAND_POSITION: &[&str] = &["if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"];

struct Scanner<'t> {
    tokens: &'t [Token],
    names: &'t [&'t str],
    position: usize,
    stack: Vec<Frame>,
    found: Vec<Quoting>,
    /// The text ends in a backslash outside quotes, which would escape the line break after it.
    trailing_backslash: bool,
    /// A `}` at the top level closed a group the text never opened.
    stray_brace: bool,
}

impl Scanner<'_> {
    fn run(&mut self) -> Result<(), Misplaced> {
        while self.position < self.tokens.len() {
            let token = self.tokens[self.position];
            self.position += 1;
            match self.stack.last_mut().expect("the top level is never popped") {
                Frame::Command(_) => self.in_command(token)?,
                Frame::Double(reread) => {
                    let reread = reread.clone();
                    self.in_double(token, &reread)?;
                }
                Frame::Single(reread) => {
                    let reread = reread.clone();
                    self.in_single(token, &reread)?;
                }
                Frame::AnsiC => self.in_ansi_c(token)?,
                Frame::Backquote => self.in_backquote(token)?,
                Frame::Parameter(_) => self.in_parameter(token)?,
                Frame::Arithmetic(_) => self.in_arithmetic(token)?,
                Frame::Comment => self.in_comment(token)?,
                Frame::HereDocument(_) => self.in_here_document(token)?,
            }
        }
        Ok(())
    }

    /// What the text leaves open at its end, with the fix, once every token is read. The script
    /// writes a line break after each command: a comment ends there, and so does a here-document
    /// whose last line is its delimiter.
    fn unended(&mut self) -> Option<(String, String)> {
        let why = "in the script, the command's function would take in the lines after it";
        if let Some(Frame::Command(_)) = self.stack.last() {
            self.end_word();
        }
        for (level, frame) in self.stack.iter().enumerate() {
            let inside = match frame {
                Frame::Command(command) if !command.pending.is_empty() => {
                    let (delimiter, _) = &command.pending[0];
                    return Some((
                        format!("the command ends with a here-document (`<<{delimiter}`) that has no lines"),
                        format!("write its lines and end them with `{delimiter}` alone on a line: {why}"),
                    ));
                }
                Frame::Command(_) if level == 0 && self.stray_brace => {
                    return Some((
                        "the command has a `}` that closes no `{`".to_owned(),
                        "remove the `}`: in the script it would end the command's function early, and the \
                         rest of the command would run as soon as the script is read, even for `--help`"
                            .to_owned(),
                    ));
                }
                Frame::Command(command)
                    if level == 0 && (command.groups > 0 || command.depth > 0 || command.cases > 0) =>
                {
                    let open = if command.groups > 0 {
                        "a `{` group"
                    } else if command.depth > 0 {
                        "a `(`"
                    } else {
                        "a `case` (no `esac`)"
                    };
                    return Some((format!("the command leaves {open} open"), format!("close it: {why}")));
                }
                Frame::Command(_) if level == 0 => continue,
                Frame::Comment => continue,
                Frame::HereDocument(document) if level + 1 == self.stack.len() => {
                    let line =
                        if document.strip_tabs { document.line.trim_start_matches('\t') } else { &document.line };
                    if line == document.delimiter {
                        continue;
                    }
                    return Some((
                        format!("the command ends inside a here-document that `{}` never ends", document.delimiter),
                        format!("end it with `{}` alone on a line: {why}", document.delimiter),
                    ));
                }
                Frame::Command(_) => "`$(…)`",
                Frame::Double(_) => "a double-quoted string",
                Frame::Single(_) => "a single-quoted string",
                Frame::AnsiC => "`$'…'`",
                Frame::Backquote => "backquotes",
                Frame::Parameter(_) => "`${…}`",
                Frame::Arithmetic(_) => "arithmetic",
                Frame::HereDocument(_) => "a here-document",
            };
            return Some((format!("the command ends inside {inside}"), format!("close it: {why}")));
        }
        if self.trailing_backslash {
            return Some((
                "the command ends in a backslash".to_owned(),
                "remove it: in the script, it would join the line after the command to it".to_owned(),
            ));
        }
        None
    }

    fn peek(&self) -> Option<Token> {
        self.tokens.get(self.position).copied()
    }

    fn peek_char(&self, ahead: usize) -> Option<char> {
        match self.tokens.get(self.position + ahead) {
            Some(Token::Char(character)) => Some(*character),
            _ => None,
        }
    }

    /// The hole just read, counted from 0.
    fn hole_number(&self) -> usize {
        self.holes_before(self.position) - 1
    }

    fn holes_before(&self, end: usize) -> usize {
        self.tokens[..end].iter().filter(|token| matches!(token, Token::Hole)).count()
    }

    fn misplaced(&self, why: &str, help: &str) -> Misplaced {
        self.misplaced_at(self.hole_number(), why, help)
    }

    fn misplaced_at(&self, placeholder: usize, why: &str, help: &str) -> Misplaced {
        let name = self.names.get(placeholder).copied().unwrap_or("name");
        Misplaced {
            placeholder,
            message: format!("`{{{name}}}` {why}"),
            help: help.replace("NAME", name).replace("UPPER", &name.to_uppercase().replace('-', "_")),
        }
    }

    fn command(&mut self) -> &mut Command {
        match self.stack.last_mut() {
            Some(Frame::Command(command)) => command,
            _ => unreachable!("only called in a command context"),
        }
    }

    fn push(&mut self, frame: Frame) {
        if let Some(Frame::Command(command)) = self.stack.last_mut() {
            command.word_is_plain = false;
            command.in_word = true;
        }
        self.stack.push(frame);
    }

    /// A hole that follows a `\` or a `$` would lose its opening quote to them.
    fn check_after_escape(&self, escape: char) -> Result<(), Misplaced> {
        if !matches!(self.peek(), Some(Token::Hole)) {
            return Ok(());
        }
        let placeholder = self.holes_before(self.position);
        Err(if escape == '\\' {
            self.misplaced_at(
                placeholder,
                "follows a backslash, which would escape the quote that opens the value",
                "remove the backslash before `{NAME}`",
            )
        } else {
            self.misplaced_at(
                placeholder,
                "follows `$`, which would turn its quotes into `$'…'`",
                "for the shell variable, double the braces: `${{NAME}}`; for the value, put it apart from the `$`",
            )
        })
    }

    fn in_command(&mut self, token: Token) -> Result<(), Misplaced> {
        let Token::Char(character) = token else {
            let command = self.command();
            command.word_is_plain = false;
            command.in_word = true;
            self.found.push(Quoting::Bare);
            return Ok(());
        };
        match character {
            '\n' => {
                self.end_word();
                self.separator();
                self.start_here_documents();
            }
            ';' | '&' | '|' => {
                self.end_word();
                self.separator();
            }
            '(' => {
                let reserved_words_apply = {
                    let command = self.command();
                    command.reserved_words_apply && !command.in_word
                };
                if reserved_words_apply && self.peek_char(0) == Some('(') {
                    self.position += 1;
                    self.push(Frame::Arithmetic(0));
                } else {
                    self.end_word();
                    self.command().depth += 1;
                    self.separator();
                }
            }
            ')' => {
                self.end_word();
                let command = self.command();
                if command.depth > 0 {
                    command.depth -= 1;
                } else if command.cases == 0 && command.closer == Closer::Paren {
                    self.stack.pop();
                    return Ok(());
                }
                self.separator();
            }
            '<' if self.peek_char(0) == Some('<') && self.peek_char(1) != Some('<') => {
                self.end_word();
                self.position += 1;
                self.here_document_delimiter()?;
            }
            // Blanks end a word; so do redirections, whose target is a word of its own.
            ' ' | '\t' | '<' | '>' => self.end_word(),
            '\\' => {
                self.check_after_escape('\\')?;
                match self.peek() {
                    Some(Token::Char('\n')) => self.position += 1,
                    Some(Token::Char(escaped)) => {
                        self.position += 1;
                        let command = self.command();
                        command.word_is_plain = false;
                        command.word.push(escaped);
                        command.in_word = true;
                    }
                    Some(Token::Hole) => {}
                    None => self.trailing_backslash = true,
                }
            }
            '#' if !self.command().in_word => self.stack.push(Frame::Comment),
            '\'' => {
                let reread = self.reread_here();
                self.push(Frame::Single(reread));
            }
            '"' => {
                let reread = self.reread_here();
                self.push(Frame::Double(reread));
            }
            '`' => self.push(Frame::Backquote),
            '$' => self.dollar()?,
            character => {
                let command = self.command();
                command.word.push(character);
                command.in_word = true;
            }
        }
        Ok(())
    }

    /// `$'`, `$"`, `$((`, `$(`, `${`, or a plain `$`.
    fn dollar(&mut self) -> Result<(), Misplaced> {
        self.check_after_escape('$')?;
        match (self.peek_char(0), self.peek_char(1)) {
            (Some('\''), _) if matches!(self.stack.last(), Some(Frame::Command(_))) => {
                self.position += 1;
                self.push(Frame::AnsiC);
            }
            (Some('"'), _) if matches!(self.stack.last(), Some(Frame::Command(_))) => {
                self.position += 1;
                let reread = self.reread_here();
                self.push(Frame::Double(reread));
            }
            (Some('('), Some('(')) => {
                self.position += 2;
                self.push(Frame::Arithmetic(0));
            }
            (Some('('), _) => {
                self.position += 1;
                self.push(Frame::command(Closer::Paren));
            }
            (Some('{'), _) => {
                self.position += 1;
                self.push(Frame::Parameter(0));
            }
            _ => {
                if let Some(Frame::Command(command)) = self.stack.last_mut() {
                    command.word.push('$');
                    command.in_word = true;
                }
            }
        }
        Ok(())
    }

    fn end_word(&mut self) {
        let command = self.command();
        if !command.in_word {
            return;
        }
        let word = std::mem::take(&mut command.word);
        let plain = command.word_is_plain;
        command.in_word = false;
        command.word_is_plain = true;
        let mut stray_brace = false;
        if command.reserved_words_apply && plain {
            match word.as_str() {
                "case" => command.cases += 1,
                "esac" => command.cases = command.cases.saturating_sub(1),
                "{" => command.groups += 1,
                "}" if command.groups == 0 => stray_brace = command.closer == Closer::End,
                "}" => command.groups -= 1,
                _ => {}
            }
        }
        let keeps_position = plain && (KEEP_COMMAND_POSITION.contains(&word.as_str()) || is_assignment(&word));
        command.reserved_words_apply = command.reserved_words_apply && keeps_position;
        command.words.push(&word);
        self.stray_brace |= stray_brace;
    }

    /// A control operator: the next word starts a new simple command.
    fn separator(&mut self) {
        let command = self.command();
        command.words = Words::default();
        command.reserved_words_apply = true;
    }

    /// `<<WORD` or `<<-WORD`: the delimiter, whose body starts at the next line break.
    fn here_document_delimiter(&mut self) -> Result<(), Misplaced> {
        let strip_tabs = self.peek_char(0) == Some('-');
        if strip_tabs {
            self.position += 1;
        }
        while matches!(self.peek_char(0), Some(' ' | '\t')) {
            self.position += 1;
        }
        let mut delimiter = String::new();
        let mut quote = None;
        while let Some(token) = self.peek() {
            let Token::Char(character) = token else {
                self.position += 1;
                return Err(self.misplaced(
                    "is part of a here-document's delimiter",
                    "write the delimiter as plain text, such as `EOF`",
                ));
            };
            match (quote, character) {
                (None, ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')') => break,
                (None, '\'' | '"') => quote = Some(character),
                (Some(open), character) if character == open => quote = None,
                (None, '\\') => {
                    self.position += 1;
                    if let Some(Token::Char(escaped)) = self.peek() {
                        delimiter.push(escaped);
                    }
                }
                (_, character) => delimiter.push(character),
            }
            self.position += 1;
        }
        self.command().pending.push((delimiter, strip_tabs));
        Ok(())
    }

    fn start_here_documents(&mut self) {
        let pending = std::mem::take(&mut self.command().pending);
        for (delimiter, strip_tabs) in pending.into_iter().rev() {
            self.stack.push(Frame::HereDocument(HereDocument { delimiter, strip_tabs, line: String::new() }));
        }
    }

    /// Whether a quoted word starting here is handed to another reader as code.
    fn reread_here(&mut self) -> Reread {
        let Some(Frame::Command(command)) = self.stack.last() else { return Reread::No };
        if command.in_word && !command.word.is_empty() {
            return Reread::No;
        }
        command.words.rereader().map_or(Reread::No, Reread::By)
    }

    fn in_double(&mut self, token: Token, reread: &Reread) -> Result<(), Misplaced> {
        match token {
            Token::Hole => {
                if let Reread::By(program) = reread {
                    return Err(self.reread_error(program));
                }
                self.found.push(Quoting::Double);
            }
            Token::Char('"') => {
                self.stack.pop();
            }
            Token::Char('\\') => {
                self.check_after_escape('\\')?;
                if matches!(self.peek_char(0), Some('$' | '`' | '"' | '\\' | '\n')) {
                    self.position += 1;
                }
            }
            Token::Char('$') => self.dollar()?,
            Token::Char('`') => self.stack.push(Frame::Backquote),
            Token::Char(_) => {}
        }
        Ok(())
    }

    fn reread_error(&self, program: &str) -> Misplaced {
        self.misplaced(
            &format!("is inside text that `{program}` reads again as code, where its quoting is lost"),
            "pass the value as an argument, `sh -c 'echo \"$1\"' _ {NAME}`, or in the environment, `UPPER={NAME} sh -c 'echo \"$UPPER\"'`",
        )
    }

    fn in_single(&mut self, token: Token, reread: &Reread) -> Result<(), Misplaced> {
        match token {
            Token::Hole => Err(match reread {
                Reread::By(program) => self.reread_error(program),
                Reread::No => self.misplaced(
                    "is inside single quotes, where no quoting can keep its value from being read as code",
                    "pass the value as an argument, `sh -c 'echo bye \"$1\"' _ {NAME}`, or in the environment, `UPPER={NAME} awk 'BEGIN {{ print ENVIRON[\"UPPER\"] }}'`",
                ),
            }),
            Token::Char('\'') => {
                self.stack.pop();
                Ok(())
            }
            Token::Char(_) => Ok(()),
        }
    }

    fn in_ansi_c(&mut self, token: Token) -> Result<(), Misplaced> {
        match token {
            Token::Hole => Err(self.misplaced(
                "is inside `$'…'`, where its value would be read as escapes",
                "close the `$'…'` before it: `$'\\t'{NAME}`",
            )),
            Token::Char('\\') => {
                self.position += 1;
                Ok(())
            }
            Token::Char('\'') => {
                self.stack.pop();
                Ok(())
            }
            Token::Char(_) => Ok(()),
        }
    }

    fn in_backquote(&mut self, token: Token) -> Result<(), Misplaced> {
        match token {
            Token::Hole => Err(self.misplaced(
                "is inside backquotes, where a backquote in its value would end the command",
                "write the command substitution as `$(…)`, where `{NAME}` is quoted",
            )),
            Token::Char('\\') => {
                self.position += 1;
                Ok(())
            }
            Token::Char('`') => {
                self.stack.pop();
                Ok(())
            }
            Token::Char(_) => Ok(()),
        }
    }

    fn in_parameter(&mut self, token: Token) -> Result<(), Misplaced> {
        let outer_is_command = matches!(self.stack.iter().rev().nth(1), Some(Frame::Command(_)));
        let Some(Frame::Parameter(depth)) = self.stack.last_mut() else { unreachable!() };
        match token {
            Token::Hole => {
                return Err(self.misplaced(
                    "is inside `${…}`, where the shell reads it as part of the expansion",
                    "assign it to a variable first: `v={NAME}; echo \"${v:-default}\"`",
                ));
            }
            Token::Char('{') => *depth += 1,
            Token::Char('}') if *depth == 0 => {
                self.stack.pop();
            }
            Token::Char('}') => *depth -= 1,
            Token::Char('\\') => self.position += 1,
            Token::Char('\'') if outer_is_command => self.stack.push(Frame::Single(Reread::No)),
            Token::Char('"') => self.stack.push(Frame::Double(Reread::No)),
            Token::Char('`') => self.stack.push(Frame::Backquote),
            Token::Char('$') => self.dollar()?,
            Token::Char(_) => {}
        }
        Ok(())
    }

    fn in_arithmetic(&mut self, token: Token) -> Result<(), Misplaced> {
        let next = self.peek_char(0);
        let Some(Frame::Arithmetic(depth)) = self.stack.last_mut() else { unreachable!() };
        match token {
            Token::Hole => {
                return Err(self.misplaced(
                    "is inside arithmetic, where the shell evaluates its value as an expression",
                    "assign it to a variable first: `n={NAME}; echo $((n * 60))`",
                ));
            }
            Token::Char('(') => *depth += 1,
            Token::Char(')') if *depth > 0 => *depth -= 1,
            Token::Char(')') if next == Some(')') => {
                self.position += 1;
                self.stack.pop();
            }
            Token::Char('\\') => self.position += 1,
            Token::Char('"') => self.stack.push(Frame::Double(Reread::No)),
            Token::Char('`') => self.stack.push(Frame::Backquote),
            Token::Char('$') => self.dollar()?,
            Token::Char(_) => {}
        }
        Ok(())
    }

    fn in_comment(&mut self, token: Token) -> Result<(), Misplaced> {
        match token {
            Token::Hole => Err(self.misplaced(
                "is inside a shell comment, where a line break in its value would end the comment",
                "take it out of the comment, or write `{{NAME}}` for the text itself",
            )),
            Token::Char('\n') => {
                self.stack.pop();
                // The line break also ends the command line: here-documents start after it.
                self.position -= 1;
                Ok(())
            }
            Token::Char(_) => Ok(()),
        }
    }

    fn in_here_document(&mut self, token: Token) -> Result<(), Misplaced> {
        let Some(Frame::HereDocument(document)) = self.stack.last_mut() else { unreachable!() };
        match token {
            Token::Hole => {
                return Err(self.misplaced(
                    "is inside a here-document, where the shell cannot quote it",
                    "pass the value in the environment or as an argument, and read it there: `UPPER={NAME} envsubst`",
                ));
            }
            Token::Char('\n') => {
                let line = std::mem::take(&mut document.line);
                let line = if document.strip_tabs { line.trim_start_matches('\t') } else { line.as_str() };
                if line == document.delimiter {
                    self.stack.pop();
                }
            }
            Token::Char(character) => document.line.push(character),
        }
        Ok(())
    }
}

/// `NAME=value`: the shell still expects the command after it.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        name.chars().next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Shells and interpreters whose `-c`/`-e` argument is a program.
const PROGRAM_OPTIONS: &[(&str, &[&str])] = &[
    ("sh", &["c"]),
    ("bash", &["c"]),
    ("dash", &["c"]),
    ("zsh", &["c"]),
    ("ksh", &["c"]),
    ("ash", &["c"]),
    ("busybox", &["c"]),
    ("python", &["c"]),
    ("python3", &["c"]),
    ("perl", &["e", "E"]),
    ("ruby", &["e"]),
    ("node", &["e", "p"]),
    ("psql", &["c"]),
    ("mysql", &["e"]),
];

/// Options of ssh that take a value: the word after them is not the remote command.
const SSH_VALUE_OPTIONS: &[&str] = &[
    "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p", "-Q", "-R", "-S", "-W",
    "-w",
];

/// The words of a simple command so far, as far as they tell whether the next word is code
/// for another reader.
#[derive(Debug, Default)]
struct Words {
    /// The last word, with its quotes removed where it had any.
    last: String,
    /// `eval` or `watch`: every later word is code.
    every_word: Option<&'static str>,
    /// `su`, `runuser` or `flock`: the word after `-c` is code.
    command_option: Option<&'static str>,
    /// Words after `ssh`: from the second (the host is the first) they are the remote command.
    after_ssh: Option<usize>,
    /// A shell or interpreter and the letters of its program option (`-c`, `-e`).
    program: Option<(&'static str, &'static [&'static str])>,
}

impl Words {
    fn push(&mut self, word: &str) {
        if let Some(count) = &mut self.after_ssh {
            *count += 1;
        }
        let program = word.rsplit('/').next().unwrap_or(word);
        match program {
            "eval" => self.every_word = self.every_word.or(Some("eval")),
            "watch" => self.every_word = self.every_word.or(Some("watch")),
            "su" => self.command_option = Some("su"),
            "runuser" => self.command_option = Some("runuser"),
            "flock" => self.command_option = Some("flock"),
            "ssh" => self.after_ssh = self.after_ssh.or(Some(0)),
            _ => {
                if let Some(&(name, letters)) = PROGRAM_OPTIONS.iter().find(|(name, _)| *name == program) {
                    self.program = Some((name, letters));
                }
            }
        }
        word.clone_into(&mut self.last);
    }

    /// The program that reads the next word again as code: `bash -c`, `eval`, `su -c`,
    /// `ssh HOST`, `watch`, `python3 -c`, …
    fn rereader(&self) -> Option<String> {
        let last = self.last.as_str();
        if let Some(program) = self.every_word {
            return Some(program.to_owned());
        }
        if let Some(program) = self.command_option
            && matches!(last, "-c" | "--command")
        {
            return Some(format!("{program} {last}"));
        }
        if self.after_ssh.is_some_and(|words| words > 0) && !SSH_VALUE_OPTIONS.contains(&last) {
            return Some("ssh".to_owned());
        }
        if let Some((program, letters)) = self.program
            && last.starts_with('-')
            && !last.starts_with("--")
            && letters.iter().any(|letter| last.ends_with(letter))
        {
            return Some(format!("{program} {last}"));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `@` marks a hole.
    fn quoting(text: &str) -> Result<Vec<Quoting>, String> {
        let tokens: Vec<Token> = text.chars().map(|c| if c == '@' { Token::Hole } else { Token::Char(c) }).collect();
        let names = vec!["x"; tokens.len()];
        classify(&tokens, &names).map_err(|refused| match refused {
            Refused::Misplaced(misplaced) => misplaced.message,
            Refused::Unended { message, .. } => message,
        })
    }

    use Quoting::{Bare, Double};

    #[test]
    fn quotes_and_substitutions_give_the_context() {
        assert_eq!(quoting("echo @ a@b --x=@"), Ok(vec![Bare, Bare, Bare]));
        assert_eq!(quoting("echo \"hello @\" @"), Ok(vec![Double, Bare]));
        assert_eq!(quoting("test \"$(dirname @)\" = \"a @\""), Ok(vec![Bare, Double]));
        assert_eq!(quoting("echo \"$(echo \"in @\")\""), Ok(vec![Double]));
        assert_eq!(quoting("echo 'a \"' @ \"b ' \" @"), Ok(vec![Bare, Bare]));
        assert_eq!(quoting("echo \\' @"), Ok(vec![Bare]));
        assert_eq!(quoting("echo \"\\\"\" @"), Ok(vec![Bare]));
        assert_eq!(quoting("f=@; case $f in *.*) f=${f%.*};; esac; echo @"), Ok(vec![Bare, Bare]));
        assert_eq!(quoting("echo \"$(case a in a) echo;; esac) @\""), Ok(vec![Double]));
        assert_eq!(quoting("echo \"$( (cd /; ls) ) @\""), Ok(vec![Double]));
        assert_eq!(quoting("x=$((1 + 2)) @"), Ok(vec![Bare]));
        assert_eq!(quoting("echo a#b @"), Ok(vec![Bare]));
        assert_eq!(quoting("cat <<EOF\nbody\nEOF\necho @"), Ok(vec![Bare]));
        assert_eq!(quoting("cat <<'EOF' | sh\n$x\n  EOF\nEOF\necho @"), Ok(vec![Bare]));
        assert_eq!(quoting("cat <<-EOF\n\tbody\n\tEOF\necho @"), Ok(vec![Bare]));
        assert_eq!(quoting("# comment\necho @"), Ok(vec![Bare]));
        assert_eq!(quoting("echo \"${HOME}\" @ \"${x:-\"}\"}\" @"), Ok(vec![Bare, Bare]));
        assert_eq!(quoting("echo `date` @"), Ok(vec![Bare]));
        assert_eq!(quoting("echo $'\\'' @"), Ok(vec![Bare]));
        assert_eq!(quoting("bash -c \"$(printf %s @)\""), Ok(vec![Bare]));
        assert_eq!(quoting("bash script.sh \"@\""), Ok(vec![Double]));
        assert_eq!(quoting("runuser -u postgres -- psql -XAtqc \"select 1\" -ge @"), Ok(vec![Bare]));
    }

    #[test]
    fn places_where_no_quoting_holds_are_refused() {
        let refused = |text: &str, why: &str| {
            let message = quoting(text).expect_err(text);
            assert!(message.contains(why), "{text}: {message}");
        };
        refused("echo 'hello @'", "single quotes");
        refused("sh -c 'echo bye @'", "`sh -c` reads again");
        refused("sh -c \"echo bye @\"", "`sh -c` reads again");
        refused("bash -ec \"echo @\"", "`bash -ec`");
        refused("eval \"echo @\"", "`eval`");
        refused("ssh -o BatchMode=yes host \"ls @\"", "`ssh`");
        refused("su - app -c \"run @\"", "`su -c`");
        refused("python3 -c \"print(@)\"", "`python3 -c`");
        refused("echo $'a @'", "`$'…'`");
        refused("echo `echo @`", "backquotes");
        refused("echo ${x:-@}", "`${…}`");
        refused("echo $((@ * 2))", "arithmetic");
        refused("((@ > 1))", "arithmetic");
        refused("echo hi # @", "comment");
        refused("cat <<EOF\n@\nEOF", "here-document");
        refused("cat <<@\nx\n", "delimiter");
        refused("echo \\@", "backslash");
        refused("echo \"\\@\"", "backslash");
        refused("echo $@", "follows `$`");
        refused("echo \"`@`\"", "backquotes");
    }

    /// Commands that do not end where their text ends: in the script, each would take in the
    /// lines after its function or end it early. Found by `tests/fuzz_plans.rs`.
    #[test]
    fn commands_that_run_on_past_their_end_are_refused() {
        let refused = |text: &str, why: &str| {
            let message = quoting(text).expect_err(text);
            assert!(message.contains(why), "{text}: {message}");
        };
        refused("echo 'a", "inside a single-quoted string");
        refused("echo \"a", "inside a double-quoted string");
        refused("echo $(date", "inside `$(…)`");
        refused("echo \"$(date\"", "inside a double-quoted string");
        refused("echo `date", "inside backquotes");
        refused("echo ${HOME", "inside `${…}`");
        refused("echo $((1 + 2)", "inside arithmetic");
        refused("echo $'a", "inside `$'…'`");
        refused("cat <<EOF", "here-document (`<<EOF`) that has no lines");
        refused("cat <<EOF\nbody\n", "here-document that `EOF` never ends");
        refused("echo a \\", "ends in a backslash");
        refused("true\n}\ntouch x", "`}` that closes no `{`");
        refused("true; }", "`}` that closes no `{`");
        refused("{ echo a", "a `{` group open");
        refused("( echo a", "a `(` open");
        refused("case a in a) echo", "a `case` (no `esac`) open");
        refused("echo 'a @", "single quotes");
    }

    #[test]
    fn commands_that_end_where_their_text_ends_pass() {
        for text in [
            "echo a # a comment",
            "cat <<EOF\nbody\nEOF",
            "cat <<-EOF\n\tbody\n\tEOF",
            "{ echo a; }",
            "{ echo a; } > /dev/null",
            "f() { echo; }; f",
            "( cd / && ls )",
            "case a in a) echo;; esac",
            "echo } {",
            "echo a \\\nb",
            "x=(1 2) && echo \"${x[0]}\"",
            "diff <(ls) <(ls -a)",
            "awk '{ print }'",
        ] {
            assert_eq!(quoting(text), Ok(Vec::new()), "{text}");
        }
    }
}
