//! Small value types with a written form: durations, percentages, `serial`, lenient versions.

use std::fmt;

/// A duration written `90s`, `5m`, `1h30m` (also `2d`, `500ms`). Held in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u64);

impl Duration {
    #[must_use]
    pub fn from_seconds(seconds: u64) -> Self {
        Self(seconds.saturating_mul(1000))
    }

    #[must_use]
    pub fn millis(self) -> u64 {
        self.0
    }

    /// Whole seconds, rounded up so that a sub-second timeout never becomes zero.
    #[must_use]
    pub fn seconds(self) -> u64 {
        self.0.div_ceil(1000)
    }

    /// Reads `1h30m`, `90s`, `500ms`, `2d`; a bare `0` is zero.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        if text == "0" {
            return Some(Self(0));
        }
        let mut rest = text;
        let mut total: u64 = 0;
        if rest.is_empty() {
            return None;
        }
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            if digits == 0 {
                return None;
            }
            let amount: u64 = rest[..digits].parse().ok()?;
            rest = &rest[digits..];
            let (unit_millis, unit_length) = if rest.starts_with("ms") {
                (1, 2)
            } else {
                match rest.chars().next()? {
                    's' => (1000, 1),
                    'm' => (60_000, 1),
                    'h' => (3_600_000, 1),
                    'd' => (86_400_000, 1),
                    _ => return None,
                }
            };
            total = total.checked_add(amount.checked_mul(unit_millis)?)?;
            rest = &rest[unit_length..];
        }
        Some(Self(total))
    }
}

impl fmt::Display for Duration {
    /// The canonical written form: `1h30m`, `45s`, `0s`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut millis = self.0;
        if millis == 0 {
            return formatter.write_str("0s");
        }
        for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
            if millis >= size {
                write!(formatter, "{}{unit}", millis / size)?;
                millis %= size;
            }
        }
        Ok(())
    }
}

/// A percentage, `25%`, held in hundredths of a percent so that `12.5%` is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(pub u32);

impl Percent {
    /// Reads `25%` or `12.5%` (0–100).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let number = text.strip_suffix('%')?.trim();
        let value: f64 = number.parse().ok()?;
        if !(0.0..=100.0).contains(&value) {
            return None;
        }
        Some(Self((value * 100.0).round() as u32))
    }

    /// Applies the percentage to a count, rounding up.
    #[must_use]
    pub fn of(self, count: u64) -> u64 {
        (count * u64::from(self.0)).div_ceil(10_000)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(100) {
            write!(formatter, "{}%", self.0 / 100)
        } else {
            write!(formatter, "{}%", f64::from(self.0) / 100.0)
        }
    }
}

/// One batch size of `serial`: a host count or a share of the step's hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchSize {
    Hosts(u32),
    Share(Percent),
}

/// Why a text is not a batch size; the readers turn it into a diagnostic at the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadBatchSize {
    /// `0` or `0%`: a batch that holds no host never ends.
    NoHost,
    /// A share over 100%.
    OverAll,
    /// Neither a host count nor a share.
    NotASize,
}

impl BatchSize {
    /// Reads `1` or `25%`.
    ///
    /// # Errors
    /// Zero, a share over 100%, or neither form.
    pub fn parse(text: &str) -> Result<Self, BadBatchSize> {
        let size = if let Some(number) = text.strip_suffix('%') {
            if number.trim().parse::<f64>().is_ok_and(|value| value > 100.0) {
                return Err(BadBatchSize::OverAll);
            }
            Percent::parse(text).map(Self::Share)
        } else {
            text.parse::<u32>().ok().map(Self::Hosts)
        };
        match size {
            Some(Self::Hosts(0) | Self::Share(Percent(0))) => Err(BadBatchSize::NoHost),
            Some(size) => Ok(size),
            None => Err(BadBatchSize::NotASize),
        }
    }

    /// Hosts in a batch of this size for a step of `hosts` hosts: at least one. A share rounds
    /// up, so that `10%` of 5 hosts is one host and not none.
    #[must_use]
    pub fn hosts(self, hosts: usize) -> usize {
        let size = match self {
            Self::Hosts(count) => count as usize,
            Self::Share(percent) => usize::try_from(percent.of(hosts as u64)).unwrap_or(usize::MAX),
        };
        size.max(1)
    }
}

impl fmt::Display for BatchSize {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hosts(count) => write!(formatter, "{count}"),
            Self::Share(percent) => write!(formatter, "{percent}"),
        }
    }
}

/// `serial`: how many hosts of a rolling step run at a time: one size for every batch, or a
/// ramp (`[1, 10%, 50%]`, as Ansible reads a list): the sizes of the first batches in order,
/// the last repeating until every host is in a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Serial {
    Every(BatchSize),
    /// Never empty: the readers refuse an empty list.
    Ramp(Vec<BatchSize>),
}

impl Serial {
    /// Reads the one-size form, `1` or `25%`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        BatchSize::parse(text).ok().map(Self::Every)
    }

    /// The size of each batch, in order, for a step of `hosts` hosts: they add up to `hosts`
    /// (the last batch takes what is left); none for no host.
    #[must_use]
    pub fn batch_sizes(&self, hosts: usize) -> Vec<usize> {
        let sizes: &[BatchSize] = match self {
            Self::Every(size) => std::slice::from_ref(size),
            Self::Ramp(sizes) => sizes,
        };
        let mut batches = Vec::new();
        let mut left = hosts;
        while left > 0 {
            let size = sizes.get(batches.len()).or(sizes.last()).map_or(left, |size| size.hosts(hosts));
            let size = size.min(left);
            batches.push(size);
            left -= size;
        }
        batches
    }
}

