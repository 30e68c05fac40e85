//! Dossiers: the journal keeps every version of a corrected écrit, sharing is stored as written and
//! decided by the secret partagé, documents come back byte for byte with their checksum, the plan
//! keeps actions under their own dossier's objectives, exceptional accesses expire, and a merge of
//! two persons moves everything and is undone exactly.

use chrono::{Duration, NaiveDate, Utc};
use parcours_domain::dossiers::secret::{peut_lire, PieceAcces};
use parcours_domain::dossiers::{
    AccesMotiveForm, CorrectionForm, DocumentForm, EcritForm, NewAccesMotive, NewCorrection,
    NewDocument, NewEcrit, NewPlanItem, NewResultat, PlanForm, ResultatForm, StatutPlan, Titulaire,
    Visibilite,
};
use parcours_domain::habilitations::{Principal, Role};
use parcours_domain::personnes::{AdresseForm, NewAdresse, NewPersonne, PersonneForm};
use parcours_domain::referentiel::ServiceKind;
use parcours_store::doublons::{self, FusionError};
use parcours_store::{dossiers, personnes, Store, StoreError};
use parcours_test_support::{Fixture, TestDb};

fn today() -> NaiveDate {
    parcours_store::clock().today()
}

fn personne(nom: &str, prenoms: &str) -> NewPersonne {
    NewPersonne::parse(
        &PersonneForm {
            nom_naissance: nom.into(),
            prenoms: prenoms.into(),
            date_naissance: "12/04/1988".into(),
            telephone: "06 11 22 33 44".into(),
            ..PersonneForm::default()
        },
        today(),
    )
    .expect("personne valide")
}

async fn setup(store: &Store, fx: &Fixture) -> (i64, i64) {
    let mut tx = store.begin().await.unwrap();
    let p = personnes::create(&mut tx, "96", &personne("Marchand", "Léa"))
        .await
        .unwrap();
    let ts = fx.agent(Role::TravailleurSocial);
    let d = dossiers::create(
        &mut tx,
        "96",
        Titulaire::Personne(p),
        "Accompagnement social global",
        today(),
        fx.service(ServiceKind::ServiceSocial),
        Some(ts),
        ts,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (p, d)
}

fn ecrit(visibilite: &str, base: &str, texte: &str) -> NewEcrit {
    NewEcrit::parse(
        &EcritForm {
            kind: "entretien".into(),
            date: today().format("%d/%m/%Y").to_string(),
            texte: texte.into(),
            visibilite: visibilite.into(),
            base_legale: base.into(),
            destinataires: String::new(),
        },
        today(),
        |_| false,
    )
    .expect("écrit valide")
}

fn principal(role: Role, agent: i64, service: i64) -> Principal {
    Principal {
        agent_id: Some(agent),
        token_id: None,
        departement_id: "96".into(),
        display_name: "T".into(),
        role,
        service_id: Some(service),
        site_ids: vec![],
        token_scopes: vec![],
    }
}

#[tokio::test]
async fn a_corrected_ecrit_keeps_its_earlier_versions_and_its_sharing() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let (_, d) = setup(db.store(), &fx).await;
    let ts = fx.agent(Role::TravailleurSocial);
    let social = fx.service(ServiceKind::ServiceSocial);
    let mut tx = db.store().begin().await.unwrap();
    let id = dossiers::ecrit_add(
        &mut tx,
        "96",
        d,
        ts,
        Some(social),
        &ecrit(
            "dossier",
            "L121-6-2",
            "Premier entretien : dette de loyer de 2 mois.",
        ),
    )
    .await
    .unwrap();
    let v = dossiers::ecrit_correct(
        &mut tx,
        "96",
        id,
        ts,
        &NewCorrection::parse(
            &CorrectionForm {
                kind: "entretien".into(),
                date: today().format("%Y-%m-%d").to_string(),
                texte: "Premier entretien : dette de loyer de 3 mois.".into(),
                motif: "Erreur sur le nombre de mois".into(),
            },
            today(),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(v, 2);
    let mut conn = db.store().read().await.unwrap();
    let journal = dossiers::ecrits(&mut conn, "96", d).await.unwrap();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].versions, 2);
    assert!(journal[0].courant.texte.contains("3 mois"));
    assert_eq!(journal[0].visibilite, Visibilite::Dossier);
    let versions = dossiers::ecrit_versions(&mut conn, "96", id).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert!(versions[0].texte.contains("2 mois"));
    assert_eq!(
        versions[1].motif.as_deref(),
        Some("Erreur sur le nombre de mois")
    );

    // The secret partagé on what the store returns: the CRIP does not follow this dossier.
    let acces = dossiers::acces(&mut conn, "96", d).await.unwrap();
    let piece = PieceAcces::from(&journal[0]);
    let crip = principal(
        Role::EquipeCentrale,
        fx.agent(Role::EquipeCentrale),
        fx.service(ServiceKind::Crip),
    );
    assert!(!peut_lire(&crip, &acces, &piece, false));
    // The dossier is followed by the team of the référent (service social, MDS-A): its cadre reads
    // it; the same service in MDS-B does not.
    let mut cadre = principal(Role::Cadre, fx.agent(Role::Cadre), social);
    cadre.site_ids = vec![fx.site_a];
    assert!(peut_lire(&cadre, &acces, &piece, false));
    cadre.site_ids = vec![fx.site_b];
    assert!(!peut_lire(&cadre, &acces, &piece, false));
    // Another département sees nothing of it.
    assert!(matches!(
        dossiers::ecrit_get(&mut conn, "95", id).await,
        Err(StoreError::NotFound)
    ));
    drop(conn);
    db.cleanup().await;
}

