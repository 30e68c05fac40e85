//! Exceptional accesses (« accès motivé »): the request of an agent outside the secret partagé, and the
//! cadre's view of them.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::dossiers::secret::peut_demander_acces_motive;
use parcours_domain::dossiers::{AccesMotiveForm, NewAccesMotive};
use parcours_domain::habilitations::Role;
use parcours_domain::FieldErrors;
use parcours_store::{audit, dossiers as store, personnes};

use crate::auth::Ctx;
use crate::error::{Form, Path, WebError, WebResult};
use crate::pages::{render, Field, FormPage, Layout};
use crate::AppState;

fn acces_page(
    ctx: &Ctx,
    personne_id: i64,
    v: &AccesMotiveForm,
    errors: &FieldErrors,
    heures: u32,
) -> Response {
    let page = FormPage {
        liens: vec![],
        l: ctx.layout(),
        title: "Ouvrir un accès motivé".into(),
        intro: Some(format!(
            "Cette personne est hors de votre périmètre. Un accès motivé vous ouvre pendant {heures} heures sa fiche et ce qui est partagé avec les services de ses dossiers — jamais les notes personnelles ni les écrits adressés à d'autres agents. Il est journalisé avec son motif et signalé à votre cadre."
        )),
        action: format!("/personnes/{personne_id}/acces-motive"),
        fields: vec![Field::text("motif", "Motif", &v.motif)
            .kind("textarea")
            .required()
            .hint("Pourquoi cet accès est nécessaire maintenant (urgence, continuité de l'accompagnement…).")
            .error_from(errors)],
        submit: "Ouvrir l'accès".into(),
        cancel: Some("/personnes".into()),
        multipart: false,
        buttons: vec![],
        details: vec![],
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, render(&page)).into_response()
}

pub async fn acces_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(personne_id): Path<i64>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    personnes::get(&mut conn, ctx.dep(), personne_id).await?;
    Ok(acces_page(
        &ctx,
        personne_id,
        &AccesMotiveForm::default(),
        &FieldErrors::new(),
        state.settings.acces_motive_heures,
    ))
}

pub async fn acces_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(personne_id): Path<i64>,
    Form(f): Form<AccesMotiveForm>,
) -> WebResult<Response> {
    if !peut_demander_acces_motive(ctx.principal.role) {
        return Err(WebError::Forbidden);
    }
    let a = match NewAccesMotive::parse(
        &f,
        parcours_store::clock().now(),
        state.settings.acces_motive_heures,
    ) {
        Ok(a) => a,
        Err(e) => {
            return Ok(acces_page(
                &ctx,
                personne_id,
                &f,
                &e.0,
                state.settings.acces_motive_heures,
            ))
        }
    };
    let me = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let mut tx = state.store.begin().await?;
    personnes::get(&mut tx, ctx.dep(), personne_id).await?;
    let aid = store::acces_motive_create(&mut tx, ctx.dep(), me, personne_id, &a).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("acces_motive", "personne", personne_id)
            .purpose(a.motif.clone())
            .details(
                serde_json::json!({ "acces": aid, "fin": parcours_store::format_time(a.fin) }),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/personnes/{personne_id}")).into_response())
}

#[derive(Template)]
#[template(path = "dossiers/acces_motives.html")]
pub struct AccesListPage {
    pub l: Layout,
    pub acces: Vec<store::AccesMotive>,
}

/// The cadre's view: the exceptional accesses taken by the agents of their sites.
pub async fn acces_list(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    // The cadre sees the agents of their sites; the DPO and the central team the département.
    let sites = (!matches!(ctx.principal.role, Role::EquipeCentrale | Role::Dpo))
        .then_some(ctx.principal.site_ids.as_slice());
    let mut tx = state.store.begin().await?;
    let mut acces = store::acces_motives(&mut tx, ctx.dep(), sites, 200).await?;
    // The register names persons: its read is audited.
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "acces_motives", "*")
            .purpose("contrôle des accès exceptionnels")
            .details(
                serde_json::json!({ "acces": acces.iter().map(|a| a.id).collect::<Vec<_>>() }),
            ),
    )
    .await?;
    tx.commit().await?;
    // Stored in UTC: shown in the département's time.
    let local = |t: &str| match parcours_store::parse_time(t) {
        Some(t) => parcours_store::clock()
            .civil(t)
            .format("%d/%m/%Y à %H:%M")
            .to_string(),
        None => t.to_string(),
    };
    for a in &mut acces {
        a.debut = local(&a.debut);
        a.fin = local(&a.fin);
    }
    Ok(render(&AccesListPage {
        l: ctx.layout(),
        acces,
    }))
}
