//! Persistence of the appui technique d'accueil (the desk's requests for a social worker, a queue per
//! site) and of the duty roster (TS de premier accueil, TS de permanence d'urgence per half-day).

use chrono::{Duration, NaiveDate, NaiveDateTime};
use parcours_domain::accueil::appui::{
    DemiJournee, Garde, Issue, Motif, NewAppui, RoleTableau, StatutAppui, TransitionError,
};
use parcours_domain::agenda::heure;
use sqlx::Row;

use crate::{iso_date, now, on_unique, Conn, Result, StoreError};

/// One request of the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Appui {
    pub id: i64,
    pub site_id: i64,
    pub contact_id: Option<i64>,
    pub personne_id: Option<i64>,
    /// « NOM Prénoms », `None` for an anonymous person.
    pub personne: Option<String>,
    pub motif: Motif,
    pub precision: Option<String>,
    pub urgent: bool,
    pub statut: StatutAppui,
    pub demande_par: Option<String>,
    pub demande_le: NaiveDateTime,
    pub pris_par_id: Option<i64>,
    pub pris_par: Option<String>,
    pub pris_le: Option<NaiveDateTime>,
    pub clos_le: Option<NaiveDateTime>,
    pub issue: Option<Issue>,
}

/// Why a move of a request failed.
#[derive(Debug, thiserror::Error)]
pub enum AppuiError {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("Seul le travailleur social qui a pris la demande peut la clore.")]
    PasLePreneur,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AppuiError {
    fn from(e: sqlx::Error) -> Self {
        AppuiError::Store(e.into())
    }
}

fn civil(s: &str) -> NaiveDateTime {
    heure::parse(s).unwrap_or_default()
}

/// Records a request; `contact_id` links it to the desk contact it comes from. A person or a contact
/// unknown in the département is `StoreError::Reference`.
pub async fn create(
    conn: &mut Conn,
    dep: &str,
    a: &NewAppui,
    contact_id: Option<i64>,
    by: Option<i64>,
    at: NaiveDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO appui_demandes (departement_id, site_id, contact_id, personne_id, motif, precision, \
         urgent, statut, demande_par, demande_le) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'en_attente', $8, $9) RETURNING id",
    )
    .bind(dep)
    .bind(a.site_id)
    .bind(contact_id)
    .bind(a.personne_id)
    .bind(a.motif.code())
    .bind(a.precision.as_deref())
    .bind(i64::from(a.urgent))
    .bind(by)
    .bind(heure::format(at))
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("appui"))?;
    Ok(r.get("id"))
}

const SELECT: &str =
    "SELECT d.id, d.site_id, d.contact_id, d.personne_id, d.motif, d.precision, d.urgent, \
     d.statut, d.demande_le, d.pris_par, d.pris_le, d.clos_le, d.issue, \
     p.nom_naissance, p.nom_usage, p.prenoms, \
     ad.prenom AS d_prenom, ad.nom AS d_nom, ap.prenom AS p_prenom, ap.nom AS p_nom \
     FROM appui_demandes d \
     LEFT JOIN personnes p ON p.departement_id = d.departement_id AND p.id = d.personne_id \
     LEFT JOIN agents ad ON ad.departement_id = d.departement_id AND ad.id = d.demande_par \
     LEFT JOIN agents ap ON ap.departement_id = d.departement_id AND ap.id = d.pris_par";

fn appui_of(r: &sqlx::any::AnyRow) -> Appui {
    let naissance: Option<String> = r.get("nom_naissance");
    let usage: Option<String> = r.get("nom_usage");
    let prenoms: Option<String> = r.get("prenoms");
    let agent = |p: &str, n: &str| -> Option<String> {
        let prenom: Option<String> = r.get(p);
        let nom: Option<String> = r.get(n);
        Some(format!("{} {}", prenom?, nom?))
    };
    let opt = |k: &str| r.get::<Option<String>, _>(k).map(|s| civil(&s));
    Appui {
        id: r.get("id"),
        site_id: r.get("site_id"),
        contact_id: r.get("contact_id"),
        personne_id: r.get("personne_id"),
        personne: naissance.map(|n| {
            format!(
                "{} {}",
                usage.unwrap_or(n).to_uppercase(),
                prenoms.unwrap_or_default().replace(',', " ")
            )
        }),
        motif: Motif::from_code(&r.get::<String, _>("motif")).unwrap_or(Motif::Autre),
        precision: r.get("precision"),
        urgent: r.get::<i64, _>("urgent") != 0,
        statut: StatutAppui::from_code(&r.get::<String, _>("statut"))
            .unwrap_or(StatutAppui::EnAttente),
        demande_par: agent("d_prenom", "d_nom"),
        demande_le: civil(&r.get::<String, _>("demande_le")),
        pris_par_id: r.get("pris_par"),
        pris_par: agent("p_prenom", "p_nom"),
        pris_le: opt("pris_le"),
        clos_le: opt("clos_le"),
        issue: r
            .get::<Option<String>, _>("issue")
            .and_then(|s| Issue::from_code(&s)),
    }
}

