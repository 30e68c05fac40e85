//! The agenda pages: the home (first free slot, agendas of the sites) and each agent's printable week
//! with the management of their plages and absences.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use parcours_domain::agenda::{heure, NaturePlage, NewAbsence, NewPlage, TypeRdv};
use parcours_domain::habilitations::policy::{allows, reaches_site, Action};
use parcours_domain::habilitations::Role;
use parcours_domain::FieldErrors;
use parcours_store::agenda::{self as store, Cible, ReservationError};
use parcours_store::{audit, referentiel};

use super::{
    agent_in_scope, agents_options, audit_event, fr_date, hhmm, hm, manages, p, perimetre,
    sites_options, status_of, summary, type_options, Params,
};
use crate::auth::Ctx;
use crate::error::{Form, Path, Query, WebError, WebResult};
use crate::pages::{self, render, Field, Layout};
use crate::AppState;

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
    // The fiche's « Prendre rendez-vous » comes with the secteur and the person, not the type yet:
    // the search runs once the form is sent.
    let searched = q.contains_key("type");
    let personne = p(&q, "personne_id").parse::<i64>().ok();
    let pour = personne
        .map(|i| format!("&personne_id={i}"))
        .unwrap_or_default();
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
                        "/rendez-vous/nouveau?agent_id={}&date={}&heure={}&type={}{pour}",
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
        // Kept from the fiche's « Prendre rendez-vous »: the booking opens with the person chosen.
        Field::text(
            "personne_id",
            "",
            &personne.map(|i| i.to_string()).unwrap_or_default(),
        )
        .kind("hidden"),
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

pub(super) fn monday_of(q: &Params) -> NaiveDate {
    let d = parcours_domain::agenda::parse_date(p(q, "semaine"))
        .unwrap_or_else(|| parcours_store::clock().today());
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn semaine_page(
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
                    texte: match &r.interprete {
                        Some(langue) => format!(
                            "{} — {} (interprète : {langue})",
                            r.type_rdv.libelle(),
                            r.personne
                        ),
                        None => format!("{} — {}", r.type_rdv.libelle(), r.personne),
                    },
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
pub(super) async fn managed_agent(state: &AppState, ctx: &Ctx, id: i64) -> WebResult<()> {
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
