//! Dossiers in the browser: opening one, its timeline (écrits and documents the agent may read under
//! the secret partagé, with how many are withheld), writing and correcting écrits. Every read is
//! audited with its purpose.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::dossiers::secret::{peut_lire, PieceAcces, Portee};
use parcours_domain::dossiers::{
    BaseLegale, CorrectionForm, Document, Dossier, Ecrit, EcritForm, EcritKind, EcritVersion,
    Objectif, Referent, StatutPlan, Titulaire, TypeDocument, Visibilite,
};
use parcours_domain::habilitations::policy::{allows, Action};
use parcours_domain::FieldErrors;
use parcours_store::{agents, audit, dossiers as store, personnes, referentiel};
use serde::Deserialize;

use super::{fr, ouvrir, today};
use crate::auth::Ctx;
use crate::error::{Form, Path, WebError, WebResult};
use crate::pages::{render, Field, Layout};
use crate::personnes::scope_of;
use crate::AppState;
use parcours_usecases::Canal;

/// Opening a dossier for one's own service.
#[derive(Debug, Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    pub intitule: String,
}

pub async fn open(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(personne_id): Path<i64>,
    Form(f): Form<OpenForm>,
) -> WebResult<Response> {
    let intitule = match f.intitule.trim() {
        "" => "Accompagnement".to_string(),
        t if t.chars().count() > 200 => {
            return Err(WebError::BadRequest(
                "l'intitulé ne doit pas dépasser 200 caractères".into(),
            ))
        }
        t => t.to_string(),
    };
    let Some(service) = ctx.principal.service_id else {
        return Err(WebError::Forbidden);
    };
    let me = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let mut tx = state.store.begin().await?;
    personnes::get(&mut tx, ctx.dep(), personne_id).await?;
    if scope_of(&mut tx, &ctx, personne_id).await?.portee != Portee::Complete {
        return Err(WebError::Forbidden);
    }
    let id = store::create(
        &mut tx,
        ctx.dep(),
        Titulaire::Personne(personne_id),
        &intitule,
        today(),
        service,
        Some(me),
        me,
    )
    .await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "dossier", id)
            .purpose("ouverture d'un accompagnement")
            .details(serde_json::json!({ "personne": personne_id, "service": service })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/dossiers/{id}?message=cree")).into_response())
}

// ---------------------------------------------------------------------------------------------------
// The timeline

/// One item of the timeline.
pub struct Evenement {
    pub date: String,
    pub ecrit: Option<Ecrit>,
    pub document: Option<Document>,
    pub partage: String,
    pub peut_corriger: bool,
}

#[derive(Template)]
#[template(path = "dossiers/dossier.html")]
pub struct DossierPage {
    pub l: Layout,
    pub d: Dossier,
    pub titulaire_href: String,
    pub titulaire_nom: String,
    pub services: Vec<String>,
    pub referents: Vec<Referent>,
    pub evenements: Vec<Evenement>,
    pub masques: usize,
    pub plan: Vec<Objectif>,
    /// The dossier's procedures: id, label, state.
    pub procedures: Vec<(i64, String, String)>,
    /// The dossier's requests for a financial aid: id, label, state.
    pub aides: Vec<(i64, String, String)>,
    pub peut_aides: bool,
    pub can_write: bool,
    pub acces_motive: bool,
    pub ecrit_fields: Vec<Field>,
    pub doc_fields: Vec<Field>,
    pub plan_fields: Vec<Field>,
    pub referent_fields: Vec<Field>,
    /// The reopening form of a closed dossier, for who may write in it.
    pub reouverture_fields: Option<Vec<Field>>,
    /// The closings of the dossier, latest first.
    pub clotures: Vec<parcours_domain::dossiers::Cloture>,
    pub errors: Vec<(String, String)>,
    pub statuts: Vec<(String, String)>,
    pub taille_max: String,
    /// The printed page's header: when, and by whom.
    pub imprime_le: String,
    pub imprime_par: String,
}

impl DossierPage {
    pub fn fr(&self, iso: &str) -> String {
        fr(iso)
    }
}

impl EcritPage {
    pub fn fr(&self, iso: &str) -> String {
        fr(iso)
    }
}

