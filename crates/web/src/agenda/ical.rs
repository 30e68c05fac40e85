//! The iCal feed of an agent's agenda: a secret URL made or revoked by whoever manages the agenda, and
//! the public feed it serves.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use parcours_domain::agenda::ical::{self, Evenement};
use parcours_domain::FieldErrors;
use parcours_store::agenda::{self as store};
use parcours_store::audit;

use super::agendas::{managed_agent, monday_of, semaine_page};
use super::Params;
use crate::auth::{random_token, Ctx};
use crate::error::{Path, WebError, WebResult};
use crate::AppState;

/// The feed secret is stored hashed, like session tokens.
fn ical_hash(secret: &str) -> String {
    parcours_store::sessions::hash_token(secret)
}

/// Makes a new secret feed URL (the previous one stops working); the URL is shown once.
pub async fn ical_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    managed_agent(&state, &ctx, id).await?;
    let secret = random_token();
    let mut tx = state.store.begin().await?;
    store::ical_set(&mut tx, ctx.dep(), id, Some(&ical_hash(&secret))).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("ical_creation", "agenda", id),
    )
    .await?;
    tx.commit().await?;
    let base = state
        .settings
        .oidc
        .as_ref()
        .map(|o| o.public_url.as_str().trim_end_matches('/').to_string())
        .unwrap_or_default();
    let url = format!("{base}/agenda/ical/{secret}.ics");
    semaine_page(
        &state,
        &ctx,
        id,
        monday_of(&Params::new()),
        &Params::new(),
        &FieldErrors::new(),
        Some(url),
    )
    .await
}

pub async fn ical_revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    managed_agent(&state, &ctx, id).await?;
    let mut tx = state.store.begin().await?;
    store::ical_set(&mut tx, ctx.dep(), id, None).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("ical_revocation", "agenda", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/agenda/agents/{id}?message=revoque")).into_response())
}

/// The feed: public route, the secret in the URL is the credential. It names no person.
pub async fn ical_feed(
    State(state): State<AppState>,
    Path(jeton): Path<String>,
) -> WebResult<Response> {
    let secret = jeton.trim_end_matches(".ics");
    if secret.len() < 20 {
        return Err(WebError::NotFound);
    }
    let mut conn = state.store.read().await?;
    let Some((dep, agent_id)) = store::ical_agent(&mut conn, &ical_hash(secret)).await? else {
        return Err(WebError::NotFound);
    };
    let now = parcours_store::clock().maintenant();
    let (rdvs, sessions) = store::agenda_agent(
        &mut conn,
        &dep,
        agent_id,
        now - Duration::days(30),
        now + Duration::days(180),
    )
    .await?;
    drop(conn);
    let mut evts: Vec<Evenement> = rdvs
        .iter()
        .map(|r| Evenement {
            uid: format!("rdv-{}-{}@parcours", dep, r.id),
            debut: parcours_store::clock().utc(r.debut),
            fin: parcours_store::clock().utc(r.fin),
            resume: format!("Rendez-vous : {}", r.type_rdv.libelle()),
            lieu: r.lieu.clone(),
            url: None,
            annule: !r.statut.occupe(),
        })
        .collect();
    evts.extend(sessions.iter().map(|s| Evenement {
        uid: format!("session-{}-{}@parcours", dep, s.id),
        debut: parcours_store::clock().utc(s.debut),
        fin: parcours_store::clock().utc(s.fin),
        resume: format!("Action collective : {}", s.titre),
        lieu: s.site.clone(),
        url: None,
        annule: false,
    }));
    let body = ical::calendrier("Agenda Parcours", &evts, parcours_store::clock().now());
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        body,
    )
        .into_response())
}
