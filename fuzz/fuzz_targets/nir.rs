//! The NIR (`personnes::Nir`): any text typed in the NIR field or the search box. No panic; a NIR
//! that parses is 15 upper-case characters with a right key, reads back to itself in the forms people
//! type (spaces, dots, lower case), is recognised by the search box, and its checks against the état
//! civil never panic, whatever the sex and the date.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use parcours_domain::personnes::nir::{control_key, looks_like_nir};
use parcours_domain::personnes::{parse_date_text, Nir, Recherche, Sexe};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // First line: the NIR field; second line, if any: the date of birth typed beside it.
    let mut lines = text.splitn(2, '\n');
    let nir_text = lines.next().unwrap_or("");
    let date = lines.next().and_then(parse_date_text);

    if let Some(t) = looks_like_nir(nir_text) {
        assert!(t.len() == 13 || t.len() == 15);
        assert_eq!(
            Recherche::parse(nir_text),
            Some(Recherche::Nir(t[..13].to_string()))
        );
    }

    let Ok(n) = Nir::parse(nir_text) else {
        return;
    };
    let s = n.as_str();
    assert_eq!(s.len(), 15);
    assert!(s
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'A' || b == b'B'));
    assert_eq!(n.sans_cle(), &s[..13]);
    let key: u64 = s[13..].parse().expect("numeric key");
    let body: u64 = s[..13]
        .replace("2A", "19")
        .replace("2B", "18")
        .parse()
        .expect("numeric body");
    assert_eq!(key, control_key(body));

    // Round trips: as stored, as printed on a carte Vitale, dotted, in lower case.
    assert_eq!(Nir::parse(s).as_ref(), Ok(&n));
    let spaced = format!(
        "{} {} {} {} {} {} {}",
        &s[..1],
        &s[1..3],
        &s[3..5],
        &s[5..7],
        &s[7..10],
        &s[10..13],
        &s[13..]
    );
    assert_eq!(Nir::parse(&spaced).as_ref(), Ok(&n));
    assert_eq!(Nir::parse(&spaced.replace(' ', ".")).as_ref(), Ok(&n));
    assert_eq!(Nir::parse(&s.to_lowercase()).as_ref(), Ok(&n));
    assert_eq!(looks_like_nir(s).as_deref(), Some(s));
    assert_eq!(looks_like_nir(n.sans_cle()).as_deref(), Some(n.sans_cle()));

    assert_ne!(n.sexe(), Sexe::Inconnu);
    assert!(n.annee() < 100);
    assert!(n.mois().is_none_or(|m| (1..=12).contains(&m)));
    let dates = [
        date,
        NaiveDate::from_ymd_opt(1900 + n.annee() as i32, n.mois().unwrap_or(1), 1),
        Some(NaiveDate::MIN),
        Some(NaiveDate::MAX),
    ];
    for sexe in Sexe::ALL {
        for d in dates {
            assert!(n.incoherences(sexe, d).len() <= 2);
        }
    }
    // The NIR's own sex, year and month never contradict it.
    assert_eq!(n.incoherences(n.sexe(), dates[1]), vec![]);
});
