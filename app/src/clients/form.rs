//! The client form, for a new client and on the client page: several phones, e-mails and
//! messenger handles, the company a person belongs to (searched by name), tags, and the
//! time zone picked from the IANA list with a suggestion from the phone or address. A
//! possible duplicate is shown with links and saved only when the person confirms.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;
use shared::AppError;
use shared::client::{
    ClientDraft, ClientId, ClientKind, ClientView, ContactKind, NewClient, UpdateClient,
};
use shared::custom_field::{CustomValues, RecordKind};
use shared::time_zone::{TIME_ZONES, suggest_time_zone};
use shared::user::UserId;

use super::{create_client, search_companies, update_client};
use crate::custom_fields::{CustomInputs, CustomState};
use crate::errors::{FormError, field_label};
use crate::i18n::*;

/// One editable list of contacts: each value has its own signal, so typing does not
/// rebuild the inputs (and keeps the focus).
#[derive(Clone, Copy)]
struct ContactList {
    items: RwSignal<Vec<(u32, RwSignal<String>)>>,
    next_key: StoredValue<u32>,
}

impl ContactList {
    fn new(values: &[String]) -> Self {
        let mut items: Vec<(u32, RwSignal<String>)> = Vec::new();
        for (key, value) in values.iter().enumerate() {
            items.push((key as u32, RwSignal::new(value.clone())));
        }
        // An empty first input invites the first value.
        if items.is_empty() {
            items.push((0, RwSignal::new(String::new())));
        }
        let next_key = StoredValue::new(items.len() as u32);
        ContactList {
            items: RwSignal::new(items),
            next_key,
        }
    }

    fn add(&self) {
        let key = self.next_key.get_value();
        self.next_key.set_value(key + 1);
        self.items
            .update(|items| items.push((key, RwSignal::new(String::new()))));
    }

    fn values(&self) -> Vec<String> {
        self.items
            .get_untracked()
            .iter()
            .map(|(_, value)| value.get_untracked())
            .collect()
    }
}

#[component]
fn ContactInputs(list: ContactList, kind: ContactKind) -> impl IntoView {
    let i18n = use_i18n();
    let (input_type, name) = match kind {
        ContactKind::Phone => ("tel", "phone"),
        ContactKind::Email => ("email", "email"),
        ContactKind::Messenger => ("text", "messenger"),
    };
    let label = move || match kind {
        ContactKind::Phone => t_string!(i18n, clients.phones),
        ContactKind::Email => t_string!(i18n, clients.emails),
        ContactKind::Messenger => t_string!(i18n, clients.messengers),
    };
    let add_label = move || match kind {
        ContactKind::Phone => t_string!(i18n, clients.add_phone),
        ContactKind::Email => t_string!(i18n, clients.add_email),
        ContactKind::Messenger => t_string!(i18n, clients.add_messenger),
    };
    view! {
        <fieldset class="field contact-list">
            <legend>{label}</legend>
            <For each=move || list.items.get() key=|(key, _)| *key let:item>
                <div class="contact-row">
                    <input type=input_type name=name aria-label=label
                        autocomplete="off"
                        prop:value=move || item.1.get()
                        on:input=move |ev| item.1.set(event_target_value(&ev)) />
                    <button type="button" class="btn btn-small btn-quiet"
                        aria-label=move || t_string!(i18n, clients.remove).to_string()
                        on:click=move |_| list.items.update(|items| items.retain(|(k, _)| *k != item.0))>
                        "×"
                    </button>
                </div>
            </For>
            <button type="button" class="btn btn-small" on:click=move |_| list.add()>{add_label}</button>
        </fieldset>
    }
}

