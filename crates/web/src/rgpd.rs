//! The person's rights in the browser: consents, access requests with their legal deadline, the
//! access export (a ZIP archive of what the law lets be communicated), and the retention passes (a
//! simulation listing what would be archived or anonymised, then its application with the visa of the
//! Archives départementales).

use std::io::Write;

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use parcours_domain::dossiers::secret::{PieceAcces, Portee, Visibilite};
use parcours_domain::personnes::parse_date_text;
use parcours_domain::rgpd::{ConsentementForm, NewConsentement, ObjetConsentement, MODES};
use parcours_domain::FieldErrors;
use parcours_store::rgpd::{self as store, Consentement, Demande, Passe};
use parcours_store::{audit, dossiers, jobs, personnes, Conn, StoreError};
use serde::Deserialize;

use crate::auth::Ctx;
use crate::error::{Form, Path, WebError, WebResult};
use crate::pages::{render, Field, Layout};
use crate::personnes::scope_of;
use crate::AppState;

async fn in_scope(
    conn: &mut Conn,
    ctx: &Ctx,
    id: i64,
) -> WebResult<parcours_domain::personnes::Personne> {
    let p = personnes::get(conn, ctx.dep(), id).await?;
    if scope_of(conn, ctx, id).await?.portee != Portee::Complete {
        return Err(WebError::Forbidden);
    }
    Ok(p)
}

#[derive(Template)]
#[template(path = "rgpd/personne.html")]
pub struct DroitsPage {
    pub l: Layout,
    pub id: i64,
    pub nom: String,
    pub consentements: Vec<Consentement>,
    pub demandes: Vec<Demande>,
    pub fields: Vec<Field>,
    pub errors: Vec<(String, String)>,
    pub demande_erreur: Option<String>,
    pub today: String,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    f: &ConsentementForm,
    errors: &FieldErrors,
    demande_erreur: Option<String>,
) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    let p = in_scope(&mut tx, ctx, id).await?;
    let consentements = store::consentements(&mut tx, ctx.dep(), id).await?;
    let demandes = store::demandes(&mut tx, ctx.dep(), id).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "droits_personne", id)
            .purpose("droits de la personne"),
    )
    .await?;
    tx.commit().await?;
    let today = Utc::now().date_naive().format("%d/%m/%Y").to_string();
    let fields = vec![
        Field::text("objet", "Objet", &f.objet)
            .select(
                ObjetConsentement::ALL
                    .iter()
                    .map(|o| (o.code().to_string(), o.libelle().to_string()))
                    .collect(),
            )
            .error_from(errors),
        Field::text("donne", "Réponse de la personne", &f.donne)
            .select(vec![
                (String::new(), "— choisir —".into()),
                ("oui".into(), "Consent".into()),
                ("non".into(), "Refuse ou retire son consentement".into()),
            ])
            .error_from(errors),
        Field::text("mode", "Comment", &f.mode)
            .select(
                std::iter::once((String::new(), "— choisir —".to_string()))
                    .chain(MODES.iter().map(|(c, l)| (c.to_string(), l.to_string())))
                    .collect(),
            )
            .error_from(errors),
        Field::text("le", "Date", if f.le.is_empty() { &today } else { &f.le })
            .hint("JJ/MM/AAAA")
            .error_from(errors),
    ];
    let summary: Vec<(String, String)> = crate::pages::error_summary(&fields);
    let status = if summary.is_empty() && demande_erreur.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        render(&DroitsPage {
            l: ctx.layout(),
            id,
            nom: p.nom_complet(),
            consentements,
            demandes,
            fields,
            errors: summary,
            demande_erreur,
            today,
        }),
    )
        .into_response())
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    page(
        &state,
        &ctx,
        id,
        &ConsentementForm::default(),
        &FieldErrors::new(),
        None,
    )
    .await
}

