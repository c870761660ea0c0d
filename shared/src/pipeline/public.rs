//! Pipelines and stages in the REST API's public shapes (v1).

use serde::{Deserialize, Serialize};

use super::{PipelineView, StageKind, StageView};

/// A pipeline with its stages in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiPipeline {
    pub id: i32,
    pub name: String,
    pub stages: Vec<ApiStage>,
}

/// A stage: its department, its SLA and whether it closes a deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiStage {
    pub id: i32,
    pub name: String,
    /// 0-based order within the pipeline.
    pub position: i32,
    /// `open`, `won`, `lost` or `archive`.
    pub kind: String,
    pub department_id: Option<i32>,
    pub sla_seconds: Option<i64>,
    /// `#rrggbb`.
    pub color: String,
}

impl From<PipelineView> for ApiPipeline {
    fn from(pipeline: PipelineView) -> Self {
        ApiPipeline {
            id: pipeline.id.0,
            name: pipeline.name,
            stages: pipeline.stages.into_iter().map(ApiStage::from).collect(),
        }
    }
}

impl From<StageView> for ApiStage {
    fn from(stage: StageView) -> Self {
        let kind = match stage.kind {
            StageKind::Open => "open",
            StageKind::Won => "won",
            StageKind::Lost => "lost",
            StageKind::Archive => "archive",
        };
        ApiStage {
            id: stage.id.0,
            name: stage.name,
            position: stage.position,
            kind: kind.to_owned(),
            department_id: stage.department_id.map(|d| d.0),
            sla_seconds: stage.sla_seconds,
            color: stage.color,
        }
    }
}
