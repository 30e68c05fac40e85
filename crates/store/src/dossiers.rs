//! Persistence of dossiers: their services and référents over time, the journal (écrits with
//! append-only versions and named readers), documents (content in the database), the plan d'action
//! and the exceptional accesses. The store reads and writes; the decisions of the secret partagé are
//! taken by `domain::dossiers::secret` on what these functions return.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use parcours_domain::dossiers::{
    secret::{DossierAcces, Equipe},
    BaseLegale, Cloture, Document, Dossier, Ecrit, EcritKind, EcritVersion, MotifCloture,
    NewAccesMotive, NewCloture, NewCorrection, NewDocument, NewEcrit, NewPlanItem, NewResultat,
    Objectif, PlanItem, Referent, StatutPlan, Titulaire, TypeDocument, Visibilite,
};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::iso_date as iso;
use crate::{format_time, now, on_unique, touched, Conn, Result, StoreError};

fn corrupt(what: &str) -> StoreError {
    StoreError::Other(anyhow::anyhow!("valeur illisible en base : {what}"))
}

// ---------------------------------------------------------------------------------------------------
// Dossiers, services and référents

/// Opens a dossier for a person or a foyer, followed from today by `service_id`, with `referent` as
/// its référent for that service when given.
// Each argument is one column of the opening; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    conn: &mut Conn,
    dep: &str,
    titulaire: Titulaire,
    intitule: &str,
    ouvert_le: NaiveDate,
    service_id: i64,
    referent: Option<i64>,
    by: i64,
) -> Result<i64> {
    let (personne, foyer) = match titulaire {
        Titulaire::Personne(p) => (Some(p), None),
        Titulaire::Foyer(f) => (None, Some(f)),
    };
    let at = now();
    let id: i64 = sqlx::query(
        "INSERT INTO dossiers (departement_id, personne_id, foyer_id, intitule, ouvert_le, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(dep)
    .bind(personne)
    .bind(foyer)
    .bind(intitule)
    .bind(iso(ouvert_le))
    .bind(by)
    .bind(&at)
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("titulaire"))?
    .get("id");
    match referent {
        // The référent's team follows the dossier.
        Some(agent) => referent_set(conn, dep, id, service_id, agent, ouvert_le).await?,
        None => {
            let site = agent_site(conn, dep, by, None).await?;
            service_add(conn, dep, id, service_id, site, ouvert_le).await?;
        }
    }
    Ok(id)
}

const DOSSIER_COLUMNS: &str =
    "id, personne_id, foyer_id, intitule, ouvert_le, clos_le FROM dossiers WHERE departement_id = $1";

async fn dossier_from(conn: &mut Conn, dep: &str, r: &AnyRow) -> Result<Dossier> {
    let id: i64 = r.get("id");
    let titulaire = match (
        r.get::<Option<i64>, _>("personne_id"),
        r.get::<Option<i64>, _>("foyer_id"),
    ) {
        (Some(p), _) => Titulaire::Personne(p),
        (None, Some(f)) => Titulaire::Foyer(f),
        (None, None) => return Err(corrupt("dossier sans titulaire")),
    };
    let services = current_services(conn, dep, id).await?;
    Ok(Dossier {
        id,
        titulaire,
        intitule: r.get("intitule"),
        ouvert_le: r.get("ouvert_le"),
        clos_le: r.get("clos_le"),
        services,
    })
}

pub async fn get(conn: &mut Conn, dep: &str, id: i64) -> Result<Dossier> {
    let r = sqlx::query(&format!("SELECT {DOSSIER_COLUMNS} AND id = $2"))
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    dossier_from(conn, dep, &r).await
}

/// The dossiers of a person: their own, and those of the foyers they belong to today.
pub async fn of_personne(conn: &mut Conn, dep: &str, personne_id: i64) -> Result<Vec<Dossier>> {
    let today = iso(crate::clock().today());
    let rows = sqlx::query(&format!(
        "SELECT {DOSSIER_COLUMNS} AND (personne_id = $2 OR foyer_id IN (SELECT foyer_id FROM foyer_membres m \
         WHERE m.departement_id = $1 AND m.personne_id = $2 AND m.arrivee <= $3 AND (m.depart IS NULL OR m.depart > $3))) \
         ORDER BY clos_le IS NOT NULL, ouvert_le DESC, id DESC"
    ))
    .bind(dep)
    .bind(personne_id)
    .bind(&today)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(dossier_from(conn, dep, r).await?);
    }
    Ok(out)
}

/// The site of an agent's team: among the agent's current sites, `prefer` when it is one of them
/// (the site of a team of the dossier), else the first; `None` for an agent without a site (central
/// services).
pub async fn agent_site(
    conn: &mut Conn,
    dep: &str,
    agent_id: i64,
    prefer: Option<&[Equipe]>,
) -> Result<Option<i64>> {
    let sites: Vec<i64> = sqlx::query(
        "SELECT site_id FROM affectations WHERE departement_id = $1 AND agent_id = $2 AND fin IS NULL \
         AND site_id IS NOT NULL ORDER BY site_id",
    )
    .bind(dep)
    .bind(agent_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.get("site_id"))
    .collect();
    let preferred = prefer
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.site_id)
        .find(|s| sites.contains(s));
    Ok(preferred.or(sites.first().copied()))
}

/// The teams that follow the dossier today.
pub async fn current_equipes(conn: &mut Conn, dep: &str, dossier_id: i64) -> Result<Vec<Equipe>> {
    let rows = sqlx::query(
        "SELECT DISTINCT service_id, site_id FROM dossier_services WHERE departement_id = $1 AND dossier_id = $2 \
         AND jusqu_au IS NULL ORDER BY service_id, site_id",
    )
    .bind(dep)
    .bind(dossier_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Equipe {
            service_id: r.get("service_id"),
            site_id: r.get("site_id"),
        })
        .collect())
}