fn partage_libelle(v: Visibilite, base: Option<BaseLegale>, dest: &[String]) -> String {
    let mut s = match v {
        Visibilite::Dossier => "Équipes du dossier".to_string(),
        Visibilite::Service => "Équipe de l'auteur".to_string(),
        Visibilite::Agents => format!("Agents désignés : {}", dest.join(", ")),
        Visibilite::Auteur => "Auteur seul".to_string(),
    };
    if let Some(b) = base {
        s.push_str(&format!(" — {}", b.code()));
    }
    s
}

fn visibilite_options() -> Vec<(String, String)> {
    Visibilite::ALL
        .iter()
        .map(|v| (v.code().to_string(), v.libelle().to_string()))
        .collect()
}

fn base_options() -> Vec<(String, String)> {
    std::iter::once((
        String::new(),
        "Aucune (pas de partage hors de mon service)".to_string(),
    ))
    .chain(
        BaseLegale::ALL
            .iter()
            .map(|b| (b.code().to_string(), b.libelle().to_string())),
    )
    .collect()
}

/// What the forms of the dossier page hold after a refused submission.
#[derive(Default)]
pub struct Saisie {
    pub form: &'static str,
    pub values: BTreeMap<String, String>,
    pub errors: FieldErrors,
}

impl Saisie {
    /// The values typed in the form `form`, if that is the one that was sent.
    fn de(&self, form: &str) -> BTreeMap<String, String> {
        if self.form == form {
            self.values.clone()
        } else {
            BTreeMap::new()
        }
    }
}

fn ecrit_fields(s: &Saisie, destinataires: crate::choix::Liste) -> Vec<Field> {
    let empty = FieldErrors::new();
    let (v, e) = if s.form == "ecrit" {
        (&s.values, &s.errors)
    } else {
        (&BTreeMap::new(), &empty)
    };
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    vec![
        Field::text("kind", "Type", &g("kind"))
            .select(
                EcritKind::ALL
                    .iter()
                    .map(|k| (k.code().to_string(), k.libelle().to_string()))
                    .collect(),
            )
            .error_from(e),
        Field::text(
            "date",
            "Date",
            &if v.contains_key("date") {
                g("date")
            } else {
                today().format("%d/%m/%Y").to_string()
            },
        )
        .required()
        .hint("JJ/MM/AAAA")
        .error_from(e),
        Field::text("texte", "Texte", &g("texte"))
            .kind("textarea")
            .required()
            .error_from(e),
        Field::text(
            "visibilite",
            "Qui pourra le lire",
            &if v.contains_key("visibilite") {
                g("visibilite")
            } else {
                "service".into()
            },
        )
        .select(visibilite_options())
        .error_from(e),
        Field::text("base_legale", "Base légale du partage", &g("base_legale"))
            .select(base_options())
            .hint("Obligatoire dès que l'écrit sort de votre service : L121-6-2 (action sociale) ou L226-2-2 (protection de l'enfance). Ne partagez que le strict nécessaire.")
            .error_from(e),
        Field::text("destinataires", "Agents désignés", "")
            .choix(destinataires)
            .hint("Seulement pour « Des agents désignés » : recherchez chaque agent par son nom et cochez-le.")
            .error_from(e),
    ]
}

fn doc_fields(s: &Saisie) -> Vec<Field> {
    let empty = FieldErrors::new();
    let (v, e) = if s.form == "document" {
        (&s.values, &s.errors)
    } else {
        (&BTreeMap::new(), &empty)
    };
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let mut fichier = Field::text("fichier", "Fichier", "")
        .kind("file")
        .required()
        .hint("PDF, JPEG, PNG, OpenDocument ou Word.")
        .error_from(e);
    fichier.accept = Some(".pdf,.jpg,.jpeg,.png,.odt,.docx");
    vec![
        Field::text("type_document", "Type de document", &g("type_document"))
            .select(
                TypeDocument::ALL
                    .iter()
                    .map(|k| (k.code().to_string(), k.libelle().to_string()))
                    .collect(),
            )
            .error_from(e),
        fichier,
        Field::text(
            "doc_visibilite",
            "Qui pourra le lire",
            &if v.contains_key("doc_visibilite") {
                g("doc_visibilite")
            } else {
                "service".into()
            },
        )
        .select(
            visibilite_options()
                .into_iter()
                .filter(|(c, _)| c != "agents")
                .collect(),
        )
        .error_from(e),
        Field::text(
            "doc_base_legale",
            "Base légale du partage",
            &g("doc_base_legale"),
        )
        .select(base_options())
        .error_from(e),
    ]
}

