//! The `parcours sectorisation` and `parcours affectation` command lines: clap arguments, files
//! checked then written atomically (a temporary file renamed), a summary on stdout.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use crate::affectation::{
    affecter, depart_actuel, depart_selon_carte, verifier, ECHEANCE_AFFECTATION_S,
};
use crate::carte::{ecrire_partition, lire_partition, valider};
use crate::generateur::{generer, Forme};
use crate::instance::Instance;
use crate::mesure::{mesurer, tau, Mesure};
use crate::partition::{resectoriser, Options};

/// `parcours sectorisation` — re-sectorisation : des secteurs contigus qui équilibrent la charge
/// pondérée par ETP et restent compacts (modèle `sectorisation.md`).
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SectorisationCommand {
    #[command(subcommand)]
    pub action: Option<SectorisationAction>,
    /// Répertoire de l'instance (`units.csv`, `edges.csv`, `posts.csv`, `workers.csv`, `weights.csv`).
    #[arg(long, required = true)]
    pub instance: Option<PathBuf>,
    /// Carte proposée (en-tête `unit_id,post_id`).
    #[arg(long, required = true)]
    pub sortie: Option<PathBuf>,
    /// Graine de la recherche (même graine, même carte).
    #[arg(long, default_value_t = 0)]
    pub graine: u64,
    /// Multiplie l'effort de recherche (1,5 : environ 2 s pour 3 000 unités sur deux cœurs).
    #[arg(long, default_value_t = 1.5)]
    pub effort: f64,
    /// Nombre de fils de calcul (0 : autant que de cœurs).
    #[arg(long, default_value_t = 0)]
    pub fils: usize,
    /// Recherches indépendantes par MDS, qui se partagent l'effort ; la meilleure est gardée.
    #[arg(long, default_value_t = 1)]
    pub departs: usize,
    /// Écrit aussi, pour chaque poste, la charge avant et après (`post_id,mds_id,etp,units_before,
    /// load_before_h,deviation_before,units_after,load_after_h,deviation_after,units_in,units_out`).
    #[arg(long)]
    pub rapport: Option<PathBuf>,
    /// Méthode : `moteur` (défaut) ; pour le banc d'essai, `longue` (recherche 20 fois plus
    /// longue, trois graines, la meilleure par MDS) ou `exacte` (modèle exact HiGHS sur les MDS
    /// d'au plus `--exacte-max-unites` unités, le moteur ailleurs).
    #[arg(long, value_enum, default_value_t = Methode::Moteur)]
    pub methode: Methode,
    /// Taille maximale d'une MDS résolue par le modèle exact.
    #[arg(long, default_value_t = 30)]
    pub exacte_max_unites: usize,
    /// Temps maximal de chaque résolution exacte, en secondes.
    #[arg(long, default_value_t = 60.0)]
    pub exacte_temps: f64,
}

/// How the map is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Methode {
    Moteur,
    Longue,
    Exacte,
}

/// Sous-commandes de `parcours sectorisation`.
#[derive(Debug, Subcommand)]
pub enum SectorisationAction {
    /// Génère une instance fictive réaliste (déterministe pour une graine).
    Generer(GenererArgs),
    /// Mesure une carte : équilibre et compacité par MDS, résumé départemental.
    Mesurer(MesurerArgs),
}

/// Arguments de `generer`.
#[derive(Debug, Args)]
pub struct GenererArgs {
    #[arg(long, default_value_t = 3000)]
    pub unites: usize,
    #[arg(long, default_value_t = 36)]
    pub mds: usize,
    #[arg(long, default_value_t = 554)]
    pub postes: usize,
    #[arg(long, default_value_t = 5600)]
    pub situations: usize,
    #[arg(long, default_value_t = 1)]
    pub graine: u64,
    /// Répertoire où écrire l'instance.
    #[arg(long)]
    pub sortie: PathBuf,
}

