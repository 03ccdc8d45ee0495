"""Protection at the door: the Annex I whitelist and the sensitive-data filter, as pure functions.

* `SensitivePolicy` - the versioned list of sensitive SSR/OSI codes and free-text terms, and the Annex I
  rule for general remarks; loadable from a settings mapping.
* `protect_push` - a `PnrPush` without sensitive items and non-Annex I remarks, plus `Removals` (counts
  by code, never content).
* `sensitive_spans` / `blank_segments` - the same removal on the raw EDIFACT bytes that are stored.

Imports only `model` (DESIGN.md, "Packages"): the caller passes the EDIFACT reader's segments in.
"""

from openpiu.protection.filter import (
    DEFAULT_POLICY,
    Removals,
    history_removal,
    merge_removals,
    protect_push,
    remark_removal,
    service_removal,
)
from openpiu.protection.policy import (
    DEFAULT_ANNEX_REMARK_KINDS,
    DEFAULT_CODES,
    DEFAULT_MINOR_TERMS,
    DEFAULT_STRUCTURED_CODES,
    DEFAULT_TERMS,
    DEFAULT_VERSION,
    PolicyError,
    SensitivePolicy,
)
from openpiu.protection.raw import (
    SegmentLike,
    ServiceCharsLike,
    blank_segments,
    segment_removal,
    segment_span,
    sensitive_spans,
)
from openpiu.protection.scope import (
    EU_MEMBER_STATES,
    EVERY_FLIGHT,
    NotifiedScope,
    ScopeError,
    ScopeVersion,
    load_scope,
    scope_from,
)
from openpiu.protection.xml import sensitive_xml_spans

__all__ = [
    "DEFAULT_ANNEX_REMARK_KINDS",
    "DEFAULT_CODES",
    "DEFAULT_MINOR_TERMS",
    "DEFAULT_POLICY",
    "DEFAULT_STRUCTURED_CODES",
    "DEFAULT_TERMS",
    "DEFAULT_VERSION",
    "EU_MEMBER_STATES",
    "EVERY_FLIGHT",
    "NotifiedScope",
    "PolicyError",
    "Removals",
    "ScopeError",
    "ScopeVersion",
    "SegmentLike",
    "SensitivePolicy",
    "ServiceCharsLike",
    "blank_segments",
    "history_removal",
    "load_scope",
    "merge_removals",
    "protect_push",
    "remark_removal",
    "scope_from",
    "segment_removal",
    "segment_span",
    "sensitive_spans",
    "sensitive_xml_spans",
    "service_removal",
]
