//! The discrete-event kernel of p2psim.
//!
//! What it is: simulated time as integer nanoseconds ([`SimTime`], [`SimDuration`]); a queue of typed
//! events totally ordered by `(time, actor, count)`, where the actor is whoever scheduled the event
//! and the count is how many that actor had scheduled before, so that the order of same-time events
//! depends on no shared counter ([`Kernel`], [`CalendarQueue`], with [`HeapQueue`] as the reference); cancellable and
//! periodic timers ([`Timers`]); one master [`Seed`] with an independent ChaCha8 stream per component
//! ([`StreamKey`]); and distributions with scipy's parameter convention ([`Dist`], [`Param`]).
//!
//! What it knows nothing about: peers, links, messages, protocols. The model above the kernel
//! defines its own event type `E` and implements [`Model`]; the kernel only orders and dispatches.
//!
//! # A small simulation with no network: a single-server queue
//!
//! Customers arrive at rate λ and are served at rate μ, one at a time (an M/M/1 queue).
//!
//! ```
//! use p2psim_kernel::{Dist, EventQueue, Kernel, Model, Seed, SimDuration, SimRng, SimTime, StreamKey};
//!
//! #[derive(Clone, Copy)]
//! enum Ev { Arrival, Departure }
//!
//! struct Shop { waiting: u32, busy: bool, served: u64, arrivals: Dist, service: Dist, rng: SimRng }
//!
//! impl Shop {
//!     fn draw(&mut self, d: fn(&Shop) -> &Dist) -> SimDuration {
//!         let dist = d(self).clone();
//!         SimDuration::from_millis_f64(dist.draw(&mut self.rng))
//!     }
//! }
//!
//! impl Model<Ev> for Shop {
//!     fn handle<Q: EventQueue<Ev>>(&mut self, k: &mut Kernel<Ev, Q>, ev: Ev) {
//!         match ev {
//!             Ev::Arrival => {
//!                 let next = self.draw(|s| &s.arrivals);
//!                 k.schedule_in(next, Ev::Arrival);
//!                 if self.busy { self.waiting += 1 } else {
//!                     self.busy = true;
//!                     let s = self.draw(|s| &s.service);
//!                     k.schedule_in(s, Ev::Departure);
//!                 }
//!             }
//!             Ev::Departure => {
//!                 self.served += 1;
//!                 if self.waiting > 0 {
//!                     self.waiting -= 1;
//!                     let s = self.draw(|s| &s.service);
//!                     k.schedule_in(s, Ev::Departure);
//!                 } else { self.busy = false }
//!             }
//!         }
//!     }
//! }
//!
//! let run = |seed| {
//!     let mut shop = Shop {
//!         waiting: 0, busy: false, served: 0,
//!         arrivals: Dist::expon(0.0, 10.0).unwrap(), // mean 10 ms between arrivals
//!         service: Dist::expon(0.0, 8.0).unwrap(),   // mean 8 ms of service
//!         rng: Seed(seed).stream(StreamKey::new("shop")),
//!     };
//!     let mut kernel = Kernel::new();
//!     kernel.schedule_in(SimDuration::ZERO, Ev::Arrival);
//!     kernel.run_until(SimTime::from_millis(60_000), &mut shop).unwrap();
//!     shop.served
//! };
//! // About 6000 customers in a simulated minute, and the same seed gives the same run.
//! assert!((5500..6500).contains(&run(1)));
//! assert_eq!(run(1), run(1));
//! ```

mod config_error;
mod dist;
mod kernel;
mod queue;
mod rng;
mod time;
mod timer;
mod windows;

pub use config_error::{ConfigError, Segment, check_duration_ms, check_period_ms, check_probability};
pub use dist::{Dist, DistError, Param, Resolved};
pub use kernel::{Ahead, Kernel, Model, PREFETCH_AHEAD, ScheduleError};
pub use queue::{CalendarConfig, CalendarQueue, Entry, EventQueue, HeapQueue};
pub use rng::{PeerRng, RNG_NAME, Seed, SimRng, StreamKey, Streams, acting};
pub use time::{SimDuration, SimTime};
pub use timer::{TimerId, Timers};
pub use windows::{WindowStats, Windows};
