//! The `clients`, `client_contacts` and `client_tags` tables.

pub mod clients {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "clients")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub kind: String,
        pub name: String,
        /// The primary phone (the first of `client_contacts`), for board cards and search.
        pub phone: Option<String>,
        /// The primary e-mail, likewise.
        pub email: Option<String>,
        pub created_at: DateTimeUtc,
        pub company_id: Option<i32>,
        /// Normalised (`normalize_tax_id`).
        pub tax_id: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub address: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub notes: Option<String>,
        pub responsible_user_id: Option<i32>,
        pub time_zone: Option<String>,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod client_contacts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "client_contacts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub client_id: i32,
        /// `phone`, `email` or `messenger`.
        pub kind: String,
        pub value: String,
        /// `normalize_contact(kind, value)`: what duplicates are found by.
        pub normalized: String,
        pub position: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod client_tags {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "client_tags")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_id: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tag: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
