//! Server-side sessions: the cookie holds a random token, the database holds its SHA-256, the agent,
//! the CSRF token of the session and the times that enforce the idle and absolute timeouts.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{now, Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: String,
    pub departement_id: String,
    pub agent_id: i64,
    pub csrf: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub id_token: Option<String>,
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub async fn create(
    conn: &mut Conn,
    token: &str,
    dep: &str,
    agent_id: i64,
    csrf: &str,
    id_token: Option<&str>,
) -> Result<()> {
    let t = now();
    sqlx::query(
        "INSERT INTO sessions (id, departement_id, agent_id, csrf, created_at, last_seen_at, id_token) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(hash_token(token))
    .bind(dep)
    .bind(agent_id)
    .bind(csrf)
    .bind(&t)
    .bind(&t)
    .bind(id_token)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, token: &str) -> Result<Option<Session>> {
    let r = sqlx::query(
        "SELECT id, departement_id, agent_id, csrf, created_at, last_seen_at, id_token FROM sessions WHERE id = $1",
    )
    .bind(hash_token(token))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(r.map(|r| Session {
        id_hash: r.get("id"),
        departement_id: r.get("departement_id"),
        agent_id: r.get("agent_id"),
        csrf: r.get("csrf"),
        created_at: r.get("created_at"),
        last_seen_at: r.get("last_seen_at"),
        id_token: r.get("id_token"),
    }))
}

/// Marks the session as used now (the idle timeout counts from here).
pub async fn touch(conn: &mut Conn, id_hash: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(now())
        .bind(id_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut Conn, id_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Removes sessions idle since before `idle_before` or created before `created_before`.
pub async fn purge(conn: &mut Conn, idle_before: &str, created_before: &str) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
        .bind(idle_before)
        .bind(created_before)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}
