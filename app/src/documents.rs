//! The documents section of the deal and client cards: upload several files at once
//! (drag and drop, or the phone's file picker) with a category, a new version of a
//! document, previews of images and PDFs, and every version to download. The forms post
//! straight to `/api/documents`, so they work before the page has hydrated too.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::document::{CATEGORIES, DocumentCategory, DocumentView, Preview, VersionView};
use shared::timeline::Subject;

use crate::i18n::*;
use crate::moment::moment;

fn subject_value(subject: Subject) -> String {
    match subject {
        Subject::Deal(deal) => format!("deal:{}", deal.0),
        Subject::Client(client) => format!("client:{}", client.0),
    }
}

/// A category's name: a built-in one in the current language, or the admin's name for it.
pub fn category_label(
    i18n: leptos_i18n::I18nContext<Locale>,
    category: &str,
    custom: &[DocumentCategory],
) -> String {
    if let Some(named) = custom.iter().find(|c| c.code() == category) {
        return named.name.clone();
    }
    match category {
        "passport" => t_string!(i18n, documents.passport),
        "financial_statements" => t_string!(i18n, documents.financial_statements),
        "contract" => t_string!(i18n, documents.contract),
        _ => t_string!(i18n, documents.other),
    }
    .to_string()
}

/// `12.3 KB`, `4.0 MB`.
fn format_size(bytes: i64) -> String {
    let bytes = bytes as f64;
    if bytes < 1024.0 {
        format!("{bytes} B")
    } else if bytes < 1024.0 * 1024.0 {
        format!("{:.1} KB", bytes / 1024.0)
    } else {
        format!("{:.1} MB", bytes / 1024.0 / 1024.0)
    }
}

/// The limit a redirect names when it does not say: the server's default.
const DEFAULT_UPLOAD_LIMIT_BYTES: u64 = 25 * 1024 * 1024;

/// The message for `?upload_error=` (and `&upload_limit=` in bytes) after a failed upload.
fn upload_error_text(
    i18n: leptos_i18n::I18nContext<Locale>,
    code: &str,
    limit: Option<String>,
) -> String {
    let err = match code {
        "upload.too_large" => shared::AppError::TooLarge {
            max_bytes: limit
                .and_then(|bytes| bytes.parse().ok())
                .unwrap_or(DEFAULT_UPLOAD_LIMIT_BYTES),
        },
        "record.not_found" => shared::AppError::NotFound {
            entity: shared::error::Entity::Document,
        },
        "validation.failed" => {
            shared::AppError::validation(shared::Field::File, shared::Rule::Required)
        }
        _ => shared::AppError::Internal,
    };
    crate::errors::error_message(i18n, &err)
}

/// A drop on the zone puts the files into the form's file input and sends the form.
#[cfg(feature = "hydrate")]
fn submit_dropped(ev: leptos::ev::DragEvent) {
    use wasm_bindgen::JsCast;
    ev.prevent_default();
    let Some(files) = ev.data_transfer().and_then(|t| t.files()) else {
        return;
    };
    let Some(zone) = ev
        .current_target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    let Some(form) = zone
        .closest("form")
        .ok()
        .flatten()
        .and_then(|f| f.dyn_into::<web_sys::HtmlFormElement>().ok())
    else {
        return;
    };
    if let Some(input) = form
        .query_selector("input[type=file]")
        .ok()
        .flatten()
        .and_then(|i| i.dyn_into::<web_sys::HtmlInputElement>().ok())
    {
        input.set_files(Some(&files));
        let _ = form.request_submit();
    }
}

