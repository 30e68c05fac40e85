//! Letters (« courriers ») as PDF, rendered from Typst templates (« modèles ») the département edits.
//!
//! The Typst compiler is used as a library, offline: fonts are embedded (typst-assets), no package
//! is ever downloaded and nothing is read from the disk. A letter's data reach the template as
//! values, never as markup: a person named `#panic()` is printed as such.
//!
//! Rendering is CPU-bound (tens of milliseconds): call it from `spawn_blocking` in async code.

mod donnees;
mod erreur;
mod exemple;
mod image;
mod monde;

pub use erreur::ErreurCourrier;
pub use exemple::exemple_notification_aide;
pub use image::{FormatImage, Image};

use typst::diag::Warned;
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

/// The default template of the notification of a decision on a financial aid, in French.
pub const MODELE_NOTIFICATION_AIDE: &str = include_str!("../modeles/notification_aide.typ");

/// Renders `modele` (Typst source) to PDF, with `donnees` given to the template as a dictionary
/// named `donnees` (and as the virtual file `donnees.json`, so that a template can be previewed
/// outside Parcours with `#let donnees = json("donnees.json")`).
pub fn rendre(modele: &str, donnees: &serde_json::Value) -> Result<Vec<u8>, ErreurCourrier> {
    rendre_avec_logo(modele, donnees, None)
}

/// [`rendre`], with the département's logo: the template finds its file name in `donnees.logo`
/// (absent without a logo), e.g. `#if "logo" in donnees { image(donnees.logo, height: 2cm) }`.
pub fn rendre_avec_logo(
    modele: &str,
    donnees: &serde_json::Value,
    logo: Option<&Image>,
) -> Result<Vec<u8>, ErreurCourrier> {
    let mut donnees = donnees.clone();
    if let (Some(l), Some(d)) = (logo, donnees.as_object_mut()) {
        d.insert("logo".into(), l.format.fichier().into());
    }
    let donnees = &donnees;
    let monde = monde::Monde::new(modele, donnees, logo);
    let Warned { output, .. } = typst::compile::<PagedDocument>(&monde);
    let document = output.map_err(|erreurs| erreur::depuis_diagnostics(&monde, &erreurs))?;
    // Default options: tagged PDF (structure for screen readers), fonts embedded, no timestamp
    // unless the template sets `document(date: ..)`. Not PDF/A: it demands a document date that a
    // département's template may well not set.
    let options = PdfOptions::default();
    let pdf = typst_pdf::pdf(&document, &options)
        .map_err(|erreurs| erreur::depuis_diagnostics(&monde, &erreurs));
    // The compiler memoises across calls (comemo); without eviction a server that renders many
    // letters would keep every intermediate result.
    typst::comemo::evict(10);
    pdf
}

/// Bound on a logo: a letterhead image, not a photograph.
pub const LOGO_TAILLE_MAX: usize = 512 * 1024;

/// Checks an image the département uploads as its logo: its format by its bytes, its size, and that
/// Typst decodes it (drawn alone on a page); the image or the French reason.
pub fn verifier_logo(octets: Vec<u8>) -> Result<Image, String> {
    if octets.is_empty() {
        return Err("Choisissez le fichier du logo.".into());
    }
    if octets.len() > LOGO_TAILLE_MAX {
        return Err(format!(
            "Le logo pèse {} Kio : 512 Kio au plus.",
            octets.len().div_ceil(1024)
        ));
    }
    let Some(format) = FormatImage::detecter(&octets) else {
        return Err("Le logo doit être une image PNG, JPEG ou SVG.".into());
    };
    let image = Image { format, octets };
    let essai = "#if \"logo\" in donnees { image(donnees.logo, width: 4cm) }";
    rendre_avec_logo(essai, &serde_json::json!({}), Some(&image))
        .map_err(|e| format!("L'image n'a pas pu être lue : {e}"))?;
    Ok(image)
}

/// Checks a template the département uploads: renders it, PDF included, with the `exemple` data;
/// `Ok` or the French error.
pub fn verifier(modele: &str, exemple: &serde_json::Value) -> Result<(), ErreurCourrier> {
    rendre(modele, exemple).map(|_| ())
}

/// [`verifier`] with the logo in force, which a template may show.
pub fn verifier_avec_logo(
    modele: &str,
    exemple: &serde_json::Value,
    logo: Option<&Image>,
) -> Result<(), ErreurCourrier> {
    rendre_avec_logo(modele, exemple, logo).map(|_| ())
}
