//! Key material: the engine's master keys (static secret + retention chain), the keyring of
//! versions, and the authority's Ed25519 signing and verifying keys.
//!
//! Every secret lives in a [`Zeroizing`] buffer and is wiped on drop; no secret type is `Clone`
//! and every `Debug` prints only public facts (version, day, `kid`).

use std::fmt;
use std::path::Path;

use data_encoding::{BASE64, BASE64URL_NOPAD, HEXLOWER_PERMISSIVE};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};
use ring::{digest, hmac};
use zeroize::Zeroizing;

use crate::config::Timestamp;
use crate::error::{Error, ErrorKind, Result};

/// Minimum length of a master key's static secret, in bytes.
pub const MIN_SECRET_LEN: usize = 32;
/// Maximum length of a master key's static secret, in bytes.
pub const MAX_SECRET_LEN: usize = 1024;
/// The furthest retention end, in days from today, that has keys (and that tokens may name):
/// 200 years. It bounds the chain walk of a key derivation (about 73 000 HMAC steps).
pub const MAX_RETENTION_DAYS: i64 = 200 * 366;
/// Label HMAC'd under a chain secret to step it one day forward (see `docs/SPEC.md`).
pub(crate) const CHAIN_STEP_LABEL: &[u8] = b"pseudo-chain-step-v1";

const MASTER_MAGIC: &[u8; 4] = b"PSMK";
const KEYRING_MAGIC: &[u8; 4] = b"PSKR";
const SERIAL_VERSION: u8 = 1;

pub(crate) fn random_bytes(out: &mut [u8]) -> Result<()> {
    SystemRandom::new()
        .fill(out)
        .map_err(|_| Error::new(ErrorKind::Internal, "the operating system's random number generator failed"))
}

fn invalid_key(msg: &str) -> Error {
    Error::new(ErrorKind::InvalidKey, msg)
}

/// One step of the retention chain: `HMAC-SHA256(key = secret_d, CHAIN_STEP_LABEL)`.
pub(crate) fn chain_step(secret: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, CHAIN_STEP_LABEL);
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(tag.as_ref());
    out
}

/// One version of the engine's key material.
///
/// * a **static secret** (≥ 32 bytes), the input key material of the not-reversible modes;
/// * a **retention chain**: a 32-byte secret for one UTC day. [`MasterKey::advance_to`] steps it
///   forward with a one-way function and erases the old secret, so keys of reversible projects whose
///   retention ended before the chain's day can no longer be computed by anyone holding this key.
///
/// An old copy of the serialised key (a backup) still holds the old chain secret and defeats that
/// shredding: persist the advanced key with [`MasterKey::to_bytes`] and do not keep old copies.
pub struct MasterKey {
    version: u16,
    static_secret: Zeroizing<Vec<u8>>,
    chain_day: i64,
    chain: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("version", &self.version)
            .field("chain_day", &self.chain_day)
            .finish_non_exhaustive()
    }
}

impl MasterKey {
    /// A new key from the OS random number generator, its chain starting today (UTC).
    pub fn generate(version: u16) -> Result<Self> {
        Self::generate_at(version, Timestamp::now())
    }

    /// A new random key whose chain starts on the UTC day of `today`.
    pub fn generate_at(version: u16, today: Timestamp) -> Result<Self> {
        let mut static_secret = Zeroizing::new(vec![0u8; 32]);
        random_bytes(&mut static_secret)?;
        let mut chain = Zeroizing::new([0u8; 32]);
        random_bytes(&mut chain[..])?;
        Self::check_version(version)?;
        // The same range that reading a key back accepts (`from_parts`).
        let today = today.checked_clock()?;
        Ok(MasterKey { version, static_secret, chain_day: today.day(), chain })
    }

