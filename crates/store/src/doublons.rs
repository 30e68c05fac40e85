//! Persistence of the duplicate review: the queue of likely duplicate pairs (filled by the batch job
//! and by creations, decided by a cadre) and reversible merges. A merge moves every row that points
//! at the absorbed person to the kept one and records which rows moved, so that undoing it puts each
//! row back; the absorbed person stays, marked `fusionnee_dans`, and is no longer found.

use std::collections::BTreeMap;

use parcours_domain::personnes::{PersonneResume, Sexe};
use sqlx::Row;

use crate::{now, on_unique, touched, Conn, Result, StoreError};

/// The tables whose rows belong to a person, with the column that names them. Rows keep their id
/// when they move, which is what makes the undo exact.
pub const TABLES_PERSONNE: &[(&str, &str)] = &[
    ("personne_contacts", "personne_id"),
    ("personne_situations", "personne_id"),
    ("adresses", "personne_id"),
    ("foyer_membres", "personne_id"),
    ("dossiers", "personne_id"),
    ("acces_motives", "personne_id"),
    ("consentements", "personne_id"),
    ("demandes_droits", "personne_id"),
    ("rendez_vous", "personne_id"),
    ("agenda_attente", "personne_id"),
    ("accueil_contacts", "personne_id"),
    ("appui_demandes", "personne_id"),
    ("rgpd_transmissions", "personne_id"),
    // Unique per session: a person registered twice under two fiches makes the merge fail (nothing
    // is written) until one registration is removed.
    ("agenda_participants", "personne_id"),
];

/// Why a merge is refused.
#[derive(Debug, thiserror::Error)]
pub enum FusionError {
    #[error("Une personne ne peut pas être fusionnée avec elle-même.")]
    MemePersonne,
    #[error("Cette personne a déjà été fusionnée dans une autre.")]
    DejaFusionnee,
    #[error("Cette fusion a déjà été annulée.")]
    DejaAnnulee,
    #[error("Une fusion plus récente concerne ces personnes : annulez-la d'abord.")]
    FusionPosterieure,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for FusionError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(e))
    }
}

/// Adds a pair to the review queue (the smaller id first); a pair already known keeps its status.
pub async fn candidat_add(conn: &mut Conn, dep: &str, a: i64, b: i64, score: f64) -> Result<bool> {
    let (a, b) = if a < b { (a, b) } else { (b, a) };
    if a == b {
        return Ok(false);
    }
    let done = sqlx::query(
        "INSERT INTO doublons_candidats (departement_id, personne_a, personne_b, score, statut, detecte_le) \
         VALUES ($1, $2, $3, $4, 'a_examiner', $5) ON CONFLICT (departement_id, personne_a, personne_b) DO NOTHING",
    )
    .bind(dep)
    .bind(a)
    .bind(b)
    .bind(score)
    .bind(now())
    .execute(&mut *conn)
    .await
    .map_err(on_unique("personne_b"))?;
    Ok(done.rows_affected() > 0)
}

/// A pair of the queue with the two people.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Candidat {
    pub id: i64,
    pub a: PersonneResume,
    pub b: PersonneResume,
    pub score: f64,
    pub statut: String,
    pub detecte_le: String,
}

