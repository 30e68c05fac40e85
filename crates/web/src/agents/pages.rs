//! Agents screens: the list (scoped to a cadre's sites), the staff record form (trade, role, service,
//! site, secteur, ETP, replacement pool), closing a record, and setting a local password.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::habilitations::policy::{allows, reaches_site, Action};
use parcours_domain::habilitations::{password, Role};
use parcours_domain::referentiel::{
    format_etp, metier_libelle, Agent, AgentForm, NewAgent, METIERS,
};
use parcours_domain::FieldErrors;
use parcours_store::agents::{self as store, AgentFilter, AgentSort};
use parcours_store::{audit, referentiel, StoreError};
use serde::Deserialize;

use crate::auth::Ctx;
use crate::error::{Form, Path, Query, WebError, WebResult};
use crate::pages::{
    enc, options, page_number, render, ButtonForm, Cell, Column, Field, FormPage, Pagination,
    TablePage, PER_PAGE,
};
use crate::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    pub texte: Option<String>,
    pub site: Option<String>,
    pub role: Option<String>,
    pub tri: Option<String>,
    pub fermes: Option<String>,
    pub page: Option<String>,
}

/// A cadre sees the agents of their sites; an administrator sees everyone.
fn perimetre(ctx: &Ctx) -> Option<Vec<i64>> {
    match ctx.principal.role {
        Role::Administrateur => None,
        _ => Some(ctx.principal.site_ids.clone()),
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let mut conn = state.store.read().await?;
    let sites = referentiel::sites(&mut conn, &dep).await?;
    let filter = AgentFilter {
        texte: q
            .texte
            .clone()
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().to_string()),
        site_id: q.site.as_deref().and_then(|s| s.parse().ok()),
        service_id: None,
        role: q.role.as_deref().and_then(Role::parse),
        inclure_fermes: q.fermes.is_some(),
        perimetre: perimetre(&ctx),
    };
    let sort = match q.tri.as_deref() {
        Some("matricule") => AgentSort::Matricule,
        Some("metier") => AgentSort::Metier,
        _ => AgentSort::Nom,
    };
    let page = page_number(q.page.as_deref());
    let (list, total) = store::list(
        &mut conn,
        &dep,
        &filter,
        sort,
        PER_PAGE,
        (page - 1) * PER_PAGE,
    )
    .await?;
    let mut base = String::from("/agents?");
    for (k, v) in [
        ("texte", &filter.texte),
        ("site", &q.site),
        ("role", &q.role),
        ("fermes", &q.fermes),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            base.push_str(&format!("{k}={}&", enc(v)));
        }
    }
    let with_sort = |t: &str| format!("{base}tri={t}");
    let sorted = |t: &str| (q.tri.as_deref().unwrap_or("nom") == t).then_some("ascending");
    let page_base = format!("{base}tri={}", q.tri.as_deref().unwrap_or("nom"));
    let rows = list
        .iter()
        .map(|a| {
            let site = a
                .site_ids
                .first()
                .and_then(|id| sites.iter().find(|s| s.id == *id))
                .map(|s| s.nom.clone())
                .unwrap_or_else(|| {
                    if a.pool_remplacement {
                        "Pool de remplacement".into()
                    } else {
                        "Services centraux".into()
                    }
                });
            vec![
                Cell::link(a.nom_complet(), format!("/agents/{}", a.id)),
                Cell::text(a.matricule.clone()),
                Cell::text(metier_libelle(&a.metier)),
                Cell::text(a.role.libelle()),
                Cell::text(site),
                Cell::text(format_etp(a.etp_centiemes)),
                Cell::text(if a.ferme_le.is_some() {
                    "Fermé"
                } else {
                    "Actif"
                }),
            ]
        })
        .collect();
    let col = |label: &str, key: &str| Column {
        label: label.into(),
        sort_href: Some(with_sort(key)),
        aria_sort: sorted(key),
    };
    let table = TablePage {
        l: ctx.layout(),
        title: "Agents".into(),
        intro: (ctx.principal.role == Role::Cadre)
            .then(|| "Les agents des sites dont vous avez la responsabilité.".to_string()),
        actions: if allows(&ctx.principal, Action::AgentsGerer) {
            vec![("/agents/nouveau".into(), "Ajouter un agent".into())]
        } else {
            vec![]
        },
        filters: vec![
            Field::text(
                "texte",
                "Nom, matricule ou adresse",
                q.texte.as_deref().unwrap_or(""),
            )
            .kind("search"),
            Field::text("site", "Site", q.site.as_deref().unwrap_or("")).select(options(
                "Tous les sites",
                sites.iter().map(|s| (s.id.to_string(), s.nom.clone())),
            )),
            Field::text("role", "Rôle", q.role.as_deref().unwrap_or("")).select(options(
                "Tous les rôles",
                Role::ALL
                    .iter()
                    .map(|r| (r.code().into(), r.libelle().into())),
            )),
            Field {
                value: q.fermes.clone().unwrap_or_default(),
                ..Field::text("fermes", "Inclure les agents partis", "").kind("checkbox")
            },
        ],
        filter_action: "/agents".into(),
        columns: vec![
            col("Nom", "nom"),
            col("Matricule", "matricule"),
            col("Métier", "metier"),
            Column::plain("Rôle"),
            Column::plain("Site"),
            Column::plain("ETP"),
            Column::plain("État"),
        ],
        rows,
        pagination: Some(Pagination::new(&page_base, page, PER_PAGE, total)),
        caption: "Agents du département".into(),
        empty: "Aucun agent ne correspond à ces filtres.".into(),
    };
    Ok(render(&table))
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    id: Option<i64>,
    f: &AgentForm,
    errors: &FieldErrors,
    agent: Option<&Agent>,
) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let mut conn = state.store.read().await?;
    let services = referentiel::services(&mut conn, &dep).await?;
    let sites = referentiel::sites(&mut conn, &dep).await?;
    let secteurs = referentiel::secteurs(&mut conn, &dep).await?;
    let t = |name: &str, label: &str, v: &str| Field::text(name, label, v).error_from(errors);
    let mut fields = vec![
        t("matricule", "Matricule", &f.matricule).required(),
        t("prenom", "Prénom", &f.prenom)
            .required()
            .autocomplete("off"),
        t("nom", "Nom", &f.nom).required().autocomplete("off"),
        t("email", "Adresse électronique professionnelle", &f.email)
            .kind("email")
            .required()
            .autocomplete("off")
            .hint("Elle sert d'identifiant, y compris avec ProConnect."),
        t("metier", "Métier", &f.metier).required().select(options(
            "— choisir —",
            METIERS.iter().map(|(c, l)| (c.to_string(), l.to_string())),
        )),
        t("role", "Rôle dans Parcours", &f.role)
            .required()
            .select(options(
                "— choisir —",
                Role::ALL
                    .iter()
                    .map(|r| (r.code().into(), r.libelle().into())),
            )),
        t("service_id", "Service", &f.service_id)
            .required()
            .select(options(
                "— choisir —",
                services
                    .iter()
                    .filter(|s| s.ferme_le.is_none())
                    .map(|s| (s.id.to_string(), s.nom.clone())),
            )),
        t("site_id", "Site d'affectation", &f.site_id).select(options(
            "Aucun (services centraux)",
            sites
                .iter()
                .filter(|s| s.ferme_le.is_none())
                .map(|s| (s.id.to_string(), s.nom.clone())),
        )),
        t("secteur_id", "Secteur", &f.secteur_id).select(options(
            "Aucun",
            secteurs
                .iter()
                .filter(|s| s.ferme_le.is_none())
                .map(|s| (s.id.to_string(), format!("{} ({})", s.nom, s.code))),
        )),
        t("etp", "ETP du poste", &f.etp)
            .hint("Entre 0,01 et 1, par exemple 0,8 pour un temps partiel à 80 %."),
    ];
    let mut pool = Field::text(
        "pool_remplacement",
        "Fait partie du pool de remplacement",
        "",
    )
    .kind("checkbox");
    pool.value = if f.pool_remplacement.is_some() {
        "oui".into()
    } else {
        String::new()
    };
    fields.push(pool);
    let can_edit = allows(&ctx.principal, Action::AgentsGerer);
    if !can_edit {
        fields.clear();
    }
    let mut buttons = vec![];
    let mut details = vec![];
    let mut liens = vec![];
    if let (Some(id), Some(a)) = (id, agent) {
        if can_edit && a.ferme_le.is_none() {
            liens.push((
                format!("/agents/{id}/mot-de-passe"),
                if a.has_password {
                    "Réinitialiser le mot de passe".to_string()
                } else {
                    "Définir un mot de passe".to_string()
                },
            ));
            buttons.push(ButtonForm {
                action: format!("/agents/{id}/fermer"),
                label: "Clore la fiche (départ de l'agent)".into(),
                danger: true,
            });
        }
        details = vec![
            ("Nom".into(), a.nom_complet()),
            ("Rôle".into(), a.role.libelle().into()),
            ("Métier".into(), metier_libelle(&a.metier).into()),
            ("ETP".into(), format_etp(a.etp_centiemes)),
            (
                "Connexion locale".into(),
                if a.has_password {
                    "mot de passe défini".into()
                } else {
                    "aucun mot de passe (ProConnect seulement)".into()
                },
            ),
            (
                "État".into(),
                a.ferme_le
                    .clone()
                    .map(|d| format!("fiche close le {d}"))
                    .unwrap_or_else(|| "actif".into()),
            ),
        ];
    }
    let page = FormPage {
        liens,
        l: ctx.layout(),
        title: match agent {
            Some(a) => format!("Agent : {}", a.nom_complet()),
            None => "Nouvel agent".into(),
        },
        intro: None,
        action: match id {
            Some(id) => format!("/agents/{id}"),
            None => "/agents/nouveau".into(),
        },
        fields,
        submit: "Enregistrer".into(),
        cancel: Some("/agents".into()),
        multipart: false,
        buttons,
        details,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)).into_response())
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    form_page(
        &state,
        &ctx,
        None,
        &AgentForm {
            etp: "1".into(),
            ..Default::default()
        },
        &FieldErrors::new(),
        None,
    )
    .await
}