pub async fn get(conn: &mut Conn, dep: &str, id: i64) -> Result<Appui> {
    let r = sqlx::query(&format!(
        "{SELECT} WHERE d.departement_id = $1 AND d.id = $2"
    ))
    .bind(dep)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(appui_of(&r))
}

/// The queue of a site: what waits (urgent first, then oldest first), what is being handled, and
/// what was closed or withdrawn on `jour`.
pub async fn file(conn: &mut Conn, dep: &str, site_id: i64, jour: NaiveDate) -> Result<Vec<Appui>> {
    let debut = heure::format(jour.and_hms_opt(0, 0, 0).unwrap_or_default());
    let fin = heure::format(
        (jour + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default(),
    );
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE d.departement_id = $1 AND d.site_id = $2 \
         AND (d.statut IN ('en_attente', 'pris_en_charge') OR (d.demande_le >= $3 AND d.demande_le < $4)) \
         ORDER BY CASE d.statut WHEN 'en_attente' THEN 0 WHEN 'pris_en_charge' THEN 1 ELSE 2 END, \
         d.urgent DESC, d.demande_le, d.id"
    ))
    .bind(dep)
    .bind(site_id)
    .bind(debut)
    .bind(fin)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(appui_of).collect())
}

/// After a move that only applies while the request is still in the state it was read in: when it
/// touched no row, someone moved it in between (two « Je prends » at once), so report what it became.
async fn verifier_applique(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    rows: u64,
    rule: fn(StatutAppui) -> Result<StatutAppui, TransitionError>,
) -> Result<(), AppuiError> {
    if rows == 0 {
        rule(get(conn, dep, id).await?.statut)?;
    }
    Ok(())
}

/// A social worker takes a waiting request.
pub async fn prendre(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    agent_id: i64,
    at: NaiveDateTime,
) -> Result<(), AppuiError> {
    get(conn, dep, id).await?.statut.prendre()?;
    let rows = sqlx::query(
        "UPDATE appui_demandes SET statut = 'pris_en_charge', pris_par = $1, pris_le = $2, \
         version = version + 1 WHERE departement_id = $3 AND id = $4 AND statut = 'en_attente'",
    )
    .bind(agent_id)
    .bind(heure::format(at))
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    verifier_applique(conn, dep, id, rows, StatutAppui::prendre).await
}

/// The social worker who took a request closes it with what was done.
pub async fn clore(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    agent_id: i64,
    issue: Issue,
    at: NaiveDateTime,
) -> Result<(), AppuiError> {
    let current = get(conn, dep, id).await?;
    current.statut.clore()?;
    if current.pris_par_id != Some(agent_id) {
        return Err(AppuiError::PasLePreneur);
    }
    let rows = sqlx::query(
        "UPDATE appui_demandes SET statut = 'clos', clos_le = $1, issue = $2, version = version + 1 \
         WHERE departement_id = $3 AND id = $4 AND statut = 'pris_en_charge'",
    )
    .bind(heure::format(at))
    .bind(issue.code())
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    verifier_applique(conn, dep, id, rows, StatutAppui::clore).await
}

/// The desk withdraws a request nobody took.
pub async fn annuler(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    at: NaiveDateTime,
) -> Result<(), AppuiError> {
    get(conn, dep, id).await?.statut.annuler()?;
    let rows = sqlx::query(
        "UPDATE appui_demandes SET statut = 'annule', clos_le = $1, version = version + 1 \
         WHERE departement_id = $2 AND id = $3 AND statut = 'en_attente'",
    )
    .bind(heure::format(at))
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    verifier_applique(conn, dep, id, rows, StatutAppui::annuler).await
}

// ---------------------------------------------------------------------------------------------------
// Duty roster

