//! The frame around every signed-in page: top bar on wide screens, bottom navigation on
//! phones, the account menu and the language switch.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use shared::user::{Role, UserView};

use crate::auth::{SetLocale, SignOut, current_user};
use crate::i18n::*;

/// The signed-in user, provided to the pages below the shell.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<UserView, shared::AppError>>);

pub fn role_label(i18n: leptos_i18n::I18nContext<Locale>, role: Role) -> String {
    match role {
        Role::Admin => t_string!(i18n, roles.admin).to_string(),
        Role::Manager => t_string!(i18n, roles.manager).to_string(),
        Role::Employee => t_string!(i18n, roles.employee).to_string(),
        Role::Restricted => t_string!(i18n, roles.restricted).to_string(),
    }
}

#[component]
pub fn AppShell() -> impl IntoView {
    let i18n = use_i18n();
    let user = Resource::new(|| (), |_| current_user());
    provide_context(CurrentUser(user));
    provide_context(crate::notifications::BellTick(RwSignal::new(0)));
    let is_admin = Signal::derive(move || {
        user.get()
            .and_then(Result::ok)
            .is_some_and(|u| u.role == Role::Admin)
    });
    view! {
        <div class="app">
            <header class="topbar">
                <A href="/board" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"K"</span>
                    <span class="brand-name">{t!(i18n, app_name)}</span>
                </A>
                <NavLinks class="mainnav" is_admin />
                <crate::notifications::Bell />
                <Transition fallback=|| view! { <span class="avatar avatar-ghost"></span> }>
                    {move || {
                        user.get().and_then(Result::ok).map(|user| view! { <UserMenu user /> })
                    }}
                </Transition>
            </header>
            <main class="content">
                <Outlet />
            </main>
            <NavLinks class="bottomnav" is_admin />
        </div>
    }
}

#[component]
fn NavLinks(class: &'static str, is_admin: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class=class aria-label=move || t_string!(i18n, nav.main).to_string()>
            <A href="/board">
                <Icon path=BOARD_ICON />
                <span>{t!(i18n, nav.board)}</span>
            </A>
            <A href="/clients">
                <Icon path=CLIENTS_ICON />
                <span>{t!(i18n, nav.clients)}</span>
            </A>
            <A href="/tasks">
                <Icon path=TASKS_ICON />
                <span>{t!(i18n, nav.tasks)}</span>
            </A>
            <A href="/analytics">
                <Icon path=ANALYTICS_ICON />
                <span>{t!(i18n, nav.analytics)}</span>
            </A>
            <Show when=move || is_admin.get()>
                <A href="/admin">
                    <Icon path=ADMIN_ICON />
                    <span>{t!(i18n, nav.admin)}</span>
                </A>
            </Show>
        </nav>
    }
}

const BOARD_ICON: &str = "M4 4h4v16H4zM10 4h4v10h-4zM16 4h4v13h-4z";
const CLIENTS_ICON: &str = "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 10c0-4 3-6 7-6s7 2 7 6zm15-10a3 3 0 1 0 0-6M18 15c2.5.5 4 2.2 4 6";
const TASKS_ICON: &str = "M9 11l3 3 8-8M20 12v7a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1h11";
const ANALYTICS_ICON: &str = "M4 20V10M10 20V4M16 20v-7M22 20H2";
const ADMIN_ICON: &str = "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm7.4-3a7.4 7.4 0 0 0-.1-1.3l2-1.6-2-3.4-2.4 1a7.5 7.5 0 0 0-2.2-1.3L14.3 3h-4l-.4 2.4a7.5 7.5 0 0 0-2.2 1.3l-2.4-1-2 3.4 2 1.6a7.4 7.4 0 0 0 0 2.6l-2 1.6 2 3.4 2.4-1a7.5 7.5 0 0 0 2.2 1.3l.4 2.4h4l.4-2.4a7.5 7.5 0 0 0 2.2-1.3l2.4 1 2-3.4-2-1.6c.1-.4.1-.9.1-1.3z";

#[component]
fn Icon(path: &'static str) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d=path />
        </svg>
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// The account menu: who is signed in, the language, sign out. A `<details>` element, so
/// it opens before hydration too.
#[component]
fn UserMenu(user: UserView) -> impl IntoView {
    let i18n = use_i18n();
    let sign_out = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            let _ = window().location().set_href("/login");
        }
    });
    let role = user.role;
    // Its links navigate inside the app, where nothing else closes the `<details>`.
    let menu = NodeRef::<leptos::html::Details>::new();
    let close = move |_| {
        if let Some(menu) = menu.get() {
            menu.set_open(false);
        }
    };
    view! {
        <details class="usermenu" node_ref=menu>
            <summary aria-label=move || t_string!(i18n, menu.open).to_string()>
                <span class="avatar" aria-hidden="true">{initials(&user.name)}</span>
                <span class="usermenu-name">{user.name.clone()}</span>
            </summary>
            <div class="usermenu-panel">
                <div class="usermenu-who">
                    <strong>{user.name.clone()}</strong>
                    <span class="muted">{user.email.clone()}</span>
                    <span class="badge">{move || role_label(i18n, role)}</span>
                </div>
                <div class="usermenu-section">
                    <span class="muted small">{t!(i18n, language)}</span>
                    <LanguageSwitch persist=true />
                </div>
                <a class="usermenu-link" href="/settings/time-zone" on:click=close>{t!(i18n, menu.time_zone, zone = user.time_zone.clone())}</a>
                <a class="usermenu-link" href="/settings/digest" on:click=close>{t!(i18n, menu.digest)}</a>
                <a class="usermenu-link" href="/settings/api-tokens" on:click=close>{t!(i18n, menu.api_tokens)}</a>
                <a class="usermenu-link" href="/settings/sessions" on:click=close>{t!(i18n, menu.sessions)}</a>
                <ActionForm action=sign_out>
                    <button type="submit" class="btn btn-block">{t!(i18n, menu.sign_out)}</button>
                </ActionForm>
            </div>
        </details>
    }
}

/// English / Russian buttons. With `persist`, the choice is stored for the signed-in user.
#[component]
pub fn LanguageSwitch(persist: bool) -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SetLocale>::new();
    let choices = [(Locale::en, "English"), (Locale::ru, "Русский")];
    view! {
        <div class="langswitch" role="group" aria-label=move || t_string!(i18n, language).to_string()>
            {choices
                .into_iter()
                .map(|(locale, label)| {
                    view! {
                        <button
                            type="button"
                            class="chip"
                            lang=locale.as_str()
                            aria-pressed=move || (i18n.get_locale() == locale).to_string()
                            on:click=move |_| {
                                i18n.set_locale(locale);
                                if persist {
                                    save.dispatch(SetLocale { locale: locale.as_str().to_owned() });
                                }
                            }
                        >
                            {label}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}
