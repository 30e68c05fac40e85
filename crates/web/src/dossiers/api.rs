//! The JSON API of dossiers (`/api/v1/dossiers`): the same rules as the pages — each écrit is decided
//! by the secret partagé, référents and document uploads follow the checks of their pages — and the
//! same audit; a refusal of a dossier out of scope is audited.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use parcours_domain::dossiers::{Ecrit, EcritForm};
use parcours_store::dossiers;
use parcours_usecases::Canal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::Problem;
use crate::auth::ApiCtx;
use crate::error::{ApiError, ApiPath, ApiResult, Json};
use crate::AppState;

#[utoipa::path(get, tag = "crate::api_personnes", operation_id = "ecrits_lister", path = "/api/v1/dossiers/{id}/ecrits", params(("id" = i64, Path)), responses((status = 200, description = "Les écrits lisibles par l'appelant (secret partagé)"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn ecrits(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<Vec<Ecrit>>> {
    let lisibles =
        parcours_usecases::dossiers::lire_journal(&state.store, &ctx.acteur(), id, Canal::Api)
            .await?
            .ecrits;
    Ok(AxumJson(lisibles))
}

#[utoipa::path(post, tag = "crate::api_personnes", operation_id = "ecrit_creer", path = "/api/v1/dossiers/{id}/ecrits", params(("id" = i64, Path)), request_body = EcritForm, responses((status = 201, description = "Écrit enregistré"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn ecrit_create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<EcritForm>,
) -> ApiResult<Response> {
    let eid = parcours_usecases::dossiers::ecrire(&state.store, &ctx.acteur(), id, &f, Canal::Api)
        .await?;
    let mut conn = state.store.read().await?;
    let created = dossiers::ecrit_get(&mut conn, ctx.dep(), eid).await?;
    Ok((StatusCode::CREATED, AxumJson(created)).into_response())
}

/// A dossier as the API gives it: what the secret partagé lets the caller read.
#[derive(Serialize)]
pub struct DossierDetail {
    pub dossier: parcours_domain::dossiers::Dossier,
    pub referents: Vec<parcours_domain::dossiers::Referent>,
    pub plan: Vec<parcours_domain::dossiers::Objectif>,
    pub documents: Vec<parcours_domain::dossiers::Document>,
    /// Écrits and documents of the dossier the caller may not read.
    pub pieces_masquees: usize,
}

#[utoipa::path(get, tag = "crate::api_personnes", operation_id = "dossier_lire", path = "/api/v1/dossiers/{id}", params(("id" = i64, Path)), responses((status = 200, description = "Le dossier, ses référents, son plan d'action et les documents lisibles"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn dossier(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<DossierDetail>> {
    let journal =
        parcours_usecases::dossiers::lire_journal(&state.store, &ctx.acteur(), id, Canal::Api)
            .await?;
    let mut conn = state.store.read().await?;
    let referents = dossiers::referents(&mut conn, ctx.dep(), id).await?;
    let plan = dossiers::plan(&mut conn, ctx.dep(), id).await?;
    let (d, documents, masquees) = (journal.ouvert.dossier, journal.documents, journal.masques);
    Ok(AxumJson(DossierDetail {
        dossier: d,
        referents,
        plan,
        documents,
        pieces_masquees: masquees,
    }))
}

#[utoipa::path(get, tag = "crate::api_personnes", operation_id = "document_lire", path = "/api/v1/dossiers/{id}/documents/{document}", params(("id" = i64, Path), ("document" = i64, Path)), responses((status = 200, description = "Le contenu du document, avec son type MIME"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn document(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath((id, did)): ApiPath<(i64, i64)>,
) -> ApiResult<Response> {
    let (doc, bytes) =
        parcours_usecases::dossiers::document(&state.store, &ctx.acteur(), id, did, Canal::Api)
            .await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, doc.mime.clone()),
            (
                axum::http::header::HeaderName::from_static("x-content-sha256"),
                doc.sha256,
            ),
        ],
        bytes,
    )
        .into_response())
}

#[utoipa::path(post, tag = "crate::api_personnes", operation_id = "plan_ajouter", path = "/api/v1/dossiers/{id}/plan", params(("id" = i64, Path)), request_body = parcours_domain::dossiers::PlanForm, responses((status = 201, description = "Objectif ou action ajouté"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn plan_add(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<parcours_domain::dossiers::PlanForm>,
) -> ApiResult<Response> {
    let pid = parcours_usecases::dossiers::ajouter_au_plan(
        &state.store,
        &ctx.acteur(),
        id,
        &f,
        Canal::Api,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        AxumJson(serde_json::json!({ "id": pid })),
    )
        .into_response())
}

/// A référent of the dossier for one service.
#[derive(Serialize, ToSchema)]
pub struct ReferentOut {
    pub service_id: i64,
    pub service_nom: String,
    pub agent_id: i64,
    pub agent_nom: String,
    /// Date (AAAA-MM-JJ) from which the agent carries the dossier for the service.
    pub depuis: String,
}

