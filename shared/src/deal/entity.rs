//! The `deals` table.

pub mod deals {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "deals")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub title: String,
        pub client_id: Option<i32>,
        /// Minor units (kopecks, cents).
        pub amount_minor: Option<i64>,
        pub currency: String,
        pub responsible_user_id: Option<i32>,
        pub pipeline_id: i32,
        pub stage_id: i32,
        pub stage_entered_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
