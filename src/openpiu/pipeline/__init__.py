"""The pipeline: inbox, protection at the door, reassembly, reconciliation, and storing what was received.

What needs the store (the `Ingestor` and its short forms) is imported on first use, so that a process that
only reads messages (`openpiu.pipeline.reading`, the ingest's reader processes) never loads the database
layer.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from openpiu.pipeline.reading import Prepared, prepare

if TYPE_CHECKING:
    from openpiu.pipeline.ingestor import (
        OUT_OF_SCOPE,
        Ingestor,
        IngestResult,
        IngestStore,
        expire_series,
        ingest,
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

_LATER = {
    "OUT_OF_SCOPE": "openpiu.pipeline.ingestor",
    "Ingestor": "openpiu.pipeline.ingestor",
    "IngestResult": "openpiu.pipeline.ingestor",
    "IngestStore": "openpiu.pipeline.ingestor",
    "expire_series": "openpiu.pipeline.ingestor",
    "ingest": "openpiu.pipeline.ingestor",
    "reprocess": "openpiu.pipeline.ingestor",
    "resume": "openpiu.pipeline.ingestor",
    "match_api_persons": "openpiu.pipeline.reconcile",
}


def __getattr__(name: str) -> Any:
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)
