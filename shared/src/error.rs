//! The one error type of the domain. Every variant has a stable code (API, never renamed)
//! and a user-facing message; transports map it to a status in one place.

use serde::{Deserialize, Serialize};

/// Which input a validation error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Email,
    Password,
    Role,
    Locale,
    Departments,
    Head,
    Active,
    Stage,
    Comment,
    Title,
    Amount,
    Currency,
    Color,
    Sla,
    Responsible,
    Phone,
    Period,
    TimeZone,
    MessengerUrl,
    /// Where a digest goes (e-mail or messenger).
    Channel,
    /// The time of day a digest goes.
    SendAt,
    /// A department's conclusion on a deal (its text, or the one it corrects).
    Conclusion,
    TaxId,
    Messenger,
    Address,
    Notes,
    Tags,
    /// The company a person belongs to.
    Company,
    /// The client a deal or a record is for.
    Client,
    /// Company or person.
    Kind,
    /// When a task is due.
    DueAt,
    /// An uploaded file.
    File,
    /// A document's category.
    Category,
    /// A custom field's group heading.
    Group,
    /// A custom field's help text.
    Help,
    Pipeline,
    /// A select field's options.
    Options,
    /// A custom field (a change in the timeline names it by its label).
    CustomField,
    /// A page of a list, or where a page starts.
    Page,
    /// A search text.
    Search,
    /// The notifications a request names.
    Notifications,
    /// An API token's permissions.
    Scopes,
    /// When an API token stops working.
    ExpiresAt,
    /// Calls a minute an API token may make.
    RateLimit,
    /// Where a page of an API list starts.
    Cursor,
    /// How many records a page of an API list holds.
    Limit,
    /// An API request's `Idempotency-Key`.
    IdempotencyKey,
    WebhookUrl,
    EventTypes,
    Description,
    /// What starts an automation rule.
    Trigger,
    /// An automation rule's conditions.
    Conditions,
    /// An automation rule's actions.
    Actions,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Email => "email",
            Field::Password => "password",
            Field::Role => "role",
            Field::Locale => "locale",
            Field::Departments => "departments",
            Field::Head => "head",
            Field::Active => "active",
            Field::Stage => "stage",
            Field::Comment => "comment",
            Field::Title => "title",
            Field::Amount => "amount",
            Field::Currency => "currency",
            Field::Color => "color",
            Field::Sla => "sla",
            Field::Responsible => "responsible",
            Field::Phone => "phone",
            Field::Period => "period",
            Field::TimeZone => "time_zone",
            Field::MessengerUrl => "messenger_url",
            Field::Channel => "channel",
            Field::SendAt => "send_at",
            Field::Conclusion => "conclusion",
            Field::TaxId => "tax_id",
            Field::Messenger => "messenger",
            Field::Address => "address",
            Field::Notes => "notes",
            Field::Tags => "tags",
            Field::Company => "company",
            Field::Client => "client",
            Field::Kind => "kind",
            Field::DueAt => "due_at",
            Field::File => "file",
            Field::Category => "category",
            Field::Group => "group",
            Field::Help => "help",
            Field::Pipeline => "pipeline",
            Field::Options => "options",
            Field::CustomField => "custom_field",
            Field::Page => "page",
            Field::Search => "search",
            Field::Notifications => "notifications",
            Field::Scopes => "scopes",
            Field::ExpiresAt => "expires_at",
            Field::RateLimit => "rate_limit",
            Field::Cursor => "cursor",
            Field::Limit => "limit",
            Field::IdempotencyKey => "idempotency_key",
            Field::WebhookUrl => "webhook_url",
            Field::EventTypes => "event_types",
            Field::Description => "description",
            Field::Trigger => "trigger",
            Field::Conditions => "conditions",
            Field::Actions => "actions",
        }
    }

    /// The field named by `as_str`.
    pub fn parse(text: &str) -> Option<Field> {
        serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
    }
}

