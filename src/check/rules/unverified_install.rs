//! CUT038 `unverified-install`.
//!
//! ## What it does
//!
//! Where the manifest has a `signing` block, checks that every release step (a step with a
//! `release` argument) runs after a step that verifies the package's signature. A step
//! verifies when it calls `package.verify`, or when its command (its own, or its action's
//! `run`) runs `openssl verify`, `gpg --verify`, `gpgv` or `cosign verify`. "After" follows
//! the graph: the verifying step is a preflight step (preflight runs before every main step),
//! or the release step depends on it through `after` and the edges the manifest implies. A
//! verifying step that merely comes earlier in the file does not count. Where the check runs
//! does not matter (the operator's machine, or the hosts): it is the package that is checked.
//!
//! ## Why it matters
//!
//! A vendor signs its packages so that a tampered or truncated download is refused before it
//! runs as root on every host. Installing first and verifying later, or not at all, throws
//! that away.
//!
//! ## Example
//!
//! ```yaml
//! # manifest: signing: { certificate: certs/dten-4.2.pem, issuer: "Vendor Root CA 2026" }
//! steps:
//!   - id: install-core
//!     do: install
//!     with: { target: dten-core@4.2.0 }
//!     on: app
//!   - id: verify-package          # too late, and not in install-core's `after`
//!     do: package.verify
//!     with: { certificate: certs/dten-4.2.pem, chain: certs/chain.pem }
//! ```
//!
//! ## Fix
//!
//! Verify in preflight, so that nothing changes before the signature checks out:
//!
//! ```yaml
//! preflight:
//!   - id: verify-package
//!     do: package.verify
//!     with: { certificate: certs/dten-4.2.pem, chain: certs/chain.pem }
//! ```
//!
//! or add the verifying step to the release step's `after`.

use crate::check::Context;
use crate::resolve::ResolvedStep;
use crate::resolve::template::{Part, Template};
use crate::codes::CUT038;
use crate::diagnostic::Diagnostic;

/// The prelude's verifying action.
const VERIFY_ACTION: &str = "package.verify";
/// Commands that check a signature, as they start a command's text.
const VERIFY_COMMANDS: &[&str] = &["openssl verify", "gpg --verify", "gpgv ", "cosign verify"];

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(manifest) = context.inputs.manifest else { return };
    let Some(signing) = &manifest.signing else { return };
    let steps = &context.resolved.steps;
    let verifiers: Vec<usize> = (0..steps.len()).filter(|index| verifies(&steps[*index])).collect();
    let verified = verified_steps(context, &verifiers);
    let unverified: Vec<usize> = (0..steps.len())
        .filter(|index| !steps[*index].releases.is_empty())
        .filter(|release| !verified[*release])
        .collect();
    let certificate = signing.certificate.as_ref().map_or("CERTIFICATE", |certificate| certificate.value.as_str());
    // The certificate's value has a span of its own; a mapping's span is only where it starts.
    let (signed_span, signed_label) = match &signing.certificate {
        Some(certificate) => (certificate.span, "the vendor signs the package with this certificate"),
        None => (signing.span, "the vendor signs the package"),
    };
    if verifiers.is_empty() {
        // Nothing verifies at all: one finding for the plan, at its first release.
        let Some((&first, others)) = unverified.split_first() else { return };
        let release = &steps[first].releases[0];
        let mut diagnostic = Diagnostic::new(
            CUT038,
            release.span,
            format!(
                "the package is signed, but no step verifies the signature before `{}` installs {} {}",
                steps[first].id(),
                release.component,
                release.version
            ),
        )
        .with_primary_label("installs an unverified package")
        .with_label(signed_span, signed_label);
        for &other in others {
            diagnostic = diagnostic.with_label(steps[other].releases[0].span, "installs it unverified too");
        }
        diagnostics.push(diagnostic.with_help(format!(
            "add a preflight step `{{ id: verify-package, do: {VERIFY_ACTION}, with: {{ certificate: {certificate}, chain: CHAIN }} }}`"
        )));
        return;
    }
    let verifier_names: Vec<String> = verifiers.iter().map(|index| format!("`{}`", steps[*index].id())).collect();
    for index in unverified {
        let step = &steps[index];
        let release = &step.releases[0];
        let mut diagnostic = Diagnostic::new(
            CUT038,
            release.span,
            format!(
                "`{}` installs {} {} without waiting for the signature check",
                step.id(),
                release.component,
                release.version
            ),
        )
        .with_primary_label("may run before the package is verified")
        .with_label(signed_span, signed_label);
        for &verifier in &verifiers {
            diagnostic =
                diagnostic.with_label(steps[verifier].step.id.span, "verifies the signature, but not before this step");
        }
        diagnostics.push(diagnostic.with_help(format!(
            "add {} to `after:` of `{}`, or move the check into `preflight:`",
            verifier_names.join(" or "),
            step.id()
        )));
    }
}

