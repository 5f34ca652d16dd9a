//! The tables as CSV text (long format: one row per cell).

use p2psim_services::Messages;

use crate::per_message::MessageStats;
use crate::summary::Tables;
#[cfg(doc)]
use crate::traffic::TrafficTable;

fn writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

fn finish(w: csv::Writer<Vec<u8>>) -> String {
    String::from_utf8(w.into_inner().expect("writing to memory cannot fail")).expect("CSV of ASCII is UTF-8")
}

fn ms(x: f64) -> String {
    format!("{x:.6}")
}

/// `delays.csv`: message, producer, seq, peer, delay_ms (empty where never received).
pub fn delays_csv(t: &Tables, messages: &Messages) -> String {
    let mut w = writer();
    w.write_record(["message", "producer", "seq", "produced_ms", "peer", "delay_ms"]).expect("memory");
    for (row, &m) in t.delays.messages.iter().enumerate() {
        let id = messages.id(m);
        for (col, &p) in t.delays.peers.iter().enumerate() {
            let d = t.delays.cells[row][col].map(ms).unwrap_or_default();
            w.write_record([
                id.to_string(),
                id.producer.0.to_string(),
                id.seq.to_string(),
                ms(messages.produced_at(m).as_millis_f64()),
                p.0.to_string(),
                d,
            ])
            .expect("memory");
        }
    }
    finish(w)
}

/// `messages.csv`: one row per message: its id, producer, sequence number and production time,
/// then its [`MessageStats`]: analysed peers that have it and that received it, mean and last
/// first-receipt delay, mean and farthest hops, copies received, relative message redundancy
/// (empty where undefined).
pub fn messages_csv(stats: &[MessageStats], t: &Tables, messages: &Messages) -> String {
    let mut w = writer();
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
    ])
    .expect("memory");
    let num = |x: f64| if x.is_finite() { format!("{x:.6}") } else { String::new() };
    for (s, &m) in stats.iter().zip(&t.delays.messages) {
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
        ])
        .expect("memory");
    }
    finish(w)
}

/// `copies.csv`: message, peer, copies (0 where never received).
pub fn copies_csv(t: &Tables, messages: &Messages) -> String {
    let mut w = writer();
    w.write_record(["message", "peer", "copies"]).expect("memory");
    for (row, &m) in t.copies.messages.iter().enumerate() {
        for (col, &p) in t.copies.peers.iter().enumerate() {
            let c = t.copies.cells[row][col].unwrap_or(0);
            w.write_record([messages.id(m).to_string(), p.0.to_string(), c.to_string()]).expect("memory");
        }
    }
    finish(w)
}

/// `traffic.csv`: second, peer, bytes and messages received in that second.
pub fn traffic_csv(t: &Tables) -> String {
    let mut w = writer();
    w.write_record(["second", "peer", "bytes_in", "msgs_in"]).expect("memory");
    for (s, (b, m)) in t.traffic.bytes.iter().zip(&t.traffic.msgs).enumerate() {
        for (col, p) in t.traffic.peers.iter().enumerate() {
            w.write_record([s.to_string(), p.0.to_string(), b[col].to_string(), m[col].to_string()]).expect("memory");
        }
    }
    finish(w)
}

/// `traffic-per-second.csv`: per second, the median, mean and standard deviation over peers of the
/// bytes and messages each received in that second (what the bandwidth and message-count plots
/// show), without a row per peer. `bytes` and `msgs` are [`TrafficTable::per_second`] of the
/// traffic table's bytes and messages.
pub fn traffic_per_second_csv(bytes: &[(f64, f64, f64)], msgs: &[(f64, f64, f64)]) -> String {
    let mut w = writer();
    w.write_record([
        "second",
        "bytes_in_median",
        "bytes_in_mean",
        "bytes_in_sd",
        "msgs_in_median",
        "msgs_in_mean",
        "msgs_in_sd",
    ])
    .expect("memory");
    for (s, (b, m)) in bytes.iter().zip(msgs).enumerate() {
        w.write_record([s.to_string(), ms(b.0), ms(b.1), ms(b.2), ms(m.0), ms(m.1), ms(m.2)]).expect("memory");
    }
    finish(w)
}

/// `convergence.csv`: per message, ms to reach 50, 90, 99 and 100 % of the peers.
pub fn convergence_csv(t: &Tables, messages: &Messages) -> String {
    let fractions = [0.5, 0.9, 0.99, 1.0];
    let cols: Vec<Vec<Option<f64>>> =
        fractions.iter().map(|&f| crate::tables::time_to_fraction(&t.delays, f)).collect();
    let mut w = writer();
    w.write_record(["message", "p50_ms", "p90_ms", "p99_ms", "p100_ms"]).expect("memory");
    for (row, &m) in t.delays.messages.iter().enumerate() {
        let mut rec = vec![messages.id(m).to_string()];
        rec.extend(cols.iter().map(|c| c[row].map(ms).unwrap_or_default()));
        w.write_record(rec).expect("memory");
    }
    finish(w)
}
