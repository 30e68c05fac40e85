//! The iCalendar feed of an agent (RFC 5545), written by hand: a calendar of events is a few lines of
//! text with two rules (escape ; , \ and line breaks; fold lines at 75 octets), which does not justify a
//! dependency. The feed leaves Parcours for phones and desktop calendars, so it carries no name of a
//! person: only the kind of appointment, the place and a link back to Parcours, where access is
//! checked and audited.

use chrono::{DateTime, Utc};

/// One event of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evenement {
    pub uid: String,
    pub debut: DateTime<Utc>,
    pub fin: DateTime<Utc>,
    pub resume: String,
    pub lieu: String,
    pub url: Option<String>,
    pub annule: bool,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets without cutting a UTF-8 character (RFC 5545 §3.1).
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The whole calendar; `now` is the DTSTAMP of every event.
pub fn calendrier(nom: &str, evenements: &[Evenement], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Parcours//Agenda//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        fold(l, &mut out);
    }
    fold(&format!("X-WR-CALNAME:{}", escape(nom)), &mut out);
    for e in evenements {
        fold("BEGIN:VEVENT", &mut out);
        fold(&format!("UID:{}", escape(&e.uid)), &mut out);
        fold(&format!("DTSTAMP:{}", stamp(now)), &mut out);
        fold(&format!("DTSTART:{}", stamp(e.debut)), &mut out);
        fold(&format!("DTEND:{}", stamp(e.fin)), &mut out);
        fold(&format!("SUMMARY:{}", escape(&e.resume)), &mut out);
        if !e.lieu.is_empty() {
            fold(&format!("LOCATION:{}", escape(&e.lieu)), &mut out);
        }
        if let Some(u) = &e.url {
            fold(&format!("URL:{u}"), &mut out);
        }
        fold(
            if e.annule {
                "STATUS:CANCELLED"
            } else {
                "STATUS:CONFIRMED"
            },
            &mut out,
        );
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_escaped_folded_and_end_with_crlf() {
        let t = DateTime::parse_from_rfc3339("2026-11-24T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let e = Evenement {
            uid: "rdv-1@parcours".into(),
            debut: t,
            fin: t + chrono::Duration::minutes(45),
            resume: "Rendez-vous ; suivi, premier".into(),
            lieu: "Maison départementale des solidarités de Saint-Éloi-la-Forêt, 12 avenue de la République, 96100 Saint-Éloi".into(),
            url: None,
            annule: false,
        };
        let cal = calendrier("Agenda", &[e], t);
        assert!(cal.contains("SUMMARY:Rendez-vous \\; suivi\\, premier\r\n"));
        assert!(cal.contains("DTSTART:20261124T080000Z\r\n"));
        for line in cal.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert!(cal.ends_with("END:VCALENDAR\r\n"));
    }
}
