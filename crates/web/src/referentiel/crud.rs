//! The administration screens of the simple référentiel records (territoires, sites, secteurs,
//! permanences, services): one list, one form for creation and edition, close and reopen. Records are
//! never deleted: history refers to them.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::referentiel::{
    NewPermanence, NewSecteur, NewService, NewSite, NewTerritoire, ServiceKind, SiteKind,
    TerritoireKind,
};
use parcours_domain::{FieldErrors, Invalid};
use parcours_store::referentiel::{self as store, Closable};
use parcours_store::{audit, Conn, StoreError};

use crate::auth::Ctx;
use crate::error::{Form, Path, WebError, WebResult};
use crate::pages::{options, render, ButtonForm, Cell, Column, Field, FormPage, TablePage};
use crate::AppState;

/// The kinds of record handled here, by their URL segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entite {
    Territoires,
    Sites,
    Secteurs,
    Permanences,
    Services,
}

impl Entite {
    pub fn parse(s: &str) -> Result<Self, WebError> {
        Ok(match s {
            "territoires" => Self::Territoires,
            "sites" => Self::Sites,
            "secteurs" => Self::Secteurs,
            "permanences" => Self::Permanences,
            "services" => Self::Services,
            _ => return Err(WebError::NotFound),
        })
    }
    fn segment(self) -> &'static str {
        match self {
            Self::Territoires => "territoires",
            Self::Sites => "sites",
            Self::Secteurs => "secteurs",
            Self::Permanences => "permanences",
            Self::Services => "services",
        }
    }
    fn plural(self) -> &'static str {
        match self {
            Self::Territoires => "Territoires",
            Self::Sites => "Maisons des solidarités et sites",
            Self::Secteurs => "Secteurs",
            Self::Permanences => "Permanences sociales",
            Self::Services => "Services",
        }
    }
    fn singular(self) -> &'static str {
        match self {
            Self::Territoires => "territoire",
            Self::Sites => "site",
            Self::Secteurs => "secteur",
            Self::Permanences => "permanence",
            Self::Services => "service",
        }
    }
    fn closable(self) -> Closable {
        match self {
            Self::Territoires => Closable::Territoire,
            Self::Sites => Closable::Site,
            Self::Secteurs => Closable::Secteur,
            Self::Permanences => Closable::Permanence,
            Self::Services => Closable::Service,
        }
    }
}

fn state_label(ferme_le: &Option<String>) -> String {
    match ferme_le {
        Some(d) => format!("Fermé le {d}"),
        None => "Ouvert".into(),
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(entite): Path<String>,
) -> WebResult<Response> {
    let e = Entite::parse(&entite)?;
    let dep = ctx.dep().to_string();
    let mut conn = state.store.read().await?;
    let sites = store::sites(&mut conn, &dep).await?;
    let site_nom = |id: i64| {
        sites
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.nom.clone())
            .unwrap_or_default()
    };
    let base = format!("/referentiel/{}", e.segment());
    let (columns, rows): (Vec<&str>, Vec<Vec<Cell>>) = match e {
        Entite::Territoires => {
            let list = store::territoires(&mut conn, &dep).await?;
            (
                vec!["Code", "Nom", "Type", "État"],
                list.into_iter()
                    .map(|t| {
                        vec![
                            Cell::link(t.code.clone(), format!("{base}/{}", t.id)),
                            Cell::text(t.nom),
                            Cell::text(t.kind.code()),
                            Cell::text(state_label(&t.ferme_le)),
                        ]
                    })
                    .collect(),
            )
        }
        Entite::Sites => {
            let ters = store::territoires(&mut conn, &dep).await?;
            (
                vec!["Code", "Nom", "Type", "Territoire", "Adresse", "État"],
                sites
                    .iter()
                    .map(|s| {
                        vec![
                            Cell::link(s.code.clone(), format!("{base}/{}", s.id)),
                            Cell::text(s.nom.clone()),
                            Cell::text(s.kind.code()),
                            Cell::text(
                                ters.iter()
                                    .find(|t| t.id == s.territoire_id)
                                    .map(|t| t.nom.clone())
                                    .unwrap_or_default(),
                            ),
                            Cell::text(s.adresse.clone()),
                            Cell::text(state_label(&s.ferme_le)),
                        ]
                    })
                    .collect(),
            )
        }
        Entite::Secteurs => {
            let list = store::secteurs(&mut conn, &dep).await?;
            (
                vec!["Code", "Nom", "Site", "Communes", "État"],
                list.into_iter()
                    .map(|s| {
                        vec![
                            Cell::link(s.code.clone(), format!("{base}/{}", s.id)),
                            Cell::text(s.nom.clone()),
                            Cell::text(site_nom(s.site_id)),
                            Cell::link(
                                "Voir les communes",
                                format!("/referentiel/communes?secteur={}", s.id),
                            ),
                            Cell::text(state_label(&s.ferme_le)),
                        ]
                    })
                    .collect(),
            )
        }
        Entite::Permanences => {
            let list = store::permanences(&mut conn, &dep).await?;
            (
                vec!["Nom", "Site", "Adresse", "Horaires", "État"],
                list.into_iter()
                    .map(|p| {
                        vec![
                            Cell::link(p.nom.clone(), format!("{base}/{}", p.id)),
                            Cell::text(site_nom(p.site_id)),
                            Cell::text(p.adresse),
                            Cell::text(p.horaires),
                            Cell::text(state_label(&p.ferme_le)),
                        ]
                    })
                    .collect(),
            )
        }
        Entite::Services => {
            let list = store::services(&mut conn, &dep).await?;
            (
                vec!["Code", "Nom", "Type", "État"],
                list.into_iter()
                    .map(|s| {
                        vec![
                            Cell::link(s.code.clone(), format!("{base}/{}", s.id)),
                            Cell::text(s.nom),
                            Cell::text(s.kind.libelle()),
                            Cell::text(state_label(&s.ferme_le)),
                        ]
                    })
                    .collect(),
            )
        }
    };
    let can_edit = parcours_domain::habilitations::policy::allows(
        &ctx.principal,
        parcours_domain::habilitations::policy::Action::ReferentielGerer,
    );
    let page = TablePage {
        l: ctx.layout(),
        title: e.plural().into(),
        intro: None,
        actions: if can_edit {
            vec![(
                format!("{base}/nouveau"),
                format!("Ajouter un {}", e.singular()),
            )]
        } else {
            vec![]
        },
        filters: vec![],
        filter_action: base.clone(),
        columns: columns.into_iter().map(Column::plain).collect(),
        caption: e.plural().into(),
        empty: "Aucun enregistrement.".into(),
        rows,
        pagination: None,
    };
    Ok(render(&page))
}