    /// A key from its parts, for hosts that keep secrets in their own store. The chain secret must
    /// be random and independent of the static secret.
    pub fn from_parts(version: u16, static_secret: &[u8], chain_day: i64, chain_secret: &[u8; 32]) -> Result<Self> {
        Self::check_version(version)?;
        if static_secret.len() < MIN_SECRET_LEN || static_secret.len() > MAX_SECRET_LEN {
            return Err(invalid_key("a master key's static secret is 32 to 1024 bytes"));
        }
        // Day 0 is 1970-01-01, MAX_CLOCK_DAY is in the year 4707: anything else is a corrupt key
        // (and would make the first advance loop for ever).
        if !(0..=crate::config::MAX_CLOCK_DAY).contains(&chain_day) {
            return Err(invalid_key("a master key's chain day is out of range"));
        }
        Ok(MasterKey {
            version,
            static_secret: Zeroizing::new(static_secret.to_vec()),
            chain_day,
            chain: Zeroizing::new(*chain_secret),
        })
    }

    fn check_version(version: u16) -> Result<()> {
        if version == 0 {
            return Err(invalid_key("key versions start at 1"));
        }
        Ok(())
    }

    /// The key version written into every pseudonym made with this key.
    pub fn version(&self) -> u16 {
        self.version
    }

    /// The UTC day (days since 1970-01-01) of the chain's current secret.
    pub fn chain_day(&self) -> i64 {
        self.chain_day
    }

    pub(crate) fn static_secret(&self) -> &[u8] {
        &self.static_secret
    }

    /// Steps the chain forward to `day`, erasing every earlier secret. Returns whether it moved.
    pub fn advance_to(&mut self, day: i64) -> bool {
        if day <= self.chain_day {
            return false;
        }
        while self.chain_day < day {
            self.chain = chain_step(&self.chain);
            self.chain_day += 1;
        }
        true
    }

    /// The chain secret of `day` (≥ the chain's day). Earlier days are gone: `RetentionEnded`.
    pub(crate) fn chain_secret_for(&self, day: i64) -> Result<Zeroizing<[u8; 32]>> {
        if day < self.chain_day {
            return Err(Error::new(
                ErrorKind::RetentionEnded,
                "the retention of this project has ended: its keys were erased",
            ));
        }
        if day - self.chain_day > MAX_RETENTION_DAYS {
            return Err(invalid_key("a retention end more than 200 years ahead has no key"));
        }
        let mut s = Zeroizing::new(*self.chain);
        for _ in self.chain_day..day {
            s = chain_step(&s);
        }
        Ok(s)
    }

    /// The serialised key material (see `docs/SPEC.md`): keep it secret, and replace the stored
    /// copy whenever the chain advances.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(4 + 1 + 2 + 8 + 32 + 2 + self.static_secret.len()));
        out.extend_from_slice(MASTER_MAGIC);
        out.push(SERIAL_VERSION);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.chain_day.to_be_bytes());
        out.extend_from_slice(&self.chain[..]);
        // from_parts bounds the length to MAX_SECRET_LEN, so it fits in u16.
        out.extend_from_slice(&(self.static_secret.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.static_secret);
        out
    }

    /// Reads what [`MasterKey::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = || invalid_key("not a serialised pseudo master key");
        let rest = bytes.strip_prefix(MASTER_MAGIC).ok_or_else(bad)?;
        let (&ver, rest) = rest.split_first().ok_or_else(bad)?;
        if ver != SERIAL_VERSION {
            return Err(invalid_key("unsupported master key serialisation version"));
        }
        if rest.len() < 2 + 8 + 32 + 2 {
            return Err(bad());
        }
        let version = u16::from_be_bytes([rest[0], rest[1]]);
        let mut day = [0u8; 8];
        day.copy_from_slice(&rest[2..10]);
        let mut chain = Zeroizing::new([0u8; 32]);
        chain.copy_from_slice(&rest[10..42]);
        let len = usize::from(u16::from_be_bytes([rest[42], rest[43]]));
        let secret = &rest[44..];
        if secret.len() != len {
            return Err(bad());
        }
        Self::from_parts(version, secret, i64::from_be_bytes(day), &chain)
    }

    /// The serialised key as lower-case hex.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::HEXLOWER.encode(&self.to_bytes()))
    }

    /// The serialised key as standard base64.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE64.encode(&self.to_bytes()))
    }

    /// Reads a hex-encoded serialised key (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<Self> {
        Self::from_bytes(&decode_text(text, Encoding::Hex)?)
    }

    /// Reads a base64-encoded serialised key (standard or URL alphabet, padded or not).
    pub fn from_base64(text: &str) -> Result<Self> {
        Self::from_bytes(&decode_text(text, Encoding::Base64)?)
    }

    /// Reads a key file: the raw serialised bytes, or their hex or base64 text.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let data = Zeroizing::new(std::fs::read(path)?);
        Self::from_any(&data)
    }

    /// Reads raw serialised bytes, or their hex or base64 text.
    pub fn from_any(data: &[u8]) -> Result<Self> {
        if data.starts_with(MASTER_MAGIC) {
            return Self::from_bytes(data);
        }
        let text = std::str::from_utf8(data).map_err(|_| invalid_key("not a pseudo master key"))?;
        Self::from_hex(text).or_else(|_| Self::from_base64(text))
    }
}

