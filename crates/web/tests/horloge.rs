//! One clock for the whole application: the test sets it, and the pages, the records' timestamps, the
//! sessions and the accès motivés follow, in the département's zone (overseas ones included).

mod common;

use axum::http::StatusCode;
use chrono::{Duration, TimeZone, Utc};
use common::TestApp;
use parcours_domain::habilitations::Role;

/// 23:30 UTC on 31 December 2026: already 1 January in Paris and in Réunion, still 31 December in
/// Cayenne. Code that took "today" in UTC, or in Paris for every département, dates a record wrongly.
fn new_year_eve() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap()
}

async fn ouvert_le_and_audit_instant(app: &TestApp, dossier_path: &str) -> (String, String) {
    let id: i64 = dossier_path
        .trim_start_matches("/dossiers/")
        .parse()
        .unwrap();
    let mut conn = app.db.store().read().await.unwrap();
    let ouvert = parcours_store::dossiers::get(&mut conn, "96", id)
        .await
        .unwrap()
        .ouvert_le;
    let (entries, _) = parcours_store::audit::list(&mut conn, "96", &Default::default(), 10_000, 0)
        .await
        .unwrap();
    let at = entries
        .into_iter()
        .find(|e| {
            e.action == "creation" && e.record_type == "dossier" && e.record_id == id.to_string()
        })
        .expect("the opening is audited")
        .at;
    (ouvert, at)
}

async fn open_dossier(app: &TestApp) -> String {
    let p = app
        .personne_avec_adresse("Hoarau", "Maëlys", "12/03/1990", "96001", "96100")
        .await;
    let a = app
        .post(
            &format!("/personnes/{p}/dossiers"),
            &[("intitule", "Accompagnement budgétaire")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    a.location.unwrap().split('?').next().unwrap().to_string()
}

#[tokio::test]
async fn a_dossier_opened_on_new_years_eve_is_dated_in_the_departements_zone() {
    for (zone, expected) in [
        ("Europe/Paris", "2027-01-01"),
        ("Indian/Reunion", "2027-01-01"),
        ("America/Cayenne", "2026-12-31"),
    ] {
        let mut app =
            TestApp::with_settings(|s| s.fuseau = zone.parse().expect("fuseau IANA")).await;
        app.clock.set(new_year_eve());
        app.login_as(Role::TravailleurSocial).await;
        let dossier = open_dossier(&app).await;
        let (ouvert, at) = ouvert_le_and_audit_instant(&app, &dossier).await;
        assert_eq!(ouvert, expected, "{zone}");
        // The audit's instant is the clock's, in UTC, whatever the zone.
        assert!(at.starts_with("2026-12-31T23:3"), "{zone}: {at}");
        let page = app.get(&dossier).await;
        assert_eq!(page.status, StatusCode::OK);
        let shown = format!(
            "{}/{}/{}",
            &expected[8..10],
            &expected[5..7],
            &expected[0..4]
        );
        assert!(page.body.contains(&shown), "{zone}: {shown}");
    }
}

#[tokio::test]
async fn sessions_and_exceptional_accesses_expire_on_the_applications_clock() {
    let mut app = TestApp::new().await;
    app.clock.set(new_year_eve() - Duration::days(30));
    // The CRIP records someone in the secteur of MDS-B; the social worker of MDS-A needs an
    // accès motivé to read the fiche.
    app.login_as(Role::EquipeCentrale).await;
    let p = app
        .personne_avec_adresse("Payet", "Enzo", "02/02/2012", "96003", "96200")
        .await;
    let a = app
        .post(
            &format!("/personnes/{p}/dossiers"),
            &[("intitule", "Évaluation")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    app.login_as(Role::TravailleurSocial).await;
    let granted = app
        .post(
            &format!("/personnes/{p}/acces-motive"),
            &[(
                "motif",
                "Appel de l'école ce matin, mise à l'abri à organiser",
            )],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.body);
    assert_eq!(
        app.get(&format!("/personnes/{p}")).await.status,
        StatusCode::OK
    );

    // 23 hours later (the session kept alive meanwhile), the access still holds.
    for _ in 0..23 {
        app.clock.advance(Duration::minutes(29));
        assert_eq!(app.get("/").await.status, StatusCode::OK);
        app.clock.advance(Duration::minutes(31));
        // Idle 31 minutes: the session is gone; sign in again.
        let a = app.get("/").await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "idle session must end");
        assert!(a.location.unwrap_or_default().starts_with("/connexion"));
        app.login_as(Role::TravailleurSocial).await;
    }
    assert_eq!(
        app.get(&format!("/personnes/{p}")).await.status,
        StatusCode::OK
    );
    // Past the 24 hours of an accès motivé (default `PARCOURS_ACCES_MOTIVE_HEURES`): refused again.
    app.clock.advance(Duration::minutes(65));
    app.login_as(Role::TravailleurSocial).await;
    let refused = app.get(&format!("/personnes/{p}")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("accès motivé"));
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_limit_even_when_used() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Accueil).await;
    // Used every 20 minutes for 12 hours (the default absolute limit).
    for _ in 0..35 {
        app.clock.advance(Duration::minutes(20));
        assert_eq!(app.get("/").await.status, StatusCode::OK);
    }
    app.clock.advance(Duration::minutes(21));
    let a = app.get("/").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(a.location.unwrap_or_default().starts_with("/connexion"));
}
