//! The pages of financial aids in the dossier: the household budget (a new one each time, the history
//! kept), the request form for a fund, the request's page with its documents, its decision, its
//! commission, its payment orders, its recourse and the notification letter.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::aides::budget::{self, POSTES};
use parcours_domain::aides::demande::{DecisionForm, DemandeForm};
use parcours_domain::aides::{Centimes, Sens};
use parcours_domain::FieldErrors;
use parcours_store::aides::Budget;
use parcours_usecases::aides as cas;
use parcours_usecases::{Canal, Error as CasError};

use super::{date_fr, eur, today};
use crate::auth::Ctx;
use crate::error::{Form, Path, Query, WebError, WebResult};
use crate::pages::{error_summary, options, render, Field, Layout};
use crate::AppState;

fn statut(errors: &[(String, String)]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

// ---------------------------------------------------------------------------------------------
// Budget

/// Lines of the budget form.
const LIGNES: usize = 12;

pub struct LigneSaisie {
    pub i: usize,
    pub poste: String,
    pub libelle: String,
    pub montant: String,
    pub encours: String,
    pub erreur: Option<String>,
}

pub struct BudgetVue {
    pub etabli_le: String,
    pub auteur: String,
    pub lignes: Vec<(String, String, String, String)>,
    pub explication: Vec<String>,
    pub reste_a_vivre: String,
    pub rav_jour_uc: String,
}

fn budget_vue(b: &Budget) -> BudgetVue {
    BudgetVue {
        etabli_le: date_fr(&b.etabli_le),
        auteur: b.auteur.clone().unwrap_or_default(),
        lignes: b
            .lignes
            .iter()
            .map(|l| {
                (
                    l.categorie.libelle().to_string(),
                    l.libelle.clone(),
                    eur(l.mensuel),
                    l.encours.map(eur).unwrap_or_default(),
                )
            })
            .collect(),
        explication: b.calcul.explication.clone(),
        reste_a_vivre: eur(b.calcul.reste_a_vivre),
        rav_jour_uc: eur(b.calcul.reste_a_vivre_jour_uc),
    }
}

#[derive(Template)]
#[template(path = "aides/budget.html")]
struct BudgetPage {
    l: Layout,
    dossier_id: i64,
    intitule: String,
    composition: String,
    actuel: Option<BudgetVue>,
    anciens: Vec<BudgetVue>,
    lignes: Vec<LigneSaisie>,
    postes: Vec<(String, String, String)>,
    errors: Vec<(String, String)>,
}

async fn budget_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    v: Option<&BTreeMap<String, String>>,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let b = cas::budgets(&state.store, &ctx.acteur(), id, Canal::Page).await?;
    let adultes = b
        .membres
        .iter()
        .filter(|m| m.age.is_none_or(|a| a >= 14))
        .count();
    let enfants = b.membres.len() - adultes;
    let uc = budget::unites_de_consommation(&b.membres);
    let composition = format!(
        "{} personne{} de 14 ans ou plus et {} enfant{} de moins de 14 ans aujourd'hui, soit {} unité{} de consommation.",
        adultes,
        if adultes > 1 { "s" } else { "" },
        enfants,
        if enfants > 1 { "s" } else { "" },
        budget::uc_fr(uc),
        if uc >= 2000 { "s" } else { "" }
    );
    // Typed values first; otherwise the latest budget's lines, to update rather than retype.
    let dernier = b.budgets.first();
    let lignes = (0..LIGNES)
        .map(|i| match v {
            Some(v) => {
                let g = |k: &str| v.get(&format!("{k}_{i}")).cloned().unwrap_or_default();
                LigneSaisie {
                    i,
                    poste: g("poste"),
                    libelle: g("libelle"),
                    montant: g("montant"),
                    encours: g("encours"),
                    erreur: ["poste", "montant", "encours", "libelle"]
                        .iter()
                        .find_map(|k| errors.get(&format!("{k}_{i}")).map(str::to_string)),
                }
            }
            None => match dernier.and_then(|d| d.lignes.get(i)) {
                Some(l) => LigneSaisie {
                    i,
                    poste: l.poste.clone(),
                    libelle: if budget::poste(&l.poste).is_some_and(|(_, lib)| lib == l.libelle) {
                        String::new()
                    } else {
                        l.libelle.clone()
                    },
                    montant: l.mensuel.saisie(),
                    encours: l.encours.map(Centimes::saisie).unwrap_or_default(),
                    erreur: None,
                },
                None => LigneSaisie {
                    i,
                    poste: String::new(),
                    libelle: String::new(),
                    montant: String::new(),
                    encours: String::new(),
                    erreur: None,
                },
            },
        })
        .collect::<Vec<_>>();
    let mut errs: Vec<(String, String)> = errors
        .0
        .iter()
        .map(|(k, m)| {
            let n = k
                .rsplit('_')
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .map(|n| n + 1)
                .unwrap_or(1);
            (k.clone(), format!("Ligne {n} : {m}"))
        })
        .collect();
    errs.sort();
    let page = BudgetPage {
        l: ctx.layout(),
        dossier_id: id,
        intitule: b.ouvert.dossier.intitule.clone(),
        composition,
        actuel: dernier.map(budget_vue),
        anciens: b.budgets.iter().skip(1).map(budget_vue).collect(),
        lignes,
        postes: POSTES
            .iter()
            .map(|(c, code, l)| (c.libelle().to_string(), code.to_string(), l.to_string()))
            .collect(),
        errors: errs,
    };
    Ok((statut(&page.errors), render(&page)).into_response())
}

