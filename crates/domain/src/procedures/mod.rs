//! Procedures (capabilities 6 and 7): RSA, MASP, prévention des expulsions and the information
//! préoccupante at the CRIP, opened in a dossier. Each is a
//! list of steps (`catalogue`) recorded with their date; a step starts or honours legal timers of the
//! échéancier. One decision function checks a step before anything is written: no date in the future,
//! no step before the ones the law puts first (no sanction without the contradictory procedure and
//! the équipe pluridisciplinaire), no duration the law does not allow, nothing premature.

mod catalogue;
pub mod chiffres;
pub mod chiffres_ip;

pub use catalogue::{etapes, MOTIFS_SAISINE, SOURCES_IP, SOURCES_PROFESSIONNELLES};

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::echeancier::{regle, suivi::Etat, Borne, Echeancier, Moment};
use crate::validation::{FieldErrors, Invalid};

/// The kinds of procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TypeProcedure {
    Rsa,
    Masp,
    Expulsion,
    /// An information préoccupante received by the CRIP (reference §1), in the child's dossier.
    Ip,
}

impl TypeProcedure {
    pub const ALL: [TypeProcedure; 4] = [
        TypeProcedure::Rsa,
        TypeProcedure::Masp,
        TypeProcedure::Expulsion,
        TypeProcedure::Ip,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TypeProcedure::Rsa => "rsa",
            TypeProcedure::Masp => "masp",
            TypeProcedure::Expulsion => "expulsion",
            TypeProcedure::Ip => "ip",
        }
    }

    pub fn libelle(self) -> &'static str {
        match self {
            TypeProcedure::Rsa => {
                "RSA : orientation, contrat d'engagement, suspension-remobilisation"
            }
            TypeProcedure::Masp => "MASP : mesure d'accompagnement social personnalisé",
            TypeProcedure::Expulsion => "Prévention des expulsions locatives",
            TypeProcedure::Ip => "Information préoccupante (CRIP) : évaluation, décision, retours",
        }
    }

    pub fn court(self) -> &'static str {
        match self {
            TypeProcedure::Rsa => "RSA",
            TypeProcedure::Masp => "MASP",
            TypeProcedure::Expulsion => "Prévention des expulsions",
            TypeProcedure::Ip => "Information préoccupante",
        }
    }

    pub fn parse(code: &str) -> Option<TypeProcedure> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    pub fn etape(self, code: &str) -> Option<&'static Etape> {
        etapes(self).iter().find(|e| e.code == code)
    }
}

/// A step of a procedure.
#[derive(Debug)]
pub struct Etape {
    pub code: &'static str,
    pub libelle: &'static str,
    /// Steps that must have been recorded, on or before this one's date.
    pub requiert: &'static [&'static str],
    /// Timers started on this step's date.
    pub demarre: &'static [&'static str],
    /// Open timers this step honours.
    pub honore: &'static [&'static str],
    /// The step may not be dated before the due date of these timers (a request for the concours
    /// de la force publique before the 2 months is premature: CE 12 December 2014 n° 363372).
    pub pas_avant: &'static [&'static str],
    pub champs: &'static [Champ],
    /// Recorded once at most.
    pub unique: bool,
    /// Ends the procedure: every open timer is lifted.
    pub fin: bool,
}

/// A field a step asks for.
#[derive(Debug)]
pub enum Champ {
    Choix {
        nom: &'static str,
        libelle: &'static str,
        options: &'static [(&'static str, &'static str)],
    },
    Nombre {
        nom: &'static str,
        libelle: &'static str,
        min: u32,
        max: u32,
    },
    /// A duration the decision sets, within the bounds of the rule, which it starts (field `duree`).
    Duree {
        regle: &'static str,
        libelle: &'static str,
    },
    /// A choice that selects the timer to start (the lease's date picks the delay of the commandement).
    Regle {
        nom: &'static str,
        libelle: &'static str,
        options: &'static [(&'static str, &'static str, &'static str)],
    },
    /// Free text of at most `max` characters, optional unless a rule of the procedure asks for it.
    Texte {
        nom: &'static str,
        libelle: &'static str,
        max: usize,
    },
    /// A date that may be ahead (a hearing) from which a timer counts (backwards).
    DateAVenir {
        nom: &'static str,
        libelle: &'static str,
        regle: &'static str,
    },
}

