//! The Typst `World` of a letter: the template, its data, the département's logo, the embedded
//! fonts, nothing else.
//!
//! No disk, no network, no clock: a template sees only what Parcours gives it, and the same
//! template with the same data gives the same PDF.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult, PackageError};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::donnees;
use crate::image::{FormatImage, Image};

/// Marks the refusal of a package in the compiler's message, so that `erreur` can replace it with
/// the French explanation.
pub(crate) const MARQUE_PAQUET: &str = "parcours-paquet-refuse:";

/// Fixed ids: `FileId`s are interned for the life of the process (at most 65 535), so one id per
/// render would eventually exhaust them.
pub(crate) static ID_MODELE: LazyLock<FileId> = LazyLock::new(|| id("/modele.typ"));
static ID_DONNEES: LazyLock<FileId> = LazyLock::new(|| id("/donnees.json"));
/// The département's logo, one fixed name per format (`image` reads the format off the name).
static ID_LOGOS: LazyLock<[(FormatImage, FileId); 3]> =
    LazyLock::new(|| FormatImage::ALL.map(|f| (f, id(&format!("/{}", f.fichier())))));

fn id(chemin: &str) -> FileId {
    let chemin = VirtualPath::new(chemin).expect("chemin virtuel valide");
    RootedPath::new(VirtualRoot::Project, chemin).intern()
}

/// The fonts of typst-assets (Libertinus Serif, New Computer Modern, DejaVu Sans Mono), parsed
/// once: no system font is ever looked up, so every machine renders the same letter.
static POLICES: LazyLock<(LazyHash<FontBook>, Vec<Font>)> = LazyLock::new(|| {
    let polices: Vec<Font> = typst_assets::fonts()
        .flat_map(|octets| Font::iter(Bytes::new(octets)))
        .collect();
    (LazyHash::new(FontBook::from_fonts(&polices)), polices)
});

/// The standard library, built once; each render clones it to add its `donnees`.
static BIBLIOTHEQUE: LazyLock<Library> = LazyLock::new(|| Library::builder().build());

pub(crate) struct Monde {
    bibliotheque: LazyHash<Library>,
    modele: Source,
    donnees_json: Bytes,
    logo: Option<(FileId, Bytes)>,
}

impl Monde {
    pub(crate) fn new(modele: &str, donnees: &serde_json::Value, logo: Option<&Image>) -> Self {
        let mut bibliotheque = BIBLIOTHEQUE.clone();
        bibliotheque
            .global
            .scope_mut()
            .define("donnees", donnees::valeur(donnees));
        Self {
            bibliotheque: LazyHash::new(bibliotheque),
            // A template saved by a Windows editor may start with a byte order mark, which the
            // editor does not show: drop it so that columns match what the département sees.
            modele: Source::new(*ID_MODELE, modele.trim_start_matches('\u{feff}').to_owned()),
            donnees_json: Bytes::from_string(donnees.to_string()),
            logo: logo.and_then(|l| {
                let (_, id) = ID_LOGOS.iter().find(|(f, _)| *f == l.format)?;
                Some((*id, Bytes::new(l.octets.clone())))
            }),
        }
    }

    pub(crate) fn modele(&self) -> &Source {
        &self.modele
    }
}

fn refus(id: FileId) -> FileError {
    match id.root() {
        VirtualRoot::Package(paquet) => FileError::Package(PackageError::Other(Some(
            format!("{MARQUE_PAQUET}{paquet}").into(),
        ))),
        VirtualRoot::Project => FileError::NotFound(id.vpath().get_with_slash().into()),
    }
}

impl World for Monde {
    fn library(&self) -> &LazyHash<Library> {
        &self.bibliotheque
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &POLICES.0
    }

    fn main(&self) -> FileId {
        *ID_MODELE
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == *ID_MODELE {
            Ok(self.modele.clone())
        } else if id == *ID_DONNEES {
            Err(FileError::NotSource)
        } else {
            Err(refus(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == *ID_MODELE {
            Ok(Bytes::from_string(self.modele.text().to_owned()))
        } else if id == *ID_DONNEES {
            Ok(self.donnees_json.clone())
        } else if let Some((_, octets)) = self.logo.as_ref().filter(|(l, _)| *l == id) {
            Ok(octets.clone())
        } else {
            Err(refus(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        POLICES.1.get(index).cloned()
    }

    /// No clock: `datetime.today()` fails, so a letter's date always comes from its data.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}
