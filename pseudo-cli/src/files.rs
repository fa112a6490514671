//! `pseudo psn` / `pseudo rev` on files: CSV or JSON Lines streamed in bounded batches.
//!
//! Three stages run at once: a reader thread parses records into batches of at most
//! `batch_cells` values, the calling thread runs each batch through the engine (which spreads a
//! batch over every core), and a writer thread writes the records back. The channels between them
//! hold two batches each, so memory stays bounded whatever the file's size. Empty cells (and JSON
//! `null`) are not sent to the engine and stay empty. A value that fails is reported on stderr with
//! its file line and column, written empty, and makes the command exit with status 5.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pseudo_core::{BatchMode, Engine, Error, ErrorKind, Operation, Result, Timestamp};
use serde_json::Value;

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row (RFC 4180).
    Csv,
    /// One JSON object per line (or one JSON string per line when no column is named).
    Jsonl,
}

/// What to transform, from where, to where.
#[derive(Debug)]
pub struct Job {
    /// `psn`/`sec` (pseudonymise) or `rev` (reverse).
    pub operation: Operation,
    /// The operation token's text.
    pub token: String,
    /// Columns (CSV header names or JSON keys); empty: every column (CSV) or the line itself (JSONL).
    pub columns: Vec<String>,
    /// Input file; `None`: stdin.
    pub input: Option<PathBuf>,
    /// Output file; `None`: stdout.
    pub output: Option<PathBuf>,
    /// The format of both.
    pub format: Format,
    /// Values per engine call.
    pub batch_cells: usize,
}

/// What a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Records written.
    pub records: u64,
    /// Values transformed.
    pub values: u64,
    /// Values that failed (written empty, reported on stderr).
    pub failed: u64,
}

/// One record as read: CSV fields or a JSON line.
enum Record {
    Csv(csv::StringRecord),
    Json(Value),
}

/// A batch: its records, the values to transform, and where each value goes.
struct Batch {
    records: Vec<(u64, Record)>,
    values: Vec<String>,
    /// For each value: (record index in the batch, cell index).
    slots: Vec<(usize, usize)>,
    bytes_read: u64,
}

enum Header {
    Csv(csv::StringRecord),
    None,
}

fn io_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Io, format!("{what}: {e}"))
}

fn open_input(input: &Option<PathBuf>) -> Result<(Box<dyn Read + Send>, Option<u64>)> {
    match input {
        Some(p) => {
            let f = File::open(p).map_err(|e| io_error(&format!("cannot open {}", p.display()), e.kind()))?;
            let len = f.metadata().ok().map(|m| m.len());
            Ok((Box::new(f), len))
        }
        None => Ok((Box::new(io::stdin()), None)),
    }
}

fn open_output(output: &Option<PathBuf>) -> Result<Box<dyn Write + Send>> {
    match output {
        Some(p) => {
            Ok(Box::new(File::create(p).map_err(|e| io_error(&format!("cannot create {}", p.display()), e.kind()))?))
        }
        None => Ok(Box::new(io::stdout())),
    }
}

fn progress(total: Option<u64>) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    match total {
        Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    }
}

/// Counts bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// File lines of byte offsets, for CSV records: the csv crate's own line numbers skip blank
/// lines. Newline offsets are noted as bytes are read and dropped as records pass them, so only
/// the read-ahead buffer's newlines are held.
#[derive(Default)]
struct LineIndex {
    passed: u64,
    /// Offsets of `\n` not yet passed, each with whether a `\r` came just before it.
    pending: std::collections::VecDeque<(u64, bool)>,
    offset: u64,
    last_cr: bool,
}

