//! What both front ends decide the same way: each reads its own syntax into parts, and the
//! steps, actions, parameter types, effects and estimates are put together and checked here,
//! with the same diagnostics whichever form the plan is written in. Only help lines that show
//! syntax differ, by [`Form`].

use crate::codes::{CUT001, CUT002};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::{
    Action, BadBatchSize, BatchSize, Call, Commands, Duration, Effect, Gate, GateCheck, MaxFail, Param, ParamType,
    Phase, Retries, Serial, Spanned, Step, Tuning, Undo,
};
use crate::source::Span;

/// The fields of a step, in the order the schema and the canonical forms write them.
pub const STEP_FIELDS: &[&str] = &[
    "id",
    "do",
    "with",
    "run",
    "rollback",
    "irreversible",
    "verify",
    "cleanup",
    "estimate",
    "timeout",
    "retries",
    "after",
    "on",
    "serial",
    "max_fail",
    "gate",
    "effects",
    "readonly",
];

/// The fields of a gate, in the order the canonical forms write them (the DSL writes `http`'s
/// `status` and `body` as fields of their own).
pub const GATE_FIELDS: &[&str] = &["http", "command", "interval", "passes", "soak", "timeout"];
/// The fields of a gate's `http` check.
pub const HTTP_FIELDS: &[&str] = &["url", "status", "body"];

/// The fields of an action definition.
pub const ACTION_FIELDS: &[&str] = &[
    "params",
    "run",
    "rollback",
    "irreversible",
    "verify",
    "cleanup",
    "estimate",
    "timeout",
    "retries",
    "effects",
    "readonly",
];

/// Which form a plan is written in, for help lines that show syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Yaml,
    Dsl,
}

/// A field's value with where its name was written (the YAML key, the DSL keyword).
#[derive(Clone, Debug)]
pub struct Keyed {
    pub key: Span,
    pub text: Spanned<String>,
}

/// The commands as written on a step or an action.
#[derive(Clone, Debug, Default)]
pub struct WrittenCommands {
    pub run: Option<Keyed>,
    pub rollback: Option<Keyed>,
    pub irreversible: Option<Keyed>,
    pub verify: Option<Spanned<String>>,
    pub cleanup: Option<Spanned<String>>,
}

/// What a front end read of a step.
#[derive(Debug)]
pub struct StepParts {
    pub id: Spanned<String>,
    pub phase: Phase,
    pub span: Span,
    pub call: Option<Call>,
    pub commands: WrittenCommands,
    pub estimate: Option<Spanned<String>>,
    pub timeout: Option<Spanned<Duration>>,
    pub retries: Option<Spanned<Retries>>,
    pub after: Vec<Spanned<String>>,
    pub on: Option<Spanned<String>>,
    pub serial: Option<Spanned<Serial>>,
    pub max_fail: Option<Spanned<MaxFail>>,
    pub gate: Option<Spanned<Gate>>,
    pub effects: Vec<Spanned<String>>,
    pub readonly: Option<Spanned<bool>>,
}

/// What a front end read of a gate: `url`, `status` and `body` are `http`'s.
#[derive(Debug, Default)]
pub struct GateParts {
    /// Where `http` was written, when it was.
    pub http: Option<Span>,
    pub url: Option<Spanned<String>>,
    pub status: Option<Spanned<String>>,
    pub body: Option<Spanned<String>>,
    pub command: Option<Spanned<String>>,
    pub interval: Option<Spanned<Duration>>,
    pub passes: Option<Spanned<String>>,
    pub soak: Option<Spanned<Duration>>,
    pub timeout: Option<Spanned<Duration>>,
}

/// What a front end read of an action definition.
#[derive(Debug)]
pub struct ActionParts {
    pub name: Spanned<String>,
    pub params: Vec<Param>,
    pub commands: WrittenCommands,
    pub estimate: Option<Spanned<String>>,
    pub timeout: Option<Spanned<Duration>>,
    pub retries: Option<Spanned<Retries>>,
    pub effects: Vec<Spanned<String>>,
    pub readonly: bool,
}

