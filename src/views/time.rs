//! How times are shown: relative for reading ("3 hours ago"), absolute in
//! `<time datetime>` for machines and tooltips.

use chrono::{Datelike, NaiveDateTime, TimeDelta, Timelike};

#[derive(Clone, Debug)]
pub struct Moment {
    /// RFC 3339, UTC, for the `datetime` attribute.
    pub iso: String,
    /// "3 hours ago", "a day ago", or a date for older items.
    pub relative: String,
    /// "27 November 2026 at 16:05 UTC", for the title attribute.
    pub absolute: String,
}

impl Moment {
    pub fn new(when: NaiveDateTime, now: NaiveDateTime) -> Moment {
        Moment { iso: iso(when), relative: relative(when, now), absolute: absolute(when) }
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn month_name(when: NaiveDateTime) -> &'static str {
    MONTHS[when.month0() as usize % 12]
}

// Written out by hand rather than with strftime patterns: a discussion page
// formats three of these per comment, and parsing the pattern each time
// cost more than the rest of the comment's markup.

/// "2026-11-27T16:05:00Z"
pub fn iso(when: NaiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        when.year(),
        when.month(),
        when.day(),
        when.hour(),
        when.minute(),
        when.second()
    )
}

/// "27 November 2026 at 16:05 UTC"
fn absolute(when: NaiveDateTime) -> String {
    format!("{} {} {:04} at {:02}:{:02} UTC", when.day(), month_name(when), when.year(), when.hour(), when.minute())
}

/// "27 November 2026"
pub fn date(when: NaiveDateTime) -> String {
    format!("{} {} {:04}", when.day(), month_name(when), when.year())
}

/// Describes how long ago `when` was, the way a newspaper would.
pub fn relative(when: NaiveDateTime, now: NaiveDateTime) -> String {
    let age = now - when;
    if age < TimeDelta::zero() {
        return "just now".into();
    }
    let minutes = age.num_minutes();
    let hours = age.num_hours();
    let days = age.num_days();
    match () {
        _ if minutes < 1 => "just now".into(),
        _ if minutes == 1 => "a minute ago".into(),
        _ if minutes < 60 => format!("{minutes} minutes ago"),
        _ if hours == 1 => "an hour ago".into(),
        _ if hours < 24 => format!("{hours} hours ago"),
        _ if days == 1 => "a day ago".into(),
        _ if days < 7 => format!("{days} days ago"),
        _ if days < 14 => "a week ago".into(),
        _ if days < 30 => format!("{} weeks ago", days / 7),
        _ => date(when),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap().and_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn reads_like_a_newspaper() {
        let now = at(18, 0);
        assert_eq!(relative(at(17, 59), now), "a minute ago");
        assert_eq!(relative(at(17, 30), now), "30 minutes ago");
        assert_eq!(relative(at(15, 0), now), "3 hours ago");
        assert_eq!(relative(at(15, 0) - TimeDelta::days(1), now), "a day ago");
        assert_eq!(relative(at(15, 0) - TimeDelta::days(3), now), "3 days ago");
        assert_eq!(relative(at(15, 0) - TimeDelta::days(60), now), "28 September 2026");
        assert_eq!(Moment::new(at(16, 5), now).iso, "2026-11-27T16:05:00Z");
        assert_eq!(Moment::new(at(16, 5), now).absolute, "27 November 2026 at 16:05 UTC");
        let early = NaiveDate::from_ymd_opt(987, 1, 2).unwrap().and_hms_opt(3, 4, 5).unwrap();
        assert_eq!(Moment::new(early, now).iso, early.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        assert_eq!(date(early), early.format("%-d %B %Y").to_string());
    }
}
