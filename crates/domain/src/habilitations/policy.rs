//! The one authorisation policy: every route declares the action it performs, and this module alone
//! says which roles may perform it and on which territory. Anything not listed here is denied.

use super::{Principal, Role};

/// What a request does. Every route of the web layer maps to exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Pages open to anyone (login page, health, assets).
    Public,
    /// Any signed-in agent: home page, own account, logout.
    Connecte,
    ReferentielLire,
    ReferentielGerer,
    AgentsLire,
    AgentsGerer,
    AuditLire,
    TachesLire,
    TachesGerer,
    JetonsGerer,
    IndicateursLire,
    MetriquesLire,
    /// Read the groupes projet, their published chances and draws (every agent: seed 003 wants them public).
    GroupesLire,
    /// Register oneself as a volunteer.
    GroupesInscrire,
    /// Create a group, import volunteers, close registrations, draw (the committee's managers).
    GroupesGerer,
    /// Read agendas, appointments, waiting list and collective sessions of one's sites (personal data).
    AgendaLire,
    /// Manage an agenda: weekly plages, absences, iCal feed, rooms, collective sessions.
    AgendaGerer,
    /// Book, change the status of or cancel an appointment; waiting list; register to a session.
    RendezVousGerer,
    /// Record a contact in the desk log (« main courante de l'accueil ») of one's sites.
    AccueilSaisir,
    /// Read the desk log of one's sites (it names persons).
    AccueilLire,
    /// Read the figures of the desk and of appointments (aggregates per site and month, no person named;
    /// agents are, with their counts) of one's sites, or of every site for the central team.
    AccueilChiffres,
    /// Take and close the desk's requests for technical support (« appui technique d'accueil »).
    AppuiPrendre,
    /// Draw up the duty roster of a site (TS de premier accueil, TS de permanence d'urgence).
    TableauPermanenceGerer,
    /// Read the free slots of the agendas (no personal data: times and places).
    CreneauxLire,
    /// Search persons and open a fiche (how much of it shows is decided by `dossiers::secret::portee`).
    PersonnesLire,
    /// Record or correct a person, their situation, address and foyer.
    PersonnesGerer,
    /// Read a dossier (each écrit and document is then decided by the secret partagé).
    DossiersLire,
    /// Write in a dossier: écrits, documents, plan d'action, référents.
    DossiersEcrire,
    /// Open an exceptional access (« accès motivé ») to a person outside one's scope.
    AccesMotiveDemander,
    /// See the exceptional accesses taken by the agents of one's sites.
    AccesMotivesLire,
    /// Review likely duplicates, merge two persons, undo a merge.
    DoublonsGerer,
    /// Answer a person's request to access their file, record consents, run the retention rules.
    RgpdGerer,
    /// Read the list of due dates of one's procedures (a social worker) or of one's MDS (a cadre):
    /// it names the dossiers.
    EcheancesLire,
    /// Read the counts of late due dates by MDS and secteur (no dossier named).
    EcheancesChiffres,
    /// Read the register of the persons' requests for a right (dates, deadlines; no person named).
    RgpdRegistreLire,
    /// Read the desk's figures per agent (appointments per agent: staff data).
    AccueilChiffresAgents,
    /// Read the CRIP's figures (informations préoccupantes by source, delays, outcomes; no child
    /// named).
    CripChiffres,
    /// Establish a household's budget and instruct a request for a financial aid (in a dossier the
    /// secret partagé opens).
    AidesInstruire,
    /// Decide a request within one's delegation (the fund's thresholds decide the amount).
    AidesDecider,
    /// Programme a commission, record its decisions and its minutes.
    AidesCommission,
    /// Review the payment orders held by an anomaly rule, release or cancel them; the accounting file.
    AidesPaiements,
    /// Read the figures of financial aids (no person named).
    AidesChiffres,
    /// Change the rules of a fund (a new dated version) and allocate the envelopes.
    AidesParametrer,
}

