//! The person's rights in the browser: consents, access requests with their legal deadline, the
//! access export (a ZIP archive of what the law lets be communicated), and the pieces held by other
//! teams that the export transmits to them.

use std::io::Write;

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::dossiers::secret::{peut_lire, PieceAcces, Portee, Visibilite};
use parcours_domain::rgpd::{ConsentementForm, ObjetConsentement, MODES};
use parcours_domain::FieldErrors;
use parcours_store::rgpd::{self as store, Consentement, Demande};
use parcours_store::{audit, dossiers, personnes, Conn, StoreError};
use serde::Deserialize;

use crate::auth::Ctx;
use crate::error::{Form, Path, WebError, WebResult};
use crate::pages::{render, Field, Layout};
use crate::personnes::scope_of;
use crate::AppState;
use parcours_usecases::Canal;

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
    let today = parcours_store::clock()
        .today()
        .format("%d/%m/%Y")
        .to_string();
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
    match parcours_usecases::rgpd::noter_consentement(
        &state.store,
        &ctx.acteur(),
        id,
        &f,
        Canal::Page,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/personnes/{id}/rgpd?message=cree")).into_response()),
        Err(parcours_usecases::Error::Invalid(e)) => page(&state, &ctx, id, &f, &e, None).await,
        Err(e) => Err(e.into()),
    }
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
    match parcours_usecases::rgpd::enregistrer_demande(
        &state.store,
        &ctx.acteur(),
        id,
        &f.recue_le,
        Canal::Page,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/personnes/{id}/rgpd?message=cree")).into_response()),
        Err(parcours_usecases::Error::Invalid(e)) => {
            let message = e.0.values().next().cloned();
            page(
                &state,
                &ctx,
                id,
                &ConsentementForm::default(),
                &FieldErrors::new(),
                message,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
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
            if d.echeance
                < parcours_store::clock()
                    .today()
                    .format("%Y-%m-%d")
                    .to_string()
            {
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
    let a = archive(&mut tx, &ctx.principal, &p).await?;
    record_transmissions(&mut tx, &ctx.principal, id, &a).await?;
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
    /// Elements left out as not communicable (working notes, écrits addressed to named agents).
    pub exclus: usize,
    /// What left, by kind and id: the audit names every item.
    pub ecrits: Vec<i64>,
    pub documents: Vec<i64>,
    /// Écrits and documents held by teams whose pieces the exporting agent may not read: listed
    /// in the archive's summary and sent to those teams' cadres (see `store::transmissions`).
    pub detenus: Vec<Detenu>,
    pub exclus_ids: Vec<(String, i64)>,
}

/// The pieces of one team that the exporting agent may not read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Detenu {
    pub service_id: Option<i64>,
    pub site_id: Option<i64>,
    pub equipe: String,
    pub ecrits: Vec<i64>,
    pub documents: Vec<i64>,
}

impl Archive {
    /// What the audit entry of the export records: every item that left, every item left out and
    /// why, and the teams asked to examine the rest.
    pub fn details(&self) -> serde_json::Value {
        serde_json::json!({
            "dossiers": self.dossiers,
            "ecrits_communiques": self.ecrits,
            "documents_communiques": self.documents,
            "elements_ecartes": self.exclus,
            "ecartes_non_communicables": self.exclus_ids.iter().map(|(k, id)| format!("{k} {id}")).collect::<Vec<_>>(),
            "detenus_par_d_autres_equipes": self.detenus,
        })
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

type Detenus = std::collections::BTreeMap<(Option<i64>, Option<i64>), Detenu>;

/// The entry of a team in the pieces held by others.
fn detenu<'a>(
    map: &'a mut Detenus,
    noms: &store::EquipesNoms,
    service_id: Option<i64>,
    site_id: Option<i64>,
) -> &'a mut Detenu {
    map.entry((service_id, site_id)).or_insert_with(|| Detenu {
        service_id,
        site_id,
        equipe: noms.nom(service_id, site_id),
        ecrits: Vec::new(),
        documents: Vec::new(),
    })
}

/// Builds the archive of what the law lets be communicated to the person and the exporting agent
/// may read: the same secret partagé as every page decides each écrit and document (an accès
/// motivé does not open an export). What other teams hold is listed, not included: their cadres
/// get it to examine (`record_transmissions`, in the caller's transaction).
pub async fn archive(
    conn: &mut Conn,
    principal: &parcours_domain::habilitations::Principal,
    p: &parcours_domain::personnes::Personne,
) -> WebResult<Archive> {
    let dep = principal.departement_id.as_str();
    let id = p.id;
    let adresses = personnes::adresses(conn, dep, id).await?;
    let situations = personnes::situations(conn, dep, id).await?;
    let dossiers_l = dossiers::of_personne(conn, dep, id).await?;
    let consentements = store::consentements(conn, dep, id).await?;
    let equipes_noms = store::equipes_noms(conn, dep).await?;
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut exclus_ids: Vec<(String, i64)> = Vec::new();
    let mut ecrits_out = Vec::new();
    let mut documents_out = Vec::new();
    let mut detenus = Detenus::new();
    let mut resume = format!(
        "Relevé des données de {} (fiche n° {})\nÉtabli le {} à la demande de la personne (RGPD art. 15, CRPA L311-6).\n\n",
        p.nom_complet(),
        p.id,
        parcours_store::clock().today().format("%d/%m/%Y")
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
            let acces = dossiers::acces(conn, dep, d.id).await?;
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
                let piece = PieceAcces::from(&e);
                if matches!(piece.visibilite, Visibilite::Auteur | Visibilite::Agents) {
                    exclus_ids.push(("ecrit".into(), e.id));
                    continue;
                }
                if !peut_lire(principal, &acces, &piece, false) {
                    detenu(&mut detenus, &equipes_noms, e.service_id, e.site_id)
                        .ecrits
                        .push(e.id);
                    continue;
                }
                ecrits_out.push(e.id);
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
                let piece = PieceAcces::from(&doc);
                if doc.visibilite == Visibilite::Auteur {
                    exclus_ids.push(("document".into(), doc.id));
                    continue;
                }
                if !peut_lire(principal, &acces, &piece, false) {
                    detenu(&mut detenus, &equipes_noms, doc.service_id, doc.site_id)
                        .documents
                        .push(doc.id);
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
                documents_out.push(doc.id);
            }
        }
        resume.push_str(&format!(
            "\n{} élément(s) non communicable(s) ont été écartés : notes de travail des agents et écrits adressés à des agents désignés (CRPA L311-6 et L311-7). Les autres membres du foyer ne sont pas nommés.\n",
            exclus_ids.len()
        ));
        if !detenus.is_empty() {
            resume.push_str("\nD'autres équipes détiennent des éléments de votre dossier ; elles ont été saisies de votre demande et vous les communiqueront après examen :\n");
            for t in detenus.values() {
                resume.push_str(&format!(
                    "- {} : {} écrit(s), {} document(s)\n",
                    t.equipe,
                    t.ecrits.len(),
                    t.documents.len()
                ));
            }
        }
        // Who accessed the file, by function and service (RGPD art. 15: the recipients).
        let acces = crate::audit::consultations::pour_la_personne(conn, dep, id).await?;
        let mut lignes = String::from(
            "Accès à votre dossier (date, fonction et service de l'agent, ce qui a été fait, motif)\n\n",
        );
        for a in &acces {
            lignes.push_str(&format!(
                "{} — {} ({}) — {}{}\n",
                a.date,
                a.fonction,
                a.service,
                a.action,
                if a.motif.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", a.motif)
                }
            ));
        }
        zip.start_file("acces-au-dossier.txt", opts).map_err(err)?;
        zip.write_all(lignes.as_bytes()).map_err(ioerr)?;
        zip.start_file("LISEZ-MOI.txt", opts).map_err(err)?;
        zip.write_all(resume.as_bytes()).map_err(ioerr)?;
        zip.finish().map_err(err)?;
    }
    Ok(Archive {
        zip: buf.into_inner(),
        dossiers: dossiers_l.len(),
        exclus: exclus_ids.len(),
        ecrits: ecrits_out,
        documents: documents_out,
        detenus: detenus.into_values().collect(),
        exclus_ids,
    })
}

