//! Persistence of agents: staff records, assignments to sites and secteurs, posts, and the local
//! account state (password hash, failed logins, lockout, OIDC subject).

use parcours_domain::habilitations::Role;
use parcours_domain::referentiel::{Agent, NewAgent};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{flag, now, on_unique, Conn, Result, StoreError};

/// Filters of the agents list.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AgentFilter {
    pub texte: Option<String>,
    pub site_id: Option<i64>,
    pub service_id: Option<i64>,
    pub role: Option<Role>,
    pub inclure_fermes: bool,
    /// Restricts to these sites (the scope of a cadre); `None` = no restriction.
    pub perimetre: Option<Vec<i64>>,
}

/// Sort orders of the agents list.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum AgentSort {
    #[default]
    Nom,
    Matricule,
    Metier,
}

const COLUMNS: &str = "a.id, a.matricule, a.prenom, a.nom, a.email, a.metier, a.role, a.service_id, \
    a.pool_remplacement, a.ferme_le, a.locked_until, CAST(CASE WHEN a.password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password";

fn agent(r: &AnyRow) -> Agent {
    Agent {
        id: r.get("id"),
        matricule: r.get("matricule"),
        prenom: r.get("prenom"),
        nom: r.get("nom"),
        email: r.get("email"),
        metier: r.get("metier"),
        role: Role::parse(&r.get::<String, _>("role")).unwrap_or(Role::Accueil),
        service_id: r.get("service_id"),
        pool_remplacement: flag(r.get("pool_remplacement")),
        etp_centiemes: 0,
        site_ids: vec![],
        secteur_ids: vec![],
        ferme_le: r.get("ferme_le"),
        locked_until: r.get("locked_until"),
        has_password: flag(r.get("has_password")),
    }
}

/// Fills ETP and current assignments of a batch of agents in two queries.
async fn complete(conn: &mut Conn, dep: &str, agents: &mut [Agent]) -> Result<()> {
    if agents.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = agents.iter().map(|a| a.id.to_string()).collect();
    let list = ids.join(",");
    // ids are integers we produced: safe to inline, and it keeps one statement per batch.
    let sql = format!(
        "SELECT agent_id, site_id, secteur_id FROM affectations WHERE departement_id = $1 AND fin IS NULL AND agent_id IN ({list})"
    );
    for r in sqlx::query(&sql).bind(dep).fetch_all(&mut *conn).await? {
        let id: i64 = r.get("agent_id");
        if let Some(a) = agents.iter_mut().find(|a| a.id == id) {
            if let Some(s) = r.get::<Option<i64>, _>("site_id") {
                if !a.site_ids.contains(&s) {
                    a.site_ids.push(s);
                }
            }
            if let Some(s) = r.get::<Option<i64>, _>("secteur_id") {
                a.secteur_ids.push(s);
            }
        }
    }
    let sql = format!(
        "SELECT agent_id, CAST(SUM(etp_centiemes) AS BIGINT) AS etp FROM postes WHERE departement_id = $1 AND ferme_le IS NULL \
         AND agent_id IN ({list}) GROUP BY agent_id"
    );
    for r in sqlx::query(&sql).bind(dep).fetch_all(&mut *conn).await? {
        let id: i64 = r.get("agent_id");
        if let Some(a) = agents.iter_mut().find(|a| a.id == id) {
            a.etp_centiemes = r.get("etp");
        }
    }
    Ok(())
}

/// One open agent as a name picker lists them: id, first name, name, trade, service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentNom {
    pub id: i64,
    pub prenom: String,
    pub nom: String,
    pub metier: String,
    pub service_id: i64,
}

