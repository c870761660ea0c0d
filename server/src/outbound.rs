//! The one HTTP client for calls to URLs people typed (the digest's messenger webhook
//! today; webhooks and automation later). Such a URL can point anywhere, including into
//! the server's own network (an admin port on loopback, the database, the cloud metadata
//! service), and the server would answer with its own reach. So every call: http(s)
//! only, no credentials in the URL; the address connected to must be public
//! (`shared::outbound::refusal`), checked inside the DNS resolver so the address checked
//! is the address used, and before the call for address literals, which skip the
//! resolver; no redirects; a short timeout; a bounded answer. Hosts the administrator
//! lists in `outbound_allow_hosts` skip the address check.

use std::error::Error as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{StatusCode, Url};
use shared::outbound::{AllowedHosts, refusal};

/// How long a call may take and how much of the answer is read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The whole call, from resolving the name to the last byte of the answer.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// The most bytes of an answer read; a longer one fails as `TooLarge`.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            max_body: 64 * 1024,
        }
    }
}

/// Why an outbound call failed. The text is what delivery logs keep: our own words,
/// never what the target answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("refused: not a valid URL")]
    InvalidUrl,
    #[error("refused: only http and https URLs")]
    RefusedScheme,
    #[error("refused: a user name or password in the URL")]
    Credentials,
    /// The host is, or resolves only to, a loopback, private, link-local, metadata or
    /// other reserved address.
    #[error("refused: private address")]
    RefusedAddress,
    #[error("redirect refused ({0})")]
    Redirect(StatusCode),
    #[error("timed out")]
    Timeout,
    #[error("refused: an answer larger than {0} bytes")]
    TooLarge(usize),
    #[error("the webhook answered {0}")]
    Http(StatusCode),
    #[error("network error: {0}")]
    Network(String),
}

impl OutboundError {
    /// Whether the same call could succeed later: a timeout, a network error, a server
    /// error or "too many requests". A refusal or a client error would only repeat.
    pub fn is_transient(&self) -> bool {
        match self {
            OutboundError::Timeout | OutboundError::Network(_) => true,
            OutboundError::Http(status) => {
                status.is_server_error()
                    || *status == StatusCode::REQUEST_TIMEOUT
                    || *status == StatusCode::TOO_MANY_REQUESTS
            }
            _ => false,
        }
    }
}

/// A successful (2xx) answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    /// At most `Limits::max_body` bytes.
    pub body: Vec<u8>,
}

/// Any answer but a redirect.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub status: StatusCode,
    /// `Retry-After`, in seconds from now.
    pub retry_after: Option<i64>,
    /// At most `Limits::max_body` bytes.
    pub body: Vec<u8>,
    /// Whether `body` is the whole answer.
    pub complete: bool,
}

