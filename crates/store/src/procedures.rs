//! Procedures of a dossier, their steps and the due dates of the échéancier: recording a decided step
//! in one transaction, and the lists that read the partial indexes on open due dates (a référent's,
//! an MDS's, the late ones counted by MDS and secteur).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use parcours_domain::echeancier::suivi::Etat;
use parcours_domain::echeancier::Moment;
use parcours_domain::procedures::{Decision, EcheanceEnregistree, EtapeFaite, TypeProcedure};
use serde::Serialize;
use sqlx::Row;

use crate::{iso_date, now, Conn, Result, StoreError};

/// A procedure as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Procedure {
    pub id: i64,
    pub dossier_id: i64,
    pub type_: TypeProcedure,
    pub service_id: Option<i64>,
    pub site_id: Option<i64>,
    pub secteur_id: Option<i64>,
    pub referent_id: Option<i64>,
    pub referent_nom: Option<String>,
    pub ouverte_le: String,
    pub close_le: Option<String>,
}

/// A recorded step.
#[derive(Debug, Clone, Serialize)]
pub struct EtapeEnregistree {
    pub id: i64,
    pub etape: String,
    pub date: String,
    pub valeurs: BTreeMap<String, String>,
    pub commentaire: String,
    pub auteur_nom: Option<String>,
}

/// A due date with what the lists show of its procedure.
#[derive(Debug, Clone, Serialize)]
pub struct EcheanceListee {
    pub id: i64,
    pub regle: String,
    pub echeance: String,
    pub jour: String,
    pub procedure_id: i64,
    pub type_: String,
    pub dossier_id: i64,
    pub dossier: String,
    /// The person the dossier is about (usual name, then given names); `None` for a foyer's dossier.
    pub personne: Option<String>,
    pub referent_nom: Option<String>,
    pub site_nom: Option<String>,
}

/// Late due dates counted by MDS and secteur.
#[derive(Debug, Clone, Serialize)]
pub struct RetardsSecteur {
    pub site_id: Option<i64>,
    pub site_nom: String,
    pub secteur_id: Option<i64>,
    pub secteur_nom: String,
    pub en_retard: i64,
    pub aujourdhui: i64,
}

pub struct NewProcedure {
    pub dossier_id: i64,
    pub type_: TypeProcedure,
    pub service_id: Option<i64>,
    pub site_id: Option<i64>,
    pub secteur_id: Option<i64>,
    pub referent_id: Option<i64>,
    pub motif_depassement: Option<String>,
    pub ouverte_le: NaiveDate,
    pub created_by: Option<i64>,
}

pub async fn create(conn: &mut Conn, dep: &str, p: &NewProcedure) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO procedures (departement_id, dossier_id, type, service_id, site_id, secteur_id, referent_id, \
         ouverte_le, created_by, created_at, motif_depassement) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(dep)
    .bind(p.dossier_id)
    .bind(p.type_.code())
    .bind(p.service_id)
    .bind(p.site_id)
    .bind(p.secteur_id)
    .bind(p.referent_id)
    .bind(iso_date(p.ouverte_le))
    .bind(p.created_by)
    .bind(now())
    .bind(p.motif_depassement.as_deref())
    .fetch_one(&mut *conn)
    .await
    .map_err(crate::on_unique("procedure"))?;
    Ok(r.get("id"))
}

const COLUMNS: &str = "p.id, p.dossier_id, p.type, p.service_id, p.site_id, p.secteur_id, p.referent_id, \
     p.ouverte_le, p.close_le, a.prenom || ' ' || a.nom AS referent_nom \
     FROM procedures p LEFT JOIN agents a ON a.departement_id = p.departement_id AND a.id = p.referent_id \
     WHERE p.departement_id = $1";

fn procedure_from(r: &sqlx::any::AnyRow) -> Result<Procedure> {
    let t: String = r.get("type");
    Ok(Procedure {
        id: r.get("id"),
        dossier_id: r.get("dossier_id"),
        type_: TypeProcedure::parse(&t)
            .ok_or_else(|| StoreError::Other(anyhow::anyhow!("type de procédure « {t} »")))?,
        service_id: r.get("service_id"),
        site_id: r.get("site_id"),
        secteur_id: r.get("secteur_id"),
        referent_id: r.get("referent_id"),
        referent_nom: r.get("referent_nom"),
        ouverte_le: r.get("ouverte_le"),
        close_le: r.get("close_le"),
    })
}

/// How many open procedures of this type the agent carries as référent (the RSA cap).
pub async fn ouvertes_du_referent(
    conn: &mut Conn,
    dep: &str,
    referent_id: i64,
    type_: TypeProcedure,
) -> Result<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) AS n FROM procedures WHERE departement_id = $1 AND referent_id = $2 AND type = $3 \
         AND close_le IS NULL",
    )
    .bind(dep)
    .bind(referent_id)
    .bind(type_.code())
    .fetch_one(&mut *conn)
    .await?
    .get("n"))
}

pub async fn get(conn: &mut Conn, dep: &str, id: i64) -> Result<Procedure> {
    let r = sqlx::query(&format!("SELECT {COLUMNS} AND p.id = $2"))
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    procedure_from(&r)
}

pub async fn of_dossier(conn: &mut Conn, dep: &str, dossier_id: i64) -> Result<Vec<Procedure>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} AND p.dossier_id = $2 ORDER BY p.close_le IS NOT NULL, p.ouverte_le DESC, p.id DESC"
    ))
    .bind(dep)
    .bind(dossier_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(procedure_from).collect()
}

