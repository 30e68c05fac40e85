//! The secret partagé by team (issue 14, defect 1): the Service social départemental spans the
//! département, yet a dossier followed by its team of MDS-A is read and written by that team only.
//! Every route and API operation that reads or writes the person, the dossier, an écrit or a
//! document is called by each role of MDS-A and of MDS-B (same service), by the central roles, and
//! what was refused is checked to have changed nothing, to have leaked nothing and to be audited.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{id_after, Answer, TestApp};
use parcours_domain::habilitations::Role;
use parcours_test_support::{AgentsB, PASSWORD};

const PDF: &[u8] = b"%PDF-1.4\n% piece de test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
const SECRET_EQUIPE: &str = "Violences conjugales évoquées en entretien";
const SECRET_DOSSIER: &str = "Dette de loyer de trois mois";
const NIR: &str = "2920975116008 14";

/// Who calls, and whether they belong to the team of MDS-A that follows the dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qui {
    /// Role in the fixture (MDS-A, or central without site).
    A(Role),
    /// Role at MDS-B, same Service social départemental.
    B(Role),
}

struct Lieu {
    personne: i64,
    dossier: String,
    dossier_id: i64,
    ecrit: i64,
    document: i64,
}

/// A JSON call of the API with the session cookie and its CSRF token.
async fn api(app: &TestApp, method: &str, path: &str, body: Option<&str>) -> Answer {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, app.cookie.clone().unwrap_or_default())
        .header("x-csrf-token", app.csrf.clone().unwrap_or_default());
    if body.is_some() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    let req = b
        .body(Body::from(body.unwrap_or_default().to_string()))
        .expect("request");
    app.send(req).await
}

