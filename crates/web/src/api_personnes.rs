//! The JSON API of personnes and dossiers (`/api/v1/personnes`, `/api/v1/dossiers`): the same rules
//! as the pages — the search shows only existence outside the agent's scope, a creation is stopped on
//! a likely duplicate unless confirmed, each écrit is decided by the secret partagé — and the same
//! audit. A service account's token only learns whether a person is known. Référents, document
//! uploads and the person's rights (consents, access requests, the access archive) follow the
//! checks of their pages; a refusal of a dossier or a person out of scope is audited.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use parcours_domain::dossiers::secret::Portee;
use parcours_domain::dossiers::{Ecrit, EcritForm};
use parcours_domain::personnes::{Adresse, NewPersonne, Personne, PersonneForm, Situation};
use parcours_store::{audit, dossiers, doublons, personnes, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::Problem;
use crate::auth::ApiCtx;
use crate::error::{ApiError, ApiPath, ApiResult, Json, Query};
use crate::personnes::{portees_for, ressemblances, scope_for};
use crate::AppState;

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

#[utoipa::path(get, operation_id = "personnes_rechercher", path = "/api/v1/personnes", params(RechercheParams), responses((status = 200, body = [PersonneTrouvee]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
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

fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "Accès refusé",
        "Cette personne est hors de votre périmètre (territoire, service, accès motivé).",
    )
}

#[utoipa::path(get, operation_id = "personne_lire", path = "/api/v1/personnes/{id}", params(("id" = i64, Path)), responses((status = 200, body = FicheOut), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<FicheOut>> {
    let mut tx = state.store.begin().await?;
    let personne = personnes::get(&mut tx, ctx.dep(), id).await?;
    let scope = scope_for(&mut tx, &ctx.principal, id).await?;
    if scope.portee == Portee::Existence {
        audit::append(
            &mut tx,
            ctx.dep(),
            &ctx.event("refus", "personne", id)
                .purpose("fiche hors périmètre (API)"),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        return Err(forbidden().audited());
    }
    let complete = scope.portee == Portee::Complete;
    let adresses = personnes::adresses(&mut tx, ctx.dep(), id).await?;
    let (situations, dossiers_out) = if complete {
        (
            personnes::situations(&mut tx, ctx.dep(), id).await?,
            scope
                .dossiers
                .iter()
                .map(|d| DossierOut {
                    id: d.id,
                    intitule: d.intitule.clone(),
                    ouvert_le: d.ouvert_le.clone(),
                    clos_le: d.clos_le.clone(),
                    services: d.services.clone(),
                })
                .collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "personne", id)
            .purpose("consultation de la fiche (API)"),
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok(AxumJson(FicheOut {
        personne,
        adresses,
        situations,
        dossiers: dossiers_out,
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

#[utoipa::path(post, operation_id = "personne_creer", path = "/api/v1/personnes", request_body = PersonneInput, responses((status = 201, body = Personne), (status = 409, body = Problem, content_type = "application/problem+json", description = "Doublon probable : renvoyez avec confirmer=true après vérification"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Json(input): Json<PersonneInput>,
) -> ApiResult<Response> {
    let p = NewPersonne::parse(&input.personne, parcours_store::clock().today())?;
    let mut tx = state.store.begin().await?;
    let similar = ressemblances(&mut tx, ctx.dep(), &p).await?;
    if !similar.is_empty() && !input.confirmer {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "Doublon probable",
            format!(
                "Cette personne est peut-être déjà connue (fiches n° {}). Vérifiez, puis renvoyez avec « confirmer » à vrai.",
                similar.iter().map(|(r, _)| r.id.to_string()).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let id = match personnes::create(&mut tx, ctx.dep(), &p).await {
        Ok(id) => id,
        Err(StoreError::Conflict(field)) => {
            let mut e = parcours_domain::FieldErrors::new();
            e.add(field, "Ce numéro est déjà celui d'une autre personne.");
            return Err(ApiError {
                status: StatusCode::CONFLICT,
                ..ApiError::invalid(e)
            });
        }
        Err(e) => return Err(e.into()),
    };
    for (r, score) in &similar {
        doublons::candidat_add(&mut tx, ctx.dep(), r.id, id, *score).await?;
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "personne", id)
            .purpose("création (API)"),
    )
    .await?;
    let created = personnes::get(&mut tx, ctx.dep(), id).await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, AxumJson(created)).into_response())
}

async fn dossier_ouvert(
    conn: &mut parcours_store::Conn,
    ctx: &ApiCtx,
    id: i64,
) -> ApiResult<(
    parcours_domain::dossiers::Dossier,
    parcours_domain::dossiers::secret::DossierAcces,
    bool,
)> {
    // The same decision as the pages (`usecases::dossiers::decider`); a refusal is recorded by the
    // route layer.
    let o = parcours_usecases::dossiers::decider(conn, &ctx.principal, id)
        .await?
        .ok_or_else(forbidden)?;
    Ok((o.dossier, o.acces, o.acces_motive))
}

#[utoipa::path(get, operation_id = "ecrits_lister", path = "/api/v1/dossiers/{id}/ecrits", params(("id" = i64, Path)), responses((status = 200, description = "Les écrits lisibles par l'appelant (secret partagé)"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn ecrits(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<Vec<Ecrit>>> {
    let lisibles = parcours_usecases::dossiers::lire_journal(
        &state.store,
        &ctx.acteur(),
        id,
        parcours_usecases::dossiers::Canal::Api,
    )
    .await?
    .ecrits;
    Ok(AxumJson(lisibles))
}

#[utoipa::path(post, operation_id = "ecrit_creer", path = "/api/v1/dossiers/{id}/ecrits", params(("id" = i64, Path)), request_body = EcritForm, responses((status = 201, description = "Écrit enregistré"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn ecrit_create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<EcritForm>,
) -> ApiResult<Response> {
    let eid = parcours_usecases::dossiers::ecrire(
        &state.store,
        &ctx.acteur(),
        id,
        &f,
        parcours_store::clock().today(),
        parcours_usecases::dossiers::Canal::Api,
    )
    .await?;
    let mut conn = state.store.read().await?;
    let created = dossiers::ecrit_get(&mut conn, ctx.dep(), eid).await?;
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

#[utoipa::path(get, operation_id = "foyer_lire", path = "/api/v1/foyers/{id}", params(("id" = i64, Path), DateParams), responses((status = 200, body = [MembreOut]), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
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
    let mut tx = state.store.begin().await?;
    personnes::foyer_get(&mut tx, ctx.dep(), id).await?;
    let membres = personnes::membres(&mut tx, ctx.dep(), id).await?;
    let mut reachable = false;
    for m in &membres {
        if scope_for(&mut tx, &ctx.principal, m.personne.id)
            .await?
            .portee
            != Portee::Existence
        {
            reachable = true;
            break;
        }
    }
    if !reachable {
        return Err(forbidden());
    }
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
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "foyer", id)
            .purpose("composition du foyer (API)"),
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok(AxumJson(out))
}

