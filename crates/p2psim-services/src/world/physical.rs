//! Peer types as experiment files describe them: where their peers are, their bandwidths, their
//! services; and the draws that give each peer its own location and bandwidths.

use p2psim_kernel::{ConfigError, Dist, Param, Seed, StreamKey};
use p2psim_net::{Locations, PeerSpec};
use serde::{Deserialize, Serialize};

use crate::protocols::ServiceSpec;

/// Where the peers of a type are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum LocationChoice {
    /// All at this location.
    Fixed(String),
    /// Each peer draws one (P2PSimpy's `Dist('sample', locations)`), uniformly or with weights.
    Sample {
        /// The locations.
        values: Vec<String>,
        /// Their weights (default: equal).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weights: Option<Vec<f64>>,
    },
    /// Peer number i of the type is at `values[i % len]`: an exact even spread.
    Cycle(Vec<String>),
}

impl LocationChoice {
    /// The locations named.
    pub fn names(&self) -> &[String] {
        match self {
            LocationChoice::Fixed(n) => std::slice::from_ref(n),
            LocationChoice::Sample { values, .. } | LocationChoice::Cycle(values) => values,
        }
    }
}

/// The physical description of a type's peers. Bandwidths are in bytes per second (P2PSimpy's
/// `MBit` is 131,072); a `Dist` is drawn once per peer, as P2PSimpy's `Config.get()` does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Physical {
    /// Location.
    pub location: LocationChoice,
    /// Upload bandwidth.
    pub upload: Param,
    /// Download bandwidth.
    pub download: Param,
}

impl Physical {
    /// Checks the description against the location table: names that exist, weights that make a
    /// distribution, bandwidths that are positive (a distribution's draws nearly always: a peer
    /// whose draw is not positive draws again).
    pub fn check(&self, locations: &Locations) -> Result<(), ConfigError> {
        let names = self.location.names();
        if names.is_empty() {
            return Err(ConfigError::field("location", "lists no location"));
        }
        for n in names {
            if locations.id(n).is_none() {
                return Err(ConfigError::field(
                    "location",
                    format!("unknown location `{n}` (locations: {})", locations.names().join(", ")),
                ));
            }
        }
        if let LocationChoice::Sample { values, weights: Some(w) } = &self.location {
            Dist::sample((0..values.len()).map(|i| i as f64).collect(), Some(w.clone()))
                .map_err(|e| ConfigError::field("weights", e.to_string()).at("location"))?;
        }
        let rule = "a bandwidth in bytes per second, more than 0 (inf: unlimited)";
        self.upload.check("upload", rule, |b| b > 0.0)?;
        self.download.check("download", rule, |b| b > 0.0)
    }
}

/// A peer type: a name, its peers' physical description, and its services, each with a name
/// unique within the type.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerTypeSpec {
    /// The type's name (`peer`, `client`, …).
    pub name: String,
    /// Location and bandwidths of its peers.
    pub physical: Physical,
    /// The services, in order.
    pub services: Vec<(String, ServiceSpec)>,
}

/// Draws every peer's location and bandwidths from its type's description, each peer from a
/// stream of its own. The descriptions are checked ([`Physical::check`]).
pub(crate) fn draw_peers(
    seed: Seed,
    locations: &Locations,
    types: &[PeerTypeSpec],
    peer_type: &[u16],
) -> Vec<PeerSpec> {
    let choices: Vec<(Vec<p2psim_net::LocationId>, Option<Dist>)> = types
        .iter()
        .map(|t| {
            let ids = t.physical.location.names().iter().map(|n| locations.id(n).expect("checked")).collect::<Vec<_>>();
            let weights = match &t.physical.location {
                LocationChoice::Sample { weights: Some(w), .. } => {
                    let values = (0..ids.len()).map(|i| i as f64).collect();
                    Some(Dist::sample(values, Some(w.clone())).expect("checked"))
                }
                _ => None,
            };
            (ids, weights)
        })
        .collect();
    let mut position = vec![0usize; types.len()];
    let mut out = Vec::with_capacity(peer_type.len());
    for (p, &ti) in peer_type.iter().enumerate() {
        let t = &types[ti as usize];
        let mut rng = seed.stream(StreamKey::new("physical").with(p as u64));
        let (ids, weights) = &choices[ti as usize];
        let location = match (&t.physical.location, weights) {
            (LocationChoice::Cycle(_), _) => ids[position[ti as usize] % ids.len()],
            (_, Some(w)) => ids[w.draw(&mut rng) as usize],
            _ => ids[rand::RngExt::random_range(&mut rng, 0..ids.len())],
        };
        position[ti as usize] += 1;
        // A drawn bandwidth that is not positive is drawn again (a normal's tail reaches below zero
        // about once in 3 million peers for N(50 MBit, 10 MBit)); P2PSimpy would crash on it. The
        // check made sure draws are positive at least 99 times in 100, so 1000 redraws all failing
        // has probability below 10^-2000; the last resort keeps building infallible.
        let mut bandwidth = |param: &Param| -> f64 {
            for _ in 0..1000 {
                let b = param.resolve(&mut rng).get(&mut rng);
                if b > 0.0 {
                    return b;
                }
            }
            f64::MIN_POSITIVE
        };
        let upload = bandwidth(&t.physical.upload);
        let download = bandwidth(&t.physical.download);
        out.push(PeerSpec { location, upload, download });
    }
    out
}
