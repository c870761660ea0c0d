//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): the body is signed
//! with HMAC-SHA256 over `"{webhook-id}.{webhook-timestamp}.{body}"`, keyed by the
//! base64 part of a `whsec_` secret, and sent as `v1,<base64>`; several signatures (a
//! rotated secret and its predecessor) are separated by spaces.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use super::SECRET_PREFIX;

/// Random bytes in a new secret (as Svix's: 24, 192 bits).
const SECRET_BYTES: usize = 24;

/// A new `whsec_` secret.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The `v1,<base64>` signature of one message with one secret; `None` for a secret that
/// is not `whsec_` + base64 (never one of ours).
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: one signature per secret still in use.
pub fn signature_header(secrets: &[&str], message_id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .filter_map(|secret| sign(secret, message_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether one of the header's `v1` signatures is the message's under `secret` (what a
/// receiver does; our tests' receivers use it).
pub fn verify(secret: &str, message_id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let Some(expected) = sign(secret, message_id, timestamp, body) else {
        return false;
    };
    header.split(' ').any(|candidate| {
        // Equal length first; then every byte, so the time taken does not tell how much
        // of a forged signature was right.
        candidate.len() == expected.len()
            && candidate
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector the Standard Webhooks spec and its libraries publish.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const MESSAGE_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn the_spec_vector_signs_as_published() {
        assert_eq!(
            sign(SECRET, MESSAGE_ID, TIMESTAMP, BODY).as_deref(),
            Some(SIGNATURE)
        );
        assert!(verify(SECRET, MESSAGE_ID, TIMESTAMP, BODY, SIGNATURE));
    }

    #[test]
    fn any_change_breaks_the_signature() {
        assert!(!verify(SECRET, MESSAGE_ID, TIMESTAMP + 1, BODY, SIGNATURE));
        assert!(!verify(SECRET, "msg_other", TIMESTAMP, BODY, SIGNATURE));
        assert!(!verify(
            SECRET,
            MESSAGE_ID,
            TIMESTAMP,
            br#"{"test": 1}"#,
            SIGNATURE
        ));
        assert!(!verify(
            &new_secret(),
            MESSAGE_ID,
            TIMESTAMP,
            BODY,
            SIGNATURE
        ));
        assert_eq!(
            sign(
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                MESSAGE_ID,
                TIMESTAMP,
                BODY
            ),
            None
        );
        assert_eq!(sign("whsec_not base64!", MESSAGE_ID, TIMESTAMP, BODY), None);
    }

    #[test]
    fn a_rotation_signs_with_both_secrets() {
        let fresh = new_secret();
        assert!(fresh.starts_with(SECRET_PREFIX));
        assert_eq!(fresh.len(), SECRET_PREFIX.len() + 32);
        let header = signature_header(&[&fresh, SECRET], MESSAGE_ID, TIMESTAMP, BODY);
        assert_eq!(header.split(' ').count(), 2);
        assert!(
            verify(SECRET, MESSAGE_ID, TIMESTAMP, BODY, &header),
            "old receivers"
        );
        assert!(
            verify(&fresh, MESSAGE_ID, TIMESTAMP, BODY, &header),
            "updated receivers"
        );
    }
}
