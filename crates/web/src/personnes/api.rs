//! The JSON API of personnes (`/api/v1/personnes`, `/api/v1/foyers`): the same rules as the pages — the
//! search shows only existence outside the agent's scope, a creation is stopped on a likely duplicate
//! unless confirmed — and the same audit. A service account's token only learns whether a person is
//! known. The 403 of a person out of scope, shared by the API of dossiers, doublons and RGPD, is here.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use parcours_domain::dossiers::secret::Portee;
use parcours_domain::personnes::{Adresse, Personne, PersonneForm, Situation};
use parcours_store::{audit, dossiers, personnes};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::Problem;
use crate::auth::ApiCtx;
use crate::error::{ApiError, ApiPath, ApiResult, Json, Query};
use crate::personnes::portees_for;
use crate::AppState;
use parcours_usecases::creation::Creation;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RechercheParams {
    /// Nom, prénoms, date de naissance, NIR ou téléphone.
    pub q: String,
}

/// A search result: the content only when the person is in the caller's scope.
#[derive(Serialize, ToSchema)]
pub struct PersonneTrouvee {
    pub id: i64,
    /// Absent pour un compte de service : un jeton apprend qu'une personne est connue et quels
    /// services la suivent, jamais son nom.
    pub nom: Option<String>,
    /// `fiche` (accessible) or `existence` (known, followed by the services listed).
    pub acces: String,
    pub date_naissance: Option<String>,
    pub suivie_par: Vec<String>,
}

#[utoipa::path(get, tag = "crate::api_personnes", operation_id = "personnes_rechercher", path = "/api/v1/personnes", params(RechercheParams), responses((status = 200, body = [PersonneTrouvee]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn search(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(p): Query<RechercheParams>,
) -> ApiResult<AxumJson<Vec<PersonneTrouvee>>> {
    let mut tx = state.store.begin().await?;
    let found = personnes::search(&mut tx, ctx.dep(), &p.q, 50).await?;
    let ids: Vec<i64> = found.iter().map(|r| r.id).collect();
    let suivis = dossiers::suivis(&mut tx, ctx.dep(), &ids).await?;
    let portees = portees_for(&mut tx, &ctx.principal, &ids).await?;
    let mut out = Vec::new();
    for r in found {
        let visible = portees.get(&r.id).is_some_and(|p| *p != Portee::Existence);
        out.push(PersonneTrouvee {
            id: r.id,
            nom: ctx.principal.token_id.is_none().then(|| r.nom_complet()),
            acces: if visible { "fiche" } else { "existence" }.into(),
            date_naissance: visible
                .then(|| r.date_naissance.map(|d| d.to_string()))
                .flatten(),
            suivie_par: suivis.get(&r.id).cloned().unwrap_or_default(),
        });
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("recherche", "personne", "*")
            .purpose("recherche d'une personne (API)")
            .details(serde_json::json!({ "resultats": out.len() })),
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok(AxumJson(out))
}

/// The fiche of a person as the API gives it.
#[derive(Serialize, ToSchema)]
pub struct FicheOut {
    pub personne: Personne,
    pub adresses: Vec<Adresse>,
    pub situations: Vec<Situation>,
    pub dossiers: Vec<DossierOut>,
}

#[derive(Serialize, ToSchema)]
pub struct DossierOut {
    pub id: i64,
    pub intitule: String,
    pub ouvert_le: String,
    pub clos_le: Option<String>,
    pub services: Vec<i64>,
}

pub(crate) fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "Accès refusé",
        "Cette personne est hors de votre périmètre (territoire, service, accès motivé).",
    )
}

#[utoipa::path(get, tag = "crate::api_personnes", operation_id = "personne_lire", path = "/api/v1/personnes/{id}", params(("id" = i64, Path)), responses((status = 200, body = FicheOut), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<FicheOut>> {
    // The same use case as the page: the same scope, the same NIR rule, the same audit.
    let f = parcours_usecases::personnes::lire_fiche(
        &state.store,
        &ctx.acteur(),
        id,
        parcours_store::clock().today(),
        parcours_usecases::Canal::Api,
    )
    .await?;
    Ok(AxumJson(FicheOut {
        personne: f.personne,
        adresses: f.adresses,
        situations: f.situations,
        dossiers: f
            .dossiers
            .into_iter()
            .map(|d| DossierOut {
                id: d.id,
                intitule: d.intitule,
                ouvert_le: d.ouvert_le,
                clos_le: d.clos_le,
                services: d.services,
            })
            .collect(),
    }))
}

