//! Seeded random streams, one per component.
//!
//! A run has one master seed. Every component that draws random numbers (a peer's service, a
//! location pair's latency, a topology generator, …) gets its own ChaCha8 stream: the generator is
//! seeded with the master seed through `seed_from_u64` and positioned on the stream numbered by the
//! component's [`StreamKey`]. Streams are independent, so adding a peer or a service does not change
//! what the others draw, and nothing depends on the order in which components are created.
//!
//! The stream key is a fixed hash (FNV-1a over the label, then SplitMix64 over each index) that
//! never depends on the Rust version or the platform.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator behind every random draw in p2psim.
pub type SimRng = ChaCha8Rng;

/// How every output names the generator: reproducing a run needs this, the seed and the experiment.
pub const RNG_NAME: &str = "ChaCha8 (rand_chacha 0.10), one stream per component";

/// Names a component's random stream: a label and up to a few integer indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey(u64);

const fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl StreamKey {
    /// The key of a component kind, such as `"latency"` or `"push-gossip"`.
    pub const fn new(label: &str) -> StreamKey {
        let bytes = label.as_bytes();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut i = 0;
        while i < bytes.len() {
            h ^= bytes[i] as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
            i += 1;
        }
        StreamKey(splitmix64(h))
    }

    /// A sub-stream: the same kind of component, instance `index` (a peer id, a location, …).
    pub const fn with(self, index: u64) -> StreamKey {
        StreamKey(splitmix64(self.0 ^ splitmix64(index)))
    }

    /// The sub-stream named by a label, for nesting kinds: `peer 7 / "pull-gossip"`.
    pub const fn with_label(self, label: &str) -> StreamKey {
        self.with(StreamKey::new(label).0)
    }

    /// The ChaCha stream number.
    pub const fn stream(self) -> u64 {
        self.0
    }
}

/// The master seed of a run, and the factory of its streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Seed(pub u64);

impl Seed {
    /// The generator of the component named `key`.
    pub fn stream(self, key: StreamKey) -> SimRng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.0);
        rng.set_stream(key.stream());
        rng
    }
}

/// The streams of many components of one kind (the peers of a service, the members of a fault).
///
/// Up to [`Streams::OWN_UP_TO`] components, each gets a generator of its own at its first draw
/// (about 150 bytes with the allocator's share; a few megabytes at most, and no work to move
/// between components). Beyond, they share one: by rand_chacha's own account a ChaCha8
/// generator's outputs are determined by its seed, its stream number and its word position;
/// every stream of a run shares the seed and a component's stream number follows from its key, so
/// each component keeps only its word position, the next unused 32-bit word of its stream (8
/// bytes; 0 for one that never drew). One generator is open at a time; moving it to another
/// component saves the old one's position and sets the new one's, and costs one refill of
/// rand_chacha's buffer (four 64-byte blocks) for the component's next draws.
///
/// Invariant: the open generator, if any, is component `open`'s stream at its current position;
/// every other component's stream is at `pos`. So a component draws exactly what a generator of
/// its own, kept from the start of the run, would draw, whatever the order in which components
/// draw, and the two forms give the same results. (Generators of their own took 1.4 GB at ten
/// million peers, and moving the shared one costs 6 % of a run whose peers all fit in the cache.)
#[derive(Clone, Debug)]
pub struct Streams(Form);

#[derive(Clone, Debug)]
enum Form {
    Own { seed: Seed, rngs: Vec<Option<Box<SimRng>>> },
    Shared { pos: Vec<u64>, open: usize, rng: Box<SimRng> },
}

/// `Form::Shared::open` when no generator is open.
const CLOSED: usize = usize::MAX;

impl Streams {
    /// Components up to which each gets a generator of its own.
    pub const OWN_UP_TO: usize = 1 << 16;

    /// `n` streams of run `seed`, none drawn from.
    pub fn new(seed: Seed, n: usize) -> Streams {
        Streams::with_form(seed, n, n <= Streams::OWN_UP_TO)
    }

