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
mod monde;

pub use erreur::ErreurCourrier;
pub use exemple::exemple_notification_aide;

use typst::diag::Warned;
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

/// The default template of the notification of a decision on a financial aid, in French.
pub const MODELE_NOTIFICATION_AIDE: &str = include_str!("../modeles/notification_aide.typ");

/// Renders `modele` (Typst source) to PDF, with `donnees` given to the template as a dictionary
/// named `donnees` (and as the virtual file `donnees.json`, so that a template can be previewed
/// outside Parcours with `#let donnees = json("donnees.json")`).
pub fn rendre(modele: &str, donnees: &serde_json::Value) -> Result<Vec<u8>, ErreurCourrier> {
    let monde = monde::Monde::new(modele, donnees);
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

/// Checks a template the département uploads: renders it, PDF included, with the `exemple` data;
/// `Ok` or the French error.
pub fn verifier(modele: &str, exemple: &serde_json::Value) -> Result<(), ErreurCourrier> {
    rendre(modele, exemple).map(|_| ())
}