/// Arguments de `mesurer`.
#[derive(Debug, Args)]
pub struct MesurerArgs {
    #[arg(long)]
    pub instance: PathBuf,
    /// Carte à mesurer (`unit_id,post_id`) ; sans elle, la carte en vigueur.
    #[arg(long)]
    pub carte: Option<PathBuf>,
    /// Écrit la mesure de chaque MDS en CSV (`mds_id,units,posts,d,tau,c_km`).
    #[arg(long)]
    pub par_mds: Option<PathBuf>,
}

/// `parcours affectation` — affectation des nouvelles situations sous les plafonds de charge.
#[derive(Debug, Args)]
pub struct AffectationCommand {
    /// Répertoire de l'instance, avec `new_situations.csv`.
    #[arg(long)]
    pub instance: PathBuf,
    /// Affectation proposée (en-tête `sit_id,worker_id` ; agent vide : non affectée).
    #[arg(long)]
    pub sortie: PathBuf,
    /// Carte à appliquer à la place de la carte en vigueur (`unit_id,post_id`) : la charge de
    /// chaque poste est alors recalculée sur cette carte et partagée entre ses membres par ETP.
    #[arg(long)]
    pub carte: Option<PathBuf>,
}

/// Writes through a temporary file in the same folder, renamed at the end: never a half file.
fn ecrire_atomique(
    chemin: &Path,
    ecrire: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = chemin
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("écriture dans {} impossible", dir.display()))?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        ecrire(&mut w)?;
        w.flush()?;
    }
    tmp.persist(chemin)
        .with_context(|| format!("écriture de {} impossible", chemin.display()))?;
    Ok(())
}

fn lire_carte(inst: &Instance, chemin: &Path) -> anyhow::Result<Vec<usize>> {
    let f = std::fs::File::open(chemin)
        .with_context(|| format!("ouverture de {} impossible", chemin.display()))?;
    let nom = chemin
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(lire_partition(inst, f, &nom)?)
}

/// The département summary, one line per measure.
pub fn resume(m: &Mesure) -> String {
    format!(
        "τ max : {:.1} % ({} MDS sur {} dans la bande des 5 %)\nD max : {:.2} %, D moyen : {:.2} %\nC : {:.3} km\n",
        100.0 * m.tau_max,
        m.mds_equilibrees,
        m.mds.len(),
        100.0 * m.d_max,
        100.0 * m.d_moyen,
        m.c_km
    )
}

