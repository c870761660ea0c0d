//! The `tasks` table.

pub mod tasks {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tasks")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub title: String,
        pub due_at: DateTimeUtc,
        pub assignee_user_id: i32,
        pub deal_id: Option<i32>,
        pub client_id: Option<i32>,
        pub created_by_user_id: Option<i32>,
        pub created_at: DateTimeUtc,
        pub done_at: Option<DateTimeUtc>,
        pub done_by_user_id: Option<i32>,
        /// When the due-time reminder went out; `None` until then.
        pub reminded_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
