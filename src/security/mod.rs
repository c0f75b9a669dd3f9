//! Protections: security headers, CSRF, sessions, passwords, identity.

pub mod csrf;
pub mod headers;
pub mod identity;
pub mod passwords;
pub mod session_data;
pub mod session_store;