/// The open agents of the département (of `service_id` when given), by name: what a name picker
/// searches, without the assignments and posts that `list` completes each agent with.
pub async fn annuaire(
    conn: &mut Conn,
    dep: &str,
    service_id: Option<i64>,
) -> Result<Vec<AgentNom>> {
    let rows = sqlx::query(
        "SELECT id, prenom, nom, metier, service_id FROM agents \
         WHERE departement_id = $1 AND ferme_le IS NULL AND ($2 = 0 OR service_id = $2) \
         ORDER BY nom, prenom, id",
    )
    .bind(dep)
    .bind(service_id.unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| AgentNom {
            id: r.get("id"),
            prenom: r.get("prenom"),
            nom: r.get("nom"),
            metier: r.get("metier"),
            service_id: r.get("service_id"),
        })
        .collect())
}

pub async fn list(
    conn: &mut Conn,
    dep: &str,
    filter: &AgentFilter,
    sort: AgentSort,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Agent>, i64)> {
    let mut clauses = vec!["a.departement_id = $1".to_string()];
    let mut binds: Vec<String> = vec![dep.to_string()];
    if let Some(t) = &filter.texte {
        binds.push(crate::like_contains(&t.to_lowercase()));
        let n = binds.len();
        clauses.push(format!(
            "(LOWER(a.nom) LIKE ${n} ESCAPE '\\' OR LOWER(a.prenom) LIKE ${n} ESCAPE '\\' OR LOWER(a.email) LIKE ${n} ESCAPE '\\' OR LOWER(a.matricule) LIKE ${n} ESCAPE '\\')"
        ));
    }
    if let Some(s) = filter.service_id {
        binds.push(s.to_string());
        clauses.push(format!("a.service_id = CAST(${} AS BIGINT)", binds.len()));
    }
    if let Some(r) = filter.role {
        binds.push(r.code().to_string());
        clauses.push(format!("a.role = ${}", binds.len()));
    }
    let site_clause = |sites: &[i64]| {
        let list = sites
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        format!(
            "EXISTS (SELECT 1 FROM affectations f WHERE f.departement_id = a.departement_id AND f.agent_id = a.id \
             AND f.fin IS NULL AND f.site_id IN ({}))",
            if list.is_empty() { "-1".to_string() } else { list }
        )
    };
    if let Some(s) = filter.site_id {
        clauses.push(site_clause(&[s]));
    }
    if let Some(p) = &filter.perimetre {
        clauses.push(site_clause(p));
    }
    if !filter.inclure_fermes {
        clauses.push("a.ferme_le IS NULL".into());
    }
    let w = clauses.join(" AND ");
    let order = match sort {
        AgentSort::Nom => "a.nom, a.prenom, a.id",
        AgentSort::Matricule => "a.matricule",
        AgentSort::Metier => "a.metier, a.nom, a.id",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM agents a WHERE {w} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
    );
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let mut agents: Vec<Agent> = q.fetch_all(&mut *conn).await?.iter().map(agent).collect();
    let sql = format!("SELECT COUNT(*) AS n FROM agents a WHERE {w}");
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let total = q.fetch_one(&mut *conn).await?.get("n");
    complete(conn, dep, &mut agents).await?;
    Ok((agents, total))
}

pub async fn get(conn: &mut Conn, dep: &str, id: i64) -> Result<Agent> {
    let sql = format!("SELECT {COLUMNS} FROM agents a WHERE a.departement_id = $1 AND a.id = $2");
    let r = sqlx::query(&sql)
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut a = [agent(&r)];
    complete(conn, dep, &mut a).await?;
    let [a] = a;
    Ok(a)
}

/// The agent holding a matricule in the département (how colleagues name each other).
pub async fn by_matricule(conn: &mut Conn, dep: &str, matricule: &str) -> Result<Agent> {
    let r = sqlx::query("SELECT id FROM agents WHERE departement_id = $1 AND matricule = $2")
        .bind(dep)
        .bind(matricule)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    get(conn, dep, r.get("id")).await
}

