//! Counters and a latency histogram, rendered in the Prometheus text format at `/metrics`.
//!
//! Engine calls are counted through [`AuditTee`], an [`AuditSink`] that forwards every event to
//! the registry and notes its outcome here; it never sees a value or a token.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pseudo_core::{AuditEvent, AuditSink, CacheCounts};

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(&'static str, u16), u64>,
    latency: BTreeMap<&'static str, Histogram>,
    /// (operation, outcome code) → calls.
    calls: BTreeMap<(&'static str, &'static str), u64>,
    /// operation → items processed by successful calls.
    items: BTreeMap<&'static str, u64>,
    shed: BTreeMap<&'static str, u64>,
}

/// The server's metrics. Cheap to update (one short lock), rendered on demand.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

thread_local! {
    /// The last engine call seen on this thread: (`jti`, items). The INCERT handler reads it right
    /// after its blocking call, to log the token id and item count of its own request.
    static LAST_CALL: RefCell<Option<(Option<String>, usize)>> = const { RefCell::new(None) };
}

/// Takes (and clears) the engine call recorded on this thread by [`AuditTee`].
pub(crate) fn take_last_call() -> Option<(Option<String>, usize)> {
    LAST_CALL.with(|c| c.borrow_mut().take())
}

impl Metrics {
    /// Empty metrics.
    pub fn new() -> Arc<Self> {
        Arc::new(Metrics::default())
    }

    /// Counts one HTTP request on `route` (the matched route pattern, never the raw path).
    pub fn observe_request(&self, route: &'static str, status: u16, elapsed: Duration) {
        let Ok(mut m) = self.inner.lock() else { return };
        *m.requests.entry((route, status)).or_default() += 1;
        let h = m.latency.entry(route).or_default();
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            h.counts[i] += 1;
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Counts a request refused by the server itself (`overloaded`, `timeout`).
    pub fn observe_shed(&self, reason: &'static str) {
        if let Ok(mut m) = self.inner.lock() {
            *m.shed.entry(reason).or_default() += 1;
        }
    }

    fn observe_call(&self, e: &AuditEvent) {
        let Ok(mut m) = self.inner.lock() else { return };
        let op = e.operation.as_str();
        *m.calls.entry((op, e.error.map_or("ok", |k| k.code()))).or_default() += 1;
        if e.error.is_none() {
            *m.items.entry(op).or_default() += e.items as u64;
        }
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self) -> String {
        self.render_with(CacheCounts::default())
    }

    /// The Prometheus text, with the engine's token-cache counts.
    pub fn render_with(&self, cache: CacheCounts) -> String {
        let Ok(m) = self.inner.lock() else { return String::new() };
        let mut out = String::with_capacity(4096);
        let _ = writeln!(out, "# HELP pseudo_http_requests_total HTTP requests by route and status.");
        let _ = writeln!(out, "# TYPE pseudo_http_requests_total counter");
        for ((route, status), n) in &m.requests {
            let _ = writeln!(out, "pseudo_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP pseudo_http_request_duration_seconds Time to answer, by route.");
        let _ = writeln!(out, "# TYPE pseudo_http_request_duration_seconds histogram");
        for (route, h) in &m.latency {
            let mut cumulative = 0;
            for (b, c) in BUCKETS.iter().zip(h.counts) {
                cumulative += c;
                let _ = writeln!(
                    out,
                    "pseudo_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "pseudo_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "pseudo_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
            let _ = writeln!(out, "pseudo_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
        }
        let _ = writeln!(
            out,
            "# HELP pseudo_token_verifications_total Operation-token verifications (engine calls) by operation and outcome."
        );
        let _ = writeln!(out, "# TYPE pseudo_token_verifications_total counter");
        for ((op, outcome), n) in &m.calls {
            let _ = writeln!(out, "pseudo_token_verifications_total{{operation=\"{op}\",outcome=\"{outcome}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP pseudo_token_cache_total Token verifications answered from the cache (hit) or verified in full (miss)."
        );
        let _ = writeln!(out, "# TYPE pseudo_token_cache_total counter");
        let _ = writeln!(out, "pseudo_token_cache_total{{result=\"hit\"}} {}", cache.hits);
        let _ = writeln!(out, "pseudo_token_cache_total{{result=\"miss\"}} {}", cache.misses);
        let _ = writeln!(out, "# HELP pseudo_items_total Items processed by successful engine calls.");
        let _ = writeln!(out, "# TYPE pseudo_items_total counter");
        for (op, n) in &m.items {
            let _ = writeln!(out, "pseudo_items_total{{operation=\"{op}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP pseudo_requests_shed_total Requests the server refused itself.");
        let _ = writeln!(out, "# TYPE pseudo_requests_shed_total counter");
        for (reason, n) in &m.shed {
            let _ = writeln!(out, "pseudo_requests_shed_total{{reason=\"{reason}\"}} {n}");
        }
        out
    }
}

/// An [`AuditSink`] that forwards every event to `inner` (the registry) and counts it.
pub struct AuditTee {
    inner: Arc<dyn AuditSink>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for AuditTee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditTee").finish_non_exhaustive()
    }
}

impl AuditTee {
    /// Forwards to `inner`, counts in `metrics`.
    pub fn new(inner: Arc<dyn AuditSink>, metrics: Arc<Metrics>) -> Arc<Self> {
        Arc::new(AuditTee { inner, metrics })
    }
}

impl AuditSink for AuditTee {
    fn record(&self, event: &AuditEvent) {
        self.inner.record(event);
        self.metrics.observe_call(event);
        LAST_CALL.with(|c| *c.borrow_mut() = Some((event.jti.clone(), event.items)));
    }
}
