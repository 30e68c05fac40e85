//! Rules of financial aids: amounts, budgets, requests, decisions, anomalies.

use chrono::NaiveDate;

use super::anomalies::{controler, AControler, Anterieur, IbanConnu, Regle};
use super::budget::{calculer, unites_de_consommation, Categorie, Ligne, Membre};
use super::catalogue::{defaut, Niveau, ReglesFonds};
use super::demande::{decider, verifier, Decideur, DecisionForm, DemandeForm, EnCours, Situation};
use super::*;

fn regles(code: &str) -> ReglesFonds {
    defaut().into_iter().find(|(c, _, _)| *c == code).unwrap().2
}

fn ligne(cat: Categorie, poste: &str, euros: i64) -> Ligne {
    Ligne {
        poste: poste.into(),
        categorie: cat,
        libelle: poste.into(),
        mensuel: Centimes::euros(euros),
        encours: None,
    }
}

#[test]
fn amounts_read_as_typed_in_french_and_print_with_french_typography() {
    assert_eq!(Centimes::parse("150"), Ok(Centimes(15000)));
    assert_eq!(Centimes::parse("150,5"), Ok(Centimes(15050)));
    assert_eq!(Centimes::parse(" 1 234,56 € "), Ok(Centimes(123456)));
    assert_eq!(Centimes::parse("12.05"), Ok(Centimes(1205)));
    assert!(Centimes::parse("-3").is_err());
    assert!(Centimes::parse("12,345").is_err());
    assert!(Centimes::parse("douze").is_err());
    assert_eq!(Centimes(123456).fr(), "1\u{202f}234,56\u{a0}€");
    assert_eq!(Centimes(5).fr(), "0,05\u{a0}€");
    assert_eq!(Centimes(-1050).decimal(), "-10.50");
}

#[test]
fn ibans_are_checked_by_their_key() {
    assert_eq!(
        iban_normalise("fr76 3000 6000 0112 3456 7890 189").unwrap(),
        "FR76 3000 6000 0112 3456 7890 189"
    );
    assert!(iban_normalise("FR76 3000 6000 0112 3456 7890 188").is_err());
    assert!(iban_normalise("1234").is_err());
}

#[test]
fn consumption_units_follow_the_modified_oecd_scale() {
    let m = |a: Option<u32>| Membre { age: a };
    assert_eq!(unites_de_consommation(&[m(Some(40))]), 1000);
    // A couple with two children under 14: 1 + 0,5 + 0,3 + 0,3.
    assert_eq!(
        unites_de_consommation(&[m(Some(40)), m(Some(38)), m(Some(10)), m(Some(3))]),
        2100
    );
    // A teenager of 15 counts as an adult; an unknown age too (never overstating the reste à vivre).
    assert_eq!(
        unites_de_consommation(&[m(Some(40)), m(Some(15)), m(None)]),
        2000
    );
    assert_eq!(unites_de_consommation(&[]), 1000);
}

#[test]
fn the_reste_a_vivre_is_computed_per_unit_and_day_and_explained() {
    let lignes = vec![
        ligne(Categorie::Ressource, "rsa", 1200),
        ligne(Categorie::Charge, "loyer", 600),
        Ligne {
            encours: Some(Centimes::euros(900)),
            ..ligne(Categorie::Dette, "dette_loyer", 90)
        },
    ];
    let c = calculer(
        &lignes,
        &[Membre { age: Some(35) }, Membre { age: Some(6) }],
    );
    assert_eq!(c.charges, Centimes::euros(690));
    assert_eq!(c.reste_a_vivre, Centimes::euros(510));
    assert_eq!(c.uc_milliemes, 1300);
    // 510 € / 1,3 / 30 = 13,0769… rounded down to the cent.
    assert_eq!(c.reste_a_vivre_jour_uc, Centimes(1307));
    assert!(
        c.explication.iter().any(|l| l.contains("1,3 unité")),
        "{:?}",
        c.explication
    );
    assert!(c.explication.iter().any(|l| l.contains("900,00")));
}

fn demande(montant: &str) -> DemandeForm {
    DemandeForm {
        fonds: "secours_urgence".into(),
        besoin: "alimentation".into(),
        montant: montant.into(),
        mode: "carte".into(),
        carte: "CB-0042".into(),
        pieces: vec!["identite".into()],
        ..Default::default()
    }
}

fn situation(rav_euros: i64) -> Situation {
    let c = calculer(
        &[ligne(Categorie::Ressource, "rsa", rav_euros * 30)],
        &[Membre { age: Some(30) }],
    );
    Situation {
        age: Some(30),
        budget: Some(c),
        nom_personne: "DURAND Alice".into(),
        cartes: vec![super::carte::CarteChoix {
            reference: "CB-0042".into(),
            titulaire: "Alice DURAND".into(),
            libelle: "Carte CB-0042 d'Alice DURAND".into(),
            accueillant: false,
        }],
        ..Default::default()
    }
}

