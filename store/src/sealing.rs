//! Sealing secret values with `STRATA_SECRET_KEY`: AES-256-GCM, a random 96-bit nonce per
//! value, and as associated data the deployable, the layer and the value's JSON pointer, so a
//! sealed value opens only where it was sealed: copied to another key, deployable or layer (a
//! tier's password pasted into one's own tenant layer, to reveal it there), it is refused.
//!
//! The store seals what a deployable's schema marks secret on every write
//! ([`Sealer::seal_document`]) and opens sealed values only to check resolved configs, to reveal
//! one to someone allowed, and for read tokens with the `secrets` scope.

use std::borrow::Cow;
use std::sync::Arc;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use strata_domain::layer::Layer;
use strata_domain::secret::{
    SEALED_V1, SEALED_V2, is_sealed, sealed_form, sealed_values, secret_pointers,
};

use crate::StoreError;

/// The bytes of a key: 32, written as 64 hex digits or 44 characters of base64.
const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;

/// The key secrets are sealed with.
#[derive(Clone)]
pub struct SecretKey(Arc<Aes256Gcm>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

impl SecretKey {
    /// Reads a key written as 64 hex digits or as base64 of 32 bytes.
    pub fn parse(text: &str) -> Result<SecretKey, String> {
        let text = text.trim();
        let bytes = if text.len() == 2 * KEY_BYTES && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|e| e.to_string())?
        } else {
            BASE64.decode(text).map_err(|_| {
                "a secret key is 32 bytes written as 64 hex digits or in base64 (`strata secret-key` makes one)".to_owned()
            })?
        };
        if bytes.len() != KEY_BYTES {
            return Err(format!(
                "a secret key is {KEY_BYTES} bytes; this one is {}",
                bytes.len()
            ));
        }
        Ok(SecretKey(Arc::new(Aes256Gcm::new(
            Key::<Aes256Gcm>::from_slice(&bytes),
        ))))
    }

    /// A new random key, as base64.
    pub fn generate() -> String {
        BASE64.encode(Aes256Gcm::generate_key(&mut OsRng))
    }

    /// Seals `value`, found at `pointer` in the `layer` (as [`Layer::path`]) of `deployable`.
    pub fn seal(&self, deployable: &str, layer: &str, pointer: &str, value: &Value) -> String {
        let payload = self.encrypt(value, &associated(deployable, Some(layer), pointer));
        format!("{SEALED_V2}{layer}:{payload}")
    }

    /// Seals `value` as releases before layers were bound did (`sealed:v1:`): opens in any
    /// layer of `deployable`. Only for tests of values stored back then.
    #[doc(hidden)]
    pub fn seal_unbound(&self, deployable: &str, pointer: &str, value: &Value) -> String {
        let payload = self.encrypt(value, &associated(deployable, None, pointer));
        format!("{SEALED_V1}{payload}")
    }

    /// Nonce and ciphertext of `value`, in base64.
    fn encrypt(&self, value: &Value, aad: &[u8]) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .0
            .encrypt(
                &nonce,
                Payload {
                    msg: value.to_string().as_bytes(),
                    aad,
                },
            )
            .expect("AES-GCM seals any message under 64 GiB");
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        BASE64.encode(bytes)
    }

    /// Opens a sealed value that stands at `pointer` in a config of `deployable`, for the layer
    /// it names (a config merged from layers holds values sealed for each of them).
    pub fn open(&self, deployable: &str, pointer: &str, sealed: &str) -> Result<Value, String> {
        let refused = || {
            "this sealed value does not open here: it was sealed with another key, or for another place".to_owned()
        };
        let form = sealed_form(sealed)
            .ok_or_else(|| "not a sealed value (sealed:v2:<layer>:<base64>)".to_owned())?;
        let bytes = BASE64
            .decode(form.payload)
            .ok()
            .filter(|bytes| bytes.len() > NONCE_BYTES)
            .ok_or_else(|| "not a sealed value (sealed:v2:<layer>:<base64>)".to_owned())?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let plain = self
            .0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &associated(deployable, form.layer, pointer),
                },
            )
            .map_err(|_| refused())?;
        serde_json::from_slice(&plain).map_err(|_| refused())
    }
}

