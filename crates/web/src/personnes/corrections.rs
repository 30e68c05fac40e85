//! Corrections of a person's état civil, and the new address or situation that starts on a date.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::dossiers::secret::Portee;
use parcours_domain::personnes::{
    AdresseForm, Emploi, Logement, NewAdresse, NewPersonne, NewSituation, Personne, Ressource,
    SituationFamiliale, SituationForm,
};
use parcours_domain::FieldErrors;
use parcours_store::personnes as store;
use parcours_store::{audit, referentiel, StoreError};

use super::pages::{personne_fields_nir, personne_form};
use super::{date_fr, editable, editable_with_portee, today};
use crate::auth::Ctx;
use crate::error::{Form, Path, WebResult};
use crate::pages::{render, Field, FormPage, Layout};
use crate::AppState;

fn values_of(p: &Personne) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    v.insert("nom_naissance".into(), p.nom_naissance.clone());
    v.insert("nom_usage".into(), p.nom_usage.clone().unwrap_or_default());
    v.insert("prenoms".into(), p.prenoms.join(", "));
    v.insert("sexe".into(), p.sexe.code().to_string());
    v.insert(
        "date_naissance".into(),
        p.date_naissance.as_ref().map(date_fr).unwrap_or_default(),
    );
    v.insert(
        "commune_naissance".into(),
        p.commune_naissance.clone().unwrap_or_default(),
    );
    v.insert(
        "pays_naissance".into(),
        p.pays_naissance.clone().unwrap_or_default(),
    );
    v.insert("nir".into(), p.nir.clone().unwrap_or_default());
    v.insert(
        "telephone".into(),
        p.telephones.first().cloned().unwrap_or_default(),
    );
    v.insert(
        "telephone_2".into(),
        p.telephones.get(1).cloned().unwrap_or_default(),
    );
    v.insert("email".into(), p.email.clone().unwrap_or_default());
    v
}

