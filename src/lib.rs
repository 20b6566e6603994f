#![recursion_limit = "256"]
// Test code reads as one scenario top to bottom: the length limit is for product code.
#![cfg_attr(test, allow(clippy::too_many_lines))]
//! Write-back Setup Assistant: gets a Salesforce org ready for an integration that writes data
//! back into it. See ARCHITECTURE.md for the module map.
pub mod checks;
pub mod cli;
pub mod echo;
pub mod files;
pub mod fix;
pub mod login;
pub mod profile;
pub mod readiness;
pub mod report;
pub mod request;
pub mod salesforce;
pub mod sfid;
pub mod sim;
pub mod testwrite;
#[cfg(feature = "desktop")]
pub mod ui;
pub mod xml;

/// The app's one reverse-DNS id: the window's app id (Wayland app_id, X11 WM_CLASS), the
/// settings folder, and the name of the desktop file, icon and AppStream metadata in packaging/.
pub const APP_ID: &str = "io.github.writebacksetup.WritebackSetup";

/// The folder name the app's files live under in the user's data and config folders: the app id,
/// lower-cased on Linux and the BSDs as eframe names its settings folder there, so one app has
/// one folder name (`~/.local/share/io.github.writebacksetup.writebacksetup`).
pub fn app_folder_name() -> String {
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        APP_ID.to_string()
    } else {
        APP_ID.to_lowercase()
    }
}

/// Starts a thread named `name`, so a panic message, a debugger and `top -H` say which of the
/// app's threads it was (the house rule: no bare `std::thread::spawn`, which clippy.toml
/// disallows). Spawning fails only when the system refuses another thread; callers decide what
/// that means for them.
pub fn spawn_named<F, T>(name: &str, f: F) -> std::io::Result<std::thread::JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    std::thread::Builder::new().name(name.to_string()).spawn(f)
}
