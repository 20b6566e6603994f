//! The XML reader of SOAP envelopes (answers in the client, requests in the simulator): any
//! text gives a tree or an error, never a panic or a stack overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use writeback_setup::xml;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(root) = xml::parse(text) {
        let _ = root.descendant("Fault");
        let _ = root.child_text("Body");
    }
    // The simulator reads the session id of every SOAP request with the same parser.
    let _ = writeback_setup::sim::soap::session_id(text);
});
