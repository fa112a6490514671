//! The one-machine data folder: the engine's keyring, the authority's signing key, the SQLite
//! registry and the settings that tie them together.
//!
//! ```text
//! DATA/pseudo.json        settings: issuer, audience, the local organisation, administrators
//! DATA/keyring            the engine's master keys (mode 0600), rewritten atomically when the chain advances
//! DATA/signing-key.pem    the authority's Ed25519 signing key (mode 0600)
//! DATA/registry.db        projects, requests, token records, access tokens, audit log (SQLite, WAL)
//! ```
//!
//! With `"registry": "postgres://..."` in `pseudo.json` (or `--registry`, `PSEUDO_REGISTRY`) the
//! registry lives in PostgreSQL instead, shared by every node whose folder holds the same keyring,
//! signing key and settings (feature `postgres`).
//!
//! An old copy of `keyring` (a backup) holds key-chain days the running engine has erased: it
//! defeats crypto-shredding (`docs/SPEC.md` §8). Back up the registry, not the keyring, or keep
//! keyring backups no longer than the shortest retention.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pseudo_core::registry::{store_is_empty, AccessKind, NewAccessToken, Principal, Registry, RegistryOptions, Role};
use pseudo_core::{
    Authority, Detail, Engine, EngineOptions, Error, ErrorKind, Keyring, MasterKey, OrgId, Result, SigningKey,
    Timestamp,
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::metrics::{AuditTee, Metrics};

/// The settings file's name inside the data folder.
pub const SETTINGS_FILE: &str = "pseudo.json";
/// The keyring file's name.
pub const KEYRING_FILE: &str = "keyring";
/// The signing key file's name.
pub const SIGNING_KEY_FILE: &str = "signing-key.pem";
/// The registry database's name.
pub const REGISTRY_FILE: &str = "registry.db";
/// The principal id of the local administrator (`pseudo init` makes its first access token; the
/// command line acts as it on its data folder).
pub const LOCAL_ADMIN: &str = "admin";
/// Lifetime of the first administrator access token made by `pseudo init`.
pub const FIRST_ADMIN_TOKEN_LIFETIME: Duration = Duration::from_secs(90 * 86_400);

/// What `pseudo.json` holds. No secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// `iss` of the tokens this authority signs.
    pub issuer: String,
    /// `aud` of those tokens: the engine's name.
    pub audience: String,
    /// The local organisation: the owner of projects made on this machine.
    pub organisation: OrgId,
    /// Principal ids whose personal access tokens carry the administrator role.
    pub admins: Vec<String>,
    /// Where the registry lives: absent for `registry.db` in the folder, or a PostgreSQL URL
    /// (`postgres://user@host:port/db`) shared by several nodes. Keep a password out of this file:
    /// give the URL with it through `PSEUDO_REGISTRY` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// The engine's primary key version as the authority knows it: new projects are bound to it
    /// (the `kv` of their tokens). `pseudo keys rotate` updates it together with the keyring;
    /// absent in folders made before key versions, which had only version 1.
    #[serde(default = "first_key_version")]
    pub key_version: u16,
}

fn first_key_version() -> u16 {
    1
}

/// Writes the settings file (atomically, mode 0600).
pub fn write_settings(dir: &Path, settings: &Settings) -> Result<()> {
    let json = serde_json::to_vec_pretty(settings).map_err(|_| Error::new(ErrorKind::Internal, "settings"))?;
    write_private_file(&dir.join(SETTINGS_FILE), &json)
}

/// Whether `location` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// Opens the registry at `location` (a PostgreSQL URL) or, without one, the folder's SQLite file.
pub fn open_registry(dir: &Path, location: Option<&str>, options: RegistryOptions) -> Result<Registry> {
    match location {
        Some(url) if is_postgres_url(url) => open_postgres(url, options),
        // The value itself is not echoed: it may hold a password.
        Some(_) => Err(Error::with_detail(
            ErrorKind::InvalidInput,
            Detail::BadRegistry,
            format!(
                "the registry location must be a postgres:// URL (the SQLite registry is {REGISTRY_FILE} in the data \
                 folder)"
            ),
        )),
        None => {
            let db = dir.join(REGISTRY_FILE);
            if !db.exists() {
                return Err(missing(dir, REGISTRY_FILE));
            }
            Registry::open_sqlite(&db, options)
        }
    }
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str, options: RegistryOptions) -> Result<Registry> {
    Registry::open_postgres(url, options)
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_url: &str, _options: RegistryOptions) -> Result<Registry> {
    Err(Error::with_detail(
        ErrorKind::InvalidInput,
        Detail::NoPostgres,
        "this build of pseudo has no PostgreSQL registry (build it with the `postgres` feature)",
    ))
}