/// A pair of the duplicate review queue.
#[derive(Serialize, ToSchema)]
pub struct DoublonOut {
    pub id: i64,
    pub personne_a: i64,
    pub personne_b: i64,
    pub score: f64,
}

#[utoipa::path(get, operation_id = "doublons_lister", path = "/api/v1/doublons", responses((status = 200, body = [DoublonOut]), (status = 403, body = Problem, content_type = "application/problem+json")))]
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

#[utoipa::path(post, operation_id = "doublon_fusionner", path = "/api/v1/doublons/{id}/fusion", params(("id" = i64, Path)), request_body = FusionInput, responses((status = 200, description = "Fusion réalisée (annulable)"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
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

#[utoipa::path(get, operation_id = "dossier_lire", path = "/api/v1/dossiers/{id}", params(("id" = i64, Path)), responses((status = 200, description = "Le dossier, ses référents, son plan d'action et les documents lisibles"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn dossier(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<DossierDetail>> {
    let journal = parcours_usecases::dossiers::lire_journal(
        &state.store,
        &ctx.acteur(),
        id,
        parcours_usecases::dossiers::Canal::Api,
    )
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

#[utoipa::path(get, operation_id = "document_lire", path = "/api/v1/dossiers/{id}/documents/{document}", params(("id" = i64, Path), ("document" = i64, Path)), responses((status = 200, description = "Le contenu du document, avec son type MIME"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn document(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath((id, did)): ApiPath<(i64, i64)>,
) -> ApiResult<Response> {
    let (doc, bytes) = parcours_usecases::dossiers::document(
        &state.store,
        &ctx.acteur(),
        id,
        did,
        parcours_usecases::dossiers::Canal::Api,
    )
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

#[utoipa::path(post, operation_id = "plan_ajouter", path = "/api/v1/dossiers/{id}/plan", params(("id" = i64, Path)), request_body = parcours_domain::dossiers::PlanForm, responses((status = 201, description = "Objectif ou action ajouté"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn plan_add(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<parcours_domain::dossiers::PlanForm>,
) -> ApiResult<Response> {
    let me = ctx.principal.agent_id.ok_or_else(forbidden)?;
    let mut tx = state.store.begin().await?;
    let (d, _, _) = dossier_ouvert(&mut tx, &ctx, id).await?;
    if d.est_clos() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "Dossier clos",
            "On n'écrit plus dans un dossier clos.",
        ));
    }
    let ouvert = chrono::NaiveDate::parse_from_str(&d.ouvert_le, "%Y-%m-%d")
        .unwrap_or_else(|_| parcours_store::clock().today());
    let item = parcours_domain::dossiers::NewPlanItem::parse(&f, ouvert)?;
    let pid = match dossiers::plan_add(&mut tx, ctx.dep(), id, &item, me).await {
        Ok(pid) => pid,
        Err(StoreError::Reference) => {
            let mut e = parcours_domain::FieldErrors::new();
            e.add("objectif_id", "Cet objectif n'appartient pas à ce dossier.");
            return Err(ApiError::invalid(e));
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "plan_action", pid)
            .details(serde_json::json!({ "dossier": id })),
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok((
        StatusCode::CREATED,
        AxumJson(serde_json::json!({ "id": pid })),
    )
        .into_response())
}