enum Encoding {
    Hex,
    Base64,
}

fn decode_text(text: &str, enc: Encoding) -> Result<Zeroizing<Vec<u8>>> {
    let text = text.trim();
    let bad = || invalid_key("the key text is not valid hex or base64");
    let out = match enc {
        Encoding::Hex => HEXLOWER_PERMISSIVE.decode(text.as_bytes()).map_err(|_| bad())?,
        Encoding::Base64 => {
            let normalised: Zeroizing<String> = Zeroizing::new(
                text.trim_end_matches('=')
                    .chars()
                    .map(|c| match c {
                        '+' => '-',
                        '/' => '_',
                        c => c,
                    })
                    .collect(),
            );
            BASE64URL_NOPAD.decode(normalised.as_bytes()).map_err(|_| bad())?
        }
    };
    Ok(Zeroizing::new(out))
}

/// The engine's master keys by version, one of them primary: the version new projects are bound
/// to. A project keeps the version it was created with (its tokens' `kv`), so adding a primary
/// changes no existing pseudonym; every version held stays readable (reverse, secondary input).
///
/// The serialised form carries each key chain's current day: after the engine advances its
/// chains, persist [`Engine::export_keyring`](crate::Engine::export_keyring) over the old file
/// (an old copy, a backup included, can recompute shredded keys; `docs/SPEC.md` §8).
///
/// ```
/// use pseudo_core::*;
///
/// # fn main() -> Result<()> {
/// let mut keyring = Keyring::new(MasterKey::generate(1)?);
/// keyring.add(MasterKey::generate(2)?)?; // rotation: version 2 serves new projects
/// keyring.set_primary(2)?;
/// assert_eq!(keyring.versions(), [1, 2]);
///
/// let bytes = keyring.to_bytes(); // zeroized on drop; store it with mode 0600
/// let loaded = Keyring::from_bytes(&bytes)?; // or Keyring::from_file(path): raw, hex or base64
/// assert_eq!(loaded.primary_version(), 2);
/// # Ok(()) }
/// ```
pub struct Keyring {
    keys: Vec<MasterKey>,
    primary: u16,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring").field("versions", &self.versions()).field("primary", &self.primary).finish()
    }
}

impl Keyring {
    /// A keyring holding one key, which is primary.
    pub fn new(key: MasterKey) -> Self {
        let primary = key.version;
        Keyring { keys: vec![key], primary }
    }

