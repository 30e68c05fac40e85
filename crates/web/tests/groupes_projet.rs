//! A groupe projet from creation to verified draw, through the real router and the real job runner.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use parcours_domain::habilitations::Role;

const QUOTAS: &str = "feature,value,min,max\nservice,ASE,1,2\nservice,PMI,1,2\nterritoire,urbain,1,2\nterritoire,rural,1,2\n";
const PEOPLE: &str = "id,service,territoire\nv1,ASE,urbain\nv2,ASE,rural\nv3,PMI,urbain\nv4,PMI,rural\nv5,PMI,rural\n";

async fn run_jobs(app: &TestApp) {
    let ctx = parcours_jobs::JobContext {
        store: app.db.store().clone(),
        settings: std::sync::Arc::new(parcours_config::Settings::default()),
        clock: app.clock.clone(),
    };
    parcours_jobs::run_pending(&ctx, &parcours_jobs::Registry::standard())
        .await
        .expect("jobs");
}

#[tokio::test]
async fn a_group_is_drawn_from_published_chances_and_the_draw_verifies() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Cadre).await;
    let a = app
        .post(
            "/groupes-projet/nouveau",
            &[
                ("nom", "Groupe accueil"),
                ("description", ""),
                ("taille", "3"),
                ("quotas", QUOTAS),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let path = a.location.unwrap().split('?').next().unwrap().to_string();

    // A travailleur social registers; the cadre imports the others.
    app.login_as(Role::TravailleurSocial).await;
    let r = app
        .post(
            &format!("{path}/inscription"),
            &[("service", "ASE"), ("territoire", "rural")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    app.login_as(Role::Cadre).await;
    assert_eq!(
        app.post(&format!("{path}/import"), &[("volontaires", PEOPLE)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = app.get(&path).await;
    assert!(
        page.body.contains("T0002") && page.body.contains("v5"),
        "six volunteers listed"
    );

    assert_eq!(
        app.post(
            &format!("{path}/publier"),
            &[("source_graine", "tirage public du 1er décembre")]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    // Registrations are closed from now on.
    app.login_as(Role::TravailleurSocial).await;
    assert_eq!(
        app.post(&format!("{path}/retrait"), &[]).await.status,
        StatusCode::CONFLICT
    );
    run_jobs(&app).await;

    let published = app.get(&path).await;
    assert!(
        published.body.contains("Chances publiées"),
        "{}",
        published.body
    );
    assert!(published.body.contains("<svg"));
    let chances = app.get(&format!("{path}/fichiers/chances.csv")).await;
    let probs: Vec<f64> = chances
        .body
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1)?.parse().ok())
        .collect();
    assert_eq!(probs.len(), 6);
    assert!(
        (probs.iter().sum::<f64>() - 3.0).abs() < 1e-6,
        "the chances add up to the size of the group"
    );

    app.login_as(Role::Cadre).await;
    assert_eq!(
        app.post(&format!("{path}/tirer"), &[("graine", "4 17 23 31 42")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let drawn = app.get(&path).await;
    assert!(drawn.body.contains("Membres tirés au sort"));
    let check = app.get(&format!("{path}/verification")).await;
    assert!(check.body.contains("Tirage confirmé"), "{}", check.body);
    // A second draw is refused: the result is final.
    assert_eq!(
        app.post(&format!("{path}/tirer"), &[("graine", "autre")])
            .await
            .status,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn bad_quotas_and_a_group_larger_than_the_pool_are_refused_in_french() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Cadre).await;
    let bad = app
        .post(
            "/groupes-projet/nouveau",
            &[
                ("nom", "G"),
                ("taille", "2"),
                ("quotas", "feature,value,min,max\nservice,ASE,3,1\n"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("quotas-erreur"));
    let ok = app
        .post(
            "/groupes-projet/nouveau",
            &[("nom", "G"), ("taille", "9"), ("quotas", QUOTAS)],
        )
        .await;
    let path = ok.location.unwrap().split('?').next().unwrap().to_string();
    app.post(&format!("{path}/import"), &[("volontaires", PEOPLE)])
        .await;
    let too_big = app
        .post(&format!("{path}/publier"), &[("source_graine", "loto")])
        .await;
    assert_eq!(too_big.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_big.body.contains("Rien n"), "{}", too_big.body);
    let unknown = app
        .post(
            &format!("{path}/import"),
            &[("volontaires", "id,service,territoire\nv9,CRIP,urbain\n")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
}
