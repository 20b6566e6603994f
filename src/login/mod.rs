//! Logging in to Salesforce.
pub mod browser;
pub mod sf_cli;
pub mod url;
pub mod session;
pub mod store;
