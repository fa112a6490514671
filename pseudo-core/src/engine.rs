//! The engine: verifies a token, then pseudonymises, re-pseudonymises or reverses a batch.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::config::Timestamp;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::{Keyring, VerifyingKey};
use crate::schedule::KeySchedule;
use crate::token::{CacheCounts, Grant, TokenType, Validation, Verifier};
use crate::transform::{self, BatchOutput, ItemLimits};

/// What an audit event records: an engine call (the two endpoints, rewrap, lookup) or a
/// registry event (key versions, the lifecycle of operation tokens and access tokens).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `POST /api/request-psn`: accepts `psn` and `sec` tokens.
    Pseudonymise,
    /// `POST /api/request-psn-rev`: accepts `rev` tokens.
    Reverse,
    /// [`Engine::rewrap`]: a reversible project's pseudonyms under an old key version in, the
    /// same values' pseudonyms under the token's key version out. Accepts `rev` tokens.
    Rewrap,
    /// [`Engine::lookup`]: values pseudonymised under each key version the project used.
    /// Accepts `psn` and `sec` tokens.
    Lookup,
    /// Registry event: a project was moved to another key version (its tokens revoked).
    Rekey,
    /// Registry event: a key version was retired.
    RetireKey,
    /// Registry event: an operation token was issued (`jti` the new token's; the token's key version).
    IssueToken,
    /// Registry event: an operation token was revoked.
    RevokeToken,
    /// Registry event: a revoked operation token was restored.
    RestoreToken,
    /// Registry event: a revoked operation token's record was deleted.
    DeleteToken,
    /// Registry event: an access token was made (`jti` is its id, never its secret).
    CreateAccessToken,
    /// Registry event: an access token was revoked.
    RevokeAccessToken,
    /// Registry event: a revoked access token was restored.
    RestoreAccessToken,
    /// Registry event: a revoked access token was deleted.
    DeleteAccessToken,
}

impl Operation {
    /// `pseudonymise` or `reverse`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Pseudonymise => "pseudonymise",
            Operation::Reverse => "reverse",
            Operation::Rewrap => "rewrap",
            Operation::Lookup => "lookup",
            Operation::Rekey => "rekey",
            Operation::RetireKey => "retire_key",
            Operation::IssueToken => "issue_token",
            Operation::RevokeToken => "revoke_token",
            Operation::RestoreToken => "restore_token",
            Operation::DeleteToken => "delete_token",
            Operation::CreateAccessToken => "create_access_token",
            Operation::RevokeAccessToken => "revoke_access_token",
            Operation::RestoreAccessToken => "restore_access_token",
            Operation::DeleteAccessToken => "delete_access_token",
        }
    }

    /// Every operation, in declaration order.
    pub const ALL: [Operation; 14] = [
        Operation::Pseudonymise,
        Operation::Reverse,
        Operation::Rewrap,
        Operation::Lookup,
        Operation::Rekey,
        Operation::RetireKey,
        Operation::IssueToken,
        Operation::RevokeToken,
        Operation::RestoreToken,
        Operation::DeleteToken,
        Operation::CreateAccessToken,
        Operation::RevokeAccessToken,
        Operation::RestoreAccessToken,
        Operation::DeleteAccessToken,
    ];

    /// Whether this is a registry event (recorded by the registry, never an engine call).
    pub fn is_registry_event(self) -> bool {
        !matches!(self, Operation::Pseudonymise | Operation::Reverse | Operation::Rewrap | Operation::Lookup)
    }

    /// The operation whose [`Operation::as_str`] is `s`.
    pub fn from_name(s: &str) -> Option<Operation> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    fn accepts(self, t: TokenType) -> bool {
        match self {
            Operation::Pseudonymise | Operation::Lookup => matches!(t, TokenType::Psn | TokenType::Sec),
            Operation::Reverse | Operation::Rewrap => t == TokenType::Rev,
            _ => false,
        }
    }
}

