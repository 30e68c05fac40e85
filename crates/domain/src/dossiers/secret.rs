//! The secret partagé (CASF L121-6-2 for general social action, L226-2-2 for child protection): every
//! écrit and document carries who may read it and the legal basis of that sharing, and these functions
//! alone decide a read. Roles that never see personal content (direction, administrateur, DPO) are
//! refused here whatever the visibility.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::habilitations::{Principal, Role};
use crate::validation::{required_text, FieldErrors, Invalid};

/// Who may read an écrit or a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Visibilite {
    /// Every service that follows the dossier (the secret partagé proper: needs a legal basis).
    Dossier,
    /// The author's service only.
    Service,
    /// Agents named one by one (besides the author): needs a legal basis when one of them works in
    /// another service.
    Agents,
    /// The author alone (working notes).
    Auteur,
}

impl Visibilite {
    pub const ALL: [Visibilite; 4] = [Self::Dossier, Self::Service, Self::Agents, Self::Auteur];
    pub fn code(self) -> &'static str {
        match self {
            Self::Dossier => "dossier",
            Self::Service => "service",
            Self::Agents => "agents",
            Self::Auteur => "auteur",
        }
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Self::Dossier => "Les équipes qui suivent le dossier",
            Self::Service => "Mon équipe (mon service dans ma MDS)",
            Self::Agents => "Des agents désignés",
            Self::Auteur => "Moi seul (note de travail)",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }
}

/// The article of law that allows a sharing (reference §8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BaseLegale {
    /// CASF L121-6-2: professionals of social action working with the same person or family.
    ActionSociale,
    /// CASF L226-2-2: people who carry out or contribute to child protection.
    ProtectionEnfance,
}

impl BaseLegale {
    pub const ALL: [BaseLegale; 2] = [Self::ActionSociale, Self::ProtectionEnfance];
    pub fn code(self) -> &'static str {
        match self {
            Self::ActionSociale => "L121-6-2",
            Self::ProtectionEnfance => "L226-2-2",
        }
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Self::ActionSociale => "CASF L121-6-2 — action sociale (même personne ou même famille)",
            Self::ProtectionEnfance => "CASF L226-2-2 — protection de l'enfance",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }
}

/// Parses the visibility and legal basis fields of a form: the basis is required as soon as the écrit
/// leaves the author's service. `autres_services` says whether named agents work elsewhere.
pub fn parse_partage(
    e: &mut FieldErrors,
    visibilite: &str,
    base_legale: &str,
    autres_services: bool,
) -> (Visibilite, Option<BaseLegale>) {
    let v = Visibilite::parse(visibilite).unwrap_or_else(|| {
        e.add("visibilite", "Choisissez qui pourra lire cet écrit.");
        Visibilite::Auteur
    });
    let base = match base_legale.trim() {
        "" => None,
        code => match BaseLegale::parse(code) {
            Some(b) => Some(b),
            None => {
                e.add("base_legale", "Base légale inconnue.");
                None
            }
        },
    };
    let partage = match v {
        Visibilite::Dossier => true,
        Visibilite::Agents => autres_services,
        Visibilite::Service | Visibilite::Auteur => false,
    };
    if partage && base.is_none() && e.get("base_legale").is_none() {
        e.add(
            "base_legale",
            "Un partage avec d'autres services exige sa base légale (CASF L121-6-2 ou L226-2-2).",
        );
    }
    (v, base)
}

/// A team that follows a dossier: a service in one site (the MDS where the accompaniment takes
/// place), or the whole service when `site_id` is `None` (central services such as the CRIP, whose
/// agents have no site). CASF L121-6-2 shares what is strictly needed among the professionals who
/// take part in the accompaniment: the team, not the whole directorate that the service spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Equipe {
    pub service_id: i64,
    pub site_id: Option<i64>,
}

impl Equipe {
    /// Whether the principal is a member (or a cadre) of this team: same service, and one of the
    /// principal's sites is the team's site.
    pub fn comprend(&self, p: &Principal) -> bool {
        p.service_id == Some(self.service_id)
            && self.site_id.is_none_or(|s| p.site_ids.contains(&s))
    }

    /// How a team is named to agents and to the person: « Service social (MDS d'Aubier) », or the
    /// service alone for a whole central service.
    pub fn libelle(service: &str, site: Option<&str>) -> String {
        match site {
            Some(site) => format!("{service} ({site})"),
            None => service.to_string(),
        }
    }
}

