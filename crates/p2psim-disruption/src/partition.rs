//! Partition: over a time window, messages between peers of different groups (given as lists,
//! or one group per location) are dropped; it heals at the window's end. Partitions stack by
//! owner in the network.

use crate::fault::{Action, Fault, View};
use crate::spec::Groups;

/// A partition in its runtime form: each peer's group.
#[derive(Debug)]
pub(crate) struct Partition {
    groups: Vec<u16>,
    from: f64,
    until: Option<f64>,
}

impl Partition {
    /// The groups of every peer: by location, or as listed (peers in no list share one more group).
    pub(crate) fn new(groups: &Groups, from: f64, until: Option<f64>, view: &View<'_>) -> Partition {
        let groups = match groups {
            Groups::ByLocation => view.locations(),
            Groups::Lists(lists) => {
                let mut g = vec![lists.len() as u16; view.peer_count()];
                for (gi, list) in lists.iter().enumerate() {
                    for &p in list {
                        g[p as usize] = gi as u16;
                    }
                }
                g
            }
        };
        Partition { groups, from, until }
    }
}

impl Fault for Partition {
    fn window(&self) -> Option<(f64, Option<f64>)> {
        Some((self.from, self.until))
    }

    fn toggle(&self, on: bool, out: &mut Vec<Action>) {
        out.push(if on { Action::Partition(self.groups.clone()) } else { Action::Heal });
    }
}
