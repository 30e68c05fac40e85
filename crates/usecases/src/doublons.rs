//! Merging a pair of duplicate files (one function for the page and the API): the cadre keeps one
//! of the two, both must be within their scope (a refusal is audited), and the merge is recorded so
//! that it can be undone.

use parcours_domain::dossiers::secret::Portee;
use parcours_domain::Invalid;
use parcours_store::doublons::{self as store, FusionError};
use parcours_store::{personnes, Store};

use crate::personnes::scope_for;
use crate::{Acteur, AuditedTx, Canal, Error, Result};

/// A merge done: the file kept, the one absorbed, and the merge's id (to undo it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fusion {
    pub id: i64,
    pub gardee: i64,
    pub absorbee: i64,
}

/// Merges the pair `paire` of the review queue, keeping `garder` (one of its two files).
pub async fn fusionner(
    store_: &Store,
    acteur: &Acteur,
    paire: i64,
    garder: Option<i64>,
    canal: Canal,
) -> Result<Fusion> {
    let me = acteur.agent()?;
    let dep = acteur.dep();
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let (a, b, _, _) = store::candidat_get(tx.conn(), dep, paire).await?;
    let Some(garder) = garder else {
        return Err(Invalid::field("garder", "Choisissez la fiche à conserver.").into());
    };
    if garder != a && garder != b {
        return Err(
            Invalid::field("garder", "Choisissez l'une des deux fiches de la paire.").into(),
        );
    }
    for p in [a, b] {
        if scope_for(tx.conn(), &acteur.principal, p).await?.portee == Portee::Existence {
            return Err(tx
                .refuse(
                    acteur
                        .event("refus", "personne", p)
                        .purpose(canal.purpose("dédoublonnage")),
                )
                .await);
        }
    }
    let absorbee = if garder == a { b } else { a };
    let (id, moves) = match store::fusionner(tx.conn(), dep, garder, absorbee, me).await {
        Ok(r) => r,
        Err(FusionError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(Error::Conflict(e.to_string())),
    };
    personnes::unindex_noms(tx.conn(), dep, absorbee).await?;
    tx.commit(
        acteur
            .event("fusion", "personne", garder)
            .purpose(canal.purpose("dédoublonnage"))
            .details(
                serde_json::json!({ "absorbee": absorbee, "fusion": id, "mouvements": moves }),
            ),
    )
    .await?;
    Ok(Fusion {
        id,
        gardee: garder,
        absorbee,
    })
}
