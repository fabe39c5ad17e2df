//! CUT002 `unknown-field`.
//!
//! ## What it does
//!
//! Reports a field that the thing it is written in does not have: in a plan, a step, an
//! action, a parameter, `retries`, an action library, and in manifests (components, config
//! keys, migrations, `signing`, `upgrade_from` entries) and inventories (top level and
//! hosts). The help names the nearest known field when one is close enough to be a typo, or
//! lists the known fields.
//!
//! Also CUT002, because the field is not one this kind of step has: `with` on a step without
//! `do`, and `run`, `rollback` or `irreversible` on a step that calls an action (those come
//! from the action's definition).
//!
//! ## Why it matters
//!
//! A misspelt field is not an error in YAML: without this rule `serail: 1` would be ignored,
//! and a step meant to roll one host at a time would run on every host at once.
//!
//! ## Example
//!
//! ```yaml
//! steps:
//!   - id: stop-agent
//!     do: service.stop
//!     with: { unit: dten-agent.service }
//!     on: app
//!     serail: 1             # did you mean `serial`?
//!   - id: install-core
//!     do: install
//!     with: { target: dten-core@4.2.0 }
//!     rollback: ./downgrade.sh   # a step that calls an action takes its rollback from it
//! ```
//!
//! ## Fix
//!
//! Correct the name (`serial: 1`). For a command on a step that calls an action, set it in
//! the action's definition, or drop `do:` and write the step inline with `run:`.
