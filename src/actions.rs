//! The action reference: every action a plan can call (the prelude's, and a plan's and its
//! libraries' when a plan is given), with its parameters, timing, effects and the commands it
//! runs. `cutover actions`, `cutover explain ACTION` and `docs/actions.md` are all rendered from
//! [`Reference`], so they cannot disagree.
//!
//! The prelude's descriptions live in [`DESCRIPTIONS`] rather than in `prelude.yaml`: the
//! prelude's comments are not part of the model, and a `description:` field would be a change
//! to the plan language (both readers, the DSL printer, the schemas) for text only this
//! reference shows. A test keeps the table and the prelude's actions equal.

use std::fmt::Write as _;

use indexmap::IndexMap;
use serde::Serialize;

use crate::driver::ActionSources;
use crate::model::{Action, Undo};
use crate::source::SourceMap;

/// What each prelude action is for, in a paragraph, by name. Plans' own actions have none.
pub const DESCRIPTIONS: &[(&str, &str)] = &[
    (
        "service.stop",
        "Stops a systemd unit and checks that it is no longer active. The rollback starts it \
         again.",
    ),
    ("service.start", "Starts a systemd unit and checks that it is active. The rollback stops it again."),
    (
        "service.restart",
        "Restarts a systemd unit and checks that it is active. The rollback restarts it once more, \
         so that it runs with whatever configuration the rollbacks before it put back.",
    ),
    (
        "config.set",
        "Sets a key in a config file (`key = value`, `key: value` or INI lines): the key's first \
         line is replaced, later lines of the same key are dropped, or the key is appended when \
         the file lacks it; every other byte of the file stays, and so do its owner and mode. \
         Before the run's first edit of a file, a copy of it goes into the run's own directory on \
         the host, so several edits of one file all stick and the rollback restores the file \
         byte for byte as it was before the run. The cleanup deletes the copy.",
    ),
    (
        "config.unset",
        "Deletes every line of a key from a config file, keeping every other byte. The file is \
         copied, restored and cleaned up exactly as `config.set` does it, so the two can edit \
         one file in the same run.",
    ),
    (
        "file.backup",
        "Copies a file or directory to `PATH.cutover-snapshot` (written aside and renamed into \
         place, so a failed copy never stands in for a good one). Its effect is `snapshot`, \
         which is what an irreversible step needs before it (CUT031). The rollback puts the \
         snapshot back in place of the path.",
    ),
    (
        "http.wait",
        "Polls a URL every two seconds until it answers with the expected status (200 unless \
         given), and fails when the timeout passes first. Read-only, so it may be a preflight \
         check; its estimate is its timeout.",
    ),
    (
        "package.verify",
        "Checks the package's certificate against a CA chain with `openssl verify`. Read-only, \
         for preflight.",
    ),
    (
        "reboot",
        "Reboots the host. The runners wait for it to go down and come back with a new boot id \
         before the instance counts as done, so a `serial: N` step never has more than N hosts \
         down. A reboot has nothing to undo: its rollback only says so.",
    ),
    (
        "timer.pause",
        "Stops a systemd timer for the window, so that scheduled jobs do not run during the \
         upgrade. The rollback and the cleanup start it again.",
    ),
    (
        "cron.pause",
        "Pauses a cron file under `/etc/cron.d` by renaming it to `FILE.cutover-paused` (cron \
         ignores file names with a dot). The rollback and the cleanup move it back.",
    ),
    (
        "approve",
        "Waits for a person before the step runs: the script asks on its terminal (only `yes` \
         goes on) or takes `--approve STEP`, and without either stops with exit 4, waiting; the \
         playbook pauses, or takes `-e cutover_approve=STEP`. Who approved and when goes into \
         the journal. Its command only prints the message into the run's log.",
    ),
];

/// Every action known, by name, in the order the plan would see them: the prelude's, then
/// each library's and the plan's own. An action of a library or the plan replaces the
/// prelude's of the same name in its place, as compiling does.
#[derive(Debug, Serialize)]
pub struct Reference {
    pub actions: Vec<ActionEntry>,
}

