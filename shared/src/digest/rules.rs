//! When a digest is due, the span of the day it covers and the text it says; pure.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};

use super::{DigestSettings, DigestText};
use crate::analytics::DaySummary;
use crate::error::{AppError, Field, Rule};
use crate::locale::Locale;
use crate::outbound::{AllowedHosts, check_url_host, url_host};
use crate::time_zone::Zone;

const URL_MAX: usize = 500;
const CHAT_ID_MAX: usize = 100;

/// An `http(s)` webhook without spaces or credentials, not into the server's own network
/// (unless its host is `allowed`), a short chat id, and somewhere to send an enabled
/// digest.
pub fn validate_settings(
    settings: &DigestSettings,
    allowed: &AllowedHosts,
) -> Result<(), AppError> {
    if let Some(url) = &settings.messenger_url {
        let url = url.trim();
        let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
        let spaced = url.chars().any(char::is_whitespace);
        let Some(host) = url_host(url).filter(|_| scheme_ok && !spaced) else {
            return Err(AppError::validation(Field::MessengerUrl, Rule::InvalidUrl));
        };
        check_url_host(host, allowed)
            .map_err(|rule| AppError::validation(Field::MessengerUrl, rule))?;
        if url.len() > URL_MAX {
            return Err(AppError::validation(
                Field::MessengerUrl,
                Rule::TooLong { max: URL_MAX },
            ));
        }
    }
    if settings
        .messenger_chat_id
        .as_ref()
        .is_some_and(|id| id.chars().count() > CHAT_ID_MAX)
    {
        return Err(AppError::validation(
            Field::MessengerUrl,
            Rule::TooLong { max: CHAT_ID_MAX },
        ));
    }
    if settings.enabled && !settings.by_email && settings.messenger_url.is_none() {
        return Err(AppError::validation(Field::Channel, Rule::Required));
    }
    Ok(())
}

/// The recipient's local day (in their zone `tz`) whose digest is due at `now`: once their
/// local clock has passed the chosen time, if that day's digest has not gone yet. A day the
/// server was down for through the evening is skipped, not sent the next morning.
pub fn due_day(
    settings: &DigestSettings,
    tz: Zone,
    last_sent_on: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Option<NaiveDate> {
    if !settings.enabled {
        return None;
    }
    let local = tz.local(now);
    let day = local.date();
    (local.time() >= settings.send_at && last_sent_on != Some(day)).then_some(day)
}

/// The UTC instants a local day starts and ends at (23 or 25 hours long on the days the
/// clocks change).
pub fn day_bounds(day: NaiveDate, tz: Zone) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = |day: NaiveDate| tz.from_local(day.and_time(NaiveTime::MIN));
    Some((start(day)?, start(day.checked_add_days(Days::new(1))?)?))
}

