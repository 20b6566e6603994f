//! The simulated Salesforce org.
pub mod access;
pub mod apex;
pub mod collections;
pub mod columns;
pub mod composite;
pub mod identity;
pub mod oauth;
pub mod org;
pub mod query;
pub mod rest;
pub mod scenario;
pub mod schema;
pub mod server;
pub mod soap;
pub mod soql;
pub mod value;
