"""The key judgment and the caveats, in words no stronger than the evidence.

Pure functions of the anomaly level and the facts behind it, so each wording
can be tested per level and per language. The estimative terms are those of
ICD 203; the strongest the imagery alone can support about a cause is
"likely": a count shows railcars standing at a site, not why they are there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from railwatch.errors import InputError
from railwatch.report.i18n import (
    class_name,
    estimative,
    format_date,
    format_number,
)
from railwatch.report.model import LinkedEvent, ModelInfo

#: The estimative term each level may use about a cause, at most.
TERM_FOR_LEVEL: dict[str, str | None] = {
    "unprecedented": "likely",
    "elevated": "roughly_even_chance",
    "normal": None,
    "insufficient-history": None,
}


@dataclass(frozen=True)
class Judgment:
    """The key judgment: its text, the level it rests on and the estimative term used."""

    level: str | None
    text: str
    term: str | None = None  # key in i18n.ESTIMATIVE_KEYS, when the text uses one


def _counted(count: int, cls: str, lang: str) -> str:
    if lang == "fr":
        verb = "a été compté" if count == 1 else "ont été comptés"
        return f"{count} {class_name(cls, lang, count)} {verb}"
    verb = "was" if count == 1 else "were"
    return f"{count} {class_name(cls, lang, count)} {verb} counted"


def _history(n: int, first: date | None, lang: str) -> str:
    since = f" since {format_date(first, lang)}" if first and lang == "en" else ""
    if lang == "fr":
        since = f" depuis le {format_date(first, lang)}" if first else ""
        return f"des {n} dates d'imagerie antérieures disponibles{since}"
    return f"the {n} earlier dates of imagery on record{since}"


def _rise(event: LinkedEvent, lang: str) -> str:
    """When the rise began relative to the event, as precisely as the imagery allows.

    The onset lies between the day after the last ordinary image and the first
    high one; when that span reaches back before the event, the sentence gives
    the span on both sides of it.
    """
    lo, hi = event.lag_min_days, event.lag_days
    title, day = event.title, format_date(event.day, lang)
    fr = lang == "fr"
    if lo is not None and lo < 0:
        if fr:
            return (
                f"La hausse a commencé entre {-lo} jour{'s' if -lo > 1 else ''} avant et {hi} "
                f"jour{'s' if hi > 1 else ''} après l'événement « {title} » ({day})."
            )
        return (
            f"The rise began between {-lo} day{'s' if -lo > 1 else ''} before and {hi} "
            f"day{'s' if hi > 1 else ''} after “{title}” ({day})."
        )
    if lo is None or lo == hi:
        span = f"{hi} jour{'s' if hi != 1 else ''}" if fr else f"{hi} day{'s' if hi != 1 else ''}"
    else:
        span = f"entre {lo} et {hi} jours" if fr else f"between {lo} and {hi} days"
    if fr:
        return f"La hausse a commencé {span} après l'événement « {title} » ({day})."
    return f"The rise began {span} after “{title}” ({day})."


def _may_predate(event: LinkedEvent | None) -> bool:
    """More likely than not that the rise began before the event.

    The onset is taken as equally likely on any day of its uncertainty span; the
    link is weakened when more of that span lies before the event than after it.
    """
    if event is None or event.lag_min_days is None or event.lag_min_days >= 0:
        return False
    return -event.lag_min_days > event.lag_days


def judgment(
    level: str | None,
    linked_event: LinkedEvent | None = None,
    *,
    lang: str = "en",
    site: str = "the site",
    railcar_class: str = "freight",
    count: int | None = None,
    day: date | None = None,
    prior_max: int | None = None,
    median: float | None = None,
    baseline_n: int = 0,
    baseline_first: date | None = None,
    basis: str = "imagery",
) -> Judgment:
    """Write the key judgment for the latest date.

    Args:
        level: anomaly level of the latest date (``None``: no observation at all).
        linked_event: the dated event the rise followed, if the analysis linked one.
        lang: ``en`` or ``fr``.
        site: the site's name as printed.
        railcar_class: the class or roll-up the counts are of.
        count: the count on the latest date.
        day: the latest date.
        prior_max: the highest count before it.
        median: the median count before it.
        baseline_n: how many earlier dates the baseline rests on.
        baseline_first: the first of them.
        basis: ``imagery``; ``press`` when the latest count is only a press claim, or
            ``clouded`` when it comes from an image too cloudy to be trusted: either
            supports one step less confidence ("roughly even chance").

    Returns:
        The judgment; its ``term`` is the estimative term used, never stronger than
        :data:`TERM_FOR_LEVEL` allows for the level.

    Raises:
        InputError: unknown level or language, or a level without its count.
    """
    if lang not in ("en", "fr"):
        raise InputError(f"report language {lang!r} is not available (choose from en, fr)")
    if level is None:
        if lang == "fr":
            text = (
                f"Aucun comptage de {class_name(railcar_class, lang)} à {site} pour cette "
                "période : rien à juger."
            )
        else:
            text = (
                f"No count of {class_name(railcar_class, lang)} at {site} is on record for "
                "this window; there is nothing to judge."
            )
        return Judgment(None, text)
    if level not in TERM_FOR_LEVEL:
        raise InputError(f"unknown anomaly level {level!r}")
    if count is None or day is None:
        raise InputError(f"a judgment at level {level!r} needs the count and its date")
    fr = lang == "fr"
    if basis not in ("imagery", "press", "clouded"):
        raise InputError(f"unknown basis {basis!r} for a judgment")
    when = format_date(day, lang)
    counted = _counted(count, railcar_class, lang)
    pmax = "—" if prior_max is None else str(prior_max)
    med = "—" if median is None else format_number(median, lang)

    if level == "insufficient-history":
        if fr:
            prior = (
                "aucune date d'imagerie antérieure"
                if baseline_n == 0
                else f"{baseline_n} date{'s' if baseline_n > 1 else ''} "
                f"d'imagerie antérieure{'s' if baseline_n > 1 else ''}"
            )
            only = "que " if baseline_n else ""
            text = (
                f"Impossible de juger : la base ne contient {only}{prior} de {site}, trop peu "
                f"pour savoir ce qui est habituel. {counted[0].upper()}{counted[1:]} le {when}."
            )
        else:
            prior = (
                "no earlier date of imagery"
                if baseline_n == 0
                else f"only {baseline_n} earlier date{'s' if baseline_n > 1 else ''} of imagery"
            )
            text = (
                f"Cannot judge: the store holds {prior} of {site}, too few to know what is "
                f"usual. {counted} on {when}."
            )
        return Judgment(level, _basis_note(text, basis, lang))

    if level == "normal":
        if fr:
            text = (
                f"Rien d'inhabituel : {counted} à {site} le {when}, dans la fourchette "
                f"{_history(baseline_n, baseline_first, lang)} (médiane {med}, maximum {pmax})."
            )
        else:
            text = (
                f"Nothing unusual: {counted} at {site} on {when}, within the range of "
                f"{_history(baseline_n, baseline_first, lang)} (median {med}, maximum {pmax})."
            )
        return Judgment(level, _basis_note(text, basis, lang))

    if level == "elevated":
        term_key = "roughly_even_chance" if linked_event is not None else None
        if fr:
            text = (
                f"{counted[0].upper()}{counted[1:]} à {site} le {when}, au-dessus du niveau "
                f"habituel (médiane {med}) sans dépasser nettement ce qui a déjà été vu "
                f"(maximum antérieur {pmax}). "
            )
            if linked_event is not None:
                text += (
                    f"{_rise(linked_event, lang)} Il y a des "
                    f"{estimative('roughly_even_chance', lang)} que la hausse lui soit liée, et "
                    "elle peut n'être qu'une variation ordinaire."
                )
            else:
                text += (
                    "Il peut s'agir d'une variation ordinaire ; l'imagerie n'en montre pas la "
                    "cause."
                )
        else:
            text = (
                f"{counted[0].upper()}{counted[1:]} at {site} on {when}, above the usual level "
                f"(median {med}) but not clearly beyond what has been seen before (prior "
                f"maximum {pmax}). "
            )
            if linked_event is not None:
                text += (
                    f"{_rise(linked_event, lang)} There is a "
                    f"{estimative('roughly_even_chance', lang)} that the two are connected, and "
                    "the rise may be ordinary variation."
                )
            else:
                text += "This may be ordinary variation; the imagery does not show a cause."
        return Judgment(level, _basis_note(text, basis, lang), term_key)

    # unprecedented. A press-only count, a clouded image, or a rise that may predate
    # the event supports one step less than "likely" about the connection.
    weaker = basis != "imagery" or _may_predate(linked_event)
    ratio = ""
    if prior_max:
        r = format_number(count / prior_max, lang)
        ratio = f", soit {r} fois ce maximum" if fr else f", {r} times that"
    if fr:
        text = (
            f"{counted[0].upper()}{counted[1:]} à {site} le {when}, plus qu'à aucun moment "
            f"{_history(baseline_n, baseline_first, lang)} (maximum antérieur {pmax}{ratio}). "
        )
        if linked_event is not None:
            text += (
                f"{_rise(linked_event, lang)} "
                + (
                    f"Nous jugeons {estimative('likely', lang)} que cette hausse soit liée à "
                    "cet événement"
                    if not weaker
                    else f"Il y a des {estimative('roughly_even_chance', lang)} que cette "
                    "hausse soit liée à cet événement"
                )
                + " ; l'imagerie seule ne montre ni ce que transportent les wagons ni où ils "
                "vont."
            )
        else:
            text += (
                "L'imagerie montre la hausse, pas sa cause ; aucun événement daté de la base ne "
                "la précède d'assez près pour en suggérer une."
            )
    else:
        text = (
            f"{counted[0].upper()}{counted[1:]} at {site} on {when}, more than at any time in "
            f"{_history(baseline_n, baseline_first, lang)} (prior maximum {pmax}{ratio}). "
        )
        if linked_event is not None:
            text += (
                f"{_rise(linked_event, lang)} "
                + (
                    f"We judge it {estimative('likely', lang)} that the surge is connected to "
                    "that event"
                    if not weaker
                    else f"There is a {estimative('roughly_even_chance', lang)} that the surge "
                    "is connected to that event"
                )
                + "; the imagery alone shows neither what the railcars carry nor where they go."
            )
        else:
            text += (
                "The imagery shows the rise, not its cause; no dated event on record precedes "
                "it closely enough to suggest one."
            )
    term = None
    if linked_event is not None:
        term = "roughly_even_chance" if weaker else "likely"
    return Judgment(level, _basis_note(text, basis, lang), term)


def _basis_note(text: str, basis: str, lang: str) -> str:
    if basis == "press":
        if lang == "fr":
            return text + " Ce chiffre vient de la presse ; aucune image de la base ne le mesure."
        return text + " This count is a press claim; no image in the store measures it."
    if basis == "clouded":
        if lang == "fr":
            return text + (
                " Ce chiffre vient d'une image en grande partie nuageuse : les nuages cachent "
                "des wagons et leurs bords peuvent passer pour des wagons."
            )
        return text + (
            " This count comes from an image largely under cloud: cloud hides railcars, and "
            "its edges can pass for them."
        )
    return text


def caveats(
    *,
    lang: str = "en",
    tarped_detections: int = 0,
    tarp_claimed: bool = False,
    models: tuple[ModelInfo, ...] = (),
    gsd_range: tuple[float, float] | None = None,
    methods: frozenset[str] = frozenset(),
    baseline_n: int = 0,
    disagreements: int = 0,
) -> list[str]:
    """The limits of the evidence, each in one sentence, most important first."""
    fr = lang == "fr"
    out: list[str] = []
    if tarped_detections or tarp_claimed:
        if fr:
            parts = []
            if tarped_detections:
                parts.append(f"{tarped_detections} wagons détectés à la date du pic sont bâchés")
            if tarp_claimed:
                parts.append("la presse fait état de bâches")
            out.append(
                "La cargaison sous bâche ne peut pas être identifiée (" + " ; ".join(parts) + ")."
            )
        else:
            parts = []
            if tarped_detections:
                parts.append(f"{tarped_detections} railcars seen on the peak date are under tarps")
            if tarp_claimed:
                parts.append("the press reports tarps")
            out.append("Cargo under tarps cannot be identified (" + "; ".join(parts) + ").")
    out.append(
        "Le sens de circulation n'est pas établi : une image montre des wagons à l'arrêt, ni "
        "d'où ils viennent ni où ils vont."
        if fr
        else "Direction of travel is not established: an image shows railcars standing, not "
        "where they came from or where they go."
    )
    for m in models:
        error = f"{format_number(m.count_error, lang)}" if m.count_error is not None else None
        lo_hi = m.gsd_range
        if fr:
            text = f"Les comptages du modèle {m.version} "
            text += (
                f"ont une erreur moyenne de {error} wagons par image (banc d'essai)"
                if error
                else "n'ont pas d'erreur mesurée enregistrée"
            )
            if lo_hi:
                text += (
                    f" ; il est validé pour une résolution de {format_number(lo_hi[0], lang, 2)}"
                    f" à {format_number(lo_hi[1], lang, 2)} m"
                )
        else:
            text = f"Counts by model {m.version} "
            text += (
                f"carry a mean error of {error} railcars per image (benchmark)"
                if error
                else "have no measured count error on record"
            )
            if lo_hi:
                text += (
                    f"; it is validated for {format_number(lo_hi[0], lang, 2)}–"
                    f"{format_number(lo_hi[1], lang, 2)} m imagery"
                )
        if gsd_range:
            lo, hi = (format_number(v, lang, 2) for v in gsd_range)
            if lo == hi:
                text += (
                    f" ; les images utilisées sont à {lo} m."
                    if fr
                    else f"; the images used are at {lo} m."
                )
            else:
                text += (
                    f" ; les images utilisées vont de {lo} à {hi} m."
                    if fr
                    else f"; the images used range from {lo} to {hi} m."
                )
        else:
            text += "."
        text += _real_imagery_caveat(m, lang)
        out.append(text)
    if "analyst" in methods:
        out.append(
            "Les comptages d'analystes n'ont pas d'erreur mesurée ; deux analystes peuvent "
            "compter différemment."
            if fr
            else "Analyst counts have no measured error; two analysts may count differently."
        )
    if disagreements:
        out.append(
            f"Pour {disagreements} date(s), les sources divergent ; le tableau indique celle "
            "retenue."
            if fr
            else f"On {disagreements} date(s) the sources disagree; the table names the one used."
        )
    if baseline_n:
        out.append(
            f"La référence ne vaut que ce que vaut l'imagerie disponible ({baseline_n} dates) : "
            "des pics entre deux images peuvent échapper."
            if fr
            else f"The baseline is only as good as the imagery on record ({baseline_n} dates): "
            "peaks between two images can be missed."
        )
    return out


def _real_imagery_caveat(m: ModelInfo, lang: str) -> str:
    """What the model's check on real labelled imagery says, if it was run.

    The mean error above is measured on simulated scenes; a reader judging a
    count on real imagery needs the one figure that says how far that carries.
    """
    f1 = m.real.get("f1")
    if f1 is None or m.real_counts is None or not m.real_counts[1]:
        return ""
    found, truth = m.real_counts
    rel = (found - truth) / truth
    pct = format_number(abs(rel) * 100, lang, 0)
    f1_text = format_number(f1, lang, 2)
    data = m.real_data
    if lang == "fr":
        sens = "moins" if rel < 0 else "plus"
        return (
            f" Sur une image réelle annotée ({data}, jamais vue à l'entraînement), il obtient"
            f" un F1 de {f1_text} et compte {pct} % de wagons en {sens} qu'il n'y en a :"
            " sur imagerie réelle, ses comptages sont des ordres de grandeur à vérifier à l'œil."
        )
    way = "fewer" if rel < 0 else "more"
    return (
        f" On a real labelled image ({data}, never trained on) it scores F1 {f1_text} and"
        f" counts {pct} % {way} railcars than there are: on real imagery its counts are"
        " indicative, for an analyst to check by eye."
    )
