//! A person-readable name for a browser from its `User-Agent`, for the sessions list:
//! "Chrome on Android", "Safari on iPhone". Only the common families; anything else is
//! shown by its first word.

/// The browser and system a `User-Agent` names; `None` for an empty one.
pub fn describe_user_agent(agent: &str) -> Option<String> {
    let agent = agent.trim();
    if agent.is_empty() {
        return None;
    }
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("YaBrowser/", "Yandex Browser"),
        ("Firefox/", "Firefox"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("Chrome/", "Chrome"),
        ("CriOS/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(marker, _)| agent.contains(marker))
    .map(|(_, name)| name);
    let system = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| agent.contains(marker))
    .map(|(_, name)| name);
    let first_word = || {
        agent
            .split(['/', ' '])
            .next()
            .unwrap_or(agent)
            .chars()
            .take(40)
            .collect::<String>()
    };
    Some(match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(system)) => format!("{} on {system}", first_word()),
        (None, None) => first_word(),
    })
}

#[cfg(test)]
mod tests {
    use super::describe_user_agent;

    #[test]
    fn common_browsers_are_named_with_their_system() {
        for (agent, expected) in [
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:132.0) Gecko/20100101 Firefox/132.0",
                "Firefox on macOS",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
                "Headless Chrome on Linux",
            ),
            ("curl/8.5.0", "curl"),
            ("SomeBot/1.0", "SomeBot"),
        ] {
            assert_eq!(
                describe_user_agent(agent).as_deref(),
                Some(expected),
                "{agent}"
            );
        }
        assert_eq!(describe_user_agent("  "), None);
    }
}
