//! Browser login: the OAuth web-server flow with PKCE and `state`, and the one-shot loopback
//! listener on 127.0.0.1 that receives the redirect.

use crate::salesforce::oauth::{explain_oauth_error, OAuthClient, PkceLogin, TokenResponse};
use crate::salesforce::SfError;
use std::time::Duration;
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Scopes the assistant asks for: the API, and a refresh token so checks can run later.
pub const SCOPES: [&str; 2] = ["api", "refresh_token"];

#[derive(Debug, Error)]
pub enum LoginError {
    #[error("Port {port} on this computer is already in use, so the login cannot receive Salesforce's answer. Close the program using it (another login window, or `sf org login web`), or choose another callback port (the app's callback URL must use the same port).")]
    PortBusy { port: u16 },
    #[error("The login could not listen on 127.0.0.1:{port}: {message}")]
    Listen { port: u16, message: String },
    #[error("No answer from the browser within {0} seconds. Start the login again and finish it in the browser.")]
    TimedOut(u64),
    #[error("The answer that reached the assistant belongs to another login attempt (state mismatch). Start the login again from the assistant, and use only the browser tab it opened.")]
    StateMismatch,
    #[error("{}", explain_oauth_error(.error, .description))]
    Denied { error: String, description: String },
    #[error("The browser's answer had no authorization code. Start the login again.")]
    NoCode,
    #[error("The login worked in the browser, but the assistant could not get the tokens: {}", .0.explanation())]
    Exchange(SfError),
}

/// A login in progress: show `authorize_url` (and open it), then `finish`.
pub struct BrowserLogin {
    pub authorize_url: String,
    pkce: PkceLogin,
    listener: TcpListener,
    path: String,
}

/// The port and path of a loopback redirect URI like `http://localhost:1717/OauthRedirect`.
pub fn redirect_port_and_path(redirect_uri: &str) -> Option<(u16, String)> {
    let url = url::Url::parse(redirect_uri).ok()?;
    let host = url.host_str()?;
    if !matches!(host, "localhost" | "127.0.0.1") || url.scheme() != "http" {
        return None;
    }
    Some((url.port_or_known_default()?, url.path().to_string()))
}

impl BrowserLogin {
    /// Binds the loopback listener first (so a busy port is reported before the browser opens).
    pub async fn start(oauth: &OAuthClient) -> Result<BrowserLogin, LoginError> {
        let (port, path) =
            redirect_port_and_path(oauth.redirect_uri()).ok_or_else(|| LoginError::Listen {
                port: 0,
                message: format!(
                    "the callback URL {} is not a http://localhost:PORT/... address",
                    oauth.redirect_uri()
                ),
            })?;
        let listener = match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                return Err(LoginError::PortBusy { port })
            }
            Err(e) => {
                return Err(LoginError::Listen {
                    port,
                    message: e.to_string(),
                })
            }
        };
        let pkce = PkceLogin::new();
        Ok(BrowserLogin {
            authorize_url: oauth.authorize_url(&pkce, &SCOPES),
            pkce,
            listener,
            path,
        })
    }

    /// Waits for the redirect, checks it, exchanges the code. Dropping the future cancels the login.
    pub async fn finish(
        self,
        oauth: &OAuthClient,
        timeout: Duration,
    ) -> Result<TokenResponse, LoginError> {
        let code = tokio::time::timeout(timeout, self.receive_code())
            .await
            .map_err(|_| LoginError::TimedOut(timeout.as_secs()))??;
        oauth
            .exchange_code(&code, &self.pkce)
            .await
            .map_err(LoginError::Exchange)
    }

    async fn receive_code(&self) -> Result<String, LoginError> {
        loop {
            let Ok((stream, _)) = self.listener.accept().await else {
                continue;
            };
            if let Some(outcome) = self.answer(stream).await {
                return outcome;
            }
        }
    }

    /// Answers one browser request; `Some` once the redirect itself arrived.
    async fn answer(&self, mut stream: TcpStream) -> Option<Result<String, LoginError>> {
        let mut buffer = vec![0u8; 8192];
        let mut read = 0;
        while read < buffer.len() {
            match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer[read..]))
                .await
            {
                Ok(Ok(0)) | Err(_) | Ok(Err(_)) => break,
                Ok(Ok(n)) => {
                    read += n;
                    if buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
        let request = String::from_utf8_lossy(&buffer[..read]).to_string();
        let mut first = request.lines().next().unwrap_or("").split_whitespace();
        let method = first.next().unwrap_or("");
        let target = first.next().unwrap_or("");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if method == "OPTIONS" {
            // Chrome's Private Network Access preflight.
            respond(
                &mut stream,
                "204 No Content",
                "",
                "Access-Control-Allow-Private-Network: true\r\n",
            )
            .await;
            return None;
        }
        if method != "GET" || path != self.path {
            respond(
                &mut stream,
                "404 Not Found",
                &page(
                    "Not found",
                    "This address belongs to the Write-back Setup Assistant's login.",
                ),
                "",
            )
            .await;
            return None;
        }
        let params: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
        let outcome = if params.get("state") != Some(&self.pkce.state) {
            Err(LoginError::StateMismatch)
        } else if let Some(error) = params.get("error") {
            Err(LoginError::Denied {
                error: error.clone(),
                description: params.get("error_description").cloned().unwrap_or_default(),
            })
        } else {
            params
                .get("code")
                .cloned()
                .filter(|c| !c.is_empty())
                .ok_or(LoginError::NoCode)
        };
        let html = match &outcome {
            Ok(_) => page(
                "Logged in",
                "You can close this tab and go back to the Write-back Setup Assistant.",
            ),
            Err(e) => page("Login failed", &format!("{e} You can close this tab.")),
        };
        respond(
            &mut stream,
            if outcome.is_ok() {
                "200 OK"
            } else {
                "400 Bad Request"
            },
            &html,
            "",
        )
        .await;
        Some(outcome)
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(title: &str, message: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{0}</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:4em auto\"><h1>{0}</h1><p>{1}</p></body></html>",
        escape(title),
        escape(message)
    )
}

async fn respond(stream: &mut TcpStream, status: &str, body: &str, extra_headers: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\n{extra_headers}Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_only() {
        assert_eq!(
            redirect_port_and_path("http://localhost:1717/OauthRedirect"),
            Some((1717, "/OauthRedirect".into()))
        );
        assert_eq!(
            redirect_port_and_path("http://127.0.0.1:8080/cb"),
            Some((8080, "/cb".into()))
        );
        assert_eq!(redirect_port_and_path("https://app.example/cb"), None);
        assert_eq!(redirect_port_and_path("not a url"), None);
    }
}
