//! Custom fields: definitions (admins only, kind fixed), the checking of each kind with
//! nothing written on a refusal, required fields, stages requiring custom fields, fields of
//! one pipeline, changes in the timelines, client fields and the board's filters.

use sea_orm::{EntityTrait, PaginatorTrait};
use shared::AppError;
use shared::access::Actor;
use shared::board::BoardFilter;
use shared::client::service::{create_client, update_client};
use shared::client::{ClientDraft, NewClient, UpdateClient};
use shared::custom_field::entity::custom_values;
use shared::custom_field::service::{remove_field, save_field, values_of};
use shared::custom_field::{
    CustomFieldDraft, CustomFieldId, CustomFieldKind, CustomFieldRef, CustomFieldView,
    CustomFilter, CustomInput, RecordKind,
};
use shared::deal::service::{get_deal, move_deal, save_pipeline, update_deal};
use shared::deal::{DealView, UpdateDeal};
use shared::error::{Field, Rule};
use shared::page::{load_client_page, load_deal_card};
use shared::pipeline::service::{Template, create_from_template, load_pipeline};
use shared::pipeline::{PipelineDraft, PipelineId};
use shared::timeline::{Subject, TimelineDetail, TimelineEntry};
use shared::user::Role;

use crate::conveyor::{Conveyor, mv};
use crate::harness::t0;

fn draft(label: &str, kind: CustomFieldKind) -> CustomFieldDraft {
    CustomFieldDraft {
        id: None,
        entity: RecordKind::Deal,
        pipeline_id: None,
        label: label.into(),
        kind,
        options: vec!["Low".into(), "Medium".into(), "High".into()],
        currency: Some("RUB".into()),
        group: "Scoring".into(),
        position: 0,
        required: false,
        help: String::new(),
    }
}

async fn define(c: &Conveyor, draft: CustomFieldDraft) -> CustomFieldView {
    save_field(&c.t.db, &Actor::system(), draft, t0())
        .await
        .unwrap()
}

fn edit(deal: &DealView, custom: Vec<CustomInput>) -> UpdateDeal {
    let client = deal.client.clone();
    UpdateDeal {
        deal_id: deal.id,
        version: deal.version,
        title: deal.title.clone(),
        client_name: client.as_ref().map(|c| c.name.clone()),
        client_phone: client.as_ref().and_then(|c| c.phone.clone()),
        client_email: client.as_ref().and_then(|c| c.email.clone()),
        amount: deal.amount.clone(),
        responsible: deal.responsible,
        custom,
    }
}

fn one(field: &CustomFieldView, value: &str) -> CustomInput {
    CustomInput::one(field.id, value)
}

fn reference(field: &CustomFieldView) -> CustomFieldRef {
    CustomFieldRef {
        id: field.id,
        label: field.label.clone(),
    }
}

async fn stored(c: &Conveyor, deal: &DealView) -> Vec<(CustomFieldId, String)> {
    values_of(&c.t.db, Subject::Deal(deal.id), Some(deal.pipeline_id))
        .await
        .unwrap()
        .values
}

