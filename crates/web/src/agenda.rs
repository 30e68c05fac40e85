//! Agendas and appointments (capability 3): the first free slot for a secteur, each agent's printable
//! week (plages, absences, appointments, sessions) with the management of their plages, absences and
//! iCal feed, the booking form for a person, the appointments list, the waiting list, collective
//! sessions and rooms, and the `/api/v1` operations. Persons' data is read only within the principal's
//! sites and every read or write of it is audited.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json as AxumJson;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use parcours_domain::agenda::ical::{self, Evenement};
use parcours_domain::agenda::{
    heure, NaturePlage, NewAbsence, NewPlage, NewRendezVous, NewSession, RendezVousForm, StatutRdv,
    TypeRdv,
};
use parcours_domain::habilitations::policy::{allows, reaches_site, Action};
use parcours_domain::habilitations::{Principal, Role};
use parcours_domain::FieldErrors;
use parcours_store::agenda::{self as store, Cible, RdvFilter, Reservation, ReservationError};
use parcours_store::agents::{self as agents_store, AgentFilter, AgentSort};
use parcours_store::{audit, referentiel, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{random_token, ApiCtx, Ctx};
use crate::error::{ApiError, ApiPath, ApiResult, Form, Json, Path, Query, WebError, WebResult};
use crate::pages::{self, render, Cell, Column, Field, Layout, Pagination, TablePage};
use crate::AppState;

type Params = BTreeMap<String, String>;

fn p<'a>(v: &'a Params, k: &str) -> &'a str {
    v.get(k).map(String::as_str).unwrap_or("")
}

/// The sites whose agendas the principal reaches; `None` = the whole département (central roles,
/// which the policy keeps away from agendas anyway).
fn perimetre(p: &Principal) -> Option<Vec<i64>> {
    if reaches_site(p, None) {
        None
    } else {
        Some(p.site_ids.clone())
    }
}

fn reaches_any(p: &Principal, sites: &[i64]) -> bool {
    sites.iter().any(|s| reaches_site(p, Some(*s)))
}

/// Whether the principal manages this agent's agenda: a social worker their own, a cadre those of
/// their sites.
fn manages(p: &Principal, agent: &parcours_domain::referentiel::Agent) -> bool {
    allows(p, Action::AgendaGerer)
        && match p.role {
            Role::Cadre => reaches_any(p, &agent.site_ids),
            _ => p.agent_id == Some(agent.id),
        }
}

/// The agent, if the principal reaches one of their sites; otherwise « not found » (no hint that it
/// exists elsewhere).
async fn agent_in_scope(
    state: &AppState,
    ctx_p: &Principal,
    id: i64,
) -> WebResult<parcours_domain::referentiel::Agent> {
    let mut conn = state.store.read().await?;
    let a = agents_store::get(&mut conn, &ctx_p.departement_id, id).await?;
    if !reaches_any(ctx_p, &a.site_ids) {
        return Err(WebError::NotFound);
    }
    Ok(a)
}