fn plan_fields(s: &Saisie, objectifs: &[Objectif]) -> Vec<Field> {
    let empty = FieldErrors::new();
    let (v, e) = if s.form == "plan" {
        (&s.values, &s.errors)
    } else {
        (&BTreeMap::new(), &empty)
    };
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    vec![
        Field::text("objectif_id", "Rattacher à", &g("objectif_id"))
            .select(
                std::iter::once((String::new(), "Nouvel objectif".to_string()))
                    .chain(objectifs.iter().map(|o| {
                        (
                            o.item.id.to_string(),
                            format!("Action de l'objectif « {} »", o.item.libelle),
                        )
                    }))
                    .collect(),
            )
            .error_from(e),
        Field::text("libelle", "Libellé", &g("libelle"))
            .required()
            .error_from(e),
        Field::text("echeance", "Échéance", &g("echeance"))
            .hint("JJ/MM/AAAA, facultative.")
            .error_from(e),
    ]
}

fn referent_fields(
    s: &Saisie,
    services: &[(String, String)],
    agent: crate::choix::Liste,
) -> Vec<Field> {
    let empty = FieldErrors::new();
    let (v, e) = if s.form == "referent" {
        (&s.values, &s.errors)
    } else {
        (&BTreeMap::new(), &empty)
    };
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    vec![
        Field::text("service_id", "Service", &g("service_id"))
            .select(crate::pages::options(
                "Choisir le service",
                services.to_vec(),
            ))
            .required()
            .error_from(e),
        Field::text("referent_agent", "Agent référent", "")
            .choix(agent)
            .required()
            .hint(
                "Un agent du service choisi : la recherche se limite à ce service une fois choisi.",
            )
            .error_from(e),
    ]
}

