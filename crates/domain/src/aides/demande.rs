//! The request for an aid and its decision, checked before anything is written: the fund's rules of
//! the day (needs, caps per request and per year, age, documents, income scale), a duplicate open
//! request for the same need, who may decide which amount (delegations), the motivation of a refusal
//! (CRPA L211-2) and the envelope that no approval may pass without a recorded override.

use serde::{Deserialize, Serialize};

use super::budget::Calcul;
use super::carte::CarteChoix;
use super::catalogue::{Niveau, ReglesFonds};
use super::{iban_normalise, Centimes, ModePaiement, Sens};
use crate::FieldErrors;

/// What the request form sends.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct DemandeForm {
    pub fonds: String,
    pub besoin: String,
    pub montant: String,
    pub mode: String,
    /// The payee when it is not the person (landlord, supplier).
    #[serde(default)]
    pub tiers: String,
    #[serde(default)]
    pub iban: String,
    /// The reference of a card of the register (the person's, or a foster carer's when the fund
    /// allows it), for a load on the prepaid card.
    #[serde(default)]
    pub carte: String,
    /// The need in the social worker's words.
    #[serde(default)]
    pub motif: String,
    /// Codes of the documents provided.
    #[serde(default)]
    pub pieces: Vec<String>,
}

/// What is known of the household when a request is made or decided.
#[derive(Debug, Clone, Default)]
pub struct Situation {
    /// Age of the person the dossier is about, on the day.
    pub age: Option<u32>,
    /// The household's latest budget.
    pub budget: Option<Calcul>,
    /// Granted to the household by this fund in the calendar year (requests already accorded).
    pub accorde_annee: Centimes,
    /// An open request of the household for the same fund and need.
    pub demande_ouverte: Option<i64>,
    /// The person's name, the payee of a transfer to the person.
    pub nom_personne: String,
    /// The active cards the request may be paid on.
    pub cartes: Vec<CarteChoix>,
}

/// A checked request, ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demande {
    pub besoin: String,
    pub montant: Centimes,
    pub mode: ModePaiement,
    pub beneficiaire: String,
    pub iban: Option<String>,
    pub carte: Option<String>,
    pub motif: String,
    pub pieces: Vec<String>,
    /// Who will decide it, by its amount.
    pub niveau: Niveau,
}

/// The documents the rules require that the request lacks, by label.
pub fn pieces_manquantes(regles: &ReglesFonds, fournies: &[String]) -> Vec<String> {
    regles
        .pieces
        .iter()
        .filter(|p| !fournies.iter().any(|f| f == &p.code))
        .map(|p| p.libelle.clone())
        .collect()
}

/// Whether the household's budget meets the fund's income scale; `Err` says why not, `Ok(None)` that
/// the fund has no scale.
pub fn eligibilite(
    regles: &ReglesFonds,
    budget: Option<&Calcul>,
) -> Result<Option<String>, String> {
    if regles.ressources_max_uc.is_none() && regles.reste_a_vivre_max_jour_uc.is_none() {
        return Ok(None);
    }
    let Some(b) = budget else {
        return Err(
            "Le budget du foyer n'est pas établi : le barème du fonds ne peut pas être vérifié."
                .into(),
        );
    };
    if let Some(max) = regles.ressources_max_uc {
        if b.ressources_uc > max {
            return Err(format!(
                "Ressources par unité de consommation de {} au-dessus du barème du fonds ({}).",
                b.ressources_uc.fr(),
                max.fr()
            ));
        }
    }
    if let Some(max) = regles.reste_a_vivre_max_jour_uc {
        if b.reste_a_vivre_jour_uc > max {
            return Err(format!(
                "Reste à vivre de {} par jour et par unité de consommation, au-dessus du barème du fonds ({}).",
                b.reste_a_vivre_jour_uc.fr(),
                max.fr()
            ));
        }
    }
    Ok(Some("Dans le barème du fonds.".into()))
}

