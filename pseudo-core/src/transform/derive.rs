//! Per-domain key derivation: HKDF-SHA256 with a length-prefixed `info` (see `docs/SPEC.md` §3).

use ring::hkdf;
use zeroize::Zeroizing;

use crate::config::{OrgId, ProjectId};
use crate::error::{Error, ErrorKind, Result};
use crate::keys::MasterKey;

/// First component of every HKDF `info`.
pub(crate) const KDF_LABEL: &[u8] = b"pseudo-kdf-v1";

/// What a derived key is for, and so its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A 64-byte AES-256-SIV key (reversible modes).
    Siv,
    /// A 32-byte HMAC-SHA256 key (not reversible, same).
    Hmac,
}

impl Purpose {
    pub(crate) fn label(self) -> &'static [u8] {
        match self {
            Purpose::Siv => b"aes-256-siv",
            Purpose::Hmac => b"hmac-sha256",
        }
    }

    pub(crate) fn len(self) -> usize {
        match self {
            Purpose::Siv => 64,
            Purpose::Hmac => 32,
        }
    }
}

/// Appends `u16be(len) || bytes`.
pub(crate) fn push_lp(out: &mut Vec<u8>, bytes: &[u8]) {
    // Every component is bounded well below 64 KiB (ids ≤ 128 bytes, domains ≤ 3 of them).
    out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The domain of level-1 pseudonyms of `project`.
pub(crate) fn domain_level1(project: &ProjectId) -> Vec<u8> {
    let mut d = Vec::with_capacity(2 + project.as_str().len());
    push_lp(&mut d, project.as_str().as_bytes());
    d
}

/// The domain of level-2 pseudonyms made by `project` from `src_org`'s `src_project`.
pub(crate) fn domain_level2(src_org: &OrgId, src_project: &ProjectId, project: &ProjectId) -> Vec<u8> {
    let mut d = Vec::new();
    push_lp(&mut d, src_org.as_bytes());
    push_lp(&mut d, src_project.as_str().as_bytes());
    push_lp(&mut d, project.as_str().as_bytes());
    d
}

/// The HKDF `info` string; `day` is the retention end day of reversible modes.
pub(crate) fn kdf_info(purpose: Purpose, level: u8, domain: &[u8], key_version: u16, day: Option<i64>) -> Vec<u8> {
    let mut info = Vec::with_capacity(64 + domain.len());
    push_lp(&mut info, KDF_LABEL);
    push_lp(&mut info, purpose.label());
    push_lp(&mut info, &[level]);
    push_lp(&mut info, domain);
    push_lp(&mut info, &key_version.to_be_bytes());
    match day {
        Some(d) => push_lp(&mut info, &d.to_be_bytes()),
        None => push_lp(&mut info, &[]),
    }
    info
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// Derives the key named by `info` from `key`: the static secret when `day` is `None`, else the
/// chain secret of `day`.
pub(crate) fn derive(key: &MasterKey, purpose: Purpose, info: &[u8], day: Option<i64>) -> Result<Zeroizing<Vec<u8>>> {
    let chain;
    let ikm: &[u8] = match day {
        None => key.static_secret(),
        Some(d) => {
            chain = key.chain_secret_for(d)?;
            &chain[..]
        }
    };
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(ikm);
    let mut out = Zeroizing::new(vec![0u8; purpose.len()]);
    prk.expand(&[info], Len(purpose.len()))
        .and_then(|okm| okm.fill(&mut out))
        .map_err(|_| Error::new(ErrorKind::Internal, "HKDF expansion failed"))?;
    Ok(out)
}
