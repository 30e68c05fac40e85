//! The crate's error type: every failure a user can cause, with a French message naming where it is.

use thiserror::Error;

/// One bound of `features.csv` that has to move to make the quotas satisfiable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relaxation {
    /// Line of `features.csv` holding the quota (header is line 1).
    pub ligne: usize,
    /// Feature name (column `feature`).
    pub caracteristique: String,
    /// Feature value (column `value`).
    pub valeur: String,
    /// `"min"` or `"max"`: the column to change.
    pub colonne: &'static str,
    /// Current bound.
    pub actuel: u32,
    /// Smallest change that restores feasibility, as a new bound.
    pub propose: u32,
}

impl std::fmt::Display for Relaxation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ligne {}, colonne {} ({} = {}) : {} → {}",
            self.ligne, self.colonne, self.caracteristique, self.valeur, self.actuel, self.propose
        )
    }
}

fn liste_relaxations(r: &[Relaxation]) -> String {
    r.iter()
        .map(|x| format!("  - {x}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Everything that can go wrong while reading the inputs, computing the distribution,
/// drawing or verifying. Messages are in French because they are shown to users as is.
#[derive(Debug, Error)]
pub enum TirageError {
    #[error("{fichier} : encodage invalide ligne {ligne}, colonne {colonne} (octet n°{octet}) : le fichier doit être en UTF-8")]
    EncodageInvalide {
        fichier: &'static str,
        ligne: usize,
        colonne: usize,
        octet: usize,
    },

    #[error("{fichier} : fichier vide, la ligne 1 doit contenir l'en-tête")]
    FichierVide { fichier: &'static str },

    #[error("{fichier} : CSV mal formé ligne {ligne}, colonne « {colonne} » : {detail}")]
    CsvMalForme {
        fichier: &'static str,
        ligne: usize,
        colonne: String,
        detail: String,
    },

    #[error("{fichier} : ligne 1, colonne « {colonne} » manquante dans l'en-tête")]
    ColonneManquante {
        fichier: &'static str,
        colonne: String,
    },

    #[error("{fichier} : ligne 1, colonne n°{position} « {colonne} » : cette colonne n'est pas une caractéristique de features.csv")]
    ColonneInconnue {
        fichier: &'static str,
        position: usize,
        colonne: String,
    },

    #[error("{fichier} : ligne 1, colonne « {colonne} » présente deux fois dans l'en-tête")]
    ColonneDupliquee {
        fichier: &'static str,
        colonne: String,
    },

    #[error("{fichier} : ligne {ligne}, colonne « {colonne} » : « {valeur} » n'est pas un entier positif")]
    NombreInvalide {
        fichier: &'static str,
        ligne: usize,
        colonne: String,
        valeur: String,
    },

    #[error("{fichier} : ligne {ligne}, colonne « {colonne} » : valeur vide")]
    ValeurVide {
        fichier: &'static str,
        ligne: usize,
        colonne: String,
    },

    #[error("features.csv : ligne {ligne}, colonnes « min » et « max » : min ({min}) > max ({max}) pour {caracteristique} = {valeur}")]
    MinSuperieurMax {
        ligne: usize,
        caracteristique: String,
        valeur: String,
        min: u32,
        max: u32,
    },

    #[error("features.csv : ligne {ligne}, colonne « value » : {caracteristique} = {valeur} déjà défini ligne {premiere_ligne}")]
    QuotaDuplique {
        ligne: usize,
        premiere_ligne: usize,
        caracteristique: String,
        valeur: String,
    },

    #[error("people.csv : ligne {ligne}, colonne « {colonne} » : la valeur « {valeur} » n'existe pas dans les quotas (features.csv) ; valeurs possibles : {possibles}")]
    ValeurInconnue {
        ligne: usize,
        colonne: String,
        valeur: String,
        possibles: String,
    },

    #[error("people.csv : ligne {ligne}, colonne « id » : identifiant « {id} » déjà utilisé ligne {premiere_ligne}")]
    IdentifiantDuplique {
        ligne: usize,
        premiere_ligne: usize,
        id: String,
    },

    #[error("people.csv : aucun volontaire (aucune ligne après l'en-tête)")]
    AucunVolontaire,

    #[error("taille du panel (--taille) nulle : il faut tirer au moins une personne")]
    TailleNulle,

    #[error("taille du panel (--taille {taille}) supérieure au nombre de volontaires ({volontaires}, people.csv)")]
    TailleTropGrande { taille: usize, volontaires: usize },

    #[error("quotas incompatibles pour un panel de {taille} personnes : aucun panel ne respecte tous les quotas.\nQuotas en conflit et plus petite relaxation (total {total}) :\n{}", liste_relaxations(.relaxations))]
    QuotasIncompatibles {
        taille: usize,
        total: u32,
        relaxations: Vec<Relaxation>,
    },

    #[error("échec du solveur HiGHS : {0}")]
    Solveur(String),

    #[error("fichier de résultat illisible : {0}")]
    ResultatIllisible(String),

    #[error("graine : {0}")]
    Graine(String),

    #[error("vérification refusée : {0}")]
    Refute(String),
}

impl TirageError {
    /// Stable short name of the variant, handy for the web app and tests.
    pub fn code(&self) -> &'static str {
        match self {
            TirageError::EncodageInvalide { .. } => "encodage_invalide",
            TirageError::FichierVide { .. } => "fichier_vide",
            TirageError::CsvMalForme { .. } => "csv_mal_forme",
            TirageError::ColonneManquante { .. } => "colonne_manquante",
            TirageError::ColonneInconnue { .. } => "colonne_inconnue",
            TirageError::ColonneDupliquee { .. } => "colonne_dupliquee",
            TirageError::NombreInvalide { .. } => "nombre_invalide",
            TirageError::ValeurVide { .. } => "valeur_vide",
            TirageError::MinSuperieurMax { .. } => "min_superieur_max",
            TirageError::QuotaDuplique { .. } => "quota_duplique",
            TirageError::ValeurInconnue { .. } => "valeur_inconnue",
            TirageError::IdentifiantDuplique { .. } => "identifiant_duplique",
            TirageError::AucunVolontaire => "aucun_volontaire",
            TirageError::TailleNulle => "taille_nulle",
            TirageError::TailleTropGrande { .. } => "taille_trop_grande",
            TirageError::QuotasIncompatibles { .. } => "quotas_incompatibles",
            TirageError::Solveur(_) => "solveur",
            TirageError::ResultatIllisible(_) => "resultat_illisible",
            TirageError::Graine(_) => "graine",
            TirageError::Refute(_) => "refute",
        }
    }
}