async fn audit_event(
    state: &AppState,
    dep: &str,
    event: &parcours_domain::audit::AuditEvent,
) -> Result<(), StoreError> {
    let mut tx = state.store.begin().await?;
    audit::append(&mut tx, dep, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Agents who receive (social workers) on the principal's sites, as select options.
async fn agents_options(state: &AppState, pr: &Principal) -> WebResult<Vec<(String, String)>> {
    let mut conn = state.store.read().await?;
    let (agents, _) = agents_store::list(
        &mut conn,
        &pr.departement_id,
        &AgentFilter {
            role: Some(Role::TravailleurSocial),
            perimetre: perimetre(pr),
            ..Default::default()
        },
        AgentSort::Nom,
        500,
        0,
    )
    .await?;
    Ok(agents
        .into_iter()
        .map(|a| {
            (
                a.id.to_string(),
                format!("{} {} ({})", a.prenom, a.nom, a.metier),
            )
        })
        .collect())
}

async fn sites_options(state: &AppState, pr: &Principal) -> WebResult<Vec<(String, String)>> {
    Ok(state
        .sites_atteints(pr)
        .await?
        .into_iter()
        .map(|(id, nom)| (id.to_string(), nom))
        .collect())
}

fn type_options() -> Vec<(String, String)> {
    TypeRdv::ALL
        .iter()
        .map(|t| (t.code().to_string(), t.libelle().to_string()))
        .collect()
}

fn status_of(errors: &FieldErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

fn fr_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn hhmm(t: NaiveDateTime) -> String {
    t.format("%H:%M").to_string()
}

/// « 9 h 45 », as the plages read.
fn hm(t: NaiveDateTime) -> String {
    heure::hm(heure::minutes(t))
}

/// The error summary of a page: label and message of each field in error.
fn summary(fields: &[&[Field]]) -> Vec<(String, String, String)> {
    fields
        .iter()
        .flat_map(|f| f.iter())
        .filter_map(|f| {
            f.error
                .as_ref()
                .map(|e| (f.name.clone(), f.label.clone(), e.clone()))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// Home: first free slot, agendas of the sites

pub struct CreneauVue {
    pub quand: String,
    pub agent: String,
    pub lieu: String,
    pub nature: String,
    pub reserver: String,
}

#[derive(Template)]
#[template(path = "agenda/accueil.html")]
pub struct AccueilPage {
    pub l: Layout,
    pub recherche: Vec<Field>,
    pub searched: bool,
    pub creneaux: Vec<CreneauVue>,
    pub agents: Vec<(String, String)>,
    pub mon_agenda: Option<i64>,
    pub can_book: bool,
    pub can_manage: bool,
    pub delai: Option<String>,
}

pub async fn accueil(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    let pr = &ctx.principal;
    let dep = ctx.dep().to_string();
    let mut conn = state.store.read().await?;
    let secteurs: Vec<(String, String)> = referentiel::secteurs(&mut conn, &dep)
        .await?
        .into_iter()
        .filter(|s| s.ferme_le.is_none() && reaches_site(pr, Some(s.site_id)))
        .map(|s| (s.id.to_string(), format!("{} — {}", s.code, s.nom)))
        .collect();
    let sites_scope = perimetre(pr);
    let since = parcours_store::format_time(parcours_store::clock().now() - Duration::days(90));
    let (n, moyenne) = store::delai_moyen(&mut conn, &dep, sites_scope.as_deref(), &since).await?;
    drop(conn);
    let mut errors = FieldErrors::new();
    let mut creneaux = vec![];
    let searched = q.contains_key("secteur_id");
    if searched {
        let secteur = p(&q, "secteur_id")
            .parse::<i64>()
            .ok()
            .filter(|s| secteurs.iter().any(|(id, _)| id == &s.to_string()));
        let type_rdv = TypeRdv::parse(p(&q, "type"));
        if secteur.is_none() {
            errors.add("secteur_id", "Choisissez un secteur de vos sites.");
        }
        if type_rdv.is_none() {
            errors.add("type", "Choisissez le type de rendez-vous.");
        }
        if let (Some(s), Some(t)) = (secteur, type_rdv) {
            let mut conn = state.store.read().await?;
            let found = store::creneaux(
                &mut conn,
                &dep,
                Cible::Secteur(s),
                t,
                t.duree(),
                parcours_store::clock().maintenant(),
                60,
                5,
            )
            .await?;
            let agents = agents_options(&state, pr).await?;
            let sites = sites_options(&state, pr).await?;
            let perms = referentiel::permanences(&mut conn, &dep).await?;
            for c in found {
                let agent = agents
                    .iter()
                    .find(|(id, _)| id == &c.agent_id.to_string())
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                let lieu = match c.permanence_id {
                    Some(pid) => perms
                        .iter()
                        .find(|x| x.id == pid)
                        .map(|x| x.nom.clone())
                        .unwrap_or_default(),
                    None => sites
                        .iter()
                        .find(|(id, _)| id == &c.site_id.to_string())
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default(),
                };
                creneaux.push(CreneauVue {
                    quand: format!(
                        "{} – {}",
                        heure::date_heure(c.debut),
                        heure::hm(heure::minutes(c.fin))
                    ),
                    agent,
                    lieu,
                    nature: c.nature.libelle().to_string(),
                    reserver: format!(
                        "/rendez-vous/nouveau?agent_id={}&date={}&heure={}&type={}",
                        c.agent_id,
                        pages::enc(&fr_date(c.debut.date())),
                        pages::enc(&hhmm(c.debut)),
                        t.code()
                    ),
                });
            }
        }
    }
    let recherche = vec![
        Field::text("secteur_id", "Secteur de la personne", p(&q, "secteur_id"))
            .select(pages::options("Choisir un secteur", secteurs))
            .required()
            .error_from(&errors),
        Field::text("type", "Type de rendez-vous", p(&q, "type"))
            .select(pages::options("Choisir un type", type_options()))
            .required()
            .error_from(&errors),
    ];
    let agents = agents_options(&state, pr).await?;
    let page = AccueilPage {
        recherche,
        searched: searched && errors.is_empty(),
        creneaux,
        agents,
        mon_agenda: (pr.role == Role::TravailleurSocial).then_some(pr.agent_id).flatten(),
        can_book: allows(pr, Action::RendezVousGerer),
        can_manage: allows(pr, Action::AgendaGerer),
        delai: moyenne.map(|m| {
            let jours = format!("{m:.1}").replace('.', ",");
            format!("{jours} jours en moyenne entre la demande et le rendez-vous, sur {n} rendez-vous pris ces 90 derniers jours")
        }),
        l: ctx.layout(),
    };
    Ok((status_of(&errors), render(&page)).into_response())
}

// ---------------------------------------------------------------------------------------------------
// Week of an agent

pub struct ItemVue {
    pub heure: String,
    pub texte: String,
    pub detail: String,
    pub href: Option<String>,
    pub classe: &'static str,
}

pub struct JourVue {
    pub titre: String,
    pub items: Vec<ItemVue>,
}

pub struct LigneGestion {
    pub texte: String,
    pub action: String,
}

#[derive(Template)]
#[template(path = "agenda/semaine.html")]
pub struct SemainePage {
    pub l: Layout,
    pub agent_id: i64,
    pub agent_nom: String,
    pub semaine: String,
    pub prev: String,
    pub next: String,
    pub jours: Vec<JourVue>,
    pub can_manage: bool,
    pub can_book: bool,
    pub plages: Vec<LigneGestion>,
    pub absences: Vec<LigneGestion>,
    pub plage_fields: Vec<Field>,
    pub absence_fields: Vec<Field>,
    pub erreurs: Vec<(String, String, String)>,
    pub ical_url: Option<String>,
    pub ical_actif: Option<String>,
}

fn monday_of(q: &Params) -> NaiveDate {
    let d = parcours_domain::agenda::parse_date(p(q, "semaine"))
        .unwrap_or_else(|| parcours_store::clock().maintenant().date());
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

#[allow(clippy::too_many_arguments)]
async fn semaine_page(
    state: &AppState,
    ctx: &Ctx,
    agent_id: i64,
    lundi: NaiveDate,
    v: &Params,
    errors: &FieldErrors,
    ical_url: Option<String>,
) -> WebResult<Response> {
    let pr = &ctx.principal;
    let dep = ctx.dep().to_string();
    let agent = agent_in_scope(state, pr, agent_id).await?;
    let can_manage = manages(pr, &agent);
    let du = lundi.and_time(NaiveTime::MIN);
    let au = du + Duration::days(7);
    let mut conn = state.store.read().await?;
    let plages = store::plages(&mut conn, &dep, agent_id).await?;
    let absences = store::absences(
        &mut conn,
        &dep,
        agent_id,
        du - Duration::days(365),
        au + Duration::days(365),
    )
    .await?;
    let (rdvs, sessions) = store::agenda_agent(&mut conn, &dep, agent_id, du, au).await?;
    let ical_actif = store::ical_created(&mut conn, &dep, agent_id).await?;
    let sites = referentiel::sites(&mut conn, &dep).await?;
    let perms = referentiel::permanences(&mut conn, &dep).await?;
    drop(conn);
    let lieu = |site_id: i64, perm: Option<i64>| match perm {
        Some(pid) => perms
            .iter()
            .find(|x| x.id == pid)
            .map(|x| x.nom.clone())
            .unwrap_or_default(),
        None => sites
            .iter()
            .find(|x| x.id == site_id)
            .map(|x| x.nom.clone())
            .unwrap_or_default(),
    };
    let mut jours = vec![];
    for i in 0..7 {
        let day = lundi + Duration::days(i);
        let mut items: Vec<(i64, ItemVue)> = vec![];
        for pl in plages
            .iter()
            .filter(|x| x.jour == day.weekday().number_from_monday())
        {
            items.push((
                pl.debut,
                ItemVue {
                    heure: format!("{} – {}", heure::hm(pl.debut), heure::hm(pl.fin)),
                    texte: pl.nature.libelle().to_string(),
                    detail: lieu(pl.site_id, pl.permanence_id),
                    href: None,
                    classe: "plage",
                },
            ));
        }
        let d0 = day.and_time(NaiveTime::MIN);
        let d1 = d0 + Duration::days(1);
        for a in absences.iter().filter(|a| a.debut < d1 && a.fin > d0) {
            items.push((
                -1,
                ItemVue {
                    heure: if a.debut <= d0 && a.fin >= d1 {
                        "Toute la journée".into()
                    } else {
                        format!(
                            "{} – {}",
                            hm(a.debut.max(d0)),
                            if a.fin >= d1 {
                                "24 h 00".into()
                            } else {
                                hm(a.fin)
                            }
                        )
                    },
                    texte: format!("Absence : {}", a.libelle),
                    detail: String::new(),
                    href: None,
                    classe: "absence",
                },
            ));
        }
        for r in rdvs.iter().filter(|r| r.debut.date() == day) {
            items.push((
                heure::minutes(r.debut),
                ItemVue {
                    heure: format!("{} – {}", hm(r.debut), hm(r.fin)),
                    texte: format!("{} — {}", r.type_rdv.libelle(), r.personne),
                    detail: format!(
                        "Statut : {}. {}{}",
                        r.statut.libelle(),
                        r.lieu,
                        r.salle
                            .as_ref()
                            .map(|s| format!(", salle {s}"))
                            .unwrap_or_default()
                    ),
                    href: Some(format!("/rendez-vous/{}", r.id)),
                    classe: if r.statut.occupe() {
                        "rdv"
                    } else {
                        "rdv-libere"
                    },
                },
            ));
        }
        for s in sessions.iter().filter(|s| s.debut.date() == day) {
            items.push((
                heure::minutes(s.debut),
                ItemVue {
                    heure: format!("{} – {}", hm(s.debut), hm(s.fin)),
                    texte: format!("Action collective : {}", s.titre),
                    detail: format!(
                        "{} inscrits sur {} places, {}",
                        s.inscrits, s.capacite, s.site
                    ),
                    href: Some(format!("/actions-collectives/{}", s.id)),
                    classe: "session",
                },
            ));
        }
        items.sort_by_key(|(k, _)| *k);
        jours.push(JourVue {
            titre: heure::date_longue(day),
            items: items.into_iter().map(|(_, i)| i).collect(),
        });
    }
    let n_rdv = rdvs.len();
    let fin_semaine = lundi + Duration::days(6);
    let semaine = format!(
        "du {} au {}",
        heure::date_longue(lundi),
        heure::date_longue(fin_semaine)
    );
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let site_opts = {
        let mut o: Vec<(String, String)> = sites
            .iter()
            .filter(|s| s.ferme_le.is_none() && agent.site_ids.contains(&s.id))
            .map(|s| (s.id.to_string(), s.nom.clone()))
            .collect();
        if o.is_empty() {
            o = sites
                .iter()
                .filter(|s| reaches_site(pr, Some(s.id)))
                .map(|s| (s.id.to_string(), s.nom.clone()))
                .collect();
        }
        o
    };
    let perm_opts: Vec<(String, String)> = perms
        .iter()
        .filter(|x| {
            x.ferme_le.is_none() && site_opts.iter().any(|(id, _)| id == &x.site_id.to_string())
        })
        .map(|x| (x.id.to_string(), x.nom.clone()))
        .collect();
    let jours_opts: Vec<(String, String)> = (1..=7)
        .map(|j| (j.to_string(), heure::jour_nom(j).to_string()))
        .collect();
    let nature_opts: Vec<(String, String)> = NaturePlage::ALL
        .iter()
        .map(|n| (n.code().to_string(), n.libelle().to_string()))
        .collect();
    let default_site = site_opts
        .first()
        .map(|(id, _)| id.clone())
        .unwrap_or_default();
    let plage_fields = vec![
        Field::text("jour", "Jour", &g("jour"))
            .select(pages::options("Choisir un jour", jours_opts))
            .required()
            .error_from(errors),
        Field::text("debut", "Heure de début", &g("debut"))
            .hint("HH:MM, par exemple 09:00")
            .required()
            .error_from(errors),
        Field::text("fin", "Heure de fin", &g("fin"))
            .hint("HH:MM, par exemple 12:00")
            .required()
            .error_from(errors),
        Field::text("nature", "Nature de la plage", &g("nature"))
            .select(pages::options("Choisir une nature", nature_opts))
            .required()
            .error_from(errors),
        Field::text(
            "site_id",
            "Site",
            &if v.contains_key("site_id") {
                g("site_id")
            } else {
                default_site
            },
        )
        .select(site_opts)
        .required()
        .error_from(errors),
        Field::text(
            "permanence_id",
            "Permanence (plage de permanence seulement)",
            &g("permanence_id"),
        )
        .select(pages::options("Aucune", perm_opts))
        .error_from(errors),
    ];
    let absence_fields = vec![
        Field::text("du", "Du", &g("du"))
            .hint("JJ/MM/AAAA")
            .required()
            .error_from(errors),
        Field::text("heure_du", "À partir de", &g("heure_du"))
            .hint("HH:MM, vide pour toute la journée")
            .error_from(errors),
        Field::text("au", "Au", &g("au"))
            .hint("JJ/MM/AAAA, vide pour un seul jour")
            .error_from(errors),
        Field::text("heure_au", "Jusqu'à", &g("heure_au"))
            .hint("HH:MM, vide pour toute la journée")
            .error_from(errors),
        Field::text("libelle", "Libellé", &g("libelle"))
            .hint("Congé, formation… (pas de motif médical)")
            .error_from(errors),
    ];
    let erreurs = summary(&[&plage_fields, &absence_fields]);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SemainePage {
        l: ctx.layout(),
        agent_id,
        agent_nom: agent.nom_complet(),
        semaine,
        prev: format!(
            "/agenda/agents/{agent_id}?semaine={}",
            lundi - Duration::days(7)
        ),
        next: format!(
            "/agenda/agents/{agent_id}?semaine={}",
            lundi + Duration::days(7)
        ),
        jours,
        can_manage,
        can_book: allows(pr, Action::RendezVousGerer),
        plages: plages
            .iter()
            .map(|x| LigneGestion {
                texte: format!(
                    "{} : {} ({})",
                    x.libelle(),
                    x.nature.libelle(),
                    lieu(x.site_id, x.permanence_id)
                ),
                action: format!("/agenda/agents/{agent_id}/plages/{}/supprimer", x.id),
            })
            .collect(),
        absences: absences
            .iter()
            .filter(|a| a.fin > parcours_store::clock().maintenant() - Duration::days(30))
            .map(|a| LigneGestion {
                texte: format!(
                    "{} : du {} au {}",
                    a.libelle,
                    heure::date_heure(a.debut),
                    heure::date_heure(a.fin)
                ),
                action: format!("/agenda/agents/{agent_id}/absences/{}/supprimer", a.id),
            })
            .collect(),
        plage_fields,
        absence_fields,
        erreurs,
        ical_url,
        ical_actif,
    };
    audit_event(
        state,
        &dep,
        &ctx.event("lecture", "agenda", agent_id)
            .details(serde_json::json!({ "semaine": lundi.to_string(), "rendez_vous": n_rdv })),
    )
    .await?;
    Ok((status, render(&page)).into_response())
}

pub async fn semaine(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    semaine_page(
        &state,
        &ctx,
        id,
        monday_of(&q),
        &Params::new(),
        &FieldErrors::new(),
        None,
    )
    .await
}

/// Checks the principal manages this agent's agenda (404 outside the territory, 403 inside it).
async fn managed_agent(state: &AppState, ctx: &Ctx, id: i64) -> WebResult<()> {
    let a = agent_in_scope(state, &ctx.principal, id).await?;
    if !manages(&ctx.principal, &a) {
        return Err(WebError::Forbidden);
    }
    Ok(())
}

pub async fn plage_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    managed_agent(&state, &ctx, id).await?;
    let lundi = monday_of(&Params::new());
    let parsed = match NewPlage::parse(
        p(&v, "jour"),
        p(&v, "debut"),
        p(&v, "fin"),
        p(&v, "nature"),
        p(&v, "site_id"),
        p(&v, "permanence_id"),
    ) {
        Ok(x) => x,
        Err(e) => return semaine_page(&state, &ctx, id, lundi, &v, &e.0, None).await,
    };
    if !reaches_site(&ctx.principal, Some(parsed.site_id)) {
        let mut e = FieldErrors::new();
        e.add("site_id", "Ce site n'est pas dans votre périmètre.");
        return semaine_page(&state, &ctx, id, lundi, &v, &e, None).await;
    }
    let mut tx = state.store.begin().await?;
    match store::plage_create(&mut tx, ctx.dep(), id, &parsed).await {
        Ok(pid) => {
            audit::append(
                &mut tx,
                ctx.dep(),
                &ctx.event("creation", "agenda_plage", pid)
                    .details(serde_json::json!({ "agent_id": id })),
            )
            .await?;
            tx.commit().await?;
            Ok(Redirect::to(&format!("/agenda/agents/{id}?message=modifie")).into_response())
        }
        Err(ReservationError::Regle(e)) => {
            drop(tx);
            semaine_page(&state, &ctx, id, lundi, &v, &e.0, None).await
        }
        Err(ReservationError::Store(e)) => Err(e.into()),
    }
}

pub async fn plage_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, plage)): Path<(i64, i64)>,
) -> WebResult<Response> {
    managed_agent(&state, &ctx, id).await?;
    let mut tx = state.store.begin().await?;
    store::plage_delete(&mut tx, ctx.dep(), id, plage).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("suppression", "agenda_plage", plage)
            .details(serde_json::json!({ "agent_id": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/agenda/agents/{id}?message=modifie")).into_response())
}

pub async fn absence_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    managed_agent(&state, &ctx, id).await?;
    let parsed = match NewAbsence::parse(
        p(&v, "du"),
        p(&v, "heure_du"),
        p(&v, "au"),
        p(&v, "heure_au"),
        p(&v, "libelle"),
    ) {
        Ok(x) => x,
        Err(e) => {
            return semaine_page(&state, &ctx, id, monday_of(&Params::new()), &v, &e.0, None).await
        }
    };
    let mut tx = state.store.begin().await?;
    let aid = store::absence_create(&mut tx, ctx.dep(), id, &parsed).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "agenda_absence", aid)
            .details(serde_json::json!({ "agent_id": id })),
    )
    .await?;
    tx.commit().await?;
    let lundi = parsed.debut.date()
        - Duration::days(i64::from(parsed.debut.weekday().num_days_from_monday()));
    Ok(Redirect::to(&format!(
        "/agenda/agents/{id}?semaine={lundi}&message=modifie"
    ))
    .into_response())
}

pub async fn absence_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, absence)): Path<(i64, i64)>,
) -> WebResult<Response> {
    managed_agent(&state, &ctx, id).await?;
    let mut tx = state.store.begin().await?;
    store::absence_delete(&mut tx, ctx.dep(), id, absence).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("suppression", "agenda_absence", absence)
            .details(serde_json::json!({ "agent_id": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/agenda/agents/{id}?message=modifie")).into_response())
}

/// The feed secret is stored hashed, like session tokens.
fn ical_hash(secret: &str) -> String {
    parcours_store::sessions::hash_token(secret)
}

/// Makes a new secret feed URL (the previous one stops working); the URL is shown once.
pub async fn ical_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    managed_agent(&state, &ctx, id).await?;
    let secret = random_token();
    let mut tx = state.store.begin().await?;
    store::ical_set(&mut tx, ctx.dep(), id, Some(&ical_hash(&secret))).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("ical_creation", "agenda", id),
    )
    .await?;
    tx.commit().await?;
    let base = state
        .settings
        .oidc
        .as_ref()
        .map(|o| o.public_url.as_str().trim_end_matches('/').to_string())
        .unwrap_or_default();
    let url = format!("{base}/agenda/ical/{secret}.ics");
    semaine_page(
        &state,
        &ctx,
        id,
        monday_of(&Params::new()),
        &Params::new(),
        &FieldErrors::new(),
        Some(url),
    )
    .await
}

pub async fn ical_revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    managed_agent(&state, &ctx, id).await?;
    let mut tx = state.store.begin().await?;
    store::ical_set(&mut tx, ctx.dep(), id, None).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("ical_revocation", "agenda", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/agenda/agents/{id}?message=revoque")).into_response())
}

/// The feed: public route, the secret in the URL is the credential. It names no person.
pub async fn ical_feed(
    State(state): State<AppState>,
    Path(jeton): Path<String>,
) -> WebResult<Response> {
    let secret = jeton.trim_end_matches(".ics");
    if secret.len() < 20 {
        return Err(WebError::NotFound);
    }
    let mut conn = state.store.read().await?;
    let Some((dep, agent_id)) = store::ical_agent(&mut conn, &ical_hash(secret)).await? else {
        return Err(WebError::NotFound);
    };
    let now = parcours_store::clock().maintenant();
    let (rdvs, sessions) = store::agenda_agent(
        &mut conn,
        &dep,
        agent_id,
        now - Duration::days(30),
        now + Duration::days(180),
    )
    .await?;
    drop(conn);
    let mut evts: Vec<Evenement> = rdvs
        .iter()
        .map(|r| Evenement {
            uid: format!("rdv-{}-{}@parcours", dep, r.id),
            debut: parcours_store::clock().utc(r.debut),
            fin: parcours_store::clock().utc(r.fin),
            resume: format!("Rendez-vous : {}", r.type_rdv.libelle()),
            lieu: r.lieu.clone(),
            url: None,
            annule: !r.statut.occupe(),
        })
        .collect();
    evts.extend(sessions.iter().map(|s| Evenement {
        uid: format!("session-{}-{}@parcours", dep, s.id),
        debut: parcours_store::clock().utc(s.debut),
        fin: parcours_store::clock().utc(s.fin),
        resume: format!("Action collective : {}", s.titre),
        lieu: s.site.clone(),
        url: None,
        annule: false,
    }));
    let body = ical::calendrier("Agenda Parcours", &evts, parcours_store::clock().now());
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        body,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------------
// Appointments list and detail

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    let pr = &ctx.principal;
    let dep = ctx.dep().to_string();
    let du = parcours_domain::agenda::parse_date(p(&q, "du"));
    let au = parcours_domain::agenda::parse_date(p(&q, "au"));
    let filter = RdvFilter {
        sites: perimetre(pr),
        agent_id: p(&q, "agent_id").parse().ok(),
        statut: StatutRdv::parse(p(&q, "statut")),
        type_rdv: TypeRdv::parse(p(&q, "type")),
        du: du.or_else(|| {
            (!q.contains_key("du")).then(|| parcours_store::clock().maintenant().date())
        }),
        au,
        personne_id: None,
    };
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
        fr_date(parcours_store::clock().maintenant().date())
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

pub async fn set_statut(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    rdv_in_scope(&state, &ctx.principal, id).await?;
    let Some(statut) = StatutRdv::parse(p(&v, "statut")) else {
        return rdv_page(
            &state,
            &ctx,
            id,
            Some("Choisissez le nouveau statut.".into()),
        )
        .await;
    };
    let mut tx = state.store.begin().await?;
    match store::set_statut(
        &mut tx,
        ctx.dep(),
        id,
        statut,
        parcours_store::clock().maintenant(),
    )
    .await
    {
        Ok(()) => {}
        Err(ReservationError::Regle(e)) => {
            drop(tx);
            let m = e.0 .0.values().next().cloned();
            return rdv_page(&state, &ctx, id, m).await;
        }
        Err(ReservationError::Store(e)) => return Err(e.into()),
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("modification", "rendez_vous", id)
            .details(serde_json::json!({ "statut": statut.code() })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/rendez-vous/{id}?message=modifie")).into_response())
}

/// The booking form of `r` at another date, time and (optionally) agent: same person, kind, length,
/// room (when the agent stays) and request date.
fn deplacement_form(
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
async fn deplacer_rdv(
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

#[derive(Deserialize, ToSchema)]
pub struct DeplacementInput {
    /// JJ/MM/AAAA ou AAAA-MM-JJ
    pub date: String,
    /// HH:MM
    pub heure: String,
    /// Un autre agent (par défaut : le même).
    pub agent_id: Option<i64>,
}

#[utoipa::path(post, operation_id = "rendez_vous_deplacer", path = "/api/v1/rendez-vous/{id}/deplacement", request_body = DeplacementInput, params(("id" = i64, Path, description = "Identifiant du rendez-vous")), responses((status = 200, body = RendezVousOut), (status = 409, body = crate::api::Problem, content_type = "application/problem+json"), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_deplacer(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(input): Json<DeplacementInput>,
) -> ApiResult<AxumJson<RendezVousOut>> {
    let r = api_rdv_in_scope(&state, &ctx, id).await?;
    let agent = input.agent_id.map(|a| a.to_string()).unwrap_or_default();
    let f = deplacement_form(&r, &input.date, &input.heure, &agent);
    let ev = ctx.event("modification", "rendez_vous", id);
    if let Err(e) = deplacer_rdv(&state, &ctx.principal, ev, &r, &f).await? {
        let conflict = e.0.values().any(|m| m.contains("déjà"));
        let mut err = ApiError::invalid(e);
        if conflict {
            err.status = StatusCode::CONFLICT;
            err.title = "Créneau déjà occupé".into();
        }
        return Err(err);
    }
    let mut conn = state.store.read().await?;
    let r = store::get(&mut conn, ctx.dep(), id).await?;
    Ok(AxumJson(RendezVousOut::pour(&ctx.principal, &r)))
}

// ---------------------------------------------------------------------------------------------------
// Person picker shared by the booking, waiting-list and session forms

pub struct Choix {
    pub id: i64,
    pub nom: String,
    pub checked: bool,
}

/// Searches persons for a picker (audited without the text typed, which may be a name) and keeps the
/// person already chosen at the top.
async fn choix_personnes(
    state: &AppState,
    ctx: &Ctx,
    q: &str,
    chosen: Option<i64>,
) -> WebResult<Vec<Choix>> {
    let dep = ctx.dep();
    let mut out = vec![];
    let mut conn = state.store.read().await?;
    if let Some(id) = chosen {
        if let Some(nom) = store::personne_nom(&mut conn, dep, id).await? {
            out.push(Choix {
                id,
                nom,
                checked: true,
            });
        }
    }
    if !q.trim().is_empty() {
        let found = parcours_store::personnes::search(&mut conn, dep, q, 20).await?;
        drop(conn);
        audit_event(
            state,
            dep,
            &ctx.event("recherche", "personnes", "agenda")
                .details(serde_json::json!({ "resultats": found.len() })),
        )
        .await?;
        for r in found {
            if Some(r.id) != chosen {
                let date = r
                    .date_naissance
                    .map(|d| format!(", né(e) le {}", fr_date(d)))
                    .unwrap_or_default();
                out.push(Choix {
                    id: r.id,
                    nom: format!("{}{date}", r.nom_complet()),
                    checked: false,
                });
            }
        }
    }
    Ok(out)
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
        demande_le: p(v, "demande_le").into(),
        rappel_email: p(v, "rappel_email").into(),
        rappel_sms: p(v, "rappel_sms").into(),
        attente_id: p(v, "attente_id").into(),
    }
}

/// Books for a person; the agent must be one of the principal's sites. Returns the id or the
/// messages per field.
async fn book(
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

// ---------------------------------------------------------------------------------------------------
// Waiting list

#[derive(Template)]
#[template(path = "agenda/attente.html")]
pub struct AttentePage {
    pub l: Layout,
    pub attente: Vec<store::Attente>,
    pub can_manage: bool,
    pub q: String,
    pub searched: bool,
    pub choix: Vec<Choix>,
    pub personne_error: Option<String>,
    pub fields: Vec<Field>,
    pub erreurs: Vec<(String, String, String)>,
}

async fn attente_page(
    state: &AppState,
    ctx: &Ctx,
    v: &Params,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let pr = &ctx.principal;
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let mut conn = state.store.read().await?;
    let attente =
        store::attente_list(&mut conn, ctx.dep(), perimetre(pr).as_deref(), "en_attente").await?;
    drop(conn);
    audit_event(
        state,
        ctx.dep(),
        &ctx.event("lecture", "agenda_attente", "liste")
            .details(serde_json::json!({ "nombre": attente.len() })),
    )
    .await?;
    let can_manage = allows(pr, Action::RendezVousGerer);
    let choix = if can_manage {
        choix_personnes(state, ctx, &g("q"), g("personne_id").parse().ok()).await?
    } else {
        vec![]
    };
    let fields = vec![
        Field::text("type", "Type de rendez-vous demandé", &g("type"))
            .select(pages::options("Choisir un type", type_options()))
            .required()
            .error_from(errors),
        Field::text("site_id", "Site", &g("site_id"))
            .select(pages::options(
                "Choisir un site",
                sites_options(state, pr).await?,
            ))
            .required()
            .error_from(errors),
        Field::text("motif", "Motif", &g("motif"))
            .hint("Quelques mots, sans détail confidentiel")
            .error_from(errors),
        Field::text("demande_le", "Date de la demande", &g("demande_le"))
            .hint("JJ/MM/AAAA ; vide : aujourd'hui")
            .error_from(errors),
    ];
    let mut erreurs = summary(&[&fields]);
    let personne_error = errors.get("personne_id").map(str::to_string);
    if let Some(e) = &personne_error {
        erreurs.insert(0, ("personne_id".into(), "Personne".into(), e.clone()));
    }
    let page = AttentePage {
        l: ctx.layout(),
        attente,
        can_manage,
        q: g("q"),
        searched: !g("q").trim().is_empty(),
        choix,
        personne_error,
        fields,
        erreurs,
    };
    Ok((status_of(errors), render(&page)).into_response())
}

pub async fn attente(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    attente_page(&state, &ctx, &q, &FieldErrors::new()).await
}

pub async fn attente_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let mut e = FieldErrors::new();
    let personne = p(&v, "personne_id").parse::<i64>().ok();
    if personne.is_none() {
        e.add(
            "personne_id",
            "Choisissez la personne (recherchez-la par son nom).",
        );
    }
    let t = TypeRdv::parse(p(&v, "type"));
    if t.is_none() {
        e.add("type", "Choisissez le type de rendez-vous demandé.");
    }
    let site = p(&v, "site_id")
        .parse::<i64>()
        .ok()
        .filter(|s| reaches_site(&ctx.principal, Some(*s)));
    if site.is_none() {
        e.add("site_id", "Choisissez un site de votre périmètre.");
    }
    let mut fe = FieldErrors::new();
    let motif = parcours_domain::validation::optional_text(
        &mut fe,
        "motif",
        "Le motif",
        p(&v, "motif"),
        200,
    );
    let demande = match p(&v, "demande_le").trim() {
        "" => Some(parcours_store::clock().maintenant().date()),
        d => parcours_domain::agenda::parse_date(d),
    };
    if demande.is_none() {
        e.add("demande_le", "La date de la demande s'écrit JJ/MM/AAAA.");
    }
    for (k, m) in fe.0 {
        e.add(&k, m);
    }
    let (Some(personne), Some(t), Some(site), Some(demande), true) =
        (personne, t, site, demande, e.is_empty())
    else {
        return attente_page(&state, &ctx, &v, &e).await;
    };
    let mut tx = state.store.begin().await?;
    let id = match store::attente_create(
        &mut tx,
        ctx.dep(),
        personne,
        t,
        site,
        motif.as_deref(),
        demande,
        ctx.principal.agent_id,
    )
    .await
    {
        Ok(id) => id,
        Err(StoreError::Reference) => {
            drop(tx);
            let mut e = FieldErrors::new();
            e.add("personne_id", "Personne inconnue dans ce département.");
            return attente_page(&state, &ctx, &v, &e).await;
        }
        Err(err) => return Err(err.into()),
    };
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "agenda_attente", id)
            .details(serde_json::json!({ "personne_id": personne })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/rendez-vous/attente?message=cree").into_response())
}

pub async fn attente_retirer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let (_, site, _, _) = store::attente_get(&mut conn, ctx.dep(), id).await?;
    drop(conn);
    if !reaches_site(&ctx.principal, Some(site)) {
        return Err(WebError::NotFound);
    }
    let mut tx = state.store.begin().await?;
    if let Err(StoreError::Conflict(_)) = store::attente_retirer(&mut tx, ctx.dep(), id).await {
        return Err(WebError::Conflict(
            "cette demande n'est plus en attente".into(),
        ));
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("retrait", "agenda_attente", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/rendez-vous/attente?message=modifie").into_response())
}

// ---------------------------------------------------------------------------------------------------
// Collective sessions

#[derive(Template)]
#[template(path = "agenda/sessions.html")]
pub struct SessionsPage {
    pub l: Layout,
    pub sessions: Vec<store::Session>,
    pub can_manage: bool,
    pub fields: Vec<Field>,
    pub erreurs: Vec<(String, String, String)>,
}

async fn sessions_page(
    state: &AppState,
    ctx: &Ctx,
    v: &Params,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let pr = &ctx.principal;
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let mut conn = state.store.read().await?;
    let sessions = store::sessions(
        &mut conn,
        ctx.dep(),
        perimetre(pr).as_deref(),
        parcours_store::clock().maintenant().date(),
    )
    .await?;
    let salles = store::salles(&mut conn, ctx.dep(), perimetre(pr).as_deref()).await?;
    drop(conn);
    let fields = vec![
        Field::text("titre", "Titre", &g("titre"))
            .hint("Par exemple « Atelier budget » ou « Groupe parentalité »")
            .required()
            .error_from(errors),
        Field::text("site_id", "Site", &g("site_id"))
            .select(pages::options(
                "Choisir un site",
                sites_options(state, pr).await?,
            ))
            .required()
            .error_from(errors),
        Field::text("salle_id", "Salle", &g("salle_id"))
            .select(pages::options(
                "Sans salle réservée",
                salles.iter().map(|s| {
                    (
                        s.id.to_string(),
                        format!("{} ({} places)", s.nom, s.capacite),
                    )
                }),
            ))
            .error_from(errors),
        Field::text("animateur_id", "Animé par", &g("animateur_id"))
            .select(pages::options(
                "Choisir un agent",
                agents_options(state, pr).await?,
            ))
            .required()
            .error_from(errors),
        Field::text("date", "Date", &g("date"))
            .hint("JJ/MM/AAAA")
            .required()
            .error_from(errors),
        Field::text("heure_debut", "Début", &g("heure_debut"))
            .hint("HH:MM")
            .required()
            .error_from(errors),
        Field::text("heure_fin", "Fin", &g("heure_fin"))
            .hint("HH:MM")
            .required()
            .error_from(errors),
        Field::text("capacite", "Nombre de places", &g("capacite"))
            .kind("number")
            .required()
            .error_from(errors),
    ];
    let erreurs = summary(&[&fields]);
    let page = SessionsPage {
        l: ctx.layout(),
        sessions,
        can_manage: allows(pr, Action::AgendaGerer),
        fields,
        erreurs,
    };
    Ok((status_of(errors), render(&page)).into_response())
}

pub async fn sessions(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    sessions_page(&state, &ctx, &Params::new(), &FieldErrors::new()).await
}

pub async fn session_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let parsed = match NewSession::parse(
        p(&v, "titre"),
        p(&v, "site_id"),
        p(&v, "salle_id"),
        p(&v, "animateur_id"),
        p(&v, "date"),
        p(&v, "heure_debut"),
        p(&v, "heure_fin"),
        p(&v, "capacite"),
        parcours_store::clock().maintenant(),
    ) {
        Ok(x) => x,
        Err(e) => return sessions_page(&state, &ctx, &v, &e.0).await,
    };
    if !reaches_site(&ctx.principal, Some(parsed.site_id)) {
        let mut e = FieldErrors::new();
        e.add("site_id", "Choisissez un site de votre périmètre.");
        return sessions_page(&state, &ctx, &v, &e).await;
    }
    let mut tx = state.store.begin().await?;
    match store::session_create(&mut tx, ctx.dep(), &parsed, ctx.principal.agent_id).await {
        Ok(id) => {
            audit::append(
                &mut tx,
                ctx.dep(),
                &ctx.event("creation", "action_collective", id),
            )
            .await?;
            tx.commit().await?;
            Ok(Redirect::to(&format!("/actions-collectives/{id}?message=cree")).into_response())
        }
        Err(ReservationError::Regle(e)) => {
            drop(tx);
            sessions_page(&state, &ctx, &v, &e.0).await
        }
        Err(ReservationError::Store(e)) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "agenda/session.html")]
pub struct SessionPage {
    pub l: Layout,
    pub s: store::Session,
    pub participants: Vec<(i64, String)>,
    pub can_register: bool,
    pub q: String,
    pub searched: bool,
    pub choix: Vec<Choix>,
    pub personne_error: Option<String>,
}

async fn session_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    v: &Params,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let pr = &ctx.principal;
    let mut conn = state.store.read().await?;
    let s = store::session_get(&mut conn, ctx.dep(), id).await?;
    if !reaches_site(pr, Some(s.site_id)) {
        return Err(WebError::NotFound);
    }
    let participants = store::participants(&mut conn, ctx.dep(), id).await?;
    drop(conn);
    audit_event(
        state,
        ctx.dep(),
        &ctx.event("lecture", "action_collective", id)
            .details(serde_json::json!({ "participants": participants.len() })),
    )
    .await?;
    let can_register = allows(pr, Action::RendezVousGerer);
    let q = v.get("q").cloned().unwrap_or_default();
    let choix = if can_register {
        choix_personnes(
            state,
            ctx,
            &q,
            v.get("personne_id").and_then(|x| x.parse().ok()),
        )
        .await?
    } else {
        vec![]
    };
    let page = SessionPage {
        l: ctx.layout(),
        s,
        participants,
        can_register,
        searched: !q.trim().is_empty(),
        q,
        choix,
        personne_error: errors.get("personne_id").map(str::to_string),
    };
    Ok((status_of(errors), render(&page)).into_response())
}

pub async fn session(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<Params>,
) -> WebResult<Response> {
    session_page(&state, &ctx, id, &q, &FieldErrors::new()).await
}

pub async fn session_register(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let s = store::session_get(&mut conn, ctx.dep(), id).await?;
    drop(conn);
    if !reaches_site(&ctx.principal, Some(s.site_id)) {
        return Err(WebError::NotFound);
    }
    let Some(personne) = p(&v, "personne_id").parse::<i64>().ok() else {
        let mut e = FieldErrors::new();
        e.add(
            "personne_id",
            "Choisissez la personne à inscrire (recherchez-la par son nom).",
        );
        return session_page(&state, &ctx, id, &v, &e).await;
    };
    let mut tx = state.store.begin().await?;
    match store::session_inscrire(&mut tx, ctx.dep(), id, personne).await {
        Ok(()) => {
            audit::append(
                &mut tx,
                ctx.dep(),
                &ctx.event("inscription", "action_collective", id)
                    .details(serde_json::json!({ "personne_id": personne })),
            )
            .await?;
            tx.commit().await?;
            Ok(Redirect::to(&format!("/actions-collectives/{id}?message=modifie")).into_response())
        }
        Err(ReservationError::Regle(e)) => {
            drop(tx);
            session_page(&state, &ctx, id, &v, &e.0).await
        }
        Err(ReservationError::Store(e)) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------------
// Rooms

#[derive(Template)]
#[template(path = "agenda/salles.html")]
pub struct SallesPage {
    pub l: Layout,
    pub salles: Vec<(String, String, i64)>,
    pub can_manage: bool,
    pub fields: Vec<Field>,
    pub erreurs: Vec<(String, String, String)>,
}

async fn salles_page(
    state: &AppState,
    ctx: &Ctx,
    v: &Params,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let pr = &ctx.principal;
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let mut conn = state.store.read().await?;
    let salles = store::salles(&mut conn, ctx.dep(), perimetre(pr).as_deref()).await?;
    let sites = referentiel::sites(&mut conn, ctx.dep()).await?;
    drop(conn);
    let fields = vec![
        Field::text("site_id", "Site", &g("site_id"))
            .select(pages::options(
                "Choisir un site",
                sites_options(state, pr).await?,
            ))
            .required()
            .error_from(errors),
        Field::text("nom", "Nom de la salle", &g("nom"))
            .required()
            .error_from(errors),
        Field::text("capacite", "Nombre de places", &g("capacite"))
            .kind("number")
            .required()
            .error_from(errors),
    ];
    let erreurs = summary(&[&fields]);
    let page = SallesPage {
        l: ctx.layout(),
        salles: salles
            .iter()
            .map(|s| {
                (
                    sites
                        .iter()
                        .find(|x| x.id == s.site_id)
                        .map(|x| x.nom.clone())
                        .unwrap_or_default(),
                    s.nom.clone(),
                    s.capacite,
                )
            })
            .collect(),
        can_manage: allows(pr, Action::AgendaGerer),
        fields,
        erreurs,
    };
    Ok((status_of(errors), render(&page)).into_response())
}

pub async fn salles(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    salles_page(&state, &ctx, &Params::new(), &FieldErrors::new()).await
}

pub async fn salle_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<Params>,
) -> WebResult<Response> {
    let mut e = FieldErrors::new();
    let site = p(&v, "site_id")
        .parse::<i64>()
        .ok()
        .filter(|s| reaches_site(&ctx.principal, Some(*s)));
    if site.is_none() {
        e.add("site_id", "Choisissez un site de votre périmètre.");
    }
    let nom = parcours_domain::validation::required_text(&mut e, "nom", "Le nom", p(&v, "nom"), 80);
    let capacite = p(&v, "capacite")
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|c| (1..=500).contains(c));
    if capacite.is_none() {
        e.add(
            "capacite",
            "Le nombre de places est un entier entre 1 et 500.",
        );
    }
    let (Some(site), Some(capacite), true) = (site, capacite, e.is_empty()) else {
        return salles_page(&state, &ctx, &v, &e).await;
    };
    let mut tx = state.store.begin().await?;
    let id = match store::salle_create(&mut tx, ctx.dep(), site, &nom, capacite).await {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            drop(tx);
            let mut e = FieldErrors::new();
            e.add("nom", "Ce site a déjà une salle de ce nom.");
            return salles_page(&state, &ctx, &v, &e).await;
        }
        Err(err) => return Err(err.into()),
    };
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "agenda_salle", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/agenda/salles?message=cree").into_response())
}

/// Styles of the agenda pages (week grid, print layout), embedded like the main stylesheet.
pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/agenda.css"),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------------
// API v1

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct CreneauxQuery {
    /// Secteur de la personne (les agents qui reçoivent à la MDS du secteur)
    pub secteur_id: Option<i64>,
    pub site_id: Option<i64>,
    pub agent_id: Option<i64>,
    /// premier_accueil, suivi, rsa, visite_domicile, telephonique
    #[serde(rename = "type")]
    pub type_rdv: Option<String>,
    /// Nombre de créneaux (1 à 50, 5 par défaut)
    #[param(minimum = 1, maximum = 50)]
    pub nombre: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct CreneauOut {
    pub agent_id: i64,
    /// Heure locale du département, AAAA-MM-JJTHH:MM
    pub debut: String,
    pub fin: String,
    pub site_id: i64,
    pub permanence_id: Option<i64>,
    /// rendez_vous, plas ou permanence
    pub nature: String,
}

#[utoipa::path(get, operation_id = "creneaux_lister", path = "/api/v1/creneaux", params(CreneauxQuery), responses((status = 200, body = [CreneauOut]), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_creneaux(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<CreneauxQuery>,
) -> ApiResult<AxumJson<Vec<CreneauOut>>> {
    let pr = &ctx.principal;
    let mut e = FieldErrors::new();
    let t = q.type_rdv.as_deref().and_then(TypeRdv::parse);
    if t.is_none() {
        e.add("type", "Type de rendez-vous attendu : premier_accueil, suivi, rsa, visite_domicile ou telephonique.");
    }
    let mut conn = state.store.read().await?;
    let cible = match (q.secteur_id, q.site_id, q.agent_id) {
        (Some(s), None, None) => {
            let sec = referentiel::secteur_get(&mut conn, ctx.dep(), s).await.ok();
            sec.filter(|x| reaches_site(pr, Some(x.site_id)))
                .map(|_| Cible::Secteur(s))
        }
        (None, Some(s), None) => reaches_site(pr, Some(s)).then_some(Cible::Site(s)),
        (None, None, Some(a)) => match agents_store::get(&mut conn, ctx.dep(), a).await {
            Ok(ag) if reaches_any(pr, &ag.site_ids) => Some(Cible::Agent(a)),
            _ => None,
        },
        _ => None,
    };
    if cible.is_none() {
        e.add(
            "secteur_id",
            "Donnez un seul de secteur_id, site_id ou agent_id, dans votre périmètre.",
        );
    }
    let (Some(t), Some(cible), true) = (t, cible, e.is_empty()) else {
        return Err(ApiError::invalid(e));
    };
    let found = store::creneaux(
        &mut conn,
        ctx.dep(),
        cible,
        t,
        t.duree(),
        parcours_store::clock().maintenant(),
        60,
        q.nombre.unwrap_or(5).clamp(1, 50),
    )
    .await?;
    Ok(AxumJson(
        found
            .into_iter()
            .map(|c| CreneauOut {
                agent_id: c.agent_id,
                debut: heure::format(c.debut),
                fin: heure::format(c.fin),
                site_id: c.site_id,
                permanence_id: c.permanence_id,
                nature: c.nature.code().into(),
            })
            .collect(),
    ))
}

/// An appointment as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct RendezVousOut {
    pub id: i64,
    pub personne_id: i64,
    /// Nom de la personne ; absent pour un compte de service, qui n'apprend que son existence.
    pub personne: Option<String>,
    pub agent_id: i64,
    #[serde(rename = "type")]
    pub type_rdv: TypeRdv,
    pub statut: StatutRdv,
    /// Heure locale du département, AAAA-MM-JJTHH:MM
    pub debut: String,
    pub fin: String,
    pub lieu: String,
    pub site_id: i64,
    pub salle_id: Option<i64>,
    pub demande_le: String,
    /// Jours entre la demande et le rendez-vous
    pub delai_jours: i64,
}

impl RendezVousOut {
    /// The appointment as this caller may see it: a service account's token learns that the person
    /// exists (`dossiers::secret::portee` gives it `Existence`), never their name.
    fn pour(pr: &Principal, r: &store::RendezVous) -> Self {
        let mut out = Self::from(r);
        if pr.token_id.is_some() {
            out.personne = None;
        }
        out
    }
}

impl From<&store::RendezVous> for RendezVousOut {
    fn from(r: &store::RendezVous) -> Self {
        Self {
            id: r.id,
            personne_id: r.personne_id,
            personne: Some(r.personne.clone()),
            agent_id: r.agent_id,
            type_rdv: r.type_rdv,
            statut: r.statut,
            debut: heure::format(r.debut),
            fin: heure::format(r.fin),
            lieu: r.lieu.clone(),
            site_id: r.site_id,
            salle_id: r.salle_id,
            demande_le: r.demande_le.to_string(),
            delai_jours: r.delai_jours(),
        }
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct RdvQuery {
    /// AAAA-MM-JJ
    pub du: Option<String>,
    pub au: Option<String>,
    pub agent_id: Option<i64>,
    pub statut: Option<String>,
    pub limite: Option<i64>,
    pub decalage: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RendezVousPage {
    pub total: i64,
    pub rendez_vous: Vec<RendezVousOut>,
}

#[utoipa::path(get, operation_id = "rendez_vous_lister", path = "/api/v1/rendez-vous", params(RdvQuery), responses((status = 200, body = RendezVousPage), (status = 403, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_list(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<RdvQuery>,
) -> ApiResult<AxumJson<RendezVousPage>> {
    let filter = RdvFilter {
        sites: perimetre(&ctx.principal),
        agent_id: q.agent_id,
        statut: q.statut.as_deref().and_then(StatutRdv::parse),
        du: q
            .du
            .as_deref()
            .and_then(parcours_domain::agenda::parse_date),
        au: q
            .au
            .as_deref()
            .and_then(parcours_domain::agenda::parse_date),
        ..Default::default()
    };
    let mut conn = state.store.read().await?;
    let (rows, total) = store::list(
        &mut conn,
        ctx.dep(),
        &filter,
        q.limite.unwrap_or(100).clamp(1, 500),
        q.decalage.unwrap_or(0).max(0),
    )
    .await?;
    drop(conn);
    let mut tx = state.store.begin().await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "rendez_vous", "liste")
            .details(serde_json::json!({ "nombre": rows.len() })),
    )
    .await?;
    tx.commit().await?;
    Ok(AxumJson(RendezVousPage {
        total,
        rendez_vous: rows
            .iter()
            .map(|r| RendezVousOut::pour(&ctx.principal, r))
            .collect(),
    }))
}

async fn api_rdv_in_scope(state: &AppState, ctx: &ApiCtx, id: i64) -> ApiResult<store::RendezVous> {
    let mut conn = state.store.read().await?;
    let r = store::get(&mut conn, ctx.dep(), id).await?;
    if !reaches_site(&ctx.principal, Some(r.site_id)) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "Ressource introuvable",
            "Aucun rendez-vous de votre périmètre ne porte cet identifiant.",
        ));
    }
    Ok(r)
}

