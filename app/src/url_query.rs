//! Pages whose view lives in the URL (the board's and the dashboards' filters) rewrite
//! their query string with this.

use leptos_router::params::ParamsMap;

/// `path` with the current query changed: each `(key, Some(value))` sets a key, each
/// `(key, None)` or blank value removes it; other keys are kept.
pub fn url_with(path: &str, current: &ParamsMap, changes: &[(&str, Option<String>)]) -> String {
    let mut params: Vec<(String, String)> = current
        .clone()
        .into_iter()
        .filter(|(k, _)| !changes.iter().any(|(key, _)| key == k))
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for (key, value) in changes {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            params.push(((*key).to_owned(), value.to_owned()));
        }
    }
    let encoded: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    if encoded.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", encoded.join("&"))
    }
}

/// Percent-encodes everything but the unreserved characters (no JavaScript needed).
pub fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_replace_add_and_remove_keys() {
        let mut current = ParamsMap::new();
        current.insert("q", "old".to_owned());
        current.insert("sla", "1".to_owned());
        let url = url_with(
            "/board",
            &current,
            &[("q", Some("Иван & Co".to_owned())), ("sla", None)],
        );
        assert_eq!(url, "/board?q=%D0%98%D0%B2%D0%B0%D0%BD%20%26%20Co");
        assert_eq!(
            url_with(
                "/board",
                &current,
                &[("q", None), ("sla", Some(" ".into()))]
            ),
            "/board"
        );
    }
}
