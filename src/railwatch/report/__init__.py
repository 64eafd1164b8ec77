"""The analyst report: what the analysis found about a site, in the form analysts publish.

A key judgment in estimative words no stronger than the evidence, the chart of
counts against the baseline, annotated imagery, the table of counts, the press
cross-check and the caveats, in English or French, as self-contained HTML, PDF
and Markdown. :func:`write` is the entry point the CLI and the web app share.
"""

from railwatch.report.document import (
    FORMATS,
    ReportResult,
    judge,
    md_escape,
    parse_formats,
    write,
)
from railwatch.report.judgment import Judgment, caveats, judgment
from railwatch.report.model import ReportData, build

__all__ = [
    "FORMATS",
    "Judgment",
    "ReportData",
    "ReportResult",
    "build",
    "caveats",
    "judge",
    "judgment",
    "md_escape",
    "parse_formats",
    "write",
]
