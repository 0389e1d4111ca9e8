//! OAuth 2.0 access tokens for Vertex AI: obtained with a grant, cached,
//! refreshed before they expire, one refresh at a time.
//!
//! The request path reads a fresh token under a short `std` lock and never
//! awaits. When a token is due, one request refreshes it while holding an
//! async lock (the single flight); others wait for it only when they have no
//! valid token, and otherwise keep using the current one, so a slow or
//! failing token endpoint delays or fails requests only once the token has
//! really run out.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Uri};
use http_body_util::{BodyExt, Limited};
use ring::signature::RsaKeyPair;
use serde_json::{Map, Value};

use super::jwt::{self, Claims};
use crate::adapter::{ProviderError, http_uri};
use crate::body::SegmentedBody;
use crate::client::{ClientOptions, UpstreamClient};

/// The scope Vertex AI needs.
pub(crate) const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// Google's token endpoint, for credentials that do not name one.
const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// How long before expiry a token is refreshed (Google's libraries use a
/// few minutes, so clock skew and slow requests never see an expired one).
const REFRESH_EARLY: Duration = Duration::from_secs(300);
/// How long before expiry a token stops being used even when its refresh
/// fails.
const STALE_MARGIN: Duration = Duration::from_secs(60);
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_RESPONSE: usize = 64 * 1024;
const USER_AGENT_VALUE: &str = concat!("switchboard/", env!("CARGO_PKG_VERSION"));

/// A way to obtain access tokens, from a credentials file.
pub(crate) enum Grant {
    /// JWT bearer grant signed with the service account's key.
    ServiceAccount {
        email: String,
        key_id: Option<String>,
        key: Box<RsaKeyPair>,
        /// The key's DER bytes, to tell credentials apart.
        der: Vec<u8>,
        token_uri: Uri,
    },
    /// Refresh token grant (`gcloud auth application-default login`).
    AuthorizedUser {
        client_id: String,
        client_secret: String,
        refresh_token: String,
        token_uri: Uri,
    },
}

impl Grant {
    /// The grant a credentials JSON describes.
    pub(crate) fn from_json(json: &Map<String, Value>) -> Result<Grant, String> {
        let field = |name: &str| {
            json.get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
        };
        let required = |name: &str| {
            field(name)
                .map(str::to_owned)
                .ok_or_else(|| format!("the credentials have no `{name}`"))
        };
        let token_uri = match field("token_uri") {
            Some(uri) => http_uri(uri).map_err(|e| e.to_string())?,
            None => Uri::from_static(GOOGLE_TOKEN_URI),
        };
        let service_account = |token_uri| {
            let (key, der) = jwt::private_key(&required("private_key")?)?;
            Ok(Grant::ServiceAccount {
                email: required("client_email")?,
                key_id: field("private_key_id").map(str::to_owned),
                key: Box::new(key),
                der,
                token_uri,
            })
        };
        match field("type") {
            Some("service_account") => service_account(token_uri),
            None if json.contains_key("private_key") => service_account(token_uri),
            Some("authorized_user") => Ok(Grant::AuthorizedUser {
                client_id: required("client_id")?,
                client_secret: required("client_secret")?,
                refresh_token: required("refresh_token")?,
                token_uri,
            }),
            Some(other) => Err(format!(
                "credentials of type `{other}` are not supported (service_account and \
                 authorized_user are)"
            )),
            None => Err("the credentials have no `type` (service_account expected)".to_owned()),
        }
    }

    /// What tells two sets of credentials of one kind apart.
    fn identity(&self) -> (&str, &str, &[u8], &Uri) {
        match self {
            Grant::ServiceAccount {
                email,
                key_id,
                der,
                token_uri,
                ..
            } => (email, key_id.as_deref().unwrap_or(""), der, token_uri),
            Grant::AuthorizedUser {
                client_id,
                client_secret,
                refresh_token,
                token_uri,
            } => (
                client_id,
                client_secret,
                refresh_token.as_bytes(),
                token_uri,
            ),
        }
    }

    fn token_uri(&self) -> &Uri {
        match self {
            Grant::ServiceAccount { token_uri, .. } | Grant::AuthorizedUser { token_uri, .. } => {
                token_uri
            }
        }
    }