#[test]
fn a_load_goes_only_to_an_active_card_of_the_register_and_pays_its_holder() {
    let r = regles("argent_de_poche");
    let mut f = demande("40");
    f.fonds = "argent_de_poche".into();
    f.besoin = "argent_de_poche".into();
    f.pieces = vec![];
    let mut s = situation(5);
    s.age = Some(15);
    // A card typed by hand, not in the register: refused on the field.
    f.carte = "CB-9999".into();
    let e = verifier(&r, &f, &s).unwrap_err();
    assert!(e.0.get("carte").unwrap().contains("choisissez-en une"));
    // The foster carer's card: the load is hers to receive.
    s.cartes.push(super::carte::CarteChoix {
        reference: "FTC-000007".into(),
        titulaire: "Nadia BENALI".into(),
        libelle: "Carte FTC-000007 de Nadia BENALI, assistant familial".into(),
        accueillant: true,
    });
    f.carte = "FTC-000007".into();
    let d = verifier(&r, &f, &s).unwrap();
    assert_eq!(d.carte.as_deref(), Some("FTC-000007"));
    assert_eq!(d.beneficiaire, "Nadia BENALI");
    // No card at all: the message says how to get one.
    s.cartes.clear();
    let e = verifier(&r, &f, &s).unwrap_err();
    assert!(e.0.get("carte").unwrap().contains("émission"));
}

#[test]
fn a_new_card_names_its_holder_and_a_block_its_reason() {
    use super::carte::{motif_blocage, verifier as verifier_carte, CarteForm, Titulaire};
    let e = verifier_carte(&CarteForm::default()).unwrap_err();
    assert!(e.0.get("titulaire").is_some());
    assert!(e.0.get("site_id").is_some());
    let f = CarteForm {
        titulaire: "assistant_familial".into(),
        nom: "Benali".into(),
        prenom: "Nadia".into(),
        agrement: "".into(),
        site_id: "3".into(),
        ..Default::default()
    };
    let e = verifier_carte(&f).unwrap_err();
    assert!(e.0.get("agrement").unwrap().contains("agrément"));
    let ok = verifier_carte(&CarteForm {
        agrement: "af-2024/118".into(),
        ..f
    })
    .unwrap();
    assert_eq!(ok.titulaire, Titulaire::AssistantFamilial);
    assert_eq!(ok.nom.as_deref(), Some("Nadia BENALI"));
    assert_eq!(ok.agrement.as_deref(), Some("AF-2024/118"));
    let p = CarteForm {
        titulaire: "personne".into(),
        site_id: "3".into(),
        ..Default::default()
    };
    assert!(verifier_carte(&p)
        .unwrap_err()
        .0
        .get("personne_id")
        .is_some());
    assert!(motif_blocage("  ").is_err());
    assert_eq!(motif_blocage(" Carte perdue ").unwrap(), "Carte perdue");
}

#[test]
fn a_request_over_the_cap_or_the_yearly_cap_or_for_an_open_need_is_refused() {
    let r = regles("secours_urgence");
    let ok = verifier(&r, &demande("80"), &situation(5)).unwrap();
    assert_eq!(ok.niveau, Niveau::TravailleurSocial);
    assert_eq!(
        verifier(&r, &demande("250"), &situation(5)).unwrap().niveau,
        Niveau::Cadre
    );
    let e = verifier(&r, &demande("301"), &situation(5)).unwrap_err();
    assert!(e.0.get("montant").unwrap().contains("plafond"));
    let mut s = situation(5);
    s.accorde_annee = Centimes::euros(550);
    let e = verifier(&r, &demande("80"), &s).unwrap_err();
    assert!(e.0.get("montant").unwrap().contains("il reste 50,00"));
    let mut s = situation(5);
    s.demande_ouverte = Some(12);
    let e = verifier(&r, &demande("80"), &s).unwrap_err();
    assert!(e.0.get("besoin").unwrap().contains("n° 12"));
}

#[test]
fn the_faj_is_for_young_people_of_18_to_25() {
    let r = regles("faj");
    let mut f = demande("100");
    f.fonds = "faj".into();
    f.besoin = "subsistance".into();
    f.pieces = vec!["identite".into(), "ressources".into()];
    let mut s = situation(5);
    s.age = Some(26);
    assert!(verifier(&r, &f, &s).unwrap_err().0.get("fonds").is_some());
    s.age = Some(19);
    assert!(verifier(&r, &f, &s).is_ok());
}

