//! The simulated Salesforce org.
pub mod access;
pub mod org;
pub mod query;
pub mod rest;
pub mod scenario;
pub mod schema;
pub mod soql;
