//! Agents: creation with assignment and post, list filters, sort, paging, scope, totals; lockout
//! counting of the local accounts; API tokens.

use parcours_domain::habilitations::Role;
use parcours_domain::referentiel::{NewAgent, ServiceKind};
use parcours_store::agents::{self, AgentFilter, AgentSort};
use parcours_store::{tokens, StoreError};
use parcours_test_support::{Fixture, TestDb};

fn new_agent(fx: &Fixture, matricule: &str, email: &str) -> NewAgent {
    NewAgent {
        matricule: matricule.into(),
        prenom: "Zoé".into(),
        nom: "Zébulon".into(),
        email: email.into(),
        metier: "CESF".into(),
        role: Role::TravailleurSocial,
        service_id: fx.service(ServiceKind::ServiceSocial),
        site_id: Some(fx.site_b),
        secteur_id: Some(fx.secteur_b),
        etp_centiemes: 80,
        pool_remplacement: true,
    }
}

#[tokio::test]
async fn a_created_agent_reads_back_with_its_assignment_and_etp() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    let id = agents::create(&mut tx, "96", &new_agent(&fx, "Z0001", "zoe@cd96.test"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut c = db.store().read().await.unwrap();
    let a = agents::get(&mut c, "96", id).await.unwrap();
    assert_eq!(
        (a.site_ids, a.secteur_ids),
        (vec![fx.site_b], vec![fx.secteur_b])
    );
    assert_eq!(
        (a.etp_centiemes, a.pool_remplacement, a.has_password),
        (80, true, false)
    );
    assert_eq!(agents::totals(&mut c, "96").await.unwrap(), (8, 780));
    let fixture_agent = agents::get(&mut c, "96", fx.agent(Role::Cadre))
        .await
        .unwrap();
    assert_eq!(
        (fixture_agent.site_ids, fixture_agent.has_password),
        (vec![fx.site_a], true)
    );
}

#[tokio::test]
async fn a_duplicate_email_or_matricule_is_a_conflict_on_that_field() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    let dup = agents::create(&mut tx, "96", &new_agent(&fx, "Z0001", fx.email(Role::Dpo))).await;
    assert!(matches!(dup, Err(StoreError::Conflict("email"))), "{dup:?}");
    drop(tx);
    let mut tx = db.store().begin().await.unwrap();
    let dup = agents::create(&mut tx, "96", &new_agent(&fx, "T0001", "nouveau@cd96.test")).await;
    assert!(
        matches!(dup, Err(StoreError::Conflict("matricule"))),
        "{dup:?}"
    );
}

#[tokio::test]
async fn updating_the_site_moves_the_assignment_and_the_post() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let id = fx.agent(Role::Accueil);
    let mut change = new_agent(&fx, "T0001", fx.email(Role::Accueil));
    change.role = Role::Accueil;
    change.etp_centiemes = 50;
    let mut tx = db.store().begin().await.unwrap();
    agents::update(&mut tx, "96", id, &change).await.unwrap();
    tx.commit().await.unwrap();
    let mut c = db.store().read().await.unwrap();
    let a = agents::get(&mut c, "96", id).await.unwrap();
    assert_eq!(
        (a.site_ids, a.etp_centiemes, a.nom.as_str()),
        (vec![fx.site_b], 50, "Zébulon")
    );
    assert_eq!(agents::totals(&mut c, "96").await.unwrap(), (7, 650));
}

