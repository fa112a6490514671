//! The engine's key schedule: the keyring with its daily chain, the derived keys of each project
//! (HKDF, cached and zeroized), and the plan of a batch (which keys, header and associated data a
//! grant's batch uses). The request path (`engine.rs`) only asks it for a plan.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use ring::hmac;
use zeroize::Zeroizing;

use crate::config::{Method, ProjectConfig, SourceRef, Timestamp, Treatment};
use crate::error::{Detail, Error, ErrorKind, Result};
use crate::keys::Keyring;
use crate::token::{Grant, TokenType};
use crate::transform::derive::{derive, domain_level1, domain_level2, kdf_info, Purpose};
use crate::transform::envelope::{Header, Mode};
use crate::transform::{Backward, Forward, ForwardCipher, Plan, SharedKey, SourceCheck};

const MAX_CACHED_KEYS: usize = 4096;

/// Refuses a key version the keyring does not hold, with its own sub-code.
fn held(ring: &Keyring, version: u16) -> Result<()> {
    if ring.get(version).is_none() {
        return Err(Error::with_detail(
            ErrorKind::InvalidClaims,
            Detail::UnknownKeyVersion,
            format!("key version {version} is not held by this engine (retired, or not installed here)"),
        ));
    }
    Ok(())
}

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

    fn forward(
        &self,
        ring: &Keyring,
        cfg: &ProjectConfig,
        level: u8,
        domain: Vec<u8>,
        version: u16,
    ) -> Result<Forward> {
        held(ring, version)?;
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

    fn read(&self) -> Result<std::sync::RwLockReadGuard<'_, Keyring>> {
        self.keyring.read().map_err(|_| Error::new(ErrorKind::Internal, "keyring lock poisoned"))
    }

    fn write(&self) -> Result<std::sync::RwLockWriteGuard<'_, Keyring>> {
        self.keyring.write().map_err(|_| Error::new(ErrorKind::Internal, "keyring lock poisoned"))
    }

    /// Every version held, ascending, and the primary one.
    pub(crate) fn versions(&self) -> Result<(Vec<u16>, u16)> {
        let ring = self.read()?;
        Ok((ring.versions(), ring.primary_version()))
    }

    /// Adds a key version (rotation); `primary` makes it the keyring's primary.
    pub(crate) fn add(&self, key: crate::keys::MasterKey, primary: bool) -> Result<()> {
        let mut ring = self.write()?;
        let today = ring.chain_day();
        let mut key = key;
        // A new key starts no earlier than the ring's chains: its chain must not reach back to
        // days the other versions have already erased.
        key.advance_to(today);
        let v = key.version();
        ring.add(key)?;
        if primary {
            ring.set_primary(v)?;
        }
        Ok(())
    }

    /// Removes a key version (retirement): every cached key is erased with it.
    pub(crate) fn remove(&self, version: u16) -> Result<()> {
        let mut ring = self.write()?;
        ring.remove(version)?;
        if let Ok(mut c) = self.cache.lock() {
            c.clear();
        }
        Ok(())
    }

    /// Refuses a grant naming a key version (its own or its source's) this keyring does not hold.
    pub(crate) fn check_held(&self, g: &Grant) -> Result<()> {
        let ring = self.read()?;
        held(&ring, g.key_version)?;
        if let Some(kv) = g.source.as_ref().and_then(|s| s.key_version) {
            held(&ring, kv)?;
        }
        Ok(())
    }

    /// The plan of a batch under the grant's key version.
    pub(crate) fn plan(&self, g: &Grant) -> Result<Plan> {
        self.plan_at(g, g.key_version)
    }

    /// A rewrap: the grant's (reverse) pseudonyms read under any held version, written again
    /// under the grant's key version, in the same domain and mode.
    pub(crate) fn rewrap_plan(&self, g: &Grant) -> Result<Plan> {
        if g.token_type != TokenType::Rev || !g.config.method.is_reversible() {
            return Err(Error::with_detail(
                ErrorKind::WrongOperation,
                Detail::NotRewrappable,
                "only a reverse token of a reversible project can rewrap its pseudonyms",
            ));
        }
        let Plan::Reverse(back) = self.plan(g)? else {
            return Err(Error::new(ErrorKind::Internal, "a reverse token planned something else"));
        };
        let ring = self.read()?;
        let fwd = self.forward(&ring, &g.config, back.level, back.domain.clone(), g.key_version)?;
        Ok(Plan::Rewrap(back, fwd))
    }

    /// A lookup: the pseudonymisation of a `psn` or `sec` grant under `version` instead of the
    /// grant's own (deterministic treatment only).
    pub(crate) fn lookup_plan(&self, g: &Grant, version: u16) -> Result<Plan> {
        if g.token_type == TokenType::Rev {
            return Err(Error::new(ErrorKind::WrongOperation, "a lookup takes a psn or sec token"));
        }
        if g.config.treatment != Treatment::Same {
            return Err(Error::with_detail(
                ErrorKind::InvalidInput,
                Detail::NotDeterministic,
                "a lookup needs a project with `same` treatment: `different` pseudonyms are fresh every time",
            ));
        }
        self.plan_at(g, version)
    }

    fn plan_at(&self, g: &Grant, version: u16) -> Result<Plan> {
        let ring = self.read()?;
        // A token naming a version this engine does not hold is refused as a whole (a clear
        // error, not an opaque per-item failure): retired, or installed on another engine only.
        held(&ring, g.key_version)?;
        if let Some(kv) = g.source.as_ref().and_then(|s| s.key_version) {
            held(&ring, kv)?;
        }
        let missing_source = || Error::new(ErrorKind::InvalidClaims, "the token names no source");
        match g.token_type {
            TokenType::Psn => {
                Ok(Plan::Pseudonymise(self.forward(&ring, &g.config, 1, domain_level1(&g.project), version)?))
            }
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
                Ok(Plan::Secondary(check, self.forward(&ring, &g.config, 2, domain, version)?))
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
