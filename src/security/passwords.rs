//! Password hashing (argon2id with the crate's defaults: m=19456 KiB, t=2,
//! p=1, OWASP's minimum) and the rules a new password must meet.

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Passwords so common that an attacker tries them first.
static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common_passwords.txt").lines().map(str::trim).filter(|l| !l.is_empty()).collect());

/// Verified against when the username is unknown, so that a wrong name and a
/// wrong password take the same time and cannot be told apart.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash("not the password of anyone at all").unwrap_or_default());

/// Hashes a password with a fresh random salt. Slow on purpose: call it off
/// the async workers.
pub fn hash(password: &str) -> Result<String, String> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Checks a password against a stored hash, or against a dummy hash when
/// there is no account, so both cases cost the same.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    match stored {
        Some(hash) => Argon2::default().verify_password(password.as_bytes(), hash).is_ok(),
        None => {
            let _ = Argon2::default().verify_password(password.as_bytes(), DUMMY_HASH.as_str());
            false
        }
    }
}

/// Why a new password is refused, in words for the person choosing it.
pub fn check_new(password: &str, username: &str) -> Result<(), &'static str> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err("Choose a password of at least 8 characters.");
    }
    if length > MAX_PASSWORD_CHARS {
        return Err("Choose a password of at most 128 characters.");
    }
    let lowered = password.to_lowercase();
    if lowered == username.to_lowercase() {
        return Err("Your password must not be your username.");
    }
    if COMMON.contains(lowered.as_str()) {
        return Err("That password is one of the most common ones; choose something less guessable.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(verify("correct horse battery", Some(&stored)));
        assert!(!verify("wrong horse battery", Some(&stored)));
        assert!(!verify("anything", None));
        assert_ne!(hash("same").unwrap(), hash("same").unwrap(), "salted");
    }

    #[test]
    fn new_password_rules() {
        assert!(check_new("short", "reader").is_err());
        assert!(check_new(&"x".repeat(129), "reader").is_err());
        assert!(check_new("ReaderOne", "readerone").is_err());
        assert!(check_new("password1", "reader").is_err());
        assert!(check_new("Password1", "reader").is_err());
        assert!(check_new("tidal lantern 42", "reader").is_ok());
    }
}