impl Champ {
    pub fn nom(&self) -> &'static str {
        match self {
            Champ::Choix { nom, .. }
            | Champ::Texte { nom, .. }
            | Champ::Nombre { nom, .. }
            | Champ::Regle { nom, .. }
            | Champ::DateAVenir { nom, .. } => nom,
            Champ::Duree { .. } => "duree",
        }
    }

    pub fn libelle(&self) -> &'static str {
        match self {
            Champ::Choix { libelle, .. }
            | Champ::Texte { libelle, .. }
            | Champ::Nombre { libelle, .. }
            | Champ::Regle { libelle, .. }
            | Champ::DateAVenir { libelle, .. }
            | Champ::Duree { libelle, .. } => libelle,
        }
    }
}

/// A step as typed in the form or sent to the API.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct EtapeForm {
    /// The step's code (`orientation`, `contrat`, `commandement_payer`…).
    #[serde(default)]
    pub etape: String,
    /// `AAAA-MM-JJ`.
    #[serde(default)]
    pub date: String,
    /// The step's fields by name (`parcours`, `duree`, `bail`, `audience`…).
    #[serde(default)]
    pub valeurs: BTreeMap<String, String>,
    #[serde(default)]
    pub commentaire: String,
}

/// A step already recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EtapeFaite {
    pub code: String,
    pub date: NaiveDate,
    pub valeurs: BTreeMap<String, String>,
}

/// A timer registered on the procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EcheanceEnregistree {
    pub id: i64,
    pub regle: String,
    pub debut: Moment,
    pub echeance: Moment,
    pub etat: Etat,
    /// Extensions already granted (« 5 (+5 +5) »).
    pub prolongations: u32,
}

/// A timer to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demarrage {
    pub regle: &'static str,
    pub debut: Moment,
    pub echeance: Moment,
}

/// What recording the step does, decided before anything is written.
#[derive(Debug, Clone)]
pub struct Decision {
    pub etape: &'static str,
    pub date: NaiveDate,
    pub valeurs: BTreeMap<String, String>,
    pub commentaire: String,
    pub demarrer: Vec<Demarrage>,
    /// Ids of the open timers honoured.
    pub honorer: Vec<i64>,
    /// Ids of the open timers lifted (the procedure ends).
    pub lever: Vec<i64>,
    pub fin: bool,
}

const COMMENTAIRE_MAX: usize = 2000;

/// What `decider` knows of the procedure.
#[derive(Debug, Clone, Copy)]
pub struct Contexte<'a> {
    pub type_: TypeProcedure,
    pub faites: &'a [EtapeFaite],
    pub echeances: &'a [EcheanceEnregistree],
    /// The birth date of the dossier's person: the delays of a child under 2 are shorter.
    pub naissance: Option<NaiveDate>,
}

