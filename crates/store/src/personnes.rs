//! Persistence of personnes and foyers: état civil and contacts, dated situations and addresses
//! (append-only: a change is a new row, the history stays), foyers and their members over time, and
//! the search of people. Every function is scoped to one département and is meant to run inside the
//! caller's transaction, next to the audit entry that records it (état civil corrections overwrite the
//! record: the audit entry is their history).

use chrono::NaiveDate;
use parcours_domain::personnes::{
    check_depart, chevauchement, composition_le, nom_recherche, split_prenoms, Adresse,
    ContactKind, Emploi, Foyer, Logement, Membre, NewAdresse, NewMembre, NewPersonne, NewSituation,
    Periode, Personne, PersonneResume, Recherche, Ressource, RoleFoyer, Sexe, Situation,
    SituationFamiliale,
};
use parcours_domain::Invalid;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::iso_date as iso;
use crate::{now, on_unique, referentiel, touched, Conn, Result, StoreError};

/// A change of foyer membership can break a rule (overlap, departure before arrival) that only the
/// store can check, since it sees the person's other foyers: such a refusal carries its message per
/// field, to show beside the form field like a parse error.
#[derive(Debug, thiserror::Error)]
pub enum MembreError {
    #[error(transparent)]
    Regle(#[from] Invalid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for MembreError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(e))
    }
}

fn read_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| StoreError::Other(anyhow::anyhow!("date illisible en base : « {s} »")))
}

fn read_opt_date(s: Option<String>) -> Result<Option<NaiveDate>> {
    s.as_deref().map(read_date).transpose()
}

// ---------------------------------------------------------------------------------------------------
// État civil and contacts

const RESUME_COLUMNS: &str = "id, nom_naissance, nom_usage, prenoms, sexe, date_naissance";

fn resume(r: &AnyRow) -> Result<PersonneResume> {
    Ok(PersonneResume {
        id: r.get("id"),
        nom_naissance: r.get("nom_naissance"),
        nom_usage: r.get("nom_usage"),
        prenoms: split_prenoms(&r.get::<String, _>("prenoms")),
        sexe: Sexe::from_code(r.get("sexe")).unwrap_or(Sexe::Inconnu),
        date_naissance: read_opt_date(r.get("date_naissance"))?,
    })
}

fn lieu_columns(p: &NewPersonne) -> (Option<String>, Option<String>) {
    use parcours_domain::personnes::LieuNaissance;
    match &p.lieu_naissance {
        Some(LieuNaissance::Commune(c)) => (Some(c.as_str().to_string()), None),
        Some(LieuNaissance::Pays(c)) => (None, Some(c.as_str().to_string())),
        None => (None, None),
    }
}

/// Records a person and their contacts; a NIR already held by another person of the département is a
/// conflict on `nir` (the same person recorded twice).
pub async fn create(conn: &mut Conn, dep: &str, p: &NewPersonne) -> Result<i64> {
    let (commune, pays) = lieu_columns(p);
    let at = now();
    let r = sqlx::query(
        "INSERT INTO personnes (departement_id, nom_naissance, nom_usage, prenoms, sexe, date_naissance, \
         commune_naissance, pays_naissance, nir, nom_recherche, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(dep)
    .bind(&p.nom_naissance)
    .bind(&p.nom_usage)
    .bind(p.prenoms.join(", "))
    .bind(p.sexe.code())
    .bind(p.date_naissance.map(iso))
    .bind(commune)
    .bind(pays)
    .bind(p.nir.as_ref().map(|n| n.as_str().to_string()))
    .bind(p.nom_recherche())
    .bind(&at)
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("nir"))?;
    let id: i64 = r.get("id");
    insert_contacts(conn, dep, id, p, &at).await?;
    write_noms(
        conn,
        dep,
        id,
        &p.nom_naissance,
        p.nom_usage.as_deref(),
        &p.prenoms,
        false,
    )
    .await?;
    Ok(id)
}

