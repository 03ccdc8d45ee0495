"""The pipeline: inbox, protection at the door, reassembly, reconciliation, and storing what was received."""

from openpiu.pipeline.ingest import (
    OUT_OF_SCOPE,
    Ingestor,
    IngestResult,
    IngestStore,
    Prepared,
    expire_series,
    ingest,
    prepare,
    reprocess,
    resume,
)
from openpiu.pipeline.reconcile import match_api_persons

__all__ = [
    "OUT_OF_SCOPE",
    "IngestResult",
    "IngestStore",
    "Ingestor",
    "Prepared",
    "expire_series",
    "ingest",
    "match_api_persons",
    "prepare",
    "reprocess",
    "resume",
]
