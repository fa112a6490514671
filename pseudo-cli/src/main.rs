//! `pseudo`: pseudonymisation on one machine — a data folder, the INCERT server, projects and
//! tokens, and files pseudonymised or reversed in constant memory.
#![forbid(unsafe_code)]

mod files;

use std::io::{IsTerminal, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use pseudo_core::registry::{copy_store, AccessKind, Collaborator, NewProject, Principal, RegistryOptions, Role};
use pseudo_core::{
    Detail, Error, ErrorKind, MasterKey, Method, Operation, OrgId, OutputFormat, ProjectId, Result, Timestamp,
    Treatment,
};
use pseudo_server::data::{self, Opened};
use pseudo_server::{api, ops, parse, ServerConfig, Services};
use serde_json::{json, Value};

const EXIT_CODES: &str = "\
Exit status:
  0  success
  1  failure (input/output, internal)
  2  usage error (unknown option, missing argument)
  3  the data folder is missing, incomplete or corrupt
  4  refused: token invalid, expired, revoked or for another operation; issuing policy;
     permission; a record in the wrong state (revoke before delete)
  5  bad input: a record or value could not be read or transformed (each reported by line)";

/// Pseudonymisation on one machine.
///
/// `pseudo init` makes a data folder (keyring, signing key, registry, a first administrator access
/// token); `pseudo serve` runs the INCERT API and the REST API on it; `pseudo project` and
/// `pseudo token` manage projects and operation tokens as the local administrator; `pseudo psn`
/// and `pseudo rev` pseudonymise and reverse CSV or JSON Lines files of any size.
#[derive(Debug, Parser)]
#[command(name = "pseudo", version, after_help = EXIT_CODES, max_term_width = 100)]
struct Cli {
    /// The data folder [default: $XDG_DATA_HOME/pseudo or ~/.local/share/pseudo].
    #[arg(long, global = true, env = "PSEUDO_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    /// The registry in PostgreSQL, shared by several nodes: postgres://user:password@host:port/db
    /// [default: the settings' "registry", else registry.db in the data folder].
    #[arg(long, global = true, env = "PSEUDO_REGISTRY", value_name = "URL", hide_env_values = true)]
    registry: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make a data folder: keyring (mode 0600), signing key, registry.db and a first administrator
    /// access token, printed once on stdout. With --registry postgres://..., the registry's schema
    /// is made in that database instead and its URL (without password) is kept in the settings.
    Init,
    /// Run the INCERT API (POST /api/request-psn, /api/request-psn-rev), the REST API (/api/v1),
    /// the portal (web pages at /) and /healthz, /readyz, /metrics. Stops gracefully on SIGTERM or
    /// Ctrl-C.
    Serve(ServeArgs),
    /// Create, list and show projects; add collaborators.
    #[command(subcommand)]
    Project(ProjectCmd),
    /// Issue operation tokens (psn, sec, rev) and manage their records.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Personal and service access tokens for the REST API.
    #[command(subcommand, name = "access-token")]
    AccessToken(AccessCmd),
    /// Pseudonymise columns of a CSV or JSON Lines file with a psn or sec token.
    Psn(FileArgs),
    /// Reverse columns of a CSV or JSON Lines file with a rev token.
    Rev(FileArgs),
    /// The registry itself: copy the folder's SQLite registry into PostgreSQL.
    #[command(subcommand)]
    Registry(RegistryCmd),
    /// The engine's key versions: list, rotate (a new primary for new projects), retire.
    #[command(subcommand)]
    Keys(KeysCmd),
}

#[derive(Debug, Subcommand)]
enum KeysCmd {
    /// The key versions the keyring holds, its primary, the authority's configured version and
    /// how many projects are bound to each (JSON on stdout).
    List,
    /// Add a new key version and make it primary, in the keyring and in the authority's settings
    /// together. Only projects created afterwards use it: every existing project stays bound to
    /// its version, so none of its pseudonyms change. Stop `pseudo serve` first and start it again
    /// afterwards (it reads both files when it starts).
    Rotate,
    /// Remove a key version from the keyring (it leaked, or no project needs it any more): its
    /// tokens and pseudonyms are refused from then on. Refused while a project is still bound to it:
    /// move each first with `pseudo project rewrap` (reversible) or re-pseudonymise it from its
    /// originals. The primary version cannot be retired. Stop `pseudo serve` first.
    Retire {
        /// The version to remove.
        version: u16,
    },
}

#[derive(Debug, Subcommand)]
enum RegistryCmd {
    /// Copy every record of the data folder's registry.db (projects, requests, token records,
    /// access tokens, audit log) into an empty PostgreSQL registry, making its schema. Stop the
    /// server first. Then run every node with --registry (or "registry" in pseudo.json).
    Copy {
        /// The PostgreSQL registry to fill: postgres://user:password@host:port/db (better in
        /// PSEUDO_REGISTRY_TO: a command line is visible to every user of the machine).
        #[arg(long, env = "PSEUDO_REGISTRY_TO", value_name = "URL", hide_env_values = true)]
        to: String,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// TLS certificate chain (PEM); with --tls-key, serves HTTPS.
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Most requests handled at once; past it, 503 with Retry-After.
    #[arg(long, default_value_t = ServerConfig::default().max_in_flight)]
    max_in_flight: usize,
    /// Longest time a request may take (s, h, d): past it, 503.
    #[arg(long, default_value = "60s")]
    timeout: String,
    /// Mark the portal's cookies Secure without --tls-cert: for a server behind a proxy that
    /// terminates TLS (with --tls-cert they always are).
    #[arg(long)]
    secure_cookies: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TreatmentArg {
    Same,
    Different,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Base64url,
    Hex,
    Base32,
}

#[derive(Debug, Subcommand)]
enum ProjectCmd {
    /// Create a project; your organisation becomes its first collaborator (with the reverse right
    /// when it is reversible). Retention, method, treatment and format are fixed for ever.
    #[command(group(clap::ArgGroup::new("method").required(true).args(["reversible", "not_reversible"])))]
    Create {
        /// The project's id and name.
        name: String,
        /// Pseudonyms can be reversed with a rev token until retention ends (AES-SIV).
        #[arg(long)]
        reversible: bool,
        /// Pseudonyms can never be reversed (HMAC or random).
        #[arg(long)]
        not_reversible: bool,
        /// Retention from now: 5y, 18m or 90d. After it, reversal is impossible for ever.
        #[arg(long)]
        retention: String,
        /// same: one value always gets the same pseudonym; different: a fresh one each time.
        #[arg(long, value_enum)]
        treatment: TreatmentArg,
        /// How pseudonyms are written.
        #[arg(long, value_enum, default_value = "base64url")]
        format: FormatArg,
    },
    /// List projects (JSON on stdout).
    List,
    /// Show one project (JSON on stdout).
    Show {
        /// The project.
        name: String,
    },
    /// Collaborating organisations.
    #[command(subcommand)]
    Collaborator(CollaboratorCmd),
    /// Move a reversible project to another key version (early retirement of a leaked one) and
    /// rewrap a file of its pseudonyms: each is decrypted and encrypted again under the new
    /// version inside the engine, so no original value is ever written. The project's old tokens
    /// are revoked and the move is audited. Run it once per file; a later run on the same project
    /// only rewraps (the project already is on the version).
    Rewrap(RewrapArgs),
}

#[derive(Debug, Args)]
struct RewrapArgs {
    /// The project.
    name: String,
    /// The version to move to [default: the primary version].
    #[arg(long, value_name = "VERSION")]
    key_version: Option<u16>,
    #[command(flatten)]
    stream: StreamArgs,
}

#[derive(Debug, Subcommand)]
enum CollaboratorCmd {
    /// Add (or update) a collaborating organisation.
    Add {
        /// The project.
        name: String,
        /// The organisation's UUID.
        org: OrgId,
        /// May receive reverse tokens.
        #[arg(long)]
        can_reverse: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TokenType {
    Psn,
    Sec,
    Rev,
}

#[derive(Debug, Subcommand)]
enum TokenCmd {
    /// Issue an operation token, recording an approved request on the local administrator's
    /// behalf. When stdout is not a terminal, prints only the token.
    Issue {
        /// psn: pseudonymise; sec: level-2 pseudonyms of a source; rev: reverse.
        #[arg(value_enum)]
        token_type: TokenType,
        /// The project.
        #[arg(long)]
        project: String,
        /// sec (and rev of level 2): the source project.
        #[arg(long)]
        source_project: Option<String>,
        /// The source organisation [default: your organisation].
        #[arg(long, requires = "source_project")]
        source_org: Option<OrgId>,
        /// A name for the token's record [default: the token type].
        #[arg(long)]
        name: Option<String>,
        /// Lifetime: 600s, 12h, 30d, 2w, 1y (capped at retention end).
        #[arg(long, default_value = "30d")]
        expires: String,
    },
    /// List token records (never a token's text).
    List,
    /// Revoke a token: the engine refuses it from its next call.
    Revoke {
        /// The token id (jti; it may start with '-').
        #[arg(allow_hyphen_values = true)]
        jti: String,
    },
    /// Restore a revoked, unexpired token.
    Restore {
        /// The token id (jti; it may start with '-').
        #[arg(allow_hyphen_values = true)]
        jti: String,
    },
    /// Delete a revoked token's record (it stays refused).
    Delete {
        /// The token id (jti; it may start with '-').
        #[arg(allow_hyphen_values = true)]
        jti: String,
    },
}

#[derive(Debug, Subcommand)]
enum AccessCmd {
    /// Make an access token (the secret is printed once on stdout).
    Create {
        /// A name for it.
        #[arg(long)]
        name: String,
        /// A service token for this service account (instead of a personal token).
        #[arg(long, value_name = "ACCOUNT", conflicts_with = "user")]
        service: Option<String>,
        /// A personal token for this user [default: the local administrator].
        #[arg(long)]
        user: Option<String>,
        /// The user's or service account's organisation [default: yours].
        #[arg(long)]
        org: Option<OrgId>,
        /// Lifetime: 600s, 12h, 30d, 2w, 1y.
        #[arg(long, default_value = "30d")]
        expires: String,
    },
    /// List access token records (never a secret).
    List,
    /// Revoke an access token.
    Revoke {
        /// Its id (at_…).
        id: String,
    },
    /// Restore a revoked, unexpired access token.
    Restore {
        /// Its id.
        id: String,
    },
    /// Delete a revoked access token.
    Delete {
        /// Its id.
        id: String,
    },
}

#[derive(Debug, Args)]
struct FileArgs {
    /// File holding the operation token.
    #[arg(long, value_name = "FILE")]
    token: PathBuf,
    #[command(flatten)]
    stream: StreamArgs,
}

/// The file a command streams through the engine: shared by psn, rev and project rewrap.
#[derive(Debug, Args)]
struct StreamArgs {
    /// A column to transform (of pseudonyms, for rev and rewrap; CSV header name or JSON key);
    /// repeat for more. Default: every CSV column, or each JSON Lines line as a string.
    #[arg(long = "column", value_name = "NAME")]
    columns: Vec<String>,
    /// Input file [default: stdin].
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Output file [default: stdout].
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// csv (with a header row) or jsonl [default: from the input's extension, else csv].
    #[arg(long, value_enum)]
    format: Option<files::Format>,
    /// Values per engine call (memory is bounded by about three batches).
    #[arg(long, default_value_t = 16_384)]
    batch: usize,
}

impl StreamArgs {
    /// The job that runs `operation` with `token` over these files.
    fn job(self, operation: Operation, token: String) -> files::Job {
        let format = file_format(self.format, self.input.as_deref());
        files::Job {
            operation,
            token,
            columns: self.columns,
            input: self.input,
            output: self.output,
            format,
            batch_cells: self.batch,
        }
    }
}

fn default_data() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("pseudo");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/share/pseudo")
}

fn exit_code(e: &Error) -> u8 {
    if matches!(
        e.detail_code(),
        Some(Detail::NoDataFolder | Detail::CorruptSettings | Detail::FileMode | Detail::Corrupt)
    ) {
        return 3;
    }
    match e.kind() {
        k if k.is_token_error() => 4,
        ErrorKind::InvalidKey | ErrorKind::Storage => 3,
        ErrorKind::WrongOperation
        | ErrorKind::RetentionEnded
        | ErrorKind::IssueRefused
        | ErrorKind::PermissionDenied
        | ErrorKind::AuthenticationFailed
        | ErrorKind::InvalidSecret
        | ErrorKind::InvalidState
        | ErrorKind::NotFound => 4,
        ErrorKind::BadRequest | ErrorKind::BatchFailed | ErrorKind::LimitExceeded | ErrorKind::InvalidInput => 5,
        _ => 1,
    }
}

fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn project_id(name: &str) -> Result<ProjectId> {
    ProjectId::new(name)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let data = cli.data.clone().unwrap_or_else(default_data);
    match run(cli.command, &data, cli.registry.as_deref()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("pseudo: {}", e.message());
            ExitCode::from(exit_code(&e))
        }
    }
}

fn run(command: Command, data_dir: &Path, registry: Option<&str>) -> Result<u8> {
    let open = || data::open_with(data_dir, registry);
    match command {
        Command::Init => init(data_dir, registry),
        Command::Serve(a) => serve(open()?, a),
        Command::Project(c) => project(&open()?, c),
        Command::Token(c) => token(&open()?, c),
        Command::AccessToken(c) => access(&open()?, c),
        Command::Psn(a) => transform(&open()?, Operation::Pseudonymise, a),
        Command::Rev(a) => transform(&open()?, Operation::Reverse, a),
        Command::Registry(RegistryCmd::Copy { to }) => copy_registry(data_dir, &to),
        Command::Keys(c) => keys(&open()?, c),
    }
}

fn keys(d: &Opened, c: KeysCmd) -> Result<u8> {
    let admin = d.settings.local_admin();
    let now = Timestamp::now();
    match c {
        KeysCmd::List => {}
        KeysCmd::Rotate => {
            let next = d
                .engine
                .key_versions()
                .last()
                .copied()
                .unwrap_or(0)
                .checked_add(1)
                .ok_or_else(|| Error::new(ErrorKind::InvalidState, "every key version up to 65535 was used"))?;
            d.engine.add_key_version(MasterKey::generate(next)?, true)?;
            // The keyring first: settings naming a version the keyring lacks would bind new
            // projects to a key nobody holds.
            d.keyring.write_now(&d.engine)?;
            let settings = data::Settings { key_version: next, ..d.settings.clone() };
            data::write_settings(&d.path, &settings)?;
            eprintln!("pseudo: key version {next} is now primary; new projects are bound to it");
        }
        KeysCmd::Retire { version } => {
            if version == d.settings.key_version {
                return Err(Error::new(
                    ErrorKind::InvalidState,
                    format!("key version {version} is the authority's primary: rotate first"),
                ));
            }
            if !d.engine.key_versions().contains(&version) {
                return Err(Error::with_detail(
                    ErrorKind::NotFound,
                    Detail::UnknownKeyVersion,
                    format!("the keyring holds no key version {version}"),
                ));
            }
            // The registry refuses while a project is bound to it, and audits the retirement.
            d.registry.retire_key_version(&admin, version, now)?;
            d.engine.retire_key_version(version)?;
            d.keyring.write_now(&d.engine)?;
            eprintln!("pseudo: key version {version} retired; its tokens and pseudonyms are refused from now on");
        }
    }
    let mut view = api::keys_view(&Services::from_data(d), &d.registry.projects()?, now);
    if matches!(c, KeysCmd::Rotate) {
        // The settings were rewritten: the version the authority reads from now on.
        view["authority_key_version"] = json!(d.engine.primary_key_version());
    }
    print_json(&view);
    Ok(0)
}

fn rewrap(d: &Opened, a: RewrapArgs) -> Result<u8> {
    let admin = d.settings.local_admin();
    let now = Timestamp::now();
    let id = project_id(&a.name)?;
    let target = a.key_version.unwrap_or(d.settings.key_version);
    if !d.engine.key_versions().contains(&target) {
        return Err(Error::with_detail(
            ErrorKind::InvalidInput,
            Detail::UnknownKeyVersion,
            format!("the keyring holds no key version {target}"),
        ));
    }
    let p = d.registry.project(&id)?;
    if !p.config.method.is_reversible() {
        return Err(Error::with_detail(
            ErrorKind::InvalidInput,
            Detail::NotRewrappable,
            "a not-reversible project cannot be rewrapped: pseudonymise its originals again (see lookup in the docs)",
        ));
    }
    if p.key_version != target {
        let (_, revoked) = d.registry.rekey_project(&admin, &id, target, now)?;
        eprintln!("pseudo: project {id} moved to key version {target}; {} token(s) revoked", revoked.len());
    }
    // A short-lived reverse token of the new version, for this run only, revoked at the end.
    let issue = ops::LocalIssue {
        project: id.clone(),
        kind: api::issue_kind("rev", None)?,
        name: "rewrap (pseudo project rewrap)".to_owned(),
        lifetime: Duration::from_secs(86_400),
    };
    let issued = ops::issue_as_local_admin(&d.registry, &d.authority, &admin, &issue, now)?;
    let job = a.stream.job(Operation::Rewrap, issued.token().to_owned());
    let result = files::run(&d.engine, job);
    d.registry.revoke_token(&admin, issued.jti())?;
    let summary = result?;
    d.keyring.sync(&d.engine)?;
    if std::io::stderr().is_terminal() || summary.failed > 0 {
        eprintln!(
            "pseudo: {} records, {} values rewrapped, {} failed",
            summary.records, summary.values, summary.failed
        );
    }
    Ok(if summary.failed > 0 { 5 } else { 0 })
}

fn file_format(format: Option<files::Format>, input: Option<&Path>) -> files::Format {
    format.unwrap_or_else(|| {
        let ext = input.and_then(|p| p.extension()).and_then(|e| e.to_str()).unwrap_or("");
        if matches!(ext, "jsonl" | "ndjson") {
            files::Format::Jsonl
        } else {
            files::Format::Csv
        }
    })
}

fn init(dir: &Path, registry: Option<&str>) -> Result<u8> {
    let done = data::init_with(dir, registry)?;
    eprintln!("pseudo: data folder {} made", done.path.display());
    eprintln!("  organisation {}", done.settings.organisation);
    match &done.settings.registry {
        Some(url) => eprintln!("  registry in PostgreSQL at {url}; copy this folder to every other node"),
        None => {
            eprintln!("  keyring (mode 0600): a backup of it defeats crypto-shredding; back up registry.db instead")
        }
    }
    eprintln!("  first administrator access token (shown once; store it now):");
    println!("{}", done.admin_token.secret.as_str());
    Ok(0)
}

fn copy_registry(dir: &Path, to: &str) -> Result<u8> {
    if !data::is_postgres_url(to) {
        return Err(Error::new(ErrorKind::InvalidInput, "--to takes a postgres:// URL"));
    }
    // The SQLite file directly: no buffered writes, no engine.
    let db = dir.join(data::REGISTRY_FILE);
    if !db.exists() {
        return Err(Error::with_detail(
            ErrorKind::NotFound,
            Detail::NoDataFolder,
            format!("{} has no {}: nothing to copy", dir.display(), data::REGISTRY_FILE),
        ));
    }
    let from = data::open_registry(dir, None, RegistryOptions { write_delay: Duration::ZERO, ..Default::default() })?;
    let into =
        data::open_registry(dir, Some(to), RegistryOptions { write_delay: Duration::ZERO, ..Default::default() })?;
    let n = copy_store(from.store().as_ref(), into.store().as_ref())?;
    print_json(&json!({
        "projects": n.projects,
        "requests": n.requests,
        "tokens": n.tokens,
        "access_tokens": n.access_tokens,
        "audit_events": n.audit_events,
    }));
    Ok(0)
}

fn serve(opened: Opened, a: ServeArgs) -> Result<u8> {
    let timeout = parse::lifetime(&a.timeout)?;
    let config = ServerConfig {
        max_in_flight: a.max_in_flight,
        request_timeout: timeout,
        secure_cookies: a.tls_cert.is_some() || a.secure_cookies,
        ..ServerConfig::default()
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PSEUDO_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorKind::Internal, format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let tls = match (&a.tls_cert, &a.tls_key) {
            (Some(c), Some(k)) => Some(pseudo_server::serve::tls_config(c, k).await?),
            _ => None,
        };
        let listener = std::net::TcpListener::bind(a.listen)
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot listen on {}: {}", a.listen, e.kind())))?;
        let local = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(data = %opened.path.display(), "listening on {scheme}://{local}");
        let app = pseudo_server::router(Services::from_data(&opened), config);
        pseudo_server::serve::run(app, listener, tls, &opened, pseudo_server::serve::shutdown_signal()).await
    })?;
    tracing::info!("stopped");
    Ok(0)
}

fn treatment(t: TreatmentArg) -> Treatment {
    match t {
        TreatmentArg::Same => Treatment::Same,
        TreatmentArg::Different => Treatment::Different,
    }
}

fn format(f: FormatArg) -> OutputFormat {
    match f {
        FormatArg::Base64url => OutputFormat::Base64url,
        FormatArg::Hex => OutputFormat::Hex,
        FormatArg::Base32 => OutputFormat::Base32,
    }
}

fn project(d: &Opened, c: ProjectCmd) -> Result<u8> {
    let admin = d.settings.local_admin();
    let now = Timestamp::now();
    match c {
        ProjectCmd::Create { name, reversible, not_reversible: _, retention, treatment: t, format: f } => {
            let p = NewProject {
                id: project_id(&name)?,
                name,
                method: if reversible { Method::Reversible } else { Method::NotReversible },
                retention: parse::retention(&retention)?,
                treatment: treatment(t),
                format: format(f),
            };
            print_json(&api::project_view(&ops::create_project(&d.registry, &admin, p, now)?));
        }
        ProjectCmd::List => {
            let list: Vec<Value> = d.registry.projects()?.iter().map(api::project_view).collect();
            print_json(&Value::Array(list));
        }
        ProjectCmd::Show { name } => print_json(&api::project_view(&d.registry.project(&project_id(&name)?)?)),
        ProjectCmd::Collaborator(CollaboratorCmd::Add { name, org, can_reverse }) => {
            let p = d.registry.add_collaborator(
                &admin,
                &project_id(&name)?,
                Collaborator { organisation: org, can_reverse },
            )?;
            print_json(&api::project_view(&p));
        }
        ProjectCmd::Rewrap(a) => return rewrap(d, a),
    }
    Ok(0)
}

fn token(d: &Opened, c: TokenCmd) -> Result<u8> {
    let admin = d.settings.local_admin();
    match c {
        TokenCmd::Issue { token_type, project, source_project, source_org, name, expires } => {
            let source = source_project
                .map(|p| Ok::<_, Error>((project_id(&p)?, source_org.unwrap_or(d.settings.organisation))))
                .transpose()?;
            let type_name = match token_type {
                TokenType::Psn => "psn",
                TokenType::Sec => "sec",
                TokenType::Rev => "rev",
            };
            let issue = ops::LocalIssue {
                project: project_id(&project)?,
                kind: api::issue_kind(type_name, source)?,
                name: name.unwrap_or_else(|| type_name.to_owned()),
                lifetime: parse::lifetime(&expires)?,
            };
            let issued = ops::issue_as_local_admin(&d.registry, &d.authority, &admin, &issue, Timestamp::now())?;
            if std::io::stdout().is_terminal() {
                eprintln!(
                    "pseudo: {} token {} for {} (expires at {}; shown once):",
                    type_name,
                    issued.jti(),
                    project,
                    issued.expires_at().unix()
                );
            }
            println!("{}", issued.token());
        }
        TokenCmd::List => {
            let list: Vec<Value> = d.registry.tokens()?.iter().map(api::token_view).collect();
            print_json(&Value::Array(list));
        }
        TokenCmd::Revoke { jti } => print_json(&api::token_view(&d.registry.revoke_token(&admin, &jti)?)),
        TokenCmd::Restore { jti } => {
            print_json(&api::token_view(&d.registry.restore_token(&admin, &jti, Timestamp::now())?))
        }
        TokenCmd::Delete { jti } => {
            d.registry.delete_token(&admin, &jti)?;
            print_json(&json!({ "deleted": jti }));
        }
    }
    Ok(0)
}

fn access(d: &Opened, c: AccessCmd) -> Result<u8> {
    let admin = d.settings.local_admin();
    let now = Timestamp::now();
    match c {
        AccessCmd::Create { name, service, user, org, expires } => {
            let lifetime = parse::lifetime(&expires)?;
            let org = org.unwrap_or(d.settings.organisation);
            let made = match (service, user) {
                (Some(account), _) => {
                    let acct = Principal { id: account, organisation: org, role: Role::ServiceAccount };
                    d.registry.create_access_token(&admin, AccessKind::Service, Some(&acct), &name, lifetime, now)?
                }
                (None, Some(user)) => {
                    // The local administrator makes a person's first token on their behalf.
                    let role = if d.settings.admins.contains(&user) { Role::Admin } else { Role::User };
                    let person = Principal { id: user, organisation: org, role };
                    d.registry.create_access_token(&person, AccessKind::Personal, None, &name, lifetime, now)?
                }
                (None, None) => {
                    d.registry.create_access_token(&admin, AccessKind::Personal, None, &name, lifetime, now)?
                }
            };
            if std::io::stdout().is_terminal() {
                eprintln!("pseudo: access token {} (shown once):", made.record.id);
            }
            println!("{}", made.secret.as_str());
        }
        AccessCmd::List => {
            let list: Vec<Value> = d.registry.access_tokens()?.iter().map(api::access_view).collect();
            print_json(&Value::Array(list));
        }
        AccessCmd::Revoke { id } => print_json(&api::access_view(&d.registry.revoke_access_token(&admin, &id)?)),
        AccessCmd::Restore { id } => print_json(&api::access_view(&d.registry.restore_access_token(&admin, &id, now)?)),
        AccessCmd::Delete { id } => {
            d.registry.delete_access_token(&admin, &id)?;
            print_json(&json!({ "deleted": id }));
        }
    }
    Ok(0)
}

fn read_token(path: &Path) -> Result<String> {
    let mut text = String::new();
    std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text)).map_err(|e| {
        Error::new(ErrorKind::Io, format!("cannot read the token file {}: {}", path.display(), e.kind()))
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(Error::new(ErrorKind::MalformedToken, format!("the token file {} is empty", path.display())));
    }
    Ok(token.to_owned())
}

fn transform(d: &Opened, op: Operation, a: FileArgs) -> Result<u8> {
    let job = a.stream.job(op, read_token(&a.token)?);
    let summary = files::run(&d.engine, job)?;
    // The keyring may have advanced past midnight during a long run.
    d.keyring.sync(&d.engine)?;
    if std::io::stderr().is_terminal() || summary.failed > 0 {
        eprintln!("pseudo: {} records, {} values, {} failed", summary.records, summary.values, summary.failed);
    }
    Ok(if summary.failed > 0 { 5 } else { 0 })
}