/// Refuses, before any verification or audit event, an operation that is not a batch call (a
/// registry event, or a lookup: [`Engine::lookup`]), so the log never holds a call named after one.
fn batch_operation(op: Operation) -> Result<()> {
    match op {
        Operation::Pseudonymise | Operation::Reverse | Operation::Rewrap => Ok(()),
        _ => Err(Error::new(
            ErrorKind::InvalidInput,
            format!("{} is not a batch call: use Engine::lookup or the registry", op.as_str()),
        )),
    }
}

/// What happens when some items of a batch fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BatchMode {
    /// Any failed item fails the whole batch ([`ErrorKind::BatchFailed`]); nothing is returned.
    #[default]
    Strict,
    /// Every item gets its own result.
    PerItem,
}

/// Size limits. Past any of them the whole request is refused and nothing is processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body on the wire. Default 64 MiB.
    pub max_body_bytes: usize,
    /// Most items in one batch. Default 1 000 000.
    pub max_items: usize,
    /// Longest original value, in UTF-8 bytes. Default 1024. Pseudonyms given as input may be up
    /// to `4 × max_item_bytes + 256` bytes (room for the envelope and the text encoding).
    pub max_item_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_body_bytes: 64 << 20, max_items: 1_000_000, max_item_bytes: 1024 }
    }
}

impl Limits {
    /// Every limit must be at least 1 (a zero limit would refuse everything): the one rule every
    /// face applies, through [`Engine::new`].
    pub fn check(&self) -> Result<()> {
        if self.max_body_bytes == 0 || self.max_items == 0 || self.max_item_bytes == 0 {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "max_body_bytes, max_items and max_item_bytes must be at least 1",
            ));
        }
        Ok(())
    }

    /// The longest pseudonym accepted as input.
    pub fn max_pseudonym_bytes(&self) -> usize {
        self.max_item_bytes.saturating_mul(4).saturating_add(256)
    }
}

/// Engine options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOptions {
    /// Token verification options.
    pub validation: Validation,
    /// Size limits.
    pub limits: Limits,
    /// Run large batches on every core (default true).
    pub parallel: bool,
}

impl EngineOptions {
    /// Defaults for tokens from `issuer` to `audience`.
    pub fn new(issuer: &str, audience: &str) -> Self {
        EngineOptions { validation: Validation::new(issuer, audience), limits: Limits::default(), parallel: true }
    }
}

/// The token lifecycle as the engine sees it: a host's registry implements it.
pub trait TokenStatus: Send + Sync {
    /// Refuses a revoked or deleted token (`ErrorKind::Revoked`).
    fn check(&self, grant: &Grant, now: Timestamp) -> Result<()>;
    /// Notes that the token was used successfully at `now` (once per call, not per value).
    fn record_use(&self, _grant: &Grant, _now: Timestamp) {}
}

/// One engine call or registry event, for the host's audit log. Never holds a data value or a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When the call was made.
    pub time: Timestamp,
    /// The token id, when the token verified; for a registry event on a token, its `jti` or the
    /// access token's id.
    pub jti: Option<String>,
    /// The token holder, when the token verified; for a registry event, who made the change.
    pub subject: Option<String>,
    /// The project, when the token verified; for a registry event, the project concerned (none
    /// for access tokens and key retirement).
    pub project: Option<String>,
    /// The endpoint called, or the registry event.
    pub operation: Operation,
    /// Number of items in the batch; for a registry event 0, but the number of revoked tokens
    /// of a [`Operation::Rekey`].
    pub items: usize,
    /// Number of items that failed (per-item mode); 0 for a registry event.
    pub failed_items: usize,
    /// `None` on success, else the error kind; registry events record changes made, so `None`.
    pub error: Option<ErrorKind>,
    /// The key version concerned: the token's (`kv`) for engine calls, the new version of a
    /// [`Operation::Rekey`], the retired one of a [`Operation::RetireKey`], the project's of an
    /// [`Operation::IssueToken`]; `None` for the other registry events.
    pub key_version: Option<u16>,
}

/// Receives audit events; a host provides it.
pub trait AuditSink: Send + Sync {
    /// Records one event. Must not block for long: it runs on the caller's thread.
    fn record(&self, event: &AuditEvent);
}

