//! RGPD records: an access request's deadline moves from one to three months once extended, and the
//! retention rules archive a closed dossier two years after its last activity, then anonymise it —
//! the simulation changes nothing, the application changes what the simulation listed.

use chrono::{Duration, NaiveDate};
use parcours_domain::dossiers::{EcritForm, NewEcrit, Titulaire};
use parcours_domain::habilitations::Role;
use parcours_domain::personnes::{NewPersonne, PersonneForm};
use parcours_domain::referentiel::ServiceKind;
use parcours_domain::rgpd::Regles;
use parcours_store::{dossiers, personnes, rgpd};
use parcours_test_support::{Fixture, TestDb};

fn today() -> NaiveDate {
    parcours_store::clock().today()
}

#[tokio::test]
async fn retention_is_simulated_then_applied_and_access_deadlines_follow_the_gdpr() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let ts = fx.agent(Role::TravailleurSocial);
    let mut tx = db.store().begin().await.unwrap();
    let p = personnes::create(
        &mut tx,
        "96",
        &NewPersonne::parse(
            &PersonneForm {
                nom_naissance: "Roux".into(),
                prenoms: "Elsa".into(),
                ..PersonneForm::default()
            },
            today(),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let old = today() - Duration::days(365 * 3);
    let d = dossiers::create(
        &mut tx,
        "96",
        Titulaire::Personne(p),
        "Ancien suivi",
        old,
        fx.service(ServiceKind::ServiceSocial),
        None,
        ts,
    )
    .await
    .unwrap();
    let e = NewEcrit::parse(
        &EcritForm {
            kind: "note".into(),
            date: old.format("%d/%m/%Y").to_string(),
            texte: "Texte d'il y a trois ans".into(),
            visibilite: "service".into(),
            ..EcritForm::default()
        },
        today(),
        |_| false,
    )
    .unwrap();
    let eid = dossiers::ecrit_add(&mut tx, "96", d, ts, None, &e)
        .await
        .unwrap();
    let fin = parcours_domain::dossiers::NewCloture {
        motif: parcours_domain::dossiers::MotifCloture::ObjectifsAtteints,
        precision: None,
    };
    dossiers::close(&mut tx, "96", d, old + Duration::days(10), &fin, ts)
        .await
        .unwrap();
    let recent = dossiers::create(
        &mut tx,
        "96",
        Titulaire::Personne(p),
        "Suivi actuel",
        today(),
        fx.service(ServiceKind::ServiceSocial),
        None,
        ts,
    )
    .await
    .unwrap();
    let dem = rgpd::demande_add(
        &mut tx,
        "96",
        p,
        NaiveDate::from_ymd_opt(2026, 1, 15).unwrap(),
        ts,
    )
    .await
    .unwrap();
    rgpd::demande_prolonger(&mut tx, "96", p, dem)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let regles = Regles {
        actif_mois: 24,
        archive_mois: 60,
    };
    let mut conn = db.store().read().await.unwrap();
    let list = rgpd::demandes(&mut conn, "96", p).await.unwrap();
    assert_eq!(list[0].echeance, "2026-04-15");
    let sim = rgpd::simuler(&mut conn, "96", &regles, today())
        .await
        .unwrap();
    assert_eq!(sim.len(), 1, "only the closed, inactive dossier");
    assert_eq!((sim[0].dossier_id, sim[0].sort.as_str()), (d, "archiver"));
    assert_ne!(sim[0].dossier_id, recent);
    drop(conn);

    let mut tx = db.store().begin().await.unwrap();
    rgpd::appliquer(&mut tx, "96", &sim[0]).await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = db.store().read().await.unwrap();
    assert!(
        rgpd::simuler(&mut conn, "96", &regles, today())
            .await
            .unwrap()
            .is_empty(),
        "archived now, anonymised later"
    );
    // Six years on, the archived dossier is to be anonymised.
    let later = today() + Duration::days(366 * 6);
    let sim = rgpd::simuler(&mut conn, "96", &regles, later)
        .await
        .unwrap();
    assert_eq!(sim[0].sort, "anonymiser");
    drop(conn);
    let mut tx = db.store().begin().await.unwrap();
    rgpd::appliquer(&mut tx, "96", &sim[0]).await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = db.store().read().await.unwrap();
    let e = dossiers::ecrit_get(&mut conn, "96", eid).await.unwrap();
    assert_eq!(e.courant.texte, "[anonymisé]");
    drop(conn);
    db.cleanup().await;
}