/// The social workers who may hold a duty at a site: open agents with the social worker role,
/// assigned to the site or to one of its secteurs at some point of the week of `lundi`.
/// (id, « Prénom NOM »), by name.
pub async fn travailleurs_sociaux(
    conn: &mut Conn,
    dep: &str,
    site_id: i64,
    lundi: NaiveDate,
) -> Result<Vec<(i64, String)>> {
    let (du, au) = (iso_date(lundi), iso_date(lundi + Duration::days(6)));
    let rows = sqlx::query(
        "SELECT DISTINCT a.id, a.prenom, a.nom FROM agents a \
         JOIN affectations f ON f.departement_id = a.departement_id AND f.agent_id = a.id \
         LEFT JOIN secteurs s ON s.departement_id = f.departement_id AND s.id = f.secteur_id \
         WHERE a.departement_id = $1 AND a.role = 'travailleur_social' AND a.ferme_le IS NULL \
         AND (f.site_id = $2 OR s.site_id = $2) AND f.debut <= $4 AND (f.fin IS NULL OR f.fin >= $3) \
         ORDER BY a.nom, a.prenom, a.id",
    )
    .bind(dep)
    .bind(site_id)
    .bind(&du)
    .bind(&au)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let prenom: String = r.get("prenom");
            let nom: String = r.get("nom");
            (r.get("id"), format!("{prenom} {}", nom.to_uppercase()))
        })
        .collect())
}

/// The roster of a site from `du` for `jours` days (filled cells only).
pub async fn tableau(
    conn: &mut Conn,
    dep: &str,
    site_id: i64,
    du: NaiveDate,
    jours: i64,
) -> Result<Vec<Garde>> {
    let rows = sqlx::query(
        "SELECT jour, demi_journee, role, agent_id FROM tableau_permanence \
         WHERE departement_id = $1 AND site_id = $2 AND jour >= $3 AND jour < $4 \
         ORDER BY jour, demi_journee DESC, role",
    )
    .bind(dep)
    .bind(site_id)
    .bind(iso_date(du))
    .bind(iso_date(du + Duration::days(jours)))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(Garde {
                jour: NaiveDate::parse_from_str(&r.get::<String, _>("jour"), "%Y-%m-%d").ok()?,
                demi_journee: DemiJournee::from_code(&r.get::<String, _>("demi_journee"))?,
                role: RoleTableau::from_code(&r.get::<String, _>("role"))?,
                agent_id: Some(r.get("agent_id")),
            })
        })
        .collect())
}

/// Who is on duty at a site at a civil time: (role, agent id, « Prénom NOM »).
pub async fn de_garde(
    conn: &mut Conn,
    dep: &str,
    site_id: i64,
    at: NaiveDateTime,
) -> Result<Vec<(RoleTableau, i64, String)>> {
    let rows = sqlx::query(
        "SELECT t.role, t.agent_id, a.prenom, a.nom FROM tableau_permanence t \
         JOIN agents a ON a.departement_id = t.departement_id AND a.id = t.agent_id \
         WHERE t.departement_id = $1 AND t.site_id = $2 AND t.jour = $3 AND t.demi_journee = $4 \
         ORDER BY t.role DESC",
    )
    .bind(dep)
    .bind(site_id)
    .bind(iso_date(at.date()))
    .bind(DemiJournee::of(at.time()).code())
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let prenom: String = r.get("prenom");
            let nom: String = r.get("nom");
            Some((
                RoleTableau::from_code(&r.get::<String, _>("role"))?,
                r.get("agent_id"),
                format!("{prenom} {}", nom.to_uppercase()),
            ))
        })
        .collect())
}