/// Records a refused access to a personal record in its own transaction (the caller has dropped
/// its own: SQLite has one writer) and gives the 403 to answer.
async fn refus(
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

fn dossier_clos() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "Dossier clos",
        "On n'écrit plus dans un dossier clos.",
    )
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

#[utoipa::path(post, operation_id = "referent_designer", path = "/api/v1/dossiers/{id}/referents", params(("id" = i64, Path)), request_body = ReferentInput, responses((status = 200, body = [ReferentOut], description = "Les référents du dossier après la désignation"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn referent_set(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<ReferentInput>,
) -> ApiResult<AxumJson<Vec<ReferentOut>>> {
    let mut errors = parcours_domain::FieldErrors::new();
    if f.service_id.is_none() {
        errors.add("service_id", "Choisissez le service.");
    }
    let mut tx = state.store.begin().await?;
    let opened = dossier_ouvert(&mut tx, &ctx, id).await;
    let d = match opened {
        Ok((d, _, _)) => d,
        Err(e) if e.status == StatusCode::FORBIDDEN => {
            drop(tx);
            return Err(refus(
                &state,
                &ctx,
                "dossier",
                id,
                "désignation d'un référent (API)",
            )
            .await);
        }
        Err(e) => return Err(e),
    };
    if d.est_clos() {
        return Err(dossier_clos());
    }
    let agent =
        match parcours_store::agents::by_matricule(&mut tx, ctx.dep(), f.matricule.trim()).await {
            Ok(a) => Some(a),
            Err(StoreError::NotFound) => {
                errors.add("matricule", "Aucun agent du département n'a ce matricule.");
                None
            }
            Err(e) => return Err(e.into()),
        };
    let (Some(agent), Some(service)) = (agent, f.service_id) else {
        return Err(ApiError::invalid(errors));
    };
    if agent.service_id != service {
        errors.add("matricule", "Cet agent n'appartient pas au service choisi.");
        return Err(ApiError::invalid(errors));
    }
    match dossiers::referent_set(
        &mut tx,
        ctx.dep(),
        id,
        service,
        agent.id,
        parcours_store::clock().today(),
    )
    .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "Déjà référent",
                "Cet agent vient déjà d'être désigné référent de ce service pour ce dossier.",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("referent", "dossier", id)
            .purpose("suivi du dossier (API)")
            .details(serde_json::json!({ "service": service, "agent": agent.id })),
    )
    .await?;
    let referents = dossiers::referents(&mut tx, ctx.dep(), id).await?;
    tx.commit().await.map_err(ApiError::from)?;
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

#[utoipa::path(post, operation_id = "document_deposer", path = "/api/v1/dossiers/{id}/documents", params(("id" = i64, Path)), request_body(content = DocumentUpload, content_type = "multipart/form-data"), responses((status = 201, description = "Document enregistré (sans son contenu), avec sa somme SHA-256"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json", description = "Fichier au-delà de la taille permise"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json", description = "Type de fichier refusé, champ manquant ou base légale absente")))]
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
    let (nom, bytes) = file.unwrap_or_default();
    let limite = state.settings.document_taille_max;
    let trop_gros = bytes.len() > limite;
    // Checked before the dossier is opened, answered after: a caller outside the scope learns nothing
    // of what the checks would have said.
    let parsed = parcours_domain::dossiers::NewDocument::parse(&form, &nom, bytes, limite);
    let me = ctx.principal.agent_id.ok_or_else(forbidden)?;
    let mut tx = state.store.begin().await?;
    let opened = dossier_ouvert(&mut tx, &ctx, id).await;
    let d = match opened {
        Ok((d, _, _)) => d,
        Err(e) if e.status == StatusCode::FORBIDDEN => {
            drop(tx);
            return Err(refus(&state, &ctx, "dossier", id, "dépôt d'un document (API)").await);
        }
        Err(e) => return Err(e),
    };
    if d.est_clos() {
        return Err(dossier_clos());
    }
    let doc = match parsed {
        Ok(doc) => doc,
        Err(parcours_domain::Invalid(errors)) if trop_gros => {
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
    let did =
        dossiers::document_add(&mut tx, ctx.dep(), id, me, ctx.principal.service_id, &doc).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "document", did)
            .purpose("suivi du dossier (API)")
            .details(serde_json::json!({
                "dossier": id,
                "sha256": doc.sha256,
                "taille": doc.contenu.len(),
                "type": doc.type_document.code(),
                "visibilite": doc.visibilite.code(),
            })),
    )
    .await?;
    let (created, _) = dossiers::document_get(&mut tx, ctx.dep(), did).await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, AxumJson(created)).into_response())
}

