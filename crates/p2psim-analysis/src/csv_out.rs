//! The tables as CSV (long format: one row per cell), written to any writer as they are read: a
//! file of 10^7 rows is never held in memory.

use std::io::{self, Write};

use p2psim_services::Messages;

#[cfg(doc)]
use crate::per_message::MessageStats;
use crate::summary::Tables;

type Csv<'a> = csv::Writer<&'a mut dyn Write>;

fn writer(out: &mut dyn Write) -> Csv<'_> {
    csv::Writer::from_writer(out)
}

fn finish(mut w: Csv<'_>) -> io::Result<()> {
    w.flush()
}

fn ms(x: f64) -> String {
    format!("{x:.6}")
}

/// One record's fields, formatted into one buffer kept across records: the per-peer files have a
/// row per (message, peer) cell, 10^7 rows at a million peers, and allocating each field of each
/// row took most of their time.
#[derive(Default)]
struct Fields {
    text: String,
    ends: Vec<usize>,
}

impl Fields {
    /// Keeps the first `n` fields (those shared by a message's rows, say).
    fn keep(&mut self, n: usize) -> &mut Fields {
        self.ends.truncate(n);
        self.text.truncate(self.ends.last().copied().unwrap_or(0));
        self
    }

    fn push(&mut self, x: impl std::fmt::Display) -> &mut Fields {
        use std::fmt::Write as _;
        write!(self.text, "{x}").expect("writing to a String cannot fail");
        self.ends.push(self.text.len());
        self
    }

    fn push_ms(&mut self, x: Option<f64>) -> &mut Fields {
        match x {
            Some(x) => self.push(format_args!("{x:.6}")),
            None => self.push(""),
        }
    }

    fn write(&self, w: &mut Csv<'_>) -> io::Result<()> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        w.write_record(starts.zip(&self.ends).map(|(a, &b)| &self.text[a..b]))?;
        Ok(())
    }
}

/// `delays.csv`: message, producer, seq, peer, delay_ms (empty where never received).
pub fn delays_csv(out: &mut dyn Write, t: &Tables<'_>, messages: &Messages) -> io::Result<()> {
    let mut w = writer(out);
    w.write_record(["message", "producer", "seq", "produced_ms", "peer", "delay_ms"])?;
    let mut delays = Vec::new();
    for (row, &m) in t.cells.messages().iter().enumerate() {
        let id = messages.id(m);
        t.cells.row_into(row, &mut delays, |c| c.delay_ms());
        let mut rec = Fields::default();
        rec.push(id).push(id.producer.0).push(id.seq).push_ms(Some(messages.produced_at(m).as_millis_f64()));
        for (&p, &d) in t.cells.peers().iter().zip(&delays) {
            rec.keep(4).push(p.0).push_ms(d).write(&mut w)?;
        }
    }
    finish(w)
}

/// `messages.csv`: one row per message: its id, producer, sequence number and production time,
/// then its [`MessageStats`]: analysed peers that have it and that received it, mean and last
/// first-receipt delay, mean and farthest hops, copies received, relative message redundancy
/// (empty where undefined).
pub fn messages_csv(out: &mut dyn Write, t: &Tables<'_>, messages: &Messages) -> io::Result<()> {
    let mut w = writer(out);
    w.write_record([
        "message",
        "producer",
        "seq",
        "produced_ms",
        "reached",
        "receivers",
        "delay_mean_ms",
        "delay_last_ms",
        "hops_mean",
        "hops_last",
        "received",
        "rmr",
    ])?;
    let num = |x: f64| if x.is_finite() { format!("{x:.6}") } else { String::new() };
    for (s, &m) in t.per_message().iter().zip(t.cells.messages()) {
        let id = messages.id(m);
        w.write_record([
            id.to_string(),
            id.producer.0.to_string(),
            id.seq.to_string(),
            ms(messages.produced_at(m).as_millis_f64()),
            s.reached.to_string(),
            s.receivers.to_string(),
            num(s.delay_mean),
            num(s.delay_last),
            num(s.hops_mean),
            num(s.hops_last),
            s.received.to_string(),
            num(s.rmr),
        ])?;
    }
    finish(w)
}

/// `copies.csv`: message, peer, copies (0 where never received).
pub fn copies_csv(out: &mut dyn Write, t: &Tables<'_>, messages: &Messages) -> io::Result<()> {
    let mut w = writer(out);
    w.write_record(["message", "peer", "copies"])?;
    let mut copies = Vec::new();
    for (row, &m) in t.cells.messages().iter().enumerate() {
        t.cells.row_into(row, &mut copies, |c| c.copies);
        let mut rec = Fields::default();
        rec.push(messages.id(m));
        for (&p, &c) in t.cells.peers().iter().zip(&copies) {
            rec.keep(1).push(p.0).push(c.unwrap_or(0)).write(&mut w)?;
        }
    }
    finish(w)
}

/// `traffic.csv`: second, peer, bytes and messages received in that second.
pub fn traffic_csv(out: &mut dyn Write, t: &Tables<'_>) -> io::Result<()> {
    let mut w = writer(out);
    w.write_record(["second", "peer", "bytes_in", "msgs_in"])?;
    let mut rec = Fields::default();
    for s in 0..t.traffic.seconds() {
        rec.keep(0).push(s);
        for (col, p) in t.traffic.peers().iter().enumerate() {
            let x = t.traffic.at(s, col);
            rec.keep(1).push(p.0).push(x.bytes_in).push(x.msgs_in).write(&mut w)?;
        }
    }
    finish(w)
}

/// `traffic-per-second.csv`: per second, the median, mean and standard deviation over peers of the
/// bytes and messages each received in that second (what the bandwidth and message-count plots
/// show), without a row per peer. `bytes` and `msgs` are [`Series::per_second`](crate::Series::per_second) of the
/// traffic table's bytes and messages.
pub fn traffic_per_second_csv(
    out: &mut dyn Write,
    bytes: &[(f64, f64, f64)],
    msgs: &[(f64, f64, f64)],
) -> io::Result<()> {
    let mut w = writer(out);
    w.write_record([
        "second",
        "bytes_in_median",
        "bytes_in_mean",
        "bytes_in_sd",
        "msgs_in_median",
        "msgs_in_mean",
        "msgs_in_sd",
    ])?;
    for (s, (b, m)) in bytes.iter().zip(msgs).enumerate() {
        w.write_record([s.to_string(), ms(b.0), ms(b.1), ms(b.2), ms(m.0), ms(m.1), ms(m.2)])?;
    }
    finish(w)
}

/// `convergence.csv`: per message, ms to reach 50, 90, 99 and 100 % of the peers
/// ([`crate::CONVERGENCE_FRACTIONS`]).
pub fn convergence_csv(out: &mut dyn Write, t: &Tables<'_>, messages: &Messages) -> io::Result<()> {
    let mut w = writer(out);
    w.write_record(["message", "p50_ms", "p90_ms", "p99_ms", "p100_ms"])?;
    for (times, &m) in t.scan.convergence.iter().zip(t.cells.messages()) {
        let mut rec = vec![messages.id(m).to_string()];
        rec.extend(times.iter().map(|c| c.map(ms).unwrap_or_default()));
        w.write_record(rec)?;
    }
    finish(w)
}