/// What a sealed value is bound to besides the key. (A v1 value names no layer.)
fn associated(deployable: &str, layer: Option<&str>, pointer: &str) -> Vec<u8> {
    match layer {
        None => format!("strata secret\0{deployable}\0{pointer}").into_bytes(),
        Some(layer) => format!("strata secret v2\0{deployable}\0{layer}\0{pointer}").into_bytes(),
    }
}

/// The store's key, if it has one: everything about secrets goes through here.
#[derive(Debug, Clone, Default)]
pub struct Sealer(Option<SecretKey>);

/// A config with its secrets opened, and each secret's pointer and plain value.
pub type Opened<'a> = (Cow<'a, Value>, Vec<(String, Value)>);

/// Why a config's secrets could not be opened: the pointer and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unopened {
    pub pointer: String,
    pub reason: String,
}

impl Sealer {
    pub fn new(key: Option<SecretKey>) -> Sealer {
        Sealer(key)
    }

    pub fn has_key(&self) -> bool {
        self.0.is_some()
    }

    fn key(&self, pointer: &str) -> Result<&SecretKey, Unopened> {
        self.0.as_ref().ok_or_else(|| Unopened {
            pointer: pointer.to_owned(),
            reason: "a secret value, and this server has no STRATA_SECRET_KEY to seal or open it"
                .to_owned(),
        })
    }

    /// Makes `document` (the `layer` of `deployable`; its default config for the default layer)
    /// hold sealed exactly what `schema` marks secret: plain values there are sealed for this
    /// layer, sealed values elsewhere (the schema no longer marks them) are opened. Every sealed
    /// value must have been sealed for this layer and open where it stands. A value sealed
    /// before layers were bound (v1) is accepted only where it already stood (`before`), unless
    /// `accept_unbound` (see [`crate::changes::ChangeSet::accepts_unbound_seals`]). A plain value equal to
    /// what `before` holds sealed at the same place keeps that ciphertext, so writing the same
    /// secret again changes nothing. Errors name the value's pointer.
    pub fn seal_document(
        &self,
        deployable: &str,
        layer: &Layer,
        schema: &Value,
        document: &mut Value,
        before: Option<&Value>,
        accept_unbound: bool,
    ) -> Result<(), StoreError> {
        let refuse = |u: Unopened| StoreError::invalid(u.pointer, u.reason);
        let here = layer.path();
        let secret = secret_pointers(schema, document);
        let sealed: Vec<(String, String)> = sealed_values(document)
            .into_iter()
            .map(|(at, text)| (at, text.to_owned()))
            .collect();
        for (at, text) in &sealed {
            let unchanged =
                before.and_then(|b| b.pointer(at)).and_then(Value::as_str) == Some(text);
            match sealed_form(text).and_then(|form| form.layer) {
                Some(sealed_for) if sealed_for != here => {
                    return Err(StoreError::invalid(
                        at.clone(),
                        format!(
                            "this value was sealed for the {} layer and opens only there; type the value itself here",
                            sealed_for.replacen('/', " ", 1)
                        ),
                    ));
                }
                None if !unchanged && !accept_unbound => {
                    return Err(StoreError::invalid(
                        at.clone(),
                        "this value was sealed before sealed values were bound to their layer, and is accepted only where it stands; type the value itself here",
                    ));
                }
                _ => {}
            }
            let value = self
                .key(at)
                .map_err(refuse)?
                .open(deployable, at, text)
                .map_err(|reason| StoreError::invalid(at.clone(), reason))?;
            if !secret.contains(at) {
                *pointer_mut(document, at)? = value;
            }
        }
        for at in &secret {
            let slot = pointer_mut(document, at)?;
            if is_sealed(slot) {
                continue;
            }
            let key = self.key(at).map_err(refuse)?;
            let kept = before
                .and_then(|before| before.pointer(at))
                .and_then(Value::as_str)
                .filter(|old| key.open(deployable, at, old).ok().as_ref() == Some(&*slot));
            *slot = match kept {
                Some(old) => Value::String(old.to_owned()),
                None => Value::String(key.seal(deployable, &here, at, slot)),
            };
        }
        Ok(())
    }

    /// The sealed value at `pointer` of a config of `deployable`, opened.
    pub fn open_value(
        &self,
        deployable: &str,
        pointer: &str,
        sealed: &str,
    ) -> Result<Value, Unopened> {
        self.key(pointer)?
            .open(deployable, pointer, sealed)
            .map_err(|reason| Unopened {
                pointer: pointer.to_owned(),
                reason,
            })
    }

