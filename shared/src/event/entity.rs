//! The `events` table (append-only: the database refuses UPDATE and DELETE) and the
//! `event_consumers` cursors.

pub mod events {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub kind: String,
        pub subject_kind: String,
        pub subject_id: i64,
        pub actor_kind: String,
        pub actor_user_id: Option<i32>,
        pub actor_label: Option<String>,
        pub occurred_at: DateTimeUtc,
        /// `Audience` as JSON.
        pub audience: String,
        /// `EventData` as JSON (its public shape).
        pub payload: String,
        /// How many rule runs deep in a chain the change was made (0 by anyone else).
        pub chain_depth: i32,
        /// The rule that made the change.
        pub actor_rule_id: Option<i32>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod event_consumers {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_consumers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub last_event_id: i64,
        /// Who reads for this consumer now, and until when (another server takes over
        /// after the lease).
        pub leased_by: Option<String>,
        pub leased_until: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
