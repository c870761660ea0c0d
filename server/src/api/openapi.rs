//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers' annotations and the
//! `shared` types they take and return.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{clients, deals, documents, events, fields, notes, people, pipelines, tasks};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Konveyer CRM API",
        version = "1",
        description = "Deals, clients, documents, tasks, pipelines, people and the event log of Konveyer CRM. Call with an API \
            token (`Authorization: Bearer kvt_…`) created under the account menu; it acts as \
            its user, within its scopes. Lists page by an opaque cursor. Errors are \
            `application/problem+json` with a stable `code`."
    ),
    paths(
        deals::list,
        deals::create,
        deals::get,
        deals::update,
        deals::move_deal,
        deals::transitions,
        notes::conclusions,
        notes::add_conclusion,
        notes::add_comment,
        notes::deal_comments,
        notes::client_comments,
        fields::deal_values,
        fields::client_values,
        fields::custom_fields,
        documents::of_deal,
        documents::upload_to_deal,
        documents::of_client,
        documents::upload_to_client,
        documents::content,
        tasks::mine,
        tasks::of_deal,
        tasks::create,
        tasks::done,
        clients::list,
        clients::create,
        clients::get,
        clients::update,
        clients::contacts,
        people::users,
        people::departments,
        pipelines::list,
        pipelines::get,
        events::list,
    ),
    modifiers(&BearerToken),
    security(("token" = [])),
    tags(
        (name = "deals", description = "Deals: the applications moving through a pipeline."),
        (name = "clients", description = "Clients: companies and persons with their contacts."),
        (name = "people", description = "Users and departments."),
        (name = "pipelines", description = "Pipelines and their stages."),
        (name = "tasks", description = "Tasks with their reminders."),
        (name = "documents", description = "Documents of deals and clients, with every version."),
        (name = "events", description = "The event log, for systems that poll."),
    )
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("kvt_…")
                    .build(),
            ),
        );
    }
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
