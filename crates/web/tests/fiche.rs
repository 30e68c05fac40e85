//! A person's fiche is one use case for the page and the API: the same scope, the same rule on the
//! NIR (reference §8.6: only where it serves — the full fiche of the social work roles; the API
//! never carries it), the same audit.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use parcours_domain::habilitations::Role;

const NIR: &str = "184127645108946";

async fn personne_avec_nir(app: &TestApp) -> i64 {
    app.personne_complete(
        &[
            ("recherche", "Grondin"),
            ("nom_naissance", "Grondin"),
            ("prenoms", "Loïc"),
            ("sexe", "1"),
            ("date_naissance", "15/12/1984"),
            ("nir", NIR),
        ],
        "96001",
        "96100",
    )
    .await
}

async fn lectures(app: &TestApp, id: i64) -> Vec<String> {
    let mut conn = app.db.store().read().await.unwrap();
    let (entries, _) = parcours_store::audit::list(&mut conn, "96", &Default::default(), 10_000, 0)
        .await
        .unwrap();
    entries
        .into_iter()
        .filter(|e| {
            e.action == "lecture" && e.record_type == "personne" && e.record_id == id.to_string()
        })
        .map(|e| e.purpose.unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn the_nir_shows_on_the_social_workers_fiche_only_and_each_read_is_audited_alike() {
    let mut app = TestApp::new().await;
    app.login_as(Role::TravailleurSocial).await;
    let id = personne_avec_nir(&app).await;
    // The social worker of the territory reads it on both.
    let page = app.get(&format!("/personnes/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(NIR), "NIR shown to the social worker");
    let api = app
        .json("GET", &format!("/api/v1/personnes/{id}"), None, None)
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    assert!(
        api.body.contains("Grondin") && !api.body.contains(NIR),
        "{}",
        api.body
    );

    app.login_as(Role::Accueil).await;
    let page = app.get(&format!("/personnes/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Grondin"));
    assert!(!page.body.contains(NIR));
    let api = app
        .json("GET", &format!("/api/v1/personnes/{id}"), None, None)
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    assert!(api.body.contains("Grondin"), "{}", api.body);
    assert!(!api.body.contains(NIR), "{}", api.body);

    // Four reads, each audited, the API's named as such.
    let purposes = lectures(&app, id).await;
    assert_eq!(purposes.len(), 4, "{purposes:?}");
    assert_eq!(
        purposes.iter().filter(|p| p.ends_with("(API)")).count(),
        2,
        "{purposes:?}"
    );
}

#[tokio::test]
async fn the_fiche_reads_as_french_people_read_it() {
    let mut app = TestApp::new().await;
    app.login_as(Role::TravailleurSocial).await;
    let id = app
        .personne_complete(
            &[
                ("recherche", "Le Bihan"),
                ("nom_naissance", "Le Bihan"),
                ("prenoms", "Gwenola"),
                ("sexe", "2"),
                ("date_naissance", "03/04/1990"),
                ("commune_naissance", "96003"),
                ("telephone", "+33610062218"),
            ],
            "96001",
            "96100",
        )
        .await;
    let fiche = app.get(&format!("/personnes/{id}")).await;
    assert_eq!(fiche.status, StatusCode::OK);
    // The birthplace by its commune's name, the phone in pairs, no internal number in the title.
    assert!(
        fiche.body.contains("03/04/1990, à Brielle"),
        "{}",
        fiche.body
    );
    assert!(fiche.body.contains("06 10 06 22 18"));
    assert!(!fiche.body.contains("(n° "));
}
