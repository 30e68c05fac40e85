//! Appointments: the list, the detail page with its status, moving an appointment, offering a freed
//! slot to the waiting list, and the booking form for a person.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use parcours_domain::agenda::{heure, NewRendezVous, RendezVousForm, StatutRdv, TypeRdv};
use parcours_domain::habilitations::policy::{allows, reaches_site, Action};
use parcours_domain::habilitations::Principal;
use parcours_domain::FieldErrors;
use parcours_store::agenda::{self as store, RdvFilter, Reservation, ReservationError};
use parcours_store::agents as agents_store;
use parcours_store::{audit, referentiel, StoreError};

use super::{
    agents_options, audit_event, choix_personnes, fr_date, hhmm, p, perimetre, reaches_any,
    status_of, summary, type_options, Choix, Params,
};
use crate::auth::Ctx;
use crate::error::{Form, Path, Query, WebError, WebResult};
use crate::pages::{self, render, Cell, Column, Field, Layout, Pagination, TablePage};
use crate::AppState;

/// The list's filters from its query: the principal's sites always; from today when no start is given.
fn filtre(pr: &Principal, q: &Params) -> RdvFilter {
    let du = parcours_domain::agenda::parse_date(p(q, "du"));
    RdvFilter {
        sites: perimetre(pr),
        agent_id: p(q, "agent_id").parse().ok(),
        statut: StatutRdv::parse(p(q, "statut")),
        type_rdv: TypeRdv::parse(p(q, "type")),
        du: du.or_else(|| (!q.contains_key("du")).then(|| parcours_store::clock().today())),
        au: parcours_domain::agenda::parse_date(p(q, "au")),
        personne_id: None,
    }
}

/// At most this many appointments in one export: a year of a large MDS.
const EXPORT_MAX: i64 = 20_000;

/// The appointments of the list, with its filters, as CSV or XLSX (`format`), within the principal's
/// sites; the export is audited with its filter and its count, as it names persons.
async fn exporter(state: &AppState, ctx: &Ctx, q: &Params, format: &str) -> WebResult<Response> {
    use crate::chiffres::tableaux::{Cellule, Tableau};
    let filter = filtre(&ctx.principal, q);
    let mut conn = state.store.read().await?;
    let (rows, _) = store::list(&mut conn, ctx.dep(), &filter, EXPORT_MAX, 0).await?;
    drop(conn);
    audit_event(
        state,
        ctx.dep(),
        &ctx.event("export", "rendez_vous", "liste")
            .details(serde_json::json!({
                "format": format,
                "nombre": rows.len(),
                "du": filter.du.map(|d| d.to_string()),
                "au": filter.au.map(|d| d.to_string()),
            })),
    )
    .await?;
    let t = Tableau {
        id: "rendez_vous",
        titre: "Rendez-vous".into(),
        feuille: "Rendez-vous",
        entetes: [
            "Date",
            "Début",
            "Fin",
            "Personne",
            "Type",
            "Agent",
            "Lieu",
            "Statut",
            "Demande du",
            "Délai (jours)",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect(),
        lignes: rows
            .iter()
            .map(|r| {
                vec![
                    Cellule::Texte(fr_date(r.debut.date())),
                    Cellule::Texte(hhmm(r.debut)),
                    Cellule::Texte(hhmm(r.fin)),
                    Cellule::Texte(r.personne.clone()),
                    Cellule::Texte(r.type_rdv.libelle().into()),
                    Cellule::Texte(r.agent.clone()),
                    Cellule::Texte(r.lieu.clone()),
                    Cellule::Texte(r.statut.libelle().into()),
                    Cellule::Texte(fr_date(r.demande_le)),
                    Cellule::Entier(r.delai_jours()),
                ]
            })
            .collect(),
        cles: 4,
    };
    let nom = format!(
        "rendez-vous-{}.{format}",
        parcours_store::clock().today().format("%Y-%m-%d")
    );
    let (content_type, body) = if format == "xlsx" {
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            crate::chiffres::exports::classeur(&[t]).map_err(|e| WebError::Internal(e.into()))?,
        )
    } else {
        (
            "text/csv; charset=utf-8",
            crate::chiffres::exports::csv_de(&t)?,
        )
    };
    Ok(crate::procedures::pages::fichier(content_type, &nom, body))
}

