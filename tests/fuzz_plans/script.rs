//! The generated script read the way bash reads it, to prove that only the plan's commands are
//! code: outside the bodies of the command functions, every line is one of the forms the
//! emitter writes for any plan (comments, the fixed header, `readonly` and data assignments
//! whose every value is one well-formed quoted word, the help and dry-run here-documents, the
//! notify wrapper), and each command function holds exactly its command from the lowered plan.
//! A line that free text introduced fits none of these forms.

use std::collections::BTreeSet;

use cutover::lower::LoweredPlan;

/// The runner every script ends with.
const RUNTIME: &str = include_str!("../../src/emit/sh/runtime.sh");

/// Lines of code the emitter writes the same for every plan, before the step instances.
const FIXED: &[&str] = &[
    "#!/usr/bin/env bash",
    "set -Euo pipefail",
    "if ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4))); then",
    "  printf 'this script needs bash 4.4 or newer\\n' >&2",
    "  exit 2",
    "fi",
    "declare -a STEP=() HOST=() TIMEOUT=() RETRIES=() BACKOFF=() BASE=() MAXDELAY=() VERIFIES=() CLEANUPS=() \
     UNDO=() IRREVERSIBLE=() NOOP=() BATCH=() MAXFAIL=() REBOOT=() GATE=() GATETIME=() APPROVAL=()",
];

/// Checks `script`, the script of `lowered`; the error names the first line that is out of
/// place and why.
pub fn check(script: &str, lowered: &LoweredPlan) -> Result<(), String> {
    let Some(plan_part) = script.strip_suffix(RUNTIME) else {
        return Err("the script does not end with the runtime, unchanged".to_owned());
    };
    let mut reader = Reader { text: plan_part, at: 0, lowered, functions: BTreeSet::new() };
    while reader.at < plan_part.len() {
        let line_start = reader.at;
        reader.line().map_err(|why| {
            let number = plan_part[..line_start].matches('\n').count() + 1;
            let line = plan_part[line_start..].split('\n').next().unwrap_or_default();
            format!("line {number} ({line:?}): {why}")
        })?;
    }
    let expected = expected_functions(lowered);
    if reader.functions != expected {
        let missing: Vec<_> = expected.difference(&reader.functions).collect();
        let extra: Vec<_> = reader.functions.difference(&expected).collect();
        return Err(format!("command functions missing: {missing:?}; not in the plan: {extra:?}"));
    }
    Ok(())
}

/// The name of every command function the script of `lowered` must define.
fn expected_functions(lowered: &LoweredPlan) -> BTreeSet<String> {
    // The drift guard's probe text (empty where the manifest has no probe).
    let mut names = BTreeSet::from(["cutover_probe".to_owned()]);
    for step in lowered.steps.iter().filter(|step| step.gate.is_some()) {
        names.insert(format!("s{}_gate", step.position));
    }
    for instance in &lowered.instances {
        let index = instance.index;
        names.insert(format!("i{index}_run"));
        names.extend((1..=instance.verify.len()).map(|number| format!("i{index}_verify_{number}")));
        if instance.rollback.is_some() {
            names.insert(format!("i{index}_rollback"));
        }
        names.extend((1..=instance.cleanup.len()).map(|number| format!("i{index}_cleanup_{number}")));
    }
    names
}

struct Reader<'s> {
    text: &'s str,
    at: usize,
    lowered: &'s LoweredPlan,
    functions: BTreeSet<String>,
}

