//! Upgrade paths: from a host's installed version of a component to the manifest's version,
//! through every stop the manifest requires on the way. `cutover paths` prints them.
//!
//! **Invariant:** every path returned is one the checker accepts. Each hop is judged `Fine` by
//! [`judge`], the judgement behind CUT012 and CUT013, so `cutover paths` and `cutover check`
//! never disagree; and when the checker accepts the direct upgrade, so does this module.

use std::fmt;

use semver::Version;

use crate::model::{Component, Spanned};
use crate::source::Span;

/// Whether a hop follows the manifest's upgrade paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Fine,
    /// The host already has this version: the step does nothing there.
    AlreadyThere,
    /// No known path from `from` to `to` (CUT012). `cause` points at the manifest's paths.
    NoPath {
        cause: Span,
        reason: String,
    },
    /// The hop jumps over a required stop (CUT013).
    SkippedStop {
        stop: Version,
        cause: Span,
    },
    /// The hop goes back below a stop it already passed, or takes stops out of order (CUT013).
    OutOfOrder {
        stop: Version,
        cause: Span,
    },
}

/// Judges one hop against the component's `upgrade_from` edges and `required_stops`.
#[must_use]
pub fn judge(component: &Component, from: Option<&Version>, to: &Version) -> Verdict {
    let Some(from) = from else { return Verdict::Fine };
    if from == to {
        return Verdict::AlreadyThere;
    }
    if from > to {
        // Back down onto a stop already passed: the stops are taken out of order.
        let stop = component
            .upgrade_from
            .iter()
            .flat_map(|edge| edge.via.iter())
            .chain(component.required_stops.iter())
            .find(|stop| &stop.value == to);
        if let Some(stop) = stop {
            return Verdict::OutOfOrder { stop: from.clone(), cause: stop.span };
        }
        return Verdict::NoPath {
            cause: component.version.span,
            reason: format!("{from} is newer than {to}: a release step cannot downgrade"),
        };
    }
    // GitLab-style stops: any hop that crosses one must land on it.
    if let Some(stop) = component.required_stops.iter().find(|stop| &stop.value > from && &stop.value < to) {
        return Verdict::SkippedStop { stop: stop.value.clone(), cause: stop.span };
    }
    if component.upgrade_from.is_empty() {
        return Verdict::Fine;
    }
    let is_target = to == &component.version.value;
    // A hop to a `via` stop: the first stop of a path from `from`, or the stop after `from`.
    for edge in &component.upgrade_from {
        let Some(position) = edge.via.iter().position(|stop| &stop.value == to) else { continue };
        let previous = position.checked_sub(1).map(|index| &edge.via[index].value);
        if previous == Some(from) || (position == 0 && edge.from.value.matches(from)) {
            return Verdict::Fine;
        }
        if edge.from.value.matches(from) {
            return Verdict::SkippedStop { stop: edge.via[0].value.clone(), cause: edge.via[0].span };
        }
        if let Some(later) = edge.via.iter().skip(position + 1).find(|stop| &stop.value == from) {
            return Verdict::OutOfOrder { stop: later.value.clone(), cause: later.span };
        }
        if let Some(previous_stop) = position.checked_sub(1).map(|index| &edge.via[index])
            && from < &previous_stop.value
        {
            return Verdict::SkippedStop { stop: previous_stop.value.clone(), cause: previous_stop.span };
        }
    }
    // A stop that no path reaches from this version: neither the start of its path (the `from`
    // range does not match) nor the stop after the one the host is at.
    if let Some(edge) = component.upgrade_from.iter().find(|edge| edge.via.iter().any(|stop| &stop.value == to)) {
        return Verdict::NoPath {
            cause: edge.span,
            reason: format!("the path through the stop {to} starts from `{}`", edge.from_text),
        };
    }
    if is_target {
        // The last stop of a path leads to the target.
        if component.upgrade_from.iter().any(|edge| edge.via.last().is_some_and(|stop| &stop.value == from)) {
            return Verdict::Fine;
        }
        let matching: Vec<_> = component.upgrade_from.iter().filter(|edge| edge.from.value.matches(from)).collect();
        if matching.iter().any(|edge| edge.via.is_empty()) {
            return Verdict::Fine;
        }
        if let Some(edge) = matching.first() {
            return Verdict::SkippedStop { stop: edge.via[0].value.clone(), cause: edge.via[0].span };
        }
        return Verdict::NoPath {
            cause: component.upgrade_from[0].span,
            reason: format!(
                "the manifest lists upgrades to {} only from {}",
                component.version.value,
                component
                    .upgrade_from
                    .iter()
                    .map(|edge| format!("`{}`", edge.from_text))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
    }
    Verdict::Fine
}

/// One version on an upgrade path: where one release step lands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stop {
    pub version: Version,
    pub kind: StopKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopKind {
    /// A version every upgrade across it must land on: a `via` stop of the `upgrade_from` entry
    /// that applies, or an entry of `required_stops`.
    Required,
    /// The component's version in the manifest, where every path ends.
    Target,
}

/// Why an installed version has no upgrade path to the manifest's version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoPath {
    /// The installed version is newer than the manifest's: a release step cannot downgrade.
    NewerThanTarget { installed: Version, target: Version },
    /// The manifest lists `upgrade_from` entries, and no `from` range holds the installed version
    /// (nor is it a `via` stop of one).
    NoMatchingRange { installed: Version, ranges: Vec<String> },
    /// The manifest's stops do not chain into a path the checker accepts: stops listed out of
    /// version order, say. `reason` is the checker's objection to the hop `from` → `to`.
    StopsDoNotChain { from: Version, to: Version, reason: String },
}

impl NoPath {
    /// A stable, kebab-case name for the reason, for JSON output.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NewerThanTarget { .. } => "newer-than-target",
            Self::NoMatchingRange { .. } => "no-matching-range",
            Self::StopsDoNotChain { .. } => "stops-do-not-chain",
        }
    }
}

