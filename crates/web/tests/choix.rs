//! People and agents are chosen by name, never typed as numbers (issue 16, « chosen by name »): the
//! référent of a dossier, the agents an écrit is shared with and a household's new member are each
//! searched by name with the form's « Rechercher » button, which saves nothing and keeps what was
//! typed, then ticked; the pages carry no field asking for a number or a matricule.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use parcours_domain::habilitations::Role;
use parcours_domain::referentiel::ServiceKind;

async fn referents(app: &TestApp, dossier: i64) -> Vec<parcours_domain::dossiers::Referent> {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::dossiers::referents(&mut conn, "96", dossier)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_referent_is_searched_by_name_within_the_service_and_ticked() {
    let mut app = TestApp::new().await;
    let b = app.fx.seed_mds_b(app.db.store()).await;
    app.login_as(Role::TravailleurSocial).await;
    let p = app
        .personne_avec_adresse("Kerhervé", "Annaïg", "12/04/1985", "96001", "96100")
        .await;
    let dossier = app.ouvrir_dossier(p, "Accompagnement social").await;
    let avant = referents(&app, dossier).await;
    let page = app.get(&format!("/dossiers/{dossier}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("name=\"matricule\""), "{}", page.body);
    assert!(!page.body.contains("numéro"), "no number asked for");
    assert!(page.body.contains("name=\"referent_agent_q\""));

    let social = app.fx.service(ServiceKind::ServiceSocial).to_string();
    let ts_b = b.agent(Role::TravailleurSocial).to_string();
    // The search, accents and case ignored, lists the colleague of MDS-B by name, saves nothing and
    // keeps the service chosen.
    let found = app
        .post(
            &format!("/dossiers/{dossier}/referents"),
            &[
                ("service_id", &social),
                ("referent_agent_q", "collegue TRAVAILLEUR"),
                ("_chercher", "referent_agent"),
            ],
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(
        found.body.contains(&format!("value=\"{ts_b}\"")),
        "{}",
        found.body
    );
    assert!(found.body.contains("Collègue Travailleur social MDS-B"));
    assert!(found
        .body
        .contains(&format!("<option value=\"{social}\" selected")));
    assert_eq!(
        referents(&app, dossier).await,
        avant,
        "a search saves nothing"
    );
    // Within the CRIP's service, the search finds nobody of the social service.
    let crip = app.fx.service(ServiceKind::Crip).to_string();
    let none = app
        .post(
            &format!("/dossiers/{dossier}/referents"),
            &[
                ("service_id", &crip),
                ("referent_agent_q", "collegue"),
                ("_chercher", "referent_agent"),
            ],
        )
        .await;
    assert!(!none.body.contains(&format!("value=\"{ts_b}\"")));
    assert!(none.body.contains("Aucun agent ne correspond"));

    // Nothing ticked: a message beside the field, nothing saved.
    let missing = app
        .post(
            &format!("/dossiers/{dossier}/referents"),
            &[("service_id", &social), ("referent_agent_q", "collegue")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.body.contains("Choisissez l&#39;agent référent")
            || missing.body.contains("Choisissez l'agent référent"),
        "{}",
        missing.body
    );
    // An agent of another service than the one chosen: refused.
    let wrong = app
        .post(
            &format!("/dossiers/{dossier}/referents"),
            &[("service_id", &crip), ("referent_agent", &ts_b)],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .body
            .contains("n&#39;appartient pas au service choisi")
            || wrong.body.contains("n'appartient pas au service choisi")
    );
    assert_eq!(referents(&app, dossier).await, avant);
    // Ticked: saved, and the page names the référent.
    let ok = app
        .post(
            &format!("/dossiers/{dossier}/referents"),
            &[("service_id", &social), ("referent_agent", &ts_b)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let r = referents(&app, dossier).await;
    assert_eq!(r.len(), 1);
    assert_eq!(
        r[0].agent_id.to_string(),
        ts_b,
        "the social service's référent is replaced"
    );
}

#[tokio::test]
async fn an_ecrit_is_shared_with_agents_ticked_by_name() {
    let mut app = TestApp::new().await;
    let b = app.fx.seed_mds_b(app.db.store()).await;
    app.login_as(Role::TravailleurSocial).await;
    let p = app
        .personne_avec_adresse("Le Gall", "Maëlys", "02/02/1990", "96001", "96100")
        .await;
    let dossier = app.ouvrir_dossier(p, "Accompagnement social").await;
    let url = format!("/dossiers/{dossier}/ecrits");
    let texte = "Point sur les démarches de relogement";
    let base = [
        ("kind", "entretien"),
        ("date", "01/02/2025"),
        ("texte", texte),
        ("visibilite", "agents"),
        ("base_legale", "L121-6-2"),
    ];
    // The search keeps the text typed and lists both colleagues of MDS-B; nothing is saved.
    let mut fields = base.to_vec();
    fields.extend([
        ("destinataires_q", "collègue"),
        ("_chercher", "destinataires"),
    ]);
    let found = app.post(&url, &fields).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(found.body.contains(texte));
    assert!(found
        .body
        .contains("type=\"checkbox\" name=\"destinataires\""));
    let ts_b = b.agent(Role::TravailleurSocial).to_string();
    let cadre_b = b.agent(Role::Cadre).to_string();
    for a in [&ts_b, &cadre_b] {
        assert!(found.body.contains(&format!("value=\"{a}\"")), "{a}");
    }
    let mut conn = app.db.store().read().await.unwrap();
    assert!(parcours_store::dossiers::ecrits(&mut conn, "96", dossier)
        .await
        .unwrap()
        .is_empty());
    drop(conn);
    // Two ticked boxes: the écrit is shared with both.
    let mut fields = base.to_vec();
    fields.extend([
        ("destinataires", ts_b.as_str()),
        ("destinataires", cadre_b.as_str()),
    ]);
    let saved = app.post(&url, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let mut conn = app.db.store().read().await.unwrap();
    let ecrits = parcours_store::dossiers::ecrits(&mut conn, "96", dossier)
        .await
        .unwrap();
    assert_eq!(ecrits.len(), 1);
    let mut dest = ecrits[0].destinataires.clone();
    dest.sort();
    let mut expected = vec![ts_b.parse::<i64>().unwrap(), cadre_b.parse().unwrap()];
    expected.sort();
    assert_eq!(dest, expected);
}

#[tokio::test]
async fn a_household_member_is_found_by_name_and_a_single_match_is_ticked() {
    let mut app = TestApp::new().await;
    app.login_as(Role::TravailleurSocial).await;
    let parent = app
        .personne_avec_adresse("Quillévéré", "Soazig", "05/06/1988", "96001", "96100")
        .await;
    let enfant = app
        .personne_avec_adresse("Quillévéré", "Tanguy", "14/03/2015", "96001", "96100")
        .await;
    let a = app.post(&format!("/personnes/{parent}/foyer"), &[]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let foyer = a
        .location
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse::<i64>()
        .unwrap();
    let page = app.get(&format!("/foyers/{foyer}")).await;
    assert!(
        !page.body.contains("Numéro de la personne"),
        "{}",
        page.body
    );
    // The foyer is named after its demandeur, not by a number.
    assert!(
        page.body.contains("<h1>Foyer de QUILLÉVÉRÉ Soazig</h1>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("name=\"personne_id_q\""));
    // The search by first name and name finds the child alone, ticked; the date typed is kept.
    let found = app
        .post(
            &format!("/foyers/{foyer}/membres"),
            &[
                ("personne_id_q", "tanguy quillevere"),
                ("_chercher", "personne_id"),
                ("role", "ENFANT"),
                ("arrivee", "01/09/2026"),
            ],
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(
        found.body.contains(&format!("value=\"{enfant}\" checked")),
        "{}",
        found.body
    );
    assert!(found.body.contains("01/09/2026"));
    let mut conn = app.db.store().read().await.unwrap();
    assert_eq!(
        parcours_store::personnes::membres(&mut conn, "96", foyer)
            .await
            .unwrap()
            .len(),
        1,
        "a search adds nobody"
    );
    drop(conn);
    let added = app
        .post(
            &format!("/foyers/{foyer}/membres"),
            &[
                ("personne_id", &enfant.to_string()),
                ("role", "ENFANT"),
                ("arrivee", "01/09/2026"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let mut conn = app.db.store().read().await.unwrap();
    let membres = parcours_store::personnes::membres(&mut conn, "96", foyer)
        .await
        .unwrap();
    assert!(membres.iter().any(|m| m.personne.id == enfant));
}
