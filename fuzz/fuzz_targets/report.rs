//! Reading a report file back (`verify-report`, `diff`, "Open a report…"): any text is a
//! verified report or an error, never a panic; a verified report diffs empty against itself and
//! renders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use writeback_setup::report::{self, diff};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(read) = report::read_verified(text) {
        assert!(diff::diff(&read, &read).is_empty());
        let _ = diff::render(&read, &read);
        let _ = report::markdown::render(&read);
        let _ = report::html::render(&read);
    }
});