impl fmt::Display for NoPath {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NewerThanTarget { installed, target } => {
                write!(formatter, "{installed} is newer than the target {target}")
            }
            Self::NoMatchingRange { installed, ranges } => {
                let ranges: Vec<String> = ranges.iter().map(|range| format!("`{range}`")).collect();
                write!(formatter, "{installed} is in no `from` range of the manifest ({})", ranges.join(" or "))
            }
            Self::StopsDoNotChain { from, to, reason } => {
                write!(formatter, "the manifest's stops do not chain: from {from} to {to}, {reason}")
            }
        }
    }
}

/// The path from `from` to the component's manifest version: the versions to release, in order,
/// the last being the target. Empty when `from` already is the target.
///
/// The stops are the `via` stops still ahead on the `upgrade_from` entry that applies (the one
/// `from` stands on as a stop, else the first whose `from` range holds it) and every
/// `required_stops` entry strictly between `from` and the target, in version order.
///
/// # Errors
/// [`NoPath`] says why there is none: `from` is newer than the target, no `from` range holds it,
/// or the manifest's stops do not chain.
pub fn upgrade_path(component: &Component, from: &Version) -> Result<Vec<Stop>, NoPath> {
    let target = &component.version.value;
    if from == target {
        return Ok(Vec::new());
    }
    if from > target {
        return Err(NoPath::NewerThanTarget { installed: from.clone(), target: target.clone() });
    }
    let target_stop = Stop { version: target.clone(), kind: StopKind::Target };
    // Whatever the checker accepts in one hop needs no stops: this keeps the two in agreement
    // even on manifests whose entries overlap.
    if judge(component, Some(from), target) == Verdict::Fine {
        return Ok(vec![target_stop]);
    }
    let route = if component.upgrade_from.is_empty() {
        &[][..]
    } else {
        route_from(component, from).ok_or_else(|| NoPath::NoMatchingRange {
            installed: from.clone(),
            ranges: component.upgrade_from.iter().map(|edge| edge.from_text.clone()).collect(),
        })?
    };
    let mut stops: Vec<&Version> = route
        .iter()
        .chain(&component.required_stops)
        .map(|stop| &stop.value)
        .filter(|stop| *stop > from && *stop < target)
        .collect();
    stops.sort();
    stops.dedup();
    let mut path: Vec<Stop> =
        stops.into_iter().map(|version| Stop { version: version.clone(), kind: StopKind::Required }).collect();
    path.push(target_stop);
    let mut previous = from;
    for stop in &path {
        let verdict = judge(component, Some(previous), &stop.version);
        if verdict != Verdict::Fine {
            return Err(NoPath::StopsDoNotChain {
                from: previous.clone(),
                to: stop.version.clone(),
                reason: objection(&verdict),
            });
        }
        previous = &stop.version;
    }
    Ok(path)
}