fn changes(timeline: &[TimelineEntry]) -> Vec<(String, Option<String>, Option<String>)> {
    timeline
        .iter()
        .filter_map(|entry| match &entry.detail {
            TimelineDetail::Change(change) => change
                .custom
                .as_ref()
                .map(|custom| (custom.label.clone(), change.old.clone(), change.new.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn only_admins_define_fields_and_a_kind_is_fixed() {
    let c = Conveyor::new().await;
    let manager = c.t.user("boss@bank.ru", Role::Manager, vec![]).await;
    let manager = c.t.actor(&manager).await;
    assert_eq!(
        save_field(
            &c.t.db,
            &manager,
            draft("Risk class", CustomFieldKind::Select),
            t0()
        )
        .await,
        Err(AppError::Forbidden)
    );
    let mut select = draft(" Risk class ", CustomFieldKind::Select);
    select.options = vec!["A".into(), " ".into(), "B ".into(), "A".into()];
    let field = define(&c, select).await;
    assert_eq!(field.label, "Risk class");
    assert_eq!(field.options, vec!["A", "B"]);
    assert_eq!(field.currency, None);

    let mut retyped = draft("Risk class", CustomFieldKind::Number);
    retyped.id = Some(field.id);
    assert_eq!(
        save_field(&c.t.db, &Actor::system(), retyped, t0()).await,
        Err(AppError::validation(Field::Kind, Rule::Unchangeable))
    );
    let mut client_in_pipeline = draft("Segment", CustomFieldKind::Text);
    client_in_pipeline.entity = RecordKind::Client;
    client_in_pipeline.pipeline_id = Some(c.pipeline.id);
    assert_eq!(
        save_field(&c.t.db, &Actor::system(), client_in_pipeline, t0()).await,
        Err(AppError::validation(Field::Pipeline, Rule::UnknownValue))
    );
    let mut no_options = draft("Product", CustomFieldKind::MultiSelect);
    no_options.options = vec![];
    assert_eq!(
        save_field(&c.t.db, &Actor::system(), no_options, t0()).await,
        Err(AppError::validation(Field::Options, Rule::Required))
    );
    let all = shared::custom_field::service::list_fields(&c.t.db)
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "refused definitions wrote nothing");
    assert_eq!(all[0].kind, CustomFieldKind::Select);
}

#[tokio::test]
async fn every_kind_is_checked_and_a_bad_value_writes_nothing() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let mut fields = Vec::new();
    for (label, kind) in [
        ("Employer", CustomFieldKind::Text),
        ("Scoring notes", CustomFieldKind::LongText),
        ("Score", CustomFieldKind::Number),
        ("Monthly income", CustomFieldKind::Money),
        ("Birth date", CustomFieldKind::Date),
        ("Call back at", CustomFieldKind::DateTime),
        ("Risk class", CustomFieldKind::Select),
        ("Products", CustomFieldKind::MultiSelect),
        ("Documents checked", CustomFieldKind::Checkbox),
        ("Analyst", CustomFieldKind::User),
        ("Credit report", CustomFieldKind::Link),
    ] {
        fields.push(define(&c, draft(label, kind)).await);
    }
    let deal = c.deal(&c.admin).await;
    let good = vec![
        one(&fields[0], "  Gazprom \n Neft "),
        one(&fields[1], "Stable income.\r\nNo debts."),
        one(&fields[2], "1 250,5"),
        one(&fields[3], "150000"),
        one(&fields[4], "1990-05-17"),
        one(&fields[5], "2026-11-24T10:30"),
        one(&fields[6], "High"),
        CustomInput {
            field: fields[7].id,
            values: vec!["High".into(), "Low".into()],
        },
        one(&fields[8], "true"),
        one(&fields[9], &c.admin.id.0.to_string()),
        one(&fields[10], "https://bki.example/report?id=7"),
    ];
    let saved = update_deal(&c.t.db, &(), &admin, edit(&deal, good), t0())
        .await
        .unwrap();
    let values = stored(&c, &saved).await;
    let expected = [
        "Gazprom Neft",
        "Stable income.\nNo debts.",
        "1250.5",
        "150000.00",
        "1990-05-17",
        "2026-11-24T10:30:00Z",
        "High",
        r#"["Low","High"]"#,
        "true",
        &c.admin.id.0.to_string(),
        "https://bki.example/report?id=7",
    ];
    for (field, want) in fields.iter().zip(expected) {
        let got = values
            .iter()
            .find(|(id, _)| *id == field.id)
            .map(|(_, v)| v.as_str());
        assert_eq!(got, Some(want), "{}", field.label);
    }

    let (long_text, longer_text) = ("x".repeat(501), "x".repeat(10_001));
    let bad: Vec<(usize, Vec<&str>, Rule)> = vec![
        (0, vec![&long_text], Rule::TooLong { max: 500 }),
        (1, vec![&longer_text], Rule::TooLong { max: 10_000 }),
        (2, vec!["12abc"], Rule::InvalidNumber),
        (3, vec!["-5"], Rule::InvalidAmount),
        (3, vec!["10.005"], Rule::InvalidAmount),
        (4, vec!["2026-13-01"], Rule::InvalidDate),
        (5, vec!["soon"], Rule::InvalidDate),
        (6, vec!["Huge"], Rule::UnknownValue),
        (6, vec!["Low", "High"], Rule::TooMany { max: 1 }),
        (7, vec!["Low", "Nope"], Rule::UnknownValue),
        (8, vec!["maybe"], Rule::UnknownValue),
        (9, vec!["99999"], Rule::UnknownValue),
        (9, vec!["Anna"], Rule::UnknownValue),
        (10, vec!["javascript:alert(1)"], Rule::InvalidUrl),
        (10, vec!["bki.example"], Rule::InvalidUrl),
    ];
    for (index, inputs, rule) in bad {
        let field = &fields[index];
        // A good change to the title alongside, to show nothing of the edit is written.
        let mut cmd = edit(
            &saved,
            vec![CustomInput {
                field: field.id,
                values: inputs.iter().map(|v| (*v).to_owned()).collect(),
            }],
        );
        cmd.title = "Renamed".into();
        assert_eq!(
            update_deal(&c.t.db, &(), &admin, cmd, t0()).await,
            Err(AppError::CustomFieldInvalid {
                field: reference(field),
                rule,
            }),
            "{} {inputs:?}",
            field.label
        );
    }
    let after = get_deal(&c.t.db, &admin, deal.id).await.unwrap();
    assert_eq!(after.version, saved.version);
    assert_eq!(after.title, saved.title);
    assert_eq!(stored(&c, &saved).await, values);

    // A client field, or a field that is not there, is not a deal's.
    let mut client_field = draft("Segment", CustomFieldKind::Text);
    client_field.entity = RecordKind::Client;
    let client_field = define(&c, client_field).await;
    for field in [client_field.id, CustomFieldId(4242)] {
        assert_eq!(
            update_deal(
                &c.t.db,
                &(),
                &admin,
                edit(&saved, vec![CustomInput::one(field, "x")]),
                t0()
            )
            .await,
            Err(AppError::validation(Field::CustomField, Rule::UnknownValue))
        );
    }
}

#[tokio::test]
async fn changes_land_in_the_timeline_with_old_and_new_values() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let risk = define(&c, draft("Risk class", CustomFieldKind::Select)).await;
    let products = define(&c, draft("Products", CustomFieldKind::MultiSelect)).await;
    let analyst = define(&c, draft("Analyst", CustomFieldKind::User)).await;
    let income = define(&c, draft("Monthly income", CustomFieldKind::Money)).await;
    let deal = c.deal(&c.admin).await;
    let first = update_deal(
        &c.t.db,
        &(),
        &admin,
        edit(
            &deal,
            vec![
                one(&risk, "Low"),
                CustomInput {
                    field: products.id,
                    values: vec!["High".into(), "Low".into()],
                },
                one(&analyst, &c.admin.id.0.to_string()),
                one(&income, "90000"),
            ],
        ),
        t0(),
    )
    .await
    .unwrap();
    // The same values again change nothing; then a change and a clearing.
    let same = update_deal(
        &c.t.db,
        &(),
        &admin,
        edit(&first, vec![one(&risk, "Low"), one(&income, "90000.00")]),
        t0(),
    )
    .await
    .unwrap();
    update_deal(
        &c.t.db,
        &(),
        &admin,
        edit(&same, vec![one(&risk, "High"), one(&analyst, "")]),
        t0() + chrono::Duration::minutes(5),
    )
    .await
    .unwrap();
    let card = load_deal_card(&c.t.db, &admin, deal.id, t0())
        .await
        .unwrap();
    let mut got = changes(&card.timeline);
    got.sort();
    let admin_name = c.admin.name.clone();
    let mut want = vec![
        ("Risk class".to_owned(), None, Some("Low".to_owned())),
        ("Products".to_owned(), None, Some("Low, High".to_owned())),
        ("Analyst".to_owned(), None, Some(admin_name.clone())),
        (
            "Monthly income".to_owned(),
            None,
            Some("90000.00 RUB".to_owned()),
        ),
        (
            "Risk class".to_owned(),
            Some("Low".to_owned()),
            Some("High".to_owned()),
        ),
        ("Analyst".to_owned(), Some(admin_name), None),
    ];
    want.sort();
    assert_eq!(got, want);
    let card_values = &card.custom;
    assert_eq!(card_values.value(risk.id), Some("High"));
    assert_eq!(card_values.value(analyst.id), None);

    // A removed field leaves forms and cards; its recorded changes keep their name.
    remove_field(&c.t.db, &Actor::system(), risk.id, t0())
        .await
        .unwrap();
    let card = load_deal_card(&c.t.db, &admin, deal.id, t0())
        .await
        .unwrap();
    assert!(!card.custom.fields.iter().any(|f| f.id == risk.id));
    assert_eq!(
        changes(&card.timeline)
            .iter()
            .filter(|(label, ..)| label == "Risk class")
            .count(),
        2
    );
}

#[tokio::test]
async fn required_fields_and_stages_that_require_custom_fields() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    let score = define(&c, draft("Score", CustomFieldKind::Number)).await;
    let checked = define(&c, draft("Documents checked", CustomFieldKind::Checkbox)).await;

    // Scoring requires the score before a deal enters it.
    let mut pipeline = PipelineDraft::from(&c.pipeline);
    let scoring = pipeline
        .stages
        .iter_mut()
        .find(|s| s.name == "Scoring")
        .unwrap();
    scoring.required_custom_fields = vec![score.id];
    save_pipeline(&c.t.db, &(), &Actor::system(), &pipeline, t0())
        .await
        .unwrap();
    let mut unknown = pipeline.clone();
    unknown.stages[0].required_custom_fields = vec![CustomFieldId(4242)];
    assert_eq!(
        save_pipeline(&c.t.db, &(), &Actor::system(), &unknown, t0()).await,
        Err(AppError::validation(Field::CustomField, Rule::UnknownValue))
    );
    let before = c.transition_count().await;
    assert_eq!(
        move_deal(
            &c.t.db,
            &(),
            &admin,
            mv(&deal, c.stage("Scoring"), ""),
            t0()
        )
        .await,
        Err(AppError::RequiredCustomField {
            field: reference(&score)
        })
    );
    assert_eq!(c.transition_count().await, before, "nothing written");
    let scored = update_deal(
        &c.t.db,
        &(),
        &admin,
        edit(&deal, vec![one(&score, "710")]),
        t0(),
    )
    .await
    .unwrap();
    let moved = move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&scored, c.stage("Scoring"), ""),
        t0(),
    )
    .await
    .unwrap();
    // The stage's requirement holds while the deal is there: clearing the score is refused.
    assert_eq!(
        update_deal(
            &c.t.db,
            &(),
            &admin,
            edit(&moved, vec![one(&score, "")]),
            t0()
        )
        .await,
        Err(AppError::RequiredCustomField {
            field: reference(&score)
        })
    );

    // A required field: no deal is saved without it (a ticked box for a checkbox).
    let mut required = draft("Documents checked", CustomFieldKind::Checkbox);
    required.id = Some(checked.id);
    required.required = true;
    save_field(&c.t.db, &Actor::system(), required, t0())
        .await
        .unwrap();
    for value in ["false", ""] {
        assert_eq!(
            update_deal(
                &c.t.db,
                &(),
                &admin,
                edit(&moved, vec![one(&checked, value)]),
                t0()
            )
            .await,
            Err(AppError::CustomFieldInvalid {
                field: CustomFieldRef {
                    id: checked.id,
                    label: "Documents checked".into()
                },
                rule: Rule::Required,
            })
        );
    }
    update_deal(
        &c.t.db,
        &(),
        &admin,
        edit(&moved, vec![one(&checked, "on")]),
        t0(),
    )
    .await
    .unwrap();
    // Removing the score takes it off the stage, so the pipeline saves again as it is.
    remove_field(&c.t.db, &Actor::system(), score.id, t0())
        .await
        .unwrap();
    let reloaded = load_pipeline(&c.t.db, c.pipeline.id).await.unwrap();
    assert!(
        reloaded
            .stages
            .iter()
            .all(|stage| stage.required_custom_fields.is_empty())
    );
    save_pipeline(
        &c.t.db,
        &(),
        &Actor::system(),
        &PipelineDraft::from(&reloaded),
        t0(),
    )
    .await
    .unwrap();
    // A new deal without it is refused and not created.
    let deals = shared::deal::entity::deals::Entity::find()
        .count(&c.t.db)
        .await
        .unwrap();
    let mut new = shared::deal::NewDeal {
        pipeline_id: c.pipeline.id,
        title: "Car loan".into(),
        client_name: None,
        client_phone: None,
        client_email: None,
        amount: None,
        responsible: None,
        client: None,
        custom: Vec::new(),
    };
    assert!(matches!(
        shared::deal::service::create_deal(&c.t.db, &(), &admin, new.clone(), t0()).await,
        Err(AppError::CustomFieldInvalid {
            rule: Rule::Required,
            ..
        })
    ));
    assert_eq!(
        shared::deal::entity::deals::Entity::find()
            .count(&c.t.db)
            .await
            .unwrap(),
        deals
    );
    new.custom = vec![one(&checked, "true")];
    shared::deal::service::create_deal(&c.t.db, &(), &admin, new, t0())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_pipelines_own_fields_stay_on_its_deals() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let sales = create_from_template(
        &c.t.db,
        &Actor::system(),
        "Sales",
        Template::SalesFunnel,
        &[],
        t0(),
    )
    .await
    .unwrap();
    let mut lead_source = draft("Lead source", CustomFieldKind::Text);
    lead_source.pipeline_id = Some(sales);
    let lead_source = define(&c, lead_source).await;
    let mut collateral = draft("Collateral", CustomFieldKind::Text);
    collateral.pipeline_id = Some(c.pipeline.id);
    let collateral = define(&c, collateral).await;
    let deal = c.deal(&c.admin).await;
    let card = load_deal_card(&c.t.db, &admin, deal.id, t0())
        .await
        .unwrap();
    let labels: Vec<&str> = card
        .custom
        .fields
        .iter()
        .map(|f| f.label.as_str())
        .collect();
    assert_eq!(labels, vec!["Collateral"]);
    assert_eq!(
        update_deal(
            &c.t.db,
            &(),
            &admin,
            edit(&deal, vec![one(&lead_source, "Web")]),
            t0()
        )
        .await,
        Err(AppError::validation(Field::CustomField, Rule::UnknownValue))
    );
    update_deal(
        &c.t.db,
        &(),
        &admin,
        edit(&deal, vec![one(&collateral, "Flat")]),
        t0(),
    )
    .await
    .unwrap();
    let sales_pipeline = load_pipeline(&c.t.db, sales).await.unwrap();
    assert_eq!(sales_pipeline.id, PipelineId(sales.0));
}