impl Settings {
    /// The local administrator as a registry principal.
    pub fn local_admin(&self) -> Principal {
        Principal { id: LOCAL_ADMIN.to_owned(), organisation: self.organisation, role: Role::Admin }
    }
}

/// The data folder's services, opened and ready.
#[derive(Debug)]
pub struct Opened {
    /// Where it lives.
    pub path: PathBuf,
    /// Its settings.
    pub settings: Settings,
    /// The engine (registry-backed: revocation, last use, audit).
    pub engine: Arc<Engine>,
    /// The authority.
    pub authority: Arc<Authority>,
    /// The registry.
    pub registry: Arc<Registry>,
    /// Writes the keyring back whenever the engine's key chain advances.
    pub keyring: Arc<KeyringFile>,
    /// The metrics the engine's audit events are counted in.
    pub metrics: Arc<Metrics>,
}

/// What `init` made: the folder and the first administrator access token (shown once).
#[derive(Debug)]
pub struct Initialised {
    /// The folder.
    pub path: PathBuf,
    /// The settings written.
    pub settings: Settings,
    /// The first administrator access token.
    pub admin_token: NewAccessToken,
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{what} {}: {}", path.display(), e.kind()))
}

fn random_org() -> Result<OrgId> {
    let mut b = [0u8; 16];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(|e| io_err("cannot read", Path::new("/dev/urandom"), e))?;
    Ok(uuid::Builder::from_random_bytes(b).into_uuid())
}

/// Writes `bytes` to `path` atomically with mode 0600: a temporary file beside it, fsync, rename,
/// fsync of the folder. A reader (or a crash) sees the old file or the new one, never a torn one.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let _ = fs::remove_file(&tmp);
        let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_err("cannot write", path, e)
    })
}

/// Keeps the keyring file in step with the engine's key chain.
#[derive(Debug)]
pub struct KeyringFile {
    path: PathBuf,
    persisted_day: Mutex<i64>,
}

