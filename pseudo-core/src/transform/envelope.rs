//! The pseudonym envelope: a 5-byte header before the cryptographic bytes, and the text encodings.

use std::sync::OnceLock;

use data_encoding::{Encoding, Specification, BASE64URL_NOPAD, HEXLOWER};

use crate::config::OutputFormat;

/// Version of the pseudonym format, first byte of every pseudonym.
pub(crate) const FORMAT_VERSION: u8 = 1;
/// Length of the header.
pub(crate) const HEADER_LEN: usize = 5;
/// Length of the SIV tag, the HMAC truncation, the random nonce and the random pseudonym.
pub(crate) const BLOCK: usize = 16;

/// The cryptographic mode of a pseudonym (third header byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Mode {
    /// Reversible + same: deterministic AES-SIV.
    SivSame = 1,
    /// Reversible + different: AES-SIV with a random nonce.
    SivRandom = 2,
    /// Not reversible + same: truncated HMAC-SHA256.
    Hmac = 3,
    /// Not reversible + different: random bytes.
    Random = 4,
}

impl Mode {
    pub(crate) fn from_byte(b: u8) -> Option<Mode> {
        match b {
            1 => Some(Mode::SivSame),
            2 => Some(Mode::SivRandom),
            3 => Some(Mode::Hmac),
            4 => Some(Mode::Random),
            _ => None,
        }
    }
}

/// The header: format version, level, mode, key version (big-endian u16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) level: u8,
    pub(crate) mode: Mode,
    pub(crate) key_version: u16,
}

impl Header {
    pub(crate) fn to_bytes(self) -> [u8; HEADER_LEN] {
        let kv = self.key_version.to_be_bytes();
        [FORMAT_VERSION, self.level, self.mode as u8, kv[0], kv[1]]
    }

    /// Splits a decoded pseudonym into its header and body.
    pub(crate) fn parse(bytes: &[u8]) -> Option<(Header, &[u8])> {
        if bytes.len() < HEADER_LEN || bytes[0] != FORMAT_VERSION || !(1..=2).contains(&bytes[1]) {
            return None;
        }
        let mode = Mode::from_byte(bytes[2])?;
        let key_version = u16::from_be_bytes([bytes[3], bytes[4]]);
        Some((Header { level: bytes[1], mode, key_version }, &bytes[HEADER_LEN..]))
    }
}

fn base32_lower() -> &'static Encoding {
    static ENC: OnceLock<Encoding> = OnceLock::new();
    ENC.get_or_init(|| {
        let mut spec = Specification::new();
        spec.symbols.push_str("abcdefghijklmnopqrstuvwxyz234567");
        // The specification is a constant and valid; fall back to hex would change the format, so
        // a failure here is a programming error caught by every test.
        spec.encoding().unwrap_or_else(|_| HEXLOWER.clone())
    })
}

static B64URL: Encoding = BASE64URL_NOPAD;
static HEX: Encoding = HEXLOWER;

fn encoding(format: OutputFormat) -> &'static Encoding {
    match format {
        OutputFormat::Base64url => &B64URL,
        OutputFormat::Hex => &HEX,
        OutputFormat::Base32 => base32_lower(),
    }
}

/// Appends the text form of `bytes` to `out`.
pub(crate) fn encode_append(format: OutputFormat, bytes: &[u8], out: &mut String) {
    encoding(format).encode_append(bytes, out);
}

/// Length of the text form of `n` bytes.
pub(crate) fn encoded_len(format: OutputFormat, n: usize) -> usize {
    encoding(format).encode_len(n)
}

/// Writes the text form of `bytes` into `out`, which is exactly [`encoded_len`] long.
pub(crate) fn encode_into(format: OutputFormat, bytes: &[u8], out: &mut [u8]) {
    encoding(format).encode_mut(bytes, out);
}

/// Decodes the canonical text form into `out` (cleared first). `None` on any deviation.
pub(crate) fn decode_into(format: OutputFormat, text: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let enc = encoding(format);
    let len = enc.decode_len(text.len()).ok()?;
    out.clear();
    out.resize(len, 0);
    let n = enc.decode_mut(text, out).ok()?;
    out.truncate(n);
    Some(())
}
