//! The packaging files (packaging/, Cargo.toml metadata) agree with the app: one app id
//! everywhere, icons rendered from the current source, the version the binary reports.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use writeback_setup::APP_ID;

const ICON_SIZES: [u32; 8] = [16, 24, 32, 48, 64, 128, 256, 512];

fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(repo_file(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The value of `key=` in the desktop file's main group.
fn desktop_value(desktop: &str, key: &str) -> String {
    desktop
        .lines()
        .take_while(|l| !l.starts_with("[Desktop Action"))
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("the desktop file has no {key}="))
        .to_string()
}

/// The text of every `<tag ...>text</tag>` in an XML document (the metainfo is small and flat).
fn xml_texts(xml: &str, tag: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&format!("<{tag}")) {
        let after = &rest[start + tag.len() + 1..];
        if !after.starts_with(['>', ' ']) {
            rest = after;
            continue;
        }
        let open_end = after.find('>').expect("tag closes");
        let body = &after[open_end + 1..];
        let close = body.find(&format!("</{tag}>")).expect("closing tag");
        out.push(body[..close].trim().to_string());
        rest = &body[close..];
    }
    out
}

fn cargo_toml() -> toml::Table {
    read("Cargo.toml").parse().expect("Cargo.toml parses")
}

fn metadata<'a>(cargo: &'a toml::Table, tool: &str) -> &'a toml::Table {
    cargo["package"]["metadata"][tool]
        .as_table()
        .unwrap_or_else(|| panic!("no [package.metadata.{tool}]"))
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn the_app_id_is_a_reverse_dns_desktop_file_id() {
    let parts: Vec<&str> = APP_ID.split('.').collect();
    assert!(parts.len() >= 3, "{APP_ID}");
    for part in parts {
        assert!(
            !part.is_empty()
                && !part.starts_with(|c: char| c.is_ascii_digit())
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{APP_ID}: segment {part:?} is not allowed in a D-Bus/desktop-file id"
        );
    }
}

#[test]
fn desktop_file_is_named_after_the_app_id_and_uses_it() {
    let desktop = read(&format!("packaging/linux/{APP_ID}.desktop"));
    assert_eq!(desktop_value(&desktop, "Icon"), APP_ID);
    // X11 window managers match the window's WM_CLASS (set from the app id) to this entry.
    assert_eq!(desktop_value(&desktop, "StartupWMClass"), APP_ID);
    assert_eq!(desktop_value(&desktop, "Exec"), "writeback-setup");
    assert_eq!(
        desktop_value(&desktop, "Name"),
        writeback_setup::ui::APP_NAME
    );
    // The AppImage's entry (cargo-packager names it after the binary) matches the same window.
    let appimage = read("packaging/linux/appimage.desktop.hbs");
    assert_eq!(desktop_value(&appimage, "StartupWMClass"), APP_ID);
}

#[test]
fn metainfo_uses_the_app_id_and_the_crate_version() {
    let metainfo = read(&format!("packaging/linux/{APP_ID}.metainfo.xml"));
    assert_eq!(xml_texts(&metainfo, "id"), [APP_ID]);
    assert_eq!(
        xml_texts(&metainfo, "launchable"),
        [format!("{APP_ID}.desktop")]
    );
    assert_eq!(xml_texts(&metainfo, "icon"), [APP_ID]);
    assert_eq!(xml_texts(&metainfo, "binary"), ["writeback-setup"]);
    // The component's own <name> comes first (the developer's <name> follows).
    assert_eq!(
        xml_texts(&metainfo, "name").first().map(String::as_str),
        Some(writeback_setup::ui::APP_NAME)
    );
    // Software centres show the newest <release> (listed first) as the installed version.
    let newest = metainfo
        .split("<release ")
        .nth(1)
        .expect("at least one <release>");
    assert!(
        newest.starts_with(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))),
        "the newest <release> in the metainfo is not {}: add one for this version",
        env!("CARGO_PKG_VERSION")
    );
}

