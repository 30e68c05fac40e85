//! Starting the test provider (`parcours-fournisseur-test`) as a real process from tests, here and in
//! other crates: the payment path is then tested across a real socket, with real timeouts, and a
//! provider that keeps its ledger whatever happens to the client.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::{ErreurFournisseur, FournisseurHttp, Operation};

/// Name of the binary, as built by Cargo next to the test executables.
pub const BINAIRE: &str = "parcours-fournisseur-test";

/// Overrides where the binary is looked for.
pub const VARIABLE_BINAIRE: &str = "PARCOURS_FOURNISSEUR_BIN";

/// Bound on the wait for the `PORT=` line: a provider that never announces itself fails the test
/// instead of hanging it. Not a sleep: the line is read as soon as it comes.
const ATTENTE_DEMARRAGE: Duration = Duration::from_secs(30);

/// A running test provider, killed when dropped.
#[derive(Debug)]
pub struct FournisseurTest {
    /// `http://127.0.0.1:<port>`, to give to [`FournisseurHttp::new`].
    pub base_url: String,
    child: Child,
    jeton: Option<String>,
}

impl FournisseurTest {
    /// Starts the provider with `args` (e.g. `["--echecs", "2"]`) and returns once it listens.
    ///
    /// The binary is `$PARCOURS_FOURNISSEUR_BIN` if set, else `parcours-fournisseur-test` next to the
    /// running test executable's directory (`<target>/debug/deps/..`). Cargo builds it for the tests
    /// of this crate and for `cargo test --workspace`, but not for `cargo test -p <another crate>`:
    /// there, run `cargo build -p parcours-paiement --bin parcours-fournisseur-test` first.
    pub fn demarrer(args: &[&str]) -> anyhow::Result<Self> {
        let binaire = chemin_binaire()?;
        let mut child = Command::new(&binaire)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("lancement de {}", binaire.display()))?;
        let stdout = child
            .stdout
            .take()
            .context("sortie du fournisseur de test")?;
        // The line is read on a thread so that the wait can be bounded.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut ligne = String::new();
            let lu = BufReader::new(stdout).read_line(&mut ligne);
            let _ = tx.send(lu.map(|_| ligne));
        });
        let ligne = match rx.recv_timeout(ATTENTE_DEMARRAGE) {
            Ok(Ok(ligne)) => ligne,
            Ok(Err(e)) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e).context("lecture du port du fournisseur de test");
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "le fournisseur de test n'a pas annoncé son port en {} s",
                    ATTENTE_DEMARRAGE.as_secs()
                );
            }
        };
        let port = ligne
            .trim_end()
            .strip_prefix("PORT=")
            .and_then(|p| p.parse::<u16>().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let statut = child.wait()?;
            bail!(
                "le fournisseur de test s'est arrêté ({statut}) sans annoncer son port \
                 (ligne lue : {ligne:?}) ; voir sa sortie d'erreur"
            );
        };
        Ok(Self {
            base_url: format!("http://127.0.0.1:{port}"),
            child,
            jeton: valeur_option(args, "--jeton"),
        })
    }

    /// A client of this provider, with the token it was started with.
    pub fn client(&self, delai: Duration) -> Result<FournisseurHttp, ErreurFournisseur> {
        FournisseurHttp::new(&self.base_url, self.jeton.clone(), delai)
    }

    /// Every operation in the provider's ledger, in the order received.
    pub async fn operations(&self) -> anyhow::Result<Vec<Operation>> {
        Ok(self.client(Duration::from_secs(10))?.lister().await?)
    }
}

impl Drop for FournisseurTest {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chemin_binaire() -> anyhow::Result<PathBuf> {
    if let Some(chemin) = std::env::var_os(VARIABLE_BINAIRE) {
        return Ok(PathBuf::from(chemin));
    }
    let exe = std::env::current_exe().context("chemin de l'exécutable de test")?;
    let mut dossier = exe.parent().context("dossier de l'exécutable de test")?;
    if dossier.ends_with("deps") {
        dossier = dossier.parent().unwrap_or(dossier);
    }
    let chemin = dossier.join(format!("{BINAIRE}{}", std::env::consts::EXE_SUFFIX));
    if !chemin.is_file() {
        bail!(
            "{} introuvable : lancez `cargo build -p parcours-paiement --bin {BINAIRE}` \
             ou donnez son chemin dans {VARIABLE_BINAIRE}",
            chemin.display()
        );
    }
    Ok(chemin)
}

/// The value of `--nom X` or `--nom=X` in `args`.
fn valeur_option(args: &[&str], nom: &str) -> Option<String> {
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        if *a == nom {
            return iter.next().map(|v| v.to_string());
        }
        if let Some(v) = a.strip_prefix(nom).and_then(|r| r.strip_prefix('=')) {
            return Some(v.to_string());
        }
    }
    None
}
