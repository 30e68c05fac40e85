//! The dossier under the secret partagé: opening it, reading its journal, writing an écrit and
//! downloading a document — the same functions for the pages and for `/api/v1`, so that the page
//! and the API decide, audit and refuse alike.

use parcours_domain::dossiers::secret::{
    peut_lire, suit_le_dossier, DossierAcces, PieceAcces, Portee,
};
use parcours_domain::dossiers::{
    BaseLegale, Document, Dossier, Ecrit, EcritForm, NewEcrit, Titulaire,
};
use parcours_domain::habilitations::Principal;
use parcours_domain::FieldErrors;
use parcours_store::{dossiers as store, personnes, Conn, Store, StoreError};

mod suivi;

pub use suivi::{
    ajouter_au_plan, clore, corriger_ecrit, deposer_document, designer_referent,
    intitule_pour_ecrire, noter_resultat, rouvrir, AgentDesigne, Depose, Fichier,
};

use crate::personnes::scope_for;
use crate::{Acteur, AuditedTx, Canal, Error, Result};

/// A dossier the agent may open, with what the secret partagé needs.
#[derive(Debug, Clone)]
pub struct Ouvert {
    pub dossier: Dossier,
    pub acces: DossierAcces,
    pub acces_motive: bool,
    pub personne_id: Option<i64>,
}

/// The person a dossier belongs to (for a foyer's dossier: its first member found), to decide the
/// agent's scope.
async fn personne_of(conn: &mut Conn, dep: &str, d: &Dossier) -> Result<Option<i64>> {
    Ok(match d.titulaire {
        Titulaire::Personne(p) => Some(p),
        Titulaire::Foyer(f) => personnes::membres(conn, dep, f)
            .await?
            .first()
            .map(|m| m.personne.id),
    })
}

/// Decides whether the principal opens the dossier: the person in their full scope (territory, a
/// team that follows the dossier, an exceptional access, a central team) or one of its référents
/// or teams. `Ok(None)`: out of scope. The caller records the refusal.
pub async fn decider(conn: &mut Conn, p: &Principal, id: i64) -> Result<Option<Ouvert>> {
    let dep = p.departement_id.as_str();
    let dossier = store::get(conn, dep, id).await?;
    let acces = store::acces(conn, dep, id).await?;
    let personne_id = personne_of(conn, dep, &dossier).await?;
    let (portee, acces_motive) = match personne_id {
        Some(pid) => {
            let s = scope_for(conn, p, pid).await?;
            (s.portee, s.acces_motive.is_some())
        }
        None => (Portee::Existence, false),
    };
    if portee != Portee::Complete && !suit_le_dossier(p, &acces) {
        return Ok(None);
    }
    Ok(Some(Ouvert {
        dossier,
        acces,
        acces_motive,
        personne_id,
    }))
}

/// Opens the dossier in the use case's transaction, or records the refusal and answers it.
pub async fn ouvrir(
    tx: AuditedTx,
    acteur: &Acteur,
    id: i64,
    canal: Canal,
) -> Result<(AuditedTx, Ouvert)> {
    let mut tx = tx;
    match decider(tx.conn(), &acteur.principal, id).await? {
        Some(o) => Ok((tx, o)),
        None => Err(tx
            .refuse(
                acteur
                    .event("refus", "dossier", id)
                    .purpose(canal.purpose("dossier hors du périmètre de l'agent")),
            )
            .await),
    }
}

/// What the agent reads of a dossier's journal.
#[derive(Debug, Clone)]
pub struct Journal {
    pub ouvert: Ouvert,
    pub ecrits: Vec<Ecrit>,
    pub documents: Vec<Document>,
    /// Pieces the secret partagé withholds from the agent.
    pub masques: usize,
}

