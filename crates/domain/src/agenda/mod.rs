//! Agendas and appointments (capability 3, seed 001 fiches 1–4, seed 000 « PLAS »): each agent's weekly
//! plages (rendez-vous at the MDS, plages d'accueil social, permanences), absences, appointments of a
//! person with their kind and status, the waiting list, collective sessions with a capacity, and the
//! rules that decide whether a booking fits (inside a plage, not in the past, not over an absence).
//! Double bookings are the store's to detect, since only it sees the other appointments.

pub mod creneaux;
pub mod heure;
pub mod ical;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;

use crate::validation::{optional_text, required_text, FieldErrors, Invalid};

/// What a weekly plage of an agent is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub enum NaturePlage {
    /// Appointments at the MDS (suivi, RSA, visits start from there too).
    RendezVous,
    /// Plage d'accueil social: kept for first appointments, booked by the desk (seed 000).
    Plas,
    /// A permanence sociale held in its place (mairie, centre social).
    Permanence,
}

impl NaturePlage {
    pub const ALL: [NaturePlage; 3] = [
        NaturePlage::RendezVous,
        NaturePlage::Plas,
        NaturePlage::Permanence,
    ];
    pub fn code(self) -> &'static str {
        match self {
            NaturePlage::RendezVous => "rendez_vous",
            NaturePlage::Plas => "plas",
            NaturePlage::Permanence => "permanence",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.code() == s)
    }
    pub fn libelle(self) -> &'static str {
        match self {
            NaturePlage::RendezVous => "Rendez-vous",
            NaturePlage::Plas => "Plage d'accueil social (PLAS)",
            NaturePlage::Permanence => "Permanence sociale",
        }
    }
}

/// The kinds of appointment, with their usual length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TypeRdv {
    PremierAccueil,
    Suivi,
    Rsa,
    VisiteDomicile,
    Telephonique,
}

impl TypeRdv {
    pub const ALL: [TypeRdv; 5] = [
        TypeRdv::PremierAccueil,
        TypeRdv::Suivi,
        TypeRdv::Rsa,
        TypeRdv::VisiteDomicile,
        TypeRdv::Telephonique,
    ];
    pub fn code(self) -> &'static str {
        match self {
            TypeRdv::PremierAccueil => "premier_accueil",
            TypeRdv::Suivi => "suivi",
            TypeRdv::Rsa => "rsa",
            TypeRdv::VisiteDomicile => "visite_domicile",
            TypeRdv::Telephonique => "telephonique",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.code() == s)
    }
    pub fn libelle(self) -> &'static str {
        match self {
            TypeRdv::PremierAccueil => "Premier accueil",
            TypeRdv::Suivi => "Suivi",
            TypeRdv::Rsa => "RSA (orientation, contrat d'engagements réciproques)",
            TypeRdv::VisiteDomicile => "Visite à domicile",
            TypeRdv::Telephonique => "Entretien téléphonique",
        }
    }
    /// The usual length in minutes (a visit counts the journey).
    pub fn duree(self) -> i64 {
        match self {
            TypeRdv::PremierAccueil => 45,
            TypeRdv::Suivi => 45,
            TypeRdv::Rsa => 60,
            TypeRdv::VisiteDomicile => 90,
            TypeRdv::Telephonique => 30,
        }
    }
    /// What the convocation asks the person to bring. Until motifs carry their own instructions
    /// (issue 16, « motifs as configuration »), the usual list of the kind of appointment.
    pub fn a_apporter(self) -> &'static [&'static str] {
        match self {
            TypeRdv::PremierAccueil | TypeRdv::Suivi => &[
                "une pièce d'identité ou un titre de séjour",
                "votre attestation de droits à l'assurance maladie (carte Vitale)",
                "vos justificatifs de ressources des trois derniers mois",
                "les courriers récents en lien avec votre demande (factures, avis, relances)",
            ],
            TypeRdv::Rsa => &[
                "une pièce d'identité ou un titre de séjour",
                "votre numéro d'allocataire de la CAF ou de la MSA",
                "votre curriculum vitae, si vous en avez un",
                "vos justificatifs de formation ou d'activité",
            ],
            TypeRdv::VisiteDomicile => {
                &["les courriers récents en lien avec votre demande (factures, avis, relances)"]
            }
            TypeRdv::Telephonique => {
                &["gardez près de vous les courriers en lien avec votre demande"]
            }
        }
    }
    /// Which plages take this kind: a PLAS is kept for first appointments (seed 000), a permanence
    /// receives at its place, so no home visit starts from it.
    pub fn accepte(self, nature: NaturePlage) -> bool {
        match nature {
            NaturePlage::RendezVous => true,
            NaturePlage::Plas => self == TypeRdv::PremierAccueil,
            NaturePlage::Permanence => self != TypeRdv::VisiteDomicile,
        }
    }
}

