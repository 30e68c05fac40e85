//! Appui technique d'accueil and duty roster through the real router, on SQLite or PostgreSQL: a desk
//! contact asking for support fills the site's queue in the same transaction, a social worker takes
//! and closes it, the desk may not; the cadre's roster names who is on duty; the API and a service
//! account's scopes.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use parcours_domain::accueil::appui::{self, DemiJournee, RoleTableau, StatutAppui};
use parcours_domain::habilitations::Role;
use parcours_store::appui as store;

async fn file(app: &TestApp) -> Vec<store::Appui> {
    let mut conn = app.db.store().read().await.unwrap();
    store::file(
        &mut conn,
        "96",
        app.fx.site_a,
        parcours_store::clock().today(),
    )
    .await
    .unwrap()
}

fn contact<'a>(reponse: &'a str, motif: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("canal", "visite"),
        ("date", ""),
        ("heure", ""),
        ("personne_id", "anonyme"),
        ("typologie", "acces_droits"),
        ("reponse", reponse),
        ("attente", ""),
        ("partenaire", ""),
        ("motif_appui", motif),
    ]
}

/// Fills date and time with now, the place with MDS-A.
async fn post_contact(app: &TestApp, reponse: &str, motif: &str) -> common::Answer {
    let now = parcours_store::clock().maintenant();
    let (d, h) = (
        now.format("%d/%m/%Y").to_string(),
        now.format("%H:%M").to_string(),
    );
    let lieu = format!("site-{}", app.fx.site_a);
    let mut f = contact(reponse, motif);
    f[1] = ("date", &d);
    f[2] = ("heure", &h);
    f.push(("lieu", &lieu));
    app.post("/accueil/contacts/nouveau", &f).await
}