#[tokio::test]
async fn client_fields_are_checked_and_their_changes_recorded() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let mut segment = draft("Segment", CustomFieldKind::Select);
    segment.entity = RecordKind::Client;
    segment.required = true;
    let segment = define(&c, segment).await;
    let person = ClientDraft {
        name: "Anna Smirnova".into(),
        phones: vec!["+7 916 000-11-22".into()],
        ..ClientDraft::default()
    };
    let count = || async {
        shared::client::entity::clients::Entity::find()
            .count(&c.t.db)
            .await
            .unwrap()
    };
    let before = count().await;
    assert_eq!(
        create_client(
            &c.t.db,
            &admin,
            NewClient {
                client: person.clone(),
                allow_duplicate: false,
                custom: vec![one(&segment, "Platinum")],
            },
            t0()
        )
        .await,
        Err(AppError::CustomFieldInvalid {
            field: reference(&segment),
            rule: Rule::UnknownValue
        })
    );
    assert_eq!(count().await, before, "nothing written");
    let client = create_client(
        &c.t.db,
        &admin,
        NewClient {
            client: person.clone(),
            allow_duplicate: false,
            custom: vec![one(&segment, "Low")],
        },
        t0(),
    )
    .await
    .unwrap();
    update_client(
        &c.t.db,
        &admin,
        UpdateClient {
            id: client.id,
            version: client.version,
            client: person,
            allow_duplicate: false,
            custom: vec![one(&segment, "High")],
        },
        t0(),
    )
    .await
    .unwrap();
    let page = load_client_page(&c.t.db, &admin, client.id, t0())
        .await
        .unwrap();
    assert_eq!(page.custom.value(segment.id), Some("High"));
    assert_eq!(
        changes(&page.timeline),
        vec![(
            "Segment".to_owned(),
            Some("Low".to_owned()),
            Some("High".to_owned())
        )]
    );
    // Client values are the client's: no deal holds them.
    let on_deals = custom_values::Entity::find().count(&c.t.db).await.unwrap();
    assert_eq!(on_deals, 1);
}

