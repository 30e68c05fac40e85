//! Financial aids as stored: the catalogue and the versions of each fund's rules, envelopes with their
//! committed and paid amounts, dated budgets, commissions, requests and decisions, payment orders and
//! the set-based reads of the anomaly check (a batch, the household's earlier orders, the IBANs
//! already paid to persons), and the figures.

pub mod cartes;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use parcours_domain::aides::anomalies::{AControler, Anterieur, IbanConnu, Regle};
use parcours_domain::aides::budget::{Calcul, Ligne, Membre};
use parcours_domain::aides::{
    catalogue, Centimes, Fonds, ModePaiement, Niveau, ReglesFonds, Sens, Statut, StatutOrdre,
};
use serde::Serialize;
use sqlx::Row;

use crate::{iso_date, now, Conn, Result, StoreError};

/// ` AND d.site_id IN (…)` for the sites given, empty for every site; `None` when the list of sites
/// is empty (nothing to read).
fn filtre_sites(sites: Option<&[i64]>) -> Option<String> {
    match sites {
        Some([]) => None,
        Some(s) => Some(format!(
            " AND d.site_id IN ({})",
            s.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        )),
        None => Some(String::new()),
    }
}

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Other(anyhow::anyhow!("{what} « {v} » inconnu"))
}

fn json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("{what} illisible : {e}")))
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// The day from which the default catalogue applies: before any request a base can hold.
const ORIGINE: &str = "2000-01-01";

/// Gives a département the default catalogue when it has no fund yet (a new département, or one
/// created before financial aids existed).
pub async fn initialiser_catalogue(conn: &mut Conn, dep: &str) -> Result<()> {
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM aide_fonds WHERE departement_id = $1")
        .bind(dep)
        .fetch_one(&mut *conn)
        .await?
        .get("n");
    if n > 0 {
        return Ok(());
    }
    let t = now();
    for (code, libelle, regles) in catalogue::defaut() {
        sqlx::query("INSERT INTO aide_fonds (departement_id, code, libelle, created_at) VALUES ($1, $2, $3, $4)")
            .bind(dep)
            .bind(code)
            .bind(libelle)
            .bind(&t)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO aide_fonds_versions (departement_id, fonds_code, valide_du, regles, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(dep)
        .bind(code)
        .bind(ORIGINE)
        .bind(to_json(&regles))
        .bind(&t)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Every département's catalogue, at start-up.
pub async fn initialiser_catalogues(conn: &mut Conn) -> Result<()> {
    let deps: Vec<String> = sqlx::query("SELECT id FROM departements")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.get("id"))
        .collect();
    for d in deps {
        initialiser_catalogue(conn, &d).await?;
    }
    Ok(())
}

fn fonds_from(r: &sqlx::any::AnyRow) -> Result<Fonds> {
    Ok(Fonds {
        code: r.get("code"),
        libelle: r.get("libelle"),
        version_id: r.get("version_id"),
        valide_du: r.get("valide_du"),
        regles: json("règles du fonds", &r.get::<String, _>("regles"))?,
    })
}

const FONDS_EN_VIGUEUR: &str = "SELECT f.code, f.libelle, v.id AS version_id, v.valide_du, v.regles \
     FROM aide_fonds f JOIN aide_fonds_versions v ON v.departement_id = f.departement_id AND v.fonds_code = f.code \
     WHERE f.departement_id = $1 AND v.valide_du = (SELECT MAX(w.valide_du) FROM aide_fonds_versions w \
       WHERE w.departement_id = f.departement_id AND w.fonds_code = f.code AND w.valide_du <= $2)";

/// The funds with the rules in force on `jour`.
pub async fn catalogue(conn: &mut Conn, dep: &str, jour: NaiveDate) -> Result<Vec<Fonds>> {
    let rows = sqlx::query(&format!("{FONDS_EN_VIGUEUR} ORDER BY f.libelle"))
        .bind(dep)
        .bind(iso_date(jour))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(fonds_from).collect()
}

/// One fund with the rules in force on `jour`.
pub async fn fonds(
    conn: &mut Conn,
    dep: &str,
    code: &str,
    jour: NaiveDate,
) -> Result<Option<Fonds>> {
    let row = sqlx::query(&format!("{FONDS_EN_VIGUEUR} AND f.code = $3"))
        .bind(dep)
        .bind(iso_date(jour))
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(fonds_from).transpose()
}

/// The rules of a request: the version it was judged by.
pub async fn version(conn: &mut Conn, dep: &str, id: i64) -> Result<ReglesFonds> {
    let r =
        sqlx::query("SELECT regles FROM aide_fonds_versions WHERE departement_id = $1 AND id = $2")
            .bind(dep)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
    json("règles du fonds", &r.get::<String, _>("regles"))
}

/// Adds a fund to the catalogue with its first rules, in force from `valide_du`.
pub async fn fonds_creer(
    conn: &mut Conn,
    dep: &str,
    code: &str,
    libelle: &str,
    valide_du: NaiveDate,
    regles: &ReglesFonds,
    agent: Option<i64>,
) -> Result<()> {
    sqlx::query("INSERT INTO aide_fonds (departement_id, code, libelle, created_at) VALUES ($1, $2, $3, $4)")
        .bind(dep)
        .bind(code)
        .bind(libelle)
        .bind(now())
        .execute(&mut *conn)
        .await
        .map_err(crate::on_unique("code"))?;
    nouvelle_version(conn, dep, code, valide_du, regles, agent).await?;
    Ok(())
}

/// A version of a fund's rules, for its history.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    pub id: i64,
    pub valide_du: String,
    pub regles: ReglesFonds,
    pub auteur: Option<String>,
    pub created_at: String,
}

pub async fn versions(conn: &mut Conn, dep: &str, code: &str) -> Result<Vec<Version>> {
    let rows = sqlx::query(
        "SELECT v.id, v.valide_du, v.regles, v.created_at, a.prenom || ' ' || a.nom AS auteur \
         FROM aide_fonds_versions v LEFT JOIN agents a ON a.departement_id = v.departement_id AND a.id = v.cree_par \
         WHERE v.departement_id = $1 AND v.fonds_code = $2 ORDER BY v.valide_du DESC",
    )
    .bind(dep)
    .bind(code)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Version {
                id: r.get("id"),
                valide_du: r.get("valide_du"),
                regles: json("règles du fonds", &r.get::<String, _>("regles"))?,
                auteur: r.get("auteur"),
                created_at: r.get("created_at"),
            })
        })
        .collect()
}

/// Records new rules from `valide_du`; the same day twice is a conflict (a version is never rewritten).
pub async fn nouvelle_version(
    conn: &mut Conn,
    dep: &str,
    code: &str,
    valide_du: NaiveDate,
    regles: &ReglesFonds,
    agent: Option<i64>,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO aide_fonds_versions (departement_id, fonds_code, valide_du, regles, cree_par, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(dep)
    .bind(code)
    .bind(iso_date(valide_du))
    .bind(to_json(regles))
    .bind(agent)
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(crate::on_unique("valide_du"))?;
    Ok(r.get("id"))
}

// ---------------------------------------------------------------------------------------------
// Envelopes

#[derive(Debug, Clone, Serialize)]
pub struct Enveloppe {
    pub id: i64,
    pub fonds_code: String,
    pub fonds: String,
    pub site_id: i64,
    pub site: String,
    pub annee: i32,
    pub alloue: Centimes,
    pub engage: Centimes,
    pub paye: Centimes,
}

impl Enveloppe {
    pub fn reste(&self) -> Centimes {
        self.alloue - self.engage
    }
}

/// The envelopes of a year, for the sites given (`None`: every site).
pub async fn enveloppes(
    conn: &mut Conn,
    dep: &str,
    annee: i32,
    sites: Option<&[i64]>,
) -> Result<Vec<Enveloppe>> {
    let rows = sqlx::query(
        "SELECT e.id, e.fonds_code, f.libelle AS fonds, e.site_id, s.nom AS site, e.annee, e.alloue, e.engage, e.paye \
         FROM aide_enveloppes e JOIN aide_fonds f ON f.departement_id = e.departement_id AND f.code = e.fonds_code \
         JOIN sites s ON s.departement_id = e.departement_id AND s.id = e.site_id \
         WHERE e.departement_id = $1 AND e.annee = $2 ORDER BY s.nom, f.libelle",
    )
    .bind(dep)
    .bind(annee)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Enveloppe {
            id: r.get("id"),
            fonds_code: r.get("fonds_code"),
            fonds: r.get("fonds"),
            site_id: r.get("site_id"),
            site: r.get("site"),
            annee: r.get::<i64, _>("annee") as i32,
            alloue: Centimes(r.get("alloue")),
            engage: Centimes(r.get("engage")),
            paye: Centimes(r.get("paye")),
        })
        .filter(|e| sites.is_none_or(|s| s.contains(&e.site_id)))
        .collect())
}