/// Where an appointment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatutRdv {
    Prevu,
    Honore,
    Excuse,
    AbsentNonExcuse,
    Annule,
}

impl StatutRdv {
    pub const ALL: [StatutRdv; 5] = [
        StatutRdv::Prevu,
        StatutRdv::Honore,
        StatutRdv::Excuse,
        StatutRdv::AbsentNonExcuse,
        StatutRdv::Annule,
    ];
    pub fn code(self) -> &'static str {
        match self {
            StatutRdv::Prevu => "prevu",
            StatutRdv::Honore => "honore",
            StatutRdv::Excuse => "excuse",
            StatutRdv::AbsentNonExcuse => "absent",
            StatutRdv::Annule => "annule",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.code() == s)
    }
    pub fn libelle(self) -> &'static str {
        match self {
            StatutRdv::Prevu => "Prévu",
            StatutRdv::Honore => "Honoré",
            StatutRdv::Excuse => "Excusé",
            StatutRdv::AbsentNonExcuse => "Absent non excusé",
            StatutRdv::Annule => "Annulé",
        }
    }
    /// Statuses that hold the agent's time (and the room): a person who excused themselves frees it.
    pub const OCCUPANTS: &'static str = "('prevu', 'honore')";
    pub fn occupe(self) -> bool {
        matches!(self, StatutRdv::Prevu | StatutRdv::Honore)
    }
}

/// A weekly plage of an agent: a day of the week (1 = Monday), hours in minutes after midnight, a place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plage {
    pub id: i64,
    pub agent_id: i64,
    pub jour: u32,
    pub debut: i64,
    pub fin: i64,
    pub nature: NaturePlage,
    pub site_id: i64,
    pub permanence_id: Option<i64>,
}

impl Plage {
    pub fn libelle(&self) -> String {
        format!(
            "{} {}–{}",
            heure::jour_nom(self.jour),
            heure::hm(self.debut),
            heure::hm(self.fin)
        )
    }
    /// Whether [debut, fin) lies inside this plage.
    pub fn contient(&self, debut: NaiveDateTime, fin: NaiveDateTime) -> bool {
        debut.date() == fin.date()
            && debut.weekday().number_from_monday() == self.jour
            && heure::minutes(debut) >= self.debut
            && heure::minutes(fin) <= self.fin
    }
}

/// A new weekly plage, parsed from its form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlage {
    pub jour: u32,
    pub debut: i64,
    pub fin: i64,
    pub nature: NaturePlage,
    pub site_id: i64,
    pub permanence_id: Option<i64>,
}

/// « 9:30 » or « 09h30 » or « 9 h 30 » → minutes after midnight.
pub fn parse_heure(s: &str) -> Option<i64> {
    let t: String = s
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let (h, m) = t.split_once([':', 'h']).unwrap_or((t.as_str(), ""));
    let h: i64 = h.parse().ok()?;
    let m: i64 = if m.is_empty() { 0 } else { m.parse().ok()? };
    // `then`, not `then_some`: the product of an unchecked hour overflows (found by fuzz/dates).
    ((0..24).contains(&h) && (0..60).contains(&m)).then(|| h * 60 + m)
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    crate::personnes::parse_date_text(s)
}

fn parse_id(e: &mut FieldErrors, field: &str, message: &str, v: &str) -> i64 {
    match v.trim().parse::<i64>() {
        Ok(id) if id > 0 => id,
        _ => {
            e.add(field, message);
            0
        }
    }
}

