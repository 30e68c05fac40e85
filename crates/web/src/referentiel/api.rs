//! The référentiel in `/api/v1`: territoires, sites, secteurs, services, permanences, communes and the
//! secteur of a commune.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use parcours_domain::referentiel::{
    Commune, NewTerritoire, Permanence, Secteur, Service, Site, Territoire,
};
use parcours_store::referentiel::{self as store, CommuneFilter};
use parcours_store::{audit, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::PageQuery;
use crate::api::Problem;
use crate::auth::ApiCtx;
use crate::error::{ApiError, ApiPath, ApiResult, Json, Query};
use crate::AppState;

#[utoipa::path(get, operation_id = "territoires_lister", path = "/api/v1/territoires", responses((status = 200, body = [Territoire]), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn territoires(
    State(state): State<AppState>,
    ctx: ApiCtx,
) -> ApiResult<AxumJson<Vec<Territoire>>> {
    let mut conn = state.store.read().await.map_err(ApiError::from)?;
    Ok(AxumJson(store::territoires(&mut conn, ctx.dep()).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct TerritoireInput {
    pub code: String,
    pub nom: String,
    /// UTASI, DTS ou TIS
    pub kind: String,
}

#[utoipa::path(post, operation_id = "territoire_creer", path = "/api/v1/territoires", request_body = TerritoireInput, responses((status = 201, body = Territoire), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn territoire_create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Json(input): Json<TerritoireInput>,
) -> ApiResult<Response> {
    let t = NewTerritoire::parse(&input.code, &input.nom, &input.kind)?;
    let mut tx = state.store.begin().await?;
    let id = match store::territoire_create(&mut tx, ctx.dep(), &t).await {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "Code déjà utilisé",
                format!(
                    "Le code « {} » est déjà celui d'un autre territoire.",
                    t.code
                ),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(&mut tx, ctx.dep(), &ctx.event("creation", "territoire", id)).await?;
    let created = store::territoire_get(&mut tx, ctx.dep(), id).await?;
    tx.commit()
        .await
        .map_err(|e| ApiError::from(StoreError::from(e)))?;
    Ok((StatusCode::CREATED, AxumJson(created)).into_response())
}

#[utoipa::path(get, operation_id = "sites_lister", path = "/api/v1/sites", responses((status = 200, body = [Site])))]
pub async fn sites(State(state): State<AppState>, ctx: ApiCtx) -> ApiResult<AxumJson<Vec<Site>>> {
    let mut conn = state.store.read().await?;
    Ok(AxumJson(store::sites(&mut conn, ctx.dep()).await?))
}

#[utoipa::path(get, operation_id = "secteurs_lister", path = "/api/v1/secteurs", responses((status = 200, body = [Secteur])))]
pub async fn secteurs(
    State(state): State<AppState>,
    ctx: ApiCtx,
) -> ApiResult<AxumJson<Vec<Secteur>>> {
    let mut conn = state.store.read().await?;
    Ok(AxumJson(store::secteurs(&mut conn, ctx.dep()).await?))
}

#[utoipa::path(get, operation_id = "services_lister", path = "/api/v1/services", responses((status = 200, body = [Service])))]
pub async fn services(
    State(state): State<AppState>,
    ctx: ApiCtx,
) -> ApiResult<AxumJson<Vec<Service>>> {
    let mut conn = state.store.read().await?;
    Ok(AxumJson(store::services(&mut conn, ctx.dep()).await?))
}

#[utoipa::path(get, operation_id = "permanences_lister", path = "/api/v1/permanences", responses((status = 200, body = [Permanence])))]
pub async fn permanences(
    State(state): State<AppState>,
    ctx: ApiCtx,
) -> ApiResult<AxumJson<Vec<Permanence>>> {
    let mut conn = state.store.read().await?;
    Ok(AxumJson(store::permanences(&mut conn, ctx.dep()).await?))
}

#[derive(Serialize, ToSchema)]
pub struct CommunesPage {
    pub total: i64,
    pub communes: Vec<Commune>,
}

#[utoipa::path(get, operation_id = "communes_lister", path = "/api/v1/communes", params(PageQuery), responses((status = 200, body = CommunesPage)))]
pub async fn communes(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<PageQuery>,
) -> ApiResult<AxumJson<CommunesPage>> {
    let mut conn = state.store.read().await?;
    let filter = CommuneFilter {
        texte: q.texte.filter(|t| !t.is_empty()),
        ..Default::default()
    };
    let (communes, total) = store::communes(
        &mut conn,
        ctx.dep(),
        &filter,
        q.limite.unwrap_or(100).clamp(1, 500),
        q.decalage.unwrap_or(0).max(0),
    )
    .await?;
    Ok(AxumJson(CommunesPage { total, communes }))
}

#[derive(Serialize, ToSchema)]
pub struct ResolutionOut {
    pub commune: Commune,
    pub secteur: Option<Secteur>,
    pub site: Option<Site>,
}

#[utoipa::path(get, operation_id = "commune_secteur", path = "/api/v1/communes/{insee}/secteur", params(("insee" = String, Path, description = "Code INSEE ou code postal")), responses((status = 200, body = ResolutionOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn commune_secteur(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(insee): ApiPath<String>,
) -> ApiResult<AxumJson<ResolutionOut>> {
    let mut conn = state.store.read().await?;
    match store::resolve(&mut conn, ctx.dep(), &insee, None).await? {
        Some(r) => Ok(AxumJson(ResolutionOut {
            commune: r.commune,
            secteur: r.secteur,
            site: r.site,
        })),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "Commune inconnue",
            format!("Aucune commune du département ne correspond à « {insee} »."),
        )),
    }
}
