//! Working in a dossier: the plan d'action (objectives, actions and their results), the référents,
//! the documents filed, closing it and reopening it. Each is one function for the page and for `/api/v1`: it opens
//! the dossier under the secret partagé (a refusal is audited), refuses a closed dossier, checks the
//! input (a message per field, nothing written) and commits with its audit entry.

use chrono::NaiveDate;
use parcours_domain::dossiers::{
    ClotureForm, CorrectionForm, DocumentForm, NewCloture, NewCorrection, NewDocument, NewPlanItem,
    NewResultat, PlanForm, Referent, ResultatForm,
};
use parcours_domain::{FieldErrors, Invalid};
use parcours_store::{agents, dossiers as store, Store, StoreError};

use super::{ouvrir, Ouvert};
use crate::{Acteur, AuditedTx, Canal, Error, Result};

/// Opens the dossier to write in it: refused (and audited) out of scope, `Conflict` once closed.
async fn ouvrir_pour_ecrire(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    canal: Canal,
) -> Result<(AuditedTx, Ouvert)> {
    let tx = AuditedTx::begin(store_, acteur).await?;
    let (tx, ouvert) = ouvrir(tx, acteur, id, canal).await?;
    if ouvert.dossier.est_clos() {
        return Err(Error::Conflict(
            "ce dossier est clos : rouvrez-en un pour écrire".into(),
        ));
    }
    Ok((tx, ouvert))
}

/// Adds an objective, or an action under one of the dossier's objectives, to the plan d'action;
/// its due date cannot precede the dossier's opening.
pub async fn ajouter_au_plan(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    form: &PlanForm,
    canal: Canal,
) -> Result<i64> {
    let me = acteur.agent()?;
    let (mut tx, ouvert) = ouvrir_pour_ecrire(store_, acteur, id, canal).await?;
    let ouvert_le = NaiveDate::parse_from_str(&ouvert.dossier.ouvert_le, "%Y-%m-%d")
        .unwrap_or_else(|_| parcours_store::clock().today());
    let item = NewPlanItem::parse(form, ouvert_le)?;
    let pid = match store::plan_add(tx.conn(), acteur.dep(), id, &item, me).await {
        Ok(pid) => pid,
        Err(StoreError::Reference) => {
            return Err(Invalid::field(
                "objectif_id",
                "Cet objectif n'appartient pas à ce dossier.",
            )
            .into())
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit(
        acteur
            .event("creation", "plan_action", pid)
            .purpose(canal.purpose("suivi du dossier"))
            .details(serde_json::json!({ "dossier": id })),
    )
    .await?;
    Ok(pid)
}

/// Records the result of an objective or an action of the dossier's plan.
pub async fn noter_resultat(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    item: i64,
    form: &ResultatForm,
    canal: Canal,
) -> Result<()> {
    let (mut tx, _) = ouvrir_pour_ecrire(store_, acteur, id, canal).await?;
    let r = NewResultat::parse(form)?;
    let plan = store::plan(tx.conn(), acteur.dep(), id).await?;
    let belongs = plan
        .iter()
        .any(|o| o.item.id == item || o.actions.iter().any(|a| a.id == item));
    if !belongs {
        return Err(Error::NotFound);
    }
    store::plan_resultat(tx.conn(), acteur.dep(), item, &r).await?;
    tx.commit(
        acteur
            .event("resultat", "plan_action", item)
            .purpose(canal.purpose("suivi du dossier"))
            .details(serde_json::json!({ "dossier": id, "statut": r.statut.code() })),
    )
    .await
}

/// Designates the référent of a service for the dossier: an agent of that service (by matricule),
/// whose team then follows the dossier. Returns the référents after the change.
/// How the référent is designated: chosen by name on the page (the agent's id), or by matricule
/// through the API, whose clients hold the département's directory.
#[derive(Debug, Clone, Copy)]
pub enum AgentDesigne<'a> {
    Choisi(Option<i64>),
    Matricule(&'a str),
}

impl AgentDesigne<'_> {
    /// The form field that the messages about the agent go beside.
    pub fn champ(&self) -> &'static str {
        match self {
            AgentDesigne::Choisi(_) => "referent_agent",
            AgentDesigne::Matricule(_) => "matricule",
        }
    }
}

