//! Protections that apply to every response or request.

pub mod headers;