/// Reads the journal of a dossier: each écrit and document decided by `peut_lire`, the read
/// audited with the pieces read and how many were withheld.
pub async fn lire_journal(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    canal: Canal,
) -> Result<Journal> {
    let tx = AuditedTx::begin(store_, acteur).await?;
    let (mut tx, ouvert) = ouvrir(tx, acteur, id, canal).await?;
    let dep = acteur.dep();
    let p = &acteur.principal;
    let mut masques = 0;
    let mut lus = Vec::new();
    let mut ecrits = Vec::new();
    for e in store::ecrits(tx.conn(), dep, id).await? {
        if peut_lire(p, &ouvert.acces, &PieceAcces::from(&e), ouvert.acces_motive) {
            lus.push(format!("ecrit:{}", e.id));
            ecrits.push(e);
        } else {
            masques += 1;
        }
    }
    let mut documents = Vec::new();
    for d in store::documents(tx.conn(), dep, id).await? {
        if peut_lire(p, &ouvert.acces, &PieceAcces::from(&d), ouvert.acces_motive) {
            lus.push(format!("document:{}", d.id));
            documents.push(d);
        } else {
            masques += 1;
        }
    }
    let purpose = if ouvert.acces_motive {
        "suivi du dossier (accès motivé)"
    } else {
        "suivi du dossier"
    };
    tx.commit(
        acteur
            .event("lecture", "dossier", id)
            .purpose(canal.purpose(purpose))
            .details(serde_json::json!({ "pieces_lues": lus, "pieces_masquees": masques })),
    )
    .await?;
    Ok(Journal {
        ouvert,
        ecrits,
        documents,
        masques,
    })
}

/// Writes an écrit in the dossier. Bad input: `Error::Invalid` with a message per field, nothing
/// written; a closed dossier: `Error::Conflict`.
pub async fn ecrire(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    form: &EcritForm,
    canal: Canal,
) -> Result<i64> {
    let me = acteur.agent()?;
    let tx = AuditedTx::begin(store_, acteur).await?;
    let (mut tx, ouvert) = ouvrir(tx, acteur, id, canal).await?;
    if ouvert.dossier.est_clos() {
        return Err(Error::Conflict(
            "ce dossier est clos : rouvrez-en un pour écrire".into(),
        ));
    }
    let dep = acteur.dep();
    // Named agents must exist in the département; whether one works elsewhere needs the store.
    let ids = parcours_domain::dossiers::parse_ids(&form.destinataires).unwrap_or_default();
    let autres =
        match store::agents_hors_service(tx.conn(), dep, &ids, acteur.principal.service_id).await {
            Ok(a) => a,
            Err(StoreError::Reference) => {
                let mut e = FieldErrors::new();
                e.add(
                    "destinataires",
                    "Un des agents désignés n'existe pas dans le département.",
                );
                return Err(Error::Invalid(e));
            }
            Err(e) => return Err(e.into()),
        };
    let e = NewEcrit::parse(form, parcours_store::clock().today(), |_| autres)?;
    let eid = store::ecrit_add(tx.conn(), dep, id, me, acteur.principal.service_id, &e).await?;
    tx.commit(
        acteur
            .event("creation", "ecrit", eid)
            .purpose(canal.purpose("suivi du dossier"))
            .details(serde_json::json!({
                "dossier": id,
                "visibilite": e.visibilite.code(),
                "base_legale": e.base_legale.map(BaseLegale::code),
                "destinataires": e.destinataires,
            })),
    )
    .await?;
    Ok(eid)
}

/// Downloads a document of the dossier, if the secret partagé lets the agent read it.
pub async fn document(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    did: i64,
    canal: Canal,
) -> Result<(Document, Vec<u8>)> {
    let tx = AuditedTx::begin(store_, acteur).await?;
    let (mut tx, ouvert) = ouvrir(tx, acteur, id, canal).await?;
    let (doc, bytes) = store::document_get(tx.conn(), acteur.dep(), did).await?;
    if doc.dossier_id != id {
        return Err(Error::NotFound);
    }
    if !peut_lire(
        &acteur.principal,
        &ouvert.acces,
        &PieceAcces::from(&doc),
        ouvert.acces_motive,
    ) {
        return Err(tx
            .refuse(
                acteur
                    .event("refus", "document", did)
                    .purpose(canal.purpose("secret partagé")),
            )
            .await);
    }
    tx.commit(
        acteur
            .event("lecture", "document", did)
            .purpose(canal.purpose("téléchargement d'un document"))
            .details(serde_json::json!({ "dossier": id })),
    )
    .await?;
    Ok((doc, bytes))
}