/// The fields of an entity's form, filled with `v` and the messages of `errors`.
async fn fields(
    conn: &mut Conn,
    dep: &str,
    e: Entite,
    v: &HashMap<String, String>,
    errors: &FieldErrors,
) -> WebResult<Vec<Field>> {
    let val = |k: &str| v.get(k).cloned().unwrap_or_default();
    let f = |name: &str, label: &str| Field::text(name, label, &val(name)).error_from(errors);
    let site_options = options(
        "— choisir —",
        store::sites(&mut *conn, dep)
            .await?
            .into_iter()
            .filter(|s| s.ferme_le.is_none())
            .map(|s| (s.id.to_string(), s.nom)),
    );
    let sites = || async { Ok::<_, WebError>(site_options.clone()) };
    Ok(match e {
        Entite::Territoires => vec![
            f("code", "Code").required().hint("Lettres, chiffres et tirets, par exemple UTASI-NORD."),
            f("nom", "Nom").required(),
            f("kind", "Type").required().select(options("— choisir —", TerritoireKind::ALL.iter().map(|k| (k.code().into(), k.libelle().into())))),
        ],
        Entite::Sites => {
            let ters = store::territoires(&mut *conn, dep).await?;
            vec![
                f("territoire_id", "Territoire").required().select(options("— choisir —", ters.into_iter().filter(|t| t.ferme_le.is_none()).map(|t| (t.id.to_string(), t.nom)))),
                f("code", "Code").required(),
                f("nom", "Nom").required(),
                f("kind", "Type").required().select(options("— choisir —", SiteKind::ALL.iter().map(|k| (k.code().into(), k.libelle().into())))),
                f("adresse", "Adresse").required().autocomplete("street-address"),
                f("commune_insee", "Code INSEE de la commune").hint("5 caractères, par exemple 96001."),
            ]
        }
        Entite::Secteurs => vec![
            f("site_id", "Maison des solidarités").required().select(sites().await?),
            f("code", "Code").required(),
            f("nom", "Nom").required(),
        ],
        Entite::Permanences => vec![
            f("site_id", "Maison des solidarités de rattachement").required().select(sites().await?),
            f("nom", "Nom").required(),
            f("commune_insee", "Code INSEE de la commune").required().hint("5 caractères, par exemple 96001."),
            f("adresse", "Adresse").required(),
            f("horaires", "Horaires").required().kind("textarea").hint("Tels que le public les lit, par exemple « mardi 9h-12h, jeudi 14h-17h sur rendez-vous »."),
        ],
        Entite::Services => vec![
            f("code", "Code").required(),
            f("nom", "Nom").required(),
            f("kind", "Type de service").required().select(options("— choisir —", ServiceKind::ALL.iter().map(|k| (k.code().into(), k.libelle().into())))),
        ],
    })
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    e: Entite,
    id: Option<i64>,
    values: &HashMap<String, String>,
    errors: &FieldErrors,
    ferme_le: Option<String>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let fields = fields(&mut conn, ctx.dep(), e, values, errors).await?;
    let base = format!("/referentiel/{}", e.segment());
    let can_edit = parcours_domain::habilitations::policy::allows(
        &ctx.principal,
        parcours_domain::habilitations::policy::Action::ReferentielGerer,
    );
    let mut buttons = vec![];
    if let (Some(id), true) = (id, can_edit) {
        buttons.push(match ferme_le {
            None => ButtonForm {
                action: format!("{base}/{id}/fermer"),
                label: format!("Fermer ce {}", e.singular()),
                danger: true,
            },
            Some(_) => ButtonForm {
                action: format!("{base}/{id}/rouvrir"),
                label: format!("Rouvrir ce {}", e.singular()),
                danger: false,
            },
        });
    }
    let page = FormPage {
        liens: vec![],
        l: ctx.layout(),
        title: match id {
            Some(_) => format!("{} — modifier le {}", e.plural(), e.singular()),
            None => format!("{} — nouveau {}", e.plural(), e.singular()),
        },
        intro: ferme_le.map(|d| {
            format!(
                "Fermé le {d} : il n'apparaît plus dans les choix, mais reste dans l'historique."
            )
        }),
        action: match id {
            Some(id) => format!("{base}/{id}"),
            None => format!("{base}/nouveau"),
        },
        fields,
        submit: "Enregistrer".into(),
        cancel: Some(base),
        multipart: false,
        buttons,
        details: vec![],
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)).into_response())
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(entite): Path<String>,
) -> WebResult<Response> {
    let e = Entite::parse(&entite)?;
    form_page(
        &state,
        &ctx,
        e,
        None,
        &HashMap::new(),
        &FieldErrors::new(),
        None,
    )
    .await
}