/// A step from its parts: a step that calls an action takes its commands from the action
/// (writing `run`, `rollback` or `irreversible` on it is CUT002); an inline step must run
/// something (CUT001).
pub fn step(parts: StepParts, form: Form, diagnostics: &mut Vec<Diagnostic>) -> Step {
    let StepParts {
        id,
        phase,
        span,
        call,
        commands,
        estimate,
        timeout,
        retries,
        after,
        on,
        serial,
        max_fail,
        gate,
        effects,
        readonly,
    } = parts;
    let commands = if call.is_some() {
        for (name, given) in
            [("run", &commands.run), ("rollback", &commands.rollback), ("irreversible", &commands.irreversible)]
        {
            if let Some(given) = given {
                let inline = match form {
                    Form::Yaml => "drop `do:`",
                    Form::Dsl => "drop the call",
                };
                diagnostics.push(
                    Diagnostic::new(CUT002, given.key, format!("`{name}` on a step that calls an action"))
                        .with_primary_label("only inline steps carry this")
                        .with_help(format!(
                            "set `{name}` in the action's definition, or {inline} and write the step inline"
                        )),
                );
            }
        }
        Commands { run: None, undo: None, ..self::commands(commands, diagnostics) }
    } else {
        let commands = self::commands(commands, diagnostics);
        if commands.run.is_none() {
            let help = match form {
                Form::Yaml => "add `do: ACTION` with `with:` arguments, or `run: COMMAND`",
                Form::Dsl => "call an action (`step NAME: ACTION(…)`) or give the block a `run` command",
            };
            diagnostics.push(
                Diagnostic::new(
                    CUT001,
                    id.span,
                    format!("step `{}` neither calls an action nor runs a command", id.value),
                )
                .with_primary_label("this step does nothing")
                .with_help(help),
            );
        }
        commands
    };
    let estimate = estimate.and_then(|text| duration(&text, diagnostics));
    Step {
        id,
        phase,
        span,
        call,
        commands,
        tuning: Tuning { estimate, timeout, retries },
        after,
        on,
        serial,
        max_fail,
        gate,
        effects: self::effects(effects, diagnostics),
        readonly,
    }
}

/// A gate from its parts: exactly one check (`http` with a `url`, or `command`), a status
/// between 100 and 599, at least one pass, checks at least a second apart.
pub fn gate(parts: GateParts, span: Span, form: Form, diagnostics: &mut Vec<Diagnostic>) -> Option<Spanned<Gate>> {
    let GateParts { http, url, status, body, command, interval, passes, soak, timeout } = parts;
    let (http_syntax, command_syntax) = match form {
        Form::Yaml => ("`http: { url: URL }`", "`command: \"…\"`"),
        Form::Dsl => ("`http \"URL\"`", "`command \"…\"`"),
    };
    let check = match (http, command) {
        (Some(http), Some(command)) => {
            diagnostics.push(
                Diagnostic::new(CUT001, command.span, "a gate checks one thing: `http` or `command`, not both")
                    .with_label(http, "`http` given here")
                    .with_help("split it: one of them here, the other as a `verify` or a step of its own"),
            );
            return None;
        }
        (None, None) => {
            let stray = url.as_ref().or(status.as_ref()).or(body.as_ref()).map_or(span, |field| field.span);
            diagnostics.push(
                Diagnostic::new(CUT001, stray, "`gate` has nothing to check")
                    .with_help(format!("add {http_syntax} or {command_syntax}")),
            );
            return None;
        }
        (None, Some(command)) => {
            if let Some(stray) = status.as_ref().or(body.as_ref()) {
                diagnostics.push(
                    Diagnostic::new(CUT001, stray.span, "`status` and `body` belong to an `http` check")
                        .with_help("a command passes when it exits 0: test its output in the command"),
                );
                return None;
            }
            GateCheck::Command(command)
        }
        (Some(http), None) => {
            let Some(url) = url else {
                diagnostics.push(
                    Diagnostic::new(CUT001, http, "`http` has no `url`").with_help(format!("write {http_syntax}")),
                );
                return None;
            };
            if !(url.value.starts_with("http://") || url.value.starts_with("https://")) {
                diagnostics.push(wrong_form(&url, "a URL starting with http:// or https://"));
                return None;
            }
            let status = match status {
                Some(text) => match text.value.parse::<u16>() {
                    Ok(code) if (100..=599).contains(&code) => Some(code),
                    _ => {
                        diagnostics.push(wrong_form(&text, "an HTTP status from 100 to 599"));
                        return None;
                    }
                },
                None => None,
            };
            GateCheck::Http { url, status, body }
        }
    };
    let passes = match passes {
        Some(text) => match text.value.parse::<u32>() {
            Ok(count) if count >= 1 => Some(count),
            _ => {
                diagnostics.push(wrong_form(&text, "a number of passes, 1 or more"));
                return None;
            }
        },
        None => None,
    };
    if let Some(interval) = interval.as_ref().filter(|interval| interval.value.seconds() == 0) {
        diagnostics.push(
            Diagnostic::new(CUT001, interval.span, "a gate's checks must be at least a second apart")
                .with_help("write `interval: 1s` or more"),
        );
        return None;
    }
    Some(Spanned::new(
        Gate {
            check,
            interval: interval.map(|interval| interval.value),
            passes,
            soak: soak.map(|soak| soak.value),
            timeout: timeout.map(|timeout| timeout.value),
        },
        span,
    ))
}

