//! The duplicate review queue in `/api/v1`: the pairs to review and their merge.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use parcours_domain::dossiers::secret::Portee;
use parcours_store::{audit, doublons, personnes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::Problem;
use crate::auth::ApiCtx;
use crate::error::{ApiError, ApiPath, ApiResult, Json};
use crate::personnes::api::forbidden;
use crate::personnes::scope_for;
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
    let me = ctx.principal.agent_id.ok_or_else(forbidden)?;
    let mut tx = state.store.begin().await?;
    let (a, b, _, _) = doublons::candidat_get(&mut tx, ctx.dep(), id).await?;
    if f.garder != a && f.garder != b {
        let mut e = parcours_domain::FieldErrors::new();
        e.add("garder", "Choisissez l'une des deux fiches de la paire.");
        return Err(ApiError::invalid(e));
    }
    for p in [a, b] {
        if scope_for(&mut tx, &ctx.principal, p).await?.portee == Portee::Existence {
            return Err(forbidden());
        }
    }
    let absorbee = if f.garder == a { b } else { a };
    let (fid, moves) = match doublons::fusionner(&mut tx, ctx.dep(), f.garder, absorbee, me).await {
        Ok(r) => r,
        Err(doublons::FusionError::Store(e)) => return Err(e.into()),
        Err(e) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "Fusion impossible",
                e.to_string(),
            ))
        }
    };
    personnes::unindex_noms(&mut tx, ctx.dep(), absorbee).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("fusion", "personne", f.garder)
            .purpose("dédoublonnage (API)")
            .details(
                serde_json::json!({ "absorbee": absorbee, "fusion": fid, "mouvements": moves }),
            ),
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok(
        AxumJson(serde_json::json!({ "fusion": fid, "gardee": f.garder, "absorbee": absorbee }))
            .into_response(),
    )
}
