//! Resolution: the deep merge of a deployable's layers into the config one tenant runs with,
//! and for every leaf the layer it came from.
//!
//! Objects merge key by key; arrays and scalars replace what was below; `null` removes the
//! key. A leaf is a scalar, an array or an empty object.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::layer::Layer;

/// A resolved config and its provenance: JSON pointer of each leaf → the layer that set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolved {
    pub config: Value,
    pub provenance: BTreeMap<String, Layer>,
}

/// Merges `layers` in the order given (lowest first). Layers that are not objects are
/// skipped: the store only accepts objects.
pub fn resolve<'a>(layers: impl IntoIterator<Item = (Layer, &'a Value)>) -> Resolved {
    let mut config = Map::new();
    let mut provenance = BTreeMap::new();
    for (layer, document) in layers {
        if let Value::Object(patch) = document {
            merge(&mut config, patch, "", &layer, &mut provenance);
        }
    }
    Resolved {
        config: Value::Object(config),
        provenance,
    }
}

/// Just the merged config, for callers that need no provenance (such as compiling a revision
/// for services): the same merge, without naming every leaf.
pub fn merged<'a>(layers: impl IntoIterator<Item = &'a Value>) -> Value {
    let mut config = Map::new();
    for document in layers {
        if let Value::Object(patch) = document {
            merge_plain(&mut config, patch);
        }
    }
    Value::Object(config)
}

fn merge_plain(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::Object(inner) => {
                let slot = target
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                if let Value::Object(slot) = slot {
                    merge_plain(slot, inner);
                }
            }
            leaf => {
                target.insert(key.clone(), leaf.clone());
            }
        }
    }
}

fn merge(
    target: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    at: &str,
    layer: &Layer,
    provenance: &mut BTreeMap<String, Layer>,
) {
    for (key, value) in patch {
        let pointer = format!("{at}/{}", escape(key));
        match value {
            Value::Null => {
                target.remove(key);
                forget(provenance, &pointer);
            }
            Value::Object(inner) => {
                let slot = target
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                    forget(provenance, &pointer);
                }
                let Value::Object(slot) = slot else {
                    unreachable!("made an object above")
                };
                let was_empty = slot.is_empty();
                merge(slot, inner, &pointer, layer, provenance);
                if slot.is_empty() {
                    // An empty object is a leaf: it came from this layer unless it already
                    // stood there empty.
                    if !(was_empty && provenance.contains_key(&pointer)) {
                        provenance.insert(pointer, layer.clone());
                    }
                } else {
                    provenance.remove(&pointer);
                }
            }
            leaf => {
                forget(provenance, &pointer);
                target.insert(key.clone(), leaf.clone());
                provenance.insert(pointer, layer.clone());
            }
        }
    }
}

/// Drops the provenance of `pointer` and everything under it.
fn forget(provenance: &mut BTreeMap<String, Layer>, pointer: &str) {
    provenance.remove(pointer);
    let below = format!("{pointer}/");
    let under: Vec<String> = provenance
        .range(below.clone()..)
        .take_while(|(k, _)| k.starts_with(&below))
        .map(|(k, _)| k.clone())
        .collect();
    for key in under {
        provenance.remove(&key);
    }
}

