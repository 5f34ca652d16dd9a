//! Every kind of bad input gets one clear error naming the file, the line and column where there is
//! one, and the field. Never a panic.

use p2psim::{Error, Experiment};

use crate::example;

/// Loads `text` as if from `bad.ron` and returns the error. Every check is made when the file is
/// read: what reads, builds.
fn error_of(text: &str) -> Error {
    match crate::read(text, "bad.ron") {
        Ok(exp) => panic!("accepted; it builds: {}", p2psim::Scenario::new(&exp).is_ok()),
        Err(e) => e,
    }
}

/// The line and column of an error.
fn position(e: &Error) -> (usize, usize) {
    match e {
        Error::Input { position: Some(p), .. } => *p,
        other => panic!("no position: {other}"),
    }
}

fn gossip_with(from: &str, to: &str) -> String {
    let (text, _) = example("gossip");
    assert!(text.contains(from), "the example contains {from:?}");
    text.replacen(from, to, 1)
}

/// Line (from 1) of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].matches('\n').count() + 1
}

#[test]
fn malformed_ron_points_at_the_place() {
    let (text, _) = example("gossip");
    let cut = text.trim_end().trim_end_matches(')').to_owned();
    let e = error_of(&cut);
    assert!(matches!(&e, Error::Input { file, .. } if file == "bad.ron"), "{e}");
    assert!(position(&e).0 >= line_of(&text, "analysis"), "{e}");
}

#[test]
fn unknown_fields_are_rejected_with_their_name_and_line() {
    let text = gossip_with("until_ms: 5200,", "until_ms: 5200,\n    seeed: 7,");
    let e = error_of(&text);
    assert_eq!(position(&e).0, line_of(&text, "seeed"));
    assert!(e.to_string().contains("unknown field `seeed`"), "{e}");
    let text = gossip_with("PushGossip(fanout: 3,", "PushGossip(fanout: 3, fan_out: 2,");
    assert!(error_of(&text).to_string().contains("fan_out"));
}

#[test]
fn unknown_peer_type_service_and_location_are_named() {
    let text = gossip_with("(peer_type: \"client\", count: 1)", "(peer_type: \"clinet\", count: 1)");
    let e = error_of(&text);
    assert_eq!(
        e.to_string(),
        format!(
            "bad.ron:{}:{}: peers[1].peer_type: unknown peer type `clinet` (defined: peer, client)",
            line_of(&text, "\"clinet\""),
            text.lines().nth(line_of(&text, "\"clinet\"") - 1).unwrap().find("\"clinet\"").unwrap() + 1
        )
    );
    let e = error_of(&gossip_with("PushGossip(", "PushGosip("));
    assert!(e.to_string().contains("unknown service `PushGosip`"), "{e}");
    let text = gossip_with("\"Tokyo\"", "\"Tokio\"");
    let e = error_of(&text);
    assert!(e.to_string().starts_with(&format!("bad.ron:{}:", line_of(&text, "Tokio"))), "{e}");
    assert!(e.to_string().contains("peer_types[0].physical.location: unknown location `Tokio`"), "{e}");
}

#[test]
fn out_of_range_numbers_are_named() {
    let e = error_of(&gossip_with("ErdosRenyi(p: 0.4)", "ErdosRenyi(p: 1.4)"));
    assert!(e.to_string().contains("topology.graph.p: a probability must be in [0, 1], got 1.4"), "{e}");
    let text = gossip_with("(\"producer\", Producer())", "(\"producer\", Producer(msg_rate: -5))");
    let e = error_of(&text);
    assert!(e.to_string().starts_with(&format!("bad.ron:{}:", line_of(&text, "msg_rate"))), "{e}");
    assert!(e.to_string().contains("peer_types[1].services[1][1].msg_rate: must be more than 0, got -5"), "{e}");
    let text = gossip_with("analysis: (),", "analysis: (),\n    faults: [Loss(probability: 1.5, from: 0)],");
    assert!(error_of(&text).to_string().contains("faults[0].probability: a probability must be in [0, 1], got 1.5"));
    let e =
        error_of(&gossip_with("scale: 1310720)),\n                download", "scale: -1)),\n                download"));
    assert!(e.to_string().contains("scale"), "{e}");
    let snapshots =
        |every: &str| gossip_with("analysis: (),", &format!("analysis: (snapshot_every_ms: Some({every})),"));
    let e = error_of(&snapshots("0.001"));
    assert!(e.to_string().contains("analysis.snapshot_every_ms: 0.001 ms over until_ms"), "{e}");
    assert!(e.to_string().contains("at most 10000 are allowed"), "{e}");
    let until = crate::read(&snapshots("1"), "ok.ron").expect("one frame a ms is accepted").until_ms;
    let least = until.div_ceil(p2psim::MAX_SNAPSHOTS - 1);
    assert!(e.to_string().contains(&format!("take one every {least} ms or more")), "{e}");
    // The boundary: `until / every` snapshots after the first, at most MAX_SNAPSHOTS in all.
    let edge = until as f64 / p2psim::MAX_SNAPSHOTS as f64;
    assert!(crate::read(&snapshots(&format!("{edge}")), "bad.ron").is_err());
    crate::read(&snapshots(&format!("{}", edge * 1.001)), "ok.ron").expect("just under the limit");
    assert!(crate::read(&snapshots(&(least - 1).to_string()), "bad.ron").is_err());
}

#[test]
fn files_that_cannot_be_read_say_so() {
    let e = Experiment::load(std::path::Path::new("/nonexistent/x.ron"), &p2psim::Protocols::new()).unwrap_err();
    assert_eq!(e.to_string(), "/nonexistent/x.ron: no such file");
    assert!(e.is_input(), "a missing input file is bad input");
    let e = Experiment::load(std::path::Path::new("/"), &p2psim::Protocols::new()).unwrap_err();
    assert_eq!(e.to_string(), "/: is a folder, not a file");
    let dir = std::env::temp_dir().join(format!("p2psim-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.ron");
    std::fs::write(&file, b"Experiment(\n  name: \"\xff\"").unwrap();
    let e = Experiment::load(&file, &p2psim::Protocols::new()).unwrap_err();
    assert_eq!(e.to_string(), format!("{}:2:10: not UTF-8 text", file.display()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn loss_between_names_known_locations_and_probabilities() {
    let ok = gossip_with("analysis: (),", "network: (loss_between: [(\"Ohio\", \"Tokyo\", 0.2)]),\n    analysis: (),");
    let exp = crate::read(&ok, "ok.ron").unwrap();
    let mut sim = crate::sim(&exp);
    sim.run().unwrap();
    assert!(sim.world().net().counters().dropped(p2psim_net::DropReason::Lost) > 0, "Ohio–Tokyo messages are lost");
    let e = error_of(&ok.replace("\"Tokyo\", 0.2", "\"Mars\", 0.2"));
    assert!(e.to_string().contains("network.loss_between[0][1]: unknown location `Mars`"), "{e}");
    assert_eq!(position(&e).0, line_of(&ok, "loss_between"));
    let e = error_of(&ok.replace("\"Tokyo\", 0.2", "\"Tokyo\", 1.2"));
    assert!(e.to_string().contains("network.loss_between[0][2]: a probability must be in [0, 1], got 1.2"), "{e}");
}