#[test]
fn packager_configs_use_the_app_id_and_existing_files() {
    let cargo = cargo_toml();
    let packager = metadata(&cargo, "packager");
    assert_eq!(packager["identifier"].as_str(), Some(APP_ID));
    assert_eq!(
        packager["product-name"].as_str(),
        Some(writeback_setup::ui::APP_NAME)
    );
    let mut packaged_files: Vec<String> = packager["icons"]
        .as_array()
        .expect("icons")
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    packaged_files.push(
        packager["deb"]["desktop-template"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    packaged_files.push(
        packager["nsis"]["installer-icon"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    let appdata = packager["nsis"]["appdata-paths"][0].as_str().unwrap();
    assert_eq!(
        appdata,
        format!("$APPDATA/{APP_ID}"),
        "eframe's settings folder on Windows"
    );

    let deb = metadata(&cargo, "deb");
    let assets = deb["assets"].as_array().expect("deb assets");
    let destinations: Vec<(String, String)> = assets
        .iter()
        .map(|a| {
            (
                a[0].as_str().unwrap().to_string(),
                a[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (source, _) in &destinations {
        if !source.starts_with("target/") && !source.contains('*') {
            packaged_files.push(source.clone());
        }
    }
    for expected in [
        (
            format!("packaging/linux/{APP_ID}.desktop"),
            "usr/share/applications/",
        ),
        (
            format!("packaging/linux/{APP_ID}.metainfo.xml"),
            "usr/share/metainfo/",
        ),
        (
            "packaging/icons/hicolor/**/*".to_string(),
            "usr/share/icons/hicolor/",
        ),
        ("target/release/writeback-setup".to_string(), "usr/bin/"),
    ] {
        assert!(
            destinations
                .iter()
                .any(|(s, d)| *s == expected.0 && d == expected.1),
            "the .deb does not install {} into {}",
            expected.0,
            expected.1
        );
    }
    for file in packaged_files {
        assert!(repo_file(&file).is_file(), "{file} is packaged but missing");
        if file.contains("/icons/") {
            assert!(
                file.contains(APP_ID),
                "{file} is not named after the app id"
            );
        }
    }
}

#[test]
fn icons_are_rendered_from_the_current_source() {
    let source = std::fs::read(repo_file("assets/icon.svg")).expect("assets/icon.svg");
    let fingerprint: String = Sha256::digest(&source)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        read("packaging/icons/source.sha256").trim(),
        fingerprint,
        "assets/icon.svg changed since the icons were rendered: run packaging/icons/generate.sh"
    );
    let scalable = format!("packaging/icons/hicolor/scalable/apps/{APP_ID}.svg");
    assert_eq!(std::fs::read(repo_file(&scalable)).unwrap(), source);
    for size in ICON_SIZES {
        let path = format!("packaging/icons/hicolor/{size}x{size}/apps/{APP_ID}.png");
        let bytes = std::fs::read(repo_file(&path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(png_size(&bytes), (size, size), "{path}");
    }
    let ico = std::fs::read(repo_file(&format!("packaging/icons/windows/{APP_ID}.ico"))).unwrap();
    // ICONDIR: reserved 0, type 1 (icon), then the number of images.
    assert_eq!(&ico[..4], &[0, 0, 1, 0]);
    assert_eq!(
        u16::from_le_bytes([ico[4], ico[5]]),
        6,
        "16..256 px in the .ico"
    );
}

#[test]
fn the_window_icon_is_the_128_px_app_icon() {
    let icon = writeback_setup::ui::window_icon().expect("the embedded icon decodes");
    assert_eq!((icon.width, icon.height), (128, 128));
    assert_eq!(icon.rgba.len(), 128 * 128 * 4);
    // X11 sends the icon as one _NET_WM_ICON property of width, height and one word per pixel;
    // the core protocol caps a request at 65,535 words (minus the request header).
    assert!(2 + (icon.width * icon.height) as usize <= 65_535 - 6);
    let on_disk = std::fs::read(repo_file(&format!(
        "packaging/icons/hicolor/128x128/apps/{APP_ID}.png"
    )))
    .unwrap();
    assert_eq!(writeback_setup::ui::WINDOW_ICON_PNG, on_disk.as_slice());
}

#[test]
fn version_flag_prints_the_version_in_a_clean_directory() {
    let clean =
        std::env::temp_dir().join(format!("writeback-setup-version-{}", std::process::id()));
    std::fs::create_dir_all(&clean).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_writeback-setup"))
        .arg("--version")
        .current_dir(&clean)
        // No desktop and no settings: --version must need neither.
        .env_clear()
        .env("HOME", &clean)
        .output()
        .expect("the binary runs");
    let left_behind: Vec<_> = std::fs::read_dir(&clean).unwrap().collect();
    std::fs::remove_dir_all(&clean).ok();
    assert!(left_behind.is_empty(), "--version wrote {left_behind:?}");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("writeback-setup {}\n", env!("CARGO_PKG_VERSION"))
    );
    assert!(output.stderr.is_empty());
}
