//! The duplicate review queue in `/api/v1`: the pairs to review and their merge.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use parcours_store::doublons;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::Problem;
use crate::auth::ApiCtx;
use crate::error::{ApiError, ApiPath, ApiResult, Json};
use crate::AppState;

/// A pair of the duplicate review queue.
#[derive(Serialize, ToSchema)]
pub struct DoublonOut {
    pub id: i64,
    pub personne_a: i64,
    pub personne_b: i64,
    pub score: f64,
}

#[utoipa::path(get, tag = "crate::api_personnes", operation_id = "doublons_lister", path = "/api/v1/doublons", responses((status = 200, body = [DoublonOut]), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn doublons_list(
    State(state): State<AppState>,
    ctx: ApiCtx,
) -> ApiResult<AxumJson<Vec<DoublonOut>>> {
    let mut conn = state.store.read().await.map_err(ApiError::from)?;
    let (list, _) = doublons::candidats(&mut conn, ctx.dep(), "a_examiner", 500, 0).await?;
    Ok(AxumJson(
        list.into_iter()
            .map(|c| DoublonOut {
                id: c.id,
                personne_a: c.a.id,
                personne_b: c.b.id,
                score: c.score,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct FusionInput {
    /// The fiche kept (one of the pair); the other is merged into it.
    pub garder: i64,
}

#[utoipa::path(post, tag = "crate::api_personnes", operation_id = "doublon_fusionner", path = "/api/v1/doublons/{id}/fusion", params(("id" = i64, Path)), request_body = FusionInput, responses((status = 200, description = "Fusion réalisée (annulable)"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn fusion(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<FusionInput>,
) -> ApiResult<Response> {
    let fusion = match parcours_usecases::doublons::fusionner(
        &state.store,
        &ctx.acteur(),
        id,
        Some(f.garder),
        parcours_usecases::Canal::Api,
    )
    .await
    {
        Ok(fusion) => fusion,
        Err(parcours_usecases::Error::Conflict(m)) => {
            return Err(ApiError::new(StatusCode::CONFLICT, "Fusion impossible", m))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(AxumJson(serde_json::json!({
        "fusion": fusion.id,
        "gardee": fusion.gardee,
        "absorbee": fusion.absorbee
    }))
    .into_response())
}
