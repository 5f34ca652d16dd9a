//! Seeded random streams, one per component.
//!
//! A run has one master seed. Every component that draws random numbers (a peer's service, a
//! location pair's latency, a topology generator, …) gets its own ChaCha8 stream: the generator is
//! seeded with the master seed through `seed_from_u64` and positioned on the stream numbered by the
//! component's [`StreamKey`]. Streams are independent, so adding a peer or a service does not change
//! what the others draw, and nothing depends on the order in which components are created.
//!
//! Components that come by the million (a service's or a fault's peers, through [`Streams`]) draw
//! from a [`PeerRng`] instead: a 16-byte PCG generator whose state is the first 128 bits of the
//! component's ChaCha8 stream. ChaCha8 stays the source of every draw's seed; the PCG only keeps
//! a peer's draws cheap to reach.
//!
//! The stream key is a fixed hash (FNV-1a over the label, then SplitMix64 over each index) that
//! never depends on the Rust version or the platform.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_pcg::Pcg64Mcg;

/// The generator of every component's stream, and the source of every draw in p2psim.
pub type SimRng = ChaCha8Rng;

/// The generator of one of many components of a kind (a peer's service, a fault's member), from
/// [`Streams`]: rand_pcg's `Pcg64Mcg` (a 128-bit multiplicative congruential generator with the
/// PCG XSL-RR output, period 2^126), seeded with the first 128 bits of the component's ChaCha8
/// stream ([`Seed::peer_stream`]). Sixteen bytes of state, where a ChaCha8 generator holds about
/// 300; two components' sequences overlap with odds of about (draws × components)² / 2^126, nil
/// in practice.
pub type PeerRng = Pcg64Mcg;

/// How every output names the generator: reproducing a run needs this, the seed and the experiment.
pub const RNG_NAME: &str = "ChaCha8 (rand_chacha 0.10), one stream per component; peers draw from PCG-64 MCG (rand_pcg 0.10) seeded from theirs";

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

    /// The small generator of the component named `key`: a [`PeerRng`] whose state is the first
    /// 128 bits of the component's ChaCha8 stream.
    pub fn peer_stream(self, key: StreamKey) -> PeerRng {
        PeerRng::from_rng(&mut self.stream(key))
    }
}

/// The streams of many components of one kind (the peers of a service, the members of a fault):
/// for each, its [`PeerRng`], made at its first draw from its key ([`Seed::peer_stream`]), so that
/// a component draws the same whatever the others do and whenever it starts.
///
/// A component that never drew holds `None`: 32 bytes each (the generator is 16, aligned to 16).
/// (A ChaCha8 generator per component took 1.4 GB at ten million peers; one shared ChaCha8
/// generator moved between components, keeping each one's word position, took 8 bytes each but
/// refilled rand_chacha's four-block buffer at every move: 7–8 % of a million-peer push.)
#[derive(Clone, Debug)]
pub struct Streams {
    seed: Seed,
    rngs: Vec<Option<PeerRng>>,
}

impl Streams {
    /// `n` streams of run `seed`, none drawn from.
    pub fn new(seed: Seed, n: usize) -> Streams {
        Streams { seed, rngs: vec![None; n] }
    }

    /// The stream of component `i`, whose key is `key` (the same key for the same `i` at every
    /// call), drawn from by actor `owner` (the peer the component belongs to).
    ///
    /// In debug builds, a draw while another actor is acting (see [`acting`]) panics: a peer's
    /// stream may only be drawn from by the peer itself, or a run split between threads by peer
    /// would not draw what one thread does. Every test of the workspace runs under this check.
    #[inline]
    pub fn get(&mut self, i: usize, owner: u32, key: StreamKey) -> &mut PeerRng {
        #[cfg(debug_assertions)]
        acting::check(owner);
        let _ = owner;
        let seed = self.seed;
        self.rngs[i].get_or_insert_with(
            #[cold]
            || seed.peer_stream(key),
        )
    }

    /// Asks the CPU to bring component `i`'s generator into the cache.
    #[inline]
    pub fn prefetch(&self, i: usize) {
        prefetch_index::prefetch_index(&self.rngs, i);
    }
}

/// Which actor is acting on this thread, for the debug check of [`Streams::get`]. The kernel
/// sets it before each event it hands to its model and at [`Kernel::set_actor`](crate::Kernel::set_actor);
/// [`acting::clear`] ends it (draws made with no actor acting, as while a run is built, are not checked).
/// Release builds keep nothing.
pub mod acting {
    #[cfg(debug_assertions)]
    thread_local! {
        static ACTING: std::cell::Cell<Option<u32>> = const { std::cell::Cell::new(None) };
    }

    /// `actor` acts from now on (on this thread).
    #[inline]
    pub fn set(actor: u32) {
        #[cfg(debug_assertions)]
        ACTING.with(|a| a.set(Some(actor)));
        let _ = actor;
    }

    /// No actor acts from now on (on this thread).
    pub fn clear() {
        #[cfg(debug_assertions)]
        ACTING.with(|a| a.set(None));
    }

    /// Panics if an actor other than `owner` is acting.
    #[cfg(debug_assertions)]
    #[track_caller]
    pub(crate) fn check(owner: u32) {
        if let Some(actor) = ACTING.with(|a| a.get()) {
            assert_eq!(
                actor, owner,
                "actor {actor} drew from the stream of actor {owner}: a peer's stream is drawn from only while \
                 the peer acts (Model::actor names the peer an event is for; Kernel::set_actor, the peer a \
                 model acts for outside one)"
            );
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

    /// A component draws from its own small generator, seeded from its ChaCha8 stream, the same
    /// whatever the others drew before: what `Streams` promises.
    #[test]
    fn a_component_draws_the_same_whatever_the_others_do() {
        use rand::RngExt;
        let keys: Vec<StreamKey> = (0..5).map(|i| StreamKey::new("peer").with(i)).collect();
        let mut alone: Vec<PeerRng> = keys.iter().map(|&k| Seed(9).peer_stream(k)).collect();
        let mut streams = Streams::new(Seed(9), keys.len());
        let mut order = Seed(1).stream(StreamKey::new("order"));
        for step in 0..5000 {
            let i = order.random_range(0..keys.len());
            let want: u64 = alone[i].random_range(0..1_000_000);
            assert_eq!(streams.get(i, i as u32, keys[i]).random_range(0..1_000_000), want, "step {step}");
        }
        let first = |seed: u64, key| Seed(seed).peer_stream(key).next_u64();
        assert_ne!(first(9, keys[0]), first(9, keys[1]));
        assert_ne!(first(9, keys[0]), first(10, keys[0]));
        // The state is the start of the component's ChaCha8 stream, not a hash of its key.
        let mut chacha = Seed(9).stream(keys[0]);
        let state = u128::from(chacha.next_u64()) | u128::from(chacha.next_u64()) << 64;
        assert_eq!(Seed(9).peer_stream(keys[0]), PeerRng::new(state));
    }

    #[cfg(debug_assertions)]
    #[test]
    fn a_draw_from_another_actors_stream_is_caught() {
        let mut streams = Streams::new(Seed(1), 2);
        acting::set(1);
        let _ = streams.get(1, 1, StreamKey::new("peer").with(1)).next_u64();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = streams.get(0, 0, StreamKey::new("peer").with(0)).next_u64();
        }));
        acting::clear();
        assert!(caught.is_err(), "actor 1 drew from actor 0's stream unnoticed");
        let _ = streams.get(0, 0, StreamKey::new("peer").with(0)).next_u64();
    }
}
