//! The users page: list, create (with a generated password), edit role, departments and
//! active flag, reset a password.

use leptos::prelude::*;
use shared::AppError;
use shared::department::{DepartmentId, DepartmentView};
use shared::user::{CreatedUser, NewUser, Role, UserId, UserPatch, UserView};

use super::departments::list_departments;
use crate::errors::{FormError, error_message};
use crate::i18n::*;
use crate::shell::role_label;

#[server(prefix = "/api", endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserView>, AppError> {
    use crate::backend::{db, identity};
    async {
        let actor = identity()?.actor;
        shared::user::service::list_users(&db()?, &actor).await
    }
    .await
}

/// Adds a user; an empty password means "generate one", returned once.
#[server(prefix = "/api", endpoint = "create_user", input = server_fn::codec::Json)]
pub async fn create_user(user: NewUser) -> Result<CreatedUser, AppError> {
    use crate::backend::{db, identity, now};
    use shared::user::password::generate_password;
    async {
        let actor = identity()?.actor;
        let mut user = user;
        let generated_password = if user.password.is_empty() {
            let password = generate_password(&mut rand::rngs::OsRng);
            user.password = password.clone();
            Some(password)
        } else {
            None
        };
        let user =
            shared::user::service::create_user(&db()?, &actor, user, &mut rand::rngs::OsRng, now())
                .await?;
        Ok(CreatedUser {
            user,
            generated_password,
        })
    }
    .await
}

#[server(prefix = "/api", endpoint = "update_user", input = server_fn::codec::Json)]
pub async fn update_user(id: UserId, patch: UserPatch) -> Result<UserView, AppError> {
    use crate::backend::{db, identity, now};
    async {
        let actor = identity()?.actor;
        shared::user::service::update_user(&db()?, &actor, id, patch, now()).await
    }
    .await
}

