//! Reading a report file back (`verify-report`, `diff`, "Open a report…"): any text is a
//! verified report or an error, never a panic. A mutated report rarely keeps a valid digest, so
//! the text is also read into the report model directly: whatever the model accepts diffs empty
//! against itself and renders as Markdown and HTML.
#![no_main]

use libfuzzer_sys::fuzz_target;
use writeback_setup::report::{self, diff, Report};

fn exercise(read: &Report) {
    assert!(diff::diff(read, read).is_empty());
    let _ = diff::render(read, read);
    let _ = report::markdown::render(read);
    let _ = report::html::render(read);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(read) = report::read_verified(text) {
        exercise(&read);
    }
    if let Ok(read) = serde_json::from_str::<Report>(text) {
        exercise(&read);
    }
});