impl Reader<'_> {
    /// The text from here to the end of the line, without the line break.
    fn current(&self) -> &str {
        let rest = &self.text[self.at..];
        &rest[..rest.find('\n').unwrap_or(rest.len())]
    }

    /// Moves past the current line and its line break.
    fn advance(&mut self) {
        let length = self.current().len();
        self.at = (self.at + length + 1).min(self.text.len());
    }

    /// Reads one line, or one construct that starts on it.
    fn line(&mut self) -> Result<(), String> {
        let line = self.current().to_owned();
        if line.is_empty() || line.starts_with('#') || FIXED.contains(&line.as_str()) {
            self.advance();
            return Ok(());
        }
        if let Some(assignment) = line.strip_prefix("readonly ") {
            return self.readonly(assignment);
        }
        if line == "usage() {" || line == "dry_run() {" {
            self.advance();
            return self.here_document();
        }
        if line == "notify_command() {" {
            self.advance();
            return self.notify();
        }
        if line == "cutover_probe() {" {
            self.advance();
            // The guard's text: what the plan's probes say, compared with `compiled_for`.
            let guard = if self.lowered.compiled_for.is_empty() {
                String::new()
            } else {
                cutover::probe::guard(&self.lowered.probe, &self.lowered.compiled_for, "script")
            };
            return self.function_body("cutover_probe", &guard);
        }
        if let Some(name) = line.strip_suffix("() {") {
            let name = name.to_owned();
            self.advance();
            return self.command_function(&name);
        }
        if line.contains('[') {
            return self.data_line(&line);
        }
        Err("no line the emitter writes outside a function".to_owned())
    }

    fn readonly(&mut self, assignment: &str) -> Result<(), String> {
        let (name, written) = assignment.split_once('=').ok_or("`readonly` without a value")?;
        let (value, rest) = word(written)?;
        if !rest.is_empty() {
            return Err(format!("more than one word after `readonly {name}=`: {rest:?}"));
        }
        match name {
            "CUTOVER_PLAN" if value == self.lowered.plan => {}
            "CUTOVER_FINGERPRINT" if value.len() == 16 && value.chars().all(|c| c.is_ascii_hexdigit()) => {}
            "TOTAL" if value == self.lowered.instances.len().to_string() => {}
            "PROBED_HOSTS" if value == self.lowered.compiled_for.keys().cloned().collect::<Vec<_>>().join(" ") => {}
            _ => return Err(format!("`readonly {name}` holds {value:?}")),
        }
        self.advance();
        Ok(())
    }

    /// `  cat <<'TERMINATOR'`, the text, the terminator alone on its line, `}`.
    fn here_document(&mut self) -> Result<(), String> {
        let opening = self.current().to_owned();
        let terminator = opening
            .strip_prefix("  cat <<'")
            .and_then(|rest| rest.strip_suffix('\''))
            .filter(|terminator| {
                terminator.starts_with("CUTOVER_TEXT") && terminator.trim_end_matches('_') == "CUTOVER_TEXT"
            })
            .ok_or("a help function that is not one quoted here-document")?
            .to_owned();
        self.advance();
        while self.current() != terminator {
            if self.at >= self.text.len() {
                return Err(format!("the here-document never ends ({terminator})"));
            }
            self.advance();
        }
        self.advance();
        self.closing_brace()
    }

    /// `  bash -c WORD cutover-notify "$1" "$2"`, then `}`: the word is the notify command,
    /// which may hold line breaks inside its quotes.
    fn notify(&mut self) -> Result<(), String> {
        let rest = &self.text[self.at..];
        let written = rest.strip_prefix("  bash -c ").ok_or("notify_command does not run `bash -c`")?;
        let (command, after) = word(written)?;
        let tail = " cutover-notify \"$1\" \"$2\"\n";
        let after = after.strip_prefix(tail).ok_or("notify_command passes more than the event and the message")?;
        let expected = self.lowered.notify_command.as_ref().map(|notify| notify.shell("1", "2"));
        if expected.as_deref() != Some(command.as_str()) {
            return Err(format!("notify_command runs {command:?}, not the plan's {expected:?}"));
        }
        self.at = self.text.len() - after.len();
        self.closing_brace()
    }

    /// `iN_run() {` and its kin: the body is exactly the command the lowered plan gives, after
    /// a `:` when nothing in it runs.
    fn command_function(&mut self, name: &str) -> Result<(), String> {
        let command = self.command_of(name).ok_or("a function that is no command of the plan")?;
        self.function_body(name, &command)
    }

    /// The body of function `name`, which must be exactly `command`.
    fn function_body(&mut self, name: &str, command: &str) -> Result<(), String> {
        if !self.functions.insert(name.to_owned()) {
            return Err(format!("{name} is defined twice"));
        }
        let newline = if command.ends_with('\n') { "" } else { "\n" };
        let rest = &self.text[self.at..];
        let body = [format!("{command}{newline}}}\n"), format!(":\n{command}{newline}}}\n")]
            .into_iter()
            .find(|body| rest.starts_with(body.as_str()))
            .ok_or_else(|| format!("{name} does not hold exactly its command {command:?}"))?;
        self.at += body.len();
        Ok(())
    }

    fn command_of(&self, name: &str) -> Option<String> {
        // A step's gate: `sPOSITION_gate`.
        if let Some(position) = name.strip_prefix('s').and_then(|rest| rest.strip_suffix("_gate")) {
            let position: usize = position.parse().ok()?;
            let step = self.lowered.steps.iter().find(|step| step.position == position)?;
            return step.gate.as_ref().map(|gate| gate.run.clone());
        }
        let (index, kind) = name.strip_prefix('i')?.split_once('_')?;
        let index: usize = index.parse().ok()?;
        let instance = self.lowered.instances.iter().find(|instance| instance.index == index)?;
        let numbered = |prefix: &str, commands: &[String]| {
            let number: usize = kind.strip_prefix(prefix)?.parse().ok()?;
            commands.get(number.checked_sub(1)?).cloned()
        };
        match kind {
            "run" => Some(instance.run.clone()),
            "rollback" => instance.rollback.clone(),
            _ => numbered("verify_", &instance.verify).or_else(|| numbered("cleanup_", &instance.cleanup)),
        }
    }

    /// `STEP[n]=WORD HOST[n]=WORD …`: assignments of one instance, each value one word, all on
    /// this line; the names and hosts are the lowered plan's.
    fn data_line(&mut self, line: &str) -> Result<(), String> {
        const NAMES: &[&str] = &[
            "STEP",
            "HOST",
            "TIMEOUT",
            "UNDO",
            "RETRIES",
            "BACKOFF",
            "BASE",
            "MAXDELAY",
            "VERIFIES",
            "CLEANUPS",
            "IRREVERSIBLE",
            "NOOP",
            "BATCH",
            "MAXFAIL",
            "REBOOT",
            "GATE",
            "GATETIME",
            "APPROVAL",
        ];
        let mut rest = line;
        while !rest.is_empty() {
            let (name, after_name) = rest.split_once('[').ok_or("an assignment without an index")?;
            let (index, written) = after_name.split_once("]=").ok_or("an assignment without `]=`")?;
            if !NAMES.contains(&name) {
                return Err(format!("`{name}` is no array of the script"));
            }
            let index: usize = index.parse().map_err(|_| format!("`{name}[{index}]` has no number for an index"))?;
            let instance = self
                .lowered
                .instances
                .iter()
                .find(|instance| instance.index == index)
                .ok_or_else(|| format!("`{name}[{index}]` is no instance of the plan"))?;
            let (value, after) = word(written)?;
            let expected = match name {
                "STEP" => Some(instance.step.clone()),
                "HOST" => Some(instance.host.clone()),
                "IRREVERSIBLE" => Some(self.lowered.step_of(instance).irreversible.clone().unwrap_or_default()),
                "NOOP" => Some(instance.noop.clone().unwrap_or_default()),
                "APPROVAL" => Some(self.lowered.step_of(instance).approval.clone().unwrap_or_default()),
                _ => None,
            };
            match expected {
                Some(expected) if expected != value => {
                    return Err(format!("`{name}[{index}]` holds {value:?}, not {expected:?}"));
                }
                None if !value.chars().all(|c| c.is_ascii_alphanumeric()) => {
                    return Err(format!("`{name}[{index}]` holds {value:?}, which is no number or keyword"));
                }
                _ => {}
            }
            rest = match after.strip_prefix(' ') {
                Some(next) if !next.is_empty() => next,
                None if after.is_empty() => after,
                _ => return Err(format!("after `{name}[{index}]`: {after:?}")),
            };
        }
        self.advance();
        Ok(())
    }

    fn closing_brace(&mut self) -> Result<(), String> {
        if self.current() != "}" {
            return Err("a function that does not end where it should".to_owned());
        }
        self.advance();
        Ok(())
    }
}

