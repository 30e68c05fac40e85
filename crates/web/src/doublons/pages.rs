//! The duplicate review: the queue of likely duplicate pairs (from the batch analysis, launched here
//! with its progress page, and from creations confirmed against a warning), the side-by-side
//! comparison, the cadre's decision (distinct persons, or a merge choosing the fiche to keep), and
//! the list of merges with their undo.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::dossiers::secret::Portee;
use parcours_domain::personnes::Personne;
use parcours_store::doublons::{self as store, Analyse, Candidat, Fusion, FusionError};
use parcours_store::{audit, dossiers, jobs, personnes};
use serde::Deserialize;

use crate::auth::Ctx;
use crate::error::{Form, Path, Query, WebError, WebResult};
use crate::pages::{page_number, render, Layout, Pagination, PER_PAGE};
use crate::personnes::scope_of;
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub page: Option<String>,
    #[serde(default)]
    pub statut: String,
}

#[derive(Template)]
#[template(path = "doublons/liste.html")]
pub struct ListPage {
    pub l: Layout,
    pub statut: String,
    pub candidats: Vec<Candidat>,
    pub pagination: Pagination,
    pub analyse: Option<Analyse>,
}

impl ListPage {
    pub fn pourcent(&self, score: &f64) -> String {
        format!("{:.0} %", score * 100.0)
    }
    pub fn naissance(p: &parcours_domain::personnes::PersonneResume) -> String {
        p.date_naissance
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default()
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let statut = match q.statut.as_str() {
        "distincts" | "fusionnes" => q.statut.clone(),
        _ => "a_examiner".to_string(),
    };
    let page = page_number(q.page.as_deref());
    let mut conn = state.store.read().await?;
    let (candidats, total) = store::candidats(
        &mut conn,
        ctx.dep(),
        &statut,
        PER_PAGE,
        (page - 1) * PER_PAGE,
    )
    .await?;
    let analyse = store::analyses(&mut conn, ctx.dep(), None, 1)
        .await?
        .into_iter()
        .next();
    Ok(render(&ListPage {
        l: ctx.layout(),
        pagination: Pagination::new(&format!("/doublons?statut={statut}"), page, PER_PAGE, total),
        statut,
        candidats,
        analyse,
    }))
}

pub async fn launch(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let me = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let mut tx = state.store.begin().await?;
    let id = store::analyse_create(&mut tx, ctx.dep(), me).await?;
    jobs::enqueue(
        &mut tx,
        ctx.dep(),
        "doublons.analyser",
        &serde_json::json!({ "departement_id": ctx.dep(), "analyse_id": id }),
        3,
    )
    .await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lancement", "analyse_doublons", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/doublons/analyses/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "doublons/analyse.html")]
pub struct AnalysePage {
    pub l: Layout,
    pub a: Analyse,
}

pub async fn analyse(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let a = store::analyse_get(&mut conn, ctx.dep(), id).await?;
    Ok(render(&AnalysePage { l: ctx.layout(), a }))
}

/// One side of the comparison.
pub struct Cote {
    pub p: Personne,
    pub naissance: String,
    pub adresse: String,
    pub dossiers: usize,
}

#[derive(Template)]
#[template(path = "doublons/comparaison.html")]
pub struct ComparePage {
    pub l: Layout,
    pub id: i64,
    pub score: String,
    pub statut: String,
    pub a: Cote,
    pub b: Cote,
    pub erreur: Option<String>,
}

async fn cote(conn: &mut parcours_store::Conn, ctx: &Ctx, id: i64) -> WebResult<Cote> {
    let p = personnes::get(conn, ctx.dep(), id).await?;
    if scope_of(conn, ctx, id).await?.portee == Portee::Existence {
        return Err(WebError::Forbidden);
    }
    let adresse = personnes::adresses(conn, ctx.dep(), id)
        .await?
        .first()
        .map(|a| {
            format!(
                "{}, {} ({})",
                a.lignes.join(", "),
                a.code_postal,
                a.commune_insee
            )
        })
        .unwrap_or_default();
    let dossiers = dossiers::of_personne(conn, ctx.dep(), id).await?.len();
    Ok(Cote {
        naissance: p
            .date_naissance
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        p,
        adresse,
        dossiers,
    })
}

async fn compare_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    erreur: Option<String>,
) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    let (a, b, statut, score) = store::candidat_get(&mut tx, ctx.dep(), id).await?;
    let score = format!("{:.0} %", score * 100.0);
    let (ca, cb) = (cote(&mut tx, ctx, a).await?, cote(&mut tx, ctx, b).await?);
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "doublon", id)
            .purpose("examen d'un doublon probable")
            .details(serde_json::json!({ "personnes": [a, b] })),
    )
    .await?;
    tx.commit().await?;
    let status = if erreur.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        render(&ComparePage {
            l: ctx.layout(),
            id,
            score,
            statut,
            a: ca,
            b: cb,
            erreur,
        }),
    )
        .into_response())
}

