//! The desk log in `/api/v1`: the contacts of a site and a day, recording a contact, and their utoipa
//! types.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use chrono::NaiveDate;
use parcours_domain::accueil::ContactForm;
use parcours_domain::agenda::heure;
use parcours_domain::habilitations::policy::reaches_site;
use parcours_domain::FieldErrors;
use parcours_store::accueil as store;
use parcours_store::audit;

use super::{record, PAR_PAGE};
use crate::auth::ApiCtx;
use crate::error::{ApiError, ApiResult, Json, Query, WebError};
use crate::AppState;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ContactOut {
    pub id: i64,
    /// Heure civile du département, AAAA-MM-JJTHH:MM.
    pub moment: String,
    /// visite, telephone, courrier ou courriel
    pub canal: String,
    pub site_id: i64,
    pub permanence: Option<String>,
    pub personne_id: Option<i64>,
    pub typologie: String,
    /// Le motif du département choisi, s'il y en a un.
    pub motif: Option<String>,
    pub reponse: String,
    pub partenaire: Option<String>,
    pub attente_minutes: Option<i64>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ContactsPage {
    pub total: i64,
    pub page: i64,
    pub par_page: i64,
    pub contacts: Vec<ContactOut>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactsQuery {
    /// Identifiant du site (MDS).
    pub site: i64,
    /// Jour, AAAA-MM-JJ (par défaut : aujourd'hui).
    pub date: Option<String>,
    pub page: Option<i64>,
}

fn invalid(field: &str, message: &str) -> ApiError {
    let mut e = FieldErrors::new();
    e.add(field, message);
    ApiError::invalid(e)
}

#[utoipa::path(get, tag = "crate::accueil", operation_id = "contacts_lister", path = "/api/v1/accueil/contacts", params(ContactsQuery), responses((status = 200, body = ContactsPage), (status = 404, body = crate::api::Problem, content_type = "application/problem+json"), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_list(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<ContactsQuery>,
) -> ApiResult<AxumJson<ContactsPage>> {
    if !reaches_site(&ctx.principal, Some(q.site)) {
        return Err(WebError::NotFound.into());
    }
    let date = match q.date.as_deref().map(str::trim) {
        None | Some("") => parcours_store::clock().today(),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| invalid("date", "Date attendue au format AAAA-MM-JJ."))?,
    };
    let page = q.page.unwrap_or(1);
    if page < 1 {
        return Err(invalid("page", "La page commence à 1."));
    }
    let mut conn = state.store.read().await?;
    let (contacts, total) = store::jour(
        &mut conn,
        ctx.dep(),
        q.site,
        date,
        PAR_PAGE,
        (page - 1) * PAR_PAGE,
    )
    .await?;
    drop(conn);
    let mut tx = state.store.begin().await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "accueil_contacts", q.site)
            .details(serde_json::json!({
                "date": date.to_string(),
                "page": page,
                "contacts": contacts.iter().map(|c| c.id).collect::<Vec<_>>(),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(AxumJson(ContactsPage {
        total,
        page,
        par_page: PAR_PAGE,
        contacts: contacts
            .into_iter()
            .map(|c| ContactOut {
                id: c.id,
                moment: heure::format(c.moment),
                canal: c.canal.code().into(),
                site_id: c.site_id,
                permanence: c.permanence,
                personne_id: c.personne_id,
                typologie: c.typologie.code().into(),
                motif: c.motif,
                reponse: c.reponse.code().into(),
                partenaire: c.partenaire,
                attente_minutes: c.attente_minutes,
            })
            .collect(),
    }))
}

/// A contact sent by a program (a telephony platform, another desk tool).
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct ContactInput {
    /// visite, telephone, courrier ou courriel
    pub canal: String,
    /// Heure civile, AAAA-MM-JJTHH:MM (par défaut : maintenant).
    pub moment: Option<String>,
    /// « site-3 » ou « permanence-7 »
    pub lieu: String,
    pub personne_id: Option<i64>,
    /// financier, acces_droits, logement, famille_enfance, insertion_emploi, sante, autonomie,
    /// administratif, autre ; ou un motif du département, « motif-12 »
    pub typologie: String,
    /// information, aide_administrative, orientation, rendez_vous, urgence, appui_technique
    pub reponse: String,
    pub partenaire: Option<String>,
    pub attente_minutes: Option<i64>,
    /// Pour un appui technique : orientation_difficile, acces_droits, urgence, agressivite,
    /// evaluation, autre
    pub motif_appui: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ContactCree {
    pub id: i64,
}

#[utoipa::path(post, tag = "crate::accueil", operation_id = "contact_creer", path = "/api/v1/accueil/contacts", request_body = ContactInput, responses((status = 201, body = ContactCree), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Json(input): Json<ContactInput>,
) -> ApiResult<Response> {
    let moment = match input.moment.as_deref().map(str::trim) {
        None | Some("") => parcours_store::clock().maintenant(),
        Some(m) => heure::parse(m)
            .ok_or_else(|| invalid("moment", "Heure attendue au format AAAA-MM-JJTHH:MM."))?,
    };
    let f = ContactForm {
        canal: input.canal,
        date: moment.format("%d/%m/%Y").to_string(),
        heure: moment.format("%H:%M").to_string(),
        lieu: input.lieu,
        personne_id: input.personne_id.map(|p| p.to_string()).unwrap_or_default(),
        typologie: input.typologie,
        reponse: input.reponse,
        partenaire: input.partenaire.unwrap_or_default(),
        attente: input
            .attente_minutes
            .map(|m| m.to_string())
            .unwrap_or_default(),
        motif_appui: input.motif_appui.unwrap_or_default(),
    };
    let ev = |kind: &str, id: i64| ctx.event("creation", kind, id);
    match record(&state, &ctx.principal, ev, &f).await? {
        Ok(id) => Ok((StatusCode::CREATED, AxumJson(ContactCree { id })).into_response()),
        Err(e) => Err(ApiError::invalid(e)),
    }
}
