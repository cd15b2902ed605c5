//! Property-based robustness of `validate`: whatever is done to a valid crate's metadata
//! (keys dropped, values replaced by any JSON, entities duplicated, bytes truncated or
//! flipped), validation returns a report or a read error: never a panic. Bounded to a fixed
//! number of cases so that CI time is bounded.

mod common;

use common::Fixture;
use proptest::prelude::*;
use serde_json::Value;
use std::path::PathBuf;
use trecrate::validate::{validate, ValidateOptions};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        Just(Value::from("../../etc/passwd")),
        Just(Value::from("https://example.org/unknown-context")),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[@a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    DropKey(usize, usize),
    SetValue(usize, usize, Value),
    DuplicateEntity(usize),
    ReplaceContext(Value),
    Truncate(usize),
    FlipByte(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(e, k)| Mutation::DropKey(e, k)),
        (any::<usize>(), any::<usize>(), any_json())
            .prop_map(|(e, k, v)| Mutation::SetValue(e, k, v)),
        any::<usize>().prop_map(Mutation::DuplicateEntity),
        any_json().prop_map(Mutation::ReplaceContext),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipByte(i, b)),
    ]
}

fn apply(metadata: &Value, mutations: &[Mutation]) -> Vec<u8> {
    let mut doc = metadata.clone();
    let mut bytes_ops = Vec::new();
    for m in mutations {
        let graph = doc["@graph"].as_array_mut();
        match (m, graph) {
            (Mutation::DropKey(e, k), Some(g)) if !g.is_empty() => {
                let len = g.len();
                if let Some(o) = g[e % len].as_object_mut() {
                    if let Some(key) = o.keys().nth(k % o.len().max(1)).cloned() {
                        o.remove(&key);
                    }
                }
            }
            (Mutation::SetValue(e, k, v), Some(g)) if !g.is_empty() => {
                let len = g.len();
                if let Some(o) = g[e % len].as_object_mut() {
                    if let Some(key) = o.keys().nth(k % o.len().max(1)).cloned() {
                        o.insert(key, v.clone());
                    }
                }
            }
            (Mutation::DuplicateEntity(e), Some(g)) if !g.is_empty() => {
                let copy = g[e % g.len()].clone();
                g.push(copy);
            }
            (Mutation::ReplaceContext(v), _) => doc["@context"] = v.clone(),
            (Mutation::Truncate(_) | Mutation::FlipByte(..), _) => bytes_ops.push(m.clone()),
            _ => {}
        }
    }
    let mut bytes = serde_json::to_vec(&doc).unwrap();
    for m in bytes_ops {
        match m {
            Mutation::Truncate(at) => bytes.truncate(at % (bytes.len() + 1)),
            Mutation::FlipByte(at, b) if !bytes.is_empty() => {
                let i = at % bytes.len();
                bytes[i] = b;
            }
            _ => {}
        }
    }
    bytes
}

struct Crate {
    _fixture: Fixture,
    dir: PathBuf,
    metadata: Value,
}

fn released() -> Crate {
    let f = Fixture::new("fuzz");
    assert!(f.release(&["--quiet"]).status.success());
    let dir = f.crate_dir();
    let metadata =
        serde_json::from_slice(&std::fs::read(dir.join("ro-crate-metadata.json")).unwrap())
            .unwrap();
    Crate {
        _fixture: f,
        dir,
        metadata,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn validate_never_panics(mutations in prop::collection::vec(mutation(), 1..5)) {
        thread_local! { static CRATE: Crate = released(); }
        CRATE.with(|c| {
            let bytes = apply(&c.metadata, &mutations);
            let path = c.dir.join("ro-crate-metadata.json");
            std::fs::write(&path, &bytes).unwrap();
            let options = ValidateOptions {
                max_metadata_bytes: 1 << 20,
                ..ValidateOptions::default()
            };
            if let Ok(report) = validate(&c.dir, &options) {
                for f in &report.findings {
                    prop_assert!(!f.check.is_empty() && !f.message.is_empty());
                }
            }
            Ok(())
        })?;
    }
}