pub async fn etapes(
    conn: &mut Conn,
    dep: &str,
    procedure_id: i64,
) -> Result<Vec<EtapeEnregistree>> {
    let rows = sqlx::query(
        "SELECT e.id, e.etape, e.date, e.valeurs, e.commentaire, a.prenom || ' ' || a.nom AS auteur_nom \
         FROM procedure_etapes e LEFT JOIN agents a ON a.departement_id = e.departement_id AND a.id = e.auteur_id \
         WHERE e.departement_id = $1 AND e.procedure_id = $2 ORDER BY e.date, e.id",
    )
    .bind(dep)
    .bind(procedure_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let v: String = r.get("valeurs");
            Ok(EtapeEnregistree {
                id: r.get("id"),
                etape: r.get("etape"),
                date: r.get("date"),
                valeurs: serde_json::from_str(&v).map_err(|e| StoreError::Other(e.into()))?,
                commentaire: r.get("commentaire"),
                auteur_nom: r.get("auteur_nom"),
            })
        })
        .collect()
}

/// The steps as the decision needs them.
pub fn faites(etapes: &[EtapeEnregistree]) -> Vec<EtapeFaite> {
    etapes
        .iter()
        .filter_map(|e| {
            Some(EtapeFaite {
                code: e.etape.clone(),
                date: NaiveDate::parse_from_str(&e.date, "%Y-%m-%d").ok()?,
                valeurs: e.valeurs.clone(),
            })
        })
        .collect()
}

pub async fn echeances(
    conn: &mut Conn,
    dep: &str,
    procedure_id: i64,
) -> Result<Vec<EcheanceEnregistree>> {
    let rows = sqlx::query(
        "SELECT id, regle, debut, echeance, etat, prolongations FROM echeances WHERE departement_id = $1 AND procedure_id = $2 \
         ORDER BY jour, id",
    )
    .bind(dep)
    .bind(procedure_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let debut: String = r.get("debut");
            let echeance: String = r.get("echeance");
            let etat: String = r.get("etat");
            let bad = || StoreError::Other(anyhow::anyhow!("échéance illisible"));
            Ok(EcheanceEnregistree {
                id: r.get("id"),
                regle: r.get("regle"),
                debut: Moment::parse(&debut).ok_or_else(bad)?,
                echeance: Moment::parse(&echeance).ok_or_else(bad)?,
                etat: Etat::from_code(&etat).ok_or_else(bad)?,
                prolongations: r.get::<i64, _>("prolongations").max(0) as u32,
            })
        })
        .collect()
}