// ---------------------------------------------------------------------------------------------------
// Pieces held by other teams

/// Sends to the cadres of each team the pieces an access export could not include, in the
/// export's transaction, each with its audit entry naming the pieces.
pub async fn record_transmissions(
    conn: &mut Conn,
    principal: &parcours_domain::habilitations::Principal,
    personne_id: i64,
    a: &Archive,
) -> WebResult<()> {
    let dep = principal.departement_id.as_str();
    for t in &a.detenus {
        let tid = store::transmission_add(
            conn,
            dep,
            personne_id,
            t.service_id,
            t.site_id,
            &t.ecrits,
            &t.documents,
            principal.agent_id,
        )
        .await?;
        audit::append(
            conn,
            dep,
            &parcours_domain::audit::AuditEvent::new("creation", "transmission_acces", tid)
                .by(principal.agent_id, principal.token_id, None)
                .purpose("droit d'accès : éléments détenus par une autre équipe")
                .details(serde_json::json!({
                    "personne": personne_id, "equipe": t.equipe,
                    "ecrits": t.ecrits, "documents": t.documents,
                })),
        )
        .await?;
    }
    Ok(())
}

/// One line of the cadre's list.
pub struct LigneTransmission {
    pub id: i64,
    pub personne_id: i64,
    pub personne_nom: String,
    pub ecrits: Vec<i64>,
    pub documents: Vec<i64>,
    pub demandee_par: String,
    pub le: String,
    pub traitee_le: Option<String>,
}

