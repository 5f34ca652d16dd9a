//! `docs/protocols.md` shows `examples/examples/gossip_p.rs` piece by piece: every Rust block of
//! the guide must be in that file as written (lines compared without their indentation), so that
//! the guide's code is code that compiles and passes its tests.

#[test]
fn every_rust_block_of_the_protocol_guide_is_in_the_example() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let guide = std::fs::read_to_string(format!("{root}/docs/protocols.md")).unwrap();
    let example = std::fs::read_to_string(format!("{root}/examples/examples/gossip_p.rs")).unwrap();
    let lines: Vec<&str> = example.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut blocks = 0;
    for block in guide.split("```rust\n").skip(1) {
        let block = block.split("```").next().unwrap();
        let want: Vec<&str> = block.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        assert!(
            lines.windows(want.len()).any(|w| w == want.as_slice()),
            "a block of docs/protocols.md is not in gossip_p.rs as written:\n{block}"
        );
        blocks += 1;
    }
    assert!(blocks >= 6, "the guide shows the example in pieces ({blocks} blocks)");
}
