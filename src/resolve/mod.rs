//! Name resolution and typing: every step bound to its action, every argument checked against
//! its parameter's type, every template's placeholders against the parameters in scope.
//!
//! Reports CUT001 (names that are not identifiers), CUT003 (duplicate ids), CUT004 (unknown `after`), CUT006 (calls, arguments,
//! templates, targets), CUT010 (unknown component) and CUT011 (version not offered). This file
//! holds the resolved types and the plan-wide passes (ids, actions, `after`); binding one step
//! and parsing templates live in `bind`.

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::codes::{CUT003, CUT004};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::names::{self, NameKind};
use crate::model::{Action, Duration, Effect, MaxFail, Migration, ParamType, Phase, Retries, Serial, Step};
use crate::model::{Inventory, Library, Manifest, Plan};
use crate::resolve::template::Template;
use crate::source::{SourceMap, Span};

mod bind;
pub mod template;

use bind::{Binder, Templates};

/// What a plan is checked against: everything the front ends read.
#[derive(Debug)]
pub struct Inputs<'m> {
    pub plan: &'m Plan,
    /// `None` when it could not be read; the checks that need it are skipped.
    pub manifest: Option<&'m Manifest>,
    pub inventory: Option<&'m Inventory>,
    pub libraries: &'m [Library],
    pub prelude: &'m Library,
    /// From `cutover.toml`, or the defaults.
    pub settings: &'m crate::config::Settings,
}

/// The name of the machine that runs the plan, the default target of a step.
pub const LOCAL: &str = "local";

/// A plan with names resolved and arguments typed.
#[derive(Debug)]
pub struct Resolved<'m> {
    /// Preflight steps first, then main steps, each in declaration order.
    pub steps: Vec<ResolvedStep<'m>>,
    /// The plan's `notify`, parsed: `{event}` and `{message}` are its only placeholders.
    pub notify: Option<Template>,
}

/// One step, bound.
#[derive(Debug)]
pub struct ResolvedStep<'m> {
    pub step: &'m Step,
    pub action: Option<&'m Action>,
    pub arguments: IndexMap<String, Bound>,
    pub run: Option<Template>,
    pub undo: UndoPlan,
    pub verify: Vec<Template>,
    pub cleanup: Vec<Template>,
    pub target: Target,
    /// The hosts it runs on, in inventory order; `local` for the machine running the plan.
    pub hosts: Vec<String>,
    /// Steps it waits for, with the span of each `after` entry.
    pub after: Vec<(usize, Span)>,
    pub estimate: Option<Duration>,
    pub timeout: Option<Duration>,
    pub retries: Option<Retries>,
    pub serial: Option<Serial>,
    pub max_fail: Option<MaxFail>,
    pub effects: Vec<Effect>,
    pub readonly: bool,
    pub releases: Vec<ReleaseArgument>,
    pub migrations: Vec<(&'m Migration, Span)>,
}

impl ResolvedStep<'_> {
    #[must_use]
    pub fn id(&self) -> &str {
        &self.step.id.value
    }
}

/// How a step is undone, with its template parsed.
#[derive(Clone, Debug)]
pub enum UndoPlan {
    Rollback(Template),
    Irreversible(String),
    /// Neither was given (CUT030 unless the step is read-only).
    Missing,
}

/// Where a step runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Local,
    Group(String),
    Host(String),
}

impl Target {
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Local => LOCAL.to_owned(),
            Self::Group(name) | Self::Host(name) => name.clone(),
        }
    }
}

/// An argument bound to a parameter.
#[derive(Clone, Debug)]
pub struct Bound {
    pub kind: ParamType,
    pub value: Value,
    /// The text as written, which templates substitute.
    pub text: String,
    /// Where it was written: the argument, or the parameter's default.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text,
    Int(i64),
    Bool(bool),
    Duration(Duration),
    Release { component: String, version: semver::Version },
}

/// A `release` argument: the step takes `component` to `version` on each of its hosts.
#[derive(Clone, Debug)]
pub struct ReleaseArgument {
    pub parameter: String,
    pub component: String,
    pub version: semver::Version,
    pub span: Span,
}

