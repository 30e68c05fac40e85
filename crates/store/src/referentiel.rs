//! Persistence of the référentiel: territoires, sites, secteurs, communes, permanences, services and
//! postes, always scoped to one département. Nothing referenced by history is deleted: records are
//! closed (`ferme_le`) and stay readable.

use parcours_domain::referentiel::{
    Commune, NewPermanence, NewSecteur, NewService, NewSite, NewTerritoire, Permanence, Poste,
    Secteur, Service, ServiceKind, Site, SiteKind, Territoire, TerritoireKind,
};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{now, on_unique, touched, Conn, Result, StoreError};

/// The tables whose rows can be closed (never deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closable {
    Territoire,
    Site,
    Secteur,
    Permanence,
    Service,
    Poste,
}

impl Closable {
    fn table(self) -> &'static str {
        match self {
            Closable::Territoire => "territoires",
            Closable::Site => "sites",
            Closable::Secteur => "secteurs",
            Closable::Permanence => "permanences",
            Closable::Service => "services",
            Closable::Poste => "postes",
        }
    }
    pub fn record_type(self) -> &'static str {
        match self {
            Closable::Territoire => "territoire",
            Closable::Site => "site",
            Closable::Secteur => "secteur",
            Closable::Permanence => "permanence",
            Closable::Service => "service",
            Closable::Poste => "poste",
        }
    }
}

/// Closes a record on a date (`YYYY-MM-DD`); it disappears from choices but stays in history.
pub async fn close(conn: &mut Conn, dep: &str, what: Closable, id: i64, date: &str) -> Result<()> {
    let sql = format!(
        "UPDATE {} SET ferme_le = $1 WHERE departement_id = $2 AND id = $3 AND ferme_le IS NULL",
        what.table()
    );
    let done = sqlx::query(&sql)
        .bind(date)
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Reopens a closed record.
pub async fn reopen(conn: &mut Conn, dep: &str, what: Closable, id: i64) -> Result<()> {
    let sql = format!(
        "UPDATE {} SET ferme_le = NULL WHERE departement_id = $1 AND id = $2",
        what.table()
    );
    let done = sqlx::query(&sql)
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

fn territoire(r: &AnyRow) -> Territoire {
    Territoire {
        id: r.get("id"),
        code: r.get("code"),
        nom: r.get("nom"),
        kind: TerritoireKind::parse(&r.get::<String, _>("kind")).unwrap_or(TerritoireKind::Utasi),
        ferme_le: r.get("ferme_le"),
    }
}

pub async fn territoires(conn: &mut Conn, dep: &str) -> Result<Vec<Territoire>> {
    let rows = sqlx::query(
        "SELECT id, code, nom, kind, ferme_le FROM territoires WHERE departement_id = $1 ORDER BY ferme_le IS NOT NULL, code",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(territoire).collect())
}

pub async fn territoire_get(conn: &mut Conn, dep: &str, id: i64) -> Result<Territoire> {
    let r = sqlx::query("SELECT id, code, nom, kind, ferme_le FROM territoires WHERE departement_id = $1 AND id = $2")
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(territoire(&r))
}

pub async fn territoire_create(conn: &mut Conn, dep: &str, t: &NewTerritoire) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO territoires (departement_id, code, nom, kind, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(dep)
    .bind(&t.code)
    .bind(&t.nom)
    .bind(t.kind.code())
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("code"))?;
    Ok(r.get("id"))
}

pub async fn territoire_update(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    t: &NewTerritoire,
) -> Result<()> {
    let done = sqlx::query("UPDATE territoires SET code = $1, nom = $2, kind = $3 WHERE departement_id = $4 AND id = $5")
        .bind(&t.code)
        .bind(&t.nom)
        .bind(t.kind.code())
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(on_unique("code"))?;
    touched(done.rows_affected(), StoreError::NotFound)
}

fn site(r: &AnyRow) -> Site {
    Site {
        id: r.get("id"),
        territoire_id: r.get("territoire_id"),
        code: r.get("code"),
        nom: r.get("nom"),
        kind: SiteKind::parse(&r.get::<String, _>("kind")).unwrap_or(SiteKind::Mds),
        adresse: r.get("adresse"),
        commune_insee: r.get("commune_insee"),
        ferme_le: r.get("ferme_le"),
    }
}

const SITE_COLUMNS: &str = "id, territoire_id, code, nom, kind, adresse, commune_insee, ferme_le";

pub async fn sites(conn: &mut Conn, dep: &str) -> Result<Vec<Site>> {
    let sql = format!(
        "SELECT {SITE_COLUMNS} FROM sites WHERE departement_id = $1 ORDER BY ferme_le IS NOT NULL, code"
    );
    let rows = sqlx::query(&sql).bind(dep).fetch_all(&mut *conn).await?;
    Ok(rows.iter().map(site).collect())
}

pub async fn site_get(conn: &mut Conn, dep: &str, id: i64) -> Result<Site> {
    let sql = format!("SELECT {SITE_COLUMNS} FROM sites WHERE departement_id = $1 AND id = $2");
    let r = sqlx::query(&sql)
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(site(&r))
}

pub async fn site_create(conn: &mut Conn, dep: &str, s: &NewSite) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO sites (departement_id, territoire_id, code, nom, kind, adresse, commune_insee, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(dep)
    .bind(s.territoire_id)
    .bind(&s.code)
    .bind(&s.nom)
    .bind(s.kind.code())
    .bind(&s.adresse)
    .bind(&s.commune_insee)
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("code"))?;
    Ok(r.get("id"))
}

