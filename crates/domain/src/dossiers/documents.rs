//! Documents of a dossier: the kinds of document, and the checks of an upload (size limit from the
//! settings, file type recognised from its content — not from its name — among the accepted ones).

use serde::{Deserialize, Serialize};

use super::secret::{parse_partage, BaseLegale, Visibilite};
use crate::validation::{FieldErrors, Invalid};

/// Kinds of document a dossier holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TypeDocument {
    PieceIdentite,
    JustificatifRessources,
    JustificatifDomicile,
    Courrier,
    Rapport,
    Decision,
    Autre,
}

impl TypeDocument {
    pub const ALL: [TypeDocument; 7] = [
        Self::PieceIdentite,
        Self::JustificatifRessources,
        Self::JustificatifDomicile,
        Self::Courrier,
        Self::Rapport,
        Self::Decision,
        Self::Autre,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::PieceIdentite => "piece_identite",
            Self::JustificatifRessources => "justificatif_ressources",
            Self::JustificatifDomicile => "justificatif_domicile",
            Self::Courrier => "courrier",
            Self::Rapport => "rapport",
            Self::Decision => "decision",
            Self::Autre => "autre",
        }
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Self::PieceIdentite => "Pièce d'identité",
            Self::JustificatifRessources => "Justificatif de ressources",
            Self::JustificatifDomicile => "Justificatif de domicile",
            Self::Courrier => "Courrier",
            Self::Rapport => "Rapport, évaluation",
            Self::Decision => "Décision",
            Self::Autre => "Autre",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// The file types accepted, recognised from the content: (MIME type, extension, label).
pub const TYPES_ACCEPTES: &[(&str, &str, &str)] = &[
    ("application/pdf", "pdf", "PDF"),
    ("image/jpeg", "jpg", "JPEG"),
    ("image/png", "png", "PNG"),
    (
        "application/vnd.oasis.opendocument.text",
        "odt",
        "OpenDocument texte",
    ),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
        "Word (docx)",
    ),
];

/// The fields of an upload besides the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct DocumentForm {
    pub type_document: String,
    pub visibilite: String,
    pub base_legale: String,
}

/// A valid upload, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    pub type_document: TypeDocument,
    pub nom_fichier: String,
    pub mime: &'static str,
    pub contenu: Vec<u8>,
    pub sha256: String,
    pub visibilite: Visibilite,
    pub base_legale: Option<BaseLegale>,
}

/// Keeps a file name displayable and harmless in a Content-Disposition header.
fn nom_sain(nom: &str) -> String {
    let base = nom.rsplit(['/', '\\']).next().unwrap_or(nom);
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(120)
        .collect();
    let clean = clean.trim().to_string();
    if clean.is_empty() {
        "document".into()
    } else {
        clean
    }
}

