//! CUT004 `unknown-step`.
//!
//! ## What it does
//!
//! Reports an entry of `after` that names no step of the plan, with the nearest id when one
//! is close enough to be a typo. Also reports a preflight step whose `after` names a main
//! step: preflight runs, read-only, before every main step, so it cannot wait for one.
//!
//! ## Why it matters
//!
//! An ordering that names nothing is an ordering that does not hold: the step would run as
//! soon as everything else it waits for is done, possibly before the step it was meant to
//! follow.
//!
//! ## Example
//!
//! ```yaml
//! preflight:
//!   - { id: app-healthy, run: ./check-health.sh, readonly: true, after: [stop-agent] }
//! steps:
//!   - { id: stop-agent, do: service.stop, with: { unit: dten-agent.service }, on: app }
//!   - id: start-agent
//!     do: service.start
//!     with: { unit: dten-agent.service }
//!     on: app
//!     after: [stop-agnet]   # did you mean `stop-agent`?
//! ```
//!
//! ## Fix
//!
//! Name an existing step (`after: [stop-agent]`). Move a check that must wait for a main step
//! into `steps:` (as a `readonly: true` step), or drop its `after`.
