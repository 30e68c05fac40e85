//! Référentiel: create, update, close; unique codes; composite keys that keep references inside one
//! département; lists scoped to their département; commune resolution.

use parcours_domain::referentiel::{NewSecteur, NewSite, NewTerritoire, SiteKind, TerritoireKind};
use parcours_store::referentiel::{self, Closable, CommuneFilter};
use parcours_store::{agents, audit, jobs, tokens, StoreError};
use parcours_test_support::{Fixture, TestDb};

fn new_site(territoire_id: i64, code: &str) -> NewSite {
    NewSite {
        territoire_id,
        code: code.into(),
        nom: format!("Site {code}"),
        kind: SiteKind::Cms,
        adresse: "3 rue du Moulin".into(),
        commune_insee: Some("96001".into()),
    }
}

#[tokio::test]
async fn a_created_site_reads_back_with_every_field() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    let id = referentiel::site_create(&mut tx, "96", &new_site(fx.territoire_a, "CMS-1"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut conn = db.store().read().await.unwrap();
    let s = referentiel::site_get(&mut conn, "96", id).await.unwrap();
    assert_eq!(
        (s.code.as_str(), s.kind, s.territoire_id),
        ("CMS-1", SiteKind::Cms, fx.territoire_a)
    );
    assert_eq!(s.commune_insee.as_deref(), Some("96001"));
    assert_eq!(s.ferme_le, None);
}

#[tokio::test]
async fn an_update_changes_the_record_and_an_unknown_id_is_not_found() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    let t = NewTerritoire {
        code: "DTS-1".into(),
        nom: "DTS renommée".into(),
        kind: TerritoireKind::Dts,
    };
    referentiel::territoire_update(&mut tx, "96", fx.territoire_b, &t)
        .await
        .unwrap();
    let missing = referentiel::territoire_update(&mut tx, "96", 999_999, &t).await;
    assert!(matches!(missing, Err(StoreError::NotFound)));
    tx.commit().await.unwrap();
    let mut conn = db.store().read().await.unwrap();
    let got = referentiel::territoire_get(&mut conn, "96", fx.territoire_b)
        .await
        .unwrap();
    assert_eq!(
        (got.code.as_str(), got.nom.as_str(), got.kind),
        ("DTS-1", "DTS renommée", TerritoireKind::Dts)
    );
}

#[tokio::test]
async fn closing_a_site_keeps_it_readable_and_lists_it_last() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    // "CMS-0" sorts before "MDS-A": only the closing can put it last.
    let id = referentiel::site_create(&mut tx, "96", &new_site(fx.territoire_a, "CMS-0"))
        .await
        .unwrap();
    referentiel::close(&mut tx, "96", Closable::Site, id, "2026-01-31")
        .await
        .unwrap();
    let again = referentiel::close(&mut tx, "96", Closable::Site, id, "2026-02-01").await;
    assert!(
        matches!(again, Err(StoreError::NotFound)),
        "a closed record cannot be closed twice"
    );
    tx.commit().await.unwrap();
    let mut conn = db.store().read().await.unwrap();
    let site = referentiel::site_get(&mut conn, "96", id).await.unwrap();
    assert_eq!(site.ferme_le.as_deref(), Some("2026-01-31"));
    let codes: Vec<String> = referentiel::sites(&mut conn, "96")
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.code)
        .collect();
    assert_eq!(codes, ["MDS-A", "MDS-B", "CMS-0"]);
    drop(conn);

    let mut tx = db.store().begin().await.unwrap();
    referentiel::reopen(&mut tx, "96", Closable::Site, id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut conn = db.store().read().await.unwrap();
    let codes: Vec<String> = referentiel::sites(&mut conn, "96")
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.code)
        .collect();
    assert_eq!(codes, ["CMS-0", "MDS-A", "MDS-B"]);
}

