//! The DSL's parse tree to the model. pest checks the shape (`grammar/cutover.pest`); this reader
//! types the values (durations, percentages, host counts, effects, parameter types) and reports
//! what the YAML reader reports for the same mistakes, with the same codes, so that the two
//! forms of one plan always give the same diagnostics.

use pest::Parser as _;
use pest::iterators::Pair;

use crate::codes::{CUT001, CUT002, CUT006};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::{
    Action, Argument, Backoff, Call, Commands, Duration, Effect, Library, MaxFail, Param, ParamType, Percent, Phase,
    Plan, Retries, Serial, Spanned, Step, Tuning, parse_version,
};
use crate::source::{FileId, Span};
use crate::syntax::plan::LANGUAGE_VERSION;

/// The pest parser generated from `grammar/cutover.pest`.
#[derive(pest_derive::Parser)]
#[grammar = "../grammar/cutover.pest"]
pub struct DslParser;

/// The fields a step's block may hold, for "did you mean" on an unknown one.
pub const STEP_FIELDS: &[&str] = &[
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
    "on",
    "serial",
    "max_fail",
    "after",
];

/// The fields an action's block may hold.
pub const ACTION_FIELDS: &[&str] =
    &["run", "rollback", "irreversible", "verify", "cleanup", "estimate", "timeout", "retries", "effects", "readonly"];

/// The statements of a plan block.
pub const PLAN_ITEMS: &[&str] =
    &["manifest", "inventory", "window", "buffer", "use", "upgrade", "notify", "preflight", "step"];

/// Reads a plan written in the DSL. Returns `None` when the text does not parse (every syntax
/// error is in `diagnostics`) or holds no plan.
pub fn read_plan(file: FileId, text: &str, diagnostics: &mut Vec<Diagnostic>) -> Option<Plan> {
    let root = parse_reporting(file, text, diagnostics)?;
    let mut reader = DslReader { file, diagnostics };
    let mut language = None;
    let mut plans = Vec::new();
    let mut actions = Vec::new();
    for pair in root.into_inner() {
        match pair.as_rule() {
            Rule::language => language = Some(reader.language(pair)),
            Rule::plan => plans.push(pair),
            Rule::action => actions.extend(reader.action(pair)),
            _ => {}
        }
    }
    let Some(plan_pair) = plans.first().cloned() else {
        reader.report(Diagnostic::new(CUT001, Span::new(file, 0, 0), "the file holds no plan").with_help(
            "write `plan NAME { … }` after `cutover 1`, or name this file in a plan's `use` if it is an action library",
        ));
        return None;
    };
    for extra in plans.iter().skip(1) {
        reader.report(
            Diagnostic::new(CUT001, first_word(file, extra), "a file holds one plan")
                .with_label(first_word(file, &plan_pair), "the plan is declared here")
                .with_help("move this plan to a file of its own"),
        );
    }
    let language = language.unwrap_or_else(|| {
        reader.report(
            Diagnostic::new(CUT001, Span::new(file, 0, 0), "the plan does not say its language version")
                .with_help(format!("add `cutover {LANGUAGE_VERSION}` as the first line")),
        );
        Spanned::new(LANGUAGE_VERSION, Span::new(file, 0, 0))
    });
    let mut plan = reader.plan(plan_pair, language);
    plan.actions = actions;
    Some(plan)
}

/// Reads an action library written in the DSL: `action` definitions only.
pub fn read_library(file: FileId, text: &str, diagnostics: &mut Vec<Diagnostic>) -> Library {
    let Some(root) = parse_reporting(file, text, diagnostics) else { return Library { file, actions: Vec::new() } };
    let mut reader = DslReader { file, diagnostics };
    let mut actions = Vec::new();
    for pair in root.into_inner() {
        match pair.as_rule() {
            Rule::action => actions.extend(reader.action(pair)),
            Rule::plan | Rule::language => reader.report(
                Diagnostic::new(CUT001, first_word(file, &pair), "an action library holds only `action` definitions")
                    .with_help("name plans on the command line; a file named by `use` holds actions only"),
            ),
            _ => {}
        }
    }
    Library { file, actions }
}

