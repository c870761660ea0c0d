//! The automation tables (migration `m20261202_000024`).

pub mod automation_rules {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "automation_rules")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
        pub pipeline_id: i32,
        pub enabled: bool,
        pub retrigger_self: bool,
        pub current_version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod automation_rule_versions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "automation_rule_versions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub rule_id: i32,
        pub version: i32,
        pub name: String,
        /// `RuleDefinition` as JSON.
        #[sea_orm(column_type = "Text")]
        pub definition: String,
        pub created_by: Option<i32>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod automation_runs {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "automation_runs")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub rule_id: i32,
        pub rule_version: i32,
        /// The event that started it (none for a dry run's record).
        pub event_id: Option<i64>,
        pub deal_id: i32,
        /// The trigger's event kind, or `time_in_stage`.
        pub trigger: String,
        /// `RunState::as_str`.
        pub state: String,
        pub depth: i32,
        /// The next action to do.
        pub step: i32,
        /// `Vec<LogEntry>` as JSON.
        #[sea_orm(column_type = "Text")]
        pub log: String,
        /// What the run's steps so far picked (`RunContext` as JSON), for the next ones.
        #[sea_orm(column_type = "Text")]
        pub context: String,
        /// A time-in-stage run: the stage and the entry it waits on.
        pub wait_stage_id: Option<i32>,
        pub wait_entered_at: Option<DateTimeUtc>,
        /// When its job is due.
        pub due_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub finished_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod automation_turns {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "automation_turns")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub rule_id: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub department_id: i32,
        pub last_user_id: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
