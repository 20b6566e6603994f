//! Salesforce Id parsing: any text is an 18-character Id or an error, never a panic; the
//! 18-character form is stable and its first 15 characters give it back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use writeback_setup::sfid;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match sfid::to_18(text) {
        Ok(id) => {
            assert_eq!(id.len(), 18);
            assert_eq!(sfid::to_18(&id).as_ref(), Ok(&id));
            assert_eq!(sfid::to_18(&id[..15]).as_ref(), Ok(&id));
        }
        Err(error) => assert!(error.to_string().len() < 1_000),
    }
});
