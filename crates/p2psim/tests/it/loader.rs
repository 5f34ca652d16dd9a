//! Save and load round-trip exactly; mutated and random files give an error or a valid
//! experiment, never a panic.

use proptest::prelude::*;

use crate::example;

const NAMES: [&str; 6] = ["perfect-world", "gossip", "byzantine", "emergent", "faults-push", "faults-pull"];

#[test]
fn save_and_load_round_trip_exactly() {
    for name in NAMES {
        let (_, exp) = example(name);
        let saved = exp.to_ron();
        let back = crate::read(&saved, "saved.ron").unwrap();
        assert_eq!(back, exp, "{name}");
        assert_eq!(back.to_ron(), saved, "{name}: saving is stable");
    }
}

/// Builds and briefly runs what loaded, if it is small enough to be quick. What loads, builds.
///
/// The run is bounded by an event budget as well as by time: a mutation may turn a producer's
/// rate into 1e12 messages a second, a valid experiment that no machine can finish.
fn exercise(text: &str) {
    let loaded = crate::read(text, "mutated.ron");
    if let Err(e) = &loaded {
        // Every error on input names the file and the line and column.
        assert!(
            matches!(e, p2psim::Error::Input { file, position: Some(_), .. } if file == "mutated.ron"),
            "an error without its place: {e}"
        );
    }
    if let Ok(exp) = loaded {
        let peers: u64 = exp.peers.iter().map(|g| u64::from(g.count)).sum();
        if peers <= 200 && exp.until_ms <= 20_000 {
            let mut sim = crate::sim(&exp);
            let until = p2psim::kernel::SimTime::from_millis(exp.until_ms.min(2_000));
            sim.run_until_at_most(until, 100_000).unwrap();
        }
    }
}

/// `text` with its `nth` number (counting from 0, comments included) replaced by `value`, or
/// `None` when it has fewer numbers.
fn with_number_replaced(text: &str, nth: usize, value: &str) -> Option<String> {
    let mut count = 0;
    let mut out = String::with_capacity(text.len() + value.len());
    let mut chars = text.chars().peekable();
    let mut replaced = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() && !replaced && !out.ends_with(|p: char| p.is_alphanumeric() || p == '_') {
            let mut number = String::from(c);
            while let Some(d) = chars.next_if(|d| d.is_ascii_digit() || *d == '.') {
                number.push(d);
            }
            if count == nth {
                out += value;
                replaced = true;
            } else {
                out += &number;
            }
            count += 1;
            continue;
        }
        out.push(c);
    }
    replaced.then_some(out)
}

/// Every number of every example, replaced in turn by each awkward value: an error or a valid
/// experiment, never a panic. Exhaustive, so it tests the same thing on every machine.
#[test]
fn numbers_changed_anywhere_never_panic() {
    let values = ["-1", "0", "0.0", "1e12", "NaN", "inf", "0.001", "999.5", "4294967296", "18446744073709551616"];
    let mut tried = 0;
    for name in NAMES {
        let (text, _) = example(name);
        assert_eq!(with_number_replaced(&text, usize::MAX, "0"), None);
        for nth in 0.. {
            if with_number_replaced(&text, nth, "0").is_none() {
                break;
            }
            for value in values {
                exercise(&with_number_replaced(&text, nth, value).unwrap());
                tried += 1;
            }
        }
    }
    assert!(tried > 1000, "every example has numbers: {tried} files tried");
}

proptest! {
    // A fixed seed: CI tests the same cases on every machine, and a failure there reproduces here.
    #![proptest_config(ProptestConfig {
        cases: 200,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

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
    fn random_text_is_an_error(text in "\\PC{0,200}") {
        prop_assert!(crate::read(&text, "random.ron").is_err());
    }
}

/// Every struct and struct-like variant written in the examples refuses a field it does not have,
/// naming it at its line: the reader refuses unknown fields in every type, whatever its serde
/// attributes (a variant's fields included: `ErdosRenyi(p: 0.4, q: 7)`).
#[test]
fn an_unknown_field_anywhere_is_refused_at_its_place() {
    let mut tried = 0;
    for name in NAMES {
        let (text, _) = example(name);
        let bytes = text.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if b != b'(' || text[..i].rsplit('\n').next().is_some_and(|l| l.trim_start().starts_with("//")) {
                continue;
            }
            // A struct body: `(` then a name and a colon.
            let rest = text[i + 1..].trim_start();
            let ident: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if ident.is_empty() || !rest[ident.len()..].trim_start().starts_with(':') {
                continue;
            }
            let mutated = format!("{}zz_unknown: 1, {}", &text[..=i], &text[i + 1..]);
            let e = crate::read(&mutated, "u.ron").expect_err("an unknown field");
            let line = text[..i].matches('\n').count() + 1;
            assert!(e.to_string().starts_with(&format!("u.ron:{line}:")), "{name}: {e}");
            assert!(e.to_string().contains("unknown field `zz_unknown`"), "{name}: {e}");
            tried += 1;
        }
    }
    assert!(tried > 60, "every example has structs: {tried} tried");
}