/// What the policy needs to know of a dossier to decide a read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DossierAcces {
    /// Teams following the dossier today.
    pub equipes: Vec<Equipe>,
    /// Agents who are référents of the dossier.
    pub referents: Vec<i64>,
}

/// What the policy needs to know of one écrit or document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PieceAcces {
    pub auteur_id: i64,
    pub service_id: Option<i64>,
    /// The author's site when writing: with `service_id`, the team of « Mon équipe ».
    pub site_id: Option<i64>,
    pub visibilite: Visibilite,
    /// Agents named when the visibility is `Agents`.
    pub destinataires: Vec<i64>,
}

/// Whether the role may ever read the content of a dossier (social work roles only).
pub fn role_lit_les_dossiers(role: Role) -> bool {
    matches!(
        role,
        Role::TravailleurSocial | Role::Cadre | Role::EquipeCentrale
    )
}

/// Whether the principal is one of the dossier's référents or a member of a team that follows it.
/// Another site of the same service does not follow it: it sees « existe, suivie par … » and may
/// ask for an accès motivé.
pub fn suit_le_dossier(p: &Principal, d: &DossierAcces) -> bool {
    p.token_id.is_none()
        && (p.agent_id.is_some_and(|a| d.referents.contains(&a))
            || d.equipes.iter().any(|e| e.comprend(p)))
}

/// Decides the read of one écrit or document. `acces_motive` is an exceptional access in force for
/// this person: it opens what is shared with the dossier's services, never a note kept by its author
/// or addressed to named agents.
pub fn peut_lire(p: &Principal, d: &DossierAcces, piece: &PieceAcces, acces_motive: bool) -> bool {
    if !role_lit_les_dossiers(p.role) || p.token_id.is_some() {
        return false;
    }
    let Some(me) = p.agent_id else { return false };
    if piece.auteur_id == me {
        return true;
    }
    match piece.visibilite {
        Visibilite::Auteur => false,
        Visibilite::Agents => piece.destinataires.contains(&me),
        Visibilite::Service => piece.service_id.is_some_and(|service_id| {
            Equipe {
                service_id,
                site_id: piece.site_id,
            }
            .comprend(p)
        }),
        Visibilite::Dossier => suit_le_dossier(p, d) || acces_motive,
    }
}

/// How much of a person an agent may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Portee {
    /// The whole fiche (état civil, situation, foyer, dossiers with what the secret partagé opens).
    Complete,
    /// The état civil and contacts only, to receive the person and book an appointment (accueil).
    EtatCivil,
    /// That the person exists and which services follow them — nothing else.
    Existence,
}

/// Decides how much of a person an agent sees: `site` is the site of the secteur of the person's
/// current address; `dossiers` the dossiers of the person (and of their foyer).
pub fn portee(
    p: &Principal,
    site: Option<i64>,
    dossiers: &[DossierAcces],
    acces_motive: bool,
) -> Portee {
    if p.token_id.is_some() {
        return Portee::Existence;
    }
    // A person with no known address and no dossier is attached to no territory yet: the desk or
    // the social worker who receives them must be able to complete the fiche.
    let sur_mon_territoire = match site {
        Some(s) => p.site_ids.contains(&s),
        None => dossiers.is_empty(),
    };
    match p.role {
        Role::Direction | Role::Administrateur | Role::Dpo => Portee::Existence,
        Role::Accueil => {
            if sur_mon_territoire {
                Portee::EtatCivil
            } else {
                Portee::Existence
            }
        }
        // Central teams (CRIP, placement, agréments) work for the whole département.
        Role::EquipeCentrale => Portee::Complete,
        Role::TravailleurSocial | Role::Cadre => {
            if sur_mon_territoire || acces_motive || dossiers.iter().any(|d| suit_le_dossier(p, d))
            {
                Portee::Complete
            } else {
                Portee::Existence
            }
        }
    }
}

/// Whether the role may ask for an exceptional access (« accès motivé »).
pub fn peut_demander_acces_motive(role: Role) -> bool {
    matches!(role, Role::TravailleurSocial | Role::Cadre)
}

/// The form of an exceptional access.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AccesMotiveForm {
    #[serde(default)]
    pub motif: String,
}