/// Checks a new request against the fund's rules and the household's situation.
pub fn verifier(
    regles: &ReglesFonds,
    f: &DemandeForm,
    s: &Situation,
) -> Result<Demande, crate::Invalid> {
    let mut e = FieldErrors::new();
    if regles.besoin(&f.besoin).is_none() {
        e.add(
            "besoin",
            "Choisissez le besoin parmi ceux que le fonds couvre.",
        );
    } else if let Some(id) = s.demande_ouverte {
        e.add(
            "besoin",
            format!("Une demande de ce foyer pour le même besoin est déjà en cours (demande n° {id}) : complétez-la plutôt que d'en créer une seconde."),
        );
    }
    let montant = match Centimes::parse(&f.montant) {
        Ok(m) if m.0 == 0 => {
            e.add("montant", "Le montant demandé doit être positif.");
            Centimes(0)
        }
        Ok(m) => {
            if m > regles.plafond_demande {
                e.add(
                    "montant",
                    format!(
                        "Le montant dépasse le plafond du fonds par demande ({}).",
                        regles.plafond_demande.fr()
                    ),
                );
            } else if s.accorde_annee + m > regles.plafond_annuel {
                e.add(
                    "montant",
                    format!(
                        "Avec les {} déjà accordés cette année, le montant dépasse le plafond annuel du fonds ({}) ; il reste {}.",
                        s.accorde_annee.fr(),
                        regles.plafond_annuel.fr(),
                        (regles.plafond_annuel - s.accorde_annee).max(Centimes(0)).fr()
                    ),
                );
            }
            m
        }
        Err(m) => {
            e.add("montant", m);
            Centimes(0)
        }
    };
    if let Some(min) = regles.age_min {
        if s.age.is_none_or(|a| a < min) {
            e.add("fonds", format!("Ce fonds est réservé aux personnes de {min} ans ou plus (date de naissance à renseigner sur la fiche si elle manque)."));
        }
    }
    if let Some(max) = regles.age_max {
        if s.age.is_some_and(|a| a > max) {
            e.add(
                "fonds",
                format!("Ce fonds est réservé aux personnes de {max} ans au plus."),
            );
        }
    }
    if regles.budget_requis && s.budget.is_none() {
        e.add(
            "fonds",
            "Établissez d'abord le budget du foyer : ce fonds l'exige pour instruire.",
        );
    }
    let mode = match ModePaiement::parse(&f.mode) {
        Some(m) if regles.modes.contains(&m) => Some(m),
        Some(_) => {
            e.add("mode", "Ce fonds ne se paie pas de cette façon.");
            None
        }
        None => {
            e.add("mode", "Choisissez le mode de paiement.");
            None
        }
    };
    let mut iban = None;
    let mut carte = None;
    let mut beneficiaire = s.nom_personne.clone();
    match mode {
        Some(ModePaiement::VirementPersonne) | Some(ModePaiement::VirementTiers) => {
            match iban_normalise(&f.iban) {
                Ok(i) => iban = Some(i),
                Err(m) if f.iban.trim().is_empty() => {
                    let _ = m;
                    e.add("iban", "Indiquez l'IBAN du bénéficiaire du virement.");
                }
                Err(m) => e.add("iban", m),
            }
            if mode == Some(ModePaiement::VirementTiers) {
                let t = f.tiers.trim();
                if t.is_empty() {
                    e.add("tiers", "Indiquez le tiers payé (bailleur, fournisseur).");
                } else if t.chars().count() > 120 {
                    e.add("tiers", "120 caractères au plus.");
                } else {
                    beneficiaire = t.to_string();
                }
            }
        }
        Some(ModePaiement::Carte) => {
            let c = f.carte.trim();
            match s.cartes.iter().find(|x| x.reference == c) {
                Some(x) => {
                    carte = Some(x.reference.clone());
                    beneficiaire = x.titulaire.clone();
                }
                None if s.cartes.is_empty() => e.add(
                    "carte",
                    "Aucune carte de paiement active ne peut recevoir cette aide : demandez l'émission d'une carte à votre cadre (registre des cartes), ou choisissez un virement.",
                ),
                None if c.is_empty() => e.add("carte", "Choisissez la carte à charger."),
                None => e.add(
                    "carte",
                    "Cette carte n'est pas une carte active que cette aide peut charger : choisissez-en une dans la liste.",
                ),
            }
        }
        None => {}
    }
    let motif = f.motif.trim().to_string();
    if motif.chars().count() > 2000 {
        e.add("motif", "2 000 caractères au plus.");
    }
    let pieces: Vec<String> = f
        .pieces
        .iter()
        .filter(|p| regles.pieces.iter().any(|r| &r.code == *p))
        .cloned()
        .collect();
    e.into_result()?;
    Ok(Demande {
        besoin: f.besoin.clone(),
        montant,
        mode: mode.unwrap_or(ModePaiement::Carte),
        beneficiaire,
        iban,
        carte,
        motif,
        pieces,
        niveau: regles.niveau_requis(montant),
    })
}

