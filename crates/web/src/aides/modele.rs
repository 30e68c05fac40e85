//! The notification template as the département edits it in Parcours: its source in force, a new
//! version checked against every kind of letter before it is recorded (a French message with the
//! line otherwise, what was typed kept), a preview of each letter with invented data, the history,
//! and the return to the template shipped with Parcours; the département's logo, printed on its
//! letters (checked as an image before it is recorded, withdrawn at will).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_usecases::aides as cas;
use parcours_usecases::Error as CasError;

use super::date_fr;
use super::pages::{logo_en_vigueur, modele_en_vigueur, OrigineModele};
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

/// Checks a template against every kind of letter, with the logo in force: the first error, in
/// French, with its line.
fn verifier(source: &str, logo: Option<&parcours_courrier::Image>) -> Result<(), String> {
    for (sens, libelle) in SENS {
        if let Err(e) = parcours_courrier::verifier_avec_logo(source, &exemple(sens), logo) {
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
    /// Whether a logo is in force, and the error of a refused upload.
    logo: bool,
    logo_erreur: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    saisie: Option<&str>,
    erreur: Option<String>,
) -> WebResult<Response> {
    page_logo(state, ctx, saisie, erreur, None).await
}

async fn page_logo(
    state: &AppState,
    ctx: &Ctx,
    saisie: Option<&str>,
    erreur: Option<String>,
    logo_erreur: Option<String>,
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
    let status = if errors.is_empty() && logo_erreur.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let logo = logo_en_vigueur(state, ctx.dep()).await?.is_some();
    Ok((
        status,
        render(&ModelePage {
            l: ctx.layout(),
            origine,
            source: saisie.map(str::to_string).unwrap_or(source),
            historique,
            sens: SENS.to_vec(),
            errors,
            logo,
            logo_erreur,
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
    let logo = logo_en_vigueur(&state, ctx.dep()).await?;
    let verdict = tokio::task::spawn_blocking(move || verifier(&check, logo.as_ref()))
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
    let logo = logo_en_vigueur(&state, ctx.dep()).await?;
    let pdf = tokio::task::spawn_blocking(move || {
        parcours_courrier::rendre_avec_logo(&source, &donnees, logo.as_ref())
    })
    .await
    .map_err(|e| WebError::Internal(e.into()))?
    .map_err(|e| WebError::Internal(anyhow::anyhow!("aperçu : {e}")))?;
    Ok(crate::procedures::pages::fichier(
        "application/pdf",
        &format!("apercu-notification-{sens}.pdf"),
        pdf,
    ))
}

/// The logo in force, as an image. Served with a sandboxing policy: an SVG is a document that could
/// carry a script, and this one was uploaded by a user.
pub async fn logo(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let Some(l) = logo_en_vigueur(&state, ctx.dep()).await? else {
        return Err(WebError::NotFound);
    };
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                l.format.type_mime().to_string(),
            ),
            (
                axum::http::header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; sandbox".to_string(),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_string(),
            ),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_string(),
            ),
        ],
        l.octets,
    )
        .into_response())
}

/// Records a new logo sent as `multipart/form-data` (field `fichier`): checked as an image by Typst
/// before anything is written, the French reason otherwise.
pub async fn logo_envoyer(
    State(state): State<AppState>,
    ctx: Ctx,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> WebResult<Response> {
    let Ok(envoi) = crate::pages::lire_multipart(multipart).await else {
        let m = "L'envoi a été interrompu ou le fichier dépasse la taille permise ; recommencez.";
        return page_logo(&state, &ctx, None, None, Some(m.into())).await;
    };
    let octets = envoi.fichier.map(|(_, o)| o).unwrap_or_default();
    let verdict = tokio::task::spawn_blocking(move || parcours_courrier::verifier_logo(octets))
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    let image = match verdict {
        Ok(i) => i,
        Err(m) => return page_logo(&state, &ctx, None, None, Some(m)).await,
    };
    match cas::enregistrer_logo(
        &state.store,
        &ctx.acteur(),
        Some((image.format.code(), &image.octets)),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/aides/modele-notification?message=logo#logo").into_response()),
        Err(CasError::Invalid(e)) => {
            page_logo(&state, &ctx, None, None, e.0.values().next().cloned()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Withdraws the logo: the letters are printed without one.
pub async fn logo_retirer(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    cas::enregistrer_logo(&state.store, &ctx.acteur(), None).await?;
    Ok(Redirect::to("/aides/modele-notification?message=logo_retire#logo").into_response())
}
