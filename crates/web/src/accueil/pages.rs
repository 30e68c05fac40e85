//! The desk log (« main courante de l'accueil », seed 001 fiches 1 to 4) in the browser: a form made to
//! record an ordinary contact with a few keystrokes (defaults: now, the agent's site, a visit;
//! autofocus on the request's typology, access keys on every field), the person found through the
//! search or left anonymous, the day's contacts of the site below it, and the département's request
//! reasons. Every write and every list is audited.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use parcours_domain::accueil::appui::Motif;
use parcours_domain::accueil::{Canal, ContactForm, Lieu, Reponse, Typologie, PARTENAIRES};
use parcours_domain::agenda::heure;
use parcours_domain::habilitations::policy::reaches_site;
use parcours_domain::FieldErrors;
use parcours_store::accueil as store;
use parcours_store::{audit, referentiel, StoreError};

use super::{record, PAR_PAGE};
use crate::auth::Ctx;
use crate::error::{Form, Query, WebError, WebResult};
use crate::pages::{self, render, Cell, Column, Field, Pagination, TablePage};
use crate::AppState;

type Params = BTreeMap<String, String>;

fn g(v: &Params, k: &str) -> String {
    v.get(k).cloned().unwrap_or_default()
}

/// Places of the principal's sites: each open site, then its open permanences.
async fn lieux(state: &AppState, ctx: &Ctx) -> WebResult<Vec<(String, String)>> {
    let pr = &ctx.principal;
    let mut conn = state.store.read().await?;
    let sites = referentiel::sites(&mut conn, ctx.dep()).await?;
    let permanences = referentiel::permanences(&mut conn, ctx.dep()).await?;
    let mut out = vec![];
    for s in sites
        .iter()
        .filter(|s| s.ferme_le.is_none() && reaches_site(pr, Some(s.id)))
    {
        out.push((Lieu::Site(s.id).code(), s.nom.clone()));
        for p in permanences
            .iter()
            .filter(|p| p.site_id == s.id && p.ferme_le.is_none())
        {
            out.push((
                Lieu::Permanence(p.id).code(),
                format!("Permanence {} ({})", p.nom, s.nom),
            ));
        }
    }
    Ok(out)
}

/// The principal's first open site: the default place and the list shown under the form.
fn site_par_defaut(lieux: &[(String, String)]) -> Option<i64> {
    lieux.iter().find_map(|(code, _)| match Lieu::parse(code) {
        Some(Lieu::Site(id)) => Some(id),
        _ => None,
    })
}

fn codes<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    lib: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|x| (code(*x).to_string(), lib(*x).to_string()))
        .collect()
}

fn attente_text(m: Option<i64>) -> String {
    m.map(|m| format!("{m} min")).unwrap_or_else(|| "—".into())
}