#[tokio::test]
async fn an_ecrit_for_named_agents_and_referents_per_service() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let (_, d) = setup(db.store(), &fx).await;
    let ts = fx.agent(Role::TravailleurSocial);
    let crip_agent = fx.agent(Role::EquipeCentrale);
    let social = fx.service(ServiceKind::ServiceSocial);
    let crip = fx.service(ServiceKind::Crip);
    let mut tx = db.store().begin().await.unwrap();
    assert!(
        dossiers::agents_hors_service(&mut tx, "96", &[crip_agent], Some(social))
            .await
            .unwrap()
    );
    assert!(matches!(
        dossiers::agents_hors_service(&mut tx, "96", &[999_999], Some(social)).await,
        Err(StoreError::Reference)
    ));
    let e = NewEcrit::parse(
        &EcritForm {
            kind: "rapport".into(),
            date: today().format("%d/%m/%Y").to_string(),
            texte: "Éléments transmis à la CRIP.".into(),
            visibilite: "agents".into(),
            base_legale: "L226-2-2".into(),
            destinataires: crip_agent.to_string(),
        },
        today(),
        |_| true,
    )
    .unwrap();
    let id = dossiers::ecrit_add(&mut tx, "96", d, ts, Some(social), &e)
        .await
        .unwrap();
    dossiers::referent_set(&mut tx, "96", d, crip, crip_agent, today())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut conn = db.store().read().await.unwrap();
    let got = dossiers::ecrit_get(&mut conn, "96", id).await.unwrap();
    assert_eq!(got.destinataires, vec![crip_agent]);
    let refs = dossiers::referents(&mut conn, "96", d).await.unwrap();
    assert_eq!(refs.len(), 2);
    let dossier = dossiers::get(&mut conn, "96", d).await.unwrap();
    assert_eq!(dossier.services, {
        let mut s = vec![social, crip];
        s.sort();
        s
    });
    drop(conn);
    db.cleanup().await;
}

#[tokio::test]
async fn a_document_comes_back_byte_for_byte_and_the_plan_stays_in_its_dossier() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let (p, d) = setup(db.store(), &fx).await;
    let ts = fx.agent(Role::TravailleurSocial);
    let pdf = b"%PDF-1.4\n% document de test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let doc = NewDocument::parse(
        &DocumentForm {
            type_document: "justificatif_ressources".into(),
            visibilite: "service".into(),
            base_legale: String::new(),
        },
        "avis CAF.pdf",
        pdf.clone(),
        1 << 20,
    )
    .unwrap();
    let mut tx = db.store().begin().await.unwrap();
    let doc_id = dossiers::document_add(&mut tx, "96", d, ts, None, &doc)
        .await
        .unwrap();
    let obj = dossiers::plan_add(
        &mut tx,
        "96",
        d,
        &NewPlanItem::parse(
            &PlanForm {
                objectif_id: String::new(),
                libelle: "Résorber la dette de loyer".into(),
                echeance: String::new(),
            },
            today(),
        )
        .unwrap(),
        ts,
    )
    .await
    .unwrap();
    let action = NewPlanItem::parse(
        &PlanForm {
            objectif_id: obj.to_string(),
            libelle: "Constituer le dossier FSL".into(),
            echeance: (today() + Duration::days(30))
                .format("%d/%m/%Y")
                .to_string(),
        },
        today(),
    )
    .unwrap();
    let act = dossiers::plan_add(&mut tx, "96", d, &action, ts)
        .await
        .unwrap();
    // An action cannot hang under another dossier's objective.
    let other = dossiers::create(
        &mut tx,
        "96",
        Titulaire::Personne(p),
        "Autre",
        today(),
        fx.service(ServiceKind::Insertion),
        None,
        ts,
    )
    .await
    .unwrap();
    assert!(matches!(
        dossiers::plan_add(&mut tx, "96", other, &action, ts).await,
        Err(StoreError::Reference)
    ));
    dossiers::plan_resultat(
        &mut tx,
        "96",
        act,
        &NewResultat::parse(&ResultatForm {
            statut: "atteint".into(),
            resultat: "Dossier FSL déposé le 3".into(),
        })
        .unwrap(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut conn = db.store().read().await.unwrap();
    let (meta, bytes) = dossiers::document_get(&mut conn, "96", doc_id)
        .await
        .unwrap();
    assert_eq!(bytes, pdf);
    assert_eq!(meta.sha256, doc.sha256);
    assert_eq!(meta.taille, pdf.len() as i64);
    assert_eq!(
        dossiers::documents(&mut conn, "96", d).await.unwrap().len(),
        1
    );
    let plan = dossiers::plan(&mut conn, "96", d).await.unwrap();
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0].actions.len(), 1);
    assert_eq!(plan[0].actions[0].statut, StatutPlan::Atteint);
    assert_eq!(
        dossiers::of_personne(&mut conn, "96", p)
            .await
            .unwrap()
            .len(),
        2
    );
    drop(conn);
    db.cleanup().await;
}

