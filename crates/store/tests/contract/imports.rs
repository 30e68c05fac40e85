//! Pending CSV imports: nothing is written before `apply`; apply writes the rows once; abandon
//! closes the preview.

use parcours_domain::habilitations::Role;
use parcours_domain::referentiel::import::{CommuneRow, ImportKind, Preview, SecteurRow};
use parcours_store::{imports, referentiel, Store, StoreError};
use parcours_test_support::{Fixture, TestDb};

fn communes_preview() -> Preview {
    Preview {
        kind: ImportKind::Communes,
        secteurs: vec![],
        communes: vec![
            CommuneRow {
                insee: "96006".into(),
                nom: "Nouvelle".into(),
                codes_postaux: vec!["96500".into(), "96510".into()],
                population: 321,
                secteur_code: Some("SEC-B1".into()),
            },
            // An existing commune moves to another secteur.
            CommuneRow {
                insee: "96005".into(),
                nom: "Orval".into(),
                codes_postaux: vec!["96400".into()],
                population: 150,
                secteur_code: Some("SEC-A1".into()),
            },
        ],
        rejected: vec![],
    }
}

async fn save(store: &Store, fx: &Fixture, preview: &Preview) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let id = imports::save(
        &mut tx,
        "96",
        "communes.csv",
        preview,
        fx.agent(Role::Administrateur),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn a_saved_import_writes_nothing_until_applied() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let id = save(db.store(), &fx, &communes_preview()).await;
    let mut c = db.store().read().await.unwrap();
    let pending = imports::get(&mut c, "96", id).await.unwrap();
    assert_eq!(
        (pending.status.as_str(), pending.filename.as_str()),
        ("apercu", "communes.csv")
    );
    assert_eq!(pending.preview, communes_preview());
    assert!(matches!(
        referentiel::commune_get(&mut c, "96", "96006").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        imports::get(&mut c, "95", id).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn applying_a_communes_import_writes_them_with_their_secteur_once() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let id = save(db.store(), &fx, &communes_preview()).await;
    let mut tx = db.store().begin().await.unwrap();
    assert_eq!(imports::apply(&mut tx, "96", id).await.unwrap(), 2);
    tx.commit().await.unwrap();
    let mut c = db.store().read().await.unwrap();
    let new = referentiel::commune_get(&mut c, "96", "96006")
        .await
        .unwrap();
    assert_eq!(
        (new.secteur_id, new.codes_postaux.len(), new.population),
        (Some(fx.secteur_b), 2, 321)
    );
    assert_eq!(
        referentiel::commune_get(&mut c, "96", "96005")
            .await
            .unwrap()
            .secteur_id,
        Some(fx.secteur_a)
    );
    assert_eq!(
        imports::get(&mut c, "96", id).await.unwrap().status,
        "applique"
    );
    drop(c);
    let mut tx = db.store().begin().await.unwrap();
    assert!(matches!(
        imports::apply(&mut tx, "96", id).await,
        Err(StoreError::Conflict("status"))
    ));
}

#[tokio::test]
async fn applying_a_secteurs_import_creates_and_updates_secteurs() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let preview = Preview {
        kind: ImportKind::Secteurs,
        secteurs: vec![
            SecteurRow {
                code: "SEC-B2".into(),
                nom: "Brielle Est".into(),
                site_code: "MDS-B".into(),
            },
            SecteurRow {
                code: "SEC-A1".into(),
                nom: "Aubier renommé".into(),
                site_code: "MDS-A".into(),
            },
        ],
        communes: vec![],
        rejected: vec![],
    };
    let id = save(db.store(), &fx, &preview).await;
    let mut tx = db.store().begin().await.unwrap();
    imports::apply(&mut tx, "96", id).await.unwrap();
    tx.commit().await.unwrap();
    let mut c = db.store().read().await.unwrap();
    let secteurs = referentiel::secteurs(&mut c, "96").await.unwrap();
    let b2 = secteurs.iter().find(|s| s.code == "SEC-B2").expect("créé");
    assert_eq!(b2.site_id, fx.site_b);
    let a1 = secteurs.iter().find(|s| s.code == "SEC-A1").unwrap();
    assert_eq!((a1.id, a1.nom.as_str()), (fx.secteur_a, "Aubier renommé"));
}

#[tokio::test]
async fn an_import_naming_an_unknown_site_is_refused_and_writes_nothing() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let preview = Preview {
        kind: ImportKind::Secteurs,
        secteurs: vec![
            SecteurRow {
                code: "SEC-OK".into(),
                nom: "ok".into(),
                site_code: "MDS-A".into(),
            },
            SecteurRow {
                code: "SEC-KO".into(),
                nom: "ko".into(),
                site_code: "MDS-Z".into(),
            },
        ],
        communes: vec![],
        rejected: vec![],
    };
    let id = save(db.store(), &fx, &preview).await;
    let mut tx = db.store().begin().await.unwrap();
    assert!(matches!(
        imports::apply(&mut tx, "96", id).await,
        Err(StoreError::Reference)
    ));
    drop(tx);
    let mut c = db.store().read().await.unwrap();
    assert_eq!(
        referentiel::secteurs(&mut c, "96").await.unwrap().len(),
        2,
        "rolled back"
    );
    assert_eq!(
        imports::get(&mut c, "96", id).await.unwrap().status,
        "apercu"
    );
}

#[tokio::test]
async fn an_abandoned_import_cannot_be_applied() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let id = save(db.store(), &fx, &communes_preview()).await;
    let mut tx = db.store().begin().await.unwrap();
    imports::abandon(&mut tx, "96", id).await.unwrap();
    assert!(matches!(
        imports::apply(&mut tx, "96", id).await,
        Err(StoreError::Conflict("status"))
    ));
    tx.commit().await.unwrap();
    let mut c = db.store().read().await.unwrap();
    assert_eq!(
        imports::get(&mut c, "96", id).await.unwrap().status,
        "abandonne"
    );
    assert!(matches!(
        referentiel::commune_get(&mut c, "96", "96006").await,
        Err(StoreError::NotFound)
    ));
}
