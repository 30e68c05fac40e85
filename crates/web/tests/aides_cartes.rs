//! The register of prepaid payment cards, the outcome of a recourse and the request made from an
//! eviction procedure, through the real router with the payment provider as a real process: a
//! cadre asks a card, the provider issues it once although its first answer failed, a social worker
//! loads a foster carer's card with a young person's pocket money, a lost card is blocked and the
//! load waiting for it held; a recourse is maintained or reformed and the supplement paid by a new
//! order; an agent of another MDS, a social worker and a token without the scope reach no card.

mod common;

use axum::http::StatusCode;
use common::{civil, id_after, Answer, TestApp};
use parcours_domain::habilitations::Role;
use parcours_paiement::processus::FournisseurTest;
use parcours_test_support::PASSWORD;

const DELAI: std::time::Duration = std::time::Duration::from_secs(10);

async fn jobs(app: &TestApp, url: Option<&str>) -> parcours_jobs::RunReport {
    app.run_jobs_paiement(url, 2000).await
}

async fn carte(app: &TestApp, id: i64) -> parcours_store::aides::cartes::Carte {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::aides::cartes::carte(&mut conn, "96", id)
        .await
        .unwrap()
}

async fn nb_cartes(app: &TestApp) -> i64 {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::aides::cartes::liste(&mut conn, "96", None, &Default::default(), 1, 50)
        .await
        .unwrap()
        .1
}

async fn ordres(app: &TestApp, demande: i64) -> Vec<parcours_store::aides::Ordre> {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::aides::ordres_de_la_demande(&mut conn, "96", demande)
        .await
        .unwrap()
}

async fn enveloppe(app: &mut TestApp, fonds: &str, euros: &str) {
    app.enveloppe(fonds, euros).await
}

/// The cadre of MDS-A asks a card with `fields` (the site added).
async fn demander_carte(app: &TestApp, fields: &[(&str, &str)]) -> Answer {
    let site = app.fx.site_a.to_string();
    let mut f: Vec<(&str, &str)> = fields.to_vec();
    f.push(("site_id", &site));
    app.post("/aides/cartes", &f).await
}

