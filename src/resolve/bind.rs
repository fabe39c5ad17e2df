//! Binding one step: its action, its arguments typed against the action's parameters, its
//! templates rendered, its target hosts; and parsing templates against a scope. Reports the
//! CUT006, CUT010 and CUT011 of [`super`].

use std::collections::HashMap;

use indexmap::IndexMap;

use super::{Bound, CompiledAction, LOCAL, ReleaseArgument, ResolvedStep, Target, UndoPlan, Value};
use crate::codes::{CUT006, CUT010, CUT011};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::{Action, Duration, ParamType, Spanned, Step, Undo, parse_version};
use crate::resolve::Inputs;
use crate::resolve::template::Template;
use crate::source::{SourceMap, Span};

pub(super) struct Binder<'a, 'm> {
    pub(super) inputs: &'a Inputs<'m>,
    pub(super) templates: Templates<'a>,
    pub(super) actions: &'a HashMap<&'m str, CompiledAction<'m>>,
}

/// Parses templates and checks their placeholders against a scope.
pub(super) struct Templates<'a> {
    pub(super) sources: &'a SourceMap,
}

impl<'m> Binder<'_, 'm> {
    pub(super) fn bind(
        &self,
        step: &'m Step,
        after: Vec<(usize, Span)>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> ResolvedStep<'m> {
        let (target, hosts) = self.target(step, diagnostics);
        let mut resolved = ResolvedStep {
            step,
            action: None,
            arguments: IndexMap::new(),
            run: None,
            undo: UndoPlan::Missing,
            verify: Vec::new(),
            cleanup: Vec::new(),
            target,
            hosts,
            after,
            estimate: step.tuning.estimate.as_ref().map(|estimate| estimate.value),
            timeout: step.tuning.timeout.as_ref().map(|timeout| timeout.value),
            retries: step.tuning.retries.as_ref().map(|retries| retries.value.clone()),
            serial: step.serial.as_ref().map(|serial| serial.value.clone()),
            max_fail: step.max_fail.as_ref().map(|max_fail| max_fail.value),
            effects: step.effects.iter().map(|effect| effect.value).collect(),
            readonly: step.readonly.as_ref().is_some_and(|readonly| readonly.value),
            releases: Vec::new(),
            migrations: Vec::new(),
        };
        let mut scope: Vec<(&str, ParamType)> = Vec::new();
        if let Some(call) = &step.call {
            if let Some(compiled) = self.actions.get(call.action.as_str()) {
                let action = compiled.action;
                resolved.action = Some(action);
                self.bind_arguments(step, action, &mut resolved, diagnostics);
                scope = action.params.iter().map(|param| (param.name.as_str(), param.kind.value)).collect();
                resolved.run.clone_from(&compiled.run);
                resolved.undo.clone_from(&compiled.undo);
                resolved.verify.extend(compiled.verify.clone());
                resolved.cleanup.extend(compiled.cleanup.clone());
                resolved.readonly |= action.readonly;
                resolved.effects.extend(action.effects.iter().map(|effect| effect.value));
                resolved.estimate =
                    resolved.estimate.or(action.tuning.estimate.as_ref().map(|estimate| estimate.value));
                resolved.timeout = resolved.timeout.or(action.tuning.timeout.as_ref().map(|timeout| timeout.value));
                if resolved.retries.is_none() {
                    resolved.retries = action.tuning.retries.as_ref().map(|retries| retries.value.clone());
                }
                if resolved.estimate.is_none() {
                    resolved.estimate = Self::estimate_from_arguments(action, &resolved, diagnostics);
                }
            } else {
                let mut names: Vec<&str> = self.actions.keys().copied().collect();
                names.sort_unstable();
                diagnostics.push(
                    Diagnostic::new(CUT006, call.action.span, format!("unknown action `{}`", call.action.value))
                        .with_primary_label("no action of this name")
                        .with_optional_help(did_you_mean(call.action.as_str(), names.iter().copied()).or_else(|| {
                            Some("define it under `actions:`, or in a library named by `use:`".to_owned())
                        })),
                );
            }
        } else {
            resolved.run = step.commands.run.as_ref().and_then(|run| self.templates.parse(run, &scope, diagnostics));
            resolved.undo = self.templates.undo(step.commands.undo.as_ref(), &scope, diagnostics);
        }
        // A step's own verify and cleanup run after the action's, with its arguments in scope.
        resolved
            .verify
            .extend(step.commands.verify.as_ref().and_then(|verify| self.templates.parse(verify, &scope, diagnostics)));
        resolved.cleanup.extend(
            step.commands.cleanup.as_ref().and_then(|cleanup| self.templates.parse(cleanup, &scope, diagnostics)),
        );
        if resolved.estimate.is_none() {
            resolved.estimate = resolved
                .migrations
                .iter()
                .filter_map(|(migration, _)| migration.estimate.as_ref())
                .map(|estimate| estimate.value)
                .max();
        }
        resolved.effects.sort_unstable();
        resolved.effects.dedup();
        resolved
    }

    fn target(&self, step: &Step, diagnostics: &mut Vec<Diagnostic>) -> (Target, Vec<String>) {
        let Some(on) = &step.on else { return (Target::Local, vec![LOCAL.to_owned()]) };
        if on.value == LOCAL {
            return (Target::Local, vec![LOCAL.to_owned()]);
        }
        let Some(inventory) = self.inputs.inventory else {
            return (Target::Group(on.value.clone()), Vec::new());
        };
        if let Some(group) = inventory.groups.get(on.as_str()) {
            let hosts = group.hosts.iter().map(|host| host.value.clone()).collect();
            return (Target::Group(on.value.clone()), hosts);
        }
        if inventory.hosts.contains_key(on.as_str()) {
            return (Target::Host(on.value.clone()), vec![on.value.clone()]);
        }
        let names = inventory.groups.keys().chain(inventory.hosts.keys()).map(String::as_str);
        diagnostics.push(
            Diagnostic::new(
                CUT006,
                on.span,
                format!("`on` names `{}`, which is neither a group nor a host of the inventory", on.value),
            )
            .with_primary_label("unknown group")
            .with_optional_help(did_you_mean(on.as_str(), names).or_else(|| {
                Some(format!(
                    "groups are {}",
                    inventory.groups.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
                ))
            })),
        );
        (Target::Group(on.value.clone()), Vec::new())
    }

    fn bind_arguments(
        &self,
        step: &'m Step,
        action: &'m Action,
        resolved: &mut ResolvedStep<'m>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let call = step.call.as_ref().expect("bind_arguments is called for action calls");
        for argument in &call.arguments {
            if !action.params.iter().any(|param| param.name.value == argument.name.value) {
                let names = action.params.iter().map(|param| param.name.as_str());
                let known: Vec<&str> = action.params.iter().map(|param| param.name.as_str()).collect();
                diagnostics.push(
                    Diagnostic::new(
                        CUT006,
                        argument.name.span,
                        format!("`{}` takes no argument `{}`", action.name.value, argument.name.value),
                    )
                    .with_primary_label("unknown argument")
                    .with_label(action.name.span, "action defined here")
                    .with_optional_help(did_you_mean(argument.name.as_str(), names).or_else(
                        || {
                            Some(if known.is_empty() {
                                format!("`{}` takes no arguments", action.name.value)
                            } else {
                                format!("its parameters are {}", known.join(", "))
                            })
                        },
                    )),
                );
            }
        }
        for param in &action.params {
            let given = call.arguments.iter().find(|argument| argument.name.value == param.name.value);
            let value = match (given, &param.default) {
                (Some(argument), _) => argument.value.clone(),
                (None, Some(default)) => default.clone(),
                (None, None) => {
                    diagnostics.push(
                        Diagnostic::new(
                            CUT006,
                            call.action.span,
                            format!("missing argument `{}` of `{}`", param.name.value, action.name.value),
                        )
                        .with_primary_label(format!("needs `{}: {}`", param.name.value, param.kind.value.as_str()))
                        .with_label(param.name.span, "parameter declared here")
                        .with_help(format!("add `{}: ...` under `with:`", param.name.value)),
                    );
                    continue;
                }
            };
            if let Some(bound) = self.check_value(param.kind.value, &value, &param.name.value, resolved, diagnostics) {
                resolved.arguments.insert(param.name.value.clone(), bound);
            }
        }
    }

    /// Checks one value against its type, and against the manifest and inventory where the
    /// type names something there.
    fn check_value(
        &self,
        kind: ParamType,
        value: &Spanned<String>,
        parameter: &str,
        resolved: &mut ResolvedStep<'m>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Bound> {
        let text = value.value.as_str();
        let wrong = |expected: &str| wrong_type(value, parameter, expected);
        if text.contains('\0') {
            diagnostics.push(
                Diagnostic::new(CUT006, value.span, format!("argument `{parameter}` holds a NUL byte"))
                    .with_primary_label("bash cannot pass a NUL byte in an argument")
                    .with_help("remove the `\\0` from the value"),
            );
            return None;
        }
        let bound =
            |value_kind: Value| Some(Bound { kind, value: value_kind, text: text.to_owned(), span: value.span });
        match kind {
            ParamType::String | ParamType::Unit | ParamType::ConfigKey => bound(Value::Text),
            ParamType::Int => {
                if let Ok(number) = text.parse::<i64>() {
                    bound(Value::Int(number))
                } else {
                    diagnostics.push(wrong("a whole number"));
                    None
                }
            }
            ParamType::Bool => {
                if let Some(flag) = crate::model::parse_bool(text) {
                    bound(Value::Bool(flag))
                } else {
                    diagnostics.push(wrong("`true` or `false`"));
                    None
                }
            }
            ParamType::Path => {
                if text.is_empty() || text.contains('\n') {
                    diagnostics.push(wrong("a path"));
                    None
                } else {
                    bound(Value::Text)
                }
            }
            ParamType::Url => {
                if is_url(text) {
                    bound(Value::Text)
                } else {
                    diagnostics.push(
                        wrong("a URL like https://host/path")
                            .with_help("write the scheme and host, like `http://localhost:8080/health`"),
                    );
                    None
                }
            }
            ParamType::Duration => {
                if let Some(duration) = Duration::parse(text) {
                    bound(Value::Duration(duration))
                } else {
                    diagnostics.push(wrong("a duration like 90s, 5m or 1h30m"));
                    None
                }
            }
            ParamType::Group => {
                let inventory = self.inputs.inventory?;
                if inventory.groups.contains_key(text) {
                    bound(Value::Text)
                } else {
                    diagnostics.push(
                        wrong("an inventory group")
                            .with_optional_help(did_you_mean(text, inventory.groups.keys().map(String::as_str))),
                    );
                    None
                }
            }
            ParamType::Component => {
                self.component(text, value.span, diagnostics)?;
                bound(Value::Text)
            }
            ParamType::Migration => {
                let manifest = self.inputs.manifest?;
                if let Some(migration) = manifest.migrations.iter().find(|migration| migration.id.value == text) {
                    resolved.migrations.push((migration, value.span));
                    bound(Value::Text)
                } else {
                    diagnostics.push(
                        wrong("a migration of the manifest")
                            .with_primary_label("no migration of this id")
                            .with_optional_help(did_you_mean(
                                text,
                                manifest.migrations.iter().map(|migration| migration.id.as_str()),
                            )),
                    );
                    None
                }
            }
            ParamType::Release => self.check_release(value, parameter, resolved, diagnostics),
        }
    }

    /// A `release` argument: `component@version`, a component of the manifest at a version it
    /// offers.
    fn check_release(
        &self,
        value: &Spanned<String>,
        parameter: &str,
        resolved: &mut ResolvedStep<'m>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Bound> {
        let text = value.value.as_str();
        let wrong = |expected: &str| wrong_type(value, parameter, expected);
        let Some((component_name, version_text)) = text.split_once('@') else {
            diagnostics.push(wrong("a release like `dten-core@4.2.0`").with_help("write `component@version`"));
            return None;
        };
        let version = match parse_version(version_text) {
            Ok(version) => version,
            Err(message) => {
                diagnostics.push(
                    Diagnostic::new(CUT006, value.span, format!("argument `{parameter}`: {message}"))
                        .with_primary_label("not a version"),
                );
                return None;
            }
        };
        if let Some(component) = self.component(component_name, value.span, diagnostics) {
            if !component.offered_versions().any(|offered| offered.value == version) {
                let offered: Vec<String> =
                    component.offered_versions().map(|offered| offered.value.to_string()).collect();
                diagnostics.push(
                    Diagnostic::new(
                        CUT011,
                        value.span,
                        format!("the manifest does not offer {component_name} {version}"),
                    )
                    .with_primary_label("no such version in the manifest")
                    .with_label(
                        component.version.span,
                        format!("{component_name} is offered at {}", component.version.value),
                    )
                    .with_help(format!("offered versions: {}", offered.join(", "))),
                );
                return None;
            }
        } else if self.inputs.manifest.is_some() {
            return None;
        }
        resolved.releases.push(ReleaseArgument {
            parameter: parameter.to_owned(),
            component: component_name.to_owned(),
            version: version.clone(),
            span: value.span,
        });
        Some(Bound {
            kind: ParamType::Release,
            value: Value::Release { component: component_name.to_owned(), version },
            text: text.to_owned(),
            span: value.span,
        })
    }

    fn component(
        &self,
        name: &str,
        span: Span,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<&'m crate::model::Component> {
        let manifest = self.inputs.manifest?;
        let found = manifest.components.get(name);
        if found.is_none() {
            diagnostics.push(
                Diagnostic::new(CUT010, span, format!("unknown component `{name}`"))
                    .with_primary_label(format!("not a component of {}", manifest.package.value))
                    .with_optional_help(did_you_mean(name, manifest.components.keys().map(String::as_str)).or_else(
                        || {
                            Some(format!(
                                "components are {}",
                                manifest.components.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
                            ))
                        },
                    )),
            );
        }
        found
    }

    /// An estimate an action takes from a duration argument (`estimate: "{timeout}"`).
    fn estimate_from_arguments(
        action: &Action,
        resolved: &ResolvedStep<'_>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Duration> {
        let parameter = action.estimate_from.as_ref()?;
        match resolved.arguments.get(parameter.as_str()) {
            Some(Bound { value: Value::Duration(duration), .. }) => Some(*duration),
            Some(_) => None,
            None if action
                .params
                .iter()
                .any(|param| param.name.value == parameter.value && param.kind.value == ParamType::Duration) =>
            {
                None
            }
            None => {
                diagnostics.push(
                    Diagnostic::new(
                        CUT006,
                        parameter.span,
                        format!(
                            "`estimate` names `{}`, which is not a duration parameter of `{}`",
                            parameter.value, action.name.value
                        ),
                    )
                    .with_help("write a duration like `5m`, or name a parameter of type `duration`"),
                );
                None
            }
        }
    }
}

