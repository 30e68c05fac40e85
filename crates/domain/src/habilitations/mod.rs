//! Habilitations: who the agent is (role, service, territorial scope), the one policy that decides
//! every action (deny by default), and the password rules for local accounts.

pub mod password;
pub mod policy;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The roles of Parcours. A role says what kind of work an agent does; the service and the territory
/// of the agent narrow what that role reaches.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Secrétaire or agent d'accueil of an MDS.
    Accueil,
    /// Assistant de service social, CESF, référent ASE or RSA, puéricultrice.
    TravailleurSocial,
    /// Responsable de MDS, RASE, chef de service.
    Cadre,
    /// Central teams: CRIP, placement, agréments.
    EquipeCentrale,
    /// Administrator of the référentiel and of the accounts.
    Administrateur,
    /// Direction: aggregated figures only, never a personal record.
    Direction,
    /// Délégué à la protection des données: reads the audit log.
    Dpo,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Accueil,
        Role::TravailleurSocial,
        Role::Cadre,
        Role::EquipeCentrale,
        Role::Administrateur,
        Role::Direction,
        Role::Dpo,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Role::Accueil => "accueil",
            Role::TravailleurSocial => "travailleur_social",
            Role::Cadre => "cadre",
            Role::EquipeCentrale => "equipe_centrale",
            Role::Administrateur => "administrateur",
            Role::Direction => "direction",
            Role::Dpo => "dpo",
        }
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Role::Accueil => "Agent d'accueil",
            Role::TravailleurSocial => "Travailleur social",
            Role::Cadre => "Cadre",
            Role::EquipeCentrale => "Équipe centrale (CRIP, placement, agréments)",
            Role::Administrateur => "Administrateur",
            Role::Direction => "Direction",
            Role::Dpo => "Délégué à la protection des données",
        }
    }
    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// The authenticated agent (or service account) behind a request, with its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub agent_id: Option<i64>,
    /// Set when the request comes with an API token of a service account.
    pub token_id: Option<i64>,
    pub departement_id: String,
    pub display_name: String,
    pub role: Role,
    pub service_id: Option<i64>,
    /// Sites (MDS/CMS) of the agent's assignments; empty means the whole département for central
    /// roles, and nothing for territorial roles.
    pub site_ids: Vec<i64>,
    /// Scopes of an API token ("referentiel:lire"...); empty for a person.
    pub token_scopes: Vec<String>,
}