#[component]
pub fn ClientForm(
    /// The client being edited; `None` for a new one.
    client: Option<ClientView>,
    users: Vec<(UserId, String)>,
    /// The clients' custom fields, with this client's values.
    custom: CustomValues,
    done: Callback<ClientView>,
    #[prop(optional)] cancel: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let start = client.as_ref().map(ClientView::draft).unwrap_or_default();
    let custom_state = CustomState::new(&custom);
    let custom_fields = StoredValue::new(custom.fields);
    let editing = client.as_ref().map(|c| (c.id, c.version));
    let kind = RwSignal::new(start.kind);
    let name = RwSignal::new(start.name.clone());
    let company = RwSignal::new(client.as_ref().and_then(|c| c.company.clone()));
    let company_search = RwSignal::new(String::new());
    let tax_id = RwSignal::new(start.tax_id.clone().unwrap_or_default());
    let phones = ContactList::new(&start.phones);
    let emails = ContactList::new(&start.emails);
    let messengers = ContactList::new(&start.messengers);
    let address = RwSignal::new(start.address.clone().unwrap_or_default());
    let notes = RwSignal::new(start.notes.clone().unwrap_or_default());
    let responsible = RwSignal::new(start.responsible);
    let tags = RwSignal::new(start.tags.join(", "));
    let time_zone = RwSignal::new(start.time_zone.clone().unwrap_or_default());
    // Suggested from the first phones and the address as they are typed.
    let suggestion = Memo::new(move |_| {
        let phones: Vec<String> = phones
            .items
            .get()
            .iter()
            .map(|(_, value)| value.get())
            .collect();
        let address = address.get();
        suggest_time_zone(phones.iter().map(String::as_str), Some(&address))
            .filter(|zone| *zone != time_zone.get().trim())
    });
    let companies = Resource::new(
        move || company_search.get(),
        |search| async move {
            if search.trim().chars().count() < 2 {
                Ok(Vec::new())
            } else {
                search_companies(search).await
            }
        },
    );
    let draft = move || ClientDraft {
        kind: kind.get_untracked(),
        name: name.get_untracked(),
        company: company.get_untracked().map(|(id, _)| id),
        tax_id: Some(tax_id.get_untracked()),
        phones: phones.values(),
        emails: emails.values(),
        messengers: messengers.values(),
        address: Some(address.get_untracked()),
        notes: Some(notes.get_untracked()),
        responsible: responsible.get_untracked(),
        tags: tags.get_untracked().split(',').map(str::to_owned).collect(),
        time_zone: Some(time_zone.get_untracked()),
    };
    let save = Action::new(move |(draft, allow_duplicate): &(ClientDraft, bool)| {
        let (draft, allow_duplicate) = (draft.clone(), *allow_duplicate);
        async move {
            match editing {
                Some((id, version)) => {
                    update_client(UpdateClient {
                        id,
                        version,
                        client: draft,
                        allow_duplicate,
                        custom: custom_state.inputs(&custom_fields.get_value()),
                    })
                    .await
                }
                None => {
                    create_client(NewClient {
                        client: draft,
                        allow_duplicate,
                        custom: custom_state.inputs(&custom_fields.get_value()),
                    })
                    .await
                }
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(view)) = save.value().get() {
            done.run(view);
        }
    });
    let error = Signal::derive(move || {
        save.value()
            .get()
            .and_then(Result::err)
            .filter(|err| !matches!(err, AppError::PossibleDuplicate { .. }))
    });
    let duplicates = Signal::derive(move || match save.value().get() {
        Some(Err(AppError::PossibleDuplicate { matches })) => matches,
        _ => Vec::new(),
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch((draft(), false));
    };
    view! {
        <form class="form client-form card" novalidate on:submit=submit>
            <div class="field-row">
                <label class="field">
                    <span>{t!(i18n, clients.kind)}</span>
                    <select name="kind" prop:value=move || kind.get().as_str()
                        on:change=move |ev| if let Some(k) = ClientKind::parse(&event_target_value(&ev)) { kind.set(k) }>
                        <option value="person">{t!(i18n, clients.person)}</option>
                        <option value="company">{t!(i18n, clients.company)}</option>
                    </select>
                </label>
                <label class="field grow">
                    <span>{t!(i18n, clients.name)}</span>
                    <input type="text" name="name" required maxlength="200" prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
            </div>
            <Show when=move || kind.get() == ClientKind::Company>
                <label class="field">
                    <span>{t!(i18n, clients.tax_id)}</span>
                    <input type="text" name="tax_id" inputmode="numeric" maxlength="32" prop:value=move || tax_id.get()
                        on:input=move |ev| tax_id.set(event_target_value(&ev)) />
                </label>
            </Show>
            <Show when=move || kind.get() == ClientKind::Person>
                <div class="field company-picker">
                    <span>{t!(i18n, clients.company)}</span>
                    {move || match company.get() {
                        Some((id, company_name)) => view! {
                            <p class="chosen">
                                <a href=format!("/clients/{}", id.0)>{company_name}</a> " "
                                <button type="button" class="btn-link" on:click=move |_| company.set(None)>{t!(i18n, clients.clear)}</button>
                            </p>
                        }.into_any(),
                        None => view! {
                            <input type="search" name="company_search" autocomplete="off"
                                placeholder=move || t_string!(i18n, clients.company_search).to_string()
                                prop:value=move || company_search.get()
                                on:input=move |ev| company_search.set(event_target_value(&ev)) />
                            <Transition fallback=|| ()>
                                {move || companies.get().and_then(Result::ok).map(|found| view! {
                                    <ul class="suggestions">
                                        {found.into_iter().map(|(id, company_name): (ClientId, String)| {
                                            let chosen = (id, company_name.clone());
                                            view! {
                                                <li><button type="button" class="btn-link" on:click=move |_| {
                                                    company.set(Some(chosen.clone()));
                                                    company_search.set(String::new());
                                                }>{company_name}</button></li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                })}
                            </Transition>
                        }.into_any(),
                    }}
                </div>
            </Show>
            <div class="contact-grid">
                <ContactInputs list=phones kind=ContactKind::Phone />
                <ContactInputs list=emails kind=ContactKind::Email />
                <ContactInputs list=messengers kind=ContactKind::Messenger />
            </div>
            <label class="field">
                <span>{t!(i18n, clients.address)}</span>
                <textarea name="address" rows="2" prop:value=move || address.get()
                    on:input=move |ev| address.set(event_target_value(&ev))></textarea>
            </label>
            <div class="field-row">
                <label class="field grow">
                    <span>{t!(i18n, clients.time_zone)}</span>
                    <input type="text" name="time_zone" list="client-time-zones" autocomplete="off" spellcheck="false"
                        prop:value=move || time_zone.get()
                        on:input=move |ev| time_zone.set(event_target_value(&ev)) />
                    <datalist id="client-time-zones">
                        {TIME_ZONES.iter().map(|name| view! { <option value=*name /> }).collect_view()}
                    </datalist>
                    <small class="muted">{t!(i18n, clients.time_zone_hint)}</small>
                    {move || suggestion.get().map(|zone| view! {
                        <small class="suggestion">
                            {t!(i18n, clients.suggested, zone = zone)} " "
                            <button type="button" class="btn-link" on:click=move |_| time_zone.set(zone.to_owned())>
                                {t!(i18n, clients.use_zone)}
                            </button>
                        </small>
                    })}
                </label>
                <label class="field">
                    <span>{t!(i18n, clients.responsible)}</span>
                    <select name="responsible" prop:value=move || responsible.get().map(|u| u.0.to_string()).unwrap_or_default()
                        on:change=move |ev| responsible.set(event_target_value(&ev).parse().ok().map(UserId))>
                        <option value="">"—"</option>
                        {users.iter().map(|(id, user)| view! { <option value=id.0.to_string()>{user.clone()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <label class="field">
                <span>{t!(i18n, clients.tags)}</span>
                <input type="text" name="tags" prop:value=move || tags.get()
                    on:input=move |ev| tags.set(event_target_value(&ev)) />
                <small class="muted">{t!(i18n, clients.tags_hint)}</small>
            </label>
            <label class="field">
                <span>{t!(i18n, clients.notes)}</span>
                <textarea name="notes" rows="3" prop:value=move || notes.get()
                    on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
            </label>
            <CustomInputs fields=custom_fields.get_value() users=users.clone() state=custom_state />
            <FormError error />
            <Show when=move || !duplicates.get().is_empty()>
                <div class="duplicates" role="alert">
                    <p><strong>{t!(i18n, errors.possible_duplicate)}</strong></p>
                    <ul>
                        {move || duplicates.get().into_iter().map(|m| {
                            let field = m.field;
                            view! {
                                <li>
                                    {match (m.id, m.name.clone()) {
                                        (Some(id), Some(name)) => view! { <a href=format!("/clients/{}", id.0) target="_blank" rel="noopener">{name}</a> }.into_any(),
                                        _ => view! { <span class="muted">{t!(i18n, clients.hidden_match)}</span> }.into_any(),
                                    }}
                                    " — " {move || t_string!(i18n, clients.matched_by, field = field_label(i18n, field)).to_string()}
                                    " (" {m.value.clone()} ")"
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <button type="button" class="btn" on:click=move |_| { save.dispatch((draft(), true)); }>
                        {t!(i18n, clients.save_anyway)}
                    </button>
                </div>
            </Show>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || save.pending().get()>
                    {t!(i18n, clients.save)}
                </button>
                {cancel.map(|cancel| view! {
                    <button type="button" class="btn" on:click=move |_| cancel.run(())>{t!(i18n, clients.cancel)}</button>
                })}
            </div>
        </form>
    }
}

/// `/clients/new`.
#[component]
pub fn NewClientPage() -> impl IntoView {
    let i18n = use_i18n();
    let options = Resource::new(|| (), |()| crate::deal_form::deal_form_options(None));
    let navigate = use_navigate();
    let done = Callback::new(move |view: ClientView| {
        navigate(&format!("/clients/{}", view.id.0), Default::default());
    });
    view! {
        <Title text=move || t_string!(i18n, clients.new_client).to_string() />
        <section class="page client-new">
            <header class="page-head">
                <div>
                    <a href="/clients" class="small">{t!(i18n, clients.back)}</a>
                    <h1>{t!(i18n, clients.new_client)}</h1>
                </div>
            </header>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
                {move || options.get().and_then(Result::ok).map(|options| view! {
                    <ClientForm client=None users=options.users custom=CustomValues {
                        fields: options.custom_fields.into_iter().filter(|f| f.applies_to(RecordKind::Client, None)).collect(),
                        ..Default::default()
                    } done />
                })}
            </Transition>
        </section>
    }
}
