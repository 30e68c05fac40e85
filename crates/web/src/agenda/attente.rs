//! The waiting list: requests for an appointment that no slot could take yet.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::agenda::TypeRdv;
use parcours_domain::habilitations::policy::{allows, reaches_site, Action};
use parcours_domain::FieldErrors;
use parcours_store::agenda as store;
use parcours_store::{audit, StoreError};

use super::{
    audit_event, choix_personnes, p, perimetre, sites_options, status_of, summary, type_options,
    Choix, Params,
};
use crate::auth::Ctx;
use crate::error::{Form, Path, Query, WebError, WebResult};
use crate::pages::{self, render, Field, Layout};
use crate::AppState;

#[derive(Template)]
#[template(path = "agenda/attente.html")]
pub struct AttentePage {
    pub l: Layout,
    pub attente: Vec<store::Attente>,
    pub can_manage: bool,
    pub q: String,
    pub searched: bool,
    pub choix: Vec<Choix>,
    pub personne_error: Option<String>,
    pub fields: Vec<Field>,
    pub erreurs: Vec<(String, String, String)>,
}

async fn attente_page(
    state: &AppState,
    ctx: &Ctx,
    v: &Params,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let pr = &ctx.principal;
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let mut conn = state.store.read().await?;
    let attente =
        store::attente_list(&mut conn, ctx.dep(), perimetre(pr).as_deref(), "en_attente").await?;
    drop(conn);
    audit_event(
        state,
        ctx.dep(),
        &ctx.event("lecture", "agenda_attente", "liste")
            .details(serde_json::json!({ "nombre": attente.len() })),
    )
    .await?;
    let can_manage = allows(pr, Action::RendezVousGerer);
    let choix = if can_manage {
        choix_personnes(state, ctx, &g("q"), g("personne_id").parse().ok()).await?
    } else {
        vec![]
    };
    let fields = vec![
        Field::text("type", "Type de rendez-vous demandé", &g("type"))
            .select(pages::options("Choisir un type", type_options()))
            .required()
            .error_from(errors),
        Field::text("site_id", "Site", &g("site_id"))
            .select(pages::options(
                "Choisir un site",
                sites_options(state, pr).await?,
            ))
            .required()
            .error_from(errors),
        Field::text("motif", "Motif", &g("motif"))
            .hint("Quelques mots, sans détail confidentiel")
            .error_from(errors),
        Field::text("demande_le", "Date de la demande", &g("demande_le"))
            .hint("JJ/MM/AAAA ; vide : aujourd'hui")
            .error_from(errors),
    ];
    let mut erreurs = summary(&[&fields]);
    let personne_error = errors.get("personne_id").map(str::to_string);
    if let Some(e) = &personne_error {
        erreurs.insert(0, ("personne_id".into(), "Personne".into(), e.clone()));
    }
    let page = AttentePage {
        l: ctx.layout(),
        attente,
        can_manage,
        q: g("q"),
        searched: !g("q").trim().is_empty(),
        choix,
        personne_error,
        fields,
        erreurs,
    };
    Ok((status_of(errors), render(&page)).into_response())
}

pub async fn attente(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    attente_page(&state, &ctx, &q, &FieldErrors::new()).await
}

pub async fn attente_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let mut e = FieldErrors::new();
    let personne = p(&v, "personne_id").parse::<i64>().ok();
    if personne.is_none() {
        e.add(
            "personne_id",
            "Choisissez la personne (recherchez-la par son nom).",
        );
    }
    let t = TypeRdv::parse(p(&v, "type"));
    if t.is_none() {
        e.add("type", "Choisissez le type de rendez-vous demandé.");
    }
    let site = p(&v, "site_id")
        .parse::<i64>()
        .ok()
        .filter(|s| reaches_site(&ctx.principal, Some(*s)));
    if site.is_none() {
        e.add("site_id", "Choisissez un site de votre périmètre.");
    }
    let mut fe = FieldErrors::new();
    let motif = parcours_domain::validation::optional_text(
        &mut fe,
        "motif",
        "Le motif",
        p(&v, "motif"),
        200,
    );
    let demande = match p(&v, "demande_le").trim() {
        "" => Some(parcours_store::clock().today()),
        d => parcours_domain::agenda::parse_date(d),
    };
    if demande.is_none() {
        e.add("demande_le", "La date de la demande s'écrit JJ/MM/AAAA.");
    }
    for (k, m) in fe.0 {
        e.add(&k, m);
    }
    let (Some(personne), Some(t), Some(site), Some(demande), true) =
        (personne, t, site, demande, e.is_empty())
    else {
        return attente_page(&state, &ctx, &v, &e).await;
    };
    let mut tx = state.store.begin().await?;
    let id = match store::attente_create(
        &mut tx,
        ctx.dep(),
        personne,
        t,
        site,
        motif.as_deref(),
        demande,
        ctx.principal.agent_id,
    )
    .await
    {
        Ok(id) => id,
        Err(StoreError::Reference) => {
            drop(tx);
            let mut e = FieldErrors::new();
            e.add("personne_id", "Personne inconnue dans ce département.");
            return attente_page(&state, &ctx, &v, &e).await;
        }
        Err(err) => return Err(err.into()),
    };
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "agenda_attente", id)
            .details(serde_json::json!({ "personne_id": personne })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/rendez-vous/attente?message=cree").into_response())
}

pub async fn attente_retirer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let (_, site, _, _) = store::attente_get(&mut conn, ctx.dep(), id).await?;
    drop(conn);
    if !reaches_site(&ctx.principal, Some(site)) {
        return Err(WebError::NotFound);
    }
    let mut tx = state.store.begin().await?;
    if let Err(StoreError::Conflict(_)) = store::attente_retirer(&mut tx, ctx.dep(), id).await {
        return Err(WebError::Conflict(
            "cette demande n'est plus en attente".into(),
        ));
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("retrait", "agenda_attente", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/rendez-vous/attente?message=modifie").into_response())
}