pub async fn designer_referent(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    service_id: Option<i64>,
    designe: AgentDesigne<'_>,
    canal: Canal,
) -> Result<Vec<Referent>> {
    let (mut tx, _) = ouvrir_pour_ecrire(store_, acteur, id, canal).await?;
    let mut errors = FieldErrors::new();
    if service_id.is_none() {
        errors.add("service_id", "Choisissez le service.");
    }
    let champ = designe.champ();
    let trouve = match designe {
        AgentDesigne::Choisi(Some(a)) => agents::get(tx.conn(), acteur.dep(), a).await,
        AgentDesigne::Choisi(None) => {
            errors.add(
                champ,
                "Choisissez l'agent référent (recherchez-le par son nom).",
            );
            Err(StoreError::NotFound)
        }
        AgentDesigne::Matricule(m) => agents::by_matricule(tx.conn(), acteur.dep(), m.trim()).await,
    };
    let agent = match trouve {
        Ok(a) if a.ferme_le.is_some() => {
            errors.add(champ, "Le compte de cet agent est fermé.");
            None
        }
        Ok(a) => Some(a),
        Err(StoreError::NotFound) => {
            if errors.get(champ).is_none() {
                errors.add(
                    champ,
                    match designe {
                        AgentDesigne::Matricule(_) => {
                            "Aucun agent du département n'a ce matricule."
                        }
                        AgentDesigne::Choisi(_) => {
                            "Cet agent n'est pas du département : recherchez-le à nouveau."
                        }
                    },
                );
            }
            None
        }
        Err(e) => return Err(e.into()),
    };
    if let (Some(a), Some(s)) = (&agent, service_id) {
        if a.service_id != s {
            errors.add(champ, "Cet agent n'appartient pas au service choisi.");
        }
    }
    let (Some(agent), Some(service), true) = (agent, service_id, errors.is_empty()) else {
        return Err(Error::Invalid(errors));
    };
    match store::referent_set(
        tx.conn(),
        acteur.dep(),
        id,
        service,
        agent.id,
        parcours_store::clock().today(),
    )
    .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(Error::Conflict(
                "cet agent vient déjà d'être désigné référent de ce service pour ce dossier".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let referents = store::referents(tx.conn(), acteur.dep(), id).await?;
    tx.commit(
        acteur
            .event("referent", "dossier", id)
            .purpose(canal.purpose("suivi du dossier"))
            .details(serde_json::json!({ "service": service, "agent": agent.id })),
    )
    .await?;
    Ok(referents)
}

/// What a document filing returns: its id and the SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Depose {
    pub id: i64,
    pub sha256: String,
    pub taille: usize,
}

/// A file as received: its name on the agent's computer and its bytes.
#[derive(Debug, Clone, Default)]
pub struct Fichier {
    pub nom: String,
    pub contenu: Vec<u8>,
}

/// Files a document in the dossier: its type recognised from its content, its size bounded by
/// `taille_max`, its visibility and legal basis checked (`NewDocument::parse`), its author's team
/// recorded.
pub async fn deposer_document(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    form: &DocumentForm,
    fichier: Fichier,
    taille_max: usize,
    canal: Canal,
) -> Result<Depose> {
    let me = acteur.agent()?;
    let (mut tx, _) = ouvrir_pour_ecrire(store_, acteur, id, canal).await?;
    let doc = NewDocument::parse(form, &fichier.nom, fichier.contenu, taille_max)?;
    let did = store::document_add(
        tx.conn(),
        acteur.dep(),
        id,
        me,
        acteur.principal.service_id,
        &doc,
    )
    .await?;
    tx.commit(
        acteur
            .event("creation", "document", did)
            .purpose(canal.purpose("suivi du dossier"))
            .details(serde_json::json!({
                "dossier": id,
                "sha256": doc.sha256,
                "taille": doc.contenu.len(),
                "type": doc.type_document.code(),
                "visibilite": doc.visibilite.code(),
            })),
    )
    .await?;
    Ok(Depose {
        id: did,
        sha256: doc.sha256.clone(),
        taille: doc.contenu.len(),
    })
}

/// Closes the dossier today; it is read-only afterwards.
/// The title of a dossier about to be closed, for the confirmation page: opened as for a write
/// (refused out of scope or once closed), the read audited.
pub async fn intitule_pour_ecrire(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    canal: Canal,
) -> Result<String> {
    let (tx, ouvert) = ouvrir_pour_ecrire(store_, acteur, id, canal).await?;
    tx.commit(
        acteur
            .event("lecture", "dossier", id)
            .purpose(canal.purpose("confirmation de la fin de l'accompagnement")),
    )
    .await?;
    Ok(ouvert.dossier.intitule)
}

/// Closes a dossier for the reason the accompaniment ended; nothing is written to it afterwards
/// until it is reopened.
pub async fn clore(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    form: &ClotureForm,
    canal: Canal,
) -> Result<()> {
    let me = acteur.agent()?;
    let (mut tx, _) = ouvrir_pour_ecrire(store_, acteur, id, canal).await?;
    let c = NewCloture::parse(form)?;
    store::close(
        tx.conn(),
        acteur.dep(),
        id,
        parcours_store::clock().today(),
        &c,
        me,
    )
    .await?;
    tx.commit(
        acteur
            .event("cloture", "dossier", id)
            .purpose(canal.purpose("fin de l'accompagnement"))
            .details(serde_json::json!({ "motif": c.motif.code() })),
    )
    .await
}

/// Reopens a closed dossier, with the reason: the person comes back, or the closing was a mistake.
pub async fn rouvrir(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    motif: &str,
    canal: Canal,
) -> Result<()> {
    let me = acteur.agent()?;
    let tx = AuditedTx::begin(store_, acteur).await?;
    let (mut tx, ouvert) = ouvrir(tx, acteur, id, canal).await?;
    if !ouvert.dossier.est_clos() {
        return Err(Error::Conflict("ce dossier est déjà ouvert".into()));
    }
    let motif = parcours_domain::dossiers::parse_reouverture(motif)?;
    match store::reopen(
        tx.conn(),
        acteur.dep(),
        id,
        parcours_store::clock().today(),
        &motif,
        me,
    )
    .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(Error::Conflict(
                "ce dossier est archivé : il ne peut plus être rouvert, ouvrez-en un nouveau"
                    .into(),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit(
        acteur
            .event("reouverture", "dossier", id)
            .purpose(canal.purpose("reprise de l'accompagnement")),
    )
    .await
}

/// Corrects an écrit: a new version with its reason, the previous ones kept. Only its author
/// corrects it — what someone wrote stays theirs. Returns the new version's number.
pub async fn corriger_ecrit(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    eid: i64,
    form: &CorrectionForm,
    canal: Canal,
) -> Result<i64> {
    let (mut tx, _) = ouvrir_pour_ecrire(store_, acteur, id, canal).await?;
    let c = NewCorrection::parse(form, parcours_store::clock().today())?;
    let e = store::ecrit_get(tx.conn(), acteur.dep(), eid).await?;
    if e.dossier_id != id || acteur.principal.agent_id != Some(e.auteur_id) {
        return Err(tx
            .refuse(
                acteur
                    .event("refus", "ecrit", eid)
                    .purpose(canal.purpose("correction réservée à l'auteur")),
            )
            .await);
    }
    let version = store::ecrit_correct(tx.conn(), acteur.dep(), eid, e.auteur_id, &c).await?;
    tx.commit(
        acteur
            .event("correction", "ecrit", eid)
            .purpose(canal.purpose("correction d'un écrit"))
            .details(serde_json::json!({ "version": version, "motif": c.motif })),
    )
    .await?;
    Ok(version)
}
