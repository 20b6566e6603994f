//! Logging in to Salesforce: the browser flow (OAuth web server flow with PKCE).
pub mod browser;
