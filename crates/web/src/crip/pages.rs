//! The CRIP's figures page and its CSV and XLSX exports, all from `usecases::crip::chiffres_ip`.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use parcours_domain::habilitations::policy::{allows, Action};
use parcours_domain::procedures::chiffres_ip::{
    libelle_source, IndicateursIp, DEFINITIONS_IP, TRANCHES,
};
use parcours_domain::procedures::SOURCES_IP;
use parcours_usecases::crip::ChiffresIp;

use crate::auth::Ctx;
use crate::error::{WebError, WebResult};
use crate::pages::{render, Layout};
use crate::procedures::pages::{feuille, fichier, jours, pct, Barre, Valeur, MOIS_COURTS};
use crate::AppState;

/// « déc. 2026 » for `2026-12`.
fn mois_fr(code: &str) -> String {
    let (a, m) = code.split_once('-').unwrap_or((code, "1"));
    let m: usize = m.parse().unwrap_or(1);
    format!("{} {a}", MOIS_COURTS[(m.max(1) - 1).min(11)])
}

/// One row of the table by month (and the total).
struct Ligne {
    mois: String,
    recues: i64,
    non_ip: i64,
    evaluations: i64,
    classements: i64,
    propositions: i64,
    saisines: i64,
    dans_delai: String,
    delai_median: String,
    retours: String,
}

fn ligne(mois: String, i: &IndicateursIp) -> Ligne {
    Ligne {
        mois,
        recues: i.recues,
        non_ip: i.non_ip,
        evaluations: i.evaluations,
        classements: i.classements,
        propositions: i.propositions,
        saisines: i.saisines,
        dans_delai: pct(i.part_conclues_dans_delai),
        delai_median: jours(i.delai_median),
        retours: if i.retours_dus == 0 {
            "—".into()
        } else {
            format!("{} / {}", i.retours_dans_delai, i.retours_dus)
        },
    }
}

#[derive(Template)]
#[template(path = "crip/chiffres.html")]
struct ChiffresPage {
    l: Layout,
    depuis: String,
    lignes: Vec<Ligne>,
    total: Ligne,
    sources: Vec<(String, i64)>,
    tranches: Vec<(String, i64)>,
    barres: Vec<Barre>,
    signalements_directs: i64,
    definitions: &'static [(&'static str, &'static str)],
    /// The CRIP opens its list of due dates; the direction, which reads counts only, does not.
    lien_echeances: bool,
}

/// The evaluations by delay, as (label, count), in the order of `TRANCHES`.
fn tranches(i: &IndicateursIp) -> Vec<(String, i64)> {
    TRANCHES
        .iter()
        .map(|(c, l)| (l.to_string(), i.tranches.get(*c).copied().unwrap_or(0)))
        .collect()
}

fn sources(i: &IndicateursIp) -> Vec<(String, i64)> {
    SOURCES_IP
        .iter()
        .map(|(c, l)| (l.to_string(), i.par_source.get(*c).copied().unwrap_or(0)))
        .collect()
}

pub async fn chiffres(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let c = parcours_usecases::crip::chiffres_ip(&state.store, &ctx.acteur()).await?;
    let t = tranches(&c.total);
    let max = t.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let barres = t
        .iter()
        .enumerate()
        .map(|(k, (l, n))| Barre {
            site: l.clone(),
            n: *n,
            y: k * 28 + 5,
            largeur: (*n as f64 / max as f64 * 300.0).round() as i64,
        })
        .collect();
    Ok(render(&ChiffresPage {
        l: ctx.layout(),
        depuis: c.depuis.format("%d/%m/%Y").to_string(),
        lignes: c
            .par_mois
            .iter()
            .map(|(m, i)| ligne(mois_fr(m), i))
            .collect(),
        total: ligne("Douze mois".into(), &c.total),
        sources: sources(&c.total),
        tranches: t,
        barres,
        signalements_directs: c.total.signalements_directs,
        definitions: &DEFINITIONS_IP,
        lien_echeances: allows(&ctx.principal, Action::EcheancesLire),
    }))
}

