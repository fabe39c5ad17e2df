//! The YAML front end for plans and action libraries: node tree to [`model::Plan`].

use crate::codes::{CUT001, CUT002};
use crate::diagnostic::Diagnostic;
use crate::model::{
    Action, Argument, Backoff, Call, Gate, Library, MaxFail, Param, Phase, Plan, Retries, Serial, Spanned, Step,
};
use crate::source::FileId;
use crate::syntax::build::{self, ActionParts, Form, GateParts, Keyed, StepParts, WrittenCommands};
use crate::syntax::reader::{Fields, Reader};
use crate::syntax::yaml::{Node, NodeKind};

pub(crate) const PLAN_FIELDS: &[&str] = &[
    "cutover",
    "plan",
    "manifest",
    "inventory",
    "window",
    "buffer",
    "use",
    "upgrade",
    "notify",
    "preflight",
    "steps",
    "actions",
];

pub(crate) use crate::syntax::build::{ACTION_FIELDS, STEP_FIELDS};

pub(crate) const RETRY_FIELDS: &[&str] = &["count", "backoff", "base", "max"];

/// The language versions this compiler reads.
pub const LANGUAGE_VERSION: u32 = 1;

/// Reads a plan. Returns `None` only when the file is not a plan at all (not a mapping).
pub fn read_plan(file: FileId, root: &Node, diagnostics: &mut Vec<Diagnostic>) -> Option<Plan> {
    let mut reader = Reader { diagnostics };
    let fields = reader.fields(root, PLAN_FIELDS, "a plan")?;
    let language = read_language(&mut reader, &fields, root);
    let name =
        reader.required_string(&fields, "plan", "the plan").unwrap_or_else(|| Spanned::new(String::new(), root.span));
    let manifest = reader.required_string(&fields, "manifest", "the plan");
    let inventory = reader.required_string(&fields, "inventory", "the plan");
    let window = reader.duration(&fields, "window");
    let buffer = reader.percent(&fields, "buffer");
    let uses = reader.strings(&fields, "use");
    let notify = reader.optional_string(&fields, "notify");
    let upgrade = fields
        .get("upgrade")
        .map(|node| {
            reader
                .entries(node, "`upgrade`")
                .into_iter()
                .filter_map(|(component, value)| {
                    reader.string(value, "a target version").map(|version| (component, version))
                })
                .collect()
        })
        .unwrap_or_default();
    let preflight = read_steps(&mut reader, &fields, "preflight", Phase::Preflight);
    let steps = read_steps(&mut reader, &fields, "steps", Phase::Main);
    let actions = fields.get("actions").map(|node| read_actions(&mut reader, node)).unwrap_or_default();
    Some(Plan {
        file,
        language,
        name,
        manifest,
        inventory,
        window,
        buffer,
        uses,
        upgrade,
        notify,
        preflight,
        steps,
        actions,
    })
}

/// Reads an action library: a file holding only `actions:`.
pub fn read_library(file: FileId, root: &Node, diagnostics: &mut Vec<Diagnostic>) -> Library {
    let mut reader = Reader { diagnostics };
    let actions = reader
        .fields(root, &["actions"], "an action library")
        .and_then(|fields| fields.get("actions").map(|node| read_actions(&mut reader, node)))
        .unwrap_or_default();
    Library { file, actions }
}

fn read_language(reader: &mut Reader<'_>, fields: &Fields<'_>, root: &Node) -> Spanned<u32> {
    let Some(node) = fields.get("cutover") else {
        reader.report(
            Diagnostic::new(
                CUT001,
                crate::source::Span { end: root.span.start, ..root.span },
                "the plan does not say its language version",
            )
            .with_help(format!("add `cutover: {LANGUAGE_VERSION}` as the first line")),
        );
        return Spanned::new(LANGUAGE_VERSION, root.span);
    };
    match reader.string(node, "`cutover`") {
        Some(text) if text.value == LANGUAGE_VERSION.to_string() => Spanned::new(LANGUAGE_VERSION, text.span),
        Some(text) => {
            reader.report(
                Diagnostic::new(CUT001, text.span, format!("unsupported language version `{}`", text.value))
                    .with_primary_label("this compiler reads version 1")
                    .with_help(format!("write `cutover: {LANGUAGE_VERSION}`")),
            );
            Spanned::new(LANGUAGE_VERSION, text.span)
        }
        None => Spanned::new(LANGUAGE_VERSION, node.span),
    }
}