#[tokio::test]
async fn a_support_request_from_the_desk_is_taken_and_closed_by_a_social_worker() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Accueil).await;

    // Without its reason: a message beside the field, neither the contact nor the request written.
    let missing = post_contact(&app, "appui_technique", "").await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.body.contains("Choisissez le motif de l&#39;appui")
            || missing.body.contains("Choisissez le motif de l'appui")
    );
    assert!(file(&app).await.is_empty());

    let ok = post_contact(&app, "appui_technique", "agressivite").await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let queue = file(&app).await;
    assert_eq!(queue.len(), 1);
    let id = queue[0].id;
    assert_eq!(queue[0].statut, StatutAppui::EnAttente);
    assert!(queue[0].contact_id.is_some());

    // The desk sees the queue, may not take the request, may cancel it.
    let page = app.get("/accueil/appui").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Personne très insistante ou agressive"));
    assert!(!page.body.contains("Je prends"));
    assert_eq!(
        app.post(&format!("/accueil/appui/{id}/prendre"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    app.login_as(Role::TravailleurSocial).await;
    let page = app.get("/accueil/appui").await;
    assert!(page.body.contains("Je prends"));
    let took = app.post(&format!("/accueil/appui/{id}/prendre"), &[]).await;
    assert_eq!(took.status, StatusCode::SEE_OTHER, "{}", took.body);
    // Taken twice: a clear refusal, not an error page.
    let again = app.post(&format!("/accueil/appui/{id}/prendre"), &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("déjà été prise en charge"));
    let no_issue = app
        .post(&format!("/accueil/appui/{id}/clore"), &[("issue", "")])
        .await;
    assert_eq!(no_issue.status, StatusCode::UNPROCESSABLE_ENTITY);
    let closed = app
        .post(
            &format!("/accueil/appui/{id}/clore"),
            &[("issue", "entretien")],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    let a = &file(&app).await[0];
    assert_eq!(a.statut, StatutAppui::Clos);
    assert_eq!(a.pris_par_id, Some(app.fx.agent(Role::TravailleurSocial)));

    // A site out of reach: not found. Another role: refused.
    assert_eq!(
        app.get(&format!("/accueil/appui?site={}", app.fx.site_b))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    app.login_as(Role::Direction).await;
    assert_eq!(
        app.get("/accueil/appui").await.status,
        StatusCode::FORBIDDEN
    );

    // Every step is in the audit log.
    let mut conn = app.db.store().read().await.unwrap();
    let (_, n) = parcours_store::audit::list(
        &mut conn,
        "96",
        &parcours_store::audit::AuditFilter {
            record_type: Some("appui_demande".into()),
            ..Default::default()
        },
        100,
        0,
    )
    .await
    .unwrap();
    assert_eq!(n, 3, "création, prise, clôture");
}

#[tokio::test]
async fn the_cadre_draws_up_the_roster_and_the_queue_shows_who_is_on_duty() {
    let mut app = TestApp::new().await;
    let ts = app.fx.agent(Role::TravailleurSocial);
    let now = parcours_store::clock().maintenant();
    let lundi = appui::lundi(now.date());
    let semaine = lundi.to_string();
    let site = app.fx.site_a.to_string();
    let ts_s = ts.to_string();

    app.login_as(Role::TravailleurSocial).await;
    let denied = app
        .post(
            "/accueil/tableau",
            &[("site", &site), ("semaine", &semaine)],
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    app.login_as(Role::Cadre).await;
    let page = app
        .get(&format!("/accueil/tableau?site={site}&semaine={semaine}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Enregistrer le tableau"));
    // An agent who is not a social worker of the site: a message on that cell, nothing saved.
    let jour = if (now.date() - lundi).num_days() < 5 {
        now.date()
    } else {
        lundi
    };
    let cell = appui::champ(
        jour,
        DemiJournee::of(now.time()),
        RoleTableau::PremierAccueil,
    );
    let intrus = app.fx.agent(Role::Accueil).to_string();
    let bad = app
        .post(
            "/accueil/tableau",
            &[("site", &site), ("semaine", &semaine), (&cell, &intrus)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad
        .body
        .contains("Choisissez un travailleur social de ce site"));
    let mut conn = app.db.store().read().await.unwrap();
    assert!(store::tableau(&mut conn, "96", app.fx.site_a, lundi, 7)
        .await
        .unwrap()
        .is_empty());
    drop(conn);

    let saved = app
        .post(
            "/accueil/tableau",
            &[("site", &site), ("semaine", &semaine), (&cell, &ts_s)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let api = app
        .json(
            "GET",
            &format!("/api/v1/accueil/tableau?site={site}&du={semaine}"),
            None,
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(v[0]["agent_id"], ts);
    assert_eq!(v[0]["role"], "premier_accueil");
    if jour == now.date() {
        let queue = app.get("/accueil/appui").await;
        assert!(
            queue.body.contains("TS de premier accueil"),
            "{}",
            queue.body
        );
    }
}

#[tokio::test]
async fn the_api_records_desk_contacts_and_moves_support_requests() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Accueil).await;
    let lieu = format!("site-{}", app.fx.site_a);
    let body = serde_json::json!({
        "canal": "telephone", "lieu": lieu, "typologie": "logement",
        "reponse": "appui_technique", "motif_appui": "urgence"
    })
    .to_string();
    let created = app
        .json("POST", "/api/v1/accueil/contacts", None, Some(&body))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let bad = serde_json::json!({ "canal": "pigeon", "lieu": lieu, "typologie": "x", "reponse": "orientation" })
        .to_string();
    let refused = app
        .json("POST", "/api/v1/accueil/contacts", None, Some(&bad))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.content_type.starts_with("application/problem+json"));
    assert!(refused.body.contains("partenaire"), "{}", refused.body);

    let list = app
        .json(
            "GET",
            &format!("/api/v1/accueil/contacts?site={}", app.fx.site_a),
            None,
            None,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("\"total\":1"), "{}", list.body);
    let out_of_reach = app
        .json(
            "GET",
            &format!("/api/v1/accueil/contacts?site={}", app.fx.site_b),
            None,
            None,
        )
        .await;
    assert_eq!(out_of_reach.status, StatusCode::NOT_FOUND);

    let queue = app
        .json(
            "GET",
            &format!("/api/v1/accueil/appuis?site={}", app.fx.site_a),
            None,
            None,
        )
        .await;
    let v: serde_json::Value = serde_json::from_str(&queue.body).unwrap();
    assert_eq!(v[0]["urgent"], true, "an emergency jumps the queue");
    let id = v[0]["id"].as_i64().unwrap();
    // The desk may not take it through the API either.
    let take = r#"{"geste":"prendre"}"#;
    let denied = app
        .json(
            "POST",
            &format!("/api/v1/accueil/appuis/{id}"),
            None,
            Some(take),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    app.login_as(Role::TravailleurSocial).await;
    let taken = app
        .json(
            "POST",
            &format!("/api/v1/accueil/appuis/{id}"),
            None,
            Some(take),
        )
        .await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.body);
    assert!(taken.body.contains("\"statut\":\"pris_en_charge\""));
    let twice = app
        .json(
            "POST",
            &format!("/api/v1/accueil/appuis/{id}"),
            None,
            Some(take),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_service_account_books_with_its_scopes_and_nothing_more() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let site = app.fx.site_a;
    let secret = app
        .jeton_sites("Prise de rendez-vous en ligne", &["creneaux:lire"], &[site])
        .await;
    let anon = TestApp {
        cookie: None,
        csrf: None,
        ..app
    };
    let slots = anon
        .json(
            "GET",
            &format!(
                "/api/v1/creneaux?secteur_id={}&type=suivi&nombre=1",
                anon.fx.secteur_a
            ),
            Some(&secret),
            None,
        )
        .await;
    assert_eq!(slots.status, StatusCode::OK, "{}", slots.body);
    // Free slots only: neither the appointments (which name persons) nor the desk log.
    for path in [
        "/api/v1/rendez-vous".to_string(),
        format!("/api/v1/accueil/contacts?site={}", anon.fx.site_a),
    ] {
        let denied = anon.json("GET", &path, Some(&secret), None).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN, "{path}");
    }
}
