//! Checkpoints (« jalons ») of the audit chain, kept outside the database: each one is a small JSON
//! file holding a département's head (count of entries and last hash) at a date, signed with Ed25519.
//! A DBA can drop the triggers of the audit log and rewrite it with recomputed hashes (the chain alone
//! would then verify); they cannot rewrite a checkpoint written earlier to a directory they do not
//! control, nor sign a new one without the key. Ed25519 rather than an HMAC: a checkpoint can be
//! checked with the public key alone (printed by `parcours audit jalon`), so whoever checks need not
//! hold the means to forge.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{now, Conn, Result};

const DOMAINE: &str = "parcours-jalon-audit-v1";

/// The key that signs the checkpoints.
pub struct CleJalons(SigningKey);

impl CleJalons {
    /// Reads the key file (64 hex digits); creates it, readable by its owner only, when missing.
    pub fn charger_ou_creer(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            let seed: [u8; 32] = rand::random();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            write_private(path, &hex::encode(seed))?;
        }
        Self::charger(path)
    }

    pub fn charger(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("clé des jalons {} illisible : {e}", path.display()))?;
        let bytes: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "clé des jalons {} invalide : 64 chiffres hexadécimaux attendus",
                    path.display()
                )
            })?;
        Ok(Self(SigningKey::from_bytes(&bytes)))
    }

    /// The public key, to check the checkpoints elsewhere.
    pub fn publique(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// One checkpoint as written to its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jalon {
    pub departement: String,
    pub seq: i64,
    pub hash: String,
    /// UTC, as stored in the database.
    pub date: String,
    /// Ed25519 over [`Jalon::message`], hex.
    pub signature: String,
}

impl Jalon {
    fn message(&self) -> String {
        format!(
            "{DOMAINE}\n{}\n{}\n{}\n{}",
            self.departement, self.seq, self.hash, self.date
        )
    }
}

/// Writes one signed checkpoint per département (or for `dep` only) into `dir`; returns the files.
pub async fn poser(
    conn: &mut Conn,
    dir: &Path,
    cle: &CleJalons,
    dep: Option<&str>,
) -> Result<Vec<PathBuf>> {
    let heads =
        sqlx::query("SELECT departement_id, seq, hash FROM audit_heads ORDER BY departement_id")
            .fetch_all(&mut *conn)
            .await?;
    std::fs::create_dir_all(dir).map_err(anyhow::Error::from)?;
    let mut files = vec![];
    for h in heads {
        let departement: String = h.get("departement_id");
        if dep.is_some_and(|d| d != departement) {
            continue;
        }
        let mut j = Jalon {
            departement,
            seq: h.get("seq"),
            hash: h.get("hash"),
            date: now(),
            signature: String::new(),
        };
        j.signature = hex::encode(cle.0.sign(j.message().as_bytes()).to_bytes());
        // File names sort by département then date; ':' is left out for the sake of other systems.
        let stamp: String = j
            .date
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let path = dir.join(format!("jalon-{}-{stamp}.json", j.departement));
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(&j).map_err(anyhow::Error::from)?;
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(anyhow::Error::from)?;
        files.push(path);
    }
    Ok(files)
}

/// What the walk of the checkpoints found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BilanJalons {
    /// Checkpoints that agree with the log.
    pub concordants: usize,
    /// One French sentence per checkpoint that does not.
    pub fautes: Vec<String>,
}

/// Checks every checkpoint of `dir` (or those of `dep`) against the log: its signature, then that the
/// entry it names still exists with the same hash. A log rewritten with recomputed hashes, or cut
/// below a checkpoint, disagrees with it.
pub async fn verifier(
    conn: &mut Conn,
    dir: &Path,
    cle: &CleJalons,
    dep: Option<&str>,
) -> Result<BilanJalons> {
    let mut bilan = BilanJalons::default();
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("jalon-") && n.ends_with(".json"))
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
        Err(e) => return Err(anyhow::Error::from(e).into()),
    };
    files.sort();
    let publique = cle.0.verifying_key();
    for path in files {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let jalon: Jalon = match std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
        {
            Some(j) => j,
            None => {
                bilan
                    .fautes
                    .push(format!("jalon {name} : fichier illisible"));
                continue;
            }
        };
        if dep.is_some_and(|d| d != jalon.departement) {
            continue;
        }
        let signed = hex::decode(&jalon.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .map(|b| Signature::from_bytes(&b))
            .is_some_and(|s| publique.verify(jalon.message().as_bytes(), &s).is_ok());
        if !signed {
            bilan.fautes.push(format!(
                "jalon {name} : signature invalide (fichier modifié ou signé avec une autre clé)"
            ));
            continue;
        }
        if jalon.seq == 0 {
            bilan.concordants += 1;
            continue;
        }
        let found =
            sqlx::query("SELECT hash FROM audit_log WHERE departement_id = $1 AND seq = $2")
                .bind(&jalon.departement)
                .bind(jalon.seq)
                .fetch_optional(&mut *conn)
                .await?;
        match found.map(|r| r.get::<String, _>("hash")) {
            None => bilan.fautes.push(format!(
                "jalon {name} : le journal ({}) est plus court que le jalon du {} — l'entrée n° {} n'existe plus (entrées supprimées)",
                jalon.departement, jalon.date, jalon.seq
            )),
            Some(h) if h != jalon.hash => bilan.fautes.push(format!(
                "jalon {name} : l'entrée n° {} ({}) ne correspond plus au jalon du {} (journal réécrit avant cette entrée)",
                jalon.seq, jalon.departement, jalon.date
            )),
            Some(_) => bilan.concordants += 1,
        }
    }
    Ok(bilan)
}
