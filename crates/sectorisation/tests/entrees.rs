//! Bad input: each gets a French message naming the file, the line and the column, and the
//! commands write nothing.

use std::path::Path;

use parcours_sectorisation::{
    generer, run_affectation, run_sectorisation, AffectationCommand, Forme, Instance, Methode,
    SectorisationCommand,
};

fn instance() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    generer(
        Forme {
            unites: 120,
            mds: 3,
            postes: 15,
            situations: 50,
            graine: 3,
        },
        dir.path(),
    )
    .expect("génération");
    dir
}

/// Replaces, in `fichier`, the value of `colonne` on data line `ligne` (header is line 1).
fn modifier(dir: &Path, fichier: &str, ligne: usize, colonne: &str, valeur: &str) {
    let chemin = dir.join(fichier);
    let texte = std::fs::read_to_string(&chemin).expect("lecture");
    let mut lignes: Vec<Vec<String>> = texte
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    let c = lignes[0]
        .iter()
        .position(|h| h == colonne)
        .expect("colonne");
    lignes[ligne - 1][c] = valeur.to_owned();
    let texte: Vec<String> = lignes.iter().map(|l| l.join(",")).collect();
    std::fs::write(&chemin, texte.join("\n") + "\n").expect("écriture");
}

fn erreur(dir: &Path) -> String {
    Instance::depuis_repertoire(dir)
        .expect_err("instance refusée")
        .to_string()
}

/// Value of `colonne` on data line `ligne` of `fichier`.
fn valeur(dir: &Path, fichier: &str, ligne: usize, colonne: &str) -> String {
    let texte = std::fs::read_to_string(dir.join(fichier)).expect("lecture");
    let lignes: Vec<&str> = texte.lines().collect();
    let c = lignes[0]
        .split(',')
        .position(|h| h == colonne)
        .expect("colonne");
    lignes[ligne - 1]
        .split(',')
        .nth(c)
        .expect("cellule")
        .to_owned()
}

#[test]
fn a_unit_given_to_a_post_of_another_mds_is_refused_naming_line_and_column() {
    let dir = instance();
    let posts = std::fs::read_to_string(dir.path().join("posts.csv")).expect("posts");
    let mds_unite = valeur(dir.path(), "units.csv", 2, "mds_id");
    let autre = posts
        .lines()
        .skip(1)
        .find(|l| l.split(',').nth(1) != Some(mds_unite.as_str()))
        .and_then(|l| l.split(',').next())
        .expect("poste d'une autre MDS")
        .to_owned();
    modifier(dir.path(), "units.csv", 2, "current_post", &autre);
    let e = erreur(dir.path());
    assert!(
        e.starts_with("units.csv, ligne 2, colonne current_post : "),
        "{e}"
    );
    assert!(e.contains("autre MDS"), "{e}");
}

#[test]
fn a_negative_weight_and_a_post_without_etp_are_refused() {
    let dir = instance();
    modifier(dir.path(), "weights.csv", 3, "weight_h", "-4");
    let e = erreur(dir.path());
    assert!(
        e.starts_with("weights.csv, ligne 3, colonne weight_h : "),
        "{e}"
    );
    let dir = instance();
    modifier(dir.path(), "posts.csv", 4, "etp", "0");
    let e = erreur(dir.path());
    assert!(
        e.starts_with("posts.csv, ligne 4, colonne etp : ETP nul"),
        "{e}"
    );
    let dir = instance();
    modifier(dir.path(), "units.csv", 5, "load_h", "beaucoup");
    let e = erreur(dir.path());
    assert!(
        e.starts_with("units.csv, ligne 5, colonne load_h : « beaucoup » n'est pas un nombre"),
        "{e}"
    );
}

