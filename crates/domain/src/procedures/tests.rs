//! Steps as the law orders them.

use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn form(etape: &str, date: &str, valeurs: &[(&str, &str)]) -> EtapeForm {
    EtapeForm {
        etape: etape.into(),
        date: date.into(),
        valeurs: valeurs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        commentaire: String::new(),
    }
}

fn faite(code: &str, date: &str) -> EtapeFaite {
    EtapeFaite {
        code: code.into(),
        date: d(date),
        valeurs: BTreeMap::new(),
    }
}

fn ctx<'a>(
    type_: TypeProcedure,
    faites: &'a [EtapeFaite],
    echeances: &'a [EcheanceEnregistree],
) -> Contexte<'a> {
    Contexte {
        type_,
        faites,
        echeances,
        naissance: None,
    }
}

const AUJOURDHUI: &str = "2026-12-07";

#[test]
fn every_step_names_known_steps_and_timers() {
    for t in TypeProcedure::ALL {
        for e in etapes(t) {
            for r in e.requiert {
                assert!(t.etape(r).is_some(), "{}: {r}", e.code);
            }
            for r in e.demarre.iter().chain(e.honore).chain(e.pas_avant) {
                assert!(regle(r).is_some(), "{}: {r}", e.code);
            }
            for c in e.champs {
                match c {
                    Champ::Duree { regle: r, .. } | Champ::DateAVenir { regle: r, .. } => {
                        assert!(regle(r).is_some(), "{r}")
                    }
                    Champ::Regle { options, .. } => {
                        for (_, _, r) in *options {
                            assert!(regle(r).is_some(), "{r}");
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn opening_rsa_starts_the_six_weeks_of_orientation() {
    let ech = Echeancier::default();
    let dec = decider(
        &ech,
        ctx(TypeProcedure::Rsa, &[], &[]),
        &form("ouverture", "2026-11-02", &[]),
        d(AUJOURDHUI),
    )
    .unwrap();
    assert_eq!(dec.demarrer.len(), 1);
    assert_eq!(dec.demarrer[0].regle, "RSA_ORIENT");
    assert_eq!(dec.demarrer[0].echeance, Moment::Jour(d("2026-12-14")));
}

#[test]
fn a_step_in_the_future_is_refused() {
    let e = decider(
        &Echeancier::default(),
        ctx(TypeProcedure::Rsa, &[], &[]),
        &form("ouverture", "2026-12-08", &[]),
        d(AUJOURDHUI),
    )
    .unwrap_err();
    assert!(e.0.get("date").unwrap().contains("futur"));
}

#[test]
fn no_sanction_without_the_contradictory_procedure_and_the_equipe_pluridisciplinaire() {
    let ech = Echeancier::default();
    let mut faites = vec![
        faite("ouverture", "2026-06-01"),
        faite("orientation", "2026-07-01"),
        faite("manquement", "2026-10-01"),
    ];
    let sanction = form("sanction", "2026-11-20", &[("duree", "2"), ("taux", "50")]);
    let e = decider(
        &ech,
        ctx(TypeProcedure::Rsa, &faites, &[]),
        &sanction,
        d(AUJOURDHUI),
    )
    .unwrap_err();
    assert!(
        e.0.get("etape")
            .unwrap()
            .contains("équipe pluridisciplinaire"),
        "{e:?}"
    );
    faites.push(faite("contradictoire", "2026-10-15"));
    faites.push(faite("equipe_pluridisciplinaire", "2026-11-10"));
    let dec = decider(
        &ech,
        ctx(TypeProcedure::Rsa, &faites, &[]),
        &sanction,
        d(AUJOURDHUI),
    )
    .unwrap();
    assert_eq!(dec.demarrer[0].regle, "RSA_SANCTION_1");
    assert_eq!(dec.demarrer[0].echeance, Moment::Jour(d("2027-01-20")));
    // 3 months is beyond the 1-2 months of R262-68; 20 % below the 30 % floor.
    let e = decider(
        &ech,
        ctx(TypeProcedure::Rsa, &faites, &[]),
        &form("sanction", "2026-11-20", &[("duree", "3"), ("taux", "20")]),
        d(AUJOURDHUI),
    )
    .unwrap_err();
    assert!(
        e.0.get("duree").unwrap().contains("entre 1 et 2 mois"),
        "{e:?}"
    );
    assert!(e.0.get("taux").is_some());
}

#[test]
fn a_masp_contract_is_six_to_twenty_four_months_and_four_years_in_all() {
    let ech = Echeancier::default();
    let faites = vec![faite("proposition", "2023-01-05")];
    let e = decider(
        &ech,
        ctx(TypeProcedure::Masp, &faites, &[]),
        &form(
            "contrat",
            "2023-01-10",
            &[("duree", "30"), ("gestion", "accompagnement")],
        ),
        d(AUJOURDHUI),
    )
    .unwrap_err();
    assert!(e.0.get("duree").unwrap().contains("entre 6 et 24 mois"));
    let dec = decider(
        &ech,
        ctx(TypeProcedure::Masp, &faites, &[]),
        &form(
            "contrat",
            "2023-01-10",
            &[("duree", "24"), ("gestion", "gestion_prestations")],
        ),
        d(AUJOURDHUI),
    )
    .unwrap();
    let regles: Vec<&str> = dec.demarrer.iter().map(|x| x.regle).collect();
    assert_eq!(regles, vec!["MASP_TOTAL", "MASP_CONTRAT"]);
    assert_eq!(dec.demarrer[0].echeance, Moment::Jour(d("2027-01-10")));
    // Renewed in 2025 for 24 months: ends 2027-01-10, the cap. In 2026 for 12 months: beyond.
    let echeances = vec![
        EcheanceEnregistree {
            id: 1,
            regle: "MASP_TOTAL".into(),
            debut: Moment::Jour(d("2023-01-10")),
            echeance: Moment::Jour(d("2027-01-10")),
            etat: Etat::Ouverte,
            prolongations: 0,
        },
        EcheanceEnregistree {
            id: 2,
            regle: "MASP_CONTRAT".into(),
            debut: Moment::Jour(d("2023-01-10")),
            echeance: Moment::Jour(d("2025-01-10")),
            etat: Etat::Ouverte,
            prolongations: 0,
        },
    ];
    let faites = vec![
        faite("proposition", "2023-01-05"),
        faite("contrat", "2023-01-10"),
    ];
    let dec = decider(
        &ech,
        ctx(TypeProcedure::Masp, &faites, &echeances),
        &form("renouvellement", "2025-01-10", &[("duree", "24")]),
        d(AUJOURDHUI),
    )
    .unwrap();
    assert_eq!(dec.honorer, vec![2]);
    let e = decider(
        &ech,
        ctx(TypeProcedure::Masp, &faites, &echeances),
        &form("renouvellement", "2026-06-01", &[("duree", "12")]),
        d(AUJOURDHUI),
    )
    .unwrap_err();
    assert!(e.0.get("duree").unwrap().contains("10/01/2027"), "{e:?}");
}

#[test]
fn the_judge_is_asked_for_direct_payment_only_after_two_months_of_unpaid_rent() {
    let ech = Echeancier::default();
    let faites = vec![faite("impaye", "2026-09-15")];
    let echeances = vec![EcheanceEnregistree {
        id: 7,
        regle: "MASP_JUGE_LOYER".into(),
        debut: Moment::Jour(d("2026-09-15")),
        echeance: Moment::Jour(d("2026-11-15")),
        etat: Etat::Ouverte,
        prolongations: 0,
    }];
    let e = decider(
        &ech,
        ctx(TypeProcedure::Masp, &faites, &echeances),
        &form("saisine_juge", "2026-11-01", &[]),
        d(AUJOURDHUI),
    )
    .unwrap_err();
    assert!(e.0.get("date").unwrap().contains("15/11/2026"));
    assert!(decider(
        &ech,
        ctx(TypeProcedure::Masp, &faites, &echeances),
        &form("saisine_juge", "2026-11-16", &[]),
        d(AUJOURDHUI),
    )
    .is_ok());
}

#[test]
fn the_lease_date_picks_the_delay_of_the_commandement_and_the_hearing_counts_back() {
    let ech = Echeancier::default();
    let dec = decider(
        &ech,
        ctx(TypeProcedure::Expulsion, &[], &[]),
        &form(
            "commandement_payer",
            "2026-10-01",
            &[("bail", "depuis_2023")],
        ),
        d(AUJOURDHUI),
    )
    .unwrap();
    assert_eq!(dec.demarrer[0].regle, "EXP_CDT_PAYER");
    assert_eq!(dec.demarrer[0].echeance, Moment::Jour(d("2026-11-12")));
    let dec = decider(
        &ech,
        ctx(TypeProcedure::Expulsion, &[], &[]),
        &form("commandement_payer", "2026-10-01", &[("bail", "anterieur")]),
        d(AUJOURDHUI),
    )
    .unwrap();
    assert_eq!(dec.demarrer[0].echeance, Moment::Jour(d("2026-12-01")));
    // The hearing is ahead: allowed, and the DSF is due 6 weeks before it.
    let dec = decider(
        &ech,
        ctx(TypeProcedure::Expulsion, &[], &[]),
        &form("assignation", "2026-12-01", &[("audience", "2027-03-12")]),
        d(AUJOURDHUI),
    )
    .unwrap();
    assert_eq!(dec.demarrer[0].regle, "EXP_ASSIGN_PREFET");
    assert_eq!(dec.demarrer[0].echeance, Moment::Jour(d("2027-01-29")));
}

#[test]
fn the_end_of_a_procedure_lifts_its_open_timers() {
    let ech = Echeancier::default();
    let echeances = vec![EcheanceEnregistree {
        id: 3,
        regle: "RSA_CONTRAT".into(),
        debut: Moment::Jour(d("2026-11-01")),
        echeance: Moment::Jour(d("2026-12-01")),
        etat: Etat::Ouverte,
        prolongations: 0,
    }];
    let dec = decider(
        &ech,
        ctx(
            TypeProcedure::Rsa,
            &[faite("ouverture", "2026-10-01")],
            &echeances,
        ),
        &form("fin", "2026-12-01", &[("motif", "emploi")]),
        d(AUJOURDHUI),
    )
    .unwrap();
    assert!(dec.fin);
    assert_eq!(dec.lever, vec![3]);
}

#[test]
fn an_eviction_waits_for_the_end_of_the_truce() {
    let ech = Echeancier::default();
    assert_eq!(
        expulsion_possible_le(&ech, d("2026-12-15")),
        Some(d("2027-04-01"))
    );
    assert_eq!(
        expulsion_possible_le(&ech, d("2026-06-15")),
        Some(d("2026-06-15"))
    );
    assert!(regime_rsa(d("2024-12-31")).contains("2009"));
    assert!(regime_rsa(d("2025-01-01")).contains("plein emploi"));
}

fn faite_avec(code: &str, date: &str, valeurs: &[(&str, &str)]) -> EtapeFaite {
    EtapeFaite {
        valeurs: valeurs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..faite(code, date)
    }
}

const RECEPTION_ECOLE: &[(&str, &str)] = &[
    ("source", "education"),
    ("danger", "negligences"),
    (
        "informant",
        "Mme Le Goff, directrice de l'école Jules-Ferry, 02 96 00 00 00",
    ),
    ("confidentialite", "non"),
];

#[test]
fn an_ip_starts_the_three_months_of_evaluation_shorter_under_two_when_set() {
    let f = form("reception", "2026-11-15", RECEPTION_ECOLE);
    let dec = decider(
        &Echeancier::default(),
        ctx(TypeProcedure::Ip, &[], &[]),
        &f,
        d(AUJOURDHUI),
    )
    .unwrap();
    assert_eq!(dec.demarrer[0].regle, "IP_EVAL");
    assert_eq!(dec.demarrer[0].echeance, Moment::Jour(d("2027-02-15")));
    // A child of 14 months with a local delay of 1 month for under-2s.
    let mut ech = Echeancier::default();
    ech.parametres.ip_eval_moins_2_ans_mois = Some(1);
    let c = Contexte {
        naissance: Some(d("2025-09-01")),
        ..ctx(TypeProcedure::Ip, &[], &[])
    };
    let dec = decider(&ech, c, &f, d(AUJOURDHUI)).unwrap();
    assert_eq!(dec.demarrer[0].echeance, Moment::Jour(d("2026-12-15")));
    // The same child at 2 years and a day keeps the 3 months.
    let c = Contexte {
        naissance: Some(d("2024-11-14")),
        ..ctx(TypeProcedure::Ip, &[], &[])
    };
    let dec = decider(&ech, c, &f, d(AUJOURDHUI)).unwrap();
    assert_eq!(dec.demarrer[0].echeance, Moment::Jour(d("2027-02-15")));
}

#[test]
fn a_professional_source_is_named_and_an_anonymous_one_is_not() {
    let ech = Echeancier::default();
    let f = form(
        "reception",
        "2026-11-15",
        &[
            ("source", "sante"),
            ("danger", "violences_physiques"),
            ("confidentialite", "non"),
        ],
    );
    let e = decider(&ech, ctx(TypeProcedure::Ip, &[], &[]), &f, d(AUJOURDHUI)).unwrap_err();
    assert!(e.0.get("informant").unwrap().contains("L226-5"));
    let f = form(
        "reception",
        "2026-11-15",
        &[
            ("source", "anonyme"),
            ("danger", "violences_physiques"),
            ("informant", "Un voisin, M. Dupont"),
            ("confidentialite", "oui"),
        ],
    );
    let e = decider(&ech, ctx(TypeProcedure::Ip, &[], &[]), &f, d(AUJOURDHUI)).unwrap_err();
    assert!(e.0.get("informant").unwrap().contains("anonyme"));
}

#[test]
fn the_report_needs_a_home_visit_and_has_one_conclusion() {
    let ech = Echeancier::default();
    let mut faites = vec![
        faite_avec("reception", "2026-09-01", RECEPTION_ECOLE),
        faite("evaluation", "2026-09-03"),
    ];
    let rapport = form("rapport", "2026-11-20", &[("conclusion", "proposition")]);
    let e = decider(
        &ech,
        ctx(TypeProcedure::Ip, &faites, &[]),
        &rapport,
        d(AUJOURDHUI),
    )
    .unwrap_err();
    assert!(e.0.get("etape").unwrap().contains("Visite au domicile"));
    faites.push(faite("visite", "2026-10-10"));
    let ouverte = EcheanceEnregistree {
        id: 9,
        regle: "IP_EVAL".into(),
        debut: Moment::Jour(d("2026-09-01")),
        echeance: Moment::Jour(d("2026-12-01")),
        etat: Etat::Ouverte,
        prolongations: 0,
    };
    let dec = decider(
        &ech,
        ctx(TypeProcedure::Ip, &faites, std::slice::from_ref(&ouverte)),
        &rapport,
        d(AUJOURDHUI),
    )
    .unwrap();
    assert_eq!(dec.honorer, vec![9]);
    assert_eq!(dec.demarrer[0].regle, "IP_FEEDBACK");
    assert_eq!(dec.demarrer[0].echeance, Moment::Jour(d("2027-02-20")));
    // After an administrative conclusion, no referral in the same IP.
    faites.push(faite("rapport", "2026-11-20"));
    let saisine = form(
        "saisine",
        "2026-11-25",
        &[("motif", "danger_grave"), ("parents_informes", "oui")],
    );
    let e = decider(
        &ech,
        ctx(TypeProcedure::Ip, &faites, &[]),
        &saisine,
        d(AUJOURDHUI),
    )
    .unwrap_err();
    assert!(e.0.get("etape").unwrap().contains("nouvelle IP"));
}

#[test]
fn a_referral_during_the_evaluation_needs_one_and_the_feedback_follows_the_decision() {
    let ech = Echeancier::default();
    let mut faites = vec![faite_avec("reception", "2026-11-02", RECEPTION_ECOLE)];
    let pendant = form(
        "saisine",
        "2026-11-05",
        &[("motif", "pendant_evaluation"), ("parents_informes", "non")],
    );
    let e = decider(
        &ech,
        ctx(TypeProcedure::Ip, &faites, &[]),
        &pendant,
        d(AUJOURDHUI),
    )
    .unwrap_err();
    assert!(e.0.get("motif").unwrap().contains("évaluation"));
    let retour = form("retour_informant", "2026-11-06", &[]);
    let e = decider(
        &ech,
        ctx(TypeProcedure::Ip, &faites, &[]),
        &retour,
        d(AUJOURDHUI),
    )
    .unwrap_err();
    assert!(e.0.get("etape").unwrap().contains("décision"));
    // Danger grave et immédiat: straight to the procureur, then the school is told.
    let grave = form(
        "saisine",
        "2026-11-03",
        &[("motif", "danger_grave"), ("parents_informes", "oui")],
    );
    decider(
        &ech,
        ctx(TypeProcedure::Ip, &faites, &[]),
        &grave,
        d(AUJOURDHUI),
    )
    .unwrap();
    faites.push(faite("saisine", "2026-11-03"));
    decider(
        &ech,
        ctx(TypeProcedure::Ip, &faites, &[]),
        &retour,
        d(AUJOURDHUI),
    )
    .unwrap();
    // Nobody to tell after an anonymous IP.
    let anonyme = vec![
        faite_avec("reception", "2026-11-02", &[("source", "anonyme")]),
        faite("saisine", "2026-11-03"),
    ];
    let e = decider(
        &ech,
        ctx(TypeProcedure::Ip, &anonyme, &[]),
        &retour,
        d(AUJOURDHUI),
    )
    .unwrap_err();
    assert!(e.0.get("etape").unwrap().contains("anonyme"));
}

#[test]
fn an_ip_closes_on_a_conclusion() {
    let ech = Echeancier::default();
    let faites = vec![faite_avec("reception", "2026-11-02", RECEPTION_ECOLE)];
    let e = decider(
        &ech,
        ctx(TypeProcedure::Ip, &faites, &[]),
        &form("cloture", "2026-11-10", &[]),
        d(AUJOURDHUI),
    )
    .unwrap_err();
    assert!(e.0.get("etape").unwrap().contains("conclusion"));
    let dec = decider(
        &ech,
        ctx(TypeProcedure::Ip, &faites, &[]),
        &form("non_ip", "2026-11-10", &[("orientation", "service_social")]),
        d(AUJOURDHUI),
    )
    .unwrap();
    assert!(dec.fin);
}

#[test]
fn the_steps_offered_on_an_ip_follow_its_order() {
    let codes = |faites: &[EtapeFaite]| -> Vec<&str> {
        possibles(TypeProcedure::Ip, faites)
            .iter()
            .map(|e| e.code)
            .collect()
    };
    assert_eq!(codes(&[]), vec!["reception"]);
    let recue = vec![faite_avec("reception", "2026-11-02", RECEPTION_ECOLE)];
    let c = codes(&recue);
    assert!(c.contains(&"evaluation") && c.contains(&"saisine") && c.contains(&"non_ip"));
    assert!(!c.contains(&"retour_informant") && !c.contains(&"cloture") && !c.contains(&"rapport"));
    let mut conclue = recue.clone();
    conclue.extend([
        faite("evaluation", "2026-11-03"),
        faite("visite", "2026-11-10"),
        faite("rapport", "2026-11-20"),
    ]);
    let c = codes(&conclue);
    assert!(c.contains(&"retour_informant") && c.contains(&"cloture"));
    assert!(!c.contains(&"saisine") && !c.contains(&"non_ip") && !c.contains(&"rapport"));
}
