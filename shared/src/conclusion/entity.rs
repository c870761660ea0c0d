//! The `conclusions` table: append-only; the database refuses updates and deletes.

pub mod conclusions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "conclusions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub deal_id: i32,
        pub department_id: i32,
        pub author_user_id: Option<i32>,
        pub verdict: String,
        #[sea_orm(column_type = "Text")]
        pub text: String,
        pub supersedes_id: Option<i32>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
