//! Agendas and appointments through the real router and the real job runner, on SQLite or PostgreSQL:
//! plages, booking with its refusals (double booking of the agent or the room, outside the plages, in
//! the past), reminders by e-mail through a local SMTP server (down, then up: retried, nothing lost)
//! and by SMS, the iCal feed, the waiting list, a full collective session, the API.

mod common;

use axum::http::StatusCode;
use chrono::{Duration, NaiveDate};
use common::TestApp;
use parcours_config::{Settings, SmtpSettings};
use parcours_domain::agenda::StatutRdv;
use parcours_domain::habilitations::Role;
use parcours_domain::personnes::{NewPersonne, PersonneForm};
use parcours_store::{agenda, personnes};
use parcours_test_support::smtp::{port_ferme, SmtpSink};

fn demain() -> NaiveDate {
    parcours_store::clock().today() + Duration::days(1)
}

fn fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

async fn personne(app: &TestApp, nom: &str, email: Option<&str>) -> i64 {
    let mut tx = app.db.store().begin().await.unwrap();
    let form = PersonneForm {
        nom_naissance: nom.into(),
        prenoms: "Claire".into(),
        telephone: "06 12 34 56 78".into(),
        email: email.unwrap_or_default().into(),
        ..PersonneForm::default()
    };
    let p = NewPersonne::parse(&form, parcours_store::clock().today()).expect("personne valide");
    let id = personnes::create(&mut tx, "96", &p).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// The social worker of MDS-A opens plages every day from 8:00 to 20:00.
async fn plages(app: &mut TestApp) -> i64 {
    app.login_as(Role::TravailleurSocial).await;
    let ts = app.fx.agent(Role::TravailleurSocial);
    let site = app.fx.site_a.to_string();
    for jour in 1..=7 {
        let a = app
            .post(
                &format!("/agenda/agents/{ts}/plages"),
                &[
                    ("jour", &jour.to_string()),
                    ("debut", "08:00"),
                    ("fin", "20:00"),
                    ("nature", "rendez_vous"),
                    ("site_id", &site),
                    ("permanence_id", ""),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    }
    ts
}

fn reservation<'a>(
    personne: &'a str,
    agent: &'a str,
    date: &'a str,
    h: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("personne_id", personne),
        ("agent_id", agent),
        ("type", "suivi"),
        ("date", date),
        ("heure", h),
        ("duree", ""),
        ("salle_id", ""),
        ("objet", ""),
    ]
}

async fn run_jobs(app: &TestApp, smtp_port: u16) -> parcours_jobs::RunReport {
    run_jobs_with(app, smtp_port, None).await
}

/// Runs the due jobs with a local SMTP server and, optionally, an SMS operator's HTTP API.
async fn run_jobs_with(
    app: &TestApp,
    smtp_port: u16,
    sms: Option<parcours_config::SmsSettings>,
) -> parcours_jobs::RunReport {
    // Reminders are due the day before: move them to now, as the runner tests do, instead of waiting.
    let mut tx = app.db.store().begin().await.unwrap();
    parcours_store::raw_execute(
        &mut tx,
        "UPDATE jobs SET run_at = '2000-01-01T00:00:00.000000Z' WHERE status = 'en_attente'",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let settings = Settings {
        smtp: Some(SmtpSettings {
            host: "127.0.0.1".into(),
            port: smtp_port,
            username: None,
            password: None,
            from: "ne-pas-repondre@cd96.test".into(),
            tls: false,
        }),
        sms,
        ..Settings::default()
    };
    let ctx = parcours_jobs::JobContext {
        store: app.db.store().clone(),
        settings: std::sync::Arc::new(settings),
        clock: app.clock.clone(),
    };
    parcours_jobs::run_pending(&ctx, &parcours_jobs::Registry::standard())
        .await
        .expect("jobs")
}

#[tokio::test]
async fn a_booking_refuses_double_bookings_closed_hours_and_the_past_with_french_messages() {
    let mut app = TestApp::new().await;
    let ts = plages(&mut app).await;
    let p1 = personne(&app, "MARTIN", Some("claire.martin@exemple.test"))
        .await
        .to_string();
    let p2 = personne(&app, "DURAND", None).await.to_string();
    let ts_s = ts.to_string();
    let d = fr(demain());
    app.login_as(Role::Accueil).await;

    let ok = app
        .post(
            "/rendez-vous/nouveau",
            &reservation(&p1, &ts_s, &d, "10:00"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let detail = app.get(ok.location.as_deref().unwrap()).await;
    assert!(
        detail.body.contains("MARTIN Claire") && detail.body.contains("Prévu"),
        "{}",
        detail.body
    );

    // The agent is taken from 10:00 to 10:45: 10:15 is refused, the form keeps what was typed.
    let twice = app
        .post(
            "/rendez-vous/nouveau",
            &reservation(&p2, &ts_s, &d, "10:15"),
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        twice.body.contains("L&#39;agent a déjà un rendez-vous")
            || twice.body.contains("L'agent a déjà un rendez-vous"),
        "{}",
        twice.body
    );
    assert!(
        twice.body.contains("value=\"10:15\""),
        "what was typed stays"
    );
    assert!(twice.body.contains("heure-erreur"));

    let late = app
        .post(
            "/rendez-vous/nouveau",
            &reservation(&p2, &ts_s, &d, "20:30"),
        )
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.body.contains("en dehors des plages"), "{}", late.body);
    let past = app
        .post(
            "/rendez-vous/nouveau",
            &reservation(&p2, &ts_s, &fr(demain() - Duration::days(2)), "10:00"),
        )
        .await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(past.body.contains("est passé"), "{}", past.body);
    let nobody = app
        .post("/rendez-vous/nouveau", &reservation("", &ts_s, &d, "11:00"))
        .await;
    assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nobody.body.contains("personne_id-erreur"));

    // A room: a collective session holds it from 14:00 to 16:00.
    app.login_as(Role::Cadre).await;
    let salle = app
        .post(
            "/agenda/salles",
            &[
                ("site_id", &app.fx.site_a.to_string()),
                ("nom", "Salle 1"),
                ("capacite", "8"),
            ],
        )
        .await;
    assert_eq!(salle.status, StatusCode::SEE_OTHER, "{}", salle.body);
    let salle_id = {
        let mut c = app.db.store().read().await.unwrap();
        agenda::salles(&mut c, "96", None).await.unwrap()[0]
            .id
            .to_string()
    };
    let cadre = app.fx.agent(Role::Cadre).to_string();
    let session = app
        .post(
            "/actions-collectives",
            &[
                ("titre", "Atelier budget"),
                ("site_id", &app.fx.site_a.to_string()),
                ("salle_id", &salle_id),
                ("animateur_id", &cadre),
                ("date", &d),
                ("heure_debut", "14:00"),
                ("heure_fin", "16:00"),
                ("capacite", "1"),
            ],
        )
        .await;
    assert_eq!(session.status, StatusCode::SEE_OTHER, "{}", session.body);
    app.login_as(Role::Accueil).await;
    let mut with_room = reservation(&p2, &ts_s, &d, "14:30");
    with_room[6] = ("salle_id", &salle_id);
    let room = app.post("/rendez-vous/nouveau", &with_room).await;
    assert_eq!(room.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        room.body.contains("La salle a déjà une réservation"),
        "{}",
        room.body
    );

    // The session has one place: the second person is refused.
    let s = session
        .location
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        app.post(&format!("{s}/inscriptions"), &[("personne_id", &p1)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let full = app
        .post(&format!("{s}/inscriptions"), &[("personne_id", &p2)])
        .await;
    assert_eq!(full.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(full.body.contains("complète"));

    // Nothing half-written: one appointment only.
    let mut c = app.db.store().read().await.unwrap();
    let (all, total) = agenda::list(&mut c, "96", &Default::default(), 50, 0)
        .await
        .unwrap();
    assert_eq!(total, 1, "{all:?}");
}

#[tokio::test]
async fn a_reminder_waits_for_a_mail_server_that_is_down_then_is_sent() {
    let mut app = TestApp::new().await;
    let ts = plages(&mut app).await.to_string();
    let p1 = personne(&app, "MARTIN", Some("claire.martin@exemple.test"))
        .await
        .to_string();
    app.login_as(Role::Accueil).await;
    let mut f = reservation(&p1, &ts, "", "10:00");
    let d = fr(demain());
    f[3] = ("date", &d);
    f.push(("rappel_email", "oui"));
    f.push(("rappel_sms", "oui"));
    let ok = app.post("/rendez-vous/nouveau", &f).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let rdv = ok.location.unwrap().split('?').next().unwrap().to_string();

    // The server is down: the e-mail fails and is retried later; the SMS goes to the outbox.
    let down = run_jobs(&app, port_ferme().await).await;
    assert_eq!((down.succeeded, down.failed), (1, 1));
    let page = app.get(&rdv).await;
    assert!(page.body.contains("nouvel essai prévu"), "{}", page.body);
    assert!(page.body.contains("SMS : envoyé"), "{}", page.body);
    let mut c = app.db.store().read().await.unwrap();
    let sms = agenda::sms_sortants(&mut c, "96").await.unwrap();
    drop(c);
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].0, "+33612345678");
    app.login_as(Role::Administrateur).await;
    let jobs = app.get("/admin/taches").await;
    assert!(
        jobs.body.contains("agenda.rappel") && jobs.body.contains("serveur de messagerie"),
        "{}",
        jobs.body
    );

    // The server is back: the retry sends it, once.
    let sink = SmtpSink::start().await;
    let up = run_jobs(&app, sink.port).await;
    assert_eq!((up.succeeded, up.failed), (1, 0));
    let recus = sink.recus();
    assert_eq!(recus.len(), 1);
    assert_eq!(recus[0].to, vec!["claire.martin@exemple.test".to_string()]);
    assert!(
        recus[0].data.contains("Rappel") || recus[0].data.contains("=?utf-8?"),
        "{}",
        recus[0].data
    );
    assert_eq!(run_jobs(&app, sink.port).await.ran(), 0);
    app.login_as(Role::Accueil).await;
    let page = app.get(&rdv).await;
    assert!(page.body.contains("Courriel : envoyé"), "{}", page.body);

    // Cancelled: no reminder is left to send.
    let cancel = app
        .post(&format!("{rdv}/statut"), &[("statut", "annule")])
        .await;
    assert_eq!(cancel.status, StatusCode::SEE_OTHER);
    let back = app
        .post(&format!("{rdv}/statut"), &[("statut", "prevu")])
        .await;
    assert_eq!(back.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_ical_feed_is_secret_revocable_and_names_no_one() {
    let mut app = TestApp::new().await;
    let ts = plages(&mut app).await;
    let p1 = personne(&app, "MARTIN", None).await.to_string();
    app.login_as(Role::Accueil).await;
    let d = fr(demain());
    assert_eq!(
        app.post(
            "/rendez-vous/nouveau",
            &reservation(&p1, &ts.to_string(), &d, "09:00")
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    app.login_as(Role::TravailleurSocial).await;
    let made = app.post(&format!("/agenda/agents/{ts}/ical"), &[]).await;
    assert_eq!(made.status, StatusCode::OK);
    let start = made.body.find("/agenda/ical/").expect("URL shown");
    let end = made.body[start..].find(".ics").unwrap() + start + 4;
    let url = made.body[start..end].to_string();
    let anonymous = TestApp {
        cookie: None,
        csrf: None,
        ..app
    };
    let feed = anonymous.get(&url).await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(feed.content_type.starts_with("text/calendar"));
    assert!(
        feed.body.contains("BEGIN:VEVENT") && feed.body.contains("SUMMARY:Rendez-vous : Suivi"),
        "{}",
        feed.body
    );
    assert!(!feed.body.contains("MARTIN"));
    let mut app = anonymous;
    app.login_as(Role::TravailleurSocial).await;
    app.post(&format!("/agenda/agents/{ts}/ical/revoquer"), &[])
        .await;
    assert_eq!(app.get(&url).await.status, StatusCode::NOT_FOUND);
    // The week shows the appointment with the person's name, and the read is audited.
    let week = app
        .get(&format!("/agenda/agents/{ts}?semaine={}", demain()))
        .await;
    assert!(week.body.contains("MARTIN Claire"), "{}", week.body);
    app.login_as(Role::Dpo).await;
    let audit = app.get("/audit").await;
    assert!(audit.body.contains("agenda"), "{}", audit.body);
}

#[tokio::test]
async fn the_api_books_finds_slots_and_answers_problems_in_french() {
    let mut app = TestApp::new().await;
    let ts = plages(&mut app).await;
    let p1 = personne(&app, "MARTIN", None).await;
    app.login_as(Role::Accueil).await;
    let slots = app
        .json(
            "GET",
            &format!(
                "/api/v1/creneaux?secteur_id={}&type=suivi&nombre=3",
                app.fx.secteur_a
            ),
            None,
            None,
        )
        .await;
    assert_eq!(slots.status, StatusCode::OK, "{}", slots.body);
    let v: serde_json::Value = serde_json::from_str(&slots.body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[0]["agent_id"], ts);
    let body = serde_json::json!({ "personne_id": p1.to_string(), "agent_id": ts.to_string(), "type": "suivi", "date": demain().to_string(), "heure": "11:00" }).to_string();
    let created = app
        .json("POST", "/api/v1/rendez-vous", None, Some(&body))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let twice = app
        .json("POST", "/api/v1/rendez-vous", None, Some(&body))
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert!(twice.content_type.starts_with("application/problem+json"));
    assert!(twice.body.contains("déjà"));
    let list = app.json("GET", "/api/v1/rendez-vous", None, None).await;
    assert!(list.body.contains("\"total\":1"), "{}", list.body);
    // The direction never sees appointments.
    app.login_as(Role::Direction).await;
    assert_eq!(
        app.json("GET", "/api/v1/rendez-vous", None, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_waiting_list_leads_to_a_booking() {
    let mut app = TestApp::new().await;
    let ts = plages(&mut app).await;
    let p1 = personne(&app, "MARTIN", None).await.to_string();
    app.login_as(Role::Accueil).await;
    let added = app
        .post(
            "/rendez-vous/attente",
            &[
                ("personne_id", &p1),
                ("type", "premier_accueil"),
                ("site_id", &app.fx.site_a.to_string()),
                ("motif", ""),
                ("demande_le", ""),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let list = app.get("/rendez-vous/attente").await;
    assert!(list.body.contains("MARTIN Claire"));
    let attente_id = {
        let mut c = app.db.store().read().await.unwrap();
        agenda::attente_list(&mut c, "96", None, "en_attente")
            .await
            .unwrap()[0]
            .id
    };
    let form = app
        .get(&format!("/rendez-vous/nouveau?attente_id={attente_id}"))
        .await;
    assert!(
        form.body.contains("MARTIN Claire") && form.body.contains("checked"),
        "{}",
        form.body
    );
    let ts = ts.to_string();
    let mut f = reservation(&p1, &ts, "", "09:00");
    let d = fr(demain());
    f[3] = ("date", &d);
    f[2] = ("type", "premier_accueil");
    let a = attente_id.to_string();
    f.push(("attente_id", &a));
    assert_eq!(
        app.post("/rendez-vous/nouveau", &f).await.status,
        StatusCode::SEE_OTHER
    );
    let mut c = app.db.store().read().await.unwrap();
    assert!(agenda::attente_list(&mut c, "96", None, "en_attente")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_appointment_moves_with_its_reminders_and_a_freed_slot_goes_to_the_waiting_list() {
    let mut app = TestApp::new().await;
    let ts = plages(&mut app).await.to_string();
    let p1 = personne(&app, "LEROY", Some("leroy@exemple.test"))
        .await
        .to_string();
    let p2 = personne(&app, "PETIT", None).await.to_string();
    app.login_as(Role::Accueil).await;
    let d = fr(demain());
    let mut f = reservation(&p1, &ts, &d, "09:00");
    f.push(("rappel_email", "oui"));
    let booked = app.post("/rendez-vous/nouveau", &f).await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
    let id: i64 = booked.location.unwrap()["/rendez-vous/".len()..]
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // Another appointment at 11:00 blocks that hour.
    let other = app
        .post("/rendez-vous/nouveau", &reservation(&p2, &ts, &d, "11:00"))
        .await;
    assert_eq!(other.status, StatusCode::SEE_OTHER, "{}", other.body);

    // Moving onto the other appointment, or into the past: refused, nothing changed.
    let clash = app
        .post(
            &format!("/rendez-vous/{id}/deplacer"),
            &[("date", &d), ("heure", "11:00"), ("agent_id", "")],
        )
        .await;
    assert_eq!(clash.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(clash.body.contains("déjà"), "{}", clash.body);
    let hier = fr(parcours_store::clock().today() - Duration::days(1));
    let past = app
        .post(
            &format!("/rendez-vous/{id}/deplacer"),
            &[("date", &hier), ("heure", "10:00"), ("agent_id", "")],
        )
        .await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(past.body.contains("est passé"), "{}", past.body);
    let mut c = app.db.store().read().await.unwrap();
    let r = agenda::get(&mut c, "96", id).await.unwrap();
    assert_eq!(r.debut.format("%H:%M").to_string(), "09:00");
    drop(c);

    // A real move keeps the id, the length and the request date; the reminder follows.
    let moved = app
        .post(
            &format!("/rendez-vous/{id}/deplacer"),
            &[("date", &d), ("heure", "14:30"), ("agent_id", "")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    let mut c = app.db.store().read().await.unwrap();
    let r = agenda::get(&mut c, "96", id).await.unwrap();
    assert_eq!(r.debut.format("%H:%M").to_string(), "14:30");
    assert_eq!(r.statut, StatutRdv::Prevu);
    let rappels = agenda::rappels(&mut c, "96", id).await.unwrap();
    assert_eq!(rappels.len(), 1, "{rappels:?}");
    assert_eq!(rappels[0].statut, "prevu");
    let veille =
        parcours_store::clock().utc(r.debut) - Duration::hours(agenda::RAPPEL_AVANCE_HEURES);
    assert!(
        rappels[0]
            .envoyer_le
            .starts_with(&veille.format("%Y-%m-%dT%H:%M").to_string())
            || veille < chrono::Utc::now(),
        "{rappels:?}"
    );
    drop(c);

    // The person waiting longest for a follow-up at this site is offered the slot freed by a
    // cancellation.
    let attente = app
        .post(
            "/rendez-vous/attente",
            &[
                ("personne_id", &p2),
                ("type", "suivi"),
                ("site_id", &app.fx.site_a.to_string()),
                ("motif", ""),
                ("demande_le", ""),
            ],
        )
        .await;
    assert_eq!(attente.status, StatusCode::SEE_OTHER, "{}", attente.body);
    let cancel = app
        .post(
            &format!("/rendez-vous/{id}/statut"),
            &[("statut", "annule")],
        )
        .await;
    assert_eq!(cancel.status, StatusCode::SEE_OTHER);
    let page = app.get(&format!("/rendez-vous/{id}")).await;
    assert!(page.body.contains("Créneau libéré"), "{}", page.body);
    assert!(page.body.contains("PETIT Claire"));
    let attente_id = {
        let mut c = app.db.store().read().await.unwrap();
        agenda::attente_list(&mut c, "96", None, "en_attente")
            .await
            .unwrap()[0]
            .id
    };
    let given = app
        .post(
            &format!("/rendez-vous/{id}/proposer"),
            &[("attente_id", &attente_id.to_string())],
        )
        .await;
    assert_eq!(given.status, StatusCode::SEE_OTHER, "{}", given.body);
    let mut c = app.db.store().read().await.unwrap();
    assert!(agenda::attente_list(&mut c, "96", None, "en_attente")
        .await
        .unwrap()
        .is_empty());
    let planned = agenda::attente_list(&mut c, "96", None, "planifie")
        .await
        .unwrap();
    let nouveau = agenda::get(&mut c, "96", planned[0].rendez_vous_id.unwrap())
        .await
        .unwrap();
    assert_eq!(nouveau.debut.format("%H:%M").to_string(), "14:30");
    assert_eq!(nouveau.personne_id.to_string(), p2);
}

#[tokio::test]
async fn a_follow_up_is_refused_for_a_merged_person_or_a_closed_file() {
    let mut app = TestApp::new().await;
    let ts = plages(&mut app).await.to_string();
    let p1 = personne(&app, "ROUX", None).await;
    let p2 = personne(&app, "BLANC", None).await;
    let mut tx = app.db.store().begin().await.unwrap();
    parcours_store::raw_execute(
        &mut tx,
        &format!(
            "INSERT INTO dossiers (departement_id, personne_id, intitule, ouvert_le, clos_le, created_at) \
             VALUES ('96', {p2}, 'Dossier clos', '2024-01-01', '2025-01-01', '2024-01-01T00:00:00.000000Z')"
        ),
    )
    .await
    .unwrap();
    parcours_store::raw_execute(
        &mut tx,
        &format!("UPDATE personnes SET fusionnee_dans = {p2} WHERE id = {p1}"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.login_as(Role::Accueil).await;
    let d = fr(demain());
    let (p1, p2) = (p1.to_string(), p2.to_string());
    let merged = app
        .post("/rendez-vous/nouveau", &reservation(&p1, &ts, &d, "09:00"))
        .await;
    assert_eq!(merged.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(merged.body.contains("fusionnée"), "{}", merged.body);
    let closed = app
        .post("/rendez-vous/nouveau", &reservation(&p2, &ts, &d, "09:00"))
        .await;
    assert_eq!(closed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(closed.body.contains("est clos"), "{}", closed.body);
    // A first reception is still possible.
    let mut f = reservation(&p2, &ts, &d, "09:00");
    f[2] = ("type", "premier_accueil");
    let first = app.post("/rendez-vous/nouveau", &f).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let mut c = app.db.store().read().await.unwrap();
    assert_eq!(
        agenda::list(&mut c, "96", &agenda::RdvFilter::default(), 10, 0)
            .await
            .unwrap()
            .1,
        1
    );
}

/// A local SMS operator API: records each JSON body with its Authorization header, answers 202.
async fn operateur_sms() -> (
    u16,
    std::sync::Arc<std::sync::Mutex<Vec<(Option<String>, serde_json::Value)>>>,
) {
    use axum::http::HeaderMap;
    let recus = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
    let r2 = recus.clone();
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(
            move |headers: HeaderMap, axum::Json(v): axum::Json<serde_json::Value>| {
                let r = r2.clone();
                async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|h| h.to_str().ok())
                        .map(str::to_string);
                    r.lock().unwrap().push((auth, v));
                    StatusCode::ACCEPTED
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, recus)
}

#[tokio::test]
async fn an_sms_reminder_goes_through_the_operators_api_and_waits_while_it_is_down() {
    let mut app = TestApp::new().await;
    let ts = plages(&mut app).await.to_string();
    let p1 = personne(&app, "FAURE", None).await.to_string();
    app.login_as(Role::Accueil).await;
    let d = fr(demain());
    let mut f = reservation(&p1, &ts, &d, "10:00");
    f.push(("rappel_sms", "oui"));
    let ok = app.post("/rendez-vous/nouveau", &f).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let rdv = ok.location.unwrap().split('?').next().unwrap().to_string();
    let reglages = |port: u16| parcours_config::SmsSettings {
        url: format!("http://127.0.0.1:{port}/sms").parse().unwrap(),
        jeton: Some(parcours_config::Secret::new("jeton-operateur")),
        expediteur: Some("CD96".into()),
    };

    // The operator is down: the job fails, the reminder waits, nothing in the outbox.
    let down = run_jobs_with(&app, port_ferme().await, Some(reglages(port_ferme().await))).await;
    assert_eq!((down.succeeded, down.failed), (0, 1));
    let page = app.get(&rdv).await;
    assert!(page.body.contains("nouvel essai prévu"), "{}", page.body);
    assert!(page.body.contains("injoignable"), "{}", page.body);
    assert!(
        !page.body.contains("+33612345678"),
        "the error names no number"
    );

    // Back up: sent once, with the token, the number and a reference for deduplication.
    let (port, recus) = operateur_sms().await;
    let up = run_jobs_with(&app, port_ferme().await, Some(reglages(port))).await;
    assert_eq!((up.succeeded, up.failed), (1, 0));
    let recus = recus.lock().unwrap().clone();
    assert_eq!(recus.len(), 1);
    assert_eq!(recus[0].0.as_deref(), Some("Bearer jeton-operateur"));
    assert_eq!(recus[0].1["destinataire"], "+33612345678");
    assert_eq!(recus[0].1["expediteur"], "CD96");
    assert!(recus[0].1["texte"].as_str().unwrap().contains("Rappel"));
    assert!(recus[0].1["reference"]
        .as_str()
        .unwrap()
        .starts_with("parcours-96-rappel-"));
    let mut c = app.db.store().read().await.unwrap();
    assert!(agenda::sms_sortants(&mut c, "96").await.unwrap().is_empty());
}

#[tokio::test]
async fn the_appointments_export_as_csv_and_xlsx_within_the_sites_of_the_agent() {
    let mut app = TestApp::new().await;
    let b = app.fx.seed_mds_b(app.db.store()).await;
    let ts = plages(&mut app).await;
    let p1 = personne(&app, "MARTIN", None).await.to_string();
    let ts_s = ts.to_string();
    let d = fr(demain());
    app.login_as(Role::Accueil).await;
    // The person needs an interpreter: the need is kept with the appointment and shown.
    let mut f = reservation(&p1, &ts_s, &d, "10:00");
    f.push(("interprete", "arabe"));
    let ok = app.post("/rendez-vous/nouveau", &f).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let detail = app.get(ok.location.as_deref().unwrap()).await;
    assert!(
        detail
            .body
            .contains("<dt>Interprète</dt><dd><strong>arabe</strong>"),
        "{}",
        detail.body
    );
    // The list offers its exports with its filters.
    let list = app.get("/rendez-vous").await;
    assert!(list.body.contains("/rendez-vous.csv?"), "{}", list.body);
    let csv = app.get("/rendez-vous.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    assert!(csv.body.starts_with(
        "\u{feff}Date;Début;Fin;Personne;Type;Agent;Lieu;Statut;Demande du;Délai (jours)"
    ));
    assert!(
        csv.body
            .contains(&format!("{d};10:00;10:45;MARTIN Claire;Suivi;")),
        "{}",
        csv.body
    );
    let xlsx = app.get("/rendez-vous.xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.body.starts_with("PK"));
    // MDS-B's desk exports nothing of MDS-A.
    app.login(b.email(Role::Accueil), parcours_test_support::PASSWORD)
        .await;
    let other = app.get("/rendez-vous.csv").await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(!other.body.contains("MARTIN"), "{}", other.body);
    // A service account, even one that books on MDS-A, neither exports nor prints a convocation:
    // these are pages, a token has no scope for them.
    let rdv = ok.location.clone().unwrap();
    app.login_as(Role::Administrateur).await;
    let jeton = app
        .jeton_sites(
            "Portail",
            &["rendez-vous:gerer", "creneaux:lire"],
            &[app.fx.site_a],
        )
        .await;
    app.cookie = None;
    for path in [
        "/rendez-vous.csv".to_string(),
        "/rendez-vous.xlsx".to_string(),
        format!("{rdv}/convocation"),
    ] {
        let a = app.json("GET", &path, Some(&jeton), None).await;
        assert_ne!(a.status, StatusCode::OK, "{path}");
        assert!(!a.body.contains("MARTIN"), "{path}: {}", a.body);
    }
}