impl Action {
    /// The scope an API token needs for this action.
    pub fn token_scope(self) -> Option<&'static str> {
        match self {
            Action::ReferentielLire => Some("referentiel:lire"),
            Action::ReferentielGerer => Some("referentiel:ecrire"),
            Action::AgentsLire => Some("agents:lire"),
            Action::AgentsGerer => Some("agents:ecrire"),
            Action::MetriquesLire => Some("metriques:lire"),
            // A service account may find whether a person exists (interfaces with partners); the
            // content of a fiche is never opened to a token (see `dossiers::secret::portee`).
            Action::PersonnesLire => Some("personnes:rechercher"),
            // A booking portal or a telephony platform: free slots, appointments, desk contacts.
            Action::CreneauxLire => Some("creneaux:lire"),
            Action::RendezVousGerer => Some("rendez-vous:gerer"),
            Action::AccueilSaisir => Some("accueil:saisir"),
            _ => None,
        }
    }
}

/// The scopes an administrator can grant to a service account.
pub const TOKEN_SCOPES: &[(&str, &str)] = &[
    ("referentiel:lire", "Lire le référentiel"),
    ("referentiel:ecrire", "Modifier le référentiel"),
    ("agents:lire", "Lire les agents"),
    ("agents:ecrire", "Modifier les agents"),
    ("metriques:lire", "Lire les métriques d'exploitation"),
    (
        "personnes:rechercher",
        "Rechercher si une personne est connue",
    ),
    ("creneaux:lire", "Lire les créneaux libres des agendas"),
    (
        "rendez-vous:gerer",
        "Prendre, déplacer et annuler des rendez-vous",
    ),
    ("accueil:saisir", "Enregistrer des contacts de l'accueil"),
];

/// Whether a service account may give this role to an agent it creates: never one that reaches the
/// whole département's accounts, audit log or figures (administrateur, DPO, direction); those are
/// given by an administrator signed in.
pub fn token_may_grant(role: Role) -> bool {
    !matches!(role, Role::Administrateur | Role::Dpo | Role::Direction)
}

