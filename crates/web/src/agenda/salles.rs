//! Rooms of the sites, and the agenda pages' stylesheet.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::habilitations::policy::{allows, reaches_site, Action};
use parcours_domain::FieldErrors;
use parcours_store::agenda as store;
use parcours_store::{audit, referentiel, StoreError};

use super::{p, perimetre, sites_options, status_of, summary, Params};
use crate::auth::Ctx;
use crate::error::{Form, WebResult};
use crate::pages::{self, render, Field, Layout};
use crate::AppState;

#[derive(Template)]
#[template(path = "agenda/salles.html")]
pub struct SallesPage {
    pub l: Layout,
    pub salles: Vec<(String, String, i64)>,
    pub can_manage: bool,
    pub fields: Vec<Field>,
    pub erreurs: Vec<(String, String, String)>,
}

async fn salles_page(
    state: &AppState,
    ctx: &Ctx,
    v: &Params,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let pr = &ctx.principal;
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let mut conn = state.store.read().await?;
    let salles = store::salles(&mut conn, ctx.dep(), perimetre(pr).as_deref()).await?;
    let sites = referentiel::sites(&mut conn, ctx.dep()).await?;
    drop(conn);
    let fields = vec![
        Field::text("site_id", "Site", &g("site_id"))
            .select(pages::options(
                "Choisir un site",
                sites_options(state, pr).await?,
            ))
            .required()
            .error_from(errors),
        Field::text("nom", "Nom de la salle", &g("nom"))
            .required()
            .error_from(errors),
        Field::text("capacite", "Nombre de places", &g("capacite"))
            .kind("number")
            .required()
            .error_from(errors),
    ];
    let erreurs = summary(&[&fields]);
    let page = SallesPage {
        l: ctx.layout(),
        salles: salles
            .iter()
            .map(|s| {
                (
                    sites
                        .iter()
                        .find(|x| x.id == s.site_id)
                        .map(|x| x.nom.clone())
                        .unwrap_or_default(),
                    s.nom.clone(),
                    s.capacite,
                )
            })
            .collect(),
        can_manage: allows(pr, Action::AgendaGerer),
        fields,
        erreurs,
    };
    Ok((status_of(errors), render(&page)).into_response())
}

pub async fn salles(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    salles_page(&state, &ctx, &Params::new(), &FieldErrors::new()).await
}

pub async fn salle_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let mut e = FieldErrors::new();
    let site = p(&v, "site_id")
        .parse::<i64>()
        .ok()
        .filter(|s| reaches_site(&ctx.principal, Some(*s)));
    if site.is_none() {
        e.add("site_id", "Choisissez un site de votre périmètre.");
    }
    let nom = parcours_domain::validation::required_text(&mut e, "nom", "Le nom", p(&v, "nom"), 80);
    let capacite = p(&v, "capacite")
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|c| (1..=500).contains(c));
    if capacite.is_none() {
        e.add(
            "capacite",
            "Le nombre de places est un entier entre 1 et 500.",
        );
    }
    let (Some(site), Some(capacite), true) = (site, capacite, e.is_empty()) else {
        return salles_page(&state, &ctx, &v, &e).await;
    };
    let mut tx = state.store.begin().await?;
    let id = match store::salle_create(&mut tx, ctx.dep(), site, &nom, capacite).await {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            drop(tx);
            let mut e = FieldErrors::new();
            e.add("nom", "Ce site a déjà une salle de ce nom.");
            return salles_page(&state, &ctx, &v, &e).await;
        }
        Err(err) => return Err(err.into()),
    };
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "agenda_salle", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/agenda/salles?message=cree").into_response())
}

/// Styles of the agenda pages (week grid, print layout), embedded like the main stylesheet.
pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/agenda.css"),
    )
        .into_response()
}
