//! `--start`: when the run begins, so that the runbook can put a clock time beside each T+….
//! Three forms are read: `HH:MM` (a time of day), `YYYY-MM-DDTHH:MM` and RFC 3339
//! (`2026-03-14T02:00:00+01:00`). Times are shown in the offset they were written in; cutover
//! knows no time zones, so it never converts one.

/// The start of the run as `--start` gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Start {
    written: String,
    date: Option<Date>,
    /// Seconds since midnight.
    seconds: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Date {
    year: u32,
    month: u32,
    day: u32,
}

/// What every malformed `--start` is told.
const FORMS: &str = "write HH:MM, YYYY-MM-DDTHH:MM or an RFC 3339 time such as 2026-03-14T02:00:00+01:00";

impl Start {
    /// Reads `--start`.
    ///
    /// # Errors
    /// A message naming what is wrong and the forms that are read.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (date, time) = match text.split_at_checked(10) {
            Some((date, time)) if time.starts_with(['T', 't', ' ']) => (Some(parse_date(date)?), &time[1..]),
            _ => (None, text),
        };
        let (clock, offset) = match time.find(['Z', 'z', '+', '-']) {
            Some(at) => time.split_at(at),
            None => (time, ""),
        };
        if !offset.is_empty() {
            if date.is_none() {
                return Err(format!("an offset needs a date: {FORMS}"));
            }
            let valid = matches!(offset, "Z" | "z")
                || (offset.len() == 6
                    && number(&offset[1..3], 0, 23).is_some()
                    && &offset[3..4] == ":"
                    && number(&offset[4..6], 0, 59).is_some());
            if !valid {
                return Err(format!("`{offset}` is not an offset (`Z`, `+01:00`): {FORMS}"));
            }
        }
        // Fractions of a second are dropped: the schedule counts whole seconds.
        let clock = clock.split_once('.').map_or(clock, |(whole, _)| whole);
        let parts: Vec<&str> = clock.split(':').collect();
        let (hours, minutes, seconds) = match parts.as_slice() {
            [hours, minutes] => (hours, minutes, &"00"),
            [hours, minutes, seconds] => (hours, minutes, seconds),
            _ => return Err(format!("not a time: {FORMS}")),
        };
        let (Some(hours), Some(minutes), Some(seconds)) = (
            (hours.len() == 2).then(|| number(hours, 0, 23)).flatten(),
            (minutes.len() == 2).then(|| number(minutes, 0, 59)).flatten(),
            (seconds.len() == 2).then(|| number(seconds, 0, 59)).flatten(),
        ) else {
            return Err(format!("not a time of day (00:00 to 23:59): {FORMS}"));
        };
        Ok(Self {
            written: text.to_owned(),
            date,
            seconds: u64::from(hours) * 3600 + u64::from(minutes) * 60 + u64::from(seconds),
        })
    }

    /// The start as written.
    #[must_use]
    pub fn written(&self) -> &str {
        &self.written
    }

    /// The clock time `after_seconds` into the run: `02:14:05`; on a later day, with its date
    /// (`2026-03-15 00:10:00`), or without a date `00:10:00 (+1 day)`.
    #[must_use]
    pub fn clock(&self, after_seconds: u64) -> String {
        let total = self.seconds.saturating_add(after_seconds);
        let (days, of_day) = (total / 86_400, total % 86_400);
        let time = format!("{:02}:{:02}:{:02}", of_day / 3600, of_day / 60 % 60, of_day % 60);
        match (days, self.date) {
            (0, _) => time,
            (days, Some(date)) => {
                let date = date.plus_days(days);
                format!("{:04}-{:02}-{:02} {time}", date.year, date.month, date.day)
            }
            (1, None) => format!("{time} (+1 day)"),
            (days, None) => format!("{time} (+{days} days)"),
        }
    }
}

fn parse_date(text: &str) -> Result<Date, String> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-';
    let fields = shaped.then(|| (number(&text[..4], 1, 9999), number(&text[5..7], 1, 12), number(&text[8..10], 1, 31)));
    let Some((Some(year), Some(month), Some(day))) = fields else {
        return Err(format!("`{text}` is not a date (YYYY-MM-DD): {FORMS}"));
    };
    if day > days_in_month(year, month) {
        return Err(format!("{text} is not a day of the calendar: {FORMS}"));
    }
    Ok(Date { year, month, day })
}

/// Digits only (no sign, no space), within `low..=high`.
fn number(text: &str, low: u32, high: u32) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|value| (low..=high).contains(value))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Date {
    fn plus_days(mut self, days: u64) -> Self {
        for _ in 0..days {
            if self.day < days_in_month(self.year, self.month) {
                self.day += 1;
            } else if self.month < 12 {
                (self.month, self.day) = (self.month + 1, 1);
            } else {
                (self.year, self.month, self.day) = (self.year + 1, 1, 1);
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::Start;

    #[test]
    fn the_three_forms_are_read() {
        let start = Start::parse("02:00").expect("HH:MM");
        assert_eq!(start.clock(0), "02:00:00");
        assert_eq!(start.clock(25 + 14 * 60), "02:14:25");
        assert_eq!(start.clock(23 * 3600), "01:00:00 (+1 day)");
        let start = Start::parse("2026-02-28T23:30").expect("a date and a time");
        assert_eq!(start.clock(3600), "2026-03-01 00:30:00");
        let start = Start::parse("2028-12-31T23:59:59.5+01:00").expect("RFC 3339");
        assert_eq!(start.clock(1), "2029-01-01 00:00:00");
        assert_eq!(Start::parse("2024-02-29T00:00Z").expect("a leap day").clock(0), "00:00:00");
    }

    #[test]
    fn a_bad_start_says_what_is_wrong() {
        for text in [
            "25:00",
            "2:00",
            "02:60",
            "tomorrow",
            "2026-02-29T02:00",
            "2026-13-01T02:00",
            "02:00+01:00",
            "2026-03-14T02:00+1",
            "",
        ] {
            let error = Start::parse(text).expect_err(text);
            assert!(error.contains("HH:MM"), "{text}: {error}");
        }
    }
}