fn edit_page(
    ctx: &Ctx,
    id: i64,
    v: &BTreeMap<String, String>,
    errors: &FieldErrors,
    with_nir: bool,
) -> Response {
    let page = FormPage {
        liens: vec![],
        l: ctx.layout(),
        title: "Corriger l'état civil".into(),
        intro: Some(
            "La correction est tracée : l'état civil antérieur reste dans le journal d'audit."
                .into(),
        ),
        action: format!("/personnes/{id}/modifier"),
        fields: personne_fields_nir(v, errors, with_nir),
        submit: "Enregistrer la correction".into(),
        cancel: Some(format!("/personnes/{id}")),
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

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    // The form shows the état civil: its read is audited like the fiche's.
    let mut tx = state.store.begin().await?;
    let (p, portee) = editable_with_portee(&mut tx, &ctx, id).await?;
    let with_nir = portee == Portee::Complete;
    let mut values = values_of(&p);
    if !with_nir {
        values.remove("nir");
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "personne", id)
            .purpose("formulaire de correction de l'état civil")
            .details(serde_json::json!({ "nir_affiche": with_nir })),
    )
    .await?;
    tx.commit().await?;
    Ok(edit_page(&ctx, id, &values, &FieldErrors::new(), with_nir))
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(mut v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    let (before, portee) = editable_with_portee(&mut tx, &ctx, id).await?;
    let with_nir = portee == Portee::Complete;
    // An agent who does not see the NIR cannot change it either: the stored one is kept, whatever
    // the request carries.
    let typed = v.clone();
    if !with_nir {
        v.insert("nir".into(), before.nir.clone().unwrap_or_default());
    }
    let parsed = match NewPersonne::parse(&personne_form(&v), today()) {
        Ok(p) => p,
        Err(e) => return Ok(edit_page(&ctx, id, &typed, &e.0, with_nir)),
    };
    match store::update(&mut tx, ctx.dep(), id, &parsed).await {
        Ok(()) => {}
        Err(StoreError::Conflict(field)) => {
            let mut e = FieldErrors::new();
            e.add(
                if field == "nir" { "nir" } else { "telephone" },
                "Ce numéro est déjà celui d'une autre personne.",
            );
            return Ok(edit_page(&ctx, id, &typed, &e, with_nir));
        }
        Err(e) => return Err(e.into()),
    }
    let mut avant = values_of(&before);
    // The NIR is not copied into the audit log: only whether it changed.
    let nir_change = avant.remove("nir").unwrap_or_default()
        != parsed
            .nir
            .as_ref()
            .map(|n| n.as_str().to_string())
            .unwrap_or_default();
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("correction", "personne", id)
            .purpose("correction de l'état civil")
            .details(serde_json::json!({ "avant": avant, "nir_modifie": nir_change })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/personnes/{id}?message=modifie")).into_response())
}

// ---------------------------------------------------------------------------------------------------
// Address and situation

fn adresse_page(
    ctx: &Ctx,
    id: i64,
    v: &BTreeMap<String, String>,
    errors: &FieldErrors,
) -> Response {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let page = FormPage {
        liens: vec![],
        l: ctx.layout(),
        title: "Nouvelle adresse".into(),
        intro: Some("L'adresse précédente reste dans l'historique. Pour une personne sans domicile stable, indiquez l'adresse de sa domiciliation : c'est elle qui désigne le secteur compétent.".into()),
        action: format!("/personnes/{id}/adresse"),
        fields: vec![
            Field::text("ligne_1", "Numéro et voie", &g("ligne_1")).required().autocomplete("off").error_from(errors),
            Field::text("ligne_2", "Complément (bâtiment, appartement)", &g("ligne_2")).error_from(errors),
            Field::text("ligne_3", "Lieu-dit", &g("ligne_3")).error_from(errors),
            Field::text("code_postal", "Code postal", &g("code_postal")).required().error_from(errors),
            Field::text("commune_insee", "Commune (code INSEE)", &g("commune_insee")).required().hint("Cinq caractères, par exemple 96001.").error_from(errors),
            Field::text("valid_from", "Date d'emménagement", &g("valid_from")).required().hint("JJ/MM/AAAA").error_from(errors),
        ],
        submit: "Enregistrer l'adresse".into(),
        cancel: Some(format!("/personnes/{id}")),
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

pub async fn adresse_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    editable(&mut conn, &ctx, id).await?;
    let mut v = BTreeMap::new();
    v.insert("valid_from".to_string(), date_fr(&today()));
    Ok(adresse_page(&ctx, id, &v, &FieldErrors::new()))
}

pub async fn adresse(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let form = AdresseForm {
        ligne_1: g("ligne_1"),
        ligne_2: g("ligne_2"),
        ligne_3: g("ligne_3"),
        code_postal: g("code_postal"),
        commune_insee: g("commune_insee"),
        valid_from: g("valid_from"),
    };
    // The scope first: out of it, nothing of the form is even read back.
    let mut tx = state.store.begin().await?;
    editable(&mut tx, &ctx, id).await?;
    let parsed = match NewAdresse::parse(&form, today()) {
        Ok(a) => a,
        Err(e) => return Ok(adresse_page(&ctx, id, &v, &e.0)),
    };
    // An INSEE code of the département must be one of its communes (a commune elsewhere is fine).
    let insee = parsed.commune_insee.as_str().to_string();
    if insee.starts_with(ctx.dep())
        && referentiel::commune_get(&mut tx, ctx.dep(), &insee)
            .await
            .is_err()
    {
        let mut e = FieldErrors::new();
        e.add(
            "commune_insee",
            format!("Aucune commune du département n'a le code INSEE {insee}."),
        );
        return Ok(adresse_page(&ctx, id, &v, &e));
    }
    let a = store::adresse_set(&mut tx, ctx.dep(), id, &parsed, ctx.principal.agent_id).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "adresse", a.id)
            .purpose("mise à jour de l'adresse")
            .details(serde_json::json!({ "personne": id, "secteur": a.secteur_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/personnes/{id}?message=modifie")).into_response())
}

#[derive(Template)]
#[template(path = "personnes/situation.html")]
pub struct SituationPage {
    pub l: Layout,
    pub id: i64,
    pub valid_from: String,
    pub selects: Vec<Field>,
    pub ressources: Vec<(String, String, bool)>,
    pub errors: FieldErrors,
    pub summary: Vec<(String, String)>,
}

fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    std::iter::once((String::new(), "Non renseigné".to_string()))
        .chain(
            all.iter()
                .map(|c| (code(*c).to_string(), label(*c).to_string())),
        )
        .collect()
}

fn situation_page(ctx: &Ctx, id: i64, f: &SituationForm, errors: FieldErrors) -> Response {
    let summary = errors
        .0
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let page = SituationPage {
        l: ctx.layout(),
        id,
        valid_from: f.valid_from.clone(),
        selects: vec![
            Field::text("familiale", "Situation familiale", &f.familiale)
                .select(choices(
                    SituationFamiliale::ALL,
                    SituationFamiliale::code,
                    SituationFamiliale::libelle,
                ))
                .error_from(&errors),
            Field::text("logement", "Logement", &f.logement)
                .select(choices(Logement::ALL, Logement::code, Logement::libelle))
                .error_from(&errors),
            Field::text("emploi", "Emploi", &f.emploi)
                .select(choices(Emploi::ALL, Emploi::code, Emploi::libelle))
                .error_from(&errors),
        ],
        ressources: Ressource::ALL
            .iter()
            .map(|r| {
                (
                    r.code().to_string(),
                    r.libelle().to_string(),
                    f.ressources.iter().any(|c| c == r.code()),
                )
            })
            .collect(),
        errors,
        summary,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, render(&page)).into_response()
}

pub async fn situation_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    editable(&mut conn, &ctx, id).await?;
    let f = SituationForm {
        valid_from: date_fr(&today()),
        ..SituationForm::default()
    };
    Ok(situation_page(&ctx, id, &f, FieldErrors::new()))
}

pub async fn situation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let mut f = SituationForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "valid_from" => f.valid_from = v,
            "familiale" => f.familiale = v,
            "logement" => f.logement = v,
            "emploi" => f.emploi = v,
            "ressources" => f.ressources.push(v),
            _ => {}
        }
    }
    // The scope first: out of it, nothing of the form is even read back.
    let mut tx = state.store.begin().await?;
    editable(&mut tx, &ctx, id).await?;
    let parsed = match NewSituation::parse(&f, today()) {
        Ok(s) => s,
        Err(e) => return Ok(situation_page(&ctx, id, &f, e.0)),
    };
    let sid = store::situation_add(&mut tx, ctx.dep(), id, &parsed, ctx.principal.agent_id).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "situation", sid)
            .purpose("mise à jour de la situation")
            .details(serde_json::json!({ "personne": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/personnes/{id}?message=modifie")).into_response())
}

/// The record of a person's death: the date, confirmed; an erroneous record is withdrawn by
/// confirming an empty date. Every payment order of an aid for the person is then held for review.
fn deces_page(ctx: &Ctx, id: i64, nom: &str, valeur: &str, errors: &FieldErrors) -> Response {
    let fields = vec![Field::text("decede_le", "Date du décès", valeur)
        .hint("JJ/MM/AAAA. Laisser vide pour retirer un décès enregistré par erreur.")
        .error_from(errors)];
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        render(&FormPage {
            l: ctx.layout(),
            title: format!("Décès de {nom}"),
            intro: Some(
                "Le décès reste sur la fiche ; les aides financières de la personne ne sont plus payées sans examen d'un cadre."
                    .into(),
            ),
            action: format!("/personnes/{id}/deces"),
            fields,
            submit: "Enregistrer".into(),
            cancel: Some(format!("/personnes/{id}")),
            multipart: false,
            buttons: vec![],
            details: vec![],
            liens: vec![],
        }),
    )
        .into_response()
}

pub async fn deces_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let p = editable(&mut conn, &ctx, id).await?;
    let actuel = store::deces(&mut conn, ctx.dep(), id)
        .await?
        .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .map(|d| date_fr(&d))
        .unwrap_or_default();
    Ok(deces_page(
        &ctx,
        id,
        &p.nom_complet(),
        &actuel,
        &FieldErrors::new(),
    ))
}

pub async fn deces(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let texte = v.get("decede_le").cloned().unwrap_or_default();
    let mut tx = state.store.begin().await?;
    let p = editable(&mut tx, &ctx, id).await?;
    let jour = if texte.trim().is_empty() {
        None
    } else {
        let mut e = FieldErrors::new();
        let d = parcours_domain::personnes::parse_date_evenement(
            &mut e,
            "decede_le",
            "La date du décès",
            &texte,
            today(),
        );
        if !e.is_empty() {
            return Ok(deces_page(&ctx, id, &p.nom_complet(), &texte, &e));
        }
        Some(d)
    };
    store::deces_set(&mut tx, ctx.dep(), id, jour).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("modification", "personne", id)
            .purpose(if jour.is_some() {
                "décès enregistré"
            } else {
                "décès retiré (erreur de saisie)"
            }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/personnes/{id}?message=modifie")).into_response())
}