pub async fn export_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    exporter(&state, &ctx, &q, "csv").await
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    exporter(&state, &ctx, &q, "xlsx").await
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    let pr = &ctx.principal;
    let dep = ctx.dep().to_string();
    let filter = filtre(pr, &q);
    let page = pages::page_number(q.get("page").map(String::as_str));
    let mut conn = state.store.read().await?;
    let (rows, total) = store::list(
        &mut conn,
        &dep,
        &filter,
        pages::PER_PAGE,
        (page - 1) * pages::PER_PAGE,
    )
    .await?;
    drop(conn);
    audit_event(
        &state,
        &dep,
        &ctx.event("lecture", "rendez_vous", "liste")
            .details(serde_json::json!({ "nombre": rows.len() })),
    )
    .await?;
    let base = {
        let pairs: Vec<String> = ["du", "au", "agent_id", "statut", "type"]
            .iter()
            .filter_map(|k| q.get(*k).map(|v| format!("{k}={}", pages::enc(v))))
            .collect();
        format!("/rendez-vous?{}", pairs.join("&"))
    };
    let statuts: Vec<(String, String)> = StatutRdv::ALL
        .iter()
        .map(|s| (s.code().to_string(), s.libelle().to_string()))
        .collect();
    let default_du = if q.contains_key("du") {
        p(&q, "du").to_string()
    } else {
        fr_date(parcours_store::clock().today())
    };
    let mut actions = vec![("/agenda".to_string(), "Premier créneau libre".to_string())];
    if allows(pr, Action::RendezVousGerer) {
        actions.insert(
            0,
            (
                "/rendez-vous/nouveau".into(),
                "Prendre un rendez-vous".into(),
            ),
        );
    }
    actions.push(("/rendez-vous/attente".into(), "Liste d'attente".into()));
    // The same filters, as a file.
    let filtres_q = base.trim_start_matches("/rendez-vous");
    actions.push((
        format!("/rendez-vous.csv{filtres_q}"),
        "Exporter en CSV".into(),
    ));
    actions.push((
        format!("/rendez-vous.xlsx{filtres_q}"),
        "Exporter en XLSX".into(),
    ));
    let t = TablePage {
        l: ctx.layout(),
        title: "Rendez-vous".into(),
        intro: Some(
            "Les rendez-vous des agents de vos sites. Filtrez par période, agent, statut ou type."
                .into(),
        ),
        actions,
        filters: vec![
            Field::text("du", "Du", &default_du).hint("JJ/MM/AAAA"),
            Field::text("au", "Au", p(&q, "au")).hint("JJ/MM/AAAA"),
            Field::text("agent_id", "Agent", p(&q, "agent_id"))
                .select(pages::options("Tous", agents_options(&state, pr).await?)),
            Field::text("statut", "Statut", p(&q, "statut"))
                .select(pages::options("Tous", statuts)),
            Field::text("type", "Type", p(&q, "type"))
                .select(pages::options("Tous", type_options())),
        ],
        filter_action: "/rendez-vous".into(),
        columns: [
            "Date et heure",
            "Personne",
            "Type",
            "Agent",
            "Lieu",
            "Statut",
        ]
        .iter()
        .map(|c| Column::plain(c))
        .collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::link(r.quand(), format!("/rendez-vous/{}", r.id)),
                    Cell::text(&r.personne),
                    Cell::text(r.type_rdv.libelle()),
                    Cell::link(
                        &r.agent,
                        format!("/agenda/agents/{}?semaine={}", r.agent_id, r.debut.date()),
                    ),
                    Cell::text(&r.lieu),
                    Cell::text(r.statut.libelle()),
                ]
            })
            .collect(),
        pagination: Some(Pagination::new(&base, page, pages::PER_PAGE, total)),
        caption: "Rendez-vous, par date".into(),
        empty: "Aucun rendez-vous ne correspond à ces critères.".into(),
    };
    Ok(render(&t))
}

