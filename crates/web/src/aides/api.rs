//! The JSON API of financial aids (`/api/v1/aides`, `/api/v1/dossiers/{id}/aides`): the same use cases
//! as the pages, so the same rules, refusals and audit.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use parcours_domain::aides::demande::{DecisionForm, DemandeForm, IssueRecoursForm};
use parcours_usecases::aides as cas;
use parcours_usecases::Canal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{demande_vue, ordre_vue, DemandeVue, OrdreVue};
use crate::api::Problem;
use crate::auth::ApiCtx;
use crate::error::{ApiPath, ApiResult, Json};
use crate::AppState;

/// A fund with its rules in force.
#[derive(Serialize, ToSchema)]
pub struct FondsOut {
    pub code: String,
    pub libelle: String,
    pub valide_du: String,
    /// Besoins (code, libellé).
    pub besoins: Vec<(String, String)>,
    /// In euro cents.
    pub plafond_demande: i64,
    pub plafond_annuel: i64,
    pub delegation_travailleur_social: i64,
    pub delegation_cadre: i64,
    pub ressources_max_uc: Option<i64>,
    pub reste_a_vivre_max_jour_uc: Option<i64>,
    pub pieces: Vec<(String, String)>,
    pub modes: Vec<String>,
}

#[utoipa::path(get, tag = "aides", operation_id = "aides_fonds", path = "/api/v1/aides/fonds", responses((status = 200, body = Vec<FondsOut>, description = "Les fonds et leurs règles en vigueur"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn fonds(
    State(state): State<AppState>,
    ctx: ApiCtx,
) -> ApiResult<AxumJson<Vec<FondsOut>>> {
    let c = cas::catalogue(&state.store, &ctx.acteur()).await?;
    Ok(AxumJson(
        c.into_iter()
            .map(|f| FondsOut {
                besoins: f
                    .regles
                    .besoins
                    .iter()
                    .map(|b| (b.code.clone(), b.libelle.clone()))
                    .collect(),
                plafond_demande: f.regles.plafond_demande.0,
                plafond_annuel: f.regles.plafond_annuel.0,
                delegation_travailleur_social: f.regles.delegation_ts.0,
                delegation_cadre: f.regles.delegation_cadre.0,
                ressources_max_uc: f.regles.ressources_max_uc.map(|c| c.0),
                reste_a_vivre_max_jour_uc: f.regles.reste_a_vivre_max_jour_uc.map(|c| c.0),
                pieces: f
                    .regles
                    .pieces
                    .iter()
                    .map(|p| (p.code.clone(), p.libelle.clone()))
                    .collect(),
                modes: f
                    .regles
                    .modes
                    .iter()
                    .map(|m| m.code().to_string())
                    .collect(),
                code: f.code,
                libelle: f.libelle,
                valide_du: f.valide_du,
            })
            .collect(),
    ))
}

#[utoipa::path(get, tag = "aides", operation_id = "aides_du_dossier", path = "/api/v1/dossiers/{id}/aides", params(("id" = i64, Path)), responses((status = 200, body = Vec<DemandeVue>, description = "Les demandes d'aide du dossier"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn du_dossier(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<Vec<DemandeVue>>> {
    let acteur = ctx.acteur();
    // Read through the budget's audited opening of the dossier (the secret partagé decides).
    cas::budgets(&state.store, &acteur, id, Canal::Api).await?;
    let mut conn = state.store.read().await?;
    let l = cas::du_dossier(&mut conn, &acteur, id).await?;
    Ok(AxumJson(
        l.iter().map(|d| demande_vue(d, vec![], &[])).collect(),
    ))
}

#[utoipa::path(post, tag = "aides", operation_id = "aide_demander", path = "/api/v1/dossiers/{id}/aides", params(("id" = i64, Path)), request_body = DemandeForm, responses((status = 201, body = DemandeVue, description = "Demande enregistrée, en instruction"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn demander(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<DemandeForm>,
) -> ApiResult<Response> {
    let acteur = ctx.acteur();
    let d = cas::demander(&state.store, &acteur, id, &f, None, Canal::Api).await?;
    let v = cas::lire(&state.store, &acteur, d, Canal::Api).await?;
    Ok((
        StatusCode::CREATED,
        AxumJson(demande_vue(
            &v.demande,
            v.pieces_manquantes.clone(),
            &v.ordres,
        )),
    )
        .into_response())
}

#[utoipa::path(get, tag = "aides", operation_id = "aide_lire", path = "/api/v1/aides/demandes/{id}", params(("id" = i64, Path)), responses((status = 200, body = DemandeVue, description = "La demande, sa décision et ses ordres de paiement"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn lire(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<DemandeVue>> {
    let v = cas::lire(&state.store, &ctx.acteur(), id, Canal::Api).await?;
    Ok(AxumJson(demande_vue(
        &v.demande,
        v.pieces_manquantes.clone(),
        &v.ordres,
    )))
}

