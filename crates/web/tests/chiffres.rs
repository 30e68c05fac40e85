//! « Chiffres de l'accueil »: the page with its charts and tables, the CSV and XLSX exports, the JSON
//! of the API, the territorial scope (a cadre sees their MDS, the central team every MDS) and the roles
//! that may not see them.

mod common;

use axum::http::StatusCode;
use chrono::{Datelike, Duration, NaiveDate};
use common::TestApp;
use parcours_domain::accueil::{Canal, Lieu, NewContact, Reponse, Typologie};
use parcours_domain::habilitations::Role;
use parcours_store::accueil;

/// The first day of the month before the current one: inside the default period (the last twelve
/// months), and in the past.
fn mois_dernier() -> NaiveDate {
    let today = parcours_store::clock().today();
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap();
    let prev = first - Duration::days(1);
    NaiveDate::from_ymd_opt(prev.year(), prev.month(), 1).unwrap()
}

/// Three contacts at MDS-A (two answered at the desk, one appui technique) and one at MDS-B, last
/// month.
async fn seed(app: &TestApp) {
    let day = mois_dernier().and_hms_opt(9, 0, 0).unwrap();
    let store = app.db.store();
    let mut tx = store.begin().await.unwrap();
    for (i, (site, t, r)) in [
        (app.fx.site_a, Typologie::Financier, Reponse::Information),
        (
            app.fx.site_a,
            Typologie::Logement,
            Reponse::AideAdministrative,
        ),
        (app.fx.site_a, Typologie::Financier, Reponse::AppuiTechnique),
        (app.fx.site_b, Typologie::Sante, Reponse::Information),
    ]
    .into_iter()
    .enumerate()
    {
        let c = NewContact {
            canal: Canal::Telephone,
            moment: day + Duration::minutes(i as i64 * 10),
            lieu: Lieu::Site(site),
            personne_id: None,
            typologie: t,
            reponse: r,
            partenaire: None,
            attente_minutes: None,
            motif_appui: None,
            motif_id: None,
        };
        accueil::create(&mut tx, "96", &c, site, None)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_page_shows_the_charts_and_the_tables_of_the_cadre_s_mds() {
    let mut app = TestApp::new().await;
    seed(&app).await;
    app.login_as(Role::Cadre).await;
    let a = app.get("/accueil/chiffres").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(
        a.body.contains("<h1>Chiffres de l&#x27;accueil</h1>")
            || a.body.contains("<h1>Chiffres de l'accueil</h1>")
    );
    // Two accessible charts, each followed by its data.
    assert_eq!(a.body.matches("<svg role=\"img\"").count(), 2);
    assert!(a.body.contains("id=\"graphe-contacts-titre\""));
    assert!(a.body.contains("<desc id=\"graphe-contacts-desc\">"));
    assert!(a.body.contains("id=\"tableau-typologies\""));
    // The cadre of MDS-A: three contacts, two answered at the desk, one appui technique.
    assert!(a
        .body
        .contains("<span class=\"chiffre\">3</span> Contacts à l"));
    assert!(a
        .body
        .contains("<span class=\"chiffre\">66,7\u{a0}%</span> Répondus au guichet"));
    assert!(a
        .body
        .contains("<span class=\"chiffre\">1</span> Demandes d"));
    assert!(!a.body.contains("MDS de Brielle</th>"));
    // The link in the navigation.
    assert!(a
        .body
        .contains("href=\"/accueil/chiffres\" aria-current=\"page\""));

    // Another MDS than the cadre's: as if it did not exist.
    let other = app
        .get(&format!("/accueil/chiffres?mds={}", app.fx.site_b))
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    // A month typed wrong: a message beside the field, the default period shown.
    let bad = app.get("/accueil/chiffres?du=2025-13&au=").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("format AAAA-MM"));
    assert!(bad.body.contains("value=\"2025-13\""));
}

#[tokio::test]
async fn csv_and_xlsx_exports_carry_the_figures() {
    let mut app = TestApp::new().await;
    seed(&app).await;
    app.login_as(Role::EquipeCentrale).await;
    let m = parcours_store::chiffres::Mois::of(mois_dernier()).code();

    let csv = app.get("/accueil/chiffres.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    let mut lines = csv.body.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("\u{feff}Mois;MDS;Contacts;Contacts : Financier;"),
        "{header}"
    );
    assert!(header.contains(";Part répondue au guichet (%);"));
    // The central team sees both MDS; last month at MDS-A: 3 contacts, 2 financial, 1 housing.
    let row = lines
        .find(|l| l.starts_with(&format!("{m};MDS d'Aubier;")))
        .expect("ligne de MDS-A");
    assert!(
        row.starts_with(&format!("{m};MDS d'Aubier;3;2;0;1;0;0;0;0;0;0;2;66,7;1;0;")),
        "{row}"
    );
    assert!(csv.body.contains(&format!("{m};MDS de Brielle;1;")));

    let agents = app.get("/accueil/chiffres.csv?tableau=agents").await;
    assert_eq!(agents.status, StatusCode::OK);
    assert!(agents
        .body
        .starts_with("\u{feff}Mois;MDS;Agent;Rendez-vous"));

    let xlsx = app.get("/accueil/chiffres.xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(
        xlsx.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(xlsx.body.starts_with("PK"), "une archive zip");
    assert!(xlsx.body.len() > 2000);

    // An export with a bad filter is refused rather than silently widened.
    let bad = app.get("/accueil/chiffres.csv?du=2026-05&au=2026-01").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_api_answers_the_same_figures_in_json() {
    let mut app = TestApp::new().await;
    seed(&app).await;
    app.login_as(Role::Accueil).await;
    let a = app
        .json("GET", "/api/v1/accueil/chiffres", None, None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(v["total"]["contacts"], 3);
    assert_eq!(v["total"]["reponses_au_guichet"], 2);
    assert_eq!(v["total"]["appuis_techniques"], 1);
    assert_eq!(v["total"]["contacts_par_typologie"]["financier"], 2);
    assert_eq!(v["par_mois"].as_array().unwrap().len(), 12);
    assert_eq!(v["par_site"][0]["site"], "MDS d'Aubier");
    let share = v["total"]["part_au_guichet"].as_f64().unwrap();
    assert!((share - 2.0 / 3.0).abs() < 1e-9);

    let other = app
        .json(
            "GET",
            &format!("/api/v1/accueil/chiffres?mds={}", app.fx.site_b),
            None,
            None,
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let bad = app
        .json("GET", "/api/v1/accueil/chiffres?du=mars", None, None)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("\"du\""));

    let spec = app.get("/api/v1/openapi.json").await;
    assert!(spec.body.contains("/api/v1/accueil/chiffres"));
    assert!(spec.body.contains("ChiffresOut"));
}

#[tokio::test]
async fn the_dpo_and_the_administrator_may_not_see_the_figures() {
    for role in [Role::Dpo, Role::Administrateur] {
        let mut app = TestApp::new().await;
        app.login_as(role).await;
        for path in [
            "/accueil/chiffres",
            "/accueil/chiffres.csv",
            "/accueil/chiffres.xlsx",
        ] {
            let a = app.get(path).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{role:?} {path}");
        }
        let home = app.get("/").await;
        assert!(!home.body.contains("/accueil/chiffres"), "{role:?}");
    }
}

#[tokio::test]
async fn the_direction_reads_the_counts_of_the_departement_but_not_each_agents() {
    let mut app = TestApp::new().await;
    seed(&app).await;
    app.login_as(Role::Direction).await;
    let m = parcours_store::chiffres::Mois::of(mois_dernier()).code();
    let page = app.get("/accueil/chiffres").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("MDS d&#39;Aubier") || page.body.contains("MDS d'Aubier"));
    assert!(
        !page.body.contains("Rendez-vous par agent"),
        "{}",
        page.body
    );
    let home = app.get("/").await;
    assert!(home.body.contains("href=\"/accueil/chiffres\""));
    let csv = app.get("/accueil/chiffres.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains(&format!("{m};MDS d'Aubier;3;")));
    assert_eq!(
        app.get("/accueil/chiffres.csv?tableau=agents").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/accueil/chiffres").await.status,
        StatusCode::OK
    );
    // The central team, on the same figures, has the table per agent the direction lacks.
    app.login_as(Role::EquipeCentrale).await;
    let central = app.get("/accueil/chiffres").await;
    assert!(central.body.contains("Rendez-vous par agent"));
}

#[tokio::test]
async fn a_name_that_starts_like_a_formula_is_exported_as_text() {
    let mut app = TestApp::new().await;
    seed(&app).await;
    // A site renamed by someone who meant harm: a spreadsheet would run this cell.
    let formule = "=HYPERLINK(\"http://exemple.invalid\",\"Ouvrir\")";
    let mut tx = app.db.store().begin().await.unwrap();
    parcours_store::referentiel::site_update(
        &mut tx,
        "96",
        app.fx.site_b,
        &parcours_domain::referentiel::NewSite {
            territoire_id: app.fx.territoire_b,
            code: "MDS-B".into(),
            nom: formule.into(),
            kind: parcours_domain::referentiel::SiteKind::Mds,
            adresse: "1 place de la Mairie, Brielle".into(),
            commune_insee: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.login_as(Role::EquipeCentrale).await;
    let m = parcours_store::chiffres::Mois::of(mois_dernier()).code();
    let csv = app.get("/accueil/chiffres.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.contains(&format!("{m};\"'=HYPERLINK(")),
        "the cell starts with a quote: {}",
        csv.body
    );
    assert!(!csv.body.contains(";\"=HYPERLINK(") && !csv.body.contains(";=HYPERLINK("));
}