fn form_of(a: &Agent) -> AgentForm {
    AgentForm {
        matricule: a.matricule.clone(),
        prenom: a.prenom.clone(),
        nom: a.nom.clone(),
        email: a.email.clone(),
        metier: a.metier.clone(),
        role: a.role.code().into(),
        service_id: a.service_id.to_string(),
        site_id: a
            .site_ids
            .first()
            .map(|s| s.to_string())
            .unwrap_or_default(),
        secteur_id: a
            .secteur_ids
            .first()
            .map(|s| s.to_string())
            .unwrap_or_default(),
        etp: format_etp(a.etp_centiemes),
        pool_remplacement: a.pool_remplacement.then(|| "oui".to_string()),
    }
}

/// Loads an agent the principal may see: outside a cadre's sites it does not exist for them.
async fn visible_agent(state: &AppState, ctx: &Ctx, id: i64) -> WebResult<Agent> {
    let mut conn = state.store.read().await?;
    let a = store::get(&mut conn, ctx.dep(), id).await?;
    let visible = ctx.principal.role == Role::Administrateur
        || a.site_ids
            .iter()
            .any(|s| reaches_site(&ctx.principal, Some(*s)));
    if !visible {
        return Err(WebError::NotFound);
    }
    Ok(a)
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let a = visible_agent(&state, &ctx, id).await?;
    // Staff records are personal data: the read is audited.
    let mut tx = state.store.begin().await?;
    audit::append(&mut tx, ctx.dep(), &ctx.event("lecture", "agent", id)).await?;
    tx.commit().await?;
    form_page(
        &state,
        &ctx,
        Some(id),
        &form_of(&a),
        &FieldErrors::new(),
        Some(&a),
    )
    .await
}

