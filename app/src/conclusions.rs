//! The deal card's conclusions: the latest of each department on top and a form for the
//! viewer's own departments (a correction names the conclusion it replaces). Every
//! conclusion is in the deal's timeline.

use leptos::prelude::*;
use shared::AppError;
use shared::conclusion::{
    ConclusionId, ConclusionView, NewConclusion, Verdict, latest_per_department,
};
use shared::deal::DealId;
use shared::department::DepartmentId;

use crate::errors::FormError;
use crate::i18n::*;
use crate::moment::moment;

#[server(prefix = "/api", endpoint = "add_conclusion", input = server_fn::codec::Json)]
pub async fn add_conclusion(conclusion: NewConclusion) -> Result<ConclusionView, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::conclusion::service::add_conclusion(&db()?, &actor, conclusion, now()).await
}

pub fn verdict_label(i18n: leptos_i18n::I18nContext<Locale>, verdict: Verdict) -> String {
    match verdict {
        Verdict::Approve => t_string!(i18n, conclusions.approve),
        Verdict::Reject => t_string!(i18n, conclusions.reject),
        Verdict::NeedsRework => t_string!(i18n, conclusions.needs_rework),
        Verdict::ForInformation => t_string!(i18n, conclusions.for_information),
    }
    .to_string()
}

pub fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Approve => "badge badge-ok",
        Verdict::Reject => "badge badge-danger",
        Verdict::NeedsRework => "badge badge-warn",
        Verdict::ForInformation => "badge badge-soft",
    }
}

#[component]
fn ConclusionItem(conclusion: ConclusionView) -> impl IntoView {
    let i18n = use_i18n();
    let when = moment(conclusion.at);
    let verdict = conclusion.verdict;
    view! {
        <div class="conclusion-head">
            <strong>{conclusion.department_name.clone()}</strong>
            <span class=verdict_class(verdict)>{move || verdict_label(i18n, verdict)}</span>
        </div>
        <p class="conclusion-text">{conclusion.text.clone()}</p>
        <div class="muted small">
            {when} " · " {conclusion.author_name.clone().unwrap_or_else(|| t_string!(i18n, deal.system).to_string())}
            {conclusion.supersedes.map(|_| view! { " · " {t!(i18n, conclusions.corrects)} })}
        </div>
    }
}

#[component]
pub fn Conclusions(
    deal: DealId,
    conclusions: Vec<ConclusionView>,
    departments: Vec<(DepartmentId, String)>,
    reload: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let latest = latest_per_department(&conclusions);
    let count = conclusions.len();
    let department = RwSignal::new(departments.first().map(|(id, _)| *id));
    let verdict = RwSignal::new(Verdict::Approve);
    let text = RwSignal::new(String::new());
    let correcting = RwSignal::new(None::<(ConclusionId, String)>);
    let action = ServerAction::<AddConclusion>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            reload.run(());
        }
    });
    let my_departments: Vec<DepartmentId> = departments.iter().map(|(id, _)| *id).collect();
    let can_write = !departments.is_empty();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(department) = department.get_untracked() else {
            return;
        };
        action.dispatch(AddConclusion {
            conclusion: NewConclusion {
                deal,
                department,
                verdict: verdict.get_untracked(),
                text: text.get_untracked(),
                supersedes: correcting.get_untracked().map(|(id, _)| id),
            },
        });
    };
    view! {
        <section class="card conclusions" aria-labelledby="conclusions-title">
            <h2 id="conclusions-title">{t!(i18n, conclusions.title)}</h2>
            <Show when=move || count == 0>
                <p class="muted">{t!(i18n, conclusions.none)}</p>
            </Show>
            <ul class="conclusion-latest">
                {latest.into_iter().map(|c| {
                    let mine = my_departments.contains(&c.department);
                    let target = (c.id, moment(c.at));
                    let department_id = c.department;
                    view! {
                        <li class="conclusion">
                            <ConclusionItem conclusion=c />
                            {mine.then(|| view! {
                                <button type="button" class="btn btn-small" on:click=move |_| {
                                    department.set(Some(department_id));
                                    correcting.set(Some(target.clone()));
                                }>{t!(i18n, conclusions.correct)}</button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {if can_write {
                view! {
                    <form class="form conclusion-form" novalidate on:submit=submit
                        aria-label=move || t_string!(i18n, conclusions.add).to_string()>
                        <h3>{t!(i18n, conclusions.add)}</h3>
                        {move || correcting.get().map(|(_, time)| view! {
                            <p class="muted small">
                                {t!(i18n, conclusions.correcting, time = time.clone())} " "
                                <button type="button" class="btn-link" on:click=move |_| correcting.set(None)>
                                    {t!(i18n, conclusions.cancel)}
                                </button>
                            </p>
                        })}
                        <div class="field-row">
                            <label class="field">
                                <span>{t!(i18n, conclusions.department)}</span>
                                <select name="department" prop:value=move || department.get().map(|d| d.0.to_string()).unwrap_or_default()
                                    on:change=move |ev| {
                                        correcting.set(None);
                                        department.set(event_target_value(&ev).parse().ok().map(DepartmentId));
                                    }>
                                    {departments.iter().map(|(id, name)| view! { <option value=id.0.to_string()>{name.clone()}</option> }).collect_view()}
                                </select>
                            </label>
                            <label class="field">
                                <span>{t!(i18n, conclusions.verdict)}</span>
                                <select name="verdict" prop:value=move || verdict.get().as_str()
                                    on:change=move |ev| if let Some(v) = Verdict::parse(&event_target_value(&ev)) { verdict.set(v) }>
                                    {Verdict::ALL.into_iter().map(|v| view! { <option value=v.as_str()>{move || verdict_label(i18n, v)}</option> }).collect_view()}
                                </select>
                            </label>
                        </div>
                        <label class="field">
                            <span>{t!(i18n, conclusions.text)}</span>
                            <textarea name="text" rows="4" prop:value=move || text.get()
                                on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                        </label>
                        <FormError error />
                        <div class="form-actions">
                            <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                                {t!(i18n, conclusions.save)}
                            </button>
                        </div>
                    </form>
                }.into_any()
            } else {
                view! { <p class="muted small">{t!(i18n, conclusions.not_member)}</p> }.into_any()
            }}
        </section>
    }
}
