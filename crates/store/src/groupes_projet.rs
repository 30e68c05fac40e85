//! Persistence of the groupes projet and their volunteers, with the published files (quotas,
//! volunteers, distribution, result) kept as text so that anyone can re-run the verification.

use std::collections::BTreeMap;

use parcours_domain::groupes_projet::{NewGroupe, Statut};
use sqlx::Row;

use crate::{now, on_unique, touched, Conn, Result, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct Groupe {
    pub id: i64,
    pub nom: String,
    pub description: String,
    pub taille: i64,
    pub quotas_csv: String,
    pub statut: Statut,
    pub source_graine: Option<String>,
    pub progression: Option<String>,
    pub erreur: Option<String>,
    pub volontaires_csv: Option<String>,
    pub distribution_json: Option<String>,
    pub resultat_json: Option<String>,
    pub created_at: String,
    pub publie_at: Option<String>,
    pub tire_at: Option<String>,
    pub volontaires: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volontaire {
    pub id: i64,
    pub identifiant: String,
    pub agent_id: Option<i64>,
    pub valeurs: BTreeMap<String, String>,
}

const COLUMNS: &str = "g.id, g.nom, g.description, g.taille, g.quotas_csv, g.statut, g.source_graine, g.progression, g.erreur, \
    g.volontaires_csv, g.distribution_json, g.resultat_json, g.created_at, g.publie_at, g.tire_at, \
    (SELECT COUNT(*) FROM volontaires v WHERE v.departement_id = g.departement_id AND v.groupe_id = g.id) AS n";

fn groupe(r: &sqlx::any::AnyRow) -> Groupe {
    Groupe {
        id: r.get("id"),
        nom: r.get("nom"),
        description: r.get("description"),
        taille: r.get("taille"),
        quotas_csv: r.get("quotas_csv"),
        statut: Statut::parse(&r.get::<String, _>("statut")).unwrap_or(Statut::Inscriptions),
        source_graine: r.get("source_graine"),
        progression: r.get("progression"),
        erreur: r.get("erreur"),
        volontaires_csv: r.get("volontaires_csv"),
        distribution_json: r.get("distribution_json"),
        resultat_json: r.get("resultat_json"),
        created_at: r.get("created_at"),
        publie_at: r.get("publie_at"),
        tire_at: r.get("tire_at"),
        volontaires: r.get("n"),
    }
}

pub async fn create(conn: &mut Conn, dep: &str, g: &NewGroupe, by: i64) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO groupes_projet (departement_id, nom, description, taille, quotas_csv, statut, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'inscriptions', $6, $7) RETURNING id",
    )
    .bind(dep)
    .bind(&g.nom)
    .bind(&g.description)
    .bind(g.taille)
    .bind(&g.quotas_csv)
    .bind(by)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

pub async fn list(conn: &mut Conn, dep: &str) -> Result<Vec<Groupe>> {
    let sql = format!("SELECT {COLUMNS} FROM groupes_projet g WHERE g.departement_id = $1 ORDER BY g.created_at DESC, g.id DESC");
    Ok(sqlx::query(&sql)
        .bind(dep)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(groupe)
        .collect())
}

pub async fn get(conn: &mut Conn, dep: &str, id: i64) -> Result<Groupe> {
    let sql =
        format!("SELECT {COLUMNS} FROM groupes_projet g WHERE g.departement_id = $1 AND g.id = $2");
    let r = sqlx::query(&sql)
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(groupe(&r))
}

pub async fn volontaires(conn: &mut Conn, dep: &str, groupe_id: i64) -> Result<Vec<Volontaire>> {
    let rows = sqlx::query(
        "SELECT id, identifiant, agent_id, valeurs FROM volontaires WHERE departement_id = $1 AND groupe_id = $2 ORDER BY identifiant",
    )
    .bind(dep)
    .bind(groupe_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Volontaire {
            id: r.get("id"),
            identifiant: r.get("identifiant"),
            agent_id: r.get("agent_id"),
            valeurs: serde_json::from_str(&r.get::<String, _>("valeurs")).unwrap_or_default(),
        })
        .collect())
}

