//! The simulator's SOQL parser: any text is a query or a Salesforce-shaped error, never a
//! panic or a stack overflow; a query that parses parses again the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use writeback_setup::sim::soql;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match soql::parse(text) {
        Ok(query) => assert_eq!(soql::parse(text).ok(), Some(query)),
        Err(error) => assert!(!error.error_code.is_empty()),
    }
});
