//! The register of prepaid payment cards in the web: the list with its filters, the form of a new
//! card (the person chosen by name, or a foster carer), a card with its loads and its block, and the
//! `/api/v1/aides/cartes` operations — the same use cases for the pages and the API.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json as AxumJson;
use parcours_domain::aides::carte::{CarteForm, StatutCarte, Titulaire};
use parcours_domain::FieldErrors;
use parcours_store::aides::cartes::{Carte, Filtre};
use parcours_usecases::aides::cartes as cas;
use parcours_usecases::{Canal, Error as CasError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{date_fr, eur};
use crate::api::Problem;
use crate::auth::{ApiCtx, Ctx};
use crate::error::{ApiPath, ApiResult, Json, WebResult};
use crate::pages::Layout;
use crate::pages::{
    enc, options, page_number, render, Cell, Column, Field, FormPage, Pagination, TablePage,
};
use crate::AppState;

#[derive(Deserialize, Default)]
pub struct RegistreQuery {
    #[serde(default)]
    statut: String,
    #[serde(default)]
    nom: String,
    page: Option<String>,
}

fn titulaire_lisible(c: &Carte) -> String {
    match c.titulaire {
        Titulaire::Personne => c.titulaire_nom.clone(),
        Titulaire::AssistantFamilial => format!(
            "{} (assistant familial, agrément {})",
            c.titulaire_nom,
            c.agrement.as_deref().unwrap_or("—")
        ),
    }
}

pub async fn registre(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<RegistreQuery>,
) -> WebResult<Response> {
    let page = page_number(q.page.as_deref());
    let filtre = Filtre {
        statut: StatutCarte::parse(&q.statut),
        nom: Some(q.nom.trim().to_string()).filter(|s| !s.is_empty()),
    };
    let (cartes, total) =
        cas::registre(&state.store, &ctx.acteur(), &filtre, page, Canal::Page).await?;
    let base = format!(
        "/aides/cartes?statut={}&nom={}",
        enc(&q.statut),
        enc(q.nom.trim())
    );
    let rows = cartes
        .iter()
        .map(|c| {
            vec![
                Cell::link(
                    c.reference
                        .clone()
                        .unwrap_or_else(|| format!("Demande n° {}", c.id)),
                    format!("/aides/cartes/{}", c.id),
                ),
                Cell::text(titulaire_lisible(c)),
                Cell::text(c.statut.libelle()),
                Cell::text(c.site.clone()),
                Cell::text(date_fr(&c.demandee_le)),
                Cell::text(eur(c.charge)),
            ]
        })
        .collect();
    let page_ = TablePage {
        l: ctx.layout(),
        title: "Cartes de paiement".into(),
        intro: Some("Les cartes créditées par le département : une par personne accompagnée ou par assistant familial, émises par le prestataire de paiement. Une demande d'aide payée par carte charge une carte active de ce registre ; une carte perdue ou volée se bloque ici, et plus rien ne lui est envoyé.".into()),
        actions: vec![("/aides/cartes/nouvelle".into(), "Demander une carte".into())],
        filters: vec![
            Field::text("statut", "État", &q.statut).select(options(
                "Tous",
                StatutCarte::ALL
                    .iter()
                    .map(|s| (s.code().to_string(), s.libelle().to_string())),
            )),
            Field::text("nom", "Titulaire (partie du nom)", &q.nom),
        ],
        filter_action: "/aides/cartes".into(),
        columns: ["Carte", "Titulaire", "État", "MDS", "Demandée le", "Chargé par Parcours"]
            .iter()
            .map(|c| Column::plain(c))
            .collect(),
        rows,
        pagination: Some(Pagination::new(&base, page, cas::PAR_PAGE, total)),
        caption: "Registre des cartes de paiement".into(),
        empty: "Aucune carte ne correspond.".into(),
    };
    Ok(render(&page_))
}

async fn nouvelle_page(
    state: &AppState,
    ctx: &Ctx,
    v: &BTreeMap<String, String>,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let personnes = crate::choix::personnes(state, ctx, v, "personne_id", "cartes").await?;
    let sites: Vec<(String, String)> = state
        .sites_atteints(&ctx.principal)
        .await?
        .into_iter()
        .map(|(id, nom)| (id.to_string(), nom))
        .collect();
    let site = if g("site_id").is_empty() && sites.len() == 1 {
        sites[0].0.clone()
    } else {
        g("site_id")
    };
    let fields = vec![
        Field::text("titulaire", "Titulaire de la carte", &g("titulaire"))
            .select(options(
                "Choisir",
                [Titulaire::Personne, Titulaire::AssistantFamilial]
                    .iter()
                    .map(|t| (t.code().to_string(), t.libelle().to_string())),
            ))
            .required()
            .error_from(errors),
        Field::text("personne_id", "Personne accompagnée", "")
            .kind("choix")
            .choix(personnes)
            .hint("Pour une carte à une personne : cherchez-la par son nom, puis cochez-la.")
            .error_from(errors),
        Field::text("prenom", "Prénom de l'assistant familial", &g("prenom"))
            .hint("Pour une carte à un assistant familial seulement.")
            .autocomplete("off")
            .error_from(errors),
        Field::text("nom", "Nom de l'assistant familial", &g("nom"))
            .autocomplete("off")
            .error_from(errors),
        Field::text("agrement", "Numéro d'agrément", &g("agrement"))
            .hint("Celui de l'arrêté d'agrément, par exemple AF-2021/117.")
            .autocomplete("off")
            .error_from(errors),
        Field::text("site_id", "MDS qui gère la carte", &site)
            .select(options("Choisir la MDS", sites))
            .required()
            .error_from(errors),
    ];
    let page = FormPage {
        l: ctx.layout(),
        title: "Demander une carte de paiement".into(),
        intro: Some("La carte est demandée au prestataire dès l'enregistrement ; elle devient active quand il l'a émise. Un titulaire n'a qu'une carte en service : bloquez d'abord une carte perdue.".into()),
        action: "/aides/cartes".into(),
        fields,
        submit: "Demander la carte".into(),
        cancel: Some("/aides/cartes".into()),
        multipart: false,
        buttons: vec![],
        details: vec![],
        liens: vec![],
    };
    let status = if page.summary().is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)).into_response())
}

