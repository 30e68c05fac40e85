//! Documents of a dossier in the browser: upload and download, under the secret partagé.

use std::collections::BTreeMap;

use axum::extract::{Multipart, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::dossiers::DocumentForm;
use parcours_domain::FieldErrors;

use super::pages::{dossier_page, Saisie};
use crate::auth::Ctx;
use crate::error::{Path, WebResult};
use crate::AppState;
use parcours_usecases::dossiers::Fichier;
use parcours_usecases::Canal;

pub async fn document_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> WebResult<Response> {
    let envoi = crate::pages::lire_multipart(multipart).await;
    let broken = envoi.is_err();
    let envoi = envoi.unwrap_or_else(|partiel| partiel);
    let values: BTreeMap<String, String> = envoi.valeurs;
    let file = envoi.fichier;
    let g = |k: &str| values.get(k).cloned().unwrap_or_default();
    if broken {
        let mut errors = FieldErrors::new();
        errors.add(
            "fichier",
            "L'envoi a été interrompu ou le fichier dépasse la taille permise ; recommencez.",
        );
        return dossier_page(
            &state,
            &ctx,
            id,
            Saisie {
                form: "document",
                values,
                errors,
            },
        )
        .await;
    }
    let (nom, contenu) = file.unwrap_or_default();
    let form = DocumentForm {
        type_document: g("type_document"),
        visibilite: g("doc_visibilite"),
        base_legale: g("doc_base_legale"),
    };
    match parcours_usecases::dossiers::deposer_document(
        &state.store,
        &ctx.acteur(),
        id,
        &form,
        Fichier { nom, contenu },
        state.settings.document_taille_max,
        Canal::Page,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/dossiers/{id}?message=cree#journal")).into_response()),
        Err(parcours_usecases::Error::Invalid(e)) => {
            // Field names of the form are prefixed for the document part of the page.
            let mut errors = FieldErrors::new();
            for (k, m) in e.0 {
                let k = match k.as_str() {
                    "visibilite" => "doc_visibilite".to_string(),
                    "base_legale" => "doc_base_legale".to_string(),
                    _ => k,
                };
                errors.add(&k, m);
            }
            dossier_page(
                &state,
                &ctx,
                id,
                Saisie {
                    form: "document",
                    values,
                    errors,
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn document_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, did)): Path<(i64, i64)>,
) -> WebResult<Response> {
    let (doc, bytes) =
        parcours_usecases::dossiers::document(&state.store, &ctx.acteur(), id, did, Canal::Page)
            .await?;
    let disposition = format!(
        "attachment; filename=\"document-{did}\"; filename*=UTF-8''{}",
        crate::pages::enc(&doc.nom_fichier).replace('+', "%20")
    );
    Ok((
        [
            (header::CONTENT_TYPE, doc.mime),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