#[tokio::test]
async fn the_agents_list_filters_by_role_site_service_and_text() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let store = db.store();
    let count = |f: AgentFilter| async move {
        let mut c = store.read().await.unwrap();
        agents::list(&mut c, "96", &f, AgentSort::Nom, 100, 0)
            .await
            .unwrap()
            .1
    };
    assert_eq!(
        count(AgentFilter {
            role: Some(Role::Dpo),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(AgentFilter {
            site_id: Some(fx.site_a),
            ..Default::default()
        })
        .await,
        3
    );
    assert_eq!(
        count(AgentFilter {
            site_id: Some(fx.site_b),
            ..Default::default()
        })
        .await,
        0
    );
    let central = fx.service(ServiceKind::Central);
    assert_eq!(
        count(AgentFilter {
            service_id: Some(central),
            ..Default::default()
        })
        .await,
        3
    );
    assert_eq!(
        count(AgentFilter {
            texte: Some("ADMINISTRATEUR@".into()),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(AgentFilter {
            texte: Some("t0003".into()),
            ..Default::default()
        })
        .await,
        1
    );
}

#[tokio::test]
async fn a_perimetre_restricts_the_list_to_its_sites_and_an_empty_one_to_nothing() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut c = db.store().read().await.unwrap();
    let scoped = AgentFilter {
        perimetre: Some(vec![fx.site_a]),
        ..Default::default()
    };
    let (list, n) = agents::list(&mut c, "96", &scoped, AgentSort::Nom, 100, 0)
        .await
        .unwrap();
    assert_eq!(n, 3);
    assert!(list.iter().all(|a| a.site_ids == [fx.site_a]));
    let empty = AgentFilter {
        perimetre: Some(vec![]),
        ..Default::default()
    };
    assert_eq!(
        agents::list(&mut c, "96", &empty, AgentSort::Nom, 100, 0)
            .await
            .unwrap()
            .1,
        0
    );
}

#[tokio::test]
async fn the_agents_list_sorts_and_pages_with_the_total_of_all_pages() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let mut c = db.store().read().await.unwrap();
    let (page, total) = agents::list(
        &mut c,
        "96",
        &AgentFilter::default(),
        AgentSort::Matricule,
        3,
        3,
    )
    .await
    .unwrap();
    let matricules: Vec<&str> = page.iter().map(|a| a.matricule.as_str()).collect();
    assert_eq!((matricules, total), (vec!["T0004", "T0005", "T0006"], 7));
    assert!(
        page.iter().all(|a| a.etp_centiemes == 100),
        "ETP filled on every row of a page"
    );
}

#[tokio::test]
async fn a_closed_agent_leaves_the_list_and_the_totals_but_stays_readable() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let id = fx.agent(Role::TravailleurSocial);
    let mut tx = db.store().begin().await.unwrap();
    agents::close(&mut tx, "96", id, "2026-03-01")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut c = db.store().read().await.unwrap();
    assert_eq!(agents::totals(&mut c, "96").await.unwrap(), (6, 600));
    assert_eq!(
        agents::list(
            &mut c,
            "96",
            &AgentFilter::default(),
            AgentSort::Nom,
            100,
            0
        )
        .await
        .unwrap()
        .1,
        6
    );
    let all = AgentFilter {
        inclure_fermes: true,
        ..Default::default()
    };
    assert_eq!(
        agents::list(&mut c, "96", &all, AgentSort::Nom, 100, 0)
            .await
            .unwrap()
            .1,
        7
    );
    let a = agents::get(&mut c, "96", id).await.unwrap();
    assert_eq!(
        (a.ferme_le.as_deref(), a.site_ids.len()),
        (Some("2026-03-01"), 0)
    );
}

#[tokio::test]
async fn failed_sign_ins_are_counted_a_delay_is_kept_and_a_success_clears_them() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let id = fx.agent(Role::Accueil);
    let until = crate::in_seconds(900);
    let mut tx = db.store().begin().await.unwrap();
    assert_eq!(agents::record_failure(&mut tx, "96", id).await.unwrap(), 1);
    assert_eq!(agents::record_failure(&mut tx, "96", id).await.unwrap(), 2);
    agents::delay_sign_in(&mut tx, "96", id, &until)
        .await
        .unwrap();
    // Failures keep counting during a delay: the next delay is longer.
    assert_eq!(agents::record_failure(&mut tx, "96", id).await.unwrap(), 3);
    tx.commit().await.unwrap();
    let mut c = db.store().read().await.unwrap();
    // The lookup ignores case and surrounding spaces.
    let login = format!("  {} ", fx.email(Role::Accueil).to_uppercase());
    let acc = agents::account_by_email(&mut c, &login)
        .await
        .unwrap()
        .expect("compte");
    assert_eq!(
        (acc.agent_id, acc.failed_logins, acc.locked_until.as_deref()),
        (id, 3, Some(until.as_str()))
    );
    drop(c);
    let mut tx = db.store().begin().await.unwrap();
    agents::record_success(&mut tx, "96", id).await.unwrap();
    tx.commit().await.unwrap();
    let mut c = db.store().read().await.unwrap();
    let acc = agents::account_by_email(&mut c, fx.email(Role::Accueil))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((acc.failed_logins, acc.locked_until), (0, None));
}

