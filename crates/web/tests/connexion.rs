//! Sign-in confidentiality through the real router: limits per real client (behind trusted proxies)
//! and per account without lock-out nor enumeration, sessions ended by a password change or reset,
//! OpenID Connect flows bound to their browser, request ids chosen by the server only.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use common::{Answer, TestApp};
use parcours_domain::habilitations::Role;
use parcours_store::audit::AuditFilter;
use parcours_test_support::PASSWORD;

const WRONG: &str = "Mauvais-Mot-2026!";
const GENERIC: &str = "Adresse électronique ou mot de passe incorrect.";

/// A sign-in sent over a connection from `peer`, with an optional `X-Forwarded-For`.
async fn sign_in_from(
    app: &TestApp,
    peer: &str,
    forwarded_for: Option<&str>,
    email: &str,
    password: &str,
) -> Answer {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("identifiant", email),
            ("mot_de_passe", password),
            ("suite", "/"),
        ])
        .finish();
    let mut b = Request::post("/connexion")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(x) = forwarded_for {
        b = b.header("x-forwarded-for", x);
    }
    let mut req = b.body(Body::from(body)).expect("request");
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 41000)));
    app.send(req).await
}

async fn agent_audit(app: &TestApp, role: Role) -> Vec<parcours_domain::audit::AuditEntry> {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::audit::list(
        &mut conn,
        "96",
        &AuditFilter {
            record_type: Some("agent".into()),
            record_id: Some(app.fx.agent(role).to_string()),
            ..Default::default()
        },
        200,
        0,
    )
    .await
    .unwrap()
    .0
}

// ---- 3. Sign-in limits ----

