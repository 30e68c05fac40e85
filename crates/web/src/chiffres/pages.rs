//! The figures page: the tables and the two charts, with the filter of period and sites.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parcours_domain::habilitations::policy::{allows, reaches_site, Action};
use parcours_store::chiffres::{Chiffres, Mois};

use super::graphes::{graphe_absences, graphe_typologies, Graphe};
use super::tableaux::{
    fr_decimal, milliers, tableau_agents, tableau_delais, tableau_mois, tableau_sites,
    tableau_typologies, Cellule, Tableau, DEFINITIONS,
};
use super::{calculer, demande, ChiffresQuery};
use crate::auth::Ctx;
use crate::error::{Query, WebError, WebResult};
use crate::pages::{render, Field, Layout};
use crate::AppState;

#[derive(Template)]
#[template(path = "chiffres/page.html")]
pub struct Page {
    pub l: Layout,
    pub filtres: Vec<Field>,
    pub erreurs: Vec<String>,
    pub perimetre: String,
    pub periode: String,
    /// The filter applied, for the export forms.
    pub q_mds: String,
    pub q_du: String,
    pub q_au: String,
    pub cles: Vec<(&'static str, String, String)>,
    pub graphe: Graphe,
    pub graphe_absences: Graphe,
    pub tableaux: Vec<Tableau>,
    /// Whether the figures per agent are shown (not to the direction: staff data).
    pub par_agent: bool,
    pub definitions: &'static [(&'static str, &'static str)],
}

fn cles(ch: &Chiffres) -> Vec<(&'static str, String, String)> {
    let t = &ch.total;
    vec![
        ("Contacts à l'accueil", milliers(t.contacts), String::new()),
        (
            "Répondus au guichet",
            Cellule::Part(t.part_au_guichet()).texte(),
            format!("{} contacts", milliers(t.au_guichet)),
        ),
        (
            "Demandes d'appui technique",
            milliers(t.appuis_techniques),
            String::new(),
        ),
        (
            "Délai médian demande → rendez-vous",
            t.delais
                .mediane()
                .map(|j| format!("{} j", fr_decimal(j)))
                .unwrap_or_else(|| "—".into()),
            t.delais
                .moyenne()
                .map(|j| format!("moyenne {} j", fr_decimal(j)))
                .unwrap_or_default(),
        ),
        (
            "Taux d'absence non excusée",
            Cellule::Part(t.taux_absence()).texte(),
            format!(
                "{} sur {} rendez-vous échus",
                milliers(t.absents),
                milliers(t.rdv_echus)
            ),
        ),
        ("Rendez-vous", milliers(t.rendez_vous), String::new()),
    ]
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ChiffresQuery>,
) -> WebResult<Response> {
    let d = demande(&state, &ctx.principal, &q)
        .await?
        .ok_or(WebError::NotFound)?;
    let ch = calculer(
        &state,
        &ctx.principal,
        &d,
        ctx.event(
            "lecture",
            "accueil_chiffres",
            d.site
                .map(|s| s.to_string())
                .unwrap_or_else(|| "toutes".into()),
        ),
        "page",
    )
    .await?;
    let sites = d.sites_affiches(&ch);
    let par_agent = allows(&ctx.principal, Action::AccueilChiffresAgents);
    let mut options = vec![(String::new(), toutes(reaches_site(&ctx.principal, None)))];
    options.extend(d.sites.iter().map(|(id, n)| (id.to_string(), n.clone())));
    let erreur = |k: &str| {
        d.erreurs
            .iter()
            .find(|(c, _)| *c == k)
            .map(|(_, m)| m.clone())
    };
    let mut f_du = Field::text("du", "Premier mois", &valeur_mois(&d.du_saisi, d.filtre.du))
        .hint("AAAA-MM, par exemple 2025-12");
    f_du.error = erreur("du");
    let mut f_au = Field::text("au", "Dernier mois", &valeur_mois(&d.au_saisi, d.filtre.au))
        .hint("AAAA-MM ; par défaut le mois en cours");
    f_au.error = erreur("au");
    let filtres = vec![
        Field::text(
            "mds",
            "MDS",
            &d.site.map(|s| s.to_string()).unwrap_or_default(),
        )
        .select(options),
        f_du,
        f_au,
    ];
    let page = Page {
        l: ctx.layout(),
        filtres,
        erreurs: d.erreurs.iter().map(|(_, m)| m.clone()).collect(),
        perimetre: d.perimetre(),
        periode: d.periode(),
        q_mds: d.site.map(|s| s.to_string()).unwrap_or_default(),
        q_du: d.filtre.du.code(),
        q_au: d.filtre.au.code(),
        cles: cles(&ch),
        graphe: graphe_typologies(&ch),
        graphe_absences: graphe_absences(&ch),
        tableaux: [
            Some(tableau_typologies(&ch)),
            Some(tableau_mois(&ch)),
            Some(tableau_sites(&ch, &sites)),
            Some(tableau_delais(&ch)),
            par_agent.then(|| tableau_agents(&ch, &d)),
        ]
        .into_iter()
        .flatten()
        .collect(),
        par_agent,
        definitions: &DEFINITIONS,
    };
    let status = if d.erreurs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)).into_response())
}

/// The first option of the MDS filter.
fn toutes(central: bool) -> String {
    if central {
        "Toutes les MDS".into()
    } else {
        "Toutes mes MDS".into()
    }
}

/// What the month field shows: what was typed when it was wrong, the month used otherwise.
fn valeur_mois(saisi: &str, m: Mois) -> String {
    if !saisi.trim().is_empty() && Mois::parse(saisi).is_none() {
        saisi.to_string()
    } else {
        m.code()
    }
}
