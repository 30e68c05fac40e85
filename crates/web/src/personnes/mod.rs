//! Personnes et foyers: the pages (search, fiche, creation, corrections, foyer) and the `/api/v1`
//! operations. This file holds what they share: the agent's scope on a person and the refusal page.

pub mod api;
pub mod corrections;
pub mod foyers;
pub mod pages;
pub(crate) mod routes;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use parcours_domain::dossiers::secret::Portee;
use parcours_domain::habilitations::policy::{allows, Action};
use parcours_domain::personnes::Personne;
use parcours_store::personnes as store;
use parcours_store::{dossiers, Conn};

use crate::auth::Ctx;
use crate::error::{WebError, WebResult};
use crate::pages::{render, Layout};
use crate::AppState;

fn today() -> NaiveDate {
    parcours_store::clock().today()
}

fn date_fr(d: &NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

pub use parcours_usecases::personnes::{portees_for, scope_for, Scope};

/// Decides the agent's scope on a person (an unknown or merged-away person is not found).
pub async fn scope_of(conn: &mut Conn, ctx: &Ctx, personne_id: i64) -> WebResult<Scope> {
    Ok(scope_for(conn, &ctx.principal, personne_id).await?)
}

/// The 403 page of a person out of scope, whose refusal is already audited: who follows them, and
/// the way to an accès motivé.
async fn hors_perimetre(state: &AppState, ctx: &Ctx, personne_id: i64) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let suivis = dossiers::suivis(&mut conn, ctx.dep(), &[personne_id]).await?;
    let page = HorsPerimetre {
        l: ctx.layout(),
        personne_id,
        suivi_par: suivis.get(&personne_id).cloned().unwrap_or_default(),
        peut_demander: allows(&ctx.principal, Action::AccesMotiveDemander),
    };
    let mut res = (StatusCode::FORBIDDEN, render(&page)).into_response();
    res.extensions_mut().insert(crate::error::RefusAudite);
    Ok(res)
}

#[derive(Template)]
#[template(path = "personnes/hors_perimetre.html")]
pub struct HorsPerimetre {
    pub l: Layout,
    pub personne_id: i64,
    pub suivi_par: Vec<String>,
    pub peut_demander: bool,
}

/// Loads a person the agent may edit (the desk included: it records état civil and address).
async fn editable(conn: &mut Conn, ctx: &Ctx, id: i64) -> WebResult<Personne> {
    Ok(editable_with_portee(conn, ctx, id).await?.0)
}

/// The person to correct and how much of them the agent sees (`EtatCivil` for the desk, which
/// never sees nor changes the NIR). Outside the scope: 403, recorded by the route layer.
async fn editable_with_portee(
    conn: &mut Conn,
    ctx: &Ctx,
    id: i64,
) -> WebResult<(Personne, Portee)> {
    let p = store::get(conn, ctx.dep(), id).await?;
    let portee = scope_of(conn, ctx, id).await?.portee;
    if portee == Portee::Existence {
        return Err(WebError::Forbidden);
    }
    Ok((p, portee))
}