#[utoipa::path(get, operation_id = "rendez_vous_lire", path = "/api/v1/rendez-vous/{id}", params(("id" = i64, Path, description = "Identifiant du rendez-vous")), responses((status = 200, body = RendezVousOut), (status = 404, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_get(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<RendezVousOut>> {
    let r = api_rdv_in_scope(&state, &ctx, id).await?;
    let mut tx = state.store.begin().await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "rendez_vous", id)
            .details(serde_json::json!({ "personne_id": r.personne_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(AxumJson(RendezVousOut::pour(&ctx.principal, &r)))
}

#[utoipa::path(post, operation_id = "rendez_vous_creer", path = "/api/v1/rendez-vous", request_body = RendezVousForm, responses((status = 201, body = RendezVousOut), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Json(f): Json<RendezVousForm>,
) -> ApiResult<Response> {
    let ev = |id: i64| ctx.event("creation", "rendez_vous", id);
    match book(&state, &ctx.principal, ev, &f)
        .await
        .map_err(ApiError::from)?
    {
        Ok(id) => {
            let mut conn = state.store.read().await?;
            let r = store::get(&mut conn, ctx.dep(), id).await?;
            Ok((
                StatusCode::CREATED,
                AxumJson(RendezVousOut::pour(&ctx.principal, &r)),
            )
                .into_response())
        }
        Err(e) => {
            let conflict = e.0.values().any(|m| m.contains("déjà"));
            let mut err = ApiError::invalid(e);
            if conflict {
                err.status = StatusCode::CONFLICT;
                err.title = "Créneau déjà occupé".into();
            }
            Err(err)
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct StatutInput {
    /// honore, excuse, absent ou annule
    pub statut: String,
}

#[utoipa::path(post, operation_id = "rendez_vous_statut", path = "/api/v1/rendez-vous/{id}/statut", request_body = StatutInput, params(("id" = i64, Path, description = "Identifiant du rendez-vous")), responses((status = 200, body = RendezVousOut), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_statut(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(input): Json<StatutInput>,
) -> ApiResult<AxumJson<RendezVousOut>> {
    api_rdv_in_scope(&state, &ctx, id).await?;
    let Some(statut) = StatutRdv::parse(input.statut.trim()) else {
        let mut e = FieldErrors::new();
        e.add(
            "statut",
            "Statut attendu : honore, excuse, absent ou annule.",
        );
        return Err(ApiError::invalid(e));
    };
    let mut tx = state.store.begin().await?;
    match store::set_statut(
        &mut tx,
        ctx.dep(),
        id,
        statut,
        parcours_store::clock().maintenant(),
    )
    .await
    {
        Ok(()) => {}
        Err(ReservationError::Regle(e)) => return Err(ApiError::invalid(e.0)),
        Err(ReservationError::Store(e)) => return Err(e.into()),
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("modification", "rendez_vous", id)
            .details(serde_json::json!({ "statut": statut.code() })),
    )
    .await?;
    let r = store::get(&mut tx, ctx.dep(), id).await?;
    tx.commit().await?;
    Ok(AxumJson(RendezVousOut::pour(&ctx.principal, &r)))
}
