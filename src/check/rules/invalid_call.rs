//! CUT006 `invalid-call`.
//!
//! ## What it does
//!
//! Reported while binding steps to actions and typing their arguments:
//!
//! - `do:` names an action that neither the prelude, the plan nor a `use:` library defines;
//! - an argument the action has no parameter for, an argument with no value, and a missing
//!   argument (a parameter without a `default`);
//! - an argument of the wrong type: not a whole number (`int`), not `true`/`false` (`bool`),
//!   not a URL with a scheme and host (`url`), not a duration (`duration`), not
//!   `component@version` (`release`), no such group (`group`) or migration (`migration`);
//! - a template placeholder that names no parameter in scope (an inline step has none), a
//!   field its type does not have (`{unit.name}`), or a `{` that opens no placeholder; after
//!   a `$` the help suggests `${{HOME}}` for a shell variable;
//! - a NUL byte in an argument, which no shell word can carry, or in a command, which bash
//!   would drop from the script;
//! - a command that does not end where its text ends: left inside a quote, `$(…)`, `${…}`, a
//!   `{` group or a here-document, ending in a backslash, or holding a `}` that closes no `{`
//!   (the script holds each command in a function: it would take in the lines after it, or
//!   end the function early and run the rest when the script is read);
//! - `on:` naming neither a group nor a host of the inventory (nor `local`);
//! - an action's `estimate: "{param}"` naming no `duration` parameter.
//!
//! Unknown components and versions in `release` and `component` arguments are CUT010 and
//! CUT011.
//!
//! ## Why it matters
//!
//! These are the mistakes a shell script would only show halfway through the window: a
//! command not found, an empty argument, `systemctl stop` of nothing. Typing every argument
//! at compile time is what lets the generated script quote every value safely.
//!
//! ## Example
//!
//! ```yaml
//! steps:
//!   - id: wait-healthy
//!     do: http.wait
//!     with: { url: "http://localhost:8080/health", status: ok }   # status is an int; no timeout
//!     on: ap                                                      # did you mean `app`?
//!   - id: mark
//!     run: "touch /var/lib/dten/upgraded-{host}"                  # an inline step has no parameters
//!     rollback: "rm -f /var/lib/dten/upgraded-*"
//! ```
//!
//! ## Fix
//!
//! Pass every parameter the action declares, each in its type's form
//! (`with: { url: "http://localhost:8080/health", status: 200, timeout: 5m }`), and name a
//! group of the inventory (`on: app`). In an inline step, write literal braces as `{{` and
//! `}}`, and shell variables as `${{HOST}}`; or make it an action with parameters.