/// A valid exceptional access request: the reason, and its end computed from the configured duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccesMotive {
    pub motif: String,
    pub fin: DateTime<Utc>,
}

impl NewAccesMotive {
    /// The reason must say why (at least 20 characters): it is shown to the cadre and kept in the
    /// audit log. `duree_heures` comes from the settings.
    pub fn parse(
        f: &AccesMotiveForm,
        now: DateTime<Utc>,
        duree_heures: u32,
    ) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let motif = required_text(&mut e, "motif", "Le motif", &f.motif, 1000);
        if !motif.is_empty() && motif.chars().count() < 20 {
            e.add(
                "motif",
                "Expliquez le motif en une phrase (20 caractères au moins) : il sera montré à votre cadre.",
            );
        }
        e.into_result()?;
        Ok(Self {
            motif,
            fin: now + Duration::hours(i64::from(duree_heures.max(1))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(role: Role, id: i64, service: i64, sites: &[i64]) -> Principal {
        Principal {
            agent_id: Some(id),
            token_id: None,
            departement_id: "96".into(),
            display_name: "Test".into(),
            role,
            service_id: Some(service),
            site_ids: sites.to_vec(),
            token_scopes: vec![],
        }
    }

    fn piece(v: Visibilite, auteur: i64, service: i64, dest: &[i64]) -> PieceAcces {
        PieceAcces {
            auteur_id: auteur,
            service_id: Some(service),
            site_id: None,
            visibilite: v,
            destinataires: dest.to_vec(),
        }
    }

    /// A whole service (a central one) following the dossier.
    fn service(id: i64) -> Equipe {
        Equipe {
            service_id: id,
            site_id: None,
        }
    }

    #[test]
    fn another_mds_of_the_same_service_does_not_follow_the_dossier() {
        // Service 10 spans the département; the dossier is followed by its team of site 1.
        let d = DossierAcces {
            equipes: vec![Equipe {
                service_id: 10,
                site_id: Some(1),
            }],
            referents: vec![99],
        };
        let here = agent(Role::TravailleurSocial, 2, 10, &[1]);
        let elsewhere = agent(Role::TravailleurSocial, 3, 10, &[2]);
        let cadre_elsewhere = agent(Role::Cadre, 4, 10, &[2, 3]);
        assert!(suit_le_dossier(&here, &d));
        assert!(!suit_le_dossier(&elsewhere, &d));
        assert!(!suit_le_dossier(&cadre_elsewhere, &d));
        // The référent follows it wherever they work.
        assert!(suit_le_dossier(
            &agent(Role::TravailleurSocial, 99, 10, &[2]),
            &d
        ));
        // « Mon équipe »: the author's service in the author's site.
        let mut e = piece(Visibilite::Service, 1, 10, &[]);
        e.site_id = Some(1);
        assert!(peut_lire(&here, &d, &e, false));
        assert!(!peut_lire(&elsewhere, &d, &e, false));
        assert!(!peut_lire(&elsewhere, &d, &e, true));
        let partage = piece(Visibilite::Dossier, 1, 10, &[]);
        assert!(peut_lire(&here, &d, &partage, false));
        assert!(!peut_lire(&elsewhere, &d, &partage, false));
        // The person lives in site 1: elsewhere, only the existence.
        let ds = [d];
        assert_eq!(portee(&elsewhere, Some(1), &ds, false), Portee::Existence);
        assert_eq!(portee(&here, Some(2), &ds, false), Portee::Complete);
    }

    #[test]
    fn an_ecrit_shared_with_the_dossier_is_read_by_the_services_that_follow_it_only() {
        let d = DossierAcces {
            equipes: vec![service(10), service(20)],
            referents: vec![],
        };
        let e = piece(Visibilite::Dossier, 1, 10, &[]);
        assert!(peut_lire(
            &agent(Role::TravailleurSocial, 2, 20, &[]),
            &d,
            &e,
            false
        ));
        assert!(!peut_lire(
            &agent(Role::TravailleurSocial, 3, 30, &[]),
            &d,
            &e,
            false
        ));
        // An exceptional access opens it, but not a note kept by its author.
        assert!(peut_lire(
            &agent(Role::TravailleurSocial, 3, 30, &[]),
            &d,
            &e,
            true
        ));
        let note = piece(Visibilite::Auteur, 1, 10, &[]);
        assert!(!peut_lire(
            &agent(Role::TravailleurSocial, 3, 30, &[]),
            &d,
            &note,
            true
        ));
        assert!(peut_lire(
            &agent(Role::TravailleurSocial, 1, 10, &[]),
            &d,
            &note,
            false
        ));
    }

    #[test]
    fn service_and_named_agents_visibilities() {
        let d = DossierAcces {
            equipes: vec![service(10), service(20)],
            referents: vec![],
        };
        let s = piece(Visibilite::Service, 1, 10, &[]);
        assert!(peut_lire(&agent(Role::Cadre, 5, 10, &[]), &d, &s, false));
        assert!(!peut_lire(
            &agent(Role::TravailleurSocial, 2, 20, &[]),
            &d,
            &s,
            false
        ));
        let a = piece(Visibilite::Agents, 1, 10, &[7]);
        assert!(peut_lire(
            &agent(Role::TravailleurSocial, 7, 20, &[]),
            &d,
            &a,
            false
        ));
        assert!(!peut_lire(
            &agent(Role::TravailleurSocial, 8, 10, &[]),
            &d,
            &a,
            false
        ));
    }

    #[test]
    fn direction_administrateur_and_dpo_never_read_content() {
        let d = DossierAcces {
            equipes: vec![service(10)],
            referents: vec![],
        };
        let e = piece(Visibilite::Dossier, 1, 10, &[]);
        for role in [
            Role::Direction,
            Role::Administrateur,
            Role::Dpo,
            Role::Accueil,
        ] {
            assert!(
                !peut_lire(&agent(role, 2, 10, &[]), &d, &e, true),
                "{role:?}"
            );
        }
    }

    #[test]
    fn a_sharing_beyond_the_service_needs_its_legal_basis() {
        let mut e = FieldErrors::new();
        parse_partage(&mut e, "dossier", "", false);
        assert!(e.get("base_legale").is_some());
        let mut e = FieldErrors::new();
        let (v, b) = parse_partage(&mut e, "dossier", "L226-2-2", false);
        assert!(e.is_empty());
        assert_eq!(
            (v, b),
            (Visibilite::Dossier, Some(BaseLegale::ProtectionEnfance))
        );
        let mut e = FieldErrors::new();
        parse_partage(&mut e, "service", "", false);
        assert!(e.is_empty());
        let mut e = FieldErrors::new();
        parse_partage(&mut e, "agents", "", true);
        assert!(e.get("base_legale").is_some());
    }

    #[test]
    fn the_scope_of_a_person() {
        let d = [DossierAcces {
            equipes: vec![service(20)],
            referents: vec![],
        }];
        let ts = agent(Role::TravailleurSocial, 2, 10, &[1]);
        assert_eq!(portee(&ts, Some(1), &[], false), Portee::Complete);
        assert_eq!(portee(&ts, Some(2), &[], false), Portee::Existence);
        assert_eq!(portee(&ts, Some(2), &[], true), Portee::Complete);
        // Nobody's yet: reachable until an address or a dossier attaches the person somewhere.
        assert_eq!(portee(&ts, None, &[], false), Portee::Complete);
        assert_eq!(portee(&ts, None, &d, false), Portee::Existence);
        let other = agent(Role::TravailleurSocial, 3, 20, &[9]);
        assert_eq!(portee(&other, Some(2), &d, false), Portee::Complete);
        assert_eq!(
            portee(&agent(Role::Accueil, 4, 10, &[1]), Some(1), &d, false),
            Portee::EtatCivil
        );
        assert_eq!(
            portee(&agent(Role::Direction, 4, 10, &[]), Some(1), &d, false),
            Portee::Existence
        );
    }

    #[test]
    fn an_exceptional_access_needs_a_real_reason() {
        let now = Utc::now();
        assert!(NewAccesMotive::parse(
            &AccesMotiveForm {
                motif: "urgence".into()
            },
            now,
            24
        )
        .is_err());
        let a = NewAccesMotive::parse(
            &AccesMotiveForm {
                motif: "Appel du commissariat pour une mise à l'abri ce soir".into(),
            },
            now,
            24,
        )
        .unwrap();
        assert_eq!(a.fin, now + Duration::hours(24));
    }
}