fn read_steps(reader: &mut Reader<'_>, fields: &Fields<'_>, key: &str, phase: Phase) -> Vec<Step> {
    let Some(node) = fields.get(key) else { return Vec::new() };
    let NodeKind::Sequence(items) = &node.kind else {
        reader.wrong_form(node, &format!("a list of steps for `{key}`"));
        return Vec::new();
    };
    crate::parallel::filter_map_in_halves(items, reader.diagnostics, |item, diagnostics| {
        read_step(&mut Reader { diagnostics }, item, phase)
    })
}

fn read_step(reader: &mut Reader<'_>, node: &Node, phase: Phase) -> Option<Step> {
    let fields = reader.fields(node, STEP_FIELDS, "a step")?;
    let id = reader.required_string(&fields, "id", "a step")?;
    let call = fields.entry("do").and_then(|(_, action)| {
        let action = reader.string(action, "`do`")?;
        let arguments = fields.get("with").map(|with| read_arguments(reader, with)).unwrap_or_default();
        Some(Call { action, arguments })
    });
    if call.is_none()
        && let Some((key, _)) = fields.entry("with")
    {
        reader.report(
            Diagnostic::new(CUT002, key.span, "`with` without `do`")
                .with_primary_label("arguments, but no action to pass them to")
                .with_help("name the action with `do:`, or write the step inline with `run:`"),
        );
    }
    let parts = StepParts {
        id,
        phase,
        span: node.span,
        call,
        commands: read_commands(reader, &fields),
        estimate: reader.optional_string(&fields, "estimate"),
        timeout: reader.duration(&fields, "timeout"),
        retries: fields.get("retries").and_then(|node| read_retries(reader, node)),
        after: reader.strings(&fields, "after"),
        on: reader.optional_string(&fields, "on"),
        serial: fields.get("serial").and_then(|node| read_serial(reader, node)),
        max_fail: reader.parsed(&fields, "max_fail", "a host count like 1 or a share like 25%", MaxFail::parse),
        gate: fields.get("gate").and_then(|node| read_gate(reader, node)),
        effects: reader.strings(&fields, "effects"),
        readonly: reader.boolean(&fields, "readonly"),
    };
    Some(build::step(parts, Form::Yaml, reader.diagnostics))
}

/// `gate: { http: { url, status, body } | command, interval, passes, soak, timeout }`.
fn read_gate(reader: &mut Reader<'_>, node: &Node) -> Option<Spanned<Gate>> {
    let fields = reader.fields(node, build::GATE_FIELDS, "`gate`")?;
    let mut parts = GateParts {
        command: reader.optional_string(&fields, "command"),
        interval: reader.duration(&fields, "interval"),
        passes: reader.optional_string(&fields, "passes"),
        soak: reader.duration(&fields, "soak"),
        timeout: reader.duration(&fields, "timeout"),
        ..GateParts::default()
    };
    if let Some((key, http)) = fields.entry("http") {
        parts.http = Some(key.span);
        let http = reader.fields(http, build::HTTP_FIELDS, "a gate's `http`")?;
        parts.url = reader.optional_string(&http, "url");
        parts.status = reader.optional_string(&http, "status");
        parts.body = reader.optional_string(&http, "body");
    }
    build::gate(parts, node.span, Form::Yaml, reader.diagnostics)
}

/// `serial`: one batch size, or a ramp (`[1, 10%, 50%]`) with every entry checked where it is
/// written.
fn read_serial(reader: &mut Reader<'_>, node: &Node) -> Option<Spanned<Serial>> {
    let NodeKind::Sequence(items) = &node.kind else {
        let text = reader.string(node, "`serial`")?;
        return match build::batch_size(&text) {
            Ok(size) => Some(Spanned::new(Serial::Every(size), text.span)),
            Err(diagnostic) => {
                reader.report(diagnostic);
                None
            }
        };
    };
    if items.is_empty() {
        reader.report(build::empty_ramp(node.span, Form::Yaml));
        return None;
    }
    let mut sizes = Vec::with_capacity(items.len());
    for item in items {
        let Some(text) = reader.string(item, "an entry of `serial`") else { continue };
        match build::batch_size(&text) {
            Ok(size) => sizes.push(size),
            Err(diagnostic) => reader.report(diagnostic),
        }
    }
    (sizes.len() == items.len()).then(|| Spanned::new(Serial::Ramp(sizes), node.span))
}