/// The pairs with the given status, best score first, with their total count.
pub async fn candidats(
    conn: &mut Conn,
    dep: &str,
    statut: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Candidat>, i64)> {
    let total: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM doublons_candidats WHERE departement_id = $1 AND statut = $2",
    )
    .bind(dep)
    .bind(statut)
    .fetch_one(&mut *conn)
    .await?
    .get("n");
    let rows = sqlx::query(&format!(
        "SELECT c.id, c.score, c.statut, c.detecte_le, \
         a.id AS a_id, a.nom_naissance AS a_nn, a.nom_usage AS a_nu, a.prenoms AS a_pr, a.sexe AS a_sx, a.date_naissance AS a_dn, \
         b.id AS b_id, b.nom_naissance AS b_nn, b.nom_usage AS b_nu, b.prenoms AS b_pr, b.sexe AS b_sx, b.date_naissance AS b_dn \
         FROM doublons_candidats c \
         JOIN personnes a ON a.departement_id = c.departement_id AND a.id = c.personne_a \
         JOIN personnes b ON b.departement_id = c.departement_id AND b.id = c.personne_b \
         WHERE c.departement_id = $1 AND c.statut = $2 ORDER BY c.score DESC, c.id LIMIT {} OFFSET {}",
        limit.clamp(1, 500),
        offset.max(0)
    ))
    .bind(dep)
    .bind(statut)
    .fetch_all(&mut *conn)
    .await?;
    let person = |r: &sqlx::any::AnyRow, p: &str| -> PersonneResume {
        PersonneResume {
            id: r.get(format!("{p}_id").as_str()),
            nom_naissance: r.get(format!("{p}_nn").as_str()),
            nom_usage: r.get(format!("{p}_nu").as_str()),
            prenoms: parcours_domain::personnes::split_prenoms(
                &r.get::<String, _>(format!("{p}_pr").as_str()),
            ),
            sexe: Sexe::from_code(r.get(format!("{p}_sx").as_str())).unwrap_or(Sexe::Inconnu),
            date_naissance: r
                .get::<Option<String>, _>(format!("{p}_dn").as_str())
                .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
        }
    };
    let list = rows
        .iter()
        .map(|r| Candidat {
            id: r.get("id"),
            a: person(r, "a"),
            b: person(r, "b"),
            score: r.get("score"),
            statut: r.get("statut"),
            detecte_le: r.get("detecte_le"),
        })
        .collect();
    Ok((list, total))
}

/// The two people of a pair, its status and its score.
pub async fn candidat_get(conn: &mut Conn, dep: &str, id: i64) -> Result<(i64, i64, String, f64)> {
    let r = sqlx::query(
        "SELECT personne_a, personne_b, statut, score FROM doublons_candidats WHERE departement_id = $1 AND id = $2",
    )
    .bind(dep)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok((
        r.get("personne_a"),
        r.get("personne_b"),
        r.get("statut"),
        r.get("score"),
    ))
}

/// Records the cadre's decision on a pair still to review (`distincts` or `fusionnes`).
pub async fn candidat_decider(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    statut: &str,
    by: i64,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE doublons_candidats SET statut = $1, decide_par = $2, decide_le = $3 \
         WHERE departement_id = $4 AND id = $5 AND statut = 'a_examiner'",
    )
    .bind(statut)
    .bind(by)
    .bind(now())
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    touched(done.rows_affected(), StoreError::Conflict("statut"))
}

pub async fn fusionnee_dans(conn: &mut Conn, dep: &str, id: i64) -> Result<Option<i64>> {
    let r =
        sqlx::query("SELECT fusionnee_dans FROM personnes WHERE departement_id = $1 AND id = $2")
            .bind(dep)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
    Ok(r.get("fusionnee_dans"))
}

/// Merges `absorbee` into `gardee`: every row of `TABLES_PERSONNE` moves, the absorbed person is
/// marked, the pairs between them are decided. Returns the merge id (for the undo) and the moves.
pub async fn fusionner(
    conn: &mut Conn,
    dep: &str,
    gardee: i64,
    absorbee: i64,
    by: i64,
) -> Result<(i64, BTreeMap<String, Vec<i64>>), FusionError> {
    if gardee == absorbee {
        return Err(FusionError::MemePersonne);
    }
    if fusionnee_dans(conn, dep, gardee).await?.is_some()
        || fusionnee_dans(conn, dep, absorbee).await?.is_some()
    {
        return Err(FusionError::DejaFusionnee);
    }
    let mut mouvements: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (table, col) in TABLES_PERSONNE {
        // Table and column names come from the constant above, never from input.
        let ids: Vec<i64> = sqlx::query(&format!(
            "SELECT id FROM {table} WHERE departement_id = $1 AND {col} = $2 ORDER BY id"
        ))
        .bind(dep)
        .bind(absorbee)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.get("id"))
        .collect();
        if ids.is_empty() {
            continue;
        }
        sqlx::query(&format!(
            "UPDATE {table} SET {col} = $1 WHERE departement_id = $2 AND {col} = $3"
        ))
        .bind(gardee)
        .bind(dep)
        .bind(absorbee)
        .execute(&mut *conn)
        .await
        .map_err(on_unique("personne"))?;
        mouvements.insert((*table).to_string(), ids);
    }
    sqlx::query("UPDATE personnes SET fusionnee_dans = $1, updated_at = $2 WHERE departement_id = $3 AND id = $4")
        .bind(gardee)
        .bind(now())
        .bind(dep)
        .bind(absorbee)
        .execute(&mut *conn)
        .await?;
    let (a, b) = if gardee < absorbee {
        (gardee, absorbee)
    } else {
        (absorbee, gardee)
    };
    sqlx::query(
        "UPDATE doublons_candidats SET statut = 'fusionnes', decide_par = $1, decide_le = $2 \
         WHERE departement_id = $3 AND personne_a = $4 AND personne_b = $5 AND statut = 'a_examiner'",
    )
    .bind(by)
    .bind(now())
    .bind(dep)
    .bind(a)
    .bind(b)
    .execute(&mut *conn)
    .await?;
    let json = serde_json::to_string(&mouvements).map_err(|e| StoreError::Other(e.into()))?;
    let id: i64 = sqlx::query(
        "INSERT INTO fusions (departement_id, gardee_id, absorbee_id, mouvements, par_id, le) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(dep)
    .bind(gardee)
    .bind(absorbee)
    .bind(json)
    .bind(by)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?
    .get("id");
    Ok((id, mouvements))
}

