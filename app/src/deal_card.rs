//! The deal page: the deal's facts (editable), the departments' latest conclusions, the
//! total time it has spent in each stage and department, and its one timeline.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use shared::AppError;
use shared::deal::{DealCard, DealId};
use shared::timeline::Subject;

use crate::board::{format_duration, format_money};
use crate::conclusions::Conclusions;
use crate::custom_fields::CustomFieldsView;
use crate::deal_form::EditDealForm;
use crate::documents::DocumentsSection;
use crate::errors::error_message;
use crate::i18n::*;
use crate::local_time::LocalTime;
use crate::tasks::TasksSection;
use crate::timeline::Timeline;

#[server(prefix = "/api", endpoint = "load_deal_card", input = server_fn::codec::Json)]
pub async fn load_deal_card(id: DealId) -> Result<DealCard, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::page::load_deal_card(&db()?, &actor, id, now()).await
}

#[component]
pub fn DealPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse().ok())
            .map(DealId)
    });
    let refresh = RwSignal::new(0_u32);
    let card = Resource::new(
        move || (id.get(), refresh.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_deal_card(id).await,
                None => Err(AppError::NotFound {
                    entity: shared::error::Entity::Deal,
                }),
            }
        },
    );
    view! {
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
            {move || {
                card.get()
                    .map(|result| match result {
                        Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                        Ok(card) => view! { <DealCardView card reload=Callback::new(move |()| refresh.update(|n| *n += 1)) /> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn DealCardView(card: DealCard, reload: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let deal = card.deal.clone();
    let editing = RwSignal::new(false);
    let users = card.users.clone();
    let custom_for_form = card.custom.clone();
    let edited = deal.clone();
    let stage_name = card
        .pipeline
        .stage(deal.stage_id)
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let department_name = |id: Option<shared::department::DepartmentId>| {
        id.and_then(|id| card.departments.iter().find(|(d, _)| *d == id))
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| "—".to_owned())
    };
    let by_department = card.time_by_department.clone();
    let title = deal.title.clone();
    view! {
        <Title text=title />
        <section class="page deal-page">
            <header class="page-head">
                <div>
                    <A href="/board" attr:class="small">{t!(i18n, deal.back)}</A>
                    <h1>{deal.title.clone()}</h1>
                </div>
                <div class="head-actions">
                    <span class="badge">{stage_name}</span>
                    <button type="button" class="btn btn-small" aria-expanded=move || editing.get().to_string() on:click=move |_| editing.update(|e| *e = !*e)>
                        {t!(i18n, deal.edit)}
                    </button>
                </div>
            </header>
            <Show when=move || editing.get()>
                <EditDealForm
                    deal=edited.clone()
                    users=users.clone()
                    custom=custom_for_form.clone()
                    done=Callback::new(move |()| { editing.set(false); reload.run(()) })
                    cancel=Callback::new(move |()| editing.set(false))
                />
            </Show>
            <dl class="facts card">
                <div>
                    <dt>{t!(i18n, board.client)}</dt>
                    <dd>
                        {match deal.client.as_ref() {
                            Some(client) => view! {
                                <a href=format!("/clients/{}", client.id)>{client.name.clone()}</a>
                                " " <LocalTime time_zone=client.time_zone.clone() now=card.now />
                            }.into_any(),
                            None => view! { "—" }.into_any(),
                        }}
                    </dd>
                </div>
                <div><dt>{t!(i18n, board.phone)}</dt><dd>{deal.client.as_ref().and_then(|c| c.phone.clone()).unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>{t!(i18n, deal.email)}</dt><dd>{deal.client.as_ref().and_then(|c| c.email.clone()).unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>{t!(i18n, deal.amount)}</dt><dd>{deal.amount.as_ref().map(format_money).unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>{t!(i18n, deal.responsible)}</dt><dd>{deal.responsible_name.clone().unwrap_or_else(|| "—".into())}</dd></div>
            </dl>
            <CustomFieldsView custom=card.custom.clone() />
            <Conclusions
                deal=deal.id
                conclusions=card.conclusions.clone()
                departments=card.conclusion_departments.clone()
                reload
            />
            <DocumentsSection subject=Subject::Deal(deal.id) documents=card.documents.clone() categories=card.document_categories.clone() />
            <TasksSection subject=Subject::Deal(deal.id) tasks=card.tasks.clone() users=card.users.clone() now=card.now reload />
            <div class="deal-grid">
                <section class="card">
                    <h2>{t!(i18n, deal.time_in_stages)}</h2>
                    <table class="data compact">
                        <thead><tr><th>{t!(i18n, deal.stage)}</th><th>{t!(i18n, deal.visits)}</th><th>{t!(i18n, deal.total)}</th></tr></thead>
                        <tbody>
                            {card.time_in_stages.iter().map(|row| {
                                let seconds = row.seconds;
                                view! {
                                    <tr>
                                        <td data-label=move || t_string!(i18n, deal.stage).to_string()>{row.stage_name.clone()}</td>
                                        <td data-label=move || t_string!(i18n, deal.visits).to_string()>{row.visits}</td>
                                        <td data-label=move || t_string!(i18n, deal.total).to_string()>{move || format_duration(i18n, seconds)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <h2>{t!(i18n, deal.time_in_departments)}</h2>
                    <table class="data compact">
                        <tbody>
                            {by_department.into_iter().map(|(department, seconds)| {
                                let name = department_name(department);
                                view! {
                                    <tr>
                                        <td>{name}</td>
                                        <td>{move || format_duration(i18n, seconds)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </section>
                <Timeline entries=card.timeline.clone() subject=Subject::Deal(deal.id) reload />
            </div>
        </section>
    }
}