#[component]
pub fn DocumentsSection(
    subject: Subject,
    documents: Vec<DocumentView>,
    /// The admins' categories (removed ones too, for the documents filed under them).
    categories: Vec<DocumentCategory>,
) -> impl IntoView {
    let i18n = use_i18n();
    let categories = StoredValue::new(categories);
    let query = use_query_map();
    let upload_error = move || query.read().get("upload_error");
    let dragging = RwSignal::new(false);
    view! {
        <section class="card documents" id="documents" aria-labelledby="documents-title">
            <h2 id="documents-title">{t!(i18n, documents.title)}</h2>
            {move || upload_error().map(|code| view! {
                <p class="form-error" role="alert">{upload_error_text(i18n, &code, query.read().get("upload_limit"))}</p>
            })}
            <form class="form upload-form" method="post" action="/api/documents" enctype="multipart/form-data"
                aria-label=move || t_string!(i18n, documents.upload).to_string()>
                <input type="hidden" name="subject" value=subject_value(subject) />
                <div class="field-row">
                    <label class="field">
                        <span>{t!(i18n, documents.category)}</span>
                        <select name="category">
                            {CATEGORIES.into_iter().map(|c| view! { <option value=c>{move || category_label(i18n, c, &[])}</option> }).collect_view()}
                            {categories.get_value().into_iter().filter(|c| c.active).map(|c| view! {
                                <option value=c.code()>{c.name.clone()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="field drop-zone" class:dragging=move || dragging.get()
                        on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                        on:dragleave=move |_| dragging.set(false)
                        on:drop=move |ev: leptos::ev::DragEvent| {
                            dragging.set(false);
                            #[cfg(feature = "hydrate")]
                            submit_dropped(ev);
                            #[cfg(not(feature = "hydrate"))]
                            let _ = ev;
                        }>
                        <span>{t!(i18n, documents.files)}</span>
                        <input type="file" name="file" multiple required />
                        <small class="muted">{t!(i18n, documents.drop)}</small>
                    </label>
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-small btn-primary">{t!(i18n, documents.upload)}</button>
                </div>
            </form>
            {if documents.is_empty() {
                view! { <p class="muted">{t!(i18n, documents.none)}</p> }.into_any()
            } else {
                view! {
                    <ul class="document-list">
                        {documents.into_iter().map(|d| view! { <Document document=d subject categories=categories.get_value() /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Document(
    document: DocumentView,
    subject: Subject,
    categories: Vec<DocumentCategory>,
) -> impl IntoView {
    let i18n = use_i18n();
    let latest = document.versions.first().cloned();
    let count = document.versions.len();
    let category = document.category.clone();
    let name = document.name.clone();
    view! {
        <li class="document">
            <div class="document-head">
                <strong class="document-name">{document.name.clone()}</strong>
                <span class="badge badge-soft">{move || category_label(i18n, &category, &categories)}</span>
            </div>
            {latest.map(|v| view! { <VersionPreview version=v name=name.clone() /> })}
            <details class="versions">
                <summary>{t!(i18n, documents.versions, count = count)}</summary>
                <ol class="version-list">
                    {document.versions.iter().map(|v| {
                        let number = v.number;
                        view! {
                        <li>
                            <a href=format!("/files/{}", v.id) download="" rel="external">{move || t_string!(i18n, documents.version, number = number).to_string()} " · " {v.file_name.clone()}</a>
                            <span class="muted small">
                                " · " {format_size(v.size_bytes)} " · " {v.content_type.clone()} " · "
                                {v.uploaded_by_name.clone().unwrap_or_default()} " · " {moment(v.uploaded_at)}
                            </span>
                        </li>
                    }}).collect_view()}
                </ol>
                <form class="version-form" method="post" action="/api/documents" enctype="multipart/form-data">
                    <input type="hidden" name="subject" value=subject_value(subject) />
                    <input type="hidden" name="document" value=document.id.0.to_string() />
                    <label class="field">
                        <span>{t!(i18n, documents.new_version)}</span>
                        <input type="file" name="file" required />
                    </label>
                    <button type="submit" class="btn btn-small">{t!(i18n, documents.upload)}</button>
                </form>
            </details>
        </li>
    }
}

#[component]
fn VersionPreview(version: VersionView, name: String) -> impl IntoView {
    let i18n = use_i18n();
    let inline = format!("/files/{}?inline=1", version.id);
    let label = move || t_string!(i18n, documents.preview, name = name.clone()).to_string();
    let link = inline.clone();
    match version.preview {
        Preview::Image => view! {
            <a href=link target="_blank" rel="noopener external" class="preview">
                <img src=inline alt=label loading="lazy" />
            </a>
        }
        .into_any(),
        Preview::Pdf => view! {
            <iframe class="preview pdf" src=inline title=label></iframe>
        }
        .into_any(),
        Preview::None => view! {
            <a class="file-icon" href=format!("/files/{}", version.id) download="" rel="external">
                <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                    <path d="M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8zM14 3v5h5" />
                </svg>
                <span>{version.file_name.clone()}</span>
                <span class="muted small">{format_size(version.size_bytes)} " · " {version.content_type.clone()}</span>
            </a>
        }
        .into_any(),
    }
}
