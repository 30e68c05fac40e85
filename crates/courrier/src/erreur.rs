//! Errors of a letter, in French and located in the template, for the département to fix it.

use typst::diag::{Severity, SourceDiagnostic};
use typst::syntax::DiagSpan;
use typst::WorldExt;

use crate::monde::{Monde, ID_MODELE, MARQUE_PAQUET};

/// A template failed to compile: French message with the line (and column) of the first error;
/// or the PDF could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ErreurCourrier {
    /// An error located in the template (line from 1); `message` starts with the column.
    #[error("Erreur dans le modèle, ligne {ligne}, {message}")]
    Modele { ligne: usize, message: String },
    /// An error tied to no line of the template.
    #[error("Le courrier n'a pas pu être produit : {0}")]
    Rendu(String),
}

pub(crate) fn depuis_diagnostics(
    monde: &Monde,
    diagnostics: &[SourceDiagnostic],
) -> ErreurCourrier {
    let Some(premiere) = diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
        .or(diagnostics.first())
    else {
        return ErreurCourrier::Rendu("erreur inconnue du compilateur".into());
    };
    let texte = traduire(&premiere.message);
    // An error raised inside a function of the standard library is located at the call in the
    // template: look along the trace for the first place the département can see.
    let position = std::iter::once(premiere.span)
        .chain(premiere.trace.iter().map(|t| DiagSpan::from(t.span)))
        .find_map(|span| position(monde, span));
    match position {
        Some((ligne, colonne)) => ErreurCourrier::Modele {
            ligne,
            message: format!("colonne {colonne} : {texte}"),
        },
        None => ErreurCourrier::Rendu(texte),
    }
}

/// Line and column (from 1) of a span inside the template.
fn position(monde: &Monde, span: DiagSpan) -> Option<(usize, usize)> {
    if span.id()? != *ID_MODELE {
        return None;
    }
    let debut = monde.range(span)?.start;
    let (ligne, colonne) = monde.modele().lines().byte_to_line_column(debut)?;
    Some((ligne + 1, colonne + 1))
}

/// French wording of the compiler's most frequent messages; any other message is kept as the
/// compiler wrote it (in English) rather than guessed.
fn traduire(message: &str) -> String {
    if let Some(i) = message.find(MARQUE_PAQUET) {
        let paquet = message[i + MARQUE_PAQUET.len()..].trim_end_matches(')');
        return format!(
            "le paquet Typst « {paquet} » ne peut pas être importé : Parcours compile les courriers \
             sans accès au réseau ; recopiez dans le modèle le code utile du paquet"
        );
    }
    const TRADUCTIONS: &[(&str, &str)] = &[
        ("unknown variable: ", "variable inconnue : "),
        (
            "unclosed delimiter",
            "délimiteur non fermé (parenthèse, crochet, accolade, *, _ ou $)",
        ),
        ("unclosed string", "chaîne de caractères non fermée"),
        ("unexpected closing bracket", "crochet fermant en trop"),
        ("unexpected closing brace", "accolade fermante en trop"),
        ("unexpected closing paren", "parenthèse fermante en trop"),
        ("expected expression", "expression attendue"),
        (
            "expected semicolon or line break",
            "point-virgule ou retour à la ligne attendu",
        ),
        (
            "dictionary does not contain key ",
            "clé absente du dictionnaire : ",
        ),
        ("panicked with: ", "le modèle s'est arrêté (panic) : "),
        (
            "unable to get the current date",
            "la date du jour n'est pas disponible : utiliser la date fournie (donnees.date)",
        ),
        (
            "file not found (searched at ",
            "fichier introuvable (seul donnees.json peut être lu) : ",
        ),
    ];
    for (anglais, francais) in TRADUCTIONS {
        if let Some(reste) = message.strip_prefix(anglais) {
            // "file not found (searched at /x.typ)": the path without the closing parenthesis.
            let reste = if anglais.ends_with("at ") {
                reste.trim_end_matches(')')
            } else {
                reste
            };
            return format!("{francais}{reste}");
        }
    }
    message.to_owned()
}
