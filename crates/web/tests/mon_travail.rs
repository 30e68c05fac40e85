//! Each role lands on its own work (issue 16, « a home page per role »): the social worker sees
//! their appointments of the day and the dossiers they follow with what is due next; the desk sees
//! today's contacts, appointments and the appui queue of its site; an agent of another MDS sees none
//! of it; the direction sees its figures, no person; the persons named are read under an audit entry.

mod common;

use axum::http::StatusCode;
use common::{civil, TestApp};
use parcours_domain::habilitations::Role;

/// Audit entries of the home page for `agent`.
async fn lectures_accueil(app: &TestApp, agent: i64) -> Vec<serde_json::Value> {
    let mut conn = app.db.store().read().await.unwrap();
    let (rows, _) = parcours_store::audit::list(&mut conn, "96", &Default::default(), 100_000, 0)
        .await
        .unwrap();
    rows.into_iter()
        .filter(|r| r.record_type == "page_accueil" && r.agent_id == Some(agent))
        .map(|r| serde_json::from_str(&r.details).unwrap())
        .collect()
}

#[tokio::test]
async fn each_role_lands_on_its_own_work_and_nothing_of_another_mds() {
    let mut app = TestApp::new().await;
    let b = app.fx.seed_mds_b(app.db.store()).await;
    // Monday 7 December 2026, 8:30 in the département.
    app.clock.set_civil(civil("2026-12-07T08:30"));
    app.login_as(Role::TravailleurSocial).await;
    let ts = app.fx.agent(Role::TravailleurSocial);
    let site = app.fx.site_a.to_string();
    let a = app
        .post(
            &format!("/agenda/agents/{ts}/plages"),
            &[
                ("jour", "1"),
                ("debut", "08:00"),
                ("fin", "18:00"),
                ("nature", "rendez_vous"),
                ("site_id", &site),
                ("permanence_id", ""),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let p = app
        .personne_avec_adresse("Tréguier", "Morgane", "21/06/1979", "96001", "96100")
        .await;
    // Her dossier, with the social worker as référent and an action of the plan due on Friday.
    let dossier = app.ouvrir_dossier(p, "Accompagnement budgétaire").await;
    let social = app
        .fx
        .service(parcours_domain::referentiel::ServiceKind::ServiceSocial)
        .to_string();
    let r = app
        .post(
            &format!("/dossiers/{dossier}/referents"),
            &[("service_id", &social), ("referent_agent", &ts.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let plan = app
        .post(
            &format!("/dossiers/{dossier}/plan"),
            &[
                ("objectif_id", ""),
                ("libelle", "Constituer le dossier de surendettement"),
                ("echeance", "11/12/2026"),
            ],
        )
        .await;
    assert_eq!(plan.status, StatusCode::SEE_OTHER, "{}", plan.body);
    // An appointment at 10:00 today.
    let booked = app
        .post(
            "/rendez-vous/nouveau",
            &[
                ("personne_id", &p.to_string()),
                ("agent_id", &ts.to_string()),
                ("type", "suivi"),
                ("date", "07/12/2026"),
                ("heure", "10:00"),
                ("duree", ""),
                ("salle_id", ""),
                ("objet", ""),
            ],
        )
        .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
    let rdv = common::id_after(&booked.location.clone().unwrap(), "/rendez-vous/");

    let home = app.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("Mes rendez-vous du jour"),
        "{}",
        home.body
    );
    assert!(home.body.contains("10 h 00"), "{}", home.body);
    assert!(home.body.contains("TRÉGUIER") || home.body.contains("Tréguier"));
    assert!(home.body.contains("Mes dossiers"));
    assert!(home.body.contains(&format!("href=\"/dossiers/{dossier}\"")));
    assert!(home
        .body
        .contains("11/12/2026 — Constituer le dossier de surendettement"));
    assert!(home.body.contains("Lundi 7 décembre 2026"));
    // The persons named were read under one audit entry of the page.
    let lectures = lectures_accueil(&app, ts).await;
    assert!(
        lectures.iter().any(|d| d["personnes"]
            .as_array()
            .is_some_and(|a| a.contains(&serde_json::json!(p)))
            && d["dossiers"]
                .as_array()
                .is_some_and(|a| a.contains(&serde_json::json!(dossier)))),
        "{lectures:?}"
    );

    // Past Friday, the action is shown late.
    app.clock.set_civil(civil("2026-12-14T08:30"));
    app.login_as(Role::TravailleurSocial).await;
    let later = app.get("/").await;
    assert!(
        later.body.contains("En retard : 11/12/2026"),
        "{}",
        later.body
    );
    app.clock.set_civil(civil("2026-12-07T09:00"));

    // The desk of MDS-A: today's appointment of its site, today's contact, the appui queue.
    app.login_as(Role::Accueil).await;
    let now = "09:00";
    let contact = app
        .post(
            "/accueil/contacts/nouveau",
            &[
                ("canal", "visite"),
                ("date", "07/12/2026"),
                ("heure", now),
                ("personne_id", &p.to_string()),
                ("typologie", "acces_droits"),
                ("reponse", "appui_technique"),
                ("attente", ""),
                ("partenaire", ""),
                ("motif_appui", "agressivite"),
                ("lieu", &format!("site-{}", app.fx.site_a)),
            ],
        )
        .await;
    assert_eq!(contact.status, StatusCode::SEE_OTHER, "{}", contact.body);
    let desk = app.get("/").await;
    assert_eq!(desk.status, StatusCode::OK);
    for attendu in [
        "Rendez-vous du jour",
        "Contacts du jour",
        "File de l&#39;appui technique",
        "Personne très insistante ou agressive",
        "Enregistrer un contact",
    ] {
        assert!(
            desk.body.contains(attendu) || desk.body.contains(&attendu.replace("&#39;", "'")),
            "{attendu}: {}",
            desk.body
        );
    }
    assert!(desk.body.contains("10 h 00"));
    assert!(!desk.body.contains("Mes dossiers"));

    // The fiche tells the desk everything about the person on its site: the appointment to come,
    // the contact of the day, and « Prendre rendez-vous » with the person and her secteur chosen.
    let fiche = app.get(&format!("/personnes/{p}")).await;
    assert_eq!(fiche.status, StatusCode::OK);
    assert!(
        fiche.body.contains("Rendez-vous à venir — 1"),
        "{}",
        fiche.body
    );
    assert!(fiche.body.contains("lundi 7 décembre 2026 à 10 h 00"));
    assert!(
        fiche.body.contains("Contacts avec l&#39;accueil")
            || fiche.body.contains("Contacts avec l'accueil")
    );
    assert!(fiche.body.contains("Appui technique demandé"));
    let secteur = app.fx.secteur_a;
    let prendre = format!("/agenda?secteur_id={secteur}&#38;personne_id={p}");
    assert!(fiche.body.contains(&prendre), "{}", fiche.body);
    // The first free slots keep the person for the booking.
    let slots = app
        .get(&format!(
            "/agenda?secteur_id={secteur}&personne_id={p}&type=suivi"
        ))
        .await;
    assert_eq!(slots.status, StatusCode::OK);
    assert!(
        slots.body.contains(&format!("personne_id={p}\"")),
        "{}",
        slots.body
    );
    let booking = app
        .get(&format!(
            "/rendez-vous/nouveau?agent_id={ts}&date=07%2F12%2F2026&heure=11%3A00&type=suivi&personne_id={p}"
        ))
        .await;
    assert!(booking.body.contains(&format!("value=\"{p}\" checked")));

    // The printable convocation: when, where with the address, with whom, what to bring.
    let convocation = app.get(&format!("/rendez-vous/{rdv}/convocation")).await;
    assert_eq!(convocation.status, StatusCode::OK);
    for attendu in [
        "Convocation à un rendez-vous",
        "lundi 7 décembre 2026 à 10 h 00",
        "1 place de la Mairie, MDS d&#39;Aubier",
        "À apporter",
        "pièce d&#39;identité",
    ] {
        assert!(
            convocation.body.contains(attendu)
                || convocation.body.contains(&attendu.replace("&#39;", "'")),
            "{attendu}: {}",
            convocation.body
        );
    }

    // The social worker of MDS-B: her own page, nothing of MDS-A's person, appointment or queue.
    app.login(
        b.email(Role::TravailleurSocial),
        parcours_test_support::PASSWORD,
    )
    .await;
    let other = app.get("/").await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(!other.body.contains("Tréguier") && !other.body.contains("TRÉGUIER"));
    assert!(!other.body.contains("agressive"));
    assert!(
        other.body.contains("Aucun rendez-vous aujourd&#39;hui")
            || other.body.contains("Aucun rendez-vous aujourd'hui")
    );
    // Her fiche, read from MDS-B, shows neither MDS-A's appointment nor its desk contact.
    let vue_b = app.get(&format!("/personnes/{p}")).await;
    assert!(!vue_b.body.contains("10 h 00"), "{}", vue_b.body);
    assert!(!vue_b.body.contains("Appui technique demandé"));
    assert_eq!(
        app.get(&format!("/rendez-vous/{rdv}/convocation"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Nothing personal read: no audit entry of the page.
    assert!(lectures_accueil(&app, b.agent(Role::TravailleurSocial))
        .await
        .is_empty());

    // The direction: its figures, no person.
    app.login_as(Role::Direction).await;
    let dir = app.get("/").await;
    assert_eq!(dir.status, StatusCode::OK);
    assert!(dir.body.contains("Retards par secteur"));
    assert!(!dir.body.contains("Tréguier") && !dir.body.contains("TRÉGUIER"));
    assert!(!dir.body.contains("Rendez-vous du jour"));
}