impl LineIndex {
    /// The 1-based line where the record whose position is `byte` starts (offsets only grow).
    /// The csv crate places a record right after the previous terminator, so blank lines
    /// between records are stepped over here.
    fn line_of(&mut self, mut byte: u64) -> u64 {
        while let Some(&(nl, cr)) = self.pending.front() {
            let blank = nl == byte || (cr && nl == byte + 1);
            if nl < byte || blank {
                self.pending.pop_front();
                self.passed += 1;
                if blank {
                    byte = nl + 1;
                }
            } else {
                break;
            }
        }
        self.passed + 1
    }
}

struct Lines<R> {
    inner: R,
    index: std::rc::Rc<std::cell::RefCell<LineIndex>>,
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut ix = self.index.borrow_mut();
        let base = ix.offset;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' {
                let cr = ix.last_cr;
                ix.pending.push_back((base + i as u64, cr));
            }
            ix.last_cr = b == b'\r';
        }
        ix.offset += n as u64;
        Ok(n)
    }
}

/// Reads CSV records into batches; sends the header first.
fn read_csv(
    input: impl Read,
    columns: &[String],
    batch_cells: usize,
    count: &std::sync::atomic::AtomicU64,
    header_tx: SyncSender<Result<Header>>,
    tx: SyncSender<Result<Batch>>,
) {
    let index = std::rc::Rc::new(std::cell::RefCell::new(LineIndex::default()));
    let input = Lines { inner: input, index: index.clone() };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(input);
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            let _ = header_tx.send(Err(Error::new(ErrorKind::BadRequest, format!("CSV header: {e}"))));
            return;
        }
    };
    let picked: Vec<usize> = if columns.is_empty() {
        (0..header.len()).collect()
    } else {
        let mut v = Vec::new();
        for c in columns {
            match header.iter().position(|h| h == c) {
                Some(i) => v.push(i),
                None => {
                    let _ = header_tx
                        .send(Err(Error::new(ErrorKind::InvalidInput, format!("no column {c:?} in the header"))));
                    return;
                }
            }
        }
        v
    };
    if header_tx.send(Ok(Header::Csv(header))).is_err() {
        return;
    }
    let mut batch = new_batch();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = index.borrow_mut().line_of(record.position().map_or(0, |p| p.byte()));
                let r = batch.records.len();
                for &c in &picked {
                    if let Some(v) = record.get(c).filter(|v| !v.is_empty()) {
                        batch.values.push(v.to_owned());
                        batch.slots.push((r, c));
                    }
                }
                batch.records.push((line, Record::Csv(record.clone())));
                if batch.values.len() >= batch_cells || batch.records.len() >= batch_cells {
                    batch.bytes_read = count.load(std::sync::atomic::Ordering::Relaxed);
                    if tx.send(Ok(std::mem::replace(&mut batch, new_batch()))).is_err() {
                        return;
                    }
                }
            }
            Err(e) => {
                let line = match e.position() {
                    Some(p) => index.borrow_mut().line_of(p.byte()).to_string(),
                    None => "?".to_owned(),
                };
                let _ = tx.send(Err(Error::new(ErrorKind::BadRequest, format!("line {line}: bad CSV: {e}"))));
                return;
            }
        }
    }
    batch.bytes_read = count.load(std::sync::atomic::Ordering::Relaxed);
    if !batch.records.is_empty() {
        let _ = tx.send(Ok(batch));
    }
}

fn new_batch() -> Batch {
    Batch { records: Vec::new(), values: Vec::new(), slots: Vec::new(), bytes_read: 0 }
}

