//! The `parcours tirage` command line: clap arguments, file handling and progress display.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rand_core::{OsRng, RngCore};

use crate::distribution::{vers_json, Distribution, Resultat};
use crate::graine::{draw, engagement, graine_depuis_revelations};
use crate::input::Instance;
use crate::leximin::{leximin, Options, Progression};
use crate::verification::{verifier_distribution, verify, SourceGraine};

/// `parcours tirage` — tirage au sort leximin exact et vérifiable.
///
/// Sans sous-commande : calcule la distribution leximin (ou lit celle publiée avec
/// `--distribution`), tire un panel avec la graine et écrit le résultat.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct TirageCommand {
    #[command(subcommand)]
    pub action: Option<TirageAction>,
    #[command(flatten)]
    pub tirer: TirerArgs,
}

/// Sous-commandes de `parcours tirage`.
#[derive(Debug, Subcommand)]
pub enum TirageAction {
    /// Publie la distribution leximin AVANT le tirage (sans graine ni panel tiré).
    Publier(PublierArgs),
    /// Vérifie un résultat publié : recalcule tout et confirme (code 0) ou réfute (code 1).
    Verifier(VerifierArgs),
    /// Affiche l'engagement SHA-256 d'une valeur à révéler plus tard (à passer à `publier`).
    Engagement {
        /// Valeur gardée secrète jusqu'au tirage.
        valeur: String,
    },
}

/// Arguments du tirage.
#[derive(Debug, Args)]
pub struct TirerArgs {
    /// Fichier des quotas (en-tête `feature,value,min,max`).
    #[arg(long, required = true)]
    pub quotas: Option<PathBuf>,
    /// Fichier des volontaires (en-tête `id,<caractéristique>,…`).
    #[arg(long, required = true)]
    pub volontaires: Option<PathBuf>,
    /// Nombre de personnes à tirer.
    #[arg(long, required = true)]
    pub taille: Option<usize>,
    /// Graine fixée à l'avance (par exemple les numéros d'un tirage public). Aléatoire si absente.
    #[arg(long, conflicts_with = "revelation")]
    pub graine: Option<String>,
    /// Valeur révélée (répéter dans l'ordre des engagements de la distribution publiée).
    #[arg(long)]
    pub revelation: Vec<String>,
    /// Distribution publiée auparavant par `publier` : tirer dans celle-ci sans la recalculer.
    #[arg(long)]
    pub distribution: Option<PathBuf>,
    /// Fichier JSON du résultat.
    #[arg(long, required = true)]
    pub sortie: Option<PathBuf>,
}

/// Arguments de `publier`.
#[derive(Debug, Args)]
pub struct PublierArgs {
    #[arg(long)]
    pub quotas: PathBuf,
    #[arg(long)]
    pub volontaires: PathBuf,
    #[arg(long)]
    pub taille: usize,
    /// Engagement SHA-256 (hexadécimal) d'une valeur révélée au tirage ; répétable.
    #[arg(long)]
    pub engagement: Vec<String>,
    /// Fichier JSON de la distribution publiée.
    #[arg(long)]
    pub sortie: PathBuf,
}

/// Arguments de `verifier`.
#[derive(Debug, Args)]
pub struct VerifierArgs {
    #[arg(long)]
    pub quotas: PathBuf,
    #[arg(long)]
    pub volontaires: PathBuf,
    #[arg(long)]
    pub taille: usize,
    /// Graine annoncée (sinon `--revelation`).
    #[arg(
        long,
        conflicts_with = "revelation",
        required_unless_present = "revelation"
    )]
    pub graine: Option<String>,
    /// Valeurs révélées, dans l'ordre des engagements publiés.
    #[arg(long)]
    pub revelation: Vec<String>,
    /// Résultat publié à vérifier.
    #[arg(long)]
    pub resultat: PathBuf,
    /// Distribution publiée avant le tirage, qui doit être celle du résultat.
    #[arg(long)]
    pub distribution: Option<PathBuf>,
    /// Ne pas recalculer le leximin (vérifie tout le reste, en quelques millisecondes).
    #[arg(long)]
    pub sans_recalcul: bool,
}

fn charger(quotas: &Path, volontaires: &Path, taille: usize) -> anyhow::Result<Instance> {
    let q = File::open(quotas).with_context(|| format!("ouverture de {}", quotas.display()))?;
    let v = File::open(volontaires)
        .with_context(|| format!("ouverture de {}", volontaires.display()))?;
    Ok(Instance::depuis_lecteurs(q, v, taille)?)
}

fn lire_json<T: serde::de::DeserializeOwned>(chemin: &Path) -> anyhow::Result<T> {
    let texte = std::fs::read_to_string(chemin)
        .with_context(|| format!("lecture de {}", chemin.display()))?;
    serde_json::from_str(&texte).map_err(|e| {
        crate::error::TirageError::ResultatIllisible(format!("{} : {e}", chemin.display())).into()
    })
}

fn ecrire(chemin: &Path, texte: &str) -> anyhow::Result<()> {
    std::fs::write(chemin, texte).with_context(|| format!("écriture de {}", chemin.display()))
}

