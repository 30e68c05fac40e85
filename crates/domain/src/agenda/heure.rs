//! Civil time of the département. Appointments are civil times (« mardi 10 h ») as on a paper agenda,
//! stored as `YYYY-MM-DDTHH:MM`; UTC is needed only to compare with now, to schedule reminders and to
//! write the iCal feed. Metropolitan France follows the EU summer-time rule (CET, CEST from the last
//! Sunday of March to the last Sunday of October, switching at 01:00 UTC), written here in a few lines
//! rather than pulling a time-zone database for one zone.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};

/// The storage form of a civil time: sorts and compares as text on both backends.
pub const FORMAT: &str = "%Y-%m-%dT%H:%M";

pub fn format(t: NaiveDateTime) -> String {
    t.format(FORMAT).to_string()
}

pub fn parse(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, FORMAT)
        .ok()
        // chrono also reads signed years of any width, and `utc` overflowed at the first hours of its
        // calendar (found with fuzz/dates); a civil time has the four-digit year `format` writes.
        .filter(|t| (1000..=9999).contains(&t.year()))
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(year, month, 31).unwrap_or_default();
    while d.weekday() != Weekday::Sun {
        d = d.pred_opt().unwrap_or(d);
    }
    d
}

/// Whether summer time applies at this UTC instant.
fn summer(utc: DateTime<Utc>) -> bool {
    let y = utc.year();
    let start = Utc.from_utc_datetime(&last_sunday(y, 3).and_hms_opt(1, 0, 0).unwrap_or_default());
    let end = Utc.from_utc_datetime(&last_sunday(y, 10).and_hms_opt(1, 0, 0).unwrap_or_default());
    utc >= start && utc < end
}

/// The civil time in France at a UTC instant.
pub fn civil(utc: DateTime<Utc>) -> NaiveDateTime {
    let offset = if summer(utc) { 2 } else { 1 };
    utc.naive_utc() + Duration::hours(offset)
}

/// The UTC instant of a civil time (in the autumn hour that happens twice, the first one; in the
/// spring hour that does not exist, one hour later).
pub fn utc(civil_time: NaiveDateTime) -> DateTime<Utc> {
    let summer_guess = Utc.from_utc_datetime(&(civil_time - Duration::hours(2)));
    if summer(summer_guess) {
        summer_guess
    } else {
        Utc.from_utc_datetime(&(civil_time - Duration::hours(1)))
    }
}

/// Now, in civil time, to the minute.
pub fn maintenant() -> NaiveDateTime {
    use chrono::Timelike;
    let t = civil(Utc::now());
    t.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
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

fn mois_nom(m: u32) -> &'static str {
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
    fn winter_is_utc_plus_one_and_summer_utc_plus_two() {
        assert_eq!(
            utc(at("2026-01-15T10:00")).to_rfc3339(),
            "2026-01-15T09:00:00+00:00"
        );
        assert_eq!(
            utc(at("2026-07-15T10:00")).to_rfc3339(),
            "2026-07-15T08:00:00+00:00"
        );
        // 2026: summer time from Sunday 29 March to Sunday 25 October.
        assert_eq!(
            utc(at("2026-03-29T03:30")).to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
        assert_eq!(
            utc(at("2026-03-28T12:00")).to_rfc3339(),
            "2026-03-28T11:00:00+00:00"
        );
        assert_eq!(
            utc(at("2026-10-25T12:00")).to_rfc3339(),
            "2026-10-25T11:00:00+00:00"
        );
        for s in ["2026-01-15T10:00", "2026-07-15T10:00", "2026-10-26T08:15"] {
            assert_eq!(civil(utc(at(s))), at(s));
        }
    }

    #[test]
    fn a_civil_time_beyond_four_digit_years_is_refused_not_a_panic_in_utc() {
        for s in [
            "-262143-01-01T00:30",
            "+262142-12-31T23:30",
            "+12026-01-01T10:00",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
        assert_eq!(
            utc(at("1000-01-01T00:00")).to_rfc3339(),
            "0999-12-31T23:00:00+00:00"
        );
    }

    #[test]
    fn dates_read_in_french() {
        assert_eq!(
            date_heure(at("2026-11-24T09:30")),
            "mardi 24 novembre 2026 à 9 h 30"
        );
    }
}
