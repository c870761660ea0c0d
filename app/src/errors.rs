//! Domain errors shown to people: the localised message next to the action that failed.

use leptos::prelude::*;
use shared::AppError;
use shared::error::{Field, Rule};
use shared::pipeline::DealField;

use crate::i18n::*;

pub fn field_label(i18n: leptos_i18n::I18nContext<Locale>, field: Field) -> String {
    match field {
        Field::Name => t_string!(i18n, fields.name).to_string(),
        Field::Email => t_string!(i18n, fields.email).to_string(),
        Field::Password => t_string!(i18n, fields.password).to_string(),
        Field::Role => t_string!(i18n, fields.role).to_string(),
        Field::Locale => t_string!(i18n, fields.locale).to_string(),
        Field::Departments => t_string!(i18n, fields.departments).to_string(),
        Field::Head => t_string!(i18n, fields.head).to_string(),
        Field::Active => t_string!(i18n, fields.active).to_string(),
        Field::Stage => t_string!(i18n, fields.stage).to_string(),
        Field::Comment => t_string!(i18n, fields.comment).to_string(),
        Field::Title => t_string!(i18n, fields.title).to_string(),
        Field::Amount => t_string!(i18n, fields.amount).to_string(),
        Field::Currency => t_string!(i18n, fields.currency).to_string(),
        Field::Color => t_string!(i18n, fields.color).to_string(),
        Field::Sla => t_string!(i18n, fields.sla).to_string(),
        Field::Responsible => t_string!(i18n, fields.responsible).to_string(),
        Field::Phone => t_string!(i18n, fields.phone).to_string(),
        Field::Period => t_string!(i18n, fields.period).to_string(),
        Field::TimeZone => t_string!(i18n, fields.time_zone).to_string(),
        Field::MessengerUrl => t_string!(i18n, fields.messenger_url).to_string(),
        Field::Channel => t_string!(i18n, fields.channel).to_string(),
        Field::SendAt => t_string!(i18n, fields.send_at).to_string(),
        Field::Conclusion => t_string!(i18n, fields.conclusion).to_string(),
        Field::TaxId => t_string!(i18n, fields.tax_id).to_string(),
        Field::Messenger => t_string!(i18n, fields.messenger).to_string(),
        Field::Address => t_string!(i18n, fields.address).to_string(),
        Field::Notes => t_string!(i18n, fields.notes).to_string(),
        Field::Tags => t_string!(i18n, fields.tags).to_string(),
        Field::Company => t_string!(i18n, fields.company).to_string(),
        Field::Client => t_string!(i18n, fields.client).to_string(),
        Field::Kind => t_string!(i18n, fields.kind).to_string(),
        Field::DueAt => t_string!(i18n, fields.due_at).to_string(),
        Field::File => t_string!(i18n, fields.file).to_string(),
        Field::Category => t_string!(i18n, fields.category).to_string(),
        Field::Group => t_string!(i18n, fields.group).to_string(),
        Field::Help => t_string!(i18n, fields.help).to_string(),
        Field::Pipeline => t_string!(i18n, fields.pipeline).to_string(),
        Field::Options => t_string!(i18n, fields.options).to_string(),
        Field::CustomField => t_string!(i18n, fields.custom_field).to_string(),
        Field::Page => t_string!(i18n, fields.page).to_string(),
        Field::Search => t_string!(i18n, fields.search).to_string(),
        Field::Notifications => t_string!(i18n, fields.notifications).to_string(),
        Field::Scopes => t_string!(i18n, fields.scopes).to_string(),
        Field::ExpiresAt => t_string!(i18n, fields.expires_at).to_string(),
        Field::RateLimit => t_string!(i18n, fields.rate_limit).to_string(),
        Field::Cursor => t_string!(i18n, fields.cursor).to_string(),
        Field::Limit => t_string!(i18n, fields.limit).to_string(),
        Field::IdempotencyKey => t_string!(i18n, fields.idempotency_key).to_string(),
        Field::WebhookUrl => t_string!(i18n, fields.webhook_url).to_string(),
        Field::EventTypes => t_string!(i18n, fields.event_types).to_string(),
        Field::Description => t_string!(i18n, fields.description).to_string(),
        Field::Trigger => t_string!(i18n, fields.trigger).to_string(),
        Field::Conditions => t_string!(i18n, fields.conditions).to_string(),
        Field::Actions => t_string!(i18n, fields.actions).to_string(),
    }
}

/// A deal field's name in the current language (errors, the pipeline editor).
pub fn deal_field_label(i18n: leptos_i18n::I18nContext<Locale>, field: DealField) -> String {
    match field {
        DealField::Amount => t_string!(i18n, fields.amount).to_string(),
        DealField::Client => t_string!(i18n, fields.client).to_string(),
        DealField::ClientPhone => t_string!(i18n, fields.client_phone).to_string(),
        DealField::ClientEmail => t_string!(i18n, fields.client_email).to_string(),
        DealField::Responsible => t_string!(i18n, fields.responsible).to_string(),
    }
}

