//! HTTP behaviour through the real router: sign-in and its delay after failures, CSRF, forms that keep what was typed,
//! bad input in French, tenant and territorial isolation, API tokens and problem+json, the audit trail.

mod common;

use axum::http::StatusCode;
use common::{csrf_of, TestApp};
use parcours_domain::habilitations::Role;
use parcours_store::audit::AuditFilter;

#[tokio::test]
async fn a_wrong_password_keeps_the_email_and_says_so_in_french() {
    let mut app = TestApp::new().await;
    let email = app.fx.email(Role::Cadre).to_string();
    let a = app.login(&email, "Mauvais-Mot-2026!").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a
        .body
        .contains("Adresse électronique ou mot de passe incorrect."));
    assert!(
        a.body.contains(&format!("value=\"{email}\"")),
        "the typed e-mail is kept"
    );
    assert!(a.set_cookie.is_none());
}

#[tokio::test]
async fn an_account_is_delayed_after_repeated_failures_even_with_the_right_password() {
    let mut app = TestApp::with_settings(|s| s.max_failed_logins = 3).await;
    let email = app.fx.email(Role::Accueil).to_string();
    for _ in 0..3 {
        app.login(&email, "Mauvais-Mot-2026!").await;
    }
    let a = app.login(&email, parcours_test_support::PASSWORD).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body
            .contains("Adresse électronique ou mot de passe incorrect."),
        "the same answer as a wrong password: {}",
        a.body
    );
    let mut conn = app.db.store().read().await.unwrap();
    let (entries, _) = parcours_store::audit::list(
        &mut conn,
        "96",
        &AuditFilter {
            record_type: Some("agent".into()),
            record_id: Some(app.fx.agent(Role::Accueil).to_string()),
            ..Default::default()
        },
        50,
        0,
    )
    .await
    .unwrap();
    assert!(
        entries.iter().any(|e| e.action == "connexion_differee"),
        "the refused attempt is audited"
    );
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_and_nothing_is_written() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let pairs = vec![
        ("code".to_string(), "UTASI-X".to_string()),
        ("nom".to_string(), "X".to_string()),
        ("kind".to_string(), "UTASI".to_string()),
    ];
    let a = app
        .post_raw("/referentiel/territoires/nouveau", &pairs)
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("jeton de sécurité"));
    let list = app.get("/referentiel/territoires").await;
    assert!(!list.body.contains("UTASI-X"));
}

#[tokio::test]
async fn an_invalid_form_comes_back_with_what_was_typed_and_a_message_per_field() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let a = app
        .post(
            "/referentiel/sites/nouveau",
            &[
                ("code", "mds-z"),
                ("nom", ""),
                ("kind", "MDS"),
                ("adresse", "3 rue Haute"),
                ("commune_insee", "123"),
                ("territoire_id", ""),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("value=\"mds-z\""), "code kept as typed");
    assert!(a.body.contains("value=\"3 rue Haute\""), "address kept");
    for id in ["nom-erreur", "commune_insee-erreur", "territoire_id-erreur"] {
        assert!(a.body.contains(&format!("id=\"{id}\"")), "message for {id}");
    }
    assert!(
        a.body.contains("rien n&#x27;a été enregistré")
            || a.body.contains("rien n'a été enregistré")
    );
}

#[tokio::test]
async fn a_duplicate_code_is_reported_beside_the_field() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let first = app
        .post(
            "/referentiel/territoires/nouveau",
            &[("code", "UTASI-Z"), ("nom", "Zénith"), ("kind", "UTASI")],
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let again = app
        .post(
            "/referentiel/territoires/nouveau",
            &[("code", "UTASI-Z"), ("nom", "Autre"), ("kind", "UTASI")],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("déjà utilisée"));
}