/// The value of the bash word at the start of `text` and the text after it. A word is made of
/// single-quoted runs, `$'…'` runs with escapes, backslash escapes and runs of letters, digits
/// and `._-`; it ends at a space, a line break or the end. Anything else (an unquoted `;`, `$`,
/// `(`, a quote that never closes) is an error: it would be code.
fn word(text: &str) -> Result<(String, &str), String> {
    let mut value = Vec::new();
    let mut rest = text;
    loop {
        if let Some(after) = rest.strip_prefix("$'") {
            rest = ansi_c(after, &mut value)?;
        } else if let Some(after) = rest.strip_prefix('\'') {
            let close = after.find('\'').ok_or("a single quote that never closes")?;
            value.extend_from_slice(&after.as_bytes()[..close]);
            rest = &after[close + 1..];
        } else if let Some(after) = rest.strip_prefix('\\') {
            let escaped = after.chars().next().ok_or("a backslash at the end")?;
            if escaped == '\n' {
                return Err("a backslash before a line break".to_owned());
            }
            value.extend_from_slice(escaped.to_string().as_bytes());
            rest = &after[escaped.len_utf8()..];
        } else {
            let plain = rest.find(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c))).unwrap_or(rest.len());
            if plain == 0 {
                break;
            }
            value.extend_from_slice(&rest.as_bytes()[..plain]);
            rest = &rest[plain..];
        }
    }
    if !(rest.is_empty() || rest.starts_with([' ', '\n'])) {
        return Err(format!("a word goes on with code: {:?}", rest.chars().take(40).collect::<String>()));
    }
    let value = String::from_utf8(value).map_err(|_| "a word that is not UTF-8")?;
    Ok((value, rest))
}