pub async fn site_update(conn: &mut Conn, dep: &str, id: i64, s: &NewSite) -> Result<()> {
    let done = sqlx::query(
        "UPDATE sites SET territoire_id = $1, code = $2, nom = $3, kind = $4, adresse = $5, commune_insee = $6 \
         WHERE departement_id = $7 AND id = $8",
    )
    .bind(s.territoire_id)
    .bind(&s.code)
    .bind(&s.nom)
    .bind(s.kind.code())
    .bind(&s.adresse)
    .bind(&s.commune_insee)
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(on_unique("code"))?;
    touched(done.rows_affected(), StoreError::NotFound)
}

fn secteur(r: &AnyRow) -> Secteur {
    Secteur {
        id: r.get("id"),
        site_id: r.get("site_id"),
        code: r.get("code"),
        nom: r.get("nom"),
        ferme_le: r.get("ferme_le"),
    }
}

pub async fn secteurs(conn: &mut Conn, dep: &str) -> Result<Vec<Secteur>> {
    let rows = sqlx::query(
        "SELECT id, site_id, code, nom, ferme_le FROM secteurs WHERE departement_id = $1 ORDER BY ferme_le IS NOT NULL, code",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(secteur).collect())
}

pub async fn secteur_get(conn: &mut Conn, dep: &str, id: i64) -> Result<Secteur> {
    let r = sqlx::query("SELECT id, site_id, code, nom, ferme_le FROM secteurs WHERE departement_id = $1 AND id = $2")
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(secteur(&r))
}

pub async fn secteur_create(conn: &mut Conn, dep: &str, s: &NewSecteur) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO secteurs (departement_id, site_id, code, nom, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(dep)
    .bind(s.site_id)
    .bind(&s.code)
    .bind(&s.nom)
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("code"))?;
    Ok(r.get("id"))
}

pub async fn secteur_update(conn: &mut Conn, dep: &str, id: i64, s: &NewSecteur) -> Result<()> {
    let done = sqlx::query("UPDATE secteurs SET site_id = $1, code = $2, nom = $3 WHERE departement_id = $4 AND id = $5")
        .bind(s.site_id)
        .bind(&s.code)
        .bind(&s.nom)
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(on_unique("code"))?;
    touched(done.rows_affected(), StoreError::NotFound)
}

/// Creates or updates a secteur by its code (CSV import).
pub async fn secteur_upsert(
    conn: &mut Conn,
    dep: &str,
    code: &str,
    nom: &str,
    site_id: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO secteurs (departement_id, site_id, code, nom, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (departement_id, code) DO UPDATE SET site_id = excluded.site_id, nom = excluded.nom",
    )
    .bind(dep)
    .bind(site_id)
    .bind(code)
    .bind(nom)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn commune(r: &AnyRow) -> Commune {
    Commune {
        insee: r.get("insee"),
        nom: r.get("nom"),
        codes_postaux: r
            .get::<String, _>("codes_postaux")
            .split(' ')
            .map(str::to_string)
            .collect(),
        population: r.get("population"),
        secteur_id: r.get("secteur_id"),
    }
}

/// Filters of the communes list.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CommuneFilter {
    /// Part of the name, of the INSEE code or of a postcode.
    pub texte: Option<String>,
    pub secteur_id: Option<i64>,
    pub sans_secteur: bool,
}

