//! The full deal form: a new deal (`/deals/new`, any pipeline) or the edit form on the deal
//! page. Both send every field; an edit names the version it started from, so a change
//! someone made meanwhile is refused instead of overwritten.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::{Deserialize, Serialize};
use shared::AppError;
use shared::client::ClientId;
use shared::custom_field::{CustomFieldView, CustomValues, RecordKind};
use shared::deal::{DealView, Money, NewDeal, UpdateDeal};
use shared::pipeline::PipelineId;
use shared::user::UserId;

use crate::custom_fields::{CustomInputs, CustomState};
use crate::errors::FormError;
use crate::i18n::*;

/// Currencies the form offers; the service accepts any ISO 4217 code.
const CURRENCIES: [&str; 4] = ["RUB", "USD", "EUR", "CNY"];

/// What the deal form offers: pipelines and the people a deal can be assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealFormChoices {
    pub pipelines: Vec<(PipelineId, String)>,
    pub users: Vec<(UserId, String)>,
    pub me: Option<UserId>,
    /// The existing client a new deal is for, when the form was opened from their page.
    pub client: Option<(ClientId, String)>,
    /// Every active custom field (the forms pick the deal's or the client's).
    pub custom_fields: Vec<CustomFieldView>,
}

#[server(prefix = "/api", endpoint = "deal_form_options", input = server_fn::codec::Json)]
pub async fn deal_form_options(client: Option<ClientId>) -> Result<DealFormChoices, AppError> {
    use crate::backend::{db, identity};
    let actor = identity()?.actor;
    let db = db()?;
    let client = match client {
        Some(id) => {
            let view = shared::client::service::get_client(&db, &actor, id).await?;
            Some((view.id, view.name))
        }
        None => None,
    };
    Ok(DealFormChoices {
        pipelines: shared::pipeline::service::list_pipelines(&db).await?,
        users: shared::user::service::list_user_names(&db).await?,
        me: actor.user_id(),
        client,
        custom_fields: shared::custom_field::service::list_fields(&db)
            .await?
            .into_iter()
            .filter(|field| field.active)
            .collect(),
    })
}

#[server(name = UpdateDealRequest, prefix = "/api", endpoint = "update_deal", input = server_fn::codec::Json)]
pub async fn update_deal(cmd: UpdateDeal) -> Result<DealView, AppError> {
    use crate::backend::{db, events, identity, now};
    let actor = identity()?.actor;
    shared::deal::service::update_deal(&db()?, &events()?, &actor, cmd, now()).await
}

/// The values being typed, as text.
#[derive(Clone, Copy)]
struct Inputs {
    title: RwSignal<String>,
    client: RwSignal<String>,
    phone: RwSignal<String>,
    email: RwSignal<String>,
    amount: RwSignal<String>,
    currency: RwSignal<String>,
    responsible: RwSignal<Option<UserId>>,
}

impl Inputs {
    fn new(deal: Option<&DealView>, me: Option<UserId>) -> Self {
        let client = deal.and_then(|d| d.client.as_ref());
        Inputs {
            title: RwSignal::new(deal.map(|d| d.title.clone()).unwrap_or_default()),
            client: RwSignal::new(client.map(|c| c.name.clone()).unwrap_or_default()),
            phone: RwSignal::new(client.and_then(|c| c.phone.clone()).unwrap_or_default()),
            email: RwSignal::new(client.and_then(|c| c.email.clone()).unwrap_or_default()),
            amount: RwSignal::new(
                deal.and_then(|d| d.amount.as_ref())
                    .map(|m| m.amount.normalize().to_string())
                    .unwrap_or_default(),
            ),
            currency: RwSignal::new(
                deal.and_then(|d| d.amount.as_ref())
                    .map(|m| m.currency.clone())
                    .unwrap_or_else(|| "RUB".to_owned()),
            ),
            responsible: RwSignal::new(deal.map_or(me, |d| d.responsible)),
        }
    }

    /// The amount as money; `Err` when the text is not a number.
    fn money(&self) -> Result<Option<Money>, AppError> {
        parse_amount(&self.amount.get_untracked(), &self.currency.get_untracked())
    }
}

/// `1 250 000,50` and `1250000.50` both read as 1250000.50; blank is no amount.
pub fn parse_amount(text: &str, currency: &str) -> Result<Option<Money>, AppError> {
    match text.trim() {
        "" => Ok(None),
        text => text
            .replace([' ', '\u{a0}', '\u{202f}'], "")
            .replace(',', ".")
            .parse()
            .map(|amount| {
                Some(Money {
                    amount,
                    currency: currency.to_owned(),
                })
            })
            .map_err(|_| AppError::validation(shared::Field::Amount, shared::Rule::InvalidAmount)),
    }
}

