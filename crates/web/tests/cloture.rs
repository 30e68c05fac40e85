//! Closing a dossier asks for a confirmation and the reason the accompaniment ended; a closed dossier
//! can be reopened with a reason; both stay in its history and in the audit log. An agent of another
//! MDS does neither.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use parcours_domain::habilitations::Role;

async fn clos_le(app: &TestApp, id: i64) -> Option<String> {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::dossiers::get(&mut conn, "96", id)
        .await
        .unwrap()
        .clos_le
}

async fn audit_actions(app: &TestApp, id: i64) -> Vec<String> {
    let mut conn = app.db.store().read().await.unwrap();
    let (rows, _) = parcours_store::audit::list(&mut conn, "96", &Default::default(), 100_000, 0)
        .await
        .unwrap();
    rows.into_iter()
        .filter(|r| r.record_type == "dossier" && r.record_id == id.to_string())
        .map(|r| r.action)
        .collect()
}

#[tokio::test]
async fn a_dossier_is_closed_with_its_reason_after_confirmation_and_reopened_with_another() {
    let mut app = TestApp::new().await;
    let b = app.fx.seed_mds_b(app.db.store()).await;
    app.login_as(Role::TravailleurSocial).await;
    let p = app
        .personne_avec_adresse("Guivarc'h", "Rozenn", "09/11/1983", "96001", "96100")
        .await;
    let d = app.ouvrir_dossier(p, "Accompagnement social").await;
    let url = format!("/dossiers/{d}/cloture");

    // The dossier page offers the confirmation page, not a button that closes at once.
    let page = app.get(&format!("/dossiers/{d}")).await;
    assert!(page.body.contains(&format!("href=\"{url}\"")));
    // Printed, it says it is confidential, when and by whom; the forms do not print.
    assert!(page.body.contains("Document confidentiel"));
    assert!(page.body.contains("par Agent Travailleur social."));
    assert!(page
        .body
        .contains("<h3 id=\"nouvel-ecrit\" class=\"non-imprimable\">"));
    assert!(!page.body.contains(&format!("action=\"{url}\"")));
    let confirm = app.get(&url).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(
        confirm
            .body
            .contains("Motif de la fin de l&#39;accompagnement")
            || confirm.body.contains("Motif de la fin de l'accompagnement")
    );
    assert!(confirm.body.contains("Confirmer la clôture"));

    // Without a reason, or « autre » without a precision: a message, the dossier stays open.
    let no_reason = app.post(&url, &[("motif", ""), ("precision", "")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("Choisissez le motif"));
    let autre = app
        .post(&url, &[("motif", "autre"), ("precision", "")])
        .await;
    assert_eq!(autre.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(autre.body.contains("Précisez le motif"));
    assert!(autre.body.contains("<option value=\"autre\" selected"));
    assert_eq!(clos_le(&app, d).await, None);

    // Closed for a move: the page says why and by whom, nothing more can be written.
    let ok = app
        .post(
            &url,
            &[("motif", "demenagement"), ("precision", "Part à Lyon")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(clos_le(&app, d).await.is_some());
    let closed = app.get(&format!("/dossiers/{d}")).await;
    assert!(closed
        .body
        .contains("Déménagement hors du territoire : Part à Lyon"));
    assert!(closed.body.contains("Rouvrir le dossier"));
    let write = app
        .post(
            &format!("/dossiers/{d}/ecrits"),
            &[
                ("kind", "entretien"),
                ("date", "01/02/2025"),
                ("texte", "Après la clôture"),
                ("visibilite", "service"),
            ],
        )
        .await;
    assert_eq!(write.status, StatusCode::CONFLICT);
    // Closing twice is a conflict, not a second closing.
    assert_eq!(
        app.post(&url, &[("motif", "deces"), ("precision", "")])
            .await
            .status,
        StatusCode::CONFLICT
    );

    // Another MDS's social worker can neither reopen it nor open its confirmation page.
    app.login(
        b.email(Role::TravailleurSocial),
        parcours_test_support::PASSWORD,
    )
    .await;
    let other = app
        .post(
            &format!("/dossiers/{d}/reouverture"),
            &[("motif_reouverture", "Tentative")],
        )
        .await;
    assert!(
        matches!(other.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        other.status
    );
    assert!(clos_le(&app, d).await.is_some());

    // Reopened with its reason: the history keeps both.
    app.login_as(Role::TravailleurSocial).await;
    let empty = app
        .post(
            &format!("/dossiers/{d}/reouverture"),
            &[("motif_reouverture", " ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty
        .body
        .contains("Le motif de la réouverture est obligatoire"));
    assert!(clos_le(&app, d).await.is_some());
    let again = app
        .post(
            &format!("/dossiers/{d}/reouverture"),
            &[("motif_reouverture", "Retour dans le département")],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(clos_le(&app, d).await, None);
    let page = app.get(&format!("/dossiers/{d}")).await;
    assert!(page.body.contains("Retour dans le département"));
    assert!(page.body.contains("Déménagement hors du territoire"));
    let actions = audit_actions(&app, d).await;
    assert!(actions.contains(&"cloture".to_string()));
    assert!(actions.contains(&"reouverture".to_string()));
}
