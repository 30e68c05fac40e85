//! The `parcours placement` command line: clap arguments, files written atomically, summary on
//! stdout, progress on stderr when it is a terminal.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cout::{verifier, Solution};
use crate::explication::{ecrire_explications, expliquer};
use crate::generateur::{ecrire_instance, generer_forme, Forme};
use crate::instance::Instance;
use crate::moteur::{resoudre, Methode, Options, Resultat};

/// `parcours placement` — propositions d'orientation des enfants vers les places d'accueil.
///
/// Sans sous-commande : lit l'instance (`communes.csv`, `places.csv`, `children.csv`), propose une
/// place à chaque enfant (modèle `placement.md`) et écrit `child_id,place_id`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct PlacementCommand {
    #[command(subcommand)]
    pub action: Option<PlacementAction>,
    #[command(flatten)]
    pub resoudre: ResoudreArgs,
}

/// Sous-commandes de `parcours placement`.
#[derive(Debug, Subcommand)]
pub enum PlacementAction {
    /// Génère une instance fictive réaliste (déterministe pour une graine).
    Generer(GenererArgs),
}

/// Arguments de la proposition.
#[derive(Debug, Args)]
pub struct ResoudreArgs {
    /// Répertoire de l'instance : `communes.csv`, `places.csv`, `children.csv`.
    #[arg(long, required = true)]
    pub instance: Option<PathBuf>,
    /// Fichier CSV de la proposition (en-tête `child_id,place_id`).
    #[arg(long, required = true)]
    pub sortie: Option<PathBuf>,
    /// Temps de calcul maximal, en secondes.
    #[arg(long, default_value_t = 10.0)]
    pub temps: f64,
    /// Graine de la recherche (même graine, même proposition, au temps près).
    #[arg(long, default_value_t = 0)]
    pub graine: u64,
    /// Choix imposés par l'agent (en-tête `child_id,place_id` ; place vide : laisser sans place).
    #[arg(long)]
    pub fixer: Option<PathBuf>,
    /// Explications par enfant (place choisie, coût par terme, alternatives écartées), en CSV.
    #[arg(long)]
    pub explications: Option<PathBuf>,
    /// Méthode : `moteur` (défaut), `glouton` (référence naïve), `exact` (MIP complet),
    /// `reference` (banc d'essai : moteur puis MIP restreint aux meilleures places, démarré du moteur).
    #[arg(long, value_enum, default_value_t = Methode::Moteur)]
    pub methode: Methode,
}

/// Arguments de `generer`.
#[derive(Debug, Args)]
pub struct GenererArgs {
    #[arg(long)]
    pub enfants: usize,
    #[arg(long)]
    pub places: usize,
    #[arg(long, default_value_t = 1)]
    pub graine: u64,
    /// Répertoire où écrire les trois fichiers.
    #[arg(long)]
    pub sortie: PathBuf,
    /// Forme des fratries : `standard` (défaut) ou `regroupable` (âges proches, agréments larges).
    #[arg(long, value_enum, default_value_t = Forme::Standard)]
    pub forme: Forme,
}