/// A merge as listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Fusion {
    pub id: i64,
    pub gardee_id: i64,
    pub absorbee_id: i64,
    pub le: String,
    pub annulee_le: Option<String>,
    pub lignes: usize,
}

pub async fn fusions(conn: &mut Conn, dep: &str, limit: i64) -> Result<Vec<Fusion>> {
    let rows = sqlx::query(&format!(
        "SELECT id, gardee_id, absorbee_id, le, annulee_le, mouvements FROM fusions WHERE departement_id = $1 \
         ORDER BY id DESC LIMIT {}",
        limit.clamp(1, 500)
    ))
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let m: BTreeMap<String, Vec<i64>> =
                serde_json::from_str(&r.get::<String, _>("mouvements")).unwrap_or_default();
            Fusion {
                id: r.get("id"),
                gardee_id: r.get("gardee_id"),
                absorbee_id: r.get("absorbee_id"),
                le: r.get("le"),
                annulee_le: r.get("annulee_le"),
                lignes: m.values().map(Vec::len).sum(),
            }
        })
        .collect())
}

/// Undoes a merge: each moved row goes back to the absorbed person, who is found again. Refused when a
/// later merge involves either person (undo that one first). Returns (gardee, absorbee).
pub async fn annuler(
    conn: &mut Conn,
    dep: &str,
    fusion_id: i64,
    by: i64,
) -> Result<(i64, i64), FusionError> {
    let r = sqlx::query(
        "SELECT gardee_id, absorbee_id, mouvements, annulee_le FROM fusions WHERE departement_id = $1 AND id = $2",
    )
    .bind(dep)
    .bind(fusion_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    if r.get::<Option<String>, _>("annulee_le").is_some() {
        return Err(FusionError::DejaAnnulee);
    }
    let gardee: i64 = r.get("gardee_id");
    let absorbee: i64 = r.get("absorbee_id");
    let later: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM fusions WHERE departement_id = $1 AND id > $2 AND annulee_le IS NULL \
         AND (gardee_id IN ($3, $4) OR absorbee_id IN ($3, $4))",
    )
    .bind(dep)
    .bind(fusion_id)
    .bind(gardee)
    .bind(absorbee)
    .fetch_one(&mut *conn)
    .await?
    .get("n");
    if later > 0 {
        return Err(FusionError::FusionPosterieure);
    }
    let mouvements: BTreeMap<String, Vec<i64>> =
        serde_json::from_str(&r.get::<String, _>("mouvements"))
            .map_err(|e| StoreError::Other(e.into()))?;
    for (table, col) in TABLES_PERSONNE {
        let Some(ids) = mouvements.get(*table) else {
            continue;
        };
        for chunk in ids.chunks(500) {
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            sqlx::query(&format!(
                "UPDATE {table} SET {col} = $1 WHERE departement_id = $2 AND {col} = $3 AND id IN ({list})"
            ))
            .bind(absorbee)
            .bind(dep)
            .bind(gardee)
            .execute(&mut *conn)
            .await?;
        }
    }
    sqlx::query("UPDATE personnes SET fusionnee_dans = NULL, updated_at = $1 WHERE departement_id = $2 AND id = $3")
        .bind(now())
        .bind(dep)
        .bind(absorbee)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE fusions SET annulee_par = $1, annulee_le = $2 WHERE departement_id = $3 AND id = $4")
        .bind(by)
        .bind(now())
        .bind(dep)
        .bind(fusion_id)
        .execute(&mut *conn)
        .await?;
    Ok((gardee, absorbee))
}

