//! `writeback-setup login`, `check` with the saved login, and `logout`, as processes, against the
//! simulated org's OAuth server:
//! - with a real Secret Service keychain (gnome-keyring on a private D-Bus session, when
//!   installed; mandatory on CI),
//! - without a keychain (the session stays in memory and the command says so),
//! - driven end to end by headless Chromium (the app opens it through $BROWSER, the test fills in
//!   the simulated login page over the DevTools protocol).
//!
//! Every output the commands write (stdout, stderr, the config folder) is searched for the token
//! values the org issued.

use crate::common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use writeback_setup::sim::server::{SimOptions, SimServer};

const BIN: &str = env!("CARGO_BIN_EXE_writeback-setup");

fn on_ci() -> bool {
    std::env::var_os("CI").is_some()
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Skips (with a message) where a system tool is missing; CI installs them, so there it fails.
fn require(programs: &[&str]) -> bool {
    let missing: Vec<&str> = programs.iter().copied().filter(|p| !have(p)).collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        !on_ci(),
        "CI must install {missing:?} (see .ci/run) for this test"
    );
    eprintln!("skipped: {missing:?} not installed");
    false
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "writeback-setup-login-cli-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Org {
    sim: SimServer,
    runtime: tokio::runtime::Runtime,
}

fn org(port: u16) -> Org {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(SimServer::start(
            &common::login_scenario(port, false),
            SimOptions::default(),
        ))
        .unwrap();
    Org { sim, runtime }
}

impl Org {
    /// Every token the org has issued and still honours.
    fn tokens(&self) -> Vec<String> {
        self.sim.with_org(|org| {
            org.sessions
                .keys()
                .chain(org.refresh_tokens.keys())
                .cloned()
                .collect()
        })
    }

    /// The admin in a browser: log in, Allow, land on the loopback page.
    fn play_browser(&self, authorize_url: &str) {
        self.runtime.block_on(common::answer_in_browser(
            self.sim.url(),
            authorize_url,
            "allow",
        ));
    }
}

/// A private D-Bus session with gnome-keyring's Secret Service, its files in a temp folder.
struct Keychain {
    bus: String,
    dbus_pid: u32,
}

impl Keychain {
    fn start(dir: &Path) -> Keychain {
        let out = Command::new("dbus-daemon")
            .args(["--session", "--fork", "--print-address=1", "--print-pid=1"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let mut lines = text.lines();
        let bus = lines.next().unwrap().to_string();
        let dbus_pid = lines.next().unwrap().trim().parse().unwrap();
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_RUNTIME_DIR", dir)
            .env("HOME", dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        keyring
            .stdin
            .take()
            .unwrap()
            .write_all(b"test-keyring-password")
            .unwrap();
        keyring.wait().unwrap();
        // The daemon sets up its login collection just after the launcher returns.
        std::thread::sleep(Duration::from_millis(1000));
        Keychain { bus, dbus_pid }
    }
}

impl Drop for Keychain {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.dbus_pid.to_string()).status();
    }
}

/// The app's command with a private config folder and (optionally) the test keychain.
fn app(config: &Path, keychain: Option<&Keychain>) -> Command {
    let mut command = Command::new(BIN);
    command
        .env("WRITEBACK_SETUP_CONFIG_DIR", config)
        .env_remove("SF_INSTANCE_URL")
        .env_remove("SF_ACCESS_TOKEN")
        .env_remove("BROWSER");
    match keychain {
        Some(k) => command.env("DBUS_SESSION_BUS_ADDRESS", &k.bus),
        None => command
            .env("WRITEBACK_SETUP_KEYCHAIN", "off")
            .env_remove("DBUS_SESSION_BUS_ADDRESS"),
    };
    command
}

/// Starts `login`, waits for the authorize URL on stderr and returns it with the child.
fn start_login(mut command: Command) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    writeback_setup::spawn_named("login-stderr", move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    })
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if line.starts_with("http") {
                return (child, line, rx);
            }
            if line.starts_with("error:") {
                let _ = child.kill();
                let _ = child.wait();
                panic!("login failed before the browser: {line}");
            }
            seen.push(line);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("no login URL on stderr: {seen:?}");
}

