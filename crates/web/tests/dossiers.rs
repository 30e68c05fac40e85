//! Personnes, dossiers and the secret partagé through the real router: creation only after a search
//! and with a warning on a likely duplicate, what each role reads of a dossier, the legal basis
//! required to share, exceptional access, documents, corrections that keep the earlier version, and a
//! merge of two fiches that can be undone.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Answer, TestApp};
use parcours_domain::habilitations::Role;

const PDF: &[u8] = b"%PDF-1.4\n% piece de test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// Sends a multipart form (the fields, then one file) with the CSRF token in the query string.
async fn upload(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    filename: &str,
    content: &[u8],
) -> Answer {
    let boundary = "----parcours-test";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let uri = format!("{path}?_csrf={}", app.csrf.clone().unwrap_or_default());
    let req = Request::post(uri)
        .header(header::COOKIE, app.cookie.clone().unwrap_or_default())
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request");
    app.send(req).await
}

async fn open_dossier(app: &TestApp, personne: i64) -> String {
    let a = app
        .post(
            &format!("/personnes/{personne}/dossiers"),
            &[("intitule", "Accompagnement logement")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    a.location.unwrap().split('?').next().unwrap().to_string()
}

async fn count_audit(app: &TestApp) -> i64 {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::audit::list(&mut conn, "96", &Default::default(), 10_000, 0)
        .await
        .map(|(_, n)| n)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_person_is_created_after_a_search_and_a_likely_duplicate_is_stopped_then_merged_and_unmerged(
) {
    let mut app = TestApp::new().await;
    app.login_as(Role::TravailleurSocial).await;
    // Creating without searching first sends back to the search.
    let a = app.get("/personnes/nouvelle").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(a
        .location
        .unwrap()
        .starts_with("/personnes?message=rechercher_avant"));
    let first = app
        .personne_avec_adresse("Lefèvre", "Marie-Hélène", "14/03/1992", "96001", "96100")
        .await;

    // The search ignores accents, case and hyphens.
    let s = app.get("/personnes?q=LEFEVRE+marie+helene").await;
    assert!(
        s.body.contains(&format!("/personnes/{first}")),
        "{}",
        s.body
    );

    // A near-identical person is stopped with a warning; nothing written.
    let form = [
        ("recherche", "lefebvre"),
        ("nom_naissance", "Lefebvre"),
        ("prenoms", "Marie Hélène"),
        ("sexe", "2"),
        ("date_naissance", "14/03/1992"),
    ];
    let warn = app.post("/personnes/nouvelle", &form).await;
    assert_eq!(
        warn.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        warn.body
    );
    assert!(warn.body.contains("peut-être déjà connue"));
    assert!(
        warn.body.contains("value=\"Lefebvre\""),
        "what was typed is kept"
    );
    // Confirmed: created, and the pair waits for a cadre.
    let mut confirmed: Vec<(&str, &str)> = form.to_vec();
    confirmed.push(("confirmer", "oui"));
    let c = app.post("/personnes/nouvelle", &confirmed).await;
    assert_eq!(c.status, StatusCode::SEE_OTHER, "{}", c.body);
    let second: i64 = c
        .location
        .unwrap()
        .trim_start_matches("/personnes/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let dossier = open_dossier(&app, second).await;

    app.login_as(Role::Cadre).await;
    let queue = app.get("/doublons").await;
    assert!(queue.body.contains("LEFEBVRE"), "{}", queue.body);
    // The « Comparer » link of the first pair.
    let before = queue.body.split("\">Comparer").next().unwrap();
    let pair = before.rsplit("/doublons/").next().unwrap().to_string();
    let cmp = app.get(&format!("/doublons/{pair}")).await;
    assert_eq!(cmp.status, StatusCode::OK, "{}", cmp.body);
    // A merge with no choice is refused with a message.
    assert_eq!(
        app.post(&format!("/doublons/{pair}/fusion"), &[])
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let m = app
        .post(
            &format!("/doublons/{pair}/fusion"),
            &[("garder", &first.to_string())],
        )
        .await;
    assert_eq!(m.status, StatusCode::SEE_OTHER, "{}", m.body);
    // The dossier of the absorbed fiche now hangs on the kept one, and the absorbed one is not found.
    let fiche = app.get(&format!("/personnes/{first}")).await;
    assert!(fiche.body.contains(&dossier), "{}", fiche.body);
    let s = app.get("/personnes?q=lefebvre").await;
    assert!(
        !s.body.contains(&format!("/personnes/{second}\"")),
        "merged person not found"
    );

    // Undo: the dossier goes back.
    let list = app.get("/doublons/fusions").await;
    let fusion = list
        .body
        .split("/doublons/fusions/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let u = app
        .post(&format!("/doublons/fusions/{fusion}/annulation"), &[])
        .await;
    assert_eq!(u.status, StatusCode::SEE_OTHER, "{}", u.body);
    let back = app.get(&format!("/personnes/{second}")).await;
    assert!(back.body.contains(&dossier));
    assert!(!app
        .get(&format!("/personnes/{first}"))
        .await
        .body
        .contains(&dossier));
    // Undoing twice is refused with a message.
    assert_eq!(
        app.post(&format!("/doublons/fusions/{fusion}/annulation"), &[])
            .await
            .status,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn the_secret_partage_decides_each_ecrit_and_a_sharing_needs_its_legal_basis() {
    let mut app = TestApp::new().await;
    app.login_as(Role::TravailleurSocial).await;
    let p = app
        .personne_avec_adresse("Durand", "Inès", "02/02/1985", "96001", "96100")
        .await;
    let d = open_dossier(&app, p).await;

    let before = count_audit(&app).await;
    let no_basis = app
        .post(
            &format!("{d}/ecrits"),
            &[
                ("kind", "entretien"),
                ("date", "01/02/2025"),
                ("texte", "Dette de loyer."),
                ("visibilite", "dossier"),
            ],
        )
        .await;
    assert_eq!(no_basis.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_basis.body.contains("exige sa base légale"));
    assert!(
        no_basis.body.contains("Dette de loyer."),
        "the text typed is kept"
    );
    assert_eq!(
        count_audit(&app).await,
        before + 1,
        "only the read of the page was logged"
    );
    let ok = app
        .post(
            &format!("{d}/ecrits"),
            &[
                ("kind", "entretien"),
                ("date", "01/02/2025"),
                ("texte", "Dette de loyer de deux mois."),
                ("visibilite", "dossier"),
                ("base_legale", "L121-6-2"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let note = app
        .post(
            &format!("{d}/ecrits"),
            &[
                ("kind", "note"),
                ("date", "01/02/2025"),
                ("texte", "Hypothèse de travail personnelle."),
                ("visibilite", "auteur"),
            ],
        )
        .await;
    assert_eq!(note.status, StatusCode::SEE_OTHER);
    let future = app
        .post(
            &format!("{d}/ecrits"),
            &[
                ("kind", "note"),
                ("date", "01/01/2100"),
                ("texte", "x"),
                ("visibilite", "auteur"),
            ],
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The cadre of the same service reads the shared écrit, not the author's note.
    app.login_as(Role::Cadre).await;
    let page = app.get(&d).await;
    assert!(page.body.contains("Dette de loyer de deux mois."));
    assert!(!page.body.contains("Hypothèse de travail"));
    assert!(page
        .body
        .contains("1 élément de ce dossier ne vous est pas accessible"));

    // The CRIP (central, but not following this dossier) reads neither.
    app.login_as(Role::EquipeCentrale).await;
    let page = app.get(&d).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Dette de loyer"));
    assert!(page
        .body
        .contains("2 éléments de ce dossier ne vous sont pas accessibles"));

    // The direction never opens a dossier.
    app.login_as(Role::Direction).await;
    assert_eq!(app.get(&d).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn outside_the_territory_only_existence_shows_until_an_exceptional_access() {
    let mut app = TestApp::new().await;
    // The CRIP records someone living in the secteur of MDS-B.
    app.login_as(Role::EquipeCentrale).await;
    let p = app
        .personne_avec_adresse("Marchal", "Noé", "10/10/2010", "96003", "96200")
        .await;
    open_dossier(&app, p).await;

    app.login_as(Role::TravailleurSocial).await;
    let s = app.get("/personnes?q=marchal").await;
    assert!(
        s.body.contains("Existe, suivie par : Cellule de recueil"),
        "{}",
        s.body
    );
    assert!(!s.body.contains(&format!("href=\"/personnes/{p}\"")));
    let refused = app.get(&format!("/personnes/{p}")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("accès motivé"));
    assert!(!refused.body.contains("10/10/2010"));

    let short = app
        .post(
            &format!("/personnes/{p}/acces-motive"),
            &[("motif", "urgence")],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let granted = app
        .post(
            &format!("/personnes/{p}/acces-motive"),
            &[(
                "motif",
                "Appel de l'école ce matin, mise à l'abri à organiser",
            )],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER);
    let fiche = app.get(&format!("/personnes/{p}")).await;
    assert_eq!(fiche.status, StatusCode::OK);
    assert!(fiche.body.contains("accès motivé"));

    // The cadre sees it with its reason.
    app.login_as(Role::Cadre).await;
    let list = app.get("/acces-motives").await;
    assert!(
        list.body.contains("cole ce matin, mise à l"),
        "{}",
        list.body
    );
    // The DPO too, for the whole département, in local time, the read of the register audited.
    app.login_as(Role::Dpo).await;
    let before = count_audit(&app).await;
    let dpo = app.get("/acces-motives").await;
    assert_eq!(dpo.status, StatusCode::OK);
    assert!(dpo.body.contains("cole ce matin, mise à l"));
    assert!(!dpo.body.contains("(n° "));
    assert!(dpo.body.contains(" à "), "a local date and time");
    assert_eq!(count_audit(&app).await, before + 1);
}

#[tokio::test]
async fn the_dpo_keeps_the_register_of_the_requests_for_a_right_without_names() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Cadre).await;
    let p = app
        .personne_avec_adresse("Kerjean", "Maiwenn", "05/05/1985", "96001", "96100")
        .await;
    let recue = parcours_store::clock()
        .today()
        .format("%d/%m/%Y")
        .to_string();
    let a = app
        .post(
            &format!("/personnes/{p}/rgpd/demandes"),
            &[("recue_le", recue.as_str())],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        app.get("/rgpd/demandes").await.status,
        StatusCode::FORBIDDEN
    );
    app.login_as(Role::Dpo).await;
    let page = app.get("/rgpd/demandes").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Accès (article 15)"), "{}", page.body);
    assert!(page.body.contains("En cours"));
    assert!(page.body.contains("Agent Cadre"));
    assert!(!page.body.contains("KERJEAN") && !page.body.contains("Kerjean"));
    let home = app.get("/").await;
    assert!(home.body.contains("href=\"/rgpd/demandes\""));
    assert!(home.body.contains("href=\"/acces-motives\""));
}

#[tokio::test]
async fn documents_are_checked_stored_and_returned_byte_for_byte_and_corrections_keep_versions() {
    let mut app = TestApp::with_settings(|s| s.document_taille_max = 4096).await;
    app.login_as(Role::TravailleurSocial).await;
    let p = app
        .personne_avec_adresse("Bernard", "Lou", "03/03/1990", "96001", "96100")
        .await;
    let d = open_dossier(&app, p).await;
    let fields = [
        ("type_document", "courrier"),
        ("doc_visibilite", "service"),
        ("doc_base_legale", ""),
    ];
    let ok = upload(
        &app,
        &format!("{d}/documents"),
        &fields,
        "courrier.pdf",
        PDF,
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let exe = upload(
        &app,
        &format!("{d}/documents"),
        &fields,
        "facture.pdf",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00",
    )
    .await;
    assert_eq!(exe.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(exe.body.contains("Type de fichier refusé"));
    let big = upload(
        &app,
        &format!("{d}/documents"),
        &fields,
        "gros.pdf",
        &[PDF, &vec![b' '; 5000]].concat(),
    )
    .await;
    assert_eq!(big.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(big.body.contains("la limite est de"));
    let page = app.get(&d).await;
    let href = page
        .body
        .split(&format!("href=\"{d}/documents/"))
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let dl = app.get(&format!("{d}/documents/{href}")).await;
    assert_eq!(dl.status, StatusCode::OK);
    assert_eq!(dl.content_type, "application/pdf");
    assert_eq!(dl.body.as_bytes(), PDF);

    // A correction keeps the earlier version; another agent cannot correct.
    let e = app
        .post(
            &format!("{d}/ecrits"),
            &[
                ("kind", "appel"),
                ("date", "05/05/2025"),
                ("texte", "Appel : RDV fixé au 12."),
                ("visibilite", "service"),
            ],
        )
        .await;
    assert_eq!(e.status, StatusCode::SEE_OTHER);
    let page = app.get(&d).await;
    let eid = page
        .body
        .split(&format!("href=\"{d}/ecrits/"))
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let no_motif = app
        .post(
            &format!("{d}/ecrits/{eid}/correction"),
            &[
                ("kind", "appel"),
                ("date", "05/05/2025"),
                ("texte", "Appel : RDV fixé au 13."),
            ],
        )
        .await;
    assert_eq!(no_motif.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fixed = app
        .post(
            &format!("{d}/ecrits/{eid}/correction"),
            &[
                ("kind", "appel"),
                ("date", "05/05/2025"),
                ("texte", "Appel : RDV fixé au 13."),
                ("motif", "Mauvaise date notée"),
            ],
        )
        .await;
    assert_eq!(fixed.status, StatusCode::SEE_OTHER, "{}", fixed.body);
    let hist = app.get(&format!("{d}/ecrits/{eid}")).await;
    assert!(hist.body.contains("RDV fixé au 12.") && hist.body.contains("RDV fixé au 13."));
    assert!(hist.body.contains("Mauvaise date notée"));
    app.login_as(Role::Cadre).await;
    let other = app
        .post(
            &format!("{d}/ecrits/{eid}/correction"),
            &[
                ("kind", "appel"),
                ("date", "05/05/2025"),
                ("texte", "Réécrit"),
                ("motif", "Test"),
            ],
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_access_export_leaves_out_working_notes_and_retention_needs_a_simulation_first() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Cadre).await;
    let p = app
        .personne_avec_adresse("Garnier", "Aya", "08/08/1979", "96001", "96100")
        .await;
    let d = open_dossier(&app, p).await;
    app.post(
        &format!("{d}/ecrits"),
        &[
            ("kind", "entretien"),
            ("date", "02/02/2025"),
            ("texte", "Compte rendu communicable."),
            ("visibilite", "service"),
        ],
    )
    .await;
    app.post(
        &format!("{d}/ecrits"),
        &[
            ("kind", "note"),
            ("date", "02/02/2025"),
            ("texte", "Impression personnelle non communicable."),
            ("visibilite", "auteur"),
        ],
    )
    .await;

    let bad = app
        .post(
            &format!("/personnes/{p}/rgpd/consentements"),
            &[
                ("objet", "rappels_sms"),
                ("donne", ""),
                ("mode", "oral"),
                ("le", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = app
        .post(
            &format!("/personnes/{p}/rgpd/consentements"),
            &[
                ("objet", "rappels_sms"),
                ("donne", "oui"),
                ("mode", "oral"),
                ("le", "01/02/2025"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let req = app
        .post(
            &format!("/personnes/{p}/rgpd/demandes"),
            &[("recue_le", "01/01/2099")],
        )
        .await;
    assert_eq!(
        req.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a request cannot be received in the future"
    );

    let zip = app.get(&format!("/personnes/{p}/rgpd/export")).await;
    assert_eq!(zip.status, StatusCode::OK);
    assert_eq!(zip.content_type, "application/zip");
    assert!(zip.body.starts_with("PK"));
    assert!(zip.body.contains("Compte rendu communicable."));
    assert!(!zip.body.contains("Impression personnelle"));
    assert!(zip.body.contains("LISEZ-MOI.txt"));

    // Retention: a simulation runs as a job; applying anything but a finished simulation is refused.
    let sim = app.post("/rgpd/conservation/simulation", &[]).await;
    assert_eq!(sim.status, StatusCode::SEE_OTHER);
    let path = sim.location.unwrap();
    let id = path.rsplit('/').next().unwrap().to_string();
    let early = app
        .post(
            &format!("/rgpd/conservation/{id}/application"),
            &[("visa", "")],
        )
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ctx = parcours_jobs::JobContext {
        store: app.db.store().clone(),
        settings: std::sync::Arc::new(parcours_config::Settings::default()),
        clock: app.clock.clone(),
    };
    parcours_jobs::run_pending(&ctx, &parcours_jobs::Registry::standard())
        .await
        .expect("jobs");
    let done = app.get(&path).await;
    assert!(done.body.contains("terminée"), "{}", done.body);
    assert!(
        done.body.contains("Aucun dossier."),
        "nothing to archive: the dossier is open"
    );
}

#[tokio::test]
async fn the_api_applies_the_same_scope_and_the_same_sharing_rules() {
    let mut app = TestApp::new().await;
    app.login_as(Role::EquipeCentrale).await;
    let p = app
        .personne_avec_adresse("Perrin", "Jade", "01/06/2012", "96003", "96200")
        .await;
    let d = open_dossier(&app, p).await;
    let id = d.rsplit('/').next().unwrap().to_string();
    let no_basis = app
        .json("POST", &format!("/api/v1/dossiers/{id}/ecrits"), None, Some(r#"{"kind":"rapport","date":"2025-03-01","texte":"Évaluation","visibilite":"dossier"}"#))
        .await;
    assert_eq!(no_basis.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_basis
        .content_type
        .starts_with("application/problem+json"));
    assert!(no_basis.body.contains("base_legale"));
    let ok = app
        .json("POST", &format!("/api/v1/dossiers/{id}/ecrits"), None, Some(r#"{"kind":"rapport","date":"2025-03-01","texte":"Évaluation","visibilite":"dossier","base_legale":"L226-2-2"}"#))
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let plan = app
        .json(
            "POST",
            &format!("/api/v1/dossiers/{id}/plan"),
            None,
            Some(r#"{"libelle":"Mise à l'abri","echeance":""}"#),
        )
        .await;
    assert_eq!(plan.status, StatusCode::CREATED, "{}", plan.body);
    let bad_plan = app
        .json(
            "POST",
            &format!("/api/v1/dossiers/{id}/plan"),
            None,
            Some(r#"{"libelle":"","echeance":"31/02/2030"}"#),
        )
        .await;
    assert_eq!(bad_plan.status, StatusCode::UNPROCESSABLE_ENTITY);
    let detail = app
        .json("GET", &format!("/api/v1/dossiers/{id}"), None, None)
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(
        detail.body.contains("Mise à l'abri") && detail.body.contains("\"referents\""),
        "{}",
        detail.body
    );

    // A social worker of MDS-A: the person lives in MDS-B's secteur, followed by the CRIP.
    app.login_as(Role::TravailleurSocial).await;
    let s = app
        .json("GET", "/api/v1/personnes?q=perrin", None, None)
        .await;
    assert!(s.body.contains("\"acces\":\"existence\""), "{}", s.body);
    assert!(!s.body.contains("2012-06-01"));
    assert_eq!(
        app.json("GET", &format!("/api/v1/personnes/{p}"), None, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.json("GET", &format!("/api/v1/dossiers/{id}/ecrits"), None, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
