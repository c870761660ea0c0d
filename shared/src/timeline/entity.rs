//! The append-only `field_changes` and `comments` tables.

pub mod field_changes {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "field_changes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub deal_id: Option<i32>,
        pub client_id: Option<i32>,
        /// `Field::as_str`.
        pub field: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub old_value: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub new_value: Option<String>,
        pub actor_user_id: Option<i32>,
        /// A rule's or token's name when no person acted.
        pub actor_label: Option<String>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod comments {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "comments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub deal_id: Option<i32>,
        pub client_id: Option<i32>,
        pub author_user_id: Option<i32>,
        /// An author that is not a person ("Rule: …", "API: …").
        pub author_label: Option<String>,
        #[sea_orm(column_type = "Text")]
        pub text: String,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
