//! Administration: users, departments, pipelines, custom fields, automation, webhooks,
//! background jobs and the audit log.

pub mod audit;
pub mod automation;
pub mod departments;
pub mod fields;
pub mod jobs;
pub mod pipelines;
pub mod users;
pub mod webhooks;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Outlet};

use crate::i18n::*;

#[component]
pub fn AdminLayout() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=move || t_string!(i18n, admin.title).to_string() />
        <section class="page">
            <header class="page-head">
                <h1>{t!(i18n, admin.title)}</h1>
            </header>
            <nav class="tabs" aria-label=move || t_string!(i18n, admin.tabs).to_string()>
                <A href="/admin/users">{t!(i18n, admin.users)}</A>
                <A href="/admin/departments">{t!(i18n, admin.departments)}</A>
                <A href="/admin/pipelines">{t!(i18n, pipelines.title)}</A>
                <A href="/admin/fields">{t!(i18n, custom.title)}</A>
                <A href="/admin/automation">{t!(i18n, admin.automation)}</A>
                <A href="/admin/webhooks">{t!(i18n, admin.webhooks)}</A>
                <A href="/admin/jobs">{t!(i18n, admin.jobs)}</A>
                <A href="/admin/audit">{t!(i18n, admin.audit)}</A>
            </nav>
            <Outlet />
        </section>
    }
}
