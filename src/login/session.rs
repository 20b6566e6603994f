//! A logged-in session, shared by the desktop app and the command line: the browser login's
//! settings, turning the token answer into a connected [`Client`], resuming a saved login with
//! its refresh token (storing a rotated one), and signing out (revoke at Salesforce, then
//! forget).

use super::app::DEFAULT_CALLBACK_URL;
use super::browser::{redirect_port_and_path, BrowserLogin, LoginError};
use super::store::{LoginBook, SavedLogin, SecretStore, StoreError};
use super::url::{login_host, LoginHost, LoginTarget, LoginUrlError};
use crate::profile::LoginApp;
use crate::salesforce::oauth::{OAuthClient, TokenResponse};
use crate::salesforce::{Client, Identity, RefreshFuture, SfError, StaticToken, TokenSource};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thiserror::Error;

/// How long the loopback listener waits for the browser.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, Error)]
pub enum SessionError {
    #[error("{0}")]
    Url(#[from] LoginUrlError),
    #[error("{0}")]
    Login(#[from] LoginError),
    #[error("{}", .0.explanation())]
    Salesforce(#[from] SfError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("The saved login of {username} has no session left in the keychain (it was signed out or deleted there). Log in again.")]
    NotSaved { username: String },
    #[error("{0}")]
    BadClientId(#[from] super::app::AppError),
    #[error("No app is set up for logging in through the browser. Log in with the Salesforce CLI instead, or create your own External Client App (the guide shows every setting) and give its consumer key.")]
    NoApp,
    #[error("The callback port must be between 1024 and 65535; {0} is not.")]
    BadPort(u32),
}

/// Where and through which app the browser login goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginSettings {
    pub host: LoginHost,
    pub client_id: String,
    pub redirect_uri: String,
}

impl LoginSettings {
    /// Settings from the admin's choices: a consumer key the admin gave (`client_id`, with the
    /// default callback [`DEFAULT_CALLBACK_URL`]), else `app` (the profile's, or the
    /// distribution's own: see [`super::app`]); none of them is [`SessionError::NoApp`]. A
    /// `callback_port` replaces the callback URL's port.
    pub fn new(
        target: &LoginTarget,
        app: Option<&LoginApp>,
        client_id: Option<&str>,
        callback_port: Option<u32>,
    ) -> Result<LoginSettings, SessionError> {
        let host = login_host(target)?;
        let given = client_id.map(str::trim).filter(|c| !c.is_empty());
        let (client_id, mut redirect_uri) = match (given, app) {
            (Some(id), Some(app)) if id == app.client_id => {
                (app.client_id.clone(), app.callback_url.clone())
            }
            (Some(id), _) => (
                super::app::validate_client_id(id)?,
                DEFAULT_CALLBACK_URL.to_string(),
            ),
            (None, Some(app)) => (app.client_id.clone(), app.callback_url.clone()),
            (None, None) => return Err(SessionError::NoApp),
        };
        if let Some(port) = callback_port {
            if !(1024..=65535).contains(&port) {
                return Err(SessionError::BadPort(port));
            }
            let path = redirect_port_and_path(&redirect_uri)
                .map(|(_, path)| path)
                .unwrap_or_else(|| "/OauthRedirect".to_string());
            redirect_uri = format!("http://localhost:{port}{path}");
        }
        Ok(LoginSettings {
            host,
            client_id,
            redirect_uri,
        })
    }

    pub fn oauth(&self) -> Result<OAuthClient, SfError> {
        OAuthClient::new(&self.host.login_url, &self.client_id, &self.redirect_uri)
    }
}

/// Access token in memory, refresh token in memory and in the secret store; a refresh stores a
/// rotated refresh token before the new access token is used.
pub struct RefreshingToken {
    oauth: OAuthClient,
    access: Mutex<String>,
    refresh: Mutex<Option<String>>,
    store: Arc<dyn SecretStore>,
    account: String,
    /// One refresh at a time: with rotation a second concurrent refresh would use a dead token.
    refreshing: tokio::sync::Mutex<()>,
}

impl fmt::Debug for RefreshingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingToken")
            .field("oauth", &self.oauth)
            .field("account", &self.account)
            .field("tokens", &"[redacted]")
            .finish()
    }
}

fn locked<T: Clone>(m: &Mutex<T>) -> T {
    m.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

impl RefreshingToken {
    fn refresh_token(&self) -> Option<String> {
        locked(&self.refresh)
    }

    fn keep(&self, answer: &TokenResponse) -> Result<(), StoreError> {
        *self.access.lock().unwrap_or_else(|p| p.into_inner()) = answer.access_token.clone();
        if let Some(new) = &answer.refresh_token {
            if self.refresh_token().as_ref() != Some(new) {
                *self.refresh.lock().unwrap_or_else(|p| p.into_inner()) = Some(new.clone());
                self.store.set(&self.account, new)?;
            }
        }
        Ok(())
    }
}

impl TokenSource for RefreshingToken {
    fn access_token(&self) -> String {
        locked(&self.access)
    }

    fn refresh(&self, failed: &str) -> RefreshFuture<'_> {
        let failed = failed.to_string();
        Box::pin(async move {
            let _one_at_a_time = self.refreshing.lock().await;
            if self.access_token() != failed {
                // Another request refreshed after this one's token was refused.
                return Ok(Some(self.access_token()));
            }
            let Some(refresh_token) = self.refresh_token() else {
                return Ok(None);
            };
            let answer = self.oauth.refresh(&refresh_token).await?;
            // The new tokens are in memory either way; if the keychain refused the rotated one,
            // the next start asks to log in again, which beats failing this session now.
            let _ = self.keep(&answer);
            Ok(Some(answer.access_token))
        })
    }
}

/// A connected session.
#[derive(Debug)]
pub struct Session {
    pub client: Client,
    pub identity: Identity,
    pub login: SavedLogin,
    /// Where the refresh token is kept, in words ("Saved in the system keychain.").
    pub kept: String,
    /// Signs this session out; kept apart so the client can go elsewhere.
    pub revoker: Revoker,
}

/// What it takes to end a session at Salesforce: the token to revoke, never shown.
pub struct Revoker {
    login: SavedLogin,
    tokens: Option<Arc<RefreshingToken>>,
    source: Arc<dyn TokenSource>,
    oauth: OAuthClient,
}

impl fmt::Debug for Revoker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Revoker")
            .field("login", &self.login.title())
            .finish()
    }
}