impl From<parcours_domain::dossiers::Referent> for ReferentOut {
    fn from(r: parcours_domain::dossiers::Referent) -> Self {
        Self {
            service_id: r.service_id,
            service_nom: r.service_nom,
            agent_id: r.agent_id,
            agent_nom: r.agent_nom,
            depuis: r.depuis,
        }
    }
}

/// The designation of the référent of a service, as on the dossier page: the agent by matricule,
/// who must belong to that service.
#[derive(Deserialize, ToSchema)]
pub struct ReferentInput {
    pub service_id: Option<i64>,
    #[serde(default)]
    pub matricule: String,
}

#[utoipa::path(post, tag = "crate::api_personnes", operation_id = "referent_designer", path = "/api/v1/dossiers/{id}/referents", params(("id" = i64, Path)), request_body = ReferentInput, responses((status = 200, body = [ReferentOut], description = "Les référents du dossier après la désignation"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn referent_set(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<ReferentInput>,
) -> ApiResult<AxumJson<Vec<ReferentOut>>> {
    let referents = parcours_usecases::dossiers::designer_referent(
        &state.store,
        &ctx.acteur(),
        id,
        f.service_id,
        parcours_usecases::dossiers::AgentDesigne::Matricule(&f.matricule),
        Canal::Api,
    )
    .await?;
    Ok(AxumJson(
        referents.into_iter().map(ReferentOut::from).collect(),
    ))
}

/// The upload of a document (`multipart/form-data`), as on the dossier page.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the multipart body for OpenAPI only.
pub struct DocumentUpload {
    /// piece_identite, justificatif_ressources, justificatif_domicile, courrier, rapport, decision, autre
    pub type_document: String,
    /// dossier, service ou auteur
    pub visibilite: String,
    /// L121-6-2 ou L226-2-2 ; obligatoire pour « dossier »
    pub base_legale: Option<String>,
    /// PDF, JPEG, PNG, OpenDocument texte ou Word (docx), reconnu par son contenu
    #[schema(value_type = String, format = Binary)]
    pub fichier: Vec<u8>,
}

fn multipart_illisible(e: &axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Requête trop volumineuse",
            "Le corps de la requête dépasse la taille autorisée ; rien n'a été enregistré.",
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Formulaire illisible",
            "Le corps multipart/form-data est mal formé ou interrompu ; rien n'a été enregistré.",
        )
    }
}

#[utoipa::path(post, tag = "crate::api_personnes", operation_id = "document_deposer", path = "/api/v1/dossiers/{id}/documents", params(("id" = i64, Path)), request_body(content = DocumentUpload, content_type = "multipart/form-data"), responses((status = 201, description = "Document enregistré (sans son contenu), avec sa somme SHA-256"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json", description = "Fichier au-delà de la taille permise"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json", description = "Type de fichier refusé, champ manquant ou base légale absente")))]
pub async fn document_add(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    let mut mp = multipart.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Type de contenu non pris en charge",
            "Envoyez le document en multipart/form-data (champs type_document, visibilite, base_legale et fichier).",
        )
    })?;
    let mut form = parcours_domain::dossiers::DocumentForm::default();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = mp.next_field().await.map_err(|e| multipart_illisible(&e))? {
        let name = field.name().unwrap_or("").to_string();
        let filename = field.file_name().map(str::to_string);
        let data = field.bytes().await.map_err(|e| multipart_illisible(&e))?;
        let text = || String::from_utf8_lossy(&data).trim().to_string();
        match name.as_str() {
            "fichier" => file = Some((filename.unwrap_or_default(), data.to_vec())),
            "type_document" => form.type_document = text(),
            "visibilite" => form.visibilite = text(),
            "base_legale" => form.base_legale = text(),
            _ => {}
        }
    }
    let (nom, contenu) = file.unwrap_or_default();
    let limite = state.settings.document_taille_max;
    let trop_gros = contenu.len() > limite;
    let depose = match parcours_usecases::dossiers::deposer_document(
        &state.store,
        &ctx.acteur(),
        id,
        &form,
        parcours_usecases::dossiers::Fichier { nom, contenu },
        limite,
        Canal::Api,
    )
    .await
    {
        Ok(d) => d,
        Err(parcours_usecases::Error::Invalid(errors)) if trop_gros => {
            return Err(ApiError {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                title: "Fichier trop volumineux".into(),
                detail: format!(
                    "Le fichier dépasse la limite de {:.1} Mo ; rien n'a été enregistré.",
                    limite as f64 / 1_048_576.0
                ),
                errors: Some(errors),
                audited: false,
            })
        }
        Err(e) => return Err(e.into()),
    };
    let mut conn = state.store.read().await?;
    let (created, _) = dossiers::document_get(&mut conn, ctx.dep(), depose.id).await?;
    Ok((StatusCode::CREATED, AxumJson(created)).into_response())
}