/// Options with an `indicatif` spinner on stderr (hidden when stderr is not a terminal).
fn options_avec_progression() -> (Options, ProgressBar) {
    let barre = ProgressBar::new_spinner();
    barre.set_style(
        ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    barre.enable_steady_tick(Duration::from_millis(200));
    let b = barre.clone();
    let options = Options {
        progression: Some(Arc::new(move |p: &Progression| {
            b.set_message(format!(
                "leximin : itération {} · étape {} · types fixés {}/{} · min {:.6} ≤ borne {:.6}",
                p.iteration, p.etape, p.types_fixes, p.types, p.valeur, p.borne
            ));
        })),
        ..Options::default()
    };
    (options, barre)
}

fn calculer(inst: &Instance) -> anyhow::Result<Distribution> {
    let (options, barre) = options_avec_progression();
    let debut = std::time::Instant::now();
    let r = leximin(inst, &options);
    barre.finish_and_clear();
    let d = r?;
    eprintln!(
        "leximin : {} volontaires, {} types, {} panels ; probabilité minimale {:.9} (borne duale {:.9}) en {:.2} s",
        inst.volontaires.liste.len(),
        inst.types.len(),
        d.panels.len(),
        d.min_probability,
        d.dual_bound,
        debut.elapsed().as_secs_f64()
    );
    Ok(d)
}

fn requis<T: Clone>(v: &Option<T>, nom: &str) -> anyhow::Result<T> {
    match v {
        Some(x) => Ok(x.clone()),
        None => bail!("argument --{nom} manquant"),
    }
}

/// Entry point called by the main `parcours` binary for `parcours tirage …`.
pub fn run(cmd: TirageCommand) -> anyhow::Result<()> {
    match cmd.action {
        Some(TirageAction::Engagement { valeur }) => {
            println!("{}", engagement(&valeur));
            Ok(())
        }
        Some(TirageAction::Publier(a)) => {
            let inst = charger(&a.quotas, &a.volontaires, a.taille)?;
            for e in &a.engagement {
                if e.len() != 64 || !e.chars().all(|c| c.is_ascii_hexdigit()) {
                    bail!("--engagement « {e} » : 64 chiffres hexadécimaux (SHA-256) attendus");
                }
            }
            let mut d = calculer(&inst)?;
            d.engagements = a.engagement.iter().map(|e| e.to_lowercase()).collect();
            ecrire(&a.sortie, &vers_json(&d))?;
            eprintln!("distribution publiée dans {}", a.sortie.display());
            Ok(())
        }
        Some(TirageAction::Verifier(a)) => {
            let inst = charger(&a.quotas, &a.volontaires, a.taille)?;
            let resultat: Resultat = lire_json(&a.resultat)?;
            let publie: Option<Distribution> = match &a.distribution {
                Some(p) => Some(lire_json(p)?),
                None => None,
            };
            let graine = match &a.graine {
                Some(g) => SourceGraine::Chaine(g.clone()),
                None => SourceGraine::Revelations(a.revelation.clone()),
            };
            let (options, barre) = options_avec_progression();
            let r = verify(
                &inst,
                &resultat,
                &graine,
                publie.as_ref(),
                !a.sans_recalcul,
                &options,
            );
            barre.finish_and_clear();
            let rapport = r?;
            println!(
                "Résultat confirmé : {} panels, probabilité minimale {:.9} = borne duale {:.9}, panel tiré : {}",
                rapport.panels,
                rapport.min_probability,
                rapport.dual_bound,
                rapport.selected.join(", ")
            );
            Ok(())
        }
        None => {
            let t = cmd.tirer;
            let inst = charger(
                &requis(&t.quotas, "quotas")?,
                &requis(&t.volontaires, "volontaires")?,
                requis(&t.taille, "taille")?,
            )?;
            let sortie = requis(&t.sortie, "sortie")?;
            let d = match &t.distribution {
                Some(p) => {
                    let d: Distribution = lire_json(p)?;
                    verifier_distribution(&inst, &d, false, &Options::default())?;
                    d
                }
                None => calculer(&inst)?,
            };
            let (seed, revelations) = if !t.revelation.is_empty() {
                if d.engagements.is_empty() {
                    bail!("--revelation exige --distribution : une distribution publiée avec ses engagements");
                }
                (
                    graine_depuis_revelations(&d.engagements, &t.revelation)?,
                    t.revelation.clone(),
                )
            } else if let Some(g) = &t.graine {
                if !d.engagements.is_empty() {
                    bail!("la distribution publiée annonce des engagements : donner les valeurs avec --revelation");
                }
                (g.clone(), Vec::new())
            } else {
                let mut octets = [0u8; 16];
                OsRng.fill_bytes(&mut octets);
                let g: String = octets.iter().map(|b| format!("{b:02x}")).collect();
                eprintln!("attention : aucune graine fixée à l'avance, graine aléatoire « {g} »");
                (g, Vec::new())
            };
            let panel = draw(&d, &seed);
            let resultat = Resultat {
                distribution: d,
                seed,
                revelations,
                selected: panel.members,
            };
            ecrire(&sortie, &vers_json(&resultat))?;
            eprintln!(
                "panel tiré ({} personnes) écrit dans {}",
                resultat.selected.len(),
                sortie.display()
            );
            Ok(())
        }
    }
}