/// The digest's subject and plain text, in the recipient's language.
pub fn digest_text(day: NaiveDate, summary: &DaySummary, locale: Locale) -> DigestText {
    let s = summary;
    let hours = |seconds: i64| seconds.max(0) / 3600;
    match locale {
        Locale::En => {
            let mut body = format!(
                "Konveyer, your day {day}\n\n\
                 New deals: {}\nPassed on: {}\nReturned for rework: {}\nWon: {}\nLost: {}\n\
                 SLA breaches today: {}\nPast their SLA now: {}\n",
                s.created, s.passed_on, s.returns, s.won, s.lost, s.sla_breaches, s.in_breach_now
            );
            if !s.stuck.is_empty() {
                body.push_str("\nStuck longest:\n");
                for (pipeline, deal) in &s.stuck {
                    body.push_str(&format!(
                        "- {} ({pipeline}, {}): {} h past the SLA{}\n",
                        deal.title,
                        deal.stage_name,
                        hours(deal.overdue),
                        deal.responsible
                            .as_ref()
                            .map(|name| format!(", {name}"))
                            .unwrap_or_default()
                    ));
                }
            }
            DigestText {
                subject: format!(
                    "Konveyer {day}: {} passed on, {} returned, {} past SLA",
                    s.passed_on, s.returns, s.in_breach_now
                ),
                body,
            }
        }
        Locale::Ru => {
            let mut body = format!(
                "Konveyer, итоги дня {day}\n\n\
                 Новых сделок: {}\nПередано дальше: {}\nВозвращено на доработку: {}\n\
                 Выиграно: {}\nПроиграно: {}\nНарушений SLA за день: {}\n\
                 Просрочено сейчас: {}\n",
                s.created, s.passed_on, s.returns, s.won, s.lost, s.sla_breaches, s.in_breach_now
            );
            if !s.stuck.is_empty() {
                body.push_str("\nДольше всех стоят:\n");
                for (pipeline, deal) in &s.stuck {
                    body.push_str(&format!(
                        "- {} ({pipeline}, {}): просрочка {} ч{}\n",
                        deal.title,
                        deal.stage_name,
                        hours(deal.overdue),
                        deal.responsible
                            .as_ref()
                            .map(|name| format!(", {name}"))
                            .unwrap_or_default()
                    ));
                }
            }
            DigestText {
                subject: format!(
                    "Konveyer {day}: передано {}, возвратов {}, просрочено {}",
                    s.passed_on, s.returns, s.in_breach_now
                ),
                body,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time_zone::parse_time_zone;

    fn settings(at: (u32, u32)) -> DigestSettings {
        DigestSettings {
            enabled: true,
            send_at: NaiveTime::from_hms_opt(at.0, at.1, 0).unwrap(),
            ..DigestSettings::default()
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_digest_is_due_once_the_local_clock_passes_the_hour() {
        let at_six = settings((18, 0));
        let moscow = parse_time_zone("Europe/Moscow").unwrap();
        // 14:59 UTC is 17:59 in Moscow: not yet; 15:00 UTC is 18:00 there: due.
        assert_eq!(
            due_day(&at_six, moscow, None, utc("2026-11-24T14:59:00Z")),
            None
        );
        assert_eq!(
            due_day(&at_six, moscow, None, utc("2026-11-24T15:00:00Z")),
            Some(day("2026-11-24"))
        );
        // Sent already today: not again; the next day it is due again.
        assert_eq!(
            due_day(
                &at_six,
                moscow,
                Some(day("2026-11-24")),
                utc("2026-11-24T20:00:00Z")
            ),
            None
        );
        assert_eq!(
            due_day(
                &at_six,
                moscow,
                Some(day("2026-11-24")),
                utc("2026-11-25T15:00:00Z")
            ),
            Some(day("2026-11-25"))
        );
        // Late at night UTC it is already tomorrow in Vladivostok (UTC+10), before 18:00.
        let vladivostok = parse_time_zone("Asia/Vladivostok").unwrap();
        assert_eq!(
            due_day(&at_six, vladivostok, None, utc("2026-11-24T20:00:00Z")),
            None
        );
        assert_eq!(
            due_day(&at_six, vladivostok, None, utc("2026-11-24T08:30:00Z")),
            Some(day("2026-11-24"))
        );
        let off = DigestSettings {
            enabled: false,
            ..at_six
        };
        assert_eq!(
            due_day(&off, moscow, None, utc("2026-11-24T20:00:00Z")),
            None
        );
    }

    #[test]
    fn a_local_day_follows_the_clock_changes() {
        let berlin = parse_time_zone("Europe/Berlin").unwrap();
        let (start, end) = day_bounds(day("2026-10-25"), berlin).unwrap();
        assert_eq!(start, utc("2026-10-24T22:00:00Z"));
        // The clocks go back that night: the day lasts 25 hours.
        assert_eq!((end - start).num_hours(), 25);
        let (start, _) = day_bounds(day("2026-11-24"), berlin).unwrap();
        assert_eq!(start, utc("2026-11-23T23:00:00Z"));
    }

    #[test]
    fn settings_are_checked() {
        let none = AllowedHosts::default();
        assert!(validate_settings(&DigestSettings::default(), &none).is_ok());
        for url in [
            "ftp://x",
            "https://",
            "https://a b",
            "javascript:alert(1)",
            "https://bot:secret@example.com/hook",
        ] {
            let bad_url = DigestSettings {
                messenger_url: Some(url.into()),
                ..DigestSettings::default()
            };
            assert_eq!(
                validate_settings(&bad_url, &none),
                Err(AppError::validation(Field::MessengerUrl, Rule::InvalidUrl)),
                "{url}"
            );
        }
        let nowhere = DigestSettings {
            enabled: true,
            by_email: false,
            ..DigestSettings::default()
        };
        assert_eq!(
            validate_settings(&nowhere, &none),
            Err(AppError::validation(Field::Channel, Rule::Required))
        );
        let telegram = DigestSettings {
            enabled: true,
            by_email: false,
            messenger_url: Some("https://api.telegram.org/bot123:abc/sendMessage".into()),
            messenger_chat_id: Some("-100123".into()),
            ..DigestSettings::default()
        };
        assert!(validate_settings(&telegram, &none).is_ok());
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data",
            "https://10.0.0.5/hook",
        ] {
            let inside = DigestSettings {
                messenger_url: Some(url.into()),
                ..DigestSettings::default()
            };
            assert_eq!(
                validate_settings(&inside, &none),
                Err(AppError::validation(
                    Field::MessengerUrl,
                    Rule::PrivateAddress
                )),
                "{url}"
            );
        }
        let internal = DigestSettings {
            messenger_url: Some("https://10.0.0.5/hook".into()),
            ..DigestSettings::default()
        };
        assert!(validate_settings(&internal, &AllowedHosts::new(["10.0.0.5"])).is_ok());
    }

    #[test]
    fn the_text_names_every_figure_and_the_stuck_deals() {
        let summary = DaySummary {
            created: 4,
            passed_on: 12,
            returns: 3,
            won: 2,
            lost: 1,
            sla_breaches: 5,
            in_breach_now: 7,
            stuck: vec![(
                "Loans".to_owned(),
                crate::analytics::BreachedDeal {
                    deal: crate::deal::DealId(9),
                    title: "Mortgage".into(),
                    stage: crate::pipeline::StageId(2),
                    stage_name: "Scoring".into(),
                    responsible: Some("Anna".into()),
                    entered_at: utc("2026-11-20T09:00:00Z"),
                    overdue: 50 * 3600 + 59,
                },
            )],
        };
        let text = digest_text(day("2026-11-24"), &summary, Locale::En);
        assert_eq!(
            text.subject,
            "Konveyer 2026-11-24: 12 passed on, 3 returned, 7 past SLA"
        );
        for line in [
            "New deals: 4",
            "Passed on: 12",
            "Returned for rework: 3",
            "Won: 2",
            "Lost: 1",
            "SLA breaches today: 5",
            "Past their SLA now: 7",
            "- Mortgage (Loans, Scoring): 50 h past the SLA, Anna",
        ] {
            assert!(text.body.contains(line), "{line} in {}", text.body);
        }
        let ru = digest_text(day("2026-11-24"), &summary, Locale::Ru);
        assert!(ru.body.contains("Возвращено на доработку: 3"));
        assert!(ru.body.contains("просрочка 50 ч, Anna"));
    }
}