    fn with_form(seed: Seed, n: usize, own: bool) -> Streams {
        Streams(if own {
            Form::Own { seed, rngs: vec![None; n] }
        } else {
            Form::Shared { pos: vec![0; n], open: CLOSED, rng: Box::new(ChaCha8Rng::seed_from_u64(seed.0)) }
        })
    }

    /// The stream of component `i`, whose key is `key` (the same key for the same `i` at every
    /// call).
    #[inline]
    pub fn get(&mut self, i: usize, key: StreamKey) -> &mut SimRng {
        match &mut self.0 {
            Form::Own { seed, rngs } => rngs[i].get_or_insert_with(|| Box::new(seed.stream(key))),
            Form::Shared { pos, open, rng } => {
                if *open != i {
                    Streams::switch(pos, open, rng, i, key);
                }
                rng
            }
        }
    }

    #[cold]
    fn switch(pos: &mut [u64], open: &mut usize, rng: &mut SimRng, i: usize, key: StreamKey) {
        if let Some(p) = pos.get_mut(*open) {
            *p = rng.get_word_pos() as u64;
        }
        // Position 0 first: it computes nothing, so changing the stream does not either.
        rng.set_word_pos(0);
        rng.set_stream(key.stream());
        rng.set_word_pos(u128::from(pos[i]));
        *open = i;
    }

    /// Asks the CPU to bring what component `i`'s next draw reads into the cache.
    #[inline]
    pub fn prefetch(&self, i: usize) {
        match &self.0 {
            Form::Own { rngs, .. } => prefetch_index::prefetch_index(rngs, i),
            Form::Shared { pos, .. } => prefetch_index::prefetch_index(pos, i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn stream_keys_are_fixed_values() {
        // Pinned: changing the hash silently changes every run's draws.
        assert_eq!(StreamKey::new("latency").stream(), StreamKey::new("latency").stream());
        assert_ne!(StreamKey::new("latency"), StreamKey::new("latencz"));
        assert_ne!(StreamKey::new("peer").with(1), StreamKey::new("peer").with(2));
        assert_ne!(StreamKey::new("peer").with(1).with(2), StreamKey::new("peer").with(2).with(1));
        assert_eq!(StreamKey::new("").stream(), splitmix64(0xcbf2_9ce4_8422_2325));
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a = StreamKey::new("x").with(1);
        let b = StreamKey::new("x").with(2);
        let draw = |seed: u64, key| Seed(seed).stream(key).next_u64();
        assert_eq!(draw(42, a), draw(42, a));
        assert_ne!(draw(42, a), draw(42, b));
        assert_ne!(draw(42, a), draw(43, a));
    }

    /// Draws of every kind, from streams taken in turns, equal the draws of one generator per
    /// stream kept from the start, in both forms: what `Streams` promises.
    #[test]
    fn streams_taken_in_turns_draw_what_their_own_generators_would() {
        use rand::RngExt;
        let keys: Vec<StreamKey> = (0..5).map(|i| StreamKey::new("peer").with(i)).collect();
        let mut own: Vec<SimRng> = keys.iter().map(|&k| Seed(9).stream(k)).collect();
        let mut forms = [Streams::with_form(Seed(9), keys.len(), false), Streams::with_form(Seed(9), keys.len(), true)];
        let mut order = Seed(1).stream(StreamKey::new("order"));
        for step in 0..5000 {
            let i = order.random_range(0..keys.len());
            let draw = |r: &mut SimRng| -> Vec<u64> {
                match step % 5 {
                    0 => vec![u64::from(r.next_u32())],
                    1 => vec![r.next_u64()],
                    2 => vec![u64::from(r.random_range(0..1000u32))],
                    3 => vec![r.random::<f64>().to_bits()],
                    _ => {
                        let mut x = [0u8; 7];
                        r.fill_bytes(&mut x);
                        x.iter().map(|&b| u64::from(b)).collect()
                    }
                }
            };
            let want = draw(&mut own[i]);
            for (f, form) in forms.iter_mut().enumerate() {
                assert_eq!(draw(form.get(i, keys[i])), want, "form {f}, step {step}");
            }
        }
    }
}
