//! A project's configuration, carried in every token, and the small value types it is made of.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// Seconds in one UTC day.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// The last UTC day (counted from 1970-01-01) a clock may show: 1 000 000 is in the year 4707.
/// An instant outside `0..=MAX_CLOCK_DAY` is no real clock (usually a unit mistake) and is
/// refused wherever a caller passes `now`, so no calendar or key-chain arithmetic can overflow.
pub const MAX_CLOCK_DAY: i64 = 1_000_000;

/// An instant as whole seconds since the Unix epoch (UTC), as JWT `NumericDate` values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From seconds since the Unix epoch.
    pub const fn from_unix(secs: i64) -> Self {
        Timestamp(secs)
    }

    /// The current instant from the system clock.
    pub fn now() -> Self {
        SystemTime::now().into()
    }

    /// Seconds since the Unix epoch.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// The UTC day this instant falls in, counted from 1970-01-01 (day 0).
    pub const fn day(self) -> i64 {
        self.0.div_euclid(SECONDS_PER_DAY)
    }

    /// This instant if it can be a clock reading: between 1970-01-01 and [`MAX_CLOCK_DAY`].
    /// Anything else is [`ErrorKind::InvalidInput`].
    pub fn checked_clock(self) -> Result<Self> {
        if (0..=MAX_CLOCK_DAY).contains(&self.day()) {
            Ok(self)
        } else {
            Err(Error::new(ErrorKind::InvalidInput, "the clock is outside 1970-01-01 .. year 4707 (seconds expected)"))
        }
    }

    /// This instant plus a duration (saturating).
    pub fn saturating_add(self, d: Duration) -> Self {
        let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(secs))
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            Err(e) => Timestamp(-i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX)),
        }
    }
}

/// A project identifier: 1 to 128 bytes of printable ASCII (no spaces).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ProjectId(String);

impl ProjectId {
    /// Validates and wraps a project identifier.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a project id is 1 to 128 printable ASCII characters without spaces",
            ));
        }
        Ok(ProjectId(id))
    }

    /// The identifier as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ProjectId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ProjectId::new(s).map_err(|e| serde::de::Error::custom(e.message()))
    }
}

impl fmt::Debug for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProjectId({:?})", self.0)
    }
}

impl fmt::Display for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ProjectId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        ProjectId::new(s)
    }
}

/// An organisation, identified by its UUID key.
pub type OrgId = uuid::Uuid;

/// Parses a UUID in its canonical text form only (lower-case, hyphenated, 36 characters), the
/// form tokens carry; `None` for anything else (braces, `urn:uuid:`, upper case, no hyphens).
pub fn parse_canonical_uuid(s: &str) -> Option<OrgId> {
    let u = uuid::Uuid::try_parse(s).ok()?;
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    (&*u.hyphenated().encode_lower(&mut buf) == s).then_some(u)
}

/// Whether pseudonyms of a project can be reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// AES-SIV: pseudonyms can be reversed with a `rev` token until retention ends.
    Reversible,
    /// HMAC or random: pseudonyms can never be reversed.
    NotReversible,
}

impl Method {
    /// True for [`Method::Reversible`].
    pub fn is_reversible(self) -> bool {
        self == Method::Reversible
    }
}

/// Whether one value always maps to the same pseudonym within a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Treatment {
    /// One value always gets the same pseudonym in this project (joins work).
    Same,
    /// Every occurrence gets a fresh pseudonym.
    Different,
}

impl FromStr for Treatment {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "same" => Ok(Treatment::Same),
            "different" => Ok(Treatment::Different),
            _ => Err(Error::new(ErrorKind::InvalidInput, "treatment must be \"same\" or \"different\"")),
        }
    }
}

/// How pseudonym bytes are written as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// RFC 4648 §5 base64url, unpadded (the default).
    #[default]
    Base64url,
    /// Lower-case hexadecimal.
    Hex,
    /// RFC 4648 §6 base32, lower case, unpadded.
    Base32,
}

impl OutputFormat {
    /// The name used in tokens and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Base64url => "base64url",
            OutputFormat::Hex => "hex",
            OutputFormat::Base32 => "base32",
        }
    }
}

impl FromStr for OutputFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "base64url" => Ok(OutputFormat::Base64url),
            "hex" => Ok(OutputFormat::Hex),
            "base32" => Ok(OutputFormat::Base32),
            _ => Err(Error::new(ErrorKind::InvalidInput, "format must be \"base64url\", \"hex\" or \"base32\"")),
        }
    }
}

/// A project's configuration as carried in every token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProjectConfig {
    /// Reversible or not.
    pub method: Method,
    /// The end of retention: after it, reversal is refused for ever and tokens expire.
    pub retention_end: Timestamp,
    /// `same` or `different`.
    pub treatment: Treatment,
    /// How pseudonyms are written.
    pub format: OutputFormat,
}

/// The source of a secondary (level-2) pseudonymisation: whose level-1 pseudonyms are accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceRef {
    /// The source project.
    pub project: ProjectId,
    /// The source organisation.
    pub organisation: OrgId,
    /// The source project's method (reversible sources' pseudonyms are authenticated by decryption).
    pub method: Method,
    /// The source project's retention end (its key-chain day).
    pub retention_end: Timestamp,
    /// The source project's output format (to decode its pseudonyms).
    pub format: OutputFormat,
    /// The key version the source project is bound to (the `src.kv` claim). `None` when a caller
    /// issues through a bare [`Authority`](crate::Authority): its configured primary version.
    pub key_version: Option<u16>,
}