/// Registers (or re-registers with new values) a volunteer; refused once registrations are closed.
pub async fn inscrire(
    conn: &mut Conn,
    dep: &str,
    groupe_id: i64,
    identifiant: &str,
    agent_id: Option<i64>,
    valeurs: &BTreeMap<String, String>,
) -> Result<()> {
    let g = get(conn, dep, groupe_id).await?;
    if !g.statut.inscriptions_ouvertes() {
        return Err(StoreError::Conflict("statut"));
    }
    sqlx::query(
        "INSERT INTO volontaires (departement_id, groupe_id, identifiant, agent_id, valeurs, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (departement_id, groupe_id, identifiant) DO UPDATE SET valeurs = excluded.valeurs, agent_id = excluded.agent_id",
    )
    .bind(dep)
    .bind(groupe_id)
    .bind(identifiant)
    .bind(agent_id)
    .bind(serde_json::to_string(valeurs).map_err(anyhow::Error::from)?)
    .bind(now())
    .execute(&mut *conn)
    .await
    .map_err(on_unique("identifiant"))?;
    Ok(())
}

pub async fn retirer(conn: &mut Conn, dep: &str, groupe_id: i64, identifiant: &str) -> Result<()> {
    let g = get(conn, dep, groupe_id).await?;
    if !g.statut.inscriptions_ouvertes() {
        return Err(StoreError::Conflict("statut"));
    }
    sqlx::query(
        "DELETE FROM volontaires WHERE departement_id = $1 AND groupe_id = $2 AND identifiant = $3",
    )
    .bind(dep)
    .bind(groupe_id)
    .bind(identifiant)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Closes registrations and freezes the published inputs: the computation job takes it from here.
pub async fn demarrer_calcul(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    volontaires_csv: &str,
    source_graine: &str,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE groupes_projet SET statut = 'calcul', volontaires_csv = $1, source_graine = $2, erreur = NULL, progression = NULL \
         WHERE departement_id = $3 AND id = $4 AND statut IN ('inscriptions', 'echec_calcul')",
    )
    .bind(volontaires_csv)
    .bind(source_graine)
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    touched(done.rows_affected(), StoreError::Conflict("statut"))
}

pub async fn progression(conn: &mut Conn, dep: &str, id: i64, texte: &str) -> Result<()> {
    sqlx::query("UPDATE groupes_projet SET progression = $1 WHERE departement_id = $2 AND id = $3 AND statut = 'calcul'")
        .bind(texte)
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn publier(conn: &mut Conn, dep: &str, id: i64, distribution_json: &str) -> Result<()> {
    let done = sqlx::query(
        "UPDATE groupes_projet SET statut = 'publie', distribution_json = $1, publie_at = $2 WHERE departement_id = $3 AND id = $4 AND statut = 'calcul'",
    )
    .bind(distribution_json)
    .bind(now())
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    touched(done.rows_affected(), StoreError::Conflict("statut"))
}

/// The computation failed (infeasible quotas...): registrations reopen, the message is shown.
pub async fn echec(conn: &mut Conn, dep: &str, id: i64, erreur: &str) -> Result<()> {
    sqlx::query("UPDATE groupes_projet SET statut = 'echec_calcul', erreur = $1 WHERE departement_id = $2 AND id = $3 AND statut = 'calcul'")
        .bind(erreur)
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn tirer(conn: &mut Conn, dep: &str, id: i64, resultat_json: &str) -> Result<()> {
    let done = sqlx::query(
        "UPDATE groupes_projet SET statut = 'tire', resultat_json = $1, tire_at = $2 WHERE departement_id = $3 AND id = $4 AND statut = 'publie'",
    )
    .bind(resultat_json)
    .bind(now())
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    touched(done.rows_affected(), StoreError::Conflict("statut"))
}
