//! Custom fields on the cards: the values grouped under their headings, and the inputs the
//! deal and client forms add for them (one per kind, help text under each).

use leptos::prelude::*;
use shared::custom_field::rules::{chosen_options, display, input_value, is_web_address};
use shared::custom_field::{
    CustomFieldId, CustomFieldKind, CustomFieldView, CustomInput, CustomValues,
};
use shared::time_zone::{Zone, parse_local_input};
use shared::user::UserId;

use crate::i18n::*;
use crate::moment::use_zone;

/// What the custom inputs of a form hold: each field's input text (several options for a
/// multi-select), date-times in the person's zone.
#[derive(Clone, Copy)]
pub struct CustomState {
    values: RwSignal<Vec<(CustomFieldId, Vec<String>)>>,
    zone: Zone,
}

impl CustomState {
    /// The form starts from the record's stored values.
    pub fn new(custom: &CustomValues) -> Self {
        let zone = use_zone();
        let values = custom
            .fields
            .iter()
            .filter_map(|field| {
                let stored = custom.value(field.id)?;
                let inputs = match field.kind {
                    CustomFieldKind::MultiSelect => chosen_options(field, stored),
                    _ => vec![input_value(field, stored, zone)],
                };
                Some((field.id, inputs))
            })
            .collect();
        CustomState {
            values: RwSignal::new(values),
            zone,
        }
    }

    pub fn empty() -> Self {
        CustomState {
            values: RwSignal::new(Vec::new()),
            zone: use_zone(),
        }
    }

