//! Tests of the engine against reference §0.2 and §10.

use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn h(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap()
}

fn due(id: &str, debut: &str, naissance: Option<&str>) -> String {
    let ech = Echeancier::default();
    let r = regle(id).unwrap_or_else(|| panic!("{id}"));
    ech.echeance(r, Moment::parse(debut).unwrap(), naissance.map(d))
        .unwrap()
        .iso()
}

#[test]
fn the_table_holds_the_fifty_timers_of_reference_10() {
    let text = include_str!("regles.csv");
    let table = lire_table(text).expect("regles.csv se lit");
    assert_eq!(table.len(), 50);
    assert_eq!(regles().len(), 50);
    let mut ids: Vec<&str> = table.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 50, "identifiants uniques");
    for r in &table {
        assert!(!r.source.is_empty(), "{} sans source", r.id);
        assert!(!r.statut.is_empty(), "{} sans statut", r.id);
        assert!(!r.effet.is_empty(), "{} sans effet", r.id);
        // Every rule computes from an ordinary start.
        let debut = if r.en_heures() {
            Moment::Heure(h("2026-03-10T09:00"))
        } else {
            Moment::Jour(d("2026-03-10"))
        };
        Echeancier::default()
            .echeance(r, debut, Some(d("2020-01-01")))
            .unwrap_or_else(|e| panic!("{}: {e}", r.id));
    }
    for id in [
        "IP_EVAL",
        "ASE_FUGUE_72H",
        "RAPPORT_SITUATION",
        "MNA_APU",
        "HOTEL_DEROG",
        "RSA_MIGRATION",
        "EXP_TREVE",
        "GDPR_ACCESS",
    ] {
        assert!(regle(id).is_some(), "{id}");
    }
    assert!(regle("HOTEL_DEROG").unwrap().annulee);
    assert!(regle(" ip_eval ").is_some(), "casse et espaces ignorés");
}

#[test]
fn months_run_date_to_date_and_clamp_to_the_end_of_the_month() {
    // §0.2: 3 months from 15 January ends on 15 April.
    assert_eq!(due("IP_EVAL", "2026-01-15", None), "2026-04-15");
    assert_eq!(due("RSA_CONTRAT", "2026-01-31", None), "2026-02-28");
    assert_eq!(due("RSA_CONTRAT", "2028-01-31", None), "2028-02-29");
    assert_eq!(due("PPE_INIT", "2026-11-30", None), "2027-02-28");
    assert_eq!(due("CADA_SAISINE", "2026-12-31", None), "2027-02-28");
    // Years too: 29 February + 1 year.
    assert_eq!(due("ASE_ADMIN_MAX", "2028-02-29", None), "2029-02-28");
    assert_eq!(due("MASP_TOTAL", "2026-05-04", None), "2030-05-04");
}

#[test]
fn weeks_are_seven_days_and_days_are_calendar_days() {
    assert_eq!(due("RSA_ORIENT", "2026-12-28", None), "2027-02-08");
    assert_eq!(due("EXP_CDT_PAYER", "2026-02-20", None), "2026-04-03");
    assert_eq!(due("ASE_URG_5D", "2026-02-26", None), "2026-03-03");
    assert_eq!(due("APA_PLAN", "2028-02-01", None), "2028-03-02");
}

