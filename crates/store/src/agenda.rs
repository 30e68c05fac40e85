//! Persistence of the agendas: rooms, weekly plages, absences, appointments with their reminders, the
//! waiting list, collective sessions, the iCal secret, and the free-slot search. A booking runs in the
//! caller's transaction: it first bumps the version of the agent's agenda row (and of the room), which
//! takes a row lock on PostgreSQL and the single writer on SQLite, so that two desks booking the same
//! agent are serialised and the overlap check that follows cannot be raced.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use parcours_domain::agenda::creneaux::{self, Creneau, Occupation};
use parcours_domain::agenda::{
    heure, verifier_plage, NaturePlage, NewAbsence, NewPlage, NewRendezVous, NewSession, Plage,
    StatutRdv, TypeRdv,
};
use parcours_domain::{FieldErrors, Invalid};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{format_time, jobs, now, on_unique, touched, Conn, Result, StoreError};

/// The job kind that sends a reminder (its handler lives in `parcours_jobs::agenda`).
pub const RAPPEL_JOB: &str = "agenda.rappel";
/// Attempts of a reminder job: with the back-off (30 s × 2^n) the last one comes about an hour after
/// the first, so a mail server down for a while loses nothing.
pub const RAPPEL_TENTATIVES: i64 = 8;
/// A reminder is sent this long before the appointment (at once when booked later than that).
pub const RAPPEL_AVANCE_HEURES: i64 = 24;

/// A booking refused by a rule only the store can check (double booking, outside the plages), with its
/// message per field; or a failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum ReservationError {
    #[error(transparent)]
    Regle(#[from] Invalid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ReservationError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(e))
    }
}

fn regle(field: &str, message: impl Into<String>) -> ReservationError {
    ReservationError::Regle(Invalid::field(field, message))
}

fn civil(s: &str) -> NaiveDateTime {
    heure::parse(s).unwrap_or_default()
}

/// « DUPONT Marie Anne »: usage name first, as the desk calls the person.
fn nom_personne(r: &AnyRow) -> String {
    let usage: Option<String> = r.get("p_nom_usage");
    let naissance: String = r.get("p_nom_naissance");
    let prenoms: String = r.get("p_prenoms");
    format!(
        "{} {}",
        usage.unwrap_or(naissance).to_uppercase(),
        prenoms.replace(',', " ")
    )
}

/// The name of a person, and nothing else of their record (for the booking form's chosen person).
pub async fn personne_nom(conn: &mut Conn, dep: &str, id: i64) -> Result<Option<String>> {
    Ok(sqlx::query(
        "SELECT nom_naissance AS p_nom_naissance, nom_usage AS p_nom_usage, prenoms AS p_prenoms FROM personnes WHERE departement_id = $1 AND id = $2",
    )
    .bind(dep)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| nom_personne(&r)))
}

// ---------------------------------------------------------------------------------------------------
// Rooms

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Salle {
    pub id: i64,
    pub site_id: i64,
    pub nom: String,
    pub capacite: i64,
}

fn in_list(ids: &[i64]) -> String {
    if ids.is_empty() {
        "-1".into()
    } else {
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    }
}

/// Rooms of these sites (all the département's when `None`).
pub async fn salles(conn: &mut Conn, dep: &str, sites: Option<&[i64]>) -> Result<Vec<Salle>> {
    // Site ids are integers of ours: inlined, as agents.rs does for its batches.
    let w = match sites {
        Some(s) => format!(" AND site_id IN ({})", in_list(s)),
        None => String::new(),
    };
    let sql = format!(
        "SELECT id, site_id, nom, capacite FROM agenda_salles WHERE departement_id = $1{w} ORDER BY site_id, nom"
    );
    Ok(sqlx::query(&sql)
        .bind(dep)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Salle {
            id: r.get("id"),
            site_id: r.get("site_id"),
            nom: r.get("nom"),
            capacite: r.get("capacite"),
        })
        .collect())
}

pub async fn salle_create(
    conn: &mut Conn,
    dep: &str,
    site_id: i64,
    nom: &str,
    capacite: i64,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO agenda_salles (departement_id, site_id, nom, capacite, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(dep)
    .bind(site_id)
    .bind(nom)
    .bind(capacite)
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("nom"))?;
    Ok(r.get("id"))
}

// ---------------------------------------------------------------------------------------------------
// Plages and absences

fn plage(r: &AnyRow) -> Plage {
    Plage {
        id: r.get("id"),
        agent_id: r.get("agent_id"),
        jour: u32::try_from(r.get::<i64, _>("jour")).unwrap_or(0),
        debut: r.get("debut"),
        fin: r.get("fin"),
        nature: NaturePlage::parse(&r.get::<String, _>("nature"))
            .unwrap_or(NaturePlage::RendezVous),
        site_id: r.get("site_id"),
        permanence_id: r.get("permanence_id"),
    }
}

const PLAGE_COLUMNS: &str = "id, agent_id, jour, debut, fin, nature, site_id, permanence_id";

