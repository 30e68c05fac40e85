//! Groupes projet (seed 003): a group with its quotas, volunteers who register themselves or are
//! imported, the LEXIMIN chances computed by a job and published to every agent (table, chart, files),
//! the draw with a seed announced in advance, and its verification by anyone.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::groupes_projet::{valid_identifiant, NewGroupe, Statut};
use parcours_domain::habilitations::policy::{allows, Action};
use parcours_domain::FieldErrors;
use parcours_store::groupes_projet::{self as store, Groupe, Volontaire};
use parcours_store::{agents, audit, jobs, StoreError};
use serde::Deserialize;

use crate::auth::Ctx;
use crate::error::{Form, Path, WebError, WebResult};
use crate::pages::{render, Field, FormPage, Layout};
use crate::AppState;

#[derive(Template)]
#[template(path = "groupes_projet/liste.html")]
pub struct ListPage {
    pub l: Layout,
    pub groupes: Vec<Groupe>,
    pub can_manage: bool,
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let groupes = store::list(&mut conn, ctx.dep()).await?;
    Ok(render(&ListPage {
        can_manage: allows(&ctx.principal, Action::GroupesGerer),
        l: ctx.layout(),
        groupes,
    }))
}

const QUOTAS_EXEMPLE: &str = "feature,value,min,max\nservice,SERVICE_SOCIAL,2,4\nservice,ASE,1,3\nservice,PMI,1,2\nterritoire,urbain,3,5\nterritoire,rural,3,5\n";

fn new_page(ctx: &Ctx, v: &BTreeMap<String, String>, errors: &FieldErrors) -> Response {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let page = FormPage {
        liens: vec![],
        l: ctx.layout(),
        title: "Nouveau groupe projet".into(),
        intro: Some("Les membres seront tirés au sort parmi les volontaires, dans le respect des quotas, avec des chances aussi égales que possible (méthode LEXIMIN).".into()),
        action: "/groupes-projet/nouveau".into(),
        fields: vec![
            Field::text("nom", "Nom du groupe", &g("nom")).required().error_from(errors),
            Field::text("description", "Objet du groupe", &g("description")).kind("textarea").error_from(errors),
            Field::text("taille", "Nombre de membres à tirer", &g("taille")).kind("number").required().error_from(errors),
            Field::text("quotas", "Quotas (CSV)", &if v.contains_key("quotas") { g("quotas") } else { QUOTAS_EXEMPLE.to_string() })
                .kind("textarea")
                .required()
                .hint("Une ligne par valeur : caractéristique, valeur, minimum et maximum de sièges — le format de sortition-algorithms (en-tête feature,value,min,max).")
                .error_from(errors),
        ],
        submit: "Créer le groupe".into(),
        cancel: Some("/groupes-projet".into()),
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

pub async fn new_form(ctx: Ctx) -> Response {
    new_page(&ctx, &BTreeMap::new(), &FieldErrors::new())
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).map(String::as_str).unwrap_or("");
    let parsed = match NewGroupe::parse(g("nom"), g("description"), g("taille"), g("quotas")) {
        Ok(p) => p,
        Err(e) => return Ok(new_page(&ctx, &v, &e.0)),
    };
    if let Err(e) = parcours_tirage::parse_quotas(parsed.quotas_csv.as_bytes()) {
        let mut errors = FieldErrors::new();
        errors.add("quotas", e.to_string());
        return Ok(new_page(&ctx, &v, &errors));
    }
    let mut tx = state.store.begin().await?;
    let id = store::create(
        &mut tx,
        ctx.dep(),
        &parsed,
        ctx.principal.agent_id.unwrap_or_default(),
    )
    .await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "groupe_projet", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/groupes-projet/{id}?message=cree")).into_response())
}

/// One bar of the chances chart.
pub struct Barre {
    pub identifiant: String,
    pub probabilite: String,
    pub y: usize,
    pub largeur: String,
}

#[derive(Template)]
#[template(path = "groupes_projet/detail.html")]
pub struct DetailPage {
    pub l: Layout,
    pub g: Groupe,
    pub statut: &'static str,
    pub features: Vec<(String, Vec<String>)>,
    pub volontaires: Vec<Volontaire>,
    pub feature_names: Vec<String>,
    pub can_manage: bool,
    pub can_register: bool,
    pub my_identifiant: Option<String>,
    pub registered: bool,
    pub errors: Vec<String>,
    pub chances: Vec<(String, String)>,
    pub min_probability: Option<String>,
    pub dual_bound: Option<String>,
    pub barres: Vec<Barre>,
    pub chart_height: usize,
    pub selected: Vec<String>,
    pub seed: Option<String>,
}

impl DetailPage {
    pub fn valeur<'a>(&self, v: &'a Volontaire, feature: &str) -> &'a str {
        v.valeurs.get(feature).map(String::as_str).unwrap_or("")
    }
}

