//! Procedures (RSA, MASP, prévention des expulsions) and the échéancier: the procedure page in the
//! dossier, the list of due dates of a social worker or an MDS, the late counts by secteur, and the
//! `/api/v1` operations. This file holds the views both share.

pub mod api;
pub mod pages;
pub(crate) mod routes;

use chrono::NaiveDate;
use parcours_domain::echeancier::suivi::{niveau, Etat, Niveau};
use parcours_domain::echeancier::{regle, Moment};
use parcours_domain::procedures::{EcheanceEnregistree, TypeProcedure};
use parcours_store::procedures::EtapeEnregistree;
use serde::Serialize;
use utoipa::ToSchema;

/// A timer as pages and the API show it: the rule, what the law attaches to it, its source.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EcheanceVue {
    pub id: i64,
    /// Rule id of reference §10 (`RSA_ORIENT`…).
    pub regle: String,
    pub effet: String,
    pub delai: String,
    pub source: String,
    /// C, P or U as the reference states it; anything but C is to be checked by the legal department.
    pub statut_juridique: String,
    /// `AAAA-MM-JJ`, or `AAAA-MM-JJTHH:MM` for the hour timers.
    pub debut: String,
    pub echeance: String,
    /// `ouverte`, `honoree` or `levee`.
    pub etat: String,
    /// `a_venir`, `proche`, `echue`, `en_retard` (open timers only).
    pub niveau: Option<String>,
    /// Whether another extension is provided by the rule.
    pub prolongeable: bool,
    #[serde(skip)]
    pub niveau_libelle: String,
    #[serde(skip)]
    pub echeance_fr: String,
    #[serde(skip)]
    pub debut_fr: String,
    #[serde(skip)]
    pub etat_libelle: String,
    #[serde(skip)]
    pub implicite: Option<&'static str>,
}

pub fn echeance_vue(e: &EcheanceEnregistree, aujourdhui: NaiveDate, preavis: u32) -> EcheanceVue {
    let r = regle(&e.regle);
    let n = (e.etat == Etat::Ouverte).then(|| niveau(e.echeance.jour(), aujourdhui, preavis));
    EcheanceVue {
        id: e.id,
        regle: e.regle.clone(),
        effet: r.map(|r| r.effet.clone()).unwrap_or_default(),
        delai: r.map(|r| r.delai()).unwrap_or_default(),
        source: r.map(|r| r.source.clone()).unwrap_or_default(),
        statut_juridique: r.map(|r| r.statut.clone()).unwrap_or_default(),
        debut: e.debut.iso(),
        echeance: e.echeance.iso(),
        etat: e.etat.code().into(),
        niveau: n.map(|n| n.code().to_string()),
        prolongeable: e.etat == Etat::Ouverte
            && r.is_some_and(|r| (e.prolongations as usize) < r.prolongations.len()),
        niveau_libelle: n.map(Niveau::libelle).unwrap_or("").into(),
        echeance_fr: e.echeance.fr(),
        debut_fr: e.debut.fr(),
        etat_libelle: e.etat.libelle().into(),
        implicite: r.and_then(|r| r.implicite).map(|i| match i {
            parcours_domain::echeancier::Implicite::Acceptation => "silence vaut acceptation",
            parcours_domain::echeancier::Implicite::Rejet => "silence vaut rejet",
        }),
    }
}

/// A recorded step as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EtapeVue {
    pub date: String,
    pub etape: String,
    pub libelle: String,
    /// The step's fields, labelled (« Parcours d'orientation : Social »).
    pub details: Vec<String>,
    pub commentaire: String,
    pub auteur: Option<String>,
}

pub fn etape_vue(t: TypeProcedure, e: &EtapeEnregistree) -> EtapeVue {
    use parcours_domain::procedures::Champ;
    let def = t.etape(&e.etape);
    let mut details = Vec::new();
    if let Some(def) = def {
        for c in def.champs {
            let Some(v) = e.valeurs.get(c.nom()) else {
                continue;
            };
            let shown = match c {
                Champ::Choix { options, .. } => options
                    .iter()
                    .find(|(k, _)| k == v)
                    .map(|(_, l)| l.to_string())
                    .unwrap_or_else(|| v.clone()),
                Champ::Regle { options, .. } => options
                    .iter()
                    .find(|(k, _, _)| k == v)
                    .map(|(_, l, _)| l.to_string())
                    .unwrap_or_else(|| v.clone()),
                Champ::DateAVenir { .. } => Moment::parse(v)
                    .map(Moment::fr)
                    .unwrap_or_else(|| v.clone()),
                _ => v.clone(),
            };
            details.push(format!("{} : {shown}", c.libelle()));
        }
    }
    EtapeVue {
        date: Moment::parse(&e.date)
            .map(Moment::fr)
            .unwrap_or_else(|| e.date.clone()),
        etape: e.etape.clone(),
        libelle: def.map(|d| d.libelle).unwrap_or(&e.etape).to_string(),
        details,
        commentaire: e.commentaire.clone(),
        auteur: e.auteur_nom.clone(),
    }
}