/// For every step, whether some verifier runs before it ([`Context::runs_before`]). With an
/// acyclic graph, one walk from all the verifiers at once answers for every step: asking
/// `runs_before` for each release and verifier would walk the graph once per pair, quadratic
/// in plans with many releases and verifying main steps.
fn verified_steps(context: &Context<'_, '_>, verifiers: &[usize]) -> Vec<bool> {
    use crate::model::Phase;
    let steps = &context.resolved.steps;
    if context.order.is_none() {
        // A cycle can lead a step back to itself, which `runs_before` does not count.
        return (0..steps.len())
            .map(|step| {
                !steps[step].releases.is_empty()
                    && verifiers.iter().any(|&verifier| context.runs_before(verifier, step))
            })
            .collect();
    }
    let mut verified = vec![false; steps.len()];
    if verifiers.iter().any(|&verifier| steps[verifier].step.phase == Phase::Preflight) {
        for (index, step) in steps.iter().enumerate() {
            verified[index] |= step.step.phase == Phase::Main;
        }
    }
    // Every step reachable from a verifier by at least one edge runs after it.
    let graph = &context.graph.graph;
    let mut pending: Vec<petgraph::graph::NodeIndex> =
        verifiers.iter().flat_map(|&verifier| graph.neighbors(context.graph.node(verifier))).collect();
    let mut seen = vec![false; steps.len()];
    while let Some(node) = pending.pop() {
        let step = graph[node];
        if !std::mem::replace(&mut seen[step], true) {
            verified[step] = true;
            pending.extend(graph.neighbors(node));
        }
    }
    verified
}

/// Whether a step checks a package signature: it calls `package.verify`, or its command runs
/// a signature check.
fn verifies(step: &ResolvedStep<'_>) -> bool {
    step.action.is_some_and(|action| action.name.value == VERIFY_ACTION)
        || step.run.as_ref().is_some_and(runs_a_signature_check)
}

fn runs_a_signature_check(template: &Template) -> bool {
    template.parts.iter().any(|part| match part {
        // Every signature command has `verify` or `gpgv` in it: most texts are skipped without
        // normalizing their spaces.
        Part::Literal(text) if !text.contains("verify") && !text.contains("gpgv") => false,
        Part::Literal(text) => {
            let words = text.split_whitespace().collect::<Vec<_>>().join(" ") + " ";
            VERIFY_COMMANDS.iter().any(|command| {
                words.match_indices(command).any(|(at, _)| at == 0 || !words.as_bytes()[at - 1].is_ascii_alphanumeric())
            })
        }
        Part::Placeholder { .. } => false,
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, codes_of, rule_diagnostics};
    use crate::codes::CUT038;

    /// The test manifest with a `signing` block (and postgres bounded, so that CUT020 stays out).
    fn signed() -> String {
        let bounded = unsigned();
        format!("{bounded}signing: {{ certificate: certs/dten-4.2.pem, issuer: \"Vendor Root CA 2026\" }}\n")
    }

    fn unsigned() -> String {
        DTEN_MANIFEST.replace("postgres: \">=13\"", "postgres: \">=13, <17\"")
    }

    const INSTALLS: &str = "  - { id: stop, do: install, with: { target: dten-core@4.0.3 }, on: app }\n  - { id: up, do: install, with: { target: dten-core@4.2.0 }, on: app, after: [stop] }\n";

    #[test]
    fn no_check_at_all_is_one_finding_for_the_plan() {
        let diagnostics = rule_diagnostics(CUT038, &format!("steps:\n{INSTALLS}"), &signed(), DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT038"]);
        assert_eq!(
            diagnostics[0].message,
            "the package is signed, but no step verifies the signature before `stop` installs dten-core 4.0.3"
        );
        assert_eq!(diagnostics[0].secondary.len(), 2);
    }

    #[test]
    fn a_preflight_check_covers_every_release() {
        let plan = format!(
            "preflight:\n  - {{ id: verify, do: package.verify, with: {{ certificate: c.pem, chain: chain.pem }} }}\nsteps:\n{INSTALLS}"
        );
        assert_eq!(codes_of(&rule_diagnostics(CUT038, &plan, &signed(), DTEN_INVENTORY)), Vec::<&str>::new());
    }

    #[test]
    fn a_check_in_the_main_steps_must_come_before_in_the_graph() {
        let plan = format!(
            "steps:\n  - {{ id: verify, run: \"gpg --verify dten.deb.asc dten.deb\", readonly: true }}\n{INSTALLS}"
        );
        let diagnostics = rule_diagnostics(CUT038, &plan, &signed(), DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT038", "CUT038"]);
        assert_eq!(diagnostics[0].message, "`stop` installs dten-core 4.0.3 without waiting for the signature check");
        // Once the first install waits for the check, the second one (after it) does too.
        let ordered = plan.replace("on: app }\n  - { id: up", "on: app, after: [verify] }\n  - { id: up");
        assert_eq!(codes_of(&rule_diagnostics(CUT038, &ordered, &signed(), DTEN_INVENTORY)), Vec::<&str>::new());
    }

    #[test]
    fn actions_running_a_verifier_count_and_unsigned_manifests_need_none() {
        let plan = format!(
            "steps:\n  - {{ id: verify, do: cosign-check, with: {{ file: dten.deb }} }}\n{}actions:\n  cosign-check:\n    params: {{ file: path }}\n    run: \"cosign verify-blob --key vendor.pub --signature {{file}}.sig {{file}}\"\n    readonly: true\n",
            INSTALLS.replace("on: app }", "on: app, after: [verify] }")
        );
        assert_eq!(codes_of(&rule_diagnostics(CUT038, &plan, &signed(), DTEN_INVENTORY)), Vec::<&str>::new());
        assert_eq!(
            codes_of(&rule_diagnostics(CUT038, &format!("steps:\n{INSTALLS}"), &unsigned(), DTEN_INVENTORY)),
            Vec::<&str>::new()
        );
    }
}