/// Whether DSL text holds actions but no plan (an action library), judged by its first word.
#[must_use]
pub fn holds_only_actions(text: &str) -> bool {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(comment) = rest.strip_prefix('#') {
            rest = comment.split_once('\n').map_or("", |(_, after)| after);
            continue;
        }
        return rest.starts_with("action") && !rest.starts_with("actions");
    }
}

/// Parses the text, reporting every syntax error found (with recovery); `None` if there was any.
fn parse_reporting<'i>(file: FileId, text: &'i str, diagnostics: &mut Vec<Diagnostic>) -> Option<Pair<'i, Rule>> {
    if let Ok(mut pairs) = DslParser::parse(Rule::file, text) {
        pairs.next()
    } else {
        diagnostics.extend(super::errors::syntax_errors(file, text));
        None
    }
}

fn first_word(file: FileId, pair: &Pair<'_, Rule>) -> Span {
    let start = pair.as_span().start();
    let length = pair.as_str().find(char::is_whitespace).unwrap_or(pair.as_str().len());
    Span::new(file, start, start + length)
}

struct DslReader<'d> {
    file: FileId,
    diagnostics: &'d mut Vec<Diagnostic>,
}

/// Every field a step or an action block can set, before they are put together.
#[derive(Default)]
struct Fields {
    run: Option<Spanned<String>>,
    rollback: Option<Spanned<String>>,
    irreversible: Option<Spanned<String>>,
    verify: Option<Spanned<String>>,
    cleanup: Option<Spanned<String>>,
    estimate: Option<Spanned<String>>,
    timeout: Option<Spanned<Duration>>,
    retries: Option<Spanned<Retries>>,
    effects: Option<Vec<Spanned<Effect>>>,
    readonly: Option<Spanned<bool>>,
    on: Option<Spanned<String>>,
    serial: Option<Spanned<Serial>>,
    max_fail: Option<Spanned<MaxFail>>,
    after: Option<Vec<Spanned<String>>>,
    /// Where each field was written, to report one given twice.
    seen: Vec<(&'static str, Span)>,
}

impl DslReader<'_> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// A rule's span, ending at its last token: pest counts the blanks and comments after an
    /// optional part that is absent (`readonly` without `true`) in the rule.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        Span::new(self.file, pair.as_span().start(), tight_end(pair))
    }

    /// The text of a value-holding rule (`duration`, `step_name`, …): a bare word or a string.
    fn text(&self, pair: Pair<'_, Rule>) -> Spanned<String> {
        let span = self.span(&pair);
        let inner = if matches!(pair.as_rule(), Rule::bare | Rule::string) {
            pair
        } else {
            match pair.into_inner().next() {
                Some(inner) => inner,
                None => return Spanned::new(String::new(), span),
            }
        };
        let value = match inner.as_rule() {
            Rule::string => inner.into_inner().next().map(|text| unescape(text.as_str())).unwrap_or_default(),
            _ => inner.as_str().to_owned(),
        };
        Spanned::new(value, span)
    }

    /// A CUT001 at a value of the wrong form.
    fn wrong_form(&mut self, value: &Spanned<String>, expected: &str) {
        self.report(
            Diagnostic::new(
                CUT001,
                value.span,
                format!("expected {expected}, found `{}`", crate::syntax::reader::abbreviate(&value.value)),
            )
            .with_primary_label(format!("expected {expected}")),
        );
    }

    fn typed<T>(
        &mut self,
        pair: Pair<'_, Rule>,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<Spanned<T>> {
        let text = self.text(pair);
        if let Some(value) = parse(&text.value) {
            Some(Spanned::new(value, text.span))
        } else {
            self.wrong_form(&text, expected);
            None
        }
    }

    fn duration(&mut self, pair: Pair<'_, Rule>) -> Option<Spanned<Duration>> {
        self.typed(pair, "a duration like 90s, 5m or 1h30m", Duration::parse)
    }

    fn language(&mut self, pair: Pair<'_, Rule>) -> Spanned<u32> {
        let Some(version) = pair.into_inner().find(|inner| inner.as_rule() == Rule::language_version) else {
            return Spanned::new(LANGUAGE_VERSION, Span::new(self.file, 0, 0));
        };
        let text = self.text(version);
        if text.value != LANGUAGE_VERSION.to_string() {
            self.report(
                Diagnostic::new(CUT001, text.span, format!("unsupported language version `{}`", text.value))
                    .with_primary_label("this compiler reads version 1")
                    .with_help(format!("write `cutover {LANGUAGE_VERSION}`")),
            );
        }
        Spanned::new(LANGUAGE_VERSION, text.span)
    }

    /// Notes a field; a second one of the same name is CUT001 and is ignored.
    fn first_time(&mut self, seen: &mut Vec<(&'static str, Span)>, name: &'static str, span: Span) -> bool {
        if let Some((_, first)) = seen.iter().find(|(known, _)| *known == name) {
            self.report(
                Diagnostic::new(CUT001, span, format!("`{name}` is given twice"))
                    .with_label(*first, "first given here")
                    .with_help(format!("keep one `{name}`")),
            );
            return false;
        }
        seen.push((name, span));
        true
    }

    fn plan(&mut self, pair: Pair<'_, Rule>, language: Spanned<u32>) -> Plan {
        let plan_span = self.span(&pair);
        let mut plan = Plan {
            file: self.file,
            language,
            name: Spanned::new(String::new(), plan_span),
            manifest: None,
            inventory: None,
            window: None,
            buffer: None,
            uses: Vec::new(),
            upgrade: Vec::new(),
            notify: None,
            preflight: Vec::new(),
            steps: Vec::new(),
            actions: Vec::new(),
        };
        let mut seen = Vec::new();
        for item in pair.into_inner() {
            let item_span = self.span(&item);
            let rule = item.as_rule();
            let name = match rule {
                Rule::manifest => "manifest",
                Rule::inventory => "inventory",
                Rule::window => "window",
                Rule::buffer => "buffer",
                Rule::notify => "notify",
                _ => "",
            };
            if !name.is_empty() && !self.first_time(&mut seen, name, item_span) {
                continue;
            }
            let value = item.clone().into_inner().nth(1);
            match (rule, value) {
                (Rule::plan_name, _) => plan.name = self.text(item),
                (Rule::manifest, Some(value)) => plan.manifest = Some(self.text(value)),
                (Rule::inventory, Some(value)) => plan.inventory = Some(self.text(value)),
                (Rule::window, Some(value)) => plan.window = self.duration(value),
                (Rule::buffer, Some(value)) => {
                    plan.buffer = self.typed(value, "a percentage like 25%", Percent::parse);
                }
                (Rule::notify, Some(value)) => plan.notify = Some(self.text(value)),
                (Rule::uses, _) => {
                    let values: Vec<_> =
                        item.into_inner().filter(|inner| inner.as_rule() == Rule::path_value).collect();
                    for value in values {
                        let text = self.text(value);
                        plan.uses.push(text);
                    }
                }
                (Rule::upgrade, _) => {
                    let releases: Vec<_> = item.into_inner().filter(|inner| inner.as_rule() == Rule::release).collect();
                    for release in releases {
                        if let Some(goal) = self.goal(release) {
                            plan.upgrade.push(goal);
                        }
                    }
                }
                (Rule::preflight, _) => plan.preflight.extend(self.step(item, Phase::Preflight)),
                (Rule::step, _) => plan.steps.extend(self.step(item, Phase::Main)),
                (Rule::unknown_item, _) => self.unknown(&item, "the plan", PLAN_ITEMS),
                _ => {}
            }
        }
        if plan.manifest.is_none() {
            self.missing(plan_span, "the plan", "manifest", "manifest \"manifest.json\"");
        }
        if plan.inventory.is_none() {
            self.missing(plan_span, "the plan", "inventory", "inventory \"inventory.yaml\"");
        }
        plan
    }

    fn missing(&mut self, whole: Span, context: &str, field: &str, example: &str) {
        self.report(
            Diagnostic::new(CUT001, Span { end: whole.start, ..whole }, format!("{context} has no `{field}`"))
                .with_primary_label(format!("`{field}` is missing here"))
                .with_help(format!("add `{example}`")),
        );
    }

    /// `dten-core@4.2.0` in `upgrade`: a component and a version.
    fn goal(&mut self, pair: Pair<'_, Rule>) -> Option<(Spanned<String>, Spanned<String>)> {
        let bare = pair.clone().into_inner().next().is_some_and(|inner| inner.as_rule() == Rule::bare);
        let text = self.text(pair);
        let Some((component, version)) = text.value.split_once('@').filter(|(component, _)| !component.is_empty())
        else {
            self.wrong_form(&text, "a release like dten-core@4.2.0");
            return None;
        };
        // A bare word's parts have spans of their own; a quoted one is pointed at whole.
        let (component_span, version_span) = if bare {
            let at = text.span.start as usize + component.len();
            (Span::new(self.file, text.span.start as usize, at), Span::new(self.file, at + 1, text.span.end as usize))
        } else {
            (text.span, text.span)
        };
        if let Err(message) = parse_version(version) {
            self.report(Diagnostic::new(CUT001, version_span, message).with_primary_label("not a version"));
            return None;
        }
        Some((Spanned::new(component.to_owned(), component_span), Spanned::new(version.to_owned(), version_span)))
    }

    fn unknown(&mut self, pair: &Pair<'_, Rule>, context: &str, known: &[&str]) {
        let word =
            pair.clone().into_inner().next().map_or_else(|| pair.as_str().to_owned(), |word| word.as_str().to_owned());
        let span = pair.clone().into_inner().next().map_or_else(|| self.span(pair), |word| self.span(&word));
        self.report(
            Diagnostic::new(
                CUT002,
                span,
                format!("unknown field `{}` in {context}", crate::syntax::reader::abbreviate(&word)),
            )
            .with_primary_label("not a field of this")
            .with_optional_help(
                did_you_mean(&word, known.iter().copied())
                    .or_else(|| Some(format!("known fields: {}", known.join(", ")))),
            ),
        );
    }

    fn fields(&mut self, pairs: Vec<Pair<'_, Rule>>, context: &str, known: &[&str]) -> Fields {
        let mut fields = Fields::default();
        for pair in pairs {
            let span = self.span(&pair);
            let rule = pair.as_rule();
            if rule == Rule::unknown_field {
                self.unknown(&pair, context, known);
                continue;
            }
            let Some(name) = field_name(rule) else { continue };
            if !known.contains(&name) {
                self.report(
                    Diagnostic::new(
                        CUT002,
                        first_word(self.file, &pair),
                        format!("`{name}` is not a field of {context}"),
                    )
                    .with_primary_label("not a field of this")
                    .with_help(format!("known fields: {}", known.join(", "))),
                );
                continue;
            }
            let mut seen = std::mem::take(&mut fields.seen);
            let first = self.first_time(&mut seen, name, span);
            fields.seen = seen;
            if !first {
                continue;
            }
            let values: Vec<Pair<'_, Rule>> = pair.into_inner().skip(1).collect();
            let value = values.first().cloned();
            match (rule, value) {
                (Rule::run, Some(value)) => fields.run = Some(self.text(value)),
                (Rule::rollback, Some(value)) => fields.rollback = Some(self.text(value)),
                (Rule::irreversible, Some(value)) => fields.irreversible = Some(self.text(value)),
                (Rule::verify, Some(value)) => fields.verify = Some(self.text(value)),
                (Rule::cleanup, Some(value)) => fields.cleanup = Some(self.text(value)),
                (Rule::estimate, Some(value)) => fields.estimate = Some(self.text(value)),
                (Rule::timeout, Some(value)) => fields.timeout = self.duration(value),
                (Rule::retries, Some(_)) => fields.retries = self.retries(span, values),
                (Rule::effects, _) => fields.effects = Some(self.effects(values)),
                (Rule::readonly, value) => {
                    let readonly = value.is_none_or(|value| value.as_str() == "true");
                    fields.readonly = Some(Spanned::new(readonly, span));
                }
                (Rule::on_clause, Some(value)) => fields.on = Some(self.text(value)),
                (Rule::serial_clause, Some(value)) => {
                    fields.serial = self.typed(value, "a host count like 1 or a share like 25%", Serial::parse);
                }
                (Rule::max_fail_clause, Some(value)) => {
                    fields.max_fail = self.typed(value, "a host count like 1 or a share like 25%", MaxFail::parse);
                }
                (Rule::after_clause, _) => {
                    let after = values.into_iter().filter(|value| value.as_rule() == Rule::dependency);
                    fields.after = Some(after.map(|value| self.text(value)).collect());
                }
                _ => {}
            }
        }
        fields
    }

    fn retries(&mut self, span: Span, values: Vec<Pair<'_, Rule>>) -> Option<Spanned<Retries>> {
        let mut values = values.into_iter();
        let count_text = self.text(values.next()?);
        let Ok(count) = count_text.value.parse::<u32>() else {
            self.wrong_form(&count_text, "a retry count like 3");
            return None;
        };
        let mut retries = Retries { count, backoff: None, base: None, max: None };
        let mut seen = Vec::new();
        for option in values.filter(|value| value.as_rule() == Rule::retry_option) {
            let option_span = self.span(&option);
            let mut parts = option.into_inner();
            let (Some(keyword), Some(value)) = (parts.next(), parts.next()) else { continue };
            let name = match keyword.as_rule() {
                Rule::kw_backoff => "backoff",
                Rule::kw_base => "base",
                _ => "max",
            };
            if !self.first_time(&mut seen, name, option_span) {
                continue;
            }
            match name {
                "backoff" => {
                    retries.backoff = self
                        .typed(value, "one of none, fixed, linear, exponential", Backoff::parse)
                        .map(|backoff| backoff.value);
                }
                "base" => retries.base = self.duration(value).map(|base| base.value),
                _ => retries.max = self.duration(value).map(|max| max.value),
            }
        }
        Some(Spanned::new(retries, span))
    }

    fn effects(&mut self, values: Vec<Pair<'_, Rule>>) -> Vec<Spanned<Effect>> {
        values
            .into_iter()
            .filter(|value| value.as_rule() == Rule::effect)
            .filter_map(|value| {
                let text = self.text(value);
                if let Some(effect) = Effect::parse(&text.value) {
                    Some(Spanned::new(effect, text.span))
                } else {
                    self.report(
                        Diagnostic::new(CUT001, text.span, format!("unknown effect `{}`", text.value))
                            .with_optional_help(
                                did_you_mean(&text.value, Effect::NAMES)
                                    .or_else(|| Some(format!("effects are {}", Effect::NAMES.join(", ")))),
                            ),
                    );
                    None
                }
            })
            .collect()
    }

    fn step(&mut self, pair: Pair<'_, Rule>, phase: Phase) -> Option<Step> {
        let span = self.span(&pair);
        let mut id = None;
        let mut call = None;
        let mut field_pairs = Vec::new();
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::step_name => id = Some(self.text(inner)),
                Rule::call => call = Some(self.call(inner)),
                Rule::block => {
                    field_pairs.extend(
                        inner
                            .into_inner()
                            .filter(|field| !matches!(field.as_rule(), Rule::open_brace | Rule::close_brace)),
                    );
                }
                Rule::kw_step | Rule::kw_preflight | Rule::colon => {}
                _ => field_pairs.push(inner),
            }
        }
        let id = id?;
        let fields = self.fields(field_pairs, "a step", STEP_FIELDS);
        let estimate = fields.estimate.clone().and_then(|text| self.duration_text(&text));
        let mut commands = self.commands(&fields);
        if call.is_some() {
            for (name, given) in
                [("run", &fields.run), ("rollback", &fields.rollback), ("irreversible", &fields.irreversible)]
            {
                if let Some(given) = given {
                    self.report(
                        Diagnostic::new(
                            CUT002,
                            field_span(&fields, name, given.span),
                            format!("`{name}` on a step that calls an action"),
                        )
                        .with_primary_label("only inline steps carry this")
                        .with_help(format!(
                            "set `{name}` in the action's definition, or drop the call and write the step inline"
                        )),
                    );
                }
            }
            commands = Commands { run: None, undo: None, ..commands };
        } else if commands.run.is_none() {
            self.report(
                Diagnostic::new(
                    CUT001,
                    id.span,
                    format!("step `{}` neither calls an action nor runs a command", id.value),
                )
                .with_primary_label("this step does nothing")
                .with_help("call an action (`step NAME: ACTION(…)`) or give the block a `run` command"),
            );
        }
        Some(Step {
            id,
            phase,
            span,
            call,
            commands,
            tuning: Tuning { estimate, timeout: fields.timeout, retries: fields.retries },
            after: fields.after.unwrap_or_default(),
            on: fields.on,
            serial: fields.serial,
            max_fail: fields.max_fail,
            effects: fields.effects.unwrap_or_default(),
            readonly: fields.readonly,
        })
    }

    fn duration_text(&mut self, text: &Spanned<String>) -> Option<Spanned<Duration>> {
        if let Some(duration) = Duration::parse(&text.value) {
            Some(Spanned::new(duration, text.span))
        } else {
            self.wrong_form(text, "a duration like 90s, 5m or 1h30m");
            None
        }
    }

    fn commands(&mut self, fields: &Fields) -> Commands {
        let undo = crate::syntax::undo(fields.rollback.clone(), fields.irreversible.clone(), self.diagnostics);
        Commands { run: fields.run.clone(), undo, verify: fields.verify.clone(), cleanup: fields.cleanup.clone() }
    }

    fn call(&mut self, pair: Pair<'_, Rule>) -> Call {
        let span = self.span(&pair);
        let mut action = Spanned::new(String::new(), span);
        let mut arguments: Vec<Argument> = Vec::new();
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::action_name => action = self.text(inner),
                Rule::argument => {
                    let mut parts = inner.into_inner().filter(|part| part.as_rule() != Rule::colon);
                    let (Some(name), Some(value)) = (parts.next(), parts.next()) else { continue };
                    let name = self.text(name);
                    let value = self.text(value);
                    if let Some(first) = arguments.iter().find(|argument| argument.name.value == name.value) {
                        self.report(
                            Diagnostic::new(CUT006, name.span, format!("argument `{}` is given twice", name.value))
                                .with_label(first.name.span, "first given here")
                                .with_help("keep one"),
                        );
                        continue;
                    }
                    arguments.push(Argument { name, value });
                }
                _ => {}
            }
        }
        Call { action, arguments }
    }

    fn action(&mut self, pair: Pair<'_, Rule>) -> Option<Action> {
        let mut name = None;
        let mut params: Vec<Param> = Vec::new();
        let mut field_pairs = Vec::new();
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::action_name => name = Some(self.text(inner)),
                Rule::param => params.extend(self.param(inner, &params)),
                Rule::block => field_pairs.extend(
                    inner.into_inner().filter(|field| !matches!(field.as_rule(), Rule::open_brace | Rule::close_brace)),
                ),
                _ => {}
            }
        }
        let name = name?;
        let fields = self.fields(field_pairs, &format!("action `{}`", name.value), ACTION_FIELDS);
        let commands = self.commands(&fields);
        if commands.run.is_none() {
            self.report(
                Diagnostic::new(CUT001, name.span, format!("action `{}` has no `run` command", name.value))
                    .with_help("add `run \"COMMAND\"` to its block"),
            );
        }
        // `estimate` may name a duration parameter (`estimate "{timeout}"`), as in YAML.
        let mut estimate_from = None;
        let mut estimate = None;
        if let Some(text) = &fields.estimate {
            if text.value.starts_with('{') && text.value.ends_with('}') && text.value.len() >= 2 {
                estimate_from = Some(Spanned::new(text.value[1..text.value.len() - 1].trim().to_owned(), text.span));
            } else {
                estimate = self.duration_text(text);
            }
        }
        Some(Action {
            name,
            params,
            commands,
            tuning: Tuning { estimate, timeout: fields.timeout, retries: fields.retries },
            effects: fields.effects.unwrap_or_default(),
            readonly: fields.readonly.is_some_and(|readonly| readonly.value),
            estimate_from,
        })
    }

    fn param(&mut self, pair: Pair<'_, Rule>, earlier: &[Param]) -> Option<Param> {
        let mut name = None;
        let mut kind = None;
        let mut default = None;
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::param_name => name = Some(self.text(inner)),
                Rule::param_type => kind = Some(self.text(inner)),
                Rule::param_default => default = Some(self.text(inner)),
                _ => {}
            }
        }
        let (name, kind_text) = (name?, kind?);
        if let Some(first) = earlier.iter().find(|param| param.name.value == name.value) {
            self.report(
                Diagnostic::new(CUT001, name.span, format!("parameter `{}` is declared twice", name.value))
                    .with_label(first.name.span, "first declared here")
                    .with_help("keep one"),
            );
            return None;
        }
        let Some(kind) = ParamType::parse(&kind_text.value) else {
            self.report(
                Diagnostic::new(CUT001, kind_text.span, format!("unknown parameter type `{}`", kind_text.value))
                    .with_optional_help(
                        did_you_mean(&kind_text.value, ParamType::NAMES)
                            .or_else(|| Some(format!("types are {}", ParamType::NAMES.join(", ")))),
                    ),
            );
            return None;
        };
        Some(Param { name, kind: Spanned::new(kind, kind_text.span), default })
    }
}

