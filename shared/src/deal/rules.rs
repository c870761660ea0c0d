//! Validation of deal input and conversions of money to and from minor units.

use rust_decimal::Decimal;

use crate::deal::{DealView, Money, NewDeal, UpdateDeal};
use crate::error::{AppError, Field, Rule};
use crate::timeline::FieldChange;

pub const TITLE_MAX: usize = 200;
const CLIENT_NAME_MAX: usize = 200;
const PHONE_MAX: usize = 40;

/// Converts to minor units (two decimal places); more precision or a negative amount is
/// refused rather than rounded.
pub fn to_minor(money: &Money) -> Result<i64, AppError> {
    let Some(cents) = money.amount.checked_mul(Decimal::ONE_HUNDRED) else {
        return Err(AppError::validation(Field::Amount, Rule::InvalidAmount));
    };
    if money.amount.is_sign_negative() || cents.fract() != Decimal::ZERO {
        return Err(AppError::validation(Field::Amount, Rule::InvalidAmount));
    }
    i64::try_from(cents).map_err(|_| AppError::validation(Field::Amount, Rule::InvalidAmount))
}

pub fn from_minor(minor: i64, currency: &str) -> Money {
    Money {
        amount: Decimal::new(minor, 2),
        currency: currency.to_owned(),
    }
}

/// Three upper-case letters, e.g. `RUB`, `USD`.
pub fn validate_currency(code: &str) -> Result<(), AppError> {
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(AppError::validation(Field::Currency, Rule::UnknownValue))
    }
}

pub fn validate_new_deal(deal: &NewDeal) -> Result<(), AppError> {
    validate_fields(DealFields {
        title: &deal.title,
        client_name: deal.client_name.as_deref(),
        client_phone: deal.client_phone.as_deref(),
        client_email: deal.client_email.as_deref(),
        amount: deal.amount.as_ref(),
    })
}

pub fn validate_update(deal: &UpdateDeal) -> Result<(), AppError> {
    validate_fields(DealFields {
        title: &deal.title,
        client_name: deal.client_name.as_deref(),
        client_phone: deal.client_phone.as_deref(),
        client_email: deal.client_email.as_deref(),
        amount: deal.amount.as_ref(),
    })
}

/// The fields a person types into a deal form.
struct DealFields<'a> {
    title: &'a str,
    client_name: Option<&'a str>,
    client_phone: Option<&'a str>,
    client_email: Option<&'a str>,
    amount: Option<&'a Money>,
}

fn validate_fields(deal: DealFields<'_>) -> Result<(), AppError> {
    let title = deal.title.trim();
    if title.is_empty() {
        return Err(AppError::validation(Field::Title, Rule::Required));
    }
    max_len(title, TITLE_MAX, Field::Title)?;
    max_len(
        deal.client_name.unwrap_or_default(),
        CLIENT_NAME_MAX,
        Field::Name,
    )?;
    max_len(
        deal.client_phone.unwrap_or_default(),
        PHONE_MAX,
        Field::Phone,
    )?;
    if let Some(email) = deal.client_email.map(str::trim).filter(|e| !e.is_empty()) {
        crate::user::validate_email(email)?;
    }
    if let Some(money) = deal.amount {
        validate_currency(&money.currency)?;
        to_minor(money)?;
    }
    Ok(())
}

/// What an edit changed, as the timeline shows it (names, money with its currency).
pub fn changes_between(old: &DealView, new: &DealView) -> Vec<FieldChange> {
    let client = |deal: &DealView, part: fn(&crate::deal::ClientSummary) -> Option<String>| {
        deal.client.as_ref().and_then(part)
    };
    let money = |deal: &DealView| {
        deal.amount
            .as_ref()
            .map(|m| format!("{} {}", m.amount, m.currency))
    };
    [
        FieldChange::between(
            Field::Title,
            Some(old.title.clone()),
            Some(new.title.clone()),
        ),
        FieldChange::between(
            Field::Client,
            client(old, |c| Some(c.name.clone())),
            client(new, |c| Some(c.name.clone())),
        ),
        FieldChange::between(
            Field::Phone,
            client(old, |c| c.phone.clone()),
            client(new, |c| c.phone.clone()),
        ),
        FieldChange::between(
            Field::Email,
            client(old, |c| c.email.clone()),
            client(new, |c| c.email.clone()),
        ),
        FieldChange::between(Field::Amount, money(old), money(new)),
        FieldChange::between(
            Field::Responsible,
            old.responsible_name.clone(),
            new.responsible_name.clone(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn max_len(value: &str, max: usize, field: Field) -> Result<(), AppError> {
    if value.trim().chars().count() > max {
        Err(AppError::validation(field, Rule::TooLong { max }))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn money(amount: &str) -> Money {
        Money {
            amount: Decimal::from_str(amount).unwrap(),
            currency: "RUB".into(),
        }
    }

    #[test]
    fn money_round_trips_through_minor_units() {
        assert_eq!(to_minor(&money("1250000.50")), Ok(125_000_050));
        assert_eq!(from_minor(125_000_050, "RUB"), money("1250000.50"));
    }

    #[test]
    fn fractions_of_a_kopeck_and_negatives_are_refused() {
        assert!(to_minor(&money("1.005")).is_err());
        assert!(to_minor(&money("-1")).is_err());
    }

    #[test]
    fn deal_forms_are_checked_field_by_field() {
        let update = |change: &dyn Fn(&mut UpdateDeal)| {
            let mut deal = UpdateDeal {
                deal_id: crate::deal::DealId(1),
                version: 1,
                title: "Loan".into(),
                client_name: Some("Ivan".into()),
                client_phone: Some("+7 900".into()),
                client_email: Some("ivan@example.com".into()),
                amount: Some(money("10")),
                responsible: None,
                custom: Vec::new(),
            };
            change(&mut deal);
            validate_update(&deal)
        };
        assert_eq!(update(&|_| {}), Ok(()));
        assert_eq!(
            update(&|d| d.title = " ".into()),
            Err(AppError::validation(Field::Title, Rule::Required))
        );
        assert_eq!(
            update(&|d| d.client_phone = Some("1".repeat(41))),
            Err(AppError::validation(
                Field::Phone,
                Rule::TooLong { max: 40 }
            ))
        );
        assert_eq!(
            update(&|d| d.client_email = Some("not-an-email".into())),
            Err(AppError::validation(Field::Email, Rule::InvalidEmail))
        );
        assert_eq!(
            update(&|d| d.amount = Some(money("0.001"))),
            Err(AppError::validation(Field::Amount, Rule::InvalidAmount))
        );
    }

    #[test]
    fn currency_is_three_capital_letters() {
        assert!(validate_currency("RUB").is_ok());
        for bad in ["rub", "RU", "RUBL", "R1B"] {
            assert!(validate_currency(bad).is_err(), "{bad}");
        }
    }
}
