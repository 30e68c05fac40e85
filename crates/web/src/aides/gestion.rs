//! The pages that steer financial aids beyond one dossier: the requests to decide, the commissions
//! and their minutes, the payment orders held for review and the accounting file, the catalogue of
//! funds with the history of their rules, the envelopes, and the figures with their chart and exports.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use parcours_domain::aides::catalogue::{ecrire_liste, lire_liste};
use parcours_domain::aides::demande::DecisionForm;
use parcours_domain::aides::{Centimes, ReglesFonds, Sens};
use parcours_domain::habilitations::policy::{allows, reaches_site, Action};
use parcours_domain::FieldErrors;
use parcours_store::aides::{Commission, Demande, LigneChiffres};
use parcours_usecases::aides as cas;
use parcours_usecases::{Canal, Error as CasError};

use super::{date_fr, eur, today};
use crate::auth::Ctx;
use crate::chiffres::tableaux::{Cellule, Tableau};
use crate::error::{Form, Path, Query, WebError, WebResult};
use crate::pages::{
    error_summary, options, page_number, render, Cell, Column, Field, Layout, Pagination, TablePage,
};
use crate::AppState;

fn statut(errors: &[(String, String)]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// The sites the agent may choose (their own, or every open site for the central roles).
async fn sites_choisissables(state: &AppState, ctx: &Ctx) -> WebResult<Vec<(String, String)>> {
    let mut conn = state.store.read().await?;
    Ok(parcours_store::referentiel::sites(&mut conn, ctx.dep())
        .await?
        .into_iter()
        .filter(|s| s.ferme_le.is_none() && reaches_site(&ctx.principal, Some(s.id)))
        .map(|s| (s.id.to_string(), s.nom))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Requests to decide

#[derive(serde::Deserialize, Default)]
pub struct PageQuery {
    page: Option<String>,
}

pub async fn accueil(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PageQuery>,
) -> WebResult<Response> {
    let page = page_number(q.page.as_deref());
    let (demandes, total) = cas::a_decider(&state.store, &ctx.acteur(), page, Canal::Page).await?;
    let p = &ctx.principal;
    let mut actions = vec![(
        "/aides/catalogue".to_string(),
        "Catalogue des fonds".to_string(),
    )];
    for (a, href, l) in [
        (Action::AidesCommission, "/aides/commissions", "Commissions"),
        (
            Action::AidesPaiements,
            "/aides/paiements",
            "Paiements à contrôler",
        ),
        (
            Action::AidesPaiements,
            "/aides/cartes",
            "Cartes de paiement",
        ),
        (Action::AidesChiffres, "/aides/enveloppes", "Enveloppes"),
        (
            Action::AidesChiffres,
            "/aides/chiffres",
            "Chiffres des aides",
        ),
    ] {
        if allows(p, a) {
            actions.push((href.to_string(), l.to_string()));
        }
    }
    let rows = demandes
        .iter()
        .map(|d: &Demande| {
            vec![
                Cell::text(date_fr(&d.demandee_le)),
                Cell::link(
                    d.personne.clone().unwrap_or_else(|| d.beneficiaire.clone()),
                    format!("/aides/demandes/{}", d.id),
                ),
                Cell::text(d.fonds.clone()),
                Cell::text(eur(d.montant_demande)),
                Cell::text(d.niveau.libelle()),
                Cell::text(d.statut.libelle()),
                Cell::text(d.site.clone()),
            ]
        })
        .collect();
    Ok(render(&TablePage {
        l: ctx.layout(),
        title: "Aides financières : demandes à décider".into(),
        intro: Some("Les demandes en instruction, inscrites en commission ou ajournées de vos MDS, la plus ancienne d'abord. Une demande se crée depuis le dossier de la personne.".into()),
        actions,
        filters: vec![],
        filter_action: "/aides".into(),
        columns: ["Demandée le", "Personne", "Fonds", "Montant", "Décidée par", "État", "MDS"]
            .iter()
            .map(|c| Column::plain(c))
            .collect(),
        rows,
        pagination: Some(Pagination::new("/aides", page, 50, total)),
        caption: "Demandes d'aide financière à décider".into(),
        empty: "Aucune demande en attente de décision.".into(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Catalogue

pub async fn catalogue(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let fonds = cas::catalogue(&state.store, &ctx.acteur()).await?;
    let rows = fonds
        .iter()
        .map(|f| {
            let r = &f.regles;
            vec![
                Cell::link(f.libelle.clone(), format!("/aides/catalogue/{}", f.code)),
                Cell::text(eur(r.plafond_demande)),
                Cell::text(eur(r.plafond_annuel)),
                Cell::text(if r.delegation_ts.0 > 0 {
                    eur(r.delegation_ts)
                } else {
                    "—".into()
                }),
                Cell::text(if r.delegation_cadre.0 > 0 {
                    eur(r.delegation_cadre)
                } else {
                    "—".into()
                }),
                Cell::text(date_fr(&f.valide_du)),
            ]
        })
        .collect();
    let actions = if allows(&ctx.principal, Action::AidesParametrer) {
        vec![
            (
                "/aides/catalogue/nouveau".to_string(),
                "Ajouter un fonds".to_string(),
            ),
            (
                "/aides/modele-notification".to_string(),
                "Modèle de la notification".to_string(),
            ),
        ]
    } else {
        vec![]
    };
    Ok(render(&TablePage {
        l: ctx.layout(),
        title: "Catalogue des fonds d'aide".into(),
        intro: Some("Les fonds que le département attribue, avec les règles en vigueur aujourd'hui (règlements intérieurs). Chaque changement de règles est une nouvelle version datée : une demande reste jugée selon les règles de son jour.".into()),
        actions,
        filters: vec![],
        filter_action: "/aides/catalogue".into(),
        columns: ["Fonds", "Plafond par demande", "Plafond annuel", "Délégation du travailleur social", "Délégation du cadre", "Règles en vigueur depuis le"]
            .iter()
            .map(|c| Column::plain(c))
            .collect(),
        rows,
        pagination: None,
        caption: "Fonds d'aide financière et leurs règles".into(),
        empty: "Aucun fonds.".into(),
    }))
}

#[derive(Template)]
#[template(path = "aides/fonds.html")]
struct FondsPage {
    l: Layout,
    code: String,
    libelle: String,
    regles: Vec<String>,
    besoins: Vec<String>,
    historique: Vec<(String, String, String, String)>,
    peut_modifier: bool,
    fields: Vec<Field>,
    /// Payment modes: (code, label, ticked).
    modes: Vec<(String, String, bool)>,
    modes_erreur: Option<String>,
    errors: Vec<(String, String)>,
}

fn opt_eur(c: Option<Centimes>) -> String {
    c.map(Centimes::saisie).unwrap_or_default()
}

async fn fonds_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    v: Option<&BTreeMap<String, String>>,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let (f, versions) = cas::fonds(&state.store, &ctx.acteur(), code).await?;
    let r = &f.regles;
    let defaut: BTreeMap<String, String> = [
        ("valide_du", today().format("%Y-%m-%d").to_string()),
        ("plafond_demande", r.plafond_demande.saisie()),
        ("plafond_annuel", r.plafond_annuel.saisie()),
        ("delegation_ts", r.delegation_ts.saisie()),
        ("delegation_cadre", r.delegation_cadre.saisie()),
        ("ressources_max_uc", opt_eur(r.ressources_max_uc)),
        (
            "reste_a_vivre_max_jour_uc",
            opt_eur(r.reste_a_vivre_max_jour_uc),
        ),
        ("periode_doublon_jours", r.periode_doublon_jours.to_string()),
        (
            "carte_accueillant",
            if r.carte_accueillant { "oui" } else { "" }.to_string(),
        ),
        (
            "besoins",
            ecrire_liste(
                r.besoins
                    .iter()
                    .map(|b| (b.code.as_str(), b.libelle.as_str())),
            ),
        ),
        (
            "pieces",
            ecrire_liste(
                r.pieces
                    .iter()
                    .map(|p| (p.code.as_str(), p.libelle.as_str())),
            ),
        ),
        (
            "modes",
            r.modes
                .iter()
                .map(|m| m.code())
                .collect::<Vec<_>>()
                .join(","),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let v = v.unwrap_or(&defaut);
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let fields = vec![
        Field::text("valide_du", "En vigueur à partir du", &g("valide_du"))
            .kind("date")
            .required()
            .error_from(errors),
        Field::text(
            "plafond_demande",
            "Plafond par demande (euros)",
            &g("plafond_demande"),
        )
        .required()
        .error_from(errors),
        Field::text(
            "plafond_annuel",
            "Plafond par foyer et par année civile (euros)",
            &g("plafond_annuel"),
        )
        .required()
        .error_from(errors),
        Field::text(
            "delegation_ts",
            "Délégation du travailleur social (euros)",
            &g("delegation_ts"),
        )
        .hint("0 : le travailleur social ne décide jamais seul.")
        .required()
        .error_from(errors),
        Field::text(
            "delegation_cadre",
            "Délégation du cadre (euros)",
            &g("delegation_cadre"),
        )
        .hint("Au-delà, la commission décide. 0 : toujours la commission.")
        .required()
        .error_from(errors),
        Field::text(
            "ressources_max_uc",
            "Barème : ressources mensuelles par unité de consommation au plus (euros)",
            &g("ressources_max_uc"),
        )
        .hint("Vide : pas de barème de ressources.")
        .error_from(errors),
        Field::text(
            "reste_a_vivre_max_jour_uc",
            "Barème : reste à vivre par jour et par unité de consommation au plus (euros)",
            &g("reste_a_vivre_max_jour_uc"),
        )
        .hint("Vide : pas de barème de reste à vivre.")
        .error_from(errors),
        Field::text(
            "periode_doublon_jours",
            "Période de contrôle des paiements répétés (jours)",
            &g("periode_doublon_jours"),
        )
        .kind("number")
        .required()
        .error_from(errors),
        Field::text(
            "carte_accueillant",
            "Peut être versée sur la carte de l'assistant familial qui accueille l'enfant",
            &g("carte_accueillant"),
        )
        .kind("checkbox"),
        Field::text("besoins", "Besoins couverts", &g("besoins"))
            .kind("textarea")
            .hint("Un par ligne, « code ; libellé ». Gardez les codes existants : les demandes passées les citent. Une ligne sans code en reçoit un tiré du libellé.")
            .required()
            .error_from(errors),
        Field::text("pieces", "Pièces exigées", &g("pieces"))
            .kind("textarea")
            .hint("Une par ligne, « code ; libellé » ; vide : aucune pièce.")
            .error_from(errors),
    ];
    let coches = g("modes");
    let page = FondsPage {
        modes: parcours_domain::aides::ModePaiement::ALL
            .iter()
            .map(|m| {
                (
                    m.code().to_string(),
                    m.libelle().to_string(),
                    coches.split(',').any(|c| c == m.code()),
                )
            })
            .collect(),
        modes_erreur: errors.get("modes").map(str::to_string),
        l: ctx.layout(),
        code: f.code.clone(),
        libelle: f.libelle.clone(),
        regles: super::pages::regles_lisibles(r),
        besoins: r.besoins.iter().map(|b| b.libelle.clone()).collect(),
        historique: versions
            .iter()
            .map(|v| {
                (
                    date_fr(&v.valide_du),
                    format!(
                        "{} / {}",
                        eur(v.regles.plafond_demande),
                        eur(v.regles.plafond_annuel)
                    ),
                    format!(
                        "{} / {}",
                        eur(v.regles.delegation_ts),
                        eur(v.regles.delegation_cadre)
                    ),
                    v.auteur
                        .clone()
                        .unwrap_or_else(|| "catalogue initial".into()),
                )
            })
            .collect(),
        peut_modifier: allows(&ctx.principal, Action::AidesParametrer),
        errors: {
            let mut e = error_summary(&fields);
            if let Some(m) = errors.get("modes") {
                e.push(("modes".into(), format!("Modes de paiement : {m}")));
            }
            e
        },
        fields,
    };
    Ok((statut(&page.errors), render(&page)).into_response())
}

pub async fn fonds(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> WebResult<Response> {
    fonds_page(&state, &ctx, &code, None, &FieldErrors::new()).await
}

fn montant_ou(e: &mut FieldErrors, v: &BTreeMap<String, String>, k: &str) -> Centimes {
    match Centimes::parse(v.get(k).map(String::as_str).unwrap_or("")) {
        Ok(c) => c,
        Err(m) => {
            e.add(k, m);
            Centimes(0)
        }
    }
}

fn montant_facultatif(
    e: &mut FieldErrors,
    v: &BTreeMap<String, String>,
    k: &str,
) -> Option<Centimes> {
    let t = v.get(k).map(|s| s.trim()).unwrap_or("");
    if t.is_empty() {
        return None;
    }
    match Centimes::parse(t) {
        Ok(c) => Some(c),
        Err(m) => {
            e.add(k, m);
            None
        }
    }
}

pub async fn fonds_modifier(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let v = crate::choix::valeurs(pairs);
    let (f, _) = cas::fonds(&state.store, &ctx.acteur(), &code).await?;
    let mut e = FieldErrors::new();
    let besoins = match lire_liste(v.get("besoins").map(String::as_str).unwrap_or("")) {
        Ok(l) => l,
        Err(m) => {
            e.add("besoins", m);
            vec![]
        }
    };
    let pieces = match lire_liste(v.get("pieces").map(String::as_str).unwrap_or("")) {
        Ok(l) => l,
        Err(m) => {
            e.add("pieces", m);
            vec![]
        }
    };
    let modes: Vec<parcours_domain::aides::ModePaiement> = v
        .get("modes")
        .map(|m| {
            m.split(',')
                .filter_map(parcours_domain::aides::ModePaiement::parse)
                .collect()
        })
        .unwrap_or_default();
    let periode = match v
        .get("periode_doublon_jours")
        .and_then(|s| s.trim().parse::<u32>().ok())
    {
        Some(p) if p <= 3650 => p,
        _ => {
            e.add(
                "periode_doublon_jours",
                "Indiquez un nombre de jours entre 0 et 3 650.",
            );
            0
        }
    };
    let regles = ReglesFonds {
        plafond_demande: montant_ou(&mut e, &v, "plafond_demande"),
        plafond_annuel: montant_ou(&mut e, &v, "plafond_annuel"),
        delegation_ts: montant_ou(&mut e, &v, "delegation_ts"),
        delegation_cadre: montant_ou(&mut e, &v, "delegation_cadre"),
        ressources_max_uc: montant_facultatif(&mut e, &v, "ressources_max_uc"),
        reste_a_vivre_max_jour_uc: montant_facultatif(&mut e, &v, "reste_a_vivre_max_jour_uc"),
        periode_doublon_jours: periode,
        besoins: besoins
            .into_iter()
            .map(|(code, libelle)| parcours_domain::aides::catalogue::Besoin { code, libelle })
            .collect(),
        pieces: pieces
            .into_iter()
            .map(|(code, libelle)| parcours_domain::aides::catalogue::Piece { code, libelle })
            .collect(),
        modes,
        carte_accueillant: v.contains_key("carte_accueillant"),
        ..f.regles.clone()
    };
    if !e.is_empty() {
        return fonds_page(&state, &ctx, &code, Some(&v), &e).await;
    }
    let valide_du = v.get("valide_du").cloned().unwrap_or_default();
    match cas::modifier_fonds(&state.store, &ctx.acteur(), &code, &valide_du, &regles).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/aides/catalogue/{code}?message=modifie")).into_response())
        }
        Err(CasError::Invalid(e)) => fonds_page(&state, &ctx, &code, Some(&v), &e).await,
        Err(e) => Err(e.into()),
    }
}

/// The form of a fund the département adds: its code, its name, the fund whose rules it starts from.
async fn nouveau_fonds_page(
    state: &AppState,
    ctx: &Ctx,
    v: &BTreeMap<String, String>,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let fonds = cas::catalogue(&state.store, &ctx.acteur()).await?;
    let fields = vec![
        Field::text("libelle", "Nom du fonds", &g("libelle"))
            .hint("Par exemple : Aide aux frais d'obsèques")
            .required()
            .error_from(errors),
        Field::text("code", "Code", &g("code"))
            .hint("Lettres minuscules sans accent, chiffres et _ ; il ne change plus ensuite (par exemple frais_obseques).")
            .required()
            .error_from(errors),
        Field::text("modele", "Règles de départ", &g("modele"))
            .select(options(
                "Choisir le fonds à recopier",
                fonds.iter().map(|f| (f.code.clone(), f.libelle.clone())),
            ))
            .hint("Les règles du fonds choisi sont recopiées ; adaptez-les ensuite dans une nouvelle version.")
            .required()
            .error_from(errors),
    ];
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        render(&crate::pages::FormPage {
            l: ctx.layout(),
            title: "Ajouter un fonds d'aide".into(),
            intro: Some("Un fonds que le département crée (aide locale) : il rejoint le catalogue aujourd'hui, avec des règles recopiées d'un fonds existant.".into()),
            action: "/aides/catalogue".into(),
            fields,
            submit: "Ajouter le fonds".into(),
            cancel: Some("/aides/catalogue".into()),
            multipart: false,
            buttons: vec![],
            details: vec![],
            liens: vec![],
        }),
    )
        .into_response())
}

pub async fn nouveau_fonds(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    nouveau_fonds_page(&state, &ctx, &BTreeMap::new(), &FieldErrors::new()).await
}

pub async fn creer_fonds(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    match cas::creer_fonds(
        &state.store,
        &ctx.acteur(),
        &g("code"),
        &g("libelle"),
        &g("modele"),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/aides/catalogue/{}?message=cree#nouvelle-version",
            g("code").trim()
        ))
        .into_response()),
        Err(CasError::Invalid(e)) => nouveau_fonds_page(&state, &ctx, &v, &e).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Envelopes

#[derive(Template)]
#[template(path = "aides/enveloppes.html")]
struct EnveloppesPage {
    l: Layout,
    annee: i32,
    lignes: Vec<(String, String, String, String, String, String, String)>,
    peut_allouer: bool,
    fields: Vec<Field>,
    errors: Vec<(String, String)>,
}

#[derive(serde::Deserialize, Default)]
pub struct AnneeQuery {
    annee: Option<String>,
}

async fn enveloppes_page(
    state: &AppState,
    ctx: &Ctx,
    annee: i32,
    v: &BTreeMap<String, String>,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let env = cas::enveloppes(&state.store, &ctx.acteur(), annee).await?;
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let fonds = cas::catalogue(&state.store, &ctx.acteur()).await?;
    let sites = sites_choisissables(state, ctx).await?;
    let fields = vec![
        Field::text("fonds", "Fonds", &g("fonds"))
            .select(options(
                "Choisir le fonds",
                fonds.iter().map(|f| (f.code.clone(), f.libelle.clone())),
            ))
            .required()
            .error_from(errors),
        Field::text("site_id", "MDS", &g("site_id"))
            .select(options("Choisir la MDS", sites))
            .required()
            .error_from(errors),
        Field::text(
            "annee",
            "Année",
            &if v.is_empty() {
                annee.to_string()
            } else {
                g("annee")
            },
        )
        .kind("number")
        .required()
        .error_from(errors),
        Field::text("montant", "Montant alloué (euros)", &g("montant"))
            .required()
            .error_from(errors),
    ];
    let page = EnveloppesPage {
        l: ctx.layout(),
        annee,
        lignes: env
            .iter()
            .map(|e| {
                let part = if e.alloue.0 > 0 {
                    format!(
                        "{:.0}\u{a0}%",
                        e.engage.0 as f64 * 100.0 / e.alloue.0 as f64
                    )
                } else {
                    "—".into()
                };
                (
                    e.site.clone(),
                    e.fonds.clone(),
                    eur(e.alloue),
                    eur(e.engage),
                    eur(e.paye),
                    eur(e.reste()),
                    part,
                )
            })
            .collect(),
        peut_allouer: allows(&ctx.principal, Action::AidesParametrer),
        errors: error_summary(&fields),
        fields,
    };
    Ok((statut(&page.errors), render(&page)).into_response())
}

pub async fn enveloppes(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AnneeQuery>,
) -> WebResult<Response> {
    let annee = q
        .annee
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| today().year());
    enveloppes_page(&state, &ctx, annee, &BTreeMap::new(), &FieldErrors::new()).await
}

pub async fn allouer(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let site = g("site_id")
        .parse::<i64>()
        .ok()
        .filter(|s| reaches_site(&ctx.principal, Some(*s)));
    match cas::allouer(
        &state.store,
        &ctx.acteur(),
        &g("fonds"),
        site,
        &g("annee"),
        &g("montant"),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/aides/enveloppes?annee={}&message=modifie",
            g("annee").trim()
        ))
        .into_response()),
        Err(CasError::Invalid(e)) => {
            let annee = g("annee").trim().parse().unwrap_or_else(|_| today().year());
            enveloppes_page(&state, &ctx, annee, &v, &e).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Commissions

#[derive(Template)]
#[template(path = "aides/commissions.html")]
struct CommissionsPage {
    l: Layout,
    a_venir: Vec<Commission>,
    tenues: Vec<Commission>,
    fields: Vec<Field>,
    errors: Vec<(String, String)>,
}

impl CommissionsPage {
    fn fr(&self, d: &str) -> String {
        date_fr(d)
    }
}

async fn commissions_page(
    state: &AppState,
    ctx: &Ctx,
    v: &BTreeMap<String, String>,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let toutes = cas::commissions(&state.store, &ctx.acteur()).await?;
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let sites = sites_choisissables(state, ctx).await?;
    let fields = vec![
        Field::text("date", "Date", &g("date"))
            .kind("date")
            .required()
            .error_from(errors),
        Field::text("intitule", "Intitulé", &g("intitule"))
            .hint("Par exemple : Commission des aides financières de la MDS Nord")
            .required()
            .error_from(errors),
        Field::text("site_id", "MDS", &g("site_id"))
            .select(options("Choisir la MDS", sites))
            .required()
            .error_from(errors),
        Field::text("membres", "Membres", &g("membres"))
            .kind("textarea")
            .hint("Les membres convoqués, leur qualité.")
            .error_from(errors),
    ];
    let (tenues, a_venir): (Vec<_>, Vec<_>) =
        toutes.into_iter().partition(|c| c.tenue_le.is_some());
    let page = CommissionsPage {
        l: ctx.layout(),
        a_venir,
        tenues,
        errors: error_summary(&fields),
        fields,
    };
    Ok((statut(&page.errors), render(&page)).into_response())
}

pub async fn commissions(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    commissions_page(&state, &ctx, &BTreeMap::new(), &FieldErrors::new()).await
}

pub async fn commission_creer(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let site = g("site_id").parse::<i64>().ok();
    match cas::creer_commission(
        &state.store,
        &ctx.acteur(),
        site,
        &g("date"),
        &g("intitule"),
        &g("membres"),
    )
    .await
    {
        Ok(id) => {
            Ok(Redirect::to(&format!("/aides/commissions/{id}?message=cree")).into_response())
        }
        Err(CasError::Invalid(e)) => commissions_page(&state, &ctx, &v, &e).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "aides/commission.html")]
struct CommissionPage {
    l: Layout,
    c: Commission,
    date: String,
    demandes: Vec<(Demande, String)>,
    sens: Vec<(String, String)>,
    erreur_demande: Option<(i64, String)>,
    pv: String,
    errors: Vec<(String, String)>,
}

async fn commission_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    erreur: Option<(i64, String)>,
    pv: &str,
    errors: Vec<(String, String)>,
) -> WebResult<Response> {
    let (c, demandes) = cas::lire_commission(&state.store, &ctx.acteur(), id, Canal::Page).await?;
    let page = CommissionPage {
        l: ctx.layout(),
        date: date_fr(&c.date),
        demandes: demandes
            .into_iter()
            .map(|d| {
                let etat = match (d.sens, d.montant_accorde) {
                    (Some(s), Some(m)) => format!("{} : {}", s.libelle(), eur(m)),
                    (Some(s), None) => s.libelle().to_string(),
                    _ => d.statut.libelle().to_string(),
                };
                (d, etat)
            })
            .collect(),
        sens: Sens::ALL
            .iter()
            .map(|s| (s.code().to_string(), s.libelle().to_string()))
            .collect(),
        erreur_demande: erreur,
        pv: pv.to_string(),
        errors,
        c,
    };
    let st = statut(&page.errors);
    Ok((st, render(&page)).into_response())
}

pub async fn commission(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    commission_page(&state, &ctx, id, None, "", vec![]).await
}

pub async fn commission_decider(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, demande)): Path<(i64, i64)>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let f = DecisionForm {
        sens: g("sens"),
        montant: g("montant"),
        motivation: g("motivation"),
        depassement: g("depassement"),
    };
    match cas::decider_en_commission(&state.store, &ctx.acteur(), id, demande, &f, Canal::Page)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/aides/commissions/{id}?message=aide_decidee#demande-{demande}"
        ))
        .into_response()),
        Err(CasError::Invalid(e)) => {
            let msg = e.0.values().cloned().collect::<Vec<_>>().join(" ");
            commission_page(
                &state,
                &ctx,
                id,
                Some((demande, msg.clone())),
                "",
                vec![(
                    format!("demande-{demande}"),
                    format!("Demande n° {demande} : {msg}"),
                )],
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn commission_tenir(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let pv = v.get("proces_verbal").cloned().unwrap_or_default();
    match cas::tenir_commission(&state.store, &ctx.acteur(), id, &pv).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/aides/commissions/{id}?message=modifie")).into_response())
        }
        Err(CasError::Invalid(e)) => {
            let errs =
                e.0.iter()
                    .map(|(k, m)| (k.clone(), format!("Procès-verbal : {m}")))
                    .collect();
            commission_page(&state, &ctx, id, None, &pv, errs).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Payments

pub struct OrdreLigne {
    pub id: i64,
    pub demande_id: i64,
    pub personne: String,
    pub fonds: String,
    pub montant: String,
    pub beneficiaire: String,
    pub mode: String,
    pub regles: Vec<&'static str>,
    pub detail: String,
    pub site: String,
}

fn ligne(o: &parcours_store::aides::Ordre) -> OrdreLigne {
    OrdreLigne {
        id: o.id,
        demande_id: o.demande_id,
        personne: o.personne.clone().unwrap_or_default(),
        fonds: o.fonds.clone(),
        montant: eur(o.montant),
        beneficiaire: o.beneficiaire.clone(),
        mode: o.mode.libelle().to_string(),
        regles: o.anomalies.iter().map(|r| r.libelle()).collect(),
        detail: o.derniere_erreur.clone().unwrap_or_default(),
        site: o.site.clone(),
    }
}

#[derive(Template)]
#[template(path = "aides/paiements.html")]
struct PaiementsPage {
    l: Layout,
    retenus: Vec<OrdreLigne>,
    prets: Vec<OrdreLigne>,
    rejetes: Vec<OrdreLigne>,
    a_controler: usize,
    ecarts: Vec<(i64, String, String, String, String, String)>,
    mois: String,
    /// Whether the agent opens the requests (the central finance team reviews orders, not files).
    lien_demandes: bool,
    erreur: Option<(i64, String)>,
    errors: Vec<(String, String)>,
}

async fn paiements_page(
    state: &AppState,
    ctx: &Ctx,
    erreur: Option<(i64, String)>,
) -> WebResult<Response> {
    let p = cas::paiements(&state.store, &ctx.acteur(), Canal::Page).await?;
    let errors = erreur
        .iter()
        .map(|(id, m)| (format!("ordre-{id}"), format!("Ordre n° {id} : {m}")))
        .collect::<Vec<_>>();
    let page = PaiementsPage {
        l: ctx.layout(),
        retenus: p.retenus.iter().map(ligne).collect(),
        prets: p.prets.iter().map(ligne).collect(),
        rejetes: p.rejetes.iter().map(ligne).collect(),
        a_controler: p.a_controler.len(),
        ecarts: p
            .ecarts
            .iter()
            .map(|e| {
                (
                    e.demande_id,
                    e.fonds.clone(),
                    date_fr(&e.decide_le),
                    eur(e.accorde),
                    eur(e.paye),
                    eur(e.en_cours),
                )
            })
            .collect(),
        mois: today().format("%Y-%m").to_string(),
        lien_demandes: allows(&ctx.principal, Action::AidesInstruire),
        erreur,
        errors,
    };
    Ok((statut(&page.errors), render(&page)).into_response())
}

pub async fn paiements(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    paiements_page(&state, &ctx, None).await
}

pub async fn examen(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let liberer = match v.get("suite").map(String::as_str) {
        Some("liberer") => true,
        Some("annuler") => false,
        _ => {
            return paiements_page(
                &state,
                &ctx,
                Some((id, "Choisissez de libérer ou d'annuler l'ordre.".into())),
            )
            .await
        }
    };
    let motif = v.get("motif").cloned().unwrap_or_default();
    match cas::examiner(
        &state.store,
        &ctx.acteur(),
        id,
        liberer,
        &motif,
        Canal::Page,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/aides/paiements?message={}",
            if liberer {
                "ordre_libere"
            } else {
                "ordre_annule"
            }
        ))
        .into_response()),
        Err(CasError::Invalid(e)) => {
            paiements_page(
                &state,
                &ctx,
                Some((id, e.0.values().cloned().collect::<Vec<_>>().join(" "))),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct MoisQuery {
    mois: Option<String>,
}

/// The accounting file of a month: one line per paid order (documented in docs/paiement.md).
pub async fn comptabilite(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<MoisQuery>,
) -> WebResult<Response> {
    let mois = q
        .mois
        .unwrap_or_else(|| today().format("%Y-%m").to_string());
    let debut = NaiveDate::parse_from_str(&format!("{mois}-01"), "%Y-%m-%d")
        .map_err(|_| WebError::BadRequest("le mois s'écrit AAAA-MM".into()))?;
    let fin = debut
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(debut);
    let z = parcours_store::clock();
    let (du, au) = (
        z.utc(debut.and_hms_opt(0, 0, 0).unwrap_or_default()),
        z.utc(fin.and_hms_opt(0, 0, 0).unwrap_or_default()),
    );
    let ordres = cas::comptabilite(
        &state.store,
        &ctx.acteur(),
        &parcours_store::format_time(du),
        &parcours_store::format_time(au),
    )
    .await?;
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::from("\u{feff}".as_bytes()));
    let io = |e: csv::Error| WebError::Internal(e.into());
    w.write_record([
        "reference_parcours",
        "reference_prestataire",
        "date_paiement",
        "fonds",
        "mds",
        "demande",
        "mode",
        "beneficiaire",
        "iban",
        "carte",
        "montant_euros",
    ])
    .map_err(io)?;
    for o in &ordres {
        w.write_record([
            o.cle.clone(),
            o.reference.clone().unwrap_or_default(),
            o.paye_le
                .as_deref()
                .and_then(parcours_store::parse_time)
                .map(|t| z.civil(t).format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            o.fonds.clone(),
            o.site.clone(),
            o.demande_id.to_string(),
            o.mode.code().to_string(),
            parcours_domain::export::cellule_csv(&o.beneficiaire).into_owned(),
            o.iban.clone().unwrap_or_default(),
            o.carte.clone().unwrap_or_default(),
            o.montant.decimal(),
        ])
        .map_err(io)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| WebError::Internal(anyhow::anyhow!(e.to_string())))?;
    Ok(crate::procedures::pages::fichier(
        "text/csv; charset=utf-8",
        &format!("paiements-aides-{mois}.csv"),
        body,
    ))
}

// ---------------------------------------------------------------------------------------------
// Figures

fn depuis() -> NaiveDate {
    let t = today();
    NaiveDate::from_ymd_opt(t.year() - 1, t.month(), 1).unwrap_or(t)
}

fn tableaux(lignes: &[LigneChiffres], env: &[parcours_store::aides::Enveloppe]) -> Vec<Tableau> {
    let part = |a: i64, b: i64| {
        if b > 0 {
            Some(a as f64 / b as f64)
        } else {
            None
        }
    };
    let jours = |s: i64, n: i64| {
        if n > 0 {
            Some(s as f64 / n as f64)
        } else {
            None
        }
    };
    vec![
        Tableau {
            id: "par-mois",
            titre: "Demandes par mois, MDS et fonds".into(),
            feuille: "Par mois",
            entetes: [
                "Mois",
                "MDS",
                "Fonds",
                "Demandes",
                "Accordées",
                "Refusées",
                "Taux d'accord",
                "Montant demandé (€)",
                "Montant accordé (€)",
                "Montant payé (€)",
                "Délai moyen de décision (jours)",
                "Délai moyen de paiement (jours)",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            lignes: lignes
                .iter()
                .map(|l| {
                    vec![
                        Cellule::Texte(l.mois.clone()),
                        Cellule::Texte(l.site.clone()),
                        Cellule::Texte(l.fonds.clone()),
                        Cellule::Entier(l.demandes),
                        Cellule::Entier(l.accordees),
                        Cellule::Entier(l.refusees),
                        Cellule::Part(part(l.accordees, l.accordees + l.refusees)),
                        Cellule::Entier(l.montant_demande.0 / 100),
                        Cellule::Entier(l.montant_accorde.0 / 100),
                        Cellule::Entier(l.montant_paye.0 / 100),
                        Cellule::Jours(jours(l.jours_decision, l.decidees)),
                        Cellule::Jours(jours(l.jours_paiement, l.payees)),
                    ]
                })
                .collect(),
            cles: 3,
        },
        Tableau {
            id: "enveloppes",
            titre: "Enveloppes de l'année".into(),
            feuille: "Enveloppes",
            entetes: [
                "MDS",
                "Fonds",
                "Allouée (€)",
                "Engagée (€)",
                "Payée (€)",
                "Part engagée",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            lignes: env
                .iter()
                .map(|e| {
                    vec![
                        Cellule::Texte(e.site.clone()),
                        Cellule::Texte(e.fonds.clone()),
                        Cellule::Entier(e.alloue.0 / 100),
                        Cellule::Entier(e.engage.0 / 100),
                        Cellule::Entier(e.paye.0 / 100),
                        Cellule::Part(part(e.engage.0, e.alloue.0)),
                    ]
                })
                .collect(),
            cles: 2,
        },
    ]
}

pub struct Barre {
    pub libelle: String,
    pub texte: String,
    pub y: usize,
    pub largeur: i64,
}

/// A table of figures as the page shows it: anchor, title, headers, rows of text.
type TableauVue = (String, String, Vec<String>, Vec<Vec<String>>);

#[derive(Template)]
#[template(path = "aides/chiffres.html")]
struct ChiffresPage {
    l: Layout,
    barres: Vec<Barre>,
    tableaux: Vec<TableauVue>,
    definitions: Vec<(&'static str, &'static str)>,
}

const DEFINITIONS: &[(&str, &str)] = &[
    ("Demandes", "Demandes d'aide enregistrées dans le mois (date de la demande), quel que soit leur sort."),
    ("Taux d'accord", "Accords (totaux ou partiels) rapportés aux demandes décidées (accordées ou refusées) ; les demandes ajournées, annulées ou en cours n'y entrent pas."),
    ("Montant accordé", "Somme des montants accordés aux demandes du mois, en euros."),
    ("Délai moyen de décision", "Jours entre la demande et la décision, en moyenne sur les demandes décidées."),
    (
        "Montant payé",
        "Somme des ordres acquittés par le prestataire pour les demandes du mois, en euros.",
    ),
    (
        "Délai moyen de paiement",
        "Jours entre la décision et le paiement acquitté par le prestataire (jour du département), en moyenne sur les demandes payées.",
    ),
    ("Enveloppe engagée", "Somme des accords de l'année sur l'enveloppe du fonds et de la MDS ; un ordre annulé ou rejeté par le prestataire la libère."),
    ("Enveloppe payée", "Somme des ordres de paiement acquittés par le prestataire."),
];

async fn donnees(
    state: &AppState,
    ctx: &Ctx,
) -> WebResult<(Vec<LigneChiffres>, Vec<parcours_store::aides::Enveloppe>)> {
    Ok(cas::chiffres(&state.store, &ctx.acteur(), depuis()).await?)
}

pub async fn chiffres(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let (lignes, env) = donnees(&state, &ctx).await?;
    let mut par_fonds: BTreeMap<String, i64> = BTreeMap::new();
    for l in &lignes {
        *par_fonds.entry(l.fonds.clone()).or_default() += l.montant_accorde.0;
    }
    let max = par_fonds.values().copied().max().unwrap_or(0).max(1);
    let barres = par_fonds
        .iter()
        .enumerate()
        .map(|(i, (f, m))| Barre {
            libelle: f.clone(),
            texte: eur(Centimes(*m)),
            y: i * 28,
            largeur: m * 300 / max,
        })
        .collect();
    let t = tableaux(&lignes, &env);
    Ok(render(&ChiffresPage {
        l: ctx.layout(),
        barres,
        tableaux: t
            .iter()
            .map(|t| {
                (
                    t.id.to_string(),
                    t.titre.clone(),
                    t.entetes.clone(),
                    t.lignes
                        .iter()
                        .map(|l| l.iter().map(Cellule::texte).collect())
                        .collect(),
                )
            })
            .collect(),
        definitions: DEFINITIONS.to_vec(),
    }))
}

pub async fn chiffres_csv(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let (lignes, env) = donnees(&state, &ctx).await?;
    let t = tableaux(&lignes, &env);
    let body = crate::chiffres::exports::csv_de(&t[0])?;
    Ok(crate::procedures::pages::fichier(
        "text/csv; charset=utf-8",
        &format!("chiffres-aides-{}.csv", today().format("%Y-%m-%d")),
        body,
    ))
}

pub async fn chiffres_xlsx(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let (lignes, env) = donnees(&state, &ctx).await?;
    let t = tableaux(&lignes, &env);
    let body = crate::chiffres::exports::classeur(&t).map_err(|e| WebError::Internal(e.into()))?;
    Ok(crate::procedures::pages::fichier(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("chiffres-aides-{}.xlsx", today().format("%Y-%m-%d")),
        body,
    ))
}