/// One action, as the reference shows it.
#[derive(Debug, Serialize)]
pub struct ActionEntry {
    pub name: String,
    /// `prelude`, or the file that defines it.
    pub defined_in: String,
    /// A library's or the plan's action that takes the place of the prelude's.
    pub replaces_prelude: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub params: Vec<ParamEntry>,
    pub readonly: bool,
    pub effects: Vec<String>,
    /// A duration, or `{param}` for an estimate taken from a duration argument.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<RetriesEntry>,
    /// The templates, as written.
    pub commands: IndexMap<&'static str, String>,
}

#[derive(Debug, Serialize)]
pub struct ParamEntry {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RetriesEntry {
    pub count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
}

impl Reference {
    /// The reference of what was read. Of two user actions of one name (CUT003 when compiling),
    /// the first counts, as in compilation.
    #[must_use]
    pub fn new(read: &ActionSources) -> Self {
        let mut table: IndexMap<&str, ActionEntry> = IndexMap::new();
        for action in &read.prelude.actions {
            table.insert(action.name.as_str(), entry(action, "prelude".to_owned(), false));
        }
        let mut defined_by_user = std::collections::HashSet::new();
        let user_actions = read.libraries.iter().flat_map(|library| &library.actions).chain(&read.plan_actions);
        for action in user_actions {
            let name = action.name.as_str();
            if !defined_by_user.insert(name) {
                continue;
            }
            let defined_in = read.sources.get(action.name.span.file).name.clone();
            let replaces = table.contains_key(name);
            table.insert(name, entry(action, defined_in, replaces));
        }
        Self { actions: table.into_values().collect() }
    }

    /// The prelude's actions alone.
    ///
    /// # Panics
    /// Only if the built-in prelude does not read cleanly, which a unit test rules out.
    #[must_use]
    pub fn prelude() -> Self {
        let read = crate::driver::read_actions(SourceMap::new(), None).expect("no plan to read");
        Self::new(&read)
    }

    #[must_use]
    pub fn find(&self, name: &str) -> Option<&ActionEntry> {
        self.actions.iter().find(|action| action.name == name)
    }

    /// `cutover actions`: one line an action, in aligned columns.
    #[must_use]
    pub fn listing(&self) -> String {
        let rows: Vec<[String; 4]> = self
            .actions
            .iter()
            .map(|action| {
                [
                    action.name.clone(),
                    action.params_text(),
                    action.effects_text(),
                    action.estimate.clone().unwrap_or_else(|| "-".to_owned()),
                ]
            })
            .collect();
        let header = ["ACTION", "PARAMETERS", "EFFECTS", "ESTIMATE"].map(str::to_owned);
        let mut widths = [0; 4];
        for row in std::iter::once(&header).chain(&rows) {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&header).chain(&rows) {
            let line = format!(
                "{:w0$}  {:w1$}  {:w2$}  {}",
                row[0],
                row[1],
                row[2],
                row[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out.push_str("\n`cutover explain ACTION` shows what an action runs.\n");
        out
    }

    /// `docs/actions.md`: the prelude's reference, generated (a test fails when it is stale).
    #[must_use]
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "# Action reference\n\n\
             The actions every plan can call without defining them (the prelude). A plan's `actions:` \
             or a `use:` library may define an action of the same name to replace one.\n\n\
             Generated from `src/prelude.yaml` and `src/actions.rs` (`cutover explain ACTION` prints the same \
             reference; `cutover actions PLAN` lists a plan's own actions too). Do not edit by hand: run \
             `UPDATE_DOCS=1 cargo test --test docs`.\n\n\
             Templates are shown as written: `{name}` is replaced by the argument, shell-quoted for its \
             place; `{name.seconds}` is a duration in seconds; `{{` and `}}` are literal braces.\n\n\
             | Action | Parameters | Effects | Estimate |\n|---|---|---|---|\n",
        );
        for action in &self.actions {
            let _ = writeln!(
                out,
                "| [`{}`](#{}) | {} | {} | {} |",
                action.name,
                action.name.replace('.', ""),
                code_or_dash(&action.params_text()),
                action.effects_text(),
                action.estimate.as_deref().map_or_else(|| "-".to_owned(), |estimate| format!("`{estimate}`")),
            );
        }
        for action in &self.actions {
            let _ = write!(out, "\n## {}\n\n", action.name);
            if let Some(description) = &action.description {
                let _ = write!(out, "{description}\n\n");
            }
            if !action.params.is_empty() {
                out.push_str("| Parameter | Type | Default |\n|---|---|---|\n");
                for param in &action.params {
                    let default = param.default.as_deref().map_or_else(|| "required".to_owned(), |v| format!("`{v}`"));
                    let _ = writeln!(out, "| `{}` | `{}` | {default} |", param.name, param.kind);
                }
                out.push('\n');
            }
            for (label, value) in action.properties() {
                let _ = writeln!(out, "- {label}: {value}");
            }
            for (role, template) in &action.commands {
                let _ = write!(out, "\n{role}:\n\n```sh\n{template}\n```\n");
            }
        }
        out
    }
}

impl ActionEntry {
    /// `cutover explain ACTION`.
    #[must_use]
    pub fn explanation(&self) -> String {
        let mut out = format!("{}: {}\n", self.name, self.origin_text());
        if let Some(description) = &self.description {
            let _ = write!(out, "\n{}\n", wrap(description, 92));
        }
        out.push('\n');
        let params = if self.params.is_empty() { "none".to_owned() } else { self.params_text() };
        let _ = writeln!(out, "{:12}{params}", "parameters:");
        for (label, value) in self.properties() {
            let _ = writeln!(out, "{:12}{}", format!("{label}:"), value.replace('`', ""));
        }
        if !self.commands.is_empty() {
            out.push_str(
                "\nThe templates, as written: {name} is the argument, shell-quoted for its place; {{ and }} are\n\
                 literal braces.\n",
            );
        }
        for (role, template) in &self.commands {
            let _ = write!(out, "\n{role}:\n    {template}\n");
        }
        out
    }

