//! The desk log (main courante de l'accueil) through the real router, on SQLite or PostgreSQL: a contact
//! recorded with the form's defaults and audited, an invalid one refused with a message per field and
//! nothing written, a place of another site or another département refused.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use parcours_domain::habilitations::Role;
use parcours_domain::personnes::{NewPersonne, PersonneForm};
use parcours_store::audit::AuditFilter;
use parcours_store::{accueil, audit, personnes};

async fn contacts(app: &TestApp, site: i64) -> Vec<accueil::Contact> {
    let mut conn = app.db.store().read().await.unwrap();
    accueil::jour(
        &mut conn,
        "96",
        site,
        parcours_store::clock().today(),
        100,
        0,
    )
    .await
    .unwrap()
    .0
}

async fn audits(app: &TestApp, record_type: &str) -> i64 {
    let mut conn = app.db.store().read().await.unwrap();
    audit::list(
        &mut conn,
        "96",
        &AuditFilter {
            record_type: Some(record_type.into()),
            ..Default::default()
        },
        100,
        0,
    )
    .await
    .unwrap()
    .1
}

async fn personne(app: &TestApp) -> i64 {
    let p = NewPersonne::parse(
        &PersonneForm {
            nom_naissance: "Guichard".into(),
            prenoms: "Anne".into(),
            ..PersonneForm::default()
        },
        parcours_store::clock().today(),
    )
    .expect("personne valide");
    let mut tx = app.db.store().begin().await.unwrap();
    let id = personnes::create(&mut tx, "96", &p).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// The fields of the blank form as the browser sends them, with a typology, an answer and a wait.
fn saisie<'a>(page: &'a str, lieu: &'a str) -> Vec<(&'a str, &'a str)> {
    let value = |name: &str| -> &'a str {
        let pat = format!("name=\"{name}\" value=\"");
        let start = page.find(&pat).map(|i| i + pat.len()).expect(name);
        &page[start..start + page[start..].find('"').unwrap()]
    };
    vec![
        ("canal", "visite"),
        ("date", value("date")),
        ("heure", value("heure")),
        ("lieu", lieu),
        ("personne_id", "anonyme"),
        ("typologie", "logement"),
        ("reponse", "information"),
        ("attente", "5"),
        ("partenaire", ""),
    ]
}

#[tokio::test]
async fn the_desk_records_a_contact_with_the_defaults() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Accueil).await;
    let site_a = format!("site-{}", app.fx.site_a);
    let form = app.get("/accueil/contacts/nouveau").await;
    assert_eq!(form.status, StatusCode::OK);
    // Defaults: a visit, at the agent's site; the typology has the focus.
    assert!(
        form.body.contains(&format!("value=\"{site_a}\" selected")),
        "{}",
        form.body
    );
    assert!(form.body.contains("value=\"visite\" selected"));
    assert!(form.body.contains("autofocus"));
    assert!(form.body.contains("/static/accueil.js"));

    let a = app
        .post("/accueil/contacts/nouveau", &saisie(&form.body, &site_a))
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let list = contacts(&app, app.fx.site_a).await;
    assert_eq!(
        a.location,
        Some(format!(
            "/accueil/contacts/nouveau?message=cree&contact={}",
            list[0].id
        ))
    );
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].attente_minutes, Some(5));
    assert_eq!(list[0].personne, None);
    assert_eq!(audits(&app, "accueil_contact").await, 1);

    // Back to a blank form with a notice, and the day's contacts below it (a read that is audited).
    let after = app.get(a.location.as_deref().unwrap()).await;
    assert!(
        after.body.contains("Contact anonyme enregistré à"),
        "{}",
        after.body
    );
    assert!(after.body.contains("data-enregistre=\"oui\""));
    assert!(after.body.contains("Logement"));
    assert!(audits(&app, "accueil_contacts").await >= 1);

    // A known person, found through the search, oriented towards a partner.
    let id = personne(&app).await;
    let found = app.get("/accueil/contacts/nouveau?q=guichard").await;
    assert!(
        found.body.contains(&format!("value=\"{id}\"")),
        "{}",
        found.body
    );
    let id_s = id.to_string();
    let mut f = saisie(&form.body, &site_a);
    f.retain(|(k, _)| !matches!(*k, "personne_id" | "reponse" | "partenaire"));
    f.extend([
        ("personne_id", id_s.as_str()),
        ("reponse", "orientation"),
        ("partenaire", "CAF"),
    ]);
    let b = app.post("/accueil/contacts/nouveau", &f).await;
    assert_eq!(b.status, StatusCode::SEE_OTHER, "{}", b.body);
    // The confirmation names whose contact was saved, and when.
    let after = app.get(b.location.as_deref().unwrap()).await;
    let list = contacts(&app, app.fx.site_a).await;
    let saved = list.iter().find(|c| c.personne_id == Some(id)).unwrap();
    let quand =
        parcours_domain::agenda::heure::hm(parcours_domain::agenda::heure::minutes(saved.moment));
    assert!(
        after
            .body
            .contains(&format!("Contact de GUICHARD Anne enregistré à {quand}.")),
        "{}",
        after.body
    );
    assert_eq!(list.len(), 2);
    assert!(list
        .iter()
        .any(|c| c.personne_id == Some(id) && c.partenaire.as_deref() == Some("CAF")));

    // The log of the site lists both.
    let log = app.get("/accueil/contacts").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.contains("GUICHARD"), "{}", log.body);
}