/// The site of the author's team for a piece written in the dossier: the site of the team of the
/// author's service that follows it when the author works there, else the author's first site.
async fn auteur_site(
    conn: &mut Conn,
    dep: &str,
    dossier_id: i64,
    auteur_id: i64,
    service_id: Option<i64>,
) -> Result<Option<i64>> {
    let equipes: Vec<Equipe> = current_equipes(conn, dep, dossier_id)
        .await?
        .into_iter()
        .filter(|e| Some(e.service_id) == service_id)
        .collect();
    agent_site(conn, dep, auteur_id, Some(&equipes)).await
}

/// The services of the teams that follow the dossier today.
async fn current_services(conn: &mut Conn, dep: &str, dossier_id: i64) -> Result<Vec<i64>> {
    let mut services: Vec<i64> = current_equipes(conn, dep, dossier_id)
        .await?
        .iter()
        .map(|e| e.service_id)
        .collect();
    services.dedup();
    Ok(services)
}

/// A team (a service in a site, or a whole service) starts following the dossier (nothing happens
/// if it already does).
pub async fn service_add(
    conn: &mut Conn,
    dep: &str,
    dossier_id: i64,
    service_id: i64,
    site_id: Option<i64>,
    depuis: NaiveDate,
) -> Result<()> {
    let equipe = Equipe {
        service_id,
        site_id,
    };
    if current_equipes(conn, dep, dossier_id)
        .await?
        .contains(&equipe)
    {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO dossier_services (departement_id, dossier_id, service_id, site_id, depuis, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(dep)
    .bind(dossier_id)
    .bind(service_id)
    .bind(site_id)
    .bind(iso(depuis))
    .bind(now())
    .execute(&mut *conn)
    .await
    .map_err(on_unique("service_id"))?;
    Ok(())
}

/// A service stops following the dossier; its référent stops with it.
pub async fn service_end(
    conn: &mut Conn,
    dep: &str,
    dossier_id: i64,
    service_id: i64,
    le: NaiveDate,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE dossier_services SET jusqu_au = $1 WHERE departement_id = $2 AND dossier_id = $3 \
         AND service_id = $4 AND jusqu_au IS NULL",
    )
    .bind(iso(le))
    .bind(dep)
    .bind(dossier_id)
    .bind(service_id)
    .execute(&mut *conn)
    .await?;
    touched(done.rows_affected(), StoreError::NotFound)?;
    sqlx::query(
        "UPDATE dossier_referents SET jusqu_au = $1 WHERE departement_id = $2 AND dossier_id = $3 \
         AND service_id = $4 AND jusqu_au IS NULL",
    )
    .bind(iso(le))
    .bind(dep)
    .bind(dossier_id)
    .bind(service_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Names the référent of a service for the dossier; the previous one of that service ends the same
/// day, and the référent's team follows the dossier: when the référent works in another site than
/// the team of that service that followed it, the dossier moves to the new team (the former one
/// stops taking part in the accompaniment, and with it its access).
pub async fn referent_set(
    conn: &mut Conn,
    dep: &str,
    dossier_id: i64,
    service_id: i64,
    agent_id: i64,
    depuis: NaiveDate,
) -> Result<()> {
    let equipes = current_equipes(conn, dep, dossier_id).await?;
    let site = agent_site(conn, dep, agent_id, Some(&equipes)).await?;
    for e in equipes
        .iter()
        .filter(|e| e.service_id == service_id && e.site_id != site)
    {
        sqlx::query(
            "UPDATE dossier_services SET jusqu_au = $1 WHERE departement_id = $2 AND dossier_id = $3 \
             AND service_id = $4 AND site_id IS NOT DISTINCT FROM $5 AND jusqu_au IS NULL",
        )
        .bind(iso(depuis))
        .bind(dep)
        .bind(dossier_id)
        .bind(service_id)
        .bind(e.site_id)
        .execute(&mut *conn)
        .await?;
    }
    service_add(conn, dep, dossier_id, service_id, site, depuis).await?;
    sqlx::query(
        "UPDATE dossier_referents SET jusqu_au = $1 WHERE departement_id = $2 AND dossier_id = $3 \
         AND service_id = $4 AND jusqu_au IS NULL",
    )
    .bind(iso(depuis))
    .bind(dep)
    .bind(dossier_id)
    .bind(service_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO dossier_referents (departement_id, dossier_id, service_id, agent_id, depuis, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(dep)
    .bind(dossier_id)
    .bind(service_id)
    .bind(agent_id)
    .bind(iso(depuis))
    .bind(now())
    .execute(&mut *conn)
    .await
    .map_err(on_unique("agent_id"))?;
    Ok(())
}

/// The référents of the dossier today, by service.
pub async fn referents(conn: &mut Conn, dep: &str, dossier_id: i64) -> Result<Vec<Referent>> {
    let rows = sqlx::query(
        "SELECT r.service_id, s.nom AS service_nom, r.agent_id, a.prenom, a.nom, r.depuis \
         FROM dossier_referents r \
         JOIN services s ON s.departement_id = r.departement_id AND s.id = r.service_id \
         JOIN agents a ON a.departement_id = r.departement_id AND a.id = r.agent_id \
         WHERE r.departement_id = $1 AND r.dossier_id = $2 AND r.jusqu_au IS NULL ORDER BY s.nom",
    )
    .bind(dep)
    .bind(dossier_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Referent {
            service_id: r.get("service_id"),
            service_nom: r.get("service_nom"),
            agent_id: r.get("agent_id"),
            agent_nom: format!(
                "{} {}",
                r.get::<String, _>("prenom"),
                r.get::<String, _>("nom")
            ),
            depuis: r.get("depuis"),
        })
        .collect())
}

/// An open dossier an agent follows, as their home page lists it: whom it is about and what is due
/// next in it (a legal due date of its procedures, an action of its plan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierSuivi {
    pub id: i64,
    pub intitule: String,
    /// The person it is about (usual name, then given names); `None` for a foyer's dossier.
    pub personne: Option<String>,
    pub foyer_id: Option<i64>,
    /// The earliest open legal due date: (`AAAA-MM-JJ`, rule id).
    pub echeance: Option<(String, String)>,
    /// The earliest dated action of the plan still in progress: (`AAAA-MM-JJ`, label).
    pub action: Option<(String, String)>,
}

/// The open dossiers `agent_id` follows, as référent of a service or of a procedure, the most
/// pressing first (earliest due date or planned action), at most `limit`. A due date of an
/// information préoccupante counts only for the IP's own référent: the others may not know of it.
pub async fn suivis_par(
    conn: &mut Conn,
    dep: &str,
    agent_id: i64,
    limit: i64,
) -> Result<Vec<DossierSuivi>> {
    let rows = sqlx::query(&format!(
        "WITH mes (dossier_id) AS ( \
           SELECT dossier_id FROM dossier_referents WHERE departement_id = $1 AND agent_id = $2 AND jusqu_au IS NULL \
           UNION SELECT dossier_id FROM procedures WHERE departement_id = $1 AND referent_id = $2 AND close_le IS NULL), \
         x AS (SELECT d.id, d.intitule, d.personne_id, d.foyer_id, \
           (SELECT e.jour || '|' || e.regle FROM echeances e JOIN procedures q ON q.departement_id = e.departement_id AND q.id = e.procedure_id \
             WHERE e.departement_id = $1 AND q.dossier_id = d.id AND e.etat = 'ouverte' AND (q.type <> 'ip' OR e.referent_id = $2) \
             ORDER BY e.jour, e.id LIMIT 1) AS echeance, \
           (SELECT i.echeance || '|' || i.libelle FROM plan_items i WHERE i.departement_id = $1 AND i.dossier_id = d.id \
             AND i.echeance IS NOT NULL AND i.statut = 'en_cours' ORDER BY i.echeance, i.id LIMIT 1) AS action \
           FROM mes m JOIN dossiers d ON d.departement_id = $1 AND d.id = m.dossier_id WHERE d.clos_le IS NULL) \
         SELECT x.*, COALESCE(pe.nom_usage, pe.nom_naissance) || ' ' || REPLACE(pe.prenoms, ',', ' ') AS personne \
         FROM x LEFT JOIN personnes pe ON pe.departement_id = $1 AND pe.id = x.personne_id \
         ORDER BY CASE WHEN x.echeance IS NULL AND x.action IS NULL THEN 1 ELSE 0 END, \
           CASE WHEN x.echeance IS NULL THEN x.action WHEN x.action IS NULL OR x.echeance < x.action THEN x.echeance ELSE x.action END, \
           x.id LIMIT {}",
        limit.clamp(1, 500)
    ))
    .bind(dep)
    .bind(agent_id)
    .fetch_all(&mut *conn)
    .await?;
    let paire = |v: Option<String>| {
        v.and_then(|v| {
            v.split_once('|')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
    };
    Ok(rows
        .iter()
        .map(|r| DossierSuivi {
            id: r.get("id"),
            intitule: r.get("intitule"),
            personne: r.get("personne"),
            foyer_id: r.get("foyer_id"),
            echeance: paire(r.get("echeance")),
            action: paire(r.get("action")),
        })
        .collect())
}

/// What the secret partagé needs to know of a dossier.
pub async fn acces(conn: &mut Conn, dep: &str, dossier_id: i64) -> Result<DossierAcces> {
    let equipes = current_equipes(conn, dep, dossier_id).await?;
    let referents = sqlx::query(
        "SELECT agent_id FROM dossier_referents WHERE departement_id = $1 AND dossier_id = $2 AND jusqu_au IS NULL",
    )
    .bind(dep)
    .bind(dossier_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.get("agent_id"))
    .collect();
    Ok(DossierAcces { equipes, referents })
}

/// Closes the dossier on `le` for the reason given by `par`; a dossier already closed is a conflict.
pub async fn close(
    conn: &mut Conn,
    dep: &str,
    dossier_id: i64,
    le: NaiveDate,
    cloture: &NewCloture,
    par: i64,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE dossiers SET clos_le = $1 WHERE departement_id = $2 AND id = $3 AND clos_le IS NULL",
    )
    .bind(iso(le))
    .bind(dep)
    .bind(dossier_id)
    .execute(&mut *conn)
    .await?;
    touched(done.rows_affected(), StoreError::Conflict("clos_le"))?;
    sqlx::query(
        "INSERT INTO dossier_clotures (departement_id, dossier_id, clos_le, motif, precision, clos_par, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(dep)
    .bind(dossier_id)
    .bind(iso(le))
    .bind(cloture.motif.code())
    .bind(cloture.precision.as_deref())
    .bind(par)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Reopens a closed dossier (not an archived one: the retention job has taken it) and records why
/// on its last closing; a dossier that is open is a conflict.
pub async fn reopen(
    conn: &mut Conn,
    dep: &str,
    dossier_id: i64,
    le: NaiveDate,
    motif: &str,
    par: i64,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE dossiers SET clos_le = NULL WHERE departement_id = $1 AND id = $2 \
         AND clos_le IS NOT NULL AND archive_le IS NULL",
    )
    .bind(dep)
    .bind(dossier_id)
    .execute(&mut *conn)
    .await?;
    touched(done.rows_affected(), StoreError::Conflict("clos_le"))?;
    // Dossiers closed before the history existed have no closing row: nothing to complete then.
    sqlx::query(
        "UPDATE dossier_clotures SET rouvert_le = $1, motif_reouverture = $2, rouvert_par = $3 \
         WHERE departement_id = $4 AND dossier_id = $5 AND rouvert_le IS NULL",
    )
    .bind(iso(le))
    .bind(motif)
    .bind(par)
    .bind(dep)
    .bind(dossier_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The closings of a dossier, latest first, with who closed and reopened it.
pub async fn clotures(conn: &mut Conn, dep: &str, dossier_id: i64) -> Result<Vec<Cloture>> {
    let rows = sqlx::query(
        "SELECT c.clos_le, c.motif, c.precision, c.rouvert_le, c.motif_reouverture, \
         a.prenom || ' ' || a.nom AS par, r.prenom || ' ' || r.nom AS rouvert_par \
         FROM dossier_clotures c \
         JOIN agents a ON a.departement_id = c.departement_id AND a.id = c.clos_par \
         LEFT JOIN agents r ON r.departement_id = c.departement_id AND r.id = c.rouvert_par \
         WHERE c.departement_id = $1 AND c.dossier_id = $2 ORDER BY c.id DESC",
    )
    .bind(dep)
    .bind(dossier_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Cloture {
                clos_le: r.get("clos_le"),
                motif: MotifCloture::parse(&r.get::<String, _>("motif"))
                    .ok_or_else(|| corrupt("motif de clôture"))?,
                precision: r.get("precision"),
                par: r.get("par"),
                rouvert_le: r.get("rouvert_le"),
                motif_reouverture: r.get("motif_reouverture"),
                rouvert_par: r.get("rouvert_par"),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// The journal

/// Whether one of `agents` works in another service than `service_id`; an agent of another
/// département or unknown is a `Reference` error.
pub async fn agents_hors_service(
    conn: &mut Conn,
    dep: &str,
    agents: &[i64],
    service_id: Option<i64>,
) -> Result<bool> {
    let mut autre = false;
    for id in agents {
        let r = sqlx::query("SELECT service_id FROM agents WHERE departement_id = $1 AND id = $2")
            .bind(dep)
            .bind(*id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::Reference)?;
        autre |= Some(r.get::<i64, _>("service_id")) != service_id;
    }
    Ok(autre)
}

/// Writes a new écrit (version 1) in the dossier.
pub async fn ecrit_add(
    conn: &mut Conn,
    dep: &str,
    dossier_id: i64,
    auteur_id: i64,
    service_id: Option<i64>,
    e: &NewEcrit,
) -> Result<i64> {
    let at = now();
    let site_id = auteur_site(conn, dep, dossier_id, auteur_id, service_id).await?;
    let id: i64 = sqlx::query(
        "INSERT INTO ecrits (departement_id, dossier_id, auteur_id, service_id, site_id, visibilite, base_legale, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(dep)
    .bind(dossier_id)
    .bind(auteur_id)
    .bind(service_id)
    .bind(site_id)
    .bind(e.visibilite.code())
    .bind(e.base_legale.map(BaseLegale::code))
    .bind(&at)
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("dossier"))?
    .get("id");
    insert_version(
        conn, dep, id, 1, e.kind, e.date, &e.texte, None, auteur_id, &at,
    )
    .await?;
    for agent in &e.destinataires {
        sqlx::query(
            "INSERT INTO ecrit_destinataires (departement_id, ecrit_id, agent_id) VALUES ($1, $2, $3)",
        )
        .bind(dep)
        .bind(id)
        .bind(*agent)
        .execute(&mut *conn)
        .await
        .map_err(on_unique("destinataires"))?;
    }
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn insert_version(
    conn: &mut Conn,
    dep: &str,
    ecrit_id: i64,
    version: i64,
    kind: EcritKind,
    date: NaiveDate,
    texte: &str,
    motif: Option<&str>,
    par: i64,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ecrit_versions (departement_id, ecrit_id, version, kind, date_evenement, texte, motif, par_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(dep)
    .bind(ecrit_id)
    .bind(version)
    .bind(kind.code())
    .bind(iso(date))
    .bind(texte)
    .bind(motif)
    .bind(par)
    .bind(at)
    .execute(&mut *conn)
    .await
    // Two corrections at once: the second one meets the unique (ecrit, version) and is refused.
    .map_err(on_unique("version"))?;
    Ok(())
}

/// Corrects an écrit: a new version, the earlier ones kept. Returns the new version number.
pub async fn ecrit_correct(
    conn: &mut Conn,
    dep: &str,
    ecrit_id: i64,
    par: i64,
    c: &NewCorrection,
) -> Result<i64> {
    let last: Option<i64> = sqlx::query(
        "SELECT MAX(version) AS v FROM ecrit_versions WHERE departement_id = $1 AND ecrit_id = $2",
    )
    .bind(dep)
    .bind(ecrit_id)
    .fetch_one(&mut *conn)
    .await?
    .get("v");
    let next = last.ok_or(StoreError::NotFound)? + 1;
    insert_version(
        conn,
        dep,
        ecrit_id,
        next,
        c.kind,
        c.date,
        &c.texte,
        Some(&c.motif),
        par,
        &now(),
    )
    .await?;
    Ok(next)
}

const ECRIT_SELECT: &str = "SELECT e.id, e.dossier_id, e.auteur_id, a.prenom, a.nom, e.service_id, e.site_id, s.nom AS service_nom, \
     e.visibilite, e.base_legale, e.created_at, v.version, v.kind, v.date_evenement, v.texte, v.motif, v.created_at AS v_at, \
     pa.prenom AS par_prenom, pa.nom AS par_nom, \
     (SELECT COUNT(*) FROM ecrit_versions c WHERE c.departement_id = e.departement_id AND c.ecrit_id = e.id) AS nb \
     FROM ecrits e \
     JOIN agents a ON a.departement_id = e.departement_id AND a.id = e.auteur_id \
     LEFT JOIN services s ON s.departement_id = e.departement_id AND s.id = e.service_id \
     JOIN ecrit_versions v ON v.departement_id = e.departement_id AND v.ecrit_id = e.id \
       AND v.version = (SELECT MAX(m.version) FROM ecrit_versions m WHERE m.departement_id = e.departement_id AND m.ecrit_id = e.id) \
     JOIN agents pa ON pa.departement_id = v.departement_id AND pa.id = v.par_id \
     WHERE e.departement_id = $1";

fn version_from(r: &AnyRow, prefix_at: &str) -> Result<EcritVersion> {
    Ok(EcritVersion {
        version: r.get("version"),
        kind: EcritKind::parse(&r.get::<String, _>("kind"))
            .ok_or_else(|| corrupt("type d'écrit"))?,
        date: r.get("date_evenement"),
        texte: r.get("texte"),
        motif: r.get("motif"),
        par: format!(
            "{} {}",
            r.get::<String, _>("par_prenom"),
            r.get::<String, _>("par_nom")
        ),
        le: r.get(prefix_at),
    })
}

async fn destinataires(
    conn: &mut Conn,
    dep: &str,
    ecrit_ids: &[i64],
) -> Result<BTreeMap<i64, Vec<i64>>> {
    let mut map: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    if ecrit_ids.is_empty() {
        return Ok(map);
    }
    let list = ecrit_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    // The ids are integers from the database: safe to inline.
    let rows = sqlx::query(&format!(
        "SELECT ecrit_id, agent_id FROM ecrit_destinataires WHERE departement_id = $1 AND ecrit_id IN ({list})"
    ))
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        map.entry(r.get("ecrit_id"))
            .or_default()
            .push(r.get("agent_id"));
    }
    Ok(map)
}

fn ecrit_from(r: &AnyRow, dest: &BTreeMap<i64, Vec<i64>>) -> Result<Ecrit> {
    let id: i64 = r.get("id");
    Ok(Ecrit {
        id,
        dossier_id: r.get("dossier_id"),
        auteur_id: r.get("auteur_id"),
        auteur_nom: format!(
            "{} {}",
            r.get::<String, _>("prenom"),
            r.get::<String, _>("nom")
        ),
        service_id: r.get("service_id"),
        site_id: r.get("site_id"),
        service_nom: r.get("service_nom"),
        visibilite: Visibilite::parse(&r.get::<String, _>("visibilite"))
            .ok_or_else(|| corrupt("visibilité"))?,
        base_legale: r
            .get::<Option<String>, _>("base_legale")
            .as_deref()
            .map(|b| BaseLegale::parse(b).ok_or_else(|| corrupt("base légale")))
            .transpose()?,
        destinataires: dest.get(&id).cloned().unwrap_or_default(),
        created_at: r.get("created_at"),
        courant: version_from(r, "v_at")?,
        versions: r.get("nb"),
    })
}

/// The journal of a dossier, most recent event first (every écrit: the caller filters by the secret
/// partagé before showing anything).
pub async fn ecrits(conn: &mut Conn, dep: &str, dossier_id: i64) -> Result<Vec<Ecrit>> {
    let rows = sqlx::query(&format!(
        "{ECRIT_SELECT} AND e.dossier_id = $2 ORDER BY v.date_evenement DESC, e.id DESC"
    ))
    .bind(dep)
    .bind(dossier_id)
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
    let dest = destinataires(conn, dep, &ids).await?;
    rows.iter().map(|r| ecrit_from(r, &dest)).collect()
}

pub async fn ecrit_get(conn: &mut Conn, dep: &str, id: i64) -> Result<Ecrit> {
    let r = sqlx::query(&format!("{ECRIT_SELECT} AND e.id = $2"))
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let dest = destinataires(conn, dep, &[id]).await?;
    ecrit_from(&r, &dest)
}

/// Every version of an écrit, the first one first.
pub async fn ecrit_versions(conn: &mut Conn, dep: &str, id: i64) -> Result<Vec<EcritVersion>> {
    let rows = sqlx::query(
        "SELECT v.version, v.kind, v.date_evenement, v.texte, v.motif, v.created_at, pa.prenom AS par_prenom, \
         pa.nom AS par_nom FROM ecrit_versions v JOIN agents pa ON pa.departement_id = v.departement_id \
         AND pa.id = v.par_id WHERE v.departement_id = $1 AND v.ecrit_id = $2 ORDER BY v.version",
    )
    .bind(dep)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| version_from(r, "created_at")).collect()
}

// ---------------------------------------------------------------------------------------------------
// Documents

pub async fn document_add(
    conn: &mut Conn,
    dep: &str,
    dossier_id: i64,
    auteur_id: i64,
    service_id: Option<i64>,
    d: &NewDocument,
) -> Result<i64> {
    let site_id = auteur_site(conn, dep, dossier_id, auteur_id, service_id).await?;
    let r = sqlx::query(
        "INSERT INTO documents (departement_id, dossier_id, type_document, nom_fichier, mime, taille, sha256, \
         contenu, visibilite, base_legale, auteur_id, service_id, site_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(dep)
    .bind(dossier_id)
    .bind(d.type_document.code())
    .bind(&d.nom_fichier)
    .bind(d.mime)
    .bind(d.contenu.len() as i64)
    .bind(&d.sha256)
    .bind(d.contenu.clone())
    .bind(d.visibilite.code())
    .bind(d.base_legale.map(BaseLegale::code))
    .bind(auteur_id)
    .bind(service_id)
    .bind(site_id)
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("fichier"))?;
    Ok(r.get("id"))
}

const DOCUMENT_SELECT: &str = "SELECT d.id, d.dossier_id, d.type_document, d.nom_fichier, d.mime, d.taille, d.sha256, \
     d.visibilite, d.base_legale, d.auteur_id, a.prenom, a.nom, d.service_id, d.site_id, d.created_at FROM documents d \
     JOIN agents a ON a.departement_id = d.departement_id AND a.id = d.auteur_id WHERE d.departement_id = $1";

fn document_from(r: &AnyRow) -> Result<Document> {
    Ok(Document {
        id: r.get("id"),
        dossier_id: r.get("dossier_id"),
        type_document: TypeDocument::parse(&r.get::<String, _>("type_document"))
            .ok_or_else(|| corrupt("type de document"))?,
        nom_fichier: r.get("nom_fichier"),
        mime: r.get("mime"),
        taille: r.get("taille"),
        sha256: r.get("sha256"),
        visibilite: Visibilite::parse(&r.get::<String, _>("visibilite"))
            .ok_or_else(|| corrupt("visibilité"))?,
        base_legale: r
            .get::<Option<String>, _>("base_legale")
            .as_deref()
            .and_then(BaseLegale::parse),
        auteur_id: r.get("auteur_id"),
        auteur_nom: format!(
            "{} {}",
            r.get::<String, _>("prenom"),
            r.get::<String, _>("nom")
        ),
        service_id: r.get("service_id"),
        site_id: r.get("site_id"),
        created_at: r.get("created_at"),
    })
}

pub async fn documents(conn: &mut Conn, dep: &str, dossier_id: i64) -> Result<Vec<Document>> {
    let rows = sqlx::query(&format!(
        "{DOCUMENT_SELECT} AND d.dossier_id = $2 ORDER BY d.created_at DESC, d.id DESC"
    ))
    .bind(dep)
    .bind(dossier_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(document_from).collect()
}

/// A document and its content.
pub async fn document_get(conn: &mut Conn, dep: &str, id: i64) -> Result<(Document, Vec<u8>)> {
    let r = sqlx::query(&format!(
        "{} AND d.id = $2",
        DOCUMENT_SELECT.replace("d.created_at FROM", "d.created_at, d.contenu FROM")
    ))
    .bind(dep)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok((document_from(&r)?, r.get("contenu")))
}

// ---------------------------------------------------------------------------------------------------
// Plan d'action

/// Adds an objective, or an action under an objective of the same dossier.
pub async fn plan_add(
    conn: &mut Conn,
    dep: &str,
    dossier_id: i64,
    item: &NewPlanItem,
    by: i64,
) -> Result<i64> {
    if let Some(obj) = item.objectif_id {
        let parent = sqlx::query(
            "SELECT dossier_id, objectif_id FROM plan_items WHERE departement_id = $1 AND id = $2",
        )
        .bind(dep)
        .bind(obj)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::Reference)?;
        if parent.get::<i64, _>("dossier_id") != dossier_id
            || parent.get::<Option<i64>, _>("objectif_id").is_some()
        {
            return Err(StoreError::Reference);
        }
    }
    let at = now();
    let r = sqlx::query(
        "INSERT INTO plan_items (departement_id, dossier_id, objectif_id, libelle, echeance, statut, created_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(dep)
    .bind(dossier_id)
    .bind(item.objectif_id)
    .bind(&item.libelle)
    .bind(item.echeance.map(iso))
    .bind(StatutPlan::EnCours.code())
    .bind(by)
    .bind(&at)
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("libelle"))?;
    Ok(r.get("id"))
}

/// Records where an objective or action stands. Returns its dossier.
pub async fn plan_resultat(
    conn: &mut Conn,
    dep: &str,
    item_id: i64,
    r: &NewResultat,
) -> Result<i64> {
    let row = sqlx::query(
        "UPDATE plan_items SET statut = $1, resultat = $2, updated_at = $3 WHERE departement_id = $4 AND id = $5 \
         RETURNING dossier_id",
    )
    .bind(r.statut.code())
    .bind(&r.resultat)
    .bind(now())
    .bind(dep)
    .bind(item_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(row.get("dossier_id"))
}

/// The plan of a dossier: objectives in order of creation, each with its actions.
pub async fn plan(conn: &mut Conn, dep: &str, dossier_id: i64) -> Result<Vec<Objectif>> {
    let rows = sqlx::query(
        "SELECT id, objectif_id, libelle, echeance, statut, resultat, created_at FROM plan_items \
         WHERE departement_id = $1 AND dossier_id = $2 ORDER BY id",
    )
    .bind(dep)
    .bind(dossier_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut objectifs: Vec<Objectif> = Vec::new();
    let mut actions: Vec<PlanItem> = Vec::new();
    for r in &rows {
        let item = PlanItem {
            id: r.get("id"),
            objectif_id: r.get("objectif_id"),
            libelle: r.get("libelle"),
            echeance: r.get("echeance"),
            statut: StatutPlan::parse(&r.get::<String, _>("statut"))
                .ok_or_else(|| corrupt("statut du plan"))?,
            resultat: r.get("resultat"),
            created_at: r.get("created_at"),
        };
        if item.objectif_id.is_some() {
            actions.push(item);
        } else {
            objectifs.push(Objectif {
                item,
                actions: Vec::new(),
            });
        }
    }
    for a in actions {
        if let Some(o) = objectifs
            .iter_mut()
            .find(|o| Some(o.item.id) == a.objectif_id)
        {
            o.actions.push(a);
        }
    }
    Ok(objectifs)
}

// ---------------------------------------------------------------------------------------------------
// Exceptional accesses

pub async fn acces_motive_create(
    conn: &mut Conn,
    dep: &str,
    agent_id: i64,
    personne_id: i64,
    a: &NewAccesMotive,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO acces_motives (departement_id, agent_id, personne_id, motif, debut, fin) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(dep)
    .bind(agent_id)
    .bind(personne_id)
    .bind(&a.motif)
    .bind(now())
    .bind(format_time(a.fin))
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("motif"))?;
    Ok(r.get("id"))
}

/// The end of the agent's exceptional access to the person in force at `at`, if any.
pub async fn acces_motive_actif(
    conn: &mut Conn,
    dep: &str,
    agent_id: i64,
    personne_id: i64,
    at: DateTime<Utc>,
) -> Result<Option<String>> {
    let at = format_time(at);
    let r = sqlx::query(
        "SELECT MAX(fin) AS fin FROM acces_motives WHERE departement_id = $1 AND agent_id = $2 AND personne_id = $3 \
         AND debut <= $4 AND fin > $4",
    )
    .bind(dep)
    .bind(agent_id)
    .bind(personne_id)
    .bind(&at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("fin"))
}

/// An exceptional access as shown to the cadre.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccesMotive {
    pub id: i64,
    pub agent_nom: String,
    pub personne_id: i64,
    pub personne_nom: String,
    pub motif: String,
    pub debut: String,
    pub fin: String,
}

/// The exceptional accesses taken by agents of the given sites (all of them when `sites` is `None`),
/// most recent first.
pub async fn acces_motives(
    conn: &mut Conn,
    dep: &str,
    sites: Option<&[i64]>,
    limit: i64,
) -> Result<Vec<AccesMotive>> {
    let filter = match sites {
        None => String::new(),
        Some([]) => " AND 1 = 0".into(),
        Some(ids) => format!(
            " AND m.agent_id IN (SELECT agent_id FROM affectations f WHERE f.departement_id = m.departement_id \
             AND f.site_id IN ({}))",
            ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        ),
    };
    let rows = sqlx::query(&format!(
        "SELECT m.id, a.prenom, a.nom, m.personne_id, p.nom_naissance, p.nom_usage, p.prenoms, m.motif, m.debut, m.fin \
         FROM acces_motives m JOIN agents a ON a.departement_id = m.departement_id AND a.id = m.agent_id \
         JOIN personnes p ON p.departement_id = m.departement_id AND p.id = m.personne_id \
         WHERE m.departement_id = $1{filter} ORDER BY m.debut DESC, m.id DESC LIMIT {}",
        limit.clamp(1, 1000)
    ))
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let usage: Option<String> = r.get("nom_usage");
            let naissance: String = r.get("nom_naissance");
            let nom = match usage {
                Some(u) => format!("{u} (née/né {naissance})"),
                None => naissance,
            };
            AccesMotive {
                id: r.get("id"),
                agent_nom: format!(
                    "{} {}",
                    r.get::<String, _>("prenom"),
                    r.get::<String, _>("nom")
                ),
                personne_id: r.get("personne_id"),
                personne_nom: format!("{} {}", nom, r.get::<String, _>("prenoms").replace(',', "")),
                motif: r.get("motif"),
                debut: r.get("debut"),
                fin: r.get("fin"),
            }
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------------
// Scope of a person

/// The site of the secteur of the person's address in force today (`None`: no address, or a commune
/// attached to no secteur).
pub async fn personne_site(conn: &mut Conn, dep: &str, personne_id: i64) -> Result<Option<i64>> {
    let today = iso(crate::clock().today());
    let r = sqlx::query(
        "SELECT s.site_id FROM adresses a JOIN secteurs s ON s.departement_id = a.departement_id AND s.id = a.secteur_id \
         WHERE a.departement_id = $1 AND a.personne_id = $2 AND a.valid_from <= $3 \
         ORDER BY a.valid_from DESC, a.id DESC LIMIT 1",
    )
    .bind(dep)
    .bind(personne_id)
    .bind(&today)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(r.map(|r| r.get("site_id")))
}

/// For each person, the teams (service and site) that follow one of their open dossiers — what an agent
/// outside the person's scope is told (« existe, suivi par … »).
pub async fn suivis(
    conn: &mut Conn,
    dep: &str,
    personne_ids: &[i64],
) -> Result<BTreeMap<i64, Vec<String>>> {
    let mut map: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    if personne_ids.is_empty() {
        return Ok(map);
    }
    let list = personne_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let rows = sqlx::query(&format!(
        "SELECT DISTINCT d.personne_id, s.nom, si.nom AS site_nom FROM dossiers d \
         JOIN dossier_services ds ON ds.departement_id = d.departement_id AND ds.dossier_id = d.id AND ds.jusqu_au IS NULL \
         JOIN services s ON s.departement_id = ds.departement_id AND s.id = ds.service_id \
         LEFT JOIN sites si ON si.departement_id = ds.departement_id AND si.id = ds.site_id \
         WHERE d.departement_id = $1 AND d.clos_le IS NULL AND d.personne_id IN ({list}) ORDER BY s.nom, si.nom"
    ))
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        // The team, so that the agent knows whom to call: « Service social (MDS de Brielle) ».
        let nom: String = r.get("nom");
        let site: Option<String> = r.get("site_nom");
        let equipe = Equipe::libelle(&nom, site.as_deref());
        map.entry(r.get("personne_id")).or_default().push(equipe);
    }
    Ok(map)
}

/// What the secret partagé needs to decide an agent's scope on one person (see
/// `domain::dossiers::secret::portee`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaitsPortee {
    /// The site of the secteur of the current address.
    pub site: Option<i64>,
    /// The person's dossiers and those of their foyers today.
    pub dossiers: Vec<DossierAcces>,
    /// End of the agent's exceptional access in force, if any.
    pub acces_motive: Option<String>,
}

/// The same facts as `personne_site`, `of_personne` + `acces` and `acces_motive_actif`, for many
/// persons at once in two queries (a page of search results would otherwise cost a few queries per
/// line). A person not found gets the empty facts, as the single-person functions give.
pub async fn faits_portee(
    conn: &mut Conn,
    dep: &str,
    personne_ids: &[i64],
    agent_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<BTreeMap<i64, FaitsPortee>> {
    let mut map: BTreeMap<i64, FaitsPortee> = personne_ids
        .iter()
        .map(|id| (*id, FaitsPortee::default()))
        .collect();
    if personne_ids.is_empty() {
        return Ok(map);
    }
    // Integers only: safe to inline, and one statement whatever the number of ids.
    let list = personne_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let today = iso(at.date_naive());
    let rows = sqlx::query(&format!(
        "SELECT p.id, \
         (SELECT s.site_id FROM adresses a JOIN secteurs s ON s.departement_id = a.departement_id AND s.id = a.secteur_id \
          WHERE a.departement_id = p.departement_id AND a.personne_id = p.id AND a.valid_from <= $2 \
          ORDER BY a.valid_from DESC, a.id DESC LIMIT 1) AS site_id, \
         (SELECT MAX(m.fin) FROM acces_motives m WHERE m.departement_id = p.departement_id AND m.personne_id = p.id \
          AND m.agent_id = $3 AND m.debut <= $4 AND m.fin > $4) AS fin \
         FROM personnes p WHERE p.departement_id = $1 AND p.id IN ({list})"
    ))
    .bind(dep)
    .bind(&today)
    .bind(agent_id.unwrap_or(-1))
    .bind(format_time(at))
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let f = map.entry(r.get("id")).or_default();
        f.site = r.get("site_id");
        if agent_id.is_some() {
            f.acces_motive = r.get("fin");
        }
    }
    // One row per (person, dossier), then one per current service and per current référent.
    let rows = sqlx::query(&format!(
        "WITH liens AS ( \
           SELECT d.personne_id AS pid, d.id AS did FROM dossiers d WHERE d.departement_id = $1 AND d.personne_id IN ({list}) \
           UNION \
           SELECT m.personne_id AS pid, d.id AS did FROM foyer_membres m JOIN dossiers d \
             ON d.departement_id = m.departement_id AND d.foyer_id = m.foyer_id \
           WHERE m.departement_id = $1 AND m.personne_id IN ({list}) AND m.arrivee <= $2 AND (m.depart IS NULL OR m.depart > $2)) \
         SELECT l.pid, l.did, 'd' AS k, CAST(NULL AS BIGINT) AS v, CAST(NULL AS BIGINT) AS w FROM liens l \
         UNION ALL SELECT l.pid, l.did, 's' AS k, ds.service_id AS v, ds.site_id AS w FROM liens l JOIN dossier_services ds \
           ON ds.departement_id = $1 AND ds.dossier_id = l.did AND ds.jusqu_au IS NULL \
         UNION ALL SELECT l.pid, l.did, 'r' AS k, r.agent_id AS v, CAST(NULL AS BIGINT) AS w FROM liens l JOIN dossier_referents r \
           ON r.departement_id = $1 AND r.dossier_id = l.did AND r.jusqu_au IS NULL"
    ))
    .bind(dep)
    .bind(&today)
    .fetch_all(&mut *conn)
    .await?;
    let mut par_dossier: BTreeMap<(i64, i64), DossierAcces> = BTreeMap::new();
    for r in rows {
        let entry = par_dossier.entry((r.get("pid"), r.get("did"))).or_default();
        let v: Option<i64> = r.get("v");
        match (r.get::<String, _>("k").as_str(), v) {
            ("s", Some(s)) => entry.equipes.push(Equipe {
                service_id: s,
                site_id: r.get("w"),
            }),
            ("r", Some(a)) => entry.referents.push(a),
            _ => {}
        }
    }
    for ((pid, _), mut acces) in par_dossier {
        // As `acces` gives them: distinct teams in order.
        acces.equipes.sort_unstable();
        acces.equipes.dedup();
        map.entry(pid).or_default().dossiers.push(acces);
    }
    Ok(map)
}

// ---------------------------------------------------------------------------------------------------
// Demo

/// Gives the synthetic people of the demo (created with the agendas) an address in the secteur of the
/// site where they are received, and one dossier in two a dossier followed by the service of their
/// social worker, with a few écrits of each visibility and an objective — so that the demo shows
/// what the secret partagé lets each role read. In the caller's transaction; returns the dossiers.
pub async fn seed_demo(conn: &mut Conn, dep: &str) -> Result<usize> {
    use parcours_domain::dossiers::{EcritForm, PlanForm};
    use parcours_domain::personnes::{AdresseForm, NewAdresse};
    let today = crate::clock().today();
    // Each person's first appointment: their social worker and the site that receives them.
    let rows = sqlx::query(
        "SELECT r.personne_id, r.agent_id, r.site_id, a.service_id FROM rendez_vous r \
         JOIN agents a ON a.departement_id = r.departement_id AND a.id = r.agent_id \
         WHERE r.departement_id = $1 AND r.id = (SELECT MIN(x.id) FROM rendez_vous x \
           WHERE x.departement_id = r.departement_id AND x.personne_id = r.personne_id) ORDER BY r.personne_id",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    let mut n = 0;
    for (i, r) in rows.iter().enumerate() {
        let personne: i64 = r.get("personne_id");
        let agent: i64 = r.get("agent_id");
        let site: i64 = r.get("site_id");
        let service: i64 = r.get("service_id");
        // A commune of a secteur of that site.
        let commune = sqlx::query(
            "SELECT c.insee, c.codes_postaux FROM communes c JOIN secteurs s ON s.departement_id = c.departement_id \
             AND s.id = c.secteur_id WHERE c.departement_id = $1 AND s.site_id = $2 ORDER BY c.insee LIMIT 1 OFFSET $3",
        )
        .bind(dep)
        .bind(site)
        .bind((i % 3) as i64)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(commune) = commune else { continue };
        let cp: String = commune.get("codes_postaux");
        let adresse = NewAdresse::parse(
            &AdresseForm {
                ligne_1: format!("{} rue des Tilleuls", 1 + i % 40),
                code_postal: cp.split([',', ' ']).next().unwrap_or("").to_string(),
                commune_insee: commune.get("insee"),
                valid_from: "2023-01-01".into(),
                ..AdresseForm::default()
            },
            today,
        )
        .map_err(|e| StoreError::Other(anyhow::anyhow!("adresse fictive invalide : {e}")))?;
        crate::personnes::adresse_set(conn, dep, personne, &adresse, None).await?;
        if i % 2 == 1 {
            continue;
        }
        let ouvert = today - chrono::Duration::days(30 + (i as i64 * 11) % 400);
        let d = create(
            conn,
            dep,
            Titulaire::Personne(personne),
            "Accompagnement social global",
            ouvert,
            service,
            Some(agent),
            agent,
        )
        .await?;
        let ecrits = [
            ("entretien", "dossier", "L121-6-2", "Premier entretien : point sur les ressources et le logement ; démarches d'accès aux droits engagées."),
            ("appel", "service", "", "Appel de la personne : pièces justificatives déposées à l'accueil."),
            ("note", "auteur", "", "Note de travail : à revoir avec la conseillère en économie sociale et familiale."),
        ];
        for (k, (kind, vis, base, texte)) in ecrits.iter().enumerate() {
            let e = NewEcrit::parse(
                &EcritForm {
                    kind: (*kind).into(),
                    date: (ouvert + chrono::Duration::days(7 * (k as i64 + 1)))
                        .min(today)
                        .format("%Y-%m-%d")
                        .to_string(),
                    texte: (*texte).into(),
                    visibilite: (*vis).into(),
                    base_legale: (*base).into(),
                    destinataires: String::new(),
                },
                today,
                |_| false,
            )
            .map_err(|e| StoreError::Other(anyhow::anyhow!("écrit fictif invalide : {e}")))?;
            ecrit_add(conn, dep, d, agent, Some(service), &e).await?;
        }
        let objectif = NewPlanItem::parse(
            &PlanForm {
                objectif_id: String::new(),
                libelle: "Stabiliser les ressources du foyer".into(),
                echeance: (today + chrono::Duration::days(90))
                    .format("%d/%m/%Y")
                    .to_string(),
            },
            ouvert,
        )
        .map_err(|e| StoreError::Other(anyhow::anyhow!("objectif fictif invalide : {e}")))?;
        plan_add(conn, dep, d, &objectif, agent).await?;
        n += 1;
    }
    Ok(n)
}
