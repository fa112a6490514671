//! The transforms: pseudonymise (level 1), re-pseudonymise (level 2) and reverse, over batches.
//!
//! A [`Plan`] is prepared once per batch from a verified grant (keys derived or taken from the
//! engine's cache); workers then run it over chunks of the batch on every core, each with its own
//! cipher instances and scratch buffers, so the per-value cost is one AES-SIV or HMAC call plus
//! the text encoding.

pub(crate) mod derive;
pub(crate) mod envelope;

use std::sync::Arc;

use aes_siv::siv::Aes256Siv;
use aes_siv::KeyInit;
use rayon::prelude::*;
use ring::hmac;
use zeroize::{Zeroize, Zeroizing};

use crate::config::OutputFormat;
use crate::error::{Error, ErrorKind, ItemCode, ItemFailure, Result};
use crate::keys::random_bytes;
use envelope::{decode_into, encode_append, encode_into, encoded_len, Header, Mode, BLOCK, HEADER_LEN};

/// A derived key, shared between the engine's cache and running batches; wiped when the last
/// holder drops it.
pub(crate) type SharedKey = Arc<Zeroizing<Vec<u8>>>;

/// Batches smaller than this run on the calling thread.
const PARALLEL_THRESHOLD: usize = 2048;
/// Values per parallel work unit.
const CHUNK: usize = 1024;

/// How a forward transform computes the cryptographic bytes.
pub(crate) enum ForwardCipher {
    Siv(SharedKey),
    SivRandom(SharedKey),
    Hmac(hmac::Key),
    Random,
}

/// Makes pseudonyms of one level in one domain.
pub(crate) struct Forward {
    pub(crate) header: [u8; HEADER_LEN],
    /// The first associated-data component of the reversible modes: `header || domain`.
    pub(crate) ad: Vec<u8>,
    pub(crate) cipher: ForwardCipher,
    pub(crate) format: OutputFormat,
}

/// Reads (decrypts) pseudonyms of one level in one domain, under any held key version.
pub(crate) struct Backward {
    pub(crate) level: u8,
    /// The expected mode; `None` accepts either reversible mode (a secondary token's source).
    pub(crate) mode: Option<Mode>,
    pub(crate) domain: Vec<u8>,
    /// Key per version; versions whose key cannot be computed are absent.
    pub(crate) keys: Vec<(u16, SharedKey)>,
    pub(crate) format: OutputFormat,
}

/// How a secondary transform authenticates its inputs as level-1 pseudonyms of the source.
pub(crate) enum SourceCheck {
    /// Reversible source: the input must decrypt under the source's level-1 key.
    Decrypt(Backward),
    /// Not reversible source: only the envelope can be checked.
    Envelope { format: OutputFormat, versions: Vec<u16> },
}

/// What one batch does.
pub(crate) enum Plan {
    Pseudonymise(Forward),
    Secondary(SourceCheck, Forward),
    Reverse(Backward),
    /// Read under any held version, write under the forward's version (same level and domain):
    /// the plaintext never leaves the worker.
    Rewrap(Backward, Forward),
}

/// Per-batch limits on items.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ItemLimits {
    pub(crate) max_value_bytes: usize,
    pub(crate) max_pseudonym_bytes: usize,
}

/// The results of a batch, in input order, in one buffer.
///
/// Item *i* is either its output text or an [`ItemCode`]. The buffer is wiped on drop (it holds
/// original values after a reverse).
pub struct BatchOutput {
    data: Zeroizing<String>,
    /// `ends[i]` is the end offset of item i in `data`; item i starts at `ends[i-1]` (or 0).
    ends: Vec<usize>,
    /// Failed items, ascending by index.
    failures: Vec<ItemFailure>,
}

impl std::fmt::Debug for BatchOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchOutput")
            .field("len", &self.ends.len())
            .field("failures", &self.failures.len())
            .finish_non_exhaustive()
    }
}