/// Waits for the child; its stdout, and its stderr (the lines after the URL).
fn finish(mut child: Child, rest: std::sync::mpsc::Receiver<String>) -> (i32, String, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("login did not finish");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let stderr: Vec<String> = rest.try_iter().collect();
    (status.code().unwrap_or(-1), stdout, stderr.join("\n"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// No token value in any text, nor in any file under `dir`.
fn assert_no_tokens(tokens: &[String], texts: &[&str], dir: &Path) {
    assert!(!tokens.is_empty());
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    for token in tokens {
        for text in texts {
            assert!(!text.contains(token.as_str()), "a token leaked into output");
        }
        for file in &files {
            let bytes = std::fs::read(file).unwrap_or_default();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(token.as_str()),
                "a token leaked into {}",
                file.display()
            );
        }
    }
}

#[test]
fn login_is_kept_in_the_keychain_used_by_check_and_revoked_by_logout() {
    if !require(&["dbus-daemon", "gnome-keyring-daemon"]) {
        return;
    }
    let port = 27871;
    let org = org(port);
    let dir = tempdir("keychain");
    let config = dir.join("config");
    let keychain = Keychain::start(&dir);

    let mut login = app(&config, Some(&keychain));
    login.args([
        "login",
        "--url",
        org.sim.url(),
        "--client-id",
        common::SIM_APP_KEY,
        "--callback-port",
        &port.to_string(),
        "--no-browser",
    ]);
    let (child, url, rest) = start_login(login);
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    org.play_browser(&url);
    let (code, login_out, login_err) = finish(child, rest);
    assert_eq!(code, 0, "{login_out}\n{login_err}");
    assert!(
        login_out.contains("Logged in as admin@acme.example"),
        "{login_out}"
    );
    assert!(
        login_out.contains("Saved in the system keychain"),
        "{login_out}"
    );
    let issued = org.tokens();

    // `check` without connection options uses the saved login.
    let (used_before, _) = org.sim.api_usage();
    let check = app(&config, Some(&keychain))
        .args(["check", "--integration-user", "integration@acme.example"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert!(text(&check).contains("READY"), "{}", text(&check));
    let (used_after, _) = org.sim.api_usage();
    // The refresh and the versions list cost no API calls; reading who is logged in costs one
    // (`sobjects/User/{id}`, which needs no `id` scope, unlike userinfo); the check costs its 5
    // on this org: a composite, a Tooling composite and listMetadata, then readMetadata and
    // its one validation rule's formula.
    assert_eq!(
        used_after - used_before,
        6,
        "API calls of check with a saved login"
    );

    let list = app(&config, Some(&keychain))
        .args(["login", "--list"])
        .output()
        .unwrap();
    assert!(
        text(&list).contains("admin@acme.example"),
        "{}",
        text(&list)
    );

    let mut all_tokens = issued;
    all_tokens.extend(org.tokens());
    let refresh_before: Vec<String> = org
        .sim
        .with_org(|o| o.refresh_tokens.keys().cloned().collect());
    assert_eq!(refresh_before.len(), 1);

    let logout = app(&config, Some(&keychain))
        .arg("logout")
        .output()
        .unwrap();
    assert_eq!(logout.status.code(), Some(0), "{}", text(&logout));
    assert!(
        text(&logout).contains("Salesforce revoked the session"),
        "{}",
        text(&logout)
    );
    assert!(org.sim.with_org(|o| o.refresh_tokens.is_empty()));

    let after = app(&config, Some(&keychain)).arg("check").output().unwrap();
    assert_eq!(after.status.code(), Some(2), "{}", text(&after));
    assert!(
        text(&after).contains("writeback-setup login"),
        "{}",
        text(&after)
    );

    assert_no_tokens(
        &all_tokens,
        &[
            &login_out,
            &login_err,
            &url,
            &text(&check),
            &text(&list),
            &text(&logout),
            &text(&after),
        ],
        &config,
    );
}

#[test]
fn without_a_keychain_the_login_says_it_is_not_kept() {
    let port = 27872;
    let org = org(port);
    let dir = tempdir("memory");
    let config = dir.join("config");
    let mut login = app(&config, None);
    login.args([
        "login",
        "--url",
        org.sim.url(),
        "--client-id",
        common::SIM_APP_KEY,
        "--callback-port",
        &port.to_string(),
        "--no-browser",
    ]);
    let (child, url, rest) = start_login(login);
    org.play_browser(&url);
    let (code, out, err) = finish(child, rest);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Kept in memory only"), "{out}");
    assert!(out.contains("ends with this command"), "{out}");
    assert!(!config.join("logins.json").exists());
    // The consumer key that worked is remembered for this org (it is not a secret).
    let keys = std::fs::read_to_string(config.join("client-ids.json")).unwrap_or_default();
    assert!(keys.contains(common::SIM_APP_KEY), "{keys}");
    let check = app(&config, None).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(2), "{}", text(&check));
    assert_no_tokens(&org.tokens(), &[&out, &err, &url, &text(&check)], &dir);
}

#[test]
fn a_busy_callback_port_and_bad_settings_are_reported_before_any_browser() {
    let port = 27873;
    let _taken = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let dir = tempdir("busy");
    let busy = app(&dir, None)
        .args([
            "login",
            "--url",
            "http://127.0.0.1:9",
            "--client-id",
            common::SIM_APP_KEY,
            "--callback-port",
            &port.to_string(),
            "--no-browser",
        ])
        .output()
        .unwrap();
    assert_eq!(busy.status.code(), Some(1), "{}", text(&busy));
    assert!(text(&busy).contains("already in use"), "{}", text(&busy));
    assert!(!text(&busy).contains("http://127.0.0.1:9/services"));

    for (args, expected) in [
        (
            vec!["login", "--url", "https://example.com", "--no-browser"],
            "salesforce",
        ),
        (
            vec![
                "login",
                "--client-id",
                common::SIM_APP_KEY,
                "--callback-port",
                "80",
                "--no-browser",
            ],
            "between 1024 and 65535",
        ),
        // No app configured in this build and none given: the way that works is said.
        (vec!["login", "--no-browser"], "sf org login web"),
        (
            vec!["login", "--client-id", "has space", "--no-browser"],
            "consumer key",
        ),
        (
            vec!["check", "--login", "nobody@example.com"],
            "no saved login",
        ),
        (vec!["logout", "nobody@example.com"], "no saved login"),
    ] {
        let out = app(&dir, None).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(
            text(&out).to_lowercase().contains(&expected.to_lowercase()),
            "{args:?}: {}",
            text(&out)
        );
    }
}

/// A name given to `logout` is quoted back with its terminal control characters escaped: an
/// escape sequence in it cannot retitle, clear or recolour the terminal.
#[test]
fn logout_escapes_control_characters_it_echoes() {
    let dir = tempdir("escape");
    let name = "evil\u{1b}]0;owned\u{7}\u{1b}[2J@example.com";
    let out = app(&dir, None).args(["logout", name]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = text(&out);
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown:?}"
    );
    assert!(shown.contains("evil\\u{1b}]0;owned"), "{shown}");
}

/// Headless Chromium, opened by the app through $BROWSER, fills in the simulated login page.
#[test]
fn headless_chromium_logs_in_end_to_end() {
    if !require(&["chromium"]) {
        return;
    }
    let port = 27874;
    let org = org(port);
    let dir = tempdir("chromium");
    let profile = dir.join("chromium-profile");
    let script = dir.join("browser.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nchromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
             --no-first-run --no-default-browser-check --disable-background-networking \
             --disable-extensions --password-store=basic --user-data-dir='{}' \
             --remote-debugging-port=0 \"$1\" >'{}' 2>&1 &\necho $! >'{}'\n",
            profile.display(),
            dir.join("chromium.log").display(),
            dir.join("chromium.pid").display()
        ),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();

    // The app is configured the way a publisher configures it: `app.toml` in the config folder.
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::write(
        dir.join("config").join("app.toml"),
        format!(
            "[app]\nclient_id = \"{}\"\ncallback_url = \"http://localhost:{port}/OauthRedirect\"\n",
            common::SIM_APP_KEY
        ),
    )
    .unwrap();
    let mut login = app(&dir.join("config"), None);
    login
        .args(["login", "--url", org.sim.url()])
        .env("BROWSER", &script);
    let (child, url, rest) = start_login(login);

    let org_url = org.sim.url().to_string();
    let outcome = std::panic::catch_unwind(move || {
        let page = devtools_page(&profile, &org_url);
        fill_login_page(&page);
    });
    let (code, out, err) = finish(child, rest);
    if let Ok(pid) = std::fs::read_to_string(dir.join("chromium.pid")) {
        let _ = Command::new("kill").arg(pid.trim()).status();
    }
    if let Err(panic) = outcome {
        let log = std::fs::read_to_string(dir.join("chromium.log")).unwrap_or_default();
        eprintln!("chromium log:\n{log}");
        std::panic::resume_unwind(panic);
    }
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Logged in as admin@acme.example"), "{out}");
    assert!(url.starts_with(org.sim.url()));
    assert_no_tokens(&org.tokens(), &[&out, &err, &url], &dir.join("config"));
}

/// The DevTools WebSocket URL of the tab showing the org's login page.
fn devtools_page(profile: &Path, org_url: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(port_file) = std::fs::read_to_string(profile.join("DevToolsActivePort")) {
            let port = port_file.lines().next().unwrap_or("").trim().to_string();
            if let Ok(list) = http_get(&format!("127.0.0.1:{port}"), "/json/list") {
                if let Ok(targets) = serde_json::from_str::<serde_json::Value>(&list) {
                    for target in targets.as_array().into_iter().flatten() {
                        let url = target["url"].as_str().unwrap_or("");
                        if target["type"] == "page" && url.starts_with(org_url) {
                            return target["webSocketDebuggerUrl"].as_str().unwrap().to_string();
                        }
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("chromium did not show the login page");
}

fn http_get(host: &str, path: &str) -> std::io::Result<String> {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    // Read until the server closes or goes quiet; the body is what came.
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
        }
    }
    let response = String::from_utf8_lossy(&bytes).to_string();
    Ok(response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default())
}

/// Types the username and password into the page and presses Allow, as a person would.
fn fill_login_page(ws_url: &str) {
    let (mut socket, _) = tungstenite::connect(ws_url).unwrap();
    let script = "(() => { const u = document.querySelector('input[name=username]'); \
                  if (!u) return false; u.value = 'admin@acme.example'; \
                  document.querySelector('input[name=pw]').value = 'demo'; \
                  document.querySelector('button[value=allow]').click(); return true; })()";
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut id = 0;
    while Instant::now() < deadline {
        id += 1;
        let request = serde_json::json!({
            "id": id,
            "method": "Runtime.evaluate",
            "params": {"expression": script, "returnByValue": true}
        });
        socket
            .send(tungstenite::Message::text(request.to_string()))
            .unwrap();
        loop {
            let message = socket.read().unwrap();
            let Ok(text) = message.to_text() else {
                continue;
            };
            let answer: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            if answer["id"] == id {
                if answer["result"]["result"]["value"] == true {
                    return;
                }
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("the login page never showed its form");
}

/// The External Client App guide and its Salesforce DX source, for an admin without the CLI.
#[test]
fn the_app_guide_and_its_dx_source() {
    let dir = tempdir("guide");
    let out = app(&dir, None).args(["login", "--guide"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let guide = text(&out);
    for needle in [
        "External Client App Manager",
        "http://localhost:17717/OauthRedirect",
        "refresh_token",
        "Require secret for Refresh Token Flow: off",
        "10 minutes",
    ] {
        assert!(guide.contains(needle), "{needle}: {guide}");
    }
    let source = dir.join("eca");
    let out = app(&dir, None)
        .args([
            "login",
            "--eca-source",
            source.to_str().unwrap(),
            "--callback-port",
            "18888",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let global = std::fs::read_to_string(source.join(
        "force-app/main/default/extlClntAppGlobalOauthSets/Writeback_Setup_Assistant_glbloauth.ecaGlblOauth-meta.xml",
    ))
    .unwrap();
    assert!(
        global.contains("<callbackUrl>http://localhost:18888/OauthRedirect</callbackUrl>"),
        "{global}"
    );
    assert!(global.contains("<isPkceRequired>true</isPkceRequired>"));
    assert!(source.join("sfdx-project.json").exists());
    assert!(source
        .join("force-app/main/default/externalClientApps/Writeback_Setup_Assistant.eca-meta.xml")
        .exists());
}