fn blank_to_none(text: String) -> Option<String> {
    Some(text).filter(|t| !t.trim().is_empty())
}

/// The inputs both forms share.
#[component]
fn DealFields(
    inputs: Inputs,
    users: Vec<(UserId, String)>,
    /// An existing client the deal is for: shown instead of the client inputs.
    #[prop(optional)]
    linked_client: Option<(ClientId, String)>,
) -> impl IntoView {
    let i18n = use_i18n();
    let text = |label: Signal<String>,
                kind: &'static str,
                signal: RwSignal<String>,
                name: &'static str| {
        view! {
            <label class="field">
                <span>{label}</span>
                <input type=kind name=name prop:value=move || signal.get() on:input=move |ev| signal.set(event_target_value(&ev)) />
            </label>
        }
    };
    view! {
        {text(Signal::derive(move || t_string!(i18n, board.deal_title).to_string()), "text", inputs.title, "title")}
        {match linked_client {
            Some((id, name)) => view! {
                <div class="field">
                    <span>{t!(i18n, board.client)}</span>
                    <a class="linked-client" href=format!("/clients/{}", id.0)>{name}</a>
                </div>
            }.into_any(),
            None => view! {
                {text(Signal::derive(move || t_string!(i18n, board.client).to_string()), "text", inputs.client, "client")}
                <div class="field-row">
                    {text(Signal::derive(move || t_string!(i18n, board.phone).to_string()), "tel", inputs.phone, "phone")}
                    {text(Signal::derive(move || t_string!(i18n, deal.email).to_string()), "email", inputs.email, "email")}
                </div>
            }.into_any(),
        }}
        <div class="field-row">
            <label class="field">
                <span>{t!(i18n, deal.amount)}</span>
                <input type="text" name="amount" inputmode="decimal" prop:value=move || inputs.amount.get() on:input=move |ev| inputs.amount.set(event_target_value(&ev)) />
            </label>
            <label class="field field-narrow">
                <span>{t!(i18n, deal.currency)}</span>
                <select name="currency" on:change=move |ev| inputs.currency.set(event_target_value(&ev))>
                    {CURRENCIES.into_iter().map(|code| view! {
                        <option value=code selected=move || inputs.currency.get() == code>{code}</option>
                    }).collect_view()}
                </select>
            </label>
        </div>
        <label class="field">
            <span>{t!(i18n, deal.responsible)}</span>
            <select name="responsible" on:change=move |ev| inputs.responsible.set(event_target_value(&ev).parse().ok().map(UserId))>
                <option value="" selected=move || inputs.responsible.get().is_none()>"—"</option>
                {users.into_iter().map(|(id, name)| view! {
                    <option value=id.0.to_string() selected=move || inputs.responsible.get() == Some(id)>{name}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

/// The edit form on the deal page.
#[component]
pub fn EditDealForm(
    deal: DealView,
    users: Vec<(UserId, String)>,
    custom: CustomValues,
    done: Callback<()>,
    cancel: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let inputs = Inputs::new(Some(&deal), None);
    let custom_state = CustomState::new(&custom);
    let custom_fields = StoredValue::new(custom.fields);
    let action = ServerAction::<UpdateDealRequest>::new();
    let local_error = RwSignal::new(None::<AppError>);
    let error = Signal::derive(move || {
        local_error
            .get()
            .or_else(|| action.value().get().and_then(Result::err))
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            done.run(());
        }
    });
    let (deal_id, version) = (deal.id, deal.version);
    view! {
        <form
            class="card form deal-form"
            aria-label=move || t_string!(i18n, deal.edit).to_string()
            on:submit=move |ev| {
                ev.prevent_default();
                let amount = match inputs.money() {
                    Ok(amount) => amount,
                    Err(err) => return local_error.set(Some(err)),
                };
                local_error.set(None);
                action.dispatch(UpdateDealRequest {
                    cmd: UpdateDeal {
                        deal_id,
                        version,
                        title: inputs.title.get_untracked(),
                        client_name: blank_to_none(inputs.client.get_untracked()),
                        client_phone: blank_to_none(inputs.phone.get_untracked()),
                        client_email: blank_to_none(inputs.email.get_untracked()),
                        amount,
                        responsible: inputs.responsible.get_untracked(),
                        custom: custom_state.inputs(&custom_fields.get_value()),
                    },
                });
            }
        >
            <DealFields inputs users=users.clone() />
            <CustomInputs fields=custom_fields.get_value() users state=custom_state />
            <FormError error />
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>{t!(i18n, deal.save)}</button>
                <button type="button" class="btn" on:click=move |_| cancel.run(())>{t!(i18n, admin.cancel)}</button>
            </div>
        </form>
    }
}

/// `/deals/new`: a deal with every field, in the first stage of the chosen pipeline.
#[component]
pub fn NewDealPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let wanted = query
        .get_untracked()
        .get("pipeline")
        .and_then(|p| p.parse().ok())
        .map(PipelineId);
    let client = query
        .get_untracked()
        .get("client")
        .and_then(|c| c.parse().ok())
        .map(ClientId);
    let options = Resource::new(move || client, deal_form_options);
    view! {
        <Title text=move || t_string!(i18n, deal.new_title).to_string() />
        <section class="page deal-page">
            <header class="page-head">
                <h1>{t!(i18n, deal.new_title)}</h1>
            </header>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
                {move || options.get().map(|result| match result {
                    Err(err) => view! { <FormError error=Signal::derive(move || Some(err.clone())) /> }.into_any(),
                    Ok(options) => view! { <NewDealForm options wanted /> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn NewDealForm(options: DealFormChoices, wanted: Option<PipelineId>) -> impl IntoView {
    let i18n = use_i18n();
    let inputs = Inputs::new(None, options.me);
    let linked = options.client.clone();
    let linked_client = options.client.clone();
    let pipeline = RwSignal::new(
        wanted
            .filter(|id| options.pipelines.iter().any(|(p, _)| p == id))
            .or_else(|| options.pipelines.first().map(|(id, _)| *id)),
    );
    let all_fields = StoredValue::new(options.custom_fields.clone());
    let custom_fields = Signal::derive(move || {
        let pipeline = pipeline.get();
        all_fields
            .get_value()
            .into_iter()
            .filter(|field| field.applies_to(RecordKind::Deal, pipeline))
            .collect::<Vec<_>>()
    });
    let custom_state = CustomState::empty();
    let action = ServerAction::<crate::board::CreateDeal>::new();
    let local_error = RwSignal::new(None::<AppError>);
    let error = Signal::derive(move || {
        local_error
            .get()
            .or_else(|| action.value().get().and_then(Result::err))
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(deal)) = action.value().get() {
            navigate(&format!("/deals/{}", deal.id.0), Default::default());
        }
    });
    view! {
        <form
            class="card form deal-form"
            on:submit=move |ev| {
                ev.prevent_default();
                let Some(pipeline_id) = pipeline.get_untracked() else { return };
                let amount = match inputs.money() {
                    Ok(amount) => amount,
                    Err(err) => return local_error.set(Some(err)),
                };
                local_error.set(None);
                action.dispatch(crate::board::CreateDeal {
                    deal: NewDeal {
                        pipeline_id,
                        title: inputs.title.get_untracked(),
                        client_name: blank_to_none(inputs.client.get_untracked()),
                        client_phone: blank_to_none(inputs.phone.get_untracked()),
                        client_email: blank_to_none(inputs.email.get_untracked()),
                        amount,
                        responsible: inputs.responsible.get_untracked(),
                        client: linked.as_ref().map(|(id, _)| *id),
                        custom: custom_state.inputs(&custom_fields.get_untracked()),
                    },
                });
            }
        >
            <label class="field">
                <span>{t!(i18n, deal.pipeline)}</span>
                <select name="pipeline" on:change=move |ev| pipeline.set(event_target_value(&ev).parse().ok().map(PipelineId))>
                    {options.pipelines.into_iter().map(|(id, name)| view! {
                        <option value=id.0.to_string() selected=move || pipeline.get() == Some(id)>{name}</option>
                    }).collect_view()}
                </select>
            </label>
            {match linked_client {
                Some(client) => view! { <DealFields inputs users=options.users.clone() linked_client=client /> }.into_any(),
                None => view! { <DealFields inputs users=options.users.clone() /> }.into_any(),
            }}
            <CustomInputs fields=custom_fields users=options.users state=custom_state />
            <FormError error />
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>{t!(i18n, admin.create)}</button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_with_spaces_and_commas() {
        let money = parse_amount("1 250 000,50", "RUB").unwrap().unwrap();
        assert_eq!(money.amount.to_string(), "1250000.50");
        assert_eq!(parse_amount("  ", "RUB"), Ok(None));
        assert!(parse_amount("12abc", "RUB").is_err());
    }
}
