//! Below the services: two peers playing ping-pong on the kernel and the network model alone,
//! without the p2psim facade. This is the level to start from for a model that is not a
//! peer-to-peer protocol at all (a different message path, another kind of node).
//!
//! Peer 0 is in Ohio, peer 1 in Tokyo, both with 1 MB/s links; peer 0 sends a 1000-byte `Ping`,
//! peer 1 answers with a 100-byte `Pong`, ten times. Each round trip is the upload of both
//! messages (1 ms + 0.1 ms), their downloads (the same), and two one-way latencies drawn from
//! the AWS table's Ohio–Tokyo distribution (half a round-trip draw each).
//!
//! ```text
//! cargo run --release -p examples --example ping_pong
//! ```

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use p2psim_kernel::{EventQueue, Kernel, Model, Seed, SimTime};
use p2psim_net::{Locations, NetConfig, NetEvent, Network, Payload, PeerId, PeerSpec};

/// The two messages.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Msg {
    Ping(u32),
    Pong(u32),
}

impl Payload for Msg {
    fn size(&self) -> u32 {
        match self {
            Msg::Ping(_) => 1000,
            Msg::Pong(_) => 100,
        }
    }
}

/// The model: the network and what the players remember.
struct Game {
    net: Network<Msg>,
    rounds: u32,
    sent_at: SimTime,
    round_trips_ms: Vec<f64>,
}

const PINGER: PeerId = PeerId(0);
const PONGER: PeerId = PeerId(1);

impl Model<NetEvent<Msg>> for Game {
    fn handle<Q: EventQueue<NetEvent<Msg>>>(&mut self, k: &mut Kernel<NetEvent<Msg>, Q>, ev: NetEvent<Msg>) {
        // The network turns its own events into deliveries; `()` admits every message at once.
        let Some(d) = self.net.handle(k, ev, &mut ()) else { return };
        match d.msg {
            Msg::Ping(i) => {
                self.net.send(k, PONGER, PINGER, Msg::Pong(i)).expect("the link stays up");
            }
            Msg::Pong(i) => {
                self.round_trips_ms.push((k.now() - self.sent_at).as_millis_f64());
                if i + 1 < self.rounds {
                    self.sent_at = k.now();
                    self.net.send(k, PINGER, PONGER, Msg::Ping(i + 1)).expect("the link stays up");
                }
            }
        }
    }

    /// Each event is one peer's: the one who receives. What it sends is ordered, and drawn, as its own.
    fn actor(&self, ev: &NetEvent<Msg>) -> u32 {
        ev.peer().0
    }
}

/// Plays `rounds` rounds with `seed`; returns each round trip in ms.
fn play(seed: u64, rounds: u32) -> Vec<f64> {
    let locations = Locations::aws();
    let at = |name| PeerSpec { location: locations.id(name).expect("an AWS location"), upload: 1e6, download: 1e6 };
    let peers = [at("Ohio"), at("Tokyo")];
    let net = Network::new(Seed(seed), locations.clone(), &peers, NetConfig::default()).expect("valid peers");
    let mut game = Game { net, rounds, sent_at: SimTime::ZERO, round_trips_ms: Vec::new() };
    let mut k = Kernel::new();
    k.declare_actors(2);
    game.net.connect(PINGER, PONGER, SimTime::ZERO);
    game.net.send(&mut k, PINGER, PONGER, Msg::Ping(0)).expect("the link is up");
    k.run_until(SimTime::from_millis(60_000), &mut game).expect("the kernel never fails here");
    game.round_trips_ms
}

fn main() {
    let round_trips = play(42, 10);
    for (i, rtt) in round_trips.iter().enumerate() {
        println!("round {i}: {rtt:.3} ms");
    }
    let mean = round_trips.iter().sum::<f64>() / round_trips.len() as f64;
    println!("mean round trip {mean:.3} ms over {} rounds", round_trips.len());
}

#[cfg(test)]
mod tests {
    use p2psim_net::Delay;

    use super::*;

    #[test]
    fn every_round_trip_is_transmission_plus_two_latency_draws() {
        let rtts = play(7, 200);
        assert_eq!(rtts.len(), 200);
        // Transmission: 1000 B and 100 B, each uploaded and downloaded at 1e6 B/s.
        let transmission = 2.0 * (1000.0 + 100.0) / 1e6 * 1000.0;
        let locations = Locations::aws();
        let (ohio, tokyo) = (locations.id("Ohio").unwrap(), locations.id("Tokyo").unwrap());
        let mean_rtt = match locations.delay(ohio, tokyo) {
            Delay::Const(v) => *v,
            Delay::Dist(d) => d.mean().expect("the AWS table's distributions have means"),
        };
        // Two half draws of the round-trip distribution: mean rtt in all, plus transmission. The
        // tolerance is five standard errors of the mean of 200 round trips.
        let mean = rtts.iter().sum::<f64>() / 200.0;
        let var = rtts.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 199.0;
        let tolerance = 5.0 * (var / 200.0).sqrt();
        assert!(
            (mean - (mean_rtt + transmission)).abs() < tolerance,
            "mean {mean} vs {} ± {tolerance}",
            mean_rtt + transmission
        );
        assert!(rtts.iter().all(|&x| x > transmission));
        assert_eq!(play(7, 200), rtts, "the same seed plays the same game");
    }
}