/// The contacts of a site on a day, as table rows, with the paging; the read is audited (it names
/// persons).
async fn liste(
    state: &AppState,
    ctx: &Ctx,
    site_id: i64,
    date: NaiveDate,
    page: i64,
    base: &str,
    enregistre: Option<i64>,
) -> WebResult<(Vec<Vec<Cell>>, Pagination, Option<String>)> {
    let mut conn = state.store.read().await?;
    let (contacts, total) = store::jour(
        &mut conn,
        ctx.dep(),
        site_id,
        date,
        PAR_PAGE,
        (page - 1) * PAR_PAGE,
    )
    .await?;
    drop(conn);
    if total > 0 {
        let mut tx = state.store.begin().await?;
        audit::append(
            &mut tx,
            ctx.dep(),
            &ctx.event("lecture", "accueil_contacts", site_id)
                .details(serde_json::json!({
                    "date": date.to_string(),
                    "page": page,
                    "contacts": contacts.iter().map(|c| c.id).collect::<Vec<_>>(),
                })),
        )
        .await?;
        tx.commit().await?;
    }
    // The confirmation names what was saved: whose contact, at what time.
    let confirmation = enregistre
        .and_then(|id| contacts.iter().find(|c| c.id == id))
        .map(|c| match &c.personne {
            Some(p) => format!(
                "Contact de {p} enregistré à {}.",
                heure::hm(heure::minutes(c.moment))
            ),
            None => format!(
                "Contact anonyme enregistré à {}.",
                heure::hm(heure::minutes(c.moment))
            ),
        });
    let rows = contacts
        .into_iter()
        .map(|c| {
            let reponse = match &c.partenaire {
                Some(p) => format!("{} : {p}", c.reponse.libelle()),
                None => c.reponse.libelle().to_string(),
            };
            vec![
                Cell::text(c.moment.format("%H:%M").to_string()),
                Cell::text(c.canal.libelle()),
                Cell::text(
                    c.permanence
                        .map(|p| format!("Permanence {p}"))
                        .unwrap_or_else(|| "MDS".into()),
                ),
                match (c.personne_id, c.personne) {
                    (Some(id), Some(nom)) => Cell::link(nom, format!("/personnes/{id}")),
                    _ => Cell::text("Anonyme"),
                },
                Cell::text(match &c.motif {
                    Some(m) => format!("{} — {m}", c.typologie.libelle()),
                    None => c.typologie.libelle().to_string(),
                }),
                Cell::text(reponse),
                Cell::text(attente_text(c.attente_minutes)),
            ]
        })
        .collect();
    Ok((
        rows,
        Pagination::new(base, page, PAR_PAGE, total),
        confirmation,
    ))
}

fn colonnes() -> Vec<Column> {
    [
        "Heure", "Canal", "Lieu", "Personne", "Demande", "Réponse", "Attente",
    ]
    .iter()
    .map(|c| Column::plain(c))
    .collect()
}

fn page_of(v: &Params) -> i64 {
    g(v, "page")
        .parse::<i64>()
        .ok()
        .filter(|p| *p > 0)
        .unwrap_or(1)
}

// ---------------------------------------------------------------------------------------------------
// The form

pub struct Choix {
    pub id: String,
    pub nom: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "accueil/contact.html")]
pub struct ContactPage {
    pub l: pages::Layout,
    pub v: Params,
    pub errors: BTreeMap<String, String>,
    pub erreurs: Vec<(String, String, String)>,
    /// The search typed (GET form), kept on the main form to show the same choices again.
    pub q: String,
    pub searched: bool,
    pub choix: Vec<Choix>,
    pub canaux: Vec<(String, String)>,
    pub lieux: Vec<(String, String)>,
    pub typologies: Vec<(String, String)>,
    /// The département's motifs grouped by family, when it has some (they replace the families).
    pub groupes: Vec<(String, Vec<(String, String)>)>,
    pub reponses: Vec<(String, String)>,
    pub partenaires: Vec<String>,
    pub motifs_appui: Vec<(String, String)>,
    /// Values the search form carries over.
    pub keep: Vec<(String, String)>,
    pub site_nom: String,
    pub jour: String,
    pub rows: Vec<Vec<Cell>>,
    pub columns: Vec<Column>,
    pub pagination: Option<Pagination>,
    /// `oui` after a contact was recorded: the script forgets the draft.
    pub enregistre: bool,
}

impl ContactPage {
    pub fn val(&self, k: &str) -> &str {
        self.v.get(k).map(String::as_str).unwrap_or("")
    }
    pub fn err(&self, k: &str) -> Option<&str> {
        self.errors.get(k).map(String::as_str)
    }
    /// `aria-describedby` of a field: its hint and its error, when they exist.
    pub fn desc(&self, k: &str, hint: bool) -> String {
        let mut d = vec![];
        if hint {
            d.push(format!("{k}-aide"));
        }
        if self.errors.contains_key(k) {
            d.push(format!("{k}-erreur"));
        }
        d.join(" ")
    }
}