#[tokio::test]
async fn a_card_is_issued_once_loaded_for_a_foster_carer_then_blocked_and_its_load_held() {
    let mut app = TestApp::new().await;
    app.clock.set_civil(civil("2026-12-07T10:00"));
    let provider = FournisseurTest::demarrer(&["--echecs", "1"]).expect("prestataire");
    app.login_as(Role::TravailleurSocial).await;
    // A young person of 16, confided to the ASE, and her dossier.
    let jeune = app
        .personne_avec_adresse("Le Bihan", "Maëlys", "14/02/2010", "96001", "96100")
        .await;
    let d = app.ouvrir_dossier(jeune, "Accueil familial").await;
    enveloppe(&mut app, "argent_de_poche", "500").await;
    enveloppe(&mut app, "secours_urgence", "500").await;

    app.login_as(Role::Cadre).await;
    let form = app.get("/aides/cartes/nouvelle").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("Rechercher par le nom"));
    // Bad input: a message per field, what was typed kept, nothing written.
    let a = demander_carte(
        &app,
        &[
            ("titulaire", "assistant_familial"),
            ("prenom", "Nadia"),
            ("nom", "Benali"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body.contains("numéro de l&#39;agrément") || a.body.contains("numéro de l'agrément"),
        "{}",
        a.body
    );
    assert!(a.body.contains("Benali"));
    let a = demander_carte(&app, &[("titulaire", "personne")]).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("Cherchez la personne"), "{}", a.body);
    assert_eq!(nb_cartes(&app).await, 0);
    // The person is found by name, never typed as a number.
    let a = demander_carte(
        &app,
        &[
            ("titulaire", "personne"),
            ("personne_id_q", "Le Bihan"),
            ("_chercher", "personne_id"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.body.contains(&format!("value=\"{jeune}\" checked")),
        "{}",
        a.body
    );

    let jeune_s = jeune.to_string();
    let a = demander_carte(
        &app,
        &[("titulaire", "personne"), ("personne_id", &jeune_s)],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let carte_jeune = id_after(&a.location.unwrap(), "/aides/cartes/");
    // One card in use per holder.
    let a = demander_carte(
        &app,
        &[("titulaire", "personne"), ("personne_id", &jeune_s)],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("déjà une carte"), "{}", a.body);
    let a = demander_carte(
        &app,
        &[
            ("titulaire", "assistant_familial"),
            ("prenom", "Nadia"),
            ("nom", "Benali"),
            ("agrement", "af-2019/042"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let carte_af = id_after(&a.location.unwrap(), "/aides/cartes/");

    // The provider fails once: the first job fails on the first card and is run again; the card
    // is issued by the retry with the same key, and the other one at once.
    let r = jobs(&app, Some(&provider.base_url)).await;
    assert!(r.failed > 0, "{r:?}");
    let c = carte(&app, carte_jeune).await;
    let af = carte(&app, carte_af).await;
    assert_eq!((c.statut.code(), af.statut.code()), ("active", "active"));
    assert_eq!(c.tentatives, 1, "{c:?}");
    let ref_af = af.reference.clone().unwrap();
    assert_eq!(af.titulaire_nom, "Nadia BENALI");
    // Each key made one card at the provider, whatever the retries.
    let client = provider.client(DELAI).unwrap();
    assert!(client.consulter_carte(&ref_af).await.unwrap().is_some());
    assert!(client
        .consulter_carte("FTC-000003")
        .await
        .unwrap()
        .is_none());

    // The social worker loads the foster carer's card with the pocket money.
    app.login_as(Role::TravailleurSocial).await;
    let form = app
        .get(&format!(
            "/dossiers/{d}/aides/nouvelle?fonds=argent_de_poche"
        ))
        .await;
    assert!(
        form.body.contains("Nadia BENALI, assistant familial"),
        "{}",
        form.body
    );
    // A card typed by hand, outside the register, is refused.
    let a = app
        .post(
            &format!("/dossiers/{d}/aides"),
            &[
                ("fonds", "argent_de_poche"),
                ("besoin", "argent_de_poche"),
                ("montant", "40"),
                ("mode", "carte"),
                ("carte", "CB-9999"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("choisissez-en une"), "{}", a.body);
    // A secours d'urgence may not go to the foster carer's card.
    let a = app
        .post(
            &format!("/dossiers/{d}/aides"),
            &[
                ("fonds", "secours_urgence"),
                ("besoin", "alimentation"),
                ("montant", "40"),
                ("mode", "carte"),
                ("carte", &ref_af),
                ("pieces", "identite"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let a = app
        .post(
            &format!("/dossiers/{d}/aides"),
            &[
                ("fonds", "argent_de_poche"),
                ("besoin", "argent_de_poche"),
                ("montant", "40"),
                ("mode", "carte"),
                ("carte", &ref_af),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let id = id_after(&a.location.unwrap(), "/aides/demandes/");
    let a = app
        .post(
            &format!("/aides/demandes/{id}/decision"),
            &[("sens", "accord")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let o = ordres(&app, id).await;
    assert_eq!(o[0].beneficiaire, "Nadia BENALI");
    assert_eq!(o[0].carte.as_deref(), Some(ref_af.as_str()));
    jobs(&app, Some(&provider.base_url)).await;

    // Her cadre releases it (four eyes), then the carer reports the card lost before the payment.
    app.login_as(Role::Cadre).await;
    let ordre = ordres(&app, id).await[0].id;
    let a = app
        .post(
            &format!("/aides/paiements/{ordre}/examen"),
            &[("suite", "liberer"), ("motif", "Accueil vérifié")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(ordres(&app, id).await[0].statut.code(), "pret");
    let sans_motif = app
        .post(
            &format!("/aides/cartes/{carte_af}/blocage"),
            &[("motif", " ")],
        )
        .await;
    assert_eq!(sans_motif.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(carte(&app, carte_af).await.statut.code(), "active");
    let a = app
        .post(
            &format!("/aides/cartes/{carte_af}/blocage"),
            &[("motif", "Carte perdue, signalée par l'assistante familiale")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    // At once in Parcours: the ready load is held, nothing is sent.
    let o = ordres(&app, id).await;
    assert_eq!(o[0].statut.code(), "retenu");
    assert!(o[0].anomalies.iter().any(|r| r.code() == "carte_inactive"));
    jobs(&app, Some(&provider.base_url)).await;
    assert!(
        provider.operations().await.unwrap().is_empty(),
        "rien n'est payé"
    );
    // The provider knows the block.
    assert!(client
        .consulter_carte(&ref_af)
        .await
        .unwrap()
        .unwrap()
        .bloquee());
    assert!(carte(&app, carte_af).await.blocage_transmis);
    // The held load may not be released to a blocked card: cancelled, it goes back to the envelope.
    let a = app
        .post(
            &format!("/aides/paiements/{}/examen", o[0].id),
            &[("suite", "liberer"), ("motif", "vu")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("pas active"), "{}", a.body);
    let page = app.get(&format!("/aides/cartes/{carte_af}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Carte perdue"));
    assert!(!page.body.contains("Bloquer la carte</button>"));
    let again = app
        .post(
            &format!("/aides/cartes/{carte_af}/blocage"),
            &[("motif", "encore")],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The register lists both, and filters.
    let l = app.get("/aides/cartes?statut=bloquee").await;
    assert!(l.body.contains("Nadia BENALI"));
    assert!(!l.body.contains("LE BIHAN"), "{}", l.body);
    // The name filter ignores accents and case, as the search of people does.
    let l = app.get("/aides/cartes?nom=ma%C3%ABlys+le-bihan").await;
    assert!(l.body.contains("LE BIHAN"), "{}", l.body);
    assert!(!l.body.contains("Nadia BENALI"));
    // A new card may now be asked for the carer.
    let a = demander_carte(
        &app,
        &[
            ("titulaire", "assistant_familial"),
            ("prenom", "Nadia"),
            ("nom", "Benali"),
            ("agrement", "AF-2019/042"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
}

#[tokio::test]
async fn another_mds_a_social_worker_and_a_token_without_the_scope_reach_no_card() {
    let mut app = TestApp::new().await;
    let b = app.fx.seed_mds_b(app.db.store()).await;
    app.clock.set_civil(civil("2026-12-07T10:00"));
    app.login_as(Role::TravailleurSocial).await;
    let p = app
        .personne_avec_adresse("Quéméneur", "Yvonne", "03/09/1992", "96001", "96100")
        .await;
    // A social worker neither lists nor asks cards.
    assert_eq!(app.get("/aides/cartes").await.status, StatusCode::FORBIDDEN);
    app.login_as(Role::Cadre).await;
    let ps = p.to_string();
    let a = demander_carte(&app, &[("titulaire", "personne"), ("personne_id", &ps)]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let id = id_after(&a.location.unwrap(), "/aides/cartes/");
    let api = app
        .json("GET", &format!("/api/v1/aides/cartes/{id}"), None, None)
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(v["statut"], "a_emettre");
    assert_eq!(v["personne_id"], p);

    app.login(b.email(Role::Cadre), PASSWORD).await;
    assert_eq!(
        app.get(&format!("/aides/cartes/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
    let w = app
        .post(&format!("/aides/cartes/{id}/blocage"), &[("motif", "x")])
        .await;
    assert_eq!(w.status, StatusCode::FORBIDDEN);
    let l = app.get("/aides/cartes").await;
    assert_eq!(l.status, StatusCode::OK);
    assert!(!l.body.contains("QUÉMÉNEUR"), "{}", l.body);
    let api = app
        .json("GET", &format!("/api/v1/aides/cartes/{id}"), None, None)
        .await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    assert!(api.content_type.starts_with("application/problem+json"));
    // Nor may it ask a card managed by MDS-A.
    let site_a = app.fx.site_a.to_string();
    let w = app
        .post(
            "/aides/cartes",
            &[
                ("titulaire", "assistant_familial"),
                ("prenom", "Nadia"),
                ("nom", "Benali"),
                ("agrement", "AF-1"),
                ("site_id", &site_a),
            ],
        )
        .await;
    assert_eq!(w.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(carte(&app, id).await.statut.code(), "a_emettre");
    assert_eq!(nb_cartes(&app).await, 1);

    app.login(b.email(Role::TravailleurSocial), PASSWORD).await;
    assert_eq!(
        app.get(&format!("/aides/cartes/{id}")).await.status,
        StatusCode::FORBIDDEN
    );

    // A service account: no scope opens the register.
    app.login_as(Role::Administrateur).await;
    let site = app.fx.site_a;
    let jeton = app
        .jeton_sites("portail", &["personnes:rechercher"], &[site])
        .await;
    app.cookie = None;
    app.csrf = None;
    for path in [
        "/api/v1/aides/cartes".to_string(),
        format!("/api/v1/aides/cartes/{id}"),
    ] {
        let a = app.json("GET", &path, Some(&jeton), None).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
    }
    let a = app
        .json(
            "POST",
            &format!("/api/v1/aides/cartes/{id}/blocage"),
            Some(&jeton),
            Some(r#"{"motif":"x"}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(carte(&app, id).await.statut.code(), "a_emettre");
}

/// A person with a budget (reste à vivre 5 € a day), a card CB-0042 and an envelope of 1 000 € for
/// the secours d'urgence; returns the dossier.
async fn dossier_pret(app: &mut TestApp) -> i64 {
    let (p, d) = app.personne_avec_budget().await;
    app.carte_du_registre(p).await;
    enveloppe(app, "secours_urgence", "1000").await;
    d
}

/// A request of `euros` for `besoin`, decided by the cadre as `decision`; returns its id.
async fn decidee(
    app: &mut TestApp,
    d: i64,
    besoin: &str,
    euros: &str,
    decision: &[(&str, &str)],
) -> i64 {
    app.login_as(Role::TravailleurSocial).await;
    let a = app
        .post(
            &format!("/dossiers/{d}/aides"),
            &[
                ("fonds", "secours_urgence"),
                ("besoin", besoin),
                ("montant", euros),
                ("mode", "carte"),
                ("carte", "CB-0042"),
                ("pieces", "identite"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let id = id_after(&a.location.unwrap(), "/aides/demandes/");
    app.login_as(Role::Cadre).await;
    let a = app
        .post(&format!("/aides/demandes/{id}/decision"), decision)
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    // The person contests it: the social worker records the recourse.
    app.login_as(Role::TravailleurSocial).await;
    let a = app
        .post(
            &format!("/aides/demandes/{id}/recours"),
            &[(
                "recours_motif",
                "Recours gracieux reçu le 07/12 : la dette d'énergie est plus lourde.",
            )],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    id
}

async fn engage(app: &TestApp) -> i64 {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::aides::enveloppes(&mut conn, "96", 2026, None)
        .await
        .unwrap()
        .iter()
        .find(|e| e.fonds_code == "secours_urgence")
        .unwrap()
        .engage
        .0
}

#[tokio::test]
async fn a_recourse_is_maintained_or_reformed_and_the_supplement_paid_by_a_new_order() {
    let mut app = TestApp::new().await;
    let d = dossier_pret(&mut app).await;
    let id = decidee(
        &mut app,
        d,
        "energie",
        "250",
        &[
            ("sens", "accord_partiel"),
            ("montant", "100"),
            ("motivation", "Prise en charge partielle."),
        ],
    )
    .await;
    assert_eq!(engage(&app).await, 10_000);
    // A second recourse on the same decision is not recorded over the first.
    let a = app
        .post(
            &format!("/aides/demandes/{id}/recours"),
            &[("recours_motif", "encore")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The social worker does not judge it.
    let a = app
        .post(
            &format!("/aides/demandes/{id}/recours/issue"),
            &[
                ("issue", "reformee"),
                ("montant", "250"),
                ("motivation", "x"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("par un cadre"), "{}", a.body);

    app.login_as(Role::Cadre).await;
    let page = app.get(&format!("/aides/demandes/{id}")).await;
    assert!(
        page.body.contains("Enregistrer l&#39;issue du recours")
            || page.body.contains("Enregistrer l'issue du recours")
    );
    // More than asked, no motivation: refused field by field, nothing written.
    let a = app
        .post(
            &format!("/aides/demandes/{id}/recours/issue"),
            &[("issue", "reformee"), ("montant", "300")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("montant demandé"), "{}", a.body);
    assert!(a.body.contains("L211-2"));
    assert!(a.body.contains("300"));
    assert_eq!(ordres(&app, id).await.len(), 1);
    let a = app
        .post(
            &format!("/aides/demandes/{id}/recours/issue"),
            &[
                ("issue", "reformee"),
                ("montant", "250"),
                (
                    "motivation",
                    "La facture produite au recours justifie le montant demandé.",
                ),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    // The supplement (150 €) is committed and paid by a second order with its own key.
    let o = ordres(&app, id).await;
    assert_eq!(o.len(), 2);
    assert_eq!(o[1].montant.0, 15_000);
    assert_ne!(o[0].cle, o[1].cle);
    assert_eq!(engage(&app).await, 25_000);
    let page = app.get(&format!("/aides/demandes/{id}")).await;
    assert!(page.body.contains("Décision initiale"), "{}", page.body);
    assert!(page.body.contains("Décision réformée"));
    let api = app
        .json("GET", &format!("/api/v1/aides/demandes/{id}"), None, None)
        .await;
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(v["statut"], "accordee");
    assert_eq!(v["montant_accorde"], 25_000);
    assert_eq!(v["sens_initial"], "accord_partiel");
    assert_eq!(v["recours_issue"], "reformee");
    // Judged once.
    let a = app
        .post(
            &format!("/aides/demandes/{id}/recours/issue"),
            &[("issue", "maintenue"), ("motivation", "x")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("déjà enregistrée"));

    // A refusal maintained: nothing committed, the motivation shown.
    let refus = decidee(
        &mut app,
        d,
        "alimentation",
        "60",
        &[
            ("sens", "refus"),
            ("motivation", "Reste à vivre au-dessus du barème."),
        ],
    )
    .await;
    app.login_as(Role::Cadre).await;
    let a = app
        .post(
            &format!("/aides/demandes/{refus}/recours/issue"),
            &[
                ("issue", "maintenue"),
                ("motivation", "Aucun élément nouveau."),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(ordres(&app, refus).await.is_empty());
    assert_eq!(engage(&app).await, 25_000);
    let page = app.get(&format!("/aides/demandes/{refus}")).await;
    assert!(page.body.contains("Décision maintenue"));
    assert!(page.body.contains("Aucun élément nouveau."));
}

#[tokio::test]
async fn a_request_made_from_an_eviction_procedure_records_it() {
    let mut app = TestApp::new().await;
    let d = dossier_pret(&mut app).await;
    app.login_as(Role::TravailleurSocial).await;
    let me = app.fx.agent(Role::TravailleurSocial).to_string();
    let a = app
        .post(
            &format!("/dossiers/{d}/procedures"),
            &[("type", "expulsion"), ("referent", &me)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let proc_id = id_after(&a.location.unwrap(), "/procedures/");
    let form = app
        .get(&format!(
            "/dossiers/{d}/aides/nouvelle?fonds=secours_urgence&procedure={proc_id}"
        ))
        .await;
    assert!(
        form.body
            .contains(&format!("name=\"procedure\" value=\"{proc_id}\"")),
        "{}",
        form.body
    );
    let csrf = app.csrf.clone().unwrap();
    let champs = |p: String| {
        vec![
            ("_csrf".to_string(), csrf.clone()),
            ("fonds".to_string(), "secours_urgence".to_string()),
            ("besoin".into(), "energie".into()),
            ("montant".into(), "80".into()),
            ("mode".into(), "carte".into()),
            ("carte".into(), "CB-0042".into()),
            ("pieces".into(), "identite".into()),
            ("procedure".into(), p),
        ]
    };
    // A procedure that is not this dossier's: refused, nothing written.
    let a = app
        .post_raw(
            &format!("/dossiers/{d}/aides"),
            &champs((proc_id + 1000).to_string()),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body.contains("procédure d&#39;expulsion") || a.body.contains("procédure d'expulsion"),
        "{}",
        a.body
    );
    let a = app
        .post_raw(
            &format!("/dossiers/{d}/aides"),
            &champs(proc_id.to_string()),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let id = id_after(&a.location.unwrap(), "/aides/demandes/");
    let mut conn = app.db.store().read().await.unwrap();
    let liees = parcours_store::aides::demandes_de_la_procedure(&mut conn, "96", proc_id)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(liees.iter().map(|x| x.id).collect::<Vec<_>>(), vec![id]);
    let page = app.get(&format!("/aides/demandes/{id}")).await;
    assert!(page
        .body
        .contains(&format!("prévention des expulsions n° {proc_id}")));
}