#[derive(Template)]
#[template(path = "rgpd/transmissions.html")]
pub struct TransmissionsPage {
    pub l: Layout,
    pub transmissions: Vec<LigneTransmission>,
    pub message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MessageQuery {
    #[serde(default)]
    pub message: String,
}

/// The pieces of access requests that the cadre's teams hold (issue 14: the parts held by other
/// services are sent to those services' cadres as tasks).
pub async fn transmissions(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::error::Query(q): crate::error::Query<MessageQuery>,
) -> WebResult<Response> {
    let service = ctx.principal.service_id.ok_or(WebError::Forbidden)?;
    let mut tx = state.store.begin().await?;
    let list =
        store::transmissions_pour(&mut tx, ctx.dep(), service, &ctx.principal.site_ids).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "transmission_acces", "*")
            .purpose("droit d'accès : éléments détenus par l'équipe")
            .details(serde_json::json!({ "transmissions": list.iter().map(|t| t.id).collect::<Vec<_>>() })),
    )
    .await?;
    tx.commit().await?;
    let transmissions = list
        .into_iter()
        .map(|t| LigneTransmission {
            id: t.id,
            personne_id: t.personne_id,
            personne_nom: t.personne_nom,
            ecrits: t.ecrits,
            documents: t.documents,
            demandee_par: t.demandee_par,
            le: crate::dossiers::fr(&t.created_at),
            traitee_le: t.traitee_le.as_deref().map(crate::dossiers::fr),
        })
        .collect();
    Ok(render(&TransmissionsPage {
        l: ctx.layout(),
        transmissions,
        message: (q.message == "traitee").then(|| "Demande marquée comme traitée.".to_string()),
    }))
}

pub async fn transmission_traitee(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let service = ctx.principal.service_id.ok_or(WebError::Forbidden)?;
    let me = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let mut tx = state.store.begin().await?;
    match store::transmission_traiter(&mut tx, ctx.dep(), id, service, &ctx.principal.site_ids, me)
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(WebError::Conflict(
                "cette demande a déjà été marquée comme traitée".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("traitement", "transmission_acces", id)
            .purpose("droit d'accès : éléments détenus par l'équipe"),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/rgpd/transmissions?message=traitee").into_response())
}
