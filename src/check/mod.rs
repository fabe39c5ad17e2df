//! Checking: resolve names and types, build the graph, run every rule, and hand lowering a plan
//! that is known to be sound.
//!
//! **Invariant:** checking never prints and never stops at the first problem; it returns every
//! diagnostic of the run.

pub(crate) mod commands;
pub mod rules;
mod suppress;

use std::sync::OnceLock;

use crate::diagnostic::{Diagnostic, Note};
use crate::graph::StepGraph;
use crate::graph::flow::{self, Flow, Verdict};

use crate::source::SourceMap;

use crate::resolve::{Inputs, Resolved};

/// Everything the rules look at.
pub struct Context<'c, 'm> {
    pub inputs: &'c Inputs<'m>,
    pub sources: &'c SourceMap,
    pub resolved: &'c Resolved<'m>,
    pub graph: &'c StepGraph,
    /// `None` when the graph has a cycle.
    pub order: Option<&'c [usize]>,
    /// `None` without an order, a manifest or an inventory.
    pub flow: Option<&'c Flow>,
    /// Filled by [`Context::command_texts`] on first use.
    command_texts: OnceLock<Vec<commands::CommandText<'m>>>,
}

impl<'c, 'm> Context<'c, 'm> {
    fn new(
        inputs: &'c Inputs<'m>,
        sources: &'c SourceMap,
        resolved: &'c Resolved<'m>,
        graph: &'c StepGraph,
        order: Option<&'c [usize]>,
        flow: Option<&'c Flow>,
    ) -> Self {
        Self { inputs, sources, resolved, graph, order, flow, command_texts: OnceLock::new() }
    }

    /// Every text the plan hands to a shell, with its shell words ([`commands::command_texts`]).
    /// Gathered and split on first use and kept: CUT036 and CUT037 read the same texts.
    pub(crate) fn command_texts(&self) -> &[commands::CommandText<'m>] {
        self.command_texts.get_or_init(|| commands::command_texts(self))
    }

    /// Whether step `before` finishes before step `after` starts in every order the graph
    /// allows: `before` is an ancestor of `after`, or a preflight step and `after` a main step.
    #[must_use]
    pub fn runs_before(&self, before: usize, after: usize) -> bool {
        use crate::model::Phase;
        let steps = &self.resolved.steps;
        if steps[before].step.phase == Phase::Preflight && steps[after].step.phase == Phase::Main {
            return true;
        }
        before != after
            && petgraph::algo::has_path_connecting(
                &self.graph.graph,
                self.graph.node(before),
                self.graph.node(after),
                None,
            )
    }
}

/// A plan that passed its checks, ready for lowering.
#[derive(Debug)]
pub struct Checked<'m> {
    pub inputs: &'m Inputs<'m>,
    pub resolved: Resolved<'m>,
    pub graph: StepGraph,
    pub order: Vec<usize>,
    pub flow: Flow,
}

/// The outcome of checking: every diagnostic and note, and the checked plan when nothing was an
/// error.
pub struct Outcome<'m> {
    pub diagnostics: Vec<Diagnostic>,
    pub notes: Vec<Note>,
    pub checked: Option<Checked<'m>>,
}

/// Checks a plan against its inputs. `diagnostics` holds what the front ends already found.
#[must_use]
pub fn check<'m>(inputs: &'m Inputs<'m>, sources: &SourceMap, diagnostics: Vec<Diagnostic>) -> Outcome<'m> {
    check_then(inputs, sources, diagnostics, |_| ()).0
}

