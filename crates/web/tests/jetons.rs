//! Service accounts through the real router: a token acts on the sites chosen for it and no other
//! (none chosen: no site at all), learns that a person exists but never their name, never creates an
//! administrator, a DPO or a direction account, and reads `/metrics` with its bearer (problem+json,
//! never the sign-in page).

mod common;

use axum::http::StatusCode;
use chrono::Duration;
use common::TestApp;
use parcours_domain::agenda::{heure, StatutRdv};
use parcours_domain::habilitations::Role;
use parcours_domain::personnes::{NewPersonne, PersonneForm};
use parcours_domain::referentiel::ServiceKind;

async fn personne(app: &TestApp, nom: &str, prenoms: &str) -> i64 {
    let mut tx = app.db.store().begin().await.unwrap();
    let form = PersonneForm {
        nom_naissance: nom.into(),
        prenoms: prenoms.into(),
        ..PersonneForm::default()
    };
    let p = NewPersonne::parse(&form, parcours_store::clock().today()).expect("personne valide");
    let id = parcours_store::personnes::create(&mut tx, "96", &p)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// The social worker of MDS-A opens plages every day from 8:00 to 20:00 at MDS-A.
async fn plages(app: &mut TestApp) -> i64 {
    app.login_as(Role::TravailleurSocial).await;
    let ts = app.fx.agent(Role::TravailleurSocial);
    let site = app.fx.site_a.to_string();
    for jour in 1..=7 {
        let a = app
            .post(
                &format!("/agenda/agents/{ts}/plages"),
                &[
                    ("jour", &jour.to_string()),
                    ("debut", "08:00"),
                    ("fin", "20:00"),
                    ("nature", "rendez_vous"),
                    ("site_id", &site),
                    ("permanence_id", ""),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    }
    ts
}

fn without_session(app: TestApp) -> TestApp {
    TestApp {
        cookie: None,
        csrf: None,
        ..app
    }
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("JSON attendu ({e}) : {body}"))
}

#[tokio::test]
async fn a_booking_token_acts_on_its_sites_only_and_never_learns_a_name() {
    let mut app = TestApp::new().await;
    let ts = plages(&mut app).await;
    let p = personne(&app, "ROUSSELIN", "Apolline").await;
    app.login_as(Role::Administrateur).await;
    let site_a = app.fx.site_a;
    let site_b = app.fx.site_b;
    let portail_a = app
        .jeton_sites("Portail MDS-A", &["rendez-vous:gerer"], &[site_a])
        .await;
    let portail_b = app
        .jeton_sites("Portail MDS-B", &["rendez-vous:gerer"], &[site_b])
        .await;
    let sans_site = app.jeton("Portail sans site", &["rendez-vous:gerer"]).await;
    // The tokens page says which sites each token acts on.
    let page = app.get("/admin/jetons").await;
    assert!(
        page.body.contains("<td>MDS de Brielle</td>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<td>aucun</td>"), "{}", page.body);
    let app = without_session(app);

    let demain = (parcours_store::clock().today() + Duration::days(1)).to_string();
    let body = serde_json::json!({ "personne_id": p.to_string(), "agent_id": ts.to_string(), "type": "suivi", "date": demain, "heure": "11:00" }).to_string();
    // A token of another site, or of no site, books nothing at MDS-A and learns no name.
    for secret in [&portail_b, &sans_site] {
        let refused = app
            .json("POST", "/api/v1/rendez-vous", Some(secret), Some(&body))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert!(refused.content_type.starts_with("application/problem+json"));
        assert!(!refused.body.contains("ROUSSELIN"), "{}", refused.body);
    }
    let mut conn = app.db.store().read().await.unwrap();
    let (rows, _) = parcours_store::agenda::list(
        &mut conn,
        "96",
        &parcours_store::agenda::RdvFilter::default(),
        10,
        0,
    )
    .await
    .unwrap();
    drop(conn);
    assert!(rows.is_empty(), "nothing booked by a token of another site");

    // Its own site: booked, and the answer gives the person's id, never the name.
    let created = app
        .json("POST", "/api/v1/rendez-vous", Some(&portail_a), Some(&body))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert!(!created.body.contains("ROUSSELIN") && !created.body.contains("Apolline"));
    let v = json(&created.body);
    assert_eq!(v["personne_id"], p);
    assert!(v["personne"].is_null(), "{v}");
    let id = v["id"].as_i64().unwrap();

    // Another site's token cannot change its status nor move it (as if it did not exist).
    let statut = r#"{"statut":"annule"}"#;
    for path in [
        format!("/api/v1/rendez-vous/{id}/statut"),
        format!("/api/v1/rendez-vous/{id}/deplacement"),
    ] {
        let body = if path.ends_with("statut") {
            statut.to_string()
        } else {
            serde_json::json!({ "date": demain, "heure": "14:00" }).to_string()
        };
        for secret in [&portail_b, &sans_site] {
            let a = app.json("POST", &path, Some(secret), Some(&body)).await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "{path} {}", a.body);
            assert!(a.content_type.starts_with("application/problem+json"));
        }
    }
    let mut conn = app.db.store().read().await.unwrap();
    let r = parcours_store::agenda::get(&mut conn, "96", id)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(r.statut, StatutRdv::Prevu);
    assert_eq!(heure::format(r.debut), format!("{demain}T11:00"));

    // Its own token changes it, still without the name.
    let a = app
        .json(
            "POST",
            &format!("/api/v1/rendez-vous/{id}/statut"),
            Some(&portail_a),
            Some(statut),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(!a.body.contains("ROUSSELIN"));
}

#[tokio::test]
async fn a_search_token_learns_existence_and_the_services_never_a_name() {
    let mut app = TestApp::new().await;
    let p = personne(&app, "ROUSSELIN", "Apolline").await;
    app.login_as(Role::Administrateur).await;
    let secret = app
        .jeton_sites(
            "Plateforme CAF",
            &["personnes:rechercher"],
            &[app.fx.site_a],
        )
        .await;
    let app = without_session(app);
    let found = app
        .json("GET", "/api/v1/personnes?q=rousselin", Some(&secret), None)
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    let v = json(&found.body);
    let hit = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == p)
        .expect("the person is known");
    assert_eq!(hit["acces"], "existence");
    assert!(hit["nom"].is_null(), "{hit}");
    assert!(hit["date_naissance"].is_null());
    assert!(hit["suivie_par"].is_array());
    assert!(
        !found.body.contains("ROUSSELIN") && !found.body.contains("Apolline"),
        "{}",
        found.body
    );
    // The fiche stays closed to a token.
    let fiche = app
        .json(
            "GET",
            &format!("/api/v1/personnes/{p}"),
            Some(&secret),
            None,
        )
        .await;
    assert_eq!(fiche.status, StatusCode::FORBIDDEN);
    assert!(!fiche.body.contains("ROUSSELIN"));
}

#[tokio::test]
async fn an_agents_token_never_creates_an_administrator_a_dpo_or_a_direction() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let site_a = app.fx.site_a;
    let site_b = app.fx.site_b;
    let secret = app.jeton_sites("SIRH", &["agents:ecrire"], &[site_a]).await;
    let app = without_session(app);
    let service = app.fx.service(ServiceKind::ServiceSocial);
    let agent = |matricule: &str, role: &str, site: i64| {
        serde_json::json!({
            "matricule": matricule,
            "prenom": "Irène",
            "nom": "Valmont",
            "email": format!("{}@cd96.test", matricule.to_lowercase()),
            "metier": "ASS",
            "role": role,
            "service_id": service.to_string(),
            "site_id": site.to_string(),
            "secteur_id": "",
            "etp": "1",
        })
        .to_string()
    };
    for (i, role) in ["administrateur", "dpo", "direction"]
        .into_iter()
        .enumerate()
    {
        let a = app
            .json(
                "POST",
                "/api/v1/agents",
                Some(&secret),
                Some(&agent(&format!("ESC{i}"), role, site_a)),
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{role} : {}", a.body);
        assert!(a.content_type.starts_with("application/problem+json"));
        assert!(json(&a.body)["erreurs"]["role"].is_string(), "{}", a.body);
    }
    // Nor an agent of a site the token does not act on.
    let other = app
        .json(
            "POST",
            "/api/v1/agents",
            Some(&secret),
            Some(&agent("ESC9", "travailleur_social", site_b)),
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "{}", other.body);
    let mut conn = app.db.store().read().await.unwrap();
    let (agents, _) = parcours_store::agents::list(
        &mut conn,
        "96",
        &parcours_store::agents::AgentFilter {
            texte: Some("valmont".into()),
            ..Default::default()
        },
        parcours_store::agents::AgentSort::Nom,
        10,
        0,
    )
    .await
    .unwrap();
    drop(conn);
    assert!(agents.is_empty(), "nothing created: {agents:?}");
    // A social worker of its site: created.
    let ok = app
        .json(
            "POST",
            "/api/v1/agents",
            Some(&secret),
            Some(&agent("TS42", "travailleur_social", site_a)),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
}

#[tokio::test]
async fn a_metrics_token_reads_metrics_with_its_bearer_and_others_get_problems_not_a_login_page() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let metriques = app.jeton("Prometheus", &["metriques:lire"]).await;
    let autre = app.jeton("CAF", &["referentiel:lire"]).await;
    let app = without_session(app);
    let ok = app.json("GET", "/metrics", Some(&metriques), None).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?} {}", ok.location, ok.body);
    assert!(ok.content_type.starts_with("text/plain"));
    let denied = app.json("GET", "/metrics", Some(&autre), None).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert!(denied.location.is_none());
    assert!(denied.content_type.starts_with("application/problem+json"));
    let unknown = app.json("GET", "/metrics", Some("prc_inconnu"), None).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(unknown.content_type.starts_with("application/problem+json"));
    // A browser without a session is still sent to the sign-in page.
    let browser = app.get("/metrics").await;
    assert_eq!(browser.status, StatusCode::SEE_OTHER);
}
