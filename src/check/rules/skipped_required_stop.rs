//! CUT013 `skipped-required-stop`.
//!
//! ## What it does
//!
//! Flags a release that jumps over a required stop: a `via` stop of the
//! `upgrade_from` path the host is on, or a `required_stops` version between where the host is
//! and where the step takes it; and stops taken out of order.
//!
//! ## Why it matters
//!
//! Stops exist because the vendor's migrations only run from them; skipping
//! one leaves the schema half-migrated.
//!
//! ## Example
//!
//! The manifest says 3.x reaches 4.2.0 `via: [4.0.3]`, and the plan installs
//! `dten-core@4.2.0` straight on hosts at 3.9.2.
//!
//! ## Fix
//!
//! Add a step installing the stop (`dten-core@4.0.3`) before the target.

use crate::check::Context;
use crate::codes::CUT013;
use crate::diagnostic::Diagnostic;
use crate::graph::flow::{HopGroup, Verdict};

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(flow) = context.flow else { return };
    let skips = flow.grouped(|verdict| matches!(verdict, Verdict::SkippedStop { .. } | Verdict::OutOfOrder { .. }));
    for HopGroup { hop, hosts } in skips {
        let hosts = hosts.join(", ");
        let component = hop.component.as_str();
        let from = hop.from.as_ref().map(ToString::to_string).unwrap_or_default();
        let to = &hop.to;
        let diagnostic = match &hop.verdict {
            Verdict::SkippedStop { stop, cause } => Diagnostic::new(
                CUT013,
                hop.span,
                format!("{component} {from} → {to} on {hosts} skips the required stop {stop}"),
            )
            .with_primary_label(format!("goes from {from} straight to {to}"))
            .with_label(*cause, "required stop declared here")
            .with_help(format!("install `{component}@{stop}` on these hosts in a step before this one")),
            Verdict::OutOfOrder { stop, cause } => Diagnostic::new(
                CUT013,
                hop.span,
                format!("{component} {from} → {to} on {hosts} takes the stops out of order"),
            )
            .with_primary_label(format!("the hosts are already at {stop}, past this stop"))
            .with_label(*cause, "the stops are declared in this order")
            .with_help("order the release steps by version, each stop after the one before it"),
            _ => continue,
        };
        diagnostics.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, codes_of, rule_diagnostics};
    use crate::codes::CUT013;

    #[test]
    fn jumping_over_a_via_stop() {
        let plan = "upgrade: { dten-core: 4.2.0 }\nsteps:\n  - { id: up, do: install, with: { target: dten-core@4.2.0 }, on: app }\n";
        let diagnostics = rule_diagnostics(CUT013, plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT013"]);
        assert_eq!(diagnostics[0].message, "dten-core 3.9.2 → 4.2.0 on app-1, app-2 skips the required stop 4.0.3");
    }

    #[test]
    fn landing_on_the_stop_first_is_fine() {
        let plan = "upgrade: { dten-core: 4.2.0 }\nsteps:\n  - { id: stop, do: install, with: { target: dten-core@4.0.3 }, on: app }\n  - { id: up, do: install, with: { target: dten-core@4.2.0 }, on: app }\n";
        assert_eq!(codes_of(&rule_diagnostics(CUT013, plan, DTEN_MANIFEST, DTEN_INVENTORY)), Vec::<&str>::new());
    }
}
