//! Emitters: the lowered plan to text. Each format is one file; none looks past the
//! [`LoweredPlan`](crate::lower::LoweredPlan).

pub mod ansible;
pub mod dot;
pub mod json;
pub mod mermaid;
pub mod runbook;
pub mod sh;

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::lower::LoweredPlan;

/// Text for a comment line (`# …` in the script or the playbook): every character that some
/// reader takes for a line break, or that a terminal would act on, written as an escape. A line
/// break would end the comment and make the rest of the text code: bash ends a comment at
/// `\n`, YAML at `\r` too, and YAML 1.1 readers such as Ansible's `PyYAML` also at U+0085,
/// U+2028 and U+2029.
#[must_use]
pub fn comment(text: &str) -> Cow<'_, str> {
    let breaks = |character: char| character.is_control() || matches!(character, '\u{2028}' | '\u{2029}');
    if !text.contains(breaks) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        match character {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            character if breaks(character) => {
                let _ = write!(out, "\\u{{{:04x}}}", u32::from(character));
            }
            character => out.push(character),
        }
    }
    Cow::Owned(out)
}

/// The comment lines that open a generated file: the plan, the compiler, the package and the
/// sha256 of every input, so a reviewer can tell what a file was built from.
#[must_use]
pub(crate) fn provenance(plan: &LoweredPlan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Plan {}, compiled by {}. Do not edit: change the plan and build again.",
        comment(&plan.plan),
        comment(&plan.compiler)
    );
    if let Some(package) = &plan.package {
        let _ = writeln!(out, "# Package {} {}.", comment(&package.name), comment(&package.version));
    }
    out.push_str("#\n# Inputs (sha256):\n");
    let width = plan.sources.iter().map(|source| source.path.len()).max().unwrap_or(0);
    for source in &plan.sources {
        let _ = writeln!(out, "#   {:<width$}  {}", comment(&source.path), source.sha256);
    }
    out
}