impl NewPlage {
    pub fn parse(
        jour: &str,
        debut: &str,
        fin: &str,
        nature: &str,
        site_id: &str,
        permanence_id: &str,
    ) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let jour = match jour.trim().parse::<u32>() {
            Ok(j) if (1..=7).contains(&j) => j,
            _ => {
                e.add("jour", "Choisissez le jour de la semaine.");
                0
            }
        };
        let d = parse_heure(debut);
        let f = parse_heure(fin);
        if d.is_none() {
            e.add(
                "debut",
                "L'heure de début s'écrit HH:MM (par exemple 09:00).",
            );
        }
        if f.is_none() {
            e.add("fin", "L'heure de fin s'écrit HH:MM (par exemple 12:00).");
        }
        if let (Some(d), Some(f)) = (d, f) {
            if f <= d {
                e.add("fin", "L'heure de fin doit suivre l'heure de début.");
            } else if f - d < 15 {
                e.add("fin", "Une plage dure au moins un quart d'heure.");
            }
        }
        let nature = NaturePlage::parse(nature.trim());
        if nature.is_none() {
            e.add("nature", "Choisissez la nature de la plage.");
        }
        let site_id = parse_id(
            &mut e,
            "site_id",
            "Choisissez le site (MDS) de la plage.",
            site_id,
        );
        let permanence_id = match permanence_id.trim() {
            "" => None,
            p => Some(parse_id(&mut e, "permanence_id", "Permanence inconnue.", p)),
        };
        if nature == Some(NaturePlage::Permanence) && permanence_id.is_none() {
            e.add(
                "permanence_id",
                "Une plage de permanence a lieu dans une permanence : choisissez-la.",
            );
        }
        if nature.is_some() && nature != Some(NaturePlage::Permanence) && permanence_id.is_some() {
            e.add(
                "permanence_id",
                "Seule une plage de permanence se tient dans une permanence.",
            );
        }
        e.into_result()?;
        Ok(Self {
            jour,
            debut: d.unwrap_or(0),
            fin: f.unwrap_or(0),
            nature: nature.unwrap_or(NaturePlage::RendezVous),
            site_id,
            permanence_id,
        })
    }
}

/// An absence of an agent (leave, training): no appointment can be booked over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAbsence {
    pub debut: NaiveDateTime,
    pub fin: NaiveDateTime,
    pub libelle: String,
}

impl NewAbsence {
    /// Dates with optional hours: an absence without hours covers whole days.
    pub fn parse(
        du: &str,
        heure_du: &str,
        au: &str,
        heure_au: &str,
        libelle: &str,
    ) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let d = parse_date(du);
        let a = parse_date(au).or(d);
        if d.is_none() {
            e.add("du", "La date de début s'écrit JJ/MM/AAAA.");
        }
        if !au.trim().is_empty() && parse_date(au).is_none() {
            e.add("au", "La date de fin s'écrit JJ/MM/AAAA.");
        }
        let hd = if heure_du.trim().is_empty() {
            Some(0)
        } else {
            parse_heure(heure_du)
        };
        let ha = if heure_au.trim().is_empty() {
            Some(24 * 60)
        } else {
            parse_heure(heure_au)
        };
        if hd.is_none() {
            e.add("heure_du", "L'heure s'écrit HH:MM.");
        }
        if ha.is_none() {
            e.add("heure_au", "L'heure s'écrit HH:MM.");
        }
        let libelle = optional_text(&mut e, "libelle", "Le libellé", libelle, 80)
            .unwrap_or_else(|| "Absence".into());
        let (debut, fin) = match (d, a, hd, ha) {
            (Some(d), Some(a), Some(hd), Some(ha)) => (
                d.and_time(NaiveTime::MIN) + Duration::minutes(hd),
                a.and_time(NaiveTime::MIN) + Duration::minutes(ha),
            ),
            _ => (NaiveDateTime::default(), NaiveDateTime::default()),
        };
        if e.is_empty() && fin <= debut {
            e.add("au", "La fin de l'absence doit suivre son début.");
        }
        e.into_result()?;
        Ok(Self {
            debut,
            fin,
            libelle,
        })
    }
}

/// The booking form, parsed. The place (site, permanence) comes from the plage the slot falls in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRendezVous {
    pub personne_id: i64,
    pub agent_id: i64,
    pub type_rdv: TypeRdv,
    pub debut: NaiveDateTime,
    pub fin: NaiveDateTime,
    pub salle_id: Option<i64>,
    pub objet: Option<String>,
    /// The language an interpreter is needed in, if any.
    pub interprete: Option<String>,
    /// When the person asked (for the waiting time of fiche 4: « délai de rendez-vous »).
    pub demande_le: NaiveDate,
    pub rappel_email: bool,
    pub rappel_sms: bool,
    /// The waiting-list entry this booking answers, if any.
    pub attente_id: Option<i64>,
}