/// Replaces the roster of a site for the days the cells cover: each cell is written, emptied or left
/// as it is, in the caller's transaction. Returns how many cells changed.
pub async fn tableau_enregistrer(
    conn: &mut Conn,
    dep: &str,
    site_id: i64,
    gardes: &[Garde],
    by: Option<i64>,
) -> Result<usize> {
    let before = match (
        gardes.iter().map(|g| g.jour).min(),
        gardes.iter().map(|g| g.jour).max(),
    ) {
        (Some(a), Some(b)) => tableau(conn, dep, site_id, a, (b - a).num_days() + 1).await?,
        _ => return Ok(0),
    };
    let mut changed = 0;
    for g in gardes {
        let old = before
            .iter()
            .find(|o| o.jour == g.jour && o.demi_journee == g.demi_journee && o.role == g.role)
            .and_then(|o| o.agent_id);
        if old == g.agent_id {
            continue;
        }
        changed += 1;
        sqlx::query(
            "DELETE FROM tableau_permanence WHERE departement_id = $1 AND site_id = $2 AND jour = $3 \
             AND demi_journee = $4 AND role = $5",
        )
        .bind(dep)
        .bind(site_id)
        .bind(iso_date(g.jour))
        .bind(g.demi_journee.code())
        .bind(g.role.code())
        .execute(&mut *conn)
        .await?;
        if let Some(agent) = g.agent_id {
            sqlx::query(
                "INSERT INTO tableau_permanence (departement_id, site_id, jour, demi_journee, role, \
                 agent_id, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(dep)
            .bind(site_id)
            .bind(iso_date(g.jour))
            .bind(g.demi_journee.code())
            .bind(g.role.code())
            .bind(agent)
            .bind(by)
            .bind(now())
            .execute(&mut *conn)
            .await
            .map_err(on_unique("tableau"))?;
        }
    }
    Ok(changed)
}

/// The cells of `gardes` whose agent is absent (agenda absences) during that half-day: (cell, label of
/// the absence). The morning is 08:00–13:00, the afternoon 13:00–19:00. One query per agent named.
pub async fn gardes_en_absence(
    conn: &mut Conn,
    dep: &str,
    gardes: &[Garde],
) -> Result<Vec<(Garde, String)>> {
    let bornes = |g: &Garde| {
        let (h0, h1) = match g.demi_journee {
            DemiJournee::Matin => (8, 13),
            DemiJournee::ApresMidi => (13, 19),
        };
        (
            g.jour.and_hms_opt(h0, 0, 0).unwrap_or_default(),
            g.jour.and_hms_opt(h1, 0, 0).unwrap_or_default(),
        )
    };
    let mut agents: Vec<i64> = gardes.iter().filter_map(|g| g.agent_id).collect();
    agents.sort_unstable();
    agents.dedup();
    let mut out = vec![];
    for agent in agents {
        let siennes: Vec<&Garde> = gardes
            .iter()
            .filter(|g| g.agent_id == Some(agent))
            .collect();
        let du = siennes
            .iter()
            .map(|g| bornes(g).0)
            .min()
            .unwrap_or_default();
        let au = siennes
            .iter()
            .map(|g| bornes(g).1)
            .max()
            .unwrap_or_default();
        let absences = crate::agenda::absences(conn, dep, agent, du, au).await?;
        for g in siennes {
            let (d, f) = bornes(g);
            if let Some(a) = absences.iter().find(|a| a.debut < f && a.fin > d) {
                out.push((*g, a.libelle.clone()));
            }
        }
    }
    Ok(out)
}

/// Gives each MDS of the demo département a duty roster from last Monday to four weeks on (the social
/// workers of the site take turns, premier accueil and urgences never the same person when the site
/// has two), and a few support requests of the last hour, some waiting, one taken. In the caller's
/// transaction, after agents and affectations exist. Returns the number of roster cells.
pub async fn seed_demo(conn: &mut Conn, dep: &str, now: NaiveDateTime) -> Result<usize> {
    let today = now.date();
    let lundi = parcours_domain::accueil::appui::lundi(today) - Duration::days(7);
    let sites: Vec<i64> = sqlx::query(
        "SELECT id FROM sites WHERE departement_id = $1 AND ferme_le IS NULL ORDER BY id",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.get("id"))
    .collect();
    let mut cells = 0;
    for (n, site) in sites.iter().enumerate() {
        // Affectations of the demo start today: ask for this week's social workers.
        let ts = travailleurs_sociaux(
            conn,
            dep,
            *site,
            parcours_domain::accueil::appui::lundi(today),
        )
        .await?;
        if ts.is_empty() {
            continue;
        }
        let mut gardes = vec![];
        let mut k = n;
        for d in 0..35 {
            let jour = lundi + Duration::days(d);
            if parcours_domain::accueil::appui::lundi(jour) + Duration::days(5) <= jour {
                continue;
            }
            for dj in DemiJournee::ALL {
                for role in RoleTableau::ALL {
                    gardes.push(Garde {
                        jour,
                        demi_journee: *dj,
                        role: *role,
                        agent_id: Some(ts[k % ts.len()].0),
                    });
                    k += 1;
                }
            }
        }
        cells += tableau_enregistrer(conn, dep, *site, &gardes, None).await?;
        // The support requests of the last hour or so (whatever the time the demo is loaded at).
        let debut = now - Duration::minutes(80);
        for (i, (motif, urgent)) in [
            (Motif::OrientationDifficile, false),
            (Motif::Urgence, true),
            (Motif::AccesDroits, false),
        ]
        .into_iter()
        .enumerate()
        .take(1 + n % 3)
        {
            let id = create(
                conn,
                dep,
                &NewAppui {
                    site_id: *site,
                    personne_id: None,
                    motif,
                    precision: None,
                    urgent,
                },
                None,
                None,
                debut + Duration::minutes(25 * i as i64),
            )
            .await?;
            if i == 2 {
                sqlx::query(
                    "UPDATE appui_demandes SET statut = 'pris_en_charge', pris_par = $1, pris_le = $2 \
                     WHERE departement_id = $3 AND id = $4",
                )
                .bind(ts[0].0)
                .bind(heure::format(debut + Duration::minutes(60)))
                .bind(dep)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(cells)
}
