//! `cutover explain CUTnnn` (or the rule's name): what a rule checks, why, and how to fix it,
//! from the rule's own documentation.

use std::process::ExitCode;

use super::Failure;
use crate::codes::Code;

pub fn run(rule: &str) -> Result<ExitCode, Failure> {
    let code = Code::find(rule).ok_or_else(|| {
        let known: Vec<&str> = Code::all().map(Code::as_str).collect();
        let suggestion = crate::diagnostic::did_you_mean(rule, Code::all().map(Code::name))
            .map(|help| format!("; {help}"))
            .unwrap_or_default();
        Failure(format!("`{rule}` is not a rule{suggestion} (codes {} to {})", known[0], known[known.len() - 1]))
    })?;
    let text = crate::check::rules::documentation(code).unwrap_or_else(|| format!("{code}: {}\n", code.rule().summary));
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}
