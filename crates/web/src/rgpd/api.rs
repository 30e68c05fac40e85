//! The person's rights in `/api/v1`: consents, access requests, the access archive; the checks of their
//! pages, and a refusal of a person out of scope is audited.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use parcours_domain::dossiers::secret::Portee;
use parcours_domain::personnes::Personne;
use parcours_store::{audit, personnes, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::pages::{archive, record_transmissions};
use crate::api::Problem;
use crate::auth::ApiCtx;
use crate::error::{ApiError, ApiPath, ApiResult, Json};
use crate::personnes::api::refus;
use crate::personnes::scope_for;
use crate::AppState;
use parcours_usecases::Canal;

/// The person, if in the caller's full scope; a refusal is audited.
async fn personne_droits(
    state: &AppState,
    ctx: &ApiCtx,
    id: i64,
) -> ApiResult<(parcours_store::Tx, Personne)> {
    let mut tx = state.store.begin().await?;
    let p = personnes::get(&mut tx, ctx.dep(), id).await?;
    let portee = scope_for(&mut tx, &ctx.principal, id).await?.portee;
    if portee != Portee::Complete {
        drop(tx);
        return Err(refus(state, ctx, "personne", id, "droits de la personne (API)").await);
    }
    Ok((tx, p))
}

/// A consent as recorded.
#[derive(Serialize, ToSchema)]
pub struct ConsentementOut {
    pub id: i64,
    /// Libellé de l'objet du consentement.
    pub objet: String,
    pub donne: bool,
    pub mode: String,
    pub le: String,
    /// L'agent qui l'a noté.
    pub par: String,
}

impl From<parcours_store::rgpd::Consentement> for ConsentementOut {
    fn from(c: parcours_store::rgpd::Consentement) -> Self {
        Self {
            id: c.id,
            objet: c.objet,
            donne: c.donne,
            mode: c.mode,
            le: c.le,
            par: c.par,
        }
    }
}

#[utoipa::path(get, tag = "crate::api_personnes", operation_id = "consentements_lister", path = "/api/v1/personnes/{id}/consentements", params(("id" = i64, Path)), responses((status = 200, body = [ConsentementOut], description = "Les consentements, du plus récent au plus ancien (le plus récent par objet est en vigueur)"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn consentements(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<Vec<ConsentementOut>>> {
    let (mut tx, _) = personne_droits(&state, &ctx, id).await?;
    let list = parcours_store::rgpd::consentements(&mut tx, ctx.dep(), id).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "droits_personne", id)
            .purpose("droits de la personne (API)")
            .details(serde_json::json!({ "consentements": list.len() })),
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok(AxumJson(
        list.into_iter().map(ConsentementOut::from).collect(),
    ))
}

#[utoipa::path(post, tag = "crate::api_personnes", operation_id = "consentement_ajouter", path = "/api/v1/personnes/{id}/consentements", params(("id" = i64, Path)), request_body = parcours_domain::rgpd::ConsentementForm, responses((status = 201, body = ConsentementOut), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn consentement_add(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<parcours_domain::rgpd::ConsentementForm>,
) -> ApiResult<Response> {
    let cid = parcours_usecases::rgpd::noter_consentement(
        &state.store,
        &ctx.acteur(),
        id,
        &f,
        Canal::Api,
    )
    .await?;
    let mut conn = state.store.read().await?;
    let created = parcours_store::rgpd::consentements(&mut conn, ctx.dep(), id)
        .await?
        .into_iter()
        .find(|x| x.id == cid)
        .ok_or(StoreError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        AxumJson(ConsentementOut::from(created)),
    )
        .into_response())
}

/// A request of the person to access their file, with its legal deadline (RGPD art. 12(3): one
/// month, three when extended).
#[derive(Serialize, ToSchema)]
pub struct DemandeOut {
    pub id: i64,
    /// Le droit exercé (`acces`).
    pub droit: String,
    pub recue_le: String,
    /// Date limite de réponse (AAAA-MM-JJ).
    pub echeance: String,
    pub prolongee: bool,
    pub repondue_le: Option<String>,
}

impl From<parcours_store::rgpd::Demande> for DemandeOut {
    fn from(d: parcours_store::rgpd::Demande) -> Self {
        Self {
            id: d.id,
            droit: d.droit,
            recue_le: d.recue_le,
            echeance: d.echeance,
            prolongee: d.prolongee,
            repondue_le: d.repondue_le,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct DemandeInput {
    /// Date de réception de la demande (AAAA-MM-JJ ou JJ/MM/AAAA), pas dans le futur.
    #[serde(default)]
    pub recue_le: String,
}

#[utoipa::path(get, tag = "crate::api_personnes", operation_id = "demandes_rgpd_lister", path = "/api/v1/personnes/{id}/demandes-rgpd", params(("id" = i64, Path)), responses((status = 200, body = [DemandeOut]), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn demandes(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<Vec<DemandeOut>>> {
    let (mut tx, _) = personne_droits(&state, &ctx, id).await?;
    let list = parcours_store::rgpd::demandes(&mut tx, ctx.dep(), id).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "droits_personne", id)
            .purpose("droits de la personne (API)")
            .details(serde_json::json!({ "demandes": list.len() })),
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok(AxumJson(list.into_iter().map(DemandeOut::from).collect()))
}

#[utoipa::path(post, tag = "crate::api_personnes", operation_id = "demande_rgpd_ajouter", path = "/api/v1/personnes/{id}/demandes-rgpd", params(("id" = i64, Path)), request_body = DemandeInput, responses((status = 201, body = DemandeOut, description = "Demande enregistrée avec son échéance légale"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn demande_add(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<DemandeInput>,
) -> ApiResult<Response> {
    let did = parcours_usecases::rgpd::enregistrer_demande(
        &state.store,
        &ctx.acteur(),
        id,
        &f.recue_le,
        Canal::Api,
    )
    .await?;
    let mut conn = state.store.read().await?;
    let created = parcours_store::rgpd::demandes(&mut conn, ctx.dep(), id)
        .await?
        .into_iter()
        .find(|d| d.id == did)
        .ok_or(StoreError::NotFound)?;
    Ok((StatusCode::CREATED, AxumJson(DemandeOut::from(created))).into_response())
}

#[utoipa::path(get, tag = "crate::api_personnes", operation_id = "personne_exporter", path = "/api/v1/personnes/{id}/export", params(("id" = i64, Path)), responses((status = 200, content_type = "application/zip", description = "L'archive du droit d'accès : ce que la loi permet de communiquer (sans les notes de travail ni les écrits adressés à des agents désignés)"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn export(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let (mut tx, p) = personne_droits(&state, &ctx, id).await?;
    let a = archive(&mut tx, &ctx.principal, &p).await?;
    record_transmissions(&mut tx, &ctx.principal, id, &a).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("export_acces", "personne", id)
            .purpose("droit d'accès de la personne (API)")
            .details(a.details()),
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok(a.into_response(id))
}