/// Reads JSON lines into batches.
fn read_jsonl(
    input: impl Read,
    columns: &[String],
    batch_cells: usize,
    count: &std::sync::atomic::AtomicU64,
    tx: SyncSender<Result<Batch>>,
) {
    let mut batch = new_batch();
    let mut text = String::new();
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let mut line_no = 0u64;
    loop {
        text.clear();
        match reader.read_line(&mut text) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let _ = tx.send(Err(io_error(&format!("line {}", line_no + 1), e.kind())));
                return;
            }
        }
        line_no += 1;
        let trimmed = text.trim_end_matches(['\n', '\r']);
        if trimmed.trim().is_empty() {
            continue;
        }
        let value: Value = match serde_json::from_str(trimmed) {
            Ok(v) => v,
            Err(e) => {
                let _ = tx.send(Err(Error::new(ErrorKind::BadRequest, format!("line {line_no}: bad JSON: {e}"))));
                return;
            }
        };
        let r = batch.records.len();
        let bad = |what: &str| Error::new(ErrorKind::BadRequest, format!("line {line_no}: {what}"));
        if columns.is_empty() {
            match &value {
                Value::String(s) if !s.is_empty() => {
                    batch.values.push(s.clone());
                    batch.slots.push((r, 0));
                }
                Value::String(_) | Value::Null => {}
                _ => {
                    let _ = tx.send(Err(bad("without --column, every line is a JSON string")));
                    return;
                }
            }
        } else {
            let Value::Object(map) = &value else {
                let _ = tx.send(Err(bad("with --column, every line is a JSON object")));
                return;
            };
            for (c, name) in columns.iter().enumerate() {
                match map.get(name) {
                    Some(Value::String(s)) if !s.is_empty() => {
                        batch.values.push(s.clone());
                        batch.slots.push((r, c));
                    }
                    None | Some(Value::Null) | Some(Value::String(_)) => {}
                    Some(_) => {
                        let _ = tx.send(Err(bad(&format!("{name:?} is not a string"))));
                        return;
                    }
                }
            }
        }
        batch.records.push((line_no, Record::Json(value)));
        if batch.values.len() >= batch_cells || batch.records.len() >= batch_cells {
            batch.bytes_read = count.load(std::sync::atomic::Ordering::Relaxed);
            if tx.send(Ok(std::mem::replace(&mut batch, new_batch()))).is_err() {
                return;
            }
        }
    }
    batch.bytes_read = count.load(std::sync::atomic::Ordering::Relaxed);
    if !batch.records.is_empty() {
        let _ = tx.send(Ok(batch));
    }
}

/// Writes transformed batches; returns records written.
fn write_all(out: Box<dyn Write + Send>, header: Header, format: Format, rx: Receiver<Batch>) -> Result<u64> {
    let wr = |e: &dyn std::fmt::Display| io_error("cannot write the output", e);
    let mut records = 0u64;
    match format {
        Format::Csv => {
            let mut w = csv::WriterBuilder::new().from_writer(out);
            if let Header::Csv(h) = header {
                w.write_record(&h).map_err(|e| wr(&e))?;
            }
            for batch in rx {
                for (_, r) in &batch.records {
                    if let Record::Csv(r) = r {
                        w.write_record(r).map_err(|e| wr(&e))?;
                        records += 1;
                    }
                }
            }
            w.flush().map_err(|e| wr(&e))?;
        }
        Format::Jsonl => {
            let mut w = BufWriter::with_capacity(1 << 16, out);
            for batch in rx {
                for (_, r) in &batch.records {
                    if let Record::Json(v) = r {
                        serde_json::to_writer(&mut w, v).map_err(|e| wr(&e))?;
                        w.write_all(b"\n").map_err(|e| wr(&e))?;
                        records += 1;
                    }
                }
            }
            w.flush().map_err(|e| wr(&e))?;
        }
    }
    Ok(records)
}

