//! Checking and normalising what a person types into the client form; pure.

use super::{ClientDraft, ClientKind, ClientView, ContactKind};
use crate::error::{AppError, Field, Rule};
use crate::timeline::FieldChange;

const NAME_MAX: usize = 200;
const PHONE_MAX: usize = 40;
const MESSENGER_MAX: usize = 100;
const ADDRESS_MAX: usize = 500;
const NOTES_MAX: usize = 5_000;
/// Phones, e-mails and messenger handles, each.
pub const CONTACTS_MAX: usize = 10;
pub use crate::limits::{TAG_CHARS_MAX, TAGS_MAX};

/// Digits only; an 11-digit number starting with the Russian trunk prefix 8 reads as +7,
/// so `8 (916) 123-45-67` and `+7 916 123 45 67` are the same phone.
pub fn normalize_phone(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 11 && digits.starts_with('8') {
        format!("7{}", &digits[1..])
    } else {
        digits
    }
}

/// Letters and digits only, upper case: `7707 083 893` and `7707083893` are one tax id.
pub fn normalize_tax_id(tax_id: &str) -> String {
    tax_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The form a contact is compared in when looking for duplicates.
pub fn normalize_contact(kind: ContactKind, value: &str) -> String {
    match kind {
        ContactKind::Phone => normalize_phone(value),
        ContactKind::Email => value.trim().to_lowercase(),
        ContactKind::Messenger => value.trim().trim_start_matches('@').to_lowercase(),
    }
}

/// The draft trimmed, blanks dropped, tags de-duplicated, the tax id normalised; or the
/// first rule it breaks.
pub fn checked_draft(draft: ClientDraft) -> Result<ClientDraft, AppError> {
    // The lists first: their bounds hold before anything else is looked at.
    let tags = checked_tags(draft.tags)?;
    let name = draft.name.trim().to_owned();
    if name.is_empty() {
        return Err(AppError::validation(Field::Name, Rule::Required));
    }
    max_len(&name, NAME_MAX, Field::Name)?;
    let tax_id = match draft.kind {
        ClientKind::Company => non_blank(draft.tax_id)
            .map(|t| {
                let normalized = normalize_tax_id(&t);
                if !(4..=20).contains(&normalized.len()) {
                    return Err(AppError::validation(Field::TaxId, Rule::UnknownValue));
                }
                Ok(normalized)
            })
            .transpose()?,
        ClientKind::Person => None,
    };
    // A company does not belong to another company.
    if draft.kind == ClientKind::Company && draft.company.is_some() {
        return Err(AppError::validation(Field::Company, Rule::UnknownValue));
    }
    let phones = contacts(draft.phones, Field::Phone)?;
    for phone in &phones {
        max_len(phone, PHONE_MAX, Field::Phone)?;
        if normalize_phone(phone).len() < 5 {
            return Err(AppError::validation(Field::Phone, Rule::InvalidPhone));
        }
    }
    let emails = contacts(draft.emails, Field::Email)?;
    for email in &emails {
        crate::user::validate_email(email)?;
    }
    let messengers = contacts(draft.messengers, Field::Messenger)?;
    for messenger in &messengers {
        max_len(messenger, MESSENGER_MAX, Field::Messenger)?;
    }
    let address = non_blank(draft.address);
    max_len(
        address.as_deref().unwrap_or_default(),
        ADDRESS_MAX,
        Field::Address,
    )?;
    let notes = non_blank(draft.notes);
    max_len(
        notes.as_deref().unwrap_or_default(),
        NOTES_MAX,
        Field::Notes,
    )?;
    let time_zone = non_blank(draft.time_zone)
        .map(|tz| crate::time_zone::parse_time_zone(&tz).map(|tz| tz.name().to_owned()))
        .transpose()?;
    Ok(ClientDraft {
        kind: draft.kind,
        name,
        company: draft.company,
        tax_id,
        phones,
        emails,
        messengers,
        address,
        notes,
        responsible: draft.responsible,
        tags,
        time_zone,
    })
}

/// Checks the clients list's request before it is run: a page number up to
/// `limits::PAGE_MAX` (so the offset cannot overflow), a search and a tag of bounded
/// length.
pub fn check_list_filter(filter: &super::ClientListFilter) -> Result<(), AppError> {
    use crate::limits::{PAGE_MAX, check_at_most, check_chars, check_search};
    check_at_most(filter.page, PAGE_MAX, Field::Page)?;
    check_search(filter.search.as_deref())?;
    if let Some(tag) = &filter.tag {
        check_chars(tag, TAG_CHARS_MAX, Field::Tags)?;
    }
    Ok(())
}

/// What an edit changed, as the timeline shows it (lists joined with commas).
pub fn changes_between(old: &ClientView, new: &ClientView) -> Vec<FieldChange> {
    let list = |values: &[String]| (!values.is_empty()).then(|| values.join(", "));
    let company = |c: &ClientView| c.company.as_ref().map(|(_, name)| name.clone());
    [
        FieldChange::between(
            Field::Kind,
            Some(old.kind.as_str().to_owned()),
            Some(new.kind.as_str().to_owned()),
        ),
        FieldChange::between(Field::Name, Some(old.name.clone()), Some(new.name.clone())),
        FieldChange::between(Field::Company, company(old), company(new)),
        FieldChange::between(Field::TaxId, old.tax_id.clone(), new.tax_id.clone()),
        FieldChange::between(Field::Phone, list(&old.phones), list(&new.phones)),
        FieldChange::between(Field::Email, list(&old.emails), list(&new.emails)),
        FieldChange::between(
            Field::Messenger,
            list(&old.messengers),
            list(&new.messengers),
        ),
        FieldChange::between(Field::Address, old.address.clone(), new.address.clone()),
        FieldChange::between(Field::Notes, old.notes.clone(), new.notes.clone()),
        FieldChange::between(
            Field::Responsible,
            old.responsible_name.clone(),
            new.responsible_name.clone(),
        ),
        FieldChange::between(Field::Tags, list(&old.tags), list(&new.tags)),
        FieldChange::between(
            Field::TimeZone,
            old.time_zone.clone(),
            new.time_zone.clone(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Tags trimmed (and a leading `#` dropped), blanks and case-insensitive duplicates
/// dropped, first spelling kept. The bounds come first and the work is one pass, so a
/// hostile list costs no more than a short one: at most `RAW_LIST_MAX` entries, each at
/// most `TAG_CHARS_MAX` characters, at most `TAGS_MAX` distinct.
pub fn checked_tags(raw: Vec<String>) -> Result<Vec<String>, AppError> {
    use crate::limits::{check_chars, check_count, check_raw_list};
    check_raw_list(raw.len(), TAGS_MAX, Field::Tags)?;
    let mut seen = std::collections::HashSet::new();
    let mut tags = Vec::new();
    for tag in raw {
        let tag = tag.trim().trim_start_matches('#').trim();
        if tag.is_empty() {
            continue;
        }
        check_chars(tag, TAG_CHARS_MAX, Field::Tags)?;
        if seen.insert(tag.to_lowercase()) {
            check_count(tags.len() + 1, TAGS_MAX, Field::Tags)?;
            tags.push(tag.to_owned());
        }
    }
    Ok(tags)
}

/// Trimmed, blanks dropped, at most `CONTACTS_MAX` (and at most `RAW_LIST_MAX` sent).
fn contacts(values: Vec<String>, field: Field) -> Result<Vec<String>, AppError> {
    crate::limits::check_raw_list(values.len(), CONTACTS_MAX, field)?;
    let values: Vec<String> = values
        .into_iter()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if values.len() > CONTACTS_MAX {
        return Err(AppError::validation(
            field,
            Rule::TooMany { max: CONTACTS_MAX },
        ));
    }
    Ok(values)
}

fn non_blank(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn max_len(value: &str, max: usize, field: Field) -> Result<(), AppError> {
    if value.chars().count() > max {
        Err(AppError::validation(field, Rule::TooLong { max }))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> ClientDraft {
        ClientDraft {
            name: " Anna Petrova ".into(),
            phones: vec!["+7 916 123-45-67".into(), "  ".into()],
            emails: vec!["Anna@Example.com".into()],
            tags: vec!["VIP".into(), "#vip".into(), " new ".into()],
            time_zone: Some(" Asia/Novosibirsk ".into()),
            ..ClientDraft::default()
        }
    }

    #[test]
    fn phones_compare_by_digits_with_the_russian_trunk_prefix() {
        assert_eq!(normalize_phone("8 (916) 123-45-67"), "79161234567");
        assert_eq!(normalize_phone("+7 916 123 45 67"), "79161234567");
        assert_eq!(
            normalize_contact(ContactKind::Messenger, " @Anna_P "),
            "anna_p"
        );
        assert_eq!(normalize_tax_id(" 7707-083 893 "), "7707083893");
    }

    #[test]
    fn a_draft_is_trimmed_and_deduplicated() {
        let draft = checked_draft(person()).unwrap();
        assert_eq!(draft.name, "Anna Petrova");
        assert_eq!(draft.phones, vec!["+7 916 123-45-67"]);
        assert_eq!(draft.tags, vec!["VIP", "new"]);
        assert_eq!(draft.time_zone.as_deref(), Some("Asia/Novosibirsk"));
    }

    #[test]
    fn bad_drafts_say_which_field() {
        let check = |change: &dyn Fn(&mut ClientDraft)| {
            let mut draft = person();
            change(&mut draft);
            checked_draft(draft).err()
        };
        let invalid = |field, rule| Some(AppError::validation(field, rule));
        assert_eq!(
            check(&|d| d.name = " ".into()),
            invalid(Field::Name, Rule::Required)
        );
        assert_eq!(
            check(&|d| d.phones = vec!["12-3".into()]),
            invalid(Field::Phone, Rule::InvalidPhone)
        );
        assert_eq!(
            check(&|d| d.emails = vec!["anna@".into()]),
            invalid(Field::Email, Rule::InvalidEmail)
        );
        assert_eq!(
            check(&|d| d.time_zone = Some("Mars/Olympus".into())),
            invalid(Field::TimeZone, Rule::UnknownValue)
        );
        assert_eq!(
            check(&|d| d.tags = (0..21).map(|n| format!("t{n}")).collect()),
            invalid(Field::Tags, Rule::TooMany { max: TAGS_MAX })
        );
        assert_eq!(
            check(&|d| {
                d.kind = ClientKind::Company;
                d.tax_id = Some("12".into());
            }),
            invalid(Field::TaxId, Rule::UnknownValue)
        );
        assert_eq!(
            check(&|d| {
                d.kind = ClientKind::Company;
                d.company = Some(super::super::ClientId(1));
            }),
            invalid(Field::Company, Rule::UnknownValue)
        );
    }

    #[test]
    fn a_person_has_no_tax_id() {
        let mut draft = person();
        draft.tax_id = Some("7707083893".into());
        assert_eq!(checked_draft(draft).unwrap().tax_id, None);
    }
}
