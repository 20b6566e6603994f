//! Windows only: embeds the app icon in writeback-setup.exe, so Explorer, the Start menu shortcut
//! the installer creates and "Apps & features" show it (the running window gets it from
//! `ui::window_icon`). Elsewhere this does nothing.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=packaging/icons/windows/io.github.writebacksetup.WritebackSetup.ico");
    // The resource compiler runs on the build machine: native Windows builds (MSVC: rc.exe from the
    // Windows SDK). A cross-build from another system ships the .exe without the embedded icon.
    #[cfg(windows)]
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows") {
        winresource::WindowsResource::new()
            .set_icon("packaging/icons/windows/io.github.writebacksetup.WritebackSetup.ico")
            .compile()
            .expect("embedding the icon needs the Windows SDK's rc.exe (installed with Visual Studio's C++ build tools)");
    }
}
