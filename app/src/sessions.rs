//! `/settings/sessions` (account menu): where the person is signed in (browser, address,
//! since when, last seen), and "End" for any of those sessions; an administrator sees and
//! ends everyone's. An ended session's live stream closes at once, and its next request
//! goes to sign-in.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::AppError;
use shared::session::SessionView;

use crate::errors::{FormError, error_message};
use crate::i18n::*;
use crate::moment::moment;

#[server(prefix = "/api", endpoint = "list_sessions")]
pub async fn list_sessions() -> Result<Vec<SessionView>, AppError> {
    use crate::backend::{db, identity, now, session};
    let actor = identity()?.actor;
    let current = session().await?.id().map(|id| id.to_string());
    shared::session::service::list_sessions(&db()?, &actor, current.as_deref(), now()).await
}

#[server(prefix = "/api", endpoint = "end_session")]
pub async fn end_session(handle: String) -> Result<(), AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::session::service::end_session(&db()?, &actor, &handle, now()).await
}

/// This browser's own session is gone: the next page is sign-in.
fn go_to_sign_in() {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href("/login");
    }
}

#[component]
fn SessionRow(session: SessionView, show_user: bool, reload: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let end = ServerAction::<EndSession>::new();
    let current = session.current;
    Effect::new(move |_| {
        if let Some(Ok(())) = end.value().get() {
            if current {
                go_to_sign_in();
            } else {
                reload.run(());
            }
        }
    });
    let error = Signal::derive(move || end.value().get().and_then(Result::err));
    let handle = session.handle.clone();
    let device = session
        .device
        .clone()
        .unwrap_or_else(|| t_string!(i18n, sessions.unknown_device).to_string());
    view! {
        <li class="session-row" class:session-current=current>
            <div class="session-main">
                <strong>{device}</strong>
                {current.then(|| view! { <span class="badge badge-ok">{t!(i18n, sessions.this_device)}</span> })}
                {show_user.then(|| view! { <span class="muted">{session.user_name.clone()}</span> })}
            </div>
            <div class="session-facts muted small">
                {session.address.clone().map(|address| view! {
                    <span>{t!(i18n, sessions.address, address = address)}</span>
                })}
                {session.signed_in_at.map(|at| view! {
                    <span>{t!(i18n, sessions.signed_in, at = moment(at))}</span>
                })}
                {session.last_seen_at.map(|at| view! {
                    <span>{t!(i18n, sessions.last_seen, at = moment(at))}</span>
                })}
            </div>
            <button type="button" class="btn btn-small btn-danger-ghost"
                disabled=move || end.pending().get()
                on:click=move |_| { end.dispatch(EndSession { handle: handle.clone() }); }>
                {if current { t!(i18n, sessions.sign_out_here).into_any() } else { t!(i18n, sessions.end).into_any() }}
            </button>
            <FormError error />
        </li>
    }
}

#[component]
pub fn SessionsPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0_u32);
    let sessions = Resource::new(move || refresh.get(), |_| list_sessions());
    let reload = Callback::new(move |()| refresh.update(|n| *n += 1));
    view! {
        <Title text=move || t_string!(i18n, sessions.title).to_string() />
        <section class="page sessions-page">
            <header class="page-head">
                <h1>{t!(i18n, sessions.title)}</h1>
            </header>
            <p class="muted">{t!(i18n, sessions.intro)}</p>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
                {move || sessions.get().map(|result| match result {
                    Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                    Ok(list) => {
                        // Someone else's session in the list: the viewer is an administrator.
                        let show_user = list.iter().any(|s| s.user_id != list[0].user_id);
                        view! {
                            <section class="card">
                                <ul class="session-list">
                                    {list.into_iter().map(|session| view! {
                                        <SessionRow session show_user reload />
                                    }).collect_view()}
                                </ul>
                            </section>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}