/// Generates a new password for a user, ends their sessions, returns the password once.
#[server(prefix = "/api", endpoint = "reset_password", input = server_fn::codec::Json)]
pub async fn reset_password(id: UserId) -> Result<String, AppError> {
    use crate::backend::{db, identity, now};
    use shared::user::password::generate_password;
    async {
        let actor = identity()?.actor;
        let password = generate_password(&mut rand::rngs::OsRng);
        shared::user::service::reset_password(
            &db()?,
            &actor,
            id,
            &password,
            &mut rand::rngs::OsRng,
            now(),
        )
        .await?;
        Ok(password)
    }
    .await
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0_u32);
    let users = Resource::new(move || refresh.get(), |_| list_users());
    let departments = Resource::new(|| (), |_| list_departments());
    let creating = RwSignal::new(false);
    let editing = RwSignal::new(None::<UserId>);
    let notice = RwSignal::new(None::<String>);
    let done = Callback::new(move |message: Option<String>| {
        creating.set(false);
        editing.set(None);
        notice.set(message);
        refresh.update(|n| *n += 1);
    });
    view! {
        <div class="toolbar">
            <h2>{t!(i18n, admin.users)}</h2>
            <button type="button" class="btn btn-primary" on:click=move |_| { notice.set(None); creating.set(true) }>
                {t!(i18n, admin.new_user)}
            </button>
        </div>
        {move || notice.get().map(|text| view! { <p class="notice" role="status">{text}</p> })}
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
            {move || {
                let all_departments = departments.get().and_then(Result::ok).unwrap_or_default();
                users
                    .get()
                    .map(|result| match result {
                        Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                        Ok(list) => {
                            let for_new = all_departments.clone();
                            view! {
                                <Show when=move || creating.get()>
                                    <UserForm
                                        user=None
                                        departments=for_new.clone()
                                        done
                                        cancel=Callback::new(move |()| creating.set(false))
                                    />
                                </Show>
                                <UserTable list departments=all_departments editing done />
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

fn department_names(all: &[DepartmentView], ids: &[DepartmentId]) -> Vec<String> {
    all.iter()
        .filter(|d| ids.contains(&d.id))
        .map(|d| d.name.clone())
        .collect()
}

#[component]
fn UserTable(
    list: Vec<UserView>,
    departments: Vec<DepartmentView>,
    editing: RwSignal<Option<UserId>>,
    done: Callback<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <table class="data">
            <thead>
                <tr>
                    <th>{t!(i18n, admin.name)}</th>
                    <th>{t!(i18n, admin.role)}</th>
                    <th>{t!(i18n, admin.departments)}</th>
                    <th>{t!(i18n, admin.status)}</th>
                    <th><span class="sr-only">{t!(i18n, admin.actions)}</span></th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|user| {
                        let id = user.id;
                        let role = user.role;
                        let active = user.active;
                        let names = department_names(&departments, &user.department_ids);
                        let edit_label = user.name.clone();
                        let all = departments.clone();
                        let row = user.clone();
                        view! {
                            <tr class:inactive=!active>
                                <td data-label=move || t_string!(i18n, admin.name).to_string()>
                                    <div class="person">
                                        <strong>{row.name.clone()}</strong>
                                        <span class="muted small">{row.email.clone()}</span>
                                    </div>
                                </td>
                                <td data-label=move || t_string!(i18n, admin.role).to_string()>
                                    {move || role_label(i18n, role)}
                                </td>
                                <td data-label=move || t_string!(i18n, admin.departments).to_string()>
                                    {if names.is_empty() {
                                        view! { <span class="muted">{t!(i18n, admin.no_departments)}</span> }.into_any()
                                    } else {
                                        names.join(", ").into_any()
                                    }}
                                </td>
                                <td data-label=move || t_string!(i18n, admin.status).to_string()>
                                    {if active {
                                        view! { <span class="badge badge-ok">{t!(i18n, admin.active)}</span> }.into_any()
                                    } else {
                                        view! { <span class="badge badge-off">{t!(i18n, admin.deactivated)}</span> }.into_any()
                                    }}
                                </td>
                                <td class="actions">
                                    <button
                                        type="button"
                                        class="btn btn-small"
                                        aria-label=move || t_string!(i18n, admin.edit_user, name = edit_label.clone()).to_string()
                                        on:click=move |_| editing.set(Some(id))
                                    >
                                        {t!(i18n, admin.edit)}
                                    </button>
                                </td>
                            </tr>
                            <Show when=move || editing.get() == Some(id)>
                                <tr class="editor-row">
                                    <td colspan="5">
                                        <UserForm
                                            user=Some(user.clone())
                                            departments=all.clone()
                                            done
                                            cancel=Callback::new(move |()| editing.set(None))
                                        />
                                    </td>
                                </tr>
                            </Show>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// Creates a user, or edits one when `user` is given.
#[component]
fn UserForm(
    user: Option<UserView>,
    departments: Vec<DepartmentView>,
    done: Callback<Option<String>>,
    cancel: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = user.as_ref().map(|u| u.id);
    let name = RwSignal::new(user.as_ref().map(|u| u.name.clone()).unwrap_or_default());
    let email = RwSignal::new(user.as_ref().map(|u| u.email.clone()).unwrap_or_default());
    let role = RwSignal::new(user.as_ref().map(|u| u.role).unwrap_or_default());
    let chosen = RwSignal::new(
        user.as_ref()
            .map(|u| u.department_ids.clone())
            .unwrap_or_default(),
    );
    let active = RwSignal::new(user.as_ref().is_none_or(|u| u.active));
    let password = RwSignal::new(String::new());

    let create = ServerAction::<CreateUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let error = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| update.value().get().and_then(Result::err))
            .or_else(|| reset.value().get().and_then(Result::err))
    });
    let pending = Signal::derive(move || {
        create.pending().get() || update.pending().get() || reset.pending().get()
    });
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            let name = created.user.name.clone();
            let message = match created.generated_password {
                Some(password) => {
                    t_string!(i18n, admin.created_with_password, name, password).to_string()
                }
                None => t_string!(i18n, admin.created, name).to_string(),
            };
            done.run(Some(message));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            done.run(Some(t_string!(i18n, admin.saved).to_string()));
        }
    });
    let reset_name = name;
    Effect::new(move |_| {
        if let Some(Ok(password)) = reset.value().get() {
            let name = reset_name.get_untracked();
            done.run(Some(
                t_string!(i18n, admin.reset_done, name, password).to_string(),
            ));
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match id {
            Some(id) => {
                update.dispatch(UpdateUser {
                    id,
                    patch: UserPatch {
                        name: Some(name.get_untracked()),
                        email: Some(email.get_untracked()),
                        role: Some(role.get_untracked()),
                        department_ids: Some(chosen.get_untracked()),
                        active: Some(active.get_untracked()),
                    },
                });
            }
            None => {
                create.dispatch(CreateUser {
                    user: NewUser {
                        name: name.get_untracked(),
                        email: email.get_untracked(),
                        role: role.get_untracked(),
                        department_ids: chosen.get_untracked(),
                        password: password.get_untracked(),
                    },
                });
            }
        }
    };
    let heading = user.as_ref().map(|u| u.name.clone());
    view! {
        <form class="card form" on:submit=on_submit>
            <h3>
                {move || match heading.clone() {
                    Some(name) => t_string!(i18n, admin.edit_user, name).to_string(),
                    None => t_string!(i18n, admin.new_user).to_string(),
                }}
            </h3>
            <div class="form-grid">
                <label class="field">
                    <span>{t!(i18n, admin.name)}</span>
                    <input type="text" autocomplete="off" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{t!(i18n, admin.email)}</span>
                    <input type="email" autocomplete="off" prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{t!(i18n, admin.role)}</span>
                    <select on:change=move |ev| {
                        if let Some(picked) = Role::parse(&event_target_value(&ev)) {
                            role.set(picked);
                        }
                    }>
                        {Role::ALL
                            .into_iter()
                            .map(|option| {
                                view! {
                                    <option value=option.as_str() selected=move || role.get() == option>
                                        {move || role_label(i18n, option)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                {id.is_none().then(|| view! {
                    <label class="field">
                        <span>{t!(i18n, admin.password)}</span>
                        <input
                            type="text"
                            autocomplete="new-password"
                            placeholder=move || t_string!(i18n, admin.password_hint).to_string()
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev))
                        />
                    </label>
                })}
            </div>
            <fieldset class="checks">
                <legend>{t!(i18n, admin.departments)}</legend>
                {departments
                    .into_iter()
                    .map(|department| {
                        let did = department.id;
                        view! {
                            <label class="check">
                                <input
                                    type="checkbox"
                                    prop:checked=move || chosen.get().contains(&did)
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|ids| {
                                            ids.retain(|x| *x != did);
                                            if on {
                                                ids.push(did);
                                            }
                                        });
                                    }
                                />
                                <span>{department.name}</span>
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            {id.is_some().then(|| view! {
                <label class="check">
                    <input type="checkbox" prop:checked=move || active.get() on:change=move |ev| active.set(event_target_checked(&ev)) />
                    <span>{t!(i18n, admin.active_label)}</span>
                </label>
            })}
            <FormError error />
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || pending.get()>
                    {move || if id.is_some() { t_string!(i18n, admin.save).to_string() } else { t_string!(i18n, admin.create).to_string() }}
                </button>
                <button type="button" class="btn" on:click=move |_| cancel.run(())>
                    {t!(i18n, admin.cancel)}
                </button>
                {id.map(|id| view! {
                    <button type="button" class="btn btn-danger-ghost" disabled=move || pending.get() on:click=move |_| {
                        reset.dispatch(ResetPassword { id });
                    }>
                        {t!(i18n, admin.reset_password)}
                    </button>
                })}
            </div>
        </form>
    }
}