#[test]
fn hours_are_elapsed_hours_in_the_departements_zone() {
    assert_eq!(
        due("ASE_FUGUE_72H", "2026-06-10T14:30", None),
        "2026-06-13T14:30"
    );
    // 72 hours across the autumn change (25 October 2026, 3:00 → 2:00): one civil hour earlier.
    assert_eq!(
        due("ASE_FUGUE_72H", "2026-10-24T10:00", None),
        "2026-10-27T09:00"
    );
    // And across the spring change, one later.
    assert_eq!(
        due("ASE_FUGUE_72H", "2026-03-28T10:00", None),
        "2026-03-31T11:00"
    );
    // Réunion has no summer time.
    let reunion = Echeancier::new(Parametres {
        zone: chrono_tz::Indian::Reunion,
        ..Parametres::default()
    });
    let r = regle("ASE_FUGUE_72H").unwrap();
    assert_eq!(
        reunion
            .echeance(r, Moment::Heure(h("2026-10-24T10:00")), None)
            .unwrap()
            .iso(),
        "2026-10-27T10:00"
    );
    // An hour timer needs the hour.
    assert_eq!(
        Echeancier::default().echeance(r, Moment::Jour(d("2026-10-24")), None),
        Err(ErreurEcheance::HeureRequise("ASE_FUGUE_72H".into()))
    );
}

#[test]
fn the_report_of_a_child_under_two_is_due_after_six_months() {
    assert_eq!(
        due("RAPPORT_SITUATION", "2026-03-10", Some("2025-01-01")),
        "2026-09-10"
    );
    assert_eq!(
        due("RAPPORT_SITUATION", "2026-03-10", Some("2024-03-10")),
        "2027-03-10",
        "2 ans le jour même : plus de moins de 2 ans"
    );
    assert_eq!(
        due("RAPPORT_SITUATION", "2026-03-09", Some("2024-03-10")),
        "2026-09-09"
    );
    assert_eq!(
        due("CESSEC", "2026-03-10", Some("2025-06-01")),
        "2026-09-10"
    );
    let r = regle("RAPPORT_SITUATION").unwrap();
    assert_eq!(
        Echeancier::default().echeance(r, Moment::Jour(d("2026-03-10")), None),
        Err(ErreurEcheance::NaissanceRequise("RAPPORT_SITUATION".into()))
    );
    // IP_EVAL: the shorter delay for under-2s is a local setting; unset, the law's 3 months.
    assert_eq!(
        due("IP_EVAL", "2026-03-10", Some("2026-01-01")),
        "2026-06-10"
    );
    let local = Echeancier::new(Parametres {
        ip_eval_moins_2_ans_mois: Some(1),
        ..Parametres::default()
    });
    let r = regle("IP_EVAL").unwrap();
    assert_eq!(
        local
            .echeance(r, Moment::Jour(d("2026-03-10")), Some(d("2026-01-01")))
            .unwrap(),
        Moment::Jour(d("2026-04-10"))
    );
}

#[test]
fn extensions_are_decisions_after_the_base_delay() {
    let ech = Echeancier::default();
    let af = regle("AF_AGREMENT").unwrap();
    let first = ech
        .echeance(af, Moment::Jour(d("2026-01-15")), None)
        .unwrap();
    assert_eq!(first.iso(), "2026-05-15");
    assert_eq!(ech.prolonger(af, first, 0).unwrap().iso(), "2026-07-15");
    assert!(ech.prolonger(af, first, 1).is_err());
    let mna = regle("MNA_APU").unwrap();
    let j5 = ech
        .echeance(mna, Moment::Jour(d("2026-01-01")), None)
        .unwrap();
    assert_eq!(j5.iso(), "2026-01-06");
    let j10 = ech.prolonger(mna, j5, 0).unwrap();
    assert_eq!(ech.prolonger(mna, j10, 1).unwrap().iso(), "2026-01-16");
    assert_eq!(
        ech.prolonger(mna, j10, 2),
        Err(ErreurEcheance::PlusDeProlongation("MNA_APU".into()))
    );
}

#[test]
fn counting_backwards_from_the_hearing_or_the_expiry() {
    assert_eq!(due("EXP_ASSIGN_PREFET", "2026-03-20", None), "2026-02-06");
    assert_eq!(due("AGREMENT_REMIND", "2026-06-30", None), "2026-02-28");
    assert_eq!(due("AGREMENT_RENEW_FILE", "2026-05-31", None), "2026-02-28");
    assert_eq!(due("EAJE_OUVERTURE", "2026-03-01", None), "2026-02-14");
}