fn percent(p: f64) -> String {
    format!("{:.2} %", p * 100.0).replace('.', ",")
}

async fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: Vec<String>,
) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let mut conn = state.store.read().await?;
    let g = store::get(&mut conn, &dep, id).await?;
    let volontaires = store::volontaires(&mut conn, &dep, id).await?;
    let me = match ctx.principal.agent_id {
        Some(a) => Some(agents::get(&mut conn, &dep, a).await?.matricule),
        None => None,
    };
    drop(conn);
    let quotas = parcours_tirage::parse_quotas(g.quotas_csv.as_bytes())
        .map_err(|e| WebError::Internal(anyhow::anyhow!(e.to_string())))?;
    let features: Vec<(String, Vec<String>)> = quotas
        .caracteristiques
        .iter()
        .map(|c| {
            (
                c.nom.clone(),
                c.valeurs.iter().map(|v| v.nom.clone()).collect(),
            )
        })
        .collect();
    let (mut chances, mut barres, mut min_p, mut dual) = (vec![], vec![], None, None);
    if let Some(json) = &g.distribution_json {
        if let Ok(d) = serde_json::from_str::<parcours_tirage::Distribution>(json) {
            let mut sorted: Vec<(&String, &f64)> = d.probabilities.iter().collect();
            sorted.sort_by(|a, b| {
                a.1.partial_cmp(b.1)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.0.cmp(b.0))
            });
            for (i, (id, p)) in sorted.iter().enumerate() {
                chances.push(((*id).clone(), percent(**p)));
                barres.push(Barre {
                    identifiant: (*id).clone(),
                    probabilite: percent(**p),
                    y: 30 + i * 18,
                    largeur: format!("{:.1}", **p * 500.0),
                });
            }
            min_p = Some(percent(d.min_probability));
            dual = Some(percent(d.dual_bound));
        }
    }
    let (selected, seed) = match g
        .resultat_json
        .as_deref()
        .and_then(|j| serde_json::from_str::<parcours_tirage::Resultat>(j).ok())
    {
        Some(r) => (r.selected, Some(r.seed)),
        None => (vec![], None),
    };
    let registered = me
        .as_ref()
        .is_some_and(|m| volontaires.iter().any(|v| &v.identifiant == m));
    let page = DetailPage {
        l: ctx.layout(),
        statut: g.statut.libelle(),
        feature_names: features.iter().map(|(n, _)| n.clone()).collect(),
        features,
        can_manage: allows(&ctx.principal, Action::GroupesGerer),
        can_register: g.statut.inscriptions_ouvertes() && me.is_some(),
        my_identifiant: me,
        registered,
        errors,
        chart_height: 40 + barres.len() * 18,
        chances,
        min_probability: min_p,
        dual_bound: dual,
        barres,
        selected,
        seed,
        volontaires,
        g,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)).into_response())
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    detail_page(&state, &ctx, id, vec![]).await
}

fn statut_closed(e: StoreError) -> Result<(), WebError> {
    match e {
        StoreError::Conflict(_) => Err(WebError::Conflict(
            "les inscriptions de ce groupe sont closes".into(),
        )),
        other => Err(other.into()),
    }
}

/// An agent registers as a volunteer with their own values, identified by their matricule.
pub async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let mut conn = state.store.read().await?;
    let g = store::get(&mut conn, &dep, id).await?;
    let agent_id = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let matricule = agents::get(&mut conn, &dep, agent_id).await?.matricule;
    drop(conn);
    let quotas = parcours_tirage::parse_quotas(g.quotas_csv.as_bytes())
        .map_err(|e| WebError::Internal(anyhow::anyhow!(e.to_string())))?;
    let mut valeurs = BTreeMap::new();
    let mut errors = vec![];
    for c in &quotas.caracteristiques {
        match v
            .get(&c.nom)
            .filter(|x| c.valeurs.iter().any(|q| &q.nom == *x))
        {
            Some(x) => {
                valeurs.insert(c.nom.clone(), x.clone());
            }
            None => errors.push(format!("Choisissez votre valeur pour « {} ».", c.nom)),
        }
    }
    if !errors.is_empty() {
        return detail_page(&state, &ctx, id, errors).await;
    }
    let mut tx = state.store.begin().await?;
    if let Err(e) = store::inscrire(&mut tx, &dep, id, &matricule, Some(agent_id), &valeurs).await {
        statut_closed(e)?;
    }
    audit::append(
        &mut tx,
        &dep,
        &ctx.event("inscription", "groupe_projet", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/groupes-projet/{id}?message=modifie")).into_response())
}

pub async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let mut conn = state.store.read().await?;
    let agent_id = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let matricule = agents::get(&mut conn, &dep, agent_id).await?.matricule;
    drop(conn);
    let mut tx = state.store.begin().await?;
    if let Err(e) = store::retirer(&mut tx, &dep, id, &matricule).await {
        statut_closed(e)?;
    }
    audit::append(&mut tx, &dep, &ctx.event("retrait", "groupe_projet", id)).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/groupes-projet/{id}?message=modifie")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    pub volontaires: String,
}

