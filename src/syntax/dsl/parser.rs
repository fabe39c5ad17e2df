//! The DSL's parse tree to the model. pest checks the shape (`grammar/cutover.pest`); this reader
//! types the values (durations, percentages, host counts, effects, parameter types) and reports
//! what the YAML reader reports for the same mistakes, with the same codes, so that the two
//! forms of one plan always give the same diagnostics.

use pest::Parser as _;
use pest::iterators::Pair;

use crate::codes::{CUT001, CUT006};
use crate::diagnostic::Diagnostic;
use crate::model::{
    Action, Argument, Call, Duration, Library, Param, Percent, Phase, Plan, Serial, Spanned, Step, parse_version,
};
use crate::source::{FileId, Span};
use crate::syntax::plan::LANGUAGE_VERSION;

mod fields;

use fields::{Fields, field_span};

use crate::syntax::build::{self, ActionParts, Form, Keyed, StepParts, WrittenCommands};

/// The pest parser generated from `grammar/cutover.pest`.
#[derive(pest_derive::Parser)]
#[grammar = "../grammar/cutover.pest"]
pub struct DslParser;

/// The fields a step's block may hold: a step's fields but for its header's (`id`, the call).
static STEP_FIELDS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    build::STEP_FIELDS.iter().copied().filter(|field| !matches!(*field, "id" | "do" | "with")).collect()
});

/// The fields an action's block may hold: an action's fields but for its parameters, which its
/// header declares.
static ACTION_FIELDS: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| build::ACTION_FIELDS.iter().copied().filter(|field| *field != "params").collect());

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
        self.report(build::wrong_form(value, expected));
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

    /// `serial`'s value: one batch size, or a ramp with every entry checked where it is written.
    fn serial(&mut self, pair: Pair<'_, Rule>) -> Option<Spanned<Serial>> {
        if pair.as_rule() != Rule::serial_ramp {
            let text = self.text(pair);
            return match build::batch_size(&text) {
                Ok(size) => Some(Spanned::new(Serial::Every(size), text.span)),
                Err(diagnostic) => {
                    self.report(diagnostic);
                    None
                }
            };
        }
        let span = self.span(&pair);
        let entries: Vec<Pair<'_, Rule>> =
            pair.into_inner().filter(|inner| inner.as_rule() == Rule::host_count).collect();
        if entries.is_empty() {
            self.report(build::empty_ramp(span, Form::Dsl));
            return None;
        }
        let count = entries.len();
        let mut sizes = Vec::with_capacity(count);
        for entry in entries {
            match build::batch_size(&self.text(entry)) {
                Ok(size) => sizes.push(size),
                Err(diagnostic) => self.report(diagnostic),
            }
        }
        (sizes.len() == count).then(|| Spanned::new(Serial::Ramp(sizes), span))
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
                        let Some(goal) = self.goal(release) else { continue };
                        // YAML writes `upgrade` as a mapping, where a component named twice is
                        // refused: so is it here, or the plan would have no YAML form.
                        if let Some((first, _)) =
                            plan.upgrade.iter().find(|(component, _)| component.value == goal.0.value)
                        {
                            self.report(
                                Diagnostic::new(
                                    CUT001,
                                    goal.0.span,
                                    format!("`upgrade` names the component `{}` twice", goal.0.value),
                                )
                                .with_label(first.span, "first named here")
                                .with_help("keep one goal per component"),
                            );
                            continue;
                        }
                        plan.upgrade.push(goal);
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
        let fields = self.fields(field_pairs, "a step", &STEP_FIELDS);
        let parts = StepParts {
            id,
            phase,
            span,
            call,
            commands: written_commands(&fields),
            estimate: fields.estimate,
            timeout: fields.timeout,
            retries: fields.retries,
            after: fields.after.unwrap_or_default(),
            on: fields.on,
            serial: fields.serial,
            max_fail: fields.max_fail,
            gate: fields.gate,
            effects: fields.effects,
            readonly: fields.readonly,
        };
        Some(build::step(parts, Form::Dsl, self.diagnostics))
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
        let fields = self.fields(field_pairs, &format!("action `{}`", name.value), &ACTION_FIELDS);
        let parts = ActionParts {
            commands: written_commands(&fields),
            name,
            params,
            estimate: fields.estimate,
            timeout: fields.timeout,
            retries: fields.retries,
            effects: fields.effects,
            readonly: fields.readonly.is_some_and(|readonly| readonly.value),
        };
        Some(build::action(parts, Form::Dsl, self.diagnostics))
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
        let kind = build::param_type(&kind_text, self.diagnostics)?;
        Some(Param { name, kind, default })
    }
}

/// The commands of a block, each with where its keyword was written.
fn written_commands(fields: &Fields) -> WrittenCommands {
    let keyed = |name: &str, text: &Option<Spanned<String>>| {
        text.clone().map(|text| Keyed { key: field_span(fields, name, text.span), text })
    };
    WrittenCommands {
        run: keyed("run", &fields.run),
        rollback: keyed("rollback", &fields.rollback),
        irreversible: keyed("irreversible", &fields.irreversible),
        verify: fields.verify.clone(),
        cleanup: fields.cleanup.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `tests/fuzz_plans.rs`: a DSL plan that named a component twice in `upgrade`
    /// checked clean, and then had no YAML form (`convert --to yaml` refused it as a bug).
    #[test]
    fn a_component_named_twice_in_upgrade_is_refused() {
        let text = "cutover 1\nplan \"p\" {\n  manifest \"m.json\"\n  inventory \"i.yaml\"\n  upgrade a@1.0.0, b@2.0.0\n  upgrade a@1.0.0\n}\n";
        let mut diagnostics = Vec::new();
        let plan = read_plan(FileId(0), text, &mut diagnostics).expect("reads");
        let messages: Vec<&str> = diagnostics.iter().map(|diagnostic| diagnostic.message.as_str()).collect();
        assert_eq!(messages, ["`upgrade` names the component `a` twice"]);
        assert_eq!(diagnostics[0].code, CUT001);
        let components: Vec<&str> = plan.upgrade.iter().map(|(component, _)| component.value.as_str()).collect();
        assert_eq!(components, ["a", "b"]);
    }
}