/// What remains in an envelope; `None` when none is open.
pub async fn reste(
    conn: &mut Conn,
    dep: &str,
    fonds: &str,
    site: i64,
    annee: i32,
) -> Result<Option<Centimes>> {
    let r = sqlx::query(
        "SELECT alloue - engage AS reste FROM aide_enveloppes \
         WHERE departement_id = $1 AND fonds_code = $2 AND site_id = $3 AND annee = $4",
    )
    .bind(dep)
    .bind(fonds)
    .bind(site)
    .bind(annee)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(r.map(|r| Centimes(r.get("reste"))))
}

/// Opens or changes the allocation of an envelope; never below what is already committed.
pub async fn allouer(
    conn: &mut Conn,
    dep: &str,
    fonds: &str,
    site: i64,
    annee: i32,
    alloue: Centimes,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE aide_enveloppes SET alloue = $5 WHERE departement_id = $1 AND fonds_code = $2 AND site_id = $3 \
         AND annee = $4 AND engage <= $5",
    )
    .bind(dep)
    .bind(fonds)
    .bind(site)
    .bind(annee)
    .bind(alloue.0)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 1 {
        return Ok(true);
    }
    let exists = sqlx::query(
        "SELECT 1 AS x FROM aide_enveloppes WHERE departement_id = $1 AND fonds_code = $2 AND site_id = $3 AND annee = $4",
    )
    .bind(dep)
    .bind(fonds)
    .bind(site)
    .bind(annee)
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    if exists {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO aide_enveloppes (departement_id, fonds_code, site_id, annee, alloue, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(dep)
    .bind(fonds)
    .bind(site)
    .bind(annee)
    .bind(alloue.0)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Commits an amount on the envelope in one conditional update: `false` when it would pass the
/// allocation without `force` (a concurrent decision took what remained).
pub async fn engager(
    conn: &mut Conn,
    dep: &str,
    fonds: &str,
    site: i64,
    annee: i32,
    montant: Centimes,
    force: bool,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE aide_enveloppes SET engage = engage + $5 WHERE departement_id = $1 AND fonds_code = $2 \
         AND site_id = $3 AND annee = $4 AND (engage + $5 <= alloue OR $6 = 1)",
    )
    .bind(dep)
    .bind(fonds)
    .bind(site)
    .bind(annee)
    .bind(montant.0)
    .bind(i64::from(force))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Moves an amount from committed to paid (`paye`), or releases it (`liberer`: an order cancelled).
pub async fn mouvement(
    conn: &mut Conn,
    dep: &str,
    demande_id: i64,
    montant: Centimes,
    paye: bool,
) -> Result<()> {
    // The envelope of the request's fund, MDS and year of decision.
    let colonne = if paye {
        "paye = paye +"
    } else {
        "engage = engage -"
    };
    let sql = format!(
        "UPDATE aide_enveloppes SET {colonne} $3 WHERE departement_id = $1 AND id = \
         (SELECT e.id FROM aide_enveloppes e JOIN aide_demandes d ON d.departement_id = e.departement_id \
          AND d.fonds_code = e.fonds_code AND d.site_id = e.site_id \
          WHERE d.departement_id = $1 AND d.id = $2 AND e.annee = CAST(SUBSTR(d.decide_le, 1, 4) AS INTEGER))"
    );
    sqlx::query(&sql)
        .bind(dep)
        .bind(demande_id)
        .bind(montant.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Budgets

#[derive(Debug, Clone, Serialize)]
pub struct Budget {
    pub id: i64,
    pub dossier_id: i64,
    pub etabli_le: String,
    pub lignes: Vec<Ligne>,
    pub membres: Vec<Membre>,
    pub calcul: Calcul,
    pub auteur: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub async fn budget_creer(
    conn: &mut Conn,
    dep: &str,
    dossier_id: i64,
    jour: NaiveDate,
    lignes: &[Ligne],
    membres: &[Membre],
    calcul: &Calcul,
    agent: Option<i64>,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO aide_budgets (departement_id, dossier_id, etabli_le, lignes, membres, calcul, cree_par, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(dep)
    .bind(dossier_id)
    .bind(iso_date(jour))
    .bind(to_json(&lignes))
    .bind(to_json(&membres))
    .bind(to_json(calcul))
    .bind(agent)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

/// The budgets of a dossier, the latest first.
pub async fn budgets(conn: &mut Conn, dep: &str, dossier_id: i64) -> Result<Vec<Budget>> {
    let rows = sqlx::query(
        "SELECT b.id, b.dossier_id, b.etabli_le, b.lignes, b.membres, b.calcul, a.prenom || ' ' || a.nom AS auteur \
         FROM aide_budgets b LEFT JOIN agents a ON a.departement_id = b.departement_id AND a.id = b.cree_par \
         WHERE b.departement_id = $1 AND b.dossier_id = $2 ORDER BY b.id DESC",
    )
    .bind(dep)
    .bind(dossier_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Budget {
                id: r.get("id"),
                dossier_id: r.get("dossier_id"),
                etabli_le: r.get("etabli_le"),
                lignes: json("lignes du budget", &r.get::<String, _>("lignes"))?,
                membres: json("membres du budget", &r.get::<String, _>("membres"))?,
                calcul: json("calcul du budget", &r.get::<String, _>("calcul"))?,
                auteur: r.get("auteur"),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Commissions

#[derive(Debug, Clone, Serialize)]
pub struct Commission {
    pub id: i64,
    pub site_id: Option<i64>,
    pub site: Option<String>,
    pub date: String,
    pub intitule: String,
    pub membres: String,
    pub proces_verbal: Option<String>,
    pub tenue_le: Option<String>,
    pub demandes: i64,
}

const COMMISSION: &str = "SELECT c.id, c.site_id, s.nom AS site, c.date, c.intitule, c.membres, c.proces_verbal, c.tenue_le, \
     (SELECT COUNT(*) FROM aide_demandes d WHERE d.departement_id = c.departement_id AND d.commission_id = c.id) AS demandes \
     FROM aide_commissions c LEFT JOIN sites s ON s.departement_id = c.departement_id AND s.id = c.site_id \
     WHERE c.departement_id = $1";

fn commission_from(r: &sqlx::any::AnyRow) -> Commission {
    Commission {
        id: r.get("id"),
        site_id: r.get("site_id"),
        site: r.get("site"),
        date: r.get("date"),
        intitule: r.get("intitule"),
        membres: r.get("membres"),
        proces_verbal: r.get("proces_verbal"),
        tenue_le: r.get("tenue_le"),
        demandes: r.get("demandes"),
    }
}

pub async fn commission_creer(
    conn: &mut Conn,
    dep: &str,
    site: Option<i64>,
    date: NaiveDate,
    intitule: &str,
    membres: &str,
    agent: Option<i64>,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO aide_commissions (departement_id, site_id, date, intitule, membres, cree_par, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(dep)
    .bind(site)
    .bind(iso_date(date))
    .bind(intitule)
    .bind(membres)
    .bind(agent)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

pub async fn commissions(conn: &mut Conn, dep: &str) -> Result<Vec<Commission>> {
    let rows = sqlx::query(&format!("{COMMISSION} ORDER BY c.date DESC, c.id DESC"))
        .bind(dep)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(commission_from).collect())
}

pub async fn commission(conn: &mut Conn, dep: &str, id: i64) -> Result<Commission> {
    let r = sqlx::query(&format!("{COMMISSION} AND c.id = $2"))
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(commission_from(&r))
}

pub async fn commission_tenir(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    pv: &str,
    jour: NaiveDate,
) -> Result<()> {
    sqlx::query("UPDATE aide_commissions SET proces_verbal = $3, tenue_le = $4 WHERE departement_id = $1 AND id = $2")
        .bind(dep)
        .bind(id)
        .bind(pv)
        .bind(iso_date(jour))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Requests

#[derive(Debug, Clone, Serialize)]
pub struct Demande {
    pub id: i64,
    pub dossier_id: i64,
    pub personne_id: Option<i64>,
    pub foyer_cle: String,
    pub site_id: i64,
    pub site: String,
    pub fonds_code: String,
    pub fonds: String,
    pub version_id: i64,
    pub besoin: String,
    pub montant_demande: Centimes,
    pub mode: ModePaiement,
    pub beneficiaire: String,
    pub iban: Option<String>,
    pub carte: Option<String>,
    pub motif: String,
    pub pieces: Vec<String>,
    pub budget_id: Option<i64>,
    pub niveau: Niveau,
    pub statut: Statut,
    pub instruit_par: Option<i64>,
    pub instructeur: Option<String>,
    pub demandee_le: String,
    pub commission_id: Option<i64>,
    pub sens: Option<Sens>,
    pub montant_accorde: Option<Centimes>,
    pub motivation: Option<String>,
    pub depassement: Option<String>,
    pub decide_par: Option<i64>,
    pub decideur: Option<String>,
    pub decide_le: Option<String>,
    pub decide_en_commission: bool,
    pub recours_le: Option<String>,
    pub recours_motif: Option<String>,
    /// `maintenue` or `reformee`, once the recourse is judged.
    pub recours_issue: Option<String>,
    pub recours_decide_le: Option<String>,
    pub recours_decideur: Option<String>,
    pub recours_motivation: Option<String>,
    /// The decision a reformation replaced.
    pub sens_initial: Option<Sens>,
    pub montant_initial: Option<Centimes>,
    /// The eviction procedure the request answers.
    pub procedure_id: Option<i64>,
    /// The person (usual name, then given names), for lists.
    pub personne: Option<String>,
}

const DEMANDE: &str = "SELECT d.*, f.libelle AS fonds, s.nom AS site, \
     ai.prenom || ' ' || ai.nom AS instructeur, ad.prenom || ' ' || ad.nom AS decideur, \
     ar.prenom || ' ' || ar.nom AS recours_decideur, \
     COALESCE(p.nom_usage, p.nom_naissance) || ' ' || p.prenoms AS personne \
     FROM aide_demandes d JOIN aide_fonds f ON f.departement_id = d.departement_id AND f.code = d.fonds_code \
     JOIN sites s ON s.departement_id = d.departement_id AND s.id = d.site_id \
     LEFT JOIN agents ai ON ai.departement_id = d.departement_id AND ai.id = d.instruit_par \
     LEFT JOIN agents ad ON ad.departement_id = d.departement_id AND ad.id = d.decide_par \
     LEFT JOIN agents ar ON ar.departement_id = d.departement_id AND ar.id = d.recours_decide_par \
     LEFT JOIN personnes p ON p.departement_id = d.departement_id AND p.id = d.personne_id \
     WHERE d.departement_id = $1";

fn demande_from(r: &sqlx::any::AnyRow) -> Result<Demande> {
    let mode: String = r.get("mode");
    let statut: String = r.get("statut");
    let niveau: String = r.get("niveau");
    let sens: Option<String> = r.get("sens");
    Ok(Demande {
        id: r.get("id"),
        dossier_id: r.get("dossier_id"),
        personne_id: r.get("personne_id"),
        foyer_cle: r.get("foyer_cle"),
        site_id: r.get("site_id"),
        site: r.get("site"),
        fonds_code: r.get("fonds_code"),
        fonds: r.get("fonds"),
        version_id: r.get("version_id"),
        besoin: r.get("besoin"),
        montant_demande: Centimes(r.get("montant_demande")),
        mode: ModePaiement::parse(&mode).ok_or_else(|| corrupt("mode de paiement", &mode))?,
        beneficiaire: r.get("beneficiaire"),
        iban: r.get("iban"),
        carte: r.get("carte"),
        motif: r.get("motif"),
        pieces: json("pièces", &r.get::<String, _>("pieces"))?,
        budget_id: r.get("budget_id"),
        niveau: Niveau::parse(&niveau).ok_or_else(|| corrupt("niveau", &niveau))?,
        statut: Statut::parse(&statut).ok_or_else(|| corrupt("statut", &statut))?,
        instruit_par: r.get("instruit_par"),
        instructeur: r.get("instructeur"),
        demandee_le: r.get("demandee_le"),
        commission_id: r.get("commission_id"),
        sens: match sens {
            Some(s) => Some(Sens::parse(&s).ok_or_else(|| corrupt("sens", &s))?),
            None => None,
        },
        montant_accorde: r.get::<Option<i64>, _>("montant_accorde").map(Centimes),
        motivation: r.get("motivation"),
        depassement: r.get("depassement"),
        decide_par: r.get("decide_par"),
        decideur: r.get("decideur"),
        decide_le: r.get("decide_le"),
        decide_en_commission: r.get::<i64, _>("decide_en_commission") != 0,
        recours_le: r.get("recours_le"),
        recours_motif: r.get("recours_motif"),
        recours_issue: r.get("recours_issue"),
        recours_decide_le: r.get("recours_decide_le"),
        recours_decideur: r.get("recours_decideur"),
        recours_motivation: r.get("recours_motivation"),
        sens_initial: match r.get::<Option<String>, _>("sens_initial") {
            Some(s) => Some(Sens::parse(&s).ok_or_else(|| corrupt("sens", &s))?),
            None => None,
        },
        montant_initial: r.get::<Option<i64>, _>("montant_initial").map(Centimes),
        procedure_id: r.get("procedure_id"),
        personne: r.get("personne"),
    })
}

pub struct NouvelleDemande<'a> {
    pub dossier_id: i64,
    pub personne_id: Option<i64>,
    pub foyer_cle: &'a str,
    pub site_id: i64,
    pub fonds: &'a Fonds,
    pub demande: &'a parcours_domain::aides::demande::Demande,
    pub budget_id: Option<i64>,
    pub instruit_par: Option<i64>,
    pub jour: NaiveDate,
    /// The eviction procedure the request answers, when made from it.
    pub procedure_id: Option<i64>,
}

pub async fn demande_creer(conn: &mut Conn, dep: &str, n: &NouvelleDemande<'_>) -> Result<i64> {
    let d = n.demande;
    let r = sqlx::query(
        "INSERT INTO aide_demandes (departement_id, dossier_id, personne_id, foyer_cle, site_id, fonds_code, version_id, \
         besoin, montant_demande, mode, beneficiaire, iban, carte, motif, pieces, budget_id, niveau, statut, instruit_par, \
         demandee_le, created_at, procedure_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20, $21, $22) RETURNING id",
    )
    .bind(dep)
    .bind(n.dossier_id)
    .bind(n.personne_id)
    .bind(n.foyer_cle)
    .bind(n.site_id)
    .bind(&n.fonds.code)
    .bind(n.fonds.version_id)
    .bind(&d.besoin)
    .bind(d.montant.0)
    .bind(d.mode.code())
    .bind(&d.beneficiaire)
    .bind(d.iban.as_deref())
    .bind(d.carte.as_deref())
    .bind(&d.motif)
    .bind(to_json(&d.pieces))
    .bind(n.budget_id)
    .bind(d.niveau.code())
    .bind(Statut::Instruction.code())
    .bind(n.instruit_par)
    .bind(iso_date(n.jour))
    .bind(now())
    .bind(n.procedure_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

pub async fn demande(conn: &mut Conn, dep: &str, id: i64) -> Result<Demande> {
    let r = sqlx::query(&format!("{DEMANDE} AND d.id = $2"))
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    demande_from(&r)
}

pub async fn demandes_du_dossier(
    conn: &mut Conn,
    dep: &str,
    dossier_id: i64,
) -> Result<Vec<Demande>> {
    let rows = sqlx::query(&format!(
        "{DEMANDE} AND d.dossier_id = $2 ORDER BY d.id DESC"
    ))
    .bind(dep)
    .bind(dossier_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(demande_from).collect()
}

pub async fn demandes_de_la_commission(
    conn: &mut Conn,
    dep: &str,
    commission_id: i64,
) -> Result<Vec<Demande>> {
    let rows = sqlx::query(&format!("{DEMANDE} AND d.commission_id = $2 ORDER BY d.id"))
        .bind(dep)
        .bind(commission_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(demande_from).collect()
}

/// Requests waiting for a decision in the sites given (`None`: every site), oldest first, paged.
pub async fn a_decider(
    conn: &mut Conn,
    dep: &str,
    sites: Option<&[i64]>,
    limite: i64,
    decalage: i64,
) -> Result<(Vec<Demande>, i64)> {
    let Some(filtre) = filtre_sites(sites) else {
        return Ok((vec![], 0));
    };
    let statuts = "('instruction', 'commission', 'ajournee')";
    let total: i64 = sqlx::query(&format!(
        "SELECT COUNT(*) AS n FROM aide_demandes d WHERE d.departement_id = $1 AND d.statut IN {statuts}{filtre}"
    ))
    .bind(dep)
    .fetch_one(&mut *conn)
    .await?
    .get("n");
    let rows = sqlx::query(&format!(
        "{DEMANDE} AND d.statut IN {statuts}{filtre} ORDER BY d.demandee_le, d.id LIMIT $2 OFFSET $3"
    ))
    .bind(dep)
    .bind(limite)
    .bind(decalage)
    .fetch_all(&mut *conn)
    .await?;
    Ok((rows.iter().map(demande_from).collect::<Result<_>>()?, total))
}

/// Granted to a household by a fund in a calendar year.
pub async fn accorde_annee(
    conn: &mut Conn,
    dep: &str,
    foyer: &str,
    fonds: &str,
    annee: i32,
) -> Result<Centimes> {
    let r = sqlx::query(
        "SELECT CAST(COALESCE(SUM(montant_accorde), 0) AS BIGINT) AS s FROM aide_demandes WHERE departement_id = $1 AND foyer_cle = $2 \
         AND fonds_code = $3 AND statut = 'accordee' AND decide_le >= $4 AND decide_le < $5",
    )
    .bind(dep)
    .bind(foyer)
    .bind(fonds)
    .bind(format!("{annee:04}-01-01"))
    .bind(format!("{:04}-01-01", annee + 1))
    .fetch_one(&mut *conn)
    .await?;
    Ok(Centimes(r.get("s")))
}

/// An open request of the household for the same fund and need.
pub async fn demande_ouverte(
    conn: &mut Conn,
    dep: &str,
    foyer: &str,
    fonds: &str,
    besoin: &str,
) -> Result<Option<i64>> {
    let r = sqlx::query(
        "SELECT id FROM aide_demandes WHERE departement_id = $1 AND foyer_cle = $2 AND fonds_code = $3 AND besoin = $4 \
         AND statut IN ('instruction', 'commission', 'ajournee') ORDER BY id LIMIT 1",
    )
    .bind(dep)
    .bind(foyer)
    .bind(fonds)
    .bind(besoin)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(r.map(|r| r.get("id")))
}

pub async fn inscrire_en_commission(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    commission_id: Option<i64>,
) -> Result<()> {
    let statut = if commission_id.is_some() {
        Statut::Commission
    } else {
        Statut::Instruction
    };
    sqlx::query("UPDATE aide_demandes SET commission_id = $3, statut = $4 WHERE departement_id = $1 AND id = $2")
        .bind(dep)
        .bind(id)
        .bind(commission_id)
        .bind(statut.code())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn completer_pieces(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    pieces: &[String],
) -> Result<()> {
    sqlx::query("UPDATE aide_demandes SET pieces = $3 WHERE departement_id = $1 AND id = $2")
        .bind(dep)
        .bind(id)
        .bind(to_json(&pieces))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records a decision; only a request still undecided changes (`false` otherwise: decided meanwhile).
#[allow(clippy::too_many_arguments)]
pub async fn decider(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    d: &parcours_domain::aides::demande::Decision,
    agent: Option<i64>,
    jour: NaiveDate,
    en_commission: bool,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE aide_demandes SET statut = $3, sens = $4, montant_accorde = $5, motivation = $6, depassement = $7, \
         decide_par = $8, decide_le = $9, decide_en_commission = $10 \
         WHERE departement_id = $1 AND id = $2 AND statut IN ('instruction', 'commission', 'ajournee')",
    )
    .bind(dep)
    .bind(id)
    .bind(d.sens.statut().code())
    .bind(d.sens.code())
    .bind(d.sens.accorde().then_some(d.montant.0))
    .bind(&d.motivation)
    .bind(d.depassement.as_deref())
    .bind(agent)
    .bind(iso_date(jour))
    .bind(i64::from(en_commission))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn recours(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    jour: NaiveDate,
    motif: &str,
) -> Result<()> {
    sqlx::query("UPDATE aide_demandes SET recours_le = $3, recours_motif = $4 WHERE departement_id = $1 AND id = $2")
        .bind(dep)
        .bind(id)
        .bind(iso_date(jour))
        .bind(motif)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The outcome of a recourse: a reformation replaces the decision (the initial one kept beside).
pub struct IssueRecours<'a> {
    pub reformee: bool,
    pub motivation: &'a str,
    /// For a reformation: the new decision (its amount is the new total granted).
    pub decision: Option<&'a parcours_domain::aides::demande::Decision>,
    pub agent: i64,
    pub jour: NaiveDate,
}

/// Records the outcome of a recourse; only a recourse not yet judged changes (`false` otherwise).
pub async fn juger_recours(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    i: &IssueRecours<'_>,
) -> Result<bool> {
    let jour = iso_date(i.jour);
    let n = match i.decision {
        None => sqlx::query(
            "UPDATE aide_demandes SET recours_issue = 'maintenue', recours_decide_le = $3, recours_decide_par = $4, \
             recours_motivation = $5 WHERE departement_id = $1 AND id = $2 AND recours_le IS NOT NULL AND recours_issue IS NULL",
        )
        .bind(dep)
        .bind(id)
        .bind(&jour)
        .bind(i.agent)
        .bind(i.motivation)
        .execute(&mut *conn)
        .await?
        .rows_affected(),
        Some(d) => sqlx::query(
            "UPDATE aide_demandes SET recours_issue = 'reformee', recours_decide_le = $3, recours_decide_par = $4, \
             recours_motivation = $5, sens_initial = sens, montant_initial = montant_accorde, statut = $6, sens = $7, \
             montant_accorde = $8, motivation = $10, depassement = COALESCE($9, depassement), decide_par = $11, decide_le = $12, \
             decide_en_commission = 0 \
             WHERE departement_id = $1 AND id = $2 AND recours_le IS NOT NULL AND recours_issue IS NULL",
        )
        .bind(dep)
        .bind(id)
        .bind(&jour)
        .bind(i.agent)
        .bind(i.motivation)
        .bind(d.sens.statut().code())
        .bind(d.sens.code())
        .bind(d.montant.0)
        .bind(d.depassement.as_deref())
        .bind(i.motivation)
        .bind(i.agent)
        .bind(&jour)
        .execute(&mut *conn)
        .await?
        .rows_affected(),
    };
    Ok(n == 1)
}

/// The requests made from an eviction procedure, newest first.
pub async fn demandes_de_la_procedure(
    conn: &mut Conn,
    dep: &str,
    procedure_id: i64,
) -> Result<Vec<Demande>> {
    let rows = sqlx::query(&format!(
        "{DEMANDE} AND d.procedure_id = $2 ORDER BY d.id DESC"
    ))
    .bind(dep)
    .bind(procedure_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(demande_from).collect()
}

// ---------------------------------------------------------------------------------------------
// Payment orders

#[derive(Debug, Clone, Serialize)]
pub struct Ordre {
    pub id: i64,
    pub demande_id: i64,
    pub dossier_id: i64,
    pub cle: String,
    pub mode: ModePaiement,
    pub montant: Centimes,
    pub beneficiaire: String,
    pub iban: Option<String>,
    pub carte: Option<String>,
    pub statut: StatutOrdre,
    pub anomalies: Vec<Regle>,
    pub tentatives: i64,
    pub derniere_erreur: Option<String>,
    pub reference: Option<String>,
    pub paye_le: Option<String>,
    pub examen_motif: Option<String>,
    pub fonds: String,
    pub site_id: i64,
    pub site: String,
    pub personne: Option<String>,
    pub created_at: String,
}

const ORDRE: &str = "SELECT o.*, d.dossier_id, d.site_id, f.libelle AS fonds, s.nom AS site, \
     COALESCE(p.nom_usage, p.nom_naissance) || ' ' || p.prenoms AS personne \
     FROM aide_ordres o JOIN aide_demandes d ON d.departement_id = o.departement_id AND d.id = o.demande_id \
     JOIN aide_fonds f ON f.departement_id = d.departement_id AND f.code = d.fonds_code \
     JOIN sites s ON s.departement_id = d.departement_id AND s.id = d.site_id \
     LEFT JOIN personnes p ON p.departement_id = d.departement_id AND p.id = d.personne_id \
     WHERE o.departement_id = $1";

fn ordre_from(r: &sqlx::any::AnyRow) -> Result<Ordre> {
    let mode: String = r.get("mode");
    let statut: String = r.get("statut");
    let anomalies: String = r.get("anomalies");
    Ok(Ordre {
        id: r.get("id"),
        demande_id: r.get("demande_id"),
        dossier_id: r.get("dossier_id"),
        cle: r.get("cle"),
        mode: ModePaiement::parse(&mode).ok_or_else(|| corrupt("mode de paiement", &mode))?,
        montant: Centimes(r.get("montant")),
        beneficiaire: r.get("beneficiaire"),
        iban: r.get("iban"),
        carte: r.get("carte"),
        statut: StatutOrdre::parse(&statut).ok_or_else(|| corrupt("statut d'ordre", &statut))?,
        anomalies: anomalies.split(',').filter_map(Regle::parse).collect(),
        tentatives: r.get("tentatives"),
        derniere_erreur: r.get("derniere_erreur"),
        reference: r.get("reference"),
        paye_le: r.get("paye_le"),
        examen_motif: r.get("examen_motif"),
        fonds: r.get("fonds"),
        site_id: r.get("site_id"),
        site: r.get("site"),
        personne: r.get("personne"),
        created_at: r.get("created_at"),
    })
}

/// Creates the payment order of an approval, with its idempotency key.
pub async fn ordre_creer(
    conn: &mut Conn,
    dep: &str,
    d: &Demande,
    montant: Centimes,
) -> Result<i64> {
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM aide_ordres WHERE departement_id = $1 AND demande_id = $2",
    )
    .bind(dep)
    .bind(d.id)
    .fetch_one(&mut *conn)
    .await?
    .get("n");
    let r = sqlx::query(
        "INSERT INTO aide_ordres (departement_id, demande_id, cle, mode, montant, beneficiaire, iban, carte, statut, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(dep)
    .bind(d.id)
    .bind(format!("{dep}-aide-{}-{}", d.id, n + 1))
    .bind(d.mode.code())
    .bind(montant.0)
    .bind(&d.beneficiaire)
    .bind(d.iban.as_deref())
    .bind(d.carte.as_deref())
    .bind(StatutOrdre::AVerifier.code())
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

pub async fn ordre(conn: &mut Conn, dep: &str, id: i64) -> Result<Ordre> {
    let r = sqlx::query(&format!("{ORDRE} AND o.id = $2"))
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    ordre_from(&r)
}

pub async fn ordres_de_la_demande(
    conn: &mut Conn,
    dep: &str,
    demande_id: i64,
) -> Result<Vec<Ordre>> {
    let rows = sqlx::query(&format!("{ORDRE} AND o.demande_id = $2 ORDER BY o.id"))
        .bind(dep)
        .bind(demande_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(ordre_from).collect()
}

/// Orders in a state, for the sites given (`None`: every site), oldest first.
pub async fn ordres(
    conn: &mut Conn,
    dep: &str,
    statut: StatutOrdre,
    sites: Option<&[i64]>,
    limite: i64,
) -> Result<Vec<Ordre>> {
    let Some(filtre) = filtre_sites(sites) else {
        return Ok(vec![]);
    };
    let rows = sqlx::query(&format!(
        "{ORDRE} AND o.statut = $2{filtre} ORDER BY o.id LIMIT $3"
    ))
    .bind(dep)
    .bind(statut.code())
    .bind(limite)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(ordre_from).collect()
}

/// The batch to check: every order waiting for its check, with what the rules need.
pub async fn lot_a_controler(conn: &mut Conn, dep: &str) -> Result<Vec<AControler>> {
    let rows = sqlx::query(
        "SELECT o.id, d.foyer_cle, o.mode, o.iban, d.fonds_code, d.besoin, o.montant, v.regles, d.decide_le, \
         dos.clos_le, p.fusionnee_dans, p.decede_le, d.instruit_par, d.decide_par, d.decide_en_commission, \
         c.statut AS carte_statut \
         FROM aide_ordres o JOIN aide_demandes d ON d.departement_id = o.departement_id AND d.id = o.demande_id \
         JOIN aide_fonds_versions v ON v.departement_id = d.departement_id AND v.id = d.version_id \
         JOIN dossiers dos ON dos.departement_id = d.departement_id AND dos.id = d.dossier_id \
         LEFT JOIN personnes p ON p.departement_id = d.departement_id AND p.id = d.personne_id \
         LEFT JOIN aide_cartes c ON c.departement_id = o.departement_id AND c.reference = o.carte \
         WHERE o.departement_id = $1 AND o.statut = 'a_verifier' ORDER BY o.id",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    // The rules of a version are read once per version, not once per order.
    let mut versions: BTreeMap<String, ReglesFonds> = BTreeMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let regles_txt: String = r.get("regles");
        if !versions.contains_key(&regles_txt) {
            let v: ReglesFonds = json("règles du fonds", &regles_txt)?;
            versions.insert(regles_txt.clone(), v);
        }
        let regles = &versions[&regles_txt];
        let mode: String = r.get("mode");
        let decide_le: Option<String> = r.get("decide_le");
        out.push(AControler {
            id: r.get("id"),
            foyer: r.get("foyer_cle"),
            mode: ModePaiement::parse(&mode).ok_or_else(|| corrupt("mode de paiement", &mode))?,
            iban: r.get("iban"),
            fonds: r.get("fonds_code"),
            besoin: r.get("besoin"),
            montant: Centimes(r.get("montant")),
            plafond_demande: regles.plafond_demande,
            periode_doublon_jours: regles.periode_doublon_jours,
            jour: decide_le
                .as_deref()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                .unwrap_or_default(),
            dossier_clos: r.get::<Option<String>, _>("clos_le").is_some(),
            personne_fusionnee: r.get::<Option<i64>, _>("fusionnee_dans").is_some(),
            personne_decedee: r.get::<Option<String>, _>("decede_le").is_some(),
            instruit_par: r.get("instruit_par"),
            decide_par: r.get("decide_par"),
            en_commission: r.get::<i64, _>("decide_en_commission") != 0,
            carte_active: r.get::<Option<String>, _>("carte_statut").as_deref() == Some("active"),
        });
    }
    Ok(out)
}

/// The households' earlier orders (not cancelled, not rejected) since `depuis`, for the batch's
/// households only: one join, not a read per order.
pub async fn anterieurs(conn: &mut Conn, dep: &str, depuis: NaiveDate) -> Result<Vec<Anterieur>> {
    let rows = sqlx::query(
        "SELECT o.id, d.foyer_cle, d.fonds_code, d.besoin, d.decide_le FROM aide_ordres o \
         JOIN aide_demandes d ON d.departement_id = o.departement_id AND d.id = o.demande_id \
         WHERE o.departement_id = $1 AND o.statut IN ('retenu', 'pret', 'paye') AND d.decide_le >= $2 \
         AND d.foyer_cle IN (SELECT d2.foyer_cle FROM aide_ordres o2 JOIN aide_demandes d2 \
           ON d2.departement_id = o2.departement_id AND d2.id = o2.demande_id \
           WHERE o2.departement_id = $1 AND o2.statut = 'a_verifier')",
    )
    .bind(dep)
    .bind(iso_date(depuis))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Anterieur {
            id: r.get("id"),
            foyer: r.get("foyer_cle"),
            fonds: r.get("fonds_code"),
            besoin: r.get("besoin"),
            jour: r
                .get::<Option<String>, _>("decide_le")
                .and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
                .unwrap_or_default(),
        })
        .collect())
}

/// The IBANs of the batch's transfers to persons, as already paid to persons (any household).
pub async fn ibans_connus(conn: &mut Conn, dep: &str) -> Result<Vec<IbanConnu>> {
    let rows = sqlx::query(
        "SELECT DISTINCT o.iban, d.foyer_cle FROM aide_ordres o \
         JOIN aide_demandes d ON d.departement_id = o.departement_id AND d.id = o.demande_id \
         WHERE o.departement_id = $1 AND o.mode = 'virement_personne' AND o.iban IS NOT NULL \
         AND o.statut IN ('retenu', 'pret', 'paye') \
         AND o.iban IN (SELECT o2.iban FROM aide_ordres o2 WHERE o2.departement_id = $1 \
           AND o2.statut = 'a_verifier' AND o2.mode = 'virement_personne' AND o2.iban IS NOT NULL)",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| IbanConnu {
            iban: r.get("iban"),
            foyer: r.get("foyer_cle"),
        })
        .collect())
}

/// Records the check of a batch: held orders with their rules, the others ready to pay. Set-based:
/// one statement per group of a thousand orders with the same outcome (not one per order), on the
/// batch's own ids only, so that an order created meanwhile waits for the next check.
pub async fn marquer_controles(
    conn: &mut Conn,
    dep: &str,
    ids: &[i64],
    retenus: &std::collections::HashMap<i64, Vec<Regle>>,
) -> Result<()> {
    let t = now();
    let mut groupes: BTreeMap<(StatutOrdre, String), Vec<i64>> = BTreeMap::new();
    for id in ids {
        let cle = match retenus.get(id) {
            Some(r) => (
                StatutOrdre::Retenu,
                r.iter().map(|r| r.code()).collect::<Vec<_>>().join(","),
            ),
            None => (StatutOrdre::Pret, String::new()),
        };
        groupes.entry(cle).or_default().push(*id);
    }
    for ((statut, anomalies), ids) in groupes {
        for part in ids.chunks(1000) {
            let liste = part
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",");
            sqlx::query(&format!(
                "UPDATE aide_ordres SET statut = $2, anomalies = $3, controle_le = $4 WHERE departement_id = $1 \
                 AND statut = 'a_verifier' AND id IN ({liste})"
            ))
            .bind(dep)
            .bind(statut.code())
            .bind(&anomalies)
            .bind(&t)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// A cadre's review of a held order: released (ready to pay) or cancelled.
pub async fn examiner(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    liberer: bool,
    motif: &str,
    agent: Option<i64>,
) -> Result<bool> {
    let statut = if liberer {
        StatutOrdre::Pret
    } else {
        StatutOrdre::Annule
    };
    let n = sqlx::query(
        "UPDATE aide_ordres SET statut = $3, examen_motif = $4, examine_par = $5, examine_le = $6 \
         WHERE departement_id = $1 AND id = $2 AND statut = 'retenu'",
    )
    .bind(dep)
    .bind(id)
    .bind(statut.code())
    .bind(motif)
    .bind(agent)
    .bind(now())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The provider acknowledged the order: paid (only once, whatever the retries).
pub async fn marquer_paye(conn: &mut Conn, dep: &str, id: i64, reference: &str) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE aide_ordres SET statut = 'paye', reference = $3, paye_le = $4, tentatives = tentatives + 1, \
         derniere_erreur = NULL WHERE departement_id = $1 AND id = $2 AND statut = 'pret'",
    )
    .bind(dep)
    .bind(id)
    .bind(reference)
    .bind(now())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// A failed attempt: `definitif` rejects the order, otherwise it stays ready for the next try.
pub async fn noter_echec(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    erreur: &str,
    definitif: bool,
) -> Result<()> {
    sqlx::query(
        "UPDATE aide_ordres SET tentatives = tentatives + 1, derniere_erreur = $3, \
         statut = CASE WHEN $4 = 1 THEN 'rejete' ELSE statut END WHERE departement_id = $1 AND id = $2 AND statut = 'pret'",
    )
    .bind(dep)
    .bind(id)
    .bind(erreur)
    .bind(i64::from(definitif))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Paid orders between two instants (`paye_le`), for the accounting file.
pub async fn payes_entre(conn: &mut Conn, dep: &str, du: &str, au: &str) -> Result<Vec<Ordre>> {
    let rows = sqlx::query(&format!("{ORDRE} AND o.statut = 'paye' AND o.paye_le >= $2 AND o.paye_le < $3 ORDER BY o.paye_le, o.id"))
        .bind(dep)
        .bind(du)
        .bind(au)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(ordre_from).collect()
}

/// Decided approvals without a paid order, or paid orders that differ from the decision: the
/// reconciliation of what was paid with what was decided.
#[derive(Debug, Clone, Serialize)]
pub struct Ecart {
    pub demande_id: i64,
    pub fonds: String,
    pub decide_le: String,
    pub accorde: Centimes,
    pub paye: Centimes,
    pub en_cours: Centimes,
}

pub async fn rapprochement(
    conn: &mut Conn,
    dep: &str,
    sites: Option<&[i64]>,
) -> Result<Vec<Ecart>> {
    let Some(filtre) = filtre_sites(sites) else {
        return Ok(vec![]);
    };
    let rows = sqlx::query(&format!(
        "SELECT d.id, f.libelle AS fonds, d.decide_le, d.montant_accorde, \
         CAST(COALESCE(SUM(CASE WHEN o.statut = 'paye' THEN o.montant ELSE 0 END), 0) AS BIGINT) AS paye, \
         CAST(COALESCE(SUM(CASE WHEN o.statut IN ('a_verifier', 'retenu', 'pret') THEN o.montant ELSE 0 END), 0) AS BIGINT) AS en_cours \
         FROM aide_demandes d JOIN aide_fonds f ON f.departement_id = d.departement_id AND f.code = d.fonds_code \
         LEFT JOIN aide_ordres o ON o.departement_id = d.departement_id AND o.demande_id = d.id \
         WHERE d.departement_id = $1 AND d.statut = 'accordee'{filtre} \
         GROUP BY d.id, f.libelle, d.decide_le, d.montant_accorde \
         HAVING COALESCE(SUM(CASE WHEN o.statut = 'paye' THEN o.montant ELSE 0 END), 0) <> d.montant_accorde \
         ORDER BY d.decide_le, d.id LIMIT 500"
    ))
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Ecart {
            demande_id: r.get("id"),
            fonds: r.get("fonds"),
            decide_le: r.get::<Option<String>, _>("decide_le").unwrap_or_default(),
            accorde: Centimes(r.get::<Option<i64>, _>("montant_accorde").unwrap_or(0)),
            paye: Centimes(r.get("paye")),
            en_cours: Centimes(r.get("en_cours")),
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Figures

/// One line of the figures: a fund, an MDS, a month.
#[derive(Debug, Clone, Serialize)]
pub struct LigneChiffres {
    pub mois: String,
    pub site: String,
    pub fonds: String,
    pub demandes: i64,
    pub accordees: i64,
    pub refusees: i64,
    pub montant_demande: Centimes,
    pub montant_accorde: Centimes,
    /// Days from request to decision, summed over decided requests (mean = sum / decided).
    pub jours_decision: i64,
    pub decidees: i64,
    /// Days from decision to payment, summed over paid requests (mean = sum / paid).
    pub jours_paiement: i64,
    pub payees: i64,
    /// Paid, in euro cents.
    pub montant_paye: Centimes,
}

/// Requests by month of request, MDS and fund, since `depuis` (`AAAA-MM-JJ`).
pub async fn chiffres(
    conn: &mut Conn,
    dep: &str,
    depuis: &str,
    sites: Option<&[i64]>,
) -> Result<Vec<LigneChiffres>> {
    let Some(filtre) = filtre_sites(sites) else {
        return Ok(vec![]);
    };
    let rows = sqlx::query(&format!(
        "SELECT SUBSTR(d.demandee_le, 1, 7) AS mois, s.nom AS site, f.libelle AS fonds, d.statut, d.sens, \
         d.montant_demande, d.montant_accorde, d.demandee_le, d.decide_le, \
         (SELECT MIN(o.paye_le) FROM aide_ordres o WHERE o.departement_id = d.departement_id AND o.demande_id = d.id \
          AND o.statut = 'paye') AS paye_le, \
         (SELECT CAST(COALESCE(SUM(o.montant), 0) AS BIGINT) FROM aide_ordres o WHERE o.departement_id = d.departement_id \
          AND o.demande_id = d.id AND o.statut = 'paye') AS paye \
         FROM aide_demandes d JOIN aide_fonds f ON f.departement_id = d.departement_id AND f.code = d.fonds_code \
         JOIN sites s ON s.departement_id = d.departement_id AND s.id = d.site_id \
         WHERE d.departement_id = $1 AND d.demandee_le >= $2{filtre}"
    ))
    .bind(dep)
    .bind(depuis)
    .fetch_all(&mut *conn)
    .await?;
    let mut acc: BTreeMap<(String, String, String), LigneChiffres> = BTreeMap::new();
    for r in &rows {
        let key = (
            r.get::<String, _>("mois"),
            r.get::<String, _>("site"),
            r.get::<String, _>("fonds"),
        );
        let l = acc.entry(key.clone()).or_insert_with(|| LigneChiffres {
            mois: key.0.clone(),
            site: key.1.clone(),
            fonds: key.2.clone(),
            demandes: 0,
            accordees: 0,
            refusees: 0,
            montant_demande: Centimes(0),
            montant_accorde: Centimes(0),
            jours_decision: 0,
            decidees: 0,
            jours_paiement: 0,
            payees: 0,
            montant_paye: Centimes(0),
        });
        l.demandes += 1;
        l.montant_demande = l.montant_demande + Centimes(r.get("montant_demande"));
        let statut: String = r.get("statut");
        if statut == "accordee" {
            l.accordees += 1;
            l.montant_accorde = l.montant_accorde
                + Centimes(r.get::<Option<i64>, _>("montant_accorde").unwrap_or(0));
        } else if statut == "refusee" {
            l.refusees += 1;
        }
        if matches!(statut.as_str(), "accordee" | "refusee") {
            let a = NaiveDate::parse_from_str(&r.get::<String, _>("demandee_le"), "%Y-%m-%d").ok();
            let b = r
                .get::<Option<String>, _>("decide_le")
                .and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
            if let (Some(a), Some(b)) = (a, b) {
                l.jours_decision += (b - a).num_days();
                l.decidees += 1;
            }
            // The payment's day in the département's zone, against the day of the decision.
            let paye = r
                .get::<Option<String>, _>("paye_le")
                .and_then(|t| crate::parse_time(&t))
                .map(|t| crate::clock().civil(t).date());
            if let (Some(b), Some(p)) = (b, paye) {
                l.jours_paiement += (p - b).num_days().max(0);
                l.payees += 1;
            }
        }
        l.montant_paye = l.montant_paye + Centimes(r.get("paye"));
    }
    Ok(acc.into_values().collect())
}

// ---------------------------------------------------------------------------------------------
// Demo

/// Financial aids of the demo département: this year's envelopes in every MDS, budgets and requests
/// on the dossiers of the social workers spread over twelve months (instructed, granted, refused,
/// postponed), their payment orders (paid, ready, held by an anomaly rule), and a commission to come
/// in each MDS with FSL requests on its agenda.
pub async fn seed_demo(conn: &mut Conn, dep: &str) -> Result<usize> {
    use chrono::Datelike;
    use parcours_domain::aides::budget::{calculer, Categorie};
    let today = crate::clock().today();
    let annee = today.year();
    let sites: Vec<i64> = sqlx::query("SELECT id FROM sites WHERE departement_id = $1 AND kind = 'MDS' AND ferme_le IS NULL ORDER BY id")
        .bind(dep)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.get("id"))
        .collect();
    let montants: [(&str, i64); 9] = [
        ("secours_urgence", 25_000),
        ("allocation_mensuelle", 30_000),
        ("fsl_acces", 40_000),
        ("fsl_maintien", 60_000),
        ("fsl_energie", 20_000),
        ("fsl_eau", 8_000),
        ("faj", 12_000),
        ("argent_de_poche", 6_000),
        ("veture", 6_000),
    ];
    for s in &sites {
        for (f, e) in montants {
            for a in [annee - 1, annee] {
                allouer(conn, dep, f, *s, a, Centimes::euros(e)).await?;
            }
        }
    }
    let rows = sqlx::query(
        "SELECT d.id, d.personne_id, r.agent_id, s.site_id FROM dossiers d \
         JOIN dossier_referents r ON r.departement_id = d.departement_id AND r.dossier_id = d.id AND r.jusqu_au IS NULL \
         JOIN dossier_services s ON s.departement_id = d.departement_id AND s.dossier_id = d.id \
         AND s.service_id = r.service_id AND s.jusqu_au IS NULL \
         WHERE d.departement_id = $1 AND d.personne_id IS NOT NULL AND d.clos_le IS NULL AND s.site_id IS NOT NULL \
         ORDER BY d.id DESC LIMIT 240",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    let cadres: BTreeMap<i64, i64> = sqlx::query(
        "SELECT f.site_id, MIN(a.id) AS id FROM agents a JOIN affectations f ON f.departement_id = a.departement_id \
         AND f.agent_id = a.id AND f.fin IS NULL WHERE a.departement_id = $1 AND a.role = 'cadre' \
         AND f.site_id IS NOT NULL GROUP BY f.site_id",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| (r.get("site_id"), r.get("id")))
    .collect();
    let catalogue = catalogue(conn, dep, today).await?;
    let fonds_de = |code: &str| catalogue.iter().find(|f| f.code == code).cloned();
    // Commissions to come, one per MDS.
    let mut commissions = BTreeMap::new();
    for s in &sites {
        let c = commission_creer(
            conn,
            dep,
            Some(*s),
            today + chrono::Days::new(8),
            "Commission FSL et aides financières",
            "Responsable de MDS (présidente), deux travailleurs sociaux, représentant de la CAF",
            cadres.get(s).copied(),
        )
        .await?;
        commissions.insert(*s, c);
    }
    let ibans = [
        "FR76 3000 6000 0112 3456 7890 189",
        "FR14 2004 1010 0505 0001 3M02 606",
        "FR76 1027 8060 3100 0205 9540 166",
    ];
    let mut n = 0;
    let mut cartes_demo: BTreeMap<i64, String> = BTreeMap::new();
    // Two foster carers of the first MDS hold a card for the pocket money and clothing.
    if let Some(s) = sites.first() {
        for (nom, agrement, reference) in [
            ("Nadia BENALI", "AF-2019/042", "CB-AF-0001"),
            ("Sylvie LE GALL", "AF-2021/117", "CB-AF-0002"),
        ] {
            cartes::seed_une(
                conn,
                dep,
                *s,
                parcours_domain::aides::carte::Titulaire::AssistantFamilial,
                None,
                nom,
                Some(agrement),
                reference,
                today - chrono::Days::new(400),
            )
            .await?;
        }
    }
    for (i, r) in rows.iter().enumerate() {
        let dossier: i64 = r.get("id");
        let personne: i64 = r.get("personne_id");
        let referent: i64 = r.get("agent_id");
        let site: i64 = r.get("site_id");
        let cadre = cadres.get(&site).copied().unwrap_or(referent);
        let jours = (i as u64 * 11) % 330 + 3;
        let jour = today - chrono::Days::new(jours);
        let foyer = match crate::personnes::foyer_of(conn, dep, personne, jour).await? {
            Some(f) => format!("f{f}"),
            None => format!("p{personne}"),
        };
        let nom: String = sqlx::query("SELECT COALESCE(nom_usage, nom_naissance) || ' ' || prenoms AS n FROM personnes WHERE departement_id = $1 AND id = $2")
            .bind(dep)
            .bind(personne)
            .fetch_one(&mut *conn)
            .await?
            .get("n");
        let ressources = 450 + (i as i64 * 37) % 700;
        let loyer = 250 + (i as i64 * 23) % 350;
        let lignes = vec![
            Ligne {
                poste: "rsa".into(),
                categorie: Categorie::Ressource,
                libelle: "RSA".into(),
                mensuel: Centimes::euros(ressources),
                encours: None,
            },
            Ligne {
                poste: "loyer".into(),
                categorie: Categorie::Charge,
                libelle: "Loyer et charges locatives".into(),
                mensuel: Centimes::euros(loyer),
                encours: None,
            },
            Ligne {
                poste: "energie".into(),
                categorie: Categorie::Charge,
                libelle: "Électricité, gaz, chauffage".into(),
                mensuel: Centimes::euros(60 + (i as i64 % 5) * 15),
                encours: None,
            },
        ];
        let membres = vec![Membre { age: Some(35) }];
        let calcul = calculer(&lignes, &membres);
        let budget = budget_creer(
            conn,
            dep,
            dossier,
            jour,
            &lignes,
            &membres,
            &calcul,
            Some(referent),
        )
        .await?;
        let (code, besoin, euros, mode) = match i % 6 {
            0..=2 => (
                "secours_urgence",
                ["alimentation", "energie", "transport"][i % 3],
                60 + (i as i64 % 4) * 20,
                ModePaiement::Carte,
            ),
            3 => (
                "fsl_energie",
                "electricite",
                180 + (i as i64 % 3) * 60,
                ModePaiement::VirementTiers,
            ),
            4 => (
                "allocation_mensuelle",
                "entretien",
                150,
                ModePaiement::VirementPersonne,
            ),
            _ => (
                "fsl_maintien",
                "impayes_loyer",
                900 + (i as i64 % 4) * 150,
                ModePaiement::VirementTiers,
            ),
        };
        let Some(fonds) = fonds_de(code) else {
            continue;
        };
        let montant = Centimes::euros(euros);
        let (beneficiaire, iban, carte) = match mode {
            ModePaiement::Carte => {
                // The person's card of the register, made once.
                let reference = match cartes_demo.get(&personne) {
                    Some(r) => r.clone(),
                    None => {
                        let r = format!("CB-{:06}", 4000 + i);
                        // Issued the week before the first aid it receives.
                        cartes::seed_une(
                            conn,
                            dep,
                            site,
                            parcours_domain::aides::carte::Titulaire::Personne,
                            Some(personne),
                            &nom,
                            None,
                            &r,
                            jour - chrono::Days::new(7),
                        )
                        .await?;
                        cartes_demo.insert(personne, r.clone());
                        r
                    }
                };
                (nom.clone(), None, Some(reference))
            }
            ModePaiement::VirementTiers => (
                if code == "fsl_energie" {
                    "Fournisseur d'énergie (démo)".to_string()
                } else {
                    "Bailleur social (démo)".to_string()
                },
                Some(ibans[0].to_string()),
                None,
            ),
            ModePaiement::VirementPersonne => {
                (nom.clone(), Some(ibans[1 + i % 2].to_string()), None)
            }
        };
        let pieces: Vec<String> = fonds.regles.pieces.iter().map(|p| p.code.clone()).collect();
        let d = parcours_domain::aides::demande::Demande {
            besoin: besoin.into(),
            montant,
            mode,
            beneficiaire,
            iban,
            carte,
            motif: "Situation étudiée avec la personne lors de l'entretien.".into(),
            pieces,
            niveau: fonds.regles.niveau_requis(montant),
        };
        let id = demande_creer(
            conn,
            dep,
            &NouvelleDemande {
                dossier_id: dossier,
                personne_id: Some(personne),
                foyer_cle: &foyer,
                site_id: site,
                fonds: &fonds,
                demande: &d,
                budget_id: Some(budget),
                instruit_par: Some(referent),
                jour,
                procedure_id: None,
            },
        )
        .await?;
        n += 1;
        // The most recent stay in instruction (FSL ones on the commission's agenda); the others are decided.
        if jours < 20 {
            if d.niveau == Niveau::Commission {
                inscrire_en_commission(conn, dep, id, commissions.get(&site).copied()).await?;
            }
            continue;
        }
        let decide_le = jour + chrono::Days::new(2 + (i as u64 % 9));
        let (sens, accorde, motivation) = match i % 10 {
            7 => (Sens::Refus, Centimes(0), "Reste à vivre au-dessus du barème du fonds ; orientation vers la banque alimentaire."),
            8 => (Sens::Ajournement, Centimes(0), "Décompte de la dette locative à fournir."),
            9 => (Sens::AccordPartiel, Centimes(montant.0 * 2 / 3), "Prise en charge partielle, le reste étalé avec le créancier."),
            _ => (Sens::Accord, montant, ""),
        };
        let decideur = if d.niveau == Niveau::TravailleurSocial && i % 4 == 0 {
            referent
        } else {
            cadre
        };
        let decision = parcours_domain::aides::demande::Decision {
            sens,
            montant: accorde,
            motivation: motivation.into(),
            depassement: None,
        };
        decider(
            conn,
            dep,
            id,
            &decision,
            Some(decideur),
            decide_le,
            d.niveau == Niveau::Commission,
        )
        .await?;
        if !sens.accorde() {
            continue;
        }
        engager(
            conn,
            dep,
            &fonds.code,
            site,
            decide_le.year(),
            accorde,
            true,
        )
        .await?;
        let dem = demande(conn, dep, id).await?;
        let o = ordre_creer(conn, dep, &dem, accorde).await?;
        // Older orders are paid; the recent ones wait for the check, which the job runs.
        if jours > 45 {
            sqlx::query("UPDATE aide_ordres SET statut = 'paye', reference = $3, paye_le = $4, controle_le = $4, tentatives = 1 WHERE departement_id = $1 AND id = $2")
                .bind(dep)
                .bind(o)
                .bind(format!("OP-DEMO-{o:06}"))
                .bind(crate::format_time(crate::clock().utc((decide_le + chrono::Days::new(1)).and_hms_opt(9, 0, 0).unwrap_or_default())))
                .execute(&mut *conn)
                .await?;
            mouvement(conn, dep, id, accorde, true).await?;
        }
    }
    // The recent orders wait for the anomaly check (job `aides.controle` of parcours-jobs).
    crate::jobs::enqueue(conn, dep, "aides.controle", &serde_json::json!({}), 5).await?;
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// Letter templates

/// A version of a letter template.
#[derive(Debug, Clone, Serialize)]
pub struct Modele {
    pub id: i64,
    pub source: String,
    pub auteur: Option<String>,
    pub created_at: String,
}

/// The versions of a template, the one in force first.
pub async fn modeles(conn: &mut Conn, dep: &str, nom: &str) -> Result<Vec<Modele>> {
    let rows = sqlx::query(
        "SELECT m.id, m.source, m.created_at, a.prenom || ' ' || a.nom AS auteur FROM modeles_courrier m \
         LEFT JOIN agents a ON a.departement_id = m.departement_id AND a.id = m.cree_par \
         WHERE m.departement_id = $1 AND m.nom = $2 ORDER BY m.id DESC",
    )
    .bind(dep)
    .bind(nom)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Modele {
            id: r.get("id"),
            source: r.get("source"),
            auteur: r.get("auteur"),
            created_at: r.get("created_at"),
        })
        .collect())
}

pub async fn modele_enregistrer(
    conn: &mut Conn,
    dep: &str,
    nom: &str,
    source: &str,
    agent: Option<i64>,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO modeles_courrier (departement_id, nom, source, cree_par, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(dep)
    .bind(nom)
    .bind(source)
    .bind(agent)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

/// The département's logo in force for its letters: (format, bytes), `None` when none is recorded
/// or the last one was withdrawn.
pub async fn logo(conn: &mut Conn, dep: &str) -> Result<Option<(String, Vec<u8>)>> {
    let r = sqlx::query(
        "SELECT format, contenu FROM logos_courrier WHERE departement_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(dep)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(r.and_then(|r| {
        let format: Option<String> = r.get("format");
        let contenu: Option<Vec<u8>> = r.get("contenu");
        format.zip(contenu)
    }))
}

/// Records a new logo (`None`: withdraws it); the earlier ones stay.
pub async fn logo_enregistrer(
    conn: &mut Conn,
    dep: &str,
    logo: Option<(&str, &[u8])>,
    agent: Option<i64>,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO logos_courrier (departement_id, format, contenu, cree_par, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(dep)
    .bind(logo.map(|(f, _)| f))
    .bind(logo.map(|(_, c)| c.to_vec()))
    .bind(agent)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}
