//! Persistence of the RGPD records: consents, access requests with their deadline, and the retention
//! passes (a simulation first, then its application with the archives' visa) that archive and then
//! anonymise closed dossiers.

use chrono::NaiveDate;
use parcours_domain::rgpd::{echeance_acces, NewConsentement, ObjetConsentement, Regles, Sort};
use sqlx::Row;

use crate::iso_date as iso;
use crate::{now, touched, Conn, Result, StoreError};

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Consentement {
    pub id: i64,
    pub objet: String,
    pub donne: bool,
    pub mode: String,
    pub le: String,
    pub par: String,
}

pub async fn consentement_add(
    conn: &mut Conn,
    dep: &str,
    personne_id: i64,
    c: &NewConsentement,
    par: i64,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO consentements (departement_id, personne_id, objet, donne, mode, le, par_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(dep)
    .bind(personne_id)
    .bind(c.objet.code())
    .bind(i64::from(c.donne))
    .bind(c.mode)
    .bind(iso(c.le))
    .bind(par)
    .fetch_one(&mut *conn)
    .await
    .map_err(crate::on_unique("objet"))?;
    Ok(r.get("id"))
}

/// Every consent recorded for the person, latest first (the latest per object is the one in force).
pub async fn consentements(
    conn: &mut Conn,
    dep: &str,
    personne_id: i64,
) -> Result<Vec<Consentement>> {
    let rows = sqlx::query(
        "SELECT c.id, c.objet, c.donne, c.mode, c.le, a.prenom, a.nom FROM consentements c \
         JOIN agents a ON a.departement_id = c.departement_id AND a.id = c.par_id \
         WHERE c.departement_id = $1 AND c.personne_id = $2 ORDER BY c.le DESC, c.id DESC",
    )
    .bind(dep)
    .bind(personne_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Consentement {
            id: r.get("id"),
            objet: ObjetConsentement::parse(&r.get::<String, _>("objet"))
                .map(|o| o.libelle().to_string())
                .unwrap_or_else(|| r.get("objet")),
            donne: r.get::<i64, _>("donne") == 1,
            mode: r.get("mode"),
            le: r.get("le"),
            par: format!(
                "{} {}",
                r.get::<String, _>("prenom"),
                r.get::<String, _>("nom")
            ),
        })
        .collect())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Demande {
    pub id: i64,
    pub droit: String,
    pub recue_le: String,
    pub echeance: String,
    pub prolongee: bool,
    pub repondue_le: Option<String>,
}

pub async fn demande_add(
    conn: &mut Conn,
    dep: &str,
    personne_id: i64,
    recue_le: NaiveDate,
    par: i64,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO demandes_droits (departement_id, personne_id, droit, recue_le, echeance, prolongee, par_id) \
         VALUES ($1, $2, 'acces', $3, $4, 0, $5) RETURNING id",
    )
    .bind(dep)
    .bind(personne_id)
    .bind(iso(recue_le))
    .bind(iso(echeance_acces(recue_le, false)))
    .bind(par)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

pub async fn demandes(conn: &mut Conn, dep: &str, personne_id: i64) -> Result<Vec<Demande>> {
    let rows = sqlx::query(
        "SELECT id, droit, recue_le, echeance, prolongee, repondue_le FROM demandes_droits \
         WHERE departement_id = $1 AND personne_id = $2 ORDER BY recue_le DESC, id DESC",
    )
    .bind(dep)
    .bind(personne_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Demande {
            id: r.get("id"),
            droit: r.get("droit"),
            recue_le: r.get("recue_le"),
            echeance: r.get("echeance"),
            prolongee: r.get::<i64, _>("prolongee") == 1,
            repondue_le: r.get("repondue_le"),
        })
        .collect())
}

/// Extends the deadline to three months (the person must be told within the first month: the caller
/// refuses it after the first deadline).
pub async fn demande_prolonger(
    conn: &mut Conn,
    dep: &str,
    personne_id: i64,
    id: i64,
) -> Result<()> {
    let r = sqlx::query(
        "SELECT recue_le FROM demandes_droits WHERE departement_id = $1 AND personne_id = $2 AND id = $3 \
         AND prolongee = 0 AND repondue_le IS NULL",
    )
    .bind(dep)
    .bind(personne_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::Conflict("prolongee"))?;
    let recue = date(&r.get::<String, _>("recue_le")).ok_or(StoreError::NotFound)?;
    let done = sqlx::query(
        "UPDATE demandes_droits SET prolongee = 1, echeance = $1 WHERE departement_id = $2 AND id = $3",
    )
    .bind(iso(echeance_acces(recue, true)))
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    touched(done.rows_affected(), StoreError::NotFound)
}

pub async fn demande_repondre(conn: &mut Conn, dep: &str, personne_id: i64, id: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE demandes_droits SET repondue_le = $1 WHERE departement_id = $2 AND personne_id = $3 AND id = $4 \
         AND repondue_le IS NULL",
    )
    .bind(now())
    .bind(dep)
    .bind(personne_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    touched(done.rows_affected(), StoreError::Conflict("repondue_le"))
}

// ---------------------------------------------------------------------------------------------------
// Retention

/// A dossier the rules act on, with why.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Decision {
    pub dossier_id: i64,
    pub intitule: String,
    pub clos_le: Option<String>,
    pub derniere_activite: String,
    /// `archiver` or `anonymiser`.
    pub sort: String,
}

