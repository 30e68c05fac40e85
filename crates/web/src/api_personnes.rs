//! The JSON API of personnes and dossiers (`/api/v1/personnes`, `/api/v1/dossiers`): the same rules
//! as the pages — the search shows only existence outside the agent's scope, a creation is stopped on
//! a likely duplicate unless confirmed, each écrit is decided by the secret partagé — and the same
//! audit. A service account's token only learns whether a person is known.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use chrono::Utc;
use parcours_domain::dossiers::secret::{peut_lire, suit_le_dossier, PieceAcces, Portee};
use parcours_domain::dossiers::{Ecrit, EcritForm, NewEcrit, Titulaire};
use parcours_domain::personnes::{Adresse, NewPersonne, Personne, PersonneForm, Situation};
use parcours_store::{audit, dossiers, doublons, personnes, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::Problem;
use crate::auth::ApiCtx;
use crate::error::{ApiError, ApiPath, ApiResult, Json, Query};
use crate::personnes::{ressemblances, scope_for};
use crate::AppState;

#[derive(Deserialize, IntoParams)]
pub struct RechercheParams {
    /// Nom, prénoms, date de naissance, NIR ou téléphone.
    pub q: String,
}

/// A search result: the content only when the person is in the caller's scope.
#[derive(Serialize, ToSchema)]
pub struct PersonneTrouvee {
    pub id: i64,
    pub nom: String,
    /// `fiche` (accessible) or `existence` (known, followed by the services listed).
    pub acces: String,
    pub date_naissance: Option<String>,
    pub suivie_par: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/personnes", params(RechercheParams), responses((status = 200, body = [PersonneTrouvee]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn search(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(p): Query<RechercheParams>,
) -> ApiResult<AxumJson<Vec<PersonneTrouvee>>> {
    let mut tx = state.store.begin().await?;
    let found = personnes::search(&mut tx, ctx.dep(), &p.q, 50).await?;
    let ids: Vec<i64> = found.iter().map(|r| r.id).collect();
    let suivis = dossiers::suivis(&mut tx, ctx.dep(), &ids).await?;
    let mut out = Vec::new();
    for r in found {
        let portee = scope_for(&mut tx, &ctx.principal, r.id).await?.portee;
        let visible = portee != Portee::Existence;
        out.push(PersonneTrouvee {
            id: r.id,
            nom: r.nom_complet(),
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

#[utoipa::path(get, path = "/api/v1/personnes/{id}", params(("id" = i64, Path)), responses((status = 200, body = FicheOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
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
        return Err(forbidden());
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

#[utoipa::path(post, path = "/api/v1/personnes", request_body = PersonneInput, responses((status = 201, body = Personne), (status = 409, body = Problem, description = "Doublon probable : renvoyez avec confirmer=true après vérification"), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Json(input): Json<PersonneInput>,
) -> ApiResult<Response> {
    let p = NewPersonne::parse(&input.personne, Utc::now().date_naive())?;
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
    let d = dossiers::get(conn, ctx.dep(), id).await?;
    let acces = dossiers::acces(conn, ctx.dep(), id).await?;
    let personne = match d.titulaire {
        Titulaire::Personne(p) => Some(p),
        Titulaire::Foyer(f) => personnes::membres(conn, ctx.dep(), f)
            .await?
            .first()
            .map(|m| m.personne.id),
    };
    let (portee, motive) = match personne {
        Some(p) => {
            let s = scope_for(conn, &ctx.principal, p).await?;
            (s.portee, s.acces_motive.is_some())
        }
        None => (Portee::Existence, false),
    };
    if portee != Portee::Complete && !suit_le_dossier(&ctx.principal, &acces) {
        return Err(forbidden());
    }
    Ok((d, acces, motive))
}

#[utoipa::path(get, path = "/api/v1/dossiers/{id}/ecrits", params(("id" = i64, Path)), responses((status = 200, description = "Les écrits lisibles par l'appelant (secret partagé)"), (status = 403, body = Problem)))]
pub async fn ecrits(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<Vec<Ecrit>>> {
    let mut tx = state.store.begin().await?;
    let (_, acces, motive) = dossier_ouvert(&mut tx, &ctx, id).await?;
    let lisibles: Vec<Ecrit> = dossiers::ecrits(&mut tx, ctx.dep(), id)
        .await?
        .into_iter()
        .filter(|e| peut_lire(&ctx.principal, &acces, &PieceAcces::from(e), motive))
        .collect();
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "dossier", id)
            .purpose("suivi du dossier (API)")
            .details(
                serde_json::json!({ "ecrits": lisibles.iter().map(|e| e.id).collect::<Vec<_>>() }),
            ),
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok(AxumJson(lisibles))
}

#[utoipa::path(post, path = "/api/v1/dossiers/{id}/ecrits", params(("id" = i64, Path)), request_body = EcritForm, responses((status = 201, description = "Écrit enregistré"), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn ecrit_create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<EcritForm>,
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
    let ids = parcours_domain::dossiers::parse_ids(&f.destinataires).unwrap_or_default();
    let autres =
        match dossiers::agents_hors_service(&mut tx, ctx.dep(), &ids, ctx.principal.service_id)
            .await
        {
            Ok(a) => a,
            Err(StoreError::Reference) => {
                let mut e = parcours_domain::FieldErrors::new();
                e.add(
                    "destinataires",
                    "Un des numéros ne correspond à aucun agent du département.",
                );
                return Err(ApiError::invalid(e));
            }
            Err(e) => return Err(e.into()),
        };
    let e = NewEcrit::parse(&f, Utc::now().date_naive(), |_| autres)?;
    let eid = dossiers::ecrit_add(&mut tx, ctx.dep(), id, me, ctx.principal.service_id, &e).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "ecrit", eid)
            .purpose("suivi du dossier (API)")
            .details(serde_json::json!({ "dossier": id, "visibilite": e.visibilite.code() })),
    )
    .await?;
    let created = dossiers::ecrit_get(&mut tx, ctx.dep(), eid).await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, AxumJson(created)).into_response())
}

