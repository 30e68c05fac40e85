//! Persistence of the desk log (« main courante de l'accueil »): one row per contact, at a site or one
//! of its permanences, with or without a known person.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use parcours_domain::accueil::{
    Canal, Lieu, MotifDemande, NewContact, NewMotif, Reponse, Typologie,
};
use parcours_domain::agenda::heure;
use sqlx::Row;

use crate::{now, on_unique, touched, Conn, Result, StoreError};

/// One contact of the log, as the day's list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub id: i64,
    pub moment: NaiveDateTime,
    pub canal: Canal,
    pub site_id: i64,
    pub permanence: Option<String>,
    pub personne_id: Option<i64>,
    /// « NOM Prénoms » of the person, `None` for an anonymous contact.
    pub personne: Option<String>,
    pub typologie: Typologie,
    /// The département's motif the desk chose, if any.
    pub motif: Option<String>,
    pub reponse: Reponse,
    pub partenaire: Option<String>,
    pub attente_minutes: Option<i64>,
}

/// The site a place belongs to: the site itself, or the site of the permanence. `None` when the place
/// is unknown or closed in this département.
pub async fn site_of(conn: &mut Conn, dep: &str, lieu: Lieu) -> Result<Option<i64>> {
    let row = match lieu {
        Lieu::Site(id) => {
            sqlx::query(
                "SELECT id AS site_id FROM sites WHERE departement_id = $1 AND id = $2 AND ferme_le IS NULL",
            )
            .bind(dep)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
        }
        Lieu::Permanence(id) => {
            sqlx::query(
                "SELECT site_id FROM permanences WHERE departement_id = $1 AND id = $2 AND ferme_le IS NULL",
            )
            .bind(dep)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    Ok(row.map(|r| r.get("site_id")))
}

/// Records a contact at `site_id` (the site of its place, from [`site_of`]); a person unknown in the
/// département is `StoreError::Reference`.
pub async fn create(
    conn: &mut Conn,
    dep: &str,
    c: &NewContact,
    site_id: i64,
    agent_id: Option<i64>,
) -> Result<i64> {
    if let Some(p) = c.personne_id {
        let found = sqlx::query("SELECT id FROM personnes WHERE departement_id = $1 AND id = $2")
            .bind(dep)
            .bind(p)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return Err(StoreError::Reference);
        }
    }
    let permanence_id = match c.lieu {
        Lieu::Permanence(id) => Some(id),
        Lieu::Site(_) => None,
    };
    if let Some(m) = c.motif_id {
        // The single-column reference of SQLite does not see the département: checked here.
        let found = sqlx::query(
            "SELECT id FROM accueil_motifs WHERE departement_id = $1 AND id = $2 AND actif = 1",
        )
        .bind(dep)
        .bind(m)
        .fetch_optional(&mut *conn)
        .await?;
        if found.is_none() {
            return Err(StoreError::Reference);
        }
    }
    let r = sqlx::query(
        "INSERT INTO accueil_contacts (departement_id, site_id, permanence_id, agent_id, personne_id, canal, \
         moment, typologie, reponse, partenaire, attente_minutes, created_at, motif_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(dep)
    .bind(site_id)
    .bind(permanence_id)
    .bind(agent_id)
    .bind(c.personne_id)
    .bind(c.canal.code())
    .bind(heure::format(c.moment))
    .bind(c.typologie.code())
    .bind(c.reponse.code())
    .bind(c.partenaire.as_deref())
    .bind(c.attente_minutes)
    .bind(now())
    .bind(c.motif_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

/// The contacts of one site on one civil day, latest first, paged; with the total count.
pub async fn jour(
    conn: &mut Conn,
    dep: &str,
    site_id: i64,
    date: NaiveDate,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Contact>, i64)> {
    let debut = heure::format(date.and_hms_opt(0, 0, 0).unwrap_or_default());
    let fin = heure::format(
        (date + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default(),
    );
    let total: i64 = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM accueil_contacts \
         WHERE departement_id = $1 AND site_id = $2 AND moment >= $3 AND moment < $4",
    )
    .bind(dep)
    .bind(site_id)
    .bind(&debut)
    .bind(&fin)
    .fetch_one(&mut *conn)
    .await?
    .get("n");
    let rows = sqlx::query(
        &format!("{CONTACT_SQL} WHERE c.departement_id = $1 AND c.site_id = $2 AND c.moment >= $3 AND c.moment < $4 \
         ORDER BY c.moment DESC, c.id DESC LIMIT $5 OFFSET $6"),
    )
    .bind(dep)
    .bind(site_id)
    .bind(&debut)
    .bind(&fin)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    let contacts = rows.iter().map(contact).collect();
    Ok((contacts, total))
}

/// The columns of a contact, its place, its person and its motif (aliases of `contact`).
const CONTACT_SQL: &str = "SELECT c.id, c.moment, c.canal, c.site_id, c.personne_id, c.typologie, c.reponse, c.partenaire, \
     c.attente_minutes, pe.nom AS permanence, p.nom_naissance, p.nom_usage, p.prenoms, m.libelle AS motif \
     FROM accueil_contacts c \
     LEFT JOIN accueil_motifs m ON m.departement_id = c.departement_id AND m.id = c.motif_id \
     LEFT JOIN permanences pe ON pe.departement_id = c.departement_id AND pe.id = c.permanence_id \
     LEFT JOIN personnes p ON p.departement_id = c.departement_id AND p.id = c.personne_id";

fn contact(r: &sqlx::any::AnyRow) -> Contact {
    let naissance: Option<String> = r.get("nom_naissance");
    let usage: Option<String> = r.get("nom_usage");
    let prenoms: Option<String> = r.get("prenoms");
    let moment: String = r.get("moment");
    let canal: String = r.get("canal");
    let typologie: String = r.get("typologie");
    let reponse: String = r.get("reponse");
    Contact {
        id: r.get("id"),
        moment: heure::parse(&moment).unwrap_or_default(),
        canal: Canal::from_code(&canal).unwrap_or(Canal::Visite),
        site_id: r.get("site_id"),
        permanence: r.get("permanence"),
        personne_id: r.get("personne_id"),
        personne: naissance.map(|n| {
            format!(
                "{} {}",
                usage.unwrap_or(n).to_uppercase(),
                prenoms.unwrap_or_default().replace(',', " ")
            )
        }),
        typologie: Typologie::from_code(&typologie).unwrap_or(Typologie::Autre),
        motif: r.get("motif"),
        reponse: Reponse::from_code(&reponse).unwrap_or(Reponse::Information),
        partenaire: r.get("partenaire"),
        attente_minutes: r.get("attente_minutes"),
    }
}

/// A person's contacts with the desk, latest first, on these sites (`None`: the whole département).
pub async fn de_personne(
    conn: &mut Conn,
    dep: &str,
    personne_id: i64,
    sites: Option<&[i64]>,
    limit: i64,
) -> Result<Vec<Contact>> {
    let filtre = match sites {
        // Ids of the principal's sites, integers: written as literals.
        Some([]) => " AND 1 = 0".to_string(),
        Some(s) => format!(
            " AND c.site_id IN ({})",
            s.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        ),
        None => String::new(),
    };
    let rows = sqlx::query(&format!(
        "{CONTACT_SQL} WHERE c.departement_id = $1 AND c.personne_id = $2{filtre} \
         ORDER BY c.moment DESC, c.id DESC LIMIT {}",
        limit.clamp(1, 500)
    ))
    .bind(dep)
    .bind(personne_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(contact).collect())
}

// ---------------------------------------------------------------------------------------------------
// The département's request reasons

/// The motifs of the département, by family then label; `actifs` keeps only those the desk may pick.
pub async fn motifs(conn: &mut Conn, dep: &str, actifs: bool) -> Result<Vec<MotifDemande>> {
    let filtre = if actifs { " AND actif = 1" } else { "" };
    let rows = sqlx::query(&format!(
        "SELECT id, libelle, typologie, actif FROM accueil_motifs WHERE departement_id = $1{filtre} \
         ORDER BY typologie, libelle"
    ))
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<MotifDemande> = rows
        .iter()
        .map(|r| MotifDemande {
            id: r.get("id"),
            libelle: r.get("libelle"),
            typologie: Typologie::from_code(&r.get::<String, _>("typologie"))
                .unwrap_or(Typologie::Autre),
            actif: r.get::<i64, _>("actif") != 0,
        })
        .collect();
    // The order of the families is the schéma's, not the alphabet's.
    out.sort_by_key(|m| {
        (
            Typologie::ALL.iter().position(|t| *t == m.typologie),
            m.libelle.to_lowercase(),
        )
    });
    Ok(out)
}

/// Adds a motif; a label already used is `Conflict("libelle")`.
pub async fn motif_create(conn: &mut Conn, dep: &str, m: &NewMotif) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO accueil_motifs (departement_id, libelle, typologie, actif, created_at) \
         VALUES ($1, $2, $3, 1, $4) RETURNING id",
    )
    .bind(dep)
    .bind(&m.libelle)
    .bind(m.typologie.code())
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("libelle"))?;
    Ok(r.get("id"))
}

/// Withdraws a motif from the desk's list, or offers it again; contacts keep it.
pub async fn motif_set_actif(conn: &mut Conn, dep: &str, id: i64, actif: bool) -> Result<()> {
    let done =
        sqlx::query("UPDATE accueil_motifs SET actif = $1 WHERE departement_id = $2 AND id = $3")
            .bind(i64::from(actif))
            .bind(dep)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    touched(done.rows_affected(), StoreError::NotFound)
}
