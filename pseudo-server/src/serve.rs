//! Runs a [`Router`] on a socket: plain HTTP or TLS (rustls), a timer that keeps the keyring file
//! in step with the key chain, and a graceful shutdown.

use std::future::Future;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use axum_server::Handle;
use pseudo_core::{Error, ErrorKind, Result};

use crate::data::{KeyringFile, Opened};

/// How often the keyring timer checks whether the key chain's day moved (the chain advances once
/// a day; a minute bounds how long the file may lag behind a midnight).
pub const KEYRING_CHECK_INTERVAL: Duration = Duration::from_secs(60);

/// How long a shutdown waits for requests in flight before it closes their connections.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Loads a TLS certificate chain and private key (PEM files) for [`run`].
pub async fn tls_config(cert: &Path, key: &Path) -> Result<RustlsConfig> {
    RustlsConfig::from_pem_file(cert, key)
        .await
        .map_err(|e| Error::new(ErrorKind::InvalidKey, format!("cannot load the TLS certificate or key: {e}")))
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = term => {},
        _ = tokio::signal::ctrl_c() => {},
    }
}

async fn sync_keyring(keyring: &Arc<KeyringFile>, engine: &Arc<pseudo_core::Engine>) {
    let (k, e) = (keyring.clone(), engine.clone());
    match tokio::task::spawn_blocking(move || k.sync(&e)).await {
        Ok(Ok(true)) => tracing::info!(file = %keyring.path().display(), "key chain advanced; keyring rewritten"),
        Ok(Ok(false)) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "cannot write the keyring file"),
        Err(_) => tracing::error!("the keyring task failed"),
    }
}

/// Serves `app` on `listener` (TLS when `tls` is given) until `shutdown` resolves; then stops
/// accepting, lets requests in flight finish (up to [`SHUTDOWN_GRACE`]), and writes the keyring
/// a last time. Every registry write is committed when its request answers, so nothing is left
/// to flush.
pub async fn run(
    app: Router,
    listener: TcpListener,
    tls: Option<RustlsConfig>,
    data: &Opened,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    listener.set_nonblocking(true)?;
    let handle: Handle<std::net::SocketAddr> = Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing requests in flight");
        stopper.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    let (keyring, engine) = (data.keyring.clone(), data.engine.clone());
    let timer = tokio::spawn(async move {
        let mut tick = tokio::time::interval(KEYRING_CHECK_INTERVAL);
        loop {
            tick.tick().await;
            sync_keyring(&keyring, &engine).await;
        }
    });
    let service = app.into_make_service();
    let served = match tls {
        Some(config) => axum_server::from_tcp_rustls(listener, config)?.handle(handle).serve(service).await,
        None => axum_server::from_tcp(listener)?.handle(handle).serve(service).await,
    };
    timer.abort();
    sync_keyring(&data.keyring, &data.engine).await;
    served.map_err(Error::from)
}
