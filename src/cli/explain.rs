//! `cutover explain CUTnnn` (or the rule's name): what a rule checks, why, and how to fix it,
//! from the rule's own documentation. `cutover explain ACTION [--plan PLAN]`: an action's
//! reference (`crate::actions`).

use std::path::Path;
use std::process::ExitCode;

use super::Failure;
use super::render::Renderer;
use crate::codes::Code;

pub fn run(name: &str, plan: Option<&Path>, renderer: &Renderer) -> Result<ExitCode, Failure> {
    if let Some(code) = Code::find(name) {
        let text =
            crate::check::rules::documentation(code).unwrap_or_else(|| format!("{code}: {}\n", code.rule().summary));
        return super::completions::write(text.as_bytes());
    }
    let Some(reference) = super::actions::reference(plan, renderer)? else {
        return Ok(ExitCode::from(1));
    };
    if let Some(action) = reference.find(name) {
        return super::completions::write(action.explanation().as_bytes());
    }
    let mut known: Vec<&str> = Code::all().map(Code::as_str).chain(Code::all().map(Code::name)).collect();
    known.extend(reference.actions.iter().map(|action| action.name.as_str()));
    let suggestion = crate::diagnostic::did_you_mean(name, known).map(|help| format!("; {help}")).unwrap_or_default();
    let codes: Vec<&str> = Code::all().map(Code::as_str).collect();
    let plan_hint = if plan.is_none() { ", or `--plan PLAN` for a plan's own" } else { "" };
    Err(Failure(format!(
        "`{name}` is neither a rule nor an action{suggestion} (rules are {} to {}; `cutover actions` lists the actions{plan_hint})",
        codes[0],
        codes[codes.len() - 1]
    )))
}

/// What `explain` takes: any text (a plan may define actions of any name), with the rule
/// codes and the prelude's actions offered to shell completions.
#[derive(Clone, Debug)]
pub struct TopicParser;

impl clap::builder::TypedValueParser for TopicParser {
    type Value = String;

    fn parse_ref(
        &self,
        command: &clap::Command,
        argument: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(command, argument, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        // Built once: clap's values are `'static` without its `string` feature.
        static ACTIONS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        let actions = ACTIONS.get_or_init(|| {
            crate::actions::Reference::prelude().actions.into_iter().map(|action| action.name).collect()
        });
        let topics = Code::all().map(Code::as_str).chain(actions.iter().map(String::as_str));
        Some(Box::new(topics.map(clap::builder::PossibleValue::new)))
    }
}
