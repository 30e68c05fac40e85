//! Référentiel screens: the summary of the département's organisation, the communes and their
//! secteur, the address → secteur resolution, the CSV imports with preview. The administration of
//! territoires, sites, secteurs, permanences and services is in `crud`.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::habilitations::policy::{allows, Action};
use parcours_domain::referentiel::format_etp;
use parcours_domain::referentiel::import::{self, ImportKind, Known};
use parcours_store::referentiel::{self as store, CommuneFilter};
use parcours_store::{agents, audit, imports};
use serde::Deserialize;

use crate::auth::Ctx;
use crate::error::{Form, Path, Query, WebError, WebResult};
use crate::pages::{
    enc, options, page_number, render, Cell, Column, Field, Layout, Pagination, TablePage, PER_PAGE,
};
use crate::AppState;

#[derive(Template)]
#[template(path = "referentiel/index.html")]
pub struct IndexPage {
    pub l: Layout,
    pub cards: Vec<(String, String, String)>,
    pub can_edit: bool,
}

fn thousands(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

pub async fn index(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let mut conn = state.store.read().await?;
    let population = store::population(&mut conn, &dep).await?;
    let territoires = store::territoires(&mut conn, &dep)
        .await?
        .iter()
        .filter(|t| t.ferme_le.is_none())
        .count();
    let sites = store::sites(&mut conn, &dep)
        .await?
        .iter()
        .filter(|t| t.ferme_le.is_none())
        .count();
    let secteurs = store::secteurs(&mut conn, &dep)
        .await?
        .iter()
        .filter(|t| t.ferme_le.is_none())
        .count();
    let permanences = store::permanences(&mut conn, &dep)
        .await?
        .iter()
        .filter(|t| t.ferme_le.is_none())
        .count();
    let services = store::services(&mut conn, &dep)
        .await?
        .iter()
        .filter(|t| t.ferme_le.is_none())
        .count();
    let (_, communes) = store::communes(&mut conn, &dep, &CommuneFilter::default(), 1, 0).await?;
    let (n_agents, etp) = agents::totals(&mut conn, &dep).await?;
    let card =
        |label: &str, value: String, href: &str| (label.to_string(), value, href.to_string());
    let page = IndexPage {
        l: ctx.layout(),
        cards: vec![
            card("Habitants", thousands(population), "/referentiel/communes"),
            card(
                "Territoires",
                territoires.to_string(),
                "/referentiel/territoires",
            ),
            card(
                "Maisons des solidarités et sites",
                sites.to_string(),
                "/referentiel/sites",
            ),
            card("Secteurs", secteurs.to_string(), "/referentiel/secteurs"),
            card("Communes", thousands(communes), "/referentiel/communes"),
            card(
                "Permanences sociales",
                permanences.to_string(),
                "/referentiel/permanences",
            ),
            card("Services", services.to_string(), "/referentiel/services"),
            card(
                "Agents (ETP pourvus)",
                format!("{} ({} ETP)", n_agents, format_etp(etp)),
                // Staff records are personal data: the link only for those who may open them.
                if allows(&ctx.principal, Action::AgentsLire) {
                    "/agents"
                } else {
                    ""
                },
            ),
        ],
        can_edit: allows(&ctx.principal, Action::ReferentielGerer),
    };
    Ok(render(&page))
}

#[derive(Debug, Deserialize, Default)]
pub struct CommunesQuery {
    pub texte: Option<String>,
    pub secteur: Option<String>,
    pub sans_secteur: Option<String>,
    pub page: Option<String>,
}

pub async fn communes(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<CommunesQuery>,
) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let mut conn = state.store.read().await?;
    let secteurs = store::secteurs(&mut conn, &dep).await?;
    let filter = CommuneFilter {
        texte: q
            .texte
            .clone()
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().to_string()),
        secteur_id: q.secteur.as_deref().and_then(|s| s.parse().ok()),
        sans_secteur: q.sans_secteur.is_some(),
    };
    let page = page_number(q.page.as_deref());
    let (list, total) =
        store::communes(&mut conn, &dep, &filter, PER_PAGE, (page - 1) * PER_PAGE).await?;
    let mut base = "/referentiel/communes?".to_string();
    if let Some(t) = &filter.texte {
        base.push_str(&format!("texte={}&", enc(t)));
    }
    if let Some(s) = filter.secteur_id {
        base.push_str(&format!("secteur={s}&"));
    }
    if filter.sans_secteur {
        base.push_str("sans_secteur=oui&");
    }
    let base = base.trim_end_matches(['&', '?']).to_string();
    let rows = list
        .into_iter()
        .map(|c| {
            let secteur = c
                .secteur_id
                .and_then(|id| secteurs.iter().find(|s| s.id == id))
                .map(|s| s.nom.clone())
                .unwrap_or_else(|| "— non rattachée —".into());
            vec![
                Cell::link(c.nom.clone(), format!("/referentiel/communes/{}", c.insee)),
                Cell::text(c.insee),
                Cell::text(c.codes_postaux.join(", ")),
                Cell::text(thousands(c.population)),
                Cell::text(secteur),
            ]
        })
        .collect();
    let table = TablePage {
        l: ctx.layout(),
        title: "Communes".into(),
        intro: Some("Chaque commune est rattachée à un secteur : c'est ce rattachement qui donne le secteur d'une adresse.".into()),
        actions: if allows(&ctx.principal, Action::ReferentielGerer) {
            vec![("/referentiel/import".into(), "Importer un fichier CSV".into())]
        } else {
            vec![]
        },
        filters: vec![
            Field::text("texte", "Nom, code INSEE ou code postal", q.texte.as_deref().unwrap_or("")).kind("search"),
            Field::text("secteur", "Secteur", q.secteur.as_deref().unwrap_or(""))
                .select(options("Tous les secteurs", secteurs.iter().map(|s| (s.id.to_string(), s.nom.clone())))),
            Field { value: if filter.sans_secteur { "oui".into() } else { String::new() }, ..Field::text("sans_secteur", "Seulement les communes sans secteur", "").kind("checkbox") },
        ],
        filter_action: "/referentiel/communes".into(),
        columns: ["Commune", "Code INSEE", "Codes postaux", "Habitants", "Secteur"].into_iter().map(Column::plain).collect(),
        rows,
        pagination: Some(Pagination::new(&base, page, PER_PAGE, total)),
        caption: "Communes du département".into(),
        empty: "Aucune commune ne correspond à ces filtres.".into(),
    };
    Ok(render(&table))
}

