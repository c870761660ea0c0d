//! `/admin/audit`: the audit log for administrators: who did what, when and from where,
//! newest first, filtered by person, action and period (all in the URL, a plain GET form
//! that works before hydration), older pages by "Older", the same rows as CSV, and how
//! long rows are kept.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use shared::AppError;
use shared::audit::{AuditAction, AuditEntry, AuditFilter, AuditPage};
use shared::user::UserId;

use crate::errors::{FormError, error_message};
use crate::i18n::*;
use crate::moment::moment;

#[server(prefix = "/api", endpoint = "load_audit", input = server_fn::codec::Json)]
pub async fn load_audit(filter: AuditFilter) -> Result<AuditPage, AppError> {
    use crate::backend::{db, identity};
    async {
        let identity = identity()?;
        let db = db()?;
        let zone = shared::time_zone::parse_time_zone(&identity.user.time_zone)?;
        let (entries, more) = shared::audit::service::list(
            &db,
            &identity.actor,
            &filter,
            shared::audit::AUDIT_PAGE,
            |day| zone.day_start(day),
        )
        .await?;
        Ok(AuditPage {
            next_before: if more {
                entries.last().map(|e| e.id)
            } else {
                None
            },
            entries,
            retention_days: shared::audit::service::retention_days(&db).await?,
            users: shared::user::service::list_user_names(&db).await?,
        })
    }
    .await
}

#[server(prefix = "/api", endpoint = "set_audit_retention")]
pub async fn set_audit_retention(days: u32) -> Result<(), AppError> {
    use crate::backend::{db, identity, now};
    async {
        let actor = identity()?.actor;
        shared::audit::service::set_retention(&db()?, &actor, days, now()).await
    }
    .await
}

/// The filter the URL holds; what does not parse is left out.
fn filter_from_query(query: &ParamsMap) -> AuditFilter {
    let day = |key: &str| {
        query
            .get(key)
            .and_then(|text| NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok())
    };
    AuditFilter {
        user: query.get("user").and_then(|u| u.parse().ok()).map(UserId),
        action: query.get("action").and_then(|a| AuditAction::parse(&a)),
        from: day("from"),
        to: day("to"),
        before: query.get("before").and_then(|b| b.parse().ok()),
    }
}

/// The query string of a filter, without the page.
fn query_of(filter: &AuditFilter) -> String {
    let mut parts = Vec::new();
    if let Some(user) = filter.user {
        parts.push(format!("user={}", user.0));
    }
    if let Some(action) = filter.action {
        parts.push(format!("action={}", action.as_str()));
    }
    if let Some(from) = filter.from {
        parts.push(format!("from={from}"));
    }
    if let Some(to) = filter.to {
        parts.push(format!("to={to}"));
    }
    parts.join("&")
}