#[test]
fn fixed_dates_and_the_winter_truce() {
    assert_eq!(due("RSA_MIGRATION", "2025-01-01", None), "2027-01-01");
    assert_eq!(due("EXP_TREVE", "2026-11-15", None), "2027-03-31");
    assert_eq!(due("EXP_TREVE", "2027-02-01", None), "2027-03-31");
    assert_eq!(due("EXP_TREVE", "2027-03-31", None), "2027-03-31");
    assert_eq!(due("EXP_TREVE", "2027-06-01", None), "2028-03-31");
    let t = Treve::default();
    assert!(t.contient(d("2026-11-01")));
    assert!(t.contient(d("2027-03-31")));
    assert!(!t.contient(d("2027-04-01")));
    assert!(!t.contient(d("2026-10-31")));
    // An overseas préfet's dates (a non-wrapping period).
    let dom = Treve {
        debut: (6, 15),
        fin: (9, 30),
    };
    assert!(dom.contient(d("2026-07-01")));
    assert!(!dom.contient(d("2026-12-01")));
}

#[test]
fn decided_durations_stay_within_the_law() {
    let ech = Echeancier::default();
    let masp = regle("MASP_CONTRAT").unwrap();
    let debut = Moment::Jour(d("2026-01-31"));
    assert_eq!(
        ech.echeance_pour_duree(masp, debut, 13).unwrap().iso(),
        "2027-02-28"
    );
    assert!(ech.echeance_pour_duree(masp, debut, 5).is_err());
    let e = ech.echeance_pour_duree(masp, debut, 25).unwrap_err();
    assert_eq!(
        e.to_string(),
        "la durée doit être comprise entre 6 et 24 mois (règle MASP_CONTRAT)"
    );
    // The first due date of a range is its upper end.
    assert_eq!(ech.echeance(masp, debut, None).unwrap().iso(), "2028-01-31");
    let s = regle("RSA_SANCTION_1").unwrap();
    assert!(ech.echeance_pour_duree(s, debut, 1).is_ok());
    assert!(ech.echeance_pour_duree(s, debut, 3).is_err());
}

#[test]
fn silence_rules_are_marked_with_the_implicit_decision() {
    for id in ["AM_AGREMENT", "AF_AGREMENT", "EAJE_DECISION"] {
        assert_eq!(regle(id).unwrap().implicite, Some(Implicite::Acceptation));
    }
    for id in ["PCH_DECISION", "CRPA_SILENCE", "APA_OBS"] {
        assert_eq!(regle(id).unwrap().implicite, Some(Implicite::Rejet));
    }
    assert_eq!(regle("AF_AGREMENT").unwrap().delai(), "4 mois (+2)");
    assert_eq!(
        regle("EXP_ASSIGN_PREFET").unwrap().delai(),
        "6 semaines avant"
    );
    assert_eq!(regle("MASP_CONTRAT").unwrap().delai(), "6 à 24 mois");
    assert!(regle("RSA_SANCTION_REP").unwrap().a_verifier());
    assert!(!regle("IP_EVAL").unwrap().a_verifier());
}

#[test]
fn the_batch_echoes_the_rows_and_adds_the_due_date() {
    let input = "\u{feff}regle,debut,naissance\r\nIP_EVAL,2026-01-15,\r\nASE_FUGUE_72H,2026-06-10T14:30,\r\nRAPPORT_SITUATION,2026-03-10,2025-01-01\r\n\r\n";
    let out = calculer_lot(&Echeancier::default(), input.as_bytes()).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "regle,debut,naissance,echeance\nIP_EVAL,2026-01-15,,2026-04-15\nASE_FUGUE_72H,2026-06-10T14:30,,2026-06-13T14:30\nRAPPORT_SITUATION,2026-03-10,2025-01-01,2026-09-10\n"
    );
}

