//! « Qui a vu ce dossier » through the real router: the référent and the cadre of the team read who
//! read or changed what, when (Paris time) and why, in plain French; nobody else does; looking is
//! itself audited; the person's version names functions and services, never agents.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use parcours_domain::audit::libelles::heure_locale;
use parcours_domain::habilitations::Role;
use parcours_store::audit::AuditFilter;

/// A person followed by the travailleur social (référent of the new dossier); returns (personne, dossier).
async fn dossier_suivi(app: &mut TestApp) -> (i64, i64) {
    app.login_as(Role::TravailleurSocial).await;
    let personne = app
        .personne_avec_adresse("Garnier", "Lucie", "02/05/1988", "96001", "96100")
        .await;
    let a = app
        .post(
            &format!("/personnes/{personne}/dossiers"),
            &[("intitule", "Accompagnement budgétaire")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let dossier: i64 = a
        .location
        .unwrap()
        .trim_start_matches("/dossiers/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (personne, dossier)
}

async fn entries(app: &TestApp, action: &str, id: i64) -> Vec<parcours_domain::audit::AuditEntry> {
    let mut c = app.db.store().read().await.unwrap();
    parcours_store::audit::list(
        &mut c,
        "96",
        &AuditFilter {
            record_type: Some("dossier".into()),
            record_id: Some(id.to_string()),
            action: Some(action.into()),
            ..Default::default()
        },
        100,
        0,
    )
    .await
    .unwrap()
    .0
}

#[tokio::test]
async fn the_referent_sees_who_read_the_dossier_when_and_why_in_plain_french() {
    let mut app = TestApp::new().await;
    let (_, dossier) = dossier_suivi(&mut app).await;
    app.login_as(Role::Cadre).await;
    assert_eq!(
        app.get(&format!("/dossiers/{dossier}")).await.status,
        StatusCode::OK
    );
    app.login_as(Role::TravailleurSocial).await;
    let page = app.get(&format!("/dossiers/{dossier}/consultations")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    for expected in [
        "a lu le journal du dossier",
        "a ouvert le dossier",
        "Agent Cadre",
        "Agent Travailleur social",
        "Assistant de service social",
        "suivi du dossier",
    ] {
        assert!(body.contains(expected), "« {expected} » absent :\n{body}");
    }
    // Paris time, as the audit log recorded it.
    let lecture = &entries(&app, "lecture", dossier).await[0];
    assert!(
        body.contains(&heure_locale(&lecture.at, parcours_store::clock().zone())),
        "{body}"
    );
    // No action code nor table name.
    for code in [">lecture<", ">creation<", ">dossier<", "audit_log"] {
        assert!(!body.contains(code), "« {code} » affiché :\n{body}");
    }
    // Looking at the list is itself in the audit log.
    let vues = entries(&app, "consultations", dossier).await;
    assert_eq!(vues.len(), 1);
    assert_eq!(
        vues[0].agent_id,
        Some(app.fx.agent(Role::TravailleurSocial))
    );
}

#[tokio::test]
async fn only_the_referents_and_the_cadre_of_a_following_team_see_the_accesses() {
    let mut app = TestApp::new().await;
    let (_, dossier) = dossier_suivi(&mut app).await;
    let path = format!("/dossiers/{dossier}/consultations");
    app.login_as(Role::Cadre).await;
    assert_eq!(
        app.get(&path).await.status,
        StatusCode::OK,
        "cadre of MDS A"
    );
    // A social-work role that neither follows the dossier nor manages its team: as if it did not exist.
    app.login_as(Role::EquipeCentrale).await;
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
    app.login_as(Role::Accueil).await;
    assert_eq!(app.get(&path).await.status, StatusCode::FORBIDDEN);
    app.login_as(Role::Dpo).await;
    assert_eq!(app.get(&path).await.status, StatusCode::FORBIDDEN);
    // The cadre moved to MDS B no longer manages the team that follows it.
    let mut tx = app.db.store().begin().await.unwrap();
    parcours_store::raw_execute(
        &mut tx,
        &format!(
            "UPDATE affectations SET site_id = {} WHERE departement_id = '96' AND agent_id = {}",
            app.fx.site_b,
            app.fx.agent(Role::Cadre)
        ),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.login_as(Role::Cadre).await;
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
    assert!(
        entries(&app, "consultations", dossier).await.len() == 1,
        "only the allowed look was recorded"
    );
    // An unknown dossier.
    app.login_as(Role::TravailleurSocial).await;
    assert_eq!(
        app.get("/dossiers/999999/consultations").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_person_is_told_of_the_accesses_by_function_and_service_without_names() {
    let mut app = TestApp::new().await;
    let (personne, dossier) = dossier_suivi(&mut app).await;
    assert_eq!(
        app.get(&format!("/dossiers/{dossier}")).await.status,
        StatusCode::OK
    );
    let mut c = app.db.store().read().await.unwrap();
    let acces = parcours_web::audit::consultations::pour_la_personne(&mut c, "96", personne)
        .await
        .unwrap();
    let actions: Vec<&str> = acces.iter().map(|a| a.action.as_str()).collect();
    assert!(actions.contains(&"a créé la fiche"), "{actions:?}");
    assert!(actions.contains(&"a ouvert le dossier"), "{actions:?}");
    assert!(
        actions.contains(&"a lu le journal du dossier"),
        "{actions:?}"
    );
    let lu = acces
        .iter()
        .find(|a| a.action == "a lu le journal du dossier")
        .unwrap();
    assert_eq!(lu.fonction, "Assistant de service social");
    assert!(!lu.service.is_empty());
    let text = serde_json::to_string(&acces).unwrap();
    assert!(!text.contains("Agent Travailleur"), "no agent name: {text}");
}