pub async fn communes(
    conn: &mut Conn,
    dep: &str,
    filter: &CommuneFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Commune>, i64)> {
    let mut clauses = vec!["departement_id = $1".to_string()];
    let mut binds: Vec<String> = vec![dep.to_string()];
    if let Some(t) = &filter.texte {
        binds.push(crate::like_contains(&t.to_lowercase()));
        let n = binds.len();
        clauses.push(format!(
            "(LOWER(nom) LIKE ${n} ESCAPE '\\' OR insee LIKE ${n} ESCAPE '\\' OR codes_postaux LIKE ${n} ESCAPE '\\')"
        ));
    }
    if let Some(s) = filter.secteur_id {
        binds.push(s.to_string());
        clauses.push(format!("secteur_id = CAST(${} AS BIGINT)", binds.len()));
    }
    if filter.sans_secteur {
        clauses.push("secteur_id IS NULL".into());
    }
    let w = clauses.join(" AND ");
    let sql = format!(
        "SELECT insee, nom, codes_postaux, population, secteur_id FROM communes WHERE {w} ORDER BY nom, insee LIMIT {limit} OFFSET {offset}"
    );
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let sql = format!("SELECT COUNT(*) AS n FROM communes WHERE {w}");
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let total = q.fetch_one(&mut *conn).await?.get("n");
    Ok((rows.iter().map(commune).collect(), total))
}

pub async fn commune_get(conn: &mut Conn, dep: &str, insee: &str) -> Result<Commune> {
    let r = sqlx::query(
        "SELECT insee, nom, codes_postaux, population, secteur_id FROM communes WHERE departement_id = $1 AND insee = $2",
    )
    .bind(dep)
    .bind(insee)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(commune(&r))
}

pub async fn commune_upsert(
    conn: &mut Conn,
    dep: &str,
    insee: &str,
    nom: &str,
    codes_postaux: &[String],
    population: i64,
    secteur_id: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO communes (departement_id, insee, nom, codes_postaux, population, secteur_id) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (departement_id, insee) DO UPDATE SET nom = excluded.nom, codes_postaux = excluded.codes_postaux, \
         population = excluded.population, secteur_id = excluded.secteur_id",
    )
    .bind(dep)
    .bind(insee)
    .bind(nom)
    .bind(codes_postaux.join(" "))
    .bind(population)
    .bind(secteur_id)
    .execute(&mut *conn)
    .await
    .map_err(on_unique("insee"))?;
    Ok(())
}

/// Total population of the communes of the département.
pub async fn population(conn: &mut Conn, dep: &str) -> Result<i64> {
    let r = sqlx::query("SELECT CAST(COALESCE(SUM(population), 0) AS BIGINT) AS n FROM communes WHERE departement_id = $1")
        .bind(dep)
        .fetch_one(&mut *conn)
        .await?;
    Ok(r.get("n"))
}

/// Where an address belongs: its commune's secteur and that secteur's site.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    pub commune: Commune,
    pub secteur: Option<Secteur>,
    pub site: Option<Site>,
}

/// Resolves an address to its secteur by commune: by INSEE code, or by postcode and commune name.
pub async fn resolve(
    conn: &mut Conn,
    dep: &str,
    insee_or_cp: &str,
    nom: Option<&str>,
) -> Result<Option<Resolution>> {
    let key = insee_or_cp.trim().to_uppercase();
    let row = if let Ok(c) = commune_get(conn, dep, &key).await {
        Some(c)
    } else {
        let rows = sqlx::query(
            "SELECT insee, nom, codes_postaux, population, secteur_id FROM communes WHERE departement_id = $1 \
             AND (' ' || codes_postaux || ' ') LIKE $2 ESCAPE '\\' ORDER BY nom",
        )
        .bind(dep)
        .bind(format!("% {} %", crate::like_escape(&key)))
        .fetch_all(&mut *conn)
        .await?;
        let communes: Vec<Commune> = rows.iter().map(commune).collect();
        match (communes.len(), nom) {
            (1, _) => communes.into_iter().next(),
            (_, Some(n)) => {
                let n = parcours_domain::personnes::fold(n);
                communes
                    .into_iter()
                    .find(|c| parcours_domain::personnes::fold(&c.nom) == n)
            }
            _ => None,
        }
    };
    let Some(commune) = row else { return Ok(None) };
    let secteur = match commune.secteur_id {
        Some(id) => Some(secteur_get(conn, dep, id).await?),
        None => None,
    };
    let site = match &secteur {
        Some(s) => Some(site_get(conn, dep, s.site_id).await?),
        None => None,
    };
    Ok(Some(Resolution {
        commune,
        secteur,
        site,
    }))
}

fn permanence(r: &AnyRow) -> Permanence {
    Permanence {
        id: r.get("id"),
        site_id: r.get("site_id"),
        commune_insee: r.get("commune_insee"),
        nom: r.get("nom"),
        adresse: r.get("adresse"),
        horaires: r.get("horaires"),
        ferme_le: r.get("ferme_le"),
    }
}

pub async fn permanences(conn: &mut Conn, dep: &str) -> Result<Vec<Permanence>> {
    let rows = sqlx::query(
        "SELECT id, site_id, commune_insee, nom, adresse, horaires, ferme_le FROM permanences WHERE departement_id = $1 \
         ORDER BY ferme_le IS NOT NULL, nom",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(permanence).collect())
}

