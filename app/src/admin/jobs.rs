//! The jobs page: background work by state (queued, running, failed, dead, done), each
//! job's attempts and last error, and "run again" for failed and dead ones.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::AppError;
use shared::job::{JobId, JobState, JobView, JobsPage};

use crate::errors::error_message;
use crate::i18n::*;
use crate::moment::moment;

#[server(prefix = "/api", endpoint = "load_jobs")]
pub async fn load_jobs(state: Option<String>) -> Result<JobsPage, AppError> {
    use crate::backend::{db, identity};
    async {
        let actor = identity()?.actor;
        let state = match state.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => Some(JobState::parse(text).ok_or(AppError::validation(
                shared::Field::Kind,
                shared::Rule::UnknownValue,
            ))?),
        };
        shared::job::queue::jobs_page(&db()?, &actor, state).await
    }
    .await
}

#[server(prefix = "/api", endpoint = "run_job_again")]
pub async fn run_job_again(id: JobId) -> Result<JobView, AppError> {
    use crate::backend::{db, identity, now};
    async {
        let actor = identity()?.actor;
        shared::job::queue::run_again(&db()?, &actor, id, now()).await
    }
    .await
}

fn state_label(i18n: leptos_i18n::I18nContext<Locale>, state: JobState) -> String {
    match state {
        JobState::Queued => t_string!(i18n, jobs.queued),
        JobState::Running => t_string!(i18n, jobs.running),
        JobState::Failed => t_string!(i18n, jobs.failed),
        JobState::Dead => t_string!(i18n, jobs.dead),
        JobState::Done => t_string!(i18n, jobs.done),
    }
    .to_string()
}

#[component]
pub fn JobsPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let state = Memo::new(move |_| query.read().get("state"));
    let refresh = RwSignal::new(0_u32);
    let page = Resource::new(
        move || (state.get(), refresh.get()),
        |(state, _)| load_jobs(state),
    );
    view! {
        <div class="toolbar">
            <h2>{t!(i18n, jobs.title)}</h2>
        </div>
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
            {move || {
                page.get()
                    .map(|result| match result {
                        Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                        Ok(page) => view! { <JobsList page refresh /> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn JobsList(page: JobsPage, refresh: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let chosen = page.state;
    let chips = page
        .counts
        .into_iter()
        .map(|(state, count)| {
            let href = format!("/admin/jobs?state={}", state.as_str());
            let current = (chosen == Some(state)).then_some("page");
            view! {
                <a href=href class="chip" aria-current=current>
                    {state_label(i18n, state)}
                    " "
                    <span class="count">{count}</span>
                </a>
            }
        })
        .collect_view();
    let empty = page.jobs.is_empty();
    let rows = page
        .jobs
        .into_iter()
        .map(|job| view! { <JobRow job refresh /> })
        .collect_view();
    view! {
        <nav class="chips" aria-label=move || t_string!(i18n, jobs.states).to_string()>
            // Plain links: the router's own would mark every state current (same path).
            <a href="/admin/jobs" class="chip" aria-current=chosen.is_none().then_some("page")>
                {t!(i18n, jobs.not_done)}
            </a>
            {chips}
        </nav>
        <Show when=move || empty>
            <p class="muted">{t!(i18n, jobs.none)}</p>
        </Show>
        <ul class="job-list">{rows}</ul>
    }
}

#[component]
fn JobRow(job: JobView, refresh: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let id = job.id;
    let rerun = Action::new(move |_: &()| run_job_again(id));
    Effect::new(move |_| {
        if let Some(Ok(_)) = rerun.value().get() {
            refresh.update(|n| *n += 1);
        }
    });
    let state = job.state;
    let error = job.last_error.clone();
    view! {
        <li class="job" data-state=state.as_str()>
            <div class="job-head">
                <strong class="job-kind">{job.kind.clone()}</strong>
                <span class=match state { JobState::Done => "badge badge-ok", JobState::Failed => "badge badge-warn", JobState::Dead => "badge badge-danger", _ => "badge badge-soft" }>{state_label(i18n, state)}</span>
            </div>
            <div class="job-facts muted">
                <span>"#" {job.id.0}</span>
                <span>{t!(i18n, jobs.attempts)} ": " {job.attempts} " / " {job.max_attempts}</span>
                <span>{t!(i18n, jobs.run_at)} ": " {moment(job.run_at)}</span>
                <span>{t!(i18n, jobs.updated_at)} ": " {moment(job.updated_at)}</span>
            </div>
            {error.map(|error| view! { <p class="job-error">{error}</p> })}
            <Show when=move || state.can_rerun()>
                <button
                    type="button"
                    class="btn btn-small"
                    disabled=move || rerun.pending().get()
                    on:click=move |_| {
                        rerun.dispatch(());
                    }
                >
                    {t!(i18n, jobs.run_again)}
                </button>
            </Show>
            {move || {
                rerun
                    .value()
                    .get()
                    .and_then(Result::err)
                    .map(|err| view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> })
            }}
        </li>
    }
}