#[tokio::test]
async fn closing_a_territoire_keeps_it_readable_and_is_audited() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let id = app.fx.territoire_b;
    let a = app
        .post(&format!("/referentiel/territoires/{id}/fermer"), &[])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let page = app.get(&format!("/referentiel/territoires/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Fermé le"));
    let mut conn = app.db.store().read().await.unwrap();
    let (entries, _) = parcours_store::audit::list(
        &mut conn,
        "96",
        &AuditFilter {
            record_type: Some("territoire".into()),
            ..Default::default()
        },
        10,
        0,
    )
    .await
    .unwrap();
    assert!(entries
        .iter()
        .any(|e| e.action == "fermeture" && e.record_id == id.to_string()));
}

#[tokio::test]
async fn unknown_pages_and_malformed_ids_answer_a_french_404() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    for path in [
        "/nulle-part",
        "/agents/abc",
        "/referentiel/planetes",
        "/referentiel/sites/999999",
    ] {
        let a = app.get(path).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert!(a.body.contains("Page introuvable"), "{path}");
    }
}

#[tokio::test]
async fn an_oversized_body_is_refused_in_french() {
    let mut app = TestApp::with_settings(|s| s.max_body_bytes = 2_000).await;
    app.login_as(Role::Administrateur).await;
    let big = "x".repeat(10_000);
    let a = app
        .post(
            "/referentiel/territoires/nouveau",
            &[("code", "A"), ("nom", &big), ("kind", "UTASI")],
        )
        .await;
    assert!(
        a.status == StatusCode::PAYLOAD_TOO_LARGE || a.status == StatusCode::BAD_REQUEST,
        "{}",
        a.status
    );
    assert!(
        a.body.contains("taille autorisée") || a.body.contains("volumineux"),
        "{}",
        a.body
    );
}

#[tokio::test]
async fn a_csv_in_latin1_is_refused_as_a_whole_and_nothing_is_written() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let a = app
        .upload(
            "/referentiel/import",
            "communes",
            "communes.csv",
            b"insee,nom,codes_postaux,population,secteur\n96010,D\xe9partement,96100,10,\n",
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("UTF-8"));
    let page = app.get("/referentiel/communes?texte=96010").await;
    assert!(page.body.contains("Aucune commune ne correspond"));
}

#[tokio::test]
async fn a_csv_import_is_previewed_with_its_rejected_lines_then_applied() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let csv = "insee,nom,codes_postaux,population,secteur\n96010,Vaux-Neuf,96100,1200,SEC-A1\n96011,Nulle,96100,10,SEC-ZZ\n12345,Ailleurs,12000,10,\n";
    let a = app
        .upload(
            "/referentiel/import",
            "communes",
            "communes.csv",
            csv.as_bytes(),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let preview_path = a.location.unwrap();
    let preview = app.get(&preview_path).await;
    assert!(preview.body.contains("Vaux-Neuf"));
    assert!(preview.body.contains("secteur « SEC-ZZ » inconnu"));
    assert!(preview.body.contains("appartient pas au département 96"));
    // Nothing written before confirmation.
    assert!(app
        .get("/referentiel/communes?texte=Vaux-Neuf")
        .await
        .body
        .contains("Aucune commune ne correspond"));
    let applied = app.post(&format!("{preview_path}/appliquer"), &[]).await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER);
    assert!(app
        .get("/referentiel/communes?texte=Vaux-Neuf")
        .await
        .body
        .contains("96010"));
    let twice = app.post(&format!("{preview_path}/appliquer"), &[]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn an_address_resolves_to_its_secteur_by_commune() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Accueil).await;
    let a = app.get("/referentiel/resolution?commune=96001").await;
    assert!(a.body.contains("SEC-A1"), "{}", a.body);
    let api = app
        .json("GET", "/api/v1/communes/96003/secteur", None, None)
        .await;
    assert_eq!(api.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(v["secteur"]["code"], "SEC-B1");
}

