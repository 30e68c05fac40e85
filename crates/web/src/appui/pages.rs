//! The appui technique d'accueil (seed 001 fiche 3) and the duty roster (fiche 4) in the browser: the
//! queue of a MDS with who is on duty now, the desk's request form, « Je prends » / « Clore » for the
//! social workers, the week roster drawn up by the cadre. Reads name persons, so they are limited to
//! the principal's sites and audited.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate};
use parcours_domain::accueil::appui::{
    self as domain, AppuiForm, DemiJournee, Issue, Motif, RoleTableau, StatutAppui,
};
use parcours_domain::habilitations::policy::{allows, Action};
use parcours_domain::FieldErrors;
use parcours_store::appui::{self as store, Appui};
use parcours_store::audit;

use super::{demander, geste, in_scope, Geste};
use crate::auth::Ctx;
use crate::error::{Form, Path, Query, WebError, WebResult};
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
            .unwrap_or_else(|| parcours_store::clock().today()),
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
