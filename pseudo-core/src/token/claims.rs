//! The JWT header and claims as they travel (see `docs/SPEC.md` §5 for every field and rule).

use serde::{Deserialize, Serialize};

use crate::config::{OrgId, OutputFormat, ProjectId, Treatment};

/// The three operation token types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    /// Pseudonymisation: original values → level-1 pseudonyms (`POST /api/request-psn`).
    Psn,
    /// Secondary: a source's level-1 pseudonyms → level-2 pseudonyms (`POST /api/request-psn`).
    Sec,
    /// Reverse: pseudonyms → what they came from (`POST /api/request-psn-rev`).
    Rev,
}

impl TokenType {
    /// `psn`, `sec` or `rev`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Psn => "psn",
            TokenType::Sec => "sec",
            TokenType::Rev => "rev",
        }
    }

    /// The explicit `typ` header of this token type (RFC 8725 §3.11).
    pub fn jwt_typ(self) -> &'static str {
        match self {
            TokenType::Psn => "pseudo-psn+jwt",
            TokenType::Sec => "pseudo-sec+jwt",
            TokenType::Rev => "pseudo-rev+jwt",
        }
    }

    /// Every token type.
    pub const ALL: [TokenType; 3] = [TokenType::Psn, TokenType::Sec, TokenType::Rev];

    pub(crate) fn from_jwt_typ(typ: &str) -> Option<Self> {
        [TokenType::Psn, TokenType::Sec, TokenType::Rev].into_iter().find(|t| t.jwt_typ() == typ)
    }
}

/// The protected header, parsed strictly: any other member (`crit`, `jku`, `x5u`, `jwk`, …)
/// or a duplicated member makes the token malformed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JwtHeader {
    pub(crate) alg: String,
    pub(crate) typ: String,
    pub(crate) kid: String,
}

/// `cfg`: the project configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CfgClaim {
    /// Reversible.
    pub(crate) rev: bool,
    /// Retention end, seconds since the epoch.
    pub(crate) ret: i64,
    /// Treatment.
    pub(crate) trt: Treatment,
    /// Output format.
    pub(crate) fmt: OutputFormat,
}

/// `src`: the source of a secondary pseudonymisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SrcClaim {
    pub(crate) prj: ProjectId,
    #[serde(deserialize_with = "super::canonical_uuid")]
    pub(crate) org: OrgId,
    pub(crate) rev: bool,
    pub(crate) ret: i64,
    pub(crate) fmt: OutputFormat,
    /// The key version the source project is bound to. Required; `Option` only so that its
    /// absence is a precise error rather than a generic parse failure.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::present")]
    pub(crate) kv: Option<u16>,
}

/// The claims set.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Claims {
    pub(crate) iss: String,
    pub(crate) aud: String,
    pub(crate) sub: String,
    pub(crate) jti: String,
    pub(crate) iat: i64,
    pub(crate) nbf: i64,
    pub(crate) exp: i64,
    /// Token type; must agree with the `typ` header.
    pub(crate) tt: TokenType,
    pub(crate) prj: ProjectId,
    #[serde(deserialize_with = "super::canonical_uuid")]
    pub(crate) org: OrgId,
    pub(crate) req: String,
    pub(crate) cfg: CfgClaim,
    /// The key version the project is bound to: the engine derives every key of the token from
    /// it. Required; `Option` only so that its absence is a precise error.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::present")]
    pub(crate) kv: Option<u16>,
    /// `rev` only: the level the token undoes (1 or 2).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::present")]
    pub(crate) lvl: Option<u8>,
    /// `sec`, and `rev` of level 2: the source project and organisation.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::present")]
    pub(crate) src: Option<SrcClaim>,
}

impl std::str::FromStr for TokenType {
    type Err = crate::error::Error;
    /// `psn`, `sec` or `rev` (exactly; the one text form every face accepts).
    fn from_str(s: &str) -> crate::error::Result<Self> {
        TokenType::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| {
            crate::error::Error::new(crate::error::ErrorKind::InvalidInput, "the token type is psn, sec or rev")
        })
    }
}
