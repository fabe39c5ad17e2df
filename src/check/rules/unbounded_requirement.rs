//! CUT020 `unbounded-requirement`.
//!
//! ## What it does
//!
//! Flags a manifest `requires` entry with no upper bound (`*`, `>=13`, `>4.0`), for the
//! components the plan releases: the manifest's other components are not this plan's
//! business, and a manifest shared by many plans would otherwise warn in every one of them.
//! Each requirement is reported once, at the manifest, however many steps release the
//! component.
//!
//! ## Why it matters
//!
//! A requirement with no upper bound accepts every future release of what it requires, so
//! the requirement check (CUT014) passes on a postgres or openssl major that the vendor
//! never tested, and the upgrade fails on it instead.
//!
//! ## Example
//!
//! ```yaml
//! # manifest
//! components:
//!   dten-core:
//!     version: 4.2.0
//!     requires: { postgres: ">=13" }
//! ```
//!
//! ## Fix
//!
//! Ask the vendor for the newest version it supports and bound the requirement
//! (`postgres: ">=13, <17"`), or check the versions you run against the vendor's support
//! matrix and allow the warning with a reason.

use semver::Op;

use crate::check::Context;
use crate::codes::CUT020;
use crate::diagnostic::Diagnostic;

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(manifest) = context.inputs.manifest else { return };
    for component in manifest.components.values() {
        let first_release = context
            .resolved
            .steps
            .iter()
            .flat_map(|step| step.releases.iter())
            .find(|release| release.component == component.name.value);
        let Some(release) = first_release else { continue };
        for requirement in component.requires.iter().filter(|requirement| is_unbounded(&requirement.requirement.value))
        {
            let required = requirement.name.as_str();
            diagnostics.push(
                Diagnostic::new(
                    CUT020,
                    requirement.requirement.span,
                    format!(
                        "{} requires {required} `{}` with no upper bound",
                        component.name.value, requirement.text
                    ),
                )
                .with_primary_label("no upper bound")
                .with_label(release.span, format!("the plan releases {} here", component.name.value))
                .with_help(format!(
                    "every future {required} meets this; ask the vendor for the newest {required} it supports and bound it, like `{}, <…`",
                    requirement.text
                )),
            );
        }
    }
}

/// Whether a requirement admits versions without limit: `*`, or only `>` and `>=` bounds.
fn is_unbounded(requirement: &semver::VersionReq) -> bool {
    requirement.comparators.iter().all(|comparator| matches!(comparator.op, Op::Greater | Op::GreaterEq))
}

#[cfg(test)]
mod tests {
    use super::is_unbounded;
    use crate::codes::Severity;
    use crate::testing::{DTEN_CONFIG_MANIFEST, DTEN_INVENTORY, codes_of, rule_diagnostics};
    use crate::codes::CUT020;

    #[test]
    fn bounds_in_every_form() {
        for unbounded in ["*", ">=13", ">4.0", ">=3.0, >3.1"] {
            assert!(is_unbounded(&semver::VersionReq::parse(unbounded).unwrap()), "{unbounded}");
        }
        for bounded in ["^4.2", "~4.2", "=4.2.0", ">=13, <17", "<4", "4.*"] {
            assert!(!is_unbounded(&semver::VersionReq::parse(bounded).unwrap()), "{bounded}");
        }
    }

    #[test]
    fn reported_once_for_a_released_component_only() {
        let manifest = DTEN_CONFIG_MANIFEST.replace("postgres: \">=13, <17\"", "postgres: \">=13\"");
        let plan = "steps:\n  - { id: up-1, do: install, with: { target: dten-core@4.2.0 }, on: app-1 }\n  - { id: up-2, do: install, with: { target: dten-core@4.2.0 }, on: app-2 }\n";
        let diagnostics = rule_diagnostics(CUT020, plan, &manifest, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT020"]);
        assert_eq!(diagnostics[0].severity, Severity::Warning);
        assert_eq!(diagnostics[0].message, "dten-core requires postgres `>=13` with no upper bound");
        let unrelated = "steps:\n  - { id: kmod, do: install, with: { target: dten-kmod@4.2.0 }, on: app }\n  - { id: reboot, do: reboot, on: app, after: [kmod] }\n";
        assert_eq!(codes_of(&rule_diagnostics(CUT020, unrelated, &manifest, DTEN_INVENTORY)), Vec::<&str>::new());
    }
}