#[tokio::test]
async fn a_code_already_used_in_the_departement_is_a_conflict_on_code() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    let dup = referentiel::site_create(&mut tx, "96", &new_site(fx.territoire_a, "MDS-A")).await;
    assert!(matches!(dup, Err(StoreError::Conflict("code"))), "{dup:?}");
    drop(tx);
    let mut tx = db.store().begin().await.unwrap();
    let t = NewTerritoire {
        code: "UT-NORD".into(),
        nom: "x".into(),
        kind: TerritoireKind::Utasi,
    };
    let dup = referentiel::territoire_update(&mut tx, "96", fx.territoire_b, &t).await;
    assert!(matches!(dup, Err(StoreError::Conflict("code"))), "{dup:?}");
}

#[tokio::test]
async fn the_same_code_is_allowed_in_another_departement() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    // The 95 fixture creates its own "MDS-A": it would fail if codes were unique across tenants.
    let other = Fixture::seed_other(db.store()).await;
    let mut conn = db.store().read().await.unwrap();
    assert_eq!(
        referentiel::site_get(&mut conn, "95", other.site)
            .await
            .unwrap()
            .code,
        "MDS-A"
    );
}

#[tokio::test]
async fn a_secteur_referencing_a_site_of_another_departement_is_refused() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let other = Fixture::seed_other(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    let s = NewSecteur {
        site_id: other.site,
        code: "SEC-X".into(),
        nom: "Secteur volé".into(),
    };
    let refused = referentiel::secteur_create(&mut tx, "96", &s).await;
    assert!(matches!(refused, Err(StoreError::Reference)), "{refused:?}");
}

#[tokio::test]
async fn a_site_referencing_an_unknown_territoire_is_refused() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    let refused = referentiel::site_create(&mut tx, "96", &new_site(424_242, "CMS-9")).await;
    assert!(matches!(refused, Err(StoreError::Reference)), "{refused:?}");
}

