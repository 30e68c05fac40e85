//! A fresh, migrated database per test, on SQLite or PostgreSQL depending on the environment.

use parcours_store::{Backend, Store};
use sqlx::Connection;

/// The backend a test runs on, as chosen by `PARCOURS_TEST_BACKEND`.
pub type TestBackend = Backend;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A migrated store on a database of its own. The SQLite file lives in a temporary directory that is
/// removed when this value is dropped, so the `TestDb` must outlive every use of the store.
pub struct TestDb {
    store: Store,
    backend: Backend,
    // Held only to keep the directory (and the SQLite file in it) alive until the test ends.
    _dir: Option<tempfile::TempDir>,
    /// On PostgreSQL: the server URL and the name of the database created for this test.
    pg: Option<(String, String)>,
}

impl TestDb {
    /// Creates the database and runs the migrations; panics with a readable message on failure,
    /// since a test cannot do anything useful without its database.
    pub async fn new() -> TestDb {
        match Self::try_new().await {
            Ok(db) => db,
            Err(e) => panic!("base de test impossible à créer : {e:#}"),
        }
    }

    async fn try_new() -> anyhow::Result<TestDb> {
        sqlx::any::install_default_drivers();
        let postgres = std::env::var("PARCOURS_TEST_BACKEND")
            .is_ok_and(|v| v.eq_ignore_ascii_case("postgres"));
        if postgres {
            let server =
                std::env::var("PARCOURS_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.into());
            let name = format!("parcours_t_{:016x}", rand::random::<u64>());
            let mut admin = sqlx::AnyConnection::connect(&server).await?;
            // The name is ours (hex digits only), so inlining it is safe; DDL takes no parameters.
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await?;
            admin.close().await?;
            let store = Store::connect(&database_url(&server, &name)).await?;
            store.migrate().await?;
            Ok(TestDb {
                store,
                backend: Backend::Postgres,
                _dir: None,
                pg: Some((server, name)),
            })
        } else {
            let dir = tempfile::Builder::new()
                .prefix("parcours-test-")
                .tempdir()?;
            let url = format!("sqlite://{}", dir.path().join("parcours.db").display());
            let store = Store::connect(&url).await?;
            store.migrate().await?;
            Ok(TestDb {
                store,
                backend: Backend::Sqlite,
                _dir: Some(dir),
                pg: None,
            })
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn backend(&self) -> TestBackend {
        self.backend
    }

    /// Closes the pools and, on PostgreSQL, drops the test database (best effort: a failure is
    /// ignored, the CI script drops leftovers anyway). Dropping the `TestDb` without calling this
    /// is fine too.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some((server, name)) = &self.pg {
            if let Ok(mut admin) = sqlx::AnyConnection::connect(server).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                    .execute(&mut admin)
                    .await;
                let _ = admin.close().await;
            }
        }
    }
}

/// The URL of database `name` on the server of `server_url` (its path replaced, its query kept).
fn database_url(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server_url, String::new()),
    };
    // The path starts at the first '/' after "scheme://authority".
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    format!("{}/{name}{query}", &base[..authority_end])
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn the_database_name_replaces_the_path_of_the_server_url() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            database_url("postgres://u:p@h/db?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(
            database_url("postgres://h:5432", "t3"),
            "postgres://h:5432/t3"
        );
    }
}