/// An action from its parts: it must run something (CUT001); its `estimate` is a duration or
/// names a duration parameter (`estimate: "{timeout}"`, as `http.wait` does).
pub fn action(parts: ActionParts, form: Form, diagnostics: &mut Vec<Diagnostic>) -> Action {
    let ActionParts { name, params, commands, estimate, timeout, retries, effects, readonly } = parts;
    let commands = self::commands(commands, diagnostics);
    if commands.run.is_none() {
        let help = match form {
            Form::Yaml => "add `run:` with the command the action runs",
            Form::Dsl => "add `run \"COMMAND\"` to its block",
        };
        diagnostics.push(
            Diagnostic::new(CUT001, name.span, format!("action `{}` has no `run` command", name.value)).with_help(help),
        );
    }
    let mut estimate_from = None;
    let estimate = match estimate {
        Some(text) if text.value.len() >= 2 && text.value.starts_with('{') && text.value.ends_with('}') => {
            estimate_from = Some(Spanned::new(text.value[1..text.value.len() - 1].trim().to_owned(), text.span));
            None
        }
        Some(text) => duration(&text, diagnostics),
        None => None,
    };
    Action {
        name,
        params,
        commands,
        tuning: Tuning { estimate, timeout, retries },
        effects: self::effects(effects, diagnostics),
        readonly,
        estimate_from,
    }
}

/// A parameter's type by its name; an unknown one is CUT001 with the nearest name.
pub fn param_type(text: &Spanned<String>, diagnostics: &mut Vec<Diagnostic>) -> Option<Spanned<ParamType>> {
    if let Some(kind) = ParamType::parse(&text.value) {
        return Some(Spanned::new(kind, text.span));
    }
    diagnostics.push(
        Diagnostic::new(CUT001, text.span, format!("unknown parameter type `{}`", text.value)).with_optional_help(
            did_you_mean(&text.value, ParamType::NAMES)
                .or_else(|| Some(format!("types are {}", ParamType::NAMES.join(", ")))),
        ),
    );
    None
}

/// CUT002 at a field that is not one of `known`, with the nearest known one.
#[must_use]
pub fn unknown_field(span: Span, word: &str, context: &str, known: &[&str]) -> Diagnostic {
    Diagnostic::new(CUT002, span, format!("unknown field `{}` in {context}", crate::diagnostic::abbreviate(word)))
        .with_primary_label("not a field of this")
        .with_optional_help(
            did_you_mean(word, known.iter().copied()).or_else(|| Some(format!("known fields: {}", known.join(", ")))),
        )
}

/// CUT001 at a value of the wrong form: "expected a duration like 90s, found `soon`".
#[must_use]
pub fn wrong_form(value: &Spanned<String>, expected: &str) -> Diagnostic {
    Diagnostic::new(
        CUT001,
        value.span,
        format!("expected {expected}, found `{}`", crate::diagnostic::abbreviate(&value.value)),
    )
    .with_primary_label(format!("expected {expected}"))
}

