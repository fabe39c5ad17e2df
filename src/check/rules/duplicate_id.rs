//! CUT003 `duplicate-id`.
//!
//! ## What it does
//!
//! Reports two steps with the same `id` (preflight and main steps share one set of ids), and
//! an action defined twice by the user: in the plan's `actions:` and in a library it `use`s,
//! or in two libraries. The second definition is reported, with a label on the first.
//!
//! Replacing an action of the standard prelude is not a duplicate: a library or the plan may
//! define `service.stop` to change how every step that calls it works. A key written twice in
//! one YAML mapping is CUT001.
//!
//! ## Why it matters
//!
//! `after`, the journal that lets a run resume, the runbook and `--rollback` all name steps by
//! id: two steps with one id make each of them ambiguous. Two definitions of an action leave
//! it to the order of files which command runs.
//!
//! ## Example
//!
//! ```yaml
//! use: [lib/dten.yaml]      # defines `install`
//! steps:
//!   - { id: stop-agent, do: service.stop, with: { unit: dten-agent.service }, on: app }
//!   - { id: stop-agent, do: service.stop, with: { unit: dten-agent.service }, on: app-1 }
//! actions:
//!   install:                # defined again here
//!     params: { target: release }
//!     run: "scripts/install.sh {target.component} {target.version}"
//!     rollback: "scripts/install.sh {target.component} {target.from}"
//! ```
//!
//! ## Fix
//!
//! Give each step its own id (`stop-agent-app-1`). Keep one definition of the action, or
//! rename one of them (`install-local`) and call that name.