/// How many days past the system clock [`Engine::advance_keys`] may move the key chain.
pub const MAX_ADVANCE_AHEAD_DAYS: i64 = 7;

/// The pseudonymisation engine. `Send + Sync`: share one across threads.
///
/// It holds the master keys and the authority's public keys; every call verifies the token it is
/// given and runs the batch the token allows, in input order, on every core.
///
/// ```
/// use std::time::Duration;
/// use pseudo_core::*;
///
/// # fn main() -> Result<()> {
/// # let authority = Authority::new(SigningKey::generate()?, "https://portal.example", "pseudo-engine")?;
/// # let config = ProjectConfig {
/// #     method: Method::Reversible,
/// #     retention_end: Timestamp::now().saturating_add(Duration::from_secs(365 * 86_400)),
/// #     treatment: Treatment::Same,
/// #     format: OutputFormat::Base64url,
/// # };
/// # let request = |kind| TokenRequest {
/// #     kind, subject: "alice".into(), organisation: OrgId::nil(),
/// #     project: ProjectId::new("cohort-2026").unwrap(), request: "req-1".into(),
/// #     config, lifetime: Duration::from_secs(3600),
/// #     key_version: None,
/// # };
/// # let psn_token = authority.issue(&request(TokenKind::Pseudonymise))?.token().to_owned();
/// # let rev_token = authority.issue(&request(TokenKind::Reverse(ReverseLevel::Level1)))?.token().to_owned();
/// let engine = Engine::new(
///     Keyring::new(MasterKey::generate(1)?),     // in production: Keyring::from_file(...)
///     &[authority.verifying_key().clone()],      // the authority's public key(s)
///     EngineOptions::new("https://portal.example", "pseudo-engine"),
/// )?;
/// // Strict: every value or an error.
/// let pseudonyms = engine.pseudonymise(&psn_token, &["Example PID 1", "Example PID 2"])?;
/// assert_eq!(engine.reverse(&rev_token, &pseudonyms)?, ["Example PID 1", "Example PID 2"]);
///
/// // Per item: a value that is not a pseudonym of this project fails alone.
/// let mixed = [pseudonyms[0].as_str(), "not-a-pseudonym"];
/// let out = engine.call(Operation::Reverse, &rev_token, &mixed, BatchMode::PerItem, Timestamp::now())?;
/// assert_eq!(out.get(0), Some(Ok("Example PID 1")));
/// assert!(matches!(out.get(1), Some(Err(_))));
/// # Ok(()) }
/// ```
pub struct Engine {
    verifier: Verifier,
    keys: KeySchedule,
    options: EngineOptions,
    status: Option<Arc<dyn TokenStatus>>,
    audit: Option<Arc<dyn AuditSink>>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("verifier", &self.verifier)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine holding `keyring`, trusting tokens signed by `verifying_keys`.
    pub fn new(keyring: Keyring, verifying_keys: &[VerifyingKey], options: EngineOptions) -> Result<Self> {
        options.limits.check()?;
        let verifier = Verifier::new(verifying_keys, options.validation.clone())?;
        let engine = Engine { verifier, keys: KeySchedule::new(keyring), options, status: None, audit: None };
        engine.advance_to_day(Timestamp::now().day());
        Ok(engine)
    }

    /// Consults `status` on every call (revocation, last use).
    pub fn with_token_status(mut self, status: Arc<dyn TokenStatus>) -> Self {
        self.status = Some(status);
        self
    }

    /// Sends an [`AuditEvent`] for every call to `sink`.
    pub fn with_audit(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(sink);
        self
    }

    /// The options in force.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// How often a token was found in the verification cache, and how often it was verified in
    /// full (for monitoring: `pseudo serve` exports both on `/metrics`).
    pub fn token_cache_counts(&self) -> CacheCounts {
        self.verifier.cache_counts()
    }