#[derive(Template)]
#[template(path = "agenda/rdv.html")]
pub struct RdvPage {
    pub l: Layout,
    pub r: store::RendezVous,
    pub rappels: Vec<String>,
    pub can_manage: bool,
    pub statut_error: Option<String>,
    pub statuts: Vec<(String, String)>,
    /// The move form: what was typed and a message per field.
    pub deplacement: Params,
    pub deplacement_errors: BTreeMap<String, String>,
    /// A freed slot still to come: the oldest waiting requests of the site for this kind.
    pub proposer: Vec<store::Attente>,
}

impl RdvPage {
    pub fn demande(&self) -> String {
        fr_date(self.r.demande_le)
    }
    pub fn dep_val(&self, k: &str) -> &str {
        self.deplacement.get(k).map(String::as_str).unwrap_or("")
    }
    pub fn dep_err(&self, k: &str) -> Option<&str> {
        self.deplacement_errors.get(k).map(String::as_str)
    }
    pub fn est_prevu(&self) -> bool {
        self.r.statut == StatutRdv::Prevu
    }
}

async fn rdv_in_scope(state: &AppState, pr: &Principal, id: i64) -> WebResult<store::RendezVous> {
    let mut conn = state.store.read().await?;
    let r = store::get(&mut conn, &pr.departement_id, id).await?;
    if !reaches_site(pr, Some(r.site_id)) {
        return Err(WebError::NotFound);
    }
    Ok(r)
}

async fn rdv_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    statut_error: Option<String>,
) -> WebResult<Response> {
    rdv_page_with(
        state,
        ctx,
        id,
        statut_error,
        Params::new(),
        &FieldErrors::new(),
    )
    .await
}

async fn rdv_page_with(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    statut_error: Option<String>,
    deplacement: Params,
    deplacement_errors: &FieldErrors,
) -> WebResult<Response> {
    let r = rdv_in_scope(state, &ctx.principal, id).await?;
    let mut conn = state.store.read().await?;
    let rappels = store::rappels(&mut conn, ctx.dep(), id)
        .await?
        .iter()
        .map(store::Rappel::libelle)
        .collect();
    // A slot freed ahead of time is offered to whoever waits longest for this kind at this site.
    let libere = matches!(r.statut, StatutRdv::Annule | StatutRdv::Excuse)
        && r.debut > parcours_store::clock().maintenant();
    let proposer = if libere && allows(&ctx.principal, Action::RendezVousGerer) {
        store::attente_pour(&mut conn, ctx.dep(), r.site_id, r.type_rdv, 5).await?
    } else {
        vec![]
    };
    drop(conn);
    audit_event(
        state,
        ctx.dep(),
        &ctx.event("lecture", "rendez_vous", id)
            .details(serde_json::json!({ "personne_id": r.personne_id })),
    )
    .await?;
    let status = if statut_error.is_some() || !deplacement_errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = RdvPage {
        l: ctx.layout(),
        rappels,
        can_manage: allows(&ctx.principal, Action::RendezVousGerer),
        statut_error,
        deplacement,
        deplacement_errors: deplacement_errors.0.clone(),
        proposer,
        statuts: StatutRdv::ALL
            .iter()
            .filter(|s| **s != StatutRdv::Prevu)
            .map(|s| (s.code().to_string(), s.libelle().to_string()))
            .collect(),
        r,
    };
    Ok((status, render(&page)).into_response())
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    rdv_page(&state, &ctx, id, None).await
}

/// The printable convocation: when, where (the site's or the permanence's address), with whom,
/// what to bring. Reading it reads the person's appointment: audited like the appointment.
#[derive(Template)]
#[template(path = "agenda/convocation.html")]
pub struct ConvocationPage {
    pub l: Layout,
    pub r: store::RendezVous,
    pub adresse: String,
    pub horaires: Option<String>,
    pub a_apporter: &'static [&'static str],
    pub edite_le: String,
}

