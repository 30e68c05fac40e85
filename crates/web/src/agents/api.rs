//! The agents in `/api/v1`: list, read and create; every read of agents' personal data is audited.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use parcours_domain::habilitations::policy::{reaches_site, token_may_grant};
use parcours_domain::habilitations::Role;
use parcours_domain::referentiel::{Agent, AgentForm, NewAgent};
use parcours_store::agents::{self as agents_store, AgentFilter, AgentSort};
use parcours_store::{audit, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::PageQuery;
use crate::api::Problem;
use crate::auth::ApiCtx;
use crate::error::{ApiError, ApiPath, ApiResult, Json, Query};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct AgentsPage {
    pub total: i64,
    pub agents: Vec<Agent>,
}

/// The sites whose agents the caller sees: an administrator signed in sees them all; a service
/// account sees the agents of its token's sites only (its role is a placeholder).
fn perimetre(ctx: &ApiCtx) -> Option<Vec<i64>> {
    match (ctx.principal.role, ctx.principal.token_id) {
        (Role::Administrateur, None) => None,
        _ => Some(ctx.principal.site_ids.clone()),
    }
}

#[utoipa::path(get, operation_id = "agents_lister", path = "/api/v1/agents", params(PageQuery), responses((status = 200, body = AgentsPage), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn agents(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<PageQuery>,
) -> ApiResult<AxumJson<AgentsPage>> {
    let mut conn = state.store.read().await?;
    let filter = AgentFilter {
        texte: q.texte.filter(|t| !t.is_empty()),
        perimetre: perimetre(&ctx),
        ..Default::default()
    };
    let (agents, total) = agents_store::list(
        &mut conn,
        ctx.dep(),
        &filter,
        AgentSort::Nom,
        q.limite.unwrap_or(100).clamp(1, 500),
        q.decalage.unwrap_or(0).max(0),
    )
    .await?;
    drop(conn);
    let mut tx = state.store.begin().await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "agents", "liste")
            .details(serde_json::json!({ "nombre": agents.len() })),
    )
    .await?;
    tx.commit()
        .await
        .map_err(|e| ApiError::from(StoreError::from(e)))?;
    Ok(AxumJson(AgentsPage { total, agents }))
}

#[utoipa::path(get, operation_id = "agent_lire", path = "/api/v1/agents/{id}", params(("id" = i64, Path, description = "Identifiant de l'agent")), responses((status = 200, body = Agent), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn agent(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<Agent>> {
    let mut conn = state.store.read().await?;
    let a = agents_store::get(&mut conn, ctx.dep(), id).await?;
    if let Some(p) = perimetre(&ctx) {
        if !a.site_ids.iter().any(|s| p.contains(s)) {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "Ressource introuvable",
                "Aucun agent de votre périmètre ne porte cet identifiant.",
            ));
        }
    }
    drop(conn);
    let mut tx = state.store.begin().await?;
    audit::append(&mut tx, ctx.dep(), &ctx.event("lecture", "agent", id)).await?;
    tx.commit()
        .await
        .map_err(|e| ApiError::from(StoreError::from(e)))?;
    Ok(AxumJson(a))
}

#[utoipa::path(post, operation_id = "agent_creer", path = "/api/v1/agents", request_body = AgentForm, responses((status = 201, body = Agent), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn agent_create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Json(f): Json<AgentForm>,
) -> ApiResult<Response> {
    let a = NewAgent::parse(&f)?;
    if ctx.principal.token_id.is_some() {
        // A service account (a HR interface) creates the agents of its sites, never an account that
        // reaches the whole département.
        let mut e = parcours_domain::FieldErrors::new();
        if !token_may_grant(a.role) {
            e.add(
                "role",
                "Un compte de service ne peut pas créer d'administrateur, de DPO ni de direction ; ces comptes sont créés par un administrateur connecté.",
            );
        }
        if !a
            .site_id
            .is_some_and(|s| reaches_site(&ctx.principal, Some(s)))
        {
            e.add(
                "site_id",
                "Choisissez un site ouvert à ce compte de service.",
            );
        }
        if !e.is_empty() {
            // The DPO sees what a service account tried.
            let mut tx = state.store.begin().await?;
            audit::append(
                &mut tx,
                ctx.dep(),
                &ctx.event("refus", "agent", "creation")
                    .details(serde_json::json!({ "role": a.role.code(), "site_id": a.site_id })),
            )
            .await?;
            tx.commit()
                .await
                .map_err(|e| ApiError::from(StoreError::from(e)))?;
            return Err(ApiError {
                status: StatusCode::FORBIDDEN,
                title: "Accès refusé".into(),
                detail: "Les droits du jeton ne permettent pas de créer cet agent ; rien n'a été enregistré.".into(),
                errors: Some(e),
                // The refusal was written to the audit log just above.
                audited: true,
            });
        }
    }
    let mut tx = state.store.begin().await?;
    let id = match agents_store::create(&mut tx, ctx.dep(), &a).await {
        Ok(id) => id,
        Err(StoreError::Conflict(field)) => {
            let mut e = parcours_domain::FieldErrors::new();
            e.add(field, "Valeur déjà utilisée par un autre agent.");
            return Err(ApiError {
                status: StatusCode::CONFLICT,
                ..ApiError::invalid(e)
            });
        }
        Err(StoreError::Reference) => {
            let mut e = parcours_domain::FieldErrors::new();
            e.add(
                "service_id",
                "Service, site ou secteur inconnu dans ce département.",
            );
            return Err(ApiError::invalid(e));
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(&mut tx, ctx.dep(), &ctx.event("creation", "agent", id)).await?;
    let created = agents_store::get(&mut tx, ctx.dep(), id).await?;
    tx.commit()
        .await
        .map_err(|e| ApiError::from(StoreError::from(e)))?;
    Ok((StatusCode::CREATED, AxumJson(created)).into_response())
}
