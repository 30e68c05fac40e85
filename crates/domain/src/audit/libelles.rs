//! Audit entries in plain French for the people who read them (the DPO, the référents of a dossier,
//! the person through their access archive): what was done, on what, at what local time, without a
//! table name or an action code.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// A stored UTC time (RFC 3339) as the département's local time (`zone`, the clock's): `07/12/2026 à
/// 10:05`; the text as is if unreadable.
pub fn heure_locale(at: &str, zone: Tz) -> String {
    match DateTime::parse_from_rfc3339(at) {
        Ok(t) => t
            .with_timezone(&Utc)
            .with_timezone(&zone)
            .format("%d/%m/%Y à %H:%M")
            .to_string(),
        Err(_) => at.to_string(),
    }
}

/// The kind of record, in French, with its article (« la fiche d'une personne »). Unknown types keep
/// their code with spaces, which is still readable.
pub fn enregistrement(record_type: &str) -> String {
    match record_type {
        "agent" => "la fiche d'un agent",
        "agents" => "la liste des agents",
        "personne" => "la fiche d'une personne",
        "personnes" => "la recherche de personnes",
        "foyer" => "la fiche d'un foyer",
        "membre_foyer" => "la composition d'un foyer",
        "adresse" => "une adresse",
        "situation" => "une situation",
        "dossier" => "un dossier",
        "ecrit" => "un écrit",
        "document" => "un document",
        "plan_action" => "le plan d'action",
        "droits_personne" => "les droits d'une personne (RGPD)",
        "consentement" => "un consentement",
        "demande_acces" => "une demande d'accès",
        "conservation" => "une passe de conservation",
        "doublon" => "une paire de doublons",
        "doublons" => "l'analyse des doublons",
        "analyse_doublons" => "l'analyse des doublons",
        "rendez_vous" => "un rendez-vous",
        "agenda" => "un agenda",
        "agenda_plage" => "une plage d'agenda",
        "agenda_absence" => "une absence",
        "agenda_attente" => "la liste d'attente",
        "agenda_salle" => "une salle",
        "action_collective" => "une action collective",
        "accueil_contacts" => "la main courante de l'accueil",
        "accueil_motif" => "un motif de l'accueil",
        "appui_demande" => "une demande d'appui",
        "appui_demandes" => "la file de l'appui",
        "tableau_permanence" => "le tableau de permanence",
        "groupe_projet" => "un groupe projet",
        "journal" => "le journal d'audit",
        "route" => "une page",
        "jeton_api" => "un jeton d'API",
        "import" => "un import du référentiel",
        "tache" => "une tâche de fond",
        "departement" => "le département",
        "territoire" => "un territoire",
        "commune" => "une commune",
        "page_accueil" => "sa page d'accueil (le travail du jour)",
        "acces_motives" => "le registre des accès motivés",
        "registre_demandes_droits" => "le registre des demandes de droits",
        "transmission_acces" => "les éléments d'une demande d'accès détenus par l'équipe",
        "accueil_chiffres" => "les chiffres de l'accueil",
        "crip_chiffres" => "les chiffres de la CRIP",
        "procedures_chiffres" => "les chiffres des procédures",
        "procedure" => "une procédure",
        "dossier_procedures" => "les procédures d'un dossier",
        "echeance" => "une échéance légale",
        "echeances" => "la liste des échéances",
        other => return other.replace('_', " "),
    }
    .to_string()
}

