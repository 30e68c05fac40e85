//! Financial aids through the real router, with the payment provider as a real process: a social
//! worker establishes the household's budget and asks an aid from the dossier, decides it within her
//! delegation, the order is held (she instructed it herself) until her cadre releases it, and it is
//! paid once although the provider's first answer timed out; caps, delegations, the envelope, the
//! commission and bad input are refused in French with nothing written; an agent of another MDS and
//! a token without the scope reach nothing.

mod common;

use axum::http::StatusCode;
use common::{civil, id_after, Answer, TestApp};
use parcours_domain::habilitations::Role;
use parcours_paiement::processus::FournisseurTest;
use parcours_test_support::PASSWORD;

fn json(a: &Answer) -> serde_json::Value {
    serde_json::from_str(&a.body).unwrap_or_else(|e| panic!("JSON attendu ({e}) : {}", a.body))
}

/// `TestApp::personne_avec_budget` with an active card CB-0042 of hers in the register: the dossier.
async fn dossier_avec_budget(app: &mut TestApp) -> i64 {
    let (p, d) = app.personne_avec_budget().await;
    app.carte_du_registre(p).await;
    d
}

async fn personne_et_dossier(app: &mut TestApp) -> (i64, i64) {
    app.personne_avec_budget().await
}

async fn enveloppe(app: &mut TestApp, fonds: &str, euros: &str) {
    app.enveloppe(fonds, euros).await
}

async fn demander(app: &TestApp, d: i64, fields: &[(&str, &str)]) -> Answer {
    app.post(&format!("/dossiers/{d}/aides"), fields).await
}

async fn nb_demandes(app: &TestApp, dossier: i64) -> usize {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::aides::demandes_du_dossier(&mut conn, "96", dossier)
        .await
        .unwrap()
        .len()
}

async fn ordres(app: &TestApp, demande: i64) -> Vec<parcours_store::aides::Ordre> {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::aides::ordres_de_la_demande(&mut conn, "96", demande)
        .await
        .unwrap()
}

/// Runs the due jobs with the provider at `url` (client timeout 300 ms).
async fn jobs(app: &TestApp, url: Option<&str>) -> parcours_jobs::RunReport {
    app.run_jobs_paiement(url, 300).await
}