pub fn action_label(i18n: leptos_i18n::I18nContext<Locale>, action: AuditAction) -> String {
    match action {
        AuditAction::SignIn => t_string!(i18n, audit.sign_in),
        AuditAction::SignInFailed => t_string!(i18n, audit.sign_in_failed),
        AuditAction::SignOut => t_string!(i18n, audit.sign_out),
        AuditAction::SessionEnded => t_string!(i18n, audit.session_ended),
        AuditAction::ApiTokenCreated => t_string!(i18n, audit.api_token_created),
        AuditAction::ApiTokenRevoked => t_string!(i18n, audit.api_token_revoked),
        AuditAction::UserCreated => t_string!(i18n, audit.user_created),
        AuditAction::UserChanged => t_string!(i18n, audit.user_changed),
        AuditAction::PasswordReset => t_string!(i18n, audit.password_reset),
        AuditAction::DepartmentCreated => t_string!(i18n, audit.department_created),
        AuditAction::DepartmentChanged => t_string!(i18n, audit.department_changed),
        AuditAction::PipelineSaved => t_string!(i18n, audit.pipeline_saved),
        AuditAction::CustomFieldSaved => t_string!(i18n, audit.custom_field_saved),
        AuditAction::CustomFieldRemoved => t_string!(i18n, audit.custom_field_removed),
        AuditAction::WebhookCreated => t_string!(i18n, audit.webhook_created),
        AuditAction::WebhookChanged => t_string!(i18n, audit.webhook_changed),
        AuditAction::WebhookDeleted => t_string!(i18n, audit.webhook_deleted),
        AuditAction::AutomationRuleCreated => t_string!(i18n, audit.automation_rule_created),
        AuditAction::AutomationRuleChanged => t_string!(i18n, audit.automation_rule_changed),
        AuditAction::SettingsChanged => t_string!(i18n, audit.settings_changed),
        AuditAction::AuditExported => t_string!(i18n, audit.exported),
        AuditAction::PermissionDenied => t_string!(i18n, audit.permission_denied),
        AuditAction::DocumentDownloaded => t_string!(i18n, audit.document_downloaded),
    }
    .to_string()
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = Memo::new(move |_| filter_from_query(&query.read()));
    let refresh = RwSignal::new(0_u32);
    let page = Resource::new(
        move || (filter.get(), refresh.get()),
        |(filter, _)| load_audit(filter),
    );
    view! {
        <div class="toolbar">
            <h2>{t!(i18n, audit.title)}</h2>
        </div>
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
            {move || page.get().map(|result| match result {
                Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                Ok(page) => view! { <AuditView page filter=filter.get_untracked() refresh /> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn AuditView(page: AuditPage, filter: AuditFilter, refresh: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let query = query_of(&filter);
    let export_href = format!("/admin/audit/export?{query}");
    let older_href = page.next_before.map(|before| {
        let joiner = if query.is_empty() { "" } else { "&" };
        format!("/admin/audit?{query}{joiner}before={before}")
    });
    let empty = page.entries.is_empty();
    let actions = AuditAction::ALL.map(|action| {
        let selected = filter.action == Some(action);
        view! { <option value=action.as_str() selected=selected>{action_label(i18n, action)}</option> }
    });
    view! {
        <form class="filters audit-filters" method="get" action="/admin/audit">
            <label class="field">
                <span>{t!(i18n, audit.person)}</span>
                <select name="user">
                    <option value="">{t!(i18n, audit.everyone)}</option>
                    {page.users.iter().map(|(id, name)| view! {
                        <option value=id.0.to_string() selected=filter.user == Some(*id)>{name.clone()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="field">
                <span>{t!(i18n, audit.action)}</span>
                <select name="action">
                    <option value="">{t!(i18n, audit.any_action)}</option>
                    {actions.into_iter().collect_view()}
                </select>
            </label>
            <label class="field">
                <span>{t!(i18n, audit.from)}</span>
                <input type="date" name="from" value=filter.from.map(|d| d.to_string()) />
            </label>
            <label class="field">
                <span>{t!(i18n, audit.to)}</span>
                <input type="date" name="to" value=filter.to.map(|d| d.to_string()) />
            </label>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary">{t!(i18n, audit.apply)}</button>
                <a class="btn" href=export_href rel="external" download>{t!(i18n, audit.export)}</a>
            </div>
        </form>
        <Show when=move || empty>
            <p class="muted">{t!(i18n, audit.none)}</p>
        </Show>
        <ul class="audit-list">
            {page.entries.into_iter().map(|entry| view! { <AuditRow entry /> }).collect_view()}
        </ul>
        {older_href.map(|href| view! {
            <p><a class="btn" href=href>{t!(i18n, audit.older)}</a></p>
        })}
        <Retention days=page.retention_days refresh />
    }
}

#[component]
fn AuditRow(entry: AuditEntry) -> impl IntoView {
    let i18n = use_i18n();
    let failed = entry.action == AuditAction::SignInFailed;
    view! {
        <li class="audit-row" class:audit-failed=failed>
            <div class="audit-main">
                <strong>{action_label(i18n, entry.action)}</strong>
                <span>{entry.actor.clone()}</span>
                {entry.target.clone().map(|target| view! { <code class="muted">{target}</code> })}
            </div>
            {(!entry.details.is_empty()).then(|| view! { <div class="audit-details">{entry.details.clone()}</div> })}
            <div class="audit-facts muted small">
                <span>{moment(entry.at)}</span>
                {entry.address.clone().map(|address| view! { <span>{address}</span> })}
            </div>
        </li>
    }
}

#[component]
fn Retention(days: u32, refresh: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let value = RwSignal::new(days.to_string());
    let save = ServerAction::<SetAuditRetention>::new();
    let local_error = RwSignal::new(None::<AppError>);
    let error = Signal::derive(move || {
        local_error
            .get()
            .or_else(|| save.value().get().and_then(Result::err))
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            refresh.update(|n| *n += 1);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match value.get_untracked().trim().parse::<u32>() {
            Ok(days) => {
                local_error.set(None);
                save.dispatch(SetAuditRetention { days });
            }
            Err(_) => local_error.set(Some(AppError::validation(
                shared::Field::Period,
                shared::Rule::InvalidNumber,
            ))),
        }
    };
    view! {
        <form class="card audit-retention" novalidate on:submit=submit>
            <label class="field">
                <span>{t!(i18n, audit.retention)}</span>
                <input type="number" name="days" min="30" max="3650" inputmode="numeric"
                    prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
            </label>
            <FormError error />
            <div class="form-actions">
                <button type="submit" class="btn" disabled=move || save.pending().get()>{t!(i18n, audit.save_retention)}</button>
            </div>
        </form>
    }
}