    /// The form body of a token request at `now` (seconds since the epoch).
    fn form(&self, now: u64) -> Result<String, String> {
        let mut form = form_urlencoded::Serializer::new(String::new());
        match self {
            Grant::ServiceAccount {
                email,
                key_id,
                key,
                token_uri,
                ..
            } => {
                let audience = token_uri.to_string();
                let claims = Claims {
                    issuer: email,
                    audience: &audience,
                    scope: SCOPE,
                    key_id: key_id.as_deref(),
                    issued_at: now,
                };
                form.append_pair("grant_type", JWT_BEARER)
                    .append_pair("assertion", &jwt::assertion(key, &claims)?);
            }
            Grant::AuthorizedUser {
                client_id,
                client_secret,
                refresh_token,
                ..
            } => {
                form.append_pair("grant_type", "refresh_token")
                    .append_pair("client_id", client_id)
                    .append_pair("client_secret", client_secret)
                    .append_pair("refresh_token", refresh_token);
            }
        }
        Ok(form.finish())
    }
}

/// Same credentials (the key material decides, not the parsed key).
impl PartialEq for Grant {
    fn eq(&self, other: &Grant) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.identity() == other.identity()
    }
}

/// Names the account, never the secrets.
impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grant::ServiceAccount {
                email, token_uri, ..
            } => write!(f, "ServiceAccount({email}, {token_uri})"),
            Grant::AuthorizedUser {
                client_id,
                token_uri,
                ..
            } => write!(f, "AuthorizedUser({client_id}, {token_uri})"),
        }
    }
}

/// The answer of a token endpoint: status and body.
pub(crate) type Posted<'a> =
    Pin<Box<dyn Future<Output = Result<(u16, Bytes), String>> + Send + 'a>>;

/// Sends a form to a token endpoint (a seam for tests).
pub(crate) trait Exchange: Send + Sync {
    fn post_form<'a>(&'a self, uri: &'a Uri, form: String) -> Posted<'a>;
}

/// The current time (a seam for tests).
pub(crate) type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

#[derive(Debug, Clone)]
struct Token {
    header: HeaderValue,
    refresh_at: SystemTime,
    stale_at: SystemTime,
}

/// Access tokens of one set of credentials.
pub(crate) struct TokenSource {
    grant: Grant,
    clock: Clock,
    exchange: Box<dyn Exchange>,
    current: Mutex<Option<Token>>,
    /// Held during a refresh; keeps the error of the last one, if it failed.
    refresh: tokio::sync::Mutex<Option<ProviderError>>,
    /// Refreshes finished so far.
    flights: AtomicU64,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("grant", &self.grant)
            .finish_non_exhaustive()
    }
}

/// Token sources alive, so deployments with the same credentials (and the
/// same deployments after a config reload) share one token.
static SHARED: Mutex<Vec<Weak<TokenSource>>> = Mutex::new(Vec::new());

impl TokenSource {
    pub(crate) fn new(grant: Grant, clock: Clock, exchange: Box<dyn Exchange>) -> TokenSource {
        TokenSource {
            grant,
            clock,
            exchange,
            current: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(None),
            flights: AtomicU64::new(0),
        }
    }

    /// The live source for `grant`, or a new one over HTTP.
    pub(crate) fn shared(grant: Grant) -> Arc<TokenSource> {
        let mut sources = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        sources.retain(|source| source.strong_count() > 0);
        if let Some(found) = sources
            .iter()
            .filter_map(Weak::upgrade)
            .find(|source| source.grant == grant)
        {
            return found;
        }
        let source = Arc::new(TokenSource::new(
            grant,
            Arc::new(SystemTime::now),
            Box::<HttpExchange>::default(),
        ));
        sources.push(Arc::downgrade(&source));
        source
    }

    fn current(&self) -> Option<Token> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The `Authorization` value while the token is not due for refresh.
    pub(crate) fn cached(&self) -> Option<HeaderValue> {
        let now = (self.clock)();
        self.current()
            .filter(|token| now < token.refresh_at)
            .map(|token| token.header)
    }

    /// The `Authorization` value, refreshing the token when it is due.
    pub(crate) async fn authorization(&self) -> Result<HeaderValue, ProviderError> {
        if let Some(header) = self.cached() {
            return Ok(header);
        }
        let seen = self.flights.load(Ordering::Acquire);
        let now = (self.clock)();
        let usable = self.current().filter(|token| now < token.stale_at);
        let mut last_failure = match &usable {
            Some(token) => match self.refresh.try_lock() {
                Ok(guard) => guard,
                // Someone else is refreshing; this token is still good.
                Err(_) => return Ok(token.header.clone()),
            },
            None => self.refresh.lock().await,
        };
        if let Some(header) = self.cached() {
            return Ok(header);
        }
        if self.flights.load(Ordering::Acquire) != seen
            && let Some(error) = last_failure.as_ref()
        {
            // The refresh this request waited for failed: share its outcome
            // instead of queueing one more attempt per waiting request.
            return usable.map(|t| t.header).ok_or_else(|| error.clone());
        }
        let result = self.fetch().await;
        self.flights.fetch_add(1, Ordering::AcqRel);
        match result {
            Ok(token) => {
                let header = token.header.clone();
                *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(token);
                *last_failure = None;
                Ok(header)
            }
            Err(error) => {
                *last_failure = Some(error.clone());
                match usable {
                    Some(token) => {
                        tracing::warn!(%error, "keeping the current Vertex AI access token");
                        Ok(token.header)
                    }
                    None => Err(error),
                }
            }
        }
    }