/// Entry point of `parcours sectorisation …`.
pub fn run_sectorisation(cmd: SectorisationCommand) -> anyhow::Result<()> {
    match cmd.action {
        Some(SectorisationAction::Generer(a)) => {
            generer(
                Forme {
                    unites: a.unites,
                    mds: a.mds,
                    postes: a.postes,
                    situations: a.situations,
                    graine: a.graine,
                },
                &a.sortie,
            )
            .with_context(|| format!("écriture de l'instance dans {}", a.sortie.display()))?;
            eprintln!("instance écrite dans {}", a.sortie.display());
            return Ok(());
        }
        Some(SectorisationAction::Mesurer(a)) => {
            let inst = Instance::depuis_repertoire(&a.instance)?;
            let carte = match &a.carte {
                Some(c) => lire_carte(&inst, c)?,
                None => inst.unites.iter().map(|u| u.poste_actuel).collect(),
            };
            let m = mesurer(&inst, &carte);
            if let Some(f) = &a.par_mds {
                ecrire_atomique(f, |w| {
                    let mut w = csv::Writer::from_writer(w);
                    w.write_record(["mds_id", "units", "posts", "d", "tau", "c_km"])?;
                    for mm in &m.mds {
                        w.write_record([
                            inst.mds[mm.mds].clone(),
                            mm.postes
                                .iter()
                                .map(|p| p.unites)
                                .sum::<usize>()
                                .to_string(),
                            mm.postes.len().to_string(),
                            format!("{:.6}", mm.d),
                            format!("{:.3}", tau(mm.classe)),
                            format!("{:.6}", mm.compacite / mm.masse),
                        ])?;
                    }
                    w.flush()?;
                    Ok(())
                })?;
            }
            print!("{}", resume(&m));
            return Ok(());
        }
        None => {}
    }
    let (Some(dir), Some(sortie)) = (cmd.instance, cmd.sortie) else {
        bail!("arguments --instance et --sortie requis");
    };
    if !(cmd.effort.is_finite() && cmd.effort > 0.0) {
        bail!("--effort {} : un nombre positif est attendu", cmd.effort);
    }
    let debut = Instant::now();
    let inst = Instance::depuis_repertoire(&dir)?;
    let avant = mesurer(
        &inst,
        &inst
            .unites
            .iter()
            .map(|u| u.poste_actuel)
            .collect::<Vec<_>>(),
    );
    let options = Options {
        graine: cmd.graine,
        effort: cmd.effort,
        fils: cmd.fils,
        departs: cmd.departs,
    };
    let carte = match cmd.methode {
        Methode::Moteur => resectoriser(&inst, &options),
        Methode::Longue => reference_longue(&inst, &options),
        Methode::Exacte => {
            reference_exacte(&inst, &options, cmd.exacte_max_unites, cmd.exacte_temps)
        }
    };
    // The independent check of what is written: own MDS, non-empty, contiguous.
    valider(&inst, &carte, "carte proposée", "post_id", |u| {
        u as u64 + 2
    })
    .context("carte proposée refusée par la vérification")?;
    ecrire_atomique(&sortie, |w| Ok(ecrire_partition(&inst, &carte, w)?))?;
    let apres = mesurer(&inst, &carte);
    if let Some(f) = &cmd.rapport {
        let actuelle: Vec<usize> = inst.unites.iter().map(|u| u.poste_actuel).collect();
        ecrire_atomique(f, |w| {
            ecrire_rapport(&inst, &actuelle, &avant, &carte, &apres, w)
        })?;
    }
    println!("carte en vigueur :\n{}", resume(&avant));
    println!("carte proposée :\n{}", resume(&apres));
    println!("temps : {:.2} s", debut.elapsed().as_secs_f64());
    Ok(())
}

