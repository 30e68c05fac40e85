//! The foyer in the browser: its creation from a person, its composition on any date, arrivals and
//! departures.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::dossiers::secret::Portee;
use parcours_domain::habilitations::policy::{allows, Action};
use parcours_domain::personnes::{
    composition_le, parse_date_text, Membre, MembreForm, NewMembre, RoleFoyer,
};
use parcours_domain::FieldErrors;
use parcours_store::personnes::{self as store, MembreError};
use parcours_store::{audit, Conn, StoreError};
use serde::Deserialize;

use super::pages::{lignes_membres, FicheQuery, LigneMembre};
use super::{date_fr, editable, scope_of, today};
use crate::auth::Ctx;
use crate::error::{Form, Path, Query, WebError, WebResult};
use crate::pages::{render, Field, Layout};
use crate::AppState;

/// Creates a foyer whose demandeur is this person, from today.
pub async fn foyer_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    editable(&mut tx, &ctx, id).await?;
    if store::foyer_of(&mut tx, ctx.dep(), id, today())
        .await?
        .is_some()
    {
        return Err(WebError::Conflict(
            "cette personne appartient déjà à un foyer".into(),
        ));
    }
    let f = store::foyer_create(&mut tx, ctx.dep()).await?;
    let m = NewMembre {
        personne_id: id,
        role: RoleFoyer::Demandeur,
        periode: parcours_domain::personnes::Periode {
            arrivee: today(),
            depart: None,
        },
    };
    match store::membre_add(&mut tx, ctx.dep(), f, &m).await {
        Ok(_) => {}
        Err(MembreError::Regle(e)) => {
            return Err(WebError::Conflict(
                e.0 .0.values().cloned().collect::<Vec<_>>().join(" "),
            ))
        }
        Err(MembreError::Store(e)) => return Err(e.into()),
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "foyer", f)
            .details(serde_json::json!({ "demandeur": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/foyers/{f}?message=cree")).into_response())
}

#[derive(Template)]
#[template(path = "personnes/foyer.html")]
pub struct FoyerPage {
    pub l: Layout,
    pub id: i64,
    /// « Foyer de NOM Prénoms » (`store::foyer_nom`).
    pub nom: String,
    pub date: String,
    pub date_erreur: Option<String>,
    pub composition: Vec<LigneMembre>,
    pub historique: Vec<LigneMembre>,
    pub can_edit: bool,
    pub fields: Vec<Field>,
    pub errors: Vec<(String, String)>,
}

async fn foyer_reachable(conn: &mut Conn, ctx: &Ctx, membres: &[Membre]) -> WebResult<()> {
    // A foyer is open to an agent who reaches at least one of its members.
    for m in membres {
        if scope_of(conn, ctx, m.personne.id).await?.portee != Portee::Existence {
            return Ok(());
        }
    }
    Err(WebError::Forbidden)
}

async fn foyer_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    date_text: &str,
    v: &BTreeMap<String, String>,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let membres = parcours_usecases::personnes::lire_foyer(
        &state.store,
        &ctx.acteur(),
        id,
        parcours_usecases::Canal::Page,
    )
    .await?;
    let mut date_erreur = None;
    let date = match date_text.trim() {
        "" => today(),
        t => parse_date_text(t).unwrap_or_else(|| {
            date_erreur = Some(format!("« {t} » n'est pas une date (JJ/MM/AAAA)."));
            today()
        }),
    };
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let fields = vec![
        Field::text("personne_id", "Personne à ajouter", "")
            .choix(crate::choix::personnes(state, ctx, v, "personne_id", "foyer").await?)
            .required()
            .hint(
                "Recherchez-la par son nom, sa date de naissance ou son téléphone, puis cochez-la.",
            )
            .error_from(errors),
        Field::text("role", "Place dans le foyer", &g("role"))
            .select(
                RoleFoyer::ALL
                    .iter()
                    .map(|r| (r.code().to_string(), r.libelle().to_string()))
                    .collect(),
            )
            .error_from(errors),
        Field::text("arrivee", "Arrivée dans le foyer", &g("arrivee"))
            .required()
            .hint("JJ/MM/AAAA")
            .error_from(errors),
    ];
    let summary = crate::pages::error_summary(&fields);
    let nom = {
        let mut conn = state.store.read().await?;
        store::foyer_nom(&mut conn, ctx.dep(), id).await?
    };
    let page = FoyerPage {
        l: ctx.layout(),
        id,
        nom,
        date: date_text.trim().to_string(),
        date_erreur,
        composition: lignes_membres(composition_le(&membres, date)),
        historique: lignes_membres(membres.iter().collect()),
        can_edit: allows(&ctx.principal, Action::PersonnesGerer),
        fields,
        errors: summary,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)).into_response())
}