/// Checks the step against the procedure's history and the law; `Err` with a message per field.
pub fn decider(
    ech: &Echeancier,
    ctx: Contexte<'_>,
    form: &EtapeForm,
    aujourdhui: NaiveDate,
) -> Result<Decision, Invalid> {
    let Contexte {
        type_,
        faites,
        echeances,
        naissance,
    } = ctx;
    let mut errors = FieldErrors::default();
    let Some(etape) = type_.etape(form.etape.trim()) else {
        errors.add("etape", "Choisissez une étape de la procédure.");
        return Err(Invalid(errors));
    };
    let date = match NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d") {
        Ok(d) if d > aujourdhui => {
            errors.add(
                "date",
                "La date ne peut pas être dans le futur : enregistrez l'étape quand elle a eu lieu.",
            );
            None
        }
        Ok(d) => Some(d),
        Err(_) if form.date.trim().is_empty() => {
            errors.add("date", "Indiquez la date de l'étape.");
            None
        }
        Err(_) => {
            errors.add("date", "Date invalide (format JJ/MM/AAAA).");
            None
        }
    };
    if form.commentaire.chars().count() > COMMENTAIRE_MAX {
        errors.add(
            "commentaire",
            format!("Le commentaire dépasse {COMMENTAIRE_MAX} caractères."),
        );
    }
    if etape.unique && faites.iter().any(|f| f.code == etape.code) {
        errors.add(
            "etape",
            format!("L'étape « {} » est déjà enregistrée.", etape.libelle),
        );
    }
    for req in etape.requiert {
        let faite = faites
            .iter()
            .any(|f| f.code == *req && date.is_none_or(|d| f.date <= d));
        if !faite {
            let libelle = type_.etape(req).map(|e| e.libelle).unwrap_or(req);
            errors.add(
                "etape",
                format!(
                    "Il faut d'abord enregistrer l'étape « {libelle} » (à cette date ou avant)."
                ),
            );
        }
    }
    let mut valeurs = BTreeMap::new();
    let mut demarrer = Vec::new();
    if let Some(d) = date {
        for id in etape.pas_avant {
            let au_plus_tot = echeances
                .iter()
                .filter(|e| e.regle == *id && e.etat != Etat::Levee)
                .map(|e| e.echeance.jour())
                .max();
            if let (Some(t), Some(r)) = (au_plus_tot, regle(id)) {
                if d < t {
                    errors.add(
                        "date",
                        format!(
                            "Prématuré : pas avant le {} ({} ; {}).",
                            t.format("%d/%m/%Y"),
                            r.delai(),
                            r.source
                        ),
                    );
                }
            }
        }
        for id in etape.demarre {
            match demarrage(ech, id, Moment::Jour(d), naissance) {
                Ok(x) => demarrer.push(x),
                Err(m) => errors.add("etape", m),
            }
        }
    }
    for champ in etape.champs {
        let nom = champ.nom();
        let v = form
            .valeurs
            .get(nom)
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        match champ {
            Champ::Choix { options, .. } => {
                if options.iter().any(|(c, _)| *c == v) {
                    valeurs.insert(nom.to_string(), v);
                } else {
                    errors.add(
                        nom,
                        format!("Choisissez : {}.", champ.libelle().to_lowercase()),
                    );
                }
            }
            Champ::Texte { max, .. } => {
                if v.chars().count() > *max {
                    errors.add(nom, format!("Au plus {max} caractères."));
                } else if !v.is_empty() {
                    valeurs.insert(nom.to_string(), v);
                }
            }
            Champ::Nombre { min, max, .. } => match v.parse::<u32>() {
                Ok(n) if (*min..=*max).contains(&n) => {
                    valeurs.insert(nom.to_string(), n.to_string());
                }
                _ => errors.add(nom, format!("Attendu un nombre entre {min} et {max}.")),
            },
            Champ::Regle { options, .. } => match options.iter().find(|(c, _, _)| *c == v) {
                Some((_, _, id)) => {
                    valeurs.insert(nom.to_string(), v.clone());
                    if let Some(d) = date {
                        match demarrage(ech, id, Moment::Jour(d), naissance) {
                            Ok(x) => demarrer.push(x),
                            Err(m) => errors.add(nom, m),
                        }
                    }
                }
                None => errors.add(
                    nom,
                    format!("Choisissez : {}.", champ.libelle().to_lowercase()),
                ),
            },
            Champ::DateAVenir { regle: id, .. } => {
                match NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
                    Ok(a) if date.is_some_and(|d| a < d) => {
                        errors.add(nom, "Cette date ne peut pas précéder celle de l'étape.")
                    }
                    Ok(a) => {
                        valeurs.insert(nom.to_string(), v.clone());
                        match demarrage(ech, id, Moment::Jour(a), naissance) {
                            Ok(x) => demarrer.push(x),
                            Err(m) => errors.add(nom, m),
                        }
                    }
                    Err(_) => errors.add(
                        nom,
                        format!(
                            "Indiquez la {} (JJ/MM/AAAA).",
                            champ.libelle().to_lowercase()
                        ),
                    ),
                }
            }
            Champ::Duree { regle: id, .. } => {
                let Some(r) = regle(id) else {
                    errors.add(nom, format!("règle {id} inconnue"));
                    continue;
                };
                let Ok(n) = v.parse::<u32>() else {
                    errors.add(
                        nom,
                        format!(
                            "Indiquez la durée en {} ({}).",
                            r.unite.libelle(2),
                            r.delai()
                        ),
                    );
                    continue;
                };
                let Some(d) = date else { continue };
                match ech.echeance_pour_duree(r, Moment::Jour(d), n) {
                    Ok(fin) => {
                        // The cumulative caps of the procedure (MASP and MAJ: 4 years in all).
                        for total in echeances.iter().filter(|e| {
                            e.etat == Etat::Ouverte
                                && e.regle.ends_with("_TOTAL")
                                && regle(&e.regle).is_some_and(|t| t.borne == Borne::Plafond)
                        }) {
                            if fin > total.echeance {
                                let t =
                                    regle(&total.regle).map(|t| t.source.as_str()).unwrap_or("");
                                errors.add(
                                    nom,
                                    format!(
                                        "Le contrat finirait le {}, au-delà de la durée cumulée maximale qui s'achève le {} ({t}).",
                                        fin.fr(),
                                        total.echeance.fr()
                                    ),
                                );
                            }
                        }
                        valeurs.insert(nom.to_string(), n.to_string());
                        demarrer.push(Demarrage {
                            regle: r.id.as_str(),
                            debut: Moment::Jour(d),
                            echeance: fin,
                        });
                    }
                    Err(e) => errors.add(nom, format!("{} ({}).", e.phrase(), r.source)),
                }
            }
        }
    }
    if type_ == TypeProcedure::Ip {
        verifier_ip(etape.code, faites, date, &valeurs, &mut errors);
    }
    if !errors.is_empty() {
        return Err(Invalid(errors));
    }
    let Some(date) = date else {
        return Err(Invalid(errors));
    };
    let ouvertes = echeances.iter().filter(|e| e.etat == Etat::Ouverte);
    let honorer: Vec<i64> = ouvertes
        .clone()
        .filter(|e| etape.honore.contains(&e.regle.as_str()))
        .map(|e| e.id)
        .collect();
    let lever: Vec<i64> = if etape.fin {
        ouvertes
            .filter(|e| !honorer.contains(&e.id))
            .map(|e| e.id)
            .collect()
    } else {
        vec![]
    };
    Ok(Decision {
        etape: etape.code,
        date,
        valeurs,
        commentaire: form.commentaire.trim().to_string(),
        demarrer,
        honorer,
        lever,
        fin: etape.fin,
    })
}

