//! Persistence of Parcours on SQLite (embedded default) and PostgreSQL (production) through one code
//! path: sqlx's `Any` driver with SQL written in the intersection of both dialects, and the few
//! queries that must differ branched on [`Backend`] in one function each. One file per business
//! module; handlers never see SQL, only the functions and domain types here.

pub mod accueil;
pub mod accueil_demo;
pub mod agenda;
pub mod agents;
pub mod aides;
pub mod appui;
pub mod audit;
pub mod chiffres;
pub mod clock;
pub mod consultations;
pub mod demo;
pub mod departements;
pub mod dossiers;
pub mod doublons;
pub mod groupes_projet;
pub mod imports;
pub mod jalons;
pub mod jobs;
pub mod personnes;
pub mod procedures;
pub mod referentiel;
pub mod rgpd;
pub mod sessions;
pub mod tokens;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor};

pub use clock::clock;
pub use sqlx::AnyConnection as Conn;
/// The driver's error, for the layers that commit transactions.
pub use sqlx::Error as SqlError;

/// A transaction on either backend.
pub type Tx = sqlx::Transaction<'static, Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What can go wrong in the store, in terms the callers act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("enregistrement introuvable")]
    NotFound,
    /// A unique key already holds this value; the field is the one to show the message beside.
    #[error("valeur déjà utilisée ({0})")]
    Conflict(&'static str),
    /// A referenced record does not exist in this département.
    #[error("référence inconnue")]
    Reference,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Maps a constraint violation to a conflict on the named field; other errors pass through.
pub(crate) fn on_unique(field: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(field),
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::Reference,
        _ => StoreError::Database(e),
    }
}

/// The handles on the database. On SQLite, writes go through a single-connection pool, because SQLite
/// has one writer and a deferred transaction that reads before it writes could otherwise fail with
/// SQLITE_BUSY; reads use a pool of their own. On PostgreSQL both are the same pool.
#[derive(Clone, Debug)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
}

static MIGRATOR_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static MIGRATOR_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The rebuild of `procedures` with `ip` in its CHECK list (SQLite, see `procedures_ip_sqlite`): the
/// columns of migration 0015, unchanged.
const PROCEDURES_IP_SQLITE: [&str; 5] = [
    "CREATE TABLE procedures_nouvelle ( \
        id INTEGER PRIMARY KEY, \
        departement_id TEXT NOT NULL REFERENCES departements(id), \
        dossier_id INTEGER NOT NULL, \
        type TEXT NOT NULL CHECK (type IN ('rsa', 'masp', 'expulsion', 'ip')), \
        service_id INTEGER, \
        site_id INTEGER, \
        secteur_id INTEGER, \
        referent_id INTEGER, \
        motif_depassement TEXT, \
        ouverte_le TEXT NOT NULL, \
        close_le TEXT, \
        created_by INTEGER, \
        created_at TEXT NOT NULL, \
        UNIQUE (departement_id, id), \
        FOREIGN KEY (departement_id, dossier_id) REFERENCES dossiers(departement_id, id), \
        FOREIGN KEY (departement_id, referent_id) REFERENCES agents(departement_id, id))",
    "INSERT INTO procedures_nouvelle (id, departement_id, dossier_id, type, service_id, site_id, \
        secteur_id, referent_id, motif_depassement, ouverte_le, close_le, created_by, created_at) \
        SELECT id, departement_id, dossier_id, type, service_id, site_id, secteur_id, referent_id, \
        motif_depassement, ouverte_le, close_le, created_by, created_at FROM procedures",
    "DROP TABLE procedures",
    "ALTER TABLE procedures_nouvelle RENAME TO procedures",
    "CREATE INDEX procedures_dossier ON procedures (departement_id, dossier_id)",
];