    /// Adds a key version (refused if that version is already present).
    pub fn add(&mut self, key: MasterKey) -> Result<()> {
        if self.get(key.version).is_some() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("key version {} is already in the keyring", key.version),
            ));
        }
        self.keys.push(key);
        self.keys.sort_by_key(|k| k.version);
        Ok(())
    }

    /// Removes `version` (retirement of a leaked or unused key): its secrets are wiped and
    /// pseudonyms and tokens of that version are refused from then on. The primary version
    /// cannot be removed (make another one primary first). Whether a project is still bound
    /// to the version is the registry's question (`Registry::check_retire`), not the keyring's.
    pub fn remove(&mut self, version: u16) -> Result<()> {
        if version == self.primary {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("key version {version} is the primary version: make another version primary first"),
            ));
        }
        let before = self.keys.len();
        self.keys.retain(|k| k.version != version);
        if self.keys.len() == before {
            return Err(Error::new(ErrorKind::InvalidKey, format!("key version {version} is not in the keyring")));
        }
        Ok(())
    }

    /// Makes `version` the primary key.
    pub fn set_primary(&mut self, version: u16) -> Result<()> {
        if self.get(version).is_none() {
            return Err(Error::new(ErrorKind::InvalidKey, format!("key version {version} is not in the keyring")));
        }
        self.primary = version;
        Ok(())
    }

    /// The primary key version.
    pub fn primary_version(&self) -> u16 {
        self.primary
    }

    /// Every version held, ascending.
    pub fn versions(&self) -> Vec<u16> {
        self.keys.iter().map(|k| k.version).collect()
    }

    /// The key of `version`, if held.
    pub fn get(&self, version: u16) -> Option<&MasterKey> {
        self.keys.iter().find(|k| k.version == version)
    }

    /// The earliest chain day among the keys.
    pub fn chain_day(&self) -> i64 {
        self.keys.iter().map(|k| k.chain_day).min().unwrap_or(i64::MIN)
    }

    /// Advances every key's chain to `day`. Returns whether any moved (then persist the keyring).
    pub fn advance_to(&mut self, day: i64) -> bool {
        let mut moved = false;
        for k in &mut self.keys {
            moved |= k.advance_to(day);
        }
        moved
    }

    /// Serialises every key and the primary version (see `docs/SPEC.md`).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::new());
        out.extend_from_slice(KEYRING_MAGIC);
        out.push(SERIAL_VERSION);
        out.extend_from_slice(&self.primary.to_be_bytes());
        out.extend_from_slice(&(self.keys.len() as u16).to_be_bytes());
        for k in &self.keys {
            let b = k.to_bytes();
            out.extend_from_slice(&(b.len() as u16).to_be_bytes());
            out.extend_from_slice(&b);
        }
        out
    }

    /// Reads what [`Keyring::to_bytes`] wrote, or a single serialised [`MasterKey`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.starts_with(MASTER_MAGIC) {
            return Ok(Keyring::new(MasterKey::from_bytes(bytes)?));
        }
        let bad = || invalid_key("not a serialised pseudo keyring");
        let rest = bytes.strip_prefix(KEYRING_MAGIC).ok_or_else(bad)?;
        if rest.len() < 5 || rest[0] != SERIAL_VERSION {
            return Err(bad());
        }
        let primary = u16::from_be_bytes([rest[1], rest[2]]);
        let count = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        let mut rest = &rest[5..];
        let mut ring: Option<Keyring> = None;
        for _ in 0..count {
            if rest.len() < 2 {
                return Err(bad());
            }
            let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            let body = rest.get(2..2 + len).ok_or_else(bad)?;
            let key = MasterKey::from_bytes(body)?;
            match ring.as_mut() {
                None => ring = Some(Keyring::new(key)),
                Some(r) => r.add(key)?,
            }
            rest = &rest[2 + len..];
        }
        if !rest.is_empty() {
            return Err(bad());
        }
        let mut ring = ring.ok_or_else(bad)?;
        ring.set_primary(primary)?;
        Ok(ring)
    }

    /// Reads a keyring (or single key) file: raw bytes, hex or base64 text.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let data = Zeroizing::new(std::fs::read(path)?);
        Self::from_any(&data)
    }

    /// Reads raw serialised bytes, or their hex or base64 text.
    pub fn from_any(data: &[u8]) -> Result<Self> {
        if data.starts_with(MASTER_MAGIC) || data.starts_with(KEYRING_MAGIC) {
            return Self::from_bytes(data);
        }
        let text = std::str::from_utf8(data).map_err(|_| invalid_key("not a pseudo keyring"))?;
        match decode_text(text, Encoding::Hex) {
            Ok(b) => Self::from_bytes(&b),
            Err(_) => Self::from_bytes(&decode_text(text, Encoding::Base64)?),
        }
    }
}

impl From<MasterKey> for Keyring {
    fn from(key: MasterKey) -> Self {
        Keyring::new(key)
    }
}

// ---------------------------------------------------------------------------------------------
// Ed25519

const PKCS8_V1_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
const SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

fn pem_encode(tag: &str, der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = format!("-----BEGIN {tag}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {tag}-----\n"));
    out
}

