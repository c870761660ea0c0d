//! Finding the @mentions in a comment; pure.

pub const MAX_TEXT_CHARS: usize = 5_000;

/// The handle a user is mentioned by: their e-mail's local part, lower case.
pub fn handle_of(email: &str) -> String {
    email
        .split('@')
        .next()
        .unwrap_or_default()
        .trim()
        .to_lowercase()
}

fn is_handle_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// The distinct handles mentioned as `@handle`, lower case, in order. An `@` inside a word
/// (an e-mail address) is not a mention; a trailing full stop ends the sentence, not the
/// handle.
pub fn mentioned_handles(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut previous: Option<char> = None;
    for (index, c) in text.char_indices() {
        let starts_word = previous.is_none_or(|p| !(p.is_alphanumeric() || p == '@'));
        if c == '@' && starts_word {
            let rest = &text[index + 1..];
            let handle: String = rest.chars().take_while(|c| is_handle_char(*c)).collect();
            let handle = handle.trim_end_matches(['.', '-', '_']).to_lowercase();
            if !handle.is_empty() && !found.contains(&handle) {
                found.push(handle);
            }
        }
        previous = Some(c);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found_but_not_inside_e_mail_addresses() {
        assert_eq!(
            mentioned_handles("@Igor.Sokolov please check, cc @anna. Mail ivan@bank.ru"),
            vec!["igor.sokolov", "anna"]
        );
        assert_eq!(mentioned_handles("(@anna) and @anna again"), vec!["anna"]);
        assert!(mentioned_handles("no mentions @ all").is_empty());
        assert_eq!(handle_of("Igor.Sokolov@Konveyer.demo"), "igor.sokolov");
    }
}