/// `Retry-After` in seconds: a number of seconds, or an HTTP date (a past one is 0).
pub fn retry_after_seconds(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<i64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<i64>() {
        return (seconds >= 0).then_some(seconds);
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some((at.with_timezone(&chrono::Utc) - now).num_seconds().max(0))
}

/// The checked client; cheap to clone (one connection pool).
#[derive(Debug, Clone)]
pub struct Outbound {
    http: reqwest::Client,
    allowed: Arc<AllowedHosts>,
    max_body: usize,
}

impl Outbound {
    /// A client with the default limits (10 s, connect 5 s, 64 KB).
    pub fn new(allowed: AllowedHosts) -> Result<Outbound, reqwest::Error> {
        Outbound::with_limits(allowed, Limits::default())
    }

    pub fn with_limits(allowed: AllowedHosts, limits: Limits) -> Result<Outbound, reqwest::Error> {
        let allowed = Arc::new(allowed);
        let http = reqwest::Client::builder()
            .dns_resolver(Arc::new(CheckedResolver {
                allowed: allowed.clone(),
            }))
            // A proxy would resolve and connect in our place, past the resolver's check.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(limits.timeout)
            .connect_timeout(limits.connect_timeout)
            .user_agent(concat!("Konveyer/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Outbound {
            http,
            allowed,
            max_body: limits.max_body,
        })
    }

    /// POSTs `body` as JSON to `url`; anything but a 2xx answer is an error.
    pub async fn post_json(
        &self,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<Answer, OutboundError> {
        let url = self.check_url(url)?;
        let exchange = self.exchange(self.http.post(url).json(body)).await?;
        if !exchange.status.is_success() {
            return Err(OutboundError::Http(exchange.status));
        }
        if !exchange.complete {
            return Err(OutboundError::TooLarge(self.max_body));
        }
        Ok(Answer {
            status: exchange.status,
            body: exchange.body,
        })
    }

    /// POSTs `body` (already serialised, as signed) with `headers`, and returns whatever
    /// the target answered but a redirect: the caller judges the status.
    pub async fn post_bytes(
        &self,
        url: &str,
        headers: reqwest::header::HeaderMap,
        body: Vec<u8>,
    ) -> Result<Exchange, OutboundError> {
        let url = self.check_url(url)?;
        self.exchange(self.http.post(url).headers(headers).body(body))
            .await
    }

    #[expect(
        clippy::disallowed_methods,
        reason = "an adapter: a Retry-After date is read against the wall clock"
    )]
    async fn exchange(&self, request: reqwest::RequestBuilder) -> Result<Exchange, OutboundError> {
        let mut response = request.send().await.map_err(failure)?;
        let status = response.status();
        if status.is_redirection() {
            return Err(OutboundError::Redirect(status));
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| retry_after_seconds(value, chrono::Utc::now()));
        let mut body = Vec::new();
        let mut complete = response
            .content_length()
            .is_none_or(|length| length <= self.max_body as u64);
        // An announced oversize answer is not read at all.
        while complete && let Some(chunk) = response.chunk().await.map_err(failure)? {
            let room = self.max_body - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                complete = false;
            } else {
                body.extend_from_slice(&chunk);
            }
        }
        Ok(Exchange {
            status,
            retry_after,
            body,
            complete,
        })
    }

    fn check_url(&self, url: &str) -> Result<Url, OutboundError> {
        let url = Url::parse(url.trim()).map_err(|_| OutboundError::InvalidUrl)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutboundError::RefusedScheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(OutboundError::Credentials);
        }
        // Address literals are connected to without the resolver: check them here.
        // (The parser has already turned `127.1` and the like into dotted addresses.)
        let host = url.host_str().ok_or(OutboundError::InvalidUrl)?;
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>();
        if let Ok(ip) = literal
            && refusal(ip).is_some()
            && !self.allowed.allows_address(ip)
        {
            return Err(OutboundError::RefusedAddress);
        }
        Ok(url)
    }
}

/// What the resolver answers for a name whose every address is refused; found again in
/// the connect error's sources.
#[derive(Debug)]
struct RefusedByResolver;

impl std::fmt::Display for RefusedByResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("every address of the name is refused")
    }
}

impl std::error::Error for RefusedByResolver {}

/// Resolves names with the system resolver and hands reqwest only the public addresses
/// (all of them for allowed names), so the address checked is the one connected to.
struct CheckedResolver {
    allowed: Arc<AllowedHosts>,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = self.allowed.allows_name(name.as_str());
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| allowed || refusal(addr.ip()).is_none())
                .collect();
            if usable.is_empty() {
                return Err(RefusedByResolver.into());
            }
            let addrs: Addrs = Box::new(usable.into_iter());
            Ok(addrs)
        })
    }
}