/// Resolves every step; reports what does not resolve and leaves it out of the result where
/// it cannot be bound at all.
pub fn resolve<'m>(inputs: &Inputs<'m>, sources: &SourceMap, diagnostics: &mut Vec<Diagnostic>) -> Resolved<'m> {
    check_names(inputs, diagnostics);
    let actions = action_table(inputs, diagnostics);
    let plan = inputs.plan;
    let mut step_index: HashMap<&str, usize> = HashMap::new();
    let mut first_declaration: HashMap<&str, &Step> = HashMap::new();
    let all_steps: Vec<&Step> = plan.preflight.iter().chain(plan.steps.iter()).collect();
    let mut unique_steps = Vec::with_capacity(all_steps.len());
    for step in all_steps {
        if let Some(first) = first_declaration.get(step.id.as_str()) {
            diagnostics.push(
                Diagnostic::new(CUT003, step.id.span, format!("duplicate step id `{}`", step.id.value))
                    .with_primary_label("declared again here")
                    .with_label(first.id.span, "first declared here")
                    .with_help("give each step its own id"),
            );
            continue;
        }
        first_declaration.insert(step.id.as_str(), step);
        step_index.insert(step.id.as_str(), unique_steps.len());
        unique_steps.push(step);
    }

    let mut compiled = HashMap::with_capacity(actions.len());
    let mut names: Vec<&&str> = actions.keys().collect();
    names.sort_unstable();
    for name in names {
        let action = actions[*name];
        let scope: Vec<(&str, ParamType)> =
            action.params.iter().map(|param| (param.name.as_str(), param.kind.value)).collect();
        let templates = Templates { sources };
        compiled.insert(
            *name,
            CompiledAction {
                action,
                run: action.commands.run.as_ref().and_then(|run| templates.parse(run, &scope, diagnostics)),
                undo: templates.undo(action.commands.undo.as_ref(), &scope, diagnostics),
                verify: action.commands.verify.as_ref().and_then(|verify| templates.parse(verify, &scope, diagnostics)),
                cleanup: action
                    .commands
                    .cleanup
                    .as_ref()
                    .and_then(|cleanup| templates.parse(cleanup, &scope, diagnostics)),
            },
        );
    }
    let binder = Binder { inputs, templates: Templates { sources }, actions: &compiled };
    let steps = crate::parallel::filter_map_in_halves(&unique_steps, diagnostics, |step, diagnostics| {
        let after = resolve_after(step, &step_index, &unique_steps, diagnostics);
        Some(binder.bind(step, after, diagnostics))
    });
    let notify_scope = [("event", ParamType::String), ("message", ParamType::String)];
    let notify =
        plan.notify.as_ref().and_then(|notify| Templates { sources }.parse(notify, &notify_scope, diagnostics));
    Resolved { steps, notify }
}

/// CUT001 at every name of the plan and its libraries that is not an identifier (`model::names`):
/// names reach comments, YAML keys and argument lists, where free text could become code.
fn check_names(inputs: &Inputs<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let plan = inputs.plan;
    diagnostics.extend(names::check(NameKind::Plan, &plan.name));
    for step in plan.preflight.iter().chain(&plan.steps) {
        diagnostics.extend(names::check(NameKind::Step, &step.id));
    }
    let user_actions = inputs.libraries.iter().flat_map(|library| library.actions.iter()).chain(&plan.actions);
    for action in user_actions {
        diagnostics.extend(names::check(NameKind::Action, &action.name));
        for param in &action.params {
            diagnostics.extend(names::check(NameKind::Parameter, &param.name));
        }
    }
}

/// An action with its templates parsed and checked once, however many steps call it.
struct CompiledAction<'m> {
    action: &'m Action,
    run: Option<Template>,
    undo: UndoPlan,
    verify: Option<Template>,
    cleanup: Option<Template>,
}

/// Every action by name: the prelude, then libraries, then the plan's own. Libraries and the
/// plan may replace a prelude action; two definitions of one name elsewhere are CUT003.
fn action_table<'m>(inputs: &Inputs<'m>, diagnostics: &mut Vec<Diagnostic>) -> HashMap<&'m str, &'m Action> {
    let mut table: HashMap<&str, &Action> = HashMap::new();
    for action in &inputs.prelude.actions {
        table.insert(action.name.as_str(), action);
    }
    let mut defined_by_user: HashMap<&str, &Action> = HashMap::new();
    let user_actions =
        inputs.libraries.iter().flat_map(|library| library.actions.iter()).chain(inputs.plan.actions.iter());
    for action in user_actions {
        if let Some(first) = defined_by_user.get(action.name.as_str()) {
            diagnostics.push(
                Diagnostic::new(CUT003, action.name.span, format!("action `{}` is defined twice", action.name.value))
                    .with_primary_label("defined again here")
                    .with_label(first.name.span, "first defined here")
                    .with_help("keep one definition, or rename one of them"),
            );
            continue;
        }
        defined_by_user.insert(action.name.as_str(), action);
        table.insert(action.name.as_str(), action);
    }
    table
}

fn resolve_after(
    step: &Step,
    step_index: &HashMap<&str, usize>,
    steps: &[&Step],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(usize, Span)> {
    let mut after = Vec::with_capacity(step.after.len());
    for name in &step.after {
        match step_index.get(name.as_str()) {
            Some(&index) if step.phase == Phase::Preflight && steps[index].phase == Phase::Main => {
                diagnostics.push(
                    Diagnostic::new(
                        CUT004,
                        name.span,
                        format!("preflight step `{}` waits for main step `{}`", step.id.value, name.value),
                    )
                    .with_primary_label("a main step")
                    .with_label(steps[index].id.span, "declared under `steps` here")
                    .with_help("preflight steps run before every main step; move one of them"),
                );
            }
            Some(&index) => after.push((index, name.span)),
            None => diagnostics.push(
                Diagnostic::new(CUT004, name.span, format!("`after` names an unknown step `{}`", name.value))
                    .with_primary_label("no step has this id")
                    .with_optional_help(did_you_mean(name.as_str(), steps.iter().map(|step| step.id.as_str()))),
            ),
        }
    }
    after
}