fn pem_decode(tag: &str, pem: &str) -> Result<Zeroizing<Vec<u8>>> {
    let begin = format!("-----BEGIN {tag}-----");
    let end = format!("-----END {tag}-----");
    let bad = || invalid_key(&format!("not a PEM \"{tag}\" block"));
    let start = pem.find(&begin).ok_or_else(bad)? + begin.len();
    let stop = pem[start..].find(&end).ok_or_else(bad)? + start;
    let body: Zeroizing<String> = Zeroizing::new(pem[start..stop].chars().filter(|c| !c.is_whitespace()).collect());
    let der = BASE64.decode(body.as_bytes()).map_err(|_| bad())?;
    Ok(Zeroizing::new(der))
}

/// RFC 7638 JWK thumbprint of an Ed25519 public key, base64url: the `kid` of this library's keys.
fn thumbprint(public: &[u8; 32]) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, BASE64URL_NOPAD.encode(public));
    BASE64URL_NOPAD.encode(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
}

/// The authority's Ed25519 signing key. Its `kid` is the RFC 7638 thumbprint of the public key.
pub struct SigningKey {
    pkcs8_v1: Zeroizing<Vec<u8>>,
    verifying: VerifyingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.verifying.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new key from the OS random number generator.
    pub fn generate() -> Result<Self> {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| Error::new(ErrorKind::Internal, "Ed25519 key generation failed"))?;
        let doc = Zeroizing::new(doc.as_ref().to_vec());
        Self::from_pkcs8_der(&doc)
    }

    /// From a PKCS#8 (v1 or v2) DER document.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map_err(|_| invalid_key("not an Ed25519 PKCS#8 private key"))?;
        // Both PKCS#8 versions ring accepts put the 32-byte seed right after the same 16-byte prefix.
        let seed = der.get(16..48).ok_or_else(|| invalid_key("not an Ed25519 PKCS#8 private key"))?;
        let mut v1 = Zeroizing::new(Vec::with_capacity(48));
        v1.extend_from_slice(&PKCS8_V1_PREFIX);
        v1.extend_from_slice(seed);
        let check = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&v1)
            .map_err(|_| invalid_key("not an Ed25519 PKCS#8 private key"))?;
        if check.public_key().as_ref() != pair.public_key().as_ref() {
            return Err(invalid_key("inconsistent Ed25519 PKCS#8 private key"));
        }
        let mut public = [0u8; 32];
        public.copy_from_slice(pair.public_key().as_ref());
        Ok(SigningKey { pkcs8_v1: v1, verifying: VerifyingKey::from_bytes(&public)? })
    }

    /// From a PEM `PRIVATE KEY` (PKCS#8) block.
    pub fn from_pem(pem: &str) -> Result<Self> {
        Self::from_pkcs8_der(&pem_decode("PRIVATE KEY", pem)?)
    }

    /// The PKCS#8 v1 DER document.
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.pkcs8_v1.to_vec())
    }

    /// A PEM `PRIVATE KEY` block (PKCS#8 v1, as OpenSSL writes it).
    pub fn to_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(pem_encode("PRIVATE KEY", &self.pkcs8_v1))
    }

    /// The matching verifying (public) key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    /// The key id written in every token's `kid` header.
    pub fn kid(&self) -> &str {
        &self.verifying.kid
    }

    pub(crate) fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8_v1
    }
}

/// An Ed25519 verifying (public) key with its `kid`. The algorithm is pinned: EdDSA only.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    public: [u8; 32],
    kid: String,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey").field("kid", &self.kid).finish()
    }
}

#[derive(serde::Deserialize)]
struct JwkIn {
    kty: String,
    crv: String,
    x: String,
    #[serde(default, deserialize_with = "crate::token::present")]
    kid: Option<String>,
    #[serde(default, deserialize_with = "crate::token::present")]
    alg: Option<String>,
    #[serde(default, rename = "use", deserialize_with = "crate::token::present")]
    use_: Option<String>,
    #[serde(default, deserialize_with = "crate::token::present")]
    key_ops: Option<Vec<String>>,
    #[serde(default)]
    d: Option<serde::de::IgnoredAny>,
}

