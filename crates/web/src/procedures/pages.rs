//! The pages of procedures: opening one in a dossier, the procedure (its due dates with their rule
//! and legal source, its history, the steps possible now and the form of the chosen one), the list of
//! due dates of a social worker or an MDS, and the late counts by MDS and secteur.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Duration;
use parcours_domain::habilitations::policy::{allows, Action};
use parcours_domain::habilitations::Role;
use parcours_domain::procedures::{regime_rsa, Champ, EtapeForm, TypeProcedure};
use parcours_domain::FieldErrors;
use parcours_store::agents::{AgentFilter, AgentSort};
use parcours_usecases::{Canal, Error as UcError};

use super::{echeance_vue, etape_vue, EcheanceVue, EtapeVue};
use crate::auth::Ctx;
use crate::error::{WebError, WebResult};
use crate::pages::{
    error_summary, page_number, render, Cell, Column, Field, Layout, Pagination, TablePage,
    PER_PAGE,
};
use crate::AppState;

fn today() -> chrono::NaiveDate {
    parcours_store::clock().today()
}

// ---------------------------------------------------------------------------------------------------
// Opening a procedure

#[derive(Template)]
#[template(path = "procedures/nouvelle.html")]
struct NouvellePage {
    l: Layout,
    dossier_id: i64,
    dossier: String,
    fields: Vec<Field>,
    errors: Vec<(String, String)>,
}

/// The référents the acting agent may name: the social workers and cadres of their service in their
/// sites, by name.
async fn referents_possibles(state: &AppState, ctx: &Ctx) -> WebResult<Vec<(String, String)>> {
    let mut conn = state.store.read().await?;
    let mut out = Vec::new();
    let mut vus = std::collections::BTreeSet::new();
    for site in &ctx.principal.site_ids {
        let (agents, _) = parcours_store::agents::list(
            &mut conn,
            ctx.dep(),
            &AgentFilter {
                site_id: Some(*site),
                service_id: ctx.principal.service_id,
                ..Default::default()
            },
            AgentSort::Nom,
            500,
            0,
        )
        .await?;
        for a in agents {
            if matches!(a.role, Role::TravailleurSocial | Role::Cadre) && vus.insert(a.id) {
                out.push((a.id.to_string(), format!("{} {}", a.prenom, a.nom)));
            }
        }
    }
    if let Some(me) = ctx.principal.agent_id {
        if vus.insert(me) {
            out.insert(0, (me.to_string(), ctx.principal.display_name.clone()));
        }
    }
    Ok(out)
}

async fn nouvelle_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    values: &BTreeMap<String, String>,
    errors: &FieldErrors,
) -> WebResult<Response> {
    // Opening the form shows the dossier's title: decided and refused as the dossier is.
    let mut conn = state.store.read().await?;
    let o = parcours_usecases::dossiers::decider(&mut conn, &ctx.principal, id)
        .await?
        .ok_or(WebError::Forbidden)?;
    drop(conn);
    let g = |k: &str| values.get(k).cloned().unwrap_or_default();
    let me = ctx
        .principal
        .agent_id
        .map(|a| a.to_string())
        .unwrap_or_default();
    let referent = if values.contains_key("referent") {
        g("referent")
    } else {
        me
    };
    let fields = vec![
        Field::text("type", "Procédure", &g("type"))
            .select(
                TypeProcedure::ALL
                    .iter()
                    .map(|t| (t.code().to_string(), t.libelle().to_string()))
                    .collect(),
            )
            .required()
            .error_from(errors),
        Field::text("referent", "Référent de la procédure", &referent)
            .select(referents_possibles(state, ctx).await?)
            .hint("Un travailleur social ou un cadre de votre équipe.")
            .required()
            .error_from(errors),
        Field::text(
            "motif_depassement",
            "Motif du dépassement du plafond",
            &g("motif_depassement"),
        )
        .kind("textarea")
        .hint(&format!(
            "Seulement si le référent accompagne déjà {} bénéficiaires du RSA ou plus.",
            state.settings.rsa_plafond_referent
        ))
        .error_from(errors),
    ];
    let summary = error_summary(&fields);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        render(&NouvellePage {
            l: ctx.layout(),
            dossier_id: id,
            dossier: o.dossier.intitule,
            fields,
            errors: summary,
        }),
    )
        .into_response())
}

