//! Sessions: stored by the hash of their token, touched on use, purged after the idle or the absolute
//! timeout.

use parcours_domain::habilitations::Role;
use parcours_store::sessions;
use parcours_test_support::{Fixture, TestDb};

use crate::exec;

#[tokio::test]
async fn a_session_is_found_by_its_token_and_never_stores_it() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    sessions::create(
        &mut tx,
        "jeton-clair",
        "96",
        fx.agent(Role::Cadre),
        "csrf-1",
        Some("idt"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut c = db.store().read().await.unwrap();
    let s = sessions::get(&mut c, "jeton-clair")
        .await
        .unwrap()
        .expect("session");
    assert_eq!(
        (s.agent_id, s.csrf.as_str(), s.id_token.as_deref()),
        (fx.agent(Role::Cadre), "csrf-1", Some("idt"))
    );
    assert_ne!(s.id_hash, "jeton-clair");
    assert_eq!(s.id_hash, sessions::hash_token("jeton-clair"));
    assert!(sessions::get(&mut c, "autre").await.unwrap().is_none());
}

#[tokio::test]
async fn touching_a_session_moves_its_last_use_forward() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    sessions::create(&mut tx, "t", "96", fx.agent(Role::Accueil), "c", None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let hash = sessions::hash_token("t");
    exec(
        db.store(),
        &format!(
            "UPDATE sessions SET last_seen_at = '2000-01-01T00:00:00.000000Z' WHERE id = '{hash}'"
        ),
    )
    .await;
    let mut tx = db.store().begin().await.unwrap();
    sessions::touch(&mut tx, &hash).await.unwrap();
    tx.commit().await.unwrap();
    let mut c = db.store().read().await.unwrap();
    let s = sessions::get(&mut c, "t").await.unwrap().unwrap();
    assert!(
        s.last_seen_at >= s.created_at,
        "{} < {}",
        s.last_seen_at,
        s.created_at
    );
}

#[tokio::test]
async fn the_purge_removes_idle_and_too_old_sessions_only() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    for token in ["active", "idle", "old"] {
        sessions::create(&mut tx, token, "96", fx.agent(Role::Accueil), "c", None)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let long_ago = crate::in_seconds(-13 * 3600);
    exec(
        db.store(),
        &format!(
            "UPDATE sessions SET last_seen_at = '{}' WHERE id = '{}'",
            crate::in_seconds(-3600),
            sessions::hash_token("idle")
        ),
    )
    .await;
    exec(
        db.store(),
        &format!(
            "UPDATE sessions SET created_at = '{long_ago}' WHERE id = '{}'",
            sessions::hash_token("old")
        ),
    )
    .await;
    let mut tx = db.store().begin().await.unwrap();
    let purged = sessions::purge(
        &mut tx,
        &crate::in_seconds(-1800),
        &crate::in_seconds(-12 * 3600),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(purged, 2);
    let mut c = db.store().read().await.unwrap();
    assert!(sessions::get(&mut c, "active").await.unwrap().is_some());
    assert!(sessions::get(&mut c, "idle").await.unwrap().is_none());
    assert!(sessions::get(&mut c, "old").await.unwrap().is_none());
}

#[tokio::test]
async fn a_deleted_session_is_gone() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    sessions::create(&mut tx, "bye", "96", fx.agent(Role::Dpo), "c", None)
        .await
        .unwrap();
    sessions::delete(&mut tx, &sessions::hash_token("bye"))
        .await
        .unwrap();
    assert!(sessions::get(&mut tx, "bye").await.unwrap().is_none());
}

#[tokio::test]
async fn revoking_an_agents_sessions_can_keep_the_current_one() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let agent = fx.agent(Role::Accueil);
    let mut tx = db.store().begin().await.unwrap();
    for t in ["a", "b", "c"] {
        sessions::create(&mut tx, t, "96", agent, "x", None)
            .await
            .unwrap();
    }
    sessions::create(&mut tx, "autre", "96", fx.agent(Role::Cadre), "x", None)
        .await
        .unwrap();
    let keep = sessions::hash_token("b");
    assert_eq!(
        sessions::revoke_agent(&mut tx, "96", agent, Some(&keep))
            .await
            .unwrap(),
        2
    );
    assert!(sessions::get(&mut tx, "a").await.unwrap().is_none());
    assert!(sessions::get(&mut tx, "b").await.unwrap().is_some());
    assert_eq!(
        sessions::revoke_agent(&mut tx, "96", agent, None)
            .await
            .unwrap(),
        1
    );
    assert!(
        sessions::get(&mut tx, "autre").await.unwrap().is_some(),
        "a colleague's session stays"
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_pending_oidc_sign_in_serves_once_and_old_ones_are_purged() {
    let db = TestDb::new().await;
    let _fx = Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    sessions::oidc_flow_create(
        &mut tx,
        "etat-1",
        "lien",
        "n",
        "v",
        "/",
        "2000-01-01T00:00:00Z",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    exec(
        db.store(),
        "UPDATE oidc_flows SET created_at = '2001-01-01T00:00:00.000000Z'",
    )
    .await;
    let mut tx = db.store().begin().await.unwrap();
    sessions::oidc_flow_create(
        &mut tx,
        "etat-2",
        "lien",
        "n",
        "v",
        "/agenda",
        &crate::in_seconds(-600),
    )
    .await
    .unwrap();
    assert!(
        sessions::oidc_flow_take(&mut tx, "etat-1")
            .await
            .unwrap()
            .is_none(),
        "expired flows are purged"
    );
    let f = sessions::oidc_flow_take(&mut tx, "etat-2")
        .await
        .unwrap()
        .expect("flow");
    assert_eq!(
        (f.binding_hash, f.suite.as_str()),
        (sessions::hash_token("lien"), "/agenda")
    );
    assert!(sessions::oidc_flow_take(&mut tx, "etat-2")
        .await
        .unwrap()
        .is_none());
    tx.commit().await.unwrap();
}
