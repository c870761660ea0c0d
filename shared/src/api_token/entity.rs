//! The `api_tokens` and `api_idempotency` tables.

pub mod api_tokens {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: i32,
        pub name: String,
        /// SHA-256 of the secret, hex: a token is found by it, the secret is never kept.
        pub token_hash: String,
        pub hint: String,
        /// Scope codes separated by spaces (`deals:write events:read`).
        pub scopes: String,
        pub rate_per_minute: i32,
        pub created_by_user_id: i32,
        pub created_at: DateTimeUtc,
        pub expires_at: Option<DateTimeUtc>,
        pub last_used_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod api_idempotency {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_idempotency")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_id: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        /// SHA-256 of the method, path and body the key was first used with.
        pub request_hash: String,
        /// The first answer's status; 0 while the first request is still running.
        pub status: i32,
        /// The first answer's body.
        pub response: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