pub async fn consentement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ConsentementForm>,
) -> WebResult<Response> {
    let c = match NewConsentement::parse(&f, Utc::now().date_naive()) {
        Ok(c) => c,
        Err(e) => return page(&state, &ctx, id, &f, &e.0, None).await,
    };
    let me = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let mut tx = state.store.begin().await?;
    in_scope(&mut tx, &ctx, id).await?;
    let cid = store::consentement_add(&mut tx, ctx.dep(), id, &c, me).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "consentement", cid).details(
            serde_json::json!({ "personne": id, "objet": c.objet.code(), "donne": c.donne }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/personnes/{id}/rgpd?message=cree")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct DemandeForm {
    #[serde(default)]
    pub recue_le: String,
}

pub async fn demande(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DemandeForm>,
) -> WebResult<Response> {
    let today = Utc::now().date_naive();
    let recue = match parse_date_text(&f.recue_le) {
        Some(d) if d <= today => d,
        Some(_) => {
            return page(
                &state,
                &ctx,
                id,
                &ConsentementForm::default(),
                &FieldErrors::new(),
                Some("La date de réception ne peut pas être dans le futur.".into()),
            )
            .await
        }
        None => {
            return page(
                &state,
                &ctx,
                id,
                &ConsentementForm::default(),
                &FieldErrors::new(),
                Some(format!(
                    "« {} » n'est pas une date (JJ/MM/AAAA).",
                    f.recue_le.trim()
                )),
            )
            .await
        }
    };
    let me = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let mut tx = state.store.begin().await?;
    in_scope(&mut tx, &ctx, id).await?;
    let did = store::demande_add(&mut tx, ctx.dep(), id, recue, me).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "demande_acces", did)
            .details(serde_json::json!({ "personne": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/personnes/{id}/rgpd?message=cree")).into_response())
}

pub async fn demande_action(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, did, action)): Path<(i64, i64, String)>,
) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    in_scope(&mut tx, &ctx, id).await?;
    let r = match action.as_str() {
        "prolonger" => {
            // The extension must be announced within the first month.
            let d = store::demandes(&mut tx, ctx.dep(), id)
                .await?
                .into_iter()
                .find(|d| d.id == did)
                .ok_or(WebError::NotFound)?;
            if d.echeance < Utc::now().date_naive().format("%Y-%m-%d").to_string() {
                drop(tx);
                return page(&state, &ctx, id, &ConsentementForm::default(), &FieldErrors::new(), Some("Le délai d'un mois est dépassé : la prolongation devait être annoncée avant.".into())).await;
            }
            store::demande_prolonger(&mut tx, ctx.dep(), id, did).await
        }
        "repondre" => store::demande_repondre(&mut tx, ctx.dep(), id, did).await,
        _ => return Err(WebError::NotFound),
    };
    match r {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            drop(tx);
            return page(
                &state,
                &ctx,
                id,
                &ConsentementForm::default(),
                &FieldErrors::new(),
                Some("Cette demande a déjà été traitée.".into()),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event(&action, "demande_acces", did)
            .details(serde_json::json!({ "personne": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/personnes/{id}/rgpd?message=modifie")).into_response())
}

/// The access export: a ZIP with a readable summary, the person's data in JSON, the écrits shared
/// with services and the documents. Left out, as the law requires (CRPA L311-6, L311-7): the working
/// notes of an agent (visibility « auteur »), écrits addressed to named agents (they may concern third
/// parties), and the identity of the other members of the foyer.
pub async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    let p = in_scope(&mut tx, &ctx, id).await?;
    let a = archive(&mut tx, ctx.dep(), &p).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("export_acces", "personne", id)
            .purpose("droit d'accès de la personne")
            .details(a.details()),
    )
    .await?;
    tx.commit().await?;
    Ok(a.into_response(id))
}

/// The archive of the right of access, as the page and the API give it.
pub struct Archive {
    pub zip: Vec<u8>,
    pub dossiers: usize,
    /// Elements left out as not communicable.
    pub exclus: usize,
}

impl Archive {
    /// What the audit entry of the export records.
    pub fn details(&self) -> serde_json::Value {
        serde_json::json!({ "dossiers": self.dossiers, "elements_ecartes": self.exclus })
    }

    pub fn into_response(self, personne_id: i64) -> Response {
        (
            [
                (header::CONTENT_TYPE, "application/zip".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"acces-personne-{personne_id}.zip\""),
                ),
            ],
            self.zip,
        )
            .into_response()
    }
}

/// Builds the archive of what the law lets be communicated to the person (see [`export`]).
pub async fn archive(
    conn: &mut Conn,
    dep: &str,
    p: &parcours_domain::personnes::Personne,
) -> WebResult<Archive> {
    let id = p.id;
    let adresses = personnes::adresses(conn, dep, id).await?;
    let situations = personnes::situations(conn, dep, id).await?;
    let dossiers_l = dossiers::of_personne(conn, dep, id).await?;
    let consentements = store::consentements(conn, dep, id).await?;
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut exclus = 0usize;
    let mut resume = format!(
        "Relevé des données de {} (fiche n° {})\nÉtabli le {} à la demande de la personne (RGPD art. 15, CRPA L311-6).\n\n",
        p.nom_complet(),
        p.id,
        Utc::now().format("%d/%m/%Y")
    );
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        let err = |e: zip::result::ZipError| WebError::Internal(anyhow::Error::new(e));
        let ioerr = |e: std::io::Error| WebError::Internal(anyhow::Error::new(e));
        let data = serde_json::json!({
            "personne": p, "nir": p.nir, "adresses": adresses, "situations": situations, "consentements": consentements,
        });
        zip.start_file("personne.json", opts).map_err(err)?;
        zip.write_all(
            serde_json::to_string_pretty(&data)
                .unwrap_or_default()
                .as_bytes(),
        )
        .map_err(ioerr)?;
        for d in &dossiers_l {
            resume.push_str(&format!(
                "Dossier « {} », ouvert le {}{}\n",
                d.intitule,
                d.ouvert_le,
                d.clos_le
                    .as_ref()
                    .map(|c| format!(", clos le {c}"))
                    .unwrap_or_default()
            ));
            let mut journal = String::new();
            for e in dossiers::ecrits(conn, dep, d.id).await? {
                if matches!(
                    PieceAcces::from(&e).visibilite,
                    Visibilite::Auteur | Visibilite::Agents
                ) {
                    exclus += 1;
                    continue;
                }
                journal.push_str(&format!(
                    "{} — {} ({})\n{}\n\n",
                    e.courant.date,
                    e.courant.kind.libelle(),
                    e.service_nom.clone().unwrap_or_default(),
                    e.courant.texte
                ));
            }
            zip.start_file(format!("dossier-{}/journal.txt", d.id), opts)
                .map_err(err)?;
            zip.write_all(journal.as_bytes()).map_err(ioerr)?;
            for doc in dossiers::documents(conn, dep, d.id).await? {
                if doc.visibilite == Visibilite::Auteur {
                    exclus += 1;
                    continue;
                }
                let (_, bytes) = dossiers::document_get(conn, dep, doc.id).await?;
                zip.start_file(
                    format!(
                        "dossier-{}/documents/{}-{}",
                        d.id,
                        doc.id,
                        doc.nom_fichier.replace(['/', '\\'], "_")
                    ),
                    opts,
                )
                .map_err(err)?;
                zip.write_all(&bytes).map_err(ioerr)?;
            }
        }
        resume.push_str(&format!(
            "\n{exclus} élément(s) non communicable(s) ont été écartés : notes de travail des agents et écrits adressés à des agents désignés (CRPA L311-6 et L311-7). Les autres membres du foyer ne sont pas nommés.\n"
        ));
        zip.start_file("LISEZ-MOI.txt", opts).map_err(err)?;
        zip.write_all(resume.as_bytes()).map_err(ioerr)?;
        zip.finish().map_err(err)?;
    }
    Ok(Archive {
        zip: buf.into_inner(),
        dossiers: dossiers_l.len(),
        exclus,
    })
}

// ---------------------------------------------------------------------------------------------------
// Retention

#[derive(Template)]
#[template(path = "rgpd/conservation.html")]
pub struct ConservationPage {
    pub l: Layout,
    pub actif_mois: u32,
    pub archive_mois: u32,
    pub passes: Vec<Passe>,
    pub erreur: Option<String>,
}

pub async fn conservation(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let passes = store::passes(&mut conn, ctx.dep(), None, 20).await?;
    Ok(render(&ConservationPage {
        l: ctx.layout(),
        actif_mois: state.settings.conservation_actif_mois,
        archive_mois: state.settings.conservation_archive_mois,
        passes,
        erreur: None,
    }))
}

pub async fn simulation(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let me = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let mut tx = state.store.begin().await?;
    let id = store::passe_create(&mut tx, ctx.dep(), "simulation", None, None, me).await?;
    jobs::enqueue(
        &mut tx,
        ctx.dep(),
        "rgpd.conservation",
        &serde_json::json!({ "departement_id": ctx.dep(), "passe_id": id }),
        3,
    )
    .await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lancement", "conservation", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/rgpd/conservation/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "rgpd/passe.html")]
pub struct PassePage {
    pub l: Layout,
    pub p: Passe,
    pub visa_erreur: Option<String>,
    pub visa: String,
}

async fn passe_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    visa: &str,
    visa_erreur: Option<String>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let p = store::passes(&mut conn, ctx.dep(), Some(id), 1)
        .await?
        .into_iter()
        .next()
        .ok_or(WebError::NotFound)?;
    let status = if visa_erreur.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        render(&PassePage {
            l: ctx.layout(),
            p,
            visa_erreur,
            visa: visa.to_string(),
        }),
    )
        .into_response())
}

