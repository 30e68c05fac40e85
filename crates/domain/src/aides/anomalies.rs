//! The anomalies that hold a payment order before it is paid (payment-fraud audits of départements
//! ask for them): one function over a batch of orders and what the base knows around them, so that
//! a month's batch is checked at once with a few indexed reads and hash lookups, not a query per
//! order. Each held order carries the rules that held it; a cadre releases or cancels it.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Centimes, ModePaiement};

/// A rule that holds an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regle {
    /// The same IBAN receives transfers « to the person » for households that are not the same.
    IbanPartage,
    /// The household was already paid (or is about to be) for the same need within the fund's period.
    DejaPaye,
    /// The amount passes the fund's cap per request.
    AuDessusDuPlafond,
    /// The dossier is closed, or its person was merged into another file.
    DossierCloturOuFusionne,
    /// The person is recorded as deceased.
    PersonneDecedee,
    /// The request was decided by the agent who instructed it (no second pair of eyes).
    AutoValidation,
    /// The card to load is blocked, or not an active card of the register.
    CarteInactive,
}

impl Regle {
    pub const ALL: [Regle; 7] = [
        Regle::IbanPartage,
        Regle::DejaPaye,
        Regle::AuDessusDuPlafond,
        Regle::DossierCloturOuFusionne,
        Regle::PersonneDecedee,
        Regle::AutoValidation,
        Regle::CarteInactive,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Regle::IbanPartage => "iban_partage",
            Regle::DejaPaye => "deja_paye",
            Regle::AuDessusDuPlafond => "au_dessus_du_plafond",
            Regle::DossierCloturOuFusionne => "dossier_clos_ou_fusionne",
            Regle::PersonneDecedee => "personne_decedee",
            Regle::AutoValidation => "auto_validation",
            Regle::CarteInactive => "carte_inactive",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == s)
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Regle::IbanPartage => "Même IBAN pour des foyers différents",
            Regle::DejaPaye => "Déjà payé pour le même besoin dans la période",
            Regle::AuDessusDuPlafond => "Montant au-dessus du plafond du fonds",
            Regle::DossierCloturOuFusionne => "Dossier clos ou personne fusionnée",
            Regle::PersonneDecedee => "Personne enregistrée comme décédée",
            Regle::AutoValidation => "Décidée par l'agent qui l'a instruite",
            Regle::CarteInactive => "Carte de paiement bloquée ou hors du registre",
        }
    }
}

/// An order of the batch with what the rules need.
#[derive(Debug, Clone)]
pub struct AControler {
    pub id: i64,
    /// The household the aid is for (`f<id>` for a foyer, `p<id>` for a person without one).
    pub foyer: String,
    pub mode: ModePaiement,
    pub iban: Option<String>,
    pub fonds: String,
    pub besoin: String,
    pub montant: Centimes,
    pub plafond_demande: Centimes,
    pub periode_doublon_jours: u32,
    /// The day the aid was decided.
    pub jour: NaiveDate,
    pub dossier_clos: bool,
    pub personne_fusionnee: bool,
    pub personne_decedee: bool,
    pub instruit_par: Option<i64>,
    pub decide_par: Option<i64>,
    /// Decided in a commission sitting (collegial: never a self-approval).
    pub en_commission: bool,
    /// For a load: whether the card is an active card of the register (always true otherwise).
    pub carte_active: bool,
}

/// An order already in the base (not cancelled), outside the batch.
#[derive(Debug, Clone)]
pub struct Anterieur {
    pub id: i64,
    pub foyer: String,
    pub fonds: String,
    pub besoin: String,
    pub jour: NaiveDate,
}

/// An IBAN already paid « to the person », and for which household.
#[derive(Debug, Clone)]
pub struct IbanConnu {
    pub iban: String,
    pub foyer: String,
}

/// Household, fund and need: what a repeated payment is counted on.
type Cle<'a> = (&'a str, &'a str, &'a str);

/// The rules that hold each order of the batch (orders with none are absent).
pub fn controler(
    lot: &[AControler],
    anterieurs: &[Anterieur],
    ibans: &[IbanConnu],
) -> HashMap<i64, Vec<Regle>> {
    let mut out: HashMap<i64, Vec<Regle>> = HashMap::new();
    let mut hold = |id: i64, r: Regle| {
        let v = out.entry(id).or_default();
        if !v.contains(&r) {
            v.push(r);
        }
    };

    // Households per IBAN paid to a person, the batch's own included.
    let mut foyers_par_iban: HashMap<&str, HashSet<&str>> = HashMap::new();
    for i in ibans {
        foyers_par_iban
            .entry(i.iban.as_str())
            .or_default()
            .insert(i.foyer.as_str());
    }
    for o in lot {
        if let (ModePaiement::VirementPersonne, Some(iban)) = (o.mode, &o.iban) {
            foyers_par_iban
                .entry(iban.as_str())
                .or_default()
                .insert(o.foyer.as_str());
        }
    }

    // Earlier payments per household, fund and need, the batch's own included (an earlier order of
    // the batch holds a later one).
    let mut dates: HashMap<Cle<'_>, Vec<(NaiveDate, i64)>> = HashMap::new();
    for a in anterieurs {
        dates
            .entry((a.foyer.as_str(), a.fonds.as_str(), a.besoin.as_str()))
            .or_default()
            .push((a.jour, a.id));
    }
    for o in lot {
        dates
            .entry((o.foyer.as_str(), o.fonds.as_str(), o.besoin.as_str()))
            .or_default()
            .push((o.jour, o.id));
    }

    for o in lot {
        if let (ModePaiement::VirementPersonne, Some(iban)) = (o.mode, &o.iban) {
            if foyers_par_iban
                .get(iban.as_str())
                .is_some_and(|f| f.len() > 1)
            {
                hold(o.id, Regle::IbanPartage);
            }
        }
        if let Some(v) = dates.get(&(o.foyer.as_str(), o.fonds.as_str(), o.besoin.as_str())) {
            let debut = o.jour - chrono::Days::new(u64::from(o.periode_doublon_jours));
            if v.iter().any(|(j, id)| {
                *id != o.id && *j >= debut && (*j < o.jour || (*j == o.jour && *id < o.id))
            }) {
                hold(o.id, Regle::DejaPaye);
            }
        }
        if o.montant > o.plafond_demande {
            hold(o.id, Regle::AuDessusDuPlafond);
        }
        if o.dossier_clos || o.personne_fusionnee {
            hold(o.id, Regle::DossierCloturOuFusionne);
        }
        if o.personne_decedee {
            hold(o.id, Regle::PersonneDecedee);
        }
        if !o.en_commission && o.instruit_par.is_some() && o.instruit_par == o.decide_par {
            hold(o.id, Regle::AutoValidation);
        }
        if o.mode == ModePaiement::Carte && !o.carte_active {
            hold(o.id, Regle::CarteInactive);
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}