/// Creates the agent, its current assignment and its post.
pub async fn create(conn: &mut Conn, dep: &str, a: &NewAgent) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO agents (departement_id, matricule, prenom, nom, email, metier, role, service_id, pool_remplacement, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(dep)
    .bind(&a.matricule)
    .bind(&a.prenom)
    .bind(&a.nom)
    .bind(&a.email)
    .bind(&a.metier)
    .bind(a.role.code())
    .bind(a.service_id)
    .bind(i64::from(a.pool_remplacement))
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() && db.message().contains("email") => {
            StoreError::Conflict("email")
        }
        _ => on_unique("matricule")(e),
    })?;
    let id: i64 = r.get("id");
    assign(conn, dep, id, a.site_id, a.secteur_id).await?;
    sqlx::query(
        "INSERT INTO postes (departement_id, libelle, metier, site_id, service_id, etp_centiemes, agent_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(dep)
    .bind(format!("{} — {}", parcours_domain::referentiel::metier_libelle(&a.metier), a.matricule))
    .bind(&a.metier)
    .bind(a.site_id)
    .bind(a.service_id)
    .bind(a.etp_centiemes)
    .bind(id)
    .bind(now())
    .execute(&mut *conn)
    .await
    .map_err(on_unique("matricule"))?;
    Ok(id)
}

/// Ends the current assignments and opens a new one (history is kept).
pub async fn assign(
    conn: &mut Conn,
    dep: &str,
    agent_id: i64,
    site_id: Option<i64>,
    secteur_id: Option<i64>,
) -> Result<()> {
    let today = crate::clock().today().format("%Y-%m-%d").to_string();
    sqlx::query("UPDATE affectations SET fin = $1 WHERE departement_id = $2 AND agent_id = $3 AND fin IS NULL")
        .bind(&today)
        .bind(dep)
        .bind(agent_id)
        .execute(&mut *conn)
        .await?;
    if site_id.is_some() || secteur_id.is_some() {
        sqlx::query(
            "INSERT INTO affectations (departement_id, agent_id, site_id, secteur_id, debut) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(dep)
        .bind(agent_id)
        .bind(site_id)
        .bind(secteur_id)
        .bind(&today)
        .execute(&mut *conn)
        .await
        .map_err(on_unique("site_id"))?;
    }
    Ok(())
}

/// Updates the staff record; the assignment changes only if the site or secteur changed, and the ETP of
/// the agent's post follows.
pub async fn update(conn: &mut Conn, dep: &str, id: i64, a: &NewAgent) -> Result<()> {
    let before = get(conn, dep, id).await?;
    sqlx::query(
        "UPDATE agents SET matricule = $1, prenom = $2, nom = $3, email = $4, metier = $5, role = $6, service_id = $7, \
         pool_remplacement = $8 WHERE departement_id = $9 AND id = $10",
    )
    .bind(&a.matricule)
    .bind(&a.prenom)
    .bind(&a.nom)
    .bind(&a.email)
    .bind(&a.metier)
    .bind(a.role.code())
    .bind(a.service_id)
    .bind(i64::from(a.pool_remplacement))
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() && db.message().contains("email") => {
            StoreError::Conflict("email")
        }
        _ => on_unique("matricule")(e),
    })?;
    let same_site = before.site_ids.first().copied() == a.site_id
        && before.secteur_ids.first().copied() == a.secteur_id;
    if !same_site {
        assign(conn, dep, id, a.site_id, a.secteur_id).await?;
    }
    sqlx::query(
        "UPDATE postes SET etp_centiemes = $1, site_id = $2, service_id = $3, metier = $4 \
         WHERE departement_id = $5 AND agent_id = $6 AND ferme_le IS NULL",
    )
    .bind(a.etp_centiemes)
    .bind(a.site_id)
    .bind(a.service_id)
    .bind(&a.metier)
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Closes the agent's record: no more sign-in, sessions ended, posts vacated, assignments ended.
pub async fn close(conn: &mut Conn, dep: &str, id: i64, date: &str) -> Result<()> {
    let done = sqlx::query("UPDATE agents SET ferme_le = $1 WHERE departement_id = $2 AND id = $3 AND ferme_le IS NULL")
        .bind(date)
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query("DELETE FROM sessions WHERE departement_id = $1 AND agent_id = $2")
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE postes SET agent_id = NULL WHERE departement_id = $1 AND agent_id = $2 AND ferme_le IS NULL")
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    assign(conn, dep, id, None, None).await
}