#[tokio::test]
async fn an_invalid_contact_is_refused_with_a_message_per_field() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Accueil).await;
    let site_a = format!("site-{}", app.fx.site_a);
    let a = app
        .post(
            "/accueil/contacts/nouveau",
            &[
                ("canal", "visite"),
                ("date", "32/13/2026"),
                ("heure", "25:00"),
                ("lieu", &site_a),
                ("personne_id", "anonyme"),
                ("typologie", ""),
                ("reponse", "orientation"),
                ("attente", "beaucoup"),
                ("partenaire", ""),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    for msg in [
        "Saisissez la date au format JJ/MM/AAAA",
        "Saisissez l&#39;heure au format HH:MM",
        "Choisissez la nature de la demande",
        "Indiquez le partenaire",
        "Saisissez un nombre entier de minutes",
    ] {
        assert!(
            a.body.contains(msg) || a.body.contains(&msg.replace("&#39;", "'")),
            "{msg}: {}",
            a.body
        );
    }
    // What was typed is kept.
    assert!(a.body.contains("value=\"beaucoup\""));
    assert!(a.body.contains("value=\"32/13/2026\""));
    assert!(contacts(&app, app.fx.site_a).await.is_empty());
    assert_eq!(audits(&app, "accueil_contact").await, 0);
}

#[tokio::test]
async fn a_place_of_another_site_or_departement_is_refused() {
    let mut app = TestApp::new().await;
    let other = parcours_test_support::Fixture::seed_other(app.db.store()).await;
    app.login_as(Role::Accueil).await;
    let form = app.get("/accueil/contacts/nouveau").await;
    let site_b = format!("site-{}", app.fx.site_b);
    let other_site = format!("site-{}", other.site);
    for lieu in [site_b.as_str(), other_site.as_str(), "permanence-999999"] {
        let a = app
            .post("/accueil/contacts/nouveau", &saisie(&form.body, lieu))
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{lieu}");
        assert!(a
            .body
            .contains("Choisissez une MDS ou une permanence de vos sites"));
    }
    assert!(contacts(&app, app.fx.site_b).await.is_empty());
    assert_eq!(audits(&app, "accueil_contact").await, 0);
    // The log of another site is not found.
    let b = app
        .get(&format!("/accueil/contacts?site={}", app.fx.site_b))
        .await;
    assert_eq!(b.status, StatusCode::NOT_FOUND);
    // Neither the direction nor the DPO reach the desk log.
    for role in [Role::Direction, Role::Dpo, Role::Administrateur] {
        app.login_as(role).await;
        let c = app.get("/accueil/contacts/nouveau").await;
        assert_eq!(c.status, StatusCode::FORBIDDEN, "{role:?}");
    }
}

#[tokio::test]
async fn the_administrator_sets_the_desks_motifs_and_the_desk_records_one() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Accueil).await;
    assert_eq!(
        app.get("/accueil/motifs").await.status,
        axum::http::StatusCode::FORBIDDEN
    );
    app.login_as(Role::Administrateur).await;
    let bad = app
        .post(
            "/accueil/motifs",
            &[("libelle", ""), ("typologie", "inconnue")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("Le libellé est obligatoire"),
        "{}",
        bad.body
    );
    let ok = app
        .post(
            "/accueil/motifs",
            &[("libelle", "Impayés de loyer"), ("typologie", "logement")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let twice = app
        .post(
            "/accueil/motifs",
            &[("libelle", "Impayés de loyer"), ("typologie", "logement")],
        )
        .await;
    assert!(twice.body.contains("Ce motif existe déjà"));
    let id = {
        let mut conn = app.db.store().read().await.unwrap();
        accueil::motifs(&mut conn, "96", true).await.unwrap()[0].id
    };

    // The desk now picks among the département's motifs, grouped by family.
    app.login_as(Role::Accueil).await;
    let page = app.get("/accueil/contacts/nouveau").await;
    assert!(
        page.body.contains("<optgroup label=\"Logement\">"),
        "{}",
        page.body
    );
    let motif = format!("motif-{id}");
    let lieu = format!("site-{}", app.fx.site_a);
    let mut f = saisie(&page.body, &lieu);
    f[5] = ("typologie", &motif);
    let a = app.post("/accueil/contacts/nouveau", &f).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let c = contacts(&app, app.fx.site_a).await;
    assert_eq!(
        c[0].typologie,
        parcours_domain::accueil::Typologie::Logement
    );
    assert_eq!(c[0].motif.as_deref(), Some("Impayés de loyer"));

    // Withdrawn: refused with a message on the field.
    app.login_as(Role::Administrateur).await;
    let off = app
        .post(&format!("/accueil/motifs/{id}/desactiver"), &[])
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    app.login_as(Role::Accueil).await;
    let page = app.get("/accueil/contacts/nouveau").await;
    let mut f = saisie(&page.body, &lieu);
    f[5] = ("typologie", &motif);
    let refused = app.post("/accueil/contacts/nouveau", &f).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Choisissez la nature de la demande"));
    assert_eq!(contacts(&app, app.fx.site_a).await.len(), 1);
    assert!(audits(&app, "accueil_motif").await >= 2);
}