#[test]
fn a_bad_line_is_named_and_nothing_is_produced() {
    let ech = Echeancier::default();
    let e = calculer_lot(
        &ech,
        b"regle,debut,naissance\nIP_EVAL,2026-01-15,\nIP_EVALL,2026-01-15,\n",
    )
    .unwrap_err();
    assert_eq!(e.ligne, 3);
    assert!(e.message.contains("IP_EVALL"), "{e}");
    let e = calculer_lot(&ech, b"regle,debut,naissance\nIP_EVAL,2026-02-30,\n").unwrap_err();
    assert_eq!(e.ligne, 2);
    assert!(e.to_string().contains("2026-02-30"), "{e}");
    let e = calculer_lot(
        &ech,
        b"regle,debut,naissance\nIP_EVAL,2026-02-10,10/01/2020\n",
    )
    .unwrap_err();
    assert!(e.message.contains("naissance"), "{e}");
    let e = calculer_lot(&ech, b"rule,start\nIP_EVAL,2026-02-10\n").unwrap_err();
    assert_eq!(e.ligne, 1);
    let e = calculer_lot(&ech, b"regle,debut,naissance\nASE_FUGUE_72H,2026-02-10,\n").unwrap_err();
    assert!(e.message.contains("heure"), "{e}");
}

/// An independent count, written from §0.2 without chrono's month arithmetic: the same day number in
/// the target month, or that month's last day.
fn oracle_mois(d: NaiveDate, n: i32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + n;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    let dernier = (28..=31)
        .rev()
        .find(|j| NaiveDate::from_ymd_opt(y, m, *j).is_some())
        .unwrap();
    NaiveDate::from_ymd_opt(y, m, d.day().min(dernier)).unwrap()
}

#[test]
fn ten_thousand_random_starts_agree_with_an_independent_count() {
    use chrono::TimeZone;
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
    let ech = Echeancier::default();
    let regles_mois: Vec<&Regle> = regles()
        .iter()
        .filter(|r| matches!(r.unite, Unite::Mois | Unite::Ans) && r.moins_2_ans.is_none())
        .collect();
    let regles_jours: Vec<&Regle> = regles()
        .iter()
        .filter(|r| matches!(r.unite, Unite::Jours | Unite::Semaines))
        .collect();
    let fugue = regle("ASE_FUGUE_72H").unwrap();
    let paris = chrono_tz::Europe::Paris;
    for _ in 0..10_000 {
        let debut = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()
            + chrono::Duration::days(rng.gen_range(0..20_000));
        let r = regles_mois[rng.gen_range(0..regles_mois.len())];
        let n = (r.duree * if r.unite == Unite::Ans { 12 } else { 1 }) as i32;
        let n = if r.sens == Sens::Avant { -n } else { n };
        assert_eq!(
            ech.echeance(r, Moment::Jour(debut), None).unwrap(),
            Moment::Jour(oracle_mois(debut, n)),
            "{} depuis {debut}",
            r.id
        );
        let r = regles_jours[rng.gen_range(0..regles_jours.len())];
        let jours = i64::from(r.duree) * if r.unite == Unite::Semaines { 7 } else { 1 };
        let jours = if r.sens == Sens::Avant { -jours } else { jours };
        assert_eq!(
            ech.echeance(r, Moment::Jour(debut), None).unwrap(),
            Moment::Jour(debut + chrono::Duration::days(jours)),
            "{} depuis {debut}",
            r.id
        );
        // 72 elapsed hours, through the zone's offsets at both ends.
        let t = debut
            .and_hms_opt(rng.gen_range(0..24), rng.gen_range(0..60), 0)
            .unwrap();
        if let chrono::LocalResult::Single(local) = paris.from_local_datetime(&t) {
            let fin = (local + chrono::Duration::hours(72)).naive_local();
            assert_eq!(
                ech.echeance(fugue, Moment::Heure(t), None).unwrap(),
                Moment::Heure(fin),
                "72 h depuis {t}"
            );
        }
    }
}
