//! Buffered last-use and audit writes. An engine call notes a use and emits an audit event; with
//! a durable store each would be a write per call (~25 µs with SQLite). They go to memory instead
//! and reach the store in one transaction per flush: every `write_delay`, when the buffer holds
//! `FLUSH_AT` entries, on [`super::Registry::flush`], and when the registry is dropped. A crash
//! loses at most the writes of the last `write_delay` (plus the flush in progress); revocation
//! and every other state change are written at once, never buffered.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use super::store::Store;
use crate::config::Timestamp;
use crate::engine::AuditEvent;
use crate::error::{Error, ErrorKind, Result};

/// Entries that wake the flusher before its timer.
const FLUSH_AT: usize = 1024;
/// Entries past which a caller writes through itself (the flusher is behind, or the store is
/// down): memory stays bounded.
const HARD_LIMIT: usize = 64 * FLUSH_AT;

#[derive(Default)]
struct Pending {
    uses: HashMap<String, Timestamp>,
    events: Vec<AuditEvent>,
    stop: bool,
}

impl Pending {
    fn len(&self) -> usize {
        self.uses.len() + self.events.len()
    }
}

/// The shared buffer and the background thread that empties it.
pub(crate) struct WriteBuffer {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    store: Arc<dyn Store>,
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Held while a batch is taken and written, so that batches reach the store in order.
    flushing: Mutex<()>,
}

impl Shared {
    fn pending(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes everything pending and writes it in one store step. On a store failure the batch is
    /// put back (up to the hard limit) for the next flush.
    fn flush(&self) -> Result<()> {
        let _order = self.flushing.lock().unwrap_or_else(|p| p.into_inner());
        let (uses, events) = {
            let mut p = self.pending();
            (std::mem::take(&mut p.uses), std::mem::take(&mut p.events))
        };
        if uses.is_empty() && events.is_empty() {
            return Ok(());
        }
        let uses: Vec<(String, Timestamp)> = uses.into_iter().collect();
        let result = self.store.write_batch(&uses, &events);
        if result.is_err() {
            let mut p = self.pending();
            for (jti, at) in uses {
                let e = p.uses.entry(jti).or_insert(at);
                *e = (*e).max(at);
            }
            let room = HARD_LIMIT.saturating_sub(p.len());
            let mut kept: Vec<AuditEvent> = events.into_iter().take(room).collect();
            kept.append(&mut p.events);
            p.events = kept;
        }
        result
    }
}

impl WriteBuffer {
    /// Starts the flusher thread for `store`, flushing every `delay`.
    pub(crate) fn start(store: Arc<dyn Store>, delay: Duration) -> Result<Self> {
        let shared = Arc::new(Shared {
            store,
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            flushing: Mutex::new(()),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("pseudo-registry-flush".into())
            .spawn(move || loop {
                let stop = {
                    let mut p = s.pending();
                    if !p.stop && p.len() < FLUSH_AT {
                        p = s.wake.wait_timeout(p, delay).unwrap_or_else(|e| e.into_inner()).0;
                    }
                    p.stop
                };
                // Best effort here: a failed batch stays pending and is retried.
                let _ = s.flush();
                if stop {
                    return;
                }
            })
            .map_err(|_| Error::new(ErrorKind::Internal, "could not start the registry's flush thread"))?;
        Ok(WriteBuffer { shared, thread: Mutex::new(Some(thread)) })
    }

    fn push(&self, f: impl FnOnce(&mut Pending)) {
        let len = {
            let mut p = self.shared.pending();
            f(&mut p);
            p.len()
        };
        if len >= HARD_LIMIT {
            let _ = self.shared.flush();
        } else if len >= FLUSH_AT {
            self.shared.wake.notify_one();
        }
    }

    /// Notes a use of token `jti` at `at` (the latest instant wins).
    pub(crate) fn record_use(&self, jti: &str, at: Timestamp) {
        self.push(|p| match p.uses.get_mut(jti) {
            Some(t) => *t = (*t).max(at),
            None => {
                p.uses.insert(jti.to_owned(), at);
            }
        });
    }

    /// Queues an audit event.
    pub(crate) fn record_event(&self, e: &AuditEvent) {
        self.push(|p| p.events.push(e.clone()));
    }

    /// Writes everything pending now.
    pub(crate) fn flush(&self) -> Result<()> {
        self.shared.flush()
    }

    /// Stops the thread after a last flush.
    pub(crate) fn close(&self) {
        self.shared.pending().stop = true;
        self.shared.wake.notify_one();
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
        let _ = self.shared.flush();
    }
}

impl Drop for WriteBuffer {
    fn drop(&mut self) {
        self.close();
    }
}
