//! The clients section: the list (`/clients`, search, filters and page in the URL), the
//! new-client page, and the client page with its deals across pipelines (`page.rs`); the
//! form with the duplicate warning is shared by both (`form.rs`).

mod form;
mod page;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use shared::AppError;
use shared::client::{
    ClientId, ClientKind, ClientList, ClientListFilter, ClientPage, ClientView, NewClient,
    PAGE_SIZE, UpdateClient,
};

use crate::errors::error_message;
use crate::i18n::*;
use crate::local_time::LocalTime;

pub use form::NewClientPage;
pub use page::ClientPageView;

#[server(prefix = "/api", endpoint = "list_clients", input = server_fn::codec::Json)]
pub async fn list_clients(filter: ClientListFilter) -> Result<ClientList, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::client::service::list_clients(&db()?, &actor, &filter, now()).await
}

#[server(prefix = "/api", endpoint = "load_client_page", input = server_fn::codec::Json)]
pub async fn load_client_page(id: ClientId) -> Result<ClientPage, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::page::load_client_page(&db()?, &actor, id, now()).await
}

#[server(prefix = "/api", endpoint = "create_client", input = server_fn::codec::Json)]
pub async fn create_client(client: NewClient) -> Result<ClientView, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::client::service::create_client(&db()?, &actor, client, now()).await
}

#[server(name = UpdateClientRequest, prefix = "/api", endpoint = "update_client", input = server_fn::codec::Json)]
pub async fn update_client(client: UpdateClient) -> Result<ClientView, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::client::service::update_client(&db()?, &actor, client, now()).await
}

#[server(prefix = "/api", endpoint = "search_companies", input = server_fn::codec::Json)]
pub async fn search_companies(search: String) -> Result<Vec<(ClientId, String)>, AppError> {
    use crate::backend::{db, identity};
    let actor = identity()?.actor;
    shared::client::service::search_companies(&db()?, &actor, &search).await
}

const FILTER_KEYS: [&str; 4] = ["q", "kind", "responsible", "tag"];

fn filter_from_query(query: &ParamsMap) -> ClientListFilter {
    ClientListFilter {
        search: query.get("q").filter(|q| !q.trim().is_empty()),
        kind: query.get("kind").and_then(|k| ClientKind::parse(&k)),
        responsible: query
            .get("responsible")
            .and_then(|r| r.parse().ok())
            .map(shared::user::UserId),
        tag: query.get("tag").filter(|t| !t.is_empty()),
        company: query
            .get("company")
            .and_then(|c| c.parse().ok())
            .map(ClientId),
        page: query.get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
    }
}

pub fn kind_label(i18n: leptos_i18n::I18nContext<Locale>, kind: ClientKind) -> String {
    match kind {
        ClientKind::Company => t_string!(i18n, clients.company),
        ClientKind::Person => t_string!(i18n, clients.person),
    }
    .to_string()
}

