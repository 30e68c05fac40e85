//! The one clock of Parcours and the civil time of the département.
//!
//! Every "now" and "today" of the code comes from a [`Clock`]: production runs the system clock, a
//! test sets it (a date in summer time, a day after a deadline) and the whole application — pages,
//! API, jobs, the records' timestamps — follows. Instants are UTC; dates and civil times (« mardi
//! 10 h ») are those of the département's zone (`Europe/Paris`, or an overseas zone such as
//! `America/Cayenne` or `Indian/Reunion`), from the IANA database through chrono-tz: no summer-time
//! rule is written by hand.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The zone of metropolitan France and Corsica, the default.
pub const FUSEAU_METROPOLE: Tz = chrono_tz::Europe::Paris;

/// The zone of a département by its code, for the overseas ones whose civil time is not Paris'.
/// A deployment states its zone in `PARCOURS_FUSEAU`; this is the value the documentation suggests.
pub fn fuseau_du_departement(code: &str) -> Tz {
    match code {
        "971" | "977" | "978" => chrono_tz::America::Guadeloupe,
        "972" => chrono_tz::America::Martinique,
        "973" => chrono_tz::America::Cayenne,
        "974" => chrono_tz::Indian::Reunion,
        "975" => chrono_tz::America::Miquelon,
        "976" => chrono_tz::Indian::Mayotte,
        _ => FUSEAU_METROPOLE,
    }
}

/// The clock: the system time shifted by an offset that only tests change, read in a zone. Cheap to
/// clone; clones share the offset, so a test that sets the clock of the application's state moves
/// every handler and job that holds a clone.
#[derive(Clone, Debug)]
pub struct Clock {
    zone: Tz,
    /// Nanoseconds added to the system time (0 in production; ±292 years at most).
    offset_ns: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock read in `zone`.
    pub fn system(zone: Tz) -> Self {
        Clock {
            zone,
            offset_ns: Arc::new(AtomicI64::new(0)),
        }
    }

    /// A clock that reads `at` now and then runs at the system's pace (tests).
    pub fn starting_at(at: DateTime<Utc>, zone: Tz) -> Self {
        let c = Clock::system(zone);
        c.set(at);
        c
    }

    /// The system's time: the one place Parcours reads it, shifted by the offset everywhere else.
    fn system_now() -> DateTime<Utc> {
        Utc::now()
    }

    /// Moves the clock so that it reads `at` now (and runs on from there).
    pub fn set(&self, at: DateTime<Utc>) {
        let shift = (at - Self::system_now()).num_nanoseconds().unwrap_or(0);
        self.offset_ns.store(shift, Ordering::SeqCst);
    }

    /// Moves the clock so that it reads the civil time `t` of its zone now.
    pub fn set_civil(&self, t: NaiveDateTime) {
        self.set(self.utc(t));
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, d: Duration) {
        let ns = d.num_nanoseconds().unwrap_or(0);
        self.offset_ns.fetch_add(ns, Ordering::SeqCst);
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        Self::system_now() + Duration::nanoseconds(self.offset_ns.load(Ordering::SeqCst))
    }

    /// Today in the département.
    pub fn today(&self) -> NaiveDate {
        self.civil(self.now()).date()
    }

    /// The civil time in the département now, to the minute (the unit of agendas and the desk log).
    pub fn maintenant(&self) -> NaiveDateTime {
        let t = self.civil(self.now());
        t.with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(t)
    }

    /// The civil time in the département at a UTC instant.
    pub fn civil(&self, utc: DateTime<Utc>) -> NaiveDateTime {
        utc.with_timezone(&self.zone).naive_local()
    }