/// One batch size of `serial` (the one size, or an entry of a ramp), or CUT001 at it saying
/// what is wrong: none at all, no host, more than every host.
///
/// # Errors
/// The diagnostic, at the text.
pub fn batch_size(text: &Spanned<String>) -> Result<BatchSize, Diagnostic> {
    let shown = crate::diagnostic::abbreviate(&text.value);
    BatchSize::parse(&text.value).map_err(|bad| {
        let (message, label) = match bad {
            BadBatchSize::NoHost => {
                (format!("a batch of `{shown}` holds no host and never ends"), "use 1 host or more".to_owned())
            }
            BadBatchSize::OverAll => {
                (format!("`{shown}` is more than every host"), "a share is at most 100%".to_owned())
            }
            BadBatchSize::NotASize => (
                format!("expected a host count like 1 or a share like 25%, found `{shown}`"),
                "expected a host count like 1 or a share like 25%".to_owned(),
            ),
        };
        Diagnostic::new(CUT001, text.span, message).with_primary_label(label)
    })
}

/// CUT001 at a `serial` ramp with no size in it.
#[must_use]
pub fn empty_ramp(span: Span, form: Form) -> Diagnostic {
    let example = match form {
        Form::Yaml => "`serial: [1, 10%, 50%]`",
        Form::Dsl => "`serial [1, 10%, 50%]`",
    };
    Diagnostic::new(CUT001, span, "a `serial` ramp needs at least one batch size")
        .with_primary_label("no batch size")
        .with_help(format!("write the sizes of the first batches in order, the last repeating, like {example}; or leave `serial` out to run every host at once"))
}

/// How a step or action is undone, from its `rollback` and `irreversible`. Both at once is
/// CUT001; the rollback is kept so that checking goes on.
fn undo(rollback: Option<Keyed>, irreversible: Option<Keyed>, diagnostics: &mut Vec<Diagnostic>) -> Option<Undo> {
    match (rollback, irreversible) {
        (Some(rollback), Some(irreversible)) => {
            diagnostics.push(
                Diagnostic::new(CUT001, irreversible.text.span, "both `rollback` and `irreversible`")
                    .with_label(rollback.text.span, "a rollback is given here")
                    .with_help("keep `rollback` if the step can be undone, `irreversible` if it cannot"),
            );
            Some(Undo::Rollback(rollback.text))
        }
        (Some(rollback), None) => Some(Undo::Rollback(rollback.text)),
        (None, Some(irreversible)) => Some(Undo::Irreversible(irreversible.text)),
        (None, None) => None,
    }
}

fn commands(written: WrittenCommands, diagnostics: &mut Vec<Diagnostic>) -> Commands {
    let WrittenCommands { run, rollback, irreversible, verify, cleanup } = written;
    Commands { run: run.map(|run| run.text), undo: undo(rollback, irreversible, diagnostics), verify, cleanup }
}

fn duration(text: &Spanned<String>, diagnostics: &mut Vec<Diagnostic>) -> Option<Spanned<Duration>> {
    if let Some(duration) = Duration::parse(&text.value) {
        return Some(Spanned::new(duration, text.span));
    }
    diagnostics.push(wrong_form(text, "a duration like 90s, 5m or 1h30m"));
    None
}

fn effects(texts: Vec<Spanned<String>>, diagnostics: &mut Vec<Diagnostic>) -> Vec<Spanned<Effect>> {
    texts
        .into_iter()
        .filter_map(|text| {
            if let Some(effect) = Effect::parse(&text.value) {
                return Some(Spanned::new(effect, text.span));
            }
            diagnostics.push(
                Diagnostic::new(CUT001, text.span, format!("unknown effect `{}`", text.value)).with_optional_help(
                    did_you_mean(&text.value, Effect::NAMES)
                        .or_else(|| Some(format!("effects are {}", Effect::NAMES.join(", ")))),
                ),
            );
            None
        })
        .collect()
}