/// What the booking form sends (also the API payload).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RendezVousForm {
    #[serde(default)]
    pub personne_id: String,
    #[serde(default)]
    pub agent_id: String,
    #[serde(default, rename = "type")]
    pub type_rdv: String,
    /// JJ/MM/AAAA or AAAA-MM-JJ
    #[serde(default)]
    pub date: String,
    /// HH:MM
    #[serde(default)]
    pub heure: String,
    /// Minutes; the usual length of the kind when empty.
    #[serde(default)]
    pub duree: String,
    #[serde(default)]
    pub salle_id: String,
    #[serde(default)]
    pub objet: String,
    /// The language an interpreter is needed in; empty when none is.
    #[serde(default)]
    pub interprete: String,
    #[serde(default)]
    pub demande_le: String,
    #[serde(default)]
    pub rappel_email: String,
    #[serde(default)]
    pub rappel_sms: String,
    #[serde(default)]
    pub attente_id: String,
}

fn checked(v: &str) -> bool {
    matches!(v.trim(), "on" | "oui" | "1" | "true")
}

impl NewRendezVous {
    /// `now` is the civil time now: a slot must not have started.
    pub fn parse(f: &RendezVousForm, now: NaiveDateTime) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let personne_id = parse_id(
            &mut e,
            "personne_id",
            "Choisissez la personne reçue (recherchez-la par son nom).",
            &f.personne_id,
        );
        let agent_id = parse_id(
            &mut e,
            "agent_id",
            "Choisissez l'agent qui reçoit.",
            &f.agent_id,
        );
        let type_rdv = TypeRdv::parse(f.type_rdv.trim());
        if type_rdv.is_none() {
            e.add("type", "Choisissez le type de rendez-vous.");
        }
        let date = parse_date(&f.date);
        if date.is_none() {
            e.add("date", "La date s'écrit JJ/MM/AAAA.");
        }
        let heure = parse_heure(&f.heure);
        if heure.is_none() {
            e.add("heure", "L'heure s'écrit HH:MM (par exemple 14:30).");
        }
        let duree = match f.duree.trim() {
            "" => type_rdv.map(TypeRdv::duree).unwrap_or(45),
            d => match d.parse::<i64>() {
                Ok(m) if (10..=240).contains(&m) => m,
                _ => {
                    e.add(
                        "duree",
                        "La durée est un nombre de minutes entre 10 et 240.",
                    );
                    45
                }
            },
        };
        let salle_id = match f.salle_id.trim() {
            "" => None,
            s => Some(parse_id(&mut e, "salle_id", "Salle inconnue.", s)),
        };
        let objet = optional_text(&mut e, "objet", "L'objet", &f.objet, 200);
        let interprete = optional_text(&mut e, "interprete", "La langue", &f.interprete, 60);
        let demande_le = match f.demande_le.trim() {
            "" => now.date(),
            d => parse_date(d).unwrap_or_else(|| {
                e.add("demande_le", "La date de la demande s'écrit JJ/MM/AAAA.");
                now.date()
            }),
        };
        let attente_id = match f.attente_id.trim() {
            "" => None,
            s => Some(parse_id(
                &mut e,
                "attente_id",
                "Demande en attente inconnue.",
                s,
            )),
        };
        let (debut, fin) = match (date, heure) {
            (Some(d), Some(h)) => {
                let debut = d.and_time(NaiveTime::MIN) + Duration::minutes(h);
                (debut, debut + Duration::minutes(duree))
            }
            _ => (NaiveDateTime::default(), NaiveDateTime::default()),
        };
        if date.is_some() && heure.is_some() {
            if debut < now {
                e.add(
                    "heure",
                    format!(
                        "Ce créneau ({}) est passé : choisissez une date et une heure à venir.",
                        heure::date_heure(debut)
                    ),
                );
            } else if debut.date() > now.date() + Duration::days(366) {
                e.add("date", "Un rendez-vous se prend au plus un an à l'avance.");
            }
            if demande_le > debut.date() {
                e.add(
                    "demande_le",
                    "La demande ne peut pas suivre le rendez-vous.",
                );
            }
        }
        if type_rdv == Some(TypeRdv::VisiteDomicile) && salle_id.is_some() {
            e.add("salle_id", "Une visite à domicile n'occupe pas de salle.");
        }
        e.into_result()?;
        Ok(Self {
            personne_id,
            agent_id,
            type_rdv: type_rdv.unwrap_or(TypeRdv::Suivi),
            debut,
            fin,
            salle_id,
            objet,
            interprete,
            demande_le,
            rappel_email: checked(&f.rappel_email),
            rappel_sms: checked(&f.rappel_sms),
            attente_id,
        })
    }
}