/// What the decision form sends.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct DecisionForm {
    pub sens: String,
    /// The amount granted (accord: the amount asked when empty).
    #[serde(default)]
    pub montant: String,
    #[serde(default)]
    pub motivation: String,
    /// Why an approval passes the envelope (cadre or commission only).
    #[serde(default)]
    pub depassement: String,
}

/// The request as it stands, for its decision.
#[derive(Debug, Clone)]
pub struct EnCours {
    pub montant_demande: Centimes,
    pub pieces: Vec<String>,
    pub en_cours: bool,
}

/// The decision's context: who decides, and the envelope.
#[derive(Debug, Clone)]
pub struct Decideur {
    /// The level the decider holds: a social worker, a cadre, or a commission sitting.
    pub niveau: Niveau,
    /// What remains in the envelope of the fund, MDS and year; `None` when none was allocated.
    pub reste_enveloppe: Option<Centimes>,
}

/// A checked decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub sens: Sens,
    /// Granted (zero unless accorded).
    pub montant: Centimes,
    pub motivation: String,
    /// Set when an approval passes the envelope: the reason, shown with the decision.
    pub depassement: Option<String>,
}

/// Checks a decision: the level against the delegations, the caps, the documents and the income
/// scale for an approval, the motivation of a refusal, the envelope.
pub fn decider(
    regles: &ReglesFonds,
    d: &EnCours,
    s: &Situation,
    qui: &Decideur,
    f: &DecisionForm,
) -> Result<Decision, crate::Invalid> {
    let mut e = FieldErrors::new();
    if !d.en_cours {
        e.add(
            "sens",
            "Cette demande est déjà décidée ou annulée : rien n'a été modifié.",
        );
        return Err(crate::Invalid(e));
    }
    let Some(sens) = Sens::parse(&f.sens) else {
        e.add("sens", "Choisissez le sens de la décision.");
        return Err(crate::Invalid(e));
    };
    let motivation = f.motivation.trim().to_string();
    let montant = if sens.accorde() {
        let m = if f.montant.trim().is_empty() && sens == Sens::Accord {
            Ok(d.montant_demande)
        } else {
            Centimes::parse(&f.montant)
        };
        match m {
            Ok(m) if m.0 == 0 => {
                e.add("montant", "Le montant accordé doit être positif.");
                m
            }
            Ok(m) => {
                if sens == Sens::Accord && m != d.montant_demande {
                    e.add("montant", "Un accord porte sur le montant demandé ; choisissez « Accord partiel » pour un montant moindre.");
                } else if sens == Sens::AccordPartiel && m >= d.montant_demande {
                    e.add(
                        "montant",
                        format!(
                            "Un accord partiel est inférieur au montant demandé ({}).",
                            d.montant_demande.fr()
                        ),
                    );
                } else if m > regles.plafond_demande {
                    e.add(
                        "montant",
                        format!(
                            "Le montant dépasse le plafond du fonds par demande ({}).",
                            regles.plafond_demande.fr()
                        ),
                    );
                } else if s.accorde_annee + m > regles.plafond_annuel {
                    e.add(
                        "montant",
                        format!(
                            "Avec les {} déjà accordés cette année, le plafond annuel du fonds ({}) serait dépassé.",
                            s.accorde_annee.fr(),
                            regles.plafond_annuel.fr()
                        ),
                    );
                }
                m
            }
            Err(m) => {
                e.add("montant", m);
                Centimes(0)
            }
        }
    } else {
        Centimes(0)
    };
    // A refusal binds the département as much as an approval: the same delegation decides both.
    let requis = regles.niveau_requis(if sens.accorde() {
        montant
    } else {
        d.montant_demande
    });
    if qui.niveau < requis {
        e.add(
            "sens",
            format!("Cette décision revient {} : votre délégation ne couvre pas ce montant pour ce fonds.", requis.a_qui()),
        );
    }
    let mut depassement = None;
    match sens {
        Sens::Accord | Sens::AccordPartiel => {
            let manquantes = pieces_manquantes(regles, &d.pieces);
            if !manquantes.is_empty() {
                e.add(
                    "sens",
                    format!(
                        "Pièces manquantes : {}. Ajournez la demande ou complétez-la.",
                        manquantes.join(", ")
                    ),
                );
            }
            if let Err(m) = eligibilite(regles, s.budget.as_ref()) {
                e.add("sens", m);
            }
            match qui.reste_enveloppe {
                None => e.add("sens", "Aucune enveloppe n'est ouverte pour ce fonds, cette MDS et cette année : aucun accord n'est possible."),
                Some(reste) if montant > reste => {
                    let t = f.depassement.trim();
                    if qui.niveau == Niveau::TravailleurSocial {
                        e.add("depassement", format!("L'enveloppe n'a plus que {} : seul un cadre ou la commission peut la dépasser.", reste.max(Centimes(0)).fr()));
                    } else if t.is_empty() {
                        e.add("depassement", format!("L'enveloppe n'a plus que {} : motivez le dépassement pour accorder.", reste.max(Centimes(0)).fr()));
                    } else {
                        depassement = Some(t.to_string());
                    }
                }
                Some(_) => {}
            }
        }
        Sens::Refus => {
            if motivation.is_empty() {
                e.add(
                    "motivation",
                    "Un refus est motivé : indiquez les raisons de droit et de fait (CRPA L211-2).",
                );
            }
        }
        Sens::Ajournement => {
            if motivation.is_empty() && pieces_manquantes(regles, &d.pieces).is_empty() {
                e.add("motivation", "Indiquez ce qui manque pour décider.");
            }
        }
    }
    if motivation.chars().count() > 4000 {
        e.add("motivation", "4 000 caractères au plus.");
    }
    e.into_result()?;
    Ok(Decision {
        sens,
        montant,
        motivation,
        depassement,
    })
}