async fn save(state: &AppState, ctx: &Ctx, id: Option<i64>, f: AgentForm) -> WebResult<Response> {
    let before = match id {
        Some(id) => Some(visible_agent(state, ctx, id).await?),
        None => None,
    };
    let parsed = match NewAgent::parse(&f) {
        Ok(p) => p,
        Err(e) => return form_page(state, ctx, id, &f, &e.0, before.as_ref()).await,
    };
    let dep = ctx.dep().to_string();
    let mut tx = state.store.begin().await?;
    let result = match id {
        Some(id) => store::update(&mut tx, &dep, id, &parsed).await.map(|_| id),
        None => store::create(&mut tx, &dep, &parsed).await,
    };
    let new_id = match result {
        Ok(i) => i,
        Err(StoreError::Conflict(field)) => {
            drop(tx);
            let mut e = FieldErrors::new();
            e.add(
                field,
                if field == "email" {
                    "Cette adresse est déjà celle d'un autre agent."
                } else {
                    "Ce matricule est déjà utilisé."
                },
            );
            return form_page(state, ctx, id, &f, &e, before.as_ref()).await;
        }
        Err(StoreError::Reference) => {
            drop(tx);
            let mut e = FieldErrors::new();
            e.add(
                "site_id",
                "Le site, le secteur ou le service choisi n'existe pas dans le département.",
            );
            return form_page(state, ctx, id, &f, &e, before.as_ref()).await;
        }
        Err(e) => return Err(e.into()),
    };
    let mut details = serde_json::to_value(&f).unwrap_or_default();
    if let Some(obj) = details.as_object_mut() {
        obj.retain(|_, v| !v.is_null());
    }
    audit::append(
        &mut tx,
        &dep,
        &ctx.event(
            if id.is_some() {
                "modification"
            } else {
                "creation"
            },
            "agent",
            new_id,
        )
        .details(details),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/agents/{new_id}?message={}",
        if id.is_some() { "modifie" } else { "cree" }
    ))
    .into_response())
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<AgentForm>,
) -> WebResult<Response> {
    save(&state, &ctx, None, f).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<AgentForm>,
) -> WebResult<Response> {
    save(&state, &ctx, Some(id), f).await
}

pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    visible_agent(&state, &ctx, id).await?;
    let today = parcours_store::clock()
        .today()
        .format("%Y-%m-%d")
        .to_string();
    let mut tx = state.store.begin().await?;
    store::close(&mut tx, ctx.dep(), id, &today).await?;
    audit::append(&mut tx, ctx.dep(), &ctx.event("fermeture", "agent", id)).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/agents/{id}?message=ferme")).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct SetPasswordForm {
    #[serde(default)]
    pub mot_de_passe: String,
    #[serde(default)]
    pub confirmation: String,
}

/// The administrator's screen to set or reset an agent's password (to give it to them by a channel
/// of the département's choosing); the agent's sessions end with it.
async fn password_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let a = visible_agent(state, ctx, id).await?;
    if a.ferme_le.is_some() {
        return Err(WebError::Conflict(
            "la fiche de cet agent est close : aucun mot de passe ne peut lui être donné".into(),
        ));
    }
    let fields = vec![
        Field::text("mot_de_passe", "Nouveau mot de passe", "")
            .kind("password")
            .required()
            .autocomplete("new-password")
            .hint("Au moins 12 caractères, avec minuscules, majuscules, chiffres et caractères spéciaux, sans l'adresse de l'agent.")
            .error_from(errors),
        Field::text("confirmation", "Confirmation du mot de passe", "")
            .kind("password")
            .required()
            .autocomplete("new-password")
            .error_from(errors),
    ];
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FormPage {
        liens: vec![],
        l: ctx.layout(),
        title: format!("Mot de passe de {}", a.nom_complet()),
        intro: Some(if a.has_password {
            "Le nouveau mot de passe remplace l'actuel ; toutes les sessions ouvertes de l'agent sont fermées. Transmettez-le-lui par un canal sûr : il pourra le changer depuis « Mon compte ».".into()
        } else {
            "L'agent se connecte aujourd'hui par ProConnect seulement ; ce mot de passe lui ouvre aussi la connexion locale. Transmettez-le-lui par un canal sûr.".into()
        }),
        action: format!("/agents/{id}/mot-de-passe"),
        fields,
        submit: "Enregistrer le mot de passe".into(),
        cancel: Some(format!("/agents/{id}")),
        multipart: false,
        buttons: vec![],
        details: vec![],
    };
    Ok((status, render(&page)).into_response())
}

pub async fn password_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    password_page(&state, &ctx, id, &FieldErrors::new()).await
}

pub async fn set_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<SetPasswordForm>,
) -> WebResult<Response> {
    let a = visible_agent(&state, &ctx, id).await?;
    let mut e = FieldErrors::new();
    if let Err(m) = password::check(&f.mot_de_passe, &a.email) {
        e.add("mot_de_passe", m);
    } else if f.confirmation != f.mot_de_passe {
        e.add(
            "confirmation",
            "La confirmation ne correspond pas au mot de passe saisi.",
        );
    }
    if !e.is_empty() {
        return password_page(&state, &ctx, id, &e).await;
    }
    let typed = f.mot_de_passe.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&typed))
        .await
        .map_err(|e| anyhow::anyhow!(e))?
        .map_err(|e| anyhow::anyhow!(e))?;
    let mut tx = state.store.begin().await?;
    store::set_password(&mut tx, ctx.dep(), id, &hash).await?;
    // A reset by the administrator ends every session of the agent (the administrator's own included
    // when resetting their own password here).
    let ended = parcours_store::sessions::revoke_agent(&mut tx, ctx.dep(), id, None).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("mot_de_passe", "agent", id)
            .details(serde_json::json!({ "sessions_fermees": ended })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/agents/{id}?message=mot_de_passe")).into_response())
}