impl BatchOutput {
    /// Number of items.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the batch had no items.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Item `i`: its text, or why it failed. `None` when `i` is out of range.
    pub fn get(&self, i: usize) -> Option<Result<&str, ItemCode>> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        if start == end {
            if let Ok(pos) = self.failures.binary_search_by_key(&i, |f| f.index) {
                return Some(Err(self.failures[pos].code));
            }
        }
        Some(Ok(&self.data[start..end]))
    }

    /// The failed items, ascending by index.
    pub fn failures(&self) -> &[ItemFailure] {
        &self.failures
    }

    /// Every item's text, or `None` where it failed.
    pub fn to_options(&self) -> Vec<Option<String>> {
        (0..self.len()).map(|i| self.get(i).and_then(|r| r.ok()).map(str::to_owned)).collect()
    }

    /// Every item's text; `Err` with all failures if any item failed.
    pub fn into_strings(self) -> Result<Vec<String>, Vec<ItemFailure>> {
        if !self.failures.is_empty() {
            return Err(self.failures);
        }
        Ok((0..self.len()).map(|i| self.get(i).and_then(|r| r.ok()).unwrap_or_default().to_owned()).collect())
    }

    /// The concatenated item texts (failed items are empty) and the end offset of every item.
    pub fn as_parts(&self) -> (&str, &[usize]) {
        (&self.data, &self.ends)
    }
}

struct ChunkOut {
    data: Zeroizing<String>,
    ends: Vec<usize>,
    failures: Vec<ItemFailure>,
}

/// Per-thread state: ciphers keyed once per chunk, reusable scratch buffers.
struct Worker<'p> {
    plan: &'p Plan,
    limits: ItemLimits,
    fwd_siv: Option<Aes256Siv>,
    back_sivs: Vec<(u16, Aes256Siv)>,
    src_sivs: Vec<(u16, Aes256Siv)>,
    scratch: Zeroizing<Vec<u8>>,
    decoded: Zeroizing<Vec<u8>>,
    /// The plaintext of a rewrap, between reading and writing again.
    plain: Zeroizing<Vec<u8>>,
    /// `header || domain` of the pseudonym being read.
    ad: Vec<u8>,
    random: Zeroizing<Vec<u8>>,
    random_pos: usize,
}

fn sivs(b: &Backward) -> Vec<(u16, Aes256Siv)> {
    b.keys.iter().filter_map(|(v, k)| Aes256Siv::new_from_slice(k).ok().map(|s| (*v, s))).collect()
}

impl<'p> Worker<'p> {
    fn new(plan: &'p Plan, limits: ItemLimits, items: usize) -> Result<Self> {
        let fwd = match plan {
            Plan::Pseudonymise(f) | Plan::Secondary(_, f) | Plan::Rewrap(_, f) => Some(f),
            Plan::Reverse(_) => None,
        };
        let fwd_siv = match fwd.map(|f| &f.cipher) {
            Some(ForwardCipher::Siv(k)) | Some(ForwardCipher::SivRandom(k)) => Aes256Siv::new_from_slice(k).ok(),
            _ => None,
        };
        let back_sivs = match plan {
            Plan::Reverse(b) | Plan::Rewrap(b, _) => sivs(b),
            _ => Vec::new(),
        };
        let src_sivs = match plan {
            Plan::Secondary(SourceCheck::Decrypt(b), _) => sivs(b),
            _ => Vec::new(),
        };
        let mut random = Zeroizing::new(Vec::new());
        if let Some(ForwardCipher::SivRandom(_) | ForwardCipher::Random) = fwd.map(|f| &f.cipher) {
            random.resize(items * BLOCK, 0);
            random_bytes(&mut random)?;
        }
        Ok(Worker {
            plan,
            limits,
            fwd_siv,
            back_sivs,
            src_sivs,
            scratch: Zeroizing::new(Vec::with_capacity(256)),
            decoded: Zeroizing::new(Vec::with_capacity(256)),
            plain: Zeroizing::new(Vec::new()),
            ad: Vec::with_capacity(64),
            random,
            random_pos: 0,
        })
    }

    fn next_random(&mut self) -> [u8; BLOCK] {
        let mut r = [0u8; BLOCK];
        r.copy_from_slice(&self.random[self.random_pos..self.random_pos + BLOCK]);
        self.random_pos += BLOCK;
        r
    }

