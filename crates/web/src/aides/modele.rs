//! The notification template as the département edits it in Parcours: its source in force, a new
//! version checked against every kind of letter before it is recorded (a French message with the
//! line otherwise, what was typed kept), a preview of each letter with invented data, the history,
//! and the return to the template shipped with Parcours.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_usecases::aides as cas;
use parcours_usecases::Error as CasError;

use super::date_fr;
use super::pages::{modele_en_vigueur, OrigineModele};
use crate::auth::Ctx;
use crate::error::{Form, Query, WebError, WebResult};
use crate::pages::{render, Layout};
use crate::AppState;

/// The kinds of letters the template must produce.
const SENS: [(&str, &str); 4] = [
    ("accord", "accord"),
    ("accord_partiel", "accord partiel"),
    ("refus", "refus"),
    ("ajournement", "ajournement"),
];

fn exemple(sens: &str) -> serde_json::Value {
    let mut ex = parcours_courrier::exemple_notification_aide();
    ex["decision"]["sens"] = serde_json::Value::String(sens.to_string());
    ex
}

/// Checks a template against every kind of letter: the first error, in French, with its line.
fn verifier(source: &str) -> Result<(), String> {
    for (sens, libelle) in SENS {
        if let Err(e) = parcours_courrier::verifier(source, &exemple(sens)) {
            return Err(format!("{e} (lettre de {libelle})."));
        }
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "aides/modele.html")]
struct ModelePage {
    l: Layout,
    origine: String,
    source: String,
    historique: Vec<(String, String)>,
    sens: Vec<(&'static str, &'static str)>,
    errors: Vec<(String, String)>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    saisie: Option<&str>,
    erreur: Option<String>,
) -> WebResult<Response> {
    let (source, origine) = modele_en_vigueur(state, ctx.dep()).await?;
    let origine = match origine {
        OrigineModele::Version(m) => format!(
            "la version enregistrée le {}{}",
            date_fr(&m.created_at),
            m.auteur.map(|a| format!(" par {a}")).unwrap_or_default()
        ),
        OrigineModele::Fichier(f) => {
            format!("le fichier du réglage PARCOURS_MODELE_NOTIFICATION_AIDE ({f})")
        }
        OrigineModele::Fourni => "le modèle fourni avec Parcours".into(),
    };
    let historique = {
        let mut conn = state.store.read().await?;
        parcours_store::aides::modeles(&mut conn, ctx.dep(), cas::MODELE_NOTIFICATION)
            .await?
            .into_iter()
            .map(|m| (date_fr(&m.created_at), m.auteur.unwrap_or_default()))
            .collect()
    };
    let errors: Vec<(String, String)> = erreur
        .into_iter()
        .map(|m| ("source".to_string(), m))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        render(&ModelePage {
            l: ctx.layout(),
            origine,
            source: saisie.map(str::to_string).unwrap_or(source),
            historique,
            sens: SENS.to_vec(),
            errors,
        }),
    )
        .into_response())
}

pub async fn modele(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    page(&state, &ctx, None, None).await
}

pub async fn enregistrer(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let source = if v.contains_key("fourni") {
        parcours_courrier::MODELE_NOTIFICATION_AIDE.to_string()
    } else {
        v.get("source").cloned().unwrap_or_default()
    };
    let check = source.clone();
    let verdict = tokio::task::spawn_blocking(move || verifier(&check))
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    if let Err(m) = verdict {
        return page(&state, &ctx, Some(&source), Some(m)).await;
    }
    match cas::enregistrer_modele(
        &state.store,
        &ctx.acteur(),
        cas::MODELE_NOTIFICATION,
        &source,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/aides/modele-notification?message=modifie").into_response()),
        Err(CasError::Invalid(e)) => {
            page(&state, &ctx, Some(&source), e.0.values().next().cloned()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ApercuQuery {
    #[serde(default)]
    sens: String,
}

/// A letter of the template in force with invented data.
pub async fn apercu(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ApercuQuery>,
) -> WebResult<Response> {
    let Some((sens, _)) = SENS.iter().find(|(s, _)| *s == q.sens) else {
        return Err(WebError::BadRequest("sens de décision inconnu".into()));
    };
    let (source, _) = modele_en_vigueur(&state, ctx.dep()).await?;
    let donnees = exemple(sens);
    let pdf = tokio::task::spawn_blocking(move || parcours_courrier::rendre(&source, &donnees))
        .await
        .map_err(|e| WebError::Internal(e.into()))?
        .map_err(|e| WebError::Internal(anyhow::anyhow!("aperçu : {e}")))?;
    Ok(crate::procedures::pages::fichier(
        "application/pdf",
        &format!("apercu-notification-{sens}.pdf"),
        pdf,
    ))
}
