//! Upgrade paths: from a host's installed version of a component to the manifest's version,
//! through every stop the manifest requires on the way. `cutover paths` prints them.
//!
//! **Invariant:** every path returned is one the checker accepts. Each hop is judged `Fine` by
//! `flow::judge`, the judgement behind CUT012 and CUT013, so `cutover paths` and `cutover check`
//! never disagree; and when the checker accepts the direct upgrade, so does this module.

use std::fmt;

use semver::Version;

use super::flow::{Verdict, judge};
use crate::model::{Component, Spanned};

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
}