/// Every person of the département not merged away, as records for the matcher, with progress.
pub async fn personnes_pour_appariement(
    conn: &mut Conn,
    dep: &str,
) -> Result<
    Vec<(
        i64,
        PersonneResume,
        Option<String>,
        Option<(String, String)>,
    )>,
> {
    let rows = sqlx::query(
        "SELECT p.id, p.nom_naissance, p.nom_usage, p.prenoms, p.sexe, p.date_naissance, p.commune_naissance, \
         (SELECT a.lignes || '|' || a.code_postal FROM adresses a WHERE a.departement_id = p.departement_id \
          AND a.personne_id = p.id ORDER BY a.valid_from DESC, a.id DESC LIMIT 1) AS adresse \
         FROM personnes p WHERE p.departement_id = $1 AND p.fusionnee_dans IS NULL ORDER BY p.id",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let id: i64 = r.get("id");
            let resume = PersonneResume {
                id,
                nom_naissance: r.get("nom_naissance"),
                nom_usage: r.get("nom_usage"),
                prenoms: parcours_domain::personnes::split_prenoms(&r.get::<String, _>("prenoms")),
                sexe: Sexe::from_code(r.get("sexe")).unwrap_or(Sexe::Inconnu),
                date_naissance: r
                    .get::<Option<String>, _>("date_naissance")
                    .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            };
            let adresse = r.get::<Option<String>, _>("adresse").and_then(|a| {
                a.split_once('|')
                    .map(|(l, c)| (l.replace('\n', " "), c.to_string()))
            });
            (id, resume, r.get("commune_naissance"), adresse)
        })
        .collect())
}

/// A run of the batch analysis.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Analyse {
    pub id: i64,
    pub statut: String,
    pub progression: Option<String>,
    pub personnes: Option<i64>,
    pub paires: Option<i64>,
    pub nouvelles: Option<i64>,
    pub lancee_le: String,
    pub terminee_le: Option<String>,
}

pub async fn analyse_create(conn: &mut Conn, dep: &str, by: i64) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO doublons_analyses (departement_id, statut, lancee_par, lancee_le) VALUES ($1, 'en_attente', $2, $3) \
         RETURNING id",
    )
    .bind(dep)
    .bind(by)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

/// Records where a run stands (`terminee` and `echec` also stamp the end).
#[allow(clippy::too_many_arguments)]
pub async fn analyse_update(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    statut: &str,
    progression: &str,
    personnes: Option<i64>,
    paires: Option<i64>,
    nouvelles: Option<i64>,
) -> Result<()> {
    let fin = matches!(statut, "terminee" | "echec").then(now);
    sqlx::query(
        "UPDATE doublons_analyses SET statut = $1, progression = $2, personnes = COALESCE($3, personnes), \
         paires = COALESCE($4, paires), nouvelles = COALESCE($5, nouvelles), terminee_le = COALESCE($6, terminee_le) \
         WHERE departement_id = $7 AND id = $8",
    )
    .bind(statut)
    .bind(progression)
    .bind(personnes)
    .bind(paires)
    .bind(nouvelles)
    .bind(fin)
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn analyse_get(conn: &mut Conn, dep: &str, id: i64) -> Result<Analyse> {
    analyses(conn, dep, Some(id), 1)
        .await?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)
}

/// The latest runs, most recent first (or one run by id).
pub async fn analyses(
    conn: &mut Conn,
    dep: &str,
    id: Option<i64>,
    limit: i64,
) -> Result<Vec<Analyse>> {
    let rows = sqlx::query(&format!(
        "SELECT id, statut, progression, personnes, paires, nouvelles, lancee_le, terminee_le FROM doublons_analyses \
         WHERE departement_id = $1{} ORDER BY id DESC LIMIT {}",
        if id.is_some() { " AND id = $2" } else { "" },
        limit.clamp(1, 100)
    ))
    .bind(dep)
    .bind(id.unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Analyse {
            id: r.get("id"),
            statut: r.get("statut"),
            progression: r.get("progression"),
            personnes: r.get("personnes"),
            paires: r.get("paires"),
            nouvelles: r.get("nouvelles"),
            lancee_le: r.get("lancee_le"),
            terminee_le: r.get("terminee_le"),
        })
        .collect())
}
