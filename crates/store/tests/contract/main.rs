//! Contract tests of the store: what every caller relies on, run on SQLite by default and on
//! PostgreSQL with `PARCOURS_TEST_BACKEND=postgres` (one binary, one module per business module).

mod accueil;
mod agenda;
mod agents;
mod appui;
mod audit;
mod demo;
mod dossiers;
mod imports;
mod jalons;
mod jobs;
mod personnes;
mod referentiel;
mod rgpd;
mod sessions;

use parcours_store::Store;

/// Runs one statement of raw SQL in its own transaction, for tests that must reach under the API
/// (tampering with the audit log, ageing a session). Values are inlined by the caller: test data only.
pub async fn exec(store: &Store, sql: &str) -> u64 {
    let mut tx = store.begin().await.expect("transaction");
    let done = sqlx::query(sql)
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    tx.commit().await.expect("commit");
    done.rows_affected()
}

/// A timestamp `seconds` from now, in the stored format.
pub fn in_seconds(seconds: i64) -> String {
    parcours_store::format_time(chrono::Utc::now() + chrono::Duration::seconds(seconds))
}