#[tokio::test]
async fn every_list_is_scoped_to_its_departement() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let other = Fixture::seed_other(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    audit::append(
        &mut tx,
        "95",
        &parcours_domain::audit::AuditEvent::new("lecture", "agent", other.admin),
    )
    .await
    .unwrap();
    jobs::enqueue(&mut tx, "95", "sessions.purger", &serde_json::json!({}), 3)
        .await
        .unwrap();
    tokens::create(
        &mut tx,
        "95",
        "SI 95",
        &["referentiel:lire".into()],
        &[],
        other.admin,
        "secret-95",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut c = db.store().read().await.unwrap();
    let dep = "96";
    assert!(referentiel::territoires(&mut c, dep)
        .await
        .unwrap()
        .iter()
        .all(|t| t.id != other.territoire));
    assert!(referentiel::sites(&mut c, dep)
        .await
        .unwrap()
        .iter()
        .all(|s| s.id != other.site));
    assert!(referentiel::secteurs(&mut c, dep)
        .await
        .unwrap()
        .iter()
        .all(|s| s.id != other.secteur));
    assert!(referentiel::services(&mut c, dep)
        .await
        .unwrap()
        .iter()
        .all(|s| s.id != other.service));
    assert_eq!(
        referentiel::permanences(&mut c, dep).await.unwrap().len(),
        1
    );
    assert!(referentiel::postes(&mut c, dep)
        .await
        .unwrap()
        .iter()
        .all(|p| p.agent_id != Some(other.admin)));
    let (communes, total) = referentiel::communes(&mut c, dep, &CommuneFilter::default(), 100, 0)
        .await
        .unwrap();
    assert_eq!(total, 5);
    assert!(communes.iter().all(|c| c.insee.starts_with("96")));
    assert_eq!(referentiel::population(&mut c, dep).await.unwrap(), 5050);
    let (list, total) = agents::list(&mut c, dep, &Default::default(), Default::default(), 100, 0)
        .await
        .unwrap();
    assert_eq!(total, 7);
    assert!(list.iter().all(|a| a.id != other.admin));
    assert_eq!(agents::totals(&mut c, dep).await.unwrap(), (7, 700));
    assert_eq!(
        audit::list(&mut c, dep, &Default::default(), 100, 0)
            .await
            .unwrap()
            .1,
        0
    );
    assert_eq!(jobs::list(&mut c, dep, None, 100, 0).await.unwrap().1, 0);
    assert!(tokens::list(&mut c, dep).await.unwrap().is_empty());

    // Reading another département's record by id is "not found", not a leak.
    assert!(matches!(
        referentiel::site_get(&mut c, dep, other.site).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        agents::get(&mut c, dep, other.admin).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        referentiel::commune_get(&mut c, dep, "95001").await,
        Err(StoreError::NotFound)
    ));
    assert!(referentiel::resolve(&mut c, dep, "95001", None)
        .await
        .unwrap()
        .is_none());
    // And the other way round.
    assert_eq!(referentiel::sites(&mut c, "95").await.unwrap().len(), 1);
    assert_eq!(agents::totals(&mut c, "95").await.unwrap(), (1, 100));
    assert!(matches!(
        agents::get(
            &mut c,
            "95",
            fx.agent(parcours_domain::habilitations::Role::Dpo)
        )
        .await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn a_commune_resolves_by_insee_code_to_its_secteur_and_site() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut c = db.store().read().await.unwrap();
    let r = referentiel::resolve(&mut c, "96", " 96003 ", None)
        .await
        .unwrap()
        .expect("résolue");
    assert_eq!(r.commune.nom, "Brielle");
    assert_eq!(r.secteur.map(|s| s.id), Some(fx.secteur_b));
    assert_eq!(r.site.map(|s| s.id), Some(fx.site_b));
}

#[tokio::test]
async fn a_commune_resolves_by_a_postcode_it_alone_holds() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut c = db.store().read().await.unwrap();
    let r = referentiel::resolve(&mut c, "96", "96300", None)
        .await
        .unwrap()
        .expect("résolue");
    assert_eq!(
        (r.commune.insee.as_str(), r.site.map(|s| s.id)),
        ("96004", Some(fx.site_b))
    );
}

#[tokio::test]
async fn a_shared_postcode_needs_the_commune_name_written_loosely() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut c = db.store().read().await.unwrap();
    assert!(referentiel::resolve(&mut c, "96", "96100", None)
        .await
        .unwrap()
        .is_none());
    let r = referentiel::resolve(&mut c, "96", "96100", Some("saint eloi la FORET"))
        .await
        .unwrap()
        .expect("résolue");
    assert_eq!(
        (r.commune.insee.as_str(), r.secteur.map(|s| s.id)),
        ("96002", Some(fx.secteur_a))
    );
    assert!(
        referentiel::resolve(&mut c, "96", "96100", Some("Ailleurs"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_commune_without_secteur_resolves_without_site_and_an_unknown_code_does_not_resolve() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let mut c = db.store().read().await.unwrap();
    let r = referentiel::resolve(&mut c, "96", "96005", None)
        .await
        .unwrap()
        .expect("résolue");
    assert_eq!((r.secteur, r.site), (None, None));
    assert!(referentiel::resolve(&mut c, "96", "96999", None)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn the_communes_list_filters_counts_and_pages() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut c = db.store().read().await.unwrap();
    let text = CommuneFilter {
        texte: Some("BRIE".into()),
        ..Default::default()
    };
    assert_eq!(
        referentiel::communes(&mut c, "96", &text, 10, 0)
            .await
            .unwrap()
            .1,
        1
    );
    let by_cp = CommuneFilter {
        texte: Some("96100".into()),
        ..Default::default()
    };
    assert_eq!(
        referentiel::communes(&mut c, "96", &by_cp, 10, 0)
            .await
            .unwrap()
            .1,
        2
    );
    let secteur = CommuneFilter {
        secteur_id: Some(fx.secteur_b),
        ..Default::default()
    };
    assert_eq!(
        referentiel::communes(&mut c, "96", &secteur, 10, 0)
            .await
            .unwrap()
            .1,
        2
    );
    let orphans = CommuneFilter {
        sans_secteur: true,
        ..Default::default()
    };
    let (rows, n) = referentiel::communes(&mut c, "96", &orphans, 10, 0)
        .await
        .unwrap();
    assert_eq!((n, rows[0].insee.as_str()), (1, "96005"));
    let (page, total) = referentiel::communes(&mut c, "96", &CommuneFilter::default(), 2, 2)
        .await
        .unwrap();
    let names: Vec<&str> = page.iter().map(|c| c.nom.as_str()).collect();
    assert_eq!((names, total), (vec!["Civrac", "Orval"], 5));
}
