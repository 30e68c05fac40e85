//! The appui technique d'accueil (seed 001 fiche 3) and the duty roster (fiche 4): the queue of a MDS
//! with who is on duty now, the desk's request form, « Je prends » / « Clore » for the social workers,
//! the week roster drawn up by the cadre; and the same in `/api/v1`. Reads name persons, so they are
//! limited to the principal's sites and audited.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json as AxumJson;
use chrono::{Duration, NaiveDate};
use parcours_domain::accueil::appui::{
    self as domain, AppuiForm, DemiJournee, Issue, Motif, NewAppui, RoleTableau, StatutAppui,
};
use parcours_domain::agenda::heure;
use parcours_domain::habilitations::policy::{allows, reaches_site, Action};
use parcours_domain::habilitations::Principal;
use parcours_domain::FieldErrors;
use parcours_store::appui::{self as store, Appui, AppuiError};
use parcours_store::{audit, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{ApiCtx, Ctx};
use crate::error::{ApiError, ApiPath, ApiResult, Form, Json, Path, Query, WebError, WebResult};
use crate::pages::{self, render};
use crate::AppState;

type Params = BTreeMap<String, String>;

fn g(v: &Params, k: &str) -> String {
    v.get(k).cloned().unwrap_or_default()
}

/// The site asked for if the principal reaches it, else their first one; 404 for a site out of reach
/// (its queue's existence is not secret, but its content is).
fn site_choisi(sites: &[(i64, String)], asked: &str) -> WebResult<Option<i64>> {
    match asked.trim() {
        "" => Ok(sites.first().map(|s| s.0)),
        s => s
            .parse::<i64>()
            .ok()
            .filter(|id| sites.iter().any(|x| x.0 == *id))
            .map(Some)
            .ok_or(WebError::NotFound),
    }
}

/// A request of the queue as the page shows it.
pub struct Ligne {
    pub a: Appui,
    pub attente: String,
    pub demande_a: String,
    pub a_moi: bool,
}

fn duree(minutes: i64) -> String {
    if minutes < 60 {
        format!("{minutes} min")
    } else {
        format!("{} h {:02}", minutes / 60, minutes % 60)
    }
}

#[derive(Template)]
#[template(path = "accueil/appui.html")]
pub struct AppuiPage {
    pub l: pages::Layout,
    pub sites: Vec<(i64, String)>,
    pub site_id: i64,
    pub site_nom: String,
    pub garde: Vec<(String, String)>,
    pub en_attente: Vec<Ligne>,
    pub en_cours: Vec<Ligne>,
    pub terminees: Vec<Ligne>,
    pub motifs: Vec<(String, String)>,
    pub issues: Vec<(String, String)>,
    pub peut_demander: bool,
    pub peut_prendre: bool,
    pub v: Params,
    pub errors: BTreeMap<String, String>,
    pub erreurs: Vec<(String, String, String)>,
    /// A message about a line (taken by someone else meanwhile...).
    pub alerte: Option<String>,
}

impl AppuiPage {
    pub fn val(&self, k: &str) -> &str {
        self.v.get(k).map(String::as_str).unwrap_or("")
    }
    pub fn err(&self, k: &str) -> Option<&str> {
        self.errors.get(k).map(String::as_str)
    }
}

const LIBELLES: &[(&str, &str)] = &[
    ("site", "Site"),
    ("personne_id", "Personne"),
    ("motif", "Motif"),
    ("urgent", "Urgent"),
    ("precision", "Précision"),
];

#[allow(clippy::too_many_arguments)]
async fn appui_page(
    state: &AppState,
    ctx: &Ctx,
    asked_site: &str,
    typed: &Params,
    errors: &FieldErrors,
    alerte: Option<String>,
    status: StatusCode,
) -> WebResult<Response> {
    let sites = state.sites_atteints(&ctx.principal).await?;
    let Some(site_id) = site_choisi(&sites, asked_site)? else {
        return Err(WebError::Forbidden);
    };
    let now = parcours_store::clock().maintenant();
    let mut conn = state.store.read().await?;
    let file = store::file(&mut conn, ctx.dep(), site_id, now.date()).await?;
    let garde = store::de_garde(&mut conn, ctx.dep(), site_id, now).await?;
    drop(conn);
    if !file.is_empty() {
        let mut tx = state.store.begin().await?;
        audit::append(
            &mut tx,
            ctx.dep(),
            &ctx.event("lecture", "appui_demandes", site_id)
                .details(serde_json::json!({
                    "demandes": file.iter().map(|a| a.id).collect::<Vec<_>>(),
                })),
        )
        .await?;
        tx.commit().await?;
    }
    let me = ctx.principal.agent_id;
    let mut en_attente = vec![];
    let mut en_cours = vec![];
    let mut terminees = vec![];
    for a in file {
        let ligne = Ligne {
            attente: duree(domain::attente_minutes(a.demande_le, a.pris_le, now)),
            demande_a: a.demande_le.format("%H:%M").to_string(),
            a_moi: me.is_some() && a.pris_par_id == me,
            a,
        };
        match ligne.a.statut {
            StatutAppui::EnAttente => en_attente.push(ligne),
            StatutAppui::PrisEnCharge => en_cours.push(ligne),
            _ => terminees.push(ligne),
        }
    }
    let mut v = typed.clone();
    v.entry("site".into()).or_insert(site_id.to_string());
    let page = AppuiPage {
        l: ctx.layout(),
        site_nom: sites
            .iter()
            .find(|s| s.0 == site_id)
            .map(|s| s.1.clone())
            .unwrap_or_default(),
        sites,
        site_id,
        garde: garde
            .into_iter()
            .map(|(r, _, nom)| (r.libelle().to_string(), nom))
            .collect(),
        en_attente,
        en_cours,
        terminees,
        motifs: pages::options(
            "Choisir le motif",
            Motif::ALL
                .iter()
                .map(|m| (m.code().to_string(), m.libelle().to_string())),
        ),
        issues: Issue::ALL
            .iter()
            .map(|m| (m.code().to_string(), m.libelle().to_string()))
            .collect(),
        peut_demander: allows(&ctx.principal, Action::AccueilSaisir),
        peut_prendre: allows(&ctx.principal, Action::AppuiPrendre),
        erreurs: pages::resume_erreurs(errors, LIBELLES),
        errors: errors.0.clone(),
        alerte,
        v,
    };
    Ok((status, render(&page)).into_response())
}

/// `GET /accueil/appui?site=`: the queue of a site.
pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    let mut typed = Params::new();
    if let Some(p) = q.get("personne") {
        typed.insert("personne_id".into(), p.clone());
    }
    appui_page(
        &state,
        &ctx,
        &g(&q, "site"),
        &typed,
        &FieldErrors::new(),
        None,
        StatusCode::OK,
    )
    .await
}

