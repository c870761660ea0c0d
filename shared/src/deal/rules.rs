//! Validation of deal input and conversions of money to and from minor units.

use rust_decimal::Decimal;

use crate::deal::{Money, NewDeal};
use crate::error::{AppError, Field, Rule};

pub const TITLE_MAX: usize = 200;

/// Converts to minor units (two decimal places); more precision or a negative amount is
/// refused rather than rounded.
pub fn to_minor(money: &Money) -> Result<i64, AppError> {
    let cents = money.amount * Decimal::ONE_HUNDRED;
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
    let title = deal.title.trim();
    if title.is_empty() {
        return Err(AppError::validation(Field::Title, Rule::Required));
    }
    if title.chars().count() > TITLE_MAX {
        return Err(AppError::validation(
            Field::Title,
            Rule::TooLong { max: TITLE_MAX },
        ));
    }
    if let Some(money) = &deal.amount {
        validate_currency(&money.currency)?;
        to_minor(money)?;
    }
    Ok(())
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
    fn currency_is_three_capital_letters() {
        assert!(validate_currency("RUB").is_ok());
        for bad in ["rub", "RU", "RUBL", "R1B"] {
            assert!(validate_currency(bad).is_err(), "{bad}");
        }
    }
}