/// What the form of a recourse's outcome sends.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct IssueRecoursForm {
    /// `maintenue` (the decision stands) or `reformee` (a larger approval replaces it).
    pub issue: String,
    /// For a reformation: the total now granted (at most the amount asked).
    #[serde(default)]
    pub montant: String,
    /// The motivation of the decision on the recourse (CRPA L211-2).
    #[serde(default)]
    pub motivation: String,
    /// Why the supplement passes the envelope.
    #[serde(default)]
    pub depassement: String,
}

/// The request as it stands, for the outcome of its recourse.
#[derive(Debug, Clone)]
pub struct EnRecours {
    pub sens: Option<Sens>,
    pub montant_demande: Centimes,
    /// Granted by the decision under recourse (zero for a refusal).
    pub montant_accorde: Centimes,
    pub pieces: Vec<String>,
    /// A recourse is recorded…
    pub recours_forme: bool,
    /// …and not judged yet.
    pub deja_juge: bool,
}

/// A checked outcome: the motivation, and for a reformation the new decision (its amount the new
/// total granted; the supplement is that less what was granted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueJugee {
    pub motivation: String,
    pub reformation: Option<Decision>,
}

/// Checks the outcome of a recourse. A reformation is judged as a decision would be (delegation for
/// the new total, caps, documents, scale), the envelope against the supplement only; a recourse is
/// decided by a cadre or the commission, never by a social worker alone.
pub fn juger_recours(
    regles: &ReglesFonds,
    r: &EnRecours,
    s: &Situation,
    qui: &Decideur,
    f: &IssueRecoursForm,
) -> Result<IssueJugee, crate::Invalid> {
    let mut e = FieldErrors::new();
    if !r.recours_forme {
        e.add(
            "issue",
            "Aucun recours n'est enregistré contre cette décision.",
        );
        return Err(crate::Invalid(e));
    }
    if r.deja_juge {
        e.add(
            "issue",
            "L'issue de ce recours est déjà enregistrée : rien n'a été modifié.",
        );
        return Err(crate::Invalid(e));
    }
    if qui.niveau < Niveau::Cadre {
        e.add(
            "issue",
            "L'issue d'un recours est décidée par un cadre ou par la commission.",
        );
        return Err(crate::Invalid(e));
    }
    let motivation = f.motivation.trim().to_string();
    if motivation.is_empty() {
        e.add(
            "motivation",
            "Motivez la décision prise sur le recours : les raisons de droit et de fait (CRPA L211-2).",
        );
    } else if motivation.chars().count() > 4000 {
        e.add("motivation", "4 000 caractères au plus.");
    }
    match f.issue.as_str() {
        "maintenue" => {
            e.into_result()?;
            Ok(IssueJugee {
                motivation,
                reformation: None,
            })
        }
        "reformee" => {
            if !matches!(r.sens, Some(Sens::Refus) | Some(Sens::AccordPartiel)) {
                e.add(
                    "issue",
                    "Seul un refus ou un accord partiel peut être réformé en un accord plus large.",
                );
                return Err(crate::Invalid(e));
            }
            let montant = match Centimes::parse(&f.montant) {
                Ok(m) if m <= r.montant_accorde => {
                    e.add(
                        "montant",
                        format!(
                            "Une réformation accorde plus que la décision contestée ({}).",
                            r.montant_accorde.fr()
                        ),
                    );
                    return Err(crate::Invalid(e));
                }
                Ok(m) if m > r.montant_demande => {
                    e.add(
                        "montant",
                        format!(
                            "Le montant accordé ne dépasse pas le montant demandé ({}).",
                            r.montant_demande.fr()
                        ),
                    );
                    return Err(crate::Invalid(e));
                }
                Ok(m) => m,
                Err(m) => {
                    e.add("montant", m);
                    return Err(crate::Invalid(e));
                }
            };
            // The envelope is charged with the supplement only: what was granted is committed.
            let qui = Decideur {
                niveau: qui.niveau,
                reste_enveloppe: qui.reste_enveloppe.map(|x| x + r.montant_accorde),
            };
            let form = DecisionForm {
                sens: if montant == r.montant_demande {
                    "accord"
                } else {
                    "accord_partiel"
                }
                .into(),
                montant: f.montant.clone(),
                motivation: motivation.clone(),
                depassement: f.depassement.clone(),
            };
            let decision = decider(
                regles,
                &EnCours {
                    montant_demande: r.montant_demande,
                    pieces: r.pieces.clone(),
                    en_cours: true,
                },
                s,
                &qui,
                &form,
            );
            match decision {
                Ok(d) => {
                    e.into_result()?;
                    Ok(IssueJugee {
                        motivation,
                        reformation: Some(d),
                    })
                }
                Err(crate::Invalid(v)) => {
                    for (k, m) in v.0 {
                        let k = if k == "sens" { "issue".to_string() } else { k };
                        if e.get(&k).is_none() {
                            e.add(&k, m);
                        }
                    }
                    Err(crate::Invalid(e))
                }
            }
        }
        _ => {
            e.add(
                "issue",
                "Choisissez l'issue du recours : décision maintenue ou réformée.",
            );
            Err(crate::Invalid(e))
        }
    }
}
