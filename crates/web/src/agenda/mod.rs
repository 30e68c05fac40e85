//! Agendas and appointments (capability 3): the first free slot for a secteur, each agent's printable
//! week (plages, absences, appointments, sessions) with the management of their plages, absences and
//! iCal feed, the booking form for a person, the appointments list, the waiting list, collective
//! sessions and rooms, and the `/api/v1` operations. Persons' data is read only within the principal's
//! sites and every read or write of it is audited.
//!
//! This file holds what the pages and the API share: the principal's scope, the select options, the
//! date formats and the person picker.

pub mod agendas;
pub mod api;
pub mod attente;
pub mod ical;
pub mod rendez_vous;
pub(crate) mod routes;
pub mod salles;
pub mod sessions;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{NaiveDate, NaiveDateTime};
use parcours_domain::agenda::{heure, TypeRdv};
use parcours_domain::habilitations::policy::{allows, reaches_site, Action};
use parcours_domain::habilitations::{Principal, Role};
use parcours_domain::FieldErrors;
use parcours_store::agents::{self as agents_store, AgentFilter, AgentSort};
use parcours_store::{audit, StoreError};

use crate::auth::Ctx;
use crate::error::{WebError, WebResult};
use crate::pages::Field;
use crate::AppState;

type Params = BTreeMap<String, String>;

fn p<'a>(v: &'a Params, k: &str) -> &'a str {
    v.get(k).map(String::as_str).unwrap_or("")
}

/// The sites whose agendas the principal reaches; `None` = the whole département (central roles,
/// which the policy keeps away from agendas anyway).
fn perimetre(p: &Principal) -> Option<Vec<i64>> {
    if reaches_site(p, None) {
        None
    } else {
        Some(p.site_ids.clone())
    }
}

fn reaches_any(p: &Principal, sites: &[i64]) -> bool {
    sites.iter().any(|s| reaches_site(p, Some(*s)))
}

/// Whether the principal manages this agent's agenda: a social worker their own, a cadre those of
/// their sites.
fn manages(p: &Principal, agent: &parcours_domain::referentiel::Agent) -> bool {
    allows(p, Action::AgendaGerer)
        && match p.role {
            Role::Cadre => reaches_any(p, &agent.site_ids),
            _ => p.agent_id == Some(agent.id),
        }
}

/// The agent, if the principal reaches one of their sites; otherwise « not found » (no hint that it
/// exists elsewhere).
async fn agent_in_scope(
    state: &AppState,
    ctx_p: &Principal,
    id: i64,
) -> WebResult<parcours_domain::referentiel::Agent> {
    let mut conn = state.store.read().await?;
    let a = agents_store::get(&mut conn, &ctx_p.departement_id, id).await?;
    if !reaches_any(ctx_p, &a.site_ids) {
        return Err(WebError::NotFound);
    }
    Ok(a)
}

async fn audit_event(
    state: &AppState,
    dep: &str,
    event: &parcours_domain::audit::AuditEvent,
) -> Result<(), StoreError> {
    let mut tx = state.store.begin().await?;
    audit::append(&mut tx, dep, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Agents who receive (social workers) on the principal's sites, as select options.
async fn agents_options(state: &AppState, pr: &Principal) -> WebResult<Vec<(String, String)>> {
    let mut conn = state.store.read().await?;
    let (agents, _) = agents_store::list(
        &mut conn,
        &pr.departement_id,
        &AgentFilter {
            role: Some(Role::TravailleurSocial),
            perimetre: perimetre(pr),
            ..Default::default()
        },
        AgentSort::Nom,
        500,
        0,
    )
    .await?;
    Ok(agents
        .into_iter()
        .map(|a| {
            (
                a.id.to_string(),
                format!("{} {} ({})", a.prenom, a.nom, a.metier),
            )
        })
        .collect())
}

async fn sites_options(state: &AppState, pr: &Principal) -> WebResult<Vec<(String, String)>> {
    Ok(state
        .sites_atteints(pr)
        .await?
        .into_iter()
        .map(|(id, nom)| (id.to_string(), nom))
        .collect())
}

fn type_options() -> Vec<(String, String)> {
    TypeRdv::ALL
        .iter()
        .map(|t| (t.code().to_string(), t.libelle().to_string()))
        .collect()
}

fn status_of(errors: &FieldErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

fn fr_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn hhmm(t: NaiveDateTime) -> String {
    t.format("%H:%M").to_string()
}

/// « 9 h 45 », as the plages read.
fn hm(t: NaiveDateTime) -> String {
    heure::hm(heure::minutes(t))
}

/// The error summary of a page: label and message of each field in error.
fn summary(fields: &[&[Field]]) -> Vec<(String, String, String)> {
    fields
        .iter()
        .flat_map(|f| f.iter())
        .filter_map(|f| {
            f.error
                .as_ref()
                .map(|e| (f.name.clone(), f.label.clone(), e.clone()))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// Person picker shared by the booking, waiting-list and session forms

pub struct Choix {
    pub id: i64,
    pub nom: String,
    pub checked: bool,
}

/// Searches persons for a picker (`crate::choix::personnes`: audited without the text typed, a single
/// match ticked) and keeps the person already chosen at the top.
async fn choix_personnes(
    state: &AppState,
    ctx: &Ctx,
    q: &str,
    chosen: Option<i64>,
) -> WebResult<Vec<Choix>> {
    let mut v = BTreeMap::new();
    v.insert("personne_id_q".to_string(), q.to_string());
    if let Some(id) = chosen {
        v.insert("personne_id".to_string(), id.to_string());
    }
    let liste = crate::choix::personnes(state, ctx, &v, "personne_id", "agenda").await?;
    Ok(liste
        .options
        .into_iter()
        .filter_map(|o| {
            Some(Choix {
                id: o.valeur.parse().ok()?,
                nom: o.libelle,
                checked: o.coche,
            })
        })
        .collect())
}
