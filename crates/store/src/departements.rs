//! The tenants: one row per département hosted by this deployment.

use sqlx::Row;

use crate::{now, Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departement {
    pub id: String,
    pub nom: String,
}

pub async fn create(conn: &mut Conn, id: &str, nom: &str) -> Result<()> {
    sqlx::query("INSERT INTO departements (id, nom, created_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(nom)
        .bind(now())
        .execute(&mut *conn)
        .await
        .map_err(crate::on_unique("id"))?;
    sqlx::query("INSERT INTO audit_heads (departement_id, seq, hash) VALUES ($1, 0, $2)")
        .bind(id)
        .bind(parcours_domain::audit::GENESIS)
        .execute(&mut *conn)
        .await?;
    // A new département starts with the default catalogue of financial aids, to be adapted.
    crate::aides::initialiser_catalogue(conn, id).await?;
    Ok(())
}

pub async fn list(conn: &mut Conn) -> Result<Vec<Departement>> {
    let rows = sqlx::query("SELECT id, nom FROM departements ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| Departement {
            id: r.get("id"),
            nom: r.get("nom"),
        })
        .collect())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Departement>> {
    let row = sqlx::query("SELECT id, nom FROM departements WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| Departement {
        id: r.get("id"),
        nom: r.get("nom"),
    }))
}