/// The social worker of MDS-A receives a person of her secteur, opens a dossier and writes in it.
async fn installer(app: &mut TestApp) -> Lieu {
    app.login_as(Role::TravailleurSocial).await;
    let personne = app
        .personne_avec_adresse("Quéméneur", "Yvonne", "03/09/1992", "96001", "96100")
        .await;
    let fields = [
        ("nom_naissance", "Quéméneur"),
        ("prenoms", "Yvonne"),
        ("sexe", "2"),
        ("date_naissance", "03/09/1992"),
        ("nir", NIR),
    ];
    let a = app
        .post(&format!("/personnes/{personne}/modifier"), &fields)
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = app
        .post(
            &format!("/personnes/{personne}/dossiers"),
            &[("intitule", "Accompagnement social")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let dossier = a.location.unwrap().split('?').next().unwrap().to_string();
    let dossier_id = id_after(&dossier, "/dossiers/");
    let mut ecrit = 0;
    for (texte, visibilite, base) in [
        (SECRET_EQUIPE, "service", ""),
        (SECRET_DOSSIER, "dossier", "L121-6-2"),
    ] {
        let a = app
            .post(
                &format!("{dossier}/ecrits"),
                &[
                    ("kind", "entretien"),
                    ("date", "01/02/2025"),
                    ("texte", texte),
                    ("visibilite", visibilite),
                    ("base_legale", base),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        if visibilite == "service" {
            // The first écrit of the dossier.
            ecrit = first_ecrit(app, dossier_id).await;
        }
    }
    let up = app
        .multipart(
            &format!("{dossier}/documents"),
            &[("type_document", "courrier"), ("doc_visibilite", "service")],
            "piece.pdf",
            PDF,
        )
        .await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    let document = first_document(app, dossier_id).await;
    Lieu {
        personne,
        dossier,
        dossier_id,
        ecrit,
        document,
    }
}

async fn first_ecrit(app: &TestApp, dossier: i64) -> i64 {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::dossiers::ecrits(&mut conn, "96", dossier)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .min()
        .unwrap_or_default()
}

async fn first_document(app: &TestApp, dossier: i64) -> i64 {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::dossiers::documents(&mut conn, "96", dossier)
        .await
        .unwrap()
        .first()
        .map(|d| d.id)
        .expect("le document déposé")
}

async fn refusals(app: &TestApp) -> i64 {
    let mut conn = app.db.store().read().await.unwrap();
    let (rows, _) = parcours_store::audit::list(&mut conn, "96", &Default::default(), 100_000, 0)
        .await
        .unwrap();
    rows.iter().filter(|r| r.action == "refus").count() as i64
}

/// One request of the matrix: what it is, and which callers may perform it.
struct Appel {
    method: &'static str,
    path: String,
    form: Vec<(&'static str, String)>,
    json: Option<String>,
    /// Callers who may do it (everyone else must get 403).
    permis: &'static [Qui],
}

const EQUIPE_A: &[Qui] = &[Qui::A(Role::TravailleurSocial), Qui::A(Role::Cadre)];
const ETAT_CIVIL_A: &[Qui] = &[
    Qui::A(Role::TravailleurSocial),
    Qui::A(Role::Cadre),
    Qui::A(Role::Accueil),
    Qui::A(Role::EquipeCentrale),
];
/// The fiche and the dossier page: the central team (CRIP) works for the whole département and
/// opens them, but reads no écrit kept to the team (checked below).
const FICHE_A: &[Qui] = &[
    Qui::A(Role::TravailleurSocial),
    Qui::A(Role::Cadre),
    Qui::A(Role::EquipeCentrale),
];
const CADRE_A: &[Qui] = &[Qui::A(Role::Cadre)];

fn appels(l: &Lieu) -> Vec<Appel> {
    let p = l.personne;
    let d = &l.dossier;
    let did = l.dossier_id;
    let form = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    };
    let get = |path: String, permis| Appel {
        method: "GET",
        path,
        form: vec![],
        json: None,
        permis,
    };
    let post = |path: String, f: Vec<(&'static str, String)>, permis| Appel {
        method: "POST",
        path,
        form: f,
        json: None,
        permis,
    };
    let json = |method: &'static str, path: String, body: &str, permis| Appel {
        method,
        path,
        form: vec![],
        json: Some(body.to_string()),
        permis,
    };
    let ecrit = form(&[
        ("kind", "entretien"),
        ("date", "02/02/2025"),
        ("texte", "Écrit ajouté pendant le contrôle"),
        ("visibilite", "service"),
    ]);
    vec![
        get(format!("/personnes/{p}"), ETAT_CIVIL_A),
        get(format!("/personnes/{p}/modifier"), ETAT_CIVIL_A),
        post(
            format!("/personnes/{p}/modifier"),
            form(&[
                ("nom_naissance", "Quéméneur"),
                ("prenoms", "Yvonne"),
                ("sexe", "2"),
                ("date_naissance", "03/09/1992"),
                ("nir", NIR),
            ]),
            ETAT_CIVIL_A,
        ),
        get(format!("/personnes/{p}/adresse"), ETAT_CIVIL_A),
        post(
            format!("/personnes/{p}/adresse"),
            form(&[
                ("ligne_1", "4 rue des Écoles"),
                ("code_postal", "96100"),
                ("commune_insee", "96001"),
                ("valid_from", "01/01/2020"),
            ]),
            ETAT_CIVIL_A,
        ),
        get(format!("/personnes/{p}/situation"), ETAT_CIVIL_A),
        post(
            format!("/personnes/{p}/situation"),
            form(&[("valid_from", "01/01/2025"), ("familiale", "")]),
            ETAT_CIVIL_A,
        ),
        get(d.clone(), FICHE_A),
        get(format!("{d}/ecrits/{}", l.ecrit), EQUIPE_A),
        post(format!("{d}/ecrits"), ecrit, FICHE_A),
        post(
            format!("{d}/ecrits/{}/correction", l.ecrit),
            form(&[
                ("kind", "entretien"),
                ("date", "01/02/2025"),
                ("texte", SECRET_EQUIPE),
                ("motif", "Relecture du contrôle"),
            ]),
            &[Qui::A(Role::TravailleurSocial)],
        ),
        get(format!("{d}/documents/{}", l.document), EQUIPE_A),
        post(
            format!("{d}/plan"),
            form(&[("libelle", "Ouvrir les droits"), ("echeance", "")]),
            FICHE_A,
        ),
        get(format!("/api/v1/personnes/{p}"), ETAT_CIVIL_A),
        get(format!("/api/v1/dossiers/{did}"), FICHE_A),
        get(format!("/api/v1/dossiers/{did}/ecrits"), FICHE_A),
        json(
            "POST",
            format!("/api/v1/dossiers/{did}/ecrits"),
            r#"{"kind":"entretien","date":"02/02/2025","texte":"Par l'API","visibilite":"auteur"}"#,
            FICHE_A,
        ),
        get(
            format!("/api/v1/dossiers/{did}/documents/{}", l.document),
            EQUIPE_A,
        ),
        json(
            "POST",
            format!("/api/v1/dossiers/{did}/plan"),
            r#"{"libelle":"Par l'API","echeance":""}"#,
            FICHE_A,
        ),
        get(format!("/personnes/{p}/rgpd"), CADRE_A),
        get(format!("/api/v1/personnes/{p}/consentements"), CADRE_A),
        get(format!("/api/v1/personnes/{p}/demandes-rgpd"), CADRE_A),
    ]
}

fn leaks(body: &str) -> Option<&'static str> {
    [
        SECRET_EQUIPE,
        SECRET_DOSSIER,
        "2920975116008",
        "03/09/1992",
        "1992-09-03",
    ]
    .into_iter()
    .find(|s| body.contains(s))
}

/// What the matrix found: cells called, refusals expected, and every cell in defect.
struct Bilan {
    cells: usize,
    refused: usize,
    failures: Vec<String>,
    /// Écrits of the dossier before and after.
    ecrits: (usize, usize),
}

async fn nombre_ecrits(app: &TestApp, dossier: i64) -> usize {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::dossiers::ecrits(&mut conn, "96", dossier)
        .await
        .unwrap()
        .len()
}

/// Calls every request of the matrix as each caller: allowed ones must not be refused, the others
/// must get 403, leak nothing and be audited once.
async fn matrice(app: &mut TestApp, b: &AgentsB, lieu: &Lieu, callers: &[Qui]) -> Bilan {
    let avant = nombre_ecrits(app, lieu.dossier_id).await;
    let mut bilan = Bilan {
        cells: 0,
        refused: 0,
        failures: Vec::new(),
        ecrits: (avant, avant),
    };
    for &qui in callers {
        let email = match qui {
            Qui::A(r) => app.fx.email(r).to_string(),
            Qui::B(r) => b.email(r).to_string(),
        };
        let login = app.login(&email, PASSWORD).await;
        assert_eq!(login.status, StatusCode::SEE_OTHER, "{qui:?} se connecte");
        for appel in appels(lieu) {
            bilan.cells += 1;
            let refus_avant = refusals(app).await;
            let a = match (&appel.json, appel.method) {
                (Some(body), m) => api(app, m, &appel.path, Some(body)).await,
                (None, "GET") => app.get(&appel.path).await,
                (None, _) => {
                    let pairs: Vec<(&str, &str)> =
                        appel.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    app.post(&appel.path, &pairs).await
                }
            };
            let what = format!("{qui:?} {} {}", appel.method, appel.path);
            if appel.permis.contains(&qui) {
                if matches!(
                    a.status,
                    StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED
                ) || a.status.is_server_error()
                {
                    bilan
                        .failures
                        .push(format!("{what}: permis mais {}", a.status));
                }
            } else {
                bilan.refused += 1;
                if a.status != StatusCode::FORBIDDEN {
                    bilan
                        .failures
                        .push(format!("{what}: attendu 403, reçu {}", a.status));
                }
                if let Some(s) = leaks(&a.body) {
                    bilan
                        .failures
                        .push(format!("{what}: la réponse refusée contient « {s} »"));
                }
                if refusals(app).await != refus_avant + 1 {
                    bilan.failures.push(format!(
                        "{what}: refus non journalisé (une entrée attendue)"
                    ));
                }
            }
        }
    }
    bilan.ecrits.1 = nombre_ecrits(app, lieu.dossier_id).await;
    bilan
}

#[tokio::test]
async fn each_role_of_the_team_and_the_central_roles_reach_what_their_role_allows_and_no_more() {
    let mut app = TestApp::new().await;
    let b = app.fx.seed_mds_b(app.db.store()).await;
    let lieu = installer(&mut app).await;
    let bilan = matrice(
        &mut app,
        &b,
        &lieu,
        &[
            Qui::A(Role::TravailleurSocial),
            Qui::A(Role::Cadre),
            Qui::A(Role::Accueil),
            Qui::A(Role::EquipeCentrale),
            Qui::A(Role::Direction),
            Qui::A(Role::Administrateur),
            Qui::A(Role::Dpo),
        ],
    )
    .await;
    assert!(
        bilan.failures.is_empty(),
        "{} cas sur {} en défaut :\n{}",
        bilan.failures.len(),
        bilan.cells,
        bilan.failures.join("\n")
    );
    // Written by those allowed: one écrit by the page and one by the API for the social worker,
    // the cadre and the CRIP (which may write in any dossier, but reads no team-only écrit).
    assert_eq!(bilan.ecrits.1, bilan.ecrits.0 + 6);
}

#[tokio::test]
async fn another_mds_of_the_same_service_reads_and_writes_nothing_of_a_dossier_it_does_not_follow()
{
    let mut app = TestApp::new().await;
    let b = app.fx.seed_mds_b(app.db.store()).await;
    let lieu = installer(&mut app).await;
    let bilan = matrice(
        &mut app,
        &b,
        &lieu,
        &[
            Qui::B(Role::TravailleurSocial),
            Qui::B(Role::Cadre),
            Qui::B(Role::Accueil),
        ],
    )
    .await;
    assert!(
        bilan.failures.is_empty(),
        "{} cas sur {} en défaut :\n{}",
        bilan.failures.len(),
        bilan.cells,
        bilan.failures.join("\n")
    );
    assert_eq!(bilan.refused, bilan.cells, "tout est refusé à la MDS-B");
    // The refused writes changed nothing.
    assert_eq!(bilan.ecrits.1, bilan.ecrits.0);
    let mut conn = app.db.store().read().await.unwrap();
    let p = parcours_store::personnes::get(&mut conn, "96", lieu.personne)
        .await
        .unwrap();
    assert_eq!(p.nir.as_deref(), Some("292097511600814"));
    let situations = parcours_store::personnes::situations(&mut conn, "96", lieu.personne)
        .await
        .unwrap();
    assert!(
        situations.is_empty(),
        "aucune situation écrite par la MDS-B"
    );
}

#[tokio::test]
async fn the_team_of_another_mds_sees_existence_and_who_follows_then_may_ask_for_an_exceptional_access(
) {
    let mut app = TestApp::new().await;
    let b = app.fx.seed_mds_b(app.db.store()).await;
    let lieu = installer(&mut app).await;
    app.login(b.email(Role::TravailleurSocial), PASSWORD).await;
    let s = app.get("/personnes?q=quemeneur").await;
    assert!(
        s.body
            .contains("Existe, suivie par : Service social départemental (MDS d&#39;Aubier)"),
        "{}",
        s.body
    );
    assert!(!s
        .body
        .contains(&format!("href=\"/personnes/{}\"", lieu.personne)));
    let refused = app.get(&format!("/personnes/{}", lieu.personne)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("accès motivé"));
    // With an exceptional access: the fiche and what is shared with the dossier's teams, never
    // what the team kept to itself.
    let granted = app
        .post(
            &format!("/personnes/{}/acces-motive", lieu.personne),
            &[(
                "motif",
                "Appel de la gendarmerie cette nuit, mise à l'abri à organiser",
            )],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER);
    let page = app.get(&lieu.dossier).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(SECRET_DOSSIER));
    assert!(!page.body.contains(SECRET_EQUIPE));
    assert_eq!(
        app.get(&format!("{}/ecrits/{}", lieu.dossier, lieu.ecrit))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn naming_a_referent_of_another_mds_moves_the_dossier_to_that_team() {
    let mut app = TestApp::new().await;
    let b = app.fx.seed_mds_b(app.db.store()).await;
    let lieu = installer(&mut app).await;
    // The person moves to Brielle; the cadre of MDS-A hands the dossier to MDS-B's social worker.
    app.login_as(Role::Cadre).await;
    let ts_b = b.agent(Role::TravailleurSocial).to_string();
    let service = app
        .fx
        .service(parcours_domain::referentiel::ServiceKind::ServiceSocial)
        .to_string();
    let a = app
        .post(
            &format!("{}/referents", lieu.dossier),
            &[("service_id", &service), ("referent_agent", &ts_b)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    // MDS-B's social worker now reads the team's écrits...
    app.login(b.email(Role::TravailleurSocial), PASSWORD).await;
    let page = app.get(&lieu.dossier).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(SECRET_DOSSIER));
    // ...and MDS-B's cadre, of the team that now follows it.
    app.login(b.email(Role::Cadre), PASSWORD).await;
    assert!(app.get(&lieu.dossier).await.body.contains(SECRET_DOSSIER));
    // MDS-A's cadre no longer follows it (the person lives in its secteur: the fiche stays open,
    // the team's shared écrits do not).
    app.login_as(Role::Cadre).await;
    let page = app.get(&lieu.dossier).await;
    assert!(!page.body.contains(SECRET_DOSSIER), "{}", page.body);
}

#[tokio::test]
async fn the_desk_neither_sees_nor_changes_the_nir_and_its_reading_of_the_form_is_audited() {
    let mut app = TestApp::new().await;
    let lieu = installer(&mut app).await;
    app.login_as(Role::Accueil).await;
    let mut conn = app.db.store().read().await.unwrap();
    let (before, _) = parcours_store::audit::list(&mut conn, "96", &Default::default(), 100_000, 0)
        .await
        .unwrap();
    drop(conn);
    let form = app
        .get(&format!("/personnes/{}/modifier", lieu.personne))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(!form.body.contains("2920975116008"), "{}", form.body);
    assert!(!form.body.contains("name=\"nir\""));
    let mut conn = app.db.store().read().await.unwrap();
    let (after, _) = parcours_store::audit::list(&mut conn, "96", &Default::default(), 100_000, 0)
        .await
        .unwrap();
    drop(conn);
    assert!(
        after.len() > before.len()
            && after.iter().any(|r| r.action == "lecture"
                && r.record_type == "personne"
                && r.record_id == lieu.personne.to_string()
                && r.purpose.as_deref() == Some("formulaire de correction de l'état civil")),
        "la lecture du formulaire est journalisée"
    );
    // A correction by the desk keeps the NIR, even if the request tries to erase or change it.
    let a = app
        .post(
            &format!("/personnes/{}/modifier", lieu.personne),
            &[
                ("nom_naissance", "Quéméneur"),
                ("nom_usage", "Le Goff"),
                ("prenoms", "Yvonne"),
                ("sexe", "2"),
                ("date_naissance", "03/09/1992"),
                ("nir", ""),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let mut conn = app.db.store().read().await.unwrap();
    let p = parcours_store::personnes::get(&mut conn, "96", lieu.personne)
        .await
        .unwrap();
    assert_eq!(p.nom_usage.as_deref(), Some("Le Goff"));
    assert_eq!(p.nir.as_deref(), Some("292097511600814"));
}

#[tokio::test]
async fn the_access_archive_holds_only_what_the_exporting_cadre_may_read_and_sends_the_rest_to_its_team(
) {
    let mut app = TestApp::new().await;
    let lieu = installer(&mut app).await;
    // The CRIP writes in the same dossier, for its own team only: an écrit and a PDF.
    app.login_as(Role::EquipeCentrale).await;
    let crip_texte = "Évaluation de la CRIP en cours, ne pas communiquer";
    let a = app
        .post(
            &format!("{}/ecrits", lieu.dossier),
            &[
                ("kind", "entretien"),
                ("date", "03/02/2025"),
                ("texte", crip_texte),
                ("visibilite", "service"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let crip_pdf: &[u8] = b"%PDF-1.4\n% piece de la CRIP\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let up = app
        .multipart(
            &format!("{}/documents", lieu.dossier),
            &[("type_document", "courrier"), ("doc_visibilite", "service")],
            "crip.pdf",
            crip_pdf,
        )
        .await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);

    app.login_as(Role::Cadre).await;
    // The body is binary: read it as bytes through the router.
    let req = Request::get(format!("/personnes/{}/rgpd/export", lieu.personne))
        .header(header::COOKIE, app.cookie.clone().unwrap_or_default())
        .body(Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(app.router.clone(), req)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut all = String::new();
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        names.push(f.name().to_string());
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut buf).unwrap();
        all.push_str(&String::from_utf8_lossy(&buf));
        all.push('\n');
    }
    assert!(all.contains(SECRET_DOSSIER), "ce que l'équipe partage part");
    assert!(
        all.contains(SECRET_EQUIPE),
        "ce que l'équipe du cadre garde part"
    );
    assert!(!all.contains(crip_texte), "l'écrit de la CRIP ne part pas");
    assert!(
        !all.contains("piece de la CRIP"),
        "le PDF de la CRIP ne part pas"
    );
    assert!(
        all.contains("Cellule de recueil"),
        "le relevé nomme l'équipe qui détient le reste : {all}"
    );
    assert_eq!(
        names.iter().filter(|n| n.contains("/documents/")).count(),
        1,
        "{names:?}"
    );

    // The audit names every item that left, and the CRIP's pieces held back.
    let mut conn = app.db.store().read().await.unwrap();
    let (rows, _) = parcours_store::audit::list(&mut conn, "96", &Default::default(), 100_000, 0)
        .await
        .unwrap();
    let entry = rows
        .iter()
        .find(|r| r.action == "export_acces")
        .expect("l'export est journalisé");
    let details: serde_json::Value = serde_json::from_str(&entry.details).unwrap();
    let ecrits = parcours_store::dossiers::ecrits(&mut conn, "96", lieu.dossier_id)
        .await
        .unwrap();
    let crip_ecrit = ecrits
        .iter()
        .find(|e| e.courant.texte == crip_texte)
        .unwrap()
        .id;
    let ids = |k: &str| -> Vec<i64> { serde_json::from_value(details[k].clone()).unwrap() };
    let communiques = ids("ecrits_communiques");
    assert!(communiques.contains(&lieu.ecrit), "{details}");
    assert!(!communiques.contains(&crip_ecrit), "{details}");
    assert_eq!(ids("documents_communiques"), vec![lieu.document]);
    let detenus = details["detenus_par_d_autres_equipes"].to_string();
    assert!(detenus.contains(&crip_ecrit.to_string()), "{details}");
    // The CRIP's cadres get the pieces to examine.
    let crip = app
        .fx
        .service(parcours_domain::referentiel::ServiceKind::Crip);
    let t = parcours_store::rgpd::transmissions_pour(&mut conn, "96", crip, &[])
        .await
        .unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].ecrits, vec![crip_ecrit]);
    assert_eq!(t[0].documents.len(), 1);
    // Not the cadre of MDS-A's service social, who sees nothing to examine.
    drop(conn);
    let page = app.get("/rgpd/transmissions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Aucun élément à examiner"),
        "{}",
        page.body
    );
}