pub async fn budget(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    budget_page(&state, &ctx, id, None, &FieldErrors::new()).await
}

pub async fn budget_etablir(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let lignes = match budget::lignes_du_formulaire(&v, LIGNES) {
        Ok(l) => l,
        Err(e) => return budget_page(&state, &ctx, id, Some(&v), &e.0).await,
    };
    match cas::etablir_budget(&state.store, &ctx.acteur(), id, &lignes, Canal::Page).await {
        Ok(_) => Ok(Redirect::to(&format!("/dossiers/{id}/budget?message=budget")).into_response()),
        Err(CasError::Invalid(e)) => budget_page(&state, &ctx, id, Some(&v), &e).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// New request

#[derive(Template)]
#[template(path = "aides/nouvelle.html")]
struct NouvellePage {
    l: Layout,
    dossier_id: i64,
    intitule: String,
    choix_fonds: Vec<Field>,
    fonds: Option<FondsResume>,
    budget: Option<BudgetVue>,
    fields: Vec<Field>,
    pieces: Vec<(String, String, bool)>,
    pieces_erreur: Option<String>,
    errors: Vec<(String, String)>,
}

pub struct FondsResume {
    pub code: String,
    pub libelle: String,
    pub regles: Vec<String>,
}

pub(crate) fn regles_lisibles(r: &parcours_domain::aides::ReglesFonds) -> Vec<String> {
    let mut out = vec![
        format!("Plafond par demande : {} ; plafond par foyer et par année civile : {}.", eur(r.plafond_demande), eur(r.plafond_annuel)),
        format!(
            "Décision : le travailleur social jusqu'à {}, le cadre jusqu'à {}, la commission au-delà.",
            if r.delegation_ts.0 > 0 { eur(r.delegation_ts) } else { "— (jamais)".into() },
            if r.delegation_cadre.0 > 0 { eur(r.delegation_cadre) } else { "— (jamais)".into() }
        ),
    ];
    if let Some(m) = r.ressources_max_uc {
        out.push(format!(
            "Barème : ressources mensuelles par unité de consommation jusqu'à {}.",
            eur(m)
        ));
    }
    if let Some(m) = r.reste_a_vivre_max_jour_uc {
        out.push(format!(
            "Barème : reste à vivre par jour et par unité de consommation jusqu'à {}.",
            eur(m)
        ));
    }
    match (r.age_min, r.age_max) {
        (Some(a), Some(b)) => out.push(format!("Âge de la personne : de {a} à {b} ans.")),
        (Some(a), None) => out.push(format!("Âge de la personne : {a} ans ou plus.")),
        (None, Some(b)) => out.push(format!("Âge de la personne : {b} ans au plus.")),
        (None, None) => {}
    }
    if !r.pieces.is_empty() {
        out.push(format!(
            "Pièces : {}.",
            r.pieces
                .iter()
                .map(|p| p.libelle.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if r.carte_accueillant {
        out.push(
            "Peut être versée sur la carte de l'assistant familial qui accueille l'enfant.".into(),
        );
    }
    out.push(format!(
        "Paiement : {}.",
        r.modes
            .iter()
            .map(|m| m.libelle().to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out
}

async fn nouvelle_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fonds_code: &str,
    v: &BTreeMap<String, String>,
    pieces_cochees: &[String],
    errors: &FieldErrors,
) -> WebResult<Response> {
    let p = cas::preparer(&state.store, &ctx.acteur(), id, Canal::Page).await?;
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let choix_fonds = vec![Field::text("fonds", "Fonds sollicité", fonds_code)
        .select(options(
            "Choisir le fonds",
            p.catalogue
                .iter()
                .map(|f| (f.code.clone(), f.libelle.clone())),
        ))
        .required()
        .error_from(errors)];
    let fonds = p.catalogue.iter().find(|f| f.code == fonds_code);
    let mut fields = Vec::new();
    let mut pieces = Vec::new();
    if let Some(f) = fonds {
        fields = vec![
            Field::text("fonds", "", &f.code).kind("hidden"),
            Field::text("procedure", "", &g("procedure")).kind("hidden"),
            Field::text("besoin", "Besoin", &g("besoin"))
                .select(options("Choisir le besoin", f.regles.besoins.iter().map(|b| (b.code.clone(), b.libelle.clone()))))
                .required()
                .error_from(errors),
            Field::text("montant", "Montant demandé (en euros)", &g("montant"))
                .hint(&format!("Par exemple 150 ou 150,50. Plafond par demande : {}.", eur(f.regles.plafond_demande)))
                .required()
                .error_from(errors),
            Field::text("mode", "Mode de paiement", &g("mode"))
                .select(options("Choisir le mode", f.regles.modes.iter().map(|m| (m.code().to_string(), m.libelle().to_string()))))
                .required()
                .error_from(errors),
            Field::text("tiers", "Tiers payé (bailleur, fournisseur)", &g("tiers"))
                .hint("Pour un virement à un tiers seulement.")
                .error_from(errors),
            Field::text("iban", "IBAN du bénéficiaire du virement", &g("iban"))
                .hint("Pour un virement : recopiez l'IBAN du RIB fourni, par groupes de quatre.")
                .autocomplete("off")
                .error_from(errors),
            {
                let cartes = parcours_domain::aides::carte::pour_le_fonds(
                    &p.cartes,
                    f.regles.carte_accueillant,
                );
                let aide = if cartes.is_empty() {
                    "Pour un chargement de carte. Aucune carte active ne peut recevoir cette aide : votre cadre demande la carte de la personne au registre des cartes.".to_string()
                } else if f.regles.carte_accueillant {
                    "Pour un chargement de carte : celle de la personne, ou celle de l'assistant familial qui l'accueille.".to_string()
                } else {
                    "Pour un chargement de carte : une carte active de la personne.".to_string()
                };
                Field::text("carte", "Carte de paiement à charger", &g("carte"))
                    .select(options(
                        "Choisir la carte",
                        cartes.iter().map(|c| (c.reference.clone(), c.libelle.clone())),
                    ))
                    .hint(&aide)
                    .error_from(errors)
            },
            Field::text("motif", "Situation et besoin", &g("motif"))
                .kind("textarea")
                .hint("Quelques lignes pour la personne qui décide ; sans détail médical ni confidentiel inutile.")
                .error_from(errors),
        ];
        pieces = f
            .regles
            .pieces
            .iter()
            .map(|pc| {
                (
                    pc.code.clone(),
                    pc.libelle.clone(),
                    pieces_cochees.contains(&pc.code),
                )
            })
            .collect();
    }
    let mut errs = error_summary(&choix_fonds);
    if fonds.is_some() {
        errs.extend(error_summary(&fields));
    }
    let page = NouvellePage {
        l: ctx.layout(),
        dossier_id: id,
        intitule: p.ouvert.dossier.intitule.clone(),
        choix_fonds,
        fonds: fonds.map(|f| FondsResume {
            code: f.code.clone(),
            libelle: f.libelle.clone(),
            regles: regles_lisibles(&f.regles),
        }),
        budget: p.budget.as_ref().map(budget_vue),
        fields,
        pieces,
        pieces_erreur: errors.get("pieces").map(str::to_string),
        errors: errs,
    };
    Ok((statut(&page.errors), render(&page)).into_response())
}

#[derive(serde::Deserialize)]
pub struct FondsQuery {
    #[serde(default)]
    fonds: String,
    /// The eviction procedure the request answers, when asked from its page.
    #[serde(default)]
    procedure: String,
}

pub async fn nouvelle(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<FondsQuery>,
) -> WebResult<Response> {
    let mut v = BTreeMap::new();
    if q.procedure.parse::<i64>().is_ok() {
        v.insert("procedure".to_string(), q.procedure.clone());
    }
    nouvelle_page(&state, &ctx, id, &q.fonds, &v, &[], &FieldErrors::new()).await
}

pub async fn demander(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let pieces: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "pieces")
        .map(|(_, v)| v.clone())
        .collect();
    let v: BTreeMap<String, String> = pairs.into_iter().filter(|(k, _)| k != "pieces").collect();
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let f = DemandeForm {
        fonds: g("fonds"),
        besoin: g("besoin"),
        montant: g("montant"),
        mode: g("mode"),
        tiers: g("tiers"),
        iban: g("iban"),
        carte: g("carte"),
        motif: g("motif"),
        pieces: pieces.clone(),
    };
    let procedure = g("procedure").parse::<i64>().ok();
    match cas::demander(&state.store, &ctx.acteur(), id, &f, procedure, Canal::Page).await {
        Ok(d) => {
            Ok(Redirect::to(&format!("/aides/demandes/{d}?message=aide_demandee")).into_response())
        }
        Err(CasError::Invalid(e)) => {
            nouvelle_page(&state, &ctx, id, &f.fonds, &v, &pieces, &e).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The request

#[derive(Template)]
#[template(path = "aides/demande.html")]
struct DemandePage {
    l: Layout,
    v: cas::Vue,
    resume: Vec<(String, String)>,
    regles: Vec<String>,
    budget: Option<BudgetVue>,
    eligibilite: String,
    eligible: bool,
    pieces: Vec<(String, String, bool)>,
    peut_decider: bool,
    niveau_requis: String,
    decision_fields: Vec<Field>,
    commission_fields: Vec<Field>,
    recours_fields: Vec<Field>,
    /// The outcome form, shown to a cadre of the MDS while a recourse waits for it.
    issue_fields: Vec<Field>,
    peut_juger: bool,
    ordres: Vec<(String, String, String, String, String)>,
    decision: Vec<(String, String)>,
    errors: Vec<(String, String)>,
}

async fn demande_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: &'static str,
    v: &BTreeMap<String, String>,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let vue = cas::lire(&state.store, &ctx.acteur(), id, Canal::Page).await?;
    let d = &vue.demande;
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let besoin = vue
        .regles
        .besoin(&d.besoin)
        .map(|b| b.libelle.clone())
        .unwrap_or_else(|| d.besoin.clone());
    let mut resume = vec![
        ("Fonds".to_string(), d.fonds.clone()),
        ("Besoin".into(), besoin),
        ("Montant demandé".into(), eur(d.montant_demande)),
        (
            "Paiement".into(),
            format!("{} — {}", d.mode.libelle(), d.beneficiaire),
        ),
        (
            "Demandée le".into(),
            format!(
                "{} par {}, {}",
                date_fr(&d.demandee_le),
                d.instructeur.clone().unwrap_or_default(),
                d.site
            ),
        ),
        ("État".into(), d.statut.libelle().to_string()),
        (
            "Décidée par".into(),
            format!("{} selon son montant", d.niveau.libelle()),
        ),
        (
            "Déjà accordé au foyer cette année par ce fonds".into(),
            format!(
                "{} sur un plafond de {}",
                eur(vue.accorde_annee),
                eur(vue.regles.plafond_annuel)
            ),
        ),
        (
            "Enveloppe de la MDS (reste)".into(),
            vue.reste_enveloppe
                .map(eur)
                .unwrap_or_else(|| "aucune enveloppe ouverte cette année".into()),
        ),
    ];
    if let Some(i) = &d.iban {
        resume.push(("IBAN".into(), i.clone()));
    }
    if let Some(c) = &d.carte {
        resume.push(("Carte".into(), c.clone()));
    }
    if let Some(p) = d.procedure_id {
        resume.push((
            "En réponse à".into(),
            format!("la procédure de prévention des expulsions n° {p}"),
        ));
    }
    if !d.motif.is_empty() {
        resume.push(("Situation et besoin".into(), d.motif.clone()));
    }
    let (eligibilite, eligible) = match &vue.eligibilite {
        Ok(None) => (
            "Ce fonds n'a pas de barème de ressources.".to_string(),
            true,
        ),
        Ok(Some(m)) => (m.clone(), true),
        Err(m) => (m.clone(), false),
    };
    let en_cours = d.statut.en_cours();
    // The form shows to who holds the delegation for the amount asked; a commission's request is
    // decided on the commission's page.
    let peut_decider = en_cours && vue.niveau_agent.is_some_and(|n| n >= d.niveau);
    let decision_fields = vec![
        Field::text("sens", "Décision", &g("sens"))
            .select(options("Choisir la décision", Sens::ALL.iter().map(|s| (s.code().to_string(), s.libelle().to_string()))))
            .required()
            .error_from(errors),
        Field::text("montant", "Montant accordé (en euros)", &g("montant"))
            .hint("Pour un accord partiel ; vide pour un accord du montant demandé.")
            .error_from(errors),
        Field::text("motivation", "Motivation", &g("motivation"))
            .kind("textarea")
            .hint("Obligatoire pour un refus : les raisons de droit et de fait, reprises dans la notification.")
            .error_from(errors),
        Field::text("depassement", "Motif du dépassement de l'enveloppe", &g("depassement"))
            .kind("textarea")
            .hint("Seulement si l'enveloppe ne suffit pas : le dépassement est enregistré et affiché avec la décision.")
            .error_from(errors),
    ];
    let commission_fields = vec![
        Field::text("commission_id", "Commission", &g("commission_id"))
            .select(options(
                "Choisir la commission",
                vue.commissions.iter().map(|c| {
                    (
                        c.id.to_string(),
                        format!("{} — {}", date_fr(&c.date), c.intitule),
                    )
                }),
            ))
            .required()
            .error_from(errors),
    ];
    let recours_fields =
        vec![
            Field::text("recours_motif", "Objet du recours", &g("recours_motif"))
                .kind("textarea")
                .hint("Recours gracieux ou contentieux : sa date d'arrivée et ce qu'il conteste.")
                .required()
                .error_from(errors),
        ];
    let issue_fields = vec![
        Field::text("issue", "Issue du recours", &g("issue"))
            .select(options(
                "Choisir l'issue",
                [
                    ("maintenue", "Décision maintenue"),
                    ("reformee", "Décision réformée : accord d'un montant plus élevé"),
                ]
                .iter()
                .map(|(c, l)| (c.to_string(), l.to_string())),
            ))
            .required()
            .error_from(errors),
        Field::text("montant", "Montant désormais accordé (en euros)", &g("montant"))
            .hint("Pour une réformation : le total accordé, au plus le montant demandé ; le complément est payé par un nouvel ordre.")
            .error_from(errors),
        Field::text("motivation", "Motivation de la décision sur le recours", &g("motivation"))
            .kind("textarea")
            .required()
            .error_from(errors),
        Field::text("depassement", "Motif du dépassement de l'enveloppe", &g("depassement"))
            .kind("textarea")
            .hint("Seulement si l'enveloppe ne suffit pas au complément.")
            .error_from(errors),
    ];
    let peut_juger = d.recours_le.is_some()
        && d.recours_issue.is_none()
        && vue
            .niveau_agent
            .is_some_and(|n| n >= parcours_domain::aides::Niveau::Cadre);
    let mut decision = Vec::new();
    if let (Some(s), Some(m)) = (d.sens_initial, &d.montant_initial) {
        decision.push((
            "Décision initiale".into(),
            format!("{} ({})", s.libelle(), eur(*m)),
        ));
    } else if let Some(s) = d.sens_initial {
        decision.push(("Décision initiale".into(), s.libelle().to_string()));
    }
    if let Some(s) = d.sens {
        decision.push(("Décision".into(), s.libelle().to_string()));
        if let Some(m) = d.montant_accorde {
            decision.push(("Montant accordé".into(), eur(m)));
        }
        decision.push((
            "Décidée le".into(),
            format!(
                "{} par {}{}",
                d.decide_le.as_deref().map(date_fr).unwrap_or_default(),
                d.decideur.clone().unwrap_or_default(),
                if d.decide_en_commission {
                    " (commission)"
                } else {
                    ""
                }
            ),
        ));
        if let Some(m) = d.motivation.as_ref().filter(|m| !m.is_empty()) {
            decision.push(("Motivation".into(), m.clone()));
        }
        if let Some(x) = &d.depassement {
            decision.push(("Dépassement de l'enveloppe".into(), x.clone()));
        }
        if let Some(r) = &d.recours_le {
            decision.push((
                "Recours".into(),
                format!(
                    "{} — {}",
                    date_fr(r),
                    d.recours_motif.clone().unwrap_or_default()
                ),
            ));
            decision.push((
                "Issue du recours".into(),
                match d.recours_issue.as_deref() {
                    Some(i) => format!(
                        "{} le {} par {} : {}",
                        if i == "reformee" {
                            "Décision réformée"
                        } else {
                            "Décision maintenue"
                        },
                        d.recours_decide_le
                            .as_deref()
                            .map(date_fr)
                            .unwrap_or_default(),
                        d.recours_decideur.clone().unwrap_or_default(),
                        d.recours_motivation.clone().unwrap_or_default()
                    ),
                    None => "en attente de la décision d'un cadre".into(),
                },
            ));
        }
    }
    let ordres = vue
        .ordres
        .iter()
        .map(|o| {
            (
                o.cle.clone(),
                eur(o.montant),
                o.statut.libelle().to_string(),
                o.anomalies
                    .iter()
                    .map(|r| r.libelle())
                    .collect::<Vec<_>>()
                    .join(" ; "),
                o.paye_le
                    .as_deref()
                    .map(date_fr)
                    .or_else(|| o.derniere_erreur.clone())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let pieces = vue
        .regles
        .pieces
        .iter()
        .map(|p| {
            (
                p.code.clone(),
                p.libelle.clone(),
                d.pieces.contains(&p.code),
            )
        })
        .collect();
    let mut errs = match form {
        "decision" => error_summary(&decision_fields),
        "commission" => error_summary(&commission_fields),
        "recours" => error_summary(&recours_fields),
        "issue" => error_summary(&issue_fields),
        _ => vec![],
    };
    if let Some(m) = errors.get("pieces") {
        errs.push(("pieces".into(), format!("Pièces : {m}")));
    }
    let page = DemandePage {
        l: ctx.layout(),
        regles: super::pages::regles_lisibles(&vue.regles),
        budget: vue.budget.as_ref().map(budget_vue),
        eligibilite,
        eligible,
        pieces,
        peut_decider,
        niveau_requis: d.niveau.libelle().to_string(),
        decision_fields,
        commission_fields,
        recours_fields,
        issue_fields,
        peut_juger,
        ordres,
        decision,
        errors: errs,
        resume,
        v: vue,
    };
    Ok((statut(&page.errors), render(&page)).into_response())
}

pub async fn demande(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    demande_page(&state, &ctx, id, "", &BTreeMap::new(), &FieldErrors::new()).await
}

pub async fn pieces(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let pieces: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "pieces")
        .map(|(_, v)| v.clone())
        .collect();
    match cas::completer_pieces(&state.store, &ctx.acteur(), id, &pieces, Canal::Page).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/aides/demandes/{id}?message=modifie#pieces")).into_response(),
        ),
        Err(CasError::Invalid(e)) => {
            demande_page(&state, &ctx, id, "pieces", &BTreeMap::new(), &e).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn decision(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let f = DecisionForm {
        sens: g("sens"),
        montant: g("montant"),
        motivation: g("motivation"),
        depassement: g("depassement"),
    };
    match cas::decider(&state.store, &ctx.acteur(), id, &f, Canal::Page).await {
        Ok(()) => {
            let m = if Sens::parse(&f.sens).is_some_and(Sens::accorde) {
                "aide_accordee"
            } else {
                "aide_decidee"
            };
            Ok(Redirect::to(&format!("/aides/demandes/{id}?message={m}")).into_response())
        }
        Err(CasError::Invalid(e)) => demande_page(&state, &ctx, id, "decision", &v, &e).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn inscription(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let c = v.get("commission_id").and_then(|s| s.parse::<i64>().ok());
    let r = match c {
        None if !v.contains_key("retirer") => Err(CasError::Invalid(
            parcours_domain::Invalid::field("commission_id", "Choisissez la commission.").0,
        )),
        c => cas::inscrire(&state.store, &ctx.acteur(), id, c, Canal::Page).await,
    };
    match r {
        Ok(()) => {
            Ok(Redirect::to(&format!("/aides/demandes/{id}?message=modifie")).into_response())
        }
        Err(CasError::Invalid(e)) => demande_page(&state, &ctx, id, "commission", &v, &e).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn recours(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let motif = v.get("recours_motif").cloned().unwrap_or_default();
    match cas::recours(&state.store, &ctx.acteur(), id, &motif, Canal::Page).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/aides/demandes/{id}?message=modifie")).into_response())
        }
        Err(CasError::Invalid(e)) => demande_page(&state, &ctx, id, "recours", &v, &e).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn recours_issue(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let f = parcours_domain::aides::demande::IssueRecoursForm {
        issue: g("issue"),
        montant: g("montant"),
        motivation: g("motivation"),
        depassement: g("depassement"),
    };
    match cas::juger_recours(&state.store, &ctx.acteur(), id, &f, Canal::Page).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/aides/demandes/{id}?message=recours_juge#decision"
        ))
        .into_response()),
        Err(CasError::Invalid(e)) => demande_page(&state, &ctx, id, "issue", &v, &e).await,
        Err(e) => Err(e.into()),
    }
}

/// The notification of the decision as a PDF, from the département's template (Typst).
pub async fn notification(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let vue = cas::lire(&state.store, &ctx.acteur(), id, Canal::Page).await?;
    let d = &vue.demande;
    let Some(sens) = d.sens else {
        return Err(WebError::BadRequest(
            "la demande n'est pas encore décidée : il n'y a rien à notifier".into(),
        ));
    };
    let (modele, _) = modele_en_vigueur(&state, ctx.dep()).await?;
    // The MDS's address as the référentiel holds it, one line per comma.
    let mds_adresse: Vec<String> = {
        let mut conn = state.store.read().await?;
        parcours_store::referentiel::site_get(&mut conn, ctx.dep(), d.site_id)
            .await?
            .adresse
            .split(',')
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    };
    // The person's address of today: lines, then postcode and commune.
    let adresse: Vec<String> = match d.personne_id {
        Some(pid) => {
            let mut conn = state.store.read().await?;
            match parcours_store::personnes::adresse_at(&mut conn, ctx.dep(), pid, today()).await? {
                Some(a) => {
                    let commune = parcours_store::referentiel::commune_get(
                        &mut conn,
                        ctx.dep(),
                        &a.commune_insee,
                    )
                    .await
                    .map(|c| c.nom)
                    .unwrap_or_default();
                    let mut l = a.lignes.clone();
                    l.push(format!("{} {commune}", a.code_postal).trim().to_string());
                    l
                }
                None => vec![],
            }
        }
        None => vec![],
    };
    let donnees = serde_json::json!({
        "departement": {
            "nom": state.settings.departement_nom,
            "service": "Direction de la solidarité",
            "adresse": [],
        },
        "mds": { "nom": d.site, "adresse": mds_adresse, "telephone": "" },
        "destinataire": { "nom": d.personne.clone().unwrap_or_else(|| d.beneficiaire.clone()), "adresse": adresse },
        "date": super::date_longue(today()),
        "date_iso": today().format("%Y-%m-%d").to_string(),
        "reference": format!("Demande n° {}", d.id),
        "aide": { "fonds": d.fonds },
        "decision": {
            "sens": sens.code(),
            "montant": d.montant_accorde.map(eur).unwrap_or_default(),
            "beneficiaire_paiement": d.beneficiaire,
            "mode_paiement": d.mode.libelle(),
            "motivation": d.motivation.clone().unwrap_or_default(),
            "pieces_manquantes": vue.pieces_manquantes,
        },
        "recours": { "tribunal": state.settings.tribunal_administratif },
        "signataire": { "nom": d.decideur.clone().unwrap_or_default(), "qualite": if d.decide_en_commission { "Pour la commission d'attribution" } else { "Pour le Président du Conseil départemental, par délégation" } },
    });
    let logo = logo_en_vigueur(&state, ctx.dep()).await?;
    let pdf = tokio::task::spawn_blocking(move || {
        parcours_courrier::rendre_avec_logo(&modele, &donnees, logo.as_ref())
    })
    .await
    .map_err(|e| WebError::Internal(e.into()))?
    .map_err(|e| WebError::Internal(anyhow::anyhow!("notification : {e}")))?;
    Ok(crate::procedures::pages::fichier(
        "application/pdf",
        &format!("notification-aide-{id}.pdf"),
        pdf,
    ))
}

/// The département's logo in force for its letters, if any.
pub(crate) async fn logo_en_vigueur(
    state: &AppState,
    dep: &str,
) -> WebResult<Option<parcours_courrier::Image>> {
    let mut conn = state.store.read().await?;
    Ok(parcours_store::aides::logo(&mut conn, dep)
        .await?
        .and_then(|(f, octets)| {
            Some(parcours_courrier::Image {
                format: parcours_courrier::FormatImage::parse(&f)?,
                octets,
            })
        }))
}

/// Where the notification template in force comes from.
pub(crate) enum OrigineModele {
    /// A version recorded in Parcours by the département.
    Version(parcours_store::aides::Modele),
    /// The file of `PARCOURS_MODELE_NOTIFICATION_AIDE`.
    Fichier(String),
    /// The template shipped with Parcours.
    Fourni,
}

/// The notification template in force: the département's latest version, else the file of the
/// setting, else the template shipped with Parcours.
pub(crate) async fn modele_en_vigueur(
    state: &AppState,
    dep: &str,
) -> WebResult<(String, OrigineModele)> {
    let mut conn = state.store.read().await?;
    if let Some(m) = parcours_store::aides::modeles(&mut conn, dep, cas::MODELE_NOTIFICATION)
        .await?
        .into_iter()
        .next()
    {
        return Ok((m.source.clone(), OrigineModele::Version(m)));
    }
    match &state.settings.modele_notification_aide {
        Some(chemin) => Ok((
            std::fs::read_to_string(chemin).map_err(|e| {
                WebError::Internal(anyhow::anyhow!(
                    "modèle de notification illisible ({chemin}) : {e}"
                ))
            })?,
            OrigineModele::Fichier(chemin.clone()),
        )),
        None => Ok((
            parcours_courrier::MODELE_NOTIFICATION_AIDE.to_string(),
            OrigineModele::Fourni,
        )),
    }
}