pub async fn nouvelle(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    nouvelle_page(&state, &ctx, &BTreeMap::new(), &FieldErrors::new()).await
}

pub async fn emettre(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let v = crate::choix::valeurs(pairs);
    if crate::choix::recherche_demandee(&v) {
        return nouvelle_page(&state, &ctx, &v, &FieldErrors::new()).await;
    }
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let f = CarteForm {
        titulaire: g("titulaire"),
        personne_id: g("personne_id"),
        nom: g("nom"),
        prenom: g("prenom"),
        agrement: g("agrement"),
        site_id: g("site_id"),
    };
    match cas::emettre(&state.store, &ctx.acteur(), &f, Canal::Page).await {
        Ok(id) => {
            Ok(Redirect::to(&format!("/aides/cartes/{id}?message=carte_demandee")).into_response())
        }
        Err(CasError::Invalid(e)) => nouvelle_page(&state, &ctx, &v, &e).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "aides/carte.html")]
struct CartePage {
    l: Layout,
    c: Carte,
    titulaire: String,
    details: Vec<(String, String)>,
    chargements: Vec<(i64, i64, String, String, String, String)>,
    peut_bloquer: bool,
    motif: String,
    erreur: Option<String>,
}

async fn carte_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    motif: &str,
    erreur: Option<String>,
) -> WebResult<Response> {
    let (c, chargements) = cas::lire(&state.store, &ctx.acteur(), id, Canal::Page).await?;
    let mut details = vec![
        (
            "Référence chez le prestataire".to_string(),
            c.reference
                .clone()
                .unwrap_or_else(|| "pas encore émise".into()),
        ),
        ("État".into(), c.statut.libelle().into()),
        ("MDS".into(), c.site.clone()),
        (
            "Demandée".into(),
            format!(
                "le {}{}",
                date_fr(&c.demandee_le),
                c.demandeur
                    .as_ref()
                    .map(|d| format!(" par {d}"))
                    .unwrap_or_default()
            ),
        ),
    ];
    if let Some(e) = &c.emise_le {
        details.push(("Émise le".into(), date_fr(e)));
    }
    if let Some(b) = &c.bloquee_le {
        details.push((
            "Bloquée".into(),
            format!(
                "le {}{} : {}{}",
                date_fr(b),
                c.bloqueur
                    .as_ref()
                    .map(|d| format!(" par {d}"))
                    .unwrap_or_default(),
                c.motif_blocage.clone().unwrap_or_default(),
                if c.blocage_transmis || c.reference.is_none() {
                    ""
                } else {
                    " (le blocage sera transmis au prestataire au prochain passage)"
                }
            ),
        ));
    }
    if let Some(e) = &c.derniere_erreur {
        details.push((
            "Dernier incident avec le prestataire".into(),
            format!(
                "{e} ({} tentative{})",
                c.tentatives,
                if c.tentatives > 1 { "s" } else { "" }
            ),
        ));
    }
    details.push(("Chargé par Parcours".into(), eur(c.charge)));
    let page = CartePage {
        l: ctx.layout(),
        titulaire: titulaire_lisible(&c),
        details,
        chargements: chargements
            .iter()
            .map(|o| {
                (
                    o.id,
                    o.demande_id,
                    o.fonds.clone(),
                    eur(o.montant),
                    o.statut.libelle().to_string(),
                    o.paye_le.as_deref().map(date_fr).unwrap_or_default(),
                )
            })
            .collect(),
        peut_bloquer: matches!(c.statut, StatutCarte::AEmettre | StatutCarte::Active),
        motif: motif.to_string(),
        erreur,
        c,
    };
    let status = if page.erreur.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, render(&page)).into_response())
}

pub async fn carte(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    carte_page(&state, &ctx, id, "", None).await
}