impl VerifyingKey {
    /// From the raw 32-byte public key; `kid` is its RFC 7638 thumbprint.
    ///
    /// Every import path (bytes, PEM, JWK, C, Python) comes through here, and refuses what an
    /// honest key never is: an encoding that is not a point, a non-canonical encoding (y ≥ p), and
    /// a point of small order (the identity and the other seven torsion points). An engine that
    /// trusted a small-order key would accept trivial signatures.
    pub fn from_bytes(public: &[u8; 32]) -> Result<Self> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(public)
            .map_err(|_| invalid_key("not an Ed25519 public key: the bytes are not a curve point"))?;
        if key.to_edwards().compress().as_bytes() != public {
            return Err(invalid_key("not a canonical Ed25519 public key encoding"));
        }
        if key.is_weak() {
            return Err(invalid_key("a weak Ed25519 public key (a point of small order) is refused"));
        }
        Ok(VerifyingKey { public: *public, kid: thumbprint(public) })
    }

    /// The key for strict signature checks; [`VerifyingKey::from_bytes`] made sure it decodes.
    pub(crate) fn dalek(&self) -> Result<ed25519_dalek::VerifyingKey> {
        ed25519_dalek::VerifyingKey::from_bytes(&self.public).map_err(|_| invalid_key("not an Ed25519 public key"))
    }

    /// The same key under another `kid` (1 to 128 printable ASCII characters).
    pub fn with_kid(mut self, kid: &str) -> Result<Self> {
        if kid.is_empty() || kid.len() > 128 || !kid.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::new(ErrorKind::InvalidInput, "a kid is 1 to 128 printable ASCII characters"));
        }
        self.kid = kid.to_owned();
        Ok(self)
    }

    /// From a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) block.
    pub fn from_pem(pem: &str) -> Result<Self> {
        let der = pem_decode("PUBLIC KEY", pem)?;
        let raw = der.strip_prefix(&SPKI_PREFIX[..]).ok_or_else(|| invalid_key("not an Ed25519 public key"))?;
        let public: [u8; 32] = raw.try_into().map_err(|_| invalid_key("not an Ed25519 public key"))?;
        Self::from_bytes(&public)
    }

    /// A PEM `PUBLIC KEY` (SubjectPublicKeyInfo) block.
    pub fn to_pem(&self) -> String {
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(&self.public);
        pem_encode("PUBLIC KEY", &der)
    }

    /// From a JWK (`{"kty":"OKP","crv":"Ed25519","x":...}`); its `kid` is kept when present.
    pub fn from_jwk(jwk: &str) -> Result<Self> {
        let j: JwkIn = serde_json::from_str(jwk).map_err(|_| invalid_key("not a JSON Web Key"))?;
        if j.kty != "OKP" || j.crv != "Ed25519" || j.alg.as_deref().is_some_and(|a| a != "EdDSA") {
            return Err(invalid_key("only Ed25519 (OKP, EdDSA) JSON Web Keys are supported"));
        }
        if j.d.is_some() {
            return Err(invalid_key("the JWK holds a private key (\"d\"): import only the public key"));
        }
        if j.use_.as_deref().is_some_and(|u| u != "sig") {
            return Err(invalid_key("the JWK's \"use\" is not \"sig\""));
        }
        if j.key_ops.as_ref().is_some_and(|ops| !ops.iter().any(|o| o == "verify")) {
            return Err(invalid_key("the JWK's \"key_ops\" does not allow \"verify\""));
        }
        let raw = BASE64URL_NOPAD.decode(j.x.as_bytes()).map_err(|_| invalid_key("bad JWK \"x\""))?;
        let public: [u8; 32] = raw.as_slice().try_into().map_err(|_| invalid_key("bad JWK \"x\""))?;
        let key = Self::from_bytes(&public)?;
        match j.kid {
            Some(kid) => key.with_kid(&kid),
            None => Ok(key),
        }
    }

    /// The key as a JWK with `kid`, `alg: EdDSA` and `use: sig`.
    pub fn to_jwk(&self) -> String {
        serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": BASE64URL_NOPAD.encode(&self.public),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        })
        .to_string()
    }

    /// The raw 32-byte public key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.public
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }
}