    async fn fetch(&self) -> Result<Token, ProviderError> {
        let uri = self.grant.token_uri();
        let failed = |why: String| {
            ProviderError::Credentials(format!("the OAuth token exchange with {uri} failed: {why}"))
        };
        let obtained = (self.clock)();
        let now = obtained
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let form = self.grant.form(now).map_err(failed)?;
        let (status, body) = self.exchange.post_form(uri, form).await.map_err(failed)?;
        if !(200..300).contains(&status) {
            return Err(failed(format!("HTTP {status}: {}", describe_error(&body))));
        }
        let answer: Map<String, Value> = serde_json::from_slice(&body)
            .map_err(|e| failed(format!("the answer is not a JSON object: {e}")))?;
        let token = answer
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| failed("the answer has no access_token".to_owned()))?;
        let mut header = HeaderValue::try_from(format!("Bearer {token}"))
            .map_err(|_| failed("the access token is not a valid header value".to_owned()))?;
        header.set_sensitive(true);
        let lifetime = Duration::from_secs(
            answer
                .get("expires_in")
                .and_then(Value::as_u64)
                .unwrap_or(jwt::LIFETIME_SECONDS),
        );
        // Short-lived tokens are refreshed at half their life rather than
        // on every request.
        let expires_at = obtained + lifetime;
        Ok(Token {
            header,
            refresh_at: expires_at - REFRESH_EARLY.min(lifetime / 2),
            stale_at: expires_at - STALE_MARGIN.min(lifetime / 4),
        })
    }
}

/// `error: error_description` of an OAuth error answer, else the body.
fn describe_error(body: &[u8]) -> String {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    if let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(body) {
        let error = answer.get("error");
        let code = text(error).or_else(|| text(error.and_then(|e| e.get("status"))));
        let description = text(answer.get("error_description"))
            .or_else(|| text(error.and_then(|e| e.get("message"))));
        match (code, description) {
            (Some(code), Some(description)) => return format!("{code}: {description}"),
            (Some(one), None) | (None, Some(one)) => return one,
            (None, None) => {}
        }
    }
    let body = String::from_utf8_lossy(body);
    let mut end = body.len().min(300);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body[..end].to_owned()
}

/// Token requests over HTTPS, on a client of their own, built at the first
/// exchange rather than at config load.
#[derive(Default)]
struct HttpExchange {
    client: OnceLock<Result<UpstreamClient, String>>,
}

impl Exchange for HttpExchange {
    fn post_form<'a>(&'a self, uri: &'a Uri, form: String) -> Posted<'a> {
        Box::pin(async move {
            let client = self
                .client
                .get_or_init(|| {
                    let options = ClientOptions {
                        pools: 1,
                        ..ClientOptions::default()
                    };
                    UpstreamClient::new(&options).map_err(|e| e.to_string())
                })
                .as_ref()
                .map_err(Clone::clone)?;
            let request = http::Request::post(uri.clone())
                .header(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                )
                .header(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE))
                .body(SegmentedBody::from(Bytes::from(form)))
                .map_err(|e| e.to_string())?;
            let exchange = async {
                let response = client
                    .send(request)
                    .await
                    .map_err(|e| format!("cannot reach it: {}", error_chain(&e)))?;
                let status = response.status().as_u16();
                let body = Limited::new(response.into_body(), MAX_RESPONSE)
                    .collect()
                    .await
                    .map_err(|e| format!("its answer could not be read: {e}"))?
                    .to_bytes();
                Ok((status, body))
            };
            tokio::time::timeout(EXCHANGE_TIMEOUT, exchange)
                .await
                .map_err(|_| format!("no answer within {} s", EXCHANGE_TIMEOUT.as_secs()))?
        })
    }
}

/// An error and its causes (hyper's own message is only "client error").
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;
