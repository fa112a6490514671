//! The engine's key schedule: the keyring with its daily chain, the derived keys of each project
//! (HKDF, cached and zeroized), and the plan of a batch (which keys, header and associated data a
//! grant's batch uses). The request path (`engine.rs`) only asks it for a plan.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use ring::hmac;
use zeroize::Zeroizing;

use crate::config::{Method, ProjectConfig, SourceRef, Timestamp, Treatment};
use crate::error::{Error, ErrorKind, Result};
use crate::keys::Keyring;
use crate::token::{Grant, TokenType};
use crate::transform::derive::{derive, domain_level1, domain_level2, kdf_info, Purpose};
use crate::transform::envelope::{Header, Mode};
use crate::transform::{Backward, Forward, ForwardCipher, Plan, SharedKey, SourceCheck};

const MAX_CACHED_KEYS: usize = 4096;

fn mode_of(cfg: &ProjectConfig) -> Mode {
    match (cfg.method, cfg.treatment) {
        (Method::Reversible, Treatment::Same) => Mode::SivSame,
        (Method::Reversible, Treatment::Different) => Mode::SivRandom,
        (Method::NotReversible, Treatment::Same) => Mode::Hmac,
        (Method::NotReversible, Treatment::Different) => Mode::Random,
    }
}

/// The keyring and the cache of keys derived from it. Advancing the chain clears the cache, so
/// no derived key outlives the chain secret it came from.
pub(crate) struct KeySchedule {
    keyring: RwLock<Keyring>,
    cache: Mutex<HashMap<Vec<u8>, SharedKey>>,
}

impl KeySchedule {
    pub(crate) fn new(keyring: Keyring) -> Self {
        KeySchedule { keyring: RwLock::new(keyring), cache: Mutex::new(HashMap::new()) }
    }

    /// Steps every chain to `today`, erasing earlier secrets and every cached key.
    pub(crate) fn advance_to_day(&self, today: i64) -> bool {
        if self.keyring.read().map(|k| k.chain_day() >= today).unwrap_or(false) {
            return false;
        }
        let Ok(mut ring) = self.keyring.write() else { return false };
        if !ring.advance_to(today) {
            return false;
        }
        if let Ok(mut c) = self.cache.lock() {
            c.clear();
        }
        true
    }

    /// The keyring as it is now, serialised (secret).
    pub(crate) fn export(&self) -> Result<Zeroizing<Vec<u8>>> {
        let ring = self.keyring.read().map_err(|_| Error::new(ErrorKind::Internal, "keyring lock poisoned"))?;
        Ok(ring.to_bytes())
    }

    fn cached_key(
        &self,
        ring: &Keyring,
        version: u16,
        purpose: Purpose,
        level: u8,
        domain: &[u8],
        day: Option<i64>,
    ) -> Result<SharedKey> {
        let info = kdf_info(purpose, level, domain, version, day);
        if let Some(k) = self.cache.lock().ok().and_then(|c| c.get(&info).cloned()) {
            return Ok(k);
        }
        let key = ring.get(version).ok_or_else(|| Error::new(ErrorKind::InvalidKey, "unknown key version"))?;
        let derived = Arc::new(derive(key, purpose, &info, day)?);
        if let Ok(mut c) = self.cache.lock() {
            if c.len() >= MAX_CACHED_KEYS {
                c.clear();
            }
            c.insert(info, derived.clone());
        }
        Ok(derived)
    }

    fn forward(&self, ring: &Keyring, cfg: &ProjectConfig, level: u8, domain: Vec<u8>) -> Result<Forward> {
        let version = ring.primary_version();
        let mode = mode_of(cfg);
        let day = Some(cfg.retention_end.day());
        let cipher = match mode {
            Mode::SivSame => ForwardCipher::Siv(self.cached_key(ring, version, Purpose::Siv, level, &domain, day)?),
            Mode::SivRandom => {
                ForwardCipher::SivRandom(self.cached_key(ring, version, Purpose::Siv, level, &domain, day)?)
            }
            Mode::Hmac => {
                let k = self.cached_key(ring, version, Purpose::Hmac, level, &domain, None)?;
                ForwardCipher::Hmac(hmac::Key::new(hmac::HMAC_SHA256, &k))
            }
            Mode::Random => ForwardCipher::Random,
        };
        let header = Header { level, mode, key_version: version }.to_bytes();
        let mut ad = header.to_vec();
        ad.extend_from_slice(&domain);
        Ok(Forward { header, ad, cipher, format: cfg.format })
    }

    fn backward(
        &self,
        ring: &Keyring,
        level: u8,
        mode: Option<Mode>,
        domain: Vec<u8>,
        retention_end: Timestamp,
        format: crate::config::OutputFormat,
    ) -> Result<Backward> {
        let day = Some(retention_end.day());
        let keys: Vec<(u16, SharedKey)> = ring
            .versions()
            .into_iter()
            .filter_map(|v| self.cached_key(ring, v, Purpose::Siv, level, &domain, day).ok().map(|k| (v, k)))
            .collect();
        if keys.is_empty() {
            return Err(Error::new(
                ErrorKind::RetentionEnded,
                "the retention of this project has ended: its keys were erased",
            ));
        }
        Ok(Backward { level, mode, domain, keys, format })
    }

    pub(crate) fn plan(&self, g: &Grant) -> Result<Plan> {
        let ring = self.keyring.read().map_err(|_| Error::new(ErrorKind::Internal, "keyring lock poisoned"))?;
        let missing_source = || Error::new(ErrorKind::InvalidClaims, "the token names no source");
        match g.token_type {
            TokenType::Psn => Ok(Plan::Pseudonymise(self.forward(&ring, &g.config, 1, domain_level1(&g.project))?)),
            TokenType::Sec => {
                let src: &SourceRef = g.source.as_ref().ok_or_else(missing_source)?;
                let check = match src.method {
                    Method::Reversible => SourceCheck::Decrypt(self.backward(
                        &ring,
                        1,
                        None,
                        domain_level1(&src.project),
                        src.retention_end,
                        src.format,
                    )?),
                    Method::NotReversible => SourceCheck::Envelope { format: src.format, versions: ring.versions() },
                };
                let domain = domain_level2(&src.organisation, &src.project, &g.project);
                Ok(Plan::Secondary(check, self.forward(&ring, &g.config, 2, domain)?))
            }
            TokenType::Rev => {
                let domain = match g.level {
                    1 => domain_level1(&g.project),
                    _ => {
                        let src = g.source.as_ref().ok_or_else(missing_source)?;
                        domain_level2(&src.organisation, &src.project, &g.project)
                    }
                };
                let mode = Some(mode_of(&g.config));
                Ok(Plan::Reverse(self.backward(
                    &ring,
                    g.level,
                    mode,
                    domain,
                    g.config.retention_end,
                    g.config.format,
                )?))
            }
        }
    }
}
