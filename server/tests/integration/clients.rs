//! Clients: companies and their people, contacts, tags and time zones; the duplicate
//! warning; the list's search, filters and paging; the client page across pipelines; who
//! sees which client; and the deal forms keeping the primary contacts in step.

use sea_orm::{EntityTrait, PaginatorTrait};
use shared::AppError;
use shared::client::entity::{client_contacts, clients};
use shared::client::service::{
    create_client, get_client, list_clients, search_companies, update_client,
};
use shared::client::{
    ClientDraft, ClientKind, ClientListFilter, NewClient, PAGE_SIZE, UpdateClient,
};
use shared::deal::UpdateDeal;
use shared::deal::service::update_deal;
use shared::error::{Field, Rule};
use shared::page::load_client_page;
use shared::user::Role;

use crate::conveyor::Conveyor;
use crate::harness::t0;

fn person(name: &str, phone: &str) -> ClientDraft {
    ClientDraft {
        name: name.into(),
        phones: vec![phone.into()],
        ..ClientDraft::default()
    }
}

fn new(client: ClientDraft) -> NewClient {
    NewClient {
        client,
        allow_duplicate: false,
        custom: Vec::new(),
    }
}

async fn client_count(c: &Conveyor) -> u64 {
    clients::Entity::find().count(&c.t.db).await.unwrap()
}