/// A key as a JSON pointer token (RFC 6901): `~` is `~0`, `/` is `~1`.
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A JSON pointer token as the key it names: [`escape`] undone.
pub fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::names::{ProductName, TenantName, TierName};

    fn tier() -> Layer {
        Layer::Tier(TierName::parse("LIVE").unwrap())
    }
    fn product() -> Layer {
        Layer::Product(ProductName::parse("acme-shop").unwrap())
    }
    fn tenant() -> Layer {
        Layer::Tenant(TenantName::parse("acme-eu").unwrap())
    }

    #[test]
    fn objects_merge_arrays_and_scalars_replace_and_null_removes() {
        let default = json!({"db": {"host": "localhost", "port": 5432, "pool": {"max": 10}}, "hosts": ["a", "b"], "debug": true});
        let live = json!({"db": {"host": "db.live", "pool": null}, "hosts": ["c"]});
        let shop = json!({"debug": null, "db": {"tls": {}}});
        let eu = json!({"db": {"port": 6432}, "hosts": {"eu": "d"}});
        let resolved = resolve([
            (Layer::Default, &default),
            (tier(), &live),
            (product(), &shop),
            (tenant(), &eu),
        ]);
        assert_eq!(
            resolved.config,
            json!({"db": {"host": "db.live", "port": 6432, "tls": {}}, "hosts": {"eu": "d"}})
        );
        let expected: BTreeMap<String, Layer> = [
            ("/db/host".to_owned(), tier()),
            ("/db/port".to_owned(), tenant()),
            ("/db/tls".to_owned(), product()),
            ("/hosts/eu".to_owned(), tenant()),
        ]
        .into_iter()
        .collect();
        assert_eq!(resolved.provenance, expected);
    }

    #[test]
    fn keys_with_slashes_and_tildes_are_escaped_in_pointers() {
        let default = json!({"a/b": {"~c": 1}});
        let resolved = resolve([(Layer::Default, &default)]);
        assert_eq!(
            resolved.provenance.keys().collect::<Vec<_>>(),
            vec!["/a~1b/~0c"]
        );
    }

    /// A tiny deterministic generator, so failures replay.
    struct Dice(u64);
    impl Dice {
        fn roll(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
        fn value(&mut self, depth: u32) -> Value {
            match self.roll(if depth > 2 { 4 } else { 6 }) {
                0 => Value::Null,
                1 => json!(self.roll(100)),
                2 => json!(format!("s{}", self.roll(5))),
                3 => json!([self.roll(3)]),
                _ => self.object(depth + 1),
            }
        }
        fn object(&mut self, depth: u32) -> Value {
            let mut map = Map::new();
            for _ in 0..self.roll(4) {
                map.insert(format!("k{}", self.roll(4)), self.value(depth));
            }
            Value::Object(map)
        }
    }

    fn leaves(value: &Value, at: &str, out: &mut Vec<String>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (k, v) in map {
                    leaves(v, &format!("{at}/{}", escape(k)), out);
                }
            }
            _ => out.push(at.to_owned()),
        }
    }

    /// For random layers: provenance names exactly the leaves, each leaf's value is the one
    /// its layer holds at that pointer, no null survives, and the result equals merging the
    /// layers one at a time (merge is a fold).
    #[test]
    fn provenance_names_every_leaf_and_the_layer_that_holds_its_value() {
        let mut dice = Dice(7);
        for _ in 0..2000 {
            let layers: Vec<(Layer, Value)> = [Layer::Default, tier(), product(), tenant()]
                .into_iter()
                .map(|layer| (layer, dice.object(0)))
                .collect();
            let resolved = resolve(layers.iter().map(|(l, v)| (l.clone(), v)));
            let mut found = Vec::new();
            if resolved.config.as_object().is_some_and(|m| !m.is_empty()) {
                leaves(&resolved.config, "", &mut found);
            }
            let named: Vec<String> = resolved.provenance.keys().cloned().collect();
            found.sort();
            assert_eq!(found, named, "layers {layers:?}");
            for (pointer, layer) in &resolved.provenance {
                let value = resolved.config.pointer(pointer).unwrap();
                assert!(!value.is_null(), "a null survived at {pointer}");
                let source = &layers.iter().find(|(l, _)| l == layer).unwrap().1;
                let held = source
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("{layer} holds nothing at {pointer}: {layers:?}"));
                if !held.is_object() {
                    assert_eq!(held, value, "{pointer} in {layers:?}");
                }
            }
            let stepwise = layers
                .iter()
                .fold(json!({}), |below, (_, layer)| merged([&below, layer]));
            assert_eq!(stepwise, resolved.config);
        }
    }
}