/// Runs a whole browser login: binds the listener, hands the URL to `show` (which opens the
/// browser and shows the URL), waits for the redirect, then connects. Dropping the future
/// cancels it.
pub async fn browser_login(
    settings: &LoginSettings,
    store: Arc<dyn SecretStore>,
    book: Option<&LoginBook>,
    timeout: Duration,
    show: impl FnOnce(&str),
) -> Result<Session, SessionError> {
    let oauth = settings.oauth()?;
    let login = BrowserLogin::start(&oauth).await?;
    // An app the org refuses outright shows an error page that never comes back: say so now.
    if let Some((error, description)) = oauth.authorize_refusal(&login.authorize_url).await {
        return Err(LoginError::Denied { error, description }.into());
    }
    show(&login.authorize_url);
    let tokens = login.finish(&oauth, timeout).await?;
    let session = session_from_tokens(settings, oauth, tokens, store, book).await?;
    // A consumer key that worked is remembered for this org (it is not a secret), beside the
    // saved logins.
    if let Some(dir) = book.and_then(|b| b.path().parent()) {
        let _ =
            super::app::ClientIdBook::at(dir).set(&settings.host.login_url, &settings.client_id);
    }
    Ok(session)
}

/// Connects with the token endpoint's answer, saves the refresh token and the login.
pub async fn session_from_tokens(
    settings: &LoginSettings,
    oauth: OAuthClient,
    answer: TokenResponse,
    store: Arc<dyn SecretStore>,
    book: Option<&LoginBook>,
) -> Result<Session, SessionError> {
    // The identity URL names the org and user; the saved login and its keychain entry both
    // take them from here, so a rotated token is stored where `resume` will look.
    let (org_id, user_id) = answer.org_and_user().ok_or_else(|| SfError::Decode {
        what: "token answer".into(),
        message: format!("the identity URL '{}' names no org and user", answer.id),
    })?;
    let account = SavedLogin::account_of(&org_id, &user_id);
    let tokens = answer.refresh_token.as_ref().map(|refresh| {
        Arc::new(RefreshingToken {
            oauth: oauth.clone(),
            access: Mutex::new(answer.access_token.clone()),
            refresh: Mutex::new(Some(refresh.clone())),
            store: store.clone(),
            account: account.clone(),
            refreshing: tokio::sync::Mutex::new(()),
        })
    });
    let source: Arc<dyn TokenSource> = match &tokens {
        Some(t) => t.clone(),
        None => Arc::new(StaticToken::new(answer.access_token.clone())),
    };
    let client = Client::connect(&answer.instance_url, source.clone()).await?;
    let identity = identity_of(&client, &org_id, &user_id).await?;
    let login = SavedLogin {
        username: identity.username.clone(),
        user_id,
        org_id,
        instance_url: client.instance_url().to_string(),
        login_url: settings.host.login_url.clone(),
        client_id: settings.client_id.clone(),
        redirect_uri: settings.redirect_uri.clone(),
        sandbox: settings.host.sandbox,
        saved_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let kept = match &answer.refresh_token {
        // A keychain that refuses (locked, no prompt possible) must not cost the admin the login.
        Some(refresh) => match store.set(&login.account(), refresh) {
            Ok(()) => {
                if let (true, Some(book)) = (store.persistent(), book) {
                    book.remember(&login)?;
                }
                store.describe()
            }
            Err(e) => format!(
                "Not saved: {e} This session stays in memory until the app closes."
            ),
        },
        None => "Salesforce gave no refresh token (the app lacks the refresh_token scope), so this session ends when the app closes.".to_string(),
    };
    Ok(Session {
        client,
        identity,
        revoker: Revoker {
            login: login.clone(),
            tokens,
            source,
            oauth,
        },
        login,
        kept,
    })
}

/// Who logged in, by the org and user ids the login named: the user read through the REST API
/// (`sobjects/User/{id}`, no `id` scope needed), else userinfo (a user without API access may
/// still be named there, so the checks can report why); the first error when both fail.
pub async fn identity_of(
    client: &Client,
    org_id: &str,
    user_id: &str,
) -> Result<Identity, SfError> {
    match client.user_identity(org_id, user_id).await {
        Ok(identity) => Ok(identity),
        // Only userinfo is left to try: the resource list would lead back to the same
        // `sobjects/User` read that just failed.
        Err(first) => match client.userinfo().await {
            Ok(Some(identity)) => Ok(identity),
            _ => Err(first),
        },
    }
}

/// Resumes a saved login: a fresh access token from the stored refresh token (storing a rotated
/// one), then connects.
pub async fn resume(
    saved: &SavedLogin,
    store: Arc<dyn SecretStore>,
    book: Option<&LoginBook>,
) -> Result<Session, SessionError> {
    let Some(refresh) = store.get(&saved.account())? else {
        return Err(SessionError::NotSaved {
            username: saved.username.clone(),
        });
    };
    let oauth = OAuthClient::new(&saved.login_url, &saved.client_id, &saved.redirect_uri)?;
    let answer = oauth.refresh(&refresh).await?;
    let tokens = Arc::new(RefreshingToken {
        oauth: oauth.clone(),
        access: Mutex::new(String::new()),
        refresh: Mutex::new(Some(refresh)),
        store: store.clone(),
        account: saved.account(),
        refreshing: tokio::sync::Mutex::new(()),
    });
    // As in `refresh`: a keychain that refuses the rotated token must not end a working session.
    let _ = tokens.keep(&answer);
    let client = Client::connect(&answer.instance_url, tokens.clone()).await?;
    let identity = identity_of(&client, &saved.org_id, &saved.user_id).await?;
    let mut login = saved.clone();
    login.instance_url = client.instance_url().to_string();
    login.username = identity.username.clone();
    if let (true, Some(book)) = (store.persistent(), book) {
        book.remember(&login)?;
    }
    Ok(Session {
        client,
        identity,
        revoker: Revoker {
            login: login.clone(),
            tokens: Some(tokens.clone()),
            source: tokens,
            oauth,
        },
        login,
        kept: store.describe(),
    })
}

/// What signing out did.
#[derive(Debug, PartialEq, Eq)]
pub struct SignedOut {
    /// Salesforce confirmed the revoke.
    pub revoked: bool,
    /// Why not, in words (the token is forgotten here either way).
    pub revoke_problem: Option<String>,
}

impl Revoker {
    /// Revokes the session at Salesforce (the refresh token, which ends its access tokens too)
    /// and forgets it here.
    pub async fn sign_out(
        self,
        store: &dyn SecretStore,
        book: Option<&LoginBook>,
    ) -> Result<SignedOut, SessionError> {
        // Without a refresh token the access token is all there is to revoke.
        let token = self
            .tokens
            .as_ref()
            .and_then(|t| t.refresh_token())
            .unwrap_or_else(|| self.source.access_token());
        finish_sign_out(&self.oauth, &token, &self.login, store, book).await
    }
}

/// Signs out a saved login without connecting (the command line's `logout`).
pub async fn sign_out_saved(
    saved: &SavedLogin,
    store: &dyn SecretStore,
    book: Option<&LoginBook>,
) -> Result<SignedOut, SessionError> {
    let oauth = OAuthClient::new(&saved.login_url, &saved.client_id, &saved.redirect_uri)?;
    match store.get(&saved.account())? {
        Some(token) => finish_sign_out(&oauth, &token, saved, store, book).await,
        None => {
            if let Some(book) = book {
                book.forget(saved)?;
            }
            Ok(SignedOut {
                revoked: false,
                revoke_problem: Some(
                    "nothing was saved in the keychain for this login any more".into(),
                ),
            })
        }
    }
}

async fn finish_sign_out(
    oauth: &OAuthClient,
    token: &str,
    login: &SavedLogin,
    store: &dyn SecretStore,
    book: Option<&LoginBook>,
) -> Result<SignedOut, SessionError> {
    let revoke = oauth.revoke(token).await;
    // Forget locally whatever Salesforce answered: the admin asked to sign out.
    store.delete(&login.account())?;
    if let Some(book) = book {
        book.forget(login)?;
    }
    Ok(match revoke {
        Ok(()) => SignedOut {
            revoked: true,
            revoke_problem: None,
        },
        Err(e) => SignedOut {
            revoked: false,
            revoke_problem: Some(e.explanation()),
        },
    })
}
