//! The in-process event bus and the live stream (`GET /api/events`, server-sent events).
//! Each subscriber receives only events about deals its user may see, and a
//! `notification` event when they get a new notification. Fanning out between
//! server instances (PostgreSQL LISTEN/NOTIFY) is a later step.

use std::convert::Infallible;
use std::time::Duration;

use app::backend::Identity;
use axum::Extension;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use shared::AppError;
use shared::event::{DealEvent, EventSink};
use shared::user::UserId;
use tokio::sync::broadcast;

use crate::error::ApiError;

/// What travels on the bus.
#[derive(Clone, Debug)]
pub enum LiveMessage {
    Deal(DealEvent),
    /// This user has a new notification.
    Notification(UserId),
}

/// Fans events out to every open stream in this process.
#[derive(Clone, Debug)]
pub struct EventBus {
    sender: broadcast::Sender<LiveMessage>,
}

impl Default for EventBus {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(1024);
        EventBus { sender }
    }
}

impl EventBus {
    pub fn subscribe(&self) -> broadcast::Receiver<LiveMessage> {
        self.sender.subscribe()
    }
}

impl EventSink for EventBus {
    fn publish(&self, event: DealEvent) {
        // No subscribers is not an error: nobody has a board open.
        let _ = self.sender.send(LiveMessage::Deal(event));
    }

    fn notify(&self, user: UserId) {
        let _ = self.sender.send(LiveMessage::Notification(user));
    }
}

/// `GET /api/events`: the signed-in user's live stream of deal events.
pub async fn stream(
    State(bus): State<EventBus>,
    identity: Option<Extension<Identity>>,
) -> Response {
    let Some(Extension(identity)) = identity else {
        return ApiError(AppError::Unauthenticated).into_response();
    };
    Sse::new(visible_events(bus.subscribe(), identity))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn visible_events(
    receiver: broadcast::Receiver<LiveMessage>,
    identity: Identity,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(
        (receiver, identity),
        |(mut receiver, identity)| async move {
            loop {
                match receiver.recv().await {
                    Ok(LiveMessage::Deal(event)) if event.visible_to(&identity.actor) => {
                        let data = serde_json::to_string(&event).unwrap_or_default();
                        return Some((
                            Ok(Event::default().event("deal").data(data)),
                            (receiver, identity),
                        ));
                    }
                    Ok(LiveMessage::Notification(user)) if identity.actor.user_id == Some(user) => {
                        return Some((
                            Ok(Event::default().event("notification").data("{}")),
                            (receiver, identity),
                        ));
                    }
                    Ok(_) => continue,
                    // A slow client missed some events: tell it to reload everything.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        return Some((
                            Ok(Event::default().event("reload").data("{}")),
                            (receiver, identity),
                        ));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    )
}