/// Whether a role may perform an action at all (before any territorial check).
pub fn role_allows(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        Public | Connecte => true,
        // The organisation of the département is not personal data: every agent may read it.
        ReferentielLire => true,
        ReferentielGerer | AgentsGerer | TachesLire | TachesGerer | JetonsGerer => {
            role == Administrateur
        }
        // Staff records are personal data: managers see their team, administrators everybody.
        AgentsLire => matches!(role, Cadre | Administrateur),
        AuditLire => role == Dpo,
        IndicateursLire => matches!(role, Cadre | Direction | Administrateur | EquipeCentrale),
        MetriquesLire => role == Administrateur,
        GroupesLire | GroupesInscrire => true,
        GroupesGerer => matches!(role, Cadre | Direction | Administrateur),
        // Appointments name persons: the desk and the social workers of the sites, and their cadre who
        // reads them; never the direction, the administrator or the DPO. The territory is checked by
        // `reaches_site` on the agent's or the appointment's site.
        AgendaLire => matches!(role, Accueil | TravailleurSocial | Cadre),
        AgendaGerer => matches!(role, TravailleurSocial | Cadre),
        RendezVousGerer => matches!(role, Accueil | TravailleurSocial),
        // The desk log names persons: the desk, the social workers and the cadre of the sites
        // (`reaches_site`), never the direction, the administrator or the DPO.
        AccueilSaisir | AccueilLire => matches!(role, Accueil | TravailleurSocial | Cadre),
        // Figures of fiches 1 to 4: the staff of the sites for their own sites (`reaches_site`), the
        // central team and the direction for the département; not the administrator or the DPO.
        AccueilChiffres => matches!(
            role,
            Accueil | TravailleurSocial | Cadre | EquipeCentrale | Direction
        ),
        // The direction steers with the counts, not with each agent's: the figures per agent are
        // staff data, for the sites' own staff and the central team.
        AccueilChiffresAgents => {
            matches!(role, Accueil | TravailleurSocial | Cadre | EquipeCentrale)
        }
        // Fiche 3: a social worker answers the desk's call; the cadre organises the roster.
        AppuiPrendre => matches!(role, TravailleurSocial | Cadre),
        TableauPermanenceGerer => role == Cadre,
        CreneauxLire => matches!(role, Accueil | TravailleurSocial | Cadre),
        // Personal data: the social work roles and the desk, never the direction, the administrator
        // or the DPO (who reads the audit log, not the files).
        PersonnesLire | PersonnesGerer => {
            matches!(role, Accueil | TravailleurSocial | Cadre | EquipeCentrale)
        }
        DossiersLire | DossiersEcrire => matches!(role, TravailleurSocial | Cadre | EquipeCentrale),
        AccesMotiveDemander => matches!(role, TravailleurSocial | Cadre),
        // The register of exceptional accesses: the cadre for the agents of their sites, the DPO for
        // the département (the control of accesses is theirs).
        AccesMotivesLire => matches!(role, Cadre | Dpo),
        DoublonsGerer => role == Cadre,
        // The register of the requests for a right (no person named): the DPO watches the deadlines.
        RgpdRegistreLire => role == Dpo,
        RgpdGerer => role == Cadre,
        EcheancesLire => matches!(role, TravailleurSocial | Cadre | EquipeCentrale),
        // Escalation: past the due date the direction is told how many files are late, where.
        EcheancesChiffres => matches!(role, Cadre | Direction | EquipeCentrale),
        // The CRIP is a central cell: its figures are the central team's and the direction's, not
        // an MDS's.
        CripChiffres => matches!(role, Direction | EquipeCentrale),
        // Financial aids name persons and their resources: the social workers who instruct, the
        // cadre who decides beyond their delegation and reviews held payments.
        AidesInstruire | AidesDecider => matches!(role, TravailleurSocial | Cadre),
        AidesCommission => role == Cadre,
        // The control of payments: the MDS's cadre for their sites, the central finance team for
        // the département.
        AidesPaiements => matches!(role, Cadre | EquipeCentrale),
        AidesChiffres => matches!(role, Cadre | Direction | EquipeCentrale),
        AidesParametrer => matches!(role, Administrateur | EquipeCentrale),
    }
}

/// Decides an action for a principal. A service account holds no role of its own: the scopes an
/// administrator granted its token decide, and an action without a scope is denied to every token.
pub fn allows(principal: &Principal, action: Action) -> bool {
    if principal.token_id.is_some() {
        return match action.token_scope() {
            Some(scope) => principal.token_scopes.iter().any(|s| s == scope),
            None => false,
        };
    }
    role_allows(principal.role, action)
}

