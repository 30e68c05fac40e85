//! « Qui a vu ce dossier » : the audit entries about one dossier (the dossier itself, its écrits,
//! documents and plan, and the exceptional accesses to its person), with who made them (name, role,
//! job and service), and who may read that list (its current référents, the cadres of the teams that
//! follow it). Reads `dossier_referents` directly rather than `dossiers::acces`, which carries the
//! secret partagé's own needs.

use parcours_domain::dossiers::secret::DossierAcces;
use sqlx::Row;

use crate::{Conn, Result};

/// One audit entry about a dossier, with its author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consultation {
    pub seq: i64,
    /// UTC, as stored.
    pub at: String,
    pub agent_id: Option<i64>,
    pub token_id: Option<i64>,
    /// « Prénom Nom » of the agent, if an agent.
    pub agent_nom: Option<String>,
    /// Role code of the agent (`travailleur_social`…).
    pub role: Option<String>,
    /// Job (métier) code of the agent.
    pub metier: Option<String>,
    /// Name of the agent's service.
    pub service: Option<String>,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub purpose: Option<String>,
}

/// Who may read the accesses to the dossier — its référents and the teams that follow it, as the
/// secret partagé reads them (`dossiers::acces`); `NotFound` if it is not in this département.
pub async fn lecteurs(conn: &mut Conn, dep: &str, dossier_id: i64) -> Result<DossierAcces> {
    crate::dossiers::get(conn, dep, dossier_id).await?;
    crate::dossiers::acces(conn, dep, dossier_id).await
}

const SELECT: &str =
    "SELECT a.seq, a.at, a.agent_id, a.token_id, a.action, a.record_type, a.record_id, \
     a.purpose, ag.prenom, ag.nom, ag.role, ag.metier, sv.nom AS service \
     FROM audit_log a \
     LEFT JOIN agents ag ON ag.departement_id = a.departement_id AND ag.id = a.agent_id \
     LEFT JOIN services sv ON sv.departement_id = ag.departement_id AND sv.id = ag.service_id";

/// The entries about dossier `$2` (its id as text) / `$3` (as a number) in département `$1`.
const DU_DOSSIER: &str = "a.departement_id = $1 AND ( \
       (a.record_type = 'dossier' AND a.record_id = $2) \
    OR (a.record_type = 'ecrit' AND a.record_id IN \
         (SELECT CAST(e.id AS TEXT) FROM ecrits e WHERE e.departement_id = $1 AND e.dossier_id = $3)) \
    OR (a.record_type = 'document' AND a.record_id IN \
         (SELECT CAST(d.id AS TEXT) FROM documents d WHERE d.departement_id = $1 AND d.dossier_id = $3)) \
    OR (a.record_type = 'plan_action' AND a.record_id IN \
         (SELECT CAST(p.id AS TEXT) FROM plan_items p WHERE p.departement_id = $1 AND p.dossier_id = $3)) \
    OR (a.record_type = 'personne' AND a.action = 'acces_motive' AND a.record_id IN \
         (SELECT CAST(x.personne_id AS TEXT) FROM dossiers x \
          WHERE x.departement_id = $1 AND x.id = $3 AND x.personne_id IS NOT NULL)))";

fn consultation(r: &sqlx::any::AnyRow) -> Consultation {
    let prenom: Option<String> = r.get("prenom");
    let nom: Option<String> = r.get("nom");
    Consultation {
        seq: r.get("seq"),
        at: r.get("at"),
        agent_id: r.get("agent_id"),
        token_id: r.get("token_id"),
        agent_nom: prenom.zip(nom).map(|(p, n)| format!("{p} {n}")),
        role: r.get("role"),
        metier: r.get("metier"),
        service: r.get("service"),
        action: r.get("action"),
        record_type: r.get("record_type"),
        record_id: r.get("record_id"),
        purpose: r.get("purpose"),
    }
}

/// One page of the entries about a dossier, newest first, and their count.
pub async fn du_dossier(
    conn: &mut Conn,
    dep: &str,
    dossier_id: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Consultation>, i64)> {
    let sql =
        format!("{SELECT} WHERE {DU_DOSSIER} ORDER BY a.seq DESC LIMIT {limit} OFFSET {offset}");
    let rows = sqlx::query(&sql)
        .bind(dep)
        .bind(dossier_id.to_string())
        .bind(dossier_id)
        .fetch_all(&mut *conn)
        .await?;
    let total: i64 = sqlx::query(&format!(
        "SELECT COUNT(*) AS n FROM audit_log a WHERE {DU_DOSSIER}"
    ))
    .bind(dep)
    .bind(dossier_id.to_string())
    .bind(dossier_id)
    .fetch_one(&mut *conn)
    .await?
    .get("n");
    Ok((rows.iter().map(consultation).collect(), total))
}

/// Every entry about a person: their fiche and everything about the dossiers they are the subject
/// of, oldest first (for the person's own access archive).
pub async fn de_la_personne(
    conn: &mut Conn,
    dep: &str,
    personne_id: i64,
) -> Result<Vec<Consultation>> {
    let dossiers: Vec<i64> = sqlx::query(
        "SELECT id FROM dossiers WHERE departement_id = $1 AND personne_id = $2 ORDER BY id",
    )
    .bind(dep)
    .bind(personne_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.get("id"))
    .collect();
    let mut all: Vec<Consultation> = sqlx::query(&format!(
        "{SELECT} WHERE a.departement_id = $1 AND a.record_type = 'personne' AND a.record_id = $2"
    ))
    .bind(dep)
    .bind(personne_id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(consultation)
    .collect();
    for d in dossiers {
        let rows = sqlx::query(&format!("{SELECT} WHERE {DU_DOSSIER}"))
            .bind(dep)
            .bind(d.to_string())
            .bind(d)
            .fetch_all(&mut *conn)
            .await?;
        all.extend(rows.iter().map(consultation));
    }
    all.sort_by_key(|c| c.seq);
    all.dedup_by_key(|c| c.seq);
    Ok(all)
}