#[tokio::test]
async fn an_aid_is_instructed_decided_held_released_and_paid_once_through_the_provider() {
    let mut app = TestApp::new().await;
    let (p, d) = personne_et_dossier(&mut app).await;
    let provider =
        FournisseurTest::demarrer(&["--lent-ms", "1500", "--lents", "1"]).expect("prestataire");
    // Her cadre asks her a payment card; the provider issues it at the job's next run.
    app.login_as(Role::Cadre).await;
    let site = app.fx.site_a.to_string();
    let personne = p.to_string();
    let a = app
        .post(
            "/aides/cartes",
            &[
                ("titulaire", "personne"),
                ("personne_id", &personne),
                ("site_id", &site),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let carte_id = id_after(&a.location.unwrap(), "/aides/cartes/");
    jobs(&app, Some(&provider.base_url)).await;
    let carte = {
        let mut conn = app.db.store().read().await.unwrap();
        parcours_store::aides::cartes::carte(&mut conn, "96", carte_id)
            .await
            .unwrap()
    };
    assert_eq!(carte.statut.code(), "active");
    let reference = carte.reference.clone().expect("référence du prestataire");
    let budget = app.get(&format!("/dossiers/{d}/budget")).await;
    assert_eq!(budget.status, StatusCode::OK);
    // 150 € a month for one unit of consumption: 5 € a day, explained.
    assert!(budget.body.contains("5,00"), "{}", budget.body);
    assert!(budget.body.contains("unité de consommation"));
    enveloppe(&mut app, "secours_urgence", "500").await;

    app.login_as(Role::TravailleurSocial).await;
    let form = app
        .get(&format!(
            "/dossiers/{d}/aides/nouvelle?fonds=secours_urgence"
        ))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("Plafond par demande"));
    // Over the fund's cap: refused, what was typed kept, nothing written.
    let trop = demander(
        &app,
        d,
        &[
            ("fonds", "secours_urgence"),
            ("besoin", "alimentation"),
            ("montant", "350"),
            ("mode", "carte"),
            ("carte", &reference),
            ("motif", "Plus de provisions depuis dix jours"),
            ("pieces", "identite"),
        ],
    )
    .await;
    assert_eq!(trop.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        trop.body.contains("plafond du fonds par demande"),
        "{}",
        trop.body
    );
    assert!(trop.body.contains("350"));
    assert!(trop.body.contains("Plus de provisions depuis dix jours"));
    assert_eq!(nb_demandes(&app, d).await, 0);

    let ok = demander(
        &app,
        d,
        &[
            ("fonds", "secours_urgence"),
            ("besoin", "alimentation"),
            ("montant", "80"),
            ("mode", "carte"),
            ("carte", &reference),
            ("pieces", "identite"),
        ],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let id = id_after(&ok.location.unwrap(), "/aides/demandes/");
    // The same need again while the first is open: refused.
    let double = demander(
        &app,
        d,
        &[
            ("fonds", "secours_urgence"),
            ("besoin", "alimentation"),
            ("montant", "50"),
            ("mode", "carte"),
            ("carte", &reference),
        ],
    )
    .await;
    assert_eq!(double.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(double.body.contains("déjà en cours"), "{}", double.body);
    assert_eq!(nb_demandes(&app, d).await, 1);

    // 80 € is within her delegation: she decides it, and the dossier lists it.
    let page = app.get(&format!("/aides/demandes/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Enregistrer la décision"));
    let a = app
        .post(
            &format!("/aides/demandes/{id}/decision"),
            &[("sens", "accord")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(app
        .get(&format!("/dossiers/{d}"))
        .await
        .body
        .contains(&format!("/aides/demandes/{id}")));
    let o = ordres(&app, id).await;
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].statut.code(), "a_verifier");

    // The check holds it: she instructed and decided it herself.
    jobs(&app, Some(&provider.base_url)).await;
    let o = ordres(&app, id).await;
    assert_eq!(o[0].statut.code(), "retenu");
    assert_eq!(
        o[0].anomalies.iter().map(|r| r.code()).collect::<Vec<_>>(),
        vec!["auto_validation"]
    );
    assert!(
        provider.operations().await.unwrap().is_empty(),
        "rien n'est payé"
    );

    // Her cadre sees why and releases it, saying what was checked.
    app.login_as(Role::Cadre).await;
    let file = app.get("/aides/paiements").await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(
        file.body
            .contains("Décidée par l&#39;agent qui l&#39;a instruite")
            || file.body.contains("Décidée par l'agent qui l'a instruite"),
        "{}",
        file.body
    );
    let sans_motif = app
        .post(
            &format!("/aides/paiements/{}/examen", o[0].id),
            &[("suite", "liberer")],
        )
        .await;
    assert_eq!(sans_motif.status, StatusCode::UNPROCESSABLE_ENTITY);
    let a = app
        .post(
            &format!("/aides/paiements/{}/examen", o[0].id),
            &[
                ("suite", "liberer"),
                ("motif", "Situation vue en réunion d'équipe, besoin vérifié"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    // The provider records it but answers too late: the job fails and will be retried.
    let r = jobs(&app, Some(&provider.base_url)).await;
    assert_eq!(r.succeeded, 0, "{r:?}");
    let o = ordres(&app, id).await;
    assert_eq!(o[0].statut.code(), "pret");
    assert!(o[0].derniere_erreur.is_some());
    assert_eq!(provider.operations().await.unwrap().len(), 1);
    // The retry sends the same key: the provider says it already has it, nothing is paid twice.
    app.clock.advance(chrono::Duration::minutes(5));
    jobs(&app, Some(&provider.base_url)).await;
    let o = ordres(&app, id).await;
    assert_eq!(o[0].statut.code(), "paye", "{:?}", o[0]);
    let ops = provider.operations().await.unwrap();
    assert_eq!(ops.len(), 1, "payé une seule fois");
    assert_eq!(ops[0].montant_centimes, 8000);
    assert_eq!(ops[0].cle, o[0].cle);
    assert_eq!(ops[0].carte.as_deref(), Some(reference.as_str()));
    // The card's page shows the load, as the provider's balance does.
    let page = app.get(&format!("/aides/cartes/{carte_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("80,00"), "{}", page.body);
    let solde = provider
        .client(std::time::Duration::from_secs(10))
        .unwrap()
        .consulter_carte(&reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(solde.solde_centimes, 8000);
    let mut conn = app.db.store().read().await.unwrap();
    let env = parcours_store::aides::enveloppes(&mut conn, "96", 2026, None)
        .await
        .unwrap();
    drop(conn);
    let e = env
        .iter()
        .find(|e| e.fonds_code == "secours_urgence")
        .unwrap();
    assert_eq!((e.engage.0, e.paye.0), (8000, 8000));

    // The accounting file of the month lists it; the notification is a PDF.
    let csv = app
        .get("/aides/paiements/comptabilite.csv?mois=2026-12")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains(&o[0].cle), "{}", csv.body);
    assert!(csv.body.contains("80.00"));
    let pdf = app
        .get(&format!("/aides/demandes/{id}/notification.pdf"))
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.body.starts_with("%PDF-"));
}

#[tokio::test]
async fn delegations_the_envelope_and_the_commission_decide_who_grants_what() {
    let mut app = TestApp::new().await;
    let d = dossier_avec_budget(&mut app).await;
    enveloppe(&mut app, "secours_urgence", "200").await;
    app.login_as(Role::TravailleurSocial).await;
    let a = demander(
        &app,
        d,
        &[
            ("fonds", "secours_urgence"),
            ("besoin", "energie"),
            ("montant", "250"),
            ("mode", "carte"),
            ("carte", "CB-0042"),
            ("pieces", "identite"),
        ],
    )
    .await;
    let id = id_after(&a.location.unwrap(), "/aides/demandes/");
    // 250 € is beyond her delegation: no form, and a forged decision is refused.
    let page = app.get(&format!("/aides/demandes/{id}")).await;
    assert!(!page.body.contains("Enregistrer la décision"));
    assert!(page.body.contains("le cadre de la MDS"));
    let refus = app
        .post(
            &format!("/aides/demandes/{id}/decision"),
            &[("sens", "accord")],
        )
        .await;
    assert_eq!(refus.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refus.body.contains("revient au cadre"), "{}", refus.body);

    // The cadre: a refusal needs its motivation; an approval beyond the envelope needs a reason.
    app.login_as(Role::Cadre).await;
    let r = app
        .post(
            &format!("/aides/demandes/{id}/decision"),
            &[("sens", "refus")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("L211-2"));
    let r = app
        .post(
            &format!("/aides/demandes/{id}/decision"),
            &[("sens", "accord")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("motivez le dépassement"), "{}", r.body);
    assert!(ordres(&app, id).await.is_empty());
    let r = app
        .post(
            &format!("/aides/demandes/{id}/decision"),
            &[
                ("sens", "accord"),
                ("depassement", "Coupure d'électricité avec un nourrisson"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&format!("/aides/demandes/{id}")).await;
    assert!(
        page.body.contains("Dépassement de l&#39;enveloppe")
            || page.body.contains("Dépassement de l'enveloppe")
    );
    assert!(page.body.contains("Coupure d"));
    // Decided by someone else than its instructor: the check lets it through.
    jobs(&app, None).await;
    assert_eq!(ordres(&app, id).await[0].statut.code(), "pret");

    // An FSL request: the commission decides. It goes on the agenda of a commission of the MDS.
    enveloppe(&mut app, "fsl_maintien", "10000").await;
    app.login_as(Role::TravailleurSocial).await;
    let a = demander(
        &app,
        d,
        &[
            ("fonds", "fsl_maintien"),
            ("besoin", "impayes_loyer"),
            ("montant", "1200"),
            ("mode", "virement_tiers"),
            ("tiers", "Office public de l'habitat"),
            ("iban", "FR76 3000 6000 0112 3456 7890 189"),
            ("pieces", "identite"),
            ("pieces", "ressources"),
            ("pieces", "decompte"),
            ("pieces", "rib"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let fsl = id_after(&a.location.unwrap(), "/aides/demandes/");
    app.login_as(Role::Cadre).await;
    let site = app.fx.site_a.to_string();
    let c = app
        .post(
            "/aides/commissions",
            &[
                ("date", "2026-12-15"),
                ("intitule", "Commission FSL"),
                ("site_id", &site),
            ],
        )
        .await;
    assert_eq!(c.status, StatusCode::SEE_OTHER, "{}", c.body);
    let cid = id_after(&c.location.unwrap(), "/aides/commissions/");
    let passee = app
        .post(
            "/aides/commissions",
            &[
                ("date", "2026-11-15"),
                ("intitule", "Commission FSL"),
                ("site_id", &site),
            ],
        )
        .await;
    assert_eq!(passee.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.login_as(Role::TravailleurSocial).await;
    let cid_s = cid.to_string();
    let a = app
        .post(
            &format!("/aides/demandes/{fsl}/commission"),
            &[("commission_id", &cid_s)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    app.login_as(Role::Cadre).await;
    // The cadre alone cannot grant 1 200 € of FSL; the commission can.
    let seul = app
        .post(
            &format!("/aides/demandes/{fsl}/decision"),
            &[("sens", "accord")],
        )
        .await;
    assert_eq!(seul.status, StatusCode::UNPROCESSABLE_ENTITY);
    let agenda = app.get(&format!("/aides/commissions/{cid}")).await;
    assert_eq!(agenda.status, StatusCode::OK);
    assert!(agenda.body.contains("Yvonne"));
    let a = app
        .post(
            &format!("/aides/commissions/{cid}/demandes/{fsl}/decision"),
            &[
                ("sens", "accord_partiel"),
                ("montant", "900"),
                (
                    "motivation",
                    "Prise en charge de neuf mois d'impayés ; le bailleur étale le reste",
                ),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = app
        .post(
            &format!("/aides/commissions/{cid}/proces-verbal"),
            &[(
                "proces_verbal",
                "Présents : … Une demande examinée, accord partiel.",
            )],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = app.get(&format!("/aides/demandes/{fsl}")).await;
    assert!(page.body.contains("(commission)"), "{}", page.body);
    assert!(page.body.contains("900,00"));

    // The figures count both, by fund; the XLSX opens.
    let f = app.get("/aides/chiffres").await;
    assert_eq!(f.status, StatusCode::OK);
    assert!(f.body.contains("<svg"));
    assert!(f.body.contains("FSL — maintien dans le logement"));
    let x = app.get("/aides/chiffres.xlsx").await;
    assert_eq!(x.status, StatusCode::OK);
}

#[tokio::test]
async fn another_mds_and_a_token_without_the_scope_reach_no_aid() {
    let mut app = TestApp::new().await;
    let b = app.fx.seed_mds_b(app.db.store()).await;
    let d = dossier_avec_budget(&mut app).await;
    enveloppe(&mut app, "secours_urgence", "500").await;
    app.login_as(Role::TravailleurSocial).await;
    let a = demander(
        &app,
        d,
        &[
            ("fonds", "secours_urgence"),
            ("besoin", "alimentation"),
            ("montant", "80"),
            ("mode", "carte"),
            ("carte", "CB-0042"),
            ("pieces", "identite"),
        ],
    )
    .await;
    let id = id_after(&a.location.unwrap(), "/aides/demandes/");
    app.post(
        &format!("/aides/demandes/{id}/decision"),
        &[("sens", "accord")],
    )
    .await;
    jobs(&app, None).await;
    let ordre = ordres(&app, id).await[0].id;

    // The cadre of the same MDS reads it through the API.
    app.login_as(Role::Cadre).await;
    let api = app
        .json("GET", &format!("/api/v1/aides/demandes/{id}"), None, None)
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    assert_eq!(json(&api)["statut"], "accordee");

    for role in [Role::TravailleurSocial, Role::Cadre] {
        app.login(b.email(role), PASSWORD).await;
        for path in [
            format!("/aides/demandes/{id}"),
            format!("/dossiers/{d}/budget"),
            format!("/dossiers/{d}/aides/nouvelle"),
            format!("/aides/demandes/{id}/notification.pdf"),
        ] {
            assert_eq!(app.get(&path).await.status, StatusCode::FORBIDDEN, "{path}");
        }
        let w = app
            .post(
                &format!("/aides/demandes/{id}/decision"),
                &[("sens", "refus"), ("motivation", "x")],
            )
            .await;
        assert_eq!(w.status, StatusCode::FORBIDDEN);
        let w = app
            .post(
                &format!("/dossiers/{d}/budget"),
                &[("poste_0", "rsa"), ("montant_0", "1")],
            )
            .await;
        assert_eq!(w.status, StatusCode::FORBIDDEN);
        let api = app
            .json("GET", &format!("/api/v1/aides/demandes/{id}"), None, None)
            .await;
        assert_eq!(api.status, StatusCode::FORBIDDEN);
        assert!(api.content_type.starts_with("application/problem+json"));
        let api = app
            .json("POST", &format!("/api/v1/dossiers/{d}/aides"), None, Some(r#"{"fonds":"secours_urgence","besoin":"alimentation","montant":"10","mode":"carte","carte":"CB-1"}"#))
            .await;
        assert_eq!(api.status, StatusCode::FORBIDDEN);
        if role == Role::Cadre {
            let l = app.get("/aides/paiements").await;
            assert_eq!(l.status, StatusCode::OK);
            assert!(!l.body.contains("Yvonne"), "{}", l.body);
            let w = app
                .post(
                    &format!("/aides/paiements/{ordre}/examen"),
                    &[("suite", "annuler"), ("motif", "x")],
                )
                .await;
            assert_eq!(w.status, StatusCode::FORBIDDEN);
        }
        let l = app.get("/aides").await;
        assert!(!l.body.contains("Yvonne"));
    }
    assert_eq!(nb_demandes(&app, d).await, 1);
    assert_eq!(ordres(&app, id).await[0].statut.code(), "retenu");

    // A service account: no scope opens financial aids.
    app.login_as(Role::Administrateur).await;
    let site = app.fx.site_a;
    let jeton = app
        .jeton_sites("portail", &["personnes:rechercher"], &[site])
        .await;
    app.cookie = None;
    app.csrf = None;
    for path in [
        format!("/api/v1/aides/demandes/{id}"),
        format!("/api/v1/dossiers/{d}/aides"),
        "/api/v1/aides/fonds".to_string(),
        "/api/v1/aides/paiements".to_string(),
        "/api/v1/aides/chiffres".to_string(),
    ] {
        let a = app.json("GET", &path, Some(&jeton), None).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn a_death_recorded_on_the_fiche_holds_the_payment_of_an_aid() {
    let mut app = TestApp::new().await;
    let (p, d) = personne_et_dossier(&mut app).await;
    app.carte_du_registre(p).await;
    enveloppe(&mut app, "secours_urgence", "500").await;
    app.login_as(Role::TravailleurSocial).await;
    let a = demander(
        &app,
        d,
        &[
            ("fonds", "secours_urgence"),
            ("besoin", "sante"),
            ("montant", "150"),
            ("mode", "carte"),
            ("carte", "CB-0042"),
            ("pieces", "identite"),
        ],
    )
    .await;
    let id = id_after(&a.location.unwrap(), "/aides/demandes/");
    // A date of death in the future is refused, what was typed kept.
    let futur = app
        .post(
            &format!("/personnes/{p}/deces"),
            &[("decede_le", "24/12/2026")],
        )
        .await;
    assert_eq!(futur.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(futur.body.contains("24/12/2026"));
    let a = app
        .post(
            &format!("/personnes/{p}/deces"),
            &[("decede_le", "05/12/2026")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(app
        .get(&format!("/personnes/{p}"))
        .await
        .body
        .contains("05/12/2026"));
    // The cadre grants it (150 € is hers to decide): the check holds it for the death only.
    app.login_as(Role::Cadre).await;
    let a = app
        .post(
            &format!("/aides/demandes/{id}/decision"),
            &[("sens", "accord")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    jobs(&app, None).await;
    let o = ordres(&app, id).await;
    assert_eq!(o[0].statut.code(), "retenu");
    assert_eq!(
        o[0].anomalies.iter().map(|r| r.code()).collect::<Vec<_>>(),
        vec!["personne_decedee"]
    );
    // Cancelled by the cadre: the amount goes back to the envelope.
    let a = app
        .post(
            &format!("/aides/paiements/{}/examen", o[0].id),
            &[
                ("suite", "annuler"),
                ("motif", "Décès confirmé par la famille"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let mut conn = app.db.store().read().await.unwrap();
    let env = parcours_store::aides::enveloppes(&mut conn, "96", 2026, None)
        .await
        .unwrap();
    let e = env
        .iter()
        .find(|e| e.fonds_code == "secours_urgence")
        .unwrap();
    assert_eq!(e.engage.0, 0);
}

#[tokio::test]
async fn the_central_team_adds_a_fund_and_its_new_rules_apply_from_their_day() {
    let mut app = TestApp::new().await;
    app.clock.set_civil(civil("2026-12-07T10:00"));
    app.login_as(Role::EquipeCentrale).await;
    let fonds = |code: &'static str, libelle: &'static str| {
        vec![
            ("code", code),
            ("libelle", libelle),
            ("modele", "secours_urgence"),
        ]
    };
    let bad = app
        .post(
            "/aides/catalogue",
            &fonds("Frais obsèques", "Aide aux frais d'obsèques"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("lettres minuscules"), "{}", bad.body);
    assert!(bad.body.contains("Aide aux frais d"));
    let a = app
        .post(
            "/aides/catalogue",
            &fonds("frais_obseques", "Aide aux frais d'obsèques"),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let again = app
        .post("/aides/catalogue", &fonds("frais_obseques", "Autre"))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("déjà"));

    let version = |jour: &'static str| {
        vec![
            ("valide_du", jour),
            ("plafond_demande", "1500"),
            ("plafond_annuel", "1500"),
            ("delegation_ts", "0"),
            ("delegation_cadre", "800"),
            ("periode_doublon_jours", "365"),
            ("besoins", "obseques ; Frais d'obsèques\nTransport du corps"),
            (
                "pieces",
                "identite ; Pièce d'identité\nfacture ; Devis des pompes funèbres",
            ),
            ("modes", "virement_tiers"),
        ]
    };
    // Rules never change for a day already past: the requests of that day keep theirs.
    let passe = app
        .post("/aides/catalogue/frais_obseques", &version("2026-12-01"))
        .await;
    assert_eq!(passe.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(passe.body.contains("aujourd"), "{}", passe.body);
    assert!(
        passe.body.contains("Transport du corps"),
        "la saisie est gardée"
    );
    let ok = app
        .post("/aides/catalogue/frais_obseques", &version("2026-12-08"))
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = app.get("/aides/catalogue/frais_obseques").await;
    assert!(page.body.contains("08/12/2026"));
    let mut conn = app.db.store().read().await.unwrap();
    let jour = |d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    let avant = parcours_store::aides::fonds(&mut conn, "96", "frais_obseques", jour("2026-12-07"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        avant.regles.plafond_demande.0, 30_000,
        "les règles recopiées"
    );
    let apres = parcours_store::aides::fonds(&mut conn, "96", "frais_obseques", jour("2026-12-08"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(apres.regles.plafond_demande.0, 150_000);
    assert_eq!(apres.regles.besoins[1].code, "transport_du_corps");
    assert_eq!(apres.regles.pieces.len(), 2);
    assert_eq!(apres.regles.modes.len(), 1);
}

#[tokio::test]
async fn the_departement_edits_its_notification_template_checked_against_every_letter() {
    let mut app = TestApp::new().await;
    app.login_as(Role::EquipeCentrale).await;
    let page = app.get("/aides/modele-notification").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("le modèle fourni avec Parcours"));
    // A template that breaks on one kind of letter only is refused, with the line, and kept as typed.
    let casse = "#let d = donnees\nLettre pour #d.destinataire.nom\n#if d.decision.sens == \"refus\" [#d.decision.inconnu]\n";
    let a = app
        .post("/aides/modele-notification", &[("source", casse)])
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("ligne 3"), "{}", a.body);
    assert!(a.body.contains("lettre de refus"), "{}", a.body);
    assert!(a.body.contains("Lettre pour"));
    let bon = format!(
        "{}\n// Version du département\n",
        parcours_courrier::MODELE_NOTIFICATION_AIDE
    );
    let a = app
        .post("/aides/modele-notification", &[("source", &bon)])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = app.get("/aides/modele-notification").await;
    assert!(page.body.contains("la version enregistrée le"));
    assert!(page.body.contains("Version du département"));
    let pdf = app
        .get("/aides/modele-notification/apercu.pdf?sens=refus")
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.body.starts_with("%PDF-"));
    // A social worker does not change the template.
    app.login_as(Role::TravailleurSocial).await;
    let a = app
        .post("/aides/modele-notification", &[("fourni", "oui")])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = app
        .multipart("/aides/modele-notification/logo", &[], "logo.svg", SVG)
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}

/// A PNG of 8 × 4 pixels made for the tests of letters.
const PNG: &[u8] = include_bytes!("../../courrier/tests/logo.png");

const SVG: &[u8] = br#"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="navy"/></svg>"#;

#[tokio::test]
async fn the_departement_logo_is_checked_then_printed_on_its_letters_and_can_be_withdrawn() {
    let mut app = TestApp::new().await;
    app.login_as(Role::EquipeCentrale).await;
    let pdf = |a: &Answer| {
        a.body.matches("/Subtype /Image").count() + a.body.matches("/Subtype/Image").count()
    };
    let sans = app
        .get("/aides/modele-notification/apercu.pdf?sens=accord")
        .await;
    assert_eq!(pdf(&sans), 0);
    assert_eq!(
        app.get("/aides/modele-notification/logo").await.status,
        StatusCode::NOT_FOUND
    );
    // Not an image: refused in French, nothing recorded.
    let a = app
        .multipart(
            "/aides/modele-notification/logo",
            &[],
            "logo.png",
            b"%PDF-1.7 pas une image",
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("PNG, JPEG ou SVG"), "{}", a.body);
    assert!(a.body.contains("Aucun logo"));
    // An SVG is accepted (Typst draws it as vector paths) and served sandboxed.
    let a = app
        .multipart("/aides/modele-notification/logo", &[], "logo.svg", SVG)
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let image = app.get("/aides/modele-notification/logo").await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.content_type, "image/svg+xml");
    assert!(image.body.contains("<svg"));
    // A PNG replaces it; the page shows the one in force.
    let a = app
        .multipart("/aides/modele-notification/logo", &[], "logo.png", PNG)
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = app.get("/aides/modele-notification").await;
    assert!(page.body.contains("Logo actuel des courriers"));
    let image = app.get("/aides/modele-notification/logo").await;
    assert_eq!(image.content_type, "image/png");
    // The letters carry it, the preview as the notification of a decision.
    let avec = app
        .get("/aides/modele-notification/apercu.pdf?sens=accord")
        .await;
    assert_eq!(avec.status, StatusCode::OK);
    assert!(pdf(&avec) >= 1, "le logo est dans la lettre");
    // Withdrawn: the letters are printed without it again; the upload is audited.
    let a = app
        .post("/aides/modele-notification/logo/retrait", &[])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let apres = app
        .get("/aides/modele-notification/apercu.pdf?sens=accord")
        .await;
    assert_eq!(pdf(&apres), 0);
    let mut conn = app.db.store().read().await.unwrap();
    let filtre = parcours_store::audit::AuditFilter {
        record_type: Some("logo_courrier".into()),
        ..Default::default()
    };
    let (_, n) = parcours_store::audit::list(&mut conn, "96", &filtre, 10, 0)
        .await
        .unwrap();
    assert_eq!(n, 3);
}