async fn insert_contacts(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    p: &NewPersonne,
    at: &str,
) -> Result<()> {
    let contacts = p
        .telephones
        .iter()
        .map(|t| (ContactKind::Telephone, t.as_str()))
        .chain(p.email.iter().map(|e| (ContactKind::Email, e.as_str())));
    for (rang, (kind, valeur)) in contacts.enumerate() {
        sqlx::query(
            "INSERT INTO personne_contacts (departement_id, personne_id, kind, valeur, rang, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(dep)
        .bind(id)
        .bind(kind.code())
        .bind(valeur)
        .bind(rang as i64)
        .bind(at)
        .execute(&mut *conn)
        .await
        .map_err(on_unique("telephone"))?;
    }
    Ok(())
}

/// Corrects the état civil and replaces the contacts. The previous values are not kept here: the
/// caller records the correction (before and after) in the audit log.
pub async fn update(conn: &mut Conn, dep: &str, id: i64, p: &NewPersonne) -> Result<()> {
    let (commune, pays) = lieu_columns(p);
    let at = now();
    let done = sqlx::query(
        "UPDATE personnes SET nom_naissance = $1, nom_usage = $2, prenoms = $3, sexe = $4, date_naissance = $5, \
         commune_naissance = $6, pays_naissance = $7, nir = $8, nom_recherche = $9, updated_at = $10 \
         WHERE departement_id = $11 AND id = $12",
    )
    .bind(&p.nom_naissance)
    .bind(&p.nom_usage)
    .bind(p.prenoms.join(", "))
    .bind(p.sexe.code())
    .bind(p.date_naissance.map(iso))
    .bind(commune)
    .bind(pays)
    .bind(p.nir.as_ref().map(|n| n.as_str().to_string()))
    .bind(p.nom_recherche())
    .bind(&at)
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(on_unique("nir"))?;
    touched(done.rows_affected(), StoreError::NotFound)?;
    write_noms(
        conn,
        dep,
        id,
        &p.nom_naissance,
        p.nom_usage.as_deref(),
        &p.prenoms,
        true,
    )
    .await?;
    sqlx::query("DELETE FROM personne_contacts WHERE departement_id = $1 AND personne_id = $2")
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    insert_contacts(conn, dep, id, p, &at).await
}

/// A person with their contacts; another département's person is not found.
pub async fn get(conn: &mut Conn, dep: &str, id: i64) -> Result<Personne> {
    let r = sqlx::query(
        "SELECT id, nom_naissance, nom_usage, prenoms, sexe, date_naissance, commune_naissance, pays_naissance, \
         nir, created_at, updated_at FROM personnes WHERE departement_id = $1 AND id = $2",
    )
    .bind(dep)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let contacts = sqlx::query(
        "SELECT kind, valeur FROM personne_contacts WHERE departement_id = $1 AND personne_id = $2 ORDER BY rang, id",
    )
    .bind(dep)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let of_kind = |k: ContactKind| {
        contacts
            .iter()
            .filter(move |c| c.get::<String, _>("kind") == k.code())
            .map(|c| c.get::<String, _>("valeur"))
    };
    let base = resume(&r)?;
    Ok(Personne {
        id: base.id,
        nom_naissance: base.nom_naissance,
        nom_usage: base.nom_usage,
        prenoms: base.prenoms,
        sexe: base.sexe,
        date_naissance: base.date_naissance,
        commune_naissance: r.get("commune_naissance"),
        pays_naissance: r.get("pays_naissance"),
        nir: r.get("nir"),
        telephones: of_kind(ContactKind::Telephone).collect(),
        email: of_kind(ContactKind::Email).next(),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    })
}

// ---------------------------------------------------------------------------------------------------
// Situations (append-only)

fn situation(r: &AnyRow) -> Result<Situation> {
    let code = |col: &str| r.get::<Option<String>, _>(col);
    Ok(Situation {
        id: r.get("id"),
        personne_id: r.get("personne_id"),
        valid_from: read_date(&r.get::<String, _>("valid_from"))?,
        familiale: code("familiale").and_then(|c| SituationFamiliale::parse(&c)),
        logement: code("logement").and_then(|c| Logement::parse(&c)),
        emploi: code("emploi").and_then(|c| Emploi::parse(&c)),
        ressources: r
            .get::<String, _>("ressources")
            .split_whitespace()
            .filter_map(Ressource::parse)
            .collect(),
        created_by: r.get("created_by"),
        created_at: r.get("created_at"),
    })
}

const SITUATION_COLUMNS: &str =
    "id, personne_id, valid_from, familiale, logement, emploi, ressources, created_by, created_at";

/// Adds a situation from its date; earlier ones stay as they were.
pub async fn situation_add(
    conn: &mut Conn,
    dep: &str,
    personne_id: i64,
    s: &NewSituation,
    created_by: Option<i64>,
) -> Result<i64> {
    let ressources: Vec<&str> = s.ressources.iter().map(|r| r.code()).collect();
    let r = sqlx::query(
        "INSERT INTO personne_situations (departement_id, personne_id, valid_from, familiale, logement, emploi, \
         ressources, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(dep)
    .bind(personne_id)
    .bind(iso(s.valid_from))
    .bind(s.familiale.map(|c| c.code()))
    .bind(s.logement.map(|c| c.code()))
    .bind(s.emploi.map(|c| c.code()))
    .bind(ressources.join(" "))
    .bind(created_by)
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("valid_from"))?;
    Ok(r.get("id"))
}

/// The history of a person's situation, the current one first (latest `valid_from`; between two of
/// the same date, the later recorded).
pub async fn situations(conn: &mut Conn, dep: &str, personne_id: i64) -> Result<Vec<Situation>> {
    let rows = dated_rows(
        conn,
        "personne_situations",
        SITUATION_COLUMNS,
        dep,
        personne_id,
        None,
    )
    .await?;
    rows.iter().map(situation).collect()
}

/// The situation in force on `date` (`None` before the first one).
pub async fn situation_at(
    conn: &mut Conn,
    dep: &str,
    personne_id: i64,
    date: NaiveDate,
) -> Result<Option<Situation>> {
    let rows = dated_rows(
        conn,
        "personne_situations",
        SITUATION_COLUMNS,
        dep,
        personne_id,
        Some(date),
    )
    .await?;
    rows.first().map(situation).transpose()
}

/// Rows of an append-only dated table of a person, newest first (latest `valid_from`, then the later
/// recorded); with `at`, only the row in force on that date.
async fn dated_rows(
    conn: &mut Conn,
    table: &str,
    columns: &str,
    dep: &str,
    personne_id: i64,
    at: Option<NaiveDate>,
) -> Result<Vec<AnyRow>> {
    let (filter, limit) = if at.is_some() {
        ("AND valid_from <= $3", " LIMIT 1")
    } else {
        ("", "")
    };
    let sql = format!(
        "SELECT {columns} FROM {table} WHERE departement_id = $1 AND personne_id = $2 {filter} \
         ORDER BY valid_from DESC, id DESC{limit}"
    );
    let mut q = sqlx::query(&sql).bind(dep).bind(personne_id);
    if let Some(d) = at {
        q = q.bind(iso(d));
    }
    Ok(q.fetch_all(&mut *conn).await?)
}

// ---------------------------------------------------------------------------------------------------
// Addresses (append-only, resolved to a secteur)

fn adresse(r: &AnyRow) -> Result<Adresse> {
    Ok(Adresse {
        id: r.get("id"),
        personne_id: r.get("personne_id"),
        lignes: r
            .get::<String, _>("lignes")
            .lines()
            .map(str::to_string)
            .collect(),
        code_postal: r.get("code_postal"),
        commune_insee: r.get("commune_insee"),
        secteur_id: r.get("secteur_id"),
        valid_from: read_date(&r.get::<String, _>("valid_from"))?,
        created_at: r.get("created_at"),
    })
}

const ADRESSE_COLUMNS: &str =
    "id, personne_id, lignes, code_postal, commune_insee, secteur_id, valid_from, created_at";

/// Records a new address from its date and attaches it to the secteur of its commune (none when the
/// commune is outside the département or not attached). Earlier addresses stay in the history.
pub async fn adresse_set(
    conn: &mut Conn,
    dep: &str,
    personne_id: i64,
    a: &NewAdresse,
    created_by: Option<i64>,
) -> Result<Adresse> {
    let insee = a.commune_insee.as_str();
    // `resolve` falls back to postcodes when the code is not a commune of the département; an INSEE
    // code of elsewhere that happens to equal a local postcode must not pick that secteur.
    let secteur_id = referentiel::resolve(conn, dep, insee, None)
        .await?
        .filter(|r| r.commune.insee == insee)
        .and_then(|r| r.secteur)
        .map(|s| s.id);
    let r = sqlx::query(
        "INSERT INTO adresses (departement_id, personne_id, lignes, code_postal, commune_insee, secteur_id, \
         valid_from, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(dep)
    .bind(personne_id)
    .bind(a.lignes.join("\n"))
    .bind(&a.code_postal)
    .bind(insee)
    .bind(secteur_id)
    .bind(iso(a.valid_from))
    .bind(created_by)
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("commune_insee"))?;
    let id: i64 = r.get("id");
    let sql =
        format!("SELECT {ADRESSE_COLUMNS} FROM adresses WHERE departement_id = $1 AND id = $2");
    let r = sqlx::query(&sql)
        .bind(dep)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    adresse(&r)
}

/// The addresses of a person, the current one first.
pub async fn adresses(conn: &mut Conn, dep: &str, personne_id: i64) -> Result<Vec<Adresse>> {
    let rows = dated_rows(conn, "adresses", ADRESSE_COLUMNS, dep, personne_id, None).await?;
    rows.iter().map(adresse).collect()
}

/// The address in force on `date`.
pub async fn adresse_at(
    conn: &mut Conn,
    dep: &str,
    personne_id: i64,
    date: NaiveDate,
) -> Result<Option<Adresse>> {
    let rows = dated_rows(
        conn,
        "adresses",
        ADRESSE_COLUMNS,
        dep,
        personne_id,
        Some(date),
    )
    .await?;
    rows.first().map(adresse).transpose()
}

// ---------------------------------------------------------------------------------------------------
// Foyers

pub async fn foyer_create(conn: &mut Conn, dep: &str) -> Result<i64> {
    let r =
        sqlx::query("INSERT INTO foyers (departement_id, created_at) VALUES ($1, $2) RETURNING id")
            .bind(dep)
            .bind(now())
            .fetch_one(&mut *conn)
            .await
            .map_err(on_unique("id"))?;
    Ok(r.get("id"))
}

pub async fn foyer_get(conn: &mut Conn, dep: &str, id: i64) -> Result<Foyer> {
    let r = sqlx::query("SELECT id, created_at FROM foyers WHERE departement_id = $1 AND id = $2")
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(Foyer {
        id: r.get("id"),
        created_at: r.get("created_at"),
    })
}

/// Adds a person to a foyer for a period. Refused (`MembreError::Regle`, message on `arrivee`) when
/// the period overlaps another of the person's memberships, in this foyer or another; an unknown
/// person or foyer of the département is `StoreError::Reference`.
pub async fn membre_add(
    conn: &mut Conn,
    dep: &str,
    foyer_id: i64,
    m: &NewMembre,
) -> Result<i64, MembreError> {
    if let Some(depart) = m.periode.depart {
        check_depart(m.periode.arrivee, depart).map_err(|msg| Invalid::field("depart", msg))?;
    }
    // Two transactions adding the same person at once could each see no overlap: lock the person's
    // row first on PostgreSQL (SQLite has a single writer, so its transactions are already serial).
    let lock = if conn.backend_name() == "PostgreSQL" {
        "SELECT id FROM personnes WHERE departement_id = $1 AND id = $2 FOR UPDATE"
    } else {
        "SELECT id FROM personnes WHERE departement_id = $1 AND id = $2"
    };
    sqlx::query(lock)
        .bind(dep)
        .bind(m.personne_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::Reference)?;
    let existing = periodes(conn, dep, m.personne_id).await?;
    if let Some(msg) = chevauchement(&existing, &m.periode) {
        return Err(Invalid::field("arrivee", msg).into());
    }
    let r = sqlx::query(
        "INSERT INTO foyer_membres (departement_id, foyer_id, personne_id, role, arrivee, depart, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(dep)
    .bind(foyer_id)
    .bind(m.personne_id)
    .bind(m.role.code())
    .bind(iso(m.periode.arrivee))
    .bind(m.periode.depart.map(iso))
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("personne_id"))?;
    Ok(r.get("id"))
}

/// The periods of every membership of a person, in any foyer of the département.
async fn periodes(conn: &mut Conn, dep: &str, personne_id: i64) -> Result<Vec<Periode>> {
    let rows = sqlx::query(
        "SELECT arrivee, depart FROM foyer_membres WHERE departement_id = $1 AND personne_id = $2",
    )
    .bind(dep)
    .bind(personne_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Periode {
                arrivee: read_date(&r.get::<String, _>("arrivee"))?,
                depart: read_opt_date(r.get("depart"))?,
            })
        })
        .collect()
}