/// The steps the procedure allows now, whatever their date and fields: their prerequisites are
/// recorded, a unique step is not, and for an IP the order of §1.3–1.5 holds (the others would be
/// refused).
pub fn possibles(type_: TypeProcedure, faites: &[EtapeFaite]) -> Vec<&'static Etape> {
    etapes(type_)
        .iter()
        .filter(|e| {
            e.requiert
                .iter()
                .all(|r| faites.iter().any(|f| f.code == *r))
        })
        .filter(|e| !(e.unique && faites.iter().any(|f| f.code == e.code)))
        .filter(|e| {
            if type_ != TypeProcedure::Ip {
                return true;
            }
            let mut errors = FieldErrors::default();
            verifier_ip(e.code, faites, None, &BTreeMap::new(), &mut errors);
            errors.get("etape").is_none()
        })
        .collect()
}

/// The rules of the CRIP's procedure the step list cannot say (reference §1.2–1.5): a professional
/// who transmits is named (the feedback of L226-5 is owed to them), an anonymous one is not; one
/// single conclusion (D226-2-7): an administrative report or a judicial referral, not both; a
/// referral « during the evaluation » needs an evaluation; the feedback follows the decision; the
/// file closes on a conclusion.
fn verifier_ip(
    code: &str,
    faites: &[EtapeFaite],
    date: Option<NaiveDate>,
    valeurs: &BTreeMap<String, String>,
    errors: &mut FieldErrors,
) {
    let fait = |c: &str| {
        faites
            .iter()
            .any(|f| f.code == c && date.is_none_or(|d| f.date <= d))
    };
    let reception = faites.iter().find(|f| f.code == "reception");
    let source = |v: &BTreeMap<String, String>| v.get("source").cloned().unwrap_or_default();
    match code {
        "reception" => {
            let s = source(valeurs);
            let nomme = valeurs.contains_key("informant");
            if s == "anonyme" && nomme {
                errors.add(
                    "informant",
                    "Une information anonyme ne nomme personne : videz ce champ ou choisissez une autre origine.",
                );
            }
            if SOURCES_PROFESSIONNELLES.contains(&s.as_str()) && !nomme {
                errors.add(
                    "informant",
                    "Nommez le professionnel ou le service qui transmet : la loi lui doit un retour sur les suites sous 3 mois (CASF L226-5).",
                );
            }
        }
        "non_ip" if faites.iter().any(|f| f.code == "evaluation") => errors.add(
            "etape",
            "L'évaluation est engagée : elle se conclut par un rapport ou une saisine judiciaire.",
        ),
        "rapport" if faites.iter().any(|f| f.code == "saisine") => errors.add(
            "etape",
            "L'autorité judiciaire est déjà saisie : le rapport n'a qu'une conclusion (CASF D226-2-7).",
        ),
        "saisine" => {
            if faites.iter().any(|f| f.code == "rapport") {
                errors.add(
                    "etape",
                    "Le rapport d'évaluation a déjà conclu : une nouvelle information fait l'objet d'une nouvelle IP.",
                );
            }
            let motif = valeurs.get("motif").map(String::as_str).unwrap_or("");
            let requis = match motif {
                "conclusion" => Some(("visite", "une visite au domicile")),
                "pendant_evaluation" | "mineur_non_rencontre" => {
                    Some(("evaluation", "l'évaluation confiée"))
                }
                _ => None,
            };
            if let Some((c, quoi)) = requis {
                if !fait(c) {
                    errors.add(
                        "motif",
                        format!("Ce motif suppose {quoi}, enregistrée à cette date ou avant."),
                    );
                }
            }
        }
        "retour_informant" => {
            if reception.is_some_and(|r| source(&r.valeurs) == "anonyme") {
                errors.add(
                    "etape",
                    "L'information est anonyme : il n'y a personne à informer des suites.",
                );
            } else if !fait("rapport") && !fait("saisine") {
                errors.add(
                    "etape",
                    "Il faut d'abord une décision sur les suites : rapport d'évaluation ou saisine judiciaire.",
                );
            }
        }
        "cloture" if !fait("rapport") && !fait("saisine") => errors.add(
            "etape",
            "L'information préoccupante se clôt sur une conclusion : rapport d'évaluation ou saisine judiciaire (ou « pas une information préoccupante »).",
        ),
        _ => {}
    }
}