/// Imports volunteers from the `people.csv` format (id,<feature>,...): every line is checked by the
/// tirage crate's parser; one bad line and nothing is imported.
pub async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ImportForm>,
) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let mut conn = state.store.read().await?;
    let g = store::get(&mut conn, &dep, id).await?;
    drop(conn);
    let quotas = parcours_tirage::parse_quotas(g.quotas_csv.as_bytes())
        .map_err(|e| WebError::Internal(anyhow::anyhow!(e.to_string())))?;
    let text = f.volontaires.trim().replace("\r\n", "\n");
    let parsed = match parcours_tirage::parse_volontaires(text.as_bytes(), &quotas) {
        Ok(p) => p,
        Err(e) => return detail_page(&state, &ctx, id, vec![e.to_string()]).await,
    };
    let mut rows = vec![];
    for vol in &parsed.liste {
        if !valid_identifiant(&vol.id) {
            return detail_page(&state, &ctx, id, vec![format!("Identifiant « {} » : lettres, chiffres, tirets, points ou soulignés seulement.", vol.id)]).await;
        }
        let valeurs: BTreeMap<String, String> = quotas
            .caracteristiques
            .iter()
            .zip(&vol.valeurs)
            .map(|(c, &i)| (c.nom.clone(), c.valeurs[i].nom.clone()))
            .collect();
        rows.push((vol.id.clone(), valeurs));
    }
    let mut tx = state.store.begin().await?;
    for (ident, valeurs) in &rows {
        if let Err(e) = store::inscrire(&mut tx, &dep, id, ident, None, valeurs).await {
            statut_closed(e)?;
        }
    }
    audit::append(
        &mut tx,
        &dep,
        &ctx.event("import", "groupe_projet", id)
            .details(serde_json::json!({ "volontaires": rows.len() })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/groupes-projet/{id}?message=modifie")).into_response())
}

/// The published `people.csv`: header `id,<features in quotas order>`, volunteers sorted by id.
fn people_csv(features: &[String], volontaires: &[Volontaire]) -> String {
    let mut out = String::from("id");
    for f in features {
        out.push(',');
        out.push_str(f);
    }
    out.push('\n');
    for v in volontaires {
        out.push_str(&v.identifiant);
        for f in features {
            out.push(',');
            out.push_str(v.valeurs.get(f).map(String::as_str).unwrap_or(""));
        }
        out.push('\n');
    }
    out
}

#[derive(Debug, Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    pub source_graine: String,
}

/// Closes registrations, freezes the inputs and queues the computation of the chances.
pub async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<PublishForm>,
) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let source = f.source_graine.trim().to_string();
    if source.is_empty() {
        return detail_page(&state, &ctx, id, vec!["Annoncez la source de la graine avant le calcul (par exemple « les numéros du tirage public du … »).".into()]).await;
    }
    let mut conn = state.store.read().await?;
    let g = store::get(&mut conn, &dep, id).await?;
    let volontaires = store::volontaires(&mut conn, &dep, id).await?;
    drop(conn);
    let quotas = parcours_tirage::parse_quotas(g.quotas_csv.as_bytes())
        .map_err(|e| WebError::Internal(anyhow::anyhow!(e.to_string())))?;
    let features: Vec<String> = quotas
        .caracteristiques
        .iter()
        .map(|c| c.nom.clone())
        .collect();
    let csv = people_csv(&features, &volontaires);
    // Checked now so that the committee learns at once of a panel larger than the pool.
    if let Err(e) = parcours_tirage::Instance::depuis_lecteurs(
        g.quotas_csv.as_bytes(),
        csv.as_bytes(),
        usize::try_from(g.taille).unwrap_or(0),
    ) {
        return detail_page(&state, &ctx, id, vec![e.to_string()]).await;
    }
    let mut tx = state.store.begin().await?;
    if let Err(e) = store::demarrer_calcul(&mut tx, &dep, id, &csv, &source).await {
        statut_closed(e)?;
    }
    jobs::enqueue(
        &mut tx,
        &dep,
        "groupes_projet.calculer",
        &serde_json::json!({ "departement_id": dep, "groupe_id": id }),
        3,
    )
    .await?;
    audit::append(
        &mut tx,
        &dep,
        &ctx.event("calcul", "groupe_projet", id)
            .details(serde_json::json!({ "source_graine": source })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/groupes-projet/{id}")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct DrawForm {
    #[serde(default)]
    pub graine: String,
}

pub async fn draw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DrawForm>,
) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let graine = f.graine.trim().to_string();
    if graine.is_empty() || graine.chars().count() > 200 {
        return detail_page(
            &state,
            &ctx,
            id,
            vec![
                "Saisissez la graine issue de la source annoncée (200 caractères au plus).".into(),
            ],
        )
        .await;
    }
    let mut conn = state.store.read().await?;
    let g = store::get(&mut conn, &dep, id).await?;
    drop(conn);
    let Some(json) = g
        .distribution_json
        .as_deref()
        .filter(|_| g.statut == Statut::Publie)
    else {
        return Err(WebError::Conflict(
            "les chances de ce groupe ne sont pas publiées, ou il est déjà tiré".into(),
        ));
    };
    let distribution: parcours_tirage::Distribution =
        serde_json::from_str(json).map_err(|e| WebError::Internal(e.into()))?;
    let resultat = parcours_tirage::tirer(distribution, &graine, vec![]);
    let out = parcours_tirage::vers_json(&resultat);
    let mut tx = state.store.begin().await?;
    if let Err(e) = store::tirer(&mut tx, &dep, id, &out).await {
        statut_closed(e)?;
    }
    audit::append(
        &mut tx,
        &dep,
        &ctx.event("tirage", "groupe_projet", id)
            .details(serde_json::json!({ "graine": graine, "selection": resultat.selected })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/groupes-projet/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "groupes_projet/verification.html")]
