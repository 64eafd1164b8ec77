"""Review: an analyst corrects the detector's boxes on an image, and the counts follow.

``save_review`` keeps every save (who, when, what); a reviewed image yields
``analyst`` observations that the analysis prefers to the detector's; ``export``
writes reviewed images and labels in the layout ``train``/``evaluate`` read.
"""

from railwatch.review.export import export
from railwatch.review.service import (
    complete_review,
    counts,
    get_review,
    history,
    list_reviews,
    next_unreviewed,
    save_review,
)

__all__ = [
    "complete_review",
    "counts",
    "export",
    "get_review",
    "history",
    "list_reviews",
    "next_unreviewed",
    "save_review",
]
