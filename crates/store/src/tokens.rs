//! API tokens of service accounts: only the SHA-256 of a token is stored; scopes, the sites the
//! service account may act on (`api_token_sites`), revocation and last use are kept for the audit.

use sqlx::Row;

use crate::sessions::hash_token;
use crate::{now, Conn, Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub departement_id: String,
    pub nom: String,
    pub scopes: Vec<String>,
    /// The sites the service account may act on; none means no site-bound action at all.
    pub site_ids: Vec<i64>,
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
        site_ids: vec![],
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
    site_ids: &[i64],
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
    let id: i64 = r.get("id");
    for site in site_ids {
        sqlx::query(
            "INSERT INTO api_token_sites (departement_id, token_id, site_id) VALUES ($1, $2, $3)",
        )
        .bind(dep)
        .bind(id)
        .bind(site)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// The sites of a token, in id order.
async fn sites_of(conn: &mut Conn, dep: &str, token_id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query(
        "SELECT site_id FROM api_token_sites WHERE departement_id = $1 AND token_id = $2 ORDER BY site_id",
    )
    .bind(dep)
    .bind(token_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.get("site_id"))
    .collect())
}

pub async fn list(conn: &mut Conn, dep: &str) -> Result<Vec<ApiToken>> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE departement_id = $1 ORDER BY revoked_at IS NOT NULL, created_at DESC");
    let mut out: Vec<ApiToken> = sqlx::query(&sql)
        .bind(dep)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(token)
        .collect();
    for t in &mut out {
        t.site_ids = sites_of(conn, dep, t.id).await?;
    }
    Ok(out)
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
    let mut t = token(&r);
    t.site_ids = sites_of(conn, &t.departement_id, t.id).await?;
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
