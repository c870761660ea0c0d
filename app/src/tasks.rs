//! Tasks: the section on the deal and client cards (the record's tasks and a form to set
//! one) and `/tasks`, the signed-in person's own, overdue first. Due times are shown and
//! typed in the person's own time zone.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::AppError;
use shared::task::{MyTasks, NewTask, TaskId, TaskView};
use shared::timeline::Subject;
use shared::user::UserId;

use crate::errors::{FormError, error_message};
use crate::i18n::*;
use crate::moment::moment;

#[server(prefix = "/api", endpoint = "create_task", input = server_fn::codec::Json)]
pub async fn create_task(task: NewTask) -> Result<TaskView, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::task::service::create_task(&db()?, &actor, task, now()).await
}

#[server(prefix = "/api", endpoint = "set_task_done", input = server_fn::codec::Json)]
pub async fn set_task_done(id: TaskId, done: bool) -> Result<TaskView, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::task::service::set_task_done(&db()?, &actor, id, done, now()).await
}

#[server(name = MyTasksRequest, prefix = "/api", endpoint = "my_tasks", input = server_fn::codec::Json)]
pub async fn my_tasks() -> Result<MyTasks, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::task::service::my_tasks(&db()?, &actor, now()).await
}

/// Tasks with a tick box each; `show_subject` links each to its deal or client.
#[component]
fn TaskList(
    tasks: Vec<TaskView>,
    now: DateTime<Utc>,
    show_subject: bool,
    reload: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toggle = Action::new(move |(id, done): &(TaskId, bool)| {
        let (id, done) = (*id, *done);
        async move { set_task_done(id, done).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = toggle.value().get() {
            reload.run(());
        }
    });
    let error = Signal::derive(move || toggle.value().get().and_then(Result::err));
    view! {
        <ul class="task-list">
            {tasks.into_iter().map(|task| {
                let overdue = task.is_overdue(now);
                let done = task.done_at.is_some();
                let id = task.id;
                let due = moment(task.due_at);
                view! {
                    <li class="task" class:overdue=overdue class:done=done>
                        <label class="check">
                            <input type="checkbox" prop:checked=done
                                on:change=move |ev| { toggle.dispatch((id, event_target_checked(&ev))); } />
                            <span class="task-title">{task.title.clone()}</span>
                        </label>
                        <div class="muted small">
                            {move || t_string!(i18n, tasks.due_at, time = due.clone()).to_string()}
                            {overdue.then(|| view! { " " <span class="badge badge-danger">{t!(i18n, tasks.overdue)}</span> })}
                            " · " {task.assignee_name.clone()}
                            {show_subject.then(|| task.subject.clone().map(|(subject, name)| view! {
                                " · " <a href=subject.page()>{name}</a>
                            })).flatten()}
                        </div>
                    </li>
                }
            }).collect_view()}
        </ul>
        <FormError error />
    }
}

/// The deal's or client's tasks and the form to set one.
#[component]
pub fn TasksSection(
    subject: Subject,
    tasks: Vec<TaskView>,
    users: Vec<(UserId, String)>,
    now: DateTime<Utc>,
    reload: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card tasks" aria-labelledby="tasks-title">
            <h2 id="tasks-title">{t!(i18n, tasks.title)}</h2>
            {if tasks.is_empty() {
                view! { <p class="muted">{t!(i18n, tasks.none)}</p> }.into_any()
            } else {
                view! { <TaskList tasks now show_subject=false reload /> }.into_any()
            }}
            <NewTaskForm subject=Some(subject) users reload />
        </section>
    }
}

#[component]
fn NewTaskForm(
    subject: Option<Subject>,
    users: Vec<(UserId, String)>,
    reload: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let title = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let assignee = RwSignal::new(None::<UserId>);
    let action = ServerAction::<CreateTask>::new();
    let zone = crate::moment::use_zone();
    let parse_due = move || shared::time_zone::parse_local_input(&due.get_untracked(), zone);
    let local_error = RwSignal::new(None::<AppError>);
    let error = Signal::derive(move || {
        local_error
            .get()
            .or_else(|| action.value().get().and_then(Result::err))
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            title.set(String::new());
            due.set(String::new());
            reload.run(());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(due_at) = parse_due() else {
            local_error.set(Some(AppError::validation(
                shared::Field::DueAt,
                shared::Rule::Required,
            )));
            return;
        };
        local_error.set(None);
        action.dispatch(CreateTask {
            task: NewTask {
                title: title.get_untracked(),
                due_at,
                assignee: assignee.get_untracked(),
                subject,
            },
        });
    };
    view! {
        <form class="form task-form" novalidate on:submit=submit
            aria-label=move || t_string!(i18n, tasks.new_task).to_string()>
            <div class="field-row">
                <label class="field grow">
                    <span>{t!(i18n, tasks.task_title)}</span>
                    <input type="text" name="task_title" maxlength="200" prop:value=move || title.get()
                        on:input=move |ev| title.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{t!(i18n, tasks.due, zone = zone.name())}</span>
                    <input type="datetime-local" name="due" prop:value=move || due.get()
                        on:input=move |ev| due.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{t!(i18n, tasks.assignee)}</span>
                    <select name="assignee" on:change=move |ev| assignee.set(event_target_value(&ev).parse().ok().map(UserId))>
                        <option value="">{t!(i18n, tasks.me)}</option>
                        {users.iter().map(|(id, name)| view! { <option value=id.0.to_string()>{name.clone()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <FormError error />
            <div class="form-actions">
                <button type="submit" class="btn btn-small" disabled=move || action.pending().get()>{t!(i18n, tasks.add)}</button>
            </div>
        </form>
    }
}

/// `/tasks`: the signed-in person's tasks, overdue first, and a form for a task of their own.
#[component]
pub fn MyTasksPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0_u32);
    let tasks = Resource::new(move || refresh.get(), |_| my_tasks());
    let reload = Callback::new(move |()| refresh.update(|n| *n += 1));
    view! {
        <Title text=move || t_string!(i18n, tasks.my).to_string() />
        <section class="page tasks-page">
            <header class="page-head"><h1>{t!(i18n, tasks.my)}</h1></header>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
                {move || tasks.get().map(|result| match result {
                    Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                    Ok(mine) => view! {
                        <section class="card tasks">
                            <h2>{t!(i18n, tasks.open)}</h2>
                            {if mine.open.is_empty() {
                                view! { <p class="muted">{t!(i18n, tasks.none)}</p> }.into_any()
                            } else {
                                view! { <TaskList tasks=mine.open.clone() now=mine.now show_subject=true reload /> }.into_any()
                            }}
                            <NewTaskForm subject=None users=mine.users.clone() reload />
                        </section>
                        {(!mine.done.is_empty()).then(|| view! {
                            <section class="card tasks">
                                <h2>{t!(i18n, tasks.done_list)}</h2>
                                <TaskList tasks=mine.done.clone() now=mine.now show_subject=true reload />
                            </section>
                        })}
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}