/// Puts the engine's results back into the batch's records; failures are written empty and
/// reported with their line. Slots come record by record, so each CSV record is rebuilt once,
/// straight from the engine's output.
fn fill(
    batch: &mut Batch,
    out: &pseudo_core::BatchOutput,
    columns: &[String],
    header: Option<&csv::StringRecord>,
) -> u64 {
    let mut failed = 0;
    let mut i = 0;
    let mut cells: Vec<(usize, &str)> = Vec::new();
    while i < batch.slots.len() {
        let r = batch.slots[i].0;
        cells.clear();
        while i < batch.slots.len() && batch.slots[i].0 == r {
            let c = batch.slots[i].1;
            let text = match out.get(i) {
                Some(Ok(s)) => s,
                Some(Err(code)) => {
                    failed += 1;
                    let column = match (&batch.records[r].1, header) {
                        (Record::Csv(_), Some(h)) => h.get(c).unwrap_or("?").to_owned(),
                        _ => columns.get(c).cloned().unwrap_or_else(|| "value".to_owned()),
                    };
                    eprintln!("pseudo: line {}, column {column:?}: {code}", batch.records[r].0);
                    ""
                }
                None => "",
            };
            cells.push((c, text));
            i += 1;
        }
        match &mut batch.records[r].1 {
            Record::Csv(rec) => {
                let mut new = csv::StringRecord::with_capacity(rec.as_slice().len() + 64 * cells.len(), rec.len());
                for (c, field) in rec.iter().enumerate() {
                    new.push_field(cells.iter().find(|(k, _)| *k == c).map_or(field, |(_, t)| t));
                }
                *rec = new;
            }
            Record::Json(v) => {
                for &(c, text) in &cells {
                    if columns.is_empty() {
                        *v = Value::String(text.to_owned());
                    } else if let Value::Object(m) = v {
                        m.insert(columns[c].clone(), Value::String(text.to_owned()));
                    }
                }
            }
        }
    }
    failed
}

/// Runs `job` on `engine`.
pub fn run(engine: &Engine, job: Job) -> Result<Summary> {
    // One verification up front: a bad token fails before any output is written.
    engine.check_token(job.operation, &job.token, Timestamp::now())?;
    let (input, total) = open_input(&job.input)?;
    let output = open_output(&job.output)?;
    let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let input = Counting { inner: BufReader::with_capacity(1 << 16, input), count: count.clone() };
    let (header_tx, header_rx) = sync_channel::<Result<Header>>(1);
    let (batch_tx, batch_rx) = sync_channel::<Result<Batch>>(2);
    let (done_tx, done_rx) = sync_channel::<Batch>(2);
    let columns = job.columns.clone();
    let batch_cells = job.batch_cells.max(1);
    let format = job.format;
    let reader = thread::spawn(move || match format {
        Format::Csv => read_csv(input, &columns, batch_cells, &count, header_tx, batch_tx),
        Format::Jsonl => {
            drop(header_tx);
            read_jsonl(input, &columns, batch_cells, &count, batch_tx)
        }
    });
    let header = match format {
        Format::Csv => match header_rx.recv() {
            Ok(h) => h?,
            Err(_) => Header::None,
        },
        Format::Jsonl => Header::None,
    };
    let csv_header = match &header {
        Header::Csv(h) => Some(h.clone()),
        Header::None => None,
    };
    let writer = thread::spawn(move || write_all(output, header, format, done_rx));
    let pb = progress(total);
    let mut summary = Summary::default();
    let mut failure: Option<Error> = None;
    for batch in batch_rx {
        let mut batch = match batch {
            Ok(b) => b,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        if !batch.values.is_empty() {
            let out = match engine.call(job.operation, &job.token, &batch.values, BatchMode::PerItem, Timestamp::now())
            {
                Ok(o) => o,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            summary.failed += fill(&mut batch, &out, &job.columns, csv_header.as_ref());
            summary.values += batch.values.len() as u64;
        }
        batch.values = Vec::new();
        batch.slots = Vec::new();
        pb.set_position(batch.bytes_read);
        if done_tx.send(batch).is_err() {
            break;
        }
    }
    drop(done_tx);
    pb.finish_and_clear();
    let _ = reader.join();
    let written = writer.join().map_err(|_| Error::new(ErrorKind::Internal, "the writer thread failed"))?;
    if let Some(e) = failure {
        return Err(e);
    }
    summary.records = written?;
    Ok(summary)
}