async fn commune_page(
    state: &AppState,
    ctx: &Ctx,
    insee: &str,
    error: Option<String>,
    secteur_value: Option<String>,
) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let mut conn = state.store.read().await?;
    let c = store::commune_get(&mut conn, &dep, insee).await?;
    let secteurs = store::secteurs(&mut conn, &dep).await?;
    let resolution = store::resolve(&mut conn, &dep, insee, None).await?;
    let mut field = Field::text(
        "secteur_id",
        "Secteur de rattachement",
        &secteur_value.unwrap_or_else(|| c.secteur_id.map(|s| s.to_string()).unwrap_or_default()),
    )
    .select(options(
        "— non rattachée —",
        secteurs
            .iter()
            .filter(|s| s.ferme_le.is_none())
            .map(|s| (s.id.to_string(), format!("{} ({})", s.nom, s.code))),
    ));
    field.error = error.clone();
    let page = crate::pages::FormPage {
        liens: vec![],
        l: ctx.layout(),
        title: format!("Commune : {}", c.nom),
        intro: None,
        action: format!("/referentiel/communes/{}", c.insee),
        fields: if allows(&ctx.principal, Action::ReferentielGerer) {
            vec![field]
        } else {
            vec![]
        },
        submit: "Enregistrer le rattachement".into(),
        cancel: Some("/referentiel/communes".into()),
        multipart: false,
        buttons: vec![],
        details: vec![
            ("Code INSEE".into(), c.insee.clone()),
            ("Codes postaux".into(), c.codes_postaux.join(", ")),
            ("Habitants".into(), thousands(c.population)),
            (
                "Secteur".into(),
                resolution
                    .as_ref()
                    .and_then(|r| r.secteur.as_ref())
                    .map(|s| s.nom.clone())
                    .unwrap_or_else(|| "— non rattachée —".into()),
            ),
            (
                "Maison des solidarités".into(),
                resolution
                    .as_ref()
                    .and_then(|r| r.site.as_ref())
                    .map(|s| s.nom.clone())
                    .unwrap_or_else(|| "—".into()),
            ),
        ],
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, render(&page)).into_response())
}

