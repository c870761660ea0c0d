//! The `webhooks`, `webhook_deliveries` and `webhook_attempts` tables.

pub mod webhooks {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhooks")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub url: String,
        pub description: String,
        /// Event types separated by spaces.
        pub event_types: String,
        pub pipeline_id: Option<i32>,
        /// `whsec_…`: kept as is, since every delivery is signed with it.
        pub secret: String,
        /// The secret a rotation replaced, still signing until `previous_secret_until`.
        pub previous_secret: Option<String>,
        pub previous_secret_until: Option<DateTimeUtc>,
        pub state: String,
        pub state_reason: Option<String>,
        pub owner_user_id: i32,
        /// Events up to this id happened before the subscription: never sent.
        pub after_event_id: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod webhook_deliveries {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub webhook_id: i32,
        pub event_id: i64,
        /// The type sent (`deal.won` for a move into a won stage when that was asked for).
        pub event_type: String,
        /// The record (`deal:12`): a delivery waits for the earlier ones of its lane.
        pub lane: String,
        pub state: String,
        pub attempts: i32,
        pub next_at: DateTimeUtc,
        pub locked_until: Option<DateTimeUtc>,
        pub last_status: Option<i32>,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub delivered_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod webhook_attempts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_attempts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub delivery_id: i64,
        pub attempted_at: DateTimeUtc,
        pub status: Option<i32>,
        pub error: Option<String>,
        pub response_excerpt: String,
        pub duration_ms: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