impl fmt::Display for Serial {
    /// `1`, `25%`, or `[1, 10%, 50%]`: the form both readers take back.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Every(size) => write!(formatter, "{size}"),
            Self::Ramp(sizes) => {
                let sizes: Vec<String> = sizes.iter().map(ToString::to_string).collect();
                write!(formatter, "[{}]", sizes.join(", "))
            }
        }
    }
}

/// Reads a version leniently: `14.11` is 14.11.0 and `14` is 14.0.0; a leading `v` is allowed.
///
/// # Errors
/// A message saying what is wrong with the text.
pub fn parse_version(text: &str) -> Result<semver::Version, String> {
    let trimmed = text.trim();
    let trimmed = trimmed.strip_prefix('v').unwrap_or(trimmed);
    let core_end = trimmed.find(['-', '+']).unwrap_or(trimmed.len());
    let (core, suffix) = trimmed.split_at(core_end);
    let parts = core.split('.').count();
    let padded = match parts {
        1 => format!("{core}.0.0{suffix}"),
        2 => format!("{core}.0{suffix}"),
        _ => trimmed.to_owned(),
    };
    semver::Version::parse(&padded).map_err(|error| format!("`{text}` is not a version like 4.2.0 ({error})"))
}

/// Reads a version requirement (`>=13`, `>=3.0, <4`, `^4.2`, `*`).
///
/// # Errors
/// A message saying what is wrong with the text.
pub fn parse_version_req(text: &str) -> Result<semver::VersionReq, String> {
    semver::VersionReq::parse(text.trim())
        .map_err(|error| format!("`{text}` is not a version requirement like \">=3.0, <4\" ({error})"))
}

/// `true`/`false` (YAML 1.2's core schema; `yes`, `on` and friends are not booleans here).
#[must_use]
pub fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_print() {
        assert_eq!(Duration::parse("1h30m"), Some(Duration(5_400_000)));
        assert_eq!(Duration::parse("90s").unwrap().to_string(), "1m30s");
        assert_eq!(Duration::parse("500ms").unwrap().seconds(), 1);
        for bad in ["", "5", "m5", "5x", "1h30", "-5m", "99999999999999999999d"] {
            assert_eq!(Duration::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn versions_are_lenient() {
        assert_eq!(parse_version("14.11").unwrap(), semver::Version::new(14, 11, 0));
        assert_eq!(parse_version("14").unwrap(), semver::Version::new(14, 0, 0));
        assert_eq!(parse_version("14.10").unwrap().to_string(), "14.10.0");
        assert_eq!(parse_version("4.2.0-rc.1").unwrap().to_string(), "4.2.0-rc.1");
        assert!(parse_version("four").is_err());
        assert!(parse_version("1.2.3.4").is_err());
    }

    #[test]
    fn serial_and_percent() {
        assert_eq!(Serial::parse("25%").unwrap().batch_sizes(10), [3, 3, 3, 1]);
        assert_eq!(Serial::parse("1").unwrap().batch_sizes(3), [1, 1, 1]);
        assert_eq!(Serial::parse("1%").unwrap().batch_sizes(3), [1, 1, 1]);
        assert_eq!(Serial::parse("50%").unwrap().batch_sizes(4), [2, 2]);
        assert_eq!(Serial::parse("5").unwrap().batch_sizes(0), Vec::<usize>::new());
        assert_eq!(Serial::parse("0"), None);
        assert_eq!(Serial::parse("0%"), None);
        assert_eq!(Percent::parse("12.5%").unwrap().to_string(), "12.5%");
        assert_eq!(Percent::parse("101%"), None);
    }

    /// Ansible's ramp: the sizes in order, the last repeating, the last batch what is left.
    #[test]
    fn a_ramp_repeats_its_last_size() {
        let ramp =
            Serial::Ramp(vec![BatchSize::Hosts(1), BatchSize::Share(Percent(1000)), BatchSize::Share(Percent(5000))]);
        assert_eq!(ramp.batch_sizes(10), [1, 1, 5, 3]);
        assert_eq!(ramp.batch_sizes(2), [1, 1]);
        assert_eq!(ramp.batch_sizes(20), [1, 2, 10, 7]);
        assert_eq!(ramp.to_string(), "[1, 10%, 50%]");
        let down = Serial::Ramp(vec![BatchSize::Hosts(5), BatchSize::Hosts(1)]);
        assert_eq!(down.batch_sizes(7), [5, 1, 1]);
    }

    #[test]
    fn bad_batch_sizes_say_why() {
        assert_eq!(BatchSize::parse("0"), Err(BadBatchSize::NoHost));
        assert_eq!(BatchSize::parse("0%"), Err(BadBatchSize::NoHost));
        assert_eq!(BatchSize::parse("150%"), Err(BadBatchSize::OverAll));
        assert_eq!(BatchSize::parse("x"), Err(BadBatchSize::NotASize));
        assert_eq!(BatchSize::parse("-1"), Err(BadBatchSize::NotASize));
        assert_eq!(BatchSize::parse("12.5%"), Ok(BatchSize::Share(Percent(1250))));
    }
}