    /// Steps every key chain forward to the day of `now`, erasing earlier chain secrets and every
    /// cached key — permanently: keys of reversible projects whose retention day is passed are
    /// gone. Engine calls do this by themselves, never past the system clock's day; an explicit
    /// call may move at most [`MAX_ADVANCE_AHEAD_DAYS`] past it (so a unit mistake, say
    /// milliseconds for seconds, cannot shred every project). Returns whether the keys changed,
    /// in which case the host should persist [`Engine::export_keyring`].
    pub fn advance_keys(&self, now: Timestamp) -> bool {
        self.advance_to_day(now.day().min(Timestamp::now().day().saturating_add(MAX_ADVANCE_AHEAD_DAYS)))
    }

    /// The automatic advance of every call: to the caller's day, but never past the system clock.
    fn advance_with_clock(&self, now: Timestamp) {
        self.advance_to_day(now.day().min(Timestamp::now().day()));
    }

    fn advance_to_day(&self, today: i64) -> bool {
        self.keys.advance_to_day(today)
    }

    /// The current key material, serialised (see [`Keyring::to_bytes`]). Secret.
    pub fn export_keyring(&self) -> Result<Zeroizing<Vec<u8>>> {
        self.keys.export()
    }

    /// Verifies `token` for `op` now.
    pub fn verify(&self, token: &str, op: Operation) -> Result<Grant> {
        self.verify_at(token, op, Timestamp::now())
    }

    /// Verifies `token` for `op` at `now`: signature, claims, operation, revocation.
    pub fn verify_at(&self, token: &str, op: Operation, now: Timestamp) -> Result<Grant> {
        let grant = self.verify_signed(token, op, now)?;
        self.check_status(&grant, now)?;
        Ok(grant)
    }

    /// Signature, claims, held key versions and operation; not the revocation status.
    fn verify_signed(&self, token: &str, op: Operation, now: Timestamp) -> Result<Grant> {
        let grant = self.verifier.verify(token, now)?;
        // Before the body is read (the wire checks the token first): a version this engine does
        // not hold is a token problem, whatever the items are.
        self.keys.check_held(&grant)?;
        if !op.accepts(grant.token_type) {
            return Err(Error::new(
                ErrorKind::WrongOperation,
                format!("a {} token cannot be used to {}", grant.token_type.as_str(), op.as_str()),
            ));
        }
        Ok(grant)
    }

    fn check_status(&self, grant: &Grant, now: Timestamp) -> Result<()> {
        match &self.status {
            Some(s) => s.check(grant, now),
            None => Ok(()),
        }
    }

    /// Pseudonymises `values` with a `psn` or `sec` token (strict: any bad item fails the batch).
    pub fn pseudonymise<S: AsRef<str> + Sync>(&self, token: &str, values: &[S]) -> Result<Vec<String>> {
        self.call(Operation::Pseudonymise, token, values, BatchMode::Strict, Timestamp::now())?
            .into_strings()
            .map_err(Error::batch)
    }

    /// Reverses `values` with a `rev` token (strict).
    pub fn reverse<S: AsRef<str> + Sync>(&self, token: &str, values: &[S]) -> Result<Vec<String>> {
        self.call(Operation::Reverse, token, values, BatchMode::Strict, Timestamp::now())?
            .into_strings()
            .map_err(Error::batch)
    }

    /// Rewraps `values` (strict): pseudonyms of the token's reversible project made under any
    /// key version this engine holds come back as the pseudonyms of the same values under the
    /// token's key version (`kv`), decrypted and encrypted again inside the engine, so no
    /// original ever leaves it. Takes a `rev` token (level 1 or 2: the level it undoes is the
    /// level rewrapped); a token of a not-reversible project, or another project's pseudonyms,
    /// are refused. Run it in batches of at most `max_items`.
    pub fn rewrap<S: AsRef<str> + Sync>(&self, token: &str, values: &[S]) -> Result<Vec<String>> {
        self.call(Operation::Rewrap, token, values, BatchMode::Strict, Timestamp::now())?
            .into_strings()
            .map_err(Error::batch)
    }