/// Checks a plan, and runs `then` on the checked plan (lowering, for the driver), which it
/// returns when nothing was an error.
///
/// Once the plan is resolved, ordered and walked without an error, `then` starts on a second
/// thread beside the rules, on the plan as it will be if the rules find nothing: the rules only
/// judge the plan, they never change it. When a rule does find an error, what `then` made (or
/// a panic of it, on a plan it was never meant to see) is dropped.
pub fn check_then<'m, T: Send>(
    inputs: &'m Inputs<'m>,
    sources: &SourceMap,
    mut diagnostics: Vec<Diagnostic>,
    then: impl FnOnce(&Checked<'m>) -> T + Send,
) -> (Outcome<'m>, Option<T>) {
    let resolved = crate::resolve::resolve(inputs, sources, &mut diagnostics);
    let graph = StepGraph::build(&resolved, inputs.manifest);
    let order = graph.order();
    let flow = match (&order, inputs.manifest, inputs.inventory) {
        (Some(order), Some(manifest), Some(inventory)) => Some(flow::walk(&resolved, order, manifest, inventory)),
        _ => None,
    };
    let errors_so_far = diagnostics.iter().any(Diagnostic::is_error);
    let (order, flow) = match (order, flow) {
        (Some(order), Some(flow)) if !errors_so_far => (order, flow),
        (order, flow) => {
            // Nothing to lower: the rules still report everything they find.
            let context = Context::new(inputs, sources, &resolved, &graph, order.as_deref(), flow.as_ref());
            let notes = finish(&context, &mut diagnostics);
            return (Outcome { diagnostics, notes, checked: None }, None);
        }
    };
    let checked = Checked { inputs, resolved, graph, order, flow };
    let context =
        Context::new(inputs, sources, &checked.resolved, &checked.graph, Some(&checked.order), Some(&checked.flow));
    let made = if checked.resolved.steps.len() < crate::parallel::FROM_ITEMS {
        let notes = finish(&context, &mut diagnostics);
        let clean = !diagnostics.iter().any(Diagnostic::is_error);
        (notes, clean.then(|| then(&checked)))
    } else {
        let (made, notes) = crate::parallel::join(|| then(&checked), || finish(&context, &mut diagnostics));
        let clean = !diagnostics.iter().any(Diagnostic::is_error);
        match made {
            Ok(made) => (notes, clean.then_some(made)),
            Err(panic) if clean => std::panic::resume_unwind(panic),
            Err(_) => (notes, None),
        }
    };
    let (notes, made) = made;
    let checked = made.is_some().then_some(checked);
    (Outcome { diagnostics, notes, checked }, made)
}

/// The rules, suppressions and settings over a resolved plan; the notes to show with it.
fn finish(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) -> Vec<Note> {
    let inputs = context.inputs;
    rules::run_all(context, diagnostics);
    suppress::apply(inputs.plan, context.sources, diagnostics);
    // `cutover.toml` may turn a rule off or change its severity.
    diagnostics.retain_mut(|diagnostic| match inputs.settings.severity(diagnostic.code, diagnostic.severity) {
        Some(severity) => {
            diagnostic.severity = severity;
            true
        }
        None => false,
    });
    diagnostics
        .sort_by_key(|diagnostic| (diagnostic.primary.span.file, diagnostic.primary.span.start, diagnostic.code));
    context.flow.map(|flow| already_there_notes(context.resolved, flow)).unwrap_or_default()
}

