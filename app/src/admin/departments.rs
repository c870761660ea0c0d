//! The departments page: list, create, rename, appoint a head.

use leptos::prelude::*;
use shared::AppError;
use shared::department::{DepartmentId, DepartmentInput, DepartmentView};
use shared::user::{UserId, UserView};

use super::users::list_users;
use crate::errors::{FormError, error_message};
use crate::i18n::*;

#[server(prefix = "/api", endpoint = "list_departments")]
pub async fn list_departments() -> Result<Vec<DepartmentView>, AppError> {
    use crate::backend::{db, identity};
    async {
        identity()?;
        shared::department::service::list_departments(&db()?).await
    }
    .await
}

#[server(prefix = "/api", endpoint = "create_department", input = server_fn::codec::Json)]
pub async fn create_department(input: DepartmentInput) -> Result<DepartmentId, AppError> {
    use crate::backend::{db, identity, now};
    async {
        let actor = identity()?.actor;
        shared::department::service::create_department(&db()?, &actor, input, now()).await
    }
    .await
}

#[server(prefix = "/api", endpoint = "update_department", input = server_fn::codec::Json)]
pub async fn update_department(id: DepartmentId, input: DepartmentInput) -> Result<(), AppError> {
    use crate::backend::{db, identity, now};
    async {
        let actor = identity()?.actor;
        shared::department::service::update_department(&db()?, &actor, id, input, now()).await
    }
    .await
}

#[component]
pub fn DepartmentsPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0_u32);
    let departments = Resource::new(move || refresh.get(), |_| list_departments());
    let users = Resource::new(|| (), |_| list_users());
    let creating = RwSignal::new(false);
    let editing = RwSignal::new(None::<DepartmentId>);
    let done = Callback::new(move |()| {
        creating.set(false);
        editing.set(None);
        refresh.update(|n| *n += 1);
    });
    view! {
        <div class="toolbar">
            <h2>{t!(i18n, admin.departments)}</h2>
            <button type="button" class="btn btn-primary" on:click=move |_| creating.set(true)>
                {t!(i18n, admin.new_department)}
            </button>
        </div>
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
            {move || {
                let people = users.get().and_then(Result::ok).unwrap_or_default();
                departments
                    .get()
                    .map(|result| match result {
                        Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                        Ok(list) => {
                            let people_for_new = people.clone();
                            view! {
                                <Show when=move || creating.get()>
                                    <DepartmentForm
                                        department=None
                                        people=people_for_new.clone()
                                        done
                                        cancel=Callback::new(move |()| creating.set(false))
                                    />
                                </Show>
                                <DepartmentTable list people editing done />
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

#[component]
fn DepartmentTable(
    list: Vec<DepartmentView>,
    people: Vec<UserView>,
    editing: RwSignal<Option<DepartmentId>>,
    done: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    if list.is_empty() {
        return view! { <p class="muted">{t!(i18n, admin.none)}</p> }.into_any();
    }
    view! {
        <table class="data">
            <thead>
                <tr>
                    <th>{t!(i18n, admin.name)}</th>
                    <th>{t!(i18n, admin.head)}</th>
                    <th>{t!(i18n, admin.members)}</th>
                    <th><span class="sr-only">{t!(i18n, admin.actions)}</span></th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|department| {
                        let id = department.id;
                        let people = people.clone();
                        let row = department.clone();
                        let name = department.name.clone();
                        view! {
                            <tr>
                                <td data-label=move || t_string!(i18n, admin.name).to_string()>
                                    <strong>{row.name.clone()}</strong>
                                </td>
                                <td data-label=move || t_string!(i18n, admin.head).to_string()>
                                    {row.head_name.clone().unwrap_or_else(|| "—".to_owned())}
                                </td>
                                <td data-label=move || t_string!(i18n, admin.members).to_string()>
                                    {row.member_count}
                                </td>
                                <td class="actions">
                                    <button
                                        type="button"
                                        class="btn btn-small"
                                        aria-label=move || t_string!(i18n, admin.edit_department, name = name.clone()).to_string()
                                        on:click=move |_| editing.set(Some(id))
                                    >
                                        {t!(i18n, admin.edit)}
                                    </button>
                                </td>
                            </tr>
                            <Show when=move || editing.get() == Some(id)>
                                <tr class="editor-row">
                                    <td colspan="4">
                                        <DepartmentForm
                                            department=Some(department.clone())
                                            people=people.clone()
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
        .into_any()
}

/// Creates a department, or edits one when `department` is given.
#[component]
fn DepartmentForm(
    department: Option<DepartmentView>,
    people: Vec<UserView>,
    done: Callback<()>,
    cancel: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = department.as_ref().map(|d| d.id);
    let name = RwSignal::new(
        department
            .as_ref()
            .map(|d| d.name.clone())
            .unwrap_or_default(),
    );
    let head = RwSignal::new(department.as_ref().and_then(|d| d.head));
    let create = ServerAction::<CreateDepartment>::new();
    let update = ServerAction::<UpdateDepartment>::new();
    let error = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| update.value().get().and_then(Result::err))
    });
    let pending = Signal::derive(move || create.pending().get() || update.pending().get());
    Effect::new(move |_| {
        if create.value().get().is_some_and(|r| r.is_ok())
            || update.value().get().is_some_and(|r| r.is_ok())
        {
            done.run(());
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = DepartmentInput {
            name: name.get_untracked(),
            head: head.get_untracked(),
        };
        match id {
            Some(id) => {
                update.dispatch(UpdateDepartment { id, input });
            }
            None => {
                create.dispatch(CreateDepartment { input });
            }
        }
    };
    let heading = department.as_ref().map(|d| d.name.clone());
    view! {
        <form class="card form" on:submit=on_submit>
            <h3>
                {move || match heading.clone() {
                    Some(name) => t_string!(i18n, admin.edit_department, name).to_string(),
                    None => t_string!(i18n, admin.new_department).to_string(),
                }}
            </h3>
            <div class="form-grid">
                <label class="field">
                    <span>{t!(i18n, admin.name)}</span>
                    <input
                        type="text"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </label>
                <label class="field">
                    <span>{t!(i18n, admin.head)}</span>
                    <select on:change=move |ev| {
                        head.set(event_target_value(&ev).parse::<i32>().ok().map(UserId))
                    }>
                        <option value="" selected=move || head.get().is_none()>
                            {t!(i18n, admin.no_head)}
                        </option>
                        {people
                            .into_iter()
                            .filter(|u| u.active)
                            .map(|user| {
                                let uid = user.id;
                                view! {
                                    <option value=uid.0.to_string() selected=move || head.get() == Some(uid)>
                                        {user.name}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
            </div>
            <FormError error />
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || pending.get()>
                    {move || if id.is_some() { t_string!(i18n, admin.save).to_string() } else { t_string!(i18n, admin.create).to_string() }}
                </button>
                <button type="button" class="btn" on:click=move |_| cancel.run(())>
                    {t!(i18n, admin.cancel)}
                </button>
            </div>
        </form>
    }
}