#[tokio::test]
async fn a_company_with_a_person_contacts_tags_and_time_zone() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let company = create_client(
        &c.t.db,
        &admin,
        new(ClientDraft {
            kind: ClientKind::Company,
            name: "  Sibirskie Seti LLC ".into(),
            tax_id: Some("5406 123 456".into()),
            phones: vec!["+7 383 200-00-00".into()],
            address: Some("Novosibirsk, Lenina 1".into()),
            tags: vec!["vip".into(), "VIP".into(), "b2b".into()],
            time_zone: Some("Asia/Novosibirsk".into()),
            ..ClientDraft::default()
        }),
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(company.name, "Sibirskie Seti LLC");
    assert_eq!(company.tax_id.as_deref(), Some("5406123456"));
    assert_eq!(company.tags, vec!["b2b", "vip"]);
    // Whoever adds a client without choosing looks after them.
    assert_eq!(company.responsible, Some(c.admin.id));
    let anna = create_client(
        &c.t.db,
        &admin,
        new(ClientDraft {
            company: Some(company.id),
            phones: vec!["+7 913 111-22-33".into(), "+7 383 200-00-01".into()],
            emails: vec!["Anna@Seti.example".into()],
            messengers: vec!["@anna_seti".into()],
            notes: Some("Prefers mornings".into()),
            ..person("Anna Sokolova", "")
        }),
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(
        anna.company,
        Some((company.id, "Sibirskie Seti LLC".into()))
    );
    assert_eq!(anna.phones, vec!["+7 913 111-22-33", "+7 383 200-00-01"]);
    assert_eq!(anna.messengers, vec!["@anna_seti"]);
    // The board reads the primary phone and e-mail from the client row.
    let row = clients::Entity::find_by_id(anna.id.0)
        .one(&c.t.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.phone.as_deref(), Some("+7 913 111-22-33"));
    assert_eq!(row.email.as_deref(), Some("Anna@Seti.example"));

    let page = load_client_page(&c.t.db, &admin, company.id, t0())
        .await
        .unwrap();
    assert_eq!(page.people, vec![(anna.id, "Anna Sokolova".to_owned())]);
    assert_eq!(
        search_companies(&c.t.db, &admin, "seti").await.unwrap(),
        vec![(company.id, "Sibirskie Seti LLC".to_owned())]
    );
    // A person is no company to belong to, nor is a company its own.
    let err = create_client(
        &c.t.db,
        &admin,
        new(ClientDraft {
            company: Some(anna.id),
            ..person("Boris", "+7 900 555-00-00")
        }),
        t0(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err,
        AppError::validation(Field::Company, Rule::UnknownValue)
    );
    // A company with people cannot turn into a person.
    let err = update_client(
        &c.t.db,
        &admin,
        UpdateClient {
            id: company.id,
            version: company.version,
            client: ClientDraft {
                kind: ClientKind::Person,
                ..company.draft()
            },
            allow_duplicate: false,
            custom: Vec::new(),
        },
        t0(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err,
        AppError::validation(Field::Company, Rule::UnknownValue)
    );
}

#[tokio::test]
async fn a_matching_phone_email_or_tax_id_warns_until_confirmed() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let first = create_client(
        &c.t.db,
        &admin,
        new(ClientDraft {
            emails: vec!["ivan@mail.example".into()],
            ..person("Ivan Petrov", "+7 916 123-45-67")
        }),
        t0(),
    )
    .await
    .unwrap();
    let company = create_client(
        &c.t.db,
        &admin,
        new(ClientDraft {
            kind: ClientKind::Company,
            tax_id: Some("7707083893".into()),
            ..person("Bank Partner", "+7 495 000-00-01")
        }),
        t0(),
    )
    .await
    .unwrap();
    let before = client_count(&c).await;

    // The same phone written the national way, and the same e-mail in capitals.
    let same_phone = new(person("I. Petrov", "8 (916) 123-45-67"));
    let Err(AppError::PossibleDuplicate { matches }) =
        create_client(&c.t.db, &admin, same_phone.clone(), t0()).await
    else {
        panic!("a duplicate phone must warn");
    };
    assert_eq!(matches.len(), 1);
    assert_eq!(
        (matches[0].id, matches[0].field, matches[0].value.as_str()),
        (Some(first.id), Field::Phone, "+7 916 123-45-67")
    );
    let Err(AppError::PossibleDuplicate { matches }) = create_client(
        &c.t.db,
        &admin,
        new(ClientDraft {
            emails: vec!["IVAN@MAIL.EXAMPLE".into()],
            ..person("Someone", "+7 999 000-00-00")
        }),
        t0(),
    )
    .await
    else {
        panic!("a duplicate e-mail must warn");
    };
    assert_eq!(
        (matches[0].id, matches[0].field),
        (Some(first.id), Field::Email)
    );
    let Err(AppError::PossibleDuplicate { matches }) = create_client(
        &c.t.db,
        &admin,
        new(ClientDraft {
            kind: ClientKind::Company,
            tax_id: Some("7707 083 893".into()),
            ..person("Partner Bank JSC", "+7 495 000-00-02")
        }),
        t0(),
    )
    .await
    else {
        panic!("a duplicate tax id must warn");
    };
    assert_eq!(
        (matches[0].id, matches[0].field),
        (Some(company.id), Field::TaxId)
    );
    assert_eq!(client_count(&c).await, before, "a warning writes nothing");

    // Confirmed, it is saved; editing a client does not match the client itself.
    let second = create_client(
        &c.t.db,
        &admin,
        NewClient {
            allow_duplicate: true,
            ..same_phone
        },
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(client_count(&c).await, before + 1);
    let edited = update_client(
        &c.t.db,
        &admin,
        UpdateClient {
            id: first.id,
            version: first.version,
            client: ClientDraft {
                notes: Some("Called twice".into()),
                ..first.draft()
            },
            allow_duplicate: false,
            custom: Vec::new(),
        },
        t0(),
    )
    .await;
    // ... but it does match the second Ivan, who shares the phone now.
    let Err(AppError::PossibleDuplicate { matches }) = edited else {
        panic!("the other client with the phone must be named");
    };
    assert_eq!(matches[0].id, Some(second.id));
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let before = client_count(&c).await;
    let cases = [
        (person(" ", "+7 900 000-00-00"), Field::Name, Rule::Required),
        (person("Ivan", "12"), Field::Phone, Rule::InvalidPhone),
        (
            ClientDraft {
                emails: vec!["ivan@".into()],
                ..person("Ivan", "+7 900 000-00-00")
            },
            Field::Email,
            Rule::InvalidEmail,
        ),
        (
            ClientDraft {
                time_zone: Some("Europe/Atlantis".into()),
                ..person("Ivan", "+7 900 000-00-00")
            },
            Field::TimeZone,
            Rule::UnknownValue,
        ),
    ];
    for (draft, field, rule) in cases {
        assert_eq!(
            create_client(&c.t.db, &admin, new(draft), t0()).await,
            Err(AppError::validation(field, rule))
        );
    }
    assert_eq!(client_count(&c).await, before);
    let ivan = create_client(
        &c.t.db,
        &admin,
        new(person("Ivan", "+7 900 100-00-00")),
        t0(),
    )
    .await
    .unwrap();
    let update = |version| UpdateClient {
        id: ivan.id,
        version,
        client: ClientDraft {
            name: "Ivan the Second".into(),
            ..ivan.draft()
        },
        allow_duplicate: false,
        custom: Vec::new(),
    };
    let saved = update_client(&c.t.db, &admin, update(ivan.version), t0())
        .await
        .unwrap();
    assert_eq!(saved.version, ivan.version + 1);
    assert_eq!(
        update_client(&c.t.db, &admin, update(ivan.version), t0()).await,
        Err(AppError::Conflict {
            current_version: saved.version
        })
    );
}

#[tokio::test]
async fn the_list_searches_filters_and_pages_and_restricted_users_see_their_own() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let courier = c.t.user("courier@bank.ru", Role::Restricted, vec![]).await;
    let employee =
        c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    // The conveyor's deal helper creates "Ivan Petrov" for a deal the courier is
    // responsible for.
    let deal = c.deal(&courier).await;
    let ivan = deal.client.clone().unwrap();
    for n in 0..PAGE_SIZE + 5 {
        create_client(
            &c.t.db,
            &admin,
            new(ClientDraft {
                tags: if n % 2 == 0 {
                    vec!["even".into()]
                } else {
                    vec![]
                },
                ..person(&format!("Client {n:03}"), &format!("+7 901 000-{n:04}"))
            }),
            t0(),
        )
        .await
        .unwrap();
    }
    let list = |actor, filter: ClientListFilter| {
        let db = c.t.db.clone();
        async move { list_clients(&db, &actor, &filter, t0()).await.unwrap() }
    };
    let all = list(admin.clone(), ClientListFilter::default()).await;
    assert_eq!(all.total, PAGE_SIZE + 6);
    assert_eq!(all.rows.len() as u64, PAGE_SIZE);
    assert_eq!(all.rows[0].name, "Client 000");
    let second = list(
        admin.clone(),
        ClientListFilter {
            page: 1,
            ..ClientListFilter::default()
        },
    )
    .await;
    assert_eq!(second.rows.len(), 6);
    assert_eq!(second.rows.last().unwrap().name, "Ivan Petrov");
    assert_eq!(second.rows.last().unwrap().deals, 1);
    // Search by a phone written differently, by e-mail part, by name.
    let by_phone = list(
        admin.clone(),
        ClientListFilter {
            search: Some("8 900 000".into()),
            ..ClientListFilter::default()
        },
    )
    .await;
    assert_eq!(by_phone.rows.len(), 1);
    assert_eq!(by_phone.rows[0].id.0, ivan.id);
    let tagged = list(
        admin.clone(),
        ClientListFilter {
            tag: Some("even".into()),
            search: Some("client 00".into()),
            ..ClientListFilter::default()
        },
    )
    .await;
    assert_eq!(
        tagged
            .rows
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        [
            "Client 000",
            "Client 002",
            "Client 004",
            "Client 006",
            "Client 008"
        ]
    );
    assert_eq!(tagged.tags, vec!["even"]);
    let companies = list(
        admin.clone(),
        ClientListFilter {
            kind: Some(ClientKind::Company),
            ..ClientListFilter::default()
        },
    )
    .await;
    assert_eq!(companies.total, 0);

    // The restricted courier sees only the client of their deal; the employee sees all.
    let courier_actor = c.t.actor(&courier).await;
    let theirs = list(courier_actor.clone(), ClientListFilter::default()).await;
    assert_eq!(theirs.total, 1);
    assert_eq!(theirs.rows[0].id.0, ivan.id);
    let other = all.rows[0].id;
    assert_eq!(
        get_client(&c.t.db, &courier_actor, other).await,
        Err(AppError::NotFound {
            entity: shared::error::Entity::Client
        })
    );
    let employee_actor = c.t.actor(&employee).await;
    assert_eq!(
        list(employee_actor.clone(), ClientListFilter::default())
            .await
            .total,
        PAGE_SIZE + 6
    );
    // The employee may open Ivan's page but not see the courier's deal (it sits with the
    // client managers, not in scoring).
    let page = load_client_page(
        &c.t.db,
        &employee_actor,
        shared::client::ClientId(ivan.id),
        t0(),
    )
    .await
    .unwrap();
    assert!(page.deals.is_empty());
    let page = load_client_page(&c.t.db, &admin, shared::client::ClientId(ivan.id), t0())
        .await
        .unwrap();
    assert_eq!(page.deals.len(), 1);
    assert_eq!(page.deals[0].pipeline_name, "Loans");
}

#[tokio::test]
async fn the_deal_form_edits_the_primary_contacts_and_keeps_the_others() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    let client_id = shared::client::ClientId(deal.client.as_ref().unwrap().id);
    let client = get_client(&c.t.db, &admin, client_id).await.unwrap();
    assert_eq!(client.phones, vec!["+7 900 000-00-00"]);
    let with_more = update_client(
        &c.t.db,
        &admin,
        UpdateClient {
            id: client.id,
            version: client.version,
            client: ClientDraft {
                phones: vec!["+7 900 000-00-00".into(), "+7 900 000-00-99".into()],
                time_zone: Some("Europe/Samara".into()),
                ..client.draft()
            },
            allow_duplicate: false,
            custom: Vec::new(),
        },
        t0(),
    )
    .await
    .unwrap();
    let edited = update_deal(
        &c.t.db,
        &(),
        &admin,
        UpdateDeal {
            deal_id: deal.id,
            version: deal.version,
            title: deal.title.clone(),
            client_name: Some("Ivan P. Petrov".into()),
            client_phone: Some("+7 900 000-00-11".into()),
            client_email: Some("ivan@mail.example".into()),
            amount: deal.amount.clone(),
            responsible: deal.responsible,
            custom: Vec::new(),
        },
        t0(),
    )
    .await
    .unwrap();
    let summary = edited.client.unwrap();
    assert_eq!(summary.time_zone.as_deref(), Some("Europe/Samara"));
    let client = get_client(&c.t.db, &admin, client_id).await.unwrap();
    assert_eq!(client.name, "Ivan P. Petrov");
    assert_eq!(client.phones, vec!["+7 900 000-00-11", "+7 900 000-00-99"]);
    assert_eq!(client.emails, vec!["ivan@mail.example"]);
    assert_eq!(client.version, with_more.version + 1);
    assert_eq!(
        client_contacts::Entity::find()
            .count(&c.t.db)
            .await
            .unwrap(),
        3
    );
}

#[tokio::test]
async fn a_deal_can_be_for_an_existing_client_the_creator_may_see() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let courier = c.t.user("courier@bank.ru", Role::Restricted, vec![]).await;
    let company = create_client(
        &c.t.db,
        &admin,
        new(ClientDraft {
            kind: ClientKind::Company,
            ..person("Volga Logistics", "+7 846 300-20-00")
        }),
        t0(),
    )
    .await
    .unwrap();
    let deal = |client| shared::deal::NewDeal {
        pipeline_id: c.pipeline.id,
        title: "Fleet leasing".into(),
        client_name: Some("ignored when a client is named".into()),
        client_phone: None,
        client_email: None,
        amount: None,
        responsible: None,
        client: Some(client),
        custom: Vec::new(),
    };
    let before = client_count(&c).await;
    let created = shared::deal::service::create_deal(&c.t.db, &(), &admin, deal(company.id), t0())
        .await
        .unwrap();
    assert_eq!(created.client.as_ref().map(|c| c.id), Some(company.id.0));
    assert_eq!(client_count(&c).await, before, "no new client");
    let page = load_client_page(&c.t.db, &admin, company.id, t0())
        .await
        .unwrap();
    assert_eq!(page.deals.len(), 1);
    // A restricted user cannot attach a deal to a client they cannot see.
    assert_eq!(
        shared::deal::service::create_deal(
            &c.t.db,
            &(),
            &c.t.actor(&courier).await,
            deal(company.id),
            t0()
        )
        .await,
        Err(AppError::NotFound {
            entity: shared::error::Entity::Client
        })
    );
    let page = load_client_page(&c.t.db, &admin, company.id, t0())
        .await
        .unwrap();
    assert_eq!(page.deals.len(), 1);
}
