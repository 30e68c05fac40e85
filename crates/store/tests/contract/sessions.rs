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