const ENTETES: [&str; 10] = [
    "Mois de réception",
    "Informations reçues",
    "Pas une IP (réorientées)",
    "Évaluations confiées",
    "Classements",
    "Propositions administratives",
    "Saisines judiciaires",
    "Conclues dans le délai",
    "Délai médian (jours)",
    "Retours aux professionnels dans le délai",
];

/// The figures for an export, traced in the audit log: counts only, but they leave the application.
async fn export(state: &AppState, ctx: &Ctx, format: &str) -> WebResult<ChiffresIp> {
    let c = parcours_usecases::crip::chiffres_ip(&state.store, &ctx.acteur()).await?;
    let mut tx = state.store.begin().await?;
    parcours_store::audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("export", "crip_chiffres", format),
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

fn aujourdhui() -> String {
    parcours_store::clock()
        .today()
        .format("%Y-%m-%d")
        .to_string()
}

pub async fn chiffres_csv(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    use parcours_domain::export::cellule_csv;
    let c = export(&state, &ctx, "csv").await?;
    let mut out = format!("\u{feff}{}\r\n", ENTETES.join(";"));
    let total = ("Douze mois".to_string(), c.total.clone());
    for (m, i) in c.par_mois.iter().chain(std::iter::once(&total)) {
        let l = ligne(m.clone(), i);
        out.push_str(&format!(
            "{};{};{};{};{};{};{};{};{};{}\r\n",
            cellule_csv(&l.mois),
            l.recues,
            l.non_ip,
            l.evaluations,
            l.classements,
            l.propositions,
            l.saisines,
            l.dans_delai,
            l.delai_median.trim_end_matches(" j"),
            cellule_csv(&l.retours),
        ));
    }
    Ok(fichier(
        "text/csv; charset=utf-8",
        &format!("chiffres-crip-{}.csv", aujourdhui()),
        out,
    ))
}

pub async fn chiffres_xlsx(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let c = export(&state, &ctx, "xlsx").await?;
    let body = classeur(&c).map_err(|e| WebError::Internal(e.into()))?;
    Ok(fichier(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("chiffres-crip-{}.xlsx", aujourdhui()),
        body,
    ))
}

fn classeur(c: &ChiffresIp) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let gras = Format::new().set_bold().set_text_wrap();
    let part = Format::new().set_num_format("0.0%");
    let ws = wb.add_worksheet();
    ws.set_name("Par mois")?;
    for (k, h) in ENTETES.iter().enumerate() {
        ws.write_string_with_format(0, k as u16, *h, &gras)?;
        ws.set_column_width(k as u16, if k == 0 { 18 } else { 14 })?;
    }
    ws.set_row_height(0, 45)?;
    let total = ("Douze mois".to_string(), c.total.clone());
    for (r, (m, i)) in c.par_mois.iter().chain(std::iter::once(&total)).enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, m)?;
        for (col, n) in [
            (1u16, i.recues),
            (2, i.non_ip),
            (3, i.evaluations),
            (4, i.classements),
            (5, i.propositions),
            (6, i.saisines),
        ] {
            ws.write_number(r, col, n as f64)?;
        }
        if let Some(p) = i.part_conclues_dans_delai {
            ws.write_number_with_format(r, 7, p, &part)?;
        }
        if let Some(j) = i.delai_median {
            ws.write_number(r, 8, j)?;
        }
        if i.retours_dus > 0 {
            ws.write_number_with_format(
                r,
                9,
                i.retours_dans_delai as f64 / i.retours_dus as f64,
                &part,
            )?;
        }
    }
    feuille(
        &mut wb,
        "Par origine",
        ("Origine", "Informations reçues"),
        c.total
            .par_source
            .iter()
            .map(|(code, n)| (libelle_source(code).to_string(), Valeur::Nombre(*n))),
    )?;
    feuille(
        &mut wb,
        "Délais",
        ("Évaluation", "Informations"),
        tranches(&c.total)
            .into_iter()
            .map(|(l, n)| (l, Valeur::Nombre(n))),
    )?;
    feuille(
        &mut wb,
        "Définitions",
        ("Indicateur", "Définition"),
        DEFINITIONS_IP
            .iter()
            .map(|(k, d)| (k.to_string(), Valeur::Texte(d.to_string()))),
    )?;
    wb.save_to_buffer()
}
