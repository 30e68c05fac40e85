//! Server-side sessions: the cookie holds a random token, the database holds its SHA-256, the agent,
//! the CSRF token of the session and the times that enforce the idle and absolute timeouts. Pending
//! OpenID Connect sign-ins live here too.

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

/// Ends every session of an agent but `keep` (the hash of the session that asked, if any): after a
/// password change or reset, whoever held the old password loses the sessions it opened.
pub async fn revoke_agent(
    conn: &mut Conn,
    dep: &str,
    agent_id: i64,
    keep: Option<&str>,
) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM sessions WHERE departement_id = $1 AND agent_id = $2 AND id <> $3",
    )
    .bind(dep)
    .bind(agent_id)
    .bind(keep.unwrap_or(""))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// A pending OpenID Connect sign-in (see migration 0012).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcFlow {
    pub binding_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub suite: String,
    pub created_at: String,
}

/// Records a pending OpenID Connect sign-in under its `state`, bound to the browser cookie `binding`;
/// flows created before `expired_before` are purged on the way.
pub async fn oidc_flow_create(
    conn: &mut Conn,
    state: &str,
    binding: &str,
    nonce: &str,
    pkce_verifier: &str,
    suite: &str,
    expired_before: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM oidc_flows WHERE created_at < $1")
        .bind(expired_before)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO oidc_flows (state_hash, binding_hash, nonce, pkce_verifier, suite, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(hash_token(state))
    .bind(hash_token(binding))
    .bind(nonce)
    .bind(pkce_verifier)
    .bind(suite)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Takes (reads and deletes: a state serves once) the pending sign-in of a `state`.
pub async fn oidc_flow_take(conn: &mut Conn, state: &str) -> Result<Option<OidcFlow>> {
    let r = sqlx::query(
        "DELETE FROM oidc_flows WHERE state_hash = $1 RETURNING binding_hash, nonce, pkce_verifier, suite, created_at",
    )
    .bind(hash_token(state))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(r.map(|r| OidcFlow {
        binding_hash: r.get("binding_hash"),
        nonce: r.get("nonce"),
        pkce_verifier: r.get("pkce_verifier"),
        suite: r.get("suite"),
        created_at: r.get("created_at"),
    }))
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