impl KeyringFile {
    /// The file at `path`, last written at chain day `day`.
    pub fn new(path: PathBuf, day: i64) -> Self {
        KeyringFile { path, persisted_day: Mutex::new(day) }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Advances `engine`'s key chain to today and rewrites the file (atomically, 0600) when the
    /// chain day moved past the one on disk, whether this call or an engine call moved it.
    /// Returns whether the file was rewritten.
    pub fn sync(&self, engine: &Engine) -> Result<bool> {
        engine.advance_keys(Timestamp::now());
        let bytes = engine.export_keyring()?;
        let day = Keyring::from_bytes(&bytes)?.chain_day();
        let mut persisted =
            self.persisted_day.lock().map_err(|_| Error::new(ErrorKind::Internal, "keyring file lock poisoned"))?;
        if day <= *persisted {
            return Ok(false);
        }
        // Another process (`pseudo keys rotate` or `retire`) may have changed the versions in the
        // file since this one read it: writing the older set back would lose a key. Refuse, and
        // let the operator restart on the new file.
        if let Ok(on_disk) = fs::read(&self.path).map(Zeroizing::new) {
            let held = Keyring::from_bytes(&bytes)?.versions();
            if Keyring::from_any(&on_disk).map(|k| k.versions()).is_ok_and(|v| v != held) {
                return Err(Error::new(
                    ErrorKind::InvalidState,
                    "the keyring file holds other key versions than this process (rotated or retired meanwhile): \
                     restart to use it; the file was not overwritten",
                ));
            }
        }
        write_private_file(&self.path, &bytes)?;
        *persisted = day;
        Ok(true)
    }

    /// Rewrites the file from `engine` now, whatever its chain day: after a rotation or a
    /// retirement changed the versions it holds.
    pub fn write_now(&self, engine: &Engine) -> Result<()> {
        let bytes = engine.export_keyring()?;
        let day = Keyring::from_bytes(&bytes)?.chain_day();
        let mut persisted =
            self.persisted_day.lock().map_err(|_| Error::new(ErrorKind::Internal, "keyring file lock poisoned"))?;
        write_private_file(&self.path, &bytes)?;
        *persisted = day;
        Ok(())
    }
}

/// Makes a new data folder at `path` (created with mode 0700 if absent; refused if it already
/// holds a pseudo data folder).
pub fn init(path: &Path) -> Result<Initialised> {
    init_with(path, None)
}

/// [`init`], with the registry in PostgreSQL when `registry` is a `postgres://` URL: its schema is
/// created (or migrated) there, and the URL is written to the settings without its password.
pub fn init_with(path: &Path, registry: Option<&str>) -> Result<Initialised> {
    if path.join(SETTINGS_FILE).exists() || path.join(KEYRING_FILE).exists() {
        return Err(Error::new(
            ErrorKind::InvalidState,
            format!("{} already holds a pseudo data folder; it is never overwritten", path.display()),
        ));
    }
    fs::create_dir_all(path).map_err(|e| io_err("cannot create", path, e))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(|e| io_err("cannot protect", path, e))?;
    let organisation = random_org()?;
    let settings = Settings {
        issuer: format!("urn:pseudo:{organisation}"),
        audience: "pseudo-engine".to_owned(),
        organisation,
        admins: vec![LOCAL_ADMIN.to_owned()],
        registry: registry.map(without_password),
        key_version: 1,
    };
    if let Some(url) = registry {
        if !is_postgres_url(url) {
            return Err(Error::with_detail(
                ErrorKind::InvalidInput,
                Detail::BadRegistry,
                "--registry takes a postgres:// URL",
            ));
        }
    }
    // A shared registry is joined by copying a node's data folder, never by `init`: a second
    // init would bring its own keys and administrator to records made under the first's.
    let shared = match registry {
        Some(url) => {
            let shared = open_postgres(url, RegistryOptions::default())?;
            if !store_is_empty(shared.store().as_ref())? {
                return Err(Error::with_detail(
                    ErrorKind::InvalidState,
                    Detail::NotEmpty,
                    "the registry already holds records: copy the data folder of a node that uses it instead of \
                     running init",
                ));
            }
            Some(shared)
        }
        None => None,
    };
    let keyring = Keyring::new(MasterKey::generate(1)?);
    write_private_file(&path.join(KEYRING_FILE), &keyring.to_bytes())?;
    let signing = SigningKey::generate()?;
    write_private_file(&path.join(SIGNING_KEY_FILE), signing.to_pem().as_bytes())?;
    let registry = match shared {
        Some(shared) => shared,
        None => {
            let db = path.join(REGISTRY_FILE);
            let registry = Registry::open_sqlite(&db, RegistryOptions::default())?;
            // Records, not secrets, but nobody else's business (SQLite gives its -wal and -shm
            // files the database's mode).
            fs::set_permissions(&db, fs::Permissions::from_mode(0o600))
                .map_err(|e| io_err("cannot protect", &db, e))?;
            registry
        }
    };
    let admin_token = registry.create_access_token(
        &settings.local_admin(),
        AccessKind::Personal,
        None,
        "first administrator token (pseudo init)",
        FIRST_ADMIN_TOKEN_LIFETIME,
        Timestamp::now(),
    )?;
    // Written last: its presence marks a complete folder.
    write_settings(path, &settings)?;
    Ok(Initialised { path: path.to_owned(), settings, admin_token })
}

fn missing(path: &Path, what: &str) -> Error {
    Error::with_detail(
        ErrorKind::NotFound,
        Detail::NoDataFolder,
        format!(
            "{} has no {what}: not a pseudo data folder (make one with `pseudo init --data {}`)",
            path.display(),
            path.display()
        ),
    )
}

fn read_private(path: &Path, dir: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>> {
    let meta = fs::metadata(path).map_err(|_| missing(dir, what))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(Error::with_detail(
            ErrorKind::InvalidKey,
            Detail::FileMode,
            format!(
                "{} is readable by other users (mode {:o}); run `chmod 600 {}`",
                path.display(),
                meta.permissions().mode() & 0o777,
                path.display()
            ),
        ));
    }
    Ok(Zeroizing::new(fs::read(path).map_err(|e| io_err("cannot read", path, e))?))
}

/// `url` with any password taken out (`postgres://user:secret@host/db` → `postgres://user@host/db`).
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{user}@{host}")
        }
        None => authority.to_owned(),
    };
    // libpq also takes the password as a query parameter (`?password=...`): drop that one too.
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let kept: Vec<&str> = query.split('&').filter(|p| !p.is_empty() && !p.starts_with("password=")).collect();
            if kept.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{}", kept.join("&"))
            }
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// Opens the data folder at `path`: settings, keyring (advanced to today and written back if it
/// moved), signing key, registry, and an engine that consults the registry.
pub fn open(path: &Path) -> Result<Opened> {
    open_with(path, None)
}