#[component]
pub fn ClientsPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = Memo::new(move |_| filter_from_query(&query.read()));
    let list = Resource::new(move || filter.get(), list_clients);
    let navigate = use_navigate();
    // Any change but paging starts again from the first page.
    let set_query = Callback::new(move |changes: Vec<(&'static str, Option<String>)>| {
        let mut changes = changes;
        if !changes.iter().any(|(key, _)| *key == "page") {
            changes.push(("page", None));
        }
        navigate(
            &crate::url_query::url_with("/clients", &query.get_untracked(), &changes),
            Default::default(),
        );
    });
    view! {
        <Title text=move || t_string!(i18n, clients.title).to_string() />
        <section class="page clients-page">
            <header class="page-head">
                <h1>{t!(i18n, clients.title)}</h1>
                <a class="btn btn-primary btn-small" href="/clients/new">{t!(i18n, clients.new_client)}</a>
            </header>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
                {move || list.get().map(|result| match result {
                    Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                    Ok(list) => view! { <ClientTable list filter=filter.get_untracked() set_query /> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ClientTable(
    list: ClientList,
    filter: ClientListFilter,
    set_query: Callback<Vec<(&'static str, Option<String>)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let search = RwSignal::new(filter.search.clone().unwrap_or_default());
    let set = move |key: &'static str, value: String| set_query.run(vec![(key, Some(value))]);
    let first = list.page.saturating_mul(PAGE_SIZE).saturating_add(1);
    let last = list
        .page
        .saturating_mul(PAGE_SIZE)
        .saturating_add(list.rows.len() as u64);
    let total = list.total;
    let page = list.page;
    let now = list.now;
    let filtered = filter.search.is_some()
        || filter.kind.is_some()
        || filter.responsible.is_some()
        || filter.tag.is_some();
    view! {
        <form class="filters client-filters" role="search" on:submit=move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            set("q", search.get_untracked());
        }>
            <input type="search" name="q" class="grow"
                placeholder=move || t_string!(i18n, clients.search).to_string()
                aria-label=move || t_string!(i18n, clients.search).to_string()
                prop:value=move || search.get()
                on:input=move |ev| search.set(event_target_value(&ev))
                on:change=move |ev| set("q", event_target_value(&ev)) />
            <select name="kind" aria-label=move || t_string!(i18n, clients.kind).to_string()
                on:change=move |ev| set("kind", event_target_value(&ev))>
                <option value="" selected=filter.kind.is_none()>{t!(i18n, clients.any_kind)}</option>
                <option value="company" selected=filter.kind == Some(ClientKind::Company)>{t!(i18n, clients.companies)}</option>
                <option value="person" selected=filter.kind == Some(ClientKind::Person)>{t!(i18n, clients.people)}</option>
            </select>
            <select name="responsible" aria-label=move || t_string!(i18n, clients.responsible).to_string()
                on:change=move |ev| set("responsible", event_target_value(&ev))>
                <option value="" selected=filter.responsible.is_none()>{t!(i18n, clients.anyone)}</option>
                {list.users.iter().map(|(id, name)| view! {
                    <option value=id.0.to_string() selected=filter.responsible == Some(*id)>{name.clone()}</option>
                }).collect_view()}
            </select>
            <select name="tag" aria-label=move || t_string!(i18n, clients.tags).to_string()
                on:change=move |ev| set("tag", event_target_value(&ev))>
                <option value="" selected=filter.tag.is_none()>{t!(i18n, clients.any_tag)}</option>
                {list.tags.iter().map(|tag| view! {
                    <option value=tag.clone() selected=filter.tag.as_deref() == Some(tag.as_str())>{tag.clone()}</option>
                }).collect_view()}
            </select>
            {filtered.then(|| view! {
                <button type="button" class="btn btn-small" on:click=move |_| {
                    set_query.run(FILTER_KEYS.iter().map(|key| (*key, None)).collect())
                }>{t!(i18n, clients.clear_filters)}</button>
            })}
        </form>
        {if list.rows.is_empty() {
            view! { <p class="muted empty-list">{t!(i18n, clients.none)}</p> }.into_any()
        } else {
            view! {
                <table class="data client-list">
                    <thead>
                        <tr>
                            <th>{t!(i18n, clients.name)}</th>
                            <th>{t!(i18n, clients.phones)}</th>
                            <th>{t!(i18n, clients.emails)}</th>
                            <th>{t!(i18n, clients.tags)}</th>
                            <th>{t!(i18n, clients.responsible)}</th>
                            <th>{t!(i18n, clients.local_time)}</th>
                            <th class="num">{t!(i18n, clients.deals_count)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {list.rows.into_iter().map(|row| {
                            let kind = row.kind;
                            view! {
                                <tr>
                                    <td data-label=move || t_string!(i18n, clients.name).to_string()>
                                        <a href=format!("/clients/{}", row.id.0)><strong>{row.name.clone()}</strong></a>
                                        " " <span class="badge badge-soft">{move || kind_label(i18n, kind)}</span>
                                        {row.company_name.clone().map(|c| view! { <div class="muted small">{c}</div> })}
                                    </td>
                                    <td class:empty-cell=row.phone.is_none() data-label=move || t_string!(i18n, clients.phones).to_string()>{row.phone.clone().unwrap_or_default()}</td>
                                    <td class:empty-cell=row.email.is_none() data-label=move || t_string!(i18n, clients.emails).to_string()>{row.email.clone().unwrap_or_default()}</td>
                                    <td class:empty-cell=row.tags.is_empty() data-label=move || t_string!(i18n, clients.tags).to_string()>
                                        {row.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}
                                    </td>
                                    <td class:empty-cell=row.responsible_name.is_none() data-label=move || t_string!(i18n, clients.responsible).to_string()>{row.responsible_name.clone().unwrap_or_default()}</td>
                                    <td class:empty-cell=row.time_zone.is_none() data-label=move || t_string!(i18n, clients.local_time).to_string()>
                                        <LocalTime time_zone=row.time_zone.clone() now />
                                    </td>
                                    <td class="num" data-label=move || t_string!(i18n, clients.deals_count).to_string()>{row.deals}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <nav class="pager" aria-label="pages">
                    <span class="muted small">{t!(i18n, clients.shown, from = first, to = last, total = total)}</span>
                    <button type="button" class="btn btn-small" disabled=page == 0
                        on:click=move |_| set_query.run(vec![("page", (page > 1).then(|| (page - 1).to_string()))])>
                        {t!(i18n, clients.previous)}
                    </button>
                    <button type="button" class="btn btn-small" disabled={last >= total}
                        on:click=move |_| set_query.run(vec![("page", Some((page + 1).to_string()))])>
                        {t!(i18n, clients.next)}
                    </button>
                </nav>
            }.into_any()
        }}
    }
}