/// The message for an error in the current language.
pub fn error_message(i18n: leptos_i18n::I18nContext<Locale>, err: &AppError) -> String {
    match err {
        AppError::Unauthenticated => t_string!(i18n, errors.unauthenticated).to_string(),
        AppError::InvalidCredentials => t_string!(i18n, errors.invalid_credentials).to_string(),
        AppError::RateLimited { retry_after_secs } => {
            t_string!(i18n, errors.rate_limited, seconds = *retry_after_secs).to_string()
        }
        AppError::Forbidden => t_string!(i18n, errors.forbidden).to_string(),
        AppError::Conflict { .. } => t_string!(i18n, errors.conflict).to_string(),
        AppError::RequiredField { field } => t_string!(
            i18n,
            errors.required_field,
            field = deal_field_label(i18n, *field)
        )
        .to_string(),
        AppError::NotFound { .. } => t_string!(i18n, errors.not_found).to_string(),
        AppError::Duplicate { field, .. } => {
            t_string!(i18n, errors.duplicate, field = field_label(i18n, *field)).to_string()
        }
        AppError::Validation { field, rule } => rule_message(i18n, field_label(i18n, *field), rule),
        AppError::CustomFieldInvalid { field, rule } => {
            let label = format!("«{}»", field.label);
            let message = rule_message(i18n, label.clone(), rule);
            // Some messages do not name their field: say which one.
            if message.contains(&label) {
                message
            } else {
                format!("{label}: {message}")
            }
        }
        AppError::RequiredCustomField { field } => t_string!(
            i18n,
            errors.required_field,
            field = format!("«{}»", field.label)
        )
        .to_string(),
        AppError::StageNotEmpty { stage, deals } => t_string!(
            i18n,
            errors.stage_not_empty,
            stage = stage.clone(),
            deals = *deals
        )
        .to_string(),
        AppError::PossibleDuplicate { .. } => {
            t_string!(i18n, errors.possible_duplicate).to_string()
        }
        AppError::TooLarge { max_bytes } => t_string!(
            i18n,
            errors.too_large,
            megabytes = max_bytes / (1024 * 1024)
        )
        .to_string(),
        AppError::CrossOrigin => t_string!(i18n, errors.cross_origin).to_string(),
        AppError::Internal => t_string!(i18n, errors.internal).to_string(),
        AppError::Malformed { .. } => t_string!(i18n, errors.malformed).to_string(),
        AppError::Transport { .. } => t_string!(i18n, errors.transport).to_string(),
    }
}

/// The message for a broken rule about the field called `field`.
fn rule_message(i18n: leptos_i18n::I18nContext<Locale>, field: String, rule: &Rule) -> String {
    match rule {
        Rule::Required => t_string!(i18n, errors.required, field).to_string(),
        Rule::TooShort { min } => t_string!(i18n, errors.too_short, field, min = *min).to_string(),
        Rule::TooLong { max } => t_string!(i18n, errors.too_long, field, max = *max).to_string(),
        Rule::InvalidEmail => t_string!(i18n, errors.invalid_email).to_string(),
        Rule::UnknownValue => t_string!(i18n, errors.unknown_value, field).to_string(),
        Rule::NotOnYourself => t_string!(i18n, errors.not_on_yourself, field).to_string(),
        Rule::SameStage => t_string!(i18n, errors.same_stage).to_string(),
        Rule::MoveNotAllowed => t_string!(i18n, errors.move_not_allowed).to_string(),
        Rule::ReasonRequired => t_string!(i18n, errors.reason_required).to_string(),
        Rule::InvalidAmount => t_string!(i18n, errors.invalid_amount).to_string(),
        Rule::MustBePositive => t_string!(i18n, errors.must_be_positive, field).to_string(),
        Rule::OpenStageRequired => t_string!(i18n, errors.open_stage_required).to_string(),
        Rule::PeriodReversed => t_string!(i18n, errors.period_reversed).to_string(),
        Rule::InvalidUrl => t_string!(i18n, errors.invalid_url).to_string(),
        Rule::InvalidPhone => t_string!(i18n, errors.invalid_phone).to_string(),
        Rule::TooMany { max } => t_string!(i18n, errors.too_many, field, max = *max).to_string(),
        Rule::InvalidNumber => t_string!(i18n, errors.invalid_number, field).to_string(),
        Rule::InvalidDate => t_string!(i18n, errors.invalid_date, field).to_string(),
        Rule::Unchangeable => t_string!(i18n, errors.unchangeable, field).to_string(),
        Rule::PrivateAddress => t_string!(i18n, errors.private_address).to_string(),
        Rule::TooBig { max } => t_string!(i18n, errors.too_big, field, max = *max).to_string(),
        Rule::TooSmall { min } => t_string!(i18n, errors.too_small, field, min = *min).to_string(),
        Rule::NobodyAvailable => t_string!(i18n, errors.nobody_available, field).to_string(),
        Rule::PeriodTooLong { max_days } => {
            t_string!(i18n, errors.period_too_long, days = *max_days).to_string()
        }
    }
}

/// An error line under a form; renders nothing while there is no error.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        error.get().map(|err| {
            view! {
                <p class="form-error" role="alert">
                    {error_message(i18n, &err)}
                </p>
            }
        })
    }
}
