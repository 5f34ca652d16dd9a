//! `docs/experiments.md` documents every field and variant of the experiment and sweep formats:
//! the names are read from the types themselves (what serde asks for when it reads them), and
//! each must appear, written as code, in the section of the reference about its type.

#![allow(clippy::print_stderr, reason = "the inventory test prints what it read")]

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, VariantAccess, Visitor};

/// The probe's only error: it stops every read once it has seen what it came for.
#[derive(Debug)]
struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("probe")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop
    }
}

/// What a probe is after.
#[derive(Clone, Copy)]
enum Want {
    /// The fields of a struct (or of the struct inside a newtype variant).
    Fields,
    /// The variants of an enum.
    Variants,
    /// The fields of one variant of an enum.
    VariantFields(&'static str),
}

/// A deserializer that answers nothing and records the names serde asks for.
struct Probe<'a> {
    want: Want,
    out: &'a RefCell<Vec<&'static str>>,
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        if let Want::Fields = self.want {
            self.out.borrow_mut().extend(fields);
        }
        Err(Stop)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Stop> {
        match self.want {
            Want::Variants => {
                self.out.borrow_mut().extend(variants);
                Err(Stop)
            }
            Want::VariantFields(name) => v.visit_enum(Variant { name, out: self.out }),
            Want::Fields => Err(Stop),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// Chooses one variant and records its fields.
struct Variant<'a> {
    name: &'static str,
    out: &'a RefCell<Vec<&'static str>>,
}

impl<'de, 'a> EnumAccess<'de> for Variant<'a> {
    type Error = Stop;
    type Variant = Variant<'a>;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Variant<'a>), Stop> {
        let d: de::value::StrDeserializer<'_, Stop> = self.name.into_deserializer();
        Ok((seed.deserialize(d)?, self))
    }
}

impl<'de> VariantAccess<'de> for Variant<'_> {
    type Error = Stop;

    fn unit_variant(self) -> Result<(), Stop> {
        Err(Stop)
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Stop> {
        seed.deserialize(Probe { want: Want::Fields, out: self.out })
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], _: V) -> Result<V::Value, Stop> {
        self.out.borrow_mut().extend(fields);
        Err(Stop)
    }
}

fn probe<T: DeserializeOwned>(want: Want) -> Vec<&'static str> {
    let out = RefCell::new(Vec::new());
    let _ = T::deserialize(Probe { want, out: &out });
    out.into_inner()
}

/// The names a type's section must document: its fields, or its variants and each variant's fields.
fn names<T: DeserializeOwned>() -> Vec<&'static str> {
    let fields = probe::<T>(Want::Fields);
    if !fields.is_empty() {
        return fields;
    }
    let variants = probe::<T>(Want::Variants);
    let mut all = variants.clone();
    for v in variants {
        all.extend(probe::<T>(Want::VariantFields(v)));
    }
    all
}

/// Every type of the formats, by the heading of its section in the reference.
fn inventory() -> Vec<(&'static str, Vec<&'static str>)> {
    use p2psim::disruption::{FaultSpec, Groups, Inject, Pick, Selector, Timing};
    use p2psim::kernel::Dist;
    use p2psim::net::{BandwidthUnit, LatencyMode, LatencyModel, TransmissionModel, UploadModel};
    use p2psim::services::*;
    use p2psim::*;
    vec![
        ("Experiment", names::<Experiment>()),
        ("LocationsSpec", names::<LocationsSpec>()),
        ("NetworkSpec", names::<NetworkSpec>()),
        ("LatencyModel", names::<LatencyModel>()),
        ("LatencyMode", names::<LatencyMode>()),
        ("TransmissionModel", names::<TransmissionModel>()),
        ("BandwidthUnit", names::<BandwidthUnit>()),
        ("UploadModel", names::<UploadModel>()),
        ("PeerTypeDef", names::<PeerTypeDef>()),
        ("Physical", names::<Physical>()),
        ("LocationChoice", names::<LocationChoice>()),
        ("PeerGroup", names::<PeerGroup>()),
        ("TopologySpec", names::<TopologySpec>()),
        ("Graph", names::<Graph>()),
        ("Attach", names::<Attach>()),
        ("FaultSpec", names::<FaultSpec>()),
        ("Selector", names::<Selector>()),
        ("Timing", names::<Timing>()),
        ("Groups", names::<Groups>()),
        ("Inject", names::<Inject>()),
        ("Pick", names::<Pick>()),
        ("AnalysisSpec", names::<AnalysisSpec>()),
        ("ServiceRef", names::<ServiceRef>()),
        ("PeerTables", names::<PeerTables>()),
        ("ServiceSpec", p2psim::Protocols::new().names().collect()),
        // Types a built-in protocol's configuration uses (each protocol's own fields are read
        // from the registry: `protocol_fields`).
        ("ValidationConfig", names::<ValidationConfig>()),
        ("Relay", names::<Relay>()),
        ("Direction", names::<Direction>()),
        ("LossOfInterest", names::<LossOfInterest>()),
        ("Judge", names::<Judge>()),
        ("Rounds", names::<Rounds>()),
        ("Selection", names::<Selection>()),
        ("Dist", names::<Dist>()),
        ("SweepSpec", names::<SweepSpec>()),
        ("Base", probe::<Base>(Want::Variants)),
        ("SweepParam", names::<SweepParam>()),
    ]
    .into_iter()
    .chain(p2psim::Protocols::new().names().map(|name| (name, protocol_fields(name))))
    .collect()
}