/// A release on a host that already has the version does nothing there; say so once per step
/// and version.
pub(crate) fn already_there_notes(resolved: &Resolved<'_>, flow: &Flow) -> Vec<Note> {
    let mut notes: Vec<Note> = Vec::new();
    let mut grouped: indexmap::IndexMap<(usize, &str, &semver::Version), Vec<&str>> = indexmap::IndexMap::new();
    for hop in &flow.hops {
        if hop.verdict == Verdict::AlreadyThere {
            grouped.entry((hop.step, hop.component.as_str(), &hop.to)).or_default().push(hop.host.as_str());
        }
    }
    for ((step, component, version), hosts) in grouped {
        let step = &resolved.steps[step];
        let span = step
            .releases
            .iter()
            .find(|release| release.component == component)
            .map_or(step.step.id.span, |release| release.span);
        let (subject, verb) = if hosts.len() == 1 { (hosts[0].to_owned(), "has") } else { (hosts.join(", "), "have") };
        notes.push(Note {
            span,
            message: format!("{subject} already {verb} {component} {version}: `{}` does nothing there", step.id()),
        });
    }
    notes
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, compile_body};

    /// Steps enough for lowering to run beside the rules, and reading and binding in halves.
    const LONG: usize = crate::parallel::FROM_ITEMS + 20;

    /// A plan of [`LONG`] steps, with `extra` as its last step.
    fn long_plan(extra: &str) -> String {
        let mut body = String::from("steps:\n");
        for index in 0..LONG {
            let after = if index == 0 { String::new() } else { format!("\n    after: [s{:03}]", index - 1) };
            let _ = write!(
                body,
                "  - id: s{index:03}\n    run: \"touch /tmp/{index}\"\n    rollback: \"rm -f /tmp/{index}\"{after}\n"
            );
        }
        body.push_str(extra);
        body
    }

    #[test]
    fn lowering_beside_the_rules_gives_what_lowering_after_them_gives() {
        let compilation = compile_body(&long_plan(""), DTEN_MANIFEST, DTEN_INVENTORY);
        assert!(
            compilation.diagnostics.iter().all(|diagnostic| !diagnostic.is_error()),
            "{:?}",
            compilation.diagnostics
        );
        let beside = compilation.lowered.as_ref().expect("lowered");
        assert_eq!(beside.steps.len(), LONG, "every step is lowered");

        // The same files, read again, checked, and only then lowered, on this thread.
        let sources = &compilation.sources;
        let file_named =
            |name: &str| sources.files().find(|(_, file)| file.name.ends_with(name)).map(|(id, _)| id).expect(name);
        let parse = |id| crate::syntax::yaml::parse(id, &sources.get(id).text).expect("valid YAML");
        let mut diagnostics = Vec::new();
        let plan_file = file_named("plan.yaml");
        let plan = crate::syntax::plan::read_plan(plan_file, &parse(plan_file), &mut diagnostics).expect("a plan");
        let manifest_file = file_named("manifest.yaml");
        let manifest = crate::syntax::manifest::read_manifest(manifest_file, &parse(manifest_file), &mut diagnostics);
        let inventory_file = file_named("inventory.yaml");
        let inventory =
            crate::syntax::inventory::read_cutover_inventory(inventory_file, &parse(inventory_file), &mut diagnostics);
        let library_file = file_named("lib.yaml");
        let libraries = vec![crate::syntax::plan::read_library(library_file, &parse(library_file), &mut diagnostics)];
        let prelude_file = file_named("<prelude>");
        let prelude = crate::syntax::plan::read_library(prelude_file, &parse(prelude_file), &mut diagnostics);
        let settings = crate::config::Settings::default();
        let inputs = super::Inputs {
            plan: &plan,
            manifest: manifest.as_ref(),
            inventory: inventory.as_ref(),
            libraries: &libraries,
            prelude: &prelude,
            settings: &settings,
        };
        let outcome = super::check(&inputs, sources, diagnostics);
        let after = crate::lower::lower(outcome.checked.as_ref().expect("checked"), beside.sources.clone());
        assert_eq!(crate::emit::json::emit(beside), crate::emit::json::emit(&after));
    }

    #[test]
    fn an_error_found_by_a_rule_drops_what_was_lowered_beside_it() {
        let extra = "  - id: leak\n    run: \"curl -u admin:hunter2 https://localhost/x\"\n    readonly: true\n";
        let compilation = compile_body(&long_plan(extra), DTEN_MANIFEST, DTEN_INVENTORY);
        let codes: Vec<&str> = compilation.diagnostics.iter().map(|diagnostic| diagnostic.code.as_str()).collect();
        assert!(codes.contains(&"CUT036"), "{codes:?}");
        assert!(compilation.lowered.is_none(), "no lowered plan when a rule finds an error");
    }
}
