//! The bell in the top bar (unread count, updated live) and `/notifications`: the list,
//! opening one marks it read, and "mark all as read".

use leptos::prelude::*;
use leptos_meta::Title;
use shared::AppError;
use shared::notification::{NotificationKind, NotificationList, NotificationView};

use crate::errors::error_message;
use crate::i18n::*;
use crate::moment::moment;

#[server(prefix = "/api", endpoint = "unread_notifications", input = server_fn::codec::Json)]
pub async fn unread_notifications() -> Result<u64, AppError> {
    use crate::backend::{db, identity};
    let actor = identity()?.actor;
    shared::notification::service::unread_count(&db()?, &actor).await
}

#[server(prefix = "/api", endpoint = "list_notifications", input = server_fn::codec::Json)]
pub async fn list_notifications() -> Result<NotificationList, AppError> {
    use crate::backend::{db, identity};
    let actor = identity()?.actor;
    shared::notification::service::list_notifications(&db()?, &actor).await
}

/// Marks these (or, with `None`, all) of the caller's notifications read; returns the
/// unread count left.
#[server(prefix = "/api", endpoint = "mark_notifications_read", input = server_fn::codec::Json)]
pub async fn mark_notifications_read(ids: Option<Vec<i32>>) -> Result<u64, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::notification::service::mark_read(&db()?, &actor, ids, now()).await
}

/// Bumped whenever the unread count may have changed (a live event, marking read).
#[derive(Clone, Copy)]
pub struct BellTick(pub RwSignal<u32>);

#[component]
pub fn Bell() -> impl IntoView {
    let i18n = use_i18n();
    let tick = use_context::<BellTick>()
        .map(|BellTick(tick)| tick)
        .unwrap_or_else(|| RwSignal::new(0));
    let unread = Resource::new(move || tick.get(), |_| unread_notifications());
    crate::live::listen(
        &["notification"],
        Callback::new(move |_: String| tick.update(|n| *n += 1)),
    );
    let count = move || unread.get().and_then(Result::ok).unwrap_or(0);
    view! {
        <a href="/notifications" class="bell"
            aria-label=move || t_string!(i18n, notifications.bell, count = count()).to_string()>
            <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                <path d="M6 8a6 6 0 1 1 12 0c0 7 3 8 3 8H3s3-1 3-8M10 20a2 2 0 0 0 4 0" />
            </svg>
            <Transition fallback=|| ()>
                {move || (count() > 0).then(|| view! { <span class="bell-count">{count()}</span> })}
            </Transition>
        </a>
    }
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let i18n = use_i18n();
    let bell = use_context::<BellTick>();
    let refresh = RwSignal::new(0_u32);
    let list = Resource::new(move || refresh.get(), |_| list_notifications());
    crate::live::listen(
        &["notification"],
        Callback::new(move |_: String| refresh.update(|n| *n += 1)),
    );
    let mark = Action::new(move |ids: &Option<Vec<i32>>| {
        let ids = ids.clone();
        async move { mark_notifications_read(ids).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = mark.value().get() {
            refresh.update(|n| *n += 1);
            if let Some(BellTick(tick)) = bell {
                tick.update(|n| *n += 1);
            }
        }
    });
    view! {
        <Title text=move || t_string!(i18n, notifications.title).to_string() />
        <section class="page notifications-page">
            <header class="page-head">
                <h1>{t!(i18n, notifications.title)}</h1>
                <button type="button" class="btn btn-small" on:click=move |_| { mark.dispatch(None); }>
                    {t!(i18n, notifications.mark_all)}
                </button>
            </header>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
                {move || list.get().map(|result| match result {
                    Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                    Ok(list) if list.items.is_empty() => view! { <p class="muted">{t!(i18n, notifications.none)}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="notification-list">
                            {list.items.into_iter().map(|n| view! { <Item notification=n mark /> }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Item(
    notification: NotificationView,
    mark: Action<Option<Vec<i32>>, Result<u64, AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let who = notification.actor_name.clone().unwrap_or_default();
    let id = notification.id;
    let unread = !notification.read;
    let headline = move || match notification.kind {
        NotificationKind::Mention => {
            t_string!(i18n, notifications.mentioned, who = who.clone()).to_string()
        }
        NotificationKind::TaskDue => t_string!(i18n, notifications.task_due).to_string(),
        NotificationKind::WebhookStopped => {
            t_string!(i18n, notifications.webhook_stopped).to_string()
        }
        NotificationKind::Automation => t_string!(i18n, notifications.automation).to_string(),
    };
    let when = moment(notification.created_at);
    view! {
        <li class="notification card" class:unread=unread>
            <div class="history-line">
                <strong>{headline}</strong>
                {unread.then(|| view! { <span class="badge">{t!(i18n, notifications.unread)}</span> })}
            </div>
            {notification.subject.map(|(subject, title)| {
                let href = subject.page();
                view! {
                    <a href=href on:click=move |_| { if unread { mark.dispatch(Some(vec![id])); } }>{title}</a>
                }
            })}
            <p class="comment-text">{notification.text.clone()}</p>
            <div class="muted small">{when}</div>
        </li>
    }
}