    /// `document` (a config of `deployable`) with every sealed value opened (borrowed as it is
    /// when it holds none, as most configs do), and each opened secret's pointer and value; or
    /// the first that does not open.
    pub fn open_document<'a>(
        &self,
        deployable: &str,
        document: &'a Value,
    ) -> Result<Opened<'a>, Unopened> {
        let sealed = sealed_values(document);
        if sealed.is_empty() {
            return Ok((Cow::Borrowed(document), Vec::new()));
        }
        let mut opened = document.clone();
        let mut secrets = Vec::with_capacity(sealed.len());
        for (at, text) in sealed {
            let value = self.open_value(deployable, &at, text)?;
            if let Some(slot) = opened.pointer_mut(&at) {
                *slot = value.clone();
            }
            secrets.push((at, value));
        }
        Ok((Cow::Owned(opened), secrets))
    }
}

fn pointer_mut<'a>(document: &'a mut Value, at: &str) -> Result<&'a mut Value, StoreError> {
    document
        .pointer_mut(at)
        .ok_or_else(|| StoreError::corrupt(format!("no value at {at} of a document just read")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn key() -> SecretKey {
        SecretKey::parse(&SecretKey::generate()).unwrap()
    }

    fn live() -> Layer {
        Layer::Tier(strata_domain::names::TierName::parse("LIVE").unwrap())
    }

    fn tenant() -> Layer {
        Layer::Tenant(strata_domain::names::TenantName::parse("globex-x").unwrap())
    }

    fn schema() -> Value {
        json!({"properties": {"db": {"properties": {"password": {"type": "string", "writeOnly": true}}}, "port": {"type": "integer"}}})
    }

    #[test]
    fn keys_are_64_hex_digits_or_base64_of_32_bytes() {
        assert!(SecretKey::parse(&"ab".repeat(32)).is_ok());
        assert!(SecretKey::parse(&SecretKey::generate()).is_ok());
        let short = SecretKey::parse("c2hvcnQ=").unwrap_err();
        assert!(short.contains("32 bytes"), "{short}");
        assert!(SecretKey::parse("not a key!").is_err());
    }

    #[test]
    fn a_sealed_value_opens_only_with_its_key_at_its_place() {
        let key = key();
        let sealed = key.seal("web", "tier/LIVE", "/db/password", &json!("hunter2"));
        assert!(sealed.starts_with("sealed:v2:tier/LIVE:") && !sealed.contains("hunter2"));
        assert_eq!(
            key.open("web", "/db/password", &sealed).unwrap(),
            json!("hunter2")
        );
        assert!(key.open("web", "/db/user", &sealed).is_err());
        assert!(key.open("api", "/db/password", &sealed).is_err());
        assert!(
            SecretKey::parse(&SecretKey::generate())
                .unwrap()
                .open("web", "/db/password", &sealed)
                .is_err()
        );
        // A random nonce: the same value seals differently each time.
        assert_ne!(
            sealed,
            key.seal("web", "tier/LIVE", "/db/password", &json!("hunter2"))
        );
    }

    #[test]
    fn a_document_is_sealed_where_the_schema_says_and_only_there() {
        let sealer = Sealer::new(Some(key()));
        let mut layer = json!({"db": {"password": "hunter2"}, "port": 80});
        sealer
            .seal_document("web", &live(), &schema(), &mut layer, None, false)
            .unwrap();
        assert!(is_sealed(&layer["db"]["password"]));
        assert_eq!(layer["port"], 80);
        // Sealing again changes nothing; the same plain value keeps its ciphertext.
        let mut again = layer.clone();
        sealer
            .seal_document("web", &live(), &schema(), &mut again, Some(&layer), false)
            .unwrap();
        assert_eq!(again, layer);
        let mut same = json!({"db": {"password": "hunter2"}, "port": 80});
        sealer
            .seal_document("web", &live(), &schema(), &mut same, Some(&layer), false)
            .unwrap();
        assert_eq!(same, layer);
        // The schema stops marking it secret: it is opened.
        let mut unmarked = layer.clone();
        sealer
            .seal_document("web", &live(), &json!({}), &mut unmarked, None, false)
            .unwrap();
        assert_eq!(unmarked, json!({"db": {"password": "hunter2"}, "port": 80}));
        let (opened, secrets) = sealer.open_document("web", &layer).unwrap();
        assert!(matches!(opened, Cow::Owned(_)));
        assert_eq!(opened["db"]["password"], "hunter2");
        assert_eq!(secrets, vec![("/db/password".to_owned(), json!("hunter2"))]);
    }

    #[test]
    fn moved_values_and_a_missing_key_are_refused_naming_the_value() {
        let sealer = Sealer::new(Some(key()));
        let mut layer = json!({"db": {"password": "hunter2"}});
        sealer
            .seal_document("web", &live(), &schema(), &mut layer, None, false)
            .unwrap();
        let mut moved = json!({"port": layer["db"]["password"].clone()});
        let err = sealer
            .seal_document("web", &live(), &schema(), &mut moved, None, false)
            .unwrap_err();
        assert!(err.to_string().contains("/port"), "{err}");
        let keyless = Sealer::default();
        let err = keyless
            .seal_document(
                "web",
                &live(),
                &schema(),
                &mut json!({"db": {"password": "x"}}),
                None,
                false,
            )
            .unwrap_err();
        assert!(
            err.to_string().contains("/db/password")
                && err.to_string().contains("STRATA_SECRET_KEY"),
            "{err}"
        );
        assert!(
            keyless
                .seal_document(
                    "web",
                    &live(),
                    &schema(),
                    &mut json!({"db": {"password": null}}),
                    None,
                    false
                )
                .is_ok()
        );
        assert_eq!(
            keyless.open_document("web", &layer).unwrap_err().pointer,
            "/db/password"
        );
    }

    #[test]
    fn a_value_sealed_for_one_layer_is_refused_in_another_and_opens_only_in_its_own() {
        let key = key();
        let sealer = Sealer::new(Some(key.clone()));
        let mut tier = json!({"db": {"password": "the tier's password"}});
        sealer
            .seal_document("web", &live(), &schema(), &mut tier, None, false)
            .unwrap();
        let sealed = tier["db"]["password"].as_str().unwrap().to_owned();
        assert!(sealed.starts_with("sealed:v2:tier/LIVE:"), "{sealed}");
        // Pasted into a tenant's layer, where its writer could reveal it: refused at the field.
        let mut pasted = json!({"db": {"password": sealed.clone()}});
        let err = sealer
            .seal_document("web", &tenant(), &schema(), &mut pasted, None, false)
            .unwrap_err();
        assert!(
            err.to_string().contains("/db/password")
                && err.to_string().contains("sealed for the tier LIVE layer"),
            "{err}"
        );
        // Relabelled as the tenant's, it does not open: the layer is bound into the seal.
        let relabelled = sealed.replacen("tier/LIVE", "tenant/globex-x", 1);
        let mut forged = json!({"db": {"password": relabelled}});
        let err = sealer
            .seal_document("web", &tenant(), &schema(), &mut forged, None, false)
            .unwrap_err();
        assert!(err.to_string().contains("does not open here"), "{err}");
        assert!(key.open("web", "/db/password", &relabelled).is_err());
        assert_eq!(
            key.open("web", "/db/password", &sealed).unwrap(),
            json!("the tier's password")
        );
    }

    #[test]
    fn a_value_sealed_before_layers_were_bound_stays_only_where_it_stands() {
        let key = key();
        let sealer = Sealer::new(Some(key.clone()));
        // A v1 value, as the previous release wrote them: bound to deployable and pointer only.
        let v1 = key.seal_unbound("web", "/db/password", &json!("old password"));
        assert_eq!(
            key.open("web", "/db/password", &v1).unwrap(),
            json!("old password")
        );
        let stored = json!({"db": {"password": v1.clone()}, "port": 1});
        // Where it stands, a write that keeps it is accepted and keeps it as it is.
        let mut kept = json!({"db": {"password": v1.clone()}, "port": 2});
        sealer
            .seal_document("web", &live(), &schema(), &mut kept, Some(&stored), false)
            .unwrap();
        assert_eq!(kept["db"]["password"], json!(v1));
        // Anywhere else it is refused, naming the field; from the layer's own history it is not.
        let mut moved = json!({"db": {"password": v1.clone()}});
        let err = sealer
            .seal_document("web", &tenant(), &schema(), &mut moved, None, false)
            .unwrap_err();
        assert!(err.to_string().contains("/db/password"), "{err}");
        let mut rolled_back = json!({"db": {"password": v1.clone()}});
        sealer
            .seal_document("web", &live(), &schema(), &mut rolled_back, None, true)
            .unwrap();
    }
}
