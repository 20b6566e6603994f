#![recursion_limit = "256"]
//! Write-back Setup Assistant: gets a Salesforce org ready for an integration that writes data
//! back into it. See ARCHITECTURE.md for the module map.
pub mod checks;
pub mod cli;
pub mod fix;
pub mod login;
pub mod profile;
pub mod readiness;
pub mod report;
pub mod salesforce;
pub mod sfid;
pub mod sim;
pub mod testwrite;
pub mod ui;
pub mod xml;

/// The app's one reverse-DNS id: the window's app id (Wayland app_id, X11 WM_CLASS), the
/// settings folder, and the name of the desktop file, icon and AppStream metadata in packaging/.
pub const APP_ID: &str = "io.github.writebacksetup.WritebackSetup";