#[test]
fn a_transfer_needs_a_valid_iban_and_a_third_party_a_name() {
    let r = regles("secours_urgence");
    let mut f = demande("80");
    f.mode = "virement_tiers".into();
    f.iban = "FR76 3000 6000 0112 3456 7890 188".into();
    let e = verifier(&r, &f, &situation(5)).unwrap_err();
    assert!(e.0.get("iban").unwrap().contains("clé"));
    assert!(e.0.get("tiers").is_some());
}

fn en_cours(euros: i64) -> EnCours {
    EnCours {
        montant_demande: Centimes::euros(euros),
        pieces: vec!["identite".into()],
        en_cours: true,
    }
}

fn decideur(n: Niveau, reste: i64) -> Decideur {
    Decideur {
        niveau: n,
        reste_enveloppe: Some(Centimes::euros(reste)),
    }
}

#[test]
fn a_decision_needs_the_delegation_for_its_amount() {
    let r = regles("secours_urgence");
    let f = DecisionForm {
        sens: "accord".into(),
        ..Default::default()
    };
    let e = decider(
        &r,
        &en_cours(250),
        &situation(5),
        &decideur(Niveau::TravailleurSocial, 5000),
        &f,
    )
    .unwrap_err();
    assert!(e.0.get("sens").unwrap().contains("cadre"));
    let d = decider(
        &r,
        &en_cours(250),
        &situation(5),
        &decideur(Niveau::Cadre, 5000),
        &f,
    )
    .unwrap();
    assert_eq!(d.montant, Centimes::euros(250));
    // A refusal of the same amount needs the same delegation, and a motivation.
    let refus = DecisionForm {
        sens: "refus".into(),
        ..Default::default()
    };
    let e = decider(
        &r,
        &en_cours(250),
        &situation(5),
        &decideur(Niveau::Cadre, 5000),
        &refus,
    )
    .unwrap_err();
    assert!(e.0.get("motivation").unwrap().contains("L211-2"));
}

#[test]
fn an_approval_needs_the_documents_the_scale_and_the_envelope() {
    let r = regles("secours_urgence");
    let f = DecisionForm {
        sens: "accord".into(),
        ..Default::default()
    };
    let mut d = en_cours(80);
    d.pieces.clear();
    let e = decider(&r, &d, &situation(5), &decideur(Niveau::Cadre, 5000), &f).unwrap_err();
    assert!(e.0.get("sens").unwrap().contains("Pièces manquantes"));
    // Reste à vivre of 20 € a day: above the fund's 10 €.
    let e = decider(
        &r,
        &en_cours(80),
        &situation(20),
        &decideur(Niveau::Cadre, 5000),
        &f,
    )
    .unwrap_err();
    assert!(e.0.get("sens").unwrap().contains("barème"));
    // The envelope: a social worker cannot pass it, a cadre only with a reason.
    let e = decider(
        &r,
        &en_cours(80),
        &situation(5),
        &decideur(Niveau::TravailleurSocial, 50),
        &f,
    )
    .unwrap_err();
    assert!(e.0.get("depassement").unwrap().contains("cadre"));
    let e = decider(
        &r,
        &en_cours(80),
        &situation(5),
        &decideur(Niveau::Cadre, 50),
        &f,
    )
    .unwrap_err();
    assert!(e.0.get("depassement").unwrap().contains("motivez"));
    let ok = decider(
        &r,
        &en_cours(80),
        &situation(5),
        &decideur(Niveau::Cadre, 50),
        &DecisionForm {
            depassement: "Coupure d'énergie avec un nourrisson".into(),
            ..f.clone()
        },
    )
    .unwrap();
    assert!(ok.depassement.is_some());
    let none = Decideur {
        niveau: Niveau::Cadre,
        reste_enveloppe: None,
    };
    assert!(decider(&r, &en_cours(80), &situation(5), &none, &f).is_err());
}

#[test]
fn a_partial_approval_is_less_than_asked() {
    let r = regles("secours_urgence");
    let f = DecisionForm {
        sens: "accord_partiel".into(),
        montant: "100".into(),
        ..Default::default()
    };
    assert!(decider(
        &r,
        &en_cours(80),
        &situation(5),
        &decideur(Niveau::Cadre, 5000),
        &f
    )
    .is_err());
    let f = DecisionForm {
        montant: "60".into(),
        ..f
    };
    let d = decider(
        &r,
        &en_cours(80),
        &situation(5),
        &decideur(Niveau::Cadre, 5000),
        &f,
    )
    .unwrap();
    assert_eq!(d.montant, Centimes::euros(60));
}

