//! `GET /api/v1/docs`: the API reference, rendered on the server from the OpenAPI document
//! (no scripts, no CDN): every operation with its parameters, body and answers, then every
//! schema with its properties.

use axum::response::Html;
use serde_json::Value;
use utoipa::OpenApi;

use super::ApiDoc;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

pub async fn page() -> Html<String> {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    Html(render(&doc))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escaped prose with its `code` spans (the doc comments' backticks) as `<code>`.
fn prose(text: &str) -> String {
    escape(text)
        .split('`')
        .enumerate()
        .map(|(at, part)| {
            if at % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_owned()
            }
        })
        .collect()
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A schema's type as a reader wants it: `string`, `integer | null`, `ApiDeal[]`, a link
/// for a named schema.
fn type_of(schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("<a href=\"#schema-{0}\">{0}</a>", escape(name));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            return options.iter().map(type_of).collect::<Vec<_>>().join(" | ");
        }
    }
    let kinds: Vec<String> = match schema.get("type") {
        Some(Value::String(kind)) => vec![kind.clone()],
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => vec!["any".to_owned()],
    };
    kinds
        .into_iter()
        .map(|kind| match (kind.as_str(), schema.get("items")) {
            ("array", Some(items)) => format!("{}[]", type_of(items)),
            _ => match schema.get("format").and_then(Value::as_str) {
                Some(format) => format!("{} ({})", escape(&kind), escape(format)),
                None => escape(&kind),
            },
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn content_schema(holder: &Value) -> String {
    holder
        .get("content")
        .and_then(Value::as_object)
        .map(|content| {
            content
                .iter()
                .map(|(mime, media)| {
                    let schema = media.get("schema").map(type_of).unwrap_or_default();
                    format!("{schema} <small>{}</small>", escape(mime))
                })
                .collect::<Vec<_>>()
                .join("<br>")
        })
        .unwrap_or_default()
}

fn render(doc: &Value) -> String {
    let info = &doc["info"];
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Konveyer CRM API v1</title>\
         <link rel=\"stylesheet\" href=\"/pkg/konveyer.css\"></head><body class=\"api-ref\"><main>",
    );
    html.push_str(&format!(
        "<h1>{} <small>v{}</small></h1><p>{}</p>\
         <p><a href=\"/api/v1/openapi.json\">OpenAPI document (JSON)</a></p>",
        escape(text(info, "title")),
        escape(text(info, "version")),
        prose(text(info, "description")),
    ));
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    html.push_str("<nav class=\"api-toc\"><h2>Operations</h2><ul>");
    let mut operations = Vec::new();
    for (path, item) in &paths {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                let anchor = format!("{method}-{path}")
                    .replace(['/', '{', '}'], "-")
                    .replace("--", "-");
                html.push_str(&format!(
                    "<li><a href=\"#{anchor}\"><span class=\"api-method\">{}</span> {}</a> {}</li>",
                    method.to_uppercase(),
                    escape(path),
                    prose(text(op, "summary")),
                ));
                operations.push((anchor, method, path.clone(), op.clone()));
            }
        }
    }
    html.push_str("</ul></nav>");
    for (anchor, method, path, op) in operations {
        html.push_str(&format!(
            "<section class=\"api-op\" id=\"{anchor}\"><h3><span class=\"api-method\">{}</span> \
             <code>{}</code></h3><p>{}</p><p>{}</p>",
            method.to_uppercase(),
            escape(&path),
            prose(text(&op, "summary")),
            prose(text(&op, "description")),
        ));
        if let Some(params) = op.get("parameters").and_then(Value::as_array) {
            html.push_str(
                "<table><thead><tr><th>Parameter</th><th>In</th><th>Type</th><th>About</th></tr>\
                 </thead><tbody>",
            );
            for param in params {
                let required = if param["required"].as_bool() == Some(true) {
                    " <small>required</small>"
                } else {
                    ""
                };
                html.push_str(&format!(
                    "<tr><td><code>{}</code>{required}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(text(param, "name")),
                    escape(text(param, "in")),
                    param.get("schema").map(type_of).unwrap_or_default(),
                    prose(text(param, "description")),
                ));
            }
            html.push_str("</tbody></table>");
        }
        if let Some(body) = op.get("requestBody") {
            html.push_str(&format!("<p>Body: {}</p>", content_schema(body)));
        }
        if let Some(responses) = op.get("responses").and_then(Value::as_object) {
            html.push_str("<table><thead><tr><th>Answer</th><th>Body</th></tr></thead><tbody>");
            for (status, response) in responses {
                html.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td></tr>",
                    escape(status),
                    content_schema(response)
                ));
            }
            html.push_str("</tbody></table>");
        }
        html.push_str("</section>");
    }
    html.push_str("<h2>Schemas</h2>");
    let schemas = doc["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, schema) in &schemas {
        html.push_str(&format!(
            "<section class=\"api-schema\" id=\"schema-{0}\"><h3>{0}</h3><p>{1}</p>",
            escape(name),
            prose(text(schema, "description")),
        ));
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            html.push_str(
                "<table><thead><tr><th>Property</th><th>Type</th><th>About</th></tr></thead><tbody>",
            );
            for (property, about) in properties {
                let mark = if required.contains(&property.as_str()) {
                    " <small>required</small>"
                } else {
                    ""
                };
                html.push_str(&format!(
                    "<tr><td><code>{}</code>{mark}</td><td>{}</td><td>{}</td></tr>",
                    escape(property),
                    type_of(about),
                    prose(text(about, "description")),
                ));
            }
            html.push_str("</tbody></table>");
        } else {
            html.push_str(&format!("<p>Type: {}</p>", type_of(schema)));
        }
        html.push_str("</section>");
    }
    html.push_str("</main></body></html>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_and_schema_is_on_the_page_and_text_is_escaped() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let html = render(&doc);
        for needle in [
            "/api/v1/deals/{id}/move",
            "id=\"schema-ApiDeal\"",
            "id=\"schema-Problem\"",
            "Idempotency-Key",
        ] {
            assert!(html.contains(needle), "{needle}");
        }
        assert_eq!(
            prose("use `If-Match` <b>"),
            "use <code>If-Match</code> &lt;b&gt;"
        );
        assert_eq!(
            escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
    }

    /// Generated clients name their functions by operation id: two alike collide (a typed
    /// client once read the pipelines list as a page of deals).
    #[test]
    fn operation_ids_are_unique() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut ids: Vec<String> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| METHODS.iter().filter_map(|m| item.get(*m)))
            .map(|op| op["operationId"].as_str().unwrap().to_owned())
            .collect();
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "{ids:?}");
    }
}