fn form_of(v: &Params) -> AppuiForm {
    AppuiForm {
        site: g(v, "site"),
        personne_id: g(v, "personne_id"),
        motif: g(v, "motif"),
        precision: g(v, "precision"),
        urgent: g(v, "urgent"),
    }
}

/// Records a request at one of the principal's sites, audited; the messages otherwise.
async fn demander(
    state: &AppState,
    p: &Principal,
    event: impl Fn(i64) -> parcours_domain::audit::AuditEvent,
    f: &AppuiForm,
) -> WebResult<Result<i64, FieldErrors>> {
    let a = match NewAppui::parse(f) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e.0)),
    };
    let sites = state.sites_atteints(p).await?;
    if !sites.iter().any(|s| s.0 == a.site_id) {
        let mut e = FieldErrors::new();
        e.add("site", "Choisissez une MDS de vos sites.");
        return Ok(Err(e));
    }
    let mut tx = state.store.begin().await?;
    let id = match store::create(
        &mut tx,
        &p.departement_id,
        &a,
        None,
        p.agent_id,
        parcours_store::clock().maintenant(),
    )
    .await
    {
        Ok(id) => id,
        Err(StoreError::Reference) => {
            let mut e = FieldErrors::new();
            e.add(
                "personne_id",
                "Cette personne est introuvable : recherchez-la à nouveau.",
            );
            return Ok(Err(e));
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(
        &mut tx,
        &p.departement_id,
        &event(id).details(serde_json::json!({
            "site_id": a.site_id,
            "personne_id": a.personne_id,
            "motif": a.motif.code(),
            "urgent": a.urgent,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// `POST /accueil/appui`: the desk asks for a social worker.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let ev = |id: i64| ctx.event("creation", "appui_demande", id);
    match demander(&state, &ctx.principal, ev, &form_of(&v)).await? {
        Ok(_) => Ok(Redirect::to(&format!(
            "/accueil/appui?site={}&message=appui_demande",
            pages::enc(&g(&v, "site"))
        ))
        .into_response()),
        Err(e) => {
            appui_page(
                &state,
                &ctx,
                &g(&v, "site"),
                &v,
                &e,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// The request if it belongs to one of the principal's sites; 404 otherwise.
async fn in_scope(state: &AppState, p: &Principal, id: i64) -> WebResult<Appui> {
    let mut conn = state.store.read().await?;
    let a = store::get(&mut conn, &p.departement_id, id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => WebError::NotFound,
            e => e.into(),
        })?;
    if !reaches_site(p, Some(a.site_id)) {
        return Err(WebError::NotFound);
    }
    Ok(a)
}

enum Geste {
    Prendre,
    Clore(Issue),
    Annuler,
}

/// Applies a move and audits it; a refused move is its French message.
async fn geste(
    state: &AppState,
    p: &Principal,
    event: parcours_domain::audit::AuditEvent,
    id: i64,
    geste: Geste,
) -> WebResult<Result<(), String>> {
    let dep = &p.departement_id;
    let now = parcours_store::clock().maintenant();
    let mut tx = state.store.begin().await?;
    let (r, action) = match geste {
        Geste::Prendre => match p.agent_id {
            Some(me) => (store::prendre(&mut tx, dep, id, me, now).await, "prise"),
            None => return Ok(Err("Seul un agent peut prendre une demande.".into())),
        },
        Geste::Clore(issue) => match p.agent_id {
            Some(me) => (
                store::clore(&mut tx, dep, id, me, issue, now).await,
                "cloture",
            ),
            None => return Ok(Err("Seul un agent peut clore une demande.".into())),
        },
        Geste::Annuler => (store::annuler(&mut tx, dep, id, now).await, "annulation"),
    };
    match r {
        Ok(()) => {}
        Err(AppuiError::Store(e)) => return Err(e.into()),
        Err(e) => return Ok(Err(e.to_string())),
    }
    audit::append(
        &mut tx,
        dep,
        &event.details(serde_json::json!({ "geste": action })),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

async fn geste_html(
    state: AppState,
    ctx: Ctx,
    id: i64,
    g_: Geste,
    message: &str,
) -> WebResult<Response> {
    let a = in_scope(&state, &ctx.principal, id).await?;
    let ev = ctx.event("modification", "appui_demande", id);
    match geste(&state, &ctx.principal, ev, id, g_).await? {
        Ok(()) => Ok(Redirect::to(&format!(
            "/accueil/appui?site={}&message={message}",
            a.site_id
        ))
        .into_response()),
        Err(m) => {
            appui_page(
                &state,
                &ctx,
                &a.site_id.to_string(),
                &Params::new(),
                &FieldErrors::new(),
                Some(m),
                StatusCode::CONFLICT,
            )
            .await
        }
    }
}

/// `POST /accueil/appui/{id}/prendre`.
pub async fn prendre(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    geste_html(state, ctx, id, Geste::Prendre, "appui_pris").await
}

/// `POST /accueil/appui/{id}/clore` with `issue`.
pub async fn clore(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let Some(issue) = Issue::from_code(g(&v, "issue").trim()) else {
        let a = in_scope(&state, &ctx.principal, id).await?;
        return appui_page(
            &state,
            &ctx,
            &a.site_id.to_string(),
            &Params::new(),
            &FieldErrors::new(),
            Some("Choisissez la suite donnée avant de clore la demande.".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    geste_html(state, ctx, id, Geste::Clore(issue), "appui_clos").await
}

/// `POST /accueil/appui/{id}/annuler`.
pub async fn annuler(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    geste_html(state, ctx, id, Geste::Annuler, "appui_annule").await
}

// ---------------------------------------------------------------------------------------------------
// Duty roster

pub struct Cellule {
    pub name: String,
    pub label: String,
    pub agent_id: Option<i64>,
    pub nom: String,
    pub error: Option<String>,
}

impl Cellule {
    pub fn est(&self, id: &i64) -> bool {
        self.agent_id == Some(*id)
    }
}

pub struct Jour {
    pub titre: String,
    /// matin premier accueil, matin urgence, après-midi premier accueil, après-midi urgence.
    pub cellules: Vec<Cellule>,
}

#[derive(Template)]
#[template(path = "accueil/tableau.html")]
pub struct TableauPage {
    pub l: pages::Layout,
    pub sites: Vec<(i64, String)>,
    pub site_id: i64,
    pub site_nom: String,
    pub semaine: String,
    pub precedente: String,
    pub suivante: String,
    pub jours: Vec<Jour>,
    pub agents: Vec<(i64, String)>,
    pub modifiable: bool,
    pub erreurs: Vec<(String, String, String)>,
}

fn jour_fr(d: NaiveDate) -> String {
    const JOURS: [&str; 7] = [
        "Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche",
    ];
    use chrono::Datelike;
    format!(
        "{} {}",
        JOURS[d.weekday().num_days_from_monday() as usize],
        d.format("%d/%m/%Y")
    )
}

#[allow(clippy::too_many_arguments)]
async fn tableau_page(
    state: &AppState,
    ctx: &Ctx,
    asked_site: &str,
    asked_semaine: &str,
    typed: Option<&Params>,
    errors: &FieldErrors,
    status: StatusCode,
) -> WebResult<Response> {
    let sites = state.sites_atteints(&ctx.principal).await?;
    let Some(site_id) = site_choisi(&sites, asked_site)? else {
        return Err(WebError::Forbidden);
    };
    let lundi = domain::lundi(
        parcours_domain::agenda::parse_date(asked_semaine)
            .unwrap_or_else(|| parcours_store::clock().maintenant().date()),
    );
    let mut conn = state.store.read().await?;
    let agents = store::travailleurs_sociaux(&mut conn, ctx.dep(), site_id, lundi).await?;
    let gardes = store::tableau(&mut conn, ctx.dep(), site_id, lundi, 5).await?;
    drop(conn);
    let nom_of = |id: Option<i64>| {
        id.and_then(|id| agents.iter().find(|a| a.0 == id).map(|a| a.1.clone()))
            .unwrap_or_else(|| "—".into())
    };
    let mut jours = vec![];
    for d in 0..5 {
        let jour = lundi + Duration::days(d);
        let mut cellules = vec![];
        for dj in DemiJournee::ALL {
            for role in RoleTableau::ALL {
                let name = domain::champ(jour, *dj, *role);
                let stored = gardes
                    .iter()
                    .find(|x| x.jour == jour && x.demi_journee == *dj && x.role == *role)
                    .and_then(|x| x.agent_id);
                let agent_id = match typed {
                    Some(t) => t.get(&name).and_then(|s| s.parse().ok()),
                    None => stored,
                };
                cellules.push(Cellule {
                    label: format!(
                        "{} {}, {}",
                        jour_fr(jour),
                        dj.libelle().to_lowercase(),
                        role.libelle()
                    ),
                    nom: nom_of(agent_id),
                    error: errors.get(&name).map(str::to_string),
                    name,
                    agent_id,
                });
            }
        }
        jours.push(Jour {
            titre: jour_fr(jour),
            cellules,
        });
    }
    let erreurs = jours
        .iter()
        .flat_map(|j| j.cellules.iter())
        .filter_map(|c| {
            c.error
                .as_ref()
                .map(|e| (c.name.clone(), c.label.clone(), e.clone()))
        })
        .collect();
    let page = TableauPage {
        l: ctx.layout(),
        site_nom: sites
            .iter()
            .find(|s| s.0 == site_id)
            .map(|s| s.1.clone())
            .unwrap_or_default(),
        sites,
        site_id,
        semaine: lundi.format("%d/%m/%Y").to_string(),
        precedente: (lundi - Duration::days(7)).format("%Y-%m-%d").to_string(),
        suivante: (lundi + Duration::days(7)).format("%Y-%m-%d").to_string(),
        jours,
        agents,
        modifiable: allows(&ctx.principal, Action::TableauPermanenceGerer),
        erreurs,
    };
    Ok((status, render(&page)).into_response())
}

/// `GET /accueil/tableau?site=&semaine=AAAA-MM-JJ`.
pub async fn tableau(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    tableau_page(
        &state,
        &ctx,
        &g(&q, "site"),
        &g(&q, "semaine"),
        None,
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /accueil/tableau`: the cadre saves a week; an agent absent that half-day is refused.
pub async fn tableau_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let sites = state.sites_atteints(&ctx.principal).await?;
    let Some(site_id) = site_choisi(&sites, &g(&v, "site"))? else {
        return Err(WebError::Forbidden);
    };
    let Some(semaine) = parcours_domain::agenda::parse_date(&g(&v, "semaine")) else {
        return Err(WebError::BadRequest("Semaine illisible.".into()));
    };
    let lundi = domain::lundi(semaine);
    let mut conn = state.store.read().await?;
    let agents = store::travailleurs_sociaux(&mut conn, ctx.dep(), site_id, lundi).await?;
    let ids: Vec<i64> = agents.iter().map(|a| a.0).collect();
    let parsed = domain::parse_semaine(lundi, |n| g(&v, n), &ids);
    let gardes = match parsed {
        Ok(gardes) => {
            let absents = store::gardes_en_absence(&mut conn, ctx.dep(), &gardes).await?;
            if absents.is_empty() {
                Ok(gardes)
            } else {
                let mut e = FieldErrors::new();
                for (g_, libelle) in absents {
                    e.add(
                        &domain::champ(g_.jour, g_.demi_journee, g_.role),
                        format!("Cet agent est absent ce jour-là ({libelle})."),
                    );
                }
                Err(e)
            }
        }
        Err(e) => Err(e.0),
    };
    drop(conn);
    let gardes = match gardes {
        Ok(g_) => g_,
        Err(e) => {
            return tableau_page(
                &state,
                &ctx,
                &site_id.to_string(),
                &lundi.to_string(),
                Some(&v),
                &e,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let mut tx = state.store.begin().await?;
    let changed =
        store::tableau_enregistrer(&mut tx, ctx.dep(), site_id, &gardes, ctx.principal.agent_id)
            .await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("modification", "tableau_permanence", site_id)
            .details(serde_json::json!({ "semaine": lundi.to_string(), "cellules": changed })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/accueil/tableau?site={site_id}&semaine={lundi}&message=tableau"
    ))
    .into_response())
}

// ---------------------------------------------------------------------------------------------------
// API

#[derive(Serialize, ToSchema)]
pub struct AppuiOut {
    pub id: i64,
    pub site_id: i64,
    pub personne_id: Option<i64>,
    /// orientation_difficile, acces_droits, urgence, agressivite, evaluation, autre
    pub motif: String,
    pub precision: Option<String>,
    pub urgent: bool,
    /// en_attente, pris_en_charge, clos, annule
    pub statut: String,
    /// Heure civile du département, AAAA-MM-JJTHH:MM.
    pub demande_le: String,
    pub pris_par: Option<i64>,
    pub pris_le: Option<String>,
    pub clos_le: Option<String>,
    pub issue: Option<String>,
    /// Minutes d'attente (jusqu'à la prise en charge, ou jusqu'à maintenant).
    pub attente_minutes: i64,
}

impl AppuiOut {
    fn of(a: &Appui) -> Self {
        Self {
            id: a.id,
            site_id: a.site_id,
            personne_id: a.personne_id,
            motif: a.motif.code().into(),
            precision: a.precision.clone(),
            urgent: a.urgent,
            statut: a.statut.code().into(),
            demande_le: heure::format(a.demande_le),
            pris_par: a.pris_par_id,
            pris_le: a.pris_le.map(heure::format),
            clos_le: a.clos_le.map(heure::format),
            issue: a.issue.map(|i| i.code().into()),
            attente_minutes: domain::attente_minutes(
                a.demande_le,
                a.pris_le,
                parcours_store::clock().maintenant(),
            ),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SiteQuery {
    /// Identifiant du site (MDS).
    pub site: i64,
}

#[utoipa::path(get, operation_id = "appuis_lister", path = "/api/v1/accueil/appuis", params(SiteQuery), responses((status = 200, body = [AppuiOut]), (status = 404, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_list(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<SiteQuery>,
) -> ApiResult<AxumJson<Vec<AppuiOut>>> {
    if !reaches_site(&ctx.principal, Some(q.site)) {
        return Err(WebError::NotFound.into());
    }
    let mut conn = state.store.read().await?;
    let file = store::file(
        &mut conn,
        ctx.dep(),
        q.site,
        parcours_store::clock().maintenant().date(),
    )
    .await?;
    drop(conn);
    let mut tx = state.store.begin().await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "appui_demandes", q.site).details(
            serde_json::json!({ "demandes": file.iter().map(|a| a.id).collect::<Vec<_>>() }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(AxumJson(file.iter().map(AppuiOut::of).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct AppuiInput {
    pub site: i64,
    pub personne_id: Option<i64>,
    /// orientation_difficile, acces_droits, urgence, agressivite, evaluation, autre
    pub motif: String,
    pub precision: Option<String>,
    #[serde(default)]
    pub urgent: bool,
}

#[utoipa::path(post, operation_id = "appui_creer", path = "/api/v1/accueil/appuis", request_body = AppuiInput, responses((status = 201, body = AppuiOut), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Json(input): Json<AppuiInput>,
) -> ApiResult<Response> {
    let f = AppuiForm {
        site: input.site.to_string(),
        personne_id: input.personne_id.map(|p| p.to_string()).unwrap_or_default(),
        motif: input.motif,
        precision: input.precision.unwrap_or_default(),
        urgent: if input.urgent { "oui" } else { "non" }.into(),
    };
    let ev = |id: i64| ctx.event("creation", "appui_demande", id);
    match demander(&state, &ctx.principal, ev, &f).await? {
        Ok(id) => {
            let mut conn = state.store.read().await?;
            let a = store::get(&mut conn, ctx.dep(), id).await?;
            Ok((StatusCode::CREATED, AxumJson(AppuiOut::of(&a))).into_response())
        }
        Err(e) => Err(ApiError::invalid(e)),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct GesteInput {
    /// prendre, clore ou annuler
    pub geste: String,
    /// Pour clore : conseil, entretien, rendez_vous, orientation, sans_suite
    pub issue: Option<String>,
}

#[utoipa::path(post, operation_id = "appui_geste", path = "/api/v1/accueil/appuis/{id}", request_body = GesteInput, params(("id" = i64, Path, description = "Identifiant de la demande")), responses((status = 200, body = AppuiOut), (status = 409, body = crate::api::Problem, content_type = "application/problem+json"), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_geste(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(input): Json<GesteInput>,
) -> ApiResult<AxumJson<AppuiOut>> {
    in_scope(&state, &ctx.principal, id).await?;
    let issue = input
        .issue
        .as_deref()
        .and_then(|i| Issue::from_code(i.trim()));
    let g_ = match (input.geste.trim(), issue) {
        ("prendre", _) => Geste::Prendre,
        ("annuler", _) => Geste::Annuler,
        ("clore", Some(i)) => Geste::Clore(i),
        ("clore", None) => {
            let mut e = FieldErrors::new();
            e.add(
                "issue",
                "Pour clore : conseil, entretien, rendez_vous, orientation ou sans_suite.",
            );
            return Err(ApiError::invalid(e));
        }
        _ => {
            let mut e = FieldErrors::new();
            e.add("geste", "Geste attendu : prendre, clore ou annuler.");
            return Err(ApiError::invalid(e));
        }
    };
    // Taking and closing is the social workers' (the route itself lets the desk cancel).
    if matches!(g_, Geste::Prendre | Geste::Clore(_))
        && !allows(&ctx.principal, Action::AppuiPrendre)
    {
        return Err(WebError::Forbidden.into());
    }
    let ev = ctx.event("modification", "appui_demande", id);
    if let Err(m) = geste(&state, &ctx.principal, ev, id, g_).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "Geste impossible", m));
    }
    let mut conn = state.store.read().await?;
    Ok(AxumJson(AppuiOut::of(
        &store::get(&mut conn, ctx.dep(), id).await?,
    )))
}

#[derive(Serialize, ToSchema)]
pub struct GardeOut {
    /// AAAA-MM-JJ
    pub jour: String,
    /// matin ou apres_midi
    pub demi_journee: String,
    /// premier_accueil ou urgence
    pub role: String,
    pub agent_id: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TableauQuery {
    /// Identifiant du site (MDS).
    pub site: i64,
    /// Premier jour, AAAA-MM-JJ (par défaut : le lundi de la semaine en cours).
    pub du: Option<String>,
    /// Nombre de jours (1 à 62, 7 par défaut).
    pub jours: Option<i64>,
}

#[utoipa::path(get, operation_id = "tableau_lire", path = "/api/v1/accueil/tableau", params(TableauQuery), responses((status = 200, body = [GardeOut]), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_tableau(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<TableauQuery>,
) -> ApiResult<AxumJson<Vec<GardeOut>>> {
    if !reaches_site(&ctx.principal, Some(q.site)) {
        return Err(WebError::NotFound.into());
    }
    let du = match q.du.as_deref().map(str::trim) {
        None | Some("") => domain::lundi(parcours_store::clock().maintenant().date()),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            ApiError::invalid({
                let mut e = FieldErrors::new();
                e.add("du", "Date attendue au format AAAA-MM-JJ.");
                e
            })
        })?,
    };
    let jours = q.jours.unwrap_or(7);
    if !(1..=62).contains(&jours) {
        let mut e = FieldErrors::new();
        e.add("jours", "Entre 1 et 62 jours.");
        return Err(ApiError::invalid(e));
    }
    let mut conn = state.store.read().await?;
    let gardes = store::tableau(&mut conn, ctx.dep(), q.site, du, jours).await?;
    Ok(AxumJson(
        gardes
            .into_iter()
            .filter_map(|g_| {
                Some(GardeOut {
                    jour: g_.jour.to_string(),
                    demi_journee: g_.demi_journee.code().into(),
                    role: g_.role.code().into(),
                    agent_id: g_.agent_id?,
                })
            })
            .collect(),
    ))
}