#[tokio::test]
async fn a_cadre_sees_only_the_agents_of_their_site() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Cadre).await;
    let own = app
        .get(&format!("/agents/{}", app.fx.agent(Role::Accueil)))
        .await;
    assert_eq!(own.status, StatusCode::OK);
    let other = app
        .get(&format!("/agents/{}", app.fx.agent(Role::EquipeCentrale)))
        .await;
    assert_eq!(
        other.status,
        StatusCode::NOT_FOUND,
        "outside the cadre's sites the record does not exist for them"
    );
    let list = app.get("/agents").await;
    assert!(!list.body.contains("T0004"));
}

#[tokio::test]
async fn another_departements_administrator_cannot_reach_this_departements_records() {
    let mut app = TestApp::new().await;
    let other = parcours_test_support::Fixture::seed_other(app.db.store()).await;
    app.login(&other.admin_email, parcours_test_support::PASSWORD)
        .await;
    let a = app
        .get(&format!("/agents/{}", app.fx.agent(Role::Accueil)))
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let t = app
        .get(&format!("/referentiel/territoires/{}", app.fx.territoire_a))
        .await;
    assert_eq!(t.status, StatusCode::NOT_FOUND);
    let list = app.get("/referentiel/communes").await;
    assert!(!list.body.contains("96001"));
}

#[tokio::test]
async fn a_session_idle_too_long_ends_and_asks_to_sign_in_again() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Accueil).await;
    assert_eq!(app.get("/").await.status, StatusCode::OK);
    let mut tx = app.db.store().begin().await.unwrap();
    parcours_store::raw_execute(
        &mut tx,
        "UPDATE sessions SET last_seen_at = '2000-01-01T00:00:00.000000Z'",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let a = app.get("/").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(a.location.unwrap().contains("message=expire"));
}