const LIBELLES: &[(&str, &str)] = &[
    ("canal", "Canal"),
    ("date", "Date"),
    ("heure", "Heure"),
    ("lieu", "Lieu"),
    ("personne_id", "Personne"),
    ("typologie", "Demande"),
    ("reponse", "Réponse apportée"),
    ("attente", "Attente"),
    ("partenaire", "Partenaire"),
    ("motif_appui", "Motif de l'appui"),
];

async fn contact_page(
    state: &AppState,
    ctx: &Ctx,
    typed: &Params,
    query: &Params,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let lieux = lieux(state, ctx).await?;
    let defaut = site_par_defaut(&lieux);
    let now = parcours_store::clock().maintenant();
    let mut v = typed.clone();
    let mut set_default = |k: &str, d: String| {
        if v.get(k).is_none_or(|x| x.is_empty()) {
            v.insert(k.into(), d);
        }
    };
    set_default("canal", Canal::Visite.code().into());
    set_default("date", now.format("%d/%m/%Y").to_string());
    set_default("heure", now.format("%H:%M").to_string());
    if let Some(s) = defaut {
        set_default("lieu", Lieu::Site(s).code());
    }
    set_default("personne_id", "anonyme".into());

    // The person picker: the chosen person first, then the results of the search (audited without
    // the text typed, which may be a name).
    let q = g(&v, "q");
    let chosen = g(&v, "personne_id").parse::<i64>().ok();
    let mut choix = vec![Choix {
        id: "anonyme".into(),
        nom: "Personne anonyme ou non identifiée".into(),
        checked: chosen.is_none(),
    }];
    let mut conn = state.store.read().await?;
    let motifs = store::motifs(&mut conn, ctx.dep(), true).await?;
    let mut groupes: Vec<(String, Vec<(String, String)>)> = vec![];
    for m in &motifs {
        let famille = m.typologie.libelle().to_string();
        match groupes.last_mut() {
            Some((f, opts)) if *f == famille => opts.push((m.code(), m.libelle.clone())),
            _ => groupes.push((famille, vec![(m.code(), m.libelle.clone())])),
        }
    }
    drop(conn);
    let mut cherche = BTreeMap::new();
    cherche.insert("personne_id_q".to_string(), q.clone());
    if let Some(id) = chosen {
        cherche.insert("personne_id".to_string(), id.to_string());
    }
    let trouves = crate::choix::personnes(state, ctx, &cherche, "personne_id", "accueil").await?;
    if trouves.options.iter().any(|o| o.coche) {
        // A person chosen, or the single match of the search: not anonymous.
        choix[0].checked = false;
    }
    choix.extend(trouves.options.into_iter().map(|o| Choix {
        id: o.valeur,
        nom: o.libelle,
        checked: o.coche,
    }));

    // The day's contacts of the site: the one asked for, else the default one.
    let site_id = g(query, "site")
        .parse::<i64>()
        .ok()
        .filter(|s| reaches_site(&ctx.principal, Some(*s)))
        .or(defaut);
    let today = now.date();
    let mut confirmation = None;
    let (rows, pagination, site_nom) = match site_id {
        Some(s) => {
            let base = format!("/accueil/contacts/nouveau?site={s}");
            let enregistre = g(query, "contact").parse::<i64>().ok();
            let (rows, p, c) =
                liste(state, ctx, s, today, page_of(query), &base, enregistre).await?;
            confirmation = c;
            let nom = lieux
                .iter()
                .find(|(c, _)| *c == Lieu::Site(s).code())
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            (rows, Some(p), nom)
        }
        None => (vec![], None, String::new()),
    };

    let erreurs = pages::resume_erreurs(errors, LIBELLES);
    let keep = [
        "canal",
        "date",
        "heure",
        "lieu",
        "typologie",
        "reponse",
        "attente",
        "partenaire",
        "motif_appui",
    ]
    .iter()
    .map(|k| (k.to_string(), g(&v, k)))
    .filter(|(_, x)| !x.is_empty())
    .collect();
    let page = ContactPage {
        l: match confirmation {
            Some(c) => ctx.layout().with_notice(Some(c)),
            None => ctx.layout(),
        },
        errors: errors.0.clone(),
        erreurs,
        searched: !q.trim().is_empty(),
        q,
        choix,
        canaux: codes(Canal::ALL, Canal::code, Canal::libelle),
        lieux,
        groupes,
        typologies: pages::options(
            "Choisir la demande",
            codes(Typologie::ALL, Typologie::code, Typologie::libelle),
        ),
        reponses: pages::options(
            "Choisir la réponse",
            codes(Reponse::ALL, Reponse::code, Reponse::libelle),
        ),
        partenaires: if state.settings.accueil_partenaires.is_empty() {
            PARTENAIRES.iter().map(|p| p.to_string()).collect()
        } else {
            state.settings.accueil_partenaires.clone()
        },
        motifs_appui: pages::options(
            "Choisir le motif",
            codes(Motif::ALL, Motif::code, Motif::libelle),
        ),
        keep,
        site_nom,
        jour: today.format("%d/%m/%Y").to_string(),
        rows,
        columns: colonnes(),
        pagination,
        enregistre: g(query, "message") == "cree",
        v,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)).into_response())
}