// ---------------------------------------------------------------------------------------------------
// RGPD: consents, access requests, the access archive

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

#[utoipa::path(get, operation_id = "consentements_lister", path = "/api/v1/personnes/{id}/consentements", params(("id" = i64, Path)), responses((status = 200, body = [ConsentementOut], description = "Les consentements, du plus récent au plus ancien (le plus récent par objet est en vigueur)"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
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

#[utoipa::path(post, operation_id = "consentement_ajouter", path = "/api/v1/personnes/{id}/consentements", params(("id" = i64, Path)), request_body = parcours_domain::rgpd::ConsentementForm, responses((status = 201, body = ConsentementOut), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn consentement_add(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<parcours_domain::rgpd::ConsentementForm>,
) -> ApiResult<Response> {
    let parsed = parcours_domain::rgpd::NewConsentement::parse(&f, parcours_store::clock().today());
    let me = ctx.principal.agent_id.ok_or_else(forbidden)?;
    let (mut tx, _) = personne_droits(&state, &ctx, id).await?;
    let c = parsed?;
    let cid = parcours_store::rgpd::consentement_add(&mut tx, ctx.dep(), id, &c, me).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "consentement", cid)
            .purpose("droits de la personne (API)")
            .details(
                serde_json::json!({ "personne": id, "objet": c.objet.code(), "donne": c.donne }),
            ),
    )
    .await?;
    let created = parcours_store::rgpd::consentements(&mut tx, ctx.dep(), id)
        .await?
        .into_iter()
        .find(|x| x.id == cid)
        .ok_or(StoreError::NotFound)?;
    tx.commit().await.map_err(ApiError::from)?;
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

#[utoipa::path(get, operation_id = "demandes_rgpd_lister", path = "/api/v1/personnes/{id}/demandes-rgpd", params(("id" = i64, Path)), responses((status = 200, body = [DemandeOut]), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
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

#[utoipa::path(post, operation_id = "demande_rgpd_ajouter", path = "/api/v1/personnes/{id}/demandes-rgpd", params(("id" = i64, Path)), request_body = DemandeInput, responses((status = 201, body = DemandeOut, description = "Demande enregistrée avec son échéance légale"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn demande_add(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<DemandeInput>,
) -> ApiResult<Response> {
    let mut errors = parcours_domain::FieldErrors::new();
    let recue = parcours_domain::personnes::parse_date_evenement(
        &mut errors,
        "recue_le",
        "La date de réception",
        &f.recue_le,
        parcours_store::clock().today(),
    );
    let me = ctx.principal.agent_id.ok_or_else(forbidden)?;
    let (mut tx, _) = personne_droits(&state, &ctx, id).await?;
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let did = parcours_store::rgpd::demande_add(&mut tx, ctx.dep(), id, recue, me).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "demande_acces", did)
            .purpose("droits de la personne (API)")
            .details(serde_json::json!({ "personne": id })),
    )
    .await?;
    let created = parcours_store::rgpd::demandes(&mut tx, ctx.dep(), id)
        .await?
        .into_iter()
        .find(|d| d.id == did)
        .ok_or(StoreError::NotFound)?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, AxumJson(DemandeOut::from(created))).into_response())
}

#[utoipa::path(get, operation_id = "personne_exporter", path = "/api/v1/personnes/{id}/export", params(("id" = i64, Path)), responses((status = 200, content_type = "application/zip", description = "L'archive du droit d'accès : ce que la loi permet de communiquer (sans les notes de travail ni les écrits adressés à des agents désignés)"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn export(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let (mut tx, p) = personne_droits(&state, &ctx, id).await?;
    let a = crate::rgpd::archive(&mut tx, &ctx.principal, &p).await?;
    crate::rgpd::record_transmissions(&mut tx, &ctx.principal, id, &a).await?;
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
