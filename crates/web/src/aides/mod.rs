//! Financial aids in the web: the household budget and the request in the dossier, the request's
//! page with its decision and the outcome of its recourse, the commissions, the payment orders held
//! for review, the register of prepaid cards, the catalogue and the envelopes, the figures, and the
//! `/api/v1` operations. This file holds what they share.

pub mod api;
pub mod cartes;
pub mod gestion;
pub mod modele;
pub mod pages;
pub(crate) mod routes;

use parcours_domain::aides::Centimes;
use parcours_store::aides::{Demande, Ordre};
use serde::Serialize;
use utoipa::ToSchema;

fn today() -> chrono::NaiveDate {
    parcours_store::clock().today()
}

/// « 07/12/2026 »: the dossier's date format, a timestamp read in the département's zone.
pub(crate) use crate::dossiers::fr as date_fr;

/// « 7 décembre 2026 », « 1er mars 2027 »: the date of a letter.
pub(crate) fn date_longue(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let jour = if d.day() == 1 {
        "1er".to_string()
    } else {
        d.day().to_string()
    };
    format!(
        "{jour} {} {}",
        parcours_domain::agenda::heure::mois_nom(d.month()),
        d.year()
    )
}

/// A request as the API gives it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemandeVue {
    pub id: i64,
    pub dossier_id: i64,
    pub fonds: String,
    pub fonds_libelle: String,
    pub besoin: String,
    /// In euro cents.
    pub montant_demande: i64,
    /// `carte`, `virement_personne` or `virement_tiers`.
    pub mode: String,
    pub beneficiaire: String,
    /// `instruction`, `commission`, `accordee`, `refusee`, `ajournee`, `annulee`.
    pub statut: String,
    /// Who decides it by its amount: `travailleur_social`, `cadre` or `commission`.
    pub niveau: String,
    pub demandee_le: String,
    pub pieces: Vec<String>,
    pub pieces_manquantes: Vec<String>,
    pub sens: Option<String>,
    pub montant_accorde: Option<i64>,
    pub motivation: Option<String>,
    /// The reason an approval passed the envelope.
    pub depassement_enveloppe: Option<String>,
    pub decide_le: Option<String>,
    pub commission_id: Option<i64>,
    /// The card loaded, for `carte`.
    pub carte: Option<String>,
    pub recours_le: Option<String>,
    /// `maintenue` or `reformee`, once the recourse is judged.
    pub recours_issue: Option<String>,
    /// The decision a reformation replaced (`refus`, `accord_partiel`) and its amount.
    pub sens_initial: Option<String>,
    pub montant_initial: Option<i64>,
    /// The eviction procedure the request answers.
    pub procedure_id: Option<i64>,
    pub ordres: Vec<OrdreVue>,
}

/// A payment order as the API gives it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrdreVue {
    pub id: i64,
    pub demande_id: i64,
    /// The idempotency key sent to the provider.
    pub cle: String,
    pub mode: String,
    pub montant: i64,
    pub beneficiaire: String,
    /// `a_verifier`, `retenu`, `pret`, `paye`, `rejete`, `annule`.
    pub statut: String,
    /// Codes of the anomaly rules that held it.
    pub anomalies: Vec<String>,
    pub tentatives: i64,
    pub derniere_erreur: Option<String>,
    pub reference: Option<String>,
    pub paye_le: Option<String>,
}

pub(crate) fn ordre_vue(o: &Ordre) -> OrdreVue {
    OrdreVue {
        id: o.id,
        demande_id: o.demande_id,
        cle: o.cle.clone(),
        mode: o.mode.code().into(),
        montant: o.montant.0,
        beneficiaire: o.beneficiaire.clone(),
        statut: o.statut.code().into(),
        anomalies: o.anomalies.iter().map(|r| r.code().to_string()).collect(),
        tentatives: o.tentatives,
        derniere_erreur: o.derniere_erreur.clone(),
        reference: o.reference.clone(),
        paye_le: o.paye_le.clone(),
    }
}

pub(crate) fn demande_vue(d: &Demande, manquantes: Vec<String>, ordres: &[Ordre]) -> DemandeVue {
    DemandeVue {
        id: d.id,
        dossier_id: d.dossier_id,
        fonds: d.fonds_code.clone(),
        fonds_libelle: d.fonds.clone(),
        besoin: d.besoin.clone(),
        montant_demande: d.montant_demande.0,
        mode: d.mode.code().into(),
        beneficiaire: d.beneficiaire.clone(),
        statut: d.statut.code().into(),
        niveau: d.niveau.code().into(),
        demandee_le: d.demandee_le.clone(),
        pieces: d.pieces.clone(),
        pieces_manquantes: manquantes,
        sens: d.sens.map(|s| s.code().to_string()),
        montant_accorde: d.montant_accorde.map(|c| c.0),
        motivation: d.motivation.clone(),
        depassement_enveloppe: d.depassement.clone(),
        decide_le: d.decide_le.clone(),
        commission_id: d.commission_id,
        carte: d.carte.clone(),
        recours_le: d.recours_le.clone(),
        recours_issue: d.recours_issue.clone(),
        sens_initial: d.sens_initial.map(|s| s.code().to_string()),
        montant_initial: d.montant_initial.map(|c| c.0),
        procedure_id: d.procedure_id,
        ordres: ordres.iter().map(ordre_vue).collect(),
    }
}

/// An amount for a page.
pub(crate) fn eur(c: Centimes) -> String {
    c.fr()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_letter_is_dated_the_french_way() {
        let d = |y, m, j| chrono::NaiveDate::from_ymd_opt(y, m, j).unwrap();
        assert_eq!(super::date_longue(d(2026, 12, 7)), "7 décembre 2026");
        assert_eq!(super::date_longue(d(2027, 3, 1)), "1er mars 2027");
    }
}