/// `GET /accueil/contacts/nouveau`: a blank form (or the results of a person search).
pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    let typed = q.clone();
    contact_page(&state, &ctx, &typed, &q, &FieldErrors::new()).await
}

fn form_of(v: &Params) -> ContactForm {
    ContactForm {
        canal: g(v, "canal"),
        date: g(v, "date"),
        heure: g(v, "heure"),
        lieu: g(v, "lieu"),
        personne_id: g(v, "personne_id"),
        typologie: g(v, "typologie"),
        reponse: g(v, "reponse"),
        partenaire: g(v, "partenaire"),
        attente: g(v, "attente"),
        motif_appui: g(v, "motif_appui"),
    }
}

/// `POST /accueil/contacts/nouveau`: records, then back to a blank form with a notice.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let ev = |kind: &str, id: i64| ctx.event("creation", kind, id);
    match record(&state, &ctx.principal, ev, &form_of(&v)).await? {
        Ok(id) => Ok(Redirect::to(&format!(
            "/accueil/contacts/nouveau?message=cree&contact={id}"
        ))
        .into_response()),
        Err(e) => contact_page(&state, &ctx, &v, &Params::new(), &e).await,
    }
}

// ---------------------------------------------------------------------------------------------------
// The log of a site and a day

/// `GET /accueil/contacts?site=&date=JJ/MM/AAAA&page=`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    let lieux = lieux(&state, &ctx).await?;
    let site_id = match g(&q, "site").as_str() {
        "" => site_par_defaut(&lieux),
        s => Some(
            s.parse::<i64>()
                .ok()
                .filter(|s| reaches_site(&ctx.principal, Some(*s)))
                .ok_or(WebError::NotFound)?,
        ),
    };
    let today = parcours_store::clock().today();
    let mut date_error = None;
    let date = match g(&q, "date").trim() {
        "" => today,
        d => NaiveDate::parse_from_str(d, "%d/%m/%Y").unwrap_or_else(|_| {
            date_error = Some("Saisissez la date au format JJ/MM/AAAA.".to_string());
            today
        }),
    };
    let sites: Vec<(String, String)> = lieux
        .iter()
        .filter_map(|(c, n)| match Lieu::parse(c) {
            Some(Lieu::Site(id)) => Some((id.to_string(), n.clone())),
            _ => None,
        })
        .collect();
    let (rows, pagination) = match site_id {
        Some(s) => {
            let base = format!(
                "/accueil/contacts?site={s}&date={}",
                pages::enc(&date.format("%d/%m/%Y").to_string())
            );
            let (r, p, _) = liste(&state, &ctx, s, date, page_of(&q), &base, None).await?;
            (r, Some(p))
        }
        None => (vec![], None),
    };
    let mut date_field =
        Field::text("date", "Date", &g(&q, "date")).hint("JJ/MM/AAAA ; vide : aujourd'hui");
    date_field.error = date_error;
    let page = TablePage {
        l: ctx.layout(),
        title: "Main courante de l'accueil".into(),
        intro: Some("Les contacts de l'accueil (visites, appels, courriers, courriels) d'un site pour une journée.".into()),
        actions: vec![("/accueil/contacts/nouveau".into(), "Saisir un contact".into())],
        filters: vec![
            Field::text("site", "Site", &site_id.map(|s| s.to_string()).unwrap_or_default())
                .select(sites),
            date_field,
        ],
        filter_action: "/accueil/contacts".into(),
        columns: colonnes(),
        rows,
        pagination,
        caption: format!("Contacts du {}", date.format("%d/%m/%Y")),
        empty: "Aucun contact enregistré ce jour-là sur ce site.".into(),
    };
    Ok(render(&page))
}