/// [`open`], with the registry at `registry` (a `postgres://` URL) instead of the one the
/// settings name.
pub fn open_with(path: &Path, registry: Option<&str>) -> Result<Opened> {
    let metrics = Metrics::new();
    let settings_path = path.join(SETTINGS_FILE);
    let text = fs::read(&settings_path).map_err(|_| missing(path, SETTINGS_FILE))?;
    let settings: Settings = serde_json::from_slice(&text).map_err(|e| {
        Error::with_detail(
            ErrorKind::InvalidInput,
            Detail::CorruptSettings,
            format!(
                "{} is not valid pseudo settings (line {}, column {})",
                settings_path.display(),
                e.line(),
                e.column()
            ),
        )
    })?;
    let keyring_path = path.join(KEYRING_FILE);
    let keyring = Keyring::from_any(&read_private(&keyring_path, path, KEYRING_FILE)?)?;
    let day = keyring.chain_day();
    let pem = read_private(&path.join(SIGNING_KEY_FILE), path, SIGNING_KEY_FILE)?;
    let pem = std::str::from_utf8(&pem).map_err(|_| Error::new(ErrorKind::InvalidKey, "the signing key is not PEM"))?;
    let signing = SigningKey::from_pem(pem)?;
    let location = registry.or(settings.registry.as_deref());
    let options = RegistryOptions { primary_key_version: settings.key_version, ..RegistryOptions::default() };
    let registry = Arc::new(open_registry(path, location, options)?);
    let engine = Engine::new(
        keyring,
        &[signing.verifying_key().clone()],
        EngineOptions::new(&settings.issuer, &settings.audience),
    )?
    .with_token_status(registry.clone())
    .with_audit(AuditTee::new(registry.clone(), metrics.clone()));
    let authority =
        Authority::new(signing, &settings.issuer, &settings.audience)?.with_key_version(settings.key_version)?;
    let keyring = Arc::new(KeyringFile::new(keyring_path, day));
    let engine = Arc::new(engine);
    keyring.sync(&engine)?;
    Ok(Opened { path: path.to_owned(), settings, engine, authority: Arc::new(authority), registry, keyring, metrics })
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn registry_urls_lose_their_password_before_they_are_written() {
        assert_eq!(
            without_password("postgres://app:s3cret@db:5432/reg?sslmode=require"),
            "postgres://app@db:5432/reg?sslmode=require"
        );
        assert_eq!(without_password("postgresql://app:p@ss@db/reg"), "postgresql://app@db/reg");
        assert_eq!(without_password("postgres://app@db/reg"), "postgres://app@db/reg");
        assert_eq!(without_password("postgres://db/reg"), "postgres://db/reg");
        assert_eq!(without_password("postgres://app@db/reg?password=s3cret"), "postgres://app@db/reg");
        assert_eq!(
            without_password("postgres://app@db/reg?sslmode=require&password=s3cret&connect_timeout=5"),
            "postgres://app@db/reg?sslmode=require&connect_timeout=5"
        );
    }
}
