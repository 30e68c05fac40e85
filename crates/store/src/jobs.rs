//! The job queue in the database: enqueue inside a business transaction, claim one due job at a time
//! (the one query that differs per backend), retries with exponential back-off, listing for the admin
//! page.

use sqlx::Row;

use crate::{format_time, now, Backend, Conn, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Job {
    pub id: i64,
    pub departement_id: String,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: String,
    pub last_error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

const COLUMNS: &str =
    "id, departement_id, kind, payload, status, attempts, max_attempts, run_at, last_error, created_at, finished_at";

fn job(r: &sqlx::any::AnyRow) -> Job {
    Job {
        id: r.get("id"),
        departement_id: r.get("departement_id"),
        kind: r.get("kind"),
        payload: r.get("payload"),
        status: r.get("status"),
        attempts: r.get("attempts"),
        max_attempts: r.get("max_attempts"),
        run_at: r.get("run_at"),
        last_error: r.get("last_error"),
        created_at: r.get("created_at"),
        finished_at: r.get("finished_at"),
    }
}

pub async fn enqueue(
    conn: &mut Conn,
    dep: &str,
    kind: &str,
    payload: &serde_json::Value,
    max_attempts: i64,
) -> Result<i64> {
    let t = now();
    let r = sqlx::query(
        "INSERT INTO jobs (departement_id, kind, payload, status, attempts, max_attempts, run_at, created_at) \
         VALUES ($1, $2, $3, 'en_attente', 0, $4, $5, $6) RETURNING id",
    )
    .bind(dep)
    .bind(kind)
    .bind(payload.to_string())
    .bind(max_attempts)
    .bind(&t)
    .bind(&t)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

/// Claims the oldest due job for `worker`. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets workers run
/// side by side; on SQLite the single writer connection serialises claims.
pub async fn claim(store: &Store, worker: &str) -> Result<Option<Job>> {
    let mut tx = store.begin().await?;
    let t = now();
    let pick = match store.backend() {
        Backend::Postgres => {
            "SELECT id FROM jobs WHERE status = 'en_attente' AND run_at <= $1 ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
        }
        Backend::Sqlite => "SELECT id FROM jobs WHERE status = 'en_attente' AND run_at <= $1 ORDER BY run_at, id LIMIT 1",
    };
    let Some(r) = sqlx::query(pick).bind(&t).fetch_optional(&mut *tx).await? else {
        tx.commit().await?;
        return Ok(None);
    };
    let id: i64 = r.get("id");
    let sql = format!(
        "UPDATE jobs SET status = 'en_cours', attempts = attempts + 1, locked_at = $1, locked_by = $2 WHERE id = $3 RETURNING {COLUMNS}"
    );
    let r = sqlx::query(&sql)
        .bind(&t)
        .bind(worker)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(job(&r)))
}

pub async fn complete(conn: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("UPDATE jobs SET status = 'termine', finished_at = $1, locked_at = NULL, locked_by = NULL WHERE id = $2")
        .bind(now())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records a failure: back to the queue after a back-off (30 s × 2^attempts, at most 6 h), or failed
/// for good once `max_attempts` is reached.
pub async fn fail(conn: &mut Conn, job: &Job, error: &str) -> Result<()> {
    let error: String = error.chars().take(2000).collect();
    if job.attempts >= job.max_attempts {
        sqlx::query("UPDATE jobs SET status = 'echec', last_error = $1, finished_at = $2, locked_at = NULL WHERE id = $3")
            .bind(&error)
            .bind(now())
            .bind(job.id)
            .execute(&mut *conn)
            .await?;
    } else {
        let delay = backoff_seconds(job.attempts);
        let run_at = format_time(crate::clock().now() + chrono::Duration::seconds(delay));
        sqlx::query(
            "UPDATE jobs SET status = 'en_attente', last_error = $1, run_at = $2, locked_at = NULL, locked_by = NULL WHERE id = $3",
        )
        .bind(&error)
        .bind(run_at)
        .bind(job.id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub fn backoff_seconds(attempts: i64) -> i64 {
    (30i64 << attempts.clamp(0, 10)).min(6 * 3600)
}

/// Puts a failed job back in the queue now (admin action).
pub async fn retry(conn: &mut Conn, dep: &str, id: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'en_attente', run_at = $1, attempts = 0, finished_at = NULL WHERE id = $2 AND departement_id = $3 AND status = 'echec'",
    )
    .bind(now())
    .bind(id)
    .bind(dep)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Jobs left `en_cours` by a process that died are put back in the queue at start-up.
pub async fn requeue_stale(conn: &mut Conn, locked_before: &str) -> Result<u64> {
    let done = sqlx::query("UPDATE jobs SET status = 'en_attente', locked_at = NULL, locked_by = NULL WHERE status = 'en_cours' AND locked_at < $1")
        .bind(locked_before)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

pub async fn list(
    conn: &mut Conn,
    dep: &str,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Job>, i64)> {
    let (w, bind2) = match status {
        Some(s) => ("departement_id = $1 AND status = $2", Some(s)),
        None => ("departement_id = $1", None),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs WHERE {w} ORDER BY id DESC LIMIT {limit} OFFSET {offset}"
    );
    let mut q = sqlx::query(&sql).bind(dep);
    if let Some(s) = bind2 {
        q = q.bind(s);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let sql = format!("SELECT COUNT(*) AS n FROM jobs WHERE {w}");
    let mut q = sqlx::query(&sql).bind(dep);
    if let Some(s) = bind2 {
        q = q.bind(s);
    }
    let total = q.fetch_one(&mut *conn).await?.get("n");
    Ok((rows.iter().map(job).collect(), total))
}

pub async fn get(conn: &mut Conn, dep: &str, id: i64) -> Result<Job> {
    let sql = format!("SELECT {COLUMNS} FROM jobs WHERE departement_id = $1 AND id = $2");
    let r = sqlx::query(&sql)
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(job(&r))
}