/// Writes `contenu` to a temporary file next to `chemin`, then renames it: nothing partial.
fn ecrire_atomique(
    chemin: &Path,
    ecrire: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = chemin
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let nom = chemin
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{nom}.{}.tmp", std::process::id()));
    let r = (|| {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(&tmp)
                .with_context(|| format!("écriture de {}", tmp.display()))?,
        );
        ecrire(&mut f)?;
        f.flush()
            .with_context(|| format!("écriture de {}", tmp.display()))?;
        drop(f);
        std::fs::rename(&tmp, chemin).with_context(|| format!("écriture de {}", chemin.display()))
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

/// Writes the solution file `child_id,place_id`.
pub fn ecrire_solution(
    inst: &Instance,
    sol: &Solution,
    sortie: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(sortie);
    w.write_record(["child_id", "place_id"])?;
    for (c, p) in sol.iter().enumerate() {
        w.write_record([
            inst.children[c].id.as_str(),
            p.map(|p| inst.places[p].id.as_str()).unwrap_or(""),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// The summary printed on stdout.
pub fn resume(inst: &Instance, r: &Resultat, duree: Duration) -> String {
    let d = &r.detail;
    let mut s = format!(
        "objectif : {} (C1 distance {}, C2 urgence {}, C3 déplacement {}, C4 collectif {}, C5 fratries {}, C6 non placés {})\n",
        d.total, d.c1, d.c2, d.c3, d.c4, d.c5, d.c6
    );
    match r.borne {
        Some(b) => {
            let ecart = if d.total > 0 {
                100.0 * (d.total - b).max(0) as f64 / d.total as f64
            } else {
                0.0
            };
            s += &format!("borne inférieure : {b}\nécart : {ecart:.2} %\n");
        }
        None => s += "borne inférieure : non calculée\n",
    }
    if let Some(b) = r.borne_restreinte {
        s += &format!("borne du MIP restreint (paires candidates seulement, pas une borne du problème) : {b}\n");
    }
    if r.prouve {
        s += "optimal (prouvé)\n";
    }
    let mut non_places = [0usize; 3];
    for (c, p) in r.solution.iter().enumerate() {
        if p.is_none() {
            non_places[usize::from(inst.children[c].urgency.min(2))] += 1;
        }
    }
    s += &format!(
        "non placés : {} (urgence 2 : {}, urgence 1 : {}, urgence 0 : {})\n",
        non_places.iter().sum::<usize>(),
        non_places[2],
        non_places[1],
        non_places[0]
    );
    let fratries = (0..inst.groups.len())
        .filter(|&g| inst.groups[g].len() > 1)
        .count();
    let separees = (0..inst.groups.len())
        .filter(|&g| crate::cout::c5_groupe(inst, g, &r.solution) > 0)
        .count();
    s += &format!("fratries séparées : {separees} sur {fratries}\n");
    s += &format!("temps : {:.2} s\n", duree.as_secs_f64());
    s
}

/// Entry point called by the main `parcours` binary for `parcours placement …`.
pub fn run(cmd: PlacementCommand) -> anyhow::Result<()> {
    if let Some(PlacementAction::Generer(a)) = cmd.action {
        let inst = generer_forme(a.enfants, a.places, a.graine, a.forme);
        ecrire_instance(&inst, &a.sortie)
            .with_context(|| format!("écriture de {}", a.sortie.display()))?;
        eprintln!(
            "instance écrite dans {} : {} enfants, {} places, {} fratries",
            a.sortie.display(),
            inst.children.len(),
            inst.places.len(),
            inst.groups.len()
        );
        return Ok(());
    }
    let a = cmd.resoudre;
    let (Some(dir), Some(sortie)) = (a.instance, a.sortie) else {
        bail!("arguments --instance et --sortie requis");
    };
    if !(a.temps.is_finite() && a.temps > 0.0) {
        bail!(
            "--temps {} : un nombre de secondes positif est attendu",
            a.temps
        );
    }
    let debut = Instant::now();
    let mut inst = Instance::depuis_repertoire(&dir)?;
    if let Some(f) = &a.fixer {
        let lecteur =
            std::fs::File::open(f).with_context(|| format!("ouverture de {}", f.display()))?;
        let nom = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        inst.fixer(lecteur, &nom)?;
    }
    // A fact, not an error: such a child stays unplaced whatever the solver does (C6).
    for c in inst.sans_place_possible() {
        let ch = &inst.children[c];
        eprintln!(
            "avertissement : enfant {} (children.csv, ligne {}) : aucune place ne satisfait H3–H6 (âge {}, besoins « {} », urgence {}) ; il reste non placé",
            ch.id,
            ch.ligne,
            ch.age,
            [(crate::instance::BESOIN_H, 'H'), (crate::instance::BESOIN_T, 'T')]
                .iter()
                .filter(|(b, _)| ch.needs & b != 0)
                .map(|(_, l)| *l)
                .collect::<String>(),
            ch.urgency
        );
    }
    let barre = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new_spinner();
        b.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(Duration::from_millis(200));
        Some(b)
    } else {
        None
    };
    let b2 = barre.clone();
    let options = Options {
        // Leave a little of the budget for reading and writing.
        temps: Duration::from_secs_f64(a.temps)
            .saturating_sub(debut.elapsed())
            .mul_f64(0.97),
        graine: a.graine,
        progression: b2
            .map(|b| Arc::new(move |m: &str| b.set_message(m.to_owned())) as crate::moteur::Rappel),
    };
    let r = resoudre(&inst, a.methode, &options);
    if let Some(b) = barre {
        b.finish_and_clear();
    }
    let r = r?;
    if let Err(e) = verifier(&inst, &r.solution) {
        bail!(
            "proposition refusée par la vérification indépendante : {}",
            e.join(" ; ")
        );
    }
    for l in &r.journal {
        eprintln!("{l}");
    }
    if let Some(f) = &a.explications {
        let ex = expliquer(&inst, &r.solution);
        ecrire_atomique(f, |w| Ok(ecrire_explications(w, &ex)?))?;
    }
    ecrire_atomique(&sortie, |w| ecrire_solution(&inst, &r.solution, w))?;
    print!("{}", resume(&inst, &r, debut.elapsed()));
    Ok(())
}