/// Checks that a booking falls inside one of the agent's plages that takes its kind, and not over an
/// absence; returns the plage (which gives the place). Messages name the field of the form.
pub fn verifier_plage<'a>(
    rdv_debut: NaiveDateTime,
    rdv_fin: NaiveDateTime,
    type_rdv: TypeRdv,
    plages: &'a [Plage],
    absences: &[(NaiveDateTime, NaiveDateTime)],
) -> Result<&'a Plage, Invalid> {
    if let Some((d, f)) = absences
        .iter()
        .find(|(d, f)| *d < rdv_fin && rdv_debut < *f)
    {
        return Err(Invalid::field(
            "heure",
            format!(
                "L'agent est absent du {} au {} : choisissez un autre créneau.",
                heure::date_heure(*d),
                heure::date_heure(*f)
            ),
        ));
    }
    let dans: Vec<&Plage> = plages
        .iter()
        .filter(|p| p.contient(rdv_debut, rdv_fin))
        .collect();
    if let Some(p) = dans.iter().find(|p| type_rdv.accepte(p.nature)) {
        return Ok(p);
    }
    if let Some(p) = dans.first() {
        return Err(Invalid::field(
            "type",
            format!(
                "La plage {} ({}) ne reçoit pas ce type de rendez-vous.",
                p.libelle(),
                p.nature.libelle().to_lowercase()
            ),
        ));
    }
    let jour = rdv_debut.weekday().number_from_monday();
    let ouvertes: Vec<String> = plages
        .iter()
        .filter(|p| p.jour == jour)
        .map(Plage::libelle)
        .collect();
    Err(Invalid::field(
        "heure",
        if ouvertes.is_empty() {
            format!(
                "L'agent ne reçoit pas le {} : ce créneau est en dehors de ses plages d'ouverture.",
                heure::jour_nom(jour)
            )
        } else {
            format!(
                "Ce créneau ({} – {}) est en dehors des plages d'ouverture de l'agent ce jour-là : {}.",
                heure::hm(heure::minutes(rdv_debut)),
                heure::hm(heure::minutes(rdv_fin)),
                ouvertes.join(", ")
            )
        },
    ))
}

/// A collective session (action collective, ISIC): a theme, a time, a place and a capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub titre: String,
    pub site_id: i64,
    pub salle_id: Option<i64>,
    pub animateur_id: i64,
    pub debut: NaiveDateTime,
    pub fin: NaiveDateTime,
    pub capacite: i64,
}

impl NewSession {
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        titre: &str,
        site_id: &str,
        salle_id: &str,
        animateur_id: &str,
        date: &str,
        heure_debut: &str,
        heure_fin: &str,
        capacite: &str,
        now: NaiveDateTime,
    ) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let titre = required_text(&mut e, "titre", "Le titre", titre, 120);
        let site_id = parse_id(&mut e, "site_id", "Choisissez le site.", site_id);
        let salle_id = match salle_id.trim() {
            "" => None,
            s => Some(parse_id(&mut e, "salle_id", "Salle inconnue.", s)),
        };
        let animateur_id = parse_id(
            &mut e,
            "animateur_id",
            "Choisissez l'agent qui anime la session.",
            animateur_id,
        );
        let d = parse_date(date);
        if d.is_none() {
            e.add("date", "La date s'écrit JJ/MM/AAAA.");
        }
        let hd = parse_heure(heure_debut);
        let hf = parse_heure(heure_fin);
        if hd.is_none() {
            e.add("heure_debut", "L'heure s'écrit HH:MM.");
        }
        if hf.is_none() {
            e.add("heure_fin", "L'heure s'écrit HH:MM.");
        }
        let capacite = match capacite.trim().parse::<i64>() {
            Ok(c) if (1..=200).contains(&c) => c,
            _ => {
                e.add(
                    "capacite",
                    "La capacité est un nombre de places entre 1 et 200.",
                );
                0
            }
        };
        let (mut debut, mut fin) = (NaiveDateTime::default(), NaiveDateTime::default());
        if let (Some(d), Some(hd), Some(hf)) = (d, hd, hf) {
            debut = d.and_time(NaiveTime::MIN) + Duration::minutes(hd);
            fin = d.and_time(NaiveTime::MIN) + Duration::minutes(hf);
            if hf <= hd {
                e.add("heure_fin", "L'heure de fin doit suivre l'heure de début.");
            }
            if debut < now {
                e.add(
                    "date",
                    "Cette date est passée : une session se programme à l'avance.",
                );
            }
        }
        e.into_result()?;
        Ok(Self {
            titre,
            site_id,
            salle_id,
            animateur_id,
            debut,
            fin,
            capacite,
        })
    }
}

