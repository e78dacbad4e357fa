//! Password hashes and random tokens. Passwords are hashed with argon2id (the `argon2` crate's
//! defaults: 19 MiB, 2 passes, 1 lane, OWASP's recommendation) into a PHC string that carries
//! its own parameters and salt. Tokens are 32 random bytes from the operating system, kept
//! only as their SHA-256.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

use crate::StoreError;

/// Hashes `password` on a blocking thread (tens of milliseconds of work by design).
pub(crate) async fn hash_password(password: &str) -> Result<String, StoreError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| StoreError::corrupt(format!("cannot hash a password: {e}")))
    })
    .await
    .map_err(|e| StoreError::corrupt(format!("the password hasher stopped: {e}")))?
}

/// Whether `password` matches the stored PHC string. A hash that does not parse is corrupt.
pub(crate) async fn verify_password(password: &str, stored: &str) -> Result<bool, StoreError> {
    let password = password.to_owned();
    let stored = stored.to_owned();
    tokio::task::spawn_blocking(move || {
        let hash = PasswordHash::new(&stored)
            .map_err(|e| StoreError::corrupt(format!("a stored password hash: {e}")))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok())
    })
    .await
    .map_err(|e| StoreError::corrupt(format!("the password hasher stopped: {e}")))?
}

/// A hash to verify against when the account does not exist, so that a wrong name takes as
/// long to refuse as a wrong password (no telling which names exist by timing).
pub(crate) async fn dummy_hash() -> &'static str {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async {
            hash_password("not a password anyone has")
                .await
                .unwrap_or_default()
        })
        .await
}

/// A new random token: 32 bytes from the OS, as 64 hex digits, after `prefix`.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// What is stored of a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only_and_is_argon2id() {
        let hash = hash_password("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(
            verify_password("correct horse battery", &hash)
                .await
                .unwrap()
        );
        assert!(
            !verify_password("correct horse battery!", &hash)
                .await
                .unwrap()
        );
        let again = hash_password("correct horse battery").await.unwrap();
        assert_ne!(hash, again, "each hash has its own salt");
    }

    #[test]
    fn tokens_are_random_and_stored_as_their_hash() {
        let a = new_token("st_");
        let b = new_token("st_");
        assert_ne!(a, b);
        assert_eq!(a.len(), 3 + 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
