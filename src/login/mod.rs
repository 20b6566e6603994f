//! Logging in to Salesforce.
pub mod app;
pub mod browser;
pub mod connect;
pub mod session;
pub mod sf_cli;
pub mod store;
pub mod url;