    fn item(&mut self, value: &[u8], out: &mut String) -> Result<(), ItemCode> {
        match self.plan {
            Plan::Pseudonymise(f) => {
                if value.is_empty() {
                    return Err(ItemCode::EmptyValue);
                }
                if value.len() > self.limits.max_value_bytes {
                    return Err(ItemCode::TooLong);
                }
                self.forward(f, value, out)
            }
            Plan::Secondary(check, f) => {
                self.check_input(value)?;
                self.check_source(check, value)?;
                self.forward(f, value, out)
            }
            Plan::Reverse(b) => {
                self.check_input(value)?;
                let plain = open(b, &mut self.back_sivs, value, &mut self.decoded, &mut self.ad)?;
                let text = std::str::from_utf8(plain).map_err(|_| ItemCode::InvalidPseudonym)?;
                out.push_str(text);
                Ok(())
            }
            Plan::Rewrap(b, f) => {
                self.check_input(value)?;
                let plain = open(b, &mut self.back_sivs, value, &mut self.decoded, &mut self.ad)?;
                let mut buf = std::mem::take(&mut self.plain);
                buf.clear();
                buf.extend_from_slice(plain);
                let result = self.forward(f, &buf, out);
                buf.zeroize();
                self.plain = buf;
                result
            }
        }
    }

    fn check_input(&self, value: &[u8]) -> Result<(), ItemCode> {
        if value.is_empty() {
            return Err(ItemCode::EmptyValue);
        }
        if value.len() > self.limits.max_pseudonym_bytes {
            return Err(ItemCode::TooLong);
        }
        Ok(())
    }

    fn check_source(&mut self, check: &SourceCheck, value: &[u8]) -> Result<(), ItemCode> {
        match check {
            SourceCheck::Decrypt(b) => {
                open(b, &mut self.src_sivs, value, &mut self.decoded, &mut self.ad)?;
                Ok(())
            }
            SourceCheck::Envelope { format, versions } => {
                decode_into(*format, value, &mut self.decoded).ok_or(ItemCode::InvalidPseudonym)?;
                let (h, body) = Header::parse(&self.decoded).ok_or(ItemCode::InvalidPseudonym)?;
                let ok = h.level == 1
                    && matches!(h.mode, Mode::Hmac | Mode::Random)
                    && body.len() == BLOCK
                    && versions.contains(&h.key_version);
                if ok {
                    Ok(())
                } else {
                    Err(ItemCode::InvalidPseudonym)
                }
            }
        }
    }

    fn forward(&mut self, f: &Forward, value: &[u8], out: &mut String) -> Result<(), ItemCode> {
        self.forward_bytes(f, value)?;
        encode_append(f.format, &self.scratch, out);
        Ok(())
    }

    /// The pseudonym's bytes (header and body) into `self.scratch`.
    fn forward_bytes(&mut self, f: &Forward, value: &[u8]) -> Result<(), ItemCode> {
        let fresh = match f.cipher {
            ForwardCipher::SivRandom(_) | ForwardCipher::Random => self.next_random(),
            _ => [0u8; BLOCK],
        };
        let buf = &mut self.scratch;
        buf.clear();
        buf.extend_from_slice(&f.header);
        match &f.cipher {
            ForwardCipher::Siv(_) => {
                let siv = self.fwd_siv.as_mut().ok_or(ItemCode::InvalidPseudonym)?;
                buf.extend_from_slice(&[0u8; BLOCK]);
                buf.extend_from_slice(value);
                let start = HEADER_LEN + BLOCK;
                let tag = siv
                    .encrypt_inout_detached([&f.ad[..]], (&mut buf[start..]).into())
                    .map_err(|_| ItemCode::TooLong)?;
                buf[HEADER_LEN..start].copy_from_slice(&tag);
            }
            ForwardCipher::SivRandom(_) => {
                let siv = self.fwd_siv.as_mut().ok_or(ItemCode::InvalidPseudonym)?;
                buf.extend_from_slice(&fresh);
                buf.extend_from_slice(&[0u8; BLOCK]);
                buf.extend_from_slice(value);
                let start = HEADER_LEN + 2 * BLOCK;
                let tag = siv
                    .encrypt_inout_detached([&f.ad[..], &fresh[..]], (&mut buf[start..]).into())
                    .map_err(|_| ItemCode::TooLong)?;
                buf[HEADER_LEN + BLOCK..start].copy_from_slice(&tag);
            }
            ForwardCipher::Hmac(key) => {
                let mut ctx = hmac::Context::with_key(key);
                ctx.update(&f.header);
                ctx.update(value);
                let tag = ctx.sign();
                buf.extend_from_slice(&tag.as_ref()[..BLOCK]);
            }
            ForwardCipher::Random => buf.extend_from_slice(&fresh),
        }
        Ok(())
    }
}

