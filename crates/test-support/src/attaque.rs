//! What an attacker with the database owner's rights does before rewriting the audit log: drop the
//! triggers that refuse UPDATE and DELETE on it (migration 0014). Tests that prove `audit verify`
//! detects tampering call this first; the signed checkpoints are what catches such a rewrite.

use parcours_store::{Backend, Store};

/// The statements that remove the audit log's guard on this backend.
pub fn sql_lever_la_garde(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::Sqlite => &[
            "DROP TRIGGER IF EXISTS audit_log_sans_modification",
            "DROP TRIGGER IF EXISTS audit_log_sans_suppression",
        ],
        Backend::Postgres => &[
            "DROP TRIGGER IF EXISTS audit_log_inviolable ON audit_log",
            "DROP TRIGGER IF EXISTS audit_log_sans_troncature ON audit_log",
        ],
    }
}

/// Drops the audit log's triggers, as a DBA would before rewriting it.
pub async fn lever_la_garde_du_journal(store: &Store) {
    let mut tx = store.begin().await.expect("transaction");
    for sql in sql_lever_la_garde(store.backend()) {
        sqlx::query(sql)
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    tx.commit().await.expect("commit");
}

/// Recomputes every hash of a département's chain after the rows were changed, and the head, so that
/// the chain alone verifies again: the rewrite that only a checkpoint kept elsewhere can reveal. The
/// guard must have been dropped first.
pub async fn rechainer(store: &Store, dep: &str) {
    use parcours_domain::audit::{entry_hash, GENESIS};
    let mut c = store.read().await.expect("connexion");
    let (mut entries, _) =
        parcours_store::audit::list(&mut c, dep, &Default::default(), 1_000_000, 0)
            .await
            .expect("journal");
    drop(c);
    entries.reverse();
    let mut tx = store.begin().await.expect("transaction");
    let mut prev = GENESIS.to_string();
    let mut seq = 0;
    for mut e in entries {
        e.prev_hash = prev.clone();
        e.hash = entry_hash(&e);
        sqlx::query(
            "UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE departement_id = $3 AND seq = $4",
        )
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .bind(dep)
        .bind(e.seq)
        .execute(&mut *tx)
        .await
        .expect("réécriture");
        prev = e.hash;
        seq = e.seq;
    }
    sqlx::query("UPDATE audit_heads SET seq = $1, hash = $2 WHERE departement_id = $3")
        .bind(seq)
        .bind(&prev)
        .bind(dep)
        .execute(&mut *tx)
        .await
        .expect("tête");
    tx.commit().await.expect("commit");
}
