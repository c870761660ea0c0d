//! `/settings/api-tokens`: a person's API tokens (an administrator sees everyone's and may
//! make one for another user): create one with its scopes, expiry and rate, see its secret
//! once, revoke it. Other systems call `/api/v1` with it; `/api/v1/docs` describes the API.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use shared::AppError;
use shared::api_token::{
    ApiAccess, ApiResource, ApiScope, ApiTokenId, ApiTokenView, CreatedApiToken, NewApiToken,
};
use shared::user::UserId;

use crate::errors::{FormError, error_message};
use crate::i18n::*;
use crate::moment::moment;

/// What the page shows: the tokens, and for administrators whom a token may be made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensPage {
    pub tokens: Vec<ApiTokenView>,
    /// Active users, for administrators only (empty for everyone else).
    pub users: Vec<(UserId, String)>,
    pub me: UserId,
    pub now: chrono::DateTime<chrono::Utc>,
}

#[server(prefix = "/api", endpoint = "list_api_tokens")]
pub async fn list_api_tokens() -> Result<TokensPage, AppError> {
    use crate::backend::{db, identity, now};
    let identity = identity()?;
    let db = db()?;
    let tokens = shared::api_token::service::list_tokens(&db, &identity.actor).await?;
    let users = if identity.actor.is_admin() {
        shared::user::service::list_user_names(&db).await?
    } else {
        Vec::new()
    };
    Ok(TokensPage {
        tokens,
        users,
        me: identity.user.id,
        now: now(),
    })
}

#[server(prefix = "/api", endpoint = "create_api_token")]
pub async fn create_api_token(token: NewApiToken) -> Result<CreatedApiToken, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::api_token::service::create_token(&db()?, &actor, token, now()).await
}

#[server(prefix = "/api", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(id: ApiTokenId) -> Result<(), AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::api_token::service::revoke_token(&db()?, &actor, id, now()).await
}

fn resource_label(i18n: leptos_i18n::I18nContext<Locale>, resource: ApiResource) -> String {
    match resource {
        ApiResource::Deals => t_string!(i18n, api_tokens.resource_deals),
        ApiResource::Clients => t_string!(i18n, api_tokens.resource_clients),
        ApiResource::Pipelines => t_string!(i18n, api_tokens.resource_pipelines),
        ApiResource::Tasks => t_string!(i18n, api_tokens.resource_tasks),
        ApiResource::Events => t_string!(i18n, api_tokens.resource_events),
        ApiResource::Users => t_string!(i18n, api_tokens.resource_users),
    }
    .to_string()
}