pub async fn nouvelle(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    nouvelle_page(&state, &ctx, id, &BTreeMap::new(), &FieldErrors::new()).await
}

pub async fn ouvrir(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let mut errors = FieldErrors::new();
    let type_ = TypeProcedure::parse(v.get("type").map(String::as_str).unwrap_or(""));
    if type_.is_none() {
        errors.add("type", "Choisissez la procédure.");
    }
    let referent = v.get("referent").and_then(|r| r.parse::<i64>().ok());
    if referent.is_none() {
        errors.add("referent", "Choisissez le référent.");
    }
    let (Some(t), true) = (type_, errors.is_empty()) else {
        return nouvelle_page(&state, &ctx, id, &v, &errors).await;
    };
    let o = parcours_usecases::procedures::Ouverture {
        type_: t,
        referent_id: referent,
        motif_depassement: v.get("motif_depassement").cloned(),
        plafond_rsa: state.settings.rsa_plafond_referent,
    };
    match parcours_usecases::procedures::ouvrir(&state.store, &ctx.acteur(), id, &o, Canal::Page)
        .await
    {
        Ok(pid) => Ok(Redirect::to(&format!("/procedures/{pid}?message=cree")).into_response()),
        Err(UcError::Invalid(e)) => nouvelle_page(&state, &ctx, id, &v, &e).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------------
// The procedure

#[derive(Template)]
#[template(path = "procedures/procedure.html")]
struct ProcedurePage {
    l: Layout,
    id: i64,
    titre: String,
    dossier_id: i64,
    dossier: String,
    referent: String,
    ouverte_le: String,
    close_le: Option<String>,
    regime: Option<&'static str>,
    treve: Option<String>,
    /// The FSL fund an eviction procedure leads to (reference §5.3), when the agent may ask for it.
    fsl: Option<&'static str>,
    ouvertes: Vec<EcheanceVue>,
    passees: Vec<EcheanceVue>,
    historique: Vec<EtapeVue>,
    possibles: Vec<(&'static str, &'static str)>,
    etape: Option<(&'static str, &'static str)>,
    fields: Vec<Field>,
    errors: Vec<(String, String)>,
    can_write: bool,
}

async fn procedure_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    etape: Option<&str>,
    values: &BTreeMap<String, String>,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let vue =
        parcours_usecases::procedures::lire(&state.store, &ctx.acteur(), id, Canal::Page).await?;
    let p = &vue.procedure;
    let mut conn = state.store.read().await?;
    let dossier = parcours_store::dossiers::get(&mut conn, ctx.dep(), p.dossier_id).await?;
    drop(conn);
    let aujourdhui = today();
    let preavis = state.settings.echeances_preavis_jours;
    let (ouvertes, passees): (Vec<_>, Vec<_>) = vue
        .echeances
        .iter()
        .map(|e| echeance_vue(e, aujourdhui, preavis))
        .partition(|e| e.etat == "ouverte");
    let faites = parcours_store::procedures::faites(&vue.etapes);
    let can_write =
        allows(&ctx.principal, Action::DossiersEcrire) && vue.ecriture && p.close_le.is_none();
    let possibles: Vec<(&str, &str)> = parcours_domain::procedures::possibles(p.type_, &faites)
        .into_iter()
        .map(|e| (e.code, e.libelle))
        .collect();
    let choisie = etape.and_then(|c| p.type_.etape(c));
    let g = |k: &str| values.get(k).cloned().unwrap_or_default();
    let mut fields = Vec::new();
    if let Some(def) = choisie {
        fields.push(Field::text("etape", "", def.code).kind("hidden"));
        fields.push(
            Field::text("date", "Date de l'étape", &g("date"))
                .kind("date")
                .required()
                .hint("Le jour où l'étape a eu lieu (pas dans le futur).")
                .error_from(errors),
        );
        for c in def.champs {
            let nom = c.nom();
            let f = Field::text(nom, c.libelle(), &g(nom));
            let f = match c {
                // Free text is optional unless a rule of the procedure asks for it (a professional
                // who transmits an IP is named): the decision says so per field.
                Champ::Texte { max, .. } => f.kind("textarea").hint(&format!(
                    "Facultatif selon le cas ; au plus {max} caractères."
                )),
                _ => f.required(),
            };
            let f = match c {
                Champ::Texte { .. } => f,
                Champ::Choix { options, .. } => f.select(crate::pages::options(
                    "— choisir —",
                    options.iter().map(|(k, l)| (k.to_string(), l.to_string())),
                )),
                Champ::Regle { options, .. } => f.select(crate::pages::options(
                    "— choisir —",
                    options
                        .iter()
                        .map(|(k, l, _)| (k.to_string(), l.to_string())),
                )),
                Champ::Nombre { min, max, .. } => {
                    f.kind("number").hint(&format!("Entre {min} et {max}."))
                }
                Champ::Duree { regle, .. } => {
                    let r = parcours_domain::echeancier::regle(regle);
                    f.kind("number").hint(&format!(
                        "{} ({}).",
                        r.map(|r| r.delai()).unwrap_or_default(),
                        r.map(|r| r.source.as_str()).unwrap_or("")
                    ))
                }
                Champ::DateAVenir { regle, .. } => {
                    let r = parcours_domain::echeancier::regle(regle);
                    f.kind("date").hint(&format!(
                        "Peut être à venir. Échéance : {} ({}).",
                        r.map(|r| r.delai()).unwrap_or_default(),
                        r.map(|r| r.source.as_str()).unwrap_or("")
                    ))
                }
            };
            fields.push(f.error_from(errors));
        }
        fields.push(
            Field::text("commentaire", "Commentaire", &g("commentaire"))
                .kind("textarea")
                .error_from(errors),
        );
    }
    let mut summary = error_summary(&fields);
    if let Some(e) = errors.get("etape") {
        summary.insert(0, ("etape-choix".into(), e.to_string()));
    }
    if let Some(e) = errors.get("prolongation") {
        summary.insert(0, ("echeances".into(), e.to_string()));
    }
    let ech = state.settings.echeancier();
    let treve = (p.type_ == TypeProcedure::Expulsion).then(|| {
        let t = ech.parametres.treve;
        let fin_quitter = vue
            .echeances
            .iter()
            .filter(|e| e.regle == "EXP_CDT_QUITTER")
            .map(|e| e.echeance.jour())
            .max();
        let mut s = if t.contient(aujourdhui) {
            "Trêve hivernale en cours (CPCE L412-6) : aucune expulsion jusqu'à sa fin, sauf exceptions.".to_string()
        } else {
            "Hors trêve hivernale.".to_string()
        };
        if let Some(j) = fin_quitter.and_then(|f| parcours_domain::procedures::expulsion_possible_le(&ech, f)) {
            s.push_str(&format!(
                " Expulsion possible au plus tôt le {} (CPCE L412-1 et L412-6).",
                j.format("%d/%m/%Y")
            ));
        }
        s
    });
    let regime = (p.type_ == TypeProcedure::Rsa).then(|| {
        let debut = faites
            .iter()
            .find(|f| f.code == "ouverture")
            .map(|f| f.date)
            .unwrap_or(aujourdhui);
        regime_rsa(debut)
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ProcedurePage {
        l: ctx.layout(),
        id,
        titre: p.type_.court().to_string(),
        dossier_id: p.dossier_id,
        dossier: dossier.intitule,
        referent: p.referent_nom.clone().unwrap_or_else(|| "—".into()),
        ouverte_le: crate::dossiers::fr(&p.ouverte_le),
        close_le: p.close_le.as_deref().map(crate::dossiers::fr),
        regime,
        treve,
        fsl: (p.type_ == TypeProcedure::Expulsion
            && p.close_le.is_none()
            && allows(&ctx.principal, Action::AidesInstruire))
        .then_some("fsl_maintien"),
        ouvertes,
        passees,
        historique: vue
            .etapes
            .iter()
            .rev()
            .map(|e| etape_vue(p.type_, e))
            .collect(),
        possibles,
        etape: choisie.map(|e| (e.code, e.libelle)),
        fields,
        errors: summary,
        can_write,
    };
    Ok((status, render(&page)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<BTreeMap<String, String>>,
) -> WebResult<Response> {
    procedure_page(
        &state,
        &ctx,
        id,
        q.get("etape").map(String::as_str),
        &BTreeMap::new(),
        &FieldErrors::new(),
    )
    .await
}

pub async fn etape(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let form = EtapeForm {
        etape: g("etape"),
        date: g("date"),
        valeurs: v
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "etape" | "date" | "commentaire" | "_csrf"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        commentaire: g("commentaire"),
    };
    let ech = state.settings.echeancier();
    match parcours_usecases::procedures::enregistrer_etape(
        &state.store,
        &ech,
        &ctx.acteur(),
        id,
        &form,
        Canal::Page,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/procedures/{id}?message=cree")).into_response()),
        Err(UcError::Invalid(e)) => {
            procedure_page(&state, &ctx, id, Some(&form.etape), &v, &e).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn prolonger(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, eid)): Path<(i64, i64)>,
) -> WebResult<Response> {
    let ech = state.settings.echeancier();
    match parcours_usecases::procedures::prolonger(
        &state.store,
        &ech,
        &ctx.acteur(),
        id,
        eid,
        Canal::Page,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/procedures/{id}?message=modifie")).into_response()),
        Err(UcError::Invalid(e)) => {
            procedure_page(&state, &ctx, id, None, &BTreeMap::new(), &e).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------------
// Lists of due dates

pub async fn echeances(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let horizon = q.get("horizon").map(String::as_str).unwrap_or("semaine");
    let aujourdhui = today();
    let jusqu_au = match horizon {
        "retard" => aujourdhui - Duration::days(1),
        "mois" => aujourdhui + Duration::days(31),
        _ => aujourdhui + Duration::days(7),
    };
    let page = page_number(q.get("page").map(String::as_str));
    let liste = parcours_usecases::procedures::a_traiter(
        &state.store,
        &ctx.acteur(),
        jusqu_au,
        PER_PAGE as u32,
        ((page - 1) * PER_PAGE) as u32,
        Canal::Page,
    )
    .await?;
    let preavis = state.settings.echeances_preavis_jours;
    let rows = liste
        .echeances
        .iter()
        .map(|e| {
            let r = parcours_domain::echeancier::regle(&e.regle);
            let jour = chrono::NaiveDate::parse_from_str(&e.jour, "%Y-%m-%d").unwrap_or(aujourdhui);
            let n = parcours_domain::echeancier::suivi::niveau(jour, aujourdhui, preavis);
            vec![
                Cell::text(
                    parcours_domain::echeancier::Moment::parse(&e.echeance)
                        .map(|m| m.fr())
                        .unwrap_or_else(|| e.echeance.clone()),
                ),
                Cell::text(n.libelle()),
                Cell::text(format!(
                    "{} — {}",
                    r.map(|r| r.effet.as_str()).unwrap_or(""),
                    r.map(|r| r.source.as_str()).unwrap_or("")
                )),
                Cell::link(
                    format!(
                        "{} — {}{}",
                        TypeProcedure::parse(&e.type_)
                            .map(|t| t.court())
                            .unwrap_or(""),
                        e.personne
                            .as_deref()
                            .map(|p| format!("{p}, "))
                            .unwrap_or_default(),
                        e.dossier
                    ),
                    format!("/procedures/{}", e.procedure_id),
                ),
                Cell::text(e.referent_nom.clone().unwrap_or_default()),
                Cell::text(e.site_nom.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let titre = match ctx.principal.role {
        Role::TravailleurSocial => "Mes échéances",
        Role::Cadre => "Échéances de mes MDS",
        _ => "Échéances du département",
    };
    let (base, libelle) = match horizon {
        "retard" => ("/echeances?horizon=retard", "en retard"),
        "mois" => ("/echeances?horizon=mois", "en retard et dans les 31 jours"),
        _ => (
            "/echeances?horizon=semaine",
            "en retard et dans les 7 jours",
        ),
    };
    Ok(render(&TablePage {
        l: ctx.layout(),
        title: titre.into(),
        intro: Some(format!(
            "{} échéance{} {libelle}, la plus ancienne d'abord. Le référent est prévenu {preavis} jours avant, le cadre le jour même, la direction ensuite.",
            liste.total,
            if liste.total > 1 { "s" } else { "" }
        )),
        actions: vec![
            ("/echeances?horizon=semaine".into(), "Cette semaine".into()),
            ("/echeances?horizon=mois".into(), "Ce mois".into()),
            ("/echeances?horizon=retard".into(), "En retard".into()),
        ],
        filters: vec![],
        filter_action: "/echeances".into(),
        columns: vec![
            Column::plain("Échéance"),
            Column::plain("Niveau"),
            Column::plain("Ce que la loi attache à l'échéance"),
            Column::plain("Procédure"),
            Column::plain("Référent"),
            Column::plain("MDS"),
        ],
        rows,
        pagination: Some(Pagination::new(base, page, PER_PAGE, liste.total)),
        caption: format!("Échéances {libelle}"),
        empty: "Aucune échéance sur cette période.".into(),
    }))
}

#[derive(Template)]
#[template(path = "procedures/retards.html")]
struct RetardsPage {
    l: Layout,
    lignes: Vec<parcours_store::procedures::RetardsSecteur>,
    total_retard: i64,
    total_jour: i64,
    graphique: Vec<Barre>,
}

/// Late files by MDS and secteur, with their bar chart (server-rendered SVG).
pub async fn retards(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let lignes = parcours_usecases::procedures::retards(&state.store, &ctx.acteur()).await?;
    let total_retard = lignes.iter().map(|l| l.en_retard).sum();
    let total_jour = lignes.iter().map(|l| l.aujourdhui).sum();
    let graphique = graphique(&lignes);
    Ok(render(&RetardsPage {
        l: ctx.layout(),
        lignes,
        total_retard,
        total_jour,
        graphique,
    }))
}

/// A bar of the chart.
pub(crate) struct Barre {
    pub site: String,
    pub n: i64,
    pub y: usize,
    pub largeur: i64,
}

/// Horizontal bars of the late counts per MDS (summed over its secteurs), drawn by the template.
pub(crate) fn graphique(lignes: &[parcours_store::procedures::RetardsSecteur]) -> Vec<Barre> {
    let mut par_site: BTreeMap<String, i64> = BTreeMap::new();
    for l in lignes {
        *par_site.entry(l.site_nom.clone()).or_default() += l.en_retard;
    }
    let max = par_site.values().copied().max().unwrap_or(0).max(1);
    par_site
        .into_iter()
        .enumerate()
        .map(|(i, (site, n))| Barre {
            site,
            n,
            y: i * 28 + 5,
            largeur: (n as f64 / max as f64 * 340.0).round() as i64,
        })
        .collect()
}

/// The late counts as CSV (`;`, byte-order mark), as a French spreadsheet opens it.
pub async fn retards_csv(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    use parcours_domain::export::cellule_csv;
    let lignes = parcours_usecases::procedures::retards(&state.store, &ctx.acteur()).await?;
    let mut out = String::from("\u{feff}MDS;Secteur;En retard;Aujourd'hui\r\n");
    for l in &lignes {
        out.push_str(&format!(
            "{};{};{};{}\r\n",
            cellule_csv(&l.site_nom),
            cellule_csv(&l.secteur_nom),
            l.en_retard,
            l.aujourdhui
        ));
    }
    Ok(fichier(
        "text/csv; charset=utf-8",
        &format!(
            "echeances-en-retard-{jour}.csv",
            jour = today().format("%Y-%m-%d")
        ),
        out,
    ))
}

// ---------------------------------------------------------------------------------------------------
// Figures of the RSA procedures

/// One line of the figures, formatted for the page.
struct LigneChiffres {
    mds: String,
    ouvertes: i64,
    part_orientees: String,
    delai_orientation: String,
    orientation_dans_delai: String,
    contrats: i64,
    delai_contrat: String,
    contrat_dans_delai: String,
    par_parcours: String,
}

pub(crate) fn pct(p: Option<f64>) -> String {
    p.map(|p| format!("{:.1} %", p * 100.0).replace('.', ","))
        .unwrap_or_else(|| "—".into())
}

pub(crate) fn jours(j: Option<f64>) -> String {
    j.map(|j| format!("{j:.1} j").replace('.', ","))
        .unwrap_or_else(|| "—".into())
}

fn ligne(mds: &str, i: &parcours_domain::procedures::chiffres::IndicateursRsa) -> LigneChiffres {
    let libelle = |k: &str| match k {
        "social" => "social",
        "socio_professionnel" => "socio-professionnel",
        "professionnel" => "professionnel",
        _ => "autre",
    };
    LigneChiffres {
        mds: mds.to_string(),
        ouvertes: i.ouvertes,
        part_orientees: pct(i.part_orientees),
        delai_orientation: jours(i.delai_orientation_median),
        orientation_dans_delai: pct(i.part_orientation_dans_delai),
        contrats: i.contrats,
        delai_contrat: jours(i.delai_contrat_median),
        contrat_dans_delai: pct(i.part_contrat_dans_delai),
        par_parcours: i
            .contrats_par_parcours
            .iter()
            .map(|(k, n)| format!("{} {n}", libelle(k)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[derive(Template)]
#[template(path = "procedures/chiffres.html")]
struct ChiffresPage {
    l: Layout,
    lignes: Vec<LigneChiffres>,
    total: LigneChiffres,
    barres: Vec<Barre>,
    mois: Vec<(String, Vec<String>)>,
    barres_mois: Vec<Barre>,
    definitions: &'static [(&'static str, &'static str)],
}

/// The months as the figures print them.
pub(crate) const MOIS_COURTS: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

/// The 12 months of the figures, oldest first: (`AAAA-MM`, « janv. 2026 »).
fn douze_mois() -> Vec<(String, String)> {
    use chrono::Datelike;
    let premier = today().with_day(1).unwrap_or_else(today);
    (0..12u32)
        .rev()
        .filter_map(|k| premier.checked_sub_months(chrono::Months::new(k)))
        .map(|d| {
            (
                d.format("%Y-%m").to_string(),
                format!("{} {}", MOIS_COURTS[d.month0() as usize], d.year()),
            )
        })
        .collect()
}

/// The procedures the MDS carry; the CRIP's informations préoccupantes have their own figures
/// (`crate::crip`), read by the CRIP and the direction only.
const TYPES_MDS: [TypeProcedure; 3] = [
    TypeProcedure::Rsa,
    TypeProcedure::Masp,
    TypeProcedure::Expulsion,
];

/// For each month and procedure type: opened, and due dates met on time out of those due.
fn table_mois(
    par_mois: &[parcours_store::procedures::MoisProcedure],
) -> Vec<(String, Vec<String>)> {
    douze_mois()
        .into_iter()
        .map(|(code, nom)| {
            let mut cells = Vec::new();
            for t in TYPES_MDS {
                let m = par_mois
                    .iter()
                    .find(|m| m.mois == code && m.type_ == t.code());
                let (o, e, ok) =
                    m.map_or((0, 0, 0), |m| (m.ouvertes, m.echeances, m.dans_le_delai));
                cells.push(o.to_string());
                cells.push(if e == 0 {
                    "—".into()
                } else {
                    format!("{ok} / {e} ({})", pct(Some(ok as f64 / e as f64)))
                });
            }
            (nom, cells)
        })
        .collect()
}

pub async fn chiffres(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let ech = state.settings.echeancier();
    let c = parcours_usecases::procedures::chiffres_rsa(&state.store, &ech, &ctx.acteur()).await?;
    let max = 1.0f64;
    let barres = c
        .par_mds
        .iter()
        .enumerate()
        .map(|(k, (mds, i))| {
            let p = i.part_orientation_dans_delai.unwrap_or(0.0);
            Barre {
                site: mds.clone(),
                n: (p * 100.0).round() as i64,
                y: k * 28 + 5,
                largeur: (p / max * 340.0).round() as i64,
            }
        })
        .collect();
    let ouvertes: Vec<(String, i64)> = douze_mois()
        .into_iter()
        .map(|(code, nom)| {
            let n = c
                .par_mois
                .iter()
                .filter(|m| m.mois == code && TYPES_MDS.iter().any(|t| t.code() == m.type_))
                .map(|m| m.ouvertes)
                .sum();
            (nom, n)
        })
        .collect();
    let max = ouvertes.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let barres_mois = ouvertes
        .into_iter()
        .enumerate()
        .map(|(k, (nom, n))| Barre {
            site: nom,
            n,
            y: k * 28 + 5,
            largeur: (n as f64 / max as f64 * 340.0).round() as i64,
        })
        .collect();
    Ok(render(&ChiffresPage {
        l: ctx.layout(),
        lignes: c.par_mds.iter().map(|(m, i)| ligne(m, i)).collect(),
        total: ligne("Total", &c.total),
        barres,
        mois: table_mois(&c.par_mois),
        barres_mois,
        definitions: &parcours_domain::procedures::chiffres::DEFINITIONS,
    }))
}

const ENTETES: [&str; 9] = [
    "MDS",
    "Procédures RSA ouvertes",
    "Part orientée",
    "Délai d'orientation médian (jours)",
    "Orientation dans le délai",
    "Contrats signés",
    "Délai de contractualisation médian (jours)",
    "Contrat dans le délai",
    "Contrats par parcours",
];

async fn chiffres_export(
    state: &AppState,
    ctx: &Ctx,
    format: &str,
) -> WebResult<parcours_usecases::procedures::ChiffresRsa> {
    let ech = state.settings.echeancier();
    let c = parcours_usecases::procedures::chiffres_rsa(&state.store, &ech, &ctx.acteur()).await?;
    // Counts only, but an export leaves the application: it is traced.
    let mut tx = state.store.begin().await?;
    parcours_store::audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("export", "procedures_chiffres", format),
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

pub async fn chiffres_csv(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    use parcours_domain::export::cellule_csv;
    let c = chiffres_export(&state, &ctx, "csv").await?;
    let mut out = format!("\u{feff}{}\r\n", ENTETES.join(";"));
    for (m, i) in c
        .par_mds
        .iter()
        .chain(std::iter::once(&("Total".to_string(), c.total.clone())))
    {
        let l = ligne(m, i);
        out.push_str(&format!(
            "{};{};{};{};{};{};{};{};{}\r\n",
            cellule_csv(&l.mds),
            l.ouvertes,
            l.part_orientees,
            l.delai_orientation.trim_end_matches(" j"),
            l.orientation_dans_delai,
            l.contrats,
            l.delai_contrat.trim_end_matches(" j"),
            l.contrat_dans_delai,
            cellule_csv(&l.par_parcours)
        ));
    }
    Ok(fichier(
        "text/csv; charset=utf-8",
        &format!("chiffres-rsa-{jour}.csv", jour = today().format("%Y-%m-%d")),
        out,
    ))
}

pub async fn chiffres_xlsx(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let c = chiffres_export(&state, &ctx, "xlsx").await?;
    let body = classeur_rsa(&c).map_err(|e| WebError::Internal(e.into()))?;
    Ok(fichier(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!(
            "chiffres-rsa-{jour}.xlsx",
            jour = today().format("%Y-%m-%d")
        ),
        body,
    ))
}

fn classeur_rsa(
    c: &parcours_usecases::procedures::ChiffresRsa,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let gras = Format::new().set_bold().set_text_wrap();
    let part = Format::new().set_num_format("0.0%");
    let jours = Format::new().set_num_format("0.0");
    let ws = wb.add_worksheet();
    ws.set_name("RSA par MDS")?;
    for (k, h) in ENTETES.iter().enumerate() {
        ws.write_string_with_format(0, k as u16, *h, &gras)?;
        ws.set_column_width(k as u16, if k == 0 { 28 } else { 16 })?;
    }
    ws.set_row_height(0, 45)?;
    let total = ("Total".to_string(), c.total.clone());
    for (r, (m, i)) in c.par_mds.iter().chain(std::iter::once(&total)).enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, m)?;
        ws.write_number(r, 1, i.ouvertes as f64)?;
        for (col, v, f) in [
            (2u16, i.part_orientees, &part),
            (3, i.delai_orientation_median, &jours),
            (4, i.part_orientation_dans_delai, &part),
            (6, i.delai_contrat_median, &jours),
            (7, i.part_contrat_dans_delai, &part),
        ] {
            if let Some(v) = v {
                ws.write_number_with_format(r, col, v, f)?;
            }
        }
        ws.write_number(r, 5, i.contrats as f64)?;
        ws.write_string(r, 8, ligne(m, i).par_parcours)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("Par mois")?;
    ws.write_string_with_format(0, 0, "Mois", &gras)?;
    ws.write_string_with_format(0, 1, "Procédure", &gras)?;
    ws.write_string_with_format(0, 2, "Ouvertes", &gras)?;
    ws.write_string_with_format(0, 3, "Échéances arrivées à terme", &gras)?;
    ws.write_string_with_format(0, 4, "Tenues dans le délai", &gras)?;
    ws.write_string_with_format(0, 5, "Part dans le délai", &gras)?;
    ws.set_column_width(1, 28)?;
    let mds = c
        .par_mois
        .iter()
        .filter(|m| TYPES_MDS.iter().any(|t| t.code() == m.type_));
    for (r, m) in mds.enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, &m.mois)?;
        ws.write_string(
            r,
            1,
            TypeProcedure::parse(&m.type_).map_or(m.type_.as_str(), |t| t.court()),
        )?;
        ws.write_number(r, 2, m.ouvertes as f64)?;
        ws.write_number(r, 3, m.echeances as f64)?;
        ws.write_number(r, 4, m.dans_le_delai as f64)?;
        if m.echeances > 0 {
            ws.write_number_with_format(r, 5, m.dans_le_delai as f64 / m.echeances as f64, &part)?;
        }
    }
    feuille(
        &mut wb,
        "Définitions",
        ("Indicateur", "Définition"),
        parcours_domain::procedures::chiffres::DEFINITIONS
            .iter()
            .map(|(k, d)| (k.to_string(), Valeur::Texte(d.to_string()))),
    )?;
    wb.save_to_buffer()
}

/// The second column of a two-column sheet.
pub(crate) enum Valeur {
    Texte(String),
    Nombre(i64),
}

/// A two-column sheet of a workbook (a label and its value): the definitions of the figures, counts
/// by category.
pub(crate) fn feuille(
    wb: &mut rust_xlsxwriter::Workbook,
    nom: &str,
    entetes: (&str, &str),
    lignes: impl Iterator<Item = (String, Valeur)>,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let gras = rust_xlsxwriter::Format::new().set_bold().set_text_wrap();
    let ws = wb.add_worksheet();
    ws.set_name(nom)?;
    ws.write_string_with_format(0, 0, entetes.0, &gras)?;
    ws.write_string_with_format(0, 1, entetes.1, &gras)?;
    ws.set_column_width(0, 40)?;
    let mut large = false;
    for (r, (k, v)) in lignes.enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, k)?;
        match v {
            Valeur::Texte(t) => {
                large = true;
                ws.write_string(r, 1, t)?;
            }
            Valeur::Nombre(n) => {
                ws.write_number(r, 1, n as f64)?;
            }
        }
    }
    ws.set_column_width(1, if large { 100 } else { 16 })?;
    Ok(())
}

/// A file to download: its type, its name, its bytes.
pub(crate) fn fichier(
    content_type: &'static str,
    nom: &str,
    body: impl Into<axum::body::Body>,
) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{nom}\""),
            ),
        ],
        body.into(),
    )
        .into_response()
}