pub async fn permanence_get(conn: &mut Conn, dep: &str, id: i64) -> Result<Permanence> {
    let r = sqlx::query(
        "SELECT id, site_id, commune_insee, nom, adresse, horaires, ferme_le FROM permanences WHERE departement_id = $1 AND id = $2",
    )
    .bind(dep)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(permanence(&r))
}

pub async fn permanence_create(conn: &mut Conn, dep: &str, p: &NewPermanence) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO permanences (departement_id, site_id, commune_insee, nom, adresse, horaires, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(dep)
    .bind(p.site_id)
    .bind(&p.commune_insee)
    .bind(&p.nom)
    .bind(&p.adresse)
    .bind(&p.horaires)
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("nom"))?;
    Ok(r.get("id"))
}

pub async fn permanence_update(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    p: &NewPermanence,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE permanences SET site_id = $1, commune_insee = $2, nom = $3, adresse = $4, horaires = $5 \
         WHERE departement_id = $6 AND id = $7",
    )
    .bind(p.site_id)
    .bind(&p.commune_insee)
    .bind(&p.nom)
    .bind(&p.adresse)
    .bind(&p.horaires)
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(on_unique("nom"))?;
    touched(done.rows_affected(), StoreError::NotFound)
}

fn service(r: &AnyRow) -> Service {
    Service {
        id: r.get("id"),
        code: r.get("code"),
        nom: r.get("nom"),
        kind: ServiceKind::parse(&r.get::<String, _>("kind")).unwrap_or(ServiceKind::Central),
        ferme_le: r.get("ferme_le"),
    }
}

pub async fn services(conn: &mut Conn, dep: &str) -> Result<Vec<Service>> {
    let rows = sqlx::query(
        "SELECT id, code, nom, kind, ferme_le FROM services WHERE departement_id = $1 ORDER BY ferme_le IS NOT NULL, nom",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(service).collect())
}

pub async fn service_get(conn: &mut Conn, dep: &str, id: i64) -> Result<Service> {
    let r = sqlx::query(
        "SELECT id, code, nom, kind, ferme_le FROM services WHERE departement_id = $1 AND id = $2",
    )
    .bind(dep)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(service(&r))
}

pub async fn service_create(conn: &mut Conn, dep: &str, s: &NewService) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO services (departement_id, code, nom, kind, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(dep)
    .bind(&s.code)
    .bind(&s.nom)
    .bind(s.kind.code())
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("code"))?;
    Ok(r.get("id"))
}

pub async fn service_update(conn: &mut Conn, dep: &str, id: i64, s: &NewService) -> Result<()> {
    let done = sqlx::query(
        "UPDATE services SET code = $1, nom = $2, kind = $3 WHERE departement_id = $4 AND id = $5",
    )
    .bind(&s.code)
    .bind(&s.nom)
    .bind(s.kind.code())
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(on_unique("code"))?;
    touched(done.rows_affected(), StoreError::NotFound)
}

fn poste(r: &AnyRow) -> Poste {
    Poste {
        id: r.get("id"),
        libelle: r.get("libelle"),
        metier: r.get("metier"),
        site_id: r.get("site_id"),
        service_id: r.get("service_id"),
        etp_centiemes: r.get("etp_centiemes"),
        agent_id: r.get("agent_id"),
        ferme_le: r.get("ferme_le"),
    }
}

pub async fn postes(conn: &mut Conn, dep: &str) -> Result<Vec<Poste>> {
    let rows = sqlx::query(
        "SELECT id, libelle, metier, site_id, service_id, etp_centiemes, agent_id, ferme_le FROM postes \
         WHERE departement_id = $1 ORDER BY ferme_le IS NOT NULL, site_id, libelle",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(poste).collect())
}

#[allow(clippy::too_many_arguments)]
pub async fn poste_create(
    conn: &mut Conn,
    dep: &str,
    libelle: &str,
    metier: &str,
    site_id: Option<i64>,
    service_id: i64,
    etp_centiemes: i64,
    agent_id: Option<i64>,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO postes (departement_id, libelle, metier, site_id, service_id, etp_centiemes, agent_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(dep)
    .bind(libelle)
    .bind(metier)
    .bind(site_id)
    .bind(service_id)
    .bind(etp_centiemes)
    .bind(agent_id)
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("libelle"))?;
    Ok(r.get("id"))
}

/// Sum of the ETP of the open posts that are filled.
pub async fn etp_pourvus(conn: &mut Conn, dep: &str) -> Result<i64> {
    let r = sqlx::query(
        "SELECT CAST(COALESCE(SUM(etp_centiemes), 0) AS BIGINT) AS n FROM postes WHERE departement_id = $1 \
         AND ferme_le IS NULL AND agent_id IS NOT NULL",
    )
    .bind(dep)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("n"))
}