#[tokio::test]
async fn an_api_token_reads_within_its_scopes_only_and_stops_when_revoked() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let secret = app.jeton("CAF — échanges", &["referentiel:lire"]).await;
    let anon = TestApp {
        cookie: None,
        csrf: None,
        ..app
    };
    let ok = anon
        .json("GET", "/api/v1/territoires", Some(&secret), None)
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let denied = anon
        .json("GET", "/api/v1/agents", Some(&secret), None)
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert!(denied.content_type.starts_with("application/problem+json"));
    let write = anon
        .json(
            "POST",
            "/api/v1/territoires",
            Some(&secret),
            Some(r#"{"code":"X","nom":"X","kind":"UTASI"}"#),
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    let bad = anon
        .json("GET", "/api/v1/territoires", Some("prc_inconnu"), None)
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn invalid_api_json_gets_a_french_problem_and_nothing_is_written() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let broken = app
        .json("POST", "/api/v1/territoires", None, Some("{\"code\": "))
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert!(broken.content_type.starts_with("application/problem+json"));
    assert!(broken.body.contains("JSON mal formé"));
    let invalid = app
        .json(
            "POST",
            "/api/v1/territoires",
            None,
            Some(r#"{"code":"", "nom":"", "kind":"PAYS"}"#),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    let v: serde_json::Value = serde_json::from_str(&invalid.body).unwrap();
    assert!(v["erreurs"]["nom"]
        .as_str()
        .unwrap()
        .contains("obligatoire"));
    let unknown = app.json("GET", "/api/v1/rien", None, None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.content_type.starts_with("application/problem+json"));
    let list = app.json("GET", "/api/v1/territoires", None, None).await;
    let v: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2, "nothing was created");
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_the_api() {
    let app = TestApp::new().await;
    let a = app.get("/api/v1/openapi.json").await;
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert!(v["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/territoires",
        "/api/v1/agents",
        "/api/v1/communes/{insee}/secteur",
    ] {
        assert!(v["paths"].get(path).is_some(), "{path}");
    }
}

#[tokio::test]
async fn reading_a_staff_record_and_a_refused_access_are_in_the_audit_log() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let id = app.fx.agent(Role::TravailleurSocial);
    app.get(&format!("/agents/{id}")).await;
    app.login_as(Role::Accueil).await;
    assert_eq!(app.get("/audit").await.status, StatusCode::FORBIDDEN);
    app.login_as(Role::Dpo).await;
    let page = app
        .get(&format!(
            "/audit?type_enregistrement=agent&enregistrement={id}"
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("a lu la fiche d"), "{}", page.body);
    let refus = app.get("/audit?type_enregistrement=route").await;
    assert!(refus.body.contains("refus") && refus.body.contains("GET /audit"));
    assert!(csrf_of(&page.body).is_some());
}

#[tokio::test]
async fn a_new_agent_is_created_with_post_and_etp_then_closed_and_cannot_sign_in() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let service = app
        .fx
        .service(parcours_domain::referentiel::ServiceKind::ServiceSocial)
        .to_string();
    let site = app.fx.site_a.to_string();
    let a = app
        .post(
            "/agents/nouveau",
            &[
                ("matricule", "N0001"),
                ("prenom", "Zoé"),
                ("nom", "Essai"),
                ("email", "zoe.essai@cd96.test"),
                ("metier", "CESF"),
                ("role", "travailleur_social"),
                ("service_id", &service),
                ("site_id", &site),
                ("etp", "0,8"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let path = a.location.unwrap().split('?').next().unwrap().to_string();
    let page = app.get(&path).await;
    assert!(page.body.contains("0,8"));
    let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    app.post(
        &format!("/agents/{id}/mot-de-passe"),
        &[
            ("mot_de_passe", "Rivage-Clair-77!"),
            ("confirmation", "Rivage-Clair-77!"),
        ],
    )
    .await;
    assert_eq!(
        app.post(&format!("/agents/{id}/fermer"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let login = app.login("zoe.essai@cd96.test", "Rivage-Clair-77!").await;
    assert_eq!(
        login.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a closed record cannot sign in"
    );
}

#[tokio::test]
async fn an_oversized_or_unexpected_api_request_is_a_french_problem_and_a_page_a_french_page() {
    use axum::body::Body;
    use axum::http::{header, Request};
    let mut app = TestApp::with_settings(|s| s.max_body_bytes = 2_000).await;
    let big = "x".repeat(10_000);
    // A client announces the length: the body limit answers before any handler runs.
    let api = app
        .send(
            Request::post("/api/v1/territoires")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, big.len())
                .body(Body::from(big.clone()))
                .unwrap(),
        )
        .await;
    assert_eq!(api.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        api.content_type.starts_with("application/problem+json"),
        "{} {}",
        api.content_type,
        api.body
    );
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(v["title"], "Requête trop volumineuse");
    assert_eq!(v["status"], 413);
    let page = app
        .send(
            Request::post("/connexion")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::CONTENT_LENGTH, big.len())
                .body(Body::from(big))
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    assert!(page.body.contains("taille autorisée"), "{}", page.body);
    // A method the API route does not take: problem+json in French, not an empty answer.
    let method = app.json("DELETE", "/api/v1/territoires", None, None).await;
    assert_eq!(method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(method.content_type.starts_with("application/problem+json"));
    assert!(method.body.contains("Méthode non autorisée"));
    // A malformed query string on the API: problem+json, not an HTML page.
    app.login_as(Role::Administrateur).await;
    let query = app
        .json("GET", "/api/v1/communes?limite=beaucoup", None, None)
        .await;
    assert!(query.status.is_client_error());
    assert!(
        query.content_type.starts_with("application/problem+json"),
        "{}",
        query.content_type
    );
}

#[tokio::test]
async fn forms_may_post_to_parcours_only() {
    use axum::body::Body;
    use axum::http::{header, Request};
    use tower::ServiceExt;
    let app = TestApp::new().await;
    let res = app
        .router
        .clone()
        .oneshot(Request::get("/connexion").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let csp = res
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(csp.contains("form-action 'self'"), "{csp}");
    assert!(
        !csp.contains("http:") && !csp.contains("https:"),
        "no form may post to any other site: {csp}"
    );
}
