//! What API handlers take from a request, each refusing with a problem document: the
//! caller (the token's grant), a JSON body (415, 413, 400, 422), query strings, ids in the
//! path, `If-Match` and `Idempotency-Key`.

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use shared::AppError;
use shared::access::Actor;
use shared::api_token::service::{TokenGrant, sha256_hex};
use shared::api_token::{ApiAccess, ApiResource, ApiScope, scopes_allow};

use super::API_BODY_LIMIT;
use super::problem::Problem;

/// The token a call came with, as the API's middleware checked it.
#[derive(Debug, Clone)]
pub struct Caller(pub TokenGrant);

impl Caller {
    /// The actor, if the token's scopes allow `access` to `resource`; 403 otherwise.
    pub fn may(&self, resource: ApiResource, access: ApiAccess) -> Result<&Actor, Problem> {
        if scopes_allow(&self.0.scopes, resource, access) {
            Ok(&self.0.actor)
        } else {
            let needed = ApiScope { resource, access }.code();
            Err(Problem::from(AppError::Forbidden)
                .detail(format!("The token's scopes do not include {needed}.")))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| Problem::from(AppError::Unauthenticated))
    }
}

/// A JSON body and the hash of the request it came in (method, path, body), which an
/// `Idempotency-Key` is tied to.
pub struct ApiJson<T> {
    pub value: T,
    pub request_hash: String,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, _: &S) -> Result<Self, Problem> {
        let headers = request.headers();
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "request.unsupported_media_type",
                "Send the body as application/json.",
            ));
        }
        let too_large = || {
            Problem::from(AppError::TooLarge {
                max_bytes: API_BODY_LIMIT as u64,
            })
        };
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared.is_some_and(|length| length > API_BODY_LIMIT as u64) {
            return Err(too_large());
        }
        let target = format!("{} {}", request.method(), request.uri().path());
        let bytes = axum::body::to_bytes(request.into_body(), API_BODY_LIMIT)
            .await
            .map_err(|_| too_large())?;
        let value = serde_json::from_slice(&bytes).map_err(|err| {
            if err.is_data() {
                Problem::invalid_body(err.to_string())
            } else {
                Problem::malformed(err.to_string())
            }
        })?;
        let mut hashed = target.into_bytes();
        hashed.push(b'\n');
        hashed.extend_from_slice(&bytes);
        Ok(ApiJson {
            value,
            request_hash: sha256_hex(&hashed),
        })
    }
}

/// A query string read into `T`; a wrong name or type is 400 with what was wrong.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|err| Problem::malformed(err.body_text()))
    }
}

/// A record's id in the path: anything but a positive number is no such record.
pub fn record_id(text: &str) -> Result<i32, Problem> {
    text.parse::<i32>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(Problem::not_found)
}

/// The strong ETag of a record's version.
pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

/// The version an `If-Match` names (`"v3"`, also weak `W/"v3"`); `None` without the
/// header; 400 for one we did not issue.
pub fn if_match(parts: &axum::http::HeaderMap) -> Result<Option<i32>, Problem> {
    let Some(value) = parts.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|text| text.trim().trim_start_matches("W/"))
        .and_then(|text| text.strip_prefix("\"v"))
        .and_then(|text| text.strip_suffix('"'))
        .and_then(|number| number.parse::<i32>().ok())
        .map(Some)
        .ok_or_else(|| {
            Problem::malformed("If-Match must be an ETag this API sent, such as \"v3\".")
        })
}

/// The `Idempotency-Key` header, if any.
pub fn idempotency_key(headers: &axum::http::HeaderMap) -> Result<Option<String>, Problem> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .map(|key| Some(key.to_owned()))
            .map_err(|_| Problem::malformed("Idempotency-Key must be visible ASCII.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    #[test]
    fn if_match_reads_our_etags_only() {
        let mut headers = HeaderMap::new();
        assert!(matches!(if_match(&headers), Ok(None)));
        for (sent, version) in [("\"v3\"", 3), ("W/\"v12\"", 12), (&etag(7) as &str, 7)] {
            headers.insert(header::IF_MATCH, HeaderValue::from_str(sent).unwrap());
            assert!(
                matches!(if_match(&headers), Ok(Some(v)) if v == version),
                "{sent}"
            );
        }
        for bad in ["3", "\"3\"", "*", "\"vx\""] {
            headers.insert(header::IF_MATCH, HeaderValue::from_str(bad).unwrap());
            assert!(if_match(&headers).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_are_positive_numbers() {
        assert_eq!(record_id("42").ok(), Some(42));
        for bad in ["0", "-1", "x", "99999999999", ""] {
            assert!(record_id(bad).is_err(), "{bad}");
        }
    }
}