pub(super) async fn dossier_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    saisie: Saisie,
) -> WebResult<Response> {
    let journal =
        parcours_usecases::dossiers::lire_journal(&state.store, &ctx.acteur(), id, Canal::Page)
            .await?;
    let o = journal.ouvert;
    let masques = journal.masques;
    let mut tx = state.store.read().await?;
    let dep = ctx.dep();
    let services_all = referentiel::services(&mut tx, dep).await?;
    let referents = store::referents(&mut tx, dep, id).await?;
    let equipes_noms = parcours_store::rgpd::equipes_noms(&mut tx, dep).await?;
    let mut evenements = Vec::new();
    let me = ctx.principal.agent_id;
    for e in journal.ecrits {
        let mut dest = Vec::new();
        for a in &e.destinataires {
            if let Ok(agent) = agents::get(&mut tx, dep, *a).await {
                dest.push(format!("{} {}", agent.prenom, agent.nom));
            }
        }
        evenements.push(Evenement {
            date: e.courant.date.clone(),
            partage: partage_libelle(e.visibilite, e.base_legale, &dest),
            peut_corriger: Some(e.auteur_id) == me && !o.dossier.est_clos(),
            ecrit: Some(e),
            document: None,
        });
    }
    for d in journal.documents {
        evenements.push(Evenement {
            // The journal sorts by the département's date, as the écrits' dates are.
            date: super::jour(&d.created_at)
                .map(|j| j.to_string())
                .unwrap_or_default(),
            partage: partage_libelle(d.visibilite, d.base_legale, &[]),
            peut_corriger: false,
            ecrit: None,
            document: Some(d),
        });
    }
    evenements.sort_by(|a, b| b.date.cmp(&a.date));
    let plan = store::plan(&mut tx, dep, id).await?;
    let clotures = store::clotures(&mut tx, dep, id).await?;
    let procedures = parcours_usecases::procedures::visibles(&mut tx, &ctx.acteur(), id)
        .await?
        .into_iter()
        .map(|p| {
            let etat = match &p.close_le {
                Some(c) => format!("close le {}", super::fr(c)),
                None => format!("ouverte le {}", super::fr(&p.ouverte_le)),
            };
            (p.id, p.type_.court().to_string(), etat)
        })
        .collect();
    let aides = parcours_usecases::aides::du_dossier(&mut tx, &ctx.acteur(), id)
        .await?
        .into_iter()
        .map(|a| {
            (
                a.id,
                format!(
                    "{} — {} — {}",
                    super::fr(&a.demandee_le),
                    a.fonds,
                    a.montant_demande.fr()
                ),
                a.statut.libelle().to_string(),
            )
        })
        .collect();
    let peut_aides = parcours_domain::habilitations::policy::allows(
        &ctx.principal,
        parcours_domain::habilitations::policy::Action::AidesInstruire,
    );
    let (titulaire_href, titulaire_nom) = match o.dossier.titulaire {
        Titulaire::Personne(p) => (
            format!("/personnes/{p}"),
            personnes::get(&mut tx, dep, p).await?.nom_complet(),
        ),
        Titulaire::Foyer(f) => (
            format!("/foyers/{f}"),
            personnes::foyer_nom(&mut tx, dep, f).await?,
        ),
    };
    drop(tx);
    let can_write = allows(&ctx.principal, Action::DossiersEcrire) && !o.dossier.est_clos();
    let service_opts: Vec<(String, String)> = services_all
        .iter()
        .map(|s| (s.id.to_string(), s.nom.clone()))
        .collect();
    let ecrit_v = saisie.de("ecrit");
    let referent_v = saisie.de("referent");
    let destinataires =
        crate::choix::agents(state, ctx, &ecrit_v, "destinataires", None, true).await?;
    let referent_service = referent_v
        .get("service_id")
        .and_then(|s| s.parse::<i64>().ok());
    let referent_agent = crate::choix::agents(
        state,
        ctx,
        &referent_v,
        "referent_agent",
        referent_service,
        false,
    )
    .await?;
    let (ecrit_f, doc_f, plan_f, referent_f) = (
        ecrit_fields(&saisie, destinataires),
        doc_fields(&saisie),
        plan_fields(&saisie, &plan),
        referent_fields(&saisie, &service_opts, referent_agent),
    );
    let reouverture_f =
        (allows(&ctx.principal, Action::DossiersEcrire) && o.dossier.est_clos() && !o.acces_motive)
            .then(|| {
                let v = saisie.de("reouverture");
                let empty = FieldErrors::new();
                let e = if saisie.form == "reouverture" {
                    &saisie.errors
                } else {
                    &empty
                };
                vec![Field::text(
                    "motif_reouverture",
                    "Motif de la réouverture",
                    v.get("motif_reouverture").map(String::as_str).unwrap_or(""),
                )
                .kind("textarea")
                .required()
                .hint("Par exemple : nouvelle demande de la personne, clôture faite par erreur.")
                .error_from(e)]
            });
    // Only one form was sent, so only one of them can hold errors.
    let errors: Vec<(String, String)> = [&ecrit_f, &doc_f, &plan_f, &referent_f]
        .into_iter()
        .chain(reouverture_f.as_ref())
        .flat_map(|f| crate::pages::error_summary(f))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DossierPage {
        l: ctx.layout(),
        services: o
            .acces
            .equipes
            .iter()
            .map(|e| equipes_noms.nom(Some(e.service_id), e.site_id))
            .collect(),
        ecrit_fields: ecrit_f,
        doc_fields: doc_f,
        plan_fields: plan_f,
        referent_fields: referent_f,
        reouverture_fields: reouverture_f,
        clotures,
        d: o.dossier,
        titulaire_href,
        titulaire_nom,
        referents,
        evenements,
        masques,
        plan,
        procedures,
        aides,
        peut_aides,
        can_write,
        acces_motive: o.acces_motive,
        errors,
        statuts: StatutPlan::ALL
            .iter()
            .map(|s| (s.code().to_string(), s.libelle().to_string()))
            .collect(),
        imprime_le: parcours_domain::agenda::heure::date_heure(
            parcours_store::clock().maintenant(),
        ),
        imprime_par: ctx.principal.display_name.clone(),
        taille_max: format!(
            "{:.0} Mo",
            state.settings.document_taille_max as f64 / 1_048_576.0
        ),
    };
    Ok((status, render(&page)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    dossier_page(&state, &ctx, id, Saisie::default()).await
}

// ---------------------------------------------------------------------------------------------------
// Écrits

pub async fn ecrit_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let v = crate::choix::valeurs(pairs);
    if crate::choix::recherche_demandee(&v) {
        return dossier_page(
            &state,
            &ctx,
            id,
            Saisie {
                form: "ecrit",
                values: v,
                errors: FieldErrors::new(),
            },
        )
        .await;
    }
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let form = EcritForm {
        kind: g("kind"),
        date: g("date"),
        texte: g("texte"),
        visibilite: g("visibilite"),
        base_legale: g("base_legale"),
        destinataires: g("destinataires"),
    };
    match parcours_usecases::dossiers::ecrire(&state.store, &ctx.acteur(), id, &form, Canal::Page)
        .await
    {
        Ok(_) => {}
        Err(parcours_usecases::Error::Invalid(errors)) => {
            return dossier_page(
                &state,
                &ctx,
                id,
                Saisie {
                    form: "ecrit",
                    values: v,
                    errors,
                },
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/dossiers/{id}?message=cree#journal")).into_response())
}

#[derive(Template)]
#[template(path = "dossiers/ecrit.html")]
pub struct EcritPage {
    pub l: Layout,
    pub dossier_id: i64,
    pub e: Ecrit,
    pub versions: Vec<EcritVersion>,
    pub fields: Vec<Field>,
    pub can_correct: bool,
    pub errors: Vec<(String, String)>,
}

async fn ecrit_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    eid: i64,
    v: Option<BTreeMap<String, String>>,
    errors: FieldErrors,
) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    let o = ouvrir(&mut tx, ctx, id).await?;
    let e = store::ecrit_get(&mut tx, ctx.dep(), eid).await?;
    if e.dossier_id != id {
        return Err(WebError::NotFound);
    }
    if !peut_lire(
        &ctx.principal,
        &o.acces,
        &PieceAcces::from(&e),
        o.acces_motive,
    ) {
        audit::append(
            &mut tx,
            ctx.dep(),
            &ctx.event("refus", "ecrit", eid).purpose("secret partagé"),
        )
        .await?;
        tx.commit().await?;
        return Err(WebError::ForbiddenAudited);
    }
    let versions = store::ecrit_versions(&mut tx, ctx.dep(), eid).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "ecrit", eid)
            .purpose("historique de l'écrit"),
    )
    .await?;
    tx.commit().await?;
    let can_correct = ctx.principal.agent_id == Some(e.auteur_id) && !o.dossier.est_clos();
    let v = v.unwrap_or_else(|| {
        let mut m = BTreeMap::new();
        m.insert("kind".into(), e.courant.kind.code().to_string());
        m.insert("date".into(), e.courant.date.clone());
        m.insert("texte".into(), e.courant.texte.clone());
        m
    });
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let fields = vec![
        Field::text("kind", "Type", &g("kind"))
            .select(
                EcritKind::ALL
                    .iter()
                    .map(|k| (k.code().to_string(), k.libelle().to_string()))
                    .collect(),
            )
            .error_from(&errors),
        Field::text("date", "Date", &g("date"))
            .required()
            .error_from(&errors),
        Field::text("texte", "Texte corrigé", &g("texte"))
            .kind("textarea")
            .required()
            .error_from(&errors),
        Field::text("motif", "Motif de la correction", &g("motif"))
            .required()
            .hint("Il reste attaché à la nouvelle version ; la version précédente reste lisible.")
            .error_from(&errors),
    ];
    let summary: Vec<(String, String)> = crate::pages::error_summary(&fields);
    let status = if summary.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        render(&EcritPage {
            l: ctx.layout(),
            dossier_id: id,
            e,
            versions,
            fields,
            can_correct,
            errors: summary,
        }),
    )
        .into_response())
}

pub async fn ecrit_show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, eid)): Path<(i64, i64)>,
) -> WebResult<Response> {
    ecrit_page(&state, &ctx, id, eid, None, FieldErrors::new()).await
}

pub async fn ecrit_correct(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, eid)): Path<(i64, i64)>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let form = CorrectionForm {
        kind: g("kind"),
        date: g("date"),
        texte: g("texte"),
        motif: g("motif"),
    };
    match parcours_usecases::dossiers::corriger_ecrit(
        &state.store,
        &ctx.acteur(),
        id,
        eid,
        &form,
        Canal::Page,
    )
    .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/dossiers/{id}/ecrits/{eid}?message=modifie")).into_response(),
        ),
        Err(parcours_usecases::Error::Invalid(e)) => {
            ecrit_page(&state, &ctx, id, eid, Some(v), e).await
        }
        Err(e) => Err(e.into()),
    }
}