/// Which rule a value broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    Required,
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    InvalidEmail,
    UnknownValue,
    /// An admin may not take away their own access (deactivate or demote themselves).
    NotOnYourself,
    /// A deal is moved to the stage it is already in.
    SameStage,
    /// The pipeline's rules do not allow this move.
    MoveNotAllowed,
    /// A return for rework must say why.
    ReasonRequired,
    /// Money must be non-negative with at most two decimal places.
    InvalidAmount,
    /// A number that must be above zero (an SLA, say).
    MustBePositive,
    /// A pipeline needs at least one open stage for new deals to start in.
    OpenStageRequired,
    /// A period must not end before it starts.
    PeriodReversed,
    /// An address that is not an `http://` or `https://` URL.
    InvalidUrl,
    /// A phone number with too few digits to dial.
    InvalidPhone,
    /// More values than a list may hold.
    TooMany {
        max: usize,
    },
    /// Not a number.
    InvalidNumber,
    /// Not a date (or a date and time).
    InvalidDate,
    /// Fixed once the record exists (a custom field's kind, say).
    Unchangeable,
    /// A URL the server would call that points into its own network (`localhost`, a
    /// loopback, private, link-local or other reserved address).
    PrivateAddress,
    /// A number above what is accepted (a page, an offset).
    TooBig {
        max: u64,
    },
    /// A number below what is accepted (a retention period, say).
    TooSmall {
        min: u64,
    },
    /// A period longer than the dashboards cover.
    PeriodTooLong {
        max_days: u64,
    },
    /// Nobody can take it: everyone in the department is inactive or over their cap.
    NobodyAvailable,
}

/// The kind of record a `NotFound` or `Duplicate` error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    User,
    Department,
    Pipeline,
    Stage,
    Deal,
    Client,
    Task,
    Document,
    CustomField,
    Job,
    ApiToken,
    Webhook,
    WebhookDelivery,
    Session,
    AutomationRule,
}

/// Every way a use case can fail, as a value the UI and the API can match on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    #[error("Sign in to continue.")]
    Unauthenticated,
    /// Unknown user, wrong password and deactivated account look the same on purpose.
    #[error("Wrong e-mail or password.")]
    InvalidCredentials,
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    RateLimited { retry_after_secs: u64 },
    #[error("You do not have access to this.")]
    Forbidden,
    #[error("The {entity:?} was not found.")]
    NotFound { entity: Entity },
    /// Someone changed the record since the caller read it; nothing was written.
    #[error(
        "The record was changed by someone else (now version {current_version}). Reload and try again."
    )]
    Conflict { current_version: i32 },
    /// The target stage requires a field the deal does not have yet.
    #[error("Fill in {field:?} before moving the deal to this stage.")]
    RequiredField { field: crate::pipeline::DealField },
    /// A stage being removed still holds deals and the request did not say where they go.
    #[error("The stage {stage} still holds {deals} deals: choose where to move them.")]
    StageNotEmpty { stage: String, deals: u64 },
    #[error("This {field:?} is already taken.")]
    Duplicate { entity: Entity, field: Field },
    /// A new or edited client's phone, e-mail or tax id matches other clients; nothing was
    /// written. The caller may confirm and save anyway.
    #[error("Possible duplicate of {} existing client(s).", matches.len())]
    PossibleDuplicate {
        matches: Vec<crate::client::ClientMatch>,
    },
    /// An uploaded file is over the size limit; nothing was stored.
    #[error("The file is larger than {max_bytes} bytes.")]
    TooLarge { max_bytes: u64 },
    #[error("Check the {field:?} field: {rule:?}.")]
    Validation { field: Field, rule: Rule },
    /// A custom field's value breaks a rule; nothing was written.
    #[error("Check the field {}: {rule:?}.", field.label)]
    CustomFieldInvalid {
        field: crate::custom_field::CustomFieldRef,
        rule: Rule,
    },
    /// The target stage requires a custom field the deal has no value for.
    #[error("Fill in {} before moving the deal to this stage.", field.label)]
    RequiredCustomField {
        field: crate::custom_field::CustomFieldRef,
    },
    #[error("The request came from another site and was refused.")]
    CrossOrigin,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request could not be read (malformed JSON, missing or mistyped arguments).
    #[error("The request could not be read: {message}")]
    Malformed { message: String },
    /// A transport failure reported by the server-function layer (network, server down).
    #[error("Could not reach the server: {message}")]
    Transport { message: String },
}