fn read_arguments(reader: &mut Reader<'_>, node: &Node) -> Vec<Argument> {
    reader
        .entries(node, "`with`")
        .into_iter()
        .filter_map(|(name, value)| {
            if value.kind == NodeKind::Null {
                reader.report(
                    Diagnostic::new(crate::codes::CUT006, name.span, format!("argument `{}` has no value", name.value))
                        .with_help("give it a value, or leave it out to use the parameter's default"),
                );
                return None;
            }
            let value = reader.string(value, format_args!("argument `{}`", name.value))?;
            Some(Argument { name, value })
        })
        .collect()
}

fn read_commands(reader: &mut Reader<'_>, fields: &Fields<'_>) -> WrittenCommands {
    let mut keyed = |key: &str| {
        let (key_node, value) = fields.entry(key)?;
        Some(Keyed { key: key_node.span, text: reader.string(value, format_args!("`{key}`"))? })
    };
    WrittenCommands {
        run: keyed("run"),
        rollback: keyed("rollback"),
        irreversible: keyed("irreversible"),
        verify: reader.optional_string(fields, "verify"),
        cleanup: reader.optional_string(fields, "cleanup"),
    }
}

fn read_retries(reader: &mut Reader<'_>, node: &Node) -> Option<Spanned<Retries>> {
    // `retries: 3` is the short form of `retries: { count: 3 }`.
    if let Some(scalar) = node.as_scalar() {
        return if let Ok(count) = scalar.text.parse::<u32>() {
            Some(Spanned::new(Retries { count, backoff: None, base: None, max: None }, node.span))
        } else {
            reader.wrong_form(node, "a retry count or `{ count, backoff, base, max }`");
            None
        };
    }
    let fields = reader.fields(node, RETRY_FIELDS, "`retries`")?;
    let count = reader.parsed(&fields, "count", "a whole number", |text| text.parse::<u32>().ok());
    let backoff = reader.parsed(&fields, "backoff", "one of none, fixed, linear, exponential", Backoff::parse);
    let base = reader.duration(&fields, "base");
    let max = reader.duration(&fields, "max");
    let count = match count {
        Some(count) => count.value,
        None if fields.has("count") => return None,
        None => {
            reader.report(Diagnostic::new(CUT001, node.span, "`retries` has no `count`").with_help("add `count: 3`"));
            return None;
        }
    };
    Some(Spanned::new(
        Retries {
            count,
            backoff: backoff.map(|backoff| backoff.value),
            base: base.map(|base| base.value),
            max: max.map(|max| max.value),
        },
        node.span,
    ))
}

fn read_actions(reader: &mut Reader<'_>, node: &Node) -> Vec<Action> {
    reader
        .entries(node, "`actions`")
        .into_iter()
        .filter_map(|(name, definition)| read_action(reader, name, definition))
        .collect()
}

fn read_action(reader: &mut Reader<'_>, name: Spanned<String>, node: &Node) -> Option<Action> {
    let fields = reader.fields(node, ACTION_FIELDS, &format!("action `{}`", name.value))?;
    let parts = ActionParts {
        params: fields.get("params").map(|params| read_params(reader, params)).unwrap_or_default(),
        name,
        commands: read_commands(reader, &fields),
        estimate: reader.optional_string(&fields, "estimate"),
        timeout: reader.duration(&fields, "timeout"),
        retries: fields.get("retries").and_then(|node| read_retries(reader, node)),
        effects: reader.strings(&fields, "effects"),
        readonly: reader.boolean(&fields, "readonly").is_some_and(|readonly| readonly.value),
    };
    Some(build::action(parts, Form::Yaml, reader.diagnostics))
}

fn read_params(reader: &mut Reader<'_>, node: &Node) -> Vec<Param> {
    reader
        .entries(node, "`params`")
        .into_iter()
        .filter_map(|(name, declaration)| {
            let (kind_node, default) = if let NodeKind::Mapping(_) = declaration.kind {
                let fields =
                    reader.fields(declaration, &["type", "default"], &format!("parameter `{}`", name.value))?;
                let Some(kind) = fields.get("type") else {
                    reader.report(
                        Diagnostic::new(CUT001, name.span, format!("parameter `{}` has no `type`", name.value))
                            .with_help("write `{ type: string, default: ... }`"),
                    );
                    return None;
                };
                (kind, reader.optional_string(&fields, "default"))
            } else {
                (declaration, None)
            };
            let kind_text = reader.string(kind_node, "a parameter type")?;
            let kind = build::param_type(&kind_text, reader.diagnostics)?;
            Some(Param { name, kind, default })
        })
        .collect()
}