    fn get(&self, field: CustomFieldId) -> Vec<String> {
        self.values.with(|values| {
            values
                .iter()
                .find(|(id, _)| *id == field)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
    }

    fn text(&self, field: CustomFieldId) -> String {
        self.get(field).into_iter().next().unwrap_or_default()
    }

    fn set(&self, field: CustomFieldId, inputs: Vec<String>) {
        self.values.update(
            |values| match values.iter_mut().find(|(id, _)| *id == field) {
                Some((_, current)) => *current = inputs,
                None => values.push((field, inputs)),
            },
        );
    }

    fn toggle(&self, field: CustomFieldId, option: &str, on: bool) {
        let mut chosen = self.get(field);
        chosen.retain(|o| o != option);
        if on {
            chosen.push(option.to_owned());
        }
        self.set(field, chosen);
    }

    /// The values to submit for `fields` (every field shown, so a cleared one is cleared).
    /// A local date-time goes as the moment it names; text that is none goes as typed, for
    /// the server to refuse.
    pub fn inputs(&self, fields: &[CustomFieldView]) -> Vec<CustomInput> {
        fields
            .iter()
            .map(|field| {
                let mut values = self.get(field.id);
                if field.kind == CustomFieldKind::DateTime {
                    for value in &mut values {
                        if let Some(moment) = parse_local_input(value, self.zone) {
                            *value = moment.to_rfc3339();
                        }
                    }
                }
                CustomInput {
                    field: field.id,
                    values,
                }
            })
            .collect()
    }
}

/// Groups of consecutive fields sharing a heading.
fn grouped(fields: &[CustomFieldView]) -> Vec<(String, Vec<CustomFieldView>)> {
    CustomValues {
        fields: fields.to_vec(),
        ..Default::default()
    }
    .grouped()
}

/// The inputs for `fields`, grouped under their headings.
#[component]
pub fn CustomInputs(
    #[prop(into)] fields: Signal<Vec<CustomFieldView>>,
    users: Vec<(UserId, String)>,
    state: CustomState,
) -> impl IntoView {
    let users = StoredValue::new(users);
    move || {
        grouped(&fields.get())
            .into_iter()
            .map(|(group, fields)| {
                let legend = (!group.is_empty()).then(|| view! { <legend>{group}</legend> });
                view! {
                    <fieldset class="custom-group">
                        {legend}
                        {fields.into_iter().map(|field| view! {
                            <CustomInputField field users=users.get_value() state />
                        }).collect_view()}
                    </fieldset>
                }
            })
            .collect_view()
    }
}

#[component]
fn CustomInputField(
    field: CustomFieldView,
    users: Vec<(UserId, String)>,
    state: CustomState,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = field.id;
    let name = format!("cf-{}", id.0);
    let label = field.label.clone();
    let required = field
        .required
        .then(|| view! { <span class="required-mark" title=move || t_string!(i18n, custom.required).to_string()>" *"</span> });
    let help = (!field.help.is_empty())
        .then(|| view! { <small class="muted">{field.help.clone()}</small> });
    let on_text = move |ev: leptos::ev::Event| state.set(id, vec![event_target_value(&ev)]);
    let input = match field.kind {
        CustomFieldKind::LongText => view! {
            <textarea name=name rows="3" aria-required=field.required.to_string()
                prop:value=move || state.text(id) on:input=on_text></textarea>
        }
        .into_any(),
        CustomFieldKind::Select => {
            let options = field.options.clone();
            view! {
                <select name=name aria-required=field.required.to_string()
                    prop:value=move || state.text(id) on:change=on_text>
                    <option value="">"—"</option>
                    {options.into_iter().map(|option| {
                        // `selected` too, so the server's HTML shows the value before hydration.
                        let chosen = option.clone();
                        view! {
                            <option value=option.clone() selected=move || state.text(id) == chosen>{option.clone()}</option>
                        }
                    }).collect_view()}
                </select>
            }
            .into_any()
        }
        CustomFieldKind::User => view! {
            <select name=name aria-required=field.required.to_string()
                prop:value=move || state.text(id) on:change=on_text>
                <option value="">"—"</option>
                {users.into_iter().map(|(user, user_name)| {
                    let value = user.0.to_string();
                    let chosen = value.clone();
                    view! {
                        <option value=value selected=move || state.text(id) == chosen>{user_name}</option>
                    }
                }).collect_view()}
            </select>
        }
        .into_any(),
        CustomFieldKind::MultiSelect => {
            let options = field.options.clone();
            return view! {
                <fieldset class="field custom-field multi-options">
                    <legend>{label}{required}</legend>
                    {options.into_iter().map(|option| {
                        let checked = option.clone();
                        let toggled = option.clone();
                        view! {
                            <label class="check">
                                <input type="checkbox" name=name.clone() value=option.clone()
                                    prop:checked=move || state.get(id).contains(&checked)
                                    on:change=move |ev| state.toggle(id, &toggled, event_target_checked(&ev)) />
                                {option}
                            </label>
                        }
                    }).collect_view()}
                    {help}
                </fieldset>
            }
            .into_any();
        }
        CustomFieldKind::Checkbox => {
            return view! {
                <div class="field custom-field">
                    <label class="check">
                        <input type="checkbox" name=name aria-required=field.required.to_string()
                            prop:checked=move || state.text(id) == "true"
                            on:change=move |ev| state.set(id, vec![event_target_checked(&ev).to_string()]) />
                        {label}{required}
                    </label>
                    {help}
                </div>
            }
            .into_any();
        }
        kind => {
            let (input_type, mode) = match kind {
                CustomFieldKind::Number | CustomFieldKind::Money => ("text", "decimal"),
                CustomFieldKind::Date => ("date", "text"),
                CustomFieldKind::DateTime => ("datetime-local", "text"),
                CustomFieldKind::Link => ("url", "url"),
                _ => ("text", "text"),
            };
            let suffix = field
                .currency
                .clone()
                .map(|c| view! { <span class="input-suffix">{c}</span> });
            view! {
                <span class="input-with-suffix">
                    <input type=input_type name=name inputmode=mode aria-required=field.required.to_string()
                        prop:value=move || state.text(id) on:input=on_text />
                    {suffix}
                </span>
            }
            .into_any()
        }
    };
    let zone = (field.kind == CustomFieldKind::DateTime).then(|| {
        let zone = state.zone.name();
        view! { <small class="muted">{t!(i18n, custom.zone, zone)}</small> }
    });
    view! {
        <label class="field custom-field">
            <span>{label}{required}</span>
            {input}
            {zone}
            {help}
        </label>
    }
    .into_any()
}

/// A card's custom fields with their values, grouped; empty ones show a dash.
#[component]
pub fn CustomFieldsView(custom: CustomValues) -> impl IntoView {
    if custom.fields.is_empty() {
        return ().into_any();
    }
    let zone = use_zone();
    let users = custom.users.clone();
    let user_name = move |id: i32| {
        users
            .iter()
            .find(|(user, _)| user.0 == id)
            .map(|(_, name)| name.clone())
    };
    view! {
        <section class="card custom-values" aria-label="custom fields">
            {custom.grouped().into_iter().map(|(group, fields)| {
                let heading = (!group.is_empty()).then(|| view! { <h3>{group}</h3> });
                view! {
                    {heading}
                    <dl class="facts-grid">
                        {fields.into_iter().map(|field| {
                            let value = custom.value(field.id).map(|stored| {
                                let shown = display(&field, stored, zone, &user_name);
                                if field.kind == CustomFieldKind::Link && is_web_address(stored) {
                                    view! { <a href=stored.to_owned() target="_blank" rel="noopener noreferrer nofollow">{shown}</a> }.into_any()
                                } else if field.kind == CustomFieldKind::LongText {
                                    view! { <span class="long-text">{shown}</span> }.into_any()
                                } else {
                                    view! { {shown} }.into_any()
                                }
                            });
                            view! {
                                <div>
                                    <dt>{field.label.clone()}</dt>
                                    <dd>{value.unwrap_or_else(|| view! { <span class="muted">"—"</span> }.into_any())}</dd>
                                </div>
                            }
                        }).collect_view()}
                    </dl>
                }
            }).collect_view()}
        </section>
    }
    .into_any()
}