pub struct VerificationPage {
    pub l: Layout,
    pub id: i64,
    pub nom: String,
    pub ok: bool,
    pub message: String,
}

/// Recomputes the distribution from the published files and checks the draw with the published seed.
pub async fn verify(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let g = store::get(&mut conn, ctx.dep(), id).await?;
    drop(conn);
    let (Some(people), Some(res)) = (g.volontaires_csv.clone(), g.resultat_json.clone()) else {
        return Err(WebError::Conflict("ce groupe n'est pas encore tiré".into()));
    };
    let quotas = g.quotas_csv.clone();
    let taille = usize::try_from(g.taille).unwrap_or(0);
    let published = g.distribution_json.clone();
    let outcome = tokio::task::spawn_blocking(
        move || -> Result<parcours_tirage::Rapport, parcours_tirage::TirageError> {
            let inst = parcours_tirage::Instance::depuis_lecteurs(
                quotas.as_bytes(),
                people.as_bytes(),
                taille,
            )?;
            let resultat: parcours_tirage::Resultat = serde_json::from_str(&res).map_err(|e| {
                parcours_tirage::TirageError::Refute(format!("résultat illisible : {e}"))
            })?;
            let publie: Option<parcours_tirage::Distribution> = published
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok());
            let seed = parcours_tirage::SourceGraine::Chaine(resultat.seed.clone());
            parcours_tirage::verify(
                &inst,
                &resultat,
                &seed,
                publie.as_ref(),
                true,
                &parcours_tirage::Options::default(),
            )
        },
    )
    .await
    .map_err(|e| WebError::Internal(e.into()))?;
    let (ok, message) = match outcome {
        Ok(r) => (
            true,
            format!(
                "Tirage confirmé : {} panels vérifiés, plus petite chance {} (borne duale {}), sélection {} retrouvée avec la graine publiée.",
                r.panels,
                percent(r.min_probability),
                percent(r.dual_bound),
                r.selected.join(", ")
            ),
        ),
        Err(e) => (false, format!("Tirage réfuté : {e}")),
    };
    Ok(render(&VerificationPage {
        l: ctx.layout(),
        id,
        nom: g.nom,
        ok,
        message,
    }))
}

/// The published files, for anyone to verify with `parcours tirage verifier`.
pub async fn file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, nom)): Path<(i64, String)>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let g = store::get(&mut conn, ctx.dep(), id).await?;
    let (body, mime) = match nom.as_str() {
        "features.csv" => (Some(g.quotas_csv), "text/csv; charset=utf-8"),
        "people.csv" => (g.volontaires_csv, "text/csv; charset=utf-8"),
        "distribution.json" => (g.distribution_json, "application/json"),
        "result.json" => (g.resultat_json, "application/json"),
        "chances.csv" => (
            g.distribution_json
                .as_deref()
                .and_then(|j| serde_json::from_str::<parcours_tirage::Distribution>(j).ok())
                .map(|d| {
                    let mut out = String::from("id,probabilite\n");
                    for (k, p) in &d.probabilities {
                        let k = parcours_domain::export::cellule_csv(k);
                        out.push_str(&format!("{k},{p}\n"));
                    }
                    out
                }),
            "text/csv; charset=utf-8",
        ),
        _ => (None, ""),
    };
    let body = body.ok_or(WebError::NotFound)?;
    let disposition = format!("attachment; filename=\"groupe-{id}-{nom}\"");
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