/// Records that a member left the foyer on `depart` (the first day they are no longer in it).
/// Refused when the departure is already recorded or precedes the arrival (message on `depart`).
pub async fn membre_depart(
    conn: &mut Conn,
    dep: &str,
    membre_id: i64,
    depart: NaiveDate,
) -> Result<(), MembreError> {
    let r = sqlx::query(
        "SELECT arrivee, depart FROM foyer_membres WHERE departement_id = $1 AND id = $2",
    )
    .bind(dep)
    .bind(membre_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let arrivee = read_date(&r.get::<String, _>("arrivee"))?;
    if let Some(d) = read_opt_date(r.get("depart"))? {
        return Err(Invalid::field(
            "depart",
            format!(
                "Le départ de cette personne est déjà enregistré (le {}).",
                d.format("%d/%m/%Y")
            ),
        )
        .into());
    }
    check_depart(arrivee, depart).map_err(|msg| Invalid::field("depart", msg))?;
    let done = sqlx::query(
        "UPDATE foyer_membres SET depart = $1 WHERE departement_id = $2 AND id = $3 AND depart IS NULL",
    )
    .bind(iso(depart))
    .bind(dep)
    .bind(membre_id)
    .execute(&mut *conn)
    .await?;
    Ok(touched(done.rows_affected(), StoreError::NotFound)?)
}

fn membre(r: &AnyRow) -> Result<Membre> {
    Ok(Membre {
        id: r.get("membre_id"),
        foyer_id: r.get("foyer_id"),
        role: RoleFoyer::parse(&r.get::<String, _>("role")).unwrap_or(RoleFoyer::Autre),
        periode: Periode {
            arrivee: read_date(&r.get::<String, _>("arrivee"))?,
            depart: read_opt_date(r.get("depart"))?,
        },
        personne: resume(r)?,
    })
}

/// Every membership of the foyer, past and present, by arrival.
/// How a foyer is named to people: « Foyer de NOM Prénoms », after its present demandeur (else its
/// earliest present member, else its earliest member); never by its number.
pub async fn foyer_nom(conn: &mut Conn, dep: &str, foyer_id: i64) -> Result<String> {
    let r = sqlx::query(
        "SELECT COALESCE(p.nom_usage, p.nom_naissance) AS nom, p.prenoms FROM foyer_membres m \
         JOIN personnes p ON p.departement_id = m.departement_id AND p.id = m.personne_id \
         WHERE m.departement_id = $1 AND m.foyer_id = $2 \
         ORDER BY CASE WHEN m.depart IS NULL THEN 0 ELSE 1 END, \
           CASE WHEN m.role = 'DEMANDEUR' THEN 0 ELSE 1 END, m.arrivee, m.id LIMIT 1",
    )
    .bind(dep)
    .bind(foyer_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match r {
        Some(r) => format!(
            "Foyer de {} {}",
            r.get::<String, _>("nom").to_uppercase(),
            r.get::<String, _>("prenoms").replace(',', " ")
        ),
        None => "Foyer sans membre".to_string(),
    })
}

pub async fn membres(conn: &mut Conn, dep: &str, foyer_id: i64) -> Result<Vec<Membre>> {
    let rows = sqlx::query(
        "SELECT m.id AS membre_id, m.foyer_id, m.role, m.arrivee, m.depart, p.id, p.nom_naissance, p.nom_usage, \
         p.prenoms, p.sexe, p.date_naissance FROM foyer_membres m \
         JOIN personnes p ON p.departement_id = m.departement_id AND p.id = m.personne_id \
         WHERE m.departement_id = $1 AND m.foyer_id = $2 ORDER BY m.arrivee, m.id",
    )
    .bind(dep)
    .bind(foyer_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(membre).collect()
}

/// The composition of the foyer on `date` (past or present): the members present that day,
/// demandeur first.
pub async fn composition_at(
    conn: &mut Conn,
    dep: &str,
    foyer_id: i64,
    date: NaiveDate,
) -> Result<Vec<Membre>> {
    let all = membres(conn, dep, foyer_id).await?;
    Ok(composition_le(&all, date).into_iter().cloned().collect())
}

/// The foyer a person belongs to on `date`, if any.
pub async fn foyer_of(
    conn: &mut Conn,
    dep: &str,
    personne_id: i64,
    date: NaiveDate,
) -> Result<Option<i64>> {
    let d = iso(date);
    let r = sqlx::query(
        "SELECT foyer_id FROM foyer_membres WHERE departement_id = $1 AND personne_id = $2 \
         AND arrivee <= $3 AND (depart IS NULL OR depart > $3) ORDER BY arrivee DESC LIMIT 1",
    )
    .bind(dep)
    .bind(personne_id)
    .bind(d)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(r.map(|r| r.get("foyer_id")))
}

// ---------------------------------------------------------------------------------------------------
// Search

/// Writes the name tokens of a person (`personne_noms`), after removing the previous ones unless the
/// person is new. Every write of names goes through here, so the search sees each correction.
async fn write_noms(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    nom_naissance: &str,
    nom_usage: Option<&str>,
    prenoms: &[String],
    replace: bool,
) -> Result<()> {
    if replace {
        unindex_noms(conn, dep, id).await?;
    }
    let tokens = Recherche::tokens_nom(nom_naissance, nom_usage, prenoms);
    if tokens.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..tokens.len())
        .map(|i| {
            let b = 3 + 3 * i;
            format!("($1, $2, ${b}, ${}, ${})", b + 1, b + 2)
        })
        .collect();
    let sql = format!(
        "INSERT INTO personne_noms (departement_id, personne_id, token, phonetique, kind) VALUES {}",
        values.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(dep).bind(id);
    for t in &tokens {
        q = q.bind(&t.token).bind(&t.phonetique).bind(t.kind.code());
    }
    q.execute(&mut *conn).await?;
    // The pair index (migration 0007).
    let cles = Recherche::cles_index(&tokens);
    // A token alone carries the search key (its people are read in name order); a pair (with a
    // space) does not need it.
    let values: Vec<String> = cles
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let tri = if c.contains(' ') { "''" } else { "$3" };
            format!("($1, $2, ${}, {tri})", 4 + i)
        })
        .collect();
    let sql = format!(
        "INSERT INTO personne_paires (departement_id, personne_id, cle, tri) VALUES {}",
        values.join(", ")
    );
    let mut q =
        sqlx::query(&sql)
            .bind(dep)
            .bind(id)
            .bind(nom_recherche(nom_naissance, nom_usage, prenoms));
    for c in &cles {
        q = q.bind(c);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// Recomputes the name tokens of a person from their stored état civil (after a change made outside
/// `create` and `update`, or to complete the tokens of people recorded before the search index).
pub async fn index_noms(conn: &mut Conn, dep: &str, personne_id: i64) -> Result<()> {
    let r = sqlx::query(
        "SELECT nom_naissance, nom_usage, prenoms FROM personnes WHERE departement_id = $1 AND id = $2",
    )
    .bind(dep)
    .bind(personne_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let nom_usage: Option<String> = r.get("nom_usage");
    write_noms(
        conn,
        dep,
        personne_id,
        &r.get::<String, _>("nom_naissance"),
        nom_usage.as_deref(),
        &split_prenoms(&r.get::<String, _>("prenoms")),
        true,
    )
    .await
}

/// Removes a person from the search (by name, date, NIR and phone alike): used when a person is merged
/// into another, whose record is the one to find. `index_noms` puts them back.
pub async fn unindex_noms(conn: &mut Conn, dep: &str, personne_id: i64) -> Result<()> {
    for table in ["personne_noms", "personne_paires"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE departement_id = $1 AND personne_id = $2"
        ))
        .bind(dep)
        .bind(personne_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Completes the tokens of at most `batch` people whose tokens were backfilled by migration 0004
/// (folded names only, no parts nor phonetic key), and answers how many were done: call it until it
/// answers 0. Each call is meant for its own transaction.
pub async fn index_noms_anciens(conn: &mut Conn, dep: &str, batch: i64) -> Result<u64> {
    let rows = sqlx::query(
        "SELECT DISTINCT personne_id FROM personne_noms WHERE departement_id = $1 AND kind = 'ancien' \
         ORDER BY personne_id LIMIT $2",
    )
    .bind(dep)
    .bind(batch.max(1))
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        index_noms(conn, dep, r.get("personne_id")).await?;
    }
    Ok(rows.len() as u64)
}

/// Only the people still in the search: a person merged into another has no name token left.
const INDEXED: &str =
    "EXISTS (SELECT 1 FROM personne_noms n WHERE n.departement_id = p.departement_id \
     AND n.personne_id = p.id)";

/// Finds people of the département from what was typed in the search box: a NIR (with or without its
/// key), a phone number, a birth date, or names with an optional birth date.
///
/// Names: every typed word must match a name token of the person — birth name, usage name or any
/// given name, in any order, each part of a composed name too — by being equal to it, a prefix of it,
/// or by sounding the same (French phonetic key, for words of three letters or more). Accents, case,
/// hyphens and apostrophes do not matter. Ranking: people born on the typed date first, then by the sum
/// over the words of the best match (exact 0, prefix 1, phonetic 2), then by name. A date alone finds
/// the people born that day. People merged into another (see `unindex_noms`) are never found. At most
/// `limit` results (1 to 200).
///
/// Plan: one word, or two words with or without a date, first go through the pair index
/// (`search_paires`), which answers when it finds `limit` people. Otherwise the candidates are the
/// people matched by the rarest word (counted up to a bound on the token index); each other word is
/// then checked on the candidate's own tokens (primary key range), so the cost follows the rarest
/// word, not the most common one.
pub async fn search(
    conn: &mut Conn,
    dep: &str,
    query: &str,
    limit: i64,
) -> Result<Vec<PersonneResume>> {
    let Some(recherche) = Recherche::parse(query) else {
        return Ok(Vec::new());
    };
    let limit = limit.clamp(1, 200);
    let mut binds: Vec<String> = vec![dep.to_string()];
    // The candidates are computed first (materialised), then joined to `personnes` for the order;
    // CROSS JOIN keeps that order on SQLite, which would otherwise rather walk the whole département
    // in name order (PostgreSQL plans it as an inner join).
    let by_candidates = |candidates: &str| {
        format!(
            "WITH c (cid) AS MATERIALIZED ({candidates}) \
             SELECT {RESUME_COLUMNS} FROM c CROSS JOIN personnes p \
             WHERE p.departement_id = $1 AND p.id = c.cid AND {INDEXED} \
             ORDER BY p.nom_recherche, p.id LIMIT {limit}"
        )
    };
    let sql = match &recherche {
        Recherche::Nir(sans_cle) => {
            binds.push(sans_cle.clone());
            binds.push(Recherche::borne_prefixe(sans_cle));
            by_candidates(
                "SELECT id FROM personnes WHERE departement_id = $1 AND nir >= $2 AND nir < $3",
            )
        }
        Recherche::Telephone(tel) => {
            binds.push(tel.clone());
            by_candidates(
                "SELECT id FROM personnes WHERE departement_id = $1 AND id IN \
                 (SELECT personne_id FROM personne_contacts WHERE departement_id = $1 \
                 AND kind = 'telephone' AND valeur = $2)",
            )
        }
        Recherche::Nom {
            tokens,
            date_naissance: Some(d),
        } if tokens.is_empty() => {
            binds.push(iso(*d));
            by_candidates(
                "SELECT id FROM personnes WHERE departement_id = $1 AND date_naissance = $2",
            )
        }
        Recherche::Nom {
            tokens,
            date_naissance,
        } => {
            if let Some(found) = search_paires(conn, dep, tokens, *date_naissance, limit).await? {
                return Ok(found);
            }
            let driver = rarest(conn, dep, tokens).await?;
            let mut candidates = Vec::new();
            let mut checks = Vec::new();
            let mut scores = vec!["c.q".to_string()];
            for (w, word) in tokens.iter().enumerate() {
                binds.push(word.clone());
                let t = binds.len();
                binds.push(Recherche::borne_prefixe(word));
                let u = binds.len();
                let key = Recherche::phonetique(word);
                let phonetic = if word.chars().count() >= 3 && !key.is_empty() {
                    binds.push(key);
                    Some(binds.len())
                } else {
                    None
                };
                if w == driver {
                    candidates.push(format!(
                        "SELECT personne_id, CASE WHEN token = ${t} THEN 0 ELSE 1 END AS q \
                         FROM personne_noms WHERE departement_id = $1 AND token >= ${t} AND token < ${u}"
                    ));
                    if let Some(k) = phonetic {
                        candidates.push(format!(
                            "SELECT personne_id, 2 AS q FROM personne_noms \
                             WHERE departement_id = $1 AND phonetique = ${k}"
                        ));
                    }
                } else {
                    let matches = match phonetic {
                        Some(k) => {
                            format!("((n.token >= ${t} AND n.token < ${u}) OR n.phonetique = ${k})")
                        }
                        None => format!("(n.token >= ${t} AND n.token < ${u})"),
                    };
                    let own = format!(
                        "FROM personne_noms n WHERE n.departement_id = $1 AND n.personne_id = c.cid \
                         AND {matches}"
                    );
                    checks.push(format!("EXISTS (SELECT 1 {own})"));
                    scores.push(format!(
                        "(SELECT MIN(CASE WHEN n.token = ${t} THEN 0 \
                         WHEN n.token >= ${t} AND n.token < ${u} THEN 1 ELSE 2 END) {own})"
                    ));
                }
            }
            let born = match date_naissance {
                Some(d) => {
                    binds.push(iso(*d));
                    format!(
                        "CASE WHEN p.date_naissance = ${} THEN 0 ELSE 1 END, ",
                        binds.len()
                    )
                }
                None => String::new(),
            };
            let filter = std::iter::once("p.departement_id = $1 AND p.id = c.cid".to_string())
                .chain(checks)
                .collect::<Vec<_>>()
                .join(" AND ");
            format!(
                "WITH c (cid, q) AS MATERIALIZED (SELECT personne_id, MIN(q) FROM ({}) d GROUP BY personne_id) \
                 SELECT {RESUME_COLUMNS} FROM c CROSS JOIN personnes p \
                 WHERE {filter} ORDER BY {born}{}, p.nom_recherche, p.id LIMIT {limit}",
                candidates.join(" UNION ALL "),
                scores.join(" + ")
            )
        }
    };
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter().map(resume).collect()
}

/// The fast paths of the pair index (`personne_paires`, migration 0007) for what is typed most: one
/// word, or two words (a name and a given name, in any order, with or without a birth date). They
/// answer the first `limit` results in the order of [`search`], among the people the index reaches:
///
/// - one word: the people with a token equal to it, in name order, read from one index range (the
///   people matched by prefix or sound come after them all in the ranking);
/// - two words: the people with a surname token and a given-name token such that one word is equal
///   to one and the other a prefix of the other (two ranges of keys), or both sounding the same (one
///   key); then ranked as by the general plan, over these candidates only (a few hundred for the
///   commonest names, instead of tens of thousands).
///
/// The answer is `None`, and the general plan answers (which finds every match), when one word has
/// fewer than `limit` exact matches, or when two words find nobody in the pair index. Otherwise two
/// words answer only the people of the pair index: those matched otherwise (two given names, two
/// surnames, two parts of one name, two prefixes, a prefix and a sound) are left out when someone
/// matches better, so that the commonest names stay one or two index ranges.
async fn search_paires(
    conn: &mut Conn,
    dep: &str,
    words: &[String],
    date: Option<NaiveDate>,
    limit: i64,
) -> Result<Option<Vec<PersonneResume>>> {
    let rows = match (words, date) {
        ([word], None) => {
            let sql = format!(
                "SELECT {RESUME_COLUMNS} FROM personne_paires x CROSS JOIN personnes p \
                 WHERE x.departement_id = $1 AND x.cle = $2 AND p.departement_id = $1 \
                 AND p.id = x.personne_id ORDER BY x.tri, x.personne_id LIMIT {limit}"
            );
            sqlx::query(&sql)
                .bind(dep)
                .bind(word)
                .fetch_all(&mut *conn)
                .await?
        }
        ([a, b], _) => {
            let mut binds: Vec<String> = vec![dep.to_string()];
            let mut bind = |v: String| {
                binds.push(v);
                binds.len()
            };
            let mut candidates = Vec::new();
            for (first, second) in [(a, b), (b, a)] {
                let key = Recherche::cle_paire(first, second);
                let k = bind(Recherche::borne_prefixe(&key));
                let from = bind(key);
                candidates.push(format!(
                    "SELECT personne_id FROM personne_paires WHERE departement_id = $1 \
                     AND cle >= ${from} AND cle < ${k}"
                ));
            }
            let phonetic = |w: &str| {
                let key = Recherche::phonetique(w);
                (w.chars().count() >= 3 && !key.is_empty()).then_some(key)
            };
            let (ka, kb) = (phonetic(a), phonetic(b));
            if let (Some(ka), Some(kb)) = (&ka, &kb) {
                let k = bind(Recherche::cle_paire_phonetique(ka, kb));
                candidates.push(format!(
                    "SELECT personne_id FROM personne_paires WHERE departement_id = $1 AND cle = ${k}"
                ));
            }
            // The score of each word over the candidate's own tokens, as in the general plan.
            let mut scores = Vec::new();
            for (w, key) in [(a, ka), (b, kb)] {
                let t = bind(w.clone());
                let u = bind(Recherche::borne_prefixe(w));
                let matches = match key {
                    Some(key) => format!(
                        "((n.token >= ${t} AND n.token < ${u}) OR n.phonetique = ${})",
                        bind(key)
                    ),
                    None => format!("(n.token >= ${t} AND n.token < ${u})"),
                };
                scores.push(format!(
                    "(SELECT MIN(CASE WHEN n.token = ${t} THEN 0 \
                     WHEN n.token >= ${t} AND n.token < ${u} THEN 1 ELSE 2 END) \
                     FROM personne_noms n WHERE n.departement_id = $1 AND n.personne_id = c.cid \
                     AND {matches})"
                ));
            }
            let born = match date {
                Some(d) => format!(
                    "CASE WHEN p.date_naissance = ${} THEN 0 ELSE 1 END, ",
                    bind(iso(d))
                ),
                None => String::new(),
            };
            let sql = format!(
                "WITH c (cid) AS MATERIALIZED ({}) \
                 SELECT {RESUME_COLUMNS} FROM c CROSS JOIN personnes p \
                 WHERE p.departement_id = $1 AND p.id = c.cid \
                 ORDER BY {born}{}, p.nom_recherche, p.id LIMIT {limit}",
                candidates.join(" UNION "),
                scores.join(" + ")
            );
            let mut q = sqlx::query(&sql);
            for v in &binds {
                q = q.bind(v);
            }
            q.fetch_all(&mut *conn).await?
        }
        _ => return Ok(None),
    };
    // One word: fewer than `limit` exact matches leave room for the prefixes and sounds, which the
    // general plan ranks after them. Two words: the people the pair index finds are the answer.
    if rows.is_empty() || (words.len() == 1 && (rows.len() as i64) < limit) {
        return Ok(None);
    }
    rows.iter()
        .map(resume)
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// The index of the typed word matched by the fewest name tokens (by prefix), counted up to a bound so
/// that the count stays cheap; between words past the bound, the longest (usually the rarer).
async fn rarest(conn: &mut Conn, dep: &str, words: &[String]) -> Result<usize> {
    const BOUND: i64 = 2_000;
    if words.len() < 2 {
        return Ok(0);
    }
    let mut best = (i64::MAX, 0usize, 0usize);
    for (w, word) in words.iter().enumerate() {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM personne_noms WHERE departement_id = $1 \
             AND token >= $2 AND token < $3 LIMIT $4) x",
        )
        .bind(dep)
        .bind(word)
        .bind(Recherche::borne_prefixe(word))
        .bind(BOUND)
        .fetch_one(&mut *conn)
        .await?;
        let n: i64 = r.get("n");
        let len = word.chars().count();
        if n < best.0 || (n == best.0 && len > best.1) {
            best = (n, len, w);
        }
    }
    Ok(best.2)
}

/// The secteur of the person's address in force today (`None`: no address, or a commune attached
/// to no secteur).
pub async fn secteur_actuel(conn: &mut Conn, dep: &str, personne_id: i64) -> Result<Option<i64>> {
    let today = crate::iso_date(crate::clock().today());
    let r = sqlx::query(
        "SELECT secteur_id FROM adresses WHERE departement_id = $1 AND personne_id = $2 AND valid_from <= $3 \
         ORDER BY valid_from DESC, id DESC LIMIT 1",
    )
    .bind(dep)
    .bind(personne_id)
    .bind(&today)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(r.and_then(|r| r.get("secteur_id")))
}

/// The date of death of a person, if recorded (`AAAA-MM-JJ`).
pub async fn deces(conn: &mut Conn, dep: &str, id: i64) -> Result<Option<String>> {
    let r = sqlx::query("SELECT decede_le FROM personnes WHERE departement_id = $1 AND id = $2")
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(crate::StoreError::NotFound)?;
    Ok(r.get("decede_le"))
}

/// Records (or, with `None`, withdraws an erroneous record of) the death of a person: every payment
/// order of an aid for them is then held for review.
pub async fn deces_set(conn: &mut Conn, dep: &str, id: i64, jour: Option<NaiveDate>) -> Result<()> {
    let n = sqlx::query(
        "UPDATE personnes SET decede_le = $3, updated_at = $4 WHERE departement_id = $1 AND id = $2",
    )
    .bind(dep)
    .bind(id)
    .bind(jour.map(iso))
    .bind(now())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    crate::touched(n, crate::StoreError::NotFound)
}
