"""Press reports: read them in any of several languages, extract what they claim,
group reports of the same event and show where their sources agree and differ.

Counts a report gives for a site on a known imagery date become ``press``
observations, so the analysis can set them beside the imagery.
"""

from railwatch.press.claims import extract_claims
from railwatch.press.records import (
    Claim,
    Comparison,
    Document,
    EventGroup,
    Ingested,
    Slot,
    SlotValue,
)
from railwatch.press.service import (
    compare,
    get_document,
    ingest,
    list_documents,
    parse_published,
    sample_reports,
)

__all__ = [
    "Claim",
    "Comparison",
    "Document",
    "EventGroup",
    "Ingested",
    "Slot",
    "SlotValue",
    "compare",
    "extract_claims",
    "get_document",
    "ingest",
    "list_documents",
    "parse_published",
    "sample_reports",
]
