//! The model printed as YAML (`cutover convert --to yaml`): block style for the plan and each
//! step, flow style for short maps and lists (`with`, `after`, `upgrade`), every scalar plain
//! when YAML 1.2 reads it back as the same text and double-quoted otherwise. Comments come back
//! before the element they preceded, or at the end of its line.

use super::comments::Comments;
use super::quote::{yaml_block_key, yaml_flow_key, yaml_scalar, yaml_string};
use crate::model::{Action, Commands, Library, Plan, Step, Tuning, Undo};
use crate::source::Span;

/// A plan as YAML text.
#[must_use]
pub fn plan(plan: &Plan, comments: &mut Comments) -> String {
    let mut printer = Printer { out: String::new(), comments };
    printer.plan(plan);
    printer.out
}

/// An action library as YAML text.
#[must_use]
pub fn library(library: &Library, comments: &mut Comments) -> String {
    let mut printer = Printer { out: String::new(), comments };
    printer.actions(&library.actions);
    printer.rest();
    printer.out
}

struct Printer<'c> {
    out: String,
    comments: &'c mut Comments,
}

impl Printer<'_> {
    fn leading(&mut self, offset: u32, indent: &str) {
        for comment in self.comments.leading(offset) {
            self.out.push_str(indent);
            self.out.push('#');
            self.out.push_str(&comment);
            self.out.push('\n');
        }
    }

    /// `key: value` at `indent`, with its comments.
    fn field(&mut self, indent: &str, key: &str, value: &str, span: Span) {
        self.leading(span.start, indent);
        self.out.push_str(indent);
        self.out.push_str(key);
        self.out.push_str(": ");
        self.out.push_str(value);
        self.end_line(&[span.start, span.end]);
    }

    /// Ends a line that stands for the source lines of `offsets`, with their comments.
    fn end_line(&mut self, offsets: &[u32]) {
        if let Some(comment) = self.comments.trailing(offsets, &[]) {
            self.out.push_str(" #");
            self.out.push_str(&comment);
        }
        self.out.push('\n');
    }

    /// Adds the comments at the end of the source lines of `offsets` to the line just written:
    /// a DSL step's closing `} # …` has no line of its own in YAML, and its comment must stay
    /// after code.
    fn end_last_line_too(&mut self, offsets: &[u32]) {
        if let Some(comment) = self.comments.trailing(offsets, &[]) {
            self.out.pop();
            self.out.push_str(" #");
            self.out.push_str(&comment);
            self.out.push('\n');
        }
    }

    fn blank_if_written(&mut self, offset: u32) {
        if self.comments.blank_before(offset) && !self.out.ends_with("\n\n") && !self.out.ends_with(":\n") {
            self.out.push('\n');
        }
    }

    fn rest(&mut self) {
        for comment in self.comments.rest() {
            self.out.push('#');
            self.out.push_str(&comment);
            self.out.push('\n');
        }
    }

    fn plan(&mut self, plan: &Plan) {
        self.field("", "cutover", &plan.language.value.to_string(), plan.language.span);
        self.field("", "plan", &yaml_scalar(&plan.name.value), plan.name.span);
        if let Some(manifest) = &plan.manifest {
            self.field("", "manifest", &yaml_scalar(&manifest.value), manifest.span);
        }
        if let Some(inventory) = &plan.inventory {
            self.field("", "inventory", &yaml_scalar(&inventory.value), inventory.span);
        }
        if let Some(window) = &plan.window {
            self.field("", "window", &window.value.to_string(), window.span);
        }
        if let Some(buffer) = &plan.buffer {
            self.field("", "buffer", &yaml_scalar(&buffer.value.to_string()), buffer.span);
        }
        if let (Some(first), Some(last)) = (plan.uses.first(), plan.uses.last()) {
            let items: Vec<String> = plan.uses.iter().map(|path| yaml_scalar(&path.value)).collect();
            self.field("", "use", &format!("[{}]", items.join(", ")), Span { end: last.span.end, ..first.span });
        }
        if let (Some(first), Some(last)) = (plan.upgrade.first(), plan.upgrade.last()) {
            let items: Vec<String> = plan
                .upgrade
                .iter()
                .map(|(component, version)| {
                    format!("{}: {}", yaml_flow_key(&component.value), yaml_scalar(&version.value))
                })
                .collect();
            let span = Span { end: last.1.span.end, ..first.0.span };
            self.field("", "upgrade", &format!("{{ {} }}", items.join(", ")), span);
        }
        if let Some(notify) = &plan.notify {
            self.field("", "notify", &yaml_string(&notify.value), notify.span);
        }
        for (key, steps) in [("preflight", &plan.preflight), ("steps", &plan.steps)] {
            if steps.is_empty() {
                continue;
            }
            self.out.push('\n');
            self.out.push_str(key);
            self.out.push_str(":\n");
            for step in steps {
                self.blank_if_written(step.span.start);
                self.step(step);
            }
        }
        if !plan.actions.is_empty() {
            self.out.push('\n');
            self.actions(&plan.actions);
        }
        self.rest();
    }

    fn step(&mut self, step: &Step) {
        self.leading(step.span.start, "  ");
        self.out.push_str("  - id: ");
        self.out.push_str(&yaml_scalar(&step.id.value));
        self.end_line(&[step.span.start, step.id.span.start, step.id.span.end]);
        let indent = "    ";
        if let Some(call) = &step.call {
            self.field(indent, "do", &yaml_scalar(&call.action.value), call.action.span);
            if let (Some(first), Some(last)) = (call.arguments.first(), call.arguments.last()) {
                let items: Vec<String> = call
                    .arguments
                    .iter()
                    .map(|argument| {
                        format!("{}: {}", yaml_flow_key(&argument.name.value), yaml_scalar(&argument.value.value))
                    })
                    .collect();
                let span = Span { end: last.value.span.end, ..first.name.span };
                self.field(indent, "with", &format!("{{ {} }}", items.join(", ")), span);
            }
        }
        self.commands(indent, &step.commands);
        if let Some(on) = &step.on {
            self.field(indent, "on", &yaml_scalar(&on.value), on.span);
        }
        if let Some(serial) = &step.serial {
            let value = match &serial.value {
                crate::model::Serial::Ramp(sizes) => {
                    let items: Vec<String> = sizes.iter().map(|size| yaml_scalar(&size.to_string())).collect();
                    format!("[{}]", items.join(", "))
                }
                every @ crate::model::Serial::Every(_) => yaml_scalar(&every.to_string()),
            };
            self.field(indent, "serial", &value, serial.span);
        }
        if let Some(max_fail) = &step.max_fail {
            self.field(indent, "max_fail", &yaml_scalar(&max_fail.value.to_string()), max_fail.span);
        }
        if let (Some(first), Some(last)) = (step.after.first(), step.after.last()) {
            let items: Vec<String> = step.after.iter().map(|name| yaml_scalar(&name.value)).collect();
            self.field(indent, "after", &format!("[{}]", items.join(", ")), Span { end: last.span.end, ..first.span });
        }
        self.tuning(indent, &step.tuning);
        if let Some(gate) = &step.gate {
            self.field(indent, "gate", &gate_flow(&gate.value), gate.span);
        }
        self.effects(indent, &step.effects);
        if let Some(readonly) = &step.readonly {
            self.field(indent, "readonly", if readonly.value { "true" } else { "false" }, readonly.span);
        }
        self.end_last_line_too(&[step.span.end]);
    }

    fn commands(&mut self, indent: &str, commands: &Commands) {
        if let Some(run) = &commands.run {
            self.field(indent, "run", &yaml_string(&run.value), run.span);
        }
        match &commands.undo {
            Some(Undo::Rollback(text)) => self.field(indent, "rollback", &yaml_string(&text.value), text.span),
            Some(Undo::Irreversible(text)) => self.field(indent, "irreversible", &yaml_string(&text.value), text.span),
            None => {}
        }
        if let Some(verify) = &commands.verify {
            self.field(indent, "verify", &yaml_string(&verify.value), verify.span);
        }
        if let Some(cleanup) = &commands.cleanup {
            self.field(indent, "cleanup", &yaml_string(&cleanup.value), cleanup.span);
        }
    }

    fn tuning(&mut self, indent: &str, tuning: &Tuning) {
        if let Some(estimate) = &tuning.estimate {
            self.field(indent, "estimate", &estimate.value.to_string(), estimate.span);
        }
        if let Some(timeout) = &tuning.timeout {
            self.field(indent, "timeout", &timeout.value.to_string(), timeout.span);
        }
        if let Some(retries) = &tuning.retries {
            let value = &retries.value;
            let text = if value.backoff.is_none() && value.base.is_none() && value.max.is_none() {
                value.count.to_string()
            } else {
                let mut parts = vec![format!("count: {}", value.count)];
                parts.extend(value.backoff.map(|backoff| format!("backoff: {}", backoff.as_str())));
                parts.extend(value.base.map(|base| format!("base: {base}")));
                parts.extend(value.max.map(|max| format!("max: {max}")));
                format!("{{ {} }}", parts.join(", "))
            };
            self.field(indent, "retries", &text, retries.span);
        }
    }

    fn effects(&mut self, indent: &str, effects: &[crate::model::Spanned<crate::model::Effect>]) {
        if let (Some(first), Some(last)) = (effects.first(), effects.last()) {
            let items: Vec<&str> = effects.iter().map(|effect| effect.value.as_str()).collect();
            self.field(
                indent,
                "effects",
                &format!("[{}]", items.join(", ")),
                Span { end: last.span.end, ..first.span },
            );
        }
    }

    fn actions(&mut self, actions: &[Action]) {
        self.out.push_str("actions:\n");
        for (index, action) in actions.iter().enumerate() {
            if index > 0 {
                self.out.push('\n');
            }
            self.action(action);
        }
    }

    fn action(&mut self, action: &Action) {
        self.leading(action.name.span.start, "  ");
        self.out.push_str("  ");
        self.out.push_str(&yaml_block_key(&action.name.value, "  "));
        self.end_line(&[action.name.span.start, action.name.span.end]);
        let indent = "    ";
        if let (Some(first), Some(last)) = (action.params.first(), action.params.last()) {
            let items: Vec<String> = action
                .params
                .iter()
                .map(|param| {
                    let name = yaml_flow_key(&param.name.value);
                    match &param.default {
                        Some(default) => format!(
                            "{name}: {{ type: {}, default: {} }}",
                            param.kind.value.as_str(),
                            yaml_scalar(&default.value)
                        ),
                        None => format!("{name}: {}", param.kind.value.as_str()),
                    }
                })
                .collect();
            let span = Span { end: last.kind.span.end, ..first.name.span };
            self.field(indent, "params", &format!("{{ {} }}", items.join(", ")), span);
        }
        self.commands(indent, &action.commands);
        if let Some(from) = &action.estimate_from {
            self.field(indent, "estimate", &yaml_string(&format!("{{{}}}", from.value)), from.span);
        }
        self.tuning(indent, &action.tuning);
        self.effects(indent, &action.effects);
        if action.readonly {
            self.out.push_str(indent);
            self.out.push_str("readonly: true\n");
        }
    }
}

/// `{ http: { url: "…", status: 200 }, passes: 3 }`: a gate as a flow mapping.
fn gate_flow(gate: &crate::model::Gate) -> String {
    let mut parts = Vec::new();
    match &gate.check {
        crate::model::GateCheck::Http { url, status, body } => {
            let mut http = vec![format!("url: {}", yaml_scalar(&url.value))];
            http.extend(status.map(|status| format!("status: {status}")));
            http.extend(body.as_ref().map(|body| format!("body: {}", yaml_string(&body.value))));
            parts.push(format!("http: {{ {} }}", http.join(", ")));
        }
        crate::model::GateCheck::Command(command) => parts.push(format!("command: {}", yaml_string(&command.value))),
    }
    parts.extend(gate.interval.map(|interval| format!("interval: {interval}")));
    parts.extend(gate.passes.map(|passes| format!("passes: {passes}")));
    parts.extend(gate.soak.map(|soak| format!("soak: {soak}")));
    parts.extend(gate.timeout.map(|timeout| format!("timeout: {timeout}")));
    format!("{{ {} }}", parts.join(", "))
}
