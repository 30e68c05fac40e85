//! Audit log: what an entry records (who, when, which record, which action, purpose, request id) and
//! how each entry is chained to the previous one by SHA-256, so that a modified, deleted or inserted
//! row breaks the chain. The store appends; `verify` walks.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub mod libelles;

/// The hash that precedes the first entry of a département.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub departement_id: String,
    /// UTC, RFC 3339 with microseconds.
    pub at: String,
    pub agent_id: Option<i64>,
    pub token_id: Option<i64>,
    /// e.g. `lecture`, `creation`, `modification`, `fermeture`, `connexion`, `refus`.
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub purpose: Option<String>,
    pub request_id: Option<String>,
    /// JSON object with what changed (never a password or a token).
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// What a caller gives to record an event; the store adds seq, time and hashes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditEvent {
    pub agent_id: Option<i64>,
    pub token_id: Option<i64>,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub purpose: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
}

impl AuditEvent {
    pub fn new(action: &str, record_type: &str, record_id: impl ToString) -> Self {
        Self {
            action: action.into(),
            record_type: record_type.into(),
            record_id: record_id.to_string(),
            details: serde_json::Value::Object(Default::default()),
            ..Default::default()
        }
    }
    pub fn by(
        mut self,
        agent_id: Option<i64>,
        token_id: Option<i64>,
        request_id: Option<String>,
    ) -> Self {
        self.agent_id = agent_id;
        self.token_id = token_id;
        self.request_id = request_id;
        self
    }
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
    pub fn purpose(mut self, purpose: impl Into<String>) -> Self {
        self.purpose = Some(purpose.into());
        self
    }
}

/// The hash of an entry: SHA-256 over the previous hash and every field but the hash itself, in a
/// fixed order and an unambiguous encoding (a JSON array).
pub fn entry_hash(e: &AuditEntry) -> String {
    let body = serde_json::json!([
        e.seq,
        e.departement_id,
        e.at,
        e.agent_id,
        e.token_id,
        e.action,
        e.record_type,
        e.record_id,
        e.purpose,
        e.request_id,
        e.details,
    ]);
    let mut h = Sha256::new();
    h.update(e.prev_hash.as_bytes());
    h.update(b"\n");
    h.update(body.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// The first place where a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entrée n° {seq} ({departement}) : son contenu a été modifié (empreinte recalculée différente)")]
    Modified { departement: String, seq: i64 },
    #[error("entrée n° {seq} ({departement}) : elle ne suit pas l'entrée précédente (entrée insérée ou précédente supprimée)")]
    Unlinked { departement: String, seq: i64 },
    #[error("entrée n° {expected} ({departement}) manquante : la suivante porte le n° {found} (entrée supprimée)")]
    Gap {
        departement: String,
        expected: i64,
        found: i64,
    },
    #[error("fin du journal ({departement}) : {expected} entrées attendues, {found} trouvées (dernières entrées supprimées)")]
    Truncated {
        departement: String,
        expected: i64,
        found: i64,
    },
}

/// Walks one département's entries in `seq` order and checks them against the recorded head
/// (the number of entries and the last hash kept beside the log).
pub struct ChainChecker {
    departement: String,
    expected_seq: i64,
    prev_hash: String,
}

impl ChainChecker {
    pub fn new(departement: &str) -> Self {
        Self {
            departement: departement.into(),
            expected_seq: 1,
            prev_hash: GENESIS.into(),
        }
    }

    pub fn check(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        let d = self.departement.clone();
        if e.seq != self.expected_seq {
            return Err(ChainBreak::Gap {
                departement: d,
                expected: self.expected_seq,
                found: e.seq,
            });
        }
        if entry_hash(e) != e.hash {
            return Err(ChainBreak::Modified {
                departement: d,
                seq: e.seq,
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak::Unlinked {
                departement: d,
                seq: e.seq,
            });
        }
        self.expected_seq += 1;
        self.prev_hash = e.hash.clone();
        Ok(())
    }

    /// Checks the end of the walk against the head kept in `audit_heads`.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let found = self.expected_seq - 1;
        if head_seq != found || head_hash != self.prev_hash {
            return Err(ChainBreak::Truncated {
                departement: self.departement.clone(),
                expected: head_seq,
                found,
            });
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    departement_id: "96".into(),
                    at: format!("2026-11-23T10:00:0{seq}.000000Z"),
                    agent_id: Some(1),
                    token_id: None,
                    action: "lecture".into(),
                    record_type: "agent".into(),
                    record_id: seq.to_string(),
                    purpose: None,
                    request_id: None,
                    details: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = entry_hash(&e);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn walk(entries: &[AuditEntry], head: (i64, &str)) -> Result<i64, ChainBreak> {
        let mut c = ChainChecker::new("96");
        for e in entries {
            c.check(e)?;
        }
        c.finish(head.0, head.1)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(3);
        assert_eq!(walk(&c, (3, &c[2].hash)), Ok(3));
    }

    #[test]
    fn a_modified_entry_is_named() {
        let mut c = chain(3);
        let head = c[2].hash.clone();
        c[1].record_id = "99".into();
        assert_eq!(
            walk(&c, (3, &head)),
            Err(ChainBreak::Modified {
                departement: "96".into(),
                seq: 2
            })
        );
    }

    #[test]
    fn a_deleted_last_entry_is_found_from_the_head() {
        let c = chain(3);
        let head = c[2].hash.clone();
        assert!(matches!(
            walk(&c[..2], (3, &head)),
            Err(ChainBreak::Truncated { .. })
        ));
    }
}