pub async fn commune(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(insee): Path<String>,
) -> WebResult<Response> {
    commune_page(&state, &ctx, &insee, None, None).await
}

#[derive(Debug, Deserialize)]
pub struct CommuneForm {
    #[serde(default)]
    pub secteur_id: String,
}

pub async fn commune_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(insee): Path<String>,
    Form(f): Form<CommuneForm>,
) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let secteur_id = if f.secteur_id.trim().is_empty() {
        None
    } else {
        match f.secteur_id.trim().parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                return commune_page(
                    &state,
                    &ctx,
                    &insee,
                    Some("Choisissez un secteur de la liste.".into()),
                    Some(f.secteur_id),
                )
                .await
            }
        }
    };
    let mut tx = state.store.begin().await?;
    let c = store::commune_get(&mut tx, &dep, &insee).await?;
    match store::commune_upsert(
        &mut tx,
        &dep,
        &c.insee,
        &c.nom,
        &c.codes_postaux,
        c.population,
        secteur_id,
    )
    .await
    {
        Ok(()) => {}
        Err(parcours_store::StoreError::Reference) => {
            drop(tx);
            return commune_page(
                &state,
                &ctx,
                &insee,
                Some("Ce secteur n'existe pas dans le département.".into()),
                Some(f.secteur_id),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    }
    audit::append(
        &mut tx,
        &dep,
        &ctx.event("modification", "commune", &c.insee)
            .details(serde_json::json!({ "secteur_id": secteur_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/referentiel/communes/{}?message=modifie",
        c.insee
    ))
    .into_response())
}

#[derive(Template)]
#[template(path = "referentiel/resolution.html")]
pub struct ResolutionPage {
    pub l: Layout,
    pub commune: String,
    pub nom: String,
    pub searched: bool,
    pub result: Option<(String, String, String, String)>,
}

#[derive(Debug, Deserialize, Default)]
pub struct ResolutionQuery {
    pub commune: Option<String>,
    pub nom: Option<String>,
}

pub async fn resolution(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ResolutionQuery>,
) -> WebResult<Response> {
    let commune = q.commune.unwrap_or_default();
    let nom = q.nom.unwrap_or_default();
    let mut result = None;
    let searched = !commune.trim().is_empty();
    if searched {
        let mut conn = state.store.read().await?;
        let nom_opt = Some(nom.as_str()).filter(|n| !n.trim().is_empty());
        if let Some(r) = store::resolve(&mut conn, ctx.dep(), &commune, nom_opt).await? {
            result = Some((
                format!("{} ({})", r.commune.nom, r.commune.insee),
                r.secteur
                    .map(|s| format!("{} ({})", s.nom, s.code))
                    .unwrap_or_else(|| "aucun secteur".into()),
                r.site
                    .as_ref()
                    .map(|s| s.nom.clone())
                    .unwrap_or_else(|| "—".into()),
                r.site.map(|s| s.adresse).unwrap_or_default(),
            ));
        }
    }
    Ok(render(&ResolutionPage {
        l: ctx.layout(),
        commune,
        nom,
        searched,
        result,
    }))
}

#[derive(Template)]
#[template(path = "referentiel/import.html")]
pub struct ImportPage {
    pub l: Layout,
    pub error: Option<String>,
    pub kind: String,
}

pub async fn import_form(ctx: Ctx) -> Response {
    render(&ImportPage {
        l: ctx.layout(),
        error: None,
        kind: String::new(),
    })
}

pub async fn import_upload(
    State(state): State<AppState>,
    ctx: Ctx,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> WebResult<Response> {
    let again = |ctx: &Ctx, kind: &str, error: String| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&ImportPage {
                l: ctx.layout(),
                error: Some(error),
                kind: kind.to_string(),
            }),
        )
            .into_response()
    };
    let Ok(mut multipart) = multipart else {
        return Ok(again(
            &ctx,
            "",
            "Le formulaire d'envoi est mal formé ; choisissez un fichier et recommencez.".into(),
        ));
    };
    let mut kind = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let filename = field.file_name().map(str::to_string);
                let data = match field.bytes().await {
                    Ok(d) => d,
                    Err(_) => {
                        return Ok(again(
                            &ctx,
                            &kind,
                            "Le fichier est trop volumineux ou l'envoi a été interrompu.".into(),
                        ))
                    }
                };
                match name.as_str() {
                    "type" => kind = String::from_utf8_lossy(&data).to_string(),
                    "fichier" => {
                        file = Some((
                            filename.unwrap_or_else(|| "fichier.csv".into()),
                            data.to_vec(),
                        ))
                    }
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => {
                return Ok(again(
                    &ctx,
                    &kind,
                    "Le fichier est trop volumineux ou l'envoi a été interrompu.".into(),
                ))
            }
        }
    }
    let Some(k) = ImportKind::parse(&kind) else {
        return Ok(again(
            &ctx,
            &kind,
            "Choisissez ce que contient le fichier (secteurs ou communes).".into(),
        ));
    };
    let Some((filename, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Ok(again(
            &ctx,
            &kind,
            "Choisissez un fichier CSV à importer.".into(),
        ));
    };
    let dep = ctx.dep().to_string();
    let mut conn = state.store.read().await?;
    let known = Known {
        departement_code: if dep.len() <= 3 {
            dep.clone()
        } else {
            String::new()
        },
        site_codes: store::sites(&mut conn, &dep)
            .await?
            .into_iter()
            .filter(|s| s.ferme_le.is_none())
            .map(|s| s.code)
            .collect(),
        secteur_codes: store::secteurs(&mut conn, &dep)
            .await?
            .into_iter()
            .filter(|s| s.ferme_le.is_none())
            .map(|s| s.code)
            .collect(),
    };
    drop(conn);
    let preview = match import::preview(k, &bytes, &known) {
        Ok(p) => p,
        Err(e) => return Ok(again(&ctx, &kind, e.to_string())),
    };
    let mut tx = state.store.begin().await?;
    let id = imports::save(
        &mut tx,
        &dep,
        &filename,
        &preview,
        ctx.principal.agent_id.unwrap_or_default(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/referentiel/import/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "referentiel/import_preview.html")]
pub struct PreviewPage {
    pub l: Layout,
    pub id: i64,
    pub filename: String,
    pub kind: String,
    pub status: String,
    pub accepted: Vec<Vec<String>>,
    pub accepted_total: usize,
    pub header: Vec<String>,
    pub rejected: Vec<(u64, String, String)>,
}

pub async fn import_preview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let p = imports::get(&mut conn, ctx.dep(), id).await?;
    let pv = &p.preview;
    let (header, accepted): (Vec<String>, Vec<Vec<String>>) = match pv.kind {
        ImportKind::Secteurs => (
            vec!["Code".into(), "Nom".into(), "Site".into()],
            pv.secteurs
                .iter()
                .take(200)
                .map(|s| vec![s.code.clone(), s.nom.clone(), s.site_code.clone()])
                .collect(),
        ),
        ImportKind::Communes => (
            vec![
                "Code INSEE".into(),
                "Nom".into(),
                "Codes postaux".into(),
                "Habitants".into(),
                "Secteur".into(),
            ],
            pv.communes
                .iter()
                .take(200)
                .map(|c| {
                    vec![
                        c.insee.clone(),
                        c.nom.clone(),
                        c.codes_postaux.join(", "),
                        c.population.to_string(),
                        c.secteur_code.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        ),
    };
    Ok(render(&PreviewPage {
        l: ctx.layout(),
        id,
        filename: p.filename.clone(),
        kind: pv.kind.libelle().into(),
        status: p.status.clone(),
        accepted,
        accepted_total: pv.accepted(),
        header,
        rejected: pv
            .rejected
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.column.clone().unwrap_or_else(|| "—".into()),
                    r.message.clone(),
                )
            })
            .collect(),
    }))
}

pub async fn import_apply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let mut tx = state.store.begin().await?;
    let n = match imports::apply(&mut tx, &dep, id).await {
        Ok(n) => n,
        Err(parcours_store::StoreError::Conflict(_)) => {
            return Err(WebError::Conflict(
                "cet import a déjà été appliqué ou abandonné".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(
        &mut tx,
        &dep,
        &ctx.event("modification", "import", id)
            .details(serde_json::json!({ "lignes": n })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/referentiel/import/{id}?message=importe")).into_response())
}

pub async fn import_abandon(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    imports::abandon(&mut tx, ctx.dep(), id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/referentiel/import/{id}?message=abandonne")).into_response())
}