/// The inside of `$'…'` up to its closing quote, as the emitter writes it: `\\`, `\'`, `\n`,
/// `\r`, `\t` and `\xHH`. Returns the text after the closing quote.
fn ansi_c<'t>(text: &'t str, value: &mut Vec<u8>) -> Result<&'t str, String> {
    let mut rest = text;
    loop {
        let next = rest.chars().next().ok_or("`$'` that never closes")?;
        match next {
            '\'' => return Ok(&rest[1..]),
            '\\' => {
                let escape = rest[1..].chars().next().ok_or("`$'` ends in a backslash")?;
                rest = &rest[1 + escape.len_utf8()..];
                match escape {
                    '\\' => value.push(b'\\'),
                    '\'' => value.push(b'\''),
                    'n' => value.push(b'\n'),
                    'r' => value.push(b'\r'),
                    't' => value.push(b'\t'),
                    'x' => {
                        let hex = rest.get(..2).ok_or("`\\x` without two digits")?;
                        value.push(u8::from_str_radix(hex, 16).map_err(|_| format!("`\\x{hex}`"))?);
                        rest = &rest[2..];
                    }
                    other => return Err(format!("`\\{other}` in `$'…'`, which the emitter never writes")),
                }
            }
            '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                return Err("a line break inside `$'…'`".to_owned());
            }
            character => {
                value.extend_from_slice(character.to_string().as_bytes());
                rest = &rest[character.len_utf8()..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::word;

    #[test]
    fn words_decode_as_bash_reads_them() {
        assert_eq!(word("'it'\\''s' x").unwrap(), ("it's".to_owned(), " x"));
        assert_eq!(word("$'a\\nb\\xe2\\x80\\xa8'").unwrap().0, "a\nb\u{2028}");
        assert_eq!(word("30").unwrap().0, "30");
        assert!(word("'a';touch x").is_err());
        assert!(word("'never").is_err());
        assert!(word("$(touch x)").is_err());
    }
}
