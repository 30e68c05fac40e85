//! The document upload: any bytes as a `multipart/form-data` body with a fixed boundary, read by
//! multer (the parser under axum's `Multipart`) the way the page handler (`web/src/dossiers/documents.rs`,
//! `document_add`) and the API handler (`web/src/dossiers/api.rs`, `document_add`) read it, then
//! checked by `dossiers::NewDocument::parse`; and, as `web/src/referentiel` reads the same kind of body,
//! the référentiel import upload. Mirrors the handlers without depending on the web crate, which would
//! build the whole application with sanitizers.
//!
//! No panic; the body is read to the same fields whether it comes in one chunk or in small ones; an
//! accepted document is not empty, within the size limit, of an accepted type, with its SHA-256 and
//! a file name that is safe in a Content-Disposition header.
#![no_main]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use parcours_domain::dossiers::{DocumentForm, NewDocument, Visibilite, TYPES_ACCEPTES};
use parcours_domain::referentiel::import::{preview, ImportKind, Known};
use sha2::{Digest, Sha256};

/// The Content-Type a browser would send; the body is the fuzzer's.
const CONTENT_TYPE: &str = "multipart/form-data; boundary=----parcours0fuzz";
/// The default of `PARCOURS_DOCUMENT_TAILLE_MAX`.
const TAILLE_MAX: usize = 8 * 1024 * 1024;
/// A small limit too, so that inputs of a few kilobytes reach the « too large » branch.
const PETITE_TAILLE_MAX: usize = 64;

/// One field as a handler sees it: name, file name, content.
type Champ = (String, Option<String>, Vec<u8>);

fuzz_target!(|data: &[u8]| {
    let whole = read_fields(vec![Bytes::copy_from_slice(data)]);
    // Chunk sizes vary with the input so that boundaries fall across chunks, as on a network.
    let size = 1 + data.len() % 13;
    let chunks = data.chunks(size).map(Bytes::copy_from_slice).collect();
    let chunked = read_fields(chunks);
    assert_eq!(whole, chunked, "the same body read in chunks of {size}");

    // A handler stops at the first multipart error (the page shows a message, the API answers 400).
    let Ok(champs) = whole else {
        return;
    };
    page(&champs);
    api(&champs);
    import(&champs);
});

/// Polls a future whose stream is always ready (the whole body is in memory).
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// The loop of the handlers: every field's name, file name and bytes, until the end or an error.
fn read_fields(chunks: Vec<Bytes>) -> Result<Vec<Champ>, String> {
    // As axum's extractor: the boundary comes from the Content-Type header.
    let boundary = multer::parse_boundary(CONTENT_TYPE).expect("boundary");
    let stream = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, Infallible>));
    let mut mp = multer::Multipart::new(stream, boundary);
    block_on(async move {
        let mut out = Vec::new();
        while let Some(field) = mp.next_field().await.map_err(|e| e.to_string())? {
            let name = field.name().unwrap_or("").to_string();
            let filename = field.file_name().map(str::to_string);
            let data = field.bytes().await.map_err(|e| e.to_string())?;
            out.push((name, filename, data.to_vec()));
        }
        Ok(out)
    })
}

/// `web/src/dossiers/documents.rs::document_add`: any field but the file is kept as (lossy) text.
fn page(champs: &[Champ]) {
    let mut values = BTreeMap::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    for (name, filename, data) in champs {
        if name == "fichier" {
            file = Some((filename.clone().unwrap_or_default(), data.clone()));
        } else {
            values.insert(name.clone(), String::from_utf8_lossy(data).to_string());
        }
    }
    let g = |k: &str| values.get(k).cloned().unwrap_or_default();
    let form = DocumentForm {
        type_document: g("type_document"),
        visibilite: g("doc_visibilite"),
        base_legale: g("doc_base_legale"),
    };
    let (nom, bytes) = file.unwrap_or_default();
    check(&form, &nom, bytes);
}

/// `web/src/dossiers/api.rs::document_add`: the known fields, trimmed.
fn api(champs: &[Champ]) {
    let mut form = DocumentForm::default();
    let mut file: Option<(String, Vec<u8>)> = None;
    for (name, filename, data) in champs {
        let text = || String::from_utf8_lossy(data).trim().to_string();
        match name.as_str() {
            "fichier" => file = Some((filename.clone().unwrap_or_default(), data.clone())),
            "type_document" => form.type_document = text(),
            "visibilite" => form.visibilite = text(),
            "base_legale" => form.base_legale = text(),
            _ => {}
        }
    }
    let (nom, bytes) = file.unwrap_or_default();
    check(&form, &nom, bytes);
}

/// The domain's checks, with the default limit and a small one.
fn check(form: &DocumentForm, nom: &str, bytes: Vec<u8>) {
    for limite in [TAILLE_MAX, PETITE_TAILLE_MAX] {
        match NewDocument::parse(form, nom, bytes.clone(), limite) {
            Ok(d) => {
                assert!(!d.contenu.is_empty() && d.contenu.len() <= limite);
                assert_eq!(d.contenu, bytes);
                assert_eq!(d.sha256, hex(&Sha256::digest(&bytes)));
                assert!(TYPES_ACCEPTES.iter().any(|(m, _, _)| *m == d.mime));
                let n = &d.nom_fichier;
                assert!(!n.is_empty() && n.chars().count() <= 120, "{n:?}");
                assert_eq!(n.trim(), n);
                assert!(
                    !n.chars()
                        .any(|c| c.is_control() || matches!(c, '"' | ';' | '/' | '\\')),
                    "{n:?}"
                );
                assert_ne!(d.visibilite, Visibilite::Agents);
                if d.visibilite == Visibilite::Dossier {
                    assert!(d.base_legale.is_some());
                }
            }
            Err(e) => {
                for k in e.0 .0.keys() {
                    assert!(
                        ["type_document", "fichier", "visibilite", "base_legale"]
                            .contains(&k.as_str()),
                        "{k}"
                    );
                }
                if bytes.len() > limite {
                    assert!(e.0.get("fichier").is_some());
                }
            }
        }
    }
}

/// `web/src/referentiel/pages.rs::import_upload`: the kind of file and a non-empty file.
fn import(champs: &[Champ]) {
    let mut kind = String::new();
    let mut file = None;
    for (name, _, data) in champs {
        match name.as_str() {
            "type" => kind = String::from_utf8_lossy(data).to_string(),
            "fichier" => file = Some(data.clone()),
            _ => {}
        }
    }
    let (Some(k), Some(bytes)) = (ImportKind::parse(&kind), file.filter(|b| !b.is_empty())) else {
        return;
    };
    let known = Known {
        departement_code: "96".into(),
        ..Default::default()
    };
    let _ = preview(k, &bytes, &known);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
