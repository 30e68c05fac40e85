//! API tokens of service accounts: only the SHA-256 of a token is stored; scopes, revocation and last
//! use are kept for the audit.

use sqlx::Row;

use crate::sessions::hash_token;
use crate::{now, Conn, Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub departement_id: String,
    pub nom: String,
    pub scopes: Vec<String>,
    pub created_by: i64,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

fn token(r: &sqlx::any::AnyRow) -> ApiToken {
    ApiToken {
        id: r.get("id"),
        departement_id: r.get("departement_id"),
        nom: r.get("nom"),
        scopes: r
            .get::<String, _>("scopes")
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        created_by: r.get("created_by"),
        created_at: r.get("created_at"),
        last_used_at: r.get("last_used_at"),
        revoked_at: r.get("revoked_at"),
    }
}

const COLUMNS: &str =
    "id, departement_id, nom, scopes, created_by, created_at, last_used_at, revoked_at";

pub async fn create(
    conn: &mut Conn,
    dep: &str,
    nom: &str,
    scopes: &[String],
    created_by: i64,
    secret: &str,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO api_tokens (departement_id, nom, token_hash, scopes, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(dep)
    .bind(nom)
    .bind(hash_token(secret))
    .bind(scopes.join(" "))
    .bind(created_by)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

pub async fn list(conn: &mut Conn, dep: &str) -> Result<Vec<ApiToken>> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE departement_id = $1 ORDER BY revoked_at IS NOT NULL, created_at DESC");
    Ok(sqlx::query(&sql)
        .bind(dep)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(token)
        .collect())
}

/// The live token matching a secret, marked as used.
pub async fn authenticate(conn: &mut Conn, secret: &str) -> Result<Option<ApiToken>> {
    let sql =
        format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL");
    let Some(r) = sqlx::query(&sql)
        .bind(hash_token(secret))
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let t = token(&r);
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now())
        .bind(t.id)
        .execute(&mut *conn)
        .await?;
    Ok(Some(t))
}

pub async fn revoke(conn: &mut Conn, dep: &str, id: i64) -> Result<()> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE departement_id = $2 AND id = $3 AND revoked_at IS NULL")
        .bind(now())
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
