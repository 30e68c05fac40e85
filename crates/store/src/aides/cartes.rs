//! The register of prepaid payment cards as stored: a card asked, issued by the provider (its
//! reference), blocked (at once in Parcours, then told to the provider), and what was loaded on it.

use chrono::NaiveDate;
use parcours_domain::aides::carte::{NouvelleCarte, StatutCarte, Titulaire};
use parcours_domain::aides::Centimes;
use parcours_domain::personnes::fold;
use serde::Serialize;
use sqlx::Row;

use super::{corrupt, filtre_sites, ordre_from, Ordre, ORDRE};
use crate::{iso_date, now, Conn, Result, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct Carte {
    pub id: i64,
    pub site_id: i64,
    pub site: String,
    pub cle: Option<String>,
    pub titulaire: Titulaire,
    pub personne_id: Option<i64>,
    /// « Prénom NOM » of the holder, as sent to the provider.
    pub titulaire_nom: String,
    pub agrement: Option<String>,
    pub statut: StatutCarte,
    pub reference: Option<String>,
    pub demandee_le: String,
    pub demandeur: Option<String>,
    pub emise_le: Option<String>,
    pub bloquee_le: Option<String>,
    pub bloqueur: Option<String>,
    pub motif_blocage: Option<String>,
    /// Whether the provider knows of the block.
    pub blocage_transmis: bool,
    pub tentatives: i64,
    pub derniere_erreur: Option<String>,
    /// What Parcours has loaded on it (paid orders).
    pub charge: Centimes,
}

// `d` is the card (so that `filtre_sites`, written for requests, reads its site too).
const CARTE: &str = "SELECT d.*, s.nom AS site, ad.prenom || ' ' || ad.nom AS demandeur, \
     ab.prenom || ' ' || ab.nom AS bloqueur, \
     CAST(COALESCE((SELECT SUM(o.montant) FROM aide_ordres o WHERE o.departement_id = d.departement_id \
        AND o.carte = d.reference AND o.statut = 'paye'), 0) AS BIGINT) AS charge \
     FROM aide_cartes d JOIN sites s ON s.departement_id = d.departement_id AND s.id = d.site_id \
     LEFT JOIN agents ad ON ad.departement_id = d.departement_id AND ad.id = d.demandee_par \
     LEFT JOIN agents ab ON ab.departement_id = d.departement_id AND ab.id = d.bloquee_par \
     WHERE d.departement_id = $1";

fn carte_from(r: &sqlx::any::AnyRow) -> Result<Carte> {
    let t: String = r.get("titulaire_type");
    let statut: String = r.get("statut");
    Ok(Carte {
        id: r.get("id"),
        site_id: r.get("site_id"),
        site: r.get("site"),
        cle: r.get("cle"),
        titulaire: Titulaire::parse(&t).ok_or_else(|| corrupt("titulaire de carte", &t))?,
        personne_id: r.get("personne_id"),
        titulaire_nom: r.get("titulaire_nom"),
        agrement: r.get("agrement"),
        statut: StatutCarte::parse(&statut).ok_or_else(|| corrupt("statut de carte", &statut))?,
        reference: r.get("reference"),
        demandee_le: r.get("demandee_le"),
        demandeur: r.get("demandeur"),
        emise_le: r.get("emise_le"),
        bloquee_le: r.get("bloquee_le"),
        bloqueur: r.get("bloqueur"),
        motif_blocage: r.get("motif_blocage"),
        blocage_transmis: r.get::<i64, _>("blocage_transmis") != 0,
        tentatives: r.get("tentatives"),
        derniere_erreur: r.get("derniere_erreur"),
        charge: Centimes(r.get("charge")),
    })
}

/// Records a card asked for `nom`; its idempotency key is derived from its id. A holder who already
/// has a card in use is a conflict on `titulaire`.
pub async fn creer(
    conn: &mut Conn,
    dep: &str,
    n: &NouvelleCarte,
    nom: &str,
    agent: Option<i64>,
    jour: NaiveDate,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO aide_cartes (departement_id, site_id, titulaire_type, personne_id, titulaire_nom, agrement, statut, \
         demandee_le, demandee_par, created_at, titulaire_recherche) \
         VALUES ($1, $2, $3, $4, $5, $6, 'a_emettre', $7, $8, $9, $10) RETURNING id",
    )
    .bind(dep)
    .bind(n.site_id)
    .bind(n.titulaire.code())
    .bind(n.personne_id)
    .bind(nom)
    .bind(n.agrement.as_deref())
    .bind(iso_date(jour))
    .bind(agent)
    .bind(now())
    .bind(fold(nom))
    .fetch_one(&mut *conn)
    .await
    .map_err(crate::on_unique("titulaire"))?;
    let id: i64 = r.get("id");
    fixer_cle(conn, dep, id).await?;
    Ok(id)
}

