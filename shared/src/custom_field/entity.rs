//! The `custom_fields` and `custom_values` tables.

pub mod custom_fields {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "custom_fields")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        /// `RecordKind::as_str`.
        pub entity: String,
        pub pipeline_id: Option<i32>,
        pub label: String,
        /// `CustomFieldKind::as_str`.
        pub kind: String,
        /// One option per line.
        #[sea_orm(column_type = "Text")]
        pub options: String,
        pub currency: Option<String>,
        pub group_name: String,
        pub position: i32,
        pub required: bool,
        pub help: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod custom_values {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "custom_values")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub field_id: i32,
        pub deal_id: Option<i32>,
        pub client_id: Option<i32>,
        #[sea_orm(column_type = "Text")]
        pub value: String,
        #[sea_orm(column_type = "Double", nullable)]
        pub number_value: Option<f64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
