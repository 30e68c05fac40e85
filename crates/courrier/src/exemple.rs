//! Example (invented) data of the template of the notification of a financial aid decision.

use serde_json::json;

/// Example data for `MODELE_NOTIFICATION_AIDE`, a decision of « accord »: used by `verifier` in
/// the admin page and by tests. Names, places and numbers are invented. Optional fields of the
/// template: `destinataire.civilite`, `lieu`, `date_iso` (the PDF's document date),
/// `decision.montant_demande`, `decision.motivation` (also shown for an « accord_partiel »),
/// `recours.adresse_tribunal`.
pub fn exemple_notification_aide() -> serde_json::Value {
    json!({
        "departement": {
            "nom": "Département de la Haute-Sérène",
            "service": "Direction de la solidarité et de l'insertion",
            "adresse": ["Hôtel du Département", "1 place des Tilleuls", "99000 Valmont-sur-Sérène"]
        },
        "mds": {
            "nom": "Maison départementale des solidarités de Brivecourt",
            "adresse": ["12 rue des Glycines", "99120 Brivecourt"],
            "telephone": "01 99 00 12 34"
        },
        "destinataire": {
            "civilite": "Madame",
            "nom": "Madame Léa Fontanelle",
            "adresse": ["Appartement 14", "3 allée des Peupliers", "99120 Brivecourt"]
        },
        "lieu": "Brivecourt",
        "date": "7 décembre 2026",
        "date_iso": "2026-12-07",
        "reference": "AF-2026-000123",
        "aide": { "fonds": "Fonds de solidarité pour le logement" },
        "decision": {
            "sens": "accord",
            "montant": "150,00 €",
            "montant_demande": "150,00 €",
            "beneficiaire_paiement": "Office public de l'habitat de la Haute-Sérène (bailleur)",
            "mode_paiement": "virement bancaire",
            "motivation": "",
            "pieces_manquantes": []
        },
        "recours": {
            "tribunal": "tribunal administratif de Valmont-sur-Sérène",
            "adresse_tribunal": ["5 quai de la Sérène", "99000 Valmont-sur-Sérène"]
        },
        "signataire": {
            "nom": "Claire Dumarais",
            "qualite": "Responsable de la maison départementale des solidarités"
        }
    })
}
