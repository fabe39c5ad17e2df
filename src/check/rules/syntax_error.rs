//! CUT001 `syntax-error`.
//!
//! ## What it does
//!
//! Reported while reading a file (plan, action library, manifest or inventory), before any
//! check runs:
//!
//! - YAML (or JSON) that does not parse: an unclosed bracket, a bad indent, a tab, a key
//!   written twice in one mapping. An empty file is one too. The underline is where the
//!   parser stopped.
//! - Input too big to read safely: more than 32 levels of nesting, 4 million values or 10,000
//!   aliases (a "billion laughs" document).
//! - A value of the wrong form in a fixed field: `window: banana` (not a duration),
//!   `buffer: 120%` (not 0–100%), `serial: 0`, an unknown effect, an unknown `backoff`, a
//!   version (`14.x`) or a requirement (`>=thirteen`) that does not parse, an unknown lock
//!   mode or parameter type, a list where one value is expected. The message says the form
//!   expected.
//! - A required field that is missing: the plan's `cutover`, `plan`, `manifest` or
//!   `inventory`; a step's `id`; a `count` in `retries`; a component's `version`; a
//!   parameter's `type`; a `from` in an `upgrade_from` entry. An unsupported language version
//!   (`cutover: 2`).
//! - A step that does nothing (neither `do` nor `run`), an action with no `run`, and a step
//!   with both `rollback` and `irreversible`.
//!
//! The reader records the problem and reads on, so one run reports every such problem of
//! the file; a file that does not parse at all stops there.
//!
//! ## Why it matters
//!
//! Nothing can be checked about a plan that cannot be read as written, and a value silently
//! read as something else (`on` as `true`, `14.10` as `14.1`) is worse than an error.
//!
//! ## Example
//!
//! ```yaml
//! cutover: 1
//! plan: dten-4.2
//! manifest: manifest.json
//! inventory: inventory.yaml
//! window: banana            # expected a duration like 90s, 5m or 1h30m
//! steps:
//!   - id: stop-agent
//!     do: service.stop
//!     with: { unit: dten-agent.service
//!     on: app               # the flow mapping above is never closed
//! ```
//!
//! ## Fix
//!
//! Write the value in the form the message names (`window: 1h`), close what was opened
//! (`with: { unit: dten-agent.service }`), and add the missing field. Quote a value that YAML
//! would otherwise read as something else.