#[utoipa::path(post, tag = "aides", operation_id = "aide_decider", path = "/api/v1/aides/demandes/{id}/decision", params(("id" = i64, Path)), request_body = DecisionForm, responses((status = 200, body = DemandeVue, description = "Décision enregistrée ; un accord crée l'ordre de paiement, contrôlé avant d'être payé"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn decider(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<DecisionForm>,
) -> ApiResult<AxumJson<DemandeVue>> {
    let acteur = ctx.acteur();
    cas::decider(&state.store, &acteur, id, &f, Canal::Api).await?;
    let v = cas::lire(&state.store, &acteur, id, Canal::Api).await?;
    Ok(AxumJson(demande_vue(
        &v.demande,
        v.pieces_manquantes.clone(),
        &v.ordres,
    )))
}

#[utoipa::path(post, tag = "aides", operation_id = "aide_recours_issue", path = "/api/v1/aides/demandes/{id}/recours/issue", params(("id" = i64, Path)), request_body = IssueRecoursForm, responses((status = 200, body = DemandeVue, description = "Issue du recours enregistrée ; une réformation crée l'ordre du complément, contrôlé avant d'être payé"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn juger_recours(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<IssueRecoursForm>,
) -> ApiResult<AxumJson<DemandeVue>> {
    let acteur = ctx.acteur();
    cas::juger_recours(&state.store, &acteur, id, &f, Canal::Api).await?;
    let v = cas::lire(&state.store, &acteur, id, Canal::Api).await?;
    Ok(AxumJson(demande_vue(
        &v.demande,
        v.pieces_manquantes.clone(),
        &v.ordres,
    )))
}

/// The payment orders to review.
#[derive(Serialize, ToSchema)]
pub struct PaiementsOut {
    pub retenus: Vec<OrdreVue>,
    pub prets: Vec<OrdreVue>,
    pub rejetes: Vec<OrdreVue>,
}

#[utoipa::path(get, tag = "aides", operation_id = "aides_paiements", path = "/api/v1/aides/paiements", responses((status = 200, body = PaiementsOut, description = "Ordres retenus par une règle d'anomalie, prêts, rejetés"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn paiements(
    State(state): State<AppState>,
    ctx: ApiCtx,
) -> ApiResult<AxumJson<PaiementsOut>> {
    let p = cas::paiements(&state.store, &ctx.acteur(), Canal::Api).await?;
    Ok(AxumJson(PaiementsOut {
        retenus: p.retenus.iter().map(ordre_vue).collect(),
        prets: p.prets.iter().map(ordre_vue).collect(),
        rejetes: p.rejetes.iter().map(ordre_vue).collect(),
    }))
}

/// The review of a held order.
#[derive(Deserialize, ToSchema)]
pub struct ExamenInput {
    /// `liberer` or `annuler`.
    pub suite: String,
    /// What was checked.
    pub motif: String,
}

#[utoipa::path(post, tag = "aides", operation_id = "aide_ordre_examiner", path = "/api/v1/aides/paiements/{id}/examen", params(("id" = i64, Path)), request_body = ExamenInput, responses((status = 204, description = "Ordre libéré ou annulé"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn examiner(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<ExamenInput>,
) -> ApiResult<Response> {
    let liberer = match f.suite.as_str() {
        "liberer" => true,
        "annuler" => false,
        _ => {
            return Err(parcours_usecases::Error::Invalid(
                parcours_domain::Invalid::field("suite", "Attendu « liberer » ou « annuler ».").0,
            )
            .into())
        }
    };
    cas::examiner(
        &state.store,
        &ctx.acteur(),
        id,
        liberer,
        &f.motif,
        Canal::Api,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// One line of the figures.
#[derive(Serialize, ToSchema)]
pub struct ChiffreOut {
    pub mois: String,
    pub mds: String,
    pub fonds: String,
    pub demandes: i64,
    pub accordees: i64,
    pub refusees: i64,
    /// In euro cents.
    pub montant_demande: i64,
    pub montant_accorde: i64,
    pub delai_moyen_decision_jours: Option<f64>,
    pub montant_paye: i64,
    pub delai_moyen_paiement_jours: Option<f64>,
}

#[utoipa::path(get, tag = "aides", operation_id = "aides_chiffres", path = "/api/v1/aides/chiffres", responses((status = 200, body = Vec<ChiffreOut>, description = "Demandes par mois, MDS et fonds sur douze mois"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn chiffres(
    State(state): State<AppState>,
    ctx: ApiCtx,
) -> ApiResult<AxumJson<Vec<ChiffreOut>>> {
    let t = super::today();
    let depuis = chrono::NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&t) - 1,
        chrono::Datelike::month(&t),
        1,
    )
    .unwrap_or(t);
    let (l, _) = cas::chiffres(&state.store, &ctx.acteur(), depuis).await?;
    Ok(AxumJson(
        l.into_iter()
            .map(|l| ChiffreOut {
                delai_moyen_decision_jours: (l.decidees > 0)
                    .then(|| l.jours_decision as f64 / l.decidees as f64),
                montant_paye: l.montant_paye.0,
                delai_moyen_paiement_jours: (l.payees > 0)
                    .then(|| l.jours_paiement as f64 / l.payees as f64),
                mois: l.mois,
                mds: l.site,
                fonds: l.fonds,
                demandes: l.demandes,
                accordees: l.accordees,
                refusees: l.refusees,
                montant_demande: l.montant_demande.0,
                montant_accorde: l.montant_accorde.0,
            })
            .collect(),
    ))
}