    /// Pseudonymises `values` under each of `versions` (every held version when empty) with a
    /// `psn` or `sec` token of a project with `same` treatment, so that records made under an
    /// earlier version of the project can be matched while they are re-pseudonymised from their
    /// originals (a not-reversible project cannot be rewrapped). One [`BatchOutput`] per version,
    /// in the order given; one audit event for the call.
    pub fn lookup<S: AsRef<str> + Sync>(
        &self,
        token: &str,
        values: &[S],
        versions: &[u16],
        mode: BatchMode,
        now: Timestamp,
    ) -> Result<Vec<(u16, BatchOutput)>> {
        self.advance_with_clock(now);
        let op = Operation::Lookup;
        let mut grant_seen: Option<Grant> = None;
        let result = self.verify_signed(token, op, now).and_then(|g| {
            let g = grant_seen.insert(g);
            self.check_status(g, now)?;
            let versions = if versions.is_empty() { self.keys.versions()?.0 } else { versions.to_vec() };
            let mut outs = Vec::with_capacity(versions.len());
            for v in versions {
                let plan = self.keys.lookup_plan(g, v)?;
                outs.push((v, self.run_plan(&plan, values, mode)?));
            }
            Ok(outs)
        });
        if let (Ok(_), Some(g), Some(s)) = (&result, grant_seen.as_ref(), &self.status) {
            s.record_use(g, now);
        }
        let failed = result.as_ref().map(|o| o.iter().map(|(_, b)| b.failures().len()).sum()).unwrap_or(0);
        self.audit(op, now, grant_seen.as_ref(), values.len(), failed, result.as_ref().err().map(Error::kind));
        result
    }

    /// Every key version this engine holds, ascending (tell the operator: tokens naming another
    /// version are refused here).
    pub fn key_versions(&self) -> Vec<u16> {
        self.keys.versions().map(|v| v.0).unwrap_or_default()
    }

    /// The keyring's primary version: the one new projects should be bound to.
    pub fn primary_key_version(&self) -> u16 {
        self.keys.versions().map(|v| v.1).unwrap_or_default()
    }

    /// Rotation at run time: adds `key` (its chain is brought to the keyring's day) and, when
    /// `primary`, makes it the version new projects are bound to. Projects already bound to other
    /// versions keep their pseudonyms. Persist [`Engine::export_keyring`] afterwards.
    pub fn add_key_version(&self, key: crate::keys::MasterKey, primary: bool) -> Result<()> {
        self.keys.add(key, primary)
    }

    /// Retirement at run time: removes `version` and every key derived from it; tokens and
    /// pseudonyms of that version are refused from now on. Check first that no project is bound
    /// to it (`Registry::check_retire`). Persist [`Engine::export_keyring`] afterwards.
    pub fn retire_key_version(&self, version: u16) -> Result<()> {
        self.keys.remove(version)
    }

    /// Verifies `token` for `op` (signature, claims, operation, revocation) before any work on a
    /// request body; a refusal is audited.
    pub fn check_token(&self, op: Operation, token: &str, now: Timestamp) -> Result<Grant> {
        let mut grant_seen: Option<Grant> = None;
        let result = self.verify_signed(token, op, now).and_then(|g| {
            let g = grant_seen.insert(g);
            self.check_status(g, now)?;
            Ok(g.clone())
        });
        if let Err(e) = &result {
            self.audit(op, now, grant_seen.as_ref(), 0, 0, Some(e.kind()));
        }
        result
    }

    fn audit(
        &self,
        op: Operation,
        now: Timestamp,
        g: Option<&Grant>,
        items: usize,
        failed: usize,
        error: Option<ErrorKind>,
    ) {
        if let Some(sink) = &self.audit {
            sink.record(&AuditEvent {
                time: now,
                jti: g.map(|g| g.jti.clone()),
                subject: g.map(|g| g.subject.clone()),
                project: g.map(|g| g.project.as_str().to_owned()),
                operation: op,
                items,
                failed_items: failed,
                error,
                key_version: g.map(|g| g.key_version),
            });
        }
    }

