//! The one timeline of a deal or a client (moves, field changes, conclusions, comments,
//! newest first, filterable by kind) with the comment box on top: typing `@` offers the
//! colleagues to mention.

use leptos::prelude::*;
use shared::AppError;
use shared::comment::{MentionCandidate, NewComment};
use shared::timeline::{Subject, TimelineDetail, TimelineEntry, TimelineKind};
use shared::user::UserId;

use crate::board::format_duration;
use crate::conclusions::{verdict_class, verdict_label};
use crate::errors::{FormError, field_label};
use crate::i18n::*;
use crate::moment::moment;

#[server(prefix = "/api", endpoint = "add_comment", input = server_fn::codec::Json)]
pub async fn add_comment(comment: NewComment) -> Result<Vec<UserId>, AppError> {
    use crate::backend::{db, events, identity, now};
    let actor = identity()?.actor;
    shared::comment::service::add_comment(&db()?, &events()?, &actor, comment, now()).await
}

#[server(prefix = "/api", endpoint = "mention_candidates", input = server_fn::codec::Json)]
pub async fn mention_candidates() -> Result<Vec<MentionCandidate>, AppError> {
    use crate::backend::{db, identity};
    identity()?;
    shared::comment::service::mention_candidates(&db()?).await
}

fn kind_label(i18n: leptos_i18n::I18nContext<Locale>, kind: Option<TimelineKind>) -> String {
    match kind {
        None => t_string!(i18n, timeline.all),
        Some(TimelineKind::Move) => t_string!(i18n, timeline.moves),
        Some(TimelineKind::Change) => t_string!(i18n, timeline.changes),
        Some(TimelineKind::Conclusion) => t_string!(i18n, timeline.conclusions),
        Some(TimelineKind::Comment) => t_string!(i18n, timeline.comments),
        Some(TimelineKind::Task) => t_string!(i18n, timeline.tasks),
        Some(TimelineKind::Document) => t_string!(i18n, timeline.documents),
    }
    .to_string()
}