/// Decodes and decrypts one pseudonym of `b`'s level and domain; returns the plaintext, which
/// lives in `decoded` (wiped on reuse and on drop).
fn open<'d>(
    b: &Backward,
    sivs: &mut [(u16, Aes256Siv)],
    value: &[u8],
    decoded: &'d mut Zeroizing<Vec<u8>>,
    ad: &mut Vec<u8>,
) -> Result<&'d [u8], ItemCode> {
    decoded.zeroize();
    decode_into(b.format, value, decoded).ok_or(ItemCode::InvalidPseudonym)?;
    let (h, _) = Header::parse(decoded).ok_or(ItemCode::InvalidPseudonym)?;
    if h.level != b.level || b.mode.is_some_and(|m| m != h.mode) {
        return Err(ItemCode::InvalidPseudonym);
    }
    let siv = &mut sivs.iter_mut().find(|(v, _)| *v == h.key_version).ok_or(ItemCode::InvalidPseudonym)?.1;
    ad.clear();
    ad.extend_from_slice(&h.to_bytes());
    ad.extend_from_slice(&b.domain);
    let (nonce_len, ad_extra) = match h.mode {
        Mode::SivSame => (0, false),
        Mode::SivRandom => (BLOCK, true),
        Mode::Hmac | Mode::Random => return Err(ItemCode::InvalidPseudonym),
    };
    if decoded.len() < HEADER_LEN + nonce_len + BLOCK {
        return Err(ItemCode::InvalidPseudonym);
    }
    let (head, rest) = decoded.split_at_mut(HEADER_LEN + nonce_len);
    let nonce = &head[HEADER_LEN..];
    let (tag, ct) = rest.split_at_mut(BLOCK);
    let tag = aes_siv::Tag::try_from(&tag[..]).map_err(|_| ItemCode::InvalidPseudonym)?;
    let result = if ad_extra {
        siv.decrypt_inout_detached([&ad[..], nonce], ct.into(), &tag)
    } else {
        siv.decrypt_inout_detached([&ad[..]], ct.into(), &tag)
    };
    result.map_err(|_| ItemCode::InvalidPseudonym)?;
    Ok(&decoded[HEADER_LEN + nonce_len + BLOCK..])
}

fn run_chunk<S: AsRef<str>>(plan: &Plan, limits: ItemLimits, values: &[S], base: usize) -> Result<ChunkOut> {
    let mut w = Worker::new(plan, limits, values.len())?;
    // Reverse outputs (originals) are never longer than their pseudonyms: reserving the input size
    // means the buffer never grows, so no unwiped copy of an original is left behind.
    let cap = match plan {
        Plan::Reverse(_) => values.iter().map(|v| v.as_ref().len()).sum(),
        _ => values.len() * 48,
    };
    let mut data = Zeroizing::new(String::with_capacity(cap));
    let mut ends = Vec::with_capacity(values.len());
    let mut failures = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let mark = data.len();
        if let Err(code) = w.item(v.as_ref().as_bytes(), &mut data) {
            data.truncate(mark);
            failures.push(ItemFailure { index: base + i, code });
        }
        ends.push(data.len());
    }
    Ok(ChunkOut { data, ends, failures })
}

/// The text length of the pseudonym of a value of `len` bytes, or `None` when the value fails.
fn pseudonym_len(f: &Forward, limits: ItemLimits, len: usize) -> Option<usize> {
    if len == 0 || len > limits.max_value_bytes {
        return None;
    }
    let body = match f.cipher {
        ForwardCipher::Siv(_) => BLOCK + len,
        ForwardCipher::SivRandom(_) => 2 * BLOCK + len,
        ForwardCipher::Hmac(_) | ForwardCipher::Random => BLOCK,
    };
    Some(encoded_len(f.format, HEADER_LEN + body))
}

