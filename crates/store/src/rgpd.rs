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

/// One request of the register the DPO keeps (RGPD art. 30 and 12.3): when it came, what right,
/// its deadline and answer, who recorded it — not whom it is about.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemandeRegistre {
    pub demande: Demande,
    pub par: String,
}

/// Every request for a right of the département, latest first, at most `limit`, and their number.
pub async fn registre(
    conn: &mut Conn,
    dep: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<DemandeRegistre>, i64)> {
    let total: i64 = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM demandes_droits WHERE departement_id = $1",
    )
    .bind(dep)
    .fetch_one(&mut *conn)
    .await?
    .get("n");
    let rows = sqlx::query(
        "SELECT d.id, d.droit, d.recue_le, d.echeance, d.prolongee, d.repondue_le, \
         a.prenom || ' ' || a.nom AS par FROM demandes_droits d \
         JOIN agents a ON a.departement_id = d.departement_id AND a.id = d.par_id \
         WHERE d.departement_id = $1 ORDER BY d.recue_le DESC, d.id DESC LIMIT $2 OFFSET $3",
    )
    .bind(dep)
    .bind(limit.clamp(1, 1000))
    .bind(offset.max(0))
    .fetch_all(&mut *conn)
    .await?;
    Ok((
        rows.iter()
            .map(|r| DemandeRegistre {
                demande: Demande {
                    id: r.get("id"),
                    droit: r.get("droit"),
                    recue_le: r.get("recue_le"),
                    echeance: r.get("echeance"),
                    prolongee: r.get::<i64, _>("prolongee") == 1,
                    repondue_le: r.get("repondue_le"),
                },
                par: r.get("par"),
            })
            .collect(),
        total,
    ))
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

// ---------------------------------------------------------------------------------------------------
// Pieces of an access request held by other teams

/// The names of the services and sites, to name a team (« Service social (MDS d'Aubier) »).
#[derive(Debug, Clone, Default)]
pub struct EquipesNoms {
    services: std::collections::BTreeMap<i64, String>,
    sites: std::collections::BTreeMap<i64, String>,
}

impl EquipesNoms {
    pub fn nom(&self, service_id: Option<i64>, site_id: Option<i64>) -> String {
        let service = service_id
            .and_then(|s| self.services.get(&s).cloned())
            .unwrap_or_else(|| "Service non renseigné".into());
        parcours_domain::dossiers::secret::Equipe::libelle(
            &service,
            site_id.and_then(|s| self.sites.get(&s)).map(String::as_str),
        )
    }
}

pub async fn equipes_noms(conn: &mut Conn, dep: &str) -> Result<EquipesNoms> {
    let mut n = EquipesNoms::default();
    for r in sqlx::query("SELECT id, nom FROM services WHERE departement_id = $1")
        .bind(dep)
        .fetch_all(&mut *conn)
        .await?
    {
        n.services.insert(r.get("id"), r.get("nom"));
    }
    for r in sqlx::query("SELECT id, nom FROM sites WHERE departement_id = $1")
        .bind(dep)
        .fetch_all(&mut *conn)
        .await?
    {
        n.sites.insert(r.get("id"), r.get("nom"));
    }
    Ok(n)
}

/// Pieces of a person's file that an access export could not include (the exporting agent may not
/// read them), sent to the cadres of the team that holds them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Transmission {
    pub id: i64,
    pub personne_id: i64,
    pub personne_nom: String,
    pub service_id: Option<i64>,
    pub site_id: Option<i64>,
    pub ecrits: Vec<i64>,
    pub documents: Vec<i64>,
    pub demandee_par: String,
    pub created_at: String,
    pub traitee_le: Option<String>,
}

// One row per team and export: the arguments are its columns.
#[allow(clippy::too_many_arguments)]
pub async fn transmission_add(
    conn: &mut Conn,
    dep: &str,
    personne_id: i64,
    service_id: Option<i64>,
    site_id: Option<i64>,
    ecrits: &[i64],
    documents: &[i64],
    par: Option<i64>,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO rgpd_transmissions (departement_id, personne_id, service_id, site_id, ecrits, documents, \
         demandee_par, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(dep)
    .bind(personne_id)
    .bind(service_id)
    .bind(site_id)
    .bind(serde_json::to_string(ecrits).unwrap_or_default())
    .bind(serde_json::to_string(documents).unwrap_or_default())
    .bind(par)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

/// The transmissions addressed to the teams of a cadre: their service, in one of their sites (or the
/// whole service for a team without site), pending first, then the last ones handled.
pub async fn transmissions_pour(
    conn: &mut Conn,
    dep: &str,
    service_id: i64,
    site_ids: &[i64],
) -> Result<Vec<Transmission>> {
    let sites = if site_ids.is_empty() {
        "NULL".to_string()
    } else {
        site_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let rows = sqlx::query(&format!(
        "SELECT t.id, t.personne_id, p.nom_naissance, p.prenoms, t.service_id, t.site_id, t.ecrits, t.documents, \
         a.prenom, a.nom, t.created_at, t.traitee_le FROM rgpd_transmissions t \
         JOIN personnes p ON p.departement_id = t.departement_id AND p.id = t.personne_id \
         LEFT JOIN agents a ON a.departement_id = t.departement_id AND a.id = t.demandee_par \
         WHERE t.departement_id = $1 AND t.service_id = $2 AND (t.site_id IS NULL OR t.site_id IN ({sites})) \
         ORDER BY t.traitee_le IS NOT NULL, t.created_at DESC, t.id DESC LIMIT 200"
    ))
    .bind(dep)
    .bind(service_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let ids = |c: &str| serde_json::from_str(&r.get::<String, _>(c)).unwrap_or_default();
            let prenoms: String = r.get("prenoms");
            Transmission {
                id: r.get("id"),
                personne_id: r.get("personne_id"),
                personne_nom: format!(
                    "{} {}",
                    r.get::<String, _>("nom_naissance").to_uppercase(),
                    prenoms.split(',').next().unwrap_or_default().trim()
                ),
                service_id: r.get("service_id"),
                site_id: r.get("site_id"),
                ecrits: ids("ecrits"),
                documents: ids("documents"),
                demandee_par: match (
                    r.get::<Option<String>, _>("prenom"),
                    r.get::<Option<String>, _>("nom"),
                ) {
                    (Some(p), Some(n)) => format!("{p} {n}"),
                    _ => "—".into(),
                },
                created_at: r.get("created_at"),
                traitee_le: r.get("traitee_le"),
            }
        })
        .collect())
}

/// Marks a transmission handled (the team examined the pieces and answered the person).
pub async fn transmission_traiter(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    service_id: i64,
    site_ids: &[i64],
    par: i64,
) -> Result<()> {
    let t = transmissions_pour(conn, dep, service_id, site_ids)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(StoreError::NotFound)?;
    if t.traitee_le.is_some() {
        return Err(StoreError::Conflict("traitee_le"));
    }
    let done = sqlx::query(
        "UPDATE rgpd_transmissions SET traitee_le = $1, traitee_par = $2 WHERE departement_id = $3 AND id = $4 \
         AND traitee_le IS NULL",
    )
    .bind(now())
    .bind(par)
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    touched(done.rows_affected(), StoreError::Conflict("traitee_le"))
}