/// Each post before and after: units, load, deviation, and the units it gains and loses.
fn ecrire_rapport(
    inst: &Instance,
    actuelle: &[usize],
    avant: &Mesure,
    carte: &[usize],
    apres: &Mesure,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    let par_poste = |m: &Mesure| {
        let mut v = vec![(0usize, 0.0f64, 0.0f64); inst.postes.len()];
        for mm in &m.mds {
            for p in &mm.postes {
                v[p.poste] = (p.unites, p.charge_h, p.ecart);
            }
        }
        v
    };
    let (av, ap) = (par_poste(avant), par_poste(apres));
    let mut entrees = vec![0usize; inst.postes.len()];
    let mut sorties = vec![0usize; inst.postes.len()];
    for (&a, &b) in actuelle.iter().zip(carte) {
        if a != b {
            sorties[a] += 1;
            entrees[b] += 1;
        }
    }
    let mut w = csv::Writer::from_writer(w);
    w.write_record([
        "post_id",
        "mds_id",
        "etp",
        "units_before",
        "load_before_h",
        "deviation_before",
        "units_after",
        "load_after_h",
        "deviation_after",
        "units_in",
        "units_out",
    ])?;
    for (k, p) in inst.postes.iter().enumerate() {
        w.write_record([
            p.id.clone(),
            inst.mds[p.mds].clone(),
            p.etp.to_string(),
            av[k].0.to_string(),
            format!("{:.1}", av[k].1),
            format!("{:.4}", av[k].2),
            ap[k].0.to_string(),
            format!("{:.1}", ap[k].1),
            format!("{:.4}", ap[k].2),
            entrees[k].to_string(),
            sorties[k].to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// The best map of each MDS over three seeds of a search twenty times longer.
fn reference_longue(inst: &Instance, options: &Options) -> Vec<usize> {
    let unites = inst.unites_par_mds();
    let mut meilleure: Option<(Vec<usize>, Mesure)> = None;
    for g in 0..3 {
        let carte = resectoriser(
            inst,
            &Options {
                graine: options.graine.wrapping_add(1000 + g),
                effort: options.effort * 20.0,
                fils: options.fils,
                departs: 1,
            },
        );
        let m = mesurer(inst, &carte);
        meilleure = Some(match meilleure {
            None => (carte, m),
            Some((mut c0, mut m0)) => {
                for (mm, (a, b)) in m0.mds.iter_mut().zip(m.mds.iter()).enumerate() {
                    if (b.classe, b.compacite) < (a.classe, a.compacite) {
                        for &u in &unites[mm] {
                            c0[u] = carte[u];
                        }
                        *a = b.clone();
                    }
                }
                (c0, m0)
            }
        });
    }
    meilleure.map(|(c, _)| c).unwrap_or_default()
}

/// The exact model on each MDS of at most `max_unites` units (the engine elsewhere); prints what
/// was proven on stderr.
fn reference_exacte(
    inst: &Instance,
    options: &Options,
    max_unites: usize,
    temps: f64,
) -> Vec<usize> {
    let mut carte = resectoriser(inst, options);
    let moteur = mesurer(inst, &carte);
    let unites = inst.unites_par_mds();
    let postes = inst.postes_par_mds();
    let (mut prouvees, mut resolues) = (0, 0);
    for (m, us) in unites.iter().enumerate() {
        if us.len() > max_unites {
            continue;
        }
        let p = crate::partition::Probleme::de_mds(inst, us, &postes[m]);
        if let Some(r) = crate::exact::exact(&p, moteur.mds[m].classe, temps) {
            resolues += 1;
            prouvees += usize::from(r.prouve);
            for (j, &u) in us.iter().enumerate() {
                carte[u] = postes[m][r.carte[j]];
            }
        }
    }
    eprintln!("modèle exact : {resolues} MDS résolues, {prouvees} à l'optimum prouvé");
    carte
}

/// Entry point of `parcours affectation …`.
pub fn run_affectation(cmd: AffectationCommand) -> anyhow::Result<()> {
    let debut = Instant::now();
    let inst = Instance::depuis_repertoire(&cmd.instance)?;
    if !cmd.instance.join("new_situations.csv").exists() {
        bail!(
            "new_situations.csv absent de {} : rien à affecter",
            cmd.instance.display()
        );
    }
    let (carte, depart) = match &cmd.carte {
        Some(c) => {
            let carte = lire_carte(&inst, c)?;
            let d = depart_selon_carte(&inst, &carte);
            (carte, d)
        }
        None => (
            inst.unites.iter().map(|u| u.poste_actuel).collect(),
            depart_actuel(&inst),
        ),
    };
    let choix = affecter(&inst, &carte, &depart, Some(ECHEANCE_AFFECTATION_S))?;
    let bilan = verifier(&inst, &carte, &depart, &choix).map_err(|e| {
        anyhow::anyhow!(
            "affectation refusée par la vérification : {}",
            e.join(" ; ")
        )
    })?;
    ecrire_atomique(&cmd.sortie, |w| {
        let mut w = csv::Writer::from_writer(w);
        w.write_record(["sit_id", "worker_id"])?;
        for (s, c) in inst.situations.iter().zip(&choix) {
            w.write_record([s.id.as_str(), c.map_or("", |a| inst.agents[a].id.as_str())])?;
        }
        w.flush()?;
        Ok(())
    })?;
    println!(
        "situations : {}\nnon affectées : {}\nhors secteur : {}\nZ (heures au-delà de la capacité nominale) : {:.1} (avant : {:.1})\ntemps : {:.2} s",
        inst.situations.len(),
        bilan.non_affectees,
        bilan.hors_secteur,
        bilan.z,
        bilan.z_initial,
        debut.elapsed().as_secs_f64()
    );
    Ok(())
}