#[tokio::test]
async fn an_exceptional_access_runs_until_its_end_and_the_site_comes_from_the_address() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let (p, _) = setup(db.store(), &fx).await;
    let ts = fx.agent(Role::TravailleurSocial);
    let mut tx = db.store().begin().await.unwrap();
    let a = NewAccesMotive::parse(
        &AccesMotiveForm {
            motif: "Appel du 115 : mise à l'abri ce soir, dossier à consulter".into(),
        },
        Utc::now(),
        2,
    )
    .unwrap();
    dossiers::acces_motive_create(&mut tx, "96", ts, p, &a)
        .await
        .unwrap();
    personnes::adresse_set(
        &mut tx,
        "96",
        p,
        &NewAdresse::parse(
            &AdresseForm {
                ligne_1: "2 rue des Lilas".into(),
                code_postal: "96200".into(),
                commune_insee: "96003".into(),
                valid_from: "2020-01-01".into(),
                ..AdresseForm::default()
            },
            today(),
        )
        .unwrap(),
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut conn = db.store().read().await.unwrap();
    assert!(
        dossiers::acces_motive_actif(&mut conn, "96", ts, p, Utc::now())
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        dossiers::acces_motive_actif(&mut conn, "96", ts, p, Utc::now() + Duration::hours(3))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        dossiers::acces_motives(&mut conn, "96", None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        dossiers::personne_site(&mut conn, "96", p).await.unwrap(),
        Some(fx.site_b)
    );
    drop(conn);
    db.cleanup().await;
}

#[tokio::test]
async fn a_merge_moves_everything_and_its_undo_puts_every_row_back() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let (p, d) = setup(db.store(), &fx).await;
    let ts = fx.agent(Role::Cadre);
    let mut tx = db.store().begin().await.unwrap();
    let q = personnes::create(&mut tx, "96", &personne("Marchant", "Léa"))
        .await
        .unwrap();
    assert!(doublons::candidat_add(&mut tx, "96", q, p, 0.93)
        .await
        .unwrap());
    assert!(!doublons::candidat_add(&mut tx, "96", p, q, 0.95)
        .await
        .unwrap());
    tx.commit().await.unwrap();

    let mut tx = db.store().begin().await.unwrap();
    assert!(matches!(
        doublons::fusionner(&mut tx, "96", p, p, ts).await,
        Err(FusionError::MemePersonne)
    ));
    // Keep q, absorb p (who holds the dossier and a phone).
    let (fusion, moves) = doublons::fusionner(&mut tx, "96", q, p, ts).await.unwrap();
    assert_eq!(moves["dossiers"], vec![d]);
    assert!(matches!(
        doublons::fusionner(&mut tx, "96", q, p, ts).await,
        Err(FusionError::DejaFusionnee)
    ));
    tx.commit().await.unwrap();
    let mut conn = db.store().read().await.unwrap();
    assert_eq!(
        dossiers::of_personne(&mut conn, "96", q)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(dossiers::of_personne(&mut conn, "96", p)
        .await
        .unwrap()
        .is_empty());
    let (pending, _) = doublons::candidats(&mut conn, "96", "a_examiner", 10, 0)
        .await
        .unwrap();
    assert!(pending.is_empty());
    drop(conn);

    let mut tx = db.store().begin().await.unwrap();
    assert_eq!(
        doublons::annuler(&mut tx, "96", fusion, ts).await.unwrap(),
        (q, p)
    );
    assert!(matches!(
        doublons::annuler(&mut tx, "96", fusion, ts).await,
        Err(FusionError::DejaAnnulee)
    ));
    tx.commit().await.unwrap();
    let mut conn = db.store().read().await.unwrap();
    assert_eq!(
        dossiers::of_personne(&mut conn, "96", p)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(dossiers::of_personne(&mut conn, "96", q)
        .await
        .unwrap()
        .is_empty());
    let back = personnes::get(&mut conn, "96", p).await.unwrap();
    assert_eq!(back.telephones.len(), 1);
    drop(conn);
    db.cleanup().await;
}