/// Whether a principal reaches records attached to a site. Central roles reach the whole
/// département; territorial roles reach the sites of their assignments only; a service account
/// reaches the sites chosen for its token, and with none of them no site at all (its placeholder role
/// never gives it the whole département).
pub fn reaches_site(principal: &Principal, site_id: Option<i64>) -> bool {
    if principal.token_id.is_some() {
        return site_id.is_some_and(|id| principal.site_ids.contains(&id));
    }
    match principal.role {
        Role::Administrateur | Role::EquipeCentrale | Role::Dpo | Role::Direction => true,
        Role::Accueil | Role::TravailleurSocial | Role::Cadre => match site_id {
            Some(id) => principal.site_ids.contains(&id),
            None => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, sites: &[i64]) -> Principal {
        Principal {
            agent_id: Some(1),
            token_id: None,
            departement_id: "96".into(),
            display_name: "Test".into(),
            role,
            service_id: None,
            site_ids: sites.to_vec(),
            token_scopes: vec![],
        }
    }

    #[test]
    fn only_the_dpo_reads_the_audit_log() {
        for role in Role::ALL {
            assert_eq!(
                role_allows(role, Action::AuditLire),
                role == Role::Dpo,
                "{role:?}"
            );
        }
    }

    #[test]
    fn the_direction_never_reads_staff_records() {
        assert!(!role_allows(Role::Direction, Action::AgentsLire));
        assert!(role_allows(Role::Direction, Action::IndicateursLire));
    }

    #[test]
    fn a_cadre_reaches_only_the_sites_of_their_assignments() {
        let p = principal(Role::Cadre, &[3]);
        assert!(reaches_site(&p, Some(3)));
        assert!(!reaches_site(&p, Some(4)));
        assert!(!reaches_site(&p, None));
    }

    #[test]
    fn the_desk_log_is_for_the_staff_of_the_sites_only() {
        for role in Role::ALL {
            let expected = matches!(role, Role::Accueil | Role::TravailleurSocial | Role::Cadre);
            assert_eq!(
                role_allows(role, Action::AccueilSaisir),
                expected,
                "{role:?}"
            );
            assert_eq!(role_allows(role, Action::AccueilLire), expected, "{role:?}");
        }
    }

    #[test]
    fn a_token_needs_the_scope_of_the_action() {
        let mut p = principal(Role::Administrateur, &[]);
        p.token_id = Some(9);
        p.token_scopes = vec!["referentiel:lire".into()];
        assert!(allows(&p, Action::ReferentielLire));
        assert!(!allows(&p, Action::ReferentielGerer));
        assert!(!allows(&p, Action::AuditLire));
    }

    #[test]
    fn a_scope_opens_its_action_to_a_token_whatever_the_placeholder_role() {
        // Tokens carry the administrator role as a placeholder, which may not read persons or
        // agendas: the scope alone must decide, or a granted scope would be dead.
        let mut p = principal(Role::Administrateur, &[]);
        p.token_id = Some(9);
        p.token_scopes = vec!["personnes:rechercher".into(), "creneaux:lire".into()];
        assert!(allows(&p, Action::PersonnesLire));
        assert!(allows(&p, Action::CreneauxLire));
        assert!(!allows(&p, Action::RendezVousGerer));
        assert!(!allows(&p, Action::DossiersLire));
        assert!(!allows(&p, Action::AgendaLire));
    }

    #[test]
    fn a_token_reaches_the_sites_of_its_token_only_whatever_the_placeholder_role() {
        let mut p = principal(Role::Administrateur, &[3]);
        p.token_id = Some(9);
        assert!(reaches_site(&p, Some(3)));
        assert!(!reaches_site(&p, Some(4)));
        assert!(!reaches_site(&p, None), "never the whole département");
        p.site_ids.clear();
        assert!(
            !reaches_site(&p, Some(3)),
            "no site chosen: no site reached"
        );
    }

    #[test]
    fn a_token_never_grants_a_central_role() {
        for role in Role::ALL {
            assert_eq!(
                token_may_grant(role),
                !matches!(role, Role::Administrateur | Role::Dpo | Role::Direction),
                "{role:?}"
            );
        }
    }

    #[test]
    fn appointments_are_never_seen_by_the_direction_the_administrator_or_the_dpo() {
        for action in [
            Action::AgendaLire,
            Action::AgendaGerer,
            Action::RendezVousGerer,
        ] {
            for role in [
                Role::Direction,
                Role::Administrateur,
                Role::Dpo,
                Role::EquipeCentrale,
            ] {
                assert!(!role_allows(role, action), "{role:?} {action:?}");
            }
        }
        assert!(role_allows(Role::Accueil, Action::RendezVousGerer));
        assert!(!role_allows(Role::Cadre, Action::RendezVousGerer));
        assert!(role_allows(Role::Cadre, Action::AgendaLire));
    }
}