/// Records a decided step: the step, the timers it starts, those it honours or lifts, and the end of
/// the procedure — in the caller's transaction.
pub async fn record(
    conn: &mut Conn,
    dep: &str,
    p: &Procedure,
    d: &Decision,
    auteur_id: Option<i64>,
) -> Result<i64> {
    let at = now();
    let date = iso_date(d.date);
    let valeurs = serde_json::to_string(&d.valeurs).map_err(|e| StoreError::Other(e.into()))?;
    let id: i64 = sqlx::query(
        "INSERT INTO procedure_etapes (departement_id, procedure_id, etape, date, valeurs, commentaire, auteur_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(dep)
    .bind(p.id)
    .bind(d.etape)
    .bind(&date)
    .bind(&valeurs)
    .bind(&d.commentaire)
    .bind(auteur_id)
    .bind(&at)
    .fetch_one(&mut *conn)
    .await?
    .get("id");
    for (ids, etat) in [(&d.honorer, Etat::Honoree), (&d.lever, Etat::Levee)] {
        for e in ids.iter() {
            let r = sqlx::query(
                "UPDATE echeances SET etat = $1, traitee_le = $2 WHERE departement_id = $3 AND id = $4 AND etat = 'ouverte' \
                 RETURNING site_id, secteur_id, jour",
            )
            .bind(etat.code())
            .bind(&date)
            .bind(dep)
            .bind(*e)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(r) = r {
                compter_jour(
                    conn,
                    dep,
                    r.get("site_id"),
                    r.get("secteur_id"),
                    &r.get::<String, _>("jour"),
                    -1,
                )
                .await?;
            }
        }
    }
    for s in &d.demarrer {
        sqlx::query(
            "INSERT INTO echeances (departement_id, procedure_id, regle, debut, echeance, jour, etat, site_id, secteur_id, \
             referent_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'ouverte', $7, $8, $9, $10)",
        )
        .bind(dep)
        .bind(p.id)
        .bind(s.regle)
        .bind(s.debut.iso())
        .bind(s.echeance.iso())
        .bind(iso_date(s.echeance.jour()))
        .bind(p.site_id)
        .bind(p.secteur_id)
        .bind(p.referent_id)
        .bind(&at)
        .execute(&mut *conn)
        .await?;
        compter_jour(
            conn,
            dep,
            p.site_id,
            p.secteur_id,
            &iso_date(s.echeance.jour()),
            1,
        )
        .await?;
    }
    if d.fin {
        sqlx::query("UPDATE procedures SET close_le = $1 WHERE departement_id = $2 AND id = $3")
            .bind(&date)
            .bind(dep)
            .bind(p.id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(id)
}

/// Whose open due dates a list shows.
#[derive(Debug, Clone)]
pub enum Perimetre {
    Referent(i64),
    Sites(Vec<i64>),
    /// The procedures a central service carries (the CRIP's informations préoccupantes).
    Service(i64),
    Departement,
}

/// Open due dates up to `jusqu_au` (the late ones first), in the perimeter; paged.
pub async fn a_traiter(
    conn: &mut Conn,
    dep: &str,
    perimetre: &Perimetre,
    jusqu_au: NaiveDate,
    limit: u32,
    offset: u32,
) -> Result<(Vec<EcheanceListee>, i64)> {
    let filtre = filtre(perimetre);
    let total: i64 = sqlx::query(&format!(
        "SELECT COUNT(*) AS n FROM echeances e WHERE e.departement_id = $1 AND e.etat = 'ouverte' AND e.jour <= $2 {filtre}"
    ))
    .bind(dep)
    .bind(iso_date(jusqu_au))
    .fetch_one(&mut *conn)
    .await?
    .get("n");
    let rows = sqlx::query(&format!(
        "SELECT e.id, e.regle, e.echeance, e.jour, e.procedure_id, p.type, p.dossier_id, d.intitule, \
         COALESCE(pe.nom_usage, pe.nom_naissance) || ' ' || REPLACE(pe.prenoms, ',', ' ') AS personne, \
         a.prenom || ' ' || a.nom AS referent_nom, s.nom AS site_nom \
         FROM (SELECT * FROM echeances e WHERE e.departement_id = $1 AND e.etat = 'ouverte' AND e.jour <= $2 {filtre} \
               ORDER BY e.jour, e.id LIMIT {limit} OFFSET {offset}) e \
         JOIN procedures p ON p.departement_id = e.departement_id AND p.id = e.procedure_id \
         JOIN dossiers d ON d.departement_id = p.departement_id AND d.id = p.dossier_id \
         LEFT JOIN personnes pe ON pe.departement_id = d.departement_id AND pe.id = d.personne_id \
         LEFT JOIN agents a ON a.departement_id = e.departement_id AND a.id = e.referent_id \
         LEFT JOIN sites s ON s.departement_id = e.departement_id AND s.id = e.site_id \
         ORDER BY e.jour, e.id"
    ))
    .bind(dep)
    .bind(iso_date(jusqu_au))
    .fetch_all(&mut *conn)
    .await?;
    let out = rows
        .iter()
        .map(|r| EcheanceListee {
            id: r.get("id"),
            regle: r.get("regle"),
            echeance: r.get("echeance"),
            jour: r.get("jour"),
            procedure_id: r.get("procedure_id"),
            type_: r.get("type"),
            dossier_id: r.get("dossier_id"),
            dossier: r.get("intitule"),
            personne: r.get("personne"),
            referent_nom: r.get("referent_nom"),
            site_nom: r.get("site_nom"),
        })
        .collect();
    Ok((out, total))
}

/// The perimeter as SQL on the alias `e`. Ids are integers from the principal, written as literals:
/// no text reaches the SQL, and both backends plan the partial index with them.
fn filtre(p: &Perimetre) -> String {
    match p {
        Perimetre::Referent(id) => format!("AND e.referent_id = {id}"),
        Perimetre::Sites(ids) if ids.is_empty() => "AND 1 = 0".into(),
        Perimetre::Sites(ids) => format!(
            "AND e.site_id IN ({})",
            ids.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        // A central service's procedures: few, read through the procedures' primary key.
        Perimetre::Service(id) => format!(
            "AND e.procedure_id IN (SELECT q.id FROM procedures q WHERE q.departement_id = $1 AND q.service_id = {id})"
        ),
        Perimetre::Departement => String::new(),
    }
}

/// Moves the count of open due dates of an MDS, a secteur and a day by `delta` (0 stands for none);
/// a count that reaches 0 leaves the table.
async fn compter_jour(
    conn: &mut Conn,
    dep: &str,
    site_id: Option<i64>,
    secteur_id: Option<i64>,
    jour: &str,
    delta: i64,
) -> Result<()> {
    let (site, secteur) = (site_id.unwrap_or(0), secteur_id.unwrap_or(0));
    sqlx::query(
        "INSERT INTO echeances_jours (departement_id, site_id, secteur_id, jour, n) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (departement_id, site_id, secteur_id, jour) DO UPDATE SET n = echeances_jours.n + $5",
    )
    .bind(dep)
    .bind(site)
    .bind(secteur)
    .bind(jour)
    .bind(delta)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM echeances_jours WHERE departement_id = $1 AND site_id = $2 AND secteur_id = $3 AND jour = $4 AND n <= 0",
    )
    .bind(dep)
    .bind(site)
    .bind(secteur)
    .bind(jour)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Open due dates that are late or due today, counted by MDS and secteur, from the day counts.
pub async fn retards(
    conn: &mut Conn,
    dep: &str,
    perimetre: &Perimetre,
    aujourdhui: NaiveDate,
) -> Result<Vec<RetardsSecteur>> {
    let filtre = match perimetre {
        Perimetre::Sites(ids) if ids.is_empty() => "AND 1 = 0".to_string(),
        Perimetre::Sites(ids) => format!(
            "AND c.site_id IN ({})",
            ids.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        // A référent's or a central service's counts are read from the due dates themselves
        // (`compter`): the day counts know MDS and secteur only.
        Perimetre::Referent(_) | Perimetre::Service(_) => "AND 1 = 0".to_string(),
        Perimetre::Departement => String::new(),
    };
    let rows = sqlx::query(&format!(
        "SELECT c.site_id, c.secteur_id, s.nom AS site_nom, t.nom AS secteur_nom, c.en_retard, c.aujourdhui FROM \
         (SELECT c.site_id, c.secteur_id, CAST(SUM(CASE WHEN c.jour < $2 THEN c.n ELSE 0 END) AS BIGINT) AS en_retard, \
                 CAST(SUM(CASE WHEN c.jour = $2 THEN c.n ELSE 0 END) AS BIGINT) AS aujourdhui \
          FROM echeances_jours c WHERE c.departement_id = $1 AND c.jour <= $2 {filtre} \
          GROUP BY c.site_id, c.secteur_id) c \
         LEFT JOIN sites s ON s.departement_id = $1 AND s.id = c.site_id \
         LEFT JOIN secteurs t ON t.departement_id = $1 AND t.id = c.secteur_id \
         ORDER BY s.nom, t.nom"
    ))
    .bind(dep)
    .bind(iso_date(aujourdhui))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let site: i64 = r.get("site_id");
            let secteur: i64 = r.get("secteur_id");
            RetardsSecteur {
                site_id: (site != 0).then_some(site),
                site_nom: r
                    .get::<Option<String>, _>("site_nom")
                    .unwrap_or_else(|| "Sans MDS (service central)".into()),
                secteur_id: (secteur != 0).then_some(secteur),
                secteur_nom: r
                    .get::<Option<String>, _>("secteur_nom")
                    .unwrap_or_else(|| "Sans secteur".into()),
                en_retard: r.get("en_retard"),
                aujourdhui: r.get("aujourdhui"),
            }
        })
        .collect())
}

/// Extends an open due date to `nouvelle` (a recorded extension).
pub async fn prolonger(
    conn: &mut Conn,
    dep: &str,
    echeance_id: i64,
    nouvelle: Moment,
) -> Result<()> {
    let avant = sqlx::query(
        "SELECT site_id, secteur_id, jour FROM echeances WHERE departement_id = $1 AND id = $2 AND etat = 'ouverte'",
    )
    .bind(dep)
    .bind(echeance_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let (site, secteur): (Option<i64>, Option<i64>) =
        (avant.get("site_id"), avant.get("secteur_id"));
    sqlx::query(
        "UPDATE echeances SET echeance = $1, jour = $2, prolongations = prolongations + 1 \
         WHERE departement_id = $3 AND id = $4 AND etat = 'ouverte'",
    )
    .bind(nouvelle.iso())
    .bind(iso_date(nouvelle.jour()))
    .bind(dep)
    .bind(echeance_id)
    .execute(&mut *conn)
    .await?;
    compter_jour(
        conn,
        dep,
        site,
        secteur,
        &avant.get::<String, _>("jour"),
        -1,
    )
    .await?;
    compter_jour(conn, dep, site, secteur, &iso_date(nouvelle.jour()), 1).await?;
    Ok(())
}

/// How many open due dates of the perimeter are late, and how many fall from today to `jusqu_au`: a
/// référent's from the due dates, an MDS's or the département's from the day counts.
pub async fn compter(
    conn: &mut Conn,
    dep: &str,
    perimetre: &Perimetre,
    aujourdhui: NaiveDate,
    jusqu_au: NaiveDate,
) -> Result<(i64, i64)> {
    let sql = match perimetre {
        Perimetre::Referent(_) | Perimetre::Service(_) => format!(
            "SELECT CAST(COALESCE(SUM(CASE WHEN e.jour < $2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS en_retard, \
             CAST(COALESCE(SUM(CASE WHEN e.jour >= $2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS a_venir \
             FROM echeances e WHERE e.departement_id = $1 AND e.etat = 'ouverte' AND e.jour <= $3 {}",
            filtre(perimetre)
        ),
        p => {
            let filtre = match p {
                Perimetre::Sites(ids) if ids.is_empty() => "AND 1 = 0".to_string(),
                Perimetre::Sites(ids) => format!(
                    "AND c.site_id IN ({})",
                    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
                ),
                _ => String::new(),
            };
            format!(
                "SELECT CAST(COALESCE(SUM(CASE WHEN c.jour < $2 THEN c.n ELSE 0 END), 0) AS BIGINT) AS en_retard, \
                 CAST(COALESCE(SUM(CASE WHEN c.jour >= $2 THEN c.n ELSE 0 END), 0) AS BIGINT) AS a_venir \
                 FROM echeances_jours c WHERE c.departement_id = $1 AND c.jour <= $3 {filtre}"
            )
        }
    };
    let r = sqlx::query(&sql)
        .bind(dep)
        .bind(iso_date(aujourdhui))
        .bind(iso_date(jusqu_au))
        .fetch_one(&mut *conn)
        .await?;
    Ok((r.get("en_retard"), r.get("a_venir")))
}

/// Open due dates up to `jusqu_au`, counted by référent, MDS, rule and level (late, today, soon):
/// what the daily digests tell each agent, read from the partial index without naming anyone.
#[derive(Debug, Clone)]
pub struct Compte {
    pub referent_id: Option<i64>,
    pub site_id: Option<i64>,
    pub regle: String,
    /// `en_retard`, `echue` or `proche`.
    pub niveau: String,
    pub n: i64,
}

pub async fn comptes(
    conn: &mut Conn,
    dep: &str,
    aujourdhui: NaiveDate,
    jusqu_au: NaiveDate,
) -> Result<Vec<Compte>> {
    let rows = sqlx::query(
        "SELECT referent_id, site_id, regle, niveau, COUNT(*) AS n FROM \
         (SELECT referent_id, site_id, regle, CASE WHEN jour < $2 THEN 'en_retard' WHEN jour = $2 THEN 'echue' \
          ELSE 'proche' END AS niveau FROM echeances WHERE departement_id = $1 AND etat = 'ouverte' AND jour <= $3) c \
         GROUP BY referent_id, site_id, regle, niveau",
    )
    .bind(dep)
    .bind(iso_date(aujourdhui))
    .bind(iso_date(jusqu_au))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Compte {
            referent_id: r.get("referent_id"),
            site_id: r.get("site_id"),
            regle: r.get("regle"),
            niveau: r.get("niveau"),
            n: r.get("n"),
        })
        .collect())
}

/// Whether the digest of `jour` was already sent to the agent.
pub async fn envoi_fait(
    conn: &mut Conn,
    dep: &str,
    agent_id: i64,
    jour: NaiveDate,
) -> Result<bool> {
    Ok(sqlx::query(
        "SELECT 1 AS x FROM echeances_envois WHERE departement_id = $1 AND agent_id = $2 AND jour = $3",
    )
    .bind(dep)
    .bind(agent_id)
    .bind(iso_date(jour))
    .fetch_optional(&mut *conn)
    .await?
    .is_some())
}

/// Records that the digest of `jour` was sent to the agent.
pub async fn envoi_noter(conn: &mut Conn, dep: &str, agent_id: i64, jour: NaiveDate) -> Result<()> {
    sqlx::query(
        "INSERT INTO echeances_envois (departement_id, agent_id, jour, envoye_le) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (departement_id, agent_id, jour) DO NOTHING",
    )
    .bind(dep)
    .bind(agent_id)
    .bind(iso_date(jour))
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The opening, orientation and contract steps of the RSA procedures of the perimeter, by MDS, for
/// the figures (`procedures::chiffres`).
pub async fn parcours_rsa(
    conn: &mut Conn,
    dep: &str,
    perimetre: &Perimetre,
) -> Result<BTreeMap<Option<i64>, Vec<parcours_domain::procedures::chiffres::ParcoursRsa>>> {
    use parcours_domain::procedures::chiffres::ParcoursRsa;
    let filtre = filtre(perimetre).replace("e.", "p.");
    let rows = sqlx::query(&format!(
        "SELECT p.id, p.site_id, e.etape, e.date, e.valeurs FROM procedures p JOIN procedure_etapes e \
         ON e.departement_id = p.departement_id AND e.procedure_id = p.id WHERE p.departement_id = $1 AND p.type = 'rsa' \
         AND e.etape IN ('ouverture', 'orientation', 'contrat') {filtre} ORDER BY p.id, e.date, e.id"
    ))
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    let mut par: BTreeMap<i64, (Option<i64>, ParcoursRsa)> = BTreeMap::new();
    for r in &rows {
        let Ok(date) = NaiveDate::parse_from_str(&r.get::<String, _>("date"), "%Y-%m-%d") else {
            continue;
        };
        let e = par
            .entry(r.get("id"))
            .or_insert_with(|| (r.get("site_id"), ParcoursRsa::default()));
        match r.get::<String, _>("etape").as_str() {
            "ouverture" if e.1.ouverture.is_none() => e.1.ouverture = Some(date),
            "orientation" if e.1.orientation.is_none() => {
                let v: BTreeMap<String, String> =
                    serde_json::from_str(&r.get::<String, _>("valeurs")).unwrap_or_default();
                e.1.orientation = Some((date, v.get("parcours").cloned().unwrap_or_default()));
            }
            "contrat" if e.1.contrat.is_none() && e.1.orientation.is_some() => {
                e.1.contrat = Some(date)
            }
            _ => {}
        }
    }
    let mut out: BTreeMap<Option<i64>, Vec<ParcoursRsa>> = BTreeMap::new();
    for (_, (site, p)) in par {
        out.entry(site).or_default().push(p);
    }
    Ok(out)
}

/// A step of the demo: its code, date and fields.
type EtapeDemo = (&'static str, String, Vec<(&'static str, &'static str)>);

/// Records a demo scenario's steps through the same decision as an agent's (a step the law refuses
/// is left out).
async fn jouer(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    naissance: Option<NaiveDate>,
    scenario: Vec<EtapeDemo>,
    auteur: i64,
) -> Result<()> {
    use parcours_domain::echeancier::Echeancier;
    use parcours_domain::procedures::{decider, Contexte, EtapeForm};
    let ech = Echeancier::default();
    let today = crate::clock().today();
    for (etape, date, valeurs) in scenario {
        let p = get(conn, dep, id).await?;
        let faites = faites(&etapes(conn, dep, id).await?);
        let en_cours = echeances(conn, dep, id).await?;
        let form = EtapeForm {
            etape: etape.into(),
            date,
            valeurs: valeurs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            commentaire: String::new(),
        };
        let ctx = Contexte {
            type_: p.type_,
            faites: &faites,
            echeances: &en_cours,
            naissance,
        };
        if let Ok(d) = decider(&ech, ctx, &form, today) {
            record(conn, dep, &p, &d, Some(auteur)).await?;
        }
    }
    Ok(())
}

/// Procedures of the demo département on its dossiers (RSA at every stage, some late; MASP
/// contracts; evictions after a commandement de payer), recorded through the same decision as the
/// pages, so that each role lands on due dates to follow. Returns how many were opened.
pub async fn seed_demo(conn: &mut Conn, dep: &str) -> Result<usize> {
    let today = crate::clock().today();
    let rows = sqlx::query(
        "SELECT d.id, d.personne_id, r.agent_id, s.site_id, s.service_id FROM dossiers d \
         JOIN dossier_referents r ON r.departement_id = d.departement_id AND r.dossier_id = d.id AND r.jusqu_au IS NULL \
         JOIN dossier_services s ON s.departement_id = d.departement_id AND s.dossier_id = d.id \
         AND s.service_id = r.service_id AND s.jusqu_au IS NULL \
         WHERE d.departement_id = $1 AND d.personne_id IS NOT NULL AND d.clos_le IS NULL ORDER BY d.id LIMIT 400",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    let jour = |n: i64| (today - chrono::Duration::days(n)).to_string();
    let mut n = 0;
    for (i, r) in rows.iter().enumerate() {
        let i = i as i64;
        let type_ = match i % 4 {
            0 | 1 => TypeProcedure::Rsa,
            2 => TypeProcedure::Masp,
            _ => TypeProcedure::Expulsion,
        };
        let personne: i64 = r.get("personne_id");
        let secteur_id = crate::personnes::secteur_actuel(conn, dep, personne).await?;
        let referent: i64 = r.get("agent_id");
        let id = create(
            conn,
            dep,
            &NewProcedure {
                dossier_id: r.get("id"),
                type_,
                service_id: r.get("service_id"),
                site_id: r.get("site_id"),
                secteur_id,
                referent_id: Some(referent),
                motif_depassement: None,
                ouverte_le: today,
                created_by: Some(referent),
            },
        )
        .await?;
        let debut = 10 + (i * 7) % 90;
        let scenario: Vec<EtapeDemo> = match type_ {
            TypeProcedure::Rsa => {
                let mut v = vec![("ouverture", jour(debut), vec![])];
                if i % 3 != 0 && debut > 30 {
                    v.push((
                        "orientation",
                        jour(debut - 30),
                        vec![(
                            "parcours",
                            ["social", "socio_professionnel", "professionnel"][(i % 3) as usize],
                        )],
                    ));
                    if i % 2 == 0 && debut > 55 {
                        v.push(("contrat", jour(debut - 55), vec![("heures", "15")]));
                    }
                }
                v
            }
            TypeProcedure::Masp => vec![
                ("proposition", jour(200 + debut), vec![]),
                (
                    "contrat",
                    jour(190 + debut),
                    vec![("duree", "12"), ("gestion", "accompagnement")],
                ),
            ],
            // Informations préoccupantes are seeded by the CRIP on minors (`seed_demo_ip`).
            TypeProcedure::Expulsion | TypeProcedure::Ip => vec![
                (
                    "commandement_payer",
                    jour(debut),
                    vec![("bail", "depuis_2023")],
                ),
                ("ccapex", jour(debut / 2), vec![]),
            ],
        };
        jouer(conn, dep, id, None, scenario, referent).await?;
        n += 1;
    }
    Ok(n + seed_demo_ip(conn, dep).await?)
}

/// Informations préoccupantes at every stage, received by the CRIP about minors of the demo who
/// have a dossier: in evaluation, concluded, referred to the procureur, not an IP.
async fn seed_demo_ip(conn: &mut Conn, dep: &str) -> Result<usize> {
    let today = crate::clock().today();
    let Some(crip) = sqlx::query(
        "SELECT a.id, a.service_id FROM agents a JOIN services s ON s.departement_id = a.departement_id \
         AND s.id = a.service_id WHERE a.departement_id = $1 AND s.kind = 'CRIP' AND a.ferme_le IS NULL ORDER BY a.id LIMIT 1",
    )
    .bind(dep)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(0);
    };
    let (agent, service): (i64, i64) = (crip.get("id"), crip.get("service_id"));
    let majorite = iso_date(today - chrono::Duration::days(18 * 365));
    enfants_demo(conn, dep, agent, service, today).await?;
    let rows = sqlx::query(
        "SELECT d.id, p.date_naissance FROM dossiers d JOIN personnes p ON p.departement_id = d.departement_id \
         AND p.id = d.personne_id WHERE d.departement_id = $1 AND d.clos_le IS NULL AND p.date_naissance > $2 \
         ORDER BY d.id LIMIT 60",
    )
    .bind(dep)
    .bind(&majorite)
    .fetch_all(&mut *conn)
    .await?;
    let jour = |n: i64| (today - chrono::Duration::days(n)).to_string();
    let mut n = 0;
    for (i, r) in rows.iter().enumerate() {
        let i = i as i64;
        let naissance: Option<String> = r.get("date_naissance");
        let naissance = naissance.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
        let id = create(
            conn,
            dep,
            &NewProcedure {
                dossier_id: r.get("id"),
                type_: TypeProcedure::Ip,
                service_id: Some(service),
                site_id: None,
                secteur_id: None,
                referent_id: Some(agent),
                motif_depassement: None,
                ouverte_le: today,
                created_by: Some(agent),
            },
        )
        .await?;
        let recue = 5 + (i * 11) % 300;
        let source = [
            "education",
            "sante",
            "snated_119",
            "police",
            "particulier",
            "anonyme",
        ][(i % 6) as usize];
        let informant = match source {
            "anonyme" | "particulier" => "",
            "education" => "Directrice de l'école élémentaire (démonstration)",
            "sante" => "Service de pédiatrie du centre hospitalier (démonstration)",
            "snated_119" => "SNATED, transmission écrite (démonstration)",
            _ => "Brigade de gendarmerie (démonstration)",
        };
        let danger = [
            "negligences",
            "violences_physiques",
            "education",
            "violences_conjugales",
        ][(i % 4) as usize];
        let mut scenario: Vec<EtapeDemo> = vec![(
            "reception",
            jour(recue),
            vec![
                ("source", source),
                ("danger", danger),
                ("informant", informant),
                (
                    "confidentialite",
                    if source == "particulier" {
                        "oui"
                    } else {
                        "non"
                    },
                ),
            ],
        )];
        match i % 5 {
            // Not an IP: reoriented.
            0 => scenario.push((
                "non_ip",
                jour(recue - 2),
                vec![("orientation", "service_social")],
            )),
            // Danger grave et immédiat.
            1 => scenario.push((
                "saisine",
                jour(recue - 1),
                vec![("motif", "danger_grave"), ("parents_informes", "oui")],
            )),
            _ => {
                scenario.push((
                    "evaluation",
                    jour(recue - 3),
                    vec![("parents_informes", "oui"), ("autres_mineurs", "1")],
                ));
                if recue > 40 {
                    scenario.push(("visite", jour(recue - 30), vec![("mineur_seul", "oui")]));
                }
                // Most conclude within the 3 months, some after.
                let fin = if i % 7 == 0 { 100 } else { 60 };
                if recue > fin + 5 {
                    let conclusion = if i % 2 == 0 {
                        "classement"
                    } else {
                        "proposition"
                    };
                    scenario.push((
                        "rapport",
                        jour(recue - fin),
                        vec![("conclusion", conclusion)],
                    ));
                }
            }
        }
        let conclue = scenario
            .iter()
            .find(|(e, _, _)| *e == "rapport" || *e == "saisine")
            .map(|(_, d, _)| d.clone());
        if let Some(d) = conclue {
            let d = NaiveDate::parse_from_str(&d, "%Y-%m-%d").unwrap_or(today);
            let retour = d + chrono::Duration::days(20 + i % 90);
            if retour <= today && !informant.is_empty() {
                scenario.push(("retour_informant", retour.to_string(), vec![]));
            }
        }
        jouer(conn, dep, id, naissance, scenario, agent).await?;
        n += 1;
    }
    Ok(n)
}

/// The demo's people are adults: the CRIP's demo needs children. Each of the first 40 adults with a
/// dossier gets a child of their family name (synthetic, like every demo person), whose dossier the
/// CRIP opens. Nothing when the demo already has minors with a dossier.
async fn enfants_demo(
    conn: &mut Conn,
    dep: &str,
    crip: i64,
    service: i64,
    today: NaiveDate,
) -> Result<()> {
    use parcours_domain::dossiers::Titulaire;
    use parcours_domain::personnes::{NewPersonne, Sexe};
    const PRENOMS: [(&str, Sexe); 10] = [
        ("Lina", Sexe::Feminin),
        ("Noah", Sexe::Masculin),
        ("Jade", Sexe::Feminin),
        ("Malo", Sexe::Masculin),
        ("Rose", Sexe::Feminin),
        ("Elouan", Sexe::Masculin),
        ("Nina", Sexe::Feminin),
        ("Timéo", Sexe::Masculin),
        ("Louise", Sexe::Feminin),
        ("Gabin", Sexe::Masculin),
    ];
    let majorite = iso_date(today - chrono::Duration::days(18 * 365));
    let mineurs: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM dossiers d JOIN personnes p ON p.departement_id = d.departement_id \
         AND p.id = d.personne_id WHERE d.departement_id = $1 AND p.date_naissance > $2",
    )
    .bind(dep)
    .bind(&majorite)
    .fetch_one(&mut *conn)
    .await?
    .get("n");
    if mineurs > 0 {
        return Ok(());
    }
    let parents = sqlx::query(
        "SELECT p.nom_naissance FROM dossiers d JOIN personnes p ON p.departement_id = d.departement_id \
         AND p.id = d.personne_id WHERE d.departement_id = $1 ORDER BY d.id LIMIT 40",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    for (i, r) in parents.iter().enumerate() {
        let (prenom, sexe) = PRENOMS[i % PRENOMS.len()];
        // From a few months to 16 years old; a quarter under 2.
        let jours = if i % 4 == 0 {
            120 + (i as i64 * 37) % 500
        } else {
            800 + (i as i64 * 211) % 5000
        };
        let enfant = crate::personnes::create(
            conn,
            dep,
            &NewPersonne {
                nom_naissance: r.get("nom_naissance"),
                nom_usage: None,
                prenoms: vec![prenom.to_string()],
                sexe,
                date_naissance: Some(today - chrono::Duration::days(jours)),
                lieu_naissance: None,
                nir: None,
                telephones: vec![],
                email: None,
            },
        )
        .await?;
        crate::dossiers::create(
            conn,
            dep,
            Titulaire::Personne(enfant),
            "Protection de l'enfance",
            today,
            service,
            Some(crip),
            crip,
        )
        .await?;
    }
    Ok(())
}

/// A month of a procedure type: procedures opened (first step in the month) and due dates that fell
/// in the month, with those honoured on time.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MoisProcedure {
    /// `AAAA-MM`.
    pub mois: String,
    pub type_: String,
    pub ouvertes: i64,
    /// Due dates of the month already past, honoured or still open (lifted ones left out).
    pub echeances: i64,
    /// Of which honoured on or before their date.
    pub dans_le_delai: i64,
}

/// The informations préoccupantes received from `depuis` on, as the CRIP's figures read them: their
/// steps and their IP_EVAL and IP_FEEDBACK due dates.
pub async fn ip_resumes(
    conn: &mut Conn,
    dep: &str,
    depuis: NaiveDate,
) -> Result<Vec<parcours_domain::procedures::chiffres_ip::ResumeIp>> {
    use parcours_domain::procedures::chiffres_ip::ResumeIp;
    let choisies = "SELECT r.procedure_id FROM procedure_etapes r WHERE r.departement_id = $1 \
         AND r.etape = 'reception' AND r.date >= $2";
    let etapes = sqlx::query(&format!(
        "SELECT p.id, e.etape, e.date, e.valeurs FROM procedures p JOIN procedure_etapes e \
         ON e.departement_id = p.departement_id AND e.procedure_id = p.id \
         WHERE p.departement_id = $1 AND p.type = 'ip' AND p.id IN ({choisies}) ORDER BY p.id, e.date, e.id"
    ))
    .bind(dep)
    .bind(iso_date(depuis))
    .fetch_all(&mut *conn)
    .await?;
    let timers = sqlx::query(&format!(
        "SELECT x.procedure_id, x.regle, x.jour FROM echeances x WHERE x.departement_id = $1 \
         AND x.regle IN ('IP_EVAL', 'IP_FEEDBACK') AND x.procedure_id IN ({choisies}) ORDER BY x.id"
    ))
    .bind(dep)
    .bind(iso_date(depuis))
    .fetch_all(&mut *conn)
    .await?;
    let jour = |s: String| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok();
    let mut par: BTreeMap<i64, ResumeIp> = BTreeMap::new();
    for r in &etapes {
        let Some(date) = jour(r.get("date")) else {
            continue;
        };
        let ip = par.entry(r.get("id")).or_default();
        let valeurs: BTreeMap<String, String> =
            serde_json::from_str(&r.get::<String, _>("valeurs")).unwrap_or_default();
        match r.get::<String, _>("etape").as_str() {
            "reception" => {
                ip.reception = Some(date);
                ip.source = valeurs.get("source").cloned().unwrap_or_default();
            }
            "non_ip" => ip.non_ip = true,
            "evaluation" => ip.evaluation = true,
            "signalement_direct" => ip.signalement_direct = true,
            "rapport" => {
                ip.rapport = Some((date, valeurs.get("conclusion").cloned().unwrap_or_default()))
            }
            "saisine" => ip.saisine = Some(date),
            "retour_informant" => ip.retour_informant = Some(date),
            _ => {}
        }
    }
    for r in &timers {
        let Some(ip) = par.get_mut(&r.get::<i64, _>("procedure_id")) else {
            continue;
        };
        // The latest timer of each rule (an extension moves the due date).
        match r.get::<String, _>("regle").as_str() {
            "IP_EVAL" => ip.echeance_evaluation = jour(r.get("jour")),
            _ => ip.echeance_retour = jour(r.get("jour")),
        }
    }
    Ok(par.into_values().collect())
}

/// Procedures opened and due dates met, by month and type, from `depuis` to yesterday, in the
/// perimeter.
pub async fn par_mois(
    conn: &mut Conn,
    dep: &str,
    perimetre: &Perimetre,
    depuis: NaiveDate,
    aujourdhui: NaiveDate,
) -> Result<Vec<MoisProcedure>> {
    let f = filtre(perimetre);
    let ouvertes = sqlx::query(&format!(
        "SELECT o.type, SUBSTR(o.debut, 1, 7) AS mois, COUNT(*) AS n FROM \
         (SELECT p.type, MIN(e.date) AS debut FROM procedures p JOIN procedure_etapes e \
          ON e.departement_id = p.departement_id AND e.procedure_id = p.id \
          WHERE p.departement_id = $1 {} GROUP BY p.id, p.type) o \
         WHERE o.debut >= $2 AND o.debut < $3 GROUP BY o.type, SUBSTR(o.debut, 1, 7)",
        f.replace("e.", "p.")
    ))
    .bind(dep)
    .bind(iso_date(depuis))
    .bind(iso_date(aujourdhui))
    .fetch_all(&mut *conn)
    .await?;
    let tenues = sqlx::query(&format!(
        "SELECT p.type, SUBSTR(x.jour, 1, 7) AS mois, COUNT(*) AS n, \
         CAST(SUM(CASE WHEN x.etat = 'honoree' AND x.traitee_le <= x.jour THEN 1 ELSE 0 END) AS BIGINT) AS ok \
         FROM echeances x JOIN procedures p ON p.departement_id = x.departement_id AND p.id = x.procedure_id \
         WHERE x.departement_id = $1 AND x.etat IN ('honoree', 'ouverte') AND x.jour >= $2 AND x.jour < $3 {} \
         GROUP BY p.type, SUBSTR(x.jour, 1, 7)",
        f.replace("e.", "x.")
    ))
    .bind(dep)
    .bind(iso_date(depuis))
    .bind(iso_date(aujourdhui))
    .fetch_all(&mut *conn)
    .await?;
    let mut out: BTreeMap<(String, String), MoisProcedure> = BTreeMap::new();
    for r in &ouvertes {
        let (mois, type_): (String, String) = (r.get("mois"), r.get("type"));
        let m = out
            .entry((mois.clone(), type_.clone()))
            .or_insert_with(|| MoisProcedure {
                mois,
                type_,
                ..Default::default()
            });
        m.ouvertes = r.get("n");
    }
    for r in &tenues {
        let (mois, type_): (String, String) = (r.get("mois"), r.get("type"));
        let m = out
            .entry((mois.clone(), type_.clone()))
            .or_insert_with(|| MoisProcedure {
                mois,
                type_,
                ..Default::default()
            });
        m.echeances = r.get("n");
        m.dans_le_delai = r.get("ok");
    }
    Ok(out.into_values().collect())
}