/// The idempotency key of a card's issuance, derived from its id once known.
async fn fixer_cle(conn: &mut Conn, dep: &str, id: i64) -> Result<()> {
    sqlx::query("UPDATE aide_cartes SET cle = $3 WHERE departement_id = $1 AND id = $2")
        .bind(dep)
        .bind(id)
        .bind(format!("{dep}-carte-{id}"))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn carte(conn: &mut Conn, dep: &str, id: i64) -> Result<Carte> {
    let r = sqlx::query(&format!("{CARTE} AND d.id = $2"))
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    carte_from(&r)
}

/// The card of a provider's reference, if the register has it.
pub async fn par_reference(conn: &mut Conn, dep: &str, reference: &str) -> Result<Option<Carte>> {
    let r = sqlx::query(&format!("{CARTE} AND d.reference = $2"))
        .bind(dep)
        .bind(reference)
        .fetch_optional(&mut *conn)
        .await?;
    r.as_ref().map(carte_from).transpose()
}

/// A filter of the register.
#[derive(Debug, Clone, Default)]
pub struct Filtre {
    pub statut: Option<StatutCarte>,
    /// Words of the holder's name (each must appear, case ignored).
    pub nom: Option<String>,
}

/// A page of the register for the sites given (`None`: every site), newest first, and the total.
pub async fn liste(
    conn: &mut Conn,
    dep: &str,
    sites: Option<&[i64]>,
    f: &Filtre,
    page: i64,
    par_page: i64,
) -> Result<(Vec<Carte>, i64)> {
    let Some(mut filtre) = filtre_sites(sites) else {
        return Ok((vec![], 0));
    };
    let mut binds: Vec<String> = vec![];
    if let Some(s) = f.statut {
        binds.push(s.code().to_string());
        filtre.push_str(&format!(" AND d.statut = ${}", binds.len() + 1));
    }
    // Folded words carry no LIKE wildcard, and meet « Quéméneur » typed « quemeneur ».
    for mot in f
        .nom
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(fold)
        .filter(|m| !m.is_empty())
        .take(5)
    {
        binds.push(format!("%{mot}%"));
        filtre.push_str(&format!(
            " AND d.titulaire_recherche LIKE ${}",
            binds.len() + 1
        ));
    }
    let total_sql =
        format!("SELECT COUNT(*) AS n FROM aide_cartes d WHERE d.departement_id = $1{filtre}");
    let mut q = sqlx::query(&total_sql).bind(dep);
    for b in &binds {
        q = q.bind(b);
    }
    let total: i64 = q.fetch_one(&mut *conn).await?.get("n");
    let sql = format!(
        "{CARTE}{filtre} ORDER BY d.id DESC LIMIT {} OFFSET {}",
        par_page.clamp(1, 500),
        (page.max(1) - 1) * par_page.clamp(1, 500)
    );
    let mut q = sqlx::query(&sql).bind(dep);
    for b in &binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    Ok((rows.iter().map(carte_from).collect::<Result<_>>()?, total))
}

/// The cards of a person, newest first.
pub async fn de_la_personne(conn: &mut Conn, dep: &str, personne_id: i64) -> Result<Vec<Carte>> {
    let rows = sqlx::query(&format!(
        "{CARTE} AND d.personne_id = $2 ORDER BY d.id DESC"
    ))
    .bind(dep)
    .bind(personne_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(carte_from).collect()
}

/// The active cards a request of `personne_id` may load: hers, and the foster carers' when the
/// fund allows it.
pub async fn choisissables(
    conn: &mut Conn,
    dep: &str,
    personne_id: Option<i64>,
    accueillants: bool,
) -> Result<Vec<Carte>> {
    let rows = sqlx::query(&format!(
        "{CARTE} AND d.statut = 'active' AND d.reference IS NOT NULL \
         AND ((d.personne_id IS NOT NULL AND d.personne_id = $2) OR ($3 = 1 AND d.titulaire_type = 'assistant_familial')) \
         ORDER BY d.titulaire_type DESC, d.titulaire_nom"
    ))
    .bind(dep)
    .bind(personne_id.unwrap_or(-1))
    .bind(i64::from(accueillants))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(carte_from).collect()
}

/// Blocks a card asked or active (`false`: already blocked or refused). The orders ready to load it
/// are held at once with the rule `carte_inactive`: nothing more is sent to it.
pub async fn bloquer(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    motif: &str,
    agent: i64,
    jour: NaiveDate,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE aide_cartes SET statut = 'bloquee', bloquee_le = $3, bloquee_par = $4, motif_blocage = $5, \
         blocage_transmis = CASE WHEN reference IS NULL THEN 1 ELSE 0 END, tentatives = 0, derniere_erreur = NULL \
         WHERE departement_id = $1 AND id = $2 AND statut IN ('a_emettre', 'active')",
    )
    .bind(dep)
    .bind(id)
    .bind(iso_date(jour))
    .bind(agent)
    .bind(motif)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE aide_ordres SET statut = 'retenu', \
         anomalies = CASE WHEN anomalies = '' THEN 'carte_inactive' ELSE anomalies || ',carte_inactive' END \
         WHERE departement_id = $1 AND statut = 'pret' AND carte = \
         (SELECT reference FROM aide_cartes WHERE departement_id = $1 AND id = $2)",
    )
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Cards the job must have issued, oldest first.
pub async fn a_emettre(conn: &mut Conn, dep: &str, limite: i64) -> Result<Vec<Carte>> {
    pour_le_prestataire(conn, dep, "d.statut = 'a_emettre'", limite).await
}

/// Blocked cards the provider does not know blocked yet.
pub async fn blocages_a_transmettre(conn: &mut Conn, dep: &str, limite: i64) -> Result<Vec<Carte>> {
    pour_le_prestataire(
        conn,
        dep,
        "d.statut = 'bloquee' AND d.blocage_transmis = 0 AND d.reference IS NOT NULL",
        limite,
    )
    .await
}

/// The cards in a state the job must tell the provider, oldest first (`condition` is a constant).
async fn pour_le_prestataire(
    conn: &mut Conn,
    dep: &str,
    condition: &'static str,
    limite: i64,
) -> Result<Vec<Carte>> {
    let rows = sqlx::query(&format!("{CARTE} AND {condition} ORDER BY d.id LIMIT $2"))
        .bind(dep)
        .bind(limite)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(carte_from).collect()
}

/// The provider issued the card, dated by Parcours's clock when it learns it. A card blocked
/// meanwhile keeps its block (and gets its reference, so that the block is told to the provider).
pub async fn marquer_emise(conn: &mut Conn, dep: &str, id: i64, reference: &str) -> Result<()> {
    sqlx::query(
        "UPDATE aide_cartes SET reference = $3, emise_le = $4, derniere_erreur = NULL, \
         statut = CASE WHEN statut = 'a_emettre' THEN 'active' ELSE statut END, \
         blocage_transmis = CASE WHEN statut = 'bloquee' THEN 0 ELSE blocage_transmis END \
         WHERE departement_id = $1 AND id = $2 AND reference IS NULL",
    )
    .bind(dep)
    .bind(id)
    .bind(reference)
    .bind(now())
    .execute(&mut *conn)
    .await
    .map_err(crate::on_unique("reference"))?;
    Ok(())
}

/// A failed exchange with the provider about a card: a definitive refusal of an issuance ends it.
pub async fn noter_echec(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    message: &str,
    refus_emission: bool,
) -> Result<()> {
    sqlx::query(
        "UPDATE aide_cartes SET tentatives = tentatives + 1, derniere_erreur = $3, \
         statut = CASE WHEN $4 = 1 AND statut = 'a_emettre' THEN 'refusee' ELSE statut END \
         WHERE departement_id = $1 AND id = $2",
    )
    .bind(dep)
    .bind(id)
    .bind(message)
    .bind(i64::from(refus_emission))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn marquer_blocage_transmis(conn: &mut Conn, dep: &str, id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE aide_cartes SET blocage_transmis = 1, derniere_erreur = NULL WHERE departement_id = $1 AND id = $2",
    )
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every payment order that names the card, newest first.
pub async fn chargements(conn: &mut Conn, dep: &str, reference: &str) -> Result<Vec<Ordre>> {
    let rows = sqlx::query(&format!(
        "{ORDRE} AND o.carte = $2 ORDER BY o.id DESC LIMIT 200"
    ))
    .bind(dep)
    .bind(reference)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(ordre_from).collect()
}

/// A demo card, active since `emise_le`, with a reference in the demo's own range (no provider
/// knows it).
#[allow(clippy::too_many_arguments)]
pub async fn seed_une(
    conn: &mut Conn,
    dep: &str,
    site: i64,
    titulaire: Titulaire,
    personne_id: Option<i64>,
    nom: &str,
    agrement: Option<&str>,
    reference: &str,
    emise_le: NaiveDate,
) -> Result<()> {
    let jour = iso_date(emise_le);
    let id: i64 = sqlx::query(
        "INSERT INTO aide_cartes (departement_id, site_id, titulaire_type, personne_id, titulaire_nom, agrement, statut, \
         reference, demandee_le, emise_le, blocage_transmis, created_at, titulaire_recherche) \
         VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, 0, $10, $11) RETURNING id",
    )
    .bind(dep)
    .bind(site)
    .bind(titulaire.code())
    .bind(personne_id)
    .bind(nom)
    .bind(agrement)
    .bind(reference)
    .bind(&jour)
    .bind(&jour)
    .bind(now())
    .bind(fold(nom))
    .fetch_one(&mut *conn)
    .await?
    .get("id");
    fixer_cle(conn, dep, id).await
}