async fn values_of(
    conn: &mut Conn,
    dep: &str,
    e: Entite,
    id: i64,
) -> WebResult<(HashMap<String, String>, Option<String>)> {
    let mut v = HashMap::new();
    let mut put = |k: &str, s: String| {
        v.insert(k.to_string(), s);
    };
    let ferme = match e {
        Entite::Territoires => {
            let t = store::territoire_get(conn, dep, id).await?;
            put("code", t.code);
            put("nom", t.nom);
            put("kind", t.kind.code().into());
            t.ferme_le
        }
        Entite::Sites => {
            let s = store::site_get(conn, dep, id).await?;
            put("territoire_id", s.territoire_id.to_string());
            put("code", s.code);
            put("nom", s.nom);
            put("kind", s.kind.code().into());
            put("adresse", s.adresse);
            put("commune_insee", s.commune_insee.unwrap_or_default());
            s.ferme_le
        }
        Entite::Secteurs => {
            let s = store::secteur_get(conn, dep, id).await?;
            put("site_id", s.site_id.to_string());
            put("code", s.code);
            put("nom", s.nom);
            s.ferme_le
        }
        Entite::Permanences => {
            let p = store::permanence_get(conn, dep, id).await?;
            put("site_id", p.site_id.to_string());
            put("nom", p.nom);
            put("commune_insee", p.commune_insee);
            put("adresse", p.adresse);
            put("horaires", p.horaires);
            p.ferme_le
        }
        Entite::Services => {
            let s = store::service_get(conn, dep, id).await?;
            put("code", s.code);
            put("nom", s.nom);
            put("kind", s.kind.code().into());
            s.ferme_le
        }
    };
    Ok((v, ferme))
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((entite, id)): Path<(String, i64)>,
) -> WebResult<Response> {
    let e = Entite::parse(&entite)?;
    let mut conn = state.store.read().await?;
    let (values, ferme) = values_of(&mut conn, ctx.dep(), e, id).await?;
    drop(conn);
    form_page(
        &state,
        &ctx,
        e,
        Some(id),
        &values,
        &FieldErrors::new(),
        ferme,
    )
    .await
}

/// Writes a record; the error is either invalid fields or a store failure.
enum SaveError {
    Invalid(Invalid),
    Store(StoreError),
}

impl From<Invalid> for SaveError {
    fn from(e: Invalid) -> Self {
        SaveError::Invalid(e)
    }
}
impl From<StoreError> for SaveError {
    fn from(e: StoreError) -> Self {
        SaveError::Store(e)
    }
}

