//! The retention passes: a simulation listing what would be archived or anonymised, then its
//! application with the visa of the Archives départementales.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_store::rgpd::{self as store, Passe};
use parcours_store::{audit, jobs};
use serde::Deserialize;

use crate::auth::Ctx;
use crate::error::{Form, Path, WebError, WebResult};
use crate::pages::{render, Layout};
use crate::AppState;

#[derive(Template)]
#[template(path = "rgpd/conservation.html")]
pub struct ConservationPage {
    pub l: Layout,
    pub actif_mois: u32,
    pub archive_mois: u32,
    pub passes: Vec<Passe>,
    pub erreur: Option<String>,
}

pub async fn conservation(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let passes = store::passes(&mut conn, ctx.dep(), None, 20).await?;
    Ok(render(&ConservationPage {
        l: ctx.layout(),
        actif_mois: state.settings.conservation_actif_mois,
        archive_mois: state.settings.conservation_archive_mois,
        passes,
        erreur: None,
    }))
}

pub async fn simulation(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let me = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let mut tx = state.store.begin().await?;
    let id = store::passe_create(&mut tx, ctx.dep(), "simulation", None, None, me).await?;
    jobs::enqueue(
        &mut tx,
        ctx.dep(),
        "rgpd.conservation",
        &serde_json::json!({ "departement_id": ctx.dep(), "passe_id": id }),
        3,
    )
    .await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lancement", "conservation", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/rgpd/conservation/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "rgpd/passe.html")]
pub struct PassePage {
    pub l: Layout,
    pub p: Passe,
    pub visa_erreur: Option<String>,
    pub visa: String,
}

async fn passe_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    visa: &str,
    visa_erreur: Option<String>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let p = store::passes(&mut conn, ctx.dep(), Some(id), 1)
        .await?
        .into_iter()
        .next()
        .ok_or(WebError::NotFound)?;
    let status = if visa_erreur.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        render(&PassePage {
            l: ctx.layout(),
            p,
            visa_erreur,
            visa: visa.to_string(),
        }),
    )
        .into_response())
}

pub async fn passe(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    passe_page(&state, &ctx, id, "", None).await
}

#[derive(Debug, Deserialize)]
pub struct VisaForm {
    #[serde(default)]
    pub visa: String,
}

/// Applies a finished simulation. Anonymising ends the life of a public archive: the visa of the
/// director of the Archives départementales is required (Code du patrimoine L212-2, reference §8.5).
pub async fn application(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<VisaForm>,
) -> WebResult<Response> {
    let me = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let mut conn = state.store.read().await?;
    let sim = store::passes(&mut conn, ctx.dep(), Some(id), 1)
        .await?
        .into_iter()
        .next()
        .ok_or(WebError::NotFound)?;
    drop(conn);
    if sim.mode != "simulation" || sim.statut != "terminee" {
        return passe_page(
            &state,
            &ctx,
            id,
            &f.visa,
            Some("Seule une simulation terminée peut être appliquée.".into()),
        )
        .await;
    }
    let visa = f.visa.trim();
    if sim.decisions.iter().any(|d| d.sort == "anonymiser") && visa.chars().count() < 3 {
        return passe_page(&state, &ctx, id, &f.visa, Some("Indiquez la référence du visa des Archives départementales : sans lui, aucune anonymisation.".into())).await;
    }
    let mut tx = state.store.begin().await?;
    let pid = store::passe_create(
        &mut tx,
        ctx.dep(),
        "application",
        Some(id),
        (!visa.is_empty()).then_some(visa),
        me,
    )
    .await?;
    jobs::enqueue(
        &mut tx,
        ctx.dep(),
        "rgpd.conservation",
        &serde_json::json!({ "departement_id": ctx.dep(), "passe_id": pid }),
        3,
    )
    .await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lancement", "conservation", pid)
            .details(serde_json::json!({ "simulation": id, "visa": visa })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/rgpd/conservation/{pid}")).into_response())
}
