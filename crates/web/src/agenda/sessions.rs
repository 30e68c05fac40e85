//! Collective sessions (« actions collectives ») and the registration of persons to them.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::agenda::NewSession;
use parcours_domain::habilitations::policy::{allows, reaches_site, Action};
use parcours_domain::FieldErrors;
use parcours_store::agenda::{self as store, ReservationError};
use parcours_store::audit;

use super::{
    agents_options, audit_event, choix_personnes, p, perimetre, sites_options, status_of, summary,
    Choix, Params,
};
use crate::auth::Ctx;
use crate::error::{Form, Path, Query, WebError, WebResult};
use crate::pages::{self, render, Field, Layout};
use crate::AppState;

#[derive(Template)]
#[template(path = "agenda/sessions.html")]
pub struct SessionsPage {
    pub l: Layout,
    pub sessions: Vec<store::Session>,
    pub can_manage: bool,
    pub fields: Vec<Field>,
    pub erreurs: Vec<(String, String, String)>,
}

async fn sessions_page(
    state: &AppState,
    ctx: &Ctx,
    v: &Params,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let pr = &ctx.principal;
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let mut conn = state.store.read().await?;
    let sessions = store::sessions(
        &mut conn,
        ctx.dep(),
        perimetre(pr).as_deref(),
        parcours_store::clock().today(),
    )
    .await?;
    let salles = store::salles(&mut conn, ctx.dep(), perimetre(pr).as_deref()).await?;
    drop(conn);
    let fields = vec![
        Field::text("titre", "Titre", &g("titre"))
            .hint("Par exemple « Atelier budget » ou « Groupe parentalité »")
            .required()
            .error_from(errors),
        Field::text("site_id", "Site", &g("site_id"))
            .select(pages::options(
                "Choisir un site",
                sites_options(state, pr).await?,
            ))
            .required()
            .error_from(errors),
        Field::text("salle_id", "Salle", &g("salle_id"))
            .select(pages::options(
                "Sans salle réservée",
                salles.iter().map(|s| {
                    (
                        s.id.to_string(),
                        format!("{} ({} places)", s.nom, s.capacite),
                    )
                }),
            ))
            .error_from(errors),
        Field::text("animateur_id", "Animé par", &g("animateur_id"))
            .select(pages::options(
                "Choisir un agent",
                agents_options(state, pr).await?,
            ))
            .required()
            .error_from(errors),
        Field::text("date", "Date", &g("date"))
            .hint("JJ/MM/AAAA")
            .required()
            .error_from(errors),
        Field::text("heure_debut", "Début", &g("heure_debut"))
            .hint("HH:MM")
            .required()
            .error_from(errors),
        Field::text("heure_fin", "Fin", &g("heure_fin"))
            .hint("HH:MM")
            .required()
            .error_from(errors),
        Field::text("capacite", "Nombre de places", &g("capacite"))
            .kind("number")
            .required()
            .error_from(errors),
    ];
    let erreurs = summary(&[&fields]);
    let page = SessionsPage {
        l: ctx.layout(),
        sessions,
        can_manage: allows(pr, Action::AgendaGerer),
        fields,
        erreurs,
    };
    Ok((status_of(errors), render(&page)).into_response())
}

pub async fn sessions(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    sessions_page(&state, &ctx, &Params::new(), &FieldErrors::new()).await
}

pub async fn session_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let parsed = match NewSession::parse(
        p(&v, "titre"),
        p(&v, "site_id"),
        p(&v, "salle_id"),
        p(&v, "animateur_id"),
        p(&v, "date"),
        p(&v, "heure_debut"),
        p(&v, "heure_fin"),
        p(&v, "capacite"),
        parcours_store::clock().maintenant(),
    ) {
        Ok(x) => x,
        Err(e) => return sessions_page(&state, &ctx, &v, &e.0).await,
    };
    if !reaches_site(&ctx.principal, Some(parsed.site_id)) {
        let mut e = FieldErrors::new();
        e.add("site_id", "Choisissez un site de votre périmètre.");
        return sessions_page(&state, &ctx, &v, &e).await;
    }
    let mut tx = state.store.begin().await?;
    match store::session_create(&mut tx, ctx.dep(), &parsed, ctx.principal.agent_id).await {
        Ok(id) => {
            audit::append(
                &mut tx,
                ctx.dep(),
                &ctx.event("creation", "action_collective", id),
            )
            .await?;
            tx.commit().await?;
            Ok(Redirect::to(&format!("/actions-collectives/{id}?message=cree")).into_response())
        }
        Err(ReservationError::Regle(e)) => {
            drop(tx);
            sessions_page(&state, &ctx, &v, &e.0).await
        }
        Err(ReservationError::Store(e)) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "agenda/session.html")]
pub struct SessionPage {
    pub l: Layout,
    pub s: store::Session,
    pub participants: Vec<(i64, String)>,
    pub can_register: bool,
    pub q: String,
    pub searched: bool,
    pub choix: Vec<Choix>,
    pub personne_error: Option<String>,
}

async fn session_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    v: &Params,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let pr = &ctx.principal;
    let mut conn = state.store.read().await?;
    let s = store::session_get(&mut conn, ctx.dep(), id).await?;
    if !reaches_site(pr, Some(s.site_id)) {
        return Err(WebError::NotFound);
    }
    let participants = store::participants(&mut conn, ctx.dep(), id).await?;
    drop(conn);
    audit_event(
        state,
        ctx.dep(),
        &ctx.event("lecture", "action_collective", id)
            .details(serde_json::json!({ "participants": participants.len() })),
    )
    .await?;
    let can_register = allows(pr, Action::RendezVousGerer);
    let q = v.get("q").cloned().unwrap_or_default();
    let choix = if can_register {
        choix_personnes(
            state,
            ctx,
            &q,
            v.get("personne_id").and_then(|x| x.parse().ok()),
        )
        .await?
    } else {
        vec![]
    };
    let page = SessionPage {
        l: ctx.layout(),
        s,
        participants,
        can_register,
        searched: !q.trim().is_empty(),
        q,
        choix,
        personne_error: errors.get("personne_id").map(str::to_string),
    };
    Ok((status_of(errors), render(&page)).into_response())
}

pub async fn session(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    session_page(&state, &ctx, id, &q, &FieldErrors::new()).await
}

pub async fn session_register(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let s = store::session_get(&mut conn, ctx.dep(), id).await?;
    drop(conn);
    if !reaches_site(&ctx.principal, Some(s.site_id)) {
        return Err(WebError::NotFound);
    }
    let Some(personne) = p(&v, "personne_id").parse::<i64>().ok() else {
        let mut e = FieldErrors::new();
        e.add(
            "personne_id",
            "Choisissez la personne à inscrire (recherchez-la par son nom).",
        );
        return session_page(&state, &ctx, id, &v, &e).await;
    };
    let mut tx = state.store.begin().await?;
    match store::session_inscrire(&mut tx, ctx.dep(), id, personne).await {
        Ok(()) => {
            audit::append(
                &mut tx,
                ctx.dep(),
                &ctx.event("inscription", "action_collective", id)
                    .details(serde_json::json!({ "personne_id": personne })),
            )
            .await?;
            tx.commit().await?;
            Ok(Redirect::to(&format!("/actions-collectives/{id}?message=modifie")).into_response())
        }
        Err(ReservationError::Regle(e)) => {
            drop(tx);
            session_page(&state, &ctx, id, &v, &e.0).await
        }
        Err(ReservationError::Store(e)) => Err(e.into()),
    }
}