#[derive(Deserialize, IntoParams)]
pub struct DateParams {
    /// Composition à cette date (AAAA-MM-JJ) ; aujourd'hui par défaut.
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

#[utoipa::path(get, path = "/api/v1/foyers/{id}", params(("id" = i64, Path), DateParams), responses((status = 200, body = [MembreOut]), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn foyer(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Query(p): Query<DateParams>,
) -> ApiResult<AxumJson<Vec<MembreOut>>> {
    let date = match p.date.as_deref() {
        None | Some("") => Utc::now().date_naive(),
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

#[utoipa::path(get, path = "/api/v1/doublons", responses((status = 200, body = [DoublonOut]), (status = 403, body = Problem)))]
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

#[utoipa::path(post, path = "/api/v1/doublons/{id}/fusion", params(("id" = i64, Path)), request_body = FusionInput, responses((status = 200, description = "Fusion réalisée (annulable)"), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
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

#[utoipa::path(get, path = "/api/v1/dossiers/{id}", params(("id" = i64, Path)), responses((status = 200, description = "Le dossier, ses référents, son plan d'action et les documents lisibles"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn dossier(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<DossierDetail>> {
    let mut tx = state.store.begin().await?;
    let (d, acces, motive) = dossier_ouvert(&mut tx, &ctx, id).await?;
    let referents = dossiers::referents(&mut tx, ctx.dep(), id).await?;
    let plan = dossiers::plan(&mut tx, ctx.dep(), id).await?;
    let mut masquees = 0;
    let mut documents = Vec::new();
    for doc in dossiers::documents(&mut tx, ctx.dep(), id).await? {
        if peut_lire(&ctx.principal, &acces, &PieceAcces::from(&doc), motive) {
            documents.push(doc);
        } else {
            masquees += 1;
        }
    }
    masquees += dossiers::ecrits(&mut tx, ctx.dep(), id)
        .await?
        .iter()
        .filter(|e| !peut_lire(&ctx.principal, &acces, &PieceAcces::from(*e), motive))
        .count();
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "dossier", id)
            .purpose("suivi du dossier (API)")
            .details(serde_json::json!({ "documents": documents.iter().map(|d| d.id).collect::<Vec<_>>(), "pieces_masquees": masquees })),
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok(AxumJson(DossierDetail {
        dossier: d,
        referents,
        plan,
        documents,
        pieces_masquees: masquees,
    }))
}

#[utoipa::path(get, path = "/api/v1/dossiers/{id}/documents/{document}", params(("id" = i64, Path), ("document" = i64, Path)), responses((status = 200, description = "Le contenu du document, avec son type MIME"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn document(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath((id, did)): ApiPath<(i64, i64)>,
) -> ApiResult<Response> {
    let mut tx = state.store.begin().await?;
    let (_, acces, motive) = dossier_ouvert(&mut tx, &ctx, id).await?;
    let (doc, bytes) = dossiers::document_get(&mut tx, ctx.dep(), did).await?;
    if doc.dossier_id != id {
        return Err(StoreError::NotFound.into());
    }
    if !peut_lire(&ctx.principal, &acces, &PieceAcces::from(&doc), motive) {
        audit::append(
            &mut tx,
            ctx.dep(),
            &ctx.event("refus", "document", did)
                .purpose("secret partagé (API)"),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        return Err(forbidden());
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "document", did)
            .purpose("téléchargement (API)"),
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, doc.mime.clone()),
            (
                axum::http::header::HeaderName::from_static("x-content-sha256"),
                doc.sha256.clone(),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/dossiers/{id}/plan", params(("id" = i64, Path)), request_body = parcours_domain::dossiers::PlanForm, responses((status = 201, description = "Objectif ou action ajouté"), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
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
        .unwrap_or_else(|_| Utc::now().date_naive());
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