#[tokio::test]
async fn successful_sign_ins_from_one_address_are_never_held_back() {
    let mut app = TestApp::new().await;
    // A whole service behind one address signs in at opening time.
    for role in [Role::Accueil, Role::Cadre, Role::Administrateur].repeat(4) {
        let a = app.login_as(role).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{role:?}: {}", a.body);
    }
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_real_client_behind_a_trusted_proxy() {
    let app = TestApp::with_settings(|s| {
        s.trusted_proxies = vec!["10.0.0.1/32".parse().unwrap()];
        s.login_failures_per_client = 3;
    })
    .await;
    let email = app.fx.email(Role::Cadre).to_string();
    for i in 0..3 {
        let a = sign_in_from(
            &app,
            "10.0.0.1",
            Some("203.0.113.5"),
            &format!("inconnu{i}@exemple.fr"),
            WRONG,
        )
        .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let a = sign_in_from(&app, "10.0.0.1", Some("203.0.113.5"), &email, PASSWORD).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    assert!(a.body.contains("Trop de tentatives"), "{}", a.body);
    // A colleague behind the same proxy is not held back.
    let b = sign_in_from(&app, "10.0.0.1", Some("203.0.113.6"), &email, PASSWORD).await;
    assert_eq!(b.status, StatusCode::SEE_OTHER, "{}", b.body);
    // A client that is not a proxy cannot escape its count by writing the header itself, and what it
    // writes left of the proxy's entry is not believed either.
    for i in 0..3 {
        sign_in_from(
            &app,
            "198.51.100.7",
            Some(&format!("192.0.2.{i}")),
            "personne@exemple.fr",
            WRONG,
        )
        .await;
    }
    let c = sign_in_from(&app, "198.51.100.7", Some("192.0.2.99"), &email, PASSWORD).await;
    assert_eq!(c.status, StatusCode::TOO_MANY_REQUESTS);
    for i in 0..3 {
        sign_in_from(
            &app,
            "10.0.0.1",
            Some(&format!("192.0.2.{i}, 203.0.113.7")),
            "personne@exemple.fr",
            WRONG,
        )
        .await;
    }
    let d = sign_in_from(
        &app,
        "10.0.0.1",
        Some("192.0.2.50, 203.0.113.7"),
        &email,
        PASSWORD,
    )
    .await;
    assert_eq!(d.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn known_and_unknown_addresses_get_the_same_answer_and_failures_delay_without_locking_out() {
    let mut app = TestApp::with_settings(|s| s.max_failed_logins = 2).await;
    let known = app.fx.email(Role::Accueil).to_string();
    let unknown = "inconnue@exemple.fr";
    let same = |a: &Answer, typed: &str| (a.status, a.body.replace(typed, "«adresse»"));
    for _ in 0..4 {
        let k = app.login(&known, WRONG).await;
        let u = app.login(unknown, WRONG).await;
        assert_eq!(same(&k, &known), same(&u, unknown));
        assert!(k.body.contains(GENERIC), "{}", k.body);
        assert!(!k.body.contains("bloqué"), "{}", k.body);
    }
    // The account's failures delay its attempts — the right password included — with the same answer.
    let k = app.login(&known, PASSWORD).await;
    let u = app.login(unknown, PASSWORD).await;
    assert_eq!(same(&k, &known), same(&u, unknown));
    assert!(k.set_cookie.is_none());
    let audit = agent_audit(&app, Role::Accueil).await;
    let delays: Vec<i64> = audit
        .iter()
        .filter(|e| e.action == "echec_connexion")
        .filter_map(|e| delay_of(&e.details))
        .collect();
    assert!(!delays.is_empty(), "failures are audited with their delay");
    assert!(
        audit.iter().any(|e| e.action == "connexion_differee"),
        "attempts during the delay are audited"
    );
    // Once the delay is over, the agent signs in: nobody could lock the account out for good.
    let mut tx = app.db.store().begin().await.unwrap();
    parcours_store::raw_execute(
        &mut tx,
        "UPDATE agents SET locked_until = '2000-01-01T00:00:00.000000Z'",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let ok = app.login(&known, PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test]
async fn the_delay_grows_with_each_failure_of_the_account() {
    let mut app = TestApp::with_settings(|s| s.max_failed_logins = 1).await;
    let known = app.fx.email(Role::Cadre).to_string();
    for _ in 0..3 {
        app.login(&known, WRONG).await;
        // The delay is over before the next attempt, which fails again.
        let mut tx = app.db.store().begin().await.unwrap();
        parcours_store::raw_execute(
            &mut tx,
            "UPDATE agents SET locked_until = '2000-01-01T00:00:00.000000Z'",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let mut delays: Vec<i64> = agent_audit(&app, Role::Cadre)
        .await
        .iter()
        .filter_map(|e| delay_of(&e.details))
        .collect();
    delays.sort_unstable();
    assert_eq!(delays, vec![30, 60, 120]);
}

// ---- 7. Sessions after a password change or reset ----

#[tokio::test]
async fn changing_ones_password_ends_the_other_sessions_but_not_this_one() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Accueil).await;
    let other = app.cookie.clone();
    app.login_as(Role::Accueil).await;
    let a = app
        .post(
            "/compte/mot-de-passe",
            &[
                ("actuel", PASSWORD),
                ("nouveau", "Lumière-Orage-77-Sud"),
                ("confirmation", "Lumière-Orage-77-Sud"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        app.get("/").await.status,
        StatusCode::OK,
        "this session stays"
    );
    app.cookie = other;
    let b = app.get("/").await;
    assert_eq!(b.status, StatusCode::SEE_OTHER);
    assert!(b.location.unwrap().starts_with("/connexion"));
}

#[tokio::test]
async fn an_administrator_reset_ends_every_session_of_the_agent() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Accueil).await;
    let agent_session = app.cookie.clone();
    app.login_as(Role::Administrateur).await;
    let id = app.fx.agent(Role::Accueil);
    // The screen is reached from the agent's page.
    let fiche = app.get(&format!("/agents/{id}")).await;
    assert!(fiche
        .body
        .contains(&format!("href=\"/agents/{id}/mot-de-passe\"")));
    let form = app.get(&format!("/agents/{id}/mot-de-passe")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Nouveau mot de passe"));
    // Too weak, or not confirmed: a message beside the field, nothing changed, sessions kept.
    let weak = app
        .post(
            &format!("/agents/{id}/mot-de-passe"),
            &[("mot_de_passe", "court"), ("confirmation", "court")],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("id=\"mot_de_passe-erreur\""));
    let mismatch = app
        .post(
            &format!("/agents/{id}/mot-de-passe"),
            &[
                ("mot_de_passe", "Lumière-Orage-77-Sud"),
                ("confirmation", "Lumière-Orage-77-Nord"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mismatch.body.contains("La confirmation ne correspond pas"));
    let a = app
        .post(
            &format!("/agents/{id}/mot-de-passe"),
            &[
                ("mot_de_passe", "Lumière-Orage-77-Sud"),
                ("confirmation", "Lumière-Orage-77-Sud"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(app.get("/").await.status, StatusCode::OK);
    app.cookie = agent_session;
    let b = app.get("/").await;
    assert_eq!(b.status, StatusCode::SEE_OTHER);
    assert!(b.location.unwrap().starts_with("/connexion"));
}

// ---- 8. OpenID Connect flows and request ids ----

/// A provider that cannot be reached: the tests stop before any exchange with it.
fn with_oidc(s: &mut parcours_config::Settings) {
    s.oidc = Some(parcours_config::OidcSettings {
        issuer: "http://127.0.0.1:9".parse().unwrap(),
        client_id: "parcours".into(),
        client_secret: parcours_config::Secret::new("secret"),
        public_url: "http://127.0.0.1:8080".parse().unwrap(),
        label: "Se connecter avec ProConnect".into(),
        scopes: vec!["openid".into(), "email".into()],
    });
}

async fn pending_flow(app: &TestApp, state: &str, binding: &str) {
    let mut tx = app.db.store().begin().await.unwrap();
    parcours_store::sessions::oidc_flow_create(
        &mut tx,
        state,
        binding,
        "nonce",
        "verificateur-pkce-verificateur-pkce-verificateur-pkce",
        "/",
        "2000-01-01T00:00:00Z",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn callback(app: &TestApp, state: &str, binding: Option<&str>) -> Answer {
    let mut b = Request::get(format!(
        "/auth/oidc/retour?code=code-du-fournisseur&state={state}"
    ));
    if let Some(v) = binding {
        b = b.header(header::COOKIE, format!("parcours_oidc={v}"));
    }
    app.send(b.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn an_oidc_callback_in_another_browser_is_refused_and_a_state_serves_once() {
    let app = TestApp::with_settings(with_oidc).await;
    pending_flow(&app, "etat-de-l-attaquant", "cookie-de-l-attaquant").await;
    // The victim's browser is sent to the callback with the attacker's state: no matching cookie.
    for cookie in [None, Some("cookie-de-la-victime")] {
        pending_flow(&app, "etat-2", "cookie-de-l-attaquant").await;
        let a = callback(&app, "etat-2", cookie).await;
        assert_eq!(
            a.location.as_deref(),
            Some("/connexion?erreur=navigateur"),
            "{cookie:?}"
        );
    }
    let page = app.get("/connexion?erreur=navigateur").await;
    assert!(
        page.body.contains("commencée dans un autre navigateur"),
        "{}",
        page.body
    );
    // With its cookie the flow goes on to the provider (unreachable here), and the cookie is cleared.
    let ok = callback(&app, "etat-de-l-attaquant", Some("cookie-de-l-attaquant")).await;
    assert_eq!(
        ok.location.as_deref(),
        Some("/connexion?erreur=fournisseur")
    );
    let cleared = ok.set_cookie.unwrap_or_default();
    assert!(
        cleared.starts_with("parcours_oidc=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    // Used once: a replay is refused.
    let again = callback(&app, "etat-de-l-attaquant", Some("cookie-de-l-attaquant")).await;
    assert_eq!(again.location.as_deref(), Some("/connexion?erreur=expire"));
}

#[tokio::test]
async fn an_oidc_state_older_than_ten_minutes_is_refused_even_in_its_browser() {
    let app = TestApp::with_settings(with_oidc).await;
    pending_flow(&app, "etat-ancien", "lien").await;
    let mut tx = app.db.store().begin().await.unwrap();
    parcours_store::raw_execute(
        &mut tx,
        "UPDATE oidc_flows SET created_at = '2000-01-01T00:00:00.000000Z'",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let a = callback(&app, "etat-ancien", Some("lien")).await;
    assert_eq!(a.location.as_deref(), Some("/connexion?erreur=expire"));
}

#[tokio::test]
async fn starting_oidc_sign_ins_is_limited_per_client() {
    let app = TestApp::with_settings(with_oidc).await;
    let start = |peer: &'static str| {
        let mut req = Request::get("/auth/oidc/depart")
            .body(Body::empty())
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 41000)));
        req
    };
    let mut limited = None;
    for i in 0..40 {
        let a = app.send(start("203.0.113.5")).await;
        if a.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((i, a.body));
            break;
        }
    }
    let (i, body) = limited.expect("the starts of one client are limited");
    assert!(i >= 10, "a few retries stay possible ({i})");
    assert!(body.contains("Trop de demandes de connexion"), "{body}");
    let other = app.send(start("203.0.113.6")).await;
    assert_ne!(
        other.status,
        StatusCode::TOO_MANY_REQUESTS,
        "another client is not held back"
    );
}

#[tokio::test]
async fn a_client_chosen_request_id_never_reaches_the_audit_log() {
    let app = TestApp::new().await;
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("identifiant", app.fx.email(Role::Cadre)),
            ("mot_de_passe", PASSWORD),
            ("suite", "/"),
        ])
        .finish();
    let req = Request::post("/connexion")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-request-id", "forge-par-le-client")
        .body(Body::from(body))
        .unwrap();
    let a = app.send(req).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let audit = agent_audit(&app, Role::Cadre).await;
    let entry = audit
        .iter()
        .find(|e| e.action == "connexion")
        .expect("sign-in audited");
    let id = entry.request_id.clone().unwrap_or_default();
    assert_ne!(id, "forge-par-le-client");
    assert!(uuid_like(&id), "a server-made id: {id}");
}

/// The delay an audited failure imposed, in seconds.
fn delay_of(details: &str) -> Option<i64> {
    serde_json::from_str::<serde_json::Value>(details).ok()?["delai_secondes"].as_i64()
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}
