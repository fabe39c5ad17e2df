//! The fields of a step or an action block in the DSL: each read once (a second one is CUT001),
//! unknown ones reported with the nearest known name (CUT002), and the values that have a
//! grammar of their own (retries, effects) typed.

use pest::iterators::Pair;

use super::{DslReader, Rule, first_word};
use crate::codes::CUT001;
use crate::diagnostic::Diagnostic;
use crate::model::{Backoff, Duration, Gate, MaxFail, Retries, Serial, Spanned};
use crate::source::Span;
use crate::syntax::build::{self, Form, GateParts};

/// Every field a step or an action block can set, before they are put together.
#[derive(Default)]
pub(super) struct Fields {
    pub(super) run: Option<Spanned<String>>,
    pub(super) rollback: Option<Spanned<String>>,
    pub(super) irreversible: Option<Spanned<String>>,
    pub(super) verify: Option<Spanned<String>>,
    pub(super) cleanup: Option<Spanned<String>>,
    pub(super) estimate: Option<Spanned<String>>,
    pub(super) timeout: Option<Spanned<Duration>>,
    pub(super) retries: Option<Spanned<Retries>>,
    pub(super) effects: Vec<Spanned<String>>,
    pub(super) readonly: Option<Spanned<bool>>,
    pub(super) on: Option<Spanned<String>>,
    pub(super) serial: Option<Spanned<Serial>>,
    pub(super) max_fail: Option<Spanned<MaxFail>>,
    pub(super) gate: Option<Spanned<Gate>>,
    pub(super) after: Option<Vec<Spanned<String>>>,
    /// Where each field was written, to report one given twice.
    pub(super) seen: Vec<(&'static str, Span)>,
}

impl DslReader<'_> {
    /// Notes a field; a second one of the same name is CUT001 and is ignored.
    pub(super) fn first_time(&mut self, seen: &mut Vec<(&'static str, Span)>, name: &'static str, span: Span) -> bool {
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

    pub(super) fn unknown(&mut self, pair: &Pair<'_, Rule>, context: &str, known: &[&str]) {
        let word =
            pair.clone().into_inner().next().map_or_else(|| pair.as_str().to_owned(), |word| word.as_str().to_owned());
        let span = pair.clone().into_inner().next().map_or_else(|| self.span(pair), |word| self.span(&word));
        self.report(build::unknown_field(span, &word, context, known));
    }

    pub(super) fn fields(&mut self, pairs: Vec<Pair<'_, Rule>>, context: &str, known: &[&str]) -> Fields {
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
                self.report(build::unknown_field(first_word(self.file, &pair), name, context, known));
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
                (Rule::gate, _) => fields.gate = self.gate(span, values),
                (Rule::effects, _) => {
                    fields.effects = values
                        .into_iter()
                        .filter(|value| value.as_rule() == Rule::effect)
                        .map(|value| self.text(value))
                        .collect();
                }
                (Rule::readonly, value) => {
                    let readonly = value.is_none_or(|value| value.as_str() == "true");
                    fields.readonly = Some(Spanned::new(readonly, span));
                }
                (Rule::on_clause, Some(value)) => fields.on = Some(self.text(value)),
                (Rule::serial_clause, Some(value)) => {
                    fields.serial = self.serial(value);
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

    pub(super) fn retries(&mut self, span: Span, values: Vec<Pair<'_, Rule>>) -> Option<Spanned<Retries>> {
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
}

impl DslReader<'_> {
    /// `gate { http "URL" status 200 … }`: each field once, unknown ones reported.
    fn gate(&mut self, span: Span, values: Vec<Pair<'_, Rule>>) -> Option<Spanned<Gate>> {
        let mut parts = GateParts::default();
        let mut seen = Vec::new();
        let known = ["http", "status", "body", "command", "interval", "passes", "soak", "timeout"];
        for field in values {
            match field.as_rule() {
                Rule::unknown_field => {
                    self.unknown(&field, "`gate`", &known);
                    continue;
                }
                Rule::gate_field => {}
                _ => continue,
            }
            let field_span = self.span(&field);
            let mut inner = field.into_inner();
            let (Some(key), Some(value)) = (inner.next(), inner.next()) else { continue };
            let Some(name) = key.into_inner().next().map(|keyword| gate_key(keyword.as_rule())) else { continue };
            if !self.first_time(&mut seen, name, field_span) {
                continue;
            }
            match name {
                "http" => {
                    parts.http = Some(Span { end: field_span.start + 4, ..field_span });
                    parts.url = Some(self.text(value));
                }
                "status" => parts.status = Some(self.text(value)),
                "body" => parts.body = Some(self.text(value)),
                "command" => parts.command = Some(self.text(value)),
                "interval" => parts.interval = self.duration(value),
                "passes" => parts.passes = Some(self.text(value)),
                "soak" => parts.soak = self.duration(value),
                _ => parts.timeout = self.duration(value),
            }
        }
        build::gate(parts, span, Form::Dsl, self.diagnostics)
    }
}

/// The name of a gate field by its keyword.
fn gate_key(rule: Rule) -> &'static str {
    match rule {
        Rule::kw_http => "http",
        Rule::kw_status => "status",
        Rule::kw_body => "body",
        Rule::kw_command => "command",
        Rule::kw_interval => "interval",
        Rule::kw_passes => "passes",
        Rule::kw_soak => "soak",
        _ => "timeout",
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
        Rule::gate => "gate",
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
pub(super) fn field_span(fields: &Fields, name: &str, fallback: Span) -> Span {
    fields
        .seen
        .iter()
        .find(|(seen, _)| *seen == name)
        .map_or(fallback, |(_, span)| Span { end: span.start + name.len() as u32, ..*span })
}