/// Level-1 pseudonymisation, whose output sizes are known in advance: every thread writes its
/// items straight into their place in one buffer (no per-chunk buffers, no merge copy).
fn run_forward_in_place<S: AsRef<str> + Sync>(
    f: &Forward,
    plan: &Plan,
    limits: ItemLimits,
    values: &[S],
) -> Result<BatchOutput> {
    let mut ends = Vec::with_capacity(values.len());
    let mut failures = Vec::new();
    let mut total = 0usize;
    for (i, v) in values.iter().enumerate() {
        let len = v.as_ref().len();
        match pseudonym_len(f, limits, len) {
            Some(n) => total += n,
            None => {
                let code = if len == 0 { ItemCode::EmptyValue } else { ItemCode::TooLong };
                failures.push(ItemFailure { index: i, code });
            }
        }
        ends.push(total);
    }
    let mut data = Zeroizing::new(vec![0u8; total]);
    // Split the buffer at chunk boundaries so that each chunk owns its items' bytes.
    let chunks = values.len().div_ceil(CHUNK);
    let mut slices = Vec::with_capacity(chunks);
    let mut rest: &mut [u8] = &mut data;
    let mut start = 0;
    for c in 0..chunks {
        let end = ends[((c + 1) * CHUNK).min(values.len()) - 1];
        let (head, tail) = rest.split_at_mut(end - start);
        slices.push((c, head));
        rest = tail;
        start = end;
    }
    slices.into_par_iter().try_for_each(|(c, out)| -> Result<()> {
        let first = c * CHUNK;
        let part = &values[first..(first + CHUNK).min(values.len())];
        let mut w = Worker::new(plan, limits, part.len())?;
        let base = if first == 0 { 0 } else { ends[first - 1] };
        for (j, v) in part.iter().enumerate() {
            let i = first + j;
            let from = (if i == 0 { 0 } else { ends[i - 1] }) - base;
            let to = ends[i] - base;
            if from == to {
                continue;
            }
            // Sizes were checked above: a cipher error here would be a bug, not bad input.
            w.forward_bytes(f, v.as_ref().as_bytes())
                .map_err(|_| Error::new(ErrorKind::Internal, "pseudonymisation failed on a checked value"))?;
            encode_into(f.format, &w.scratch, &mut out[from..to]);
        }
        Ok(())
    })?;
    let text = String::from_utf8(std::mem::take(&mut *data))
        .map_err(|_| Error::new(ErrorKind::Internal, "pseudonym text is not ASCII"))?;
    Ok(BatchOutput { data: Zeroizing::new(text), ends, failures })
}

/// Runs `plan` over `values`, in parallel for large batches, keeping input order.
pub(crate) fn run<S: AsRef<str> + Sync>(
    plan: &Plan,
    limits: ItemLimits,
    values: &[S],
    parallel: bool,
) -> Result<BatchOutput> {
    if let (Plan::Pseudonymise(f), true) = (plan, parallel && values.len() >= PARALLEL_THRESHOLD) {
        return run_forward_in_place(f, plan, limits, values);
    }
    if !parallel || values.len() < PARALLEL_THRESHOLD {
        let c = run_chunk(plan, limits, values, 0)?;
        return Ok(BatchOutput { data: c.data, ends: c.ends, failures: c.failures });
    }
    let chunks: Vec<ChunkOut> = values
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(n, part)| run_chunk(plan, limits, part, n * CHUNK))
        .collect::<Result<_>>()?;
    let total: usize = chunks.iter().map(|c| c.data.len()).sum();
    let mut data = Zeroizing::new(String::with_capacity(total));
    let mut ends = Vec::with_capacity(values.len());
    let mut failures = Vec::new();
    for c in chunks {
        let offset = data.len();
        data.push_str(&c.data);
        ends.extend(c.ends.iter().map(|e| e + offset));
        failures.extend(c.failures);
    }
    Ok(BatchOutput { data, ends, failures })
}
