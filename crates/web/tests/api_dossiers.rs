//! The JSON API of dossiers and of the person's rights through the real router: designating a
//! référent, uploading a document (size and type checked from the content, nothing written on a
//! refusal), consents, access requests with their deadline and the access archive; outside the
//! caller's scope a 403 that the audit log records; bad input answered in French problem+json.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Answer, TestApp};
use parcours_domain::habilitations::Role;

const PDF: &[u8] = b"%PDF-1.4\n% piece de test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// Creates a person (after the search the form requires) with an address in `insee`; returns its id.
async fn personne(app: &TestApp, nom: &str, prenom: &str, naissance: &str, insee: &str) -> i64 {
    let cp = if insee == "96003" { "96200" } else { "96100" };
    app.personne_avec_adresse(nom, prenom, naissance, insee, cp)
        .await
}

/// Opens a dossier for the signed-in agent's service; returns its id.
async fn open_dossier(app: &TestApp, personne: i64) -> i64 {
    let a = app
        .post(
            &format!("/personnes/{personne}/dossiers"),
            &[("intitule", "Accompagnement budgétaire")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    a.location
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Sends a multipart upload to the API with the session and its CSRF token (header), as a page's
/// script does.
async fn upload(app: &TestApp, path: &str, fields: &[(&str, &str)], content: &[u8]) -> Answer {
    upload_with(app, path, fields, content, true, None).await
}

/// The same upload, with or without the CSRF token, and from the `Origin` given.
async fn upload_with(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    content: &[u8],
    csrf: bool,
    origin: Option<&str>,
) -> Answer {
    let boundary = "----parcours-api-test";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"piece.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut req = Request::post(path)
        .header(header::COOKIE, app.cookie.clone().unwrap_or_default())
        .header(header::HOST, "parcours.cd96.test");
    if csrf {
        req = req.header("x-csrf-token", app.csrf.clone().unwrap_or_default());
    }
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    let req = req
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request");
    app.send(req).await
}

fn json(a: &Answer) -> serde_json::Value {
    serde_json::from_str(&a.body).unwrap_or_else(|e| panic!("JSON attendu ({e}) : {}", a.body))
}

fn assert_problem(a: &Answer, status: StatusCode) -> serde_json::Value {
    assert_eq!(a.status, status, "{}", a.body);
    assert!(
        a.content_type.starts_with("application/problem+json"),
        "{}",
        a.content_type
    );
    json(a)
}

async fn audit_entries(app: &TestApp, record_type: &str, record_id: i64) -> Vec<String> {
    let mut conn = app.db.store().read().await.unwrap();
    let filter = parcours_store::audit::AuditFilter {
        record_type: Some(record_type.into()),
        record_id: Some(record_id.to_string()),
        ..Default::default()
    };
    parcours_store::audit::list(&mut conn, "96", &filter, 1000, 0)
        .await
        .unwrap()
        .0
        .into_iter()
        .map(|e| e.action)
        .collect()
}

async fn matricule(app: &TestApp, role: Role) -> String {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::agents::get(&mut conn, "96", app.fx.agent(role))
        .await
        .unwrap()
        .matricule
}

#[tokio::test]
async fn a_referent_is_designated_through_the_api_with_the_rules_of_the_page() {
    let mut app = TestApp::new().await;
    app.login_as(Role::TravailleurSocial).await;
    let p = personne(&app, "Roussel", "Anaïs", "12/04/1988", "96001").await;
    let d = open_dossier(&app, p).await;
    let path = format!("/api/v1/dossiers/{d}/referents");
    let service = app
        .fx
        .service(parcours_domain::referentiel::ServiceKind::ServiceSocial);
    let cadre = matricule(&app, Role::Cadre).await;
    let crip = matricule(&app, Role::EquipeCentrale).await;

    let ok = app
        .json(
            "POST",
            &path,
            None,
            Some(&format!(
                r#"{{"service_id":{service},"matricule":"{cadre}"}}"#
            )),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let list = json(&ok);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|r| r["agent_id"] == app.fx.agent(Role::Cadre) && r["service_id"] == service),
        "{list}"
    );
    assert!(audit_entries(&app, "dossier", d)
        .await
        .contains(&"referent".to_string()));
    let detail = app
        .json("GET", &format!("/api/v1/dossiers/{d}"), None, None)
        .await;
    assert!(
        json(&detail)["referents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["agent_id"] == app.fx.agent(Role::Cadre)),
        "{}",
        detail.body
    );

    // An agent of another service, an unknown matricule, a missing service: 422 in French.
    let other = app
        .json(
            "POST",
            &path,
            None,
            Some(&format!(
                r#"{{"service_id":{service},"matricule":"{crip}"}}"#
            )),
        )
        .await;
    let body = assert_problem(&other, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["erreurs"]["matricule"],
        "Cet agent n'appartient pas au service choisi."
    );
    let unknown = app
        .json("POST", &path, None, Some(r#"{"matricule":"ZZ9999"}"#))
        .await;
    let body = assert_problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["erreurs"]["matricule"]
        .as_str()
        .unwrap()
        .contains("Aucun agent"));
    assert_eq!(body["erreurs"]["service_id"], "Choisissez le service.");
    // Malformed JSON and a wrong type: French problem+json, no panic.
    let broken = app
        .json("POST", &path, None, Some(r#"{"service_id":"#))
        .await;
    let body = assert_problem(&broken, StatusCode::BAD_REQUEST);
    assert_eq!(body["title"], "JSON mal formé");
    let wrong = app
        .json("POST", &path, None, Some(r#"{"service_id":"social"}"#))
        .await;
    let body = assert_problem(&wrong, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .starts_with("Le JSON ne correspond pas"));
    let referents = {
        let mut conn = app.db.store().read().await.unwrap();
        parcours_store::dossiers::referents(&mut conn, "96", d)
            .await
            .unwrap()
    };
    assert_eq!(
        referents.iter().filter(|r| r.service_id == service).count(),
        1,
        "nothing written by the refused designations"
    );
    assert_eq!(
        app.json(
            "POST",
            "/api/v1/dossiers/999999/referents",
            None,
            Some("{}")
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_document_is_uploaded_checked_by_content_and_size_and_nothing_is_written_on_error() {
    let mut app = TestApp::with_settings(|s| s.document_taille_max = 4096).await;
    app.login_as(Role::TravailleurSocial).await;
    let p = personne(&app, "Vasseur", "Lina", "05/05/1995", "96001").await;
    let d = open_dossier(&app, p).await;
    let path = format!("/api/v1/dossiers/{d}/documents");
    let fields = [("type_document", "courrier"), ("visibilite", "service")];

    let ok = upload(&app, &path, &fields, PDF).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let doc = json(&ok);
    assert_eq!(doc["mime"], "application/pdf");
    assert_eq!(doc["taille"], PDF.len());
    let sha = doc["sha256"].as_str().unwrap().to_string();
    assert_eq!(sha.len(), 64);
    let did = doc["id"].as_i64().unwrap();
    assert!(audit_entries(&app, "document", did)
        .await
        .contains(&"creation".to_string()));
    let dl = app
        .json(
            "GET",
            &format!("/api/v1/dossiers/{d}/documents/{did}"),
            None,
            None,
        )
        .await;
    assert_eq!(dl.status, StatusCode::OK);
    assert_eq!(dl.body.as_bytes(), PDF);

    let audit_before = audit_entries(&app, "document", did).await.len();
    // Too large: 413 with the limit in French.
    let big = upload(&app, &path, &fields, &[PDF, &vec![b' '; 5000]].concat()).await;
    let body = assert_problem(&big, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body["erreurs"]["fichier"]
            .as_str()
            .unwrap()
            .contains("la limite est de"),
        "{body}"
    );
    // An executable named .pdf: recognised by its content and refused.
    let exe = upload(&app, &path, &fields, b"MZ\x90\x00\x03\x00\x00\x00\x04\x00").await;
    let body = assert_problem(&exe, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["erreurs"]["fichier"]
        .as_str()
        .unwrap()
        .starts_with("Type de fichier refusé"));
    // Shared with the dossier's services without its legal basis.
    let no_basis = upload(
        &app,
        &path,
        &[("type_document", "courrier"), ("visibilite", "dossier")],
        PDF,
    )
    .await;
    let body = assert_problem(&no_basis, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["erreurs"]["base_legale"].is_string(), "{body}");
    // JSON instead of a multipart body.
    let wrong = app.json("POST", &path, None, Some("{}")).await;
    assert_problem(&wrong, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let mut conn = app.db.store().read().await.unwrap();
    let stored = parcours_store::dossiers::documents(&mut conn, "96", d)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(stored.len(), 1, "only the valid upload was written");
    assert_eq!(stored[0].sha256, sha);
    assert_eq!(
        audit_entries(&app, "document", did).await.len(),
        audit_before
    );
}

#[tokio::test]
async fn outside_the_scope_a_document_or_a_consent_is_refused_with_403_and_audited() {
    let mut app = TestApp::new().await;
    // The CRIP follows someone living in the secteur of MDS-B.
    app.login_as(Role::EquipeCentrale).await;
    let p = personne(&app, "Leroux", "Timéo", "09/09/2011", "96003").await;
    let d = open_dossier(&app, p).await;

    // A social worker of MDS-A, in another service: no upload, no référent.
    app.login_as(Role::TravailleurSocial).await;
    let refused = upload(
        &app,
        &format!("/api/v1/dossiers/{d}/documents"),
        &[("type_document", "courrier"), ("visibilite", "service")],
        PDF,
    )
    .await;
    let body = assert_problem(&refused, StatusCode::FORBIDDEN);
    assert_eq!(body["title"], "Accès refusé");
    // A refused upload of an invalid file says nothing of the file.
    let refused_bad = upload(
        &app,
        &format!("/api/v1/dossiers/{d}/documents"),
        &[("type_document", "")],
        b"MZ",
    )
    .await;
    assert_problem(&refused_bad, StatusCode::FORBIDDEN);
    assert_eq!(
        audit_entries(&app, "dossier", d)
            .await
            .iter()
            .filter(|a| *a == "refus")
            .count(),
        2
    );
    let mut conn = app.db.store().read().await.unwrap();
    assert!(parcours_store::dossiers::documents(&mut conn, "96", d)
        .await
        .unwrap()
        .is_empty());
    drop(conn);

    // The cadre of MDS-A: the person's rights are out of reach too.
    app.login_as(Role::Cadre).await;
    let consent = app
        .json(
            "POST",
            &format!("/api/v1/personnes/{p}/consentements"),
            None,
            Some(r#"{"objet":"rappels_sms","donne":"oui","mode":"oral","le":"2025-02-01"}"#),
        )
        .await;
    assert_problem(&consent, StatusCode::FORBIDDEN);
    for path in ["consentements", "demandes-rgpd", "export"] {
        let a = app
            .json("GET", &format!("/api/v1/personnes/{p}/{path}"), None, None)
            .await;
        assert_problem(&a, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        audit_entries(&app, "personne", p)
            .await
            .iter()
            .filter(|a| *a == "refus")
            .count(),
        4
    );
    let mut conn = app.db.store().read().await.unwrap();
    assert!(parcours_store::rgpd::consentements(&mut conn, "96", p)
        .await
        .unwrap()
        .is_empty());
    drop(conn);
    // An unknown person: 404.
    let missing = app
        .json("GET", "/api/v1/personnes/999999/consentements", None, None)
        .await;
    assert_problem(&missing, StatusCode::NOT_FOUND);

    // Once the CRIP names the social worker référent for the service social, the search opens the
    // fiche to them (the scope of every result is decided from the facts read in one go).
    app.login_as(Role::TravailleurSocial).await;
    let s = app
        .json("GET", "/api/v1/personnes?q=leroux", None, None)
        .await;
    assert!(s.body.contains("\"acces\":\"existence\""), "{}", s.body);
    app.login_as(Role::EquipeCentrale).await;
    let service = app
        .fx
        .service(parcours_domain::referentiel::ServiceKind::ServiceSocial);
    let ts = matricule(&app, Role::TravailleurSocial).await;
    let named = app
        .json(
            "POST",
            &format!("/api/v1/dossiers/{d}/referents"),
            None,
            Some(&format!(r#"{{"service_id":{service},"matricule":"{ts}"}}"#)),
        )
        .await;
    assert_eq!(named.status, StatusCode::OK, "{}", named.body);
    app.login_as(Role::TravailleurSocial).await;
    let s = app
        .json("GET", "/api/v1/personnes?q=leroux", None, None)
        .await;
    assert!(s.body.contains("\"acces\":\"fiche\""), "{}", s.body);
    assert!(s.body.contains("2011-09-09"), "{}", s.body);
    let page = app.get("/personnes?q=leroux").await;
    assert!(
        page.body.contains(&format!("href=\"/personnes/{p}\"")),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn consents_access_requests_and_the_access_archive_through_the_api() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Cadre).await;
    let p = personne(&app, "Fontaine", "Maëlys", "21/07/1983", "96001").await;
    let d = open_dossier(&app, p).await;
    for (kind, texte, visibilite) in [
        ("entretien", "Compte rendu communicable.", "service"),
        ("note", "Impression personnelle non communicable.", "auteur"),
    ] {
        let e = app
            .json(
                "POST",
                &format!("/api/v1/dossiers/{d}/ecrits"),
                None,
                Some(&format!(
                    r#"{{"kind":"{kind}","date":"2025-02-02","texte":"{texte}","visibilite":"{visibilite}"}}"#
                )),
            )
            .await;
        assert_eq!(e.status, StatusCode::CREATED, "{}", e.body);
    }

    // Consents.
    let consents = format!("/api/v1/personnes/{p}/consentements");
    let ok = app
        .json(
            "POST",
            &consents,
            None,
            Some(r#"{"objet":"rappels_sms","donne":"oui","mode":"oral","le":"2025-02-01"}"#),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let c = json(&ok);
    assert_eq!(c["donne"], true);
    assert_eq!(c["le"], "2025-02-01");
    let bad = app
        .json(
            "POST",
            &consents,
            None,
            Some(r#"{"objet":"rappels_sms","donne":"peut-être","mode":"oral","le":"31/02/2025"}"#),
        )
        .await;
    let body = assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["erreurs"]["donne"],
        "Indiquez si la personne consent ou refuse."
    );
    assert!(body["erreurs"]["le"]
        .as_str()
        .unwrap()
        .contains("31/02/2025"));
    let broken = app.json("POST", &consents, None, Some("{objet:")).await;
    let body = assert_problem(&broken, StatusCode::BAD_REQUEST);
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .starts_with("Le corps n'est pas un JSON valide"));
    let list = app.json("GET", &consents, None, None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(json(&list).as_array().unwrap().len(), 1, "{}", list.body);

    // Access requests and their legal deadline (one month).
    let demandes = format!("/api/v1/personnes/{p}/demandes-rgpd");
    let ok = app
        .json(
            "POST",
            &demandes,
            None,
            Some(r#"{"recue_le":"2025-01-31"}"#),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let dm = json(&ok);
    assert_eq!(dm["recue_le"], "2025-01-31");
    assert_eq!(dm["echeance"], "2025-02-28");
    assert_eq!(dm["prolongee"], false);
    let future = app
        .json(
            "POST",
            &demandes,
            None,
            Some(r#"{"recue_le":"2099-01-01"}"#),
        )
        .await;
    let body = assert_problem(&future, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["erreurs"]["recue_le"]
        .as_str()
        .unwrap()
        .contains("futur"));
    let list = app.json("GET", &demandes, None, None).await;
    assert_eq!(json(&list).as_array().unwrap().len(), 1, "{}", list.body);

    // The archive: what may be communicated, not the author's note.
    let zip = app
        .json("GET", &format!("/api/v1/personnes/{p}/export"), None, None)
        .await;
    assert_eq!(zip.status, StatusCode::OK);
    assert_eq!(zip.content_type, "application/zip");
    assert!(zip.body.starts_with("PK"));
    assert!(zip.body.contains("Compte rendu communicable."));
    assert!(!zip.body.contains("Impression personnelle"));
    assert!(zip.body.contains("LISEZ-MOI.txt"));

    let actions = audit_entries(&app, "personne", p).await;
    assert!(actions.contains(&"export_acces".to_string()), "{actions:?}");
    let lectures = audit_entries(&app, "droits_personne", p).await;
    assert_eq!(
        lectures.iter().filter(|a| *a == "lecture").count(),
        2,
        "{lectures:?}"
    );
}

#[tokio::test]
async fn the_scope_of_a_page_of_results_is_the_scope_of_each_person() {
    let mut app = TestApp::new().await;
    app.login_as(Role::TravailleurSocial).await;
    let chez_moi = personne(&app, "Aubert", "Léa", "01/01/1990", "96001").await;
    app.login_as(Role::EquipeCentrale).await;
    let ailleurs = personne(&app, "Blanc", "Hugo", "02/02/2012", "96003").await;
    open_dossier(&app, ailleurs).await;
    let suivie = personne(&app, "Carré", "Zoé", "03/03/2013", "96003").await;
    let d = open_dossier(&app, suivie).await;
    let service = app
        .fx
        .service(parcours_domain::referentiel::ServiceKind::ServiceSocial);
    let ts = matricule(&app, Role::TravailleurSocial).await;
    let named = app
        .json(
            "POST",
            &format!("/api/v1/dossiers/{d}/referents"),
            None,
            Some(&format!(r#"{{"service_id":{service},"matricule":"{ts}"}}"#)),
        )
        .await;
    assert_eq!(named.status, StatusCode::OK, "{}", named.body);
    let motivee = personne(&app, "Dupuis", "Noah", "04/04/2014", "96003").await;
    open_dossier(&app, motivee).await;
    app.login_as(Role::TravailleurSocial).await;
    let granted = app
        .post(
            &format!("/personnes/{motivee}/acces-motive"),
            &[(
                "motif",
                "Signalement de l'école ce matin, évaluation urgente",
            )],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.body);

    let ids = [chez_moi, ailleurs, suivie, motivee, 999_999];
    let mut conn = app.db.store().read().await.unwrap();
    for role in Role::ALL {
        let agent = parcours_store::agents::get(&mut conn, "96", app.fx.agent(role))
            .await
            .unwrap();
        let principal = parcours_domain::habilitations::Principal {
            agent_id: Some(agent.id),
            token_id: None,
            departement_id: "96".into(),
            display_name: agent.nom_complet(),
            role,
            service_id: Some(agent.service_id),
            site_ids: agent.site_ids.clone(),
            token_scopes: vec![],
        };
        let batch = parcours_web::personnes::portees_for(&mut conn, &principal, &ids)
            .await
            .unwrap();
        for id in ids {
            let one = parcours_web::personnes::scope_for(&mut conn, &principal, id)
                .await
                .unwrap()
                .portee;
            assert_eq!(batch.get(&id), Some(&one), "{role:?}, personne {id}");
        }
    }
    // The social worker: their secteur, a dossier they are référent of, an exceptional access.
    let agent = parcours_store::agents::get(&mut conn, "96", app.fx.agent(Role::TravailleurSocial))
        .await
        .unwrap();
    let ts = parcours_domain::habilitations::Principal {
        agent_id: Some(agent.id),
        token_id: None,
        departement_id: "96".into(),
        display_name: agent.nom_complet(),
        role: Role::TravailleurSocial,
        service_id: Some(agent.service_id),
        site_ids: agent.site_ids,
        token_scopes: vec![],
    };
    let batch = parcours_web::personnes::portees_for(&mut conn, &ts, &ids)
        .await
        .unwrap();
    use parcours_domain::dossiers::secret::Portee;
    assert_eq!(
        [chez_moi, ailleurs, suivie, motivee].map(|id| batch[&id]),
        [
            Portee::Complete,
            Portee::Existence,
            Portee::Complete,
            Portee::Complete
        ]
    );
}

#[tokio::test]
async fn an_api_write_with_the_session_cookie_needs_the_csrf_token_and_this_origin() {
    let mut app = TestApp::new().await;
    app.login_as(Role::TravailleurSocial).await;
    let p = personne(&app, "Vasseur", "Lina", "05/05/1995", "96001").await;
    let d = open_dossier(&app, p).await;
    let path = format!("/api/v1/dossiers/{d}/documents");
    let fields = [("type_document", "courrier"), ("visibilite", "service")];
    let here = Some("http://parcours.cd96.test");
    let elsewhere = Some("https://ailleurs.example");

    // A multipart upload forged by another site: the browser sends the cookie, not the token.
    let forged = upload_with(&app, &path, &fields, PDF, false, elsewhere).await;
    let body = assert_problem(&forged, StatusCode::FORBIDDEN);
    assert_eq!(body["title"], "Requête refusée");
    // The token does not make another origin acceptable.
    let other_origin = upload_with(&app, &path, &fields, PDF, true, elsewhere).await;
    assert_problem(&other_origin, StatusCode::FORBIDDEN);
    // From this site without the token: refused too, in French.
    let no_token = upload_with(&app, &path, &fields, PDF, false, here).await;
    let body = assert_problem(&no_token, StatusCode::FORBIDDEN);
    assert!(
        body["detail"].as_str().unwrap().contains("X-CSRF-Token"),
        "{body}"
    );
    // A JSON write without the token (a cookie-authenticated fetch from elsewhere).
    let token = app.csrf.take();
    let ecrit = app
        .json(
            "POST",
            &format!("/api/v1/dossiers/{d}/ecrits"),
            None,
            Some(r#"{"kind":"note","date":"2025-02-02","texte":"Note forgée.","visibilite":"service"}"#),
        )
        .await;
    assert_problem(&ecrit, StatusCode::FORBIDDEN);
    app.csrf = token;
    let mut conn = app.db.store().read().await.unwrap();
    assert!(parcours_store::dossiers::documents(&mut conn, "96", d)
        .await
        .unwrap()
        .is_empty());
    assert!(parcours_store::dossiers::ecrits(&mut conn, "96", d)
        .await
        .unwrap()
        .is_empty());
    drop(conn);
    // With the token, from this site: accepted; reads need no token.
    let ok = upload_with(&app, &path, &fields, PDF, true, here).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    app.csrf = None;
    let read = app
        .json("GET", &format!("/api/v1/dossiers/{d}"), None, None)
        .await;
    assert_eq!(read.status, StatusCode::OK);
}