fn demarrage(
    ech: &Echeancier,
    id: &str,
    debut: Moment,
    naissance: Option<NaiveDate>,
) -> Result<Demarrage, String> {
    let r = regle(id).ok_or_else(|| format!("règle {id} inconnue"))?;
    if r.annulee {
        return Err(format!("La règle {id} a été annulée : {}.", r.effet));
    }
    let echeance = ech
        .echeance(r, debut, naissance)
        .map_err(|e| e.to_string())?;
    Ok(Demarrage {
        regle: r.id.as_str(),
        debut,
        echeance,
    })
}

/// The RSA regime in force on a date (reference §3.1): the droits et devoirs of 2009 until
/// 31 December 2024, the loi pour le plein emploi from 1 January 2025.
pub fn regime_rsa(jour: NaiveDate) -> &'static str {
    if jour < NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or(NaiveDate::MIN) {
        "Droits et devoirs (2009-2024) : CER ou PPAE, historique en lecture seule"
    } else {
        "Loi pour le plein emploi (depuis le 1er janvier 2025) : contrat d'engagement"
    }
}

/// The earliest day an eviction may take place given the commandement de quitter's due date and
/// the winter truce (CPCE L412-1 and L412-6).
pub fn expulsion_possible_le(
    ech: &Echeancier,
    fin_commandement_quitter: NaiveDate,
) -> Option<NaiveDate> {
    let treve = ech.parametres.treve;
    if treve.contient(fin_commandement_quitter) {
        treve.fin_apres(fin_commandement_quitter)?.succ_opt()
    } else {
        Some(fin_commandement_quitter)
    }
}

#[cfg(test)]
mod tests;