/// The script that keeps a half-typed contact across a reload (sessionStorage); the form works
/// without it.
pub async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/accueil.js"),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------------
// The département's request reasons (« motifs de la demande »)

#[derive(Template)]
#[template(path = "accueil/motifs.html")]
pub struct MotifsPage {
    pub l: pages::Layout,
    pub motifs: Vec<parcours_domain::accueil::MotifDemande>,
    pub familles: Vec<(String, String)>,
    pub libelle: String,
    pub typologie: String,
    pub errors: BTreeMap<String, String>,
    pub erreurs: Vec<(String, String, String)>,
}

impl MotifsPage {
    pub fn err(&self, k: &str) -> Option<&str> {
        self.errors.get(k).map(String::as_str)
    }
}

async fn motifs_page(
    state: &AppState,
    ctx: &Ctx,
    typed: &Params,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let motifs = store::motifs(&mut conn, ctx.dep(), false).await?;
    drop(conn);
    let labels = [("libelle", "Libellé"), ("typologie", "Famille")];
    let page = MotifsPage {
        l: ctx.layout(),
        motifs,
        familles: pages::options(
            "Choisir la famille",
            codes(Typologie::ALL, Typologie::code, Typologie::libelle),
        ),
        libelle: g(typed, "libelle"),
        typologie: g(typed, "typologie"),
        erreurs: pages::resume_erreurs(errors, &labels),
        errors: errors.0.clone(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)).into_response())
}

/// `GET /accueil/motifs`: the list the desk picks from, and the form to add one.
pub async fn motifs(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    motifs_page(&state, &ctx, &Params::new(), &FieldErrors::new()).await
}

/// `POST /accueil/motifs`: adds a motif attached to a family of seed 001.
pub async fn motif_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let m = match parcours_domain::accueil::NewMotif::parse(&g(&v, "libelle"), &g(&v, "typologie"))
    {
        Ok(m) => m,
        Err(e) => return motifs_page(&state, &ctx, &v, &e.0).await,
    };
    let mut tx = state.store.begin().await?;
    let id = match store::motif_create(&mut tx, ctx.dep(), &m).await {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            let mut e = FieldErrors::new();
            e.add("libelle", "Ce motif existe déjà.");
            return motifs_page(&state, &ctx, &v, &e).await;
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "accueil_motif", id)
            .details(serde_json::json!({
                "libelle": m.libelle,
                "typologie": m.typologie.code(),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/accueil/motifs?message=cree").into_response())
}

/// `POST /accueil/motifs/{id}/{action}` with `activer` or `desactiver`.
pub async fn motif_actif(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::error::Path((id, action)): crate::error::Path<(i64, String)>,
) -> WebResult<Response> {
    let actif = match action.as_str() {
        "activer" => true,
        "desactiver" => false,
        _ => return Err(WebError::NotFound),
    };
    let mut tx = state.store.begin().await?;
    match store::motif_set_actif(&mut tx, ctx.dep(), id, actif).await {
        Ok(()) => {}
        Err(StoreError::NotFound) => return Err(WebError::NotFound),
        Err(e) => return Err(e.into()),
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("modification", "accueil_motif", id)
            .details(serde_json::json!({ "actif": actif })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/accueil/motifs?message=modifie").into_response())
}