pub async fn foyer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<FicheQuery>,
) -> WebResult<Response> {
    let mut v = BTreeMap::new();
    v.insert("arrivee".to_string(), date_fr(&today()));
    v.insert("role".to_string(), RoleFoyer::Enfant.code().to_string());
    foyer_page(&state, &ctx, id, &q.date, &v, &FieldErrors::new()).await
}

pub async fn membre_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    if crate::choix::recherche_demandee(&v) {
        return foyer_page(&state, &ctx, id, "", &v, &FieldErrors::new()).await;
    }
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let form = MembreForm {
        personne_id: g("personne_id"),
        role: g("role"),
        arrivee: g("arrivee"),
        depart: String::new(),
    };
    let m = match NewMembre::parse(&form, today()) {
        Ok(m) => m,
        Err(e) => return foyer_page(&state, &ctx, id, "", &v, &e.0).await,
    };
    let mut tx = state.store.begin().await?;
    let membres = store::membres(&mut tx, ctx.dep(), id).await?;
    foyer_reachable(&mut tx, &ctx, &membres).await?;
    let added = match store::membre_add(&mut tx, ctx.dep(), id, &m).await {
        Ok(mid) => mid,
        Err(MembreError::Regle(e)) => {
            drop(tx);
            return foyer_page(&state, &ctx, id, "", &v, &e.0).await;
        }
        Err(MembreError::Store(StoreError::Reference)) => {
            drop(tx);
            let mut e = FieldErrors::new();
            e.add(
                "personne_id",
                "Cette personne n'est pas dans le fichier du département : recherchez-la à nouveau.",
            );
            return foyer_page(&state, &ctx, id, "", &v, &e).await;
        }
        Err(MembreError::Store(e)) => return Err(e.into()),
    };
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "membre_foyer", added)
            .details(serde_json::json!({ "foyer": id, "personne": m.personne_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/foyers/{id}?message=modifie")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct DepartForm {
    #[serde(default)]
    pub depart: String,
}

pub async fn membre_depart(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, mid)): Path<(i64, i64)>,
    Form(f): Form<DepartForm>,
) -> WebResult<Response> {
    let depart = match parcours_domain::personnes::parse_depart(&f.depart, today()) {
        Ok(d) => d,
        Err(e) => {
            return foyer_page(&state, &ctx, id, "", &BTreeMap::new(), &e.0).await;
        }
    };
    let mut tx = state.store.begin().await?;
    let membres = store::membres(&mut tx, ctx.dep(), id).await?;
    if !membres.iter().any(|m| m.id == mid) {
        return Err(WebError::NotFound);
    }
    foyer_reachable(&mut tx, &ctx, &membres).await?;
    match store::membre_depart(&mut tx, ctx.dep(), mid, depart).await {
        Ok(()) => {}
        Err(MembreError::Regle(e)) => {
            drop(tx);
            return foyer_page(&state, &ctx, id, "", &BTreeMap::new(), &e.0).await;
        }
        Err(MembreError::Store(e)) => return Err(e.into()),
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("depart", "membre_foyer", mid)
            .details(serde_json::json!({ "foyer": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/foyers/{id}?message=modifie")).into_response())
}