    /// Verifies `token` for `op`, runs the batch, notes the use and emits the audit event.
    /// This is the one entry point of the wire handler and the bindings.
    pub fn call<S: AsRef<str> + Sync>(
        &self,
        op: Operation,
        token: &str,
        values: &[S],
        mode: BatchMode,
        now: Timestamp,
    ) -> Result<BatchOutput> {
        batch_operation(op)?;
        self.advance_with_clock(now);
        let mut grant_seen: Option<Grant> = None;
        let result = self.verify_signed(token, op, now).and_then(|g| {
            // Known from here on, so that the audit event of a revoked token names it.
            let g = grant_seen.insert(g);
            self.check_status(g, now)?;
            self.run_batch(op, g, values, mode)
        });
        self.finish(op, now, grant_seen.as_ref(), values.len(), result)
    }

    /// [`Engine::call`] for a grant that [`Engine::check_token`] returned for this request a
    /// moment ago (the wire handler): no second verification or revocation read.
    pub(crate) fn call_checked<S: AsRef<str> + Sync>(
        &self,
        op: Operation,
        grant: &Grant,
        values: &[S],
        mode: BatchMode,
        now: Timestamp,
    ) -> Result<BatchOutput> {
        batch_operation(op)?;
        self.advance_with_clock(now);
        let result = self.run_batch(op, grant, values, mode);
        self.finish(op, now, Some(grant), values.len(), result)
    }

    /// Notes the use of a successful call and emits its audit event.
    fn finish(
        &self,
        op: Operation,
        now: Timestamp,
        grant: Option<&Grant>,
        items: usize,
        result: Result<BatchOutput>,
    ) -> Result<BatchOutput> {
        if let (Ok(_), Some(g), Some(s)) = (&result, grant, &self.status) {
            s.record_use(g, now);
        }
        let failed = result.as_ref().map(|o| o.failures().len()).unwrap_or(0);
        self.audit(op, now, grant, items, failed, result.as_ref().err().map(Error::kind));
        result
    }

    /// Runs the batch a grant allows (`psn` → level 1, `sec` → level 2, `rev` → reverse) at
    /// `now`. The grant's clock rules and the token's revocation status are checked again, and
    /// the use is noted; no audit event is emitted (use [`Engine::call`] for that).
    pub fn transform_at<S: AsRef<str> + Sync>(
        &self,
        grant: &Grant,
        values: &[S],
        mode: BatchMode,
        now: Timestamp,
    ) -> Result<BatchOutput> {
        let now = now.checked_clock()?;
        self.advance_with_clock(now);
        self.verifier.check_times(grant, now)?;
        self.check_status(grant, now)?;
        let op = if grant.token_type == TokenType::Rev { Operation::Reverse } else { Operation::Pseudonymise };
        let out = self.run_batch(op, grant, values, mode)?;
        if let Some(s) = &self.status {
            s.record_use(grant, now);
        }
        Ok(out)
    }

    fn run_batch<S: AsRef<str> + Sync>(
        &self,
        op: Operation,
        grant: &Grant,
        values: &[S],
        mode: BatchMode,
    ) -> Result<BatchOutput> {
        let plan = match op {
            Operation::Pseudonymise | Operation::Reverse => self.keys.plan(grant)?,
            Operation::Rewrap => self.keys.rewrap_plan(grant)?,
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("{} is not a batch call: use Engine::lookup or the registry", op.as_str()),
                ))
            }
        };
        self.run_plan(&plan, values, mode)
    }

    fn run_plan<S: AsRef<str> + Sync>(
        &self,
        plan: &transform::Plan,
        values: &[S],
        mode: BatchMode,
    ) -> Result<BatchOutput> {
        let limits = &self.options.limits;
        if values.is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "the batch is empty"));
        }
        if values.len() > limits.max_items {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!("the batch has {} items; the limit is {}", values.len(), limits.max_items),
            ));
        }
        let item_limits =
            ItemLimits { max_value_bytes: limits.max_item_bytes, max_pseudonym_bytes: limits.max_pseudonym_bytes() };
        let out = transform::run(plan, item_limits, values, self.options.parallel)?;
        if mode == BatchMode::Strict && !out.failures().is_empty() {
            return Err(Error::batch(out.failures().to_vec()));
        }
        Ok(out)
    }
}
