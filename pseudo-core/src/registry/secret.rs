//! Access-token secrets: `pseudo_pat_` (personal) or `pseudo_sat_` (service), 32 base62
//! characters of randomness (190 bits), and a 6-character base62 CRC32 checksum of everything
//! before it, so that secret scanners can recognise a leaked token and typos are caught before
//! any lookup. Only SHA-256 of the secret is stored.

use ring::digest;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Detail, Error, ErrorKind, Result};
use crate::keys::random_bytes;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Prefix of personal access tokens.
pub const PERSONAL_PREFIX: &str = "pseudo_pat_";
/// Prefix of service access tokens.
pub const SERVICE_PREFIX: &str = "pseudo_sat_";
const RANDOM_LEN: usize = 32;
const CHECK_LEN: usize = 6;

fn base62_fixed(mut n: u64, len: usize, out: &mut String) {
    let mut buf = vec![b'0'; len];
    for slot in buf.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
}

fn checksum(body: &str) -> String {
    let mut s = String::with_capacity(CHECK_LEN);
    base62_fixed(u64::from(crc32fast::hash(body.as_bytes())), CHECK_LEN, &mut s);
    s
}

/// A new secret with `prefix`. Uniform base62 by rejection sampling of random bytes.
pub(crate) fn generate(prefix: &str) -> Result<Zeroizing<String>> {
    let mut s = Zeroizing::new(String::with_capacity(prefix.len() + RANDOM_LEN + CHECK_LEN));
    s.push_str(prefix);
    let mut pool = Zeroizing::new([0u8; 64]);
    while s.len() < prefix.len() + RANDOM_LEN {
        random_bytes(&mut pool[..])?;
        for &b in pool.iter() {
            // 248 = 4 × 62: bytes above it would bias the alphabet.
            if b < 248 && s.len() < prefix.len() + RANDOM_LEN {
                s.push(ALPHABET[usize::from(b % 62)] as char);
            }
        }
    }
    let sum = checksum(&s);
    s.push_str(&sum);
    Ok(s)
}

/// Checks prefix, length, alphabet and checksum; returns the prefix.
pub(crate) fn check(secret: &str) -> Result<&'static str> {
    let bad = |detail: Detail, m: &str| Error::with_detail(ErrorKind::InvalidSecret, detail, m);
    let prefix = [PERSONAL_PREFIX, SERVICE_PREFIX].into_iter().find(|p| secret.starts_with(p)).ok_or_else(|| {
        bad(Detail::WrongPrefix, "not a pseudo access token (the prefix is pseudo_pat_ or pseudo_sat_)")
    })?;
    if secret.len() != prefix.len() + RANDOM_LEN + CHECK_LEN {
        return Err(bad(Detail::WrongLength, "the access token has the wrong length (truncated or extended?)"));
    }
    if !secret[prefix.len()..].bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad(Detail::WrongAlphabet, "the access token has characters outside its alphabet"));
    }
    let (body, sum) = secret.split_at(secret.len() - CHECK_LEN);
    if checksum(body).as_bytes().ct_eq(sum.as_bytes()).unwrap_u8() != 1 {
        return Err(bad(Detail::BadChecksum, "the access token's checksum does not match (a typo?)"));
    }
    Ok(prefix)
}

/// SHA-256 of the secret: what the store keeps.
pub(crate) fn hash(secret: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, secret.as_bytes()).as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_check_and_typos_do_not() {
        let s = generate(PERSONAL_PREFIX).unwrap();
        assert_eq!(check(&s).unwrap(), PERSONAL_PREFIX);
        assert_eq!(s.len(), PERSONAL_PREFIX.len() + 38);
        let mut typo = s.to_string();
        let i = PERSONAL_PREFIX.len() + 3;
        let c = if &typo[i..=i] == "a" { "b" } else { "a" };
        typo.replace_range(i..=i, c);
        assert_eq!(check(&typo).unwrap_err().kind(), ErrorKind::InvalidSecret);
        assert_eq!(check(&s[..s.len() - 1]).unwrap_err().kind(), ErrorKind::InvalidSecret);
        assert_eq!(check("ghp_abc").unwrap_err().kind(), ErrorKind::InvalidSecret);
        assert_ne!(generate(SERVICE_PREFIX).unwrap(), generate(SERVICE_PREFIX).unwrap());
    }
}
