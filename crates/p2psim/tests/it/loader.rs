//! Save and load round-trip exactly; mutated and random files give an error or a valid
//! experiment, never a panic.

use p2psim::{Experiment, Simulation};
use proptest::prelude::*;

use crate::example;

const NAMES: [&str; 6] = ["perfect-world", "gossip", "byzantine", "emergent", "faults-push", "faults-pull"];

#[test]
fn save_and_load_round_trip_exactly() {
    for name in NAMES {
        let (_, exp) = example(name);
        let saved = exp.to_ron();
        let back = Experiment::from_ron(&saved, "saved.ron").unwrap();
        assert_eq!(back, exp, "{name}");
        assert_eq!(back.to_ron(), saved, "{name}: saving is stable");
    }
}

/// Builds and briefly runs what loaded, if it is small enough to be quick.
fn exercise(text: &str) {
    if let Ok(exp) = Experiment::from_ron(text, "mutated.ron") {
        let peers: u64 = exp.peers.iter().map(|g| u64::from(g.count)).sum();
        if peers <= 200
            && exp.until_ms <= 20_000
            && let Ok(mut sim) = Simulation::new(&exp)
        {
            sim.run_until(p2psim::kernel::SimTime::from_millis(exp.until_ms.min(2_000))).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn mutated_files_never_panic(which in 0..NAMES.len(), at in 0.0f64..1.0, len in 0usize..12, insert in "[ -~]{0,8}") {
        let (text, _) = example(NAMES[which]);
        let start = ((text.len() as f64 * at) as usize).min(text.len());
        let start = (0..=start).rev().find(|&i| text.is_char_boundary(i)).unwrap();
        let end = (start + len).min(text.len());
        let end = (end..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap();
        let mutated = format!("{}{}{}", &text[..start], insert, &text[end..]);
        exercise(&mutated);
    }

    #[test]
    fn numbers_changed_anywhere_never_panic(which in 0..NAMES.len(), nth in 0usize..60, value in prop_oneof![Just(-1.0f64), Just(0.0), Just(1e12), Just(f64::NAN), -1e3f64..1e3]) {
        let (text, _) = example(NAMES[which]);
        let mut count = 0;
        let mut out = String::new();
        let mut chars = text.chars().peekable();
        let mut replaced = false;
        while let Some(c) = chars.next() {
            if c.is_ascii_digit() && !replaced && !out.ends_with(|p: char| p.is_alphanumeric() || p == '_') {
                while chars.peek().is_some_and(|d| d.is_ascii_digit() || *d == '.') {
                    chars.next();
                }
                if count == nth {
                    out += &format!("{value}");
                    replaced = true;
                } else {
                    out.push(c);
                }
                count += 1;
                continue;
            }
            out.push(c);
        }
        exercise(&out);
    }

    #[test]
    fn random_text_is_an_error(text in "\\PC{0,200}") {
        prop_assert!(Experiment::from_ron(&text, "random.ron").is_err());
    }
}
