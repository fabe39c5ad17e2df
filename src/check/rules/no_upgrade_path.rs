//! CUT012 `no-upgrade-path`.
//!
//! ## What it does
//!
//! Follows each host's version of each component through the release steps, in
//! graph order, and flags a move the manifest's `upgrade_from` paths do not allow: from a version
//! no path starts at, or a downgrade.
//!
//! ## Why it matters
//!
//! Vendors test upgrades from some versions only; an upgrade from anything else
//! is the one that corrupts data at 2 a.m.
//!
//! ## Example
//!
//! The manifest offers 4.2.0 `from: ">=3.6.0, <4.2.0"`, and app-3 runs 3.1.0.
//!
//! ## Fix
//!
//! Upgrade the host to a version a path starts from first (an earlier package), or leave
//! the host out of the step's group.

use crate::check::Context;
use crate::codes::CUT012;
use crate::diagnostic::Diagnostic;
use crate::graph::flow::{HopGroup, Verdict};

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let (Some(flow), Some(inventory)) = (context.flow, context.inputs.inventory) else { return };
    // One diagnostic per step, component and move, naming every host it applies to.
    for HopGroup { hop, hosts } in flow.grouped(|verdict| matches!(verdict, Verdict::NoPath { .. })) {
        let Verdict::NoPath { cause, reason } = &hop.verdict else { continue };
        let component = hop.component.as_str();
        let from = hop.from.as_ref().map(ToString::to_string).unwrap_or_default();
        let to = &hop.to;
        let mut diagnostic = Diagnostic::new(
            CUT012,
            hop.span,
            format!("no upgrade path for {component} from {from} to {to} on {}", hosts.join(", ")),
        )
        .with_primary_label(format!("{} has {component} {from} here", hosts[0]))
        .with_label(*cause, reason.clone());
        if let Some(installed) = inventory.hosts.get(hosts[0]).and_then(|host| host.installed.get(component))
            && installed.value.to_string() == from
        {
            diagnostic = diagnostic.with_label(installed.span, format!("{} runs {component} {from}", hosts[0]));
        }
        diagnostics.push(diagnostic.with_help(format!(
            "bring {component} to a version an upgrade path starts from before this step, or leave {} out of it",
            if hosts.len() == 1 { "the host" } else { "these hosts" }
        )));
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_MANIFEST, codes_of, rule_diagnostics};
    use crate::codes::CUT012;

    #[test]
    fn a_version_no_path_starts_from() {
        let inventory = "groups: { app: [app-1] }\nhosts:\n  app-1: { installed: { dten-core: 3.1.0, openssl: 3.0.13 } }\n  db-1: { installed: { postgres: 14.11 } }\n";
        let plan = "upgrade: { dten-core: 4.2.0 }\nsteps:\n  - { id: up, do: install, with: { target: dten-core@4.2.0 }, on: app }\n";
        let diagnostics = rule_diagnostics(CUT012, plan, DTEN_MANIFEST, inventory);
        assert_eq!(codes_of(&diagnostics), ["CUT012"]);
        assert!(diagnostics[0].message.contains("from 3.1.0 to 4.2.0 on app-1"), "{}", diagnostics[0].message);
    }
}