/// The waiting time of fiche 4, in days, from the request to the appointment.
pub fn delai_jours(demande_le: NaiveDate, debut: NaiveDateTime) -> i64 {
    (debut.date() - demande_le).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        heure::parse(s).unwrap()
    }

    fn form(date: &str, h: &str) -> RendezVousForm {
        RendezVousForm {
            personne_id: "3".into(),
            agent_id: "4".into(),
            type_rdv: "suivi".into(),
            date: date.into(),
            heure: h.into(),
            ..Default::default()
        }
    }

    #[test]
    fn hours_are_read_in_the_usual_french_forms() {
        assert_eq!(parse_heure("9:30"), Some(570));
        assert_eq!(parse_heure("09h30"), Some(570));
        assert_eq!(parse_heure("14 h"), Some(840));
        assert_eq!(parse_heure("25:00"), None);
    }

    #[test]
    fn an_hour_too_large_to_multiply_is_refused_not_a_panic() {
        // Found by fuzz/dates: the hour was multiplied by 60 before being checked (overflow).
        assert_eq!(parse_heure("-0634099919999999992"), None);
        assert_eq!(parse_heure(&format!("{}:00", i64::MAX)), None);
    }

    #[test]
    fn a_booking_in_the_past_or_without_a_person_is_refused_per_field() {
        let now = at("2026-11-24T10:00");
        let err = NewRendezVous::parse(&form("24/11/2026", "09:00"), now).unwrap_err();
        assert!(err.0.get("heure").unwrap().contains("passé"));
        let mut f = form("25/11/2026", "09:00");
        f.personne_id.clear();
        let err = NewRendezVous::parse(&f, now).unwrap_err();
        assert!(err.0.get("personne_id").is_some());
        let ok = NewRendezVous::parse(&form("2026-11-25", "9h"), now).unwrap();
        assert_eq!(ok.fin, at("2026-11-25T09:45"));
    }

    #[test]
    fn a_booking_must_fit_in_a_plage_that_takes_its_kind() {
        // 2026-11-24 is a Tuesday.
        let plas = Plage {
            id: 1,
            agent_id: 4,
            jour: 2,
            debut: 540,
            fin: 720,
            nature: NaturePlage::Plas,
            site_id: 1,
            permanence_id: None,
        };
        let plages = [plas];
        let ok = verifier_plage(
            at("2026-11-24T09:00"),
            at("2026-11-24T09:45"),
            TypeRdv::PremierAccueil,
            &plages,
            &[],
        );
        assert!(ok.is_ok());
        let kind = verifier_plage(
            at("2026-11-24T09:00"),
            at("2026-11-24T09:45"),
            TypeRdv::Suivi,
            &plages,
            &[],
        )
        .unwrap_err();
        assert!(kind.0.get("type").is_some());
        let late = verifier_plage(
            at("2026-11-24T11:30"),
            at("2026-11-24T12:15"),
            TypeRdv::PremierAccueil,
            &plages,
            &[],
        )
        .unwrap_err();
        assert!(
            late.0.get("heure").unwrap().contains("en dehors"),
            "{late:?}"
        );
        let absent = verifier_plage(
            at("2026-11-24T09:00"),
            at("2026-11-24T09:45"),
            TypeRdv::PremierAccueil,
            &plages,
            &[(at("2026-11-23T00:00"), at("2026-11-25T00:00"))],
        )
        .unwrap_err();
        assert!(absent.0.get("heure").unwrap().contains("absent"));
    }

    #[test]
    fn a_whole_day_absence_runs_to_midnight() {
        let a = NewAbsence::parse("24/11/2026", "", "", "", "").unwrap();
        assert_eq!(a.debut, at("2026-11-24T00:00"));
        assert_eq!(a.fin, at("2026-11-25T00:00"));
        assert!(NewAbsence::parse("24/11/2026", "", "23/11/2026", "", "").is_err());
    }

    #[test]
    fn a_permanence_plage_needs_its_permanence() {
        let err = NewPlage::parse("2", "09:00", "12:00", "permanence", "1", "").unwrap_err();
        assert!(err.0.get("permanence_id").is_some());
        let err = NewPlage::parse("2", "12:00", "09:00", "plas", "1", "").unwrap_err();
        assert!(err.0.get("fin").is_some());
    }
}