/// A creation: the état civil, and `confirmer` to record it despite a likely duplicate.
#[derive(Deserialize, ToSchema)]
pub struct PersonneInput {
    #[serde(flatten)]
    pub personne: PersonneForm,
    #[serde(default)]
    pub confirmer: bool,
}

#[utoipa::path(post, tag = "crate::api_personnes", operation_id = "personne_creer", path = "/api/v1/personnes", request_body = PersonneInput, responses((status = 201, body = Personne), (status = 409, body = Problem, content_type = "application/problem+json", description = "Doublon probable : renvoyez avec confirmer=true après vérification"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Json(input): Json<PersonneInput>,
) -> ApiResult<Response> {
    let id = match parcours_usecases::creation::creer(
        &state.store,
        &ctx.acteur(),
        &input.personne,
        input.confirmer,
        parcours_usecases::Canal::Api,
    )
    .await?
    {
        Creation::Creee(id) => id,
        Creation::Ressemblances(similar) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "Doublon probable",
                format!(
                    "Cette personne est peut-être déjà connue (fiches n° {}). Vérifiez, puis renvoyez avec « confirmer » à vrai.",
                    similar.iter().map(|r| r.personne.id.to_string()).collect::<Vec<_>>().join(", ")
                ),
            ))
        }
        Creation::NumeroPris(errors) => {
            return Err(ApiError {
                status: StatusCode::CONFLICT,
                ..ApiError::invalid(errors)
            })
        }
    };
    let mut conn = state.store.read().await?;
    let created = personnes::get(&mut conn, ctx.dep(), id).await?;
    Ok((StatusCode::CREATED, AxumJson(created)).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateParams {
    /// Composition à cette date (AAAA-MM-JJ) ; aujourd'hui par défaut.
    #[param(format = Date, pattern = "^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$")]
    pub date: Option<String>,
}

/// A member of a foyer on a date.
#[derive(Serialize, ToSchema)]
pub struct MembreOut {
    pub personne_id: i64,
    pub nom: String,
    pub role: String,
    pub arrivee: String,
    pub depart: Option<String>,
}

#[utoipa::path(get, tag = "crate::api_personnes", operation_id = "foyer_lire", path = "/api/v1/foyers/{id}", params(("id" = i64, Path), DateParams), responses((status = 200, body = [MembreOut]), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn foyer(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Query(p): Query<DateParams>,
) -> ApiResult<AxumJson<Vec<MembreOut>>> {
    let date = match p.date.as_deref() {
        None | Some("") => parcours_store::clock().today(),
        Some(t) => parcours_domain::personnes::parse_date_text(t).ok_or_else(|| {
            let mut e = parcours_domain::FieldErrors::new();
            e.add("date", format!("« {t} » n'est pas une date (AAAA-MM-JJ)."));
            ApiError::invalid(e)
        })?,
    };
    let membres = parcours_usecases::personnes::lire_foyer(
        &state.store,
        &ctx.acteur(),
        id,
        parcours_usecases::Canal::Api,
    )
    .await?;
    let out = parcours_domain::personnes::composition_le(&membres, date)
        .into_iter()
        .map(|m| MembreOut {
            personne_id: m.personne.id,
            nom: m.personne.nom_complet(),
            role: m.role.code().to_string(),
            arrivee: m.periode.arrivee.to_string(),
            depart: m.periode.depart.map(|d| d.to_string()),
        })
        .collect();
    Ok(AxumJson(out))
}

/// Records a refused access to a personal record in its own transaction (the caller has dropped
/// its own: SQLite has one writer) and gives the 403 to answer.
pub(crate) async fn refus(
    state: &AppState,
    ctx: &ApiCtx,
    record_type: &str,
    id: i64,
    purpose: &str,
) -> ApiError {
    match state.store.begin().await {
        Ok(mut tx) => {
            let logged = audit::append(
                &mut tx,
                ctx.dep(),
                &ctx.event("refus", record_type, id).purpose(purpose),
            )
            .await;
            if let Err(e) = logged {
                return e.into();
            }
            if let Err(e) = tx.commit().await {
                return e.into();
            }
            forbidden().audited()
        }
        Err(e) => e.into(),
    }
}