pub async fn passe(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    passe_page(&state, &ctx, id, "", None).await
}

#[derive(Debug, Deserialize)]
pub struct VisaForm {
    #[serde(default)]
    pub visa: String,
}

/// Applies a finished simulation. Anonymising ends the life of a public archive: the visa of the
/// director of the Archives départementales is required (Code du patrimoine L212-2, reference §8.5).
pub async fn application(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<VisaForm>,
) -> WebResult<Response> {
    let me = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let mut conn = state.store.read().await?;
    let sim = store::passes(&mut conn, ctx.dep(), Some(id), 1)
        .await?
        .into_iter()
        .next()
        .ok_or(WebError::NotFound)?;
    drop(conn);
    if sim.mode != "simulation" || sim.statut != "terminee" {
        return passe_page(
            &state,
            &ctx,
            id,
            &f.visa,
            Some("Seule une simulation terminée peut être appliquée.".into()),
        )
        .await;
    }
    let visa = f.visa.trim();
    if sim.decisions.iter().any(|d| d.sort == "anonymiser") && visa.chars().count() < 3 {
        return passe_page(&state, &ctx, id, &f.visa, Some("Indiquez la référence du visa des Archives départementales : sans lui, aucune anonymisation.".into())).await;
    }
    let mut tx = state.store.begin().await?;
    let pid = store::passe_create(
        &mut tx,
        ctx.dep(),
        "application",
        Some(id),
        (!visa.is_empty()).then_some(visa),
        me,
    )
    .await?;
    jobs::enqueue(
        &mut tx,
        ctx.dep(),
        "rgpd.conservation",
        &serde_json::json!({ "departement_id": ctx.dep(), "passe_id": pid }),
        3,
    )
    .await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lancement", "conservation", pid)
            .details(serde_json::json!({ "simulation": id, "visa": visa })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/rgpd/conservation/{pid}")).into_response())
}