pub async fn plages(conn: &mut Conn, dep: &str, agent_id: i64) -> Result<Vec<Plage>> {
    let sql = format!(
        "SELECT {PLAGE_COLUMNS} FROM agenda_plages WHERE departement_id = $1 AND agent_id = $2 ORDER BY jour, debut"
    );
    Ok(sqlx::query(&sql)
        .bind(dep)
        .bind(agent_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(plage)
        .collect())
}

/// Adds a weekly plage; refused when it overlaps another plage of the agent (an agent is in one
/// place at a time) or when the permanence belongs to another site.
pub async fn plage_create(
    conn: &mut Conn,
    dep: &str,
    agent_id: i64,
    p: &NewPlage,
) -> std::result::Result<i64, ReservationError> {
    lock_agent(conn, dep, agent_id).await?;
    if let Some(pid) = p.permanence_id {
        let site: Option<i64> =
            sqlx::query("SELECT site_id FROM permanences WHERE departement_id = $1 AND id = $2")
                .bind(dep)
                .bind(pid)
                .fetch_optional(&mut *conn)
                .await?
                .map(|r| r.get("site_id"));
        if site != Some(p.site_id) {
            return Err(regle(
                "permanence_id",
                "Cette permanence ne dépend pas du site choisi.",
            ));
        }
    }
    let clash = sqlx::query(
        "SELECT debut, fin FROM agenda_plages WHERE departement_id = $1 AND agent_id = $2 AND jour = $3 AND debut < $4 AND fin > $5",
    )
    .bind(dep)
    .bind(agent_id)
    .bind(i64::from(p.jour))
    .bind(p.fin)
    .bind(p.debut)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(r) = clash {
        return Err(regle(
            "debut",
            format!(
                "Cette plage chevauche la plage du {} de {} à {} : un agent est en un seul lieu à la fois.",
                heure::jour_nom(p.jour),
                heure::hm(r.get("debut")),
                heure::hm(r.get("fin"))
            ),
        ));
    }
    let r = sqlx::query(
        "INSERT INTO agenda_plages (departement_id, agent_id, jour, debut, fin, nature, site_id, permanence_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(dep)
    .bind(agent_id)
    .bind(i64::from(p.jour))
    .bind(p.debut)
    .bind(p.fin)
    .bind(p.nature.code())
    .bind(p.site_id)
    .bind(p.permanence_id)
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("debut"))?;
    Ok(r.get("id"))
}

pub async fn plage_delete(conn: &mut Conn, dep: &str, agent_id: i64, id: i64) -> Result<()> {
    let done = sqlx::query(
        "DELETE FROM agenda_plages WHERE departement_id = $1 AND agent_id = $2 AND id = $3",
    )
    .bind(dep)
    .bind(agent_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    touched(done.rows_affected(), StoreError::NotFound)
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Absence {
    pub id: i64,
    pub agent_id: i64,
    pub debut: NaiveDateTime,
    pub fin: NaiveDateTime,
    pub libelle: String,
}

/// Absences of an agent that meet [du, au).
pub async fn absences(
    conn: &mut Conn,
    dep: &str,
    agent_id: i64,
    du: NaiveDateTime,
    au: NaiveDateTime,
) -> Result<Vec<Absence>> {
    Ok(sqlx::query(
        "SELECT id, agent_id, debut, fin, libelle FROM agenda_absences WHERE departement_id = $1 AND agent_id = $2 AND fin > $3 AND debut < $4 ORDER BY debut",
    )
    .bind(dep)
    .bind(agent_id)
    .bind(heure::format(du))
    .bind(heure::format(au))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Absence {
        id: r.get("id"),
        agent_id: r.get("agent_id"),
        debut: civil(&r.get::<String, _>("debut")),
        fin: civil(&r.get::<String, _>("fin")),
        libelle: r.get("libelle"),
    })
    .collect())
}

pub async fn absence_create(
    conn: &mut Conn,
    dep: &str,
    agent_id: i64,
    a: &NewAbsence,
) -> Result<i64> {
    lock_agent(conn, dep, agent_id).await?;
    let r = sqlx::query(
        "INSERT INTO agenda_absences (departement_id, agent_id, debut, fin, libelle, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(dep)
    .bind(agent_id)
    .bind(heure::format(a.debut))
    .bind(heure::format(a.fin))
    .bind(&a.libelle)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

pub async fn absence_delete(conn: &mut Conn, dep: &str, agent_id: i64, id: i64) -> Result<()> {
    let done = sqlx::query(
        "DELETE FROM agenda_absences WHERE departement_id = $1 AND agent_id = $2 AND id = $3",
    )
    .bind(dep)
    .bind(agent_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    touched(done.rows_affected(), StoreError::NotFound)
}

/// Creates the agent's agenda row if needed and bumps its version: on PostgreSQL the row stays locked
/// until the transaction ends, so bookings of one agent run one after the other.
async fn lock_agent(conn: &mut Conn, dep: &str, agent_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO agendas (departement_id, agent_id, version) VALUES ($1, $2, 0) ON CONFLICT (departement_id, agent_id) DO NOTHING",
    )
    .bind(dep)
    .bind(agent_id)
    .execute(&mut *conn)
    .await
    .map_err(on_unique("agent_id"))?;
    sqlx::query(
        "UPDATE agendas SET version = version + 1 WHERE departement_id = $1 AND agent_id = $2",
    )
    .bind(dep)
    .bind(agent_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// Appointments

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RendezVous {
    pub id: i64,
    pub personne_id: i64,
    pub personne: String,
    pub agent_id: i64,
    pub agent: String,
    #[serde(rename = "type")]
    pub type_rdv: TypeRdv,
    pub statut: StatutRdv,
    /// Civil time of the département, AAAA-MM-JJTHH:MM.
    pub debut: NaiveDateTime,
    pub fin: NaiveDateTime,
    pub lieu: String,
    pub site_id: i64,
    pub permanence_id: Option<i64>,
    pub salle_id: Option<i64>,
    pub salle: Option<String>,
    pub objet: Option<String>,
    /// The language an interpreter is needed in, if any.
    pub interprete: Option<String>,
    pub demande_le: NaiveDate,
    pub attente_id: Option<i64>,
}

impl RendezVous {
    pub fn delai_jours(&self) -> i64 {
        parcours_domain::agenda::delai_jours(self.demande_le, self.debut)
    }
    pub fn quand(&self) -> String {
        format!(
            "{} – {}",
            heure::date_heure(self.debut),
            heure::hm(heure::minutes(self.fin))
        )
    }
}

const RDV_FROM: &str = "FROM rendez_vous r \
    JOIN personnes p ON p.departement_id = r.departement_id AND p.id = r.personne_id \
    JOIN agents a ON a.departement_id = r.departement_id AND a.id = r.agent_id \
    JOIN sites s ON s.departement_id = r.departement_id AND s.id = r.site_id \
    LEFT JOIN permanences pm ON pm.departement_id = r.departement_id AND pm.id = r.permanence_id \
    LEFT JOIN agenda_salles sa ON sa.departement_id = r.departement_id AND sa.id = r.salle_id";

const RDV_COLUMNS: &str = "r.id, r.personne_id, r.agent_id, r.type, r.statut, r.debut, r.fin, r.site_id, r.permanence_id, r.salle_id, \
    r.objet, r.interprete, r.demande_le, r.attente_id, r.nature, p.nom_naissance AS p_nom_naissance, p.nom_usage AS p_nom_usage, p.prenoms AS p_prenoms, \
    a.prenom AS a_prenom, a.nom AS a_nom, s.nom AS site_nom, pm.nom AS permanence_nom, sa.nom AS salle_nom";

fn rdv(r: &AnyRow) -> RendezVous {
    let type_rdv = TypeRdv::parse(&r.get::<String, _>("type")).unwrap_or(TypeRdv::Suivi);
    let permanence: Option<String> = r.get("permanence_nom");
    let site: String = r.get("site_nom");
    RendezVous {
        id: r.get("id"),
        personne_id: r.get("personne_id"),
        personne: nom_personne(r),
        agent_id: r.get("agent_id"),
        agent: format!(
            "{} {}",
            r.get::<String, _>("a_prenom"),
            r.get::<String, _>("a_nom")
        ),
        type_rdv,
        statut: StatutRdv::parse(&r.get::<String, _>("statut")).unwrap_or(StatutRdv::Prevu),
        debut: civil(&r.get::<String, _>("debut")),
        fin: civil(&r.get::<String, _>("fin")),
        lieu: match (type_rdv, permanence) {
            (TypeRdv::VisiteDomicile, _) => format!("Au domicile (départ {site})"),
            (TypeRdv::Telephonique, _) => format!("Par téléphone ({site})"),
            (_, Some(p)) => p,
            (_, None) => site,
        },
        site_id: r.get("site_id"),
        permanence_id: r.get("permanence_id"),
        salle_id: r.get("salle_id"),
        salle: r.get("salle_nom"),
        objet: r.get("objet"),
        interprete: r.get("interprete"),
        demande_le: NaiveDate::parse_from_str(&r.get::<String, _>("demande_le"), "%Y-%m-%d")
            .unwrap_or_default(),
        attente_id: r.get("attente_id"),
    }
}

/// Who books (for `created_by` and the reminders' text).
pub struct Reservation<'a> {
    pub rdv: &'a NewRendezVous,
    pub by: Option<i64>,
}

/// An interval that meets [debut, fin) of an agent: appointments that hold time (but `sauf`, the one
/// being moved), sessions animated.
async fn agent_busy(
    conn: &mut Conn,
    dep: &str,
    agent_id: i64,
    debut: &str,
    fin: &str,
    sauf: Option<i64>,
) -> Result<Option<(String, String, &'static str)>> {
    let sql = format!(
        "SELECT debut, fin FROM rendez_vous WHERE departement_id = $1 AND agent_id = $2 AND statut IN {} AND debut < $3 AND fin > $4 AND id <> $5 ORDER BY debut LIMIT 1",
        StatutRdv::OCCUPANTS
    );
    if let Some(r) = sqlx::query(&sql)
        .bind(dep)
        .bind(agent_id)
        .bind(fin)
        .bind(debut)
        .bind(sauf.unwrap_or(0))
        .fetch_optional(&mut *conn)
        .await?
    {
        return Ok(Some((r.get("debut"), r.get("fin"), "un rendez-vous")));
    }
    let r = sqlx::query(
        "SELECT debut, fin FROM agenda_sessions WHERE departement_id = $1 AND animateur_id = $2 AND debut < $3 AND fin > $4 ORDER BY debut LIMIT 1",
    )
    .bind(dep)
    .bind(agent_id)
    .bind(fin)
    .bind(debut)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(r.map(|r| (r.get("debut"), r.get("fin"), "une action collective")))
}

async fn salle_busy(
    conn: &mut Conn,
    dep: &str,
    salle_id: i64,
    debut: &str,
    fin: &str,
    sauf: Option<i64>,
) -> Result<Option<(String, String)>> {
    let sql = format!(
        "SELECT debut, fin FROM rendez_vous WHERE departement_id = $1 AND salle_id = $2 AND statut IN {} AND debut < $3 AND fin > $4 AND id <> $5 \
         UNION ALL SELECT debut, fin FROM agenda_sessions WHERE departement_id = $1 AND salle_id = $2 AND debut < $3 AND fin > $4",
        StatutRdv::OCCUPANTS
    );
    let r = sqlx::query(&sql)
        .bind(dep)
        .bind(salle_id)
        .bind(fin)
        .bind(debut)
        .bind(sauf.unwrap_or(0))
        .fetch_optional(&mut *conn)
        .await?;
    Ok(r.map(|r| (r.get("debut"), r.get("fin"))))
}

fn busy_message(who: &str, what: &str, d: &str, f: &str) -> String {
    format!(
        "{who} a déjà {what} le {} (jusqu'à {}) : choisissez un autre créneau.",
        heure::date_heure(civil(d)),
        heure::hm(heure::minutes(civil(f)))
    )
}

/// Locks a room for the transaction and checks it belongs to `site_id`.
async fn lock_salle(
    conn: &mut Conn,
    dep: &str,
    salle_id: i64,
    site_id: i64,
) -> std::result::Result<(), ReservationError> {
    let r = sqlx::query(
        "UPDATE agenda_salles SET version = version + 1 WHERE departement_id = $1 AND id = $2 RETURNING site_id, nom",
    )
    .bind(dep)
    .bind(salle_id)
    .fetch_optional(&mut *conn)
    .await?;
    match r {
        None => Err(regle("salle_id", "Salle inconnue dans ce département.")),
        Some(r) if r.get::<i64, _>("site_id") != site_id => Err(regle(
            "salle_id",
            format!(
                "La salle « {} » n'est pas dans le lieu de ce rendez-vous.",
                r.get::<String, _>("nom")
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// The agenda rules of a booking, in the caller's transaction (the agent's row is locked first, so
/// two bookings of one agent are checked one after the other): inside a plage that takes the kind, not
/// over an absence, an appointment or a session of the agent, nor over a booking of the room. Returns
/// the plage, which gives the place. `sauf` is the appointment being moved: its own slot does not count.
async fn verifier_agenda(
    conn: &mut Conn,
    dep: &str,
    r: &NewRendezVous,
    sauf: Option<i64>,
) -> std::result::Result<Plage, ReservationError> {
    let (d, f) = (heure::format(r.debut), heure::format(r.fin));
    lock_agent(conn, dep, r.agent_id)
        .await
        .map_err(|e| match e {
            StoreError::Reference => regle("agent_id", "Agent inconnu dans ce département."),
            other => other.into(),
        })?;
    let plages = plages(conn, dep, r.agent_id).await?;
    let absences: Vec<(NaiveDateTime, NaiveDateTime)> =
        absences(conn, dep, r.agent_id, r.debut, r.fin)
            .await?
            .into_iter()
            .map(|a| (a.debut, a.fin))
            .collect();
    let p = verifier_plage(r.debut, r.fin, r.type_rdv, &plages, &absences)?.clone();
    if let Some((bd, bf, what)) = agent_busy(conn, dep, r.agent_id, &d, &f, sauf).await? {
        return Err(regle("heure", busy_message("L'agent", what, &bd, &bf)));
    }
    if let Some(s) = r.salle_id {
        lock_salle(conn, dep, s, p.site_id).await?;
        if let Some((bd, bf)) = salle_busy(conn, dep, s, &d, &f, sauf).await? {
            return Err(regle(
                "salle_id",
                busy_message("La salle", "une réservation", &bd, &bf),
            ));
        }
    }
    Ok(p)
}

/// Moves a planned appointment to the agent, time and room of `r` (same person and kind): the same
/// rules as a booking (its own slot excepted), its reminders moved to the new time. The appointment keeps
/// its id, its request date and its waiting-list link, so the figures see one appointment, not a
/// cancellation and a booking.
pub async fn deplacer(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    r: &NewRendezVous,
) -> std::result::Result<(), ReservationError> {
    let current = get(conn, dep, id).await?;
    if current.statut != StatutRdv::Prevu {
        return Err(regle(
            "heure",
            "Seul un rendez-vous prévu peut être déplacé.",
        ));
    }
    let p = verifier_agenda(conn, dep, r, Some(id)).await?;
    let moved = sqlx::query(
        "UPDATE rendez_vous SET agent_id = $1, debut = $2, fin = $3, nature = $4, site_id = $5, \
         permanence_id = $6, salle_id = $7, updated_at = $8 WHERE departement_id = $9 AND id = $10 AND statut = 'prevu'",
    )
    .bind(r.agent_id)
    .bind(heure::format(r.debut))
    .bind(heure::format(r.fin))
    .bind(p.nature.code())
    .bind(p.site_id)
    .bind(p.permanence_id)
    .bind(r.salle_id)
    .bind(now())
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(|e| match on_unique("heure")(e) {
        StoreError::Conflict(_) => regle("heure", "L'agent a déjà un rendez-vous à cette heure : choisissez un autre créneau."),
        other => other.into(),
    })?;
    if moved.rows_affected() == 0 {
        return Err(regle(
            "heure",
            "Ce rendez-vous vient d'être modifié : rechargez la page.",
        ));
    }
    // The reminders still to send move with it (one per channel: the same rows, their jobs moved).
    let envoi = crate::clock().utc(r.debut) - Duration::hours(RAPPEL_AVANCE_HEURES);
    let envoi = format_time(envoi.max(crate::clock().now()));
    sqlx::query(
        "UPDATE jobs SET run_at = $1 WHERE status = 'en_attente' AND id IN \
         (SELECT job_id FROM agenda_rappels WHERE departement_id = $2 AND rendez_vous_id = $3 AND statut = 'prevu')",
    )
    .bind(&envoi)
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE agenda_rappels SET envoyer_le = $1 WHERE departement_id = $2 AND rendez_vous_id = $3 AND statut = 'prevu'",
    )
    .bind(&envoi)
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

const ATTENTE_SELECT: &str = "SELECT w.id, w.personne_id, w.type, w.site_id, w.motif, w.demande_le, w.statut, w.rendez_vous_id, s.nom AS site_nom, \
     p.nom_naissance AS p_nom_naissance, p.nom_usage AS p_nom_usage, p.prenoms AS p_prenoms \
     FROM agenda_attente w JOIN personnes p ON p.departement_id = w.departement_id AND p.id = w.personne_id \
     JOIN sites s ON s.departement_id = w.departement_id AND s.id = w.site_id";

/// The oldest waiting-list requests of a site for a kind of appointment: whom to offer a freed slot.
pub async fn attente_pour(
    conn: &mut Conn,
    dep: &str,
    site_id: i64,
    type_rdv: TypeRdv,
    limit: i64,
) -> Result<Vec<Attente>> {
    let rows = sqlx::query(&format!(
        "{ATTENTE_SELECT} WHERE w.departement_id = $1 AND w.site_id = $2 AND w.type = $3 \
         AND w.statut = 'en_attente' ORDER BY w.demande_le, w.id LIMIT $4"
    ))
    .bind(dep)
    .bind(site_id)
    .bind(type_rdv.code())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(attente_of).collect())
}

/// One waiting-list request.
pub async fn attente_une(conn: &mut Conn, dep: &str, id: i64) -> Result<Attente> {
    let r = sqlx::query(&format!(
        "{ATTENTE_SELECT} WHERE w.departement_id = $1 AND w.id = $2"
    ))
    .bind(dep)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(attente_of(&r))
}

/// Books an appointment: inside a plage of the agent that takes its kind, not over an absence, not
/// over another appointment or session of the agent or of the room; the reminders asked for are
/// queued (`agenda.rappel`, at `RAPPEL_AVANCE_HEURES` before). All in the caller's transaction.
pub async fn reserver(
    conn: &mut Conn,
    dep: &str,
    res: Reservation<'_>,
) -> std::result::Result<i64, ReservationError> {
    let r = res.rdv;
    let (d, f) = (heure::format(r.debut), heure::format(r.fin));
    let p = verifier_agenda(conn, dep, r, None).await?;
    // The person's contacts decide which reminders can be sent.
    let contact = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM personne_contacts c WHERE c.departement_id = p.departement_id AND c.personne_id = p.id AND c.kind = 'email') AS emails, \
                (SELECT COUNT(*) FROM personne_contacts c WHERE c.departement_id = p.departement_id AND c.personne_id = p.id AND c.kind = 'telephone') AS tels, \
                (SELECT COUNT(*) FROM dossiers d WHERE d.departement_id = p.departement_id AND d.personne_id = p.id) AS dossiers, \
                (SELECT COUNT(*) FROM dossiers d WHERE d.departement_id = p.departement_id AND d.personne_id = p.id AND d.clos_le IS NULL AND d.archive_le IS NULL) AS ouverts, \
                (SELECT COUNT(*) FROM dossiers d WHERE d.departement_id = p.departement_id AND d.personne_id = p.id AND d.anonymise_le IS NULL AND d.archive_le IS NULL) AS vivants, \
                p.fusionnee_dans \
         FROM personnes p WHERE p.departement_id = $1 AND p.id = $2",
    )
    .bind(dep)
    .bind(r.personne_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| regle("personne_id", "Personne inconnue dans ce département."))?;
    if contact.get::<Option<i64>, _>("fusionnee_dans").is_some() {
        return Err(regle("personne_id", "Cette fiche a été fusionnée dans une autre : prenez le rendez-vous sur la fiche gardée."));
    }
    let dossiers: i64 = contact.get("dossiers");
    if dossiers > 0 && contact.get::<i64, _>("vivants") == 0 {
        return Err(regle(
            "personne_id",
            "Le dossier de cette personne est archivé : aucun rendez-vous ne peut y être rattaché.",
        ));
    }
    // A follow-up needs a file that is still open; a first reception may reopen the story.
    if dossiers > 0
        && contact.get::<i64, _>("ouverts") == 0
        && r.type_rdv != TypeRdv::PremierAccueil
    {
        return Err(regle("type", "Le dossier de cette personne est clos : prenez un rendez-vous de premier accueil, ou faites rouvrir le dossier."));
    }
    let mut e = FieldErrors::new();
    if r.rappel_email && contact.get::<i64, _>("emails") == 0 {
        e.add("rappel_email", "La personne n'a pas d'adresse électronique dans son dossier : pas de rappel par courriel possible.");
    }
    if r.rappel_sms && contact.get::<i64, _>("tels") == 0 {
        e.add("rappel_sms", "La personne n'a pas de numéro de téléphone dans son dossier : pas de rappel par SMS possible.");
    }
    e.into_result()?;
    let t = now();
    let row = sqlx::query(
        "INSERT INTO rendez_vous (departement_id, personne_id, agent_id, type, statut, debut, fin, nature, site_id, permanence_id, salle_id, objet, \
         demande_le, attente_id, created_by, created_at, updated_at, interprete) \
         VALUES ($1, $2, $3, $4, 'prevu', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16) RETURNING id",
    )
    .bind(dep)
    .bind(r.personne_id)
    .bind(r.agent_id)
    .bind(r.type_rdv.code())
    .bind(&d)
    .bind(&f)
    .bind(p.nature.code())
    .bind(p.site_id)
    .bind(p.permanence_id)
    .bind(r.salle_id)
    .bind(&r.objet)
    .bind(r.demande_le.format("%Y-%m-%d").to_string())
    .bind(r.attente_id)
    .bind(res.by)
    .bind(&t)
    .bind(&r.interprete)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match on_unique("heure")(e) {
        StoreError::Conflict(_) => regle("heure", "L'agent a déjà un rendez-vous à cette heure : choisissez un autre créneau."),
        StoreError::Reference => regle("personne_id", "Personne, agent ou salle inconnus dans ce département."),
        other => other.into(),
    })?;
    let id: i64 = row.get("id");
    if let Some(a) = r.attente_id {
        let done = sqlx::query(
            "UPDATE agenda_attente SET statut = 'planifie', rendez_vous_id = $1 WHERE departement_id = $2 AND id = $3 AND personne_id = $4 AND statut = 'en_attente'",
        )
        .bind(id)
        .bind(dep)
        .bind(a)
        .bind(r.personne_id)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 0 {
            return Err(regle(
                "attente_id",
                "Cette demande n'est plus en attente, ou concerne une autre personne.",
            ));
        }
    }
    let envoi = crate::clock().utc(r.debut) - Duration::hours(RAPPEL_AVANCE_HEURES);
    let envoi = format_time(envoi.max(crate::clock().now()));
    for (wanted, canal) in [(r.rappel_email, "email"), (r.rappel_sms, "sms")] {
        if wanted {
            rappel_create(conn, dep, id, canal, &envoi).await?;
        }
    }
    Ok(id)
}

async fn rappel_create(
    conn: &mut Conn,
    dep: &str,
    rdv_id: i64,
    canal: &str,
    envoi: &str,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO agenda_rappels (departement_id, rendez_vous_id, canal, envoyer_le, statut, created_at) VALUES ($1, $2, $3, $4, 'prevu', $5) RETURNING id",
    )
    .bind(dep)
    .bind(rdv_id)
    .bind(canal)
    .bind(envoi)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    let rappel_id: i64 = r.get("id");
    let job = jobs::enqueue(
        conn,
        dep,
        RAPPEL_JOB,
        &serde_json::json!({ "departement_id": dep, "rappel_id": rappel_id }),
        RAPPEL_TENTATIVES,
    )
    .await?;
    // The queue has no "run at" argument: the job is moved to its time in the same transaction.
    sqlx::query("UPDATE jobs SET run_at = $1 WHERE id = $2")
        .bind(envoi)
        .bind(job)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE agenda_rappels SET job_id = $1 WHERE departement_id = $2 AND id = $3")
        .bind(job)
        .bind(dep)
        .bind(rappel_id)
        .execute(&mut *conn)
        .await?;
    Ok(rappel_id)
}

pub async fn get(conn: &mut Conn, dep: &str, id: i64) -> Result<RendezVous> {
    let sql = format!("SELECT {RDV_COLUMNS} {RDV_FROM} WHERE r.departement_id = $1 AND r.id = $2");
    let r = sqlx::query(&sql)
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(rdv(&r))
}

/// Filters of the appointments list.
#[derive(Debug, Clone, Default)]
pub struct RdvFilter {
    /// Restricts to these sites (the principal's territory); `None` = no restriction.
    pub sites: Option<Vec<i64>>,
    pub agent_id: Option<i64>,
    pub personne_id: Option<i64>,
    pub statut: Option<StatutRdv>,
    pub type_rdv: Option<TypeRdv>,
    pub du: Option<NaiveDate>,
    pub au: Option<NaiveDate>,
}

pub async fn list(
    conn: &mut Conn,
    dep: &str,
    f: &RdvFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<RendezVous>, i64)> {
    let mut clauses = vec!["r.departement_id = $1".to_string()];
    let mut binds: Vec<String> = vec![dep.to_string()];
    if let Some(s) = &f.sites {
        clauses.push(format!("r.site_id IN ({})", in_list(s)));
    }
    if let Some(a) = f.agent_id {
        clauses.push(format!("r.agent_id = {a}"));
    }
    if let Some(p) = f.personne_id {
        clauses.push(format!("r.personne_id = {p}"));
    }
    if let Some(s) = f.statut {
        binds.push(s.code().into());
        clauses.push(format!("r.statut = ${}", binds.len()));
    }
    if let Some(t) = f.type_rdv {
        binds.push(t.code().into());
        clauses.push(format!("r.type = ${}", binds.len()));
    }
    if let Some(d) = f.du {
        binds.push(d.format("%Y-%m-%d").to_string());
        clauses.push(format!("r.debut >= ${}", binds.len()));
    }
    if let Some(d) = f.au {
        binds.push((d + Duration::days(1)).format("%Y-%m-%d").to_string());
        clauses.push(format!("r.debut < ${}", binds.len()));
    }
    let w = clauses.join(" AND ");
    let (limit, offset) = (limit.clamp(1, 500), offset.max(0));
    let sql = format!("SELECT {RDV_COLUMNS} {RDV_FROM} WHERE {w} ORDER BY r.debut, r.id LIMIT {limit} OFFSET {offset}");
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let rows: Vec<RendezVous> = q.fetch_all(&mut *conn).await?.iter().map(rdv).collect();
    let sql = format!("SELECT COUNT(*) AS n FROM rendez_vous r WHERE {w}");
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let total = q.fetch_one(&mut *conn).await?.get("n");
    Ok((rows, total))
}

/// Records what happened (honoured, excused, no-show) or cancels. A status is set once the
/// appointment holds: back to « prévu » is refused (rebook instead, which checks the agenda again).
/// Reminders still to send are withdrawn when the appointment no longer holds.
pub async fn set_statut(
    conn: &mut Conn,
    dep: &str,
    id: i64,
    statut: StatutRdv,
    maintenant: NaiveDateTime,
) -> std::result::Result<(), ReservationError> {
    let current = get(conn, dep, id).await?;
    if statut == StatutRdv::Prevu && current.statut != StatutRdv::Prevu {
        return Err(regle("statut", "Un rendez-vous annulé ou passé ne redevient pas « prévu » : prenez un nouveau rendez-vous."));
    }
    if matches!(statut, StatutRdv::Honore | StatutRdv::AbsentNonExcuse)
        && current.debut > maintenant
    {
        return Err(regle("statut", "Ce rendez-vous n'a pas encore eu lieu : il ne peut être noté honoré ou absent qu'à partir de son heure."));
    }
    sqlx::query(
        "UPDATE rendez_vous SET statut = $1, updated_at = $2 WHERE departement_id = $3 AND id = $4",
    )
    .bind(statut.code())
    .bind(now())
    .bind(dep)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if !statut.occupe() || statut == StatutRdv::Honore {
        sqlx::query("UPDATE agenda_rappels SET statut = 'annule' WHERE departement_id = $1 AND rendez_vous_id = $2 AND statut = 'prevu'")
            .bind(dep)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A reminder with the state of its job, as the appointment page shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rappel {
    pub id: i64,
    pub rendez_vous_id: i64,
    pub canal: String,
    pub envoyer_le: String,
    pub statut: String,
    pub envoye_at: Option<String>,
    pub job_statut: Option<String>,
    pub tentatives: i64,
    pub erreur: Option<String>,
}

impl Rappel {
    pub fn libelle(&self) -> String {
        let canal = if self.canal == "email" {
            "Courriel"
        } else {
            "SMS"
        };
        let etat = match (self.statut.as_str(), self.job_statut.as_deref()) {
            ("envoye", _) => format!(
                "envoyé le {}",
                self.envoye_at
                    .as_deref()
                    .unwrap_or("")
                    .get(..16)
                    .unwrap_or("")
                    .replace('T', " à ")
            ),
            ("annule", _) => "annulé (le rendez-vous ne tient plus)".into(),
            (_, Some("echec")) => format!(
                "échec définitif après {} tentatives : {}",
                self.tentatives,
                self.erreur.as_deref().unwrap_or("")
            ),
            (_, _) if self.tentatives > 0 => format!(
                "nouvel essai prévu (tentative {} échouée : {})",
                self.tentatives,
                self.erreur.as_deref().unwrap_or("")
            ),
            _ => format!(
                "prévu le {} (UTC)",
                self.envoyer_le.get(..16).unwrap_or("").replace('T', " à ")
            ),
        };
        format!("{canal} : {etat}")
    }
}

pub async fn rappels(conn: &mut Conn, dep: &str, rdv_id: i64) -> Result<Vec<Rappel>> {
    Ok(sqlx::query(
        "SELECT r.id, r.rendez_vous_id, r.canal, r.envoyer_le, r.statut, r.envoye_at, j.status AS job_statut, COALESCE(j.attempts, 0) AS tentatives, j.last_error \
         FROM agenda_rappels r LEFT JOIN jobs j ON j.id = r.job_id WHERE r.departement_id = $1 AND r.rendez_vous_id = $2 ORDER BY r.canal",
    )
    .bind(dep)
    .bind(rdv_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Rappel {
        id: r.get("id"),
        rendez_vous_id: r.get("rendez_vous_id"),
        canal: r.get("canal"),
        envoyer_le: r.get("envoyer_le"),
        statut: r.get("statut"),
        envoye_at: r.get("envoye_at"),
        job_statut: r.get("job_statut"),
        tentatives: r.get("tentatives"),
        erreur: r.get("last_error"),
    })
    .collect())
}

/// What the reminder job needs: the reminder, its appointment and the person's address on the channel.
pub struct RappelAEnvoyer {
    pub rappel_id: i64,
    pub canal: String,
    pub statut: String,
    pub rdv: RendezVous,
    /// The first e-mail or phone of the person, read now.
    pub destinataire: Option<String>,
    pub adresse_lieu: String,
}

pub async fn rappel_a_envoyer(
    conn: &mut Conn,
    dep: &str,
    rappel_id: i64,
) -> Result<RappelAEnvoyer> {
    let r = sqlx::query("SELECT rendez_vous_id, canal, statut FROM agenda_rappels WHERE departement_id = $1 AND id = $2")
        .bind(dep)
        .bind(rappel_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let canal: String = r.get("canal");
    let rdv = get(conn, dep, r.get("rendez_vous_id")).await?;
    let kind = if canal == "email" {
        "email"
    } else {
        "telephone"
    };
    let destinataire = sqlx::query(
        "SELECT valeur FROM personne_contacts WHERE departement_id = $1 AND personne_id = $2 AND kind = $3 ORDER BY rang, id LIMIT 1",
    )
    .bind(dep)
    .bind(rdv.personne_id)
    .bind(kind)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| r.get("valeur"));
    let adresse_lieu: String = match rdv.permanence_id {
        Some(p) => {
            sqlx::query("SELECT adresse FROM permanences WHERE departement_id = $1 AND id = $2")
                .bind(dep)
                .bind(p)
        }
        None => sqlx::query("SELECT adresse FROM sites WHERE departement_id = $1 AND id = $2")
            .bind(dep)
            .bind(rdv.site_id),
    }
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| r.get("adresse"))
    .unwrap_or_default();
    Ok(RappelAEnvoyer {
        rappel_id,
        canal,
        statut: r.get("statut"),
        rdv,
        destinataire,
        adresse_lieu,
    })
}

pub async fn rappel_envoye(conn: &mut Conn, dep: &str, rappel_id: i64) -> Result<()> {
    sqlx::query("UPDATE agenda_rappels SET statut = 'envoye', envoye_at = $1 WHERE departement_id = $2 AND id = $3 AND statut = 'prevu'")
        .bind(now())
        .bind(dep)
        .bind(rappel_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Withdraws a reminder still to send (its appointment no longer holds).
pub async fn rappel_annuler(conn: &mut Conn, dep: &str, rappel_id: i64) -> Result<()> {
    sqlx::query("UPDATE agenda_rappels SET statut = 'annule' WHERE departement_id = $1 AND id = $2 AND statut = 'prevu'")
        .bind(dep)
        .bind(rappel_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The outbox of the built-in SMS provider.
pub async fn sms_enregistrer(
    conn: &mut Conn,
    dep: &str,
    destinataire: &str,
    texte: &str,
    rappel_id: Option<i64>,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO sms_sortants (departement_id, destinataire, texte, rappel_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(dep)
    .bind(destinataire)
    .bind(texte)
    .bind(rappel_id)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.get("id"))
}

pub async fn sms_sortants(conn: &mut Conn, dep: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query(
        "SELECT destinataire, texte FROM sms_sortants WHERE departement_id = $1 ORDER BY id",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| (r.get("destinataire"), r.get("texte")))
    .collect())
}

// ---------------------------------------------------------------------------------------------------
// Free slots

/// Whose slots to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cible {
    /// The agents who receive at the MDS of the secteur (its plages, PLAS and permanences).
    Secteur(i64),
    Site(i64),
    Agent(i64),
}

/// The earliest free slots for a kind of appointment, from `apres` over `jours` days: two queries
/// (plages, busy times, absences), then the pure search of `creneaux::libres`.
#[allow(clippy::too_many_arguments)]
pub async fn creneaux(
    conn: &mut Conn,
    dep: &str,
    cible: Cible,
    type_rdv: TypeRdv,
    duree: i64,
    apres: NaiveDateTime,
    jours: i64,
    max: usize,
) -> Result<Vec<Creneau>> {
    let (filter, id) = match cible {
        Cible::Secteur(s) => (
            "p.site_id = (SELECT site_id FROM secteurs WHERE departement_id = $1 AND id = $2)",
            s,
        ),
        Cible::Site(s) => ("p.site_id = $2", s),
        Cible::Agent(a) => ("p.agent_id = $2", a),
    };
    let sql = format!(
        "SELECT p.id, p.agent_id, p.jour, p.debut, p.fin, p.nature, p.site_id, p.permanence_id FROM agenda_plages p \
         JOIN agents a ON a.departement_id = p.departement_id AND a.id = p.agent_id \
         WHERE p.departement_id = $1 AND {filter} AND a.ferme_le IS NULL"
    );
    let plages: Vec<Plage> = sqlx::query(&sql)
        .bind(dep)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(plage)
        .collect();
    if plages.is_empty() {
        return Ok(vec![]);
    }
    let mut agents: Vec<i64> = plages.iter().map(|p| p.agent_id).collect();
    agents.sort_unstable();
    agents.dedup();
    let list = in_list(&agents);
    let until = apres.date() + Duration::days(jours);
    let (from_s, to_s) = (
        heure::format(apres),
        heure::format(until.and_time(chrono::NaiveTime::MIN) + Duration::days(1)),
    );
    let sql = format!(
        "SELECT agent_id, debut, fin FROM rendez_vous WHERE departement_id = $1 AND agent_id IN ({list}) AND statut IN {occ} AND debut < $2 AND fin > $3 \
         UNION ALL SELECT animateur_id AS agent_id, debut, fin FROM agenda_sessions WHERE departement_id = $1 AND animateur_id IN ({list}) AND debut < $2 AND fin > $3 \
         UNION ALL SELECT agent_id, debut, fin FROM agenda_absences WHERE departement_id = $1 AND agent_id IN ({list}) AND debut < $2 AND fin > $3",
        occ = StatutRdv::OCCUPANTS
    );
    let occupations: Vec<Occupation> = sqlx::query(&sql)
        .bind(dep)
        .bind(&to_s)
        .bind(&from_s)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Occupation {
            agent_id: r.get("agent_id"),
            debut: civil(&r.get::<String, _>("debut")),
            fin: civil(&r.get::<String, _>("fin")),
        })
        .collect();
    Ok(creneaux::libres(
        &plages,
        &occupations,
        type_rdv,
        duree,
        apres,
        until,
        max,
    ))
}

// ---------------------------------------------------------------------------------------------------
// Waiting list

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attente {
    pub id: i64,
    pub personne_id: i64,
    pub personne: String,
    pub type_rdv: TypeRdv,
    pub site_id: i64,
    pub site: String,
    pub motif: Option<String>,
    pub demande_le: String,
    pub statut: String,
    pub rendez_vous_id: Option<i64>,
}

fn attente_of(r: &AnyRow) -> Attente {
    Attente {
        id: r.get("id"),
        personne_id: r.get("personne_id"),
        personne: nom_personne(r),
        type_rdv: TypeRdv::parse(&r.get::<String, _>("type")).unwrap_or(TypeRdv::PremierAccueil),
        site_id: r.get("site_id"),
        site: r.get("site_nom"),
        motif: r.get("motif"),
        demande_le: r.get("demande_le"),
        statut: r.get("statut"),
        rendez_vous_id: r.get("rendez_vous_id"),
    }
}

pub async fn attente_list(
    conn: &mut Conn,
    dep: &str,
    sites: Option<&[i64]>,
    statut: &str,
) -> Result<Vec<Attente>> {
    let w = match sites {
        Some(s) => format!(" AND w.site_id IN ({})", in_list(s)),
        None => String::new(),
    };
    let sql = format!(
        "{ATTENTE_SELECT} WHERE w.departement_id = $1 AND w.statut = $2{w} ORDER BY w.demande_le, w.id LIMIT 500"
    );
    Ok(sqlx::query(&sql)
        .bind(dep)
        .bind(statut)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(attente_of)
        .collect())
}

pub async fn attente_get(
    conn: &mut Conn,
    dep: &str,
    id: i64,
) -> Result<(i64, i64, TypeRdv, String)> {
    let r = sqlx::query("SELECT personne_id, site_id, type, statut FROM agenda_attente WHERE departement_id = $1 AND id = $2")
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((
        r.get("personne_id"),
        r.get("site_id"),
        TypeRdv::parse(&r.get::<String, _>("type")).unwrap_or(TypeRdv::PremierAccueil),
        r.get("statut"),
    ))
}

#[allow(clippy::too_many_arguments)]
pub async fn attente_create(
    conn: &mut Conn,
    dep: &str,
    personne_id: i64,
    type_rdv: TypeRdv,
    site_id: i64,
    motif: Option<&str>,
    demande_le: NaiveDate,
    by: Option<i64>,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO agenda_attente (departement_id, personne_id, type, site_id, motif, demande_le, statut, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'en_attente', $7, $8) RETURNING id",
    )
    .bind(dep)
    .bind(personne_id)
    .bind(type_rdv.code())
    .bind(site_id)
    .bind(motif)
    .bind(demande_le.format("%Y-%m-%d").to_string())
    .bind(by)
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(on_unique("personne_id"))?;
    Ok(r.get("id"))
}

pub async fn attente_retirer(conn: &mut Conn, dep: &str, id: i64) -> Result<()> {
    let done = sqlx::query("UPDATE agenda_attente SET statut = 'retire' WHERE departement_id = $1 AND id = $2 AND statut = 'en_attente'")
        .bind(dep)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    touched(done.rows_affected(), StoreError::Conflict("statut"))
}

// ---------------------------------------------------------------------------------------------------
// Collective sessions

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Session {
    pub id: i64,
    pub titre: String,
    pub site_id: i64,
    pub site: String,
    pub salle_id: Option<i64>,
    pub salle: Option<String>,
    pub animateur_id: i64,
    pub animateur: String,
    pub debut: NaiveDateTime,
    pub fin: NaiveDateTime,
    pub capacite: i64,
    pub inscrits: i64,
}

impl Session {
    pub fn quand(&self) -> String {
        format!(
            "{} – {}",
            heure::date_heure(self.debut),
            heure::hm(heure::minutes(self.fin))
        )
    }
    pub fn places(&self) -> i64 {
        self.capacite - self.inscrits
    }
}

const SESSION_SQL: &str = "SELECT x.id, x.titre, x.site_id, x.salle_id, x.animateur_id, x.debut, x.fin, x.capacite, x.inscrits, s.nom AS site_nom, \
    sa.nom AS salle_nom, a.prenom, a.nom FROM agenda_sessions x JOIN sites s ON s.departement_id = x.departement_id AND s.id = x.site_id \
    JOIN agents a ON a.departement_id = x.departement_id AND a.id = x.animateur_id \
    LEFT JOIN agenda_salles sa ON sa.departement_id = x.departement_id AND sa.id = x.salle_id";

fn session(r: &AnyRow) -> Session {
    Session {
        id: r.get("id"),
        titre: r.get("titre"),
        site_id: r.get("site_id"),
        site: r.get("site_nom"),
        salle_id: r.get("salle_id"),
        salle: r.get("salle_nom"),
        animateur_id: r.get("animateur_id"),
        animateur: format!(
            "{} {}",
            r.get::<String, _>("prenom"),
            r.get::<String, _>("nom")
        ),
        debut: civil(&r.get::<String, _>("debut")),
        fin: civil(&r.get::<String, _>("fin")),
        capacite: r.get("capacite"),
        inscrits: r.get("inscrits"),
    }
}

pub async fn sessions(
    conn: &mut Conn,
    dep: &str,
    sites: Option<&[i64]>,
    depuis: NaiveDate,
) -> Result<Vec<Session>> {
    let w = match sites {
        Some(s) => format!(" AND x.site_id IN ({})", in_list(s)),
        None => String::new(),
    };
    let sql = format!("{SESSION_SQL} WHERE x.departement_id = $1 AND x.debut >= $2{w} ORDER BY x.debut, x.id LIMIT 500");
    Ok(sqlx::query(&sql)
        .bind(dep)
        .bind(depuis.format("%Y-%m-%d").to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(session)
        .collect())
}

pub async fn session_get(conn: &mut Conn, dep: &str, id: i64) -> Result<Session> {
    let sql = format!("{SESSION_SQL} WHERE x.departement_id = $1 AND x.id = $2");
    let r = sqlx::query(&sql)
        .bind(dep)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(session(&r))
}

/// Programs a session: the animator and the room must be free.
pub async fn session_create(
    conn: &mut Conn,
    dep: &str,
    s: &NewSession,
    by: Option<i64>,
) -> std::result::Result<i64, ReservationError> {
    let (d, f) = (heure::format(s.debut), heure::format(s.fin));
    lock_agent(conn, dep, s.animateur_id)
        .await
        .map_err(|e| match e {
            StoreError::Reference => regle("animateur_id", "Agent inconnu dans ce département."),
            other => other.into(),
        })?;
    if let Some((bd, bf, what)) = agent_busy(conn, dep, s.animateur_id, &d, &f, None).await? {
        return Err(regle(
            "animateur_id",
            busy_message("L'agent", what, &bd, &bf),
        ));
    }
    if let Some(sa) = s.salle_id {
        lock_salle(conn, dep, sa, s.site_id).await?;
        if let Some((bd, bf)) = salle_busy(conn, dep, sa, &d, &f, None).await? {
            return Err(regle(
                "salle_id",
                busy_message("La salle", "une réservation", &bd, &bf),
            ));
        }
    }
    let r = sqlx::query(
        "INSERT INTO agenda_sessions (departement_id, titre, site_id, salle_id, animateur_id, debut, fin, capacite, inscrits, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10) RETURNING id",
    )
    .bind(dep)
    .bind(&s.titre)
    .bind(s.site_id)
    .bind(s.salle_id)
    .bind(s.animateur_id)
    .bind(&d)
    .bind(&f)
    .bind(s.capacite)
    .bind(by)
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match on_unique("titre")(e) {
        StoreError::Reference => regle("site_id", "Site, salle ou agent inconnus dans ce département."),
        other => other.into(),
    })?;
    Ok(r.get("id"))
}

/// Registers a person: the counter moves only while places remain, which cannot overbook even when
/// two desks register the last place at once.
pub async fn session_inscrire(
    conn: &mut Conn,
    dep: &str,
    session_id: i64,
    personne_id: i64,
) -> std::result::Result<(), ReservationError> {
    let s = session_get(conn, dep, session_id).await?;
    let done = sqlx::query(
        "UPDATE agenda_sessions SET inscrits = inscrits + 1 WHERE departement_id = $1 AND id = $2 AND inscrits < capacite",
    )
    .bind(dep)
    .bind(session_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(regle(
            "personne_id",
            format!("La session est complète ({} places) : inscrivez la personne sur la liste d'attente.", s.capacite),
        ));
    }
    sqlx::query("INSERT INTO agenda_participants (departement_id, session_id, personne_id, created_at) VALUES ($1, $2, $3, $4)")
        .bind(dep)
        .bind(session_id)
        .bind(personne_id)
        .bind(now())
        .execute(&mut *conn)
        .await
        .map_err(|e| match on_unique("personne_id")(e) {
            StoreError::Conflict(_) => regle("personne_id", "Cette personne est déjà inscrite à la session."),
            StoreError::Reference => regle("personne_id", "Personne inconnue dans ce département."),
            other => other.into(),
        })?;
    Ok(())
}

pub async fn participants(
    conn: &mut Conn,
    dep: &str,
    session_id: i64,
) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query(
        "SELECT p.id, p.nom_naissance AS p_nom_naissance, p.nom_usage AS p_nom_usage, p.prenoms AS p_prenoms FROM agenda_participants x \
         JOIN personnes p ON p.departement_id = x.departement_id AND p.id = x.personne_id WHERE x.departement_id = $1 AND x.session_id = $2 ORDER BY x.id",
    )
    .bind(dep)
    .bind(session_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| (r.get("id"), nom_personne(r)))
    .collect())
}

// ---------------------------------------------------------------------------------------------------
// iCal feed

/// Sets the hash of a new feed secret (the previous URL stops working).
pub async fn ical_set(conn: &mut Conn, dep: &str, agent_id: i64, hash: Option<&str>) -> Result<()> {
    lock_agent(conn, dep, agent_id).await?;
    sqlx::query("UPDATE agendas SET ical_hash = $1, ical_created_at = $2 WHERE departement_id = $3 AND agent_id = $4")
        .bind(hash)
        .bind(hash.map(|_| now()))
        .bind(dep)
        .bind(agent_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// When the current feed secret was made, if there is one.
pub async fn ical_created(conn: &mut Conn, dep: &str, agent_id: i64) -> Result<Option<String>> {
    Ok(sqlx::query("SELECT ical_created_at FROM agendas WHERE departement_id = $1 AND agent_id = $2 AND ical_hash IS NOT NULL")
        .bind(dep)
        .bind(agent_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.get("ical_created_at")))
}

/// The agent (département, id) whose feed secret has this hash.
pub async fn ical_agent(conn: &mut Conn, hash: &str) -> Result<Option<(String, i64)>> {
    Ok(
        sqlx::query("SELECT departement_id, agent_id FROM agendas WHERE ical_hash = $1")
            .bind(hash)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| (r.get("departement_id"), r.get("agent_id"))),
    )
}

/// The appointments and sessions of an agent between two civil times (week view, iCal feed).
pub async fn agenda_agent(
    conn: &mut Conn,
    dep: &str,
    agent_id: i64,
    du: NaiveDateTime,
    au: NaiveDateTime,
) -> Result<(Vec<RendezVous>, Vec<Session>)> {
    let sql = format!("SELECT {RDV_COLUMNS} {RDV_FROM} WHERE r.departement_id = $1 AND r.agent_id = $2 AND r.debut < $3 AND r.fin > $4 ORDER BY r.debut, r.id");
    let rdvs = sqlx::query(&sql)
        .bind(dep)
        .bind(agent_id)
        .bind(heure::format(au))
        .bind(heure::format(du))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(rdv)
        .collect();
    let sql = format!("{SESSION_SQL} WHERE x.departement_id = $1 AND x.animateur_id = $2 AND x.debut < $3 AND x.fin > $4 ORDER BY x.debut");
    let sessions = sqlx::query(&sql)
        .bind(dep)
        .bind(agent_id)
        .bind(heure::format(au))
        .bind(heure::format(du))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(session)
        .collect();
    Ok((rdvs, sessions))
}

/// The waiting time of fiche 4 over the appointments booked since `depuis` on these sites: number of
/// appointments and average days from request to appointment.
pub async fn delai_moyen(
    conn: &mut Conn,
    dep: &str,
    sites: Option<&[i64]>,
    depuis: &str,
) -> Result<(i64, Option<f64>)> {
    let w = match sites {
        Some(s) => format!(" AND site_id IN ({})", in_list(s)),
        None => String::new(),
    };
    let sql = format!("SELECT demande_le, debut FROM rendez_vous WHERE departement_id = $1 AND created_at >= $2 AND statut <> 'annule'{w}");
    let rows = sqlx::query(&sql)
        .bind(dep)
        .bind(depuis)
        .fetch_all(&mut *conn)
        .await?;
    let days: Vec<i64> = rows
        .iter()
        .filter_map(|r| {
            let d =
                NaiveDate::parse_from_str(&r.get::<String, _>("demande_le"), "%Y-%m-%d").ok()?;
            Some(parcours_domain::agenda::delai_jours(
                d,
                heure::parse(&r.get::<String, _>("debut"))?,
            ))
        })
        .collect();
    let n = days.len() as i64;
    Ok((
        n,
        (n > 0).then(|| days.iter().sum::<i64>() as f64 / n as f64),
    ))
}

// ---------------------------------------------------------------------------------------------------
// Demo agendas

/// Deterministic mixing of a few integers (SplitMix64 finaliser): the demo's choices depend on the
/// agent, the day and the hour, not on a random source.
fn mix(parts: &[i64]) -> u64 {
    let mut z: u64 = 0x9E37_79B9_7F4A_7C15;
    for p in parts {
        z = z
            .wrapping_add(*p as u64)
            .wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z ^= z >> 31;
    }
    z = (z ^ (z >> 30)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 27)
}

const DEMO_NOMS: &[&str] = &[
    "MOREAU", "LAURENT", "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND",
    "MOREL", "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU",
    "VINCENT", "MULLER", "FAURE",
];
const DEMO_PRENOMS: &[&str] = &[
    "Camille", "Nadia", "Julien", "Sabrina", "Kevin", "Aurélie", "Mehdi", "Sandrine", "Thierry",
    "Inès", "Ludovic", "Fatou", "Céline", "Yannick", "Amandine", "Rachid", "Élodie", "Bruno",
    "Laetitia", "Océane",
];

/// What the demo seeding wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoAgendas {
    pub plages: usize,
    pub rendez_vous: usize,
    pub personnes: usize,
}

/// Gives the demo département realistic agendas (in the caller's transaction, after its agents,
/// sites and permanences exist): each social worker receives two or three half-days a week at the MDS,
/// the polyvalence workers hold a permanence in a village and, one in two, a plage d'accueil social;
/// rooms for each MDS; a week of leave for some; synthetic persons (« personnes fictives ») with
/// appointments over the past two weeks (honoured, excused, no-shows) and the next three (filling
/// less as they get further), and one collective session per MDS.
pub async fn seed_demo(conn: &mut Conn, dep: &str) -> Result<DemoAgendas> {
    let mut out = DemoAgendas::default();
    let today = crate::clock().today();
    let agents: Vec<(i64, String, i64)> = sqlx::query(
        "SELECT a.id, a.metier, f.site_id FROM agents a JOIN affectations f ON f.departement_id = a.departement_id AND f.agent_id = a.id \
         AND f.fin IS NULL AND f.site_id IS NOT NULL WHERE a.departement_id = $1 AND a.role = 'travailleur_social' AND a.ferme_le IS NULL ORDER BY a.id",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| (r.get("id"), r.get("metier"), r.get("site_id")))
    .collect();
    let permanences: Vec<(i64, i64)> = sqlx::query("SELECT id, site_id FROM permanences WHERE departement_id = $1 AND ferme_le IS NULL ORDER BY id")
        .bind(dep)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| (r.get("id"), r.get("site_id")))
        .collect();
    let cadres: Vec<(i64, i64)> = sqlx::query(
        "SELECT a.id, f.site_id FROM agents a JOIN affectations f ON f.departement_id = a.departement_id AND f.agent_id = a.id \
         AND f.fin IS NULL AND f.site_id IS NOT NULL WHERE a.departement_id = $1 AND a.role = 'cadre' ORDER BY a.id",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| (r.get("id"), r.get("site_id")))
    .collect();
    let mut sites: Vec<i64> = agents.iter().map(|a| a.2).collect();
    sites.sort_unstable();
    sites.dedup();

    // Rooms and synthetic persons, per MDS.
    let mut salles_site: std::collections::HashMap<i64, (i64, i64)> = Default::default();
    let mut personnes_site: std::collections::HashMap<i64, Vec<i64>> = Default::default();
    for (si, site) in sites.iter().enumerate() {
        let mut bureaux = vec![];
        for b in 1..=3 {
            bureaux
                .push(salle_create(conn, dep, *site, &format!("Bureau d'entretien {b}"), 3).await?);
        }
        let reunion = salle_create(conn, dep, *site, "Salle de réunion", 15).await?;
        salles_site.insert(*site, (bureaux[0], reunion));
        let mut ids = vec![];
        for k in 0..30usize {
            let n = si * 30 + k;
            let form = parcours_domain::personnes::PersonneForm {
                nom_naissance: DEMO_NOMS[n % DEMO_NOMS.len()].into(),
                prenoms: DEMO_PRENOMS[(n * 7 + n / DEMO_NOMS.len()) % DEMO_PRENOMS.len()].into(),
                telephone: format!(
                    "06 {:02} {:02} {:02} {:02}",
                    10 + si,
                    k,
                    (n * 37) % 100,
                    (n * 53) % 100
                ),
                email: if k % 2 == 0 {
                    format!("personne.fictive{n}@exemple.invalid")
                } else {
                    String::new()
                },
                ..Default::default()
            };
            let p = parcours_domain::personnes::NewPersonne::parse(&form, today).map_err(|e| {
                StoreError::Other(anyhow::anyhow!("personne fictive invalide : {e}"))
            })?;
            ids.push(crate::personnes::create(conn, dep, &p).await?);
        }
        out.personnes += ids.len();
        personnes_site.insert(*site, ids);
    }

    // Weekly plages: (day, half-day, nature); one place per half-day.
    let mut rank: std::collections::HashMap<i64, usize> = Default::default();
    let mut plages_agent: Vec<(i64, String, i64, Vec<Plage>)> = vec![];
    for (id, metier, site) in &agents {
        let k = {
            let r = rank.entry(*site).or_default();
            *r += 1;
            *r - 1
        };
        let (da, db, dc) = (
            1 + (k % 5) as u32,
            1 + ((k + 2) % 5) as u32,
            1 + ((k + 4) % 5) as u32,
        );
        let mut wanted: Vec<(u32, bool, NaturePlage)> = match metier.as_str() {
            "ASS" => {
                let mut v = vec![
                    (da, true, NaturePlage::RendezVous),
                    (db, false, NaturePlage::RendezVous),
                    (dc, true, NaturePlage::Permanence),
                ];
                if k % 2 == 0 {
                    v.push((da, false, NaturePlage::Plas));
                }
                v
            }
            "REFRSA" => vec![
                (da, true, NaturePlage::RendezVous),
                (db, true, NaturePlage::RendezVous),
                (dc, false, NaturePlage::RendezVous),
            ],
            "CESF" => vec![
                (da, true, NaturePlage::RendezVous),
                (db, false, NaturePlage::RendezVous),
                (dc, false, NaturePlage::Plas),
            ],
            _ => vec![
                (da, true, NaturePlage::RendezVous),
                (db, false, NaturePlage::RendezVous),
            ],
        };
        wanted.sort_by_key(|w| (w.0, w.1));
        wanted.dedup_by_key(|w| (w.0, w.1));
        let perms_here: Vec<i64> = permanences
            .iter()
            .filter(|p| p.1 == *site)
            .map(|p| p.0)
            .collect();
        let mut made = vec![];
        for (jour, matin, nature) in wanted {
            let (debut, fin) = if matin {
                (9 * 60, 12 * 60)
            } else {
                (13 * 60 + 30, 17 * 60)
            };
            let (nature, permanence_id) = match nature {
                NaturePlage::Permanence if perms_here.is_empty() => (NaturePlage::RendezVous, None),
                NaturePlage::Permanence => (nature, Some(perms_here[k % perms_here.len()])),
                n => (n, None),
            };
            let p = NewPlage {
                jour,
                debut,
                fin,
                nature,
                site_id: *site,
                permanence_id,
            };
            let pid = match plage_create(conn, dep, *id, &p).await {
                Ok(pid) => pid,
                Err(ReservationError::Store(e)) => return Err(e),
                Err(ReservationError::Regle(e)) => {
                    return Err(StoreError::Other(anyhow::anyhow!(
                        "plage de démonstration refusée : {e}"
                    )))
                }
            };
            made.push(Plage {
                id: pid,
                agent_id: *id,
                jour,
                debut,
                fin,
                nature,
                site_id: *site,
                permanence_id,
            });
        }
        out.plages += made.len();
        plages_agent.push((*id, metier.clone(), *site, made));
    }

    // A week of leave for about one agent in twelve, within the next four weeks.
    let lundi = today
        - Duration::days(i64::from(
            chrono::Datelike::weekday(&today).num_days_from_monday(),
        ));
    let mut conges: std::collections::HashMap<i64, (NaiveDateTime, NaiveDateTime)> =
        Default::default();
    for (id, _, _) in &agents {
        if mix(&[*id, 1]).is_multiple_of(12) {
            let debut = (lundi + Duration::weeks(1 + (mix(&[*id, 2]) % 3) as i64))
                .and_time(chrono::NaiveTime::MIN);
            let fin = debut + Duration::days(5);
            absence_create(
                conn,
                dep,
                *id,
                &NewAbsence {
                    debut,
                    fin,
                    libelle: "Congés".into(),
                },
            )
            .await?;
            conges.insert(*id, (debut, fin));
        }
    }

    // Appointments on a 45-minute grid inside the plages, from two weeks ago to three weeks ahead.
    let maintenant = crate::clock().maintenant();
    let mut rows: Vec<[String; 10]> = vec![];
    for (agent, metier, site, plages) in &plages_agent {
        let persons = &personnes_site[site];
        for offset in -14i64..21 {
            let day = today + Duration::days(offset);
            let jour = chrono::Datelike::weekday(&day).number_from_monday();
            for p in plages.iter().filter(|p| p.jour == jour) {
                let mut t = p.debut;
                while t + 45 <= p.fin {
                    let debut = day.and_time(chrono::NaiveTime::MIN) + Duration::minutes(t);
                    let fin = debut + Duration::minutes(45);
                    t += 45;
                    if conges
                        .get(agent)
                        .is_some_and(|(d, f)| *d < fin && debut < *f)
                    {
                        continue;
                    }
                    let h = mix(&[*agent, offset, t]);
                    // Busier close to today: 75 % booked in the past and this week, 25 % three weeks on.
                    let fill = if offset < 7 {
                        75
                    } else if offset < 14 {
                        50
                    } else {
                        25
                    };
                    if (h % 100) as i64 >= fill {
                        continue;
                    }
                    let type_rdv = match (p.nature, metier.as_str()) {
                        (NaturePlage::Plas, _) => TypeRdv::PremierAccueil,
                        (_, "REFRSA") => TypeRdv::Rsa,
                        _ if h.is_multiple_of(7) => TypeRdv::PremierAccueil,
                        _ => TypeRdv::Suivi,
                    };
                    let statut = if debut >= maintenant {
                        StatutRdv::Prevu
                    } else {
                        match (h >> 8) % 10 {
                            0 => StatutRdv::AbsentNonExcuse,
                            1 => StatutRdv::Excuse,
                            _ => StatutRdv::Honore,
                        }
                    };
                    let demande = debut.date() - Duration::days(2 + ((h >> 16) % 20) as i64);
                    rows.push([
                        persons[((h >> 24) % persons.len() as u64) as usize].to_string(),
                        agent.to_string(),
                        type_rdv.code().into(),
                        statut.code().into(),
                        heure::format(debut),
                        heure::format(fin),
                        p.nature.code().into(),
                        site.to_string(),
                        p.permanence_id.map(|x| x.to_string()).unwrap_or_default(),
                        demande.format("%Y-%m-%d").to_string(),
                    ]);
                }
            }
        }
    }
    out.rendez_vous = rows.len();
    let t = now();
    for chunk in rows.chunks(40) {
        let mut sql = String::from(
            "INSERT INTO rendez_vous (departement_id, personne_id, agent_id, type, statut, debut, fin, nature, site_id, permanence_id, demande_le, created_at, updated_at) VALUES ",
        );
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "($1, CAST(${} AS BIGINT), CAST(${} AS BIGINT), ${}, ${}, ${}, ${}, ${}, CAST(${} AS BIGINT), CAST(NULLIF(${}, '') AS BIGINT), ${}, $2, $2)",
                n + 3, n + 4, n + 5, n + 6, n + 7, n + 8, n + 9, n + 10, n + 11, n + 12
            ));
            n += 10;
        }
        let mut q = sqlx::query(&sql).bind(dep).bind(&t);
        for r in chunk {
            for v in r {
                q = q.bind(v.clone());
            }
        }
        q.execute(&mut *conn).await?;
    }

    // One collective session per MDS next Thursday afternoon, with a few people already registered.
    for (cadre, site) in &cadres {
        let Some((_, reunion)) = salles_site.get(site) else {
            continue;
        };
        let jeudi = lundi + Duration::days(7 + 3);
        let s = NewSession {
            titre: "Atelier budget et énergie".into(),
            site_id: *site,
            salle_id: Some(*reunion),
            animateur_id: *cadre,
            debut: jeudi.and_time(chrono::NaiveTime::MIN) + Duration::hours(14),
            fin: jeudi.and_time(chrono::NaiveTime::MIN) + Duration::hours(16),
            capacite: 12,
        };
        let id = match session_create(conn, dep, &s, None).await {
            Ok(id) => id,
            Err(ReservationError::Store(e)) => return Err(e),
            Err(ReservationError::Regle(_)) => continue,
        };
        for p in personnes_site[site].iter().take(5) {
            if let Err(ReservationError::Store(e)) = session_inscrire(conn, dep, id, *p).await {
                return Err(e);
            }
        }
    }
    Ok(out)
}