pub async fn bloquer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(v): axum::Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let motif = v.get("motif").cloned().unwrap_or_default();
    match cas::bloquer(&state.store, &ctx.acteur(), id, &motif, Canal::Page).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/aides/cartes/{id}?message=carte_bloquee")).into_response())
        }
        Err(CasError::Invalid(e)) => {
            let m = e.0.values().cloned().collect::<Vec<_>>().join(" ");
            carte_page(&state, &ctx, id, &motif, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// API

/// A card of the register as the API gives it.
#[derive(Serialize, ToSchema)]
pub struct CarteOut {
    pub id: i64,
    /// `personne` or `assistant_familial`.
    pub titulaire: String,
    pub personne_id: Option<i64>,
    pub titulaire_nom: String,
    pub agrement: Option<String>,
    /// `a_emettre`, `active`, `bloquee` or `refusee`.
    pub statut: String,
    /// The provider's reference, once issued.
    pub reference: Option<String>,
    pub site_id: i64,
    pub demandee_le: String,
    pub emise_le: Option<String>,
    pub bloquee_le: Option<String>,
    pub motif_blocage: Option<String>,
    /// Whether the provider knows of the block.
    pub blocage_transmis: bool,
    /// Paid loads, in euro cents.
    pub charge: i64,
}

fn carte_out(c: &Carte) -> CarteOut {
    CarteOut {
        id: c.id,
        titulaire: c.titulaire.code().into(),
        personne_id: c.personne_id,
        titulaire_nom: c.titulaire_nom.clone(),
        agrement: c.agrement.clone(),
        statut: c.statut.code().into(),
        reference: c.reference.clone(),
        site_id: c.site_id,
        demandee_le: c.demandee_le.clone(),
        emise_le: c.emise_le.clone(),
        bloquee_le: c.bloquee_le.clone(),
        motif_blocage: c.motif_blocage.clone(),
        blocage_transmis: c.blocage_transmis,
        charge: c.charge.0,
    }
}

/// A page of the register.
#[derive(Serialize, ToSchema)]
pub struct CartesPage {
    pub cartes: Vec<CarteOut>,
    pub total: i64,
    pub page: i64,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CartesParams {
    /// `a_emettre`, `active`, `bloquee` or `refusee`.
    pub statut: Option<String>,
    /// Words of the holder's name.
    pub nom: Option<String>,
    pub page: Option<i64>,
}

#[utoipa::path(get, tag = "aides", operation_id = "aides_cartes", path = "/api/v1/aides/cartes", params(CartesParams), responses((status = 200, body = CartesPage, description = "Le registre des cartes de paiement des MDS de l'agent"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn api_registre(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(p): Query<CartesParams>,
) -> ApiResult<AxumJson<CartesPage>> {
    let page = p.page.unwrap_or(1).max(1);
    let filtre = Filtre {
        statut: p.statut.as_deref().and_then(StatutCarte::parse),
        nom: p.nom.filter(|s| !s.trim().is_empty()),
    };
    let (cartes, total) =
        cas::registre(&state.store, &ctx.acteur(), &filtre, page, Canal::Api).await?;
    Ok(AxumJson(CartesPage {
        cartes: cartes.iter().map(carte_out).collect(),
        total,
        page,
    }))
}

#[utoipa::path(get, tag = "aides", operation_id = "aides_carte", path = "/api/v1/aides/cartes/{id}", params(("id" = i64, Path)), responses((status = 200, body = CarteOut, description = "Une carte de paiement"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn api_lire(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<CarteOut>> {
    let (c, _) = cas::lire(&state.store, &ctx.acteur(), id, Canal::Api).await?;
    Ok(AxumJson(carte_out(&c)))
}

/// The id of a card asked.
#[derive(Serialize, ToSchema)]
pub struct CarteCree {
    pub id: i64,
}

#[utoipa::path(post, tag = "aides", operation_id = "aides_carte_demander", path = "/api/v1/aides/cartes", request_body = CarteForm, responses((status = 201, body = CarteCree, description = "Carte demandée ; le prestataire l'émet au prochain passage"), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn api_emettre(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Json(f): Json<CarteForm>,
) -> ApiResult<Response> {
    let id = cas::emettre(&state.store, &ctx.acteur(), &f, Canal::Api).await?;
    Ok((StatusCode::CREATED, AxumJson(CarteCree { id })).into_response())
}

/// Why the card is blocked.
#[derive(Deserialize, ToSchema)]
pub struct BlocageInput {
    pub motif: String,
}

#[utoipa::path(post, tag = "aides", operation_id = "aides_carte_bloquer", path = "/api/v1/aides/cartes/{id}/blocage", params(("id" = i64, Path)), request_body = BlocageInput, responses((status = 204, description = "Carte bloquée ; les chargements prêts sont retenus"), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn api_bloquer(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<BlocageInput>,
) -> ApiResult<Response> {
    cas::bloquer(&state.store, &ctx.acteur(), id, &f.motif, Canal::Api).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