    /// The UTC instant of a civil time of the département: in the autumn hour that happens twice, the
    /// first one; in the spring hour that does not exist, the instant one hour later (the time the
    /// clocks show after the jump), as a paper agenda would be read.
    pub fn utc(&self, civil: NaiveDateTime) -> DateTime<Utc> {
        use chrono::LocalResult;
        match self.zone.from_local_datetime(&civil) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
            LocalResult::None => {
                // A gap is at most an hour in every zone of the French départements. Checked: a
                // civil time at the end of chrono's calendar has no hour after it.
                let later = civil.checked_add_signed(Duration::hours(1));
                match later.map(|l| self.zone.from_local_datetime(&l)) {
                    Some(LocalResult::Single(t)) | Some(LocalResult::Ambiguous(t, _)) => {
                        t.with_timezone(&Utc)
                    }
                    _ => Utc.from_utc_datetime(&civil),
                }
            }
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system(FUSEAU_METROPOLE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap()
    }

    fn paris() -> Clock {
        Clock::system(FUSEAU_METROPOLE)
    }

    #[test]
    fn paris_is_utc_plus_one_in_winter_and_two_in_summer() {
        let c = paris();
        assert_eq!(
            c.utc(at("2026-01-15T10:00")).to_rfc3339(),
            "2026-01-15T09:00:00+00:00"
        );
        assert_eq!(
            c.utc(at("2026-07-15T10:00")).to_rfc3339(),
            "2026-07-15T08:00:00+00:00"
        );
        // 2026: summer time from Sunday 29 March to Sunday 25 October.
        assert_eq!(
            c.utc(at("2026-03-29T03:30")).to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
        assert_eq!(
            c.utc(at("2026-03-28T12:00")).to_rfc3339(),
            "2026-03-28T11:00:00+00:00"
        );
        assert_eq!(
            c.utc(at("2026-10-25T12:00")).to_rfc3339(),
            "2026-10-25T11:00:00+00:00"
        );
        for s in ["2026-01-15T10:00", "2026-07-15T10:00", "2026-10-26T08:15"] {
            assert_eq!(c.civil(c.utc(at(s))), at(s));
        }
    }

    #[test]
    fn the_missing_spring_hour_reads_one_hour_later_and_the_double_autumn_hour_the_first_time() {
        let c = paris();
        // 2:30 does not exist on 29 March 2026 in Paris: 3:30 summer time.
        assert_eq!(
            c.utc(at("2026-03-29T02:30")).to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
        // 2:30 happens twice on 25 October 2026: the first one, still summer time.
        assert_eq!(
            c.utc(at("2026-10-25T02:30")).to_rfc3339(),
            "2026-10-25T00:30:00+00:00"
        );
    }

    #[test]
    fn overseas_departements_have_their_own_time_and_no_summer_time() {
        let cayenne = Clock::system(fuseau_du_departement("973"));
        let reunion = Clock::system(fuseau_du_departement("974"));
        let mayotte = Clock::system(chrono_tz::Indian::Mayotte);
        for s in ["2026-01-15T10:00", "2026-07-15T10:00"] {
            assert_eq!(
                cayenne.utc(at(s)).naive_utc(),
                at(s) + Duration::hours(3),
                "{s}"
            );
            assert_eq!(
                reunion.utc(at(s)).naive_utc(),
                at(s) - Duration::hours(4),
                "{s}"
            );
            assert_eq!(
                mayotte.utc(at(s)).naive_utc(),
                at(s) - Duration::hours(3),
                "{s}"
            );
        }
        assert_eq!(fuseau_du_departement("29"), FUSEAU_METROPOLE);
    }

    #[test]
    fn the_ends_of_the_calendar_convert_without_panicking() {
        for zone in ["Europe/Paris", "America/Cayenne", "Indian/Reunion"] {
            let c = Clock::system(zone.parse::<Tz>().unwrap());
            for t in [NaiveDateTime::MIN, NaiveDateTime::MAX] {
                let u = c.utc(t);
                let _ = c.civil(u);
            }
        }
    }

    #[test]
    fn today_is_the_date_in_the_departement_not_in_utc() {
        // 23:30 UTC on 31 December is already 1 January in Paris, still 31 December in Cayenne,
        // and 1 January 03:30 in Réunion.
        let instant = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
        let paris = Clock::starting_at(instant, FUSEAU_METROPOLE);
        let cayenne = Clock::starting_at(instant, fuseau_du_departement("973"));
        assert_eq!(paris.today(), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        assert_eq!(
            cayenne.today(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
    }

    #[test]
    fn a_set_clock_moves_every_clone() {
        let c = paris();
        let clone = c.clone();
        let target = Utc.with_ymd_and_hms(2030, 6, 1, 8, 0, 0).unwrap();
        c.set(target);
        assert!((clone.now() - target).num_seconds().abs() < 5);
        clone.advance(Duration::days(2));
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2030, 6, 3).unwrap());
        c.set_civil(at("2030-06-03T09:45"));
        assert_eq!(clone.maintenant(), at("2030-06-03T09:45"));
    }
}