    /// `file: path, status: int = 200`.
    #[must_use]
    pub fn params_text(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|param| match &param.default {
                Some(default) => format!("{}: {} = {default}", param.name, param.kind),
                None => format!("{}: {}", param.name, param.kind),
            })
            .collect();
        params.join(", ")
    }

    /// `config`, `read-only`, or `-`.
    #[must_use]
    pub fn effects_text(&self) -> String {
        let mut words = self.effects.clone();
        if self.readonly {
            words.push("read-only".to_owned());
        }
        if words.is_empty() { "-".to_owned() } else { words.join(", ") }
    }

    fn origin_text(&self) -> String {
        match (self.defined_in.as_str(), self.replaces_prelude) {
            ("prelude", _) => "built in (the prelude)".to_owned(),
            (file, true) => format!("defined in {file}, in place of the prelude's"),
            (file, false) => format!("defined in {file}"),
        }
    }

    /// Label and value of each property, Markdown code marks included.
    fn properties(&self) -> Vec<(&'static str, String)> {
        let none = || "none".to_owned();
        let estimate = match &self.estimate {
            Some(estimate) if estimate.starts_with('{') => {
                format!("the `{}` argument", &estimate[1..estimate.len() - 1])
            }
            Some(estimate) => format!("`{estimate}`"),
            None => none(),
        };
        let retries = self.retries.as_ref().map_or_else(none, |retries| {
            let mut text = format!("{}", retries.count);
            if let Some(backoff) = retries.backoff {
                let _ = write!(text, ", {backoff} backoff");
            }
            if let Some(base) = &retries.base {
                let _ = write!(text, " from `{base}`");
            }
            if let Some(max) = &retries.max {
                let _ = write!(text, ", at most `{max}`");
            }
            text
        });
        vec![
            ("read-only", if self.readonly { "yes: changes nothing, needs no rollback" } else { "no" }.to_owned()),
            (
                "effects",
                if self.effects.is_empty() {
                    none()
                } else {
                    self.effects.iter().map(|effect| format!("`{effect}`")).collect::<Vec<_>>().join(", ")
                },
            ),
            ("estimate", estimate),
            ("timeout", self.timeout.as_ref().map_or_else(none, |timeout| format!("`{timeout}`"))),
            ("retries", retries),
        ]
    }
}

fn entry(action: &Action, defined_in: String, replaces_prelude: bool) -> ActionEntry {
    let is_prelude = defined_in == "prelude";
    let mut commands = IndexMap::new();
    if let Some(run) = &action.commands.run {
        commands.insert("run", run.value.clone());
    }
    if let Some(verify) = &action.commands.verify {
        commands.insert("verify", verify.value.clone());
    }
    match &action.commands.undo {
        Some(Undo::Rollback(rollback)) => {
            commands.insert("rollback", rollback.value.clone());
        }
        Some(Undo::Irreversible(why)) => {
            commands.insert("irreversible", why.value.clone());
        }
        None => {}
    }
    if let Some(cleanup) = &action.commands.cleanup {
        commands.insert("cleanup", cleanup.value.clone());
    }
    let description = is_prelude
        .then(|| DESCRIPTIONS.iter().find(|(name, _)| *name == action.name.as_str()))
        .flatten()
        .map(|(_, text)| (*text).to_owned());
    ActionEntry {
        name: action.name.value.clone(),
        defined_in,
        replaces_prelude,
        description,
        params: action
            .params
            .iter()
            .map(|param| ParamEntry {
                name: param.name.value.clone(),
                kind: param.kind.value.as_str(),
                default: param.default.as_ref().map(|default| default.value.clone()),
            })
            .collect(),
        readonly: action.readonly,
        effects: action.effects.iter().map(|effect| effect.value.as_str().to_owned()).collect(),
        estimate: action
            .estimate_from
            .as_ref()
            .map(|param| format!("{{{}}}", param.value))
            .or_else(|| action.tuning.estimate.as_ref().map(|estimate| estimate.value.to_string())),
        timeout: action.tuning.timeout.as_ref().map(|timeout| timeout.value.to_string()),
        retries: action.tuning.retries.as_ref().map(|retries| RetriesEntry {
            count: retries.value.count,
            backoff: retries.value.backoff.map(crate::model::Backoff::as_str),
            base: retries.value.base.map(|base| base.to_string()),
            max: retries.value.max.map(|max| max.to_string()),
        }),
        commands,
    }
}

fn code_or_dash(text: &str) -> String {
    if text.is_empty() { "-".to_owned() } else { format!("`{text}`") }
}

/// Words joined into lines of at most `width` characters (a longer word stands alone).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line_length = 0;
    for word in text.split_whitespace() {
        if line_length > 0 && line_length + 1 + word.chars().count() > width {
            out.push('\n');
            line_length = 0;
        } else if line_length > 0 {
            out.push(' ');
            line_length += 1;
        }
        out.push_str(word);
        line_length += word.chars().count();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every prelude action has a description, and every description an action.
    #[test]
    fn the_descriptions_match_the_prelude() {
        let reference = Reference::prelude();
        let actions: Vec<&str> = reference.actions.iter().map(|action| action.name.as_str()).collect();
        let described: Vec<&str> = DESCRIPTIONS.iter().map(|(name, _)| *name).collect();
        for name in &actions {
            assert!(described.contains(name), "prelude action `{name}` has no description in DESCRIPTIONS");
        }
        for name in &described {
            assert!(actions.contains(name), "DESCRIPTIONS describes `{name}`, which the prelude lacks");
        }
    }

    #[test]
    fn an_entry_carries_everything_the_prelude_says() {
        let reference = Reference::prelude();
        let wait = reference.find("http.wait").expect("http.wait");
        assert_eq!(wait.params_text(), "url: url, status: int = 200, timeout: duration");
        assert!(wait.readonly);
        assert_eq!(wait.estimate.as_deref(), Some("{timeout}"));
        let stop = reference.find("service.stop").expect("service.stop");
        assert_eq!(stop.commands.keys().copied().collect::<Vec<_>>(), ["run", "verify", "rollback"]);
        assert_eq!(stop.timeout.as_deref(), Some("2m"));
    }
}