#[tokio::test]
async fn an_agent_linked_to_an_oidc_subject_stays_linked_to_it() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let id = fx.agent(Role::Cadre);
    let mut tx = db.store().begin().await.unwrap();
    assert!(agents::link_oidc_sub(&mut tx, "96", id, "sub-a")
        .await
        .unwrap());
    assert!(
        agents::link_oidc_sub(&mut tx, "96", id, "sub-a")
            .await
            .unwrap(),
        "the same subject signs in again"
    );
    assert!(
        !agents::link_oidc_sub(&mut tx, "96", id, "sub-b")
            .await
            .unwrap(),
        "another subject with the same e-mail is refused"
    );
    tx.commit().await.unwrap();
    let mut c = db.store().read().await.unwrap();
    let acc = agents::account_by_email(&mut c, fx.email(Role::Cadre))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acc.oidc_sub.as_deref(), Some("sub-a"));
}

#[tokio::test]
async fn an_email_shared_by_two_departements_cannot_sign_in() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let other = Fixture::seed_other(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    let mut a = new_agent(&fx, "Z0001", &other.admin_email);
    a.service_id = fx.service(ServiceKind::Central);
    agents::create(&mut tx, "96", &a).await.unwrap();
    tx.commit().await.unwrap();
    let mut c = db.store().read().await.unwrap();
    assert!(agents::account_by_email(&mut c, &other.admin_email)
        .await
        .unwrap()
        .is_none());
    let acc = agents::account_by_email(&mut c, fx.email(Role::Dpo))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acc.departement_id, "96");
}

#[tokio::test]
async fn an_api_token_authenticates_by_its_secret_until_revoked() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let admin = fx.agent(Role::Administrateur);
    let scopes = vec!["referentiel:lire".to_string(), "agents:lire".to_string()];
    let mut tx = db.store().begin().await.unwrap();
    let id = tokens::create(
        &mut tx,
        "96",
        "SIRH",
        &scopes,
        &[fx.site_a],
        admin,
        "s3cr3t",
    )
    .await
    .unwrap();
    let t = tokens::authenticate(&mut tx, "s3cr3t")
        .await
        .unwrap()
        .expect("jeton valide");
    assert_eq!(
        (t.id, t.departement_id.as_str(), t.scopes.clone()),
        (id, "96", scopes)
    );
    assert_eq!(
        t.site_ids,
        vec![fx.site_a],
        "the token reaches its sites only"
    );
    assert!(tokens::authenticate(&mut tx, "autre")
        .await
        .unwrap()
        .is_none());
    tx.commit().await.unwrap();
    let mut c = db.store().read().await.unwrap();
    let listed = tokens::list(&mut c, "96").await.unwrap();
    assert!(
        listed[0].last_used_at.is_some(),
        "authentication marks the token as used"
    );
    drop(c);
    let mut tx = db.store().begin().await.unwrap();
    assert!(
        matches!(
            tokens::revoke(&mut tx, "95", id).await,
            Err(StoreError::NotFound)
        ),
        "only its département revokes it"
    );
    tokens::revoke(&mut tx, "96", id).await.unwrap();
    assert!(matches!(
        tokens::revoke(&mut tx, "96", id).await,
        Err(StoreError::NotFound)
    ));
    assert!(tokens::authenticate(&mut tx, "s3cr3t")
        .await
        .unwrap()
        .is_none());
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_search_for_a_like_wildcard_matches_it_literally_not_everything() {
    let db = TestDb::new().await;
    let _fx = Fixture::seed(db.store()).await;
    let mut c = db.store().read().await.unwrap();
    // Unescaped, `%` matched every agent and every commune, `_` every one-letter position.
    for texte in ["%", "_", "\\", "a%e", "9610_"] {
        let f = AgentFilter {
            texte: Some(texte.into()),
            ..Default::default()
        };
        let (_, n) = agents::list(&mut c, "96", &f, AgentSort::Nom, 100, 0)
            .await
            .unwrap();
        assert_eq!(n, 0, "agents matching « {texte} »");
        let f = parcours_store::referentiel::CommuneFilter {
            texte: Some(texte.into()),
            ..Default::default()
        };
        let (_, n) = parcours_store::referentiel::communes(&mut c, "96", &f, 100, 0)
            .await
            .unwrap();
        assert_eq!(n, 0, "communes matching « {texte} »");
    }
    // A postcode with a wildcard resolves nothing (it matched 96200, Brielle, before).
    assert!(
        parcours_store::referentiel::resolve(&mut c, "96", "9620_", None)
            .await
            .unwrap()
            .is_none()
    );
    // The real text still matches.
    let f = AgentFilter {
        texte: Some("cd96".into()),
        ..Default::default()
    };
    let (_, n) = agents::list(&mut c, "96", &f, AgentSort::Nom, 100, 0)
        .await
        .unwrap();
    assert!(n > 0);
}