/// The fields of the configuration the built-in protocol `name` reads, asked of the registry.
fn protocol_fields(name: &str) -> Vec<&'static str> {
    let out = RefCell::new(Vec::new());
    let _ = p2psim::Protocols::new().read(name, Probe { want: Want::Fields, out: &out });
    out.into_inner()
}

#[test]
fn every_field_and_variant_is_in_the_reference() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/experiments.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let mut missing = Vec::new();
    for (ty, names) in inventory() {
        assert!(!names.is_empty(), "the probe read nothing of {ty}");
        let heading = format!("### `{ty}`");
        let Some(start) = doc.find(&heading) else {
            missing.push(format!("a section `{heading}`"));
            continue;
        };
        let section_at = |start: usize, heading: &str| {
            let rest = &doc[start + heading.len()..];
            &rest[..rest.find("\n### ").unwrap_or(rest.len())]
        };
        let mut section = section_at(start, &heading);
        // "Its fields are `PushGossip`'s": they are documented there.
        if let Some((_, other)) = section.split_once("Its fields are `")
            && let Some((other, _)) = other.split_once('`')
        {
            let heading = format!("### `{other}`");
            section = section_at(doc.find(&heading).expect("the section it refers to"), &heading);
        }
        for n in names {
            if !section.contains(&format!("`{n}`"))
                && !section.contains(&format!("`{n}:"))
                && !section.contains(&format!("`{n}("))
            {
                missing.push(format!("{ty}: `{n}`"));
            }
        }
    }
    assert!(missing.is_empty(), "docs/experiments.md does not document:\n{}", missing.join("\n"));
}

/// Prints the inventory (`cargo test -p p2psim --test it reference -- --nocapture`).
#[test]
fn the_probe_reads_fields_variants_and_variant_fields() {
    let inv = inventory();
    let get = |ty: &str| inv.iter().find(|(t, _)| *t == ty).unwrap().1.clone();
    assert!(get("Experiment").contains(&"workload") && get("Experiment").contains(&"until_ms"));
    assert!(get("Graph").contains(&"RandomRegular") && get("Graph").contains(&"degree"));
    assert!(get("ServiceSpec").contains(&"PushGossip"));
    assert!(get("PushGossip").contains(&"relay"));
    for (ty, names) in inv {
        eprintln!("{ty}: {}", names.join(", "));
    }
}

/// The `summary.json` section's table is the one `FIGURES` gives, as generated
/// (`P2PSIM_BLESS=1 cargo test -p p2psim --test it reference` writes it in).
#[test]
fn the_summary_table_of_the_reference_is_generated_from_the_figures() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/experiments.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let table = p2psim::analysis::summary_reference();
    let start = doc.find("## `summary.json`").expect("a section on summary.json");
    let from = start + doc[start..].find("\n| key |").expect("a table in the section") + 1;
    let to = from + doc[from..].find("\n\n").expect("the table ends") + 1;
    if std::env::var_os("P2PSIM_BLESS").is_some() {
        std::fs::write(path, format!("{}{table}{}", &doc[..from], &doc[to..])).unwrap();
        return;
    }
    assert_eq!(&doc[from..to], table, "docs/experiments.md's summary table is stale: run with P2PSIM_BLESS=1");
}

/// The services part of the reference (from `### `ServiceSpec`` to the faults) is what each
/// built-in protocol's file says of itself (`services::reference()`), as generated
/// (`P2PSIM_BLESS=1` writes it in).
#[test]
fn the_services_part_of_the_reference_is_generated_from_the_protocols() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/experiments.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let text = p2psim::services::reference();
    let from = doc.find("### `ServiceSpec`").expect("a ServiceSpec section");
    let to = doc.find("## Faults and the workload").expect("a faults part");
    let want = format!("{}\n", text.trim_end());
    if std::env::var_os("P2PSIM_BLESS").is_some() {
        std::fs::write(path, format!("{}{want}\n{}", &doc[..from], &doc[to..])).unwrap();
        return;
    }
    assert_eq!(
        &doc[from..to],
        format!("{want}\n"),
        "docs/experiments.md's services are stale: run with P2PSIM_BLESS=1"
    );
}
