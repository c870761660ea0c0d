//! `/clients/:id`: the client's facts with their local time, a company's people, the
//! client's deals across pipelines, and the edit form.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use shared::AppError;
use shared::client::{ClientId, ClientKind, ClientPage};
use shared::timeline::Subject;

use super::form::ClientForm;
use super::{kind_label, load_client_page};
use crate::board::format_money;
use crate::custom_fields::CustomFieldsView;
use crate::documents::DocumentsSection;
use crate::errors::error_message;
use crate::i18n::*;
use crate::local_time::LocalTime;
use crate::tasks::TasksSection;
use crate::timeline::Timeline;

#[component]
pub fn ClientPageView() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse().ok())
            .map(ClientId)
    });
    let refresh = RwSignal::new(0_u32);
    let page = Resource::new(
        move || (id.get(), refresh.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_client_page(id).await,
                None => Err(AppError::NotFound {
                    entity: shared::error::Entity::Client,
                }),
            }
        },
    );
    view! {
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
            {move || page.get().map(|result| match result {
                Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                Ok(page) => view! { <ClientCard page reload=Callback::new(move |()| refresh.update(|n| *n += 1)) /> }.into_any(),
            })}
        </Transition>
    }
}

/// A fact row, or nothing when the value is empty.
fn fact(label: String, value: AnyView) -> impl IntoView {
    view! { <div><dt>{label}</dt><dd>{value}</dd></div> }
}

#[component]
fn ClientCard(page: ClientPage, reload: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let client = page.client.clone();
    let editing = RwSignal::new(false);
    let kind = client.kind;
    let edited = client.clone();
    let users = page.users.clone();
    let custom_for_form = page.custom.clone();
    let links = |values: &[String], scheme: &'static str| {
        values
            .iter()
            .map(|v| {
                let href = format!(
                    "{scheme}{}",
                    v.chars().filter(|c| !c.is_whitespace()).collect::<String>()
                );
                view! { <a href=href>{v.clone()}</a><br /> }
            })
            .collect_view()
    };
    let title = client.name.clone();
    view! {
        <Title text=title />
        <section class="page client-page">
            <header class="page-head">
                <div>
                    <a href="/clients" class="small">{t!(i18n, clients.back)}</a>
                    <h1>{client.name.clone()} " " <span class="badge badge-soft">{move || kind_label(i18n, kind)}</span></h1>
                    <LocalTime time_zone=client.time_zone.clone() now=page.now />
                </div>
                <div class="head-actions">
                    <a class="btn btn-small" href=format!("/deals/new?client={}", client.id.0)>{t!(i18n, clients.new_deal)}</a>
                    <button type="button" class="btn btn-small" aria-expanded=move || editing.get().to_string()
                        on:click=move |_| editing.update(|e| *e = !*e)>
                        {t!(i18n, clients.edit)}
                    </button>
                </div>
            </header>
            <Show when=move || editing.get()>
                <ClientForm
                    client=Some(edited.clone())
                    users=users.clone()
                    custom=custom_for_form.clone()
                    done=Callback::new(move |_| { editing.set(false); reload.run(()) })
                    cancel=Callback::new(move |()| editing.set(false))
                />
            </Show>
            <dl class="facts card">
                {client.company.clone().map(|(id, name)| fact(
                    t_string!(i18n, clients.company).to_string(),
                    view! { <a href=format!("/clients/{}", id.0)>{name}</a> }.into_any(),
                ))}
                {client.tax_id.clone().map(|tax_id| fact(t_string!(i18n, clients.tax_id).to_string(), view! { {tax_id} }.into_any()))}
                {(!client.phones.is_empty()).then(|| fact(t_string!(i18n, clients.phones).to_string(), links(&client.phones, "tel:").into_any()))}
                {(!client.emails.is_empty()).then(|| fact(t_string!(i18n, clients.emails).to_string(), links(&client.emails, "mailto:").into_any()))}
                {(!client.messengers.is_empty()).then(|| fact(
                    t_string!(i18n, clients.messengers).to_string(),
                    view! { {client.messengers.join(", ")} }.into_any(),
                ))}
                {client.address.clone().map(|address| fact(t_string!(i18n, clients.address).to_string(), view! { {address} }.into_any()))}
                {client.time_zone.clone().map(|tz| fact(t_string!(i18n, clients.time_zone).to_string(), view! { {tz} }.into_any()))}
                {fact(
                    t_string!(i18n, clients.responsible).to_string(),
                    view! { {client.responsible_name.clone().unwrap_or_else(|| "—".into())} }.into_any(),
                )}
                {(!client.tags.is_empty()).then(|| fact(
                    t_string!(i18n, clients.tags).to_string(),
                    client.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view().into_any(),
                ))}
            </dl>
            <CustomFieldsView custom=page.custom.clone() />
            {client.notes.clone().map(|notes| view! {
                <section class="card"><h2>{t!(i18n, clients.notes)}</h2><p class="notes">{notes}</p></section>
            })}
            {(kind == ClientKind::Company).then(|| view! {
                <section class="card">
                    <h2>{t!(i18n, clients.members)}</h2>
                    <ul class="people">
                        {page.people.iter().map(|(id, name)| view! {
                            <li><a href=format!("/clients/{}", id.0)>{name.clone()}</a></li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
            <section class="card">
                <h2>{t!(i18n, clients.deals)}</h2>
                {if page.deals.is_empty() {
                    view! { <p class="muted">{t!(i18n, clients.no_deals)}</p> }.into_any()
                } else {
                    view! {
                        <table class="data compact client-deals">
                            <thead><tr>
                                <th>{t!(i18n, board.deal_title)}</th>
                                <th>{t!(i18n, clients.pipeline)}</th>
                                <th>{t!(i18n, clients.stage)}</th>
                                <th class="num">{t!(i18n, clients.amount)}</th>
                            </tr></thead>
                            <tbody>
                                {page.deals.iter().map(|deal| view! {
                                    <tr>
                                        <td data-label=move || t_string!(i18n, board.deal_title).to_string()>
                                            <a href=format!("/deals/{}", deal.id.0)>{deal.title.clone()}</a>
                                        </td>
                                        <td data-label=move || t_string!(i18n, clients.pipeline).to_string()>{deal.pipeline_name.clone()}</td>
                                        <td data-label=move || t_string!(i18n, clients.stage).to_string()>
                                            <span class="stage-dot" style=format!("background:{}", deal.stage_color)></span>
                                            {deal.stage_name.clone()}
                                        </td>
                                        <td class="num" data-label=move || t_string!(i18n, clients.amount).to_string()>
                                            {deal.amount.as_ref().map(format_money).unwrap_or_default()}
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>
            <DocumentsSection subject=Subject::Client(client.id) documents=page.documents.clone() categories=page.document_categories.clone() />
            <TasksSection subject=Subject::Client(client.id) tasks=page.tasks.clone() users=page.users.clone() now=page.now reload />
            <Timeline entries=page.timeline.clone() subject=Subject::Client(client.id) reload />
        </section>
    }
}