impl Templates<'_> {
    pub(super) fn undo(
        &self,
        undo: Option<&Undo>,
        scope: &[(&str, ParamType)],
        diagnostics: &mut Vec<Diagnostic>,
    ) -> UndoPlan {
        match undo {
            Some(Undo::Rollback(rollback)) => {
                self.parse(rollback, scope, diagnostics).map_or(UndoPlan::Missing, UndoPlan::Rollback)
            }
            Some(Undo::Irreversible(reason)) => UndoPlan::Irreversible(reason.value.clone()),
            None => UndoPlan::Missing,
        }
    }

    /// Parses a template and checks each placeholder against the parameters in scope.
    pub(super) fn parse(
        &self,
        text: &Spanned<String>,
        scope: &[(&str, ParamType)],
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Template> {
        let spans = TextSpans::new(text, self.sources.slice(text.span));
        let template = match Template::parse(&text.value) {
            Ok(template) => template,
            Err(error) => {
                let span = spans.of(error.offset, error.length);
                diagnostics.push(
                    Diagnostic::new(CUT006, span, error.message)
                        .with_primary_label("here")
                        .with_optional_help(error.help),
                );
                return None;
            }
        };
        let mut valid = true;
        for (name, field, offset, length) in template.placeholders() {
            let span = || spans.of(offset, length);
            let Some((_, kind)) = scope.iter().find(|(parameter, _)| *parameter == name) else {
                valid = false;
                let dollar_before = offset > 0 && text.value.as_bytes()[offset - 1] == b'$';
                let help = if dollar_before {
                    Some(format!("for the shell variable, double the braces: `${{{{{name}}}}}`"))
                } else if scope.is_empty() {
                    Some("an inline step has no parameters; write `{{` and `}}` for literal braces".to_owned())
                } else {
                    did_you_mean(name, scope.iter().map(|(parameter, _)| *parameter)).or_else(|| {
                        Some(format!(
                            "parameters in scope: {}",
                            scope.iter().map(|(parameter, _)| *parameter).collect::<Vec<_>>().join(", ")
                        ))
                    })
                };
                diagnostics.push(
                    Diagnostic::new(CUT006, span(), format!("unknown template parameter `{name}`"))
                        .with_primary_label("no parameter of this name")
                        .with_optional_help(help),
                );
                continue;
            };
            if let Some(field) = field
                && !kind.fields().contains(&field)
            {
                valid = false;
                let help = if kind.fields().is_empty() {
                    format!("a `{}` has no fields; write `{{{name}}}`", kind.as_str())
                } else {
                    did_you_mean(field, kind.fields().iter().copied())
                        .unwrap_or_else(|| format!("fields of a `{}`: {}", kind.as_str(), kind.fields().join(", ")))
                };
                diagnostics.push(
                    Diagnostic::new(
                        CUT006,
                        span(),
                        format!("`{name}` is a `{}` and has no field `{field}`", kind.as_str()),
                    )
                    .with_primary_label("unknown field")
                    .with_help(help),
                );
            }
        }
        valid.then_some(template)
    }
}

