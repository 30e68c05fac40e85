//! Desk log: a contact is recorded at a site or one of its permanences, with or without a known person;
//! the day's list is per site and per civil day, paged; a person or a place of another département is
//! refused.

use chrono::Duration;
use parcours_domain::accueil::{Canal, Lieu, NewContact, Reponse, Typologie};
use parcours_domain::personnes::{NewPersonne, PersonneForm};
use parcours_store::{accueil, personnes, StoreError};
use parcours_test_support::{Fixture, TestDb};

fn contact(lieu: Lieu, personne_id: Option<i64>, minutes_ago: i64) -> NewContact {
    NewContact {
        canal: Canal::Telephone,
        moment: parcours_store::clock().maintenant() - Duration::minutes(minutes_ago),
        lieu,
        personne_id,
        typologie: Typologie::AccesDroits,
        reponse: Reponse::Orientation,
        partenaire: Some("CAF".into()),
        attente_minutes: None,
        motif_appui: None,
        motif_id: None,
    }
}

#[tokio::test]
async fn contacts_are_recorded_and_listed_per_site_and_day() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let store = db.store();
    let p = NewPersonne::parse(
        &PersonneForm {
            nom_naissance: "Morel".into(),
            prenoms: "Jean".into(),
            ..PersonneForm::default()
        },
        parcours_store::clock().today(),
    )
    .expect("personne valide");
    let mut tx = store.begin().await.unwrap();
    let personne = personnes::create(&mut tx, "96", &p).await.unwrap();
    tx.commit().await.unwrap();

    let mut conn = store.read().await.unwrap();
    assert_eq!(
        accueil::site_of(&mut conn, "96", Lieu::Permanence(fx.permanence))
            .await
            .unwrap(),
        Some(fx.site_a)
    );
    assert_eq!(
        accueil::site_of(&mut conn, "96", Lieu::Site(fx.site_b))
            .await
            .unwrap(),
        Some(fx.site_b)
    );
    assert_eq!(
        accueil::site_of(&mut conn, "95", Lieu::Site(fx.site_a))
            .await
            .unwrap(),
        None
    );
    drop(conn);

    let mut tx = store.begin().await.unwrap();
    for _ in 0..3 {
        accueil::create(
            &mut tx,
            "96",
            &contact(Lieu::Site(fx.site_a), None, 0),
            fx.site_a,
            None,
        )
        .await
        .unwrap();
    }
    accueil::create(
        &mut tx,
        "96",
        &contact(Lieu::Permanence(fx.permanence), Some(personne), 0),
        fx.site_a,
        None,
    )
    .await
    .unwrap();
    accueil::create(
        &mut tx,
        "96",
        &contact(Lieu::Site(fx.site_b), None, 0),
        fx.site_b,
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let today = parcours_store::clock().today();
    let mut conn = store.read().await.unwrap();
    let (page1, total) = accueil::jour(&mut conn, "96", fx.site_a, today, 3, 0)
        .await
        .unwrap();
    assert_eq!(total, 4);
    assert_eq!(page1.len(), 3);
    let (page2, _) = accueil::jour(&mut conn, "96", fx.site_a, today, 3, 3)
        .await
        .unwrap();
    assert_eq!(page2.len(), 1);
    let all: Vec<_> = page1.iter().chain(page2.iter()).collect();
    let known = all
        .iter()
        .find(|c| c.personne_id == Some(personne))
        .expect("contact de la personne");
    assert_eq!(known.personne.as_deref(), Some("MOREL Jean"));
    assert!(known.permanence.is_some());
    assert_eq!(known.partenaire.as_deref(), Some("CAF"));
    assert_eq!(known.typologie, Typologie::AccesDroits);
    // Another day, another département: nothing.
    let (hier, n) = accueil::jour(&mut conn, "96", fx.site_a, today - Duration::days(1), 10, 0)
        .await
        .unwrap();
    assert!(hier.is_empty() && n == 0);
    let (ailleurs, _) = accueil::jour(&mut conn, "95", fx.site_a, today, 10, 0)
        .await
        .unwrap();
    assert!(ailleurs.is_empty());
    drop(conn);

    // A person of another département (unknown here) is refused; nothing is written.
    let mut tx = store.begin().await.unwrap();
    let e = accueil::create(
        &mut tx,
        "96",
        &contact(Lieu::Site(fx.site_a), Some(personne + 1000), 0),
        fx.site_a,
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, StoreError::Reference), "{e:?}");
}

#[tokio::test]
async fn the_departements_motifs_keep_their_family_and_stay_on_past_contacts() {
    use parcours_domain::accueil::NewMotif;
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let store = db.store();
    let mut tx = store.begin().await.unwrap();
    let loyer = accueil::motif_create(
        &mut tx,
        "96",
        &NewMotif::parse("Impayés de loyer", "logement").unwrap(),
    )
    .await
    .unwrap();
    let aide = accueil::motif_create(
        &mut tx,
        "96",
        &NewMotif::parse("Aide alimentaire", "financier").unwrap(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // The same label twice: a conflict on the label (its own transaction, which PostgreSQL aborts).
    let mut tx = store.begin().await.unwrap();
    let twice = accueil::motif_create(
        &mut tx,
        "96",
        &NewMotif::parse("Impayés de loyer", "sante").unwrap(),
    )
    .await;
    assert!(matches!(twice, Err(StoreError::Conflict("libelle"))));
    drop(tx);

    let mut tx = store.begin().await.unwrap();
    let mut c = contact(Lieu::Site(fx.site_a), None, 0);
    c.typologie = Typologie::Logement;
    c.motif_id = Some(loyer);
    accueil::create(&mut tx, "96", &c, fx.site_a, None)
        .await
        .unwrap();
    accueil::motif_set_actif(&mut tx, "96", loyer, false)
        .await
        .unwrap();
    // A withdrawn motif, or one of another département, cannot be recorded any more.
    assert!(matches!(
        accueil::create(&mut tx, "96", &c, fx.site_a, None).await,
        Err(StoreError::Reference)
    ));
    assert!(matches!(
        accueil::motif_set_actif(&mut tx, "95", aide, false).await,
        Err(StoreError::NotFound)
    ));
    tx.commit().await.unwrap();

    let mut conn = store.read().await.unwrap();
    let actifs = accueil::motifs(&mut conn, "96", true).await.unwrap();
    assert_eq!(
        actifs.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![aide],
        "only the active ones, the financial family first"
    );
    assert_eq!(
        accueil::motifs(&mut conn, "96", false).await.unwrap().len(),
        2
    );
    let (jour, _) = accueil::jour(
        &mut conn,
        "96",
        fx.site_a,
        parcours_store::clock().today(),
        10,
        0,
    )
    .await
    .unwrap();
    assert_eq!(jour[0].motif.as_deref(), Some("Impayés de loyer"));
    assert_eq!(jour[0].typologie, Typologie::Logement);
}
