//! Loading an integration profile: any text is a validated profile or an error that names the
//! problem, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use writeback_setup::profile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match profile::parse("fuzz.toml", text) {
        Ok(loaded) => {
            let _ = loaded.to_toml();
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