impl NewDocument {
    /// Checks an upload: a kind, a file that is not empty, not larger than `taille_max` bytes, and whose
    /// content is one of `TYPES_ACCEPTES`, and the sharing rules of the secret partagé.
    pub fn parse(
        f: &DocumentForm,
        nom_fichier: &str,
        contenu: Vec<u8>,
        taille_max: usize,
    ) -> Result<Self, Invalid> {
        use sha2::{Digest, Sha256};
        let mut e = FieldErrors::new();
        let type_document = TypeDocument::parse(&f.type_document).unwrap_or_else(|| {
            e.add("type_document", "Choisissez le type de document.");
            TypeDocument::Autre
        });
        let mut mime = "";
        if contenu.is_empty() {
            e.add(
                "fichier",
                "Choisissez un fichier (le fichier reçu est vide).",
            );
        } else if contenu.len() > taille_max {
            e.add(
                "fichier",
                format!(
                    "Le fichier pèse {:.1} Mo : la limite est de {:.1} Mo.",
                    contenu.len() as f64 / 1_048_576.0,
                    taille_max as f64 / 1_048_576.0
                ),
            );
        } else {
            let detected = infer::get(&contenu).map(|t| t.mime_type());
            match TYPES_ACCEPTES.iter().find(|(m, _, _)| Some(*m) == detected) {
                Some((m, _, _)) => mime = m,
                None => e.add(
                    "fichier",
                    format!(
                        "Type de fichier refusé : seuls {} sont acceptés.",
                        TYPES_ACCEPTES
                            .iter()
                            .map(|t| t.2)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            }
        }
        let (visibilite, base_legale) = parse_partage(&mut e, &f.visibilite, &f.base_legale, false);
        if visibilite == Visibilite::Agents {
            e.add(
                "visibilite",
                "Un document se partage avec le dossier, le service ou reste personnel.",
            );
        }
        e.into_result()?;
        let sha256 = hex::encode(Sha256::digest(&contenu));
        Ok(Self {
            type_document,
            nom_fichier: nom_sain(nom_fichier),
            mime,
            contenu,
            sha256,
            visibilite,
            base_legale,
        })
    }
}

/// A stored document, without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub id: i64,
    pub dossier_id: i64,
    pub type_document: TypeDocument,
    pub nom_fichier: String,
    pub mime: String,
    pub taille: i64,
    pub sha256: String,
    pub visibilite: Visibilite,
    pub base_legale: Option<BaseLegale>,
    pub auteur_id: i64,
    pub auteur_nom: String,
    pub service_id: Option<i64>,
    /// The author's site when writing (with the service: the team of « Mon équipe »).
    pub site_id: Option<i64>,
    pub created_at: String,
}

impl Document {
    pub fn taille_lisible(&self) -> String {
        if self.taille < 1024 {
            format!("{} o", self.taille)
        } else if self.taille < 1_048_576 {
            format!("{:.0} Ko", self.taille as f64 / 1024.0)
        } else {
            format!("{:.1} Mo", self.taille as f64 / 1_048_576.0)
        }
    }
}

impl From<&Document> for super::secret::PieceAcces {
    fn from(d: &Document) -> Self {
        super::secret::PieceAcces {
            auteur_id: d.auteur_id,
            service_id: d.service_id,
            site_id: d.site_id,
            visibilite: d.visibilite,
            destinataires: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> DocumentForm {
        DocumentForm {
            type_document: "courrier".into(),
            visibilite: "service".into(),
            base_legale: String::new(),
        }
    }

    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

    #[test]
    fn a_pdf_is_accepted_with_its_checksum() {
        let d =
            NewDocument::parse(&form(), "C:\\docs\\courrier CAF.pdf", PDF.to_vec(), 1000).unwrap();
        assert_eq!(d.mime, "application/pdf");
        assert_eq!(d.nom_fichier, "courrier CAF.pdf");
        assert_eq!(d.sha256.len(), 64);
    }

    #[test]
    fn too_large_empty_or_forbidden_files_are_refused() {
        let Invalid(e) = NewDocument::parse(&form(), "a.pdf", PDF.to_vec(), 10).unwrap_err();
        assert!(e.get("fichier").unwrap().contains("limite"));
        let Invalid(e) = NewDocument::parse(&form(), "a.pdf", vec![], 1000).unwrap_err();
        assert!(e.get("fichier").is_some());
        // An executable renamed to .pdf is recognised by its content.
        let Invalid(e) = NewDocument::parse(
            &form(),
            "facture.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00".to_vec(),
            1000,
        )
        .unwrap_err();
        assert!(e.get("fichier").unwrap().contains("refusé"));
    }

    #[test]
    fn a_document_shared_with_the_dossier_needs_its_basis() {
        let mut f = form();
        f.visibilite = "dossier".into();
        let Invalid(e) = NewDocument::parse(&f, "a.pdf", PDF.to_vec(), 1000).unwrap_err();
        assert!(e.get("base_legale").is_some());
    }
}