#[tokio::test]
async fn the_board_filters_by_select_user_number_and_date_fields() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let analyst_user = c.t.user("analyst@bank.ru", Role::Employee, vec![]).await;
    let risk = define(&c, draft("Risk class", CustomFieldKind::Select)).await;
    let products = define(&c, draft("Products", CustomFieldKind::MultiSelect)).await;
    let analyst = define(&c, draft("Analyst", CustomFieldKind::User)).await;
    let score = define(&c, draft("Score", CustomFieldKind::Number)).await;
    let call = define(&c, draft("Call back at", CustomFieldKind::DateTime)).await;
    let rows = [
        ("Low", "Low", c.admin.id, "500", "2026-11-20T09:00"),
        ("High", "High", analyst_user.id, "720", "2026-11-24T23:30"),
        ("High", "Medium", analyst_user.id, "650", "2026-11-25T00:00"),
    ];
    for (risk_value, product, user, score_value, when) in rows {
        let deal = c.deal(&c.admin).await;
        update_deal(
            &c.t.db,
            &(),
            &admin,
            edit(
                &deal,
                vec![
                    one(&risk, risk_value),
                    CustomInput {
                        field: products.id,
                        values: vec![product.into(), "Low".into()],
                    },
                    one(&analyst, &user.0.to_string()),
                    one(&score, score_value),
                    one(&call, when),
                ],
            ),
            t0(),
        )
        .await
        .unwrap();
    }
    c.deal(&c.admin).await; // no values at all
    let shown = |custom: Vec<CustomFilter>| {
        let admin = admin.clone();
        let pipeline = c.pipeline.id;
        let db = c.t.db.clone();
        async move {
            shared::board::service::load_board(
                &db,
                &admin,
                pipeline,
                &BoardFilter {
                    custom,
                    ..BoardFilter::default()
                },
                t0(),
            )
            .await
            .map(|board| board.columns.iter().map(|col| col.count).sum::<u64>())
        }
    };
    let equals = |field: &CustomFieldView, value: &str| CustomFilter {
        field: field.id,
        equals: Some(value.into()),
        ..CustomFilter::default()
    };
    let between = |field: &CustomFieldView, min: Option<&str>, max: Option<&str>| CustomFilter {
        field: field.id,
        equals: None,
        min: min.map(Into::into),
        max: max.map(Into::into),
    };
    assert_eq!(shown(vec![]).await, Ok(4));
    assert_eq!(shown(vec![equals(&risk, "High")]).await, Ok(2));
    assert_eq!(shown(vec![equals(&products, "Low")]).await, Ok(3));
    assert_eq!(shown(vec![equals(&products, "Medium")]).await, Ok(1));
    assert_eq!(
        shown(vec![equals(&analyst, &analyst_user.id.0.to_string())]).await,
        Ok(2)
    );
    assert_eq!(shown(vec![between(&score, Some("600"), None)]).await, Ok(2));
    assert_eq!(
        shown(vec![between(&score, Some("600"), Some("700"))]).await,
        Ok(1)
    );
    assert_eq!(
        shown(vec![between(&call, Some("2026-11-24"), Some("2026-11-24"))]).await,
        Ok(1),
        "the whole day, and only that day"
    );
    assert_eq!(
        shown(vec![
            equals(&risk, "High"),
            between(&score, None, Some("700"))
        ])
        .await,
        Ok(1)
    );
    assert_eq!(
        shown(vec![between(&score, Some("lots"), None)]).await,
        Err(AppError::CustomFieldInvalid {
            field: reference(&score),
            rule: Rule::InvalidNumber
        })
    );
    assert_eq!(
        shown(vec![between(&call, Some("24.11.2026"), None)]).await,
        Err(AppError::CustomFieldInvalid {
            field: reference(&call),
            rule: Rule::InvalidDate
        })
    );
    // A removed field's condition (a link kept from before) no longer narrows the board.
    remove_field(&c.t.db, &Actor::system(), risk.id, t0())
        .await
        .unwrap();
    assert_eq!(shown(vec![equals(&risk, "High")]).await, Ok(4));
}