/// Where a rule's last token ends, before the blanks and comments pest counts in its span.
fn tight_end(pair: &Pair<'_, Rule>) -> usize {
    if matches!(pair.as_rule(), Rule::string | Rule::bare | Rule::close_brace | Rule::close_paren) {
        return pair.as_span().end();
    }
    match pair.clone().into_inner().last() {
        Some(last) => tight_end(&last),
        None => pair.as_span().end(),
    }
}

/// The keyword of a field rule.
fn field_name(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::run => "run",
        Rule::rollback => "rollback",
        Rule::irreversible => "irreversible",
        Rule::verify => "verify",
        Rule::cleanup => "cleanup",
        Rule::estimate => "estimate",
        Rule::timeout => "timeout",
        Rule::retries => "retries",
        Rule::effects => "effects",
        Rule::readonly => "readonly",
        Rule::on_clause => "on",
        Rule::serial_clause => "serial",
        Rule::max_fail_clause => "max_fail",
        Rule::after_clause => "after",
        _ => return None,
    })
}

/// Where a field was written (its keyword), falling back to its value.
fn field_span(fields: &Fields, name: &str, fallback: Span) -> Span {
    fields
        .seen
        .iter()
        .find(|(seen, _)| *seen == name)
        .map_or(fallback, |(_, span)| Span { end: span.start + name.len() as u32, ..*span })
}

/// The text of a DSL string between its quotes, escapes resolved. The grammar admits only
/// well-formed escapes; a `\u{…}` that names no character (a surrogate) becomes U+FFFD.
#[must_use]
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(next) = chars.next() {
        if next != '\\' {
            out.push(next);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('u') => {
                let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.push(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).unwrap_or('\u{fffd}'));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}