/// Spans of parts of a template's text, for diagnostics that point into it.
struct TextSpans<'t> {
    text: &'t Spanned<String>,
    source: &'t str,
    /// Where the text starts in its source when the source holds it verbatim (a plain scalar
    /// at 0, a quoted one without escapes at 1), found once per template: looking each part
    /// up in the source made a command with thousands of placeholders quadratic.
    verbatim_at: Option<usize>,
}

impl<'t> TextSpans<'t> {
    fn new(text: &'t Spanned<String>, source: &'t str) -> Self {
        let value = text.value.as_bytes();
        let verbatim_at =
            [0, 1].into_iter().find(|&start| source.as_bytes().get(start..start + value.len()) == Some(value));
        Self { text, source, verbatim_at }
    }

    /// The span of bytes `offset..offset + length` of the text; where the source does not hold
    /// the text verbatim (a block scalar, escapes), the part's one occurrence in the source, or
    /// else the span of the whole value.
    fn of(&self, offset: usize, length: usize) -> Span {
        let end = (offset + length).min(self.text.value.len());
        let file = self.text.span.file;
        if let Some(start) = self.verbatim_at {
            let start = self.text.span.start as usize + start;
            return Span::new(file, start + offset, start + end);
        }
        let needle = &self.text.value[offset..end];
        match self.source.find(needle) {
            Some(found) if self.text.value.matches(needle).nth(1).is_none() => {
                let start = self.text.span.start as usize + found;
                Span::new(file, start, start + needle.len())
            }
            _ => self.text.span,
        }
    }
}

/// CUT006: an argument that is not of its parameter's type.
fn wrong_type(value: &Spanned<String>, parameter: &str, expected: &str) -> Diagnostic {
    Diagnostic::new(
        CUT006,
        value.span,
        format!("argument `{parameter}` expects {expected}, found `{}`", crate::diagnostic::abbreviate(&value.value)),
    )
    .with_primary_label(format!("not {expected}"))
}

fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else { return false };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    scheme_ok && !host.is_empty() && !text.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::is_url;

    #[test]
    fn urls_need_a_scheme_and_a_host() {
        assert!(is_url("http://localhost:8080/health"));
        assert!(is_url("https://example.com"));
        assert!(!is_url("localhost:8080"));
        assert!(!is_url("http:///path"));
        assert!(!is_url("http://a b"));
    }
}