/// Our error for a failed request: the resolver's refusal, a timeout, or the innermost
/// cause of a network failure (without the URL, which may hold a token).
fn failure(error: reqwest::Error) -> OutboundError {
    if error.is_timeout() {
        return OutboundError::Timeout;
    }
    let mut innermost: Option<&(dyn std::error::Error + 'static)> = None;
    let mut source = error.source();
    while let Some(cause) = source {
        if cause.is::<RefusedByResolver>() {
            return OutboundError::RefusedAddress;
        }
        innermost = Some(cause);
        source = cause.source();
    }
    match innermost {
        Some(cause) => OutboundError::Network(cause.to_string()),
        None => OutboundError::Network(error.without_url().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_that_could_pass_are_transient() {
        for transient in [
            OutboundError::Timeout,
            OutboundError::Network("reset".into()),
            OutboundError::Http(StatusCode::BAD_GATEWAY),
            OutboundError::Http(StatusCode::TOO_MANY_REQUESTS),
        ] {
            assert!(transient.is_transient(), "{transient:?}");
        }
        for permanent in [
            OutboundError::RefusedAddress,
            OutboundError::RefusedScheme,
            OutboundError::Http(StatusCode::NOT_FOUND),
            OutboundError::Redirect(StatusCode::FOUND),
            OutboundError::TooLarge(1),
        ] {
            assert!(!permanent.is_transient(), "{permanent:?}");
        }
    }

    fn client(allowed: &[&str]) -> Outbound {
        Outbound::new(AllowedHosts::new(allowed)).unwrap()
    }

    #[test]
    fn urls_are_checked_before_any_call() {
        let none = client(&[]);
        for (url, error) in [
            ("not a url", OutboundError::InvalidUrl),
            ("file:///etc/passwd", OutboundError::RefusedScheme),
            ("ftp://example.com/", OutboundError::RefusedScheme),
            (
                "https://bot:secret@example.com/",
                OutboundError::Credentials,
            ),
            ("http://127.0.0.1:9/", OutboundError::RefusedAddress),
            // URL parsers read these as 127.0.0.1.
            ("http://127.1/", OutboundError::RefusedAddress),
            ("http://2130706433/", OutboundError::RefusedAddress),
            ("http://0x7f.0.0.1/", OutboundError::RefusedAddress),
            ("http://10.0.0.1/", OutboundError::RefusedAddress),
            (
                "http://169.254.169.254/latest/meta-data/",
                OutboundError::RefusedAddress,
            ),
            ("http://[::1]/", OutboundError::RefusedAddress),
            ("http://[::ffff:7f00:1]/", OutboundError::RefusedAddress),
            ("http://[fd00:ec2::254]/", OutboundError::RefusedAddress),
        ] {
            assert_eq!(none.check_url(url).err(), Some(error), "{url}");
        }
        for url in [
            "https://api.telegram.org/bot1:x/sendMessage",
            "http://8.8.8.8/",
            "http://localhost/",
        ] {
            assert!(
                none.check_url(url).is_ok(),
                "{url}: names are checked when resolved"
            );
        }
        let allowed = client(&["10.0.0.5", "[::1]"]);
        assert!(allowed.check_url("http://10.0.0.5:8080/hook").is_ok());
        assert!(allowed.check_url("http://[::1]/").is_ok());
        assert!(allowed.check_url("http://10.0.0.6/").is_err());
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(retry_after_seconds("120", now), Some(120));
        assert_eq!(retry_after_seconds(" 0 ", now), Some(0));
        assert_eq!(retry_after_seconds("-5", now), None);
        assert_eq!(
            retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(60)
        );
        assert_eq!(
            retry_after_seconds("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(0)
        );
        assert_eq!(retry_after_seconds("soon", now), None);
    }

    #[test]
    fn errors_read_as_the_delivery_log_keeps_them() {
        assert_eq!(
            OutboundError::RefusedAddress.to_string(),
            "refused: private address"
        );
        assert_eq!(
            OutboundError::Redirect(StatusCode::FOUND).to_string(),
            "redirect refused (302 Found)"
        );
        assert_eq!(
            OutboundError::Http(StatusCode::INTERNAL_SERVER_ERROR).to_string(),
            "the webhook answered 500 Internal Server Error"
        );
    }

    #[tokio::test]
    async fn the_resolver_drops_refused_addresses() {
        let resolver = CheckedResolver {
            allowed: Arc::new(AllowedHosts::default()),
        };
        let refused = resolver.resolve("localhost".parse().unwrap()).await;
        assert!(refused.err().is_some_and(|e| e.is::<RefusedByResolver>()));
        let allowed = CheckedResolver {
            allowed: Arc::new(AllowedHosts::new(["localhost"])),
        };
        let addrs: Vec<SocketAddr> = allowed
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(
            addrs.iter().all(|addr| addr.ip().is_loopback()),
            "{addrs:?}"
        );
    }
}