pub async fn convocation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let r = rdv_in_scope(&state, &ctx.principal, id).await?;
    let mut conn = state.store.read().await?;
    let (adresse, horaires) = match r.permanence_id {
        Some(pid) => {
            let p = referentiel::permanence_get(&mut conn, ctx.dep(), pid).await?;
            (p.adresse, Some(p.horaires).filter(|h| !h.is_empty()))
        }
        None => (
            referentiel::site_get(&mut conn, ctx.dep(), r.site_id)
                .await?
                .adresse,
            None,
        ),
    };
    drop(conn);
    audit_event(
        &state,
        ctx.dep(),
        &ctx.event("lecture", "rendez_vous", id)
            .purpose("convocation imprimée")
            .details(serde_json::json!({ "personne_id": r.personne_id })),
    )
    .await?;
    let page = ConvocationPage {
        l: ctx.layout(),
        a_apporter: r.type_rdv.a_apporter(),
        adresse,
        horaires,
        edite_le: heure::date_longue(parcours_store::clock().today()),
        r,
    };
    Ok(render(&page).into_response())
}

pub async fn set_statut(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    match parcours_usecases::agenda::changer_statut(
        &state.store,
        &ctx.acteur(),
        id,
        p(&v, "statut"),
        parcours_usecases::Canal::Page,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/rendez-vous/{id}?message=modifie")).into_response()),
        Err(parcours_usecases::Error::Invalid(e)) => {
            let m = e.0.values().next().cloned();
            rdv_page(&state, &ctx, id, m).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The booking form of `r` at another date, time and (optionally) agent: same person, kind, length,
/// room (when the agent stays) and request date.
pub(super) fn deplacement_form(
    r: &store::RendezVous,
    date: &str,
    heure_: &str,
    agent: &str,
) -> RendezVousForm {
    let agent_id = match agent.trim() {
        "" => r.agent_id.to_string(),
        a => a.to_string(),
    };
    let meme_agent = agent_id == r.agent_id.to_string();
    RendezVousForm {
        personne_id: r.personne_id.to_string(),
        agent_id,
        type_rdv: r.type_rdv.code().to_string(),
        date: date.to_string(),
        heure: heure_.to_string(),
        duree: (r.fin - r.debut).num_minutes().to_string(),
        salle_id: r
            .salle_id
            .filter(|_| meme_agent)
            .map(|s| s.to_string())
            .unwrap_or_default(),
        objet: r.objet.clone().unwrap_or_default(),
        demande_le: fr_date(r.demande_le),
        ..Default::default()
    }
}

/// The refusal of a slot at a site the caller does not reach (the transaction is rolled back).
fn hors_perimetre() -> FieldErrors {
    let mut e = FieldErrors::new();
    e.add(
        "heure",
        "Ce créneau est dans un site hors de votre périmètre.",
    );
    e
}

/// Moves an appointment the principal reaches to an agent of their sites; the messages otherwise.
pub(super) async fn deplacer_rdv(
    state: &AppState,
    pr: &Principal,
    event: parcours_domain::audit::AuditEvent,
    r: &store::RendezVous,
    f: &RendezVousForm,
) -> WebResult<Result<(), FieldErrors>> {
    let parsed = match NewRendezVous::parse(f, parcours_store::clock().maintenant()) {
        Ok(x) => x,
        Err(e) => return Ok(Err(e.0)),
    };
    if parsed.agent_id != r.agent_id {
        let mut conn = state.store.read().await?;
        let agent = agents_store::get(&mut conn, &pr.departement_id, parsed.agent_id).await;
        drop(conn);
        match agent {
            Ok(a) if reaches_any(pr, &a.site_ids) => {}
            Ok(_) | Err(StoreError::NotFound) => {
                let mut e = FieldErrors::new();
                e.add("agent_id", "Choisissez un agent de vos sites.");
                return Ok(Err(e));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut tx = state.store.begin().await?;
    match store::deplacer(&mut tx, &pr.departement_id, r.id, &parsed).await {
        Ok(()) => {}
        Err(ReservationError::Regle(e)) => return Ok(Err(e.0)),
        Err(ReservationError::Store(e)) => return Err(e.into()),
    }
    if !reaches_site(
        pr,
        Some(store::get(&mut tx, &pr.departement_id, r.id).await?.site_id),
    ) {
        return Ok(Err(hors_perimetre()));
    }
    audit::append(
        &mut tx,
        &pr.departement_id,
        &event.details(serde_json::json!({
            "deplacement": {
                "de": heure::format(r.debut),
                "a": heure::format(parsed.debut),
                "agent_avant": r.agent_id,
                "agent_apres": parsed.agent_id,
            },
            "personne_id": r.personne_id,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// `POST /rendez-vous/{id}/deplacer`: date, heure and optionally agent_id.
pub async fn deplacer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let r = rdv_in_scope(&state, &ctx.principal, id).await?;
    let f = deplacement_form(&r, p(&v, "date"), p(&v, "heure"), p(&v, "agent_id"));
    let ev = ctx.event("modification", "rendez_vous", id);
    match deplacer_rdv(&state, &ctx.principal, ev, &r, &f).await? {
        Ok(()) => Ok(Redirect::to(&format!("/rendez-vous/{id}?message=deplace")).into_response()),
        Err(e) => rdv_page_with(&state, &ctx, id, None, v, &e).await,
    }
}

/// `POST /rendez-vous/{id}/proposer`: the freed slot of a cancelled or excused appointment is booked
/// for a waiting-list request (attente_id) of the same site and kind.
pub async fn proposer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let r = rdv_in_scope(&state, &ctx.principal, id).await?;
    let Ok(attente_id) = p(&v, "attente_id").trim().parse::<i64>() else {
        return rdv_page(
            &state,
            &ctx,
            id,
            Some("Choisissez la demande en attente.".into()),
        )
        .await;
    };
    if !matches!(r.statut, StatutRdv::Annule | StatutRdv::Excuse) {
        return rdv_page(
            &state,
            &ctx,
            id,
            Some("Ce créneau n'est pas libéré : le rendez-vous tient toujours.".into()),
        )
        .await;
    }
    let mut conn = state.store.read().await?;
    let w = store::attente_une(&mut conn, ctx.dep(), attente_id).await;
    drop(conn);
    let w = match w {
        Ok(w) if w.site_id == r.site_id && w.type_rdv == r.type_rdv && w.statut == "en_attente" => {
            w
        }
        Ok(_) | Err(StoreError::NotFound) => {
            return rdv_page(&state, &ctx, id, Some("Cette demande n'attend plus, ou concerne un autre lieu ou un autre type de rendez-vous.".into())).await;
        }
        Err(e) => return Err(e.into()),
    };
    let mut f = deplacement_form(
        &r,
        &fr_date(r.debut.date()),
        &r.debut.format("%H:%M").to_string(),
        "",
    );
    f.personne_id = w.personne_id.to_string();
    f.attente_id = attente_id.to_string();
    f.objet = String::new();
    f.demande_le = NaiveDate::parse_from_str(&w.demande_le, "%Y-%m-%d")
        .map(fr_date)
        .unwrap_or_default();
    let ev = |nouveau: i64| {
        ctx.event("creation", "rendez_vous", nouveau)
            .details(serde_json::json!({ "creneau_libere_par": id, "attente_id": attente_id }))
    };
    match book(&state, &ctx.principal, ev, &f).await? {
        Ok(nouveau) => {
            Ok(Redirect::to(&format!("/rendez-vous/{nouveau}?message=cree")).into_response())
        }
        Err(e) => {
            let m = e.0.values().next().cloned();
            rdv_page(&state, &ctx, id, m).await
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Booking

#[derive(Template)]
#[template(path = "agenda/reserver.html")]
pub struct ReserverPage {
    pub l: Layout,
    pub q: String,
    pub searched: bool,
    pub choix: Vec<Choix>,
    pub personne_error: Option<String>,
    pub fields: Vec<Field>,
    pub erreurs: Vec<(String, String, String)>,
    pub keep: Vec<(String, String)>,
}

async fn reserver_page(
    state: &AppState,
    ctx: &Ctx,
    v: &Params,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let pr = &ctx.principal;
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let chosen = g("personne_id").parse::<i64>().ok();
    let choix = choix_personnes(state, ctx, &g("q"), chosen).await?;
    let mut conn = state.store.read().await?;
    let salles = store::salles(&mut conn, ctx.dep(), perimetre(pr).as_deref()).await?;
    let sites = referentiel::sites(&mut conn, ctx.dep()).await?;
    drop(conn);
    let salle_opts = salles
        .iter()
        .map(|s| {
            let site = sites
                .iter()
                .find(|x| x.id == s.site_id)
                .map(|x| x.nom.as_str())
                .unwrap_or("");
            (
                s.id.to_string(),
                format!("{} — {} ({} places)", site, s.nom, s.capacite),
            )
        })
        .collect::<Vec<_>>();
    let checked = |k: &str| {
        if matches!(g(k).as_str(), "oui" | "on" | "1") {
            "oui"
        } else {
            ""
        }
    };
    let fields = vec![
        Field::text("agent_id", "Agent qui reçoit", &g("agent_id")).select(pages::options("Choisir un agent", agents_options(state, pr).await?)).required().error_from(errors),
        Field::text("type", "Type de rendez-vous", &g("type")).select(pages::options("Choisir un type", type_options())).required().error_from(errors),
        Field::text("date", "Date", &g("date")).hint("JJ/MM/AAAA").required().error_from(errors),
        Field::text("heure", "Heure", &g("heure")).hint("HH:MM, par exemple 14:30").required().error_from(errors),
        Field::text("duree", "Durée en minutes", &g("duree")).kind("number").hint("Vide : la durée habituelle du type (45 min, 60 pour le RSA, 90 pour une visite à domicile)").error_from(errors),
        Field::text("salle_id", "Salle", &g("salle_id")).select(pages::options("Sans salle réservée", salle_opts)).error_from(errors),
        Field::text("objet", "Objet", &g("objet")).hint("Quelques mots, sans détail confidentiel (200 caractères au plus)").error_from(errors),
        Field::text("interprete", "Interprète nécessaire : langue", &g("interprete")).hint("Vide si la personne n'en a pas besoin ; par exemple « arabe », « langue des signes française ».").error_from(errors),
        Field::text("demande_le", "Date de la demande", &g("demande_le")).hint("JJ/MM/AAAA ; vide : aujourd'hui. Sert au délai d'attente (fiche 4).").error_from(errors),
        Field::text("rappel_email", "Rappel par courriel la veille", checked("rappel_email")).kind("checkbox").error_from(errors),
        Field::text("rappel_sms", "Rappel par SMS la veille", checked("rappel_sms")).kind("checkbox").error_from(errors),
        Field::text("attente_id", "", &g("attente_id")).kind("hidden"),
    ];
    let mut erreurs = summary(&[&fields]);
    let personne_error = errors.get("personne_id").map(str::to_string);
    if let Some(e) = &personne_error {
        erreurs.insert(
            0,
            ("personne_id".into(), "Personne reçue".into(), e.clone()),
        );
    }
    let keep = ["agent_id", "type", "date", "heure", "attente_id"]
        .iter()
        .filter_map(|k| {
            v.get(*k)
                .filter(|x| !x.is_empty())
                .map(|x| (k.to_string(), x.clone()))
        })
        .collect();
    let page = ReserverPage {
        l: ctx.layout(),
        q: g("q"),
        searched: !g("q").trim().is_empty(),
        choix,
        personne_error,
        fields,
        erreurs,
        keep,
    };
    Ok((status_of(errors), render(&page)).into_response())
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    let mut v = q;
    // From the waiting list: the person and the kind of the request.
    if let Some(a) = v.get("attente_id").and_then(|a| a.parse::<i64>().ok()) {
        let mut conn = state.store.read().await?;
        if let Ok((personne, site, t, _)) = store::attente_get(&mut conn, ctx.dep(), a).await {
            if reaches_site(&ctx.principal, Some(site)) {
                v.entry("personne_id".into())
                    .or_insert(personne.to_string());
                v.entry("type".into()).or_insert(t.code().into());
            }
        }
    }
    reserver_page(&state, &ctx, &v, &FieldErrors::new()).await
}

fn form_of(v: &Params) -> RendezVousForm {
    RendezVousForm {
        personne_id: p(v, "personne_id").into(),
        agent_id: p(v, "agent_id").into(),
        type_rdv: p(v, "type").into(),
        date: p(v, "date").into(),
        heure: p(v, "heure").into(),
        duree: p(v, "duree").into(),
        salle_id: p(v, "salle_id").into(),
        objet: p(v, "objet").into(),
        interprete: p(v, "interprete").into(),
        demande_le: p(v, "demande_le").into(),
        rappel_email: p(v, "rappel_email").into(),
        rappel_sms: p(v, "rappel_sms").into(),
        attente_id: p(v, "attente_id").into(),
    }
}

/// Books for a person; the agent must be one of the principal's sites. Returns the id or the
/// messages per field.
pub(super) async fn book(
    state: &AppState,
    pr: &Principal,
    event: impl Fn(i64) -> parcours_domain::audit::AuditEvent,
    f: &RendezVousForm,
) -> WebResult<Result<i64, FieldErrors>> {
    let parsed = match NewRendezVous::parse(f, parcours_store::clock().maintenant()) {
        Ok(x) => x,
        Err(e) => return Ok(Err(e.0)),
    };
    let mut conn = state.store.read().await?;
    let agent = agents_store::get(&mut conn, &pr.departement_id, parsed.agent_id).await;
    drop(conn);
    match agent {
        Ok(a) if reaches_any(pr, &a.site_ids) => {}
        Ok(_) | Err(StoreError::NotFound) => {
            let mut e = FieldErrors::new();
            e.add("agent_id", "Choisissez un agent de vos sites.");
            return Ok(Err(e));
        }
        Err(e) => return Err(e.into()),
    }
    let mut tx = state.store.begin().await?;
    match store::reserver(
        &mut tx,
        &pr.departement_id,
        Reservation {
            rdv: &parsed,
            by: pr.agent_id,
        },
    )
    .await
    {
        Ok(id) => {
            // The slot's site decides, not the agent's: an agent of two sites is booked only at the
            // sites the caller reaches (a service account's token names its own).
            if !reaches_site(
                pr,
                Some(store::get(&mut tx, &pr.departement_id, id).await?.site_id),
            ) {
                return Ok(Err(hors_perimetre()));
            }
            audit::append(
                &mut tx,
                &pr.departement_id,
                &event(id).details(serde_json::json!({
                    "personne_id": parsed.personne_id,
                    "agent_id": parsed.agent_id,
                    "type": parsed.type_rdv.code(),
                    "debut": heure::format(parsed.debut),
                })),
            )
            .await?;
            tx.commit().await?;
            Ok(Ok(id))
        }
        Err(ReservationError::Regle(e)) => Ok(Err(e.0)),
        Err(ReservationError::Store(e)) => Err(e.into()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let ev = |id: i64| ctx.event("creation", "rendez_vous", id);
    match book(&state, &ctx.principal, ev, &form_of(&v)).await? {
        Ok(id) => Ok(Redirect::to(&format!("/rendez-vous/{id}?message=cree")).into_response()),
        Err(e) => reserver_page(&state, &ctx, &v, &e).await,
    }
}
