//! Dates and hours as the forms read them: `personnes::parse_date_text` (JJ/MM/AAAA or AAAA-MM-JJ)
//! and the date of birth and event checks built on it, `agenda::parse_heure`, the civil times of
//! `agenda::heure` (and their UTC conversion), the desk contact's date and hour, an absence. Each line
//! of the input is one field. No panic; what parses formats back to the same value.
#![no_main]

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use libfuzzer_sys::fuzz_target;
use parcours_domain::accueil::{ContactForm, NewContact};
use parcours_domain::agenda::{heure, parse_date, parse_heure, NewAbsence};
use parcours_domain::personnes::{
    parse_date_evenement, parse_date_naissance, parse_date_text, AGE_MAXIMUM,
};
use parcours_domain::temps::{fuseau_du_departement, Clock};
use parcours_domain::validation::{optional_text, required_text};
use parcours_domain::FieldErrors;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let f: Vec<&str> = text.splitn(5, '\n').collect();
    let field = |i: usize| f.get(i).copied().unwrap_or("");

    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    // A second "today" taken from the input: the checks must hold on any day a form is sent.
    let other_today = parse_date_text(field(1)).unwrap_or(today);
    for s in &f {
        date_text(s);
        for t in [today, other_today] {
            naissance(s, t);
            evenement(s, t);
        }
        heure_text(s);
        civil_time(s);
        texts(s);
    }
    contact(field(0), field(1));
    let _ = NewAbsence::parse(field(0), field(1), field(2), field(3), field(4))
        .map(|a| assert!(a.fin > a.debut));
});

fn date_text(s: &str) {
    let Some(d) = parse_date_text(s) else {
        return;
    };
    assert!((1000..=9999).contains(&d.year()));
    assert_eq!(parse_date(s), Some(d));
    for fmt in ["%d/%m/%Y", "%Y-%m-%d"] {
        assert_eq!(
            parse_date_text(&d.format(fmt).to_string()),
            Some(d),
            "{fmt}"
        );
    }
}

fn naissance(s: &str, today: NaiveDate) {
    if let Ok(d) = parse_date_naissance(s, today) {
        assert!(d <= today);
        assert!(today.year() - d.year() <= AGE_MAXIMUM);
        assert_eq!(parse_date_text(s), Some(d));
    }
}

fn evenement(s: &str, today: NaiveDate) {
    let mut e = FieldErrors::new();
    let d = parse_date_evenement(&mut e, "date", "La date", s, today);
    if e.is_empty() {
        assert!(d <= today && d.year() >= 1900);
        assert_eq!(parse_date_text(s), Some(d));
    } else {
        assert_eq!(d, today);
        assert!(e.get("date").is_some());
    }
}

fn heure_text(s: &str) {
    let Some(m) = parse_heure(s) else {
        return;
    };
    assert!((0..24 * 60).contains(&m));
    // « 9 h 30 », as the pages print it, and « 09:30 » read back to the same minute.
    assert_eq!(parse_heure(&heure::hm(m)), Some(m));
    assert_eq!(
        parse_heure(&format!("{:02}:{:02}", m / 60, m % 60)),
        Some(m)
    );
}

fn civil_time(s: &str) {
    let Some(t) = heure::parse(s) else {
        return;
    };
    assert_eq!(heure::parse(&heure::format(t)), Some(t));
    assert!((0..24 * 60).contains(&heure::minutes(t)));
    let _ = heure::date_heure(t);
    // Back from UTC through the clock of a metropolitan and of two overseas départements: the same
    // civil time, or one hour later in the spring hour that does not exist.
    for code in ["75", "973", "974"] {
        let clock = Clock::system(fuseau_du_departement(code));
        let u = clock.utc(t);
        let back = clock.civil(u);
        assert!(
            back == t || back == t + Duration::hours(1),
            "{code}: {t} -> {u} -> {back}"
        );
    }
}

fn texts(s: &str) {
    let mut e = FieldErrors::new();
    let v = required_text(&mut e, "f", "Le champ", s, 20);
    assert_eq!(e.is_empty(), !v.is_empty() && v.chars().count() <= 20);
    let mut e = FieldErrors::new();
    let v = optional_text(&mut e, "f", "Le champ", s, 20);
    assert_eq!(v.is_none(), s.trim().is_empty());
    assert_eq!(e.is_empty(), v.is_none_or(|v| v.chars().count() <= 20));
}

/// The desk contact: its date and hour as typed, the other fields valid.
fn contact(date: &str, hour: &str) {
    let now = NaiveDate::from_ymd_opt(2026, 3, 5)
        .unwrap()
        .and_time(NaiveTime::from_hms_opt(10, 0, 0).unwrap());
    let f = ContactForm {
        canal: "visite".into(),
        date: date.into(),
        heure: hour.into(),
        lieu: "site-3".into(),
        personne_id: "anonyme".into(),
        typologie: "logement".into(),
        reponse: "information".into(),
        ..Default::default()
    };
    if let Ok(c) = NewContact::parse(&f, now, &[]) {
        let m: NaiveDateTime = c.moment;
        assert!(m <= now + Duration::minutes(5) && m >= now - Duration::days(31));
        assert_eq!(
            NaiveDate::parse_from_str(&m.format("%d/%m/%Y").to_string(), "%d/%m/%Y"),
            Ok(m.date())
        );
    }
}