pub async fn compare(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    compare_page(&state, &ctx, id, None).await
}

#[derive(Debug, Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    pub garder: String,
}

pub async fn merge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<MergeForm>,
) -> WebResult<Response> {
    match parcours_usecases::doublons::fusionner(
        &state.store,
        &ctx.acteur(),
        id,
        f.garder.parse::<i64>().ok(),
        parcours_usecases::Canal::Page,
    )
    .await
    {
        Ok(fusion) => Ok(
            Redirect::to(&format!("/personnes/{}?message=fusionne", fusion.gardee)).into_response(),
        ),
        Err(parcours_usecases::Error::Invalid(e)) => {
            compare_page(&state, &ctx, id, e.0.values().next().cloned()).await
        }
        Err(parcours_usecases::Error::Conflict(m)) => compare_page(&state, &ctx, id, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn distinct(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let me = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let mut tx = state.store.begin().await?;
    let (a, b, _, _) = store::candidat_get(&mut tx, ctx.dep(), id).await?;
    store::candidat_decider(&mut tx, ctx.dep(), id, "distincts", me).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("distincts", "doublon", id)
            .details(serde_json::json!({ "personnes": [a, b] })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/doublons?message=modifie").into_response())
}

#[derive(Template)]
#[template(path = "doublons/fusions.html")]
pub struct FusionsPage {
    pub l: Layout,
    pub fusions: Vec<Fusion>,
    pub erreur: Option<String>,
}

pub async fn fusions(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let fusions = store::fusions(&mut conn, ctx.dep(), 200).await?;
    Ok(render(&FusionsPage {
        l: ctx.layout(),
        fusions,
        erreur: None,
    }))
}

pub async fn undo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let me = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let mut tx = state.store.begin().await?;
    match store::annuler(&mut tx, ctx.dep(), id, me).await {
        Ok((gardee, absorbee)) => {
            personnes::index_noms(&mut tx, ctx.dep(), absorbee).await?;
            audit::append(
                &mut tx,
                ctx.dep(),
                &ctx.event("annulation_fusion", "personne", gardee)
                    .purpose("dédoublonnage")
                    .details(serde_json::json!({ "fusion": id, "restauree": absorbee })),
            )
            .await?;
            tx.commit().await?;
            Ok(Redirect::to(&format!("/personnes/{absorbee}?message=defusionne")).into_response())
        }
        Err(FusionError::Store(e)) => Err(e.into()),
        Err(e) => {
            drop(tx);
            let mut conn = state.store.read().await?;
            let fusions = store::fusions(&mut conn, ctx.dep(), 200).await?;
            Ok((
                StatusCode::CONFLICT,
                render(&FusionsPage {
                    l: ctx.layout(),
                    fusions,
                    erreur: Some(e.to_string()),
                }),
            )
                .into_response())
        }
    }
}