/// Field names are lower case for use inside sentences; a line starts with a capital.
fn capitalized(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// The word being typed at the end of `text` if it starts with `@`.
fn mention_prefix(text: &str) -> Option<String> {
    let last = text.rsplit(char::is_whitespace).next()?;
    last.strip_prefix('@').map(str::to_lowercase)
}

#[component]
pub fn Timeline(
    entries: Vec<TimelineEntry>,
    subject: Subject,
    reload: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let shown = RwSignal::new(None::<TimelineKind>);
    let count = |kind: Option<TimelineKind>| {
        entries
            .iter()
            .filter(|e| kind.is_none_or(|k| e.detail.kind() == k))
            .count()
    };
    let counts: Vec<(Option<TimelineKind>, usize)> = std::iter::once(None)
        .chain(TimelineKind::ALL.into_iter().map(Some))
        .map(|kind| (kind, count(kind)))
        .collect();
    let entries = StoredValue::new(entries);
    view! {
        <section class="card timeline" aria-labelledby="timeline-title">
            <h2 id="timeline-title">{t!(i18n, timeline.title)}</h2>
            <CommentBox subject reload />
            <div class="chips timeline-filter" role="group" aria-label=move || t_string!(i18n, timeline.filter).to_string()>
                // Only the kinds this record has, so a client page offers no empty filters.
                {counts.into_iter().filter(|(kind, n)| kind.is_none() || *n > 0).map(|(kind, n)| view! {
                    <button type="button" class="chip" aria-pressed=move || (shown.get() == kind).to_string()
                        on:click=move |_| shown.set(kind)>
                        {move || kind_label(i18n, kind)} " " <span class="count">{n}</span>
                    </button>
                }).collect_view()}
            </div>
            {move || {
                let visible: Vec<TimelineEntry> = entries.with_value(|all| {
                    all.iter()
                        .filter(|e| shown.get().is_none_or(|k| e.detail.kind() == k))
                        .cloned()
                        .collect()
                });
                if visible.is_empty() {
                    view! { <p class="muted">{t!(i18n, timeline.empty)}</p> }.into_any()
                } else {
                    view! {
                        <ol class="history timeline-list">
                            {visible.into_iter().map(|entry| view! { <Entry entry /> }).collect_view()}
                        </ol>
                    }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Entry(entry: TimelineEntry) -> impl IntoView {
    let i18n = use_i18n();
    let when = moment(entry.at);
    let who = entry
        .actor_name
        .clone()
        .unwrap_or_else(|| t_string!(i18n, deal.system).to_string());
    let kind = entry.detail.kind();
    let is_return = matches!(
        entry.detail,
        TimelineDetail::Move {
            is_return: true,
            ..
        }
    );
    let body = match entry.detail {
        TimelineDetail::Move { from, to, is_return, comment, seconds_in_from } => view! {
            <div class="history-line">
                <strong>
                    {match from {
                        Some(from) => format!("{from} → {to}"),
                        None => t_string!(i18n, timeline.created, stage = to).to_string(),
                    }}
                </strong>
                {is_return.then(|| view! { <span class="badge badge-danger">{t!(i18n, deal.returned)}</span> })}
                {seconds_in_from.map(|s| view! { <span class="muted small">{move || t_string!(i18n, deal.spent, time = format_duration(i18n, s)).to_string()}</span> })}
            </div>
            {(!comment.is_empty()).then(|| view! { <p class="history-comment">{comment}</p> })}
        }.into_any(),
        TimelineDetail::Change(change) => {
            let field = change.field;
            let custom_label = change.custom.map(|custom| format!("«{}»", custom.label));
            let old = change.old.unwrap_or_else(|| "—".into());
            let new = change.new.unwrap_or_else(|| "—".into());
            view! {
                <div class="history-line change">
                    {move || capitalized(t_string!(i18n, timeline.changed, field = custom_label.clone().unwrap_or_else(|| field_label(i18n, field)), old = old.clone(), new = new.clone()).to_string())}
                </div>
            }.into_any()
        }
        TimelineDetail::Conclusion { department, verdict, text, corrects } => view! {
            <div class="history-line">
                <strong>{department}</strong>
                <span class=verdict_class(verdict)>{move || verdict_label(i18n, verdict)}</span>
                {corrects.then(|| view! { <span class="muted small">{t!(i18n, timeline.corrects)}</span> })}
            </div>
            <p class="conclusion-text">{text}</p>
        }.into_any(),
        TimelineDetail::Comment { text } => view! { <p class="comment-text">{text}</p> }.into_any(),
        TimelineDetail::Document { name, file_name, version } => view! {
            <div class="history-line">
                <strong>{move || t_string!(i18n, documents.uploaded, name = name.clone(), version = version).to_string()}</strong>
            </div>
            <div class="muted small">{file_name}</div>
        }.into_any(),
        TimelineDetail::Task { title, due_at, assignee, done } => {
            let due = moment(due_at);
            view! {
                <div class="history-line">
                    <strong>
                        {move || if done {
                            t_string!(i18n, tasks.completed, title = title.clone()).to_string()
                        } else {
                            t_string!(i18n, tasks.set, title = title.clone()).to_string()
                        }}
                    </strong>
                </div>
                <div class="muted small">
                    {move || t_string!(i18n, tasks.due_at, time = due.clone()).to_string()} " · "
                    {move || t_string!(i18n, tasks.assigned_to, name = assignee.clone()).to_string()}
                </div>
            }.into_any()
        }
    };
    let kind_class = match kind {
        TimelineKind::Move => "entry-move",
        TimelineKind::Change => "entry-change",
        TimelineKind::Conclusion => "entry-conclusion",
        TimelineKind::Comment => "entry-comment",
        TimelineKind::Task => "entry-task",
        TimelineKind::Document => "entry-document",
    };
    view! {
        <li class=kind_class class:is-return=is_return>
            {entry.deal.map(|(id, title)| view! { <a class="small" href=format!("/deals/{}", id.0)>{title}</a> })}
            {body}
            <div class="muted small">{when} " · " {who}</div>
        </li>
    }
}

#[component]
fn CommentBox(subject: Subject, reload: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let text = RwSignal::new(String::new());
    let candidates = Resource::new(|| (), |()| mention_candidates());
    let action = ServerAction::<AddComment>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            text.set(String::new());
            reload.run(());
        }
    });
    let suggestions = move || {
        let prefix = mention_prefix(&text.get())?;
        let found: Vec<MentionCandidate> = candidates
            .get()
            .and_then(Result::ok)?
            .into_iter()
            .filter(|c| c.handle.starts_with(&prefix) || c.name.to_lowercase().contains(&prefix))
            .take(6)
            .collect();
        (!found.is_empty()).then_some(found)
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(AddComment {
            comment: NewComment {
                subject,
                text: text.get_untracked(),
            },
        });
    };
    view! {
        <form class="form comment-form" novalidate on:submit=submit
            aria-label=move || t_string!(i18n, timeline.comment_label).to_string()>
            <label class="field">
                <span class="sr-only">{t!(i18n, timeline.comment_label)}</span>
                <textarea name="comment" rows="2"
                    placeholder=move || t_string!(i18n, timeline.comment_placeholder).to_string()
                    aria-label=move || t_string!(i18n, timeline.comment_label).to_string()
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            </label>
            <Transition fallback=|| ()>
                {move || suggestions().map(|found| view! {
                    <ul class="mention-list" role="listbox">
                        {found.into_iter().map(|c| {
                            let handle = c.handle.clone();
                            let name = c.name.clone();
                            view! {
                                <li role="option" aria-selected="false">
                                    <button type="button" class="btn-link"
                                        aria-label=move || t_string!(i18n, timeline.mention, name = name.clone()).to_string()
                                        on:click=move |_| text.update(|t| {
                                            let cut = t.rfind('@').unwrap_or(t.len());
                                            t.truncate(cut);
                                            t.push('@');
                                            t.push_str(&handle);
                                            t.push(' ');
                                        })>
                                        {c.name.clone()} " " <span class="muted">"@" {c.handle.clone()}</span>
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })}
            </Transition>
            <FormError error />
            <div class="form-actions">
                <button type="submit" class="btn btn-primary btn-small" disabled=move || action.pending().get()>
                    {t!(i18n, timeline.send)}
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::mention_prefix;

    #[test]
    fn the_word_being_typed_after_an_at_sign_is_the_prefix() {
        assert_eq!(mention_prefix("hello @Ig").as_deref(), Some("ig"));
        assert_eq!(mention_prefix("@").as_deref(), Some(""));
        assert_eq!(mention_prefix("mail a@b"), None);
        assert_eq!(mention_prefix("@igor done"), None);
    }
}
