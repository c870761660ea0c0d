//! The `sessions` table.

pub mod sessions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// Copied out of `data` so that a user's sessions can be ended together.
        pub user_id: Option<i32>,
        #[sea_orm(column_type = "Text")]
        pub data: String,
        pub expires_at: DateTimeUtc,
        /// The sign-in, the last request (to the minute), the browser and the address, as
        /// the session's data last held them.
        pub signed_in_at: Option<DateTimeUtc>,
        pub last_seen_at: Option<DateTimeUtc>,
        pub user_agent: Option<String>,
        pub address: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
