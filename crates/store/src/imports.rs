//! Pending CSV imports of the référentiel: the preview is stored until the administrator applies or
//! abandons it, so nothing is written to the référentiel before confirmation.

use parcours_domain::referentiel::import::{ImportKind, Preview};
use sqlx::Row;

use crate::{now, referentiel, Conn, Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingImport {
    pub id: i64,
    pub filename: String,
    pub status: String,
    pub preview: Preview,
}

pub async fn save(
    conn: &mut Conn,
    dep: &str,
    filename: &str,
    preview: &Preview,
    by: i64,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO imports (departement_id, kind, filename, preview, status, created_by, created_at) \
         VALUES ($1, $2, $3, $4, 'apercu', $5, $6) RETURNING id",
    )
    .bind(dep)
    .bind(preview.kind.code())
    .bind(filename)
    .bind(serde_json::to_string(preview).map_err(anyhow::Error::from)?)
    .bind(by)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

pub async fn get(conn: &mut Conn, dep: &str, id: i64) -> Result<PendingImport> {
    let r = sqlx::query(
        "SELECT id, filename, status, preview FROM imports WHERE departement_id = $1 AND id = $2",
    )
    .bind(dep)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(PendingImport {
        id: r.get("id"),
        filename: r.get("filename"),
        status: r.get("status"),
        preview: serde_json::from_str(&r.get::<String, _>("preview"))
            .map_err(anyhow::Error::from)?,
    })
}

/// Applies an import in the caller's transaction; returns the number of rows written.
pub async fn apply(conn: &mut Conn, dep: &str, id: i64) -> Result<usize> {
    let pending = get(conn, dep, id).await?;
    if pending.status != "apercu" {
        return Err(StoreError::Conflict("status"));
    }
    let p = &pending.preview;
    match p.kind {
        ImportKind::Secteurs => {
            let sites = referentiel::sites(conn, dep).await?;
            for row in &p.secteurs {
                let site = sites
                    .iter()
                    .find(|s| s.code == row.site_code)
                    .ok_or(StoreError::Reference)?;
                referentiel::secteur_upsert(conn, dep, &row.code, &row.nom, site.id).await?;
            }
        }
        ImportKind::Communes => {
            let secteurs = referentiel::secteurs(conn, dep).await?;
            for row in &p.communes {
                let secteur_id = match &row.secteur_code {
                    Some(code) => Some(
                        secteurs
                            .iter()
                            .find(|s| &s.code == code)
                            .ok_or(StoreError::Reference)?
                            .id,
                    ),
                    None => None,
                };
                referentiel::commune_upsert(
                    conn,
                    dep,
                    &row.insee,
                    &row.nom,
                    &row.codes_postaux,
                    row.population,
                    secteur_id,
                )
                .await?;
            }
        }
    }
    sqlx::query("UPDATE imports SET status = 'applique', applied_at = $1 WHERE departement_id = $2 AND id = $3")
        .bind(now())
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(p.accepted())
}

pub async fn abandon(conn: &mut Conn, dep: &str, id: i64) -> Result<()> {
    sqlx::query("UPDATE imports SET status = 'abandonne' WHERE departement_id = $1 AND id = $2 AND status = 'apercu'")
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