/// The form: a name, a level per resource (none, read, read and write), an optional expiry
/// day, a rate, and for administrators whose token it is.
#[component]
fn NewTokenForm(
    users: Vec<(UserId, String)>,
    me: UserId,
    created: RwSignal<Option<CreatedApiToken>>,
    reload: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let levels = ApiResource::ALL.map(|resource| {
        let start = if resource == ApiResource::Deals {
            "read"
        } else {
            ""
        };
        (resource, RwSignal::new(start.to_owned()))
    });
    let expires_on = RwSignal::new(String::new());
    let rate = RwSignal::new(shared::api_token::RATE_PER_MINUTE_DEFAULT.to_string());
    let owner = RwSignal::new(None::<UserId>);
    let zone = crate::moment::use_zone();
    let action = ServerAction::<CreateApiToken>::new();
    let local_error = RwSignal::new(None::<AppError>);
    let error = Signal::derive(move || {
        local_error
            .get()
            .or_else(|| action.value().get().and_then(Result::err))
    });
    Effect::new(move |_| {
        if let Some(Ok(token)) = action.value().get() {
            created.set(Some(token));
            name.set(String::new());
            reload.run(());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let scopes: Vec<ApiScope> = levels
            .iter()
            .filter_map(|(resource, level)| {
                let access = match level.get_untracked().as_str() {
                    "read" => ApiAccess::Read,
                    "write" => ApiAccess::Write,
                    _ => return None,
                };
                Some(ApiScope {
                    resource: *resource,
                    access,
                })
            })
            .collect();
        let day = expires_on.get_untracked();
        // The token works through the whole chosen day, in the person's zone.
        let expires_at = if day.trim().is_empty() {
            None
        } else {
            match shared::time_zone::parse_local_input(&format!("{}T23:59", day.trim()), zone) {
                Some(at) => Some(at),
                None => {
                    local_error.set(Some(AppError::validation(
                        shared::Field::ExpiresAt,
                        shared::Rule::InvalidDate,
                    )));
                    return;
                }
            }
        };
        let Ok(rate_per_minute) = rate.get_untracked().trim().parse::<u32>() else {
            local_error.set(Some(AppError::validation(
                shared::Field::RateLimit,
                shared::Rule::InvalidNumber,
            )));
            return;
        };
        local_error.set(None);
        created.set(None);
        action.dispatch(CreateApiToken {
            token: NewApiToken {
                name: name.get_untracked(),
                scopes,
                expires_at,
                user: owner.get_untracked(),
                rate_per_minute: Some(rate_per_minute),
            },
        });
    };
    let admin = !users.is_empty();
    view! {
        <form class="card form token-form" novalidate on:submit=submit
            aria-label=move || t_string!(i18n, api_tokens.new_token).to_string()>
            <h2>{t!(i18n, api_tokens.new_token)}</h2>
            <label class="field">
                <span>{t!(i18n, api_tokens.name)}</span>
                <input type="text" name="token_name" maxlength="100" required
                    placeholder=move || t_string!(i18n, api_tokens.name_hint).to_string()
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <fieldset class="token-scopes">
                <legend>{t!(i18n, api_tokens.scopes)}</legend>
                {levels.iter().map(|(resource, level)| {
                    let level = *level;
                    let resource = *resource;
                    view! {
                        <label class="token-scope">
                            <span>{move || resource_label(i18n, resource)}</span>
                            <select name=format!("scope_{}", resource.as_str())
                                on:change=move |ev| level.set(event_target_value(&ev))>
                                <option value="" selected=level.get_untracked().is_empty()>{t!(i18n, api_tokens.access_none)}</option>
                                <option value="read" selected=level.get_untracked() == "read">{t!(i18n, api_tokens.access_read)}</option>
                                <option value="write">{t!(i18n, api_tokens.access_write)}</option>
                            </select>
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <div class="field-row">
                <label class="field">
                    <span>{t!(i18n, api_tokens.expires_on)}</span>
                    <input type="date" name="expires_on" prop:value=move || expires_on.get()
                        on:input=move |ev| expires_on.set(event_target_value(&ev)) />
                    <small class="muted">{t!(i18n, api_tokens.expires_hint)}</small>
                </label>
                <label class="field">
                    <span>{t!(i18n, api_tokens.rate)}</span>
                    <input type="number" name="rate" min="1" max="1000000" inputmode="numeric"
                        prop:value=move || rate.get() on:input=move |ev| rate.set(event_target_value(&ev)) />
                </label>
                {admin.then(|| view! {
                    <label class="field">
                        <span>{t!(i18n, api_tokens.owner)}</span>
                        <select name="owner" on:change=move |ev| owner.set(event_target_value(&ev).parse().ok().map(UserId))>
                            {users.iter().map(|(id, user_name)| view! {
                                <option value=id.0.to_string() selected=*id == me>{user_name.clone()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                })}
            </div>
            <FormError error />
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                    {t!(i18n, api_tokens.create)}
                </button>
            </div>
        </form>
    }
}

/// The new token's secret, shown this once.
#[component]
fn CreatedSecret(created: CreatedApiToken) -> impl IntoView {
    let i18n = use_i18n();
    // Only ever rendered in the browser, after the token was made.
    #[cfg(feature = "hydrate")]
    let origin = window().location().origin().unwrap_or_default();
    #[cfg(not(feature = "hydrate"))]
    let origin = String::new();
    view! {
        <section class="card token-secret" role="status">
            <h2>{t!(i18n, api_tokens.created, name = created.token.name.clone())}</h2>
            <p>{t!(i18n, api_tokens.copy_now)}</p>
            <code class="token-secret-value" data-testid="token-secret">{created.secret.clone()}</code>
            <p class="muted small">{t!(i18n, api_tokens.usage)}</p>
            <pre class="token-usage">{format!(
                "curl -H 'Authorization: Bearer {}' \\\n  {}/api/v1/deals",
                created.secret, origin
            )}</pre>
        </section>
    }
}

#[component]
fn TokenRow(
    token: ApiTokenView,
    now: chrono::DateTime<chrono::Utc>,
    show_owner: bool,
    reload: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let revoke = ServerAction::<RevokeApiToken>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = revoke.value().get() {
            reload.run(());
        }
    });
    let error = Signal::derive(move || revoke.value().get().and_then(Result::err));
    let expired = token.expires_at.is_some_and(|at| at <= now);
    let live = token.revoked_at.is_none() && !expired;
    let status = move || {
        if token.revoked_at.is_some() {
            t_string!(i18n, api_tokens.revoked).to_string()
        } else if expired {
            t_string!(i18n, api_tokens.expired).to_string()
        } else {
            t_string!(i18n, api_tokens.active).to_string()
        }
    };
    let scopes = token
        .scopes
        .iter()
        .map(|scope| scope.code())
        .collect::<Vec<_>>()
        .join(", ");
    let id = token.id;
    view! {
        <li class="token-row" class:token-dead=!live>
            <div class="token-main">
                <strong>{token.name.clone()}</strong>
                <code class="muted">{format!("{}…", token.hint)}</code>
                <span class="badge" class:badge-ok=live class:badge-off=!live>{status}</span>
                {show_owner.then(|| view! { <span class="muted">{token.user_name.clone()}</span> })}
            </div>
            <div class="token-facts muted small">
                <span>{scopes}</span>
                <span>{t!(i18n, api_tokens.rate_shown, rate = token.rate_per_minute)}</span>
                <span>{t!(i18n, api_tokens.created_at, at = moment(token.created_at))}</span>
                <span>{match token.last_used_at {
                    Some(at) => t_string!(i18n, api_tokens.last_used, at = moment(at)).to_string(),
                    None => t_string!(i18n, api_tokens.never_used).to_string(),
                }}</span>
                {token.expires_at.map(|at| view! {
                    <span>{t!(i18n, api_tokens.expires_at, at = moment(at))}</span>
                })}
            </div>
            {live.then(|| view! {
                <button type="button" class="btn btn-small btn-danger-ghost"
                    disabled=move || revoke.pending().get()
                    on:click=move |_| { revoke.dispatch(RevokeApiToken { id }); }>
                    {t!(i18n, api_tokens.revoke)}
                </button>
            })}
            <FormError error />
        </li>
    }
}

#[component]
pub fn ApiTokensPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0_u32);
    let page = Resource::new(move || refresh.get(), |_| list_api_tokens());
    let reload = Callback::new(move |()| refresh.update(|n| *n += 1));
    let created = RwSignal::new(None::<CreatedApiToken>);
    view! {
        <Title text=move || t_string!(i18n, api_tokens.title).to_string() />
        <section class="page tokens-page">
            <header class="page-head">
                <h1>{t!(i18n, api_tokens.title)}</h1>
                <a class="btn btn-small" href="/api/v1/docs" rel="external">{t!(i18n, api_tokens.reference)}</a>
            </header>
            <p class="muted">{t!(i18n, api_tokens.intro)}</p>
            {move || created.get().map(|created| view! { <CreatedSecret created /> })}
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
                {move || page.get().map(|result| match result {
                    Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                    Ok(page) => {
                        let show_owner = !page.users.is_empty();
                        view! {
                            <NewTokenForm users=page.users.clone() me=page.me created reload />
                            <section class="card tokens">
                                <h2>{t!(i18n, api_tokens.list)}</h2>
                                {if page.tokens.is_empty() {
                                    view! { <p class="muted">{t!(i18n, api_tokens.none)}</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="token-list">
                                            {page.tokens.iter().cloned().map(|token| view! {
                                                <TokenRow token now=page.now show_owner reload />
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}