/// What the entry says was done, as a verb phrase (« a lu le journal du dossier »).
pub fn action(action: &str, record_type: &str) -> String {
    let fixed = match (action, record_type) {
        ("lecture", "dossier") => "a lu le journal du dossier",
        ("creation", "dossier") => "a ouvert le dossier",
        ("cloture", "dossier") => "a clos le dossier",
        ("reouverture", "dossier") => "a rouvert le dossier",
        ("referent", "dossier") => "a désigné un référent du dossier",
        ("consultations", "dossier") => "a consulté la liste des accès au dossier",
        ("creation", "ecrit") => "a écrit dans le journal",
        ("lecture", "ecrit") => "a lu l'historique d'un écrit",
        ("correction", "ecrit") => "a corrigé un écrit",
        ("creation", "document") => "a déposé un document",
        ("lecture", "document") => "a téléchargé un document",
        ("creation", "plan_action") => "a ajouté une action au plan",
        ("resultat", "plan_action") => "a noté le résultat d'une action du plan",
        ("acces_motive", "personne") => "a ouvert un accès motivé à la personne",
        ("lecture", "personne") => "a lu la fiche",
        ("creation", "personne") => "a créé la fiche",
        ("correction", "personne") | ("modification", "personne") => "a modifié la fiche",
        ("fusion", "personne") => "a fusionné deux fiches",
        ("annulation_fusion", "personne") => "a annulé une fusion de fiches",
        ("export_acces", "personne") => "a produit l'archive de ses données pour la personne",
        ("recherche", _) => "a cherché des personnes",
        ("connexion", _) => "s'est connecté",
        ("deconnexion", _) => "s'est déconnecté",
        ("mot_de_passe", _) => "a changé un mot de passe",
        ("rappel", "rendez_vous") => "a envoyé le rappel d'un rendez-vous",
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_string();
    }
    let verbe = match action {
        "lecture" => "a lu",
        "creation" => "a créé",
        "modification" => "a modifié",
        "correction" => "a corrigé",
        "suppression" => "a supprimé",
        "fermeture" => "a fermé",
        "retrait" => "a retiré",
        "inscription" => "a inscrit à",
        "refus" => "s'est vu refuser l'accès à",
        "revocation" | "ical_revocation" => "a révoqué",
        "ical_creation" => "a publié",
        "lancement" => "a lancé",
        "relance" => "a relancé",
        "publication" => "a publié",
        "tirage" => "a tiré au sort",
        "calcul" => "a calculé",
        "echec_calcul" => "n'a pas pu calculer",
        "import" => "a importé",
        "analyse" => "a analysé",
        "distincts" => "a déclaré distincte",
        "simulation" => "a simulé",
        "application" => "a appliqué",
        other => {
            return format!(
                "« {} » sur {}",
                other.replace('_', " "),
                enregistrement(record_type)
            )
        }
    };
    format!("{verbe} {}", enregistrement(record_type))
}

/// The actions a filter offers, with their noun in French.
pub const ACTIONS: &[(&str, &str)] = &[
    ("lecture", "Lecture"),
    ("creation", "Création"),
    ("modification", "Modification"),
    ("correction", "Correction"),
    ("suppression", "Suppression"),
    ("fermeture", "Fermeture"),
    ("cloture", "Clôture"),
    ("refus", "Refus d'accès"),
    ("acces_motive", "Accès motivé"),
    ("consultations", "Contrôle des accès à un dossier"),
    ("connexion", "Connexion"),
    ("deconnexion", "Déconnexion"),
    ("recherche", "Recherche"),
    ("fusion", "Fusion de fiches"),
    ("export_acces", "Archive d'accès RGPD"),
];

/// The record types a filter offers.
pub const TYPES: &[&str] = &[
    "personne",
    "foyer",
    "dossier",
    "ecrit",
    "document",
    "plan_action",
    "rendez_vous",
    "agenda",
    "agent",
    "droits_personne",
    "route",
    "journal",
    "groupe_projet",
    "appui_demande",
    "accueil_contacts",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_as_a_sentence_without_a_table_name() {
        assert_eq!(action("lecture", "dossier"), "a lu le journal du dossier");
        assert_eq!(action("lecture", "document"), "a téléchargé un document");
        assert_eq!(action("correction", "personne"), "a modifié la fiche");
        assert_eq!(action("lecture", "agent"), "a lu la fiche d'un agent");
        assert_eq!(
            action("refus", "route"),
            "s'est vu refuser l'accès à une page"
        );
        assert!(!action("lecture", "rendez_vous").contains('_'));
    }

    #[test]
    fn times_are_shown_in_paris_time_across_daylight_saving() {
        // Winter: UTC+1; summer: UTC+2; the night of the change in October.
        assert_eq!(
            heure_locale(
                "2026-12-07T09:05:00.000000Z",
                crate::temps::FUSEAU_METROPOLE
            ),
            "07/12/2026 à 10:05"
        );
        assert_eq!(
            heure_locale(
                "2026-07-14T09:05:00.000000Z",
                crate::temps::FUSEAU_METROPOLE
            ),
            "14/07/2026 à 11:05"
        );
        assert_eq!(
            heure_locale(
                "2026-10-25T00:30:00.000000Z",
                crate::temps::FUSEAU_METROPOLE
            ),
            "25/10/2026 à 02:30"
        );
        assert_eq!(
            heure_locale(
                "2026-10-25T01:30:00.000000Z",
                crate::temps::FUSEAU_METROPOLE
            ),
            "25/10/2026 à 02:30"
        );
        assert_eq!(
            heure_locale("inconnu", crate::temps::FUSEAU_METROPOLE),
            "inconnu"
        );
    }
}
