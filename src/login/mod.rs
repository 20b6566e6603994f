//! Logging in to Salesforce.
pub mod browser;
pub mod session;
pub mod sf_cli;
pub mod store;
pub mod url;
