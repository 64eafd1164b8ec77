"""Activity analysis: is a site's railcar count unusual, since when, after what?

Per observation date the count is compared with a trailing baseline of earlier
dates (max, median, MAD, tail probability) and given a level
(``insufficient-history``, ``normal``, ``elevated``, ``unprecedented``); for the
latest date the onset of the rise is found by change-point detection and linked
to the events just before it. The class mix of a recent window is compared with
the window before it (``mix``), and a group of sites (both sides of a crossing)
can be read as one series (``group``). See docs/analyze.md for the rules and why.
"""

from railwatch.analyze.assessment import (
    LEVELS,
    Assessment,
    DateAssessment,
    LinkedEvent,
    Rules,
    assess,
    assess_site,
)
from railwatch.analyze.baseline import Baseline, Tail, robust_scale, tail_probability
from railwatch.analyze.group import (
    GroupAssessment,
    GroupSeries,
    Pair,
    Part,
    assess_group,
    pair_sites,
)
from railwatch.analyze.mix import (
    MIX_CLASSES,
    ClassShift,
    MixAssessment,
    MixRules,
    Period,
    assess_mix,
    assess_site_mix,
    day_mix,
)
from railwatch.analyze.onset import Onset, find_onset
from railwatch.analyze.series import MAX_CLOUD, Candidate, DayValue, Sigmas, collect
from railwatch.analyze.timeline import site_timeline, timeline
from railwatch.analyze.window import Window, parse_window

__all__ = [
    "LEVELS",
    "MAX_CLOUD",
    "MIX_CLASSES",
    "ClassShift",
    "GroupAssessment",
    "GroupSeries",
    "MixAssessment",
    "MixRules",
    "Pair",
    "Part",
    "Period",
    "assess_group",
    "assess_mix",
    "assess_site_mix",
    "day_mix",
    "pair_sites",
    "Assessment",
    "Baseline",
    "Candidate",
    "DateAssessment",
    "DayValue",
    "LinkedEvent",
    "Onset",
    "Rules",
    "Sigmas",
    "Tail",
    "Window",
    "assess",
    "assess_site",
    "collect",
    "site_timeline",
    "timeline",
    "find_onset",
    "parse_window",
    "robust_scale",
    "tail_probability",
]
