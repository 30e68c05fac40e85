//! Civil times as the agenda writes and reads them. Appointments are civil times of the département
//! (« mardi 10 h ») as on a paper agenda, stored as `YYYY-MM-DDTHH:MM`; the conversions to UTC (to
//! compare with now, schedule reminders, write the iCal feed) belong to the département's zone and live
//! on the clock (`crate::temps::Clock::utc`, `civil`).

use chrono::{Datelike, NaiveDate, NaiveDateTime};

/// The storage form of a civil time: sorts and compares as text on both backends.
pub const FORMAT: &str = "%Y-%m-%dT%H:%M";

pub fn format(t: NaiveDateTime) -> String {
    t.format(FORMAT).to_string()
}

pub fn parse(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, FORMAT)
        .ok()
        // chrono also reads signed years of any width, whose conversions overflow at the ends of its
        // calendar (found with fuzz/dates); a civil time has the four-digit year `format` writes.
        .filter(|t| (1000..=9999).contains(&t.year()))
}

/// « 9 h 30 » from minutes after midnight.
pub fn hm(minutes: i64) -> String {
    format!("{} h {:02}", minutes / 60, minutes % 60)
}

/// « lundi 24 novembre 2026 ».
pub fn date_longue(d: NaiveDate) -> String {
    format!(
        "{} {} {} {}",
        jour_nom(d.weekday().number_from_monday()),
        d.day(),
        mois_nom(d.month()),
        d.year()
    )
}

pub fn jour_nom(iso_day: u32) -> &'static str {
    [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ]
    .get(iso_day.saturating_sub(1) as usize)
    .copied()
    .unwrap_or("?")
}

/// « janvier » for 1.
pub fn mois_nom(m: u32) -> &'static str {
    [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ]
    .get(m.saturating_sub(1) as usize)
    .copied()
    .unwrap_or("?")
}

/// « lundi 24 novembre 2026 à 9 h 30 ».
pub fn date_heure(t: NaiveDateTime) -> String {
    format!("{} à {}", date_longue(t.date()), hm(minutes(t)))
}

/// Minutes after midnight.
pub fn minutes(t: NaiveDateTime) -> i64 {
    use chrono::Timelike;
    i64::from(t.hour()) * 60 + i64::from(t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        parse(s).unwrap()
    }

    #[test]
    fn a_civil_time_beyond_four_digit_years_is_refused() {
        for s in [
            "-262143-01-01T00:30",
            "+262142-12-31T23:30",
            "+12026-01-01T10:00",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
        assert!(parse("1000-01-01T00:00").is_some());
    }

    #[test]
    fn dates_read_in_french() {
        assert_eq!(
            date_heure(at("2026-11-24T09:30")),
            "mardi 24 novembre 2026 à 9 h 30"
        );
    }
}
