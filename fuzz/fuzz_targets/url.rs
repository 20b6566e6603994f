//! The org-address normaliser: any text is a login host or a reason, never a panic; a login
//! host is a plain https origin (or the loopback simulator) and normalises to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use writeback_setup::login::url::{login_host, LoginTarget};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(host) = login_host(&LoginTarget::Url(text.to_string())) {
        let url = &host.login_url;
        assert!(
            url.starts_with("https://") || url.starts_with("http://"),
            "{url}"
        );
        let again = login_host(&LoginTarget::Url(url.clone())).expect("a login host is an address");
        assert_eq!(&again.login_url, url);
    }
});