/// What the rules would do today on every dossier of the département (nothing is changed).
pub async fn simuler(
    conn: &mut Conn,
    dep: &str,
    regles: &Regles,
    today: NaiveDate,
) -> Result<Vec<Decision>> {
    let rows = sqlx::query(
        "SELECT d.id, d.intitule, d.ouvert_le, d.clos_le, d.archive_le, \
         (SELECT MAX(v.date_evenement) FROM ecrits e JOIN ecrit_versions v ON v.departement_id = e.departement_id \
          AND v.ecrit_id = e.id WHERE e.departement_id = d.departement_id AND e.dossier_id = d.id) AS dernier_ecrit \
         FROM dossiers d WHERE d.departement_id = $1 AND d.clos_le IS NOT NULL AND d.anonymise_le IS NULL ORDER BY d.id",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let clos: Option<String> = r.get("clos_le");
        let ouvert: String = r.get("ouvert_le");
        let dernier: Option<String> = r.get("dernier_ecrit");
        let activite = dernier
            .as_deref()
            .and_then(date)
            .into_iter()
            .chain(date(&ouvert))
            .max()
            .unwrap_or(today);
        let archive = r
            .get::<Option<String>, _>("archive_le")
            .as_deref()
            .and_then(date);
        let sort = regles.decider(today, clos.as_deref().and_then(date), activite, archive);
        let code = match sort {
            Sort::Actif => continue,
            Sort::Archiver => "archiver",
            Sort::Anonymiser => "anonymiser",
        };
        out.push(Decision {
            dossier_id: r.get("id"),
            intitule: r.get("intitule"),
            clos_le: clos,
            derniere_activite: iso(activite),
            sort: code.into(),
        });
    }
    Ok(out)
}

/// Carries out one decision: archiving stamps the dossier; anonymisation replaces the texts of its
/// écrits, empties its documents and stamps it. Idempotent.
pub async fn appliquer(conn: &mut Conn, dep: &str, d: &Decision) -> Result<()> {
    let at = now();
    match d.sort.as_str() {
        "archiver" => {
            sqlx::query("UPDATE dossiers SET archive_le = $1 WHERE departement_id = $2 AND id = $3 AND archive_le IS NULL")
                .bind(&at)
                .bind(dep)
                .bind(d.dossier_id)
                .execute(&mut *conn)
                .await?;
        }
        "anonymiser" => {
            sqlx::query(
                "UPDATE ecrit_versions SET texte = '[anonymisé]', motif = NULL WHERE departement_id = $1 AND ecrit_id IN \
                 (SELECT id FROM ecrits WHERE departement_id = $1 AND dossier_id = $2)",
            )
            .bind(dep)
            .bind(d.dossier_id)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "UPDATE documents SET contenu = $1, nom_fichier = '[anonymisé]', taille = 0 WHERE departement_id = $2 AND dossier_id = $3",
            )
            .bind(Vec::<u8>::new())
            .bind(dep)
            .bind(d.dossier_id)
            .execute(&mut *conn)
            .await?;
            sqlx::query("UPDATE plan_items SET libelle = '[anonymisé]', resultat = NULL WHERE departement_id = $1 AND dossier_id = $2")
                .bind(dep)
                .bind(d.dossier_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("UPDATE dossiers SET anonymise_le = $1, intitule = '[anonymisé]' WHERE departement_id = $2 AND id = $3")
                .bind(&at)
                .bind(dep)
                .bind(d.dossier_id)
                .execute(&mut *conn)
                .await?;
        }
        _ => {}
    }
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Passe {
    pub id: i64,
    pub mode: String,
    pub statut: String,
    pub simulation_id: Option<i64>,
    pub visa: Option<String>,
    pub decisions: Vec<Decision>,
    pub lancee_le: String,
    pub terminee_le: Option<String>,
}

pub async fn passe_create(
    conn: &mut Conn,
    dep: &str,
    mode: &str,
    simulation_id: Option<i64>,
    visa: Option<&str>,
    by: i64,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO conservation_passes (departement_id, mode, statut, simulation_id, visa, lancee_par, lancee_le) \
         VALUES ($1, $2, 'en_attente', $3, $4, $5, $6) RETURNING id",
    )
    .bind(dep)
    .bind(mode)
    .bind(simulation_id)
    .bind(visa)
    .bind(by)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

pub async fn passe_finish(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    decisions: &[Decision],
) -> Result<()> {
    let rapport = serde_json::to_string(decisions).map_err(|e| StoreError::Other(e.into()))?;
    sqlx::query(
        "UPDATE conservation_passes SET statut = 'terminee', rapport = $1, terminee_le = $2 WHERE departement_id = $3 AND id = $4",
    )
    .bind(rapport)
    .bind(now())
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn passes(conn: &mut Conn, dep: &str, id: Option<i64>, limit: i64) -> Result<Vec<Passe>> {
    let rows = sqlx::query(&format!(
        "SELECT id, mode, statut, simulation_id, visa, rapport, lancee_le, terminee_le FROM conservation_passes \
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
        .map(|r| Passe {
            id: r.get("id"),
            mode: r.get("mode"),
            statut: r.get("statut"),
            simulation_id: r.get("simulation_id"),
            visa: r.get("visa"),
            decisions: r
                .get::<Option<String>, _>("rapport")
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default(),
            lancee_le: r.get("lancee_le"),
            terminee_le: r.get("terminee_le"),
        })
        .collect())
}