/// The account behind a sign-in by e-mail, across départements. Two accounts with the same e-mail in
/// two départements cannot sign in by e-mail (ambiguous): `None`.
#[derive(Debug, Clone)]
pub struct Account {
    pub departement_id: String,
    pub agent_id: i64,
    pub password_hash: Option<String>,
    pub failed_logins: i64,
    pub locked_until: Option<String>,
    pub ferme: bool,
    /// The OpenID Connect subject the agent is linked to, once signed in that way.
    pub oidc_sub: Option<String>,
}

pub async fn account_by_email(conn: &mut Conn, email: &str) -> Result<Option<Account>> {
    let rows = sqlx::query(
        "SELECT departement_id, id, password_hash, failed_logins, locked_until, ferme_le, oidc_sub FROM agents WHERE email = $1 LIMIT 2",
    )
    .bind(email.trim().to_lowercase())
    .fetch_all(&mut *conn)
    .await?;
    if rows.len() != 1 {
        return Ok(None);
    }
    let r = &rows[0];
    Ok(Some(Account {
        departement_id: r.get("departement_id"),
        agent_id: r.get("id"),
        password_hash: r.get("password_hash"),
        failed_logins: r.get("failed_logins"),
        locked_until: r.get("locked_until"),
        ferme: r.get::<Option<String>, _>("ferme_le").is_some(),
        oidc_sub: r.get("oidc_sub"),
    }))
}

pub async fn set_password(conn: &mut Conn, dep: &str, id: i64, hash: &str) -> Result<()> {
    let done = sqlx::query(
        "UPDATE agents SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE departement_id = $2 AND id = $3",
    )
    .bind(hash)
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Counts a failed sign-in of the account; returns the number of failures since the last success.
pub async fn record_failure(conn: &mut Conn, dep: &str, id: i64) -> Result<i64> {
    let r = sqlx::query(
        "UPDATE agents SET failed_logins = failed_logins + 1 WHERE departement_id = $1 AND id = $2 RETURNING failed_logins",
    )
    .bind(dep)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("failed_logins"))
}

/// Makes the account's next sign-in attempts wait until `until` (they are refused before, unchecked).
pub async fn delay_sign_in(conn: &mut Conn, dep: &str, id: i64, until: &str) -> Result<()> {
    sqlx::query("UPDATE agents SET locked_until = $1 WHERE departement_id = $2 AND id = $3")
        .bind(until)
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn record_success(conn: &mut Conn, dep: &str, id: i64) -> Result<()> {
    sqlx::query("UPDATE agents SET failed_logins = 0, locked_until = NULL WHERE departement_id = $1 AND id = $2")
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Links the agent to an OpenID Connect subject the first time; afterwards the link is pinned: `false`
/// when the agent is already linked to another subject (nothing is changed).
pub async fn link_oidc_sub(conn: &mut Conn, dep: &str, id: i64, sub: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE agents SET oidc_sub = $1 WHERE departement_id = $2 AND id = $3 AND (oidc_sub IS NULL OR oidc_sub = $1)",
    )
    .bind(sub)
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Head count and ETP of the open records, for the référentiel summary.
pub async fn totals(conn: &mut Conn, dep: &str) -> Result<(i64, i64)> {
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM agents WHERE departement_id = $1 AND ferme_le IS NULL",
    )
    .bind(dep)
    .fetch_one(&mut *conn)
    .await?
    .get("n");
    let etp = crate::referentiel::etp_pourvus(conn, dep).await?;
    Ok((n, etp))
}