fn jour(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn ordre(id: i64, foyer: &str) -> AControler {
    AControler {
        id,
        foyer: foyer.into(),
        mode: ModePaiement::Carte,
        iban: None,
        fonds: "secours_urgence".into(),
        besoin: "alimentation".into(),
        montant: Centimes::euros(80),
        plafond_demande: Centimes::euros(300),
        periode_doublon_jours: 30,
        jour: jour(20),
        dossier_clos: false,
        personne_fusionnee: false,
        personne_decedee: false,
        instruit_par: Some(1),
        decide_par: Some(2),
        en_commission: false,
        carte_active: true,
    }
}

#[test]
fn each_anomaly_rule_holds_the_order_it_concerns_and_only_it() {
    let iban = "FR76 3000 6000 0112 3456 7890 189".to_string();
    let mut a = ordre(1, "f1");
    a.mode = ModePaiement::VirementPersonne;
    a.iban = Some(iban.clone());
    let mut b = ordre(2, "f2");
    b.besoin = "energie".into();
    let mut c = ordre(3, "f3");
    c.montant = Centimes::euros(400);
    let mut d = ordre(4, "f4");
    d.dossier_clos = true;
    let mut e = ordre(5, "f5");
    e.personne_decedee = true;
    let mut f = ordre(6, "f6");
    f.decide_par = Some(1);
    let mut g = ordre(7, "f7");
    g.decide_par = Some(1);
    g.en_commission = true;
    let clean = ordre(8, "f8");
    let mut h = ordre(9, "f10");
    h.carte_active = false;
    let lot = vec![a, b, c, d, e, f, g, clean, h];
    let anterieurs = vec![
        Anterieur {
            id: 100,
            foyer: "f2".into(),
            fonds: "secours_urgence".into(),
            besoin: "energie".into(),
            jour: jour(1),
        },
        // Outside the period of 30 days: not a repeat.
        Anterieur {
            id: 101,
            foyer: "f8".into(),
            fonds: "secours_urgence".into(),
            besoin: "alimentation".into(),
            jour: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        },
    ];
    let ibans = vec![IbanConnu {
        iban,
        foyer: "f9".into(),
    }];
    let r = controler(&lot, &anterieurs, &ibans);
    assert_eq!(r.get(&1), Some(&vec![Regle::IbanPartage]));
    assert_eq!(r.get(&2), Some(&vec![Regle::DejaPaye]));
    assert_eq!(r.get(&3), Some(&vec![Regle::AuDessusDuPlafond]));
    assert_eq!(r.get(&4), Some(&vec![Regle::DossierCloturOuFusionne]));
    assert_eq!(r.get(&5), Some(&vec![Regle::PersonneDecedee]));
    assert_eq!(r.get(&6), Some(&vec![Regle::AutoValidation]));
    assert_eq!(r.get(&7), None, "a commission's decision is collegial");
    assert_eq!(r.get(&8), None);
    assert_eq!(r.get(&9), Some(&vec![Regle::CarteInactive]));
}

#[test]
fn two_orders_of_one_batch_for_the_same_need_hold_the_second_only() {
    let a = ordre(1, "f1");
    let b = ordre(2, "f1");
    let r = controler(&[a, b], &[], &[]);
    assert_eq!(r.get(&1), None);
    assert_eq!(r.get(&2), Some(&vec![Regle::DejaPaye]));
}

#[test]
fn the_same_iban_for_one_household_or_for_landlords_is_not_an_anomaly() {
    let iban = "FR76 3000 6000 0112 3456 7890 189".to_string();
    let mut a = ordre(1, "f1");
    a.mode = ModePaiement::VirementTiers;
    a.iban = Some(iban.clone());
    let mut b = ordre(2, "f2");
    b.mode = ModePaiement::VirementTiers;
    b.iban = Some(iban.clone());
    b.besoin = "energie".into();
    let mut c = ordre(3, "f3");
    c.mode = ModePaiement::VirementPersonne;
    c.iban = Some(iban.clone());
    c.besoin = "sante".into();
    let r = controler(
        &[a, b, c],
        &[],
        &[IbanConnu {
            iban,
            foyer: "f3".into(),
        }],
    );
    assert!(r.is_empty(), "{r:?}");
}

#[test]
fn the_default_catalogue_is_valid() {
    for (code, _, r) in defaut() {
        assert!(r.verifier().is_ok(), "{code}");
    }
}

#[test]
fn lists_of_the_catalogue_are_typed_as_code_and_label_and_codes_stay() {
    use super::catalogue::{code_de, lire_liste};
    assert_eq!(code_de("Frais d'obsèques"), "frais_d_obseques");
    let l = lire_liste("alimentation ; Alimentation et hygiène\n\nFrais d'obsèques\n").unwrap();
    assert_eq!(
        l,
        vec![
            (
                "alimentation".to_string(),
                "Alimentation et hygiène".to_string()
            ),
            (
                "frais_d_obseques".to_string(),
                "Frais d'obsèques".to_string()
            ),
        ]
    );
    assert!(lire_liste("a ; x").unwrap_err().contains("Ligne 1"));
    assert!(lire_liste("eau ; Eau\neau ; Eau potable")
        .unwrap_err()
        .contains("déjà"));
}