async fn save(
    conn: &mut Conn,
    dep: &str,
    e: Entite,
    id: Option<i64>,
    v: &HashMap<String, String>,
) -> Result<i64, SaveError> {
    let g = |k: &str| v.get(k).map(String::as_str).unwrap_or("");
    Ok(match e {
        Entite::Territoires => {
            let t = NewTerritoire::parse(g("code"), g("nom"), g("kind"))?;
            match id {
                Some(id) => store::territoire_update(conn, dep, id, &t)
                    .await
                    .map(|_| id)?,
                None => store::territoire_create(conn, dep, &t).await?,
            }
        }
        Entite::Sites => {
            let s = NewSite::parse(
                g("territoire_id"),
                g("code"),
                g("nom"),
                g("kind"),
                g("adresse"),
                g("commune_insee"),
            )?;
            match id {
                Some(id) => store::site_update(conn, dep, id, &s).await.map(|_| id)?,
                None => store::site_create(conn, dep, &s).await?,
            }
        }
        Entite::Secteurs => {
            let s = NewSecteur::parse(g("site_id"), g("code"), g("nom"))?;
            match id {
                Some(id) => store::secteur_update(conn, dep, id, &s).await.map(|_| id)?,
                None => store::secteur_create(conn, dep, &s).await?,
            }
        }
        Entite::Permanences => {
            let p = NewPermanence::parse(
                g("site_id"),
                g("commune_insee"),
                g("nom"),
                g("adresse"),
                g("horaires"),
            )?;
            match id {
                Some(id) => store::permanence_update(conn, dep, id, &p)
                    .await
                    .map(|_| id)?,
                None => store::permanence_create(conn, dep, &p).await?,
            }
        }
        Entite::Services => {
            let s = NewService::parse(g("code"), g("nom"), g("kind"))?;
            match id {
                Some(id) => store::service_update(conn, dep, id, &s).await.map(|_| id)?,
                None => store::service_create(conn, dep, &s).await?,
            }
        }
    })
}

async fn save_and_answer(
    state: &AppState,
    ctx: &Ctx,
    e: Entite,
    id: Option<i64>,
    mut v: HashMap<String, String>,
) -> WebResult<Response> {
    v.remove("_csrf");
    let mut tx = state.store.begin().await?;
    match save(&mut tx, ctx.dep(), e, id, &v).await {
        Ok(new_id) => {
            let action = if id.is_some() {
                "modification"
            } else {
                "creation"
            };
            audit::append(
                &mut tx,
                ctx.dep(),
                &ctx.event(action, e.closable().record_type(), new_id)
                    .details(serde_json::to_value(&v).unwrap_or_default()),
            )
            .await?;
            tx.commit().await?;
            let msg = if id.is_some() { "modifie" } else { "cree" };
            Ok(
                Redirect::to(&format!("/referentiel/{}?message={msg}", e.segment()))
                    .into_response(),
            )
        }
        Err(err) => {
            // Nothing was written: the transaction is dropped and the form comes back as typed.
            drop(tx);
            let errors = match err {
                SaveError::Invalid(i) => i.0,
                SaveError::Store(StoreError::Conflict(field)) => {
                    let mut f = FieldErrors::new();
                    f.add(field, "Cette valeur est déjà utilisée par un autre enregistrement du département.");
                    f
                }
                SaveError::Store(StoreError::Reference) => {
                    let mut f = FieldErrors::new();
                    let field = if v.contains_key("commune_insee") {
                        "commune_insee"
                    } else {
                        "site_id"
                    };
                    f.add(
                        field,
                        "Cette référence n'existe pas dans le référentiel du département.",
                    );
                    f
                }
                SaveError::Store(other) => return Err(other.into()),
            };
            form_page(state, ctx, e, id, &v, &errors, None).await
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(entite): Path<String>,
    Form(v): Form<HashMap<String, String>>,
) -> WebResult<Response> {
    let e = Entite::parse(&entite)?;
    save_and_answer(&state, &ctx, e, None, v).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((entite, id)): Path<(String, i64)>,
    Form(v): Form<HashMap<String, String>>,
) -> WebResult<Response> {
    let e = Entite::parse(&entite)?;
    save_and_answer(&state, &ctx, e, Some(id), v).await
}

pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((entite, id)): Path<(String, i64)>,
) -> WebResult<Response> {
    let e = Entite::parse(&entite)?;
    let today = parcours_store::clock()
        .today()
        .format("%Y-%m-%d")
        .to_string();
    let mut tx = state.store.begin().await?;
    store::close(&mut tx, ctx.dep(), e.closable(), id, &today).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("fermeture", e.closable().record_type(), id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/referentiel/{}?message=ferme", e.segment())).into_response())
}

pub async fn reopen(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((entite, id)): Path<(String, i64)>,
) -> WebResult<Response> {
    let e = Entite::parse(&entite)?;
    let mut tx = state.store.begin().await?;
    store::reopen(&mut tx, ctx.dep(), e.closable(), id).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("reouverture", e.closable().record_type(), id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/referentiel/{}?message=rouvert", e.segment())).into_response())
}
