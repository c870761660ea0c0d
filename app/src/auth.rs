//! Signing in and out, the current user, and the stored language preference.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::AppError;
use shared::user::UserView;

use crate::errors::FormError;
use crate::i18n::*;
use crate::shell::LanguageSwitch;

/// Checks the credentials, starts a fresh session (new id) and sets the language cookie
/// from the user's stored preference.
#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use crate::backend::{client_address, db, now, session};
    use shared::session::{SESSION_SIGNED_IN_AT, SESSION_USER_ID};
    async {
        let db = db()?;
        let address = client_address();
        let tried = email.clone();
        let signed_in = shared::auth::service::sign_in(
            &db,
            shared::auth::SignIn { email, password },
            &address,
            now(),
        )
        .await;
        let user = match signed_in {
            Ok(user) => user,
            Err(err) => {
                // Counted attempts only: those the throttle turned away were never tried.
                if err == AppError::InvalidCredentials {
                    shared::audit::service::record_failed_sign_in(&db, &tried, &address, now())
                        .await?;
                }
                return Err(err);
            }
        };
        let actor = shared::access::Actor::user(user.id, user.role, user.department_ids.clone())
            .with_address(address);
        shared::audit::service::record(
            &db,
            &actor,
            shared::audit::AuditAction::SignIn,
            None,
            "",
            now(),
        )
        .await?;
        let session = session().await?;
        let store_failed = |err: tower_sessions::session::Error| {
            tracing::error!(error = %err, "session store");
            AppError::Internal
        };
        session.cycle_id().await.map_err(store_failed)?;
        session
            .insert(SESSION_USER_ID, user.id.0)
            .await
            .map_err(store_failed)?;
        session
            .insert(SESSION_SIGNED_IN_AT, now().timestamp())
            .await
            .map_err(store_failed)?;
        set_locale_cookie(user.locale);
        Ok(())
    }
    .await
}

/// Ends the session on the server and removes its cookie.
#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::backend::{db, identity, now, session};
    async {
        if let Ok(identity) = identity() {
            shared::audit::service::record(
                &db()?,
                &identity.actor,
                shared::audit::AuditAction::SignOut,
                None,
                "",
                now(),
            )
            .await?;
        }
        session().await?.flush().await.map_err(|err| {
            tracing::error!(error = %err, "session store");
            AppError::Internal
        })
    }
    .await
}

/// The signed-in user.
#[server(prefix = "/api", endpoint = "current_user")]
pub async fn current_user() -> Result<UserView, AppError> {
    crate::backend::identity().map(|identity| identity.user)
}

/// Stores the language the signed-in user picked.
#[server(prefix = "/api", endpoint = "set_locale")]
pub async fn set_locale(locale: String) -> Result<(), AppError> {
    use crate::backend::{db, identity, now};
    use shared::error::{Field, Rule};
    async {
        let identity = identity()?;
        let locale = shared::locale::Locale::parse(&locale)
            .ok_or(AppError::validation(Field::Locale, Rule::UnknownValue))?;
        shared::user::service::set_locale(&db()?, &identity.actor, locale, now()).await?;
        set_locale_cookie(locale);
        Ok(())
    }
    .await
}

#[cfg(feature = "ssr")]
fn set_locale_cookie(locale: shared::locale::Locale) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(value) = http::HeaderValue::from_str(&format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            crate::LOCALE_COOKIE,
            locale.as_str()
        ))
    {
        response.append_header(http::header::SET_COOKIE, value);
    }
}

/// The sign-in page: e-mail, password, the error next to the form, a language switch.
#[component]
pub fn SignInPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignIn>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            // A full load renders the shell in the user's own language.
            let _ = window().location().set_href("/board");
        }
    });
    view! {
        <Title text=move || t_string!(i18n, sign_in.title).to_string() />
        <main class="signin">
            <section class="signin-card">
                <div class="signin-brand">
                    <span class="brand-mark" aria-hidden="true">"K"</span>
                    <span class="brand-name">{t!(i18n, app_name)}</span>
                </div>
                <h1>{t!(i18n, sign_in.heading)}</h1>
                <p class="muted">{t!(i18n, tagline)}</p>
                <ActionForm action attr:class="form">
                    <label class="field">
                        <span>{t!(i18n, sign_in.email)}</span>
                        <input type="email" name="email" autocomplete="username" required />
                    </label>
                    <label class="field">
                        <span>{t!(i18n, sign_in.password)}</span>
                        <input type="password" name="password" autocomplete="current-password" required />
                    </label>
                    <FormError error />
                    <button type="submit" class="btn btn-primary btn-block" disabled=move || action.pending().get()>
                        {move || {
                            if action.pending().get() {
                                t_string!(i18n, sign_in.working).to_string()
                            } else {
                                t_string!(i18n, sign_in.submit).to_string()
                            }
                        }}
                    </button>
                </ActionForm>
                <LanguageSwitch persist=false />
            </section>
        </main>
    }
}