impl Store {
    /// Opens the database named by a `sqlite://` or `postgres://` URL (a SQLite file is created if
    /// missing, in WAL mode with foreign keys on).
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        match backend {
            Backend::Sqlite => {
                let url = if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                };
                let options = AnyConnectOptions::from_str(&url)?;
                let pragmas = sqlite_pragmas;
                let write = AnyPoolOptions::new()
                    .max_connections(1)
                    .after_connect(pragmas)
                    .connect_with(options.clone())
                    .await?;
                write.execute("PRAGMA journal_mode = WAL").await?;
                let read = AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(pragmas)
                    .connect_with(options)
                    .await?;
                Ok(Self {
                    read,
                    write,
                    backend,
                })
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(20)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                Ok(Self {
                    read: pool.clone(),
                    write: pool,
                    backend,
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the pending migrations of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => {
                MIGRATOR_SQLITE.run(&self.write).await?;
                self.procedures_ip_sqlite().await?;
            }
            Backend::Postgres => MIGRATOR_POSTGRES.run(&self.write).await?,
        }
        {
            // Départements created before financial aids get the default catalogue.
            let mut tx = self.begin().await?;
            aides::initialiser_catalogues(&mut tx).await?;
            tx.commit().await?;
        }
        self.complete_search_index().await
    }

    /// Migration 0016 on SQLite: adds `ip` to the CHECK list of `procedures.type` by rebuilding the
    /// table as SQLite's documentation prescribes (« Making Other Kinds Of Table Schema Changes »):
    /// foreign keys off outside any transaction, the new table, the copy, the swap and the foreign-key
    /// check in one transaction — a killed process leaves the old table or the new one, and the next
    /// start redoes it if needed (it reads the table's schema first).
    async fn procedures_ip_sqlite(&self) -> anyhow::Result<()> {
        use sqlx::Row;
        let mut conn = self.write.acquire().await?;
        let sql: String = sqlx::query(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'procedures'",
        )
        .fetch_one(&mut *conn)
        .await?
        .get("sql");
        if sql.contains("'ip'") {
            return Ok(());
        }
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut *conn)
            .await?;
        let rebuilt = async {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            for statement in PROCEDURES_IP_SQLITE {
                sqlx::query(statement).execute(&mut *tx).await?;
            }
            let orphans = sqlx::query("PRAGMA foreign_key_check")
                .fetch_all(&mut *tx)
                .await?;
            if !orphans.is_empty() {
                anyhow::bail!("reconstruction de la table procedures : références rompues");
            }
            tx.commit().await?;
            anyhow::Ok(())
        }
        .await;
        sqlx::query("PRAGMA foreign_keys = ON")
            .execute(&mut *conn)
            .await?;
        rebuilt
    }

    /// Migration 0004 could only copy the folded names of the people recorded before it (SQL cannot
    /// compute the phonetic key): their full search tokens are computed here, in batches, once.
    async fn complete_search_index(&self) -> anyhow::Result<()> {
        use sqlx::Row;
        let mut conn = self.read.acquire().await?;
        let deps: Vec<String> =
            sqlx::query("SELECT DISTINCT departement_id FROM personne_noms WHERE kind = 'ancien'")
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| r.get("departement_id"))
                .collect();
        drop(conn);
        for dep in deps {
            loop {
                let mut tx = self.begin().await?;
                let done = personnes::index_noms_anciens(&mut tx, &dep, 2000).await?;
                tx.commit().await?;
                if done == 0 {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(self.write.begin().await?)
    }

    /// A connection for reads.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<Any>> {
        Ok(self.read.acquire().await?)
    }

    /// Checks that the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

type ConnectFuture<'c> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'c>>;

/// Per-connection settings of SQLite. synchronous=FULL: a committed write survives a killed process
/// and a power cut, which is the promise of Parcours.
fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> ConnectFuture<'_> {
    Box::pin(async move {
        conn.execute(
            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL;",
        )
        .await?;
        Ok(())
    })
}

/// Executes a statement as is: for tests and maintenance tools, never with user input.
pub async fn raw_execute(conn: &mut Conn, sql: &str) -> Result<u64> {
    Ok(sqlx::query(sql).execute(&mut *conn).await?.rows_affected())
}

/// Now, in UTC, as stored: RFC 3339 with microseconds, which sorts as text on both backends.
/// Dates are stored as `YYYY-MM-DD`, which sorts and compares as text on both backends.
/// A `LIKE` pattern matching `text` anywhere, with the wildcards typed by the user (`%`, `_`) and the
/// escape character itself taken literally; use it with `LIKE $n ESCAPE '\'` (same on SQLite and
/// PostgreSQL).
pub(crate) fn like_contains(text: &str) -> String {
    format!("%{}%", like_escape(text))
}

/// `text` with the `LIKE` wildcards and the escape character escaped by `\`.
pub(crate) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(crate) fn iso_date(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The current instant of the ambient clock, in the storage form.
pub fn now() -> String {
    format_time(clock::clock().now())
}

pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// An update or delete that touched no row answers `err` (the record is missing, or not in the state
/// the statement requires).
pub(crate) fn touched(rows: u64, err: StoreError) -> Result<()> {
    if rows == 0 {
        Err(err)
    } else {
        Ok(())
    }
}

pub(crate) fn flag(v: i64) -> bool {
    v != 0
}
