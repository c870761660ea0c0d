//! The `pipelines`, `stages` and `allowed_moves` tables.

pub mod pipelines {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "pipelines")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod stages {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "stages")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub pipeline_id: i32,
        pub name: String,
        pub color: String,
        pub position: i32,
        pub department_id: Option<i32>,
        pub sla_seconds: Option<i64>,
        /// Comma-separated `DealField` codes.
        pub required_fields: String,
        /// Comma-separated custom field ids.
        pub required_custom_fields: String,
        pub kind: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod allowed_moves {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "allowed_moves")]
    pub struct Model {
        pub pipeline_id: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub from_stage_id: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub to_stage_id: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
