//! Procedures and the échéancier through the real router, on the application's clock: a social
//! worker opens an RSA procedure in a dossier, records its steps, and its legal due dates reach her
//! list, then her cadre's and the direction's counts when late; bad steps are refused in French with
//! nothing written; an agent of another MDS, and a token without the scope, reach nothing.

mod common;

use axum::http::StatusCode;
use common::{civil, id_after, Answer, TestApp};
use parcours_domain::habilitations::Role;
use parcours_test_support::PASSWORD;

fn json(a: &Answer) -> serde_json::Value {
    serde_json::from_str(&a.body).unwrap_or_else(|e| panic!("JSON attendu ({e}) : {}", a.body))
}

/// The social worker of MDS-A opens a dossier for a person of her secteur and an RSA procedure in
/// it; returns (dossier, procedure).
async fn installer(app: &mut TestApp, type_: &str) -> (i64, i64) {
    app.clock.set_civil(civil("2026-12-07T10:00"));
    app.login_as(Role::TravailleurSocial).await;
    let p = app
        .personne_avec_adresse("Quéméneur", "Yvonne", "03/09/1992", "96001", "96100")
        .await;
    let d = app.ouvrir_dossier(p, "Insertion").await;
    let form = app.get(&format!("/dossiers/{d}/procedures/nouvelle")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("Référent de la procédure"));
    let me = app.fx.agent(Role::TravailleurSocial).to_string();
    let a = app
        .post(
            &format!("/dossiers/{d}/procedures"),
            &[("type", type_), ("referent", &me)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    (d, id_after(&a.location.unwrap(), "/procedures/"))
}

async fn etapes(app: &TestApp, procedure: i64) -> usize {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::procedures::etapes(&mut conn, "96", procedure)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn an_rsa_procedure_runs_on_the_legal_clocks_and_escalates_when_late() {
    let mut app = TestApp::new().await;
    let (d, p) = installer(&mut app, "rsa").await;
    let dossier = app.get(&format!("/dossiers/{d}")).await;
    assert!(dossier.body.contains(&format!("/procedures/{p}")));

    let a = app
        .post(
            &format!("/procedures/{p}/etapes"),
            &[("etape", "ouverture"), ("date", "2026-11-02")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = app.get(&format!("/procedures/{p}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // 6 weeks from 2 November: the PCD's orientation decision, with its source.
    assert!(page.body.contains("14/12/2026"), "{}", page.body);
    assert!(page.body.contains("CASF D262-65-2"));
    assert!(page.body.contains("Loi pour le plein emploi"));

    // A sanction without the contradictory procedure and the équipe pluridisciplinaire.
    let refus = app
        .post(
            &format!("/procedures/{p}/etapes"),
            &[
                ("etape", "sanction"),
                ("date", "2026-12-01"),
                ("duree", "2"),
                ("taux", "50"),
            ],
        )
        .await;
    assert_eq!(refus.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refus.body.contains("Il faut d&#39;abord") || refus.body.contains("Il faut d'abord"));
    // A step dated in the future: refused, what was typed is kept.
    let refus = app
        .post(
            &format!("/procedures/{p}/etapes"),
            &[
                ("etape", "orientation"),
                ("date", "2026-12-09"),
                ("parcours", "social"),
                ("commentaire", "Entretien d'orientation"),
            ],
        )
        .await;
    assert_eq!(refus.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refus.body.contains("futur"));
    assert!(refus.body.contains("2026-12-09"));
    assert!(refus.body.contains("Entretien d"));
    assert_eq!(etapes(&app, p).await, 1, "rien n'est écrit");

    // Her list this week shows it, named by dossier.
    let liste = app.get("/echeances").await;
    assert_eq!(liste.status, StatusCode::OK);
    assert!(
        liste.body.contains(&format!("/procedures/{p}")),
        "{}",
        liste.body
    );
    assert!(liste.body.contains("Yvonne"), "{}", liste.body);
    let home = app.get("/").await;
    assert!(
        home.body.contains("<strong>0</strong> en retard"),
        "{}",
        home.body
    );

    // A week later the orientation is late: on her list, her cadre's home page, the direction's counts.
    app.clock.set_civil(civil("2026-12-15T09:00"));
    // (The session of a week ago has expired.)
    app.login_as(Role::TravailleurSocial).await;
    let home = app.get("/").await;
    assert!(
        home.body.contains("<strong>1</strong> en retard"),
        "{}",
        home.body
    );
    let retard = app.get("/echeances?horizon=retard").await;
    assert!(retard.body.contains(&format!("/procedures/{p}")));
    app.login_as(Role::Cadre).await;
    let home = app.get("/").await;
    assert!(
        home.body.contains("Dossiers en retard par MDS et secteur"),
        "{}",
        home.body
    );
    let liste = app.get("/echeances?horizon=retard").await;
    assert!(liste.body.contains(&format!("/procedures/{p}")));
    let retards = app.get("/echeances/retards").await;
    assert_eq!(retards.status, StatusCode::OK);
    assert!(retards.body.contains("<svg"));
    let csv = app.get("/echeances/retards.csv").await;
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.body.contains(";1;0"), "{}", csv.body);
    app.login_as(Role::Direction).await;
    let api = app
        .json("GET", "/api/v1/echeances/retards", None, None)
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    assert_eq!(json(&api)[0]["en_retard"], 1);
    // The direction sees counts, never the dossiers.
    assert_eq!(app.get("/echeances").await.status, StatusCode::FORBIDDEN);
    assert!(!app.get("/").await.body.contains("Insertion"));

    // The orientation recorded late honours the timer and starts the month of the contract.
    app.login_as(Role::TravailleurSocial).await;
    let a = app
        .post(
            &format!("/procedures/{p}/etapes"),
            &[
                ("etape", "orientation"),
                ("date", "2026-12-15"),
                ("parcours", "socio_professionnel"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let v = json(
        &app.json("GET", &format!("/api/v1/procedures/{p}"), None, None)
            .await,
    );
    let ech = v["echeances"].as_array().unwrap();
    let orient = ech.iter().find(|e| e["regle"] == "RSA_ORIENT").unwrap();
    assert_eq!(orient["etat"], "honoree");
    let contrat = ech.iter().find(|e| e["regle"] == "RSA_CONTRAT").unwrap();
    assert_eq!(contrat["echeance"], "2027-01-15");
    assert_eq!(contrat["etat"], "ouverte");
    assert_eq!(
        v["etapes"][1]["details"][0],
        "Parcours d'orientation : Socio-professionnel"
    );
    let home = app.get("/").await;
    assert!(home.body.contains("<strong>0</strong> en retard"));
    // The day counts follow: the direction's late count is back to nothing.
    app.login_as(Role::Direction).await;
    let api = app
        .json("GET", "/api/v1/echeances/retards", None, None)
        .await;
    assert!(
        json(&api)
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["en_retard"] == 0),
        "{}",
        api.body
    );
}

#[tokio::test]
async fn a_masp_through_the_api_keeps_its_contracts_within_the_law_and_extensions_are_decisions() {
    let mut app = TestApp::new().await;
    app.clock.set_civil(civil("2026-12-07T10:00"));
    app.login_as(Role::TravailleurSocial).await;
    let personne = app
        .personne_avec_adresse("Le Gall", "Ronan", "12/04/1980", "96001", "96100")
        .await;
    let a = app
        .post(
            &format!("/personnes/{personne}/dossiers"),
            &[("intitule", "Budget")],
        )
        .await;
    let d = id_after(&a.location.unwrap(), "/dossiers/");
    let created = app
        .json(
            "POST",
            &format!("/api/v1/dossiers/{d}/procedures"),
            None,
            Some(r#"{"type":"masp"}"#),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let p = json(&created)["id"].as_i64().unwrap();
    let step = |body: &'static str| {
        let app = &app;
        async move {
            app.json(
                "POST",
                &format!("/api/v1/procedures/{p}/etapes"),
                None,
                Some(body),
            )
            .await
        }
    };
    let a = step(r#"{"etape":"proposition","date":"2026-11-20"}"#).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let refus = step(r#"{"etape":"contrat","date":"2026-12-01","valeurs":{"duree":"30","gestion":"accompagnement"}}"#).await;
    assert_eq!(refus.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refus.content_type.starts_with("application/problem+json"));
    assert!(refus.body.contains("entre 6 et 24 mois"), "{}", refus.body);
    let a = step(r#"{"etape":"contrat","date":"2026-12-01","valeurs":{"duree":"12","gestion":"gestion_prestations"}}"#).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let v = json(&a);
    let regles: Vec<&str> = v["echeances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["regle"].as_str().unwrap())
        .collect();
    assert!(regles.contains(&"MASP_CONTRAT") && regles.contains(&"MASP_TOTAL"));

    // Her list through the API, far enough ahead to hold both.
    let l = app
        .json("GET", "/api/v1/echeances?jusqu_au=2031-01-01", None, None)
        .await;
    assert_eq!(l.status, StatusCode::OK, "{}", l.body);
    assert_eq!(json(&l)["total"], 2);
    let bad = app
        .json("GET", "/api/v1/echeances?jusqu_au=demain", None, None)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A rule without extension: refused in French, nothing changed.
    let contrat = v["echeances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["regle"] == "MASP_CONTRAT")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = app
        .json(
            "POST",
            &format!("/api/v1/procedures/{p}/echeances/{contrat}/prolongation"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("prolongation"));
}

#[tokio::test]
async fn the_diagnostic_period_of_a_vulnerable_person_is_extended_once_to_twelve_months() {
    let mut app = TestApp::new().await;
    let (_, p) = installer(&mut app, "rsa").await;
    for (etape, date) in [("ouverture", "2026-10-01"), ("vulnerabilite", "2026-10-05")] {
        let a = app
            .post(
                &format!("/procedures/{p}/etapes"),
                &[("etape", etape), ("date", date)],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    }
    let v = json(
        &app.json("GET", &format!("/api/v1/procedures/{p}"), None, None)
            .await,
    );
    let diag = v["echeances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["regle"] == "RSA_DIAG_VULN")
        .unwrap()
        .clone();
    assert_eq!(diag["echeance"], "2027-04-05");
    assert_eq!(diag["prolongeable"], true);
    let id = diag["id"].as_i64().unwrap();
    let a = app
        .post(&format!("/procedures/{p}/echeances/{id}/prolongation"), &[])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = app.get(&format!("/procedures/{p}")).await;
    assert!(page.body.contains("05/10/2027"), "{}", page.body);
    let again = app
        .post(&format!("/procedures/{p}/echeances/{id}/prolongation"), &[])
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("autre prolongation"));
}

#[tokio::test]
async fn another_mds_and_a_token_without_the_scope_reach_no_procedure() {
    let mut app = TestApp::new().await;
    let b = app.fx.seed_mds_b(app.db.store()).await;
    let (d, p) = installer(&mut app, "expulsion").await;
    let a = app
        .post(
            &format!("/procedures/{p}/etapes"),
            &[
                ("etape", "commandement_payer"),
                ("date", "2026-11-20"),
                ("bail", "depuis_2023"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    // An eviction leads to the FSL: the page links to the request and the household's budget.
    let page = app.get(&format!("/procedures/{p}")).await;
    assert!(
        page.body
            .contains(&format!("/dossiers/{d}/aides/nouvelle?fonds=fsl_maintien")),
        "{}",
        page.body
    );

    // The cadre of the same MDS reads it and lists its due date.
    app.login_as(Role::Cadre).await;
    assert_eq!(
        app.get(&format!("/procedures/{p}")).await.status,
        StatusCode::OK
    );
    let l = app.get("/echeances?horizon=mois").await;
    assert!(l.body.contains(&format!("/procedures/{p}")));

    // Social worker and cadre of MDS-B: refused, audited, nothing written, nothing listed.
    for role in [Role::TravailleurSocial, Role::Cadre] {
        app.login(b.email(role), PASSWORD).await;
        assert_eq!(
            app.get(&format!("/procedures/{p}")).await.status,
            StatusCode::FORBIDDEN
        );
        let w = app
            .post(
                &format!("/procedures/{p}/etapes"),
                &[("etape", "ccapex"), ("date", "2026-12-02")],
            )
            .await;
        assert_eq!(w.status, StatusCode::FORBIDDEN);
        let api = app
            .json("GET", &format!("/api/v1/procedures/{p}"), None, None)
            .await;
        assert_eq!(api.status, StatusCode::FORBIDDEN);
        assert!(api.content_type.starts_with("application/problem+json"));
        let api = app
            .json(
                "GET",
                &format!("/api/v1/dossiers/{d}/procedures"),
                None,
                None,
            )
            .await;
        assert_eq!(api.status, StatusCode::FORBIDDEN);
        let open = app
            .json(
                "POST",
                &format!("/api/v1/dossiers/{d}/procedures"),
                None,
                Some(r#"{"type":"rsa"}"#),
            )
            .await;
        assert_eq!(open.status, StatusCode::FORBIDDEN);
        let l = app.get("/echeances?horizon=mois").await;
        assert!(!l.body.contains(&format!("/procedures/{p}")));
        assert!(!l.body.contains("Insertion"));
        assert!(!l.body.contains("Yvonne"));
    }
    assert_eq!(etapes(&app, p).await, 1);
    let mut conn = app.db.store().read().await.unwrap();
    let refus = parcours_store::audit::list(
        &mut conn,
        "96",
        &parcours_store::audit::AuditFilter {
            record_type: Some("dossier".into()),
            record_id: Some(d.to_string()),
            ..Default::default()
        },
        1000,
        0,
    )
    .await
    .unwrap()
    .0
    .into_iter()
    .filter(|e| e.action == "refus")
    .count();
    assert!(refus >= 8, "{refus} refus audités");
    drop(conn);

    // A service account: no scope opens procedures or due dates.
    app.login_as(Role::Administrateur).await;
    let site = app.fx.site_a;
    let jeton = app
        .jeton_sites("portail", &["personnes:rechercher"], &[site])
        .await;
    app.cookie = None;
    app.csrf = None;
    for path in [
        format!("/api/v1/procedures/{p}"),
        format!("/api/v1/dossiers/{d}/procedures"),
        "/api/v1/echeances".to_string(),
        "/api/v1/echeances/retards".to_string(),
    ] {
        let a = app.json("GET", &path, Some(&jeton), None).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
    }
}

/// Runs the daily digest job with a local SMTP server.
async fn relances(app: &TestApp, port: u16) -> parcours_jobs::RunReport {
    let mut tx = app.db.store().begin().await.unwrap();
    parcours_store::jobs::enqueue(
        &mut tx,
        "96",
        parcours_jobs::echeances::relances::KIND,
        &serde_json::json!({ "departement_id": "96" }),
        1,
    )
    .await
    .unwrap();
    // Enqueued on the process's clock, run on the application's (set in the past): due now.
    parcours_store::raw_execute(
        &mut tx,
        "UPDATE jobs SET run_at = '2000-01-01T00:00:00.000000Z' WHERE status = 'en_attente'",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let settings = parcours_config::Settings {
        smtp: Some(parcours_config::SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            username: None,
            password: None,
            from: "ne-pas-repondre@cd96.test".into(),
            tls: false,
        }),
        ..parcours_config::Settings::default()
    };
    let ctx = parcours_jobs::JobContext {
        store: app.db.store().clone(),
        settings: std::sync::Arc::new(settings),
        clock: app.clock.clone(),
    };
    parcours_jobs::run_pending(&ctx, &parcours_jobs::Registry::standard())
        .await
        .expect("jobs")
}

#[tokio::test]
async fn the_daily_digest_warns_the_referent_the_cadre_and_the_direction_once_without_naming_anyone(
) {
    let mut app = TestApp::new().await;
    let b = app.fx.seed_mds_b(app.db.store()).await;
    let (_, p) = installer(&mut app, "rsa").await;
    // Opened on 1 October: the orientation was due on 12 November.
    let a = app
        .post(
            &format!("/procedures/{p}/etapes"),
            &[("etape", "ouverture"), ("date", "2026-10-01")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let sink = parcours_test_support::smtp::SmtpSink::start().await;
    let r = relances(&app, sink.port).await;
    assert_eq!((r.succeeded, r.failed), (1, 0));
    let recus = sink.recus();
    let pour = |email: &str| {
        recus
            .iter()
            .filter(|c| c.to.iter().any(|t| t == email))
            .count()
    };
    assert_eq!(pour(app.fx.email(Role::TravailleurSocial)), 1);
    assert_eq!(pour(app.fx.email(Role::Cadre)), 1);
    assert_eq!(pour(app.fx.email(Role::Direction)), 1);
    assert_eq!(pour(b.email(Role::TravailleurSocial)), 0);
    assert_eq!(pour(b.email(Role::Cadre)), 0, "le cadre d'une autre MDS");
    for c in &recus {
        assert!(
            !c.data.contains("Insertion") && !c.data.contains("Yvonne"),
            "{}",
            c.data
        );
    }
    // Once a day.
    relances(&app, sink.port).await;
    assert_eq!(sink.recus().len(), recus.len());
}

#[tokio::test]
async fn a_referent_at_the_rsa_cap_is_named_again_only_with_a_reason() {
    let mut app = TestApp::with_settings(|s| s.rsa_plafond_referent = 1).await;
    let (d, _) = installer(&mut app, "rsa").await;
    let me = app.fx.agent(Role::TravailleurSocial).to_string();
    let refus = app
        .post(
            &format!("/dossiers/{d}/procedures"),
            &[("type", "rsa"), ("referent", &me)],
        )
        .await;
    assert_eq!(refus.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refus.body.contains("plafond de 1"), "{}", refus.body);
    let api = app
        .json(
            "POST",
            &format!("/api/v1/dossiers/{d}/procedures"),
            None,
            Some(r#"{"type":"rsa"}"#),
        )
        .await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(api.body.contains("motif_depassement"));
    // A MASP is not counted against the RSA cap.
    let masp = app
        .post(
            &format!("/dossiers/{d}/procedures"),
            &[("type", "masp"), ("referent", &me)],
        )
        .await;
    assert_eq!(masp.status, StatusCode::SEE_OTHER);
    let ok = app
        .post(
            &format!("/dossiers/{d}/procedures"),
            &[
                ("type", "rsa"),
                ("referent", &me),
                (
                    "motif_depassement",
                    "Absence longue d'une collègue du secteur",
                ),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test]
async fn the_rsa_figures_judge_the_delays_by_the_law_and_export_with_their_definitions() {
    let mut app = TestApp::new().await;
    let (_, p) = installer(&mut app, "rsa").await;
    for fields in [
        vec![("etape", "ouverture"), ("date", "2026-10-01")],
        vec![
            ("etape", "orientation"),
            ("date", "2026-11-05"),
            ("parcours", "social"),
        ],
        vec![
            ("etape", "contrat"),
            ("date", "2026-11-20"),
            ("heures", "15"),
        ],
    ] {
        let a = app.post(&format!("/procedures/{p}/etapes"), &fields).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    }
    // The social worker sees no figures; her cadre does, for her MDS.
    assert_eq!(
        app.get("/procedures/chiffres").await.status,
        StatusCode::FORBIDDEN
    );
    app.login_as(Role::Cadre).await;
    let page = app.get("/procedures/chiffres").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg"));
    assert!(page.body.contains("35,0 j"), "{}", page.body);
    assert!(page.body.contains("100,0 %"));
    assert!(page.body.contains("social 1"));
    // By month: opened in October; the orientation due in November and the contract due in December
    // were both met on time.
    assert!(page.body.contains("oct. 2026"));
    assert_eq!(
        page.body.matches("1 / 1 (100,0 %)").count(),
        2,
        "{}",
        page.body
    );
    let csv = app.get("/procedures/chiffres.csv").await;
    assert!(
        csv.body
            .contains("Total;1;100,0 %;35,0;100,0 %;1;15,0;100,0 %;social 1"),
        "{}",
        csv.body
    );
    let xlsx = app.get("/procedures/chiffres.xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.content_type.contains("spreadsheetml"));
    app.login_as(Role::Direction).await;
    assert_eq!(app.get("/procedures/chiffres").await.status, StatusCode::OK);
}