impl AppError {
    /// The stable machine-readable code. Part of the API: never rename one.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "auth.unauthenticated",
            AppError::InvalidCredentials => "auth.invalid_credentials",
            AppError::RateLimited { .. } => "auth.rate_limited",
            AppError::Forbidden => "access.forbidden",
            AppError::NotFound { .. } => "record.not_found",
            AppError::Duplicate { .. } => "record.duplicate",
            AppError::Conflict { .. } => "record.version_conflict",
            AppError::RequiredField { .. } => "deal.required_field",
            AppError::StageNotEmpty { .. } => "pipeline.stage_not_empty",
            AppError::PossibleDuplicate { .. } => "client.possible_duplicate",
            AppError::TooLarge { .. } => "upload.too_large",
            AppError::Validation { .. } => "validation.failed",
            AppError::CustomFieldInvalid { .. } => "validation.custom_field",
            AppError::RequiredCustomField { .. } => "deal.required_custom_field",
            AppError::CrossOrigin => "request.cross_origin",
            AppError::Internal => "internal",
            AppError::Malformed { .. } => "request.malformed",
            AppError::Transport { .. } => "transport",
        }
    }

    /// The HTTP status the API answers with; the single mapping of the project.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Malformed { .. } => 400,
            AppError::Unauthenticated | AppError::InvalidCredentials => 401,
            AppError::Forbidden | AppError::CrossOrigin => 403,
            AppError::NotFound { .. } => 404,
            AppError::Duplicate { .. }
            | AppError::Conflict { .. }
            | AppError::StageNotEmpty { .. }
            | AppError::PossibleDuplicate { .. } => 409,
            AppError::TooLarge { .. } => 413,
            AppError::RequiredField { .. }
            | AppError::RequiredCustomField { .. }
            | AppError::Validation { .. }
            | AppError::CustomFieldInvalid { .. } => 422,
            AppError::RateLimited { .. } => 429,
            AppError::Internal | AppError::Transport { .. } => 500,
        }
    }

    pub fn validation(field: Field, rule: Rule) -> Self {
        AppError::Validation { field, rule }
    }
}

/// Lets server functions return `Result<T, AppError>`: the hydrated UI gets the variant back.
impl server_fn::error::FromServerFnError for AppError {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(message) | E::MissingArg(message) | E::Deserialization(message) => {
                AppError::Malformed { message }
            }
            other => AppError::Transport {
                message: other.to_string(),
            },
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        // Logged once here; the caller only ever sees the generic message.
        tracing::error!(error = %err, "database error");
        AppError::Internal
    }
}

#[cfg(feature = "ssr")]
impl<E: std::error::Error> From<sea_orm::TransactionError<E>> for AppError
where
    AppError: From<E>,
{
    fn from(err: sea_orm::TransactionError<E>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(
            AppError::InvalidCredentials.code(),
            "auth.invalid_credentials"
        );
        assert_eq!(
            AppError::RateLimited {
                retry_after_secs: 5
            }
            .status(),
            429
        );
        assert_eq!(
            AppError::validation(Field::Email, Rule::InvalidEmail).status(),
            422
        );
    }

    #[test]
    fn field_names_parse_back() {
        for field in [
            Field::TaxId,
            Field::TimeZone,
            Field::MessengerUrl,
            Field::Kind,
        ] {
            assert_eq!(Field::parse(field.as_str()), Some(field));
        }
        assert_eq!(Field::parse("nonsense"), None);
    }

    #[test]
    fn every_variant_round_trips_through_json() {
        let all = [
            AppError::Unauthenticated,
            AppError::InvalidCredentials,
            AppError::RateLimited {
                retry_after_secs: 3,
            },
            AppError::Forbidden,
            AppError::NotFound {
                entity: Entity::User,
            },
            AppError::Duplicate {
                entity: Entity::Department,
                field: Field::Name,
            },
            AppError::validation(Field::Name, Rule::TooLong { max: 3 }),
            AppError::CrossOrigin,
            AppError::Conflict { current_version: 4 },
            AppError::RequiredField {
                field: crate::pipeline::DealField::Amount,
            },
            AppError::StageNotEmpty {
                stage: "Risk".into(),
                deals: 2,
            },
            AppError::PossibleDuplicate {
                matches: vec![crate::client::ClientMatch {
                    id: Some(crate::client::ClientId(3)),
                    name: Some("Anna".into()),
                    field: Field::Phone,
                    value: "+7 916".into(),
                }],
            },
            AppError::validation(Field::Tags, Rule::TooMany { max: 20 }),
            AppError::Internal,
            AppError::Malformed {
                message: "bad".into(),
            },
            AppError::Transport {
                message: "down".into(),
            },
        ];
        for err in all {
            let json = serde_json::to_string(&err).unwrap();
            assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
        }
    }
}