/// The `via` stops still ahead of `from`: the rest of the entry it stands on as a stop, else
/// every stop of the first entry whose `from` range holds it. `None` when neither exists.
fn route_from<'c>(component: &'c Component, from: &Version) -> Option<&'c [Spanned<Version>]> {
    let on_a_stop = component.upgrade_from.iter().find_map(|edge| {
        let position = edge.via.iter().position(|stop| &stop.value == from)?;
        Some(&edge.via[position + 1..])
    });
    on_a_stop.or_else(|| {
        component.upgrade_from.iter().find(|edge| edge.from.value.matches(from)).map(|edge| edge.via.as_slice())
    })
}

/// What the checker holds against a hop, in words.
fn objection(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Fine => "nothing".to_owned(),
        Verdict::AlreadyThere => "the hop goes nowhere".to_owned(),
        Verdict::NoPath { reason, .. } => reason.clone(),
        Verdict::SkippedStop { stop, .. } => format!("the hop skips the required stop {stop}"),
        Verdict::OutOfOrder { stop, .. } => format!("the hop takes the stop {stop} out of order"),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn version(text: &str) -> Version {
        crate::model::parse_version(text).unwrap()
    }

    use crate::testing::component;

    /// The path as text: `4.0.3* 4.2.0`, a star on each required stop.
    fn shown(component: &Component, from: &str) -> String {
        match upgrade_path(component, &version(from)) {
            Ok(path) => path
                .iter()
                .map(|stop| match stop.kind {
                    StopKind::Required => format!("{}*", stop.version),
                    StopKind::Target => stop.version.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" "),
            Err(no_path) => format!("{}: {no_path}", no_path.kind()),
        }
    }

    fn dten() -> Component {
        component("4.2.0", &[(">=4.0.0, <4.2.0", &[]), (">=3.6.0, <4.0.0", &["4.0.3"])], &[])
    }

    #[test]
    fn via_stops_of_the_matching_range() {
        let dten = dten();
        assert_eq!(shown(&dten, "3.9.2"), "4.0.3* 4.2.0");
        assert_eq!(shown(&dten, "3.6.0"), "4.0.3* 4.2.0");
        assert_eq!(shown(&dten, "4.0.3"), "4.2.0");
        assert_eq!(shown(&dten, "4.1.0"), "4.2.0");
        assert_eq!(shown(&dten, "4.2.0"), "");
    }

    #[test]
    fn no_path_says_why() {
        let dten = dten();
        assert_eq!(
            shown(&dten, "3.1.0"),
            "no-matching-range: 3.1.0 is in no `from` range of the manifest \
             (`>=4.0.0, <4.2.0` or `>=3.6.0, <4.0.0`)"
        );
        assert_eq!(shown(&dten, "4.3.0"), "newer-than-target: 4.3.0 is newer than the target 4.2.0");
    }

    #[test]
    fn chains_continue_from_the_stop_a_host_stands_on() {
        let chain = component("4.2.0", &[(">=3.0.0, <3.9.0", &["3.9.9", "4.0.3"])], &[]);
        assert_eq!(shown(&chain, "3.1.0"), "3.9.9* 4.0.3* 4.2.0");
        assert_eq!(shown(&chain, "3.9.9"), "4.0.3* 4.2.0");
        assert_eq!(shown(&chain, "4.0.3"), "4.2.0");
    }

    #[test]
    fn required_stops_strictly_between_in_order() {
        let gitlab = component("17.5.5", &[], &["16.3.9", "16.7.10", "16.11.10", "17.1.8", "17.3.6", "17.5.5"]);
        assert_eq!(shown(&gitlab, "16.3.6"), "16.3.9* 16.7.10* 16.11.10* 17.1.8* 17.3.6* 17.5.5");
        assert_eq!(shown(&gitlab, "16.7.10"), "16.11.10* 17.1.8* 17.3.6* 17.5.5");
        assert_eq!(shown(&gitlab, "17.4.0"), "17.5.5");
        assert_eq!(shown(&gitlab, "15.0.0"), "16.3.9* 16.7.10* 16.11.10* 17.1.8* 17.3.6* 17.5.5");
    }

    #[test]
    fn both_kinds_of_stop_merge_in_version_order() {
        let mixed = component("5.0.0", &[(">=3.0.0, <5.0.0", &["4.5.0"])], &["4.0.0"]);
        assert_eq!(shown(&mixed, "3.2.0"), "4.0.0* 4.5.0* 5.0.0");
        assert_eq!(shown(&mixed, "4.2.0"), "4.5.0* 5.0.0");
    }

    #[test]
    fn stops_listed_out_of_order_do_not_chain() {
        let muddled = component("4.2.0", &[(">=3.0.0, <4.0.0", &["4.1.0", "4.0.3"])], &[]);
        assert_eq!(
            shown(&muddled, "3.5.0"),
            "stops-do-not-chain: the manifest's stops do not chain: from 3.5.0 to 4.0.3, \
             the hop skips the required stop 4.1.0"
        );
    }

    /// Versions from a small space, so that ranges, stops and installed versions collide often.
    fn small_version() -> impl Strategy<Value = Version> {
        (0u64..4, 0u64..4, 0u64..2).prop_map(|(major, minor, patch)| Version::new(major, minor, patch))
    }

    fn small_component() -> impl Strategy<Value = Component> {
        let edge = (small_version(), small_version(), proptest::collection::vec(small_version(), 0..3));
        (small_version(), proptest::collection::vec(edge, 0..3), proptest::collection::vec(small_version(), 0..4))
            .prop_map(|(target, edges, stops)| {
                let edges: Vec<(String, Vec<String>)> = edges
                    .into_iter()
                    .map(|(low, high, via)| {
                        (format!(">={low}, <{high}"), via.iter().map(ToString::to_string).collect())
                    })
                    .collect();
                let edges: Vec<(&str, Vec<&str>)> =
                    edges.iter().map(|(from, via)| (from.as_str(), via.iter().map(String::as_str).collect())).collect();
                let edges: Vec<(&str, &[&str])> = edges.iter().map(|(from, via)| (*from, via.as_slice())).collect();
                let stops: Vec<String> = stops.iter().map(ToString::to_string).collect();
                let stops: Vec<&str> = stops.iter().map(String::as_str).collect();
                component(&target.to_string(), &edges, &stops)
            })
    }

    proptest! {
        // Multi-hop paths are about one case in fifteen: enough cases to see many of them.
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// `paths` and CUT012/CUT013 never disagree: every hop of every path is `Fine`, the
        /// path climbs to the target, lands on every required stop on the way, and exists
        /// whenever the checker accepts the direct upgrade.
        #[test]
        fn every_path_is_judged_fine_hop_by_hop(component in small_component(), from in small_version()) {
            let target = component.version.value.clone();
            match upgrade_path(&component, &from) {
                Ok(path) => {
                    let mut previous = &from;
                    for stop in &path {
                        prop_assert!(&stop.version > previous, "{} after {previous}", stop.version);
                        prop_assert_eq!(judge(&component, Some(previous), &stop.version), Verdict::Fine);
                        previous = &stop.version;
                    }
                    prop_assert_eq!(previous, &target);
                    prop_assert!(path.iter().rev().skip(1).all(|stop| stop.kind == StopKind::Required));
                    prop_assert!(path.last().is_none_or(|stop| stop.kind == StopKind::Target));
                    for required in &component.required_stops {
                        if required.value > from && required.value < target {
                            prop_assert!(path.iter().any(|stop| stop.version == required.value));
                        }
                    }
                }
                Err(no_path) => {
                    prop_assert_ne!(from.clone(), target.clone());
                    prop_assert_ne!(judge(&component, Some(&from), &target), Verdict::Fine, "{}", no_path);
                }
            }
        }
    }

    #[test]
    fn the_plans_manifests_give_a_path_from_every_version_their_ranges_hold() {
        // Not vacuous: on well-formed manifests, ranges and stops yield real paths.
        let dten = dten();
        for minor in 6..10 {
            for patch in 0..4 {
                let from = Version::new(3, minor, patch);
                let path = upgrade_path(&dten, &from).unwrap();
                assert_eq!(path.len(), 2, "{from}");
            }
        }
    }

    #[test]
    fn via_stops_must_be_taken_in_order() {
        let dten = component("4.2.0", &[(">=4.0.0, <4.2.0", &[]), (">=3.6.0, <4.0.0", &["4.0.3"])], &[]);
        assert_eq!(judge(&dten, Some(&version("3.9.2")), &version("4.0.3")), Verdict::Fine);
        assert_eq!(judge(&dten, Some(&version("4.0.3")), &version("4.2.0")), Verdict::Fine);
        assert_eq!(judge(&dten, Some(&version("4.1.0")), &version("4.2.0")), Verdict::Fine);
        assert!(matches!(judge(&dten, Some(&version("3.9.2")), &version("4.2.0")), Verdict::SkippedStop { .. }));
        assert!(matches!(judge(&dten, Some(&version("3.1.0")), &version("4.2.0")), Verdict::NoPath { .. }));
        assert!(matches!(judge(&dten, Some(&version("4.2.0")), &version("4.0.3")), Verdict::OutOfOrder { .. }));
        assert!(matches!(judge(&dten, Some(&version("4.2.0")), &version("3.9.2")), Verdict::NoPath { .. }));
        assert_eq!(judge(&dten, Some(&version("4.2.0")), &version("4.2.0")), Verdict::AlreadyThere);
        assert_eq!(judge(&dten, None, &version("4.2.0")), Verdict::Fine);
        // A stop reached from a version its path does not start from.
        assert!(matches!(judge(&dten, Some(&version("3.1.0")), &version("4.0.3")), Verdict::NoPath { .. }));
    }

    #[test]
    fn chains_of_via_stops() {
        let chain = component("4.2.0", &[(">=3.0.0, <4.0.0", &["3.9.9", "4.0.3"])], &[]);
        assert_eq!(judge(&chain, Some(&version("3.1.0")), &version("3.9.9")), Verdict::Fine);
        assert_eq!(judge(&chain, Some(&version("3.9.9")), &version("4.0.3")), Verdict::Fine);
        assert_eq!(judge(&chain, Some(&version("4.0.3")), &version("4.2.0")), Verdict::Fine);
        assert!(
            matches!(judge(&chain, Some(&version("3.1.0")), &version("4.0.3")), Verdict::SkippedStop { stop, .. } if stop == version("3.9.9"))
        );
    }

    #[test]
    fn required_stops_must_be_landed_on() {
        let gitlab = component("4.2.0", &[], &["16.3.9", "16.7.10", "16.11.10"]);
        assert_eq!(judge(&gitlab, Some(&version("16.3.9")), &version("16.7.10")), Verdict::Fine);
        assert!(
            matches!(judge(&gitlab, Some(&version("16.3.9")), &version("16.11.10")), Verdict::SkippedStop { stop, .. } if stop == version("16.7.10"))
        );
        assert!(matches!(judge(&gitlab, Some(&version("16.11.10")), &version("4.2.0")), Verdict::NoPath { .. }));
    }
}