#[test]
fn a_map_with_a_secteur_cut_in_two_or_a_post_left_empty_is_refused_and_nothing_is_written() {
    let dir = instance();
    let inst = Instance::depuis_repertoire(dir.path()).expect("instance");
    let sortie = dir.path().join("assignment.csv");
    // A post's whole secteur given to a neighbouring post: that post is left empty.
    let vide = inst.unites[0].poste_actuel;
    let voisin = inst
        .unites
        .iter()
        .find(|u| u.mds == inst.unites[0].mds && u.poste_actuel != vide)
        .map(|u| u.poste_actuel)
        .expect("autre poste");
    let mut carte = String::from("unit_id,post_id\n");
    for u in &inst.unites {
        let k = if u.poste_actuel == vide {
            voisin
        } else {
            u.poste_actuel
        };
        carte += &format!("{},{}\n", u.id, inst.postes[k].id);
    }
    std::fs::write(dir.path().join("carte.csv"), &carte).expect("carte");
    let e = run_affectation(AffectationCommand {
        instance: dir.path().to_owned(),
        sortie: sortie.clone(),
        carte: Some(dir.path().join("carte.csv")),
    })
    .expect_err("carte refusée");
    let e = format!("{e:#}");
    assert!(
        e.contains("posts.csv, ligne") && e.contains("aucune unité dans carte.csv"),
        "{e}"
    );
    assert!(!sortie.exists());
    // One unit moved to a post whose secteur it does not touch.
    let (u, loin) = inst
        .unites
        .iter()
        .enumerate()
        .find_map(|(i, u)| {
            inst.postes.iter().enumerate().find_map(|(k, p)| {
                let touche = inst.voisins[i]
                    .iter()
                    .any(|&v| inst.unites[v].poste_actuel == k);
                (p.mds == u.mds && k != u.poste_actuel && !touche).then_some((i, k))
            })
        })
        .expect("un poste non voisin");
    let mut carte = String::from("unit_id,post_id\n");
    for (i, x) in inst.unites.iter().enumerate() {
        let k = if i == u { loin } else { x.poste_actuel };
        carte += &format!("{},{}\n", x.id, inst.postes[k].id);
    }
    std::fs::write(dir.path().join("carte.csv"), &carte).expect("carte");
    let e = run_affectation(AffectationCommand {
        instance: dir.path().to_owned(),
        sortie: sortie.clone(),
        carte: Some(dir.path().join("carte.csv")),
    })
    .expect_err("carte refusée");
    let e = format!("{e:#}");
    assert!(
        e.starts_with("carte.csv, ligne ")
            && e.contains("colonne post_id")
            && e.contains("n'est pas contigu"),
        "{e}"
    );
    assert!(!sortie.exists());
}

#[test]
fn the_sectorisation_command_writes_a_whole_map_and_refuses_a_broken_instance_without_writing() {
    let dir = instance();
    let sortie = dir.path().join("partition.csv");
    let rapport = dir.path().join("postes.csv");
    run_sectorisation(SectorisationCommand {
        action: None,
        instance: Some(dir.path().to_owned()),
        sortie: Some(sortie.clone()),
        graine: 1,
        effort: 0.2,
        fils: 1,
        departs: 1,
        rapport: Some(rapport.clone()),
        methode: Methode::Moteur,
        exacte_max_unites: 30,
        exacte_temps: 60.0,
    })
    .expect("carte");
    let texte = std::fs::read_to_string(&sortie).expect("partition");
    assert!(texte.starts_with("unit_id,post_id\n"));
    assert_eq!(texte.lines().count(), 121);
    // The report: every post before and after, the same units and hours on both sides.
    let mut r = csv::Reader::from_path(&rapport).expect("rapport");
    let lignes: Vec<csv::StringRecord> = r.records().map(|x| x.expect("ligne")).collect();
    assert_eq!(lignes.len(), 15);
    let somme = |c: usize| -> f64 {
        lignes
            .iter()
            .map(|l| l[c].parse::<f64>().expect("nombre"))
            .sum()
    };
    assert_eq!((somme(3), somme(6)), (120.0, 120.0));
    assert!((somme(4) - somme(7)).abs() < 1.0);
    assert_eq!(somme(9), somme(10));
    std::fs::remove_file(&sortie).expect("rm");
    modifier(dir.path(), "edges.csv", 2, "unit_b", "U99999");
    let e = run_sectorisation(SectorisationCommand {
        action: None,
        instance: Some(dir.path().to_owned()),
        sortie: Some(sortie.clone()),
        graine: 1,
        effort: 0.2,
        fils: 1,
        departs: 1,
        rapport: None,
        methode: Methode::Moteur,
        exacte_max_unites: 30,
        exacte_temps: 60.0,
    })
    .expect_err("instance refusée");
    assert!(
        e.to_string()
            .starts_with("edges.csv, ligne 2, colonne unit_b : unité « U99999 »"),
        "{e}"
    );
    assert!(!sortie.exists());
}

#[test]
fn the_organisation_mode_is_read_as_territories_write_it_and_an_unknown_one_is_named() {
    let dir = instance();
    modifier(dir.path(), "posts.csv", 2, "mode", "Co-sectorisation");
    modifier(dir.path(), "posts.csv", 3, "mode", "Désectorisation");
    let inst = Instance::depuis_repertoire(dir.path()).expect("modes reconnus");
    assert_eq!(
        inst.postes[0].mode,
        parcours_sectorisation::Mode::Cosectorisation
    );
    assert_eq!(
        inst.postes[1].mode,
        parcours_sectorisation::Mode::Desectorisation
    );
    modifier(dir.path(), "posts.csv", 4, "mode", "binôme");
    let e = erreur(dir.path());
    assert!(
        e.starts_with("posts.csv, ligne 4, colonne mode : « binôme »"),
        "{e}"
    );
}

#[test]
fn the_generator_writes_the_same_instance_for_the_same_seed() {
    let (a, b) = (instance(), instance());
    for f in [
        "units.csv",
        "edges.csv",
        "posts.csv",
        "workers.csv",
        "weights.csv",
        "new_situations.csv",
    ] {
        assert_eq!(
            std::fs::read(a.path().join(f)).expect("a"),
            std::fs::read(b.path().join(f)).expect("b"),
            "{f}"
        );
    }
}
