"""The pipeline: inbox, protection at the door, and storing what was received."""

from openpiu.pipeline.ingest import PROTECTION_ACTION, IngestResult, ingest

__all__ = ["PROTECTION_ACTION", "IngestResult", "ingest"]
