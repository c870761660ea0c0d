//! The `transitions` table: the append-only ledger of moves. Code only ever inserts; the
//! database refuses updates and deletes.

pub mod transitions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "transitions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub deal_id: i32,
        pub pipeline_id: i32,
        pub from_stage_id: Option<i32>,
        pub to_stage_id: i32,
        pub from_stage_name: Option<String>,
        pub to_stage_name: String,
        pub from_department_id: Option<i32>,
        pub to_department_id: Option<i32>,
        pub actor_user_id: Option<i32>,
        /// A rule's or token's name when no person acted.
        pub actor_label: Option<String>,
        pub at: DateTimeUtc,
        #[sea_orm(column_type = "Text")]
        pub comment: String,
        pub is_return: bool,
        pub seconds_in_from: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
