"""Words of the report in English and French, and dates and numbers written by hand.

Dates and numbers are formatted here rather than through the C locale, so a
report reads the same on every machine whatever locales it has installed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from railwatch.errors import InputError

LANGS: tuple[str, ...] = ("en", "fr")

MONTHS = {
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ),
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
        "septembre", "octobre", "novembre", "décembre",
    ),
}  # fmt: skip

MONTHS_SHORT = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": (
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
        "sept.", "oct.", "nov.", "déc.",
    ),
}  # fmt: skip

#: The ICD 203 scale of estimative terms, weakest to strongest, with its ranges.
ESTIMATIVE_KEYS: tuple[str, ...] = (
    "almost_no_chance",
    "very_unlikely",
    "unlikely",
    "roughly_even_chance",
    "likely",
    "very_likely",
    "almost_certain",
)
ESTIMATIVE_RANGES: dict[str, tuple[int, int]] = {
    "almost_no_chance": (1, 5),
    "very_unlikely": (5, 20),
    "unlikely": (20, 45),
    "roughly_even_chance": (45, 55),
    "likely": (55, 80),
    "very_likely": (80, 95),
    "almost_certain": (95, 99),
}
ESTIMATIVE: dict[str, dict[str, str]] = {
    "en": {
        "almost_no_chance": "almost no chance",
        "very_unlikely": "very unlikely",
        "unlikely": "unlikely",
        "roughly_even_chance": "roughly even chance",
        "likely": "likely",
        "very_likely": "very likely",
        "almost_certain": "almost certain",
    },
    "fr": {
        "almost_no_chance": "quasiment aucune chance",
        "very_unlikely": "très improbable",
        "unlikely": "improbable",
        "roughly_even_chance": "chances à peu près égales",
        "likely": "probable",
        "very_likely": "très probable",
        "almost_certain": "quasi certain",
    },
}

#: Railcar classes and roll-ups: singular label, plural label.
CLASS_NAMES: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "box": ("box car", "box cars"),
        "open": ("open wagon", "open wagons"),
        "tank": ("tank car", "tank cars"),
        "flat": ("flat car", "flat cars"),
        "passenger": ("passenger car", "passenger cars"),
        "locomotive": ("locomotive", "locomotives"),
        "other": ("other railcar", "other railcars"),
        "freight": ("freight railcar", "freight railcars"),
        "total": ("railcar", "railcars"),
    },
    "fr": {
        "box": ("wagon couvert", "wagons couverts"),
        "open": ("wagon tombereau", "wagons tombereaux"),
        "tank": ("wagon-citerne", "wagons-citernes"),
        "flat": ("wagon plat", "wagons plats"),
        "passenger": ("voiture voyageurs", "voitures voyageurs"),
        "locomotive": ("locomotive", "locomotives"),
        "other": ("autre wagon", "autres wagons"),
        "freight": ("wagon de marchandises", "wagons de marchandises"),
        "total": ("wagon", "wagons"),
    },
}

#: Short class names for table headers.
CLASS_SHORT: dict[str, dict[str, str]] = {
    "en": {
        "box": "box", "open": "open", "tank": "tank", "flat": "flat", "passenger": "pass.",
        "locomotive": "loco.", "other": "other", "freight": "freight", "total": "total",
    },
    "fr": {
        "box": "couverts", "open": "tombereaux", "tank": "citernes", "flat": "plats",
        "passenger": "voyageurs", "locomotive": "locos", "other": "autres",
        "freight": "marchandises", "total": "total",
    },
}  # fmt: skip

LEVEL_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "insufficient-history": "insufficient history",
        "normal": "normal",
        "elevated": "elevated",
        "unprecedented": "unprecedented",
        "none": "no data",
    },
    "fr": {
        "insufficient-history": "historique insuffisant",
        "normal": "normal",
        "elevated": "élevé",
        "unprecedented": "sans précédent",
        "none": "aucune donnée",
    },
}

METHOD_NAMES: dict[str, dict[str, str]] = {
    "en": {"analyst": "analyst", "detector": "detector", "press": "press"},
    "fr": {"analyst": "analyste", "detector": "détecteur", "press": "presse"},
}

VERDICTS: dict[str, dict[str, str]] = {
    "en": {
        "partly": "agrees with some sources",
        "agree": "agrees",
        "consistent": "within counting error",
        "differ": "differs",
        "no-imagery": "no imagery",
        "not-checkable": "not checkable from counts",
    },
    "fr": {
        "partly": "concorde avec certaines sources",
        "agree": "concorde",
        "consistent": "dans la marge d'erreur du comptage",
        "differ": "diffère",
        "no-imagery": "pas d'imagerie",
        "not-checkable": "non vérifiable par les comptages",
    },
}

#: How the press reports of one event line up with each other.
STATUS_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "agree": "sources agree",
        "conflict": "sources conflict",
        "single-source": "single source",
        "undetermined": "undetermined",
    },
    "fr": {
        "agree": "sources concordantes",
        "conflict": "sources divergentes",
        "single-source": "source unique",
        "undetermined": "indéterminé",
    },
}

#: What each compared slot of the press stage is about.
SLOT_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "count": "railcar count",
        "baseline": "prior maximum",
        "baseline.max": "prior maximum",
        "imagery_date": "date of the imagery",
        "characterization": "called unprecedented",
        "characterization.unprecedented": "called unprecedented",
        "caveat.concealment": "cargo hidden (tarps, covers)",
        "caveat.uncertain": "source says it cannot be sure",
        "assessment": "assessment",
        "assessment.arms_transfer": "assessment: arms transfer",
        "assessment.impact": "assessment: impact on the war",
        "assessment.other": "assessment",
        "event.summit.when": "date of the summit",
        "event.summit.duration_days": "length of the summit (days)",
    },
    "fr": {
        "count": "nombre de wagons",
        "baseline": "maximum antérieur",
        "baseline.max": "maximum antérieur",
        "imagery_date": "date des images",
        "characterization": "qualifié de sans précédent",
        "characterization.unprecedented": "qualifié de sans précédent",
        "caveat.concealment": "cargaison cachée (bâches)",
        "caveat.uncertain": "la source se dit incertaine",
        "assessment": "évaluation",
        "assessment.arms_transfer": "évaluation : transfert d'armes",
        "assessment.impact": "évaluation : effet sur la guerre",
        "assessment.other": "évaluation",
        "event.summit.when": "date du sommet",
        "event.summit.duration_days": "durée du sommet (jours)",
    },
}

# Labels and sentence templates. Placeholders are filled by ``t``; values put in
# them are plain text and are escaped later by whatever renders them.
STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "{site}: {cls} activity",
        "subtitle": "Imagery assessment as of {date}",
        "key_judgment": "Key judgment",
        "at_a_glance": "At a glance",
        "latest": "Latest observation",
        "peak": "Peak in window",
        "prior_max": "Prior maximum",
        "baseline_median": "Baseline median",
        "ratio": "Ratio to prior maximum",
        "level": "Anomaly level",
        "onset": "Onset of the rise",
        "onset_value": "{date} (not before {earliest})",
        "window": "Window",
        "window_value": "{start} – {end}",
        "chart": "Railcars counted per date",
        "chart_caption": (
            "Counts per railcar type at {site}. The shaded band runs from the baseline median "
            "to the highest count seen before each date; markers flag elevated and "
            "unprecedented dates; dashed lines are dated events; diamonds are counts "
            "claimed in the press."
        ),
        "axis_date": "Date of imagery",
        "axis_count": "Railcars counted",
        "zoom_title": "The rise, close up",
        "legend_band": "Baseline (median to prior maximum)",
        "legend_elevated": "Elevated",
        "legend_unprecedented": "Unprecedented",
        "legend_press": "Press claim",
        "legend_clouded": "Image over {pct} % cloud (not in baselines)",
        "legend_total": "{cls} (total)",
        "imagery": "Annotated imagery",
        "chip_peak": "Peak: {date}",
        "chip_baseline": "Typical baseline date: {date}",
        "chip_caption": (
            "{date}, {count} {cls} counted; ground sample distance {gsd} m; "
            "image {sha}; {n} detections drawn."
        ),
        "no_imagery": (
            "No image of the site is in the store for the dates shown; counts come from "
            "analysts or the press."
        ),
        "observations": "Observations by date",
        "col_date": "Date",
        "col_total": "{cls}",
        "col_source": "Source",
        "col_by": "Model or analyst",
        "col_level": "Level",
        "col_note": "Note",
        "press": "What the press said",
        "press_intro": (
            "Claims about the site found in press reports, set against what the imagery in "
            "the store shows for the same date. “Within counting error”: the imagery's figure "
            "is further from the claim than press rounding allows, but within twice its own "
            "counting uncertainty (shown as ±)."
        ),
        "col_claim": "Claim",
        "col_sources": "Sources",
        "col_value": "Value claimed",
        "col_imagery": "Imagery shows",
        "col_check": "Check",
        "col_quote": "Words used",
        "no_press": "No press claims about this site are in the store.",
        "caveats": "Caveats",
        "method": "Method and provenance",
        "models": "Detector models",
        "model_line": "{version}: {bench}",
        "model_no_bench": "{version}: no benchmark figures on record",
        "model_real": "; on real imagery ({data}, never trained on): {figures}",
        "real_found": "{found} railcars found where {truth} are labelled",
        "gsd_range": "Ground sample distance of the images used: {lo}–{hi} m",
        "gsd_single": "Ground sample distance of the images used: {lo} m",
        "images_used": "Images",
        "documents": "Press documents",
        "rules": "Analysis rules",
        "generated": "Generated {when} by railwatch {version}.",
        "finding": "Analysis finding:",
        "none": "—",
        "baseline_n": "{n} earlier dates since {first}",
        "of_which": "of which {items}",
        "events": "Dated events",
        "lag": "{days} days before onset",
        "lag_after": "{days} days after onset",
        "bench_count_error": "count error {value}",
        "tarped_seen": "{n} tarped railcars detected on that date",
        "col_status": "Between sources",
        "n_of_m": "{n} of {m}",
        "candidates": "{n} sources for this date; they disagree",
        "clouded": "image {pct} % under cloud: compared, not used for baselines",
        "sha": "SHA-256",
        "source_image": "img {sha}",
        "rows_shown": (
            "{shown} of {n} dates listed: the {recent} most recent and every elevated or "
            "unprecedented one. The chart shows them all; report.md and observations.csv "
            "list them all."
        ),
        "model_label": "detector {label}: model {version}",
        "images_shown": (
            "{shown} of {n} images listed: those of the dates above and of the imagery "
            "chips; report.md lists them all."
        ),
        "mix": "What kind of traffic: the class mix",
        "mix_caption": (
            "Share of each type among the freight cars counted on each clear image. Shaded: "
            "the reference window and the recent window the mix comparison sets against it."
        ),
        "mix_axis": "share of freight cars",
        "mix_reference": "reference",
        "mix_recent": "recent",
        "mix_col_class": "Type",
        "mix_col_before": "Share before",
        "mix_col_recent": "Share recent",
        "mix_col_ratio": "Ratio (95 % interval)",
        "mix_col_verdict": "Verdict",
        "mix_method": (
            "Shares compared with a test for counts that come in trains: dates are treated as "
            "clusters, the counting error of each count is added, and the classes are tested "
            "together (Holm, {alpha} family-wise); a share must move by at least {material} to "
            "count as a rise or fall. Overall: chi-square {chi2} on {df} degrees of freedom "
            "after a design effect of {deff} (p = {p})."
        ),
        "group": "Both sides: each site's part",
        "group_intro": (
            "{name} is read as one series: {sites}. Each date of {anchor} is paired with the "
            "nearest unused date of the other site(s) no more than {days} days away (nearest "
            "pairs first) and dated by the {anchor} date; {unpaired} date(s) found no partner "
            "and are left out. Share of the summed freight: {shares}."
        ),
        "group_col_sum": "Sum",
        "group_col_span": "Days apart",
    },
    "fr": {
        "title": "{site} : activité des {cls}",
        "subtitle": "Évaluation par imagerie au {date}",
        "key_judgment": "Jugement principal",
        "at_a_glance": "En bref",
        "latest": "Dernière observation",
        "peak": "Maximum de la période",
        "prior_max": "Maximum antérieur",
        "baseline_median": "Médiane de référence",
        "ratio": "Rapport au maximum antérieur",
        "level": "Niveau d'anomalie",
        "onset": "Début de la hausse",
        "onset_value": "{date} (pas avant le {earliest})",
        "window": "Période",
        "window_value": "{start} – {end}",
        "chart": "Wagons comptés par date",
        "chart_caption": (
            "Comptages par type de wagon à {site}. La bande grisée va de la médiane de "
            "référence au plus haut comptage observé avant chaque date ; les marqueurs "
            "signalent les dates élevées et sans précédent ; les tirets sont des événements "
            "datés ; les losanges sont des comptages avancés par la presse."
        ),
        "axis_date": "Date de l'image",
        "axis_count": "Wagons comptés",
        "zoom_title": "La hausse, en détail",
        "legend_band": "Référence (médiane au maximum antérieur)",
        "legend_elevated": "Élevé",
        "legend_unprecedented": "Sans précédent",
        "legend_press": "Chiffre de presse",
        "legend_clouded": "Image à plus de {pct} % de nuages (hors référence)",
        "legend_total": "{cls} (total)",
        "imagery": "Imagerie annotée",
        "chip_peak": "Maximum : {date}",
        "chip_baseline": "Date de référence typique : {date}",
        "chip_caption": (
            "{date}, {count} {cls} comptés ; résolution au sol {gsd} m ; "
            "image {sha} ; {n} détections tracées."
        ),
        "no_imagery": (
            "Aucune image du site n'est dans la base pour les dates montrées ; les comptages "
            "viennent d'analystes ou de la presse."
        ),
        "observations": "Observations par date",
        "col_date": "Date",
        "col_total": "{cls}",
        "col_source": "Source",
        "col_by": "Modèle ou analyste",
        "col_level": "Niveau",
        "col_note": "Note",
        "press": "Ce qu'a dit la presse",
        "press_intro": (
            "Affirmations sur le site relevées dans la presse, confrontées à ce que montre "
            "l'imagerie de la base à la même date. « Dans la marge d'erreur du comptage » : le "
            "chiffre de l'imagerie s'écarte de l'affirmation plus que l'arrondi de la presse ne "
            "le permet, mais de moins de deux fois sa propre incertitude de comptage (± indiqué)."
        ),
        "col_claim": "Affirmation",
        "col_sources": "Sources",
        "col_value": "Valeur avancée",
        "col_imagery": "L'imagerie montre",
        "col_check": "Contrôle",
        "col_quote": "Termes employés",
        "no_press": "Aucune affirmation de presse sur ce site n'est dans la base.",
        "caveats": "Réserves",
        "method": "Méthode et provenance",
        "models": "Modèles de détection",
        "model_line": "{version} : {bench}",
        "model_no_bench": "{version} : aucun chiffre d'évaluation enregistré",
        "gsd_range": "Résolution au sol des images utilisées : {lo}–{hi} m",
        "gsd_single": "Résolution au sol des images utilisées : {lo} m",
        "images_used": "Images",
        "documents": "Documents de presse",
        "rules": "Règles d'analyse",
        "generated": "Produit le {when} par railwatch {version}.",
        "finding": "Constat de l'analyse :",
        "none": "—",
        "baseline_n": "{n} dates antérieures depuis le {first}",
        "of_which": "dont {items}",
        "events": "Événements datés",
        "lag": "{days} jours avant le début",
        "lag_after": "{days} jours après le début",
        "bench_count_error": "erreur de comptage {value}",
        "model_real": " ; sur imagerie réelle ({data}, jamais vue à l'entraînement) : {figures}",
        "real_found": "{found} wagons trouvés pour {truth} annotés",
        "tarped_seen": "{n} wagons bâchés détectés à cette date",
        "col_status": "Entre sources",
        "n_of_m": "{n} sur {m}",
        "candidates": "{n} sources pour cette date ; elles divergent",
        "clouded": "image couverte de nuages à {pct} % : comparée, hors référence",
        "sha": "SHA-256",
        "source_image": "img {sha}",
        "rows_shown": (
            "{shown} dates listées sur {n} : les {recent} plus récentes et toutes celles "
            "jugées élevées ou sans précédent. Le graphique les montre toutes ; report.md et "
            "observations.csv les listent toutes."
        ),
        "model_label": "détecteur {label} : modèle {version}",
        "images_shown": (
            "{shown} images listées sur {n} : celles des dates ci-dessus et des extraits "
            "d'imagerie ; report.md les liste toutes."
        ),
        "mix": "Quel trafic : la composition par type",
        "mix_caption": (
            "Part de chaque type parmi les wagons de marchandises comptés sur chaque image "
            "claire. En grisé : la période de référence et la période récente que la "
            "comparaison lui oppose."
        ),
        "mix_axis": "part des wagons de marchandises",
        "mix_reference": "référence",
        "mix_recent": "récent",
        "mix_col_class": "Type",
        "mix_col_before": "Part avant",
        "mix_col_recent": "Part récente",
        "mix_col_ratio": "Rapport (intervalle à 95 %)",
        "mix_col_verdict": "Verdict",
        "mix_method": (
            "Parts comparées par un test pour des comptages qui arrivent par trains : les "
            "dates sont traitées comme des grappes, l'erreur de comptage de chaque comptage "
            "est ajoutée, et les types sont testés ensemble (Holm, {alpha} au total) ; une part "
            "doit varier d'au moins {material} pour compter comme hausse ou baisse. "
            "Ensemble : khi-deux {chi2} à {df} degrés de liberté après un effet de plan de "
            "{deff} (p = {p})."
        ),
        "group": "Les deux côtés : la part de chaque site",
        "group_intro": (
            "{name} est lu comme une seule série : {sites}. Chaque date de {anchor} est "
            "appariée à la date libre la plus proche de l'autre site, à {days} jours au plus "
            "(les paires les plus proches d'abord), et datée par la date de {anchor} ; "
            "{unpaired} date(s) sans partenaire sont laissées de côté. Part du total des "
            "wagons de marchandises : {shares}."
        ),
        "group_col_sum": "Somme",
        "group_col_span": "Jours d'écart",
    },
}


def check_lang(lang: str) -> str:
    """The language code, or an error naming the ones we have.

    Raises:
        InputError: the report is not written in that language.
    """
    if lang not in LANGS:
        raise InputError(f"report language {lang!r} is not available (choose from en, fr)")
    return lang


def t(lang: str, key: str, **values: Any) -> str:
    """The string ``key`` in ``lang`` with ``values`` put in."""
    return STRINGS[check_lang(lang)][key].format(**values)


def format_date(value: date | datetime, lang: str) -> str:
    """``5 October 2023`` or ``5 octobre 2023`` (``1er`` for the first, as French writes it)."""
    day = "1er" if value.day == 1 and lang == "fr" else str(value.day)
    return f"{day} {MONTHS[check_lang(lang)][value.month - 1]} {value.year}"


def format_day_short(value: date | datetime, lang: str) -> str:
    """``5 Oct 2023`` / ``5 oct. 2023``: a date that fits a table's narrow column."""
    day = "1er" if value.day == 1 and lang == "fr" else str(value.day)
    return f"{day} {MONTHS_SHORT[check_lang(lang)][value.month - 1]} {value.year}"


def format_month(value: date | datetime, lang: str) -> str:
    """A short month label for chart ticks: ``Oct 2023`` / ``oct. 2023``."""
    return f"{MONTHS_SHORT[check_lang(lang)][value.month - 1]} {value.year}"


def format_datetime(value: datetime, lang: str) -> str:
    """A date with a UTC time: ``5 October 2023, 02:13 UTC``."""
    return f"{format_date(value, lang)}, {value:%H:%M} UTC"


def format_number(value: float, lang: str, digits: int = 1) -> str:
    """A number with ``digits`` decimals (none for whole numbers), comma in French."""
    text = str(int(value)) if float(value).is_integer() else f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def format_figure(value: float, lang: str) -> str:
    """A benchmark figure: up to three decimals, trailing zeros dropped (``0.81``)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "fr" else text


def class_name(name: str, lang: str, count: int = 2) -> str:
    """A railcar class or roll-up in words, singular for a count of one."""
    singular, plural = CLASS_NAMES[check_lang(lang)].get(name, (name, name))
    return singular if count == 1 else plural


def class_short(name: str, lang: str) -> str:
    """A class or roll-up as a table header."""
    return CLASS_SHORT[check_lang(lang)].get(name, name)


def level_name(level: str | None, lang: str) -> str:
    return LEVEL_NAMES[check_lang(lang)].get(level or "none", level or "")


def method_name(method: str, lang: str) -> str:
    return METHOD_NAMES[check_lang(lang)].get(method, method)


def verdict_name(verdict: str, lang: str) -> str:
    return VERDICTS[check_lang(lang)].get(verdict, verdict)


def status_name(status: str, lang: str) -> str:
    return STATUS_NAMES[check_lang(lang)].get(status, status)


def slot_label(slot: str, lang: str, fallback: str = "") -> str:
    """A press claim's subject in words (the press stage's label when we have none)."""
    return SLOT_LABELS[check_lang(lang)].get(slot) or fallback or slot.replace("_", " ")


def estimative(key: str, lang: str) -> str:
    """The ICD 203 term for ``key`` in ``lang``."""
    return ESTIMATIVE[check_lang(lang)][key]


MIX_VERDICTS: dict[str, dict[str, str]] = {
    "en": {
        "rose": "rose",
        "fell": "fell",
        "minor": "changed little",
        "unchanged": "unchanged",
        "uncertain": "cannot tell",
    },
    "fr": {
        "rose": "en hausse",
        "fell": "en baisse",
        "minor": "peu changé",
        "unchanged": "inchangé",
        "uncertain": "indéterminé",
    },
}


def mix_verdict(verdict: str, lang: str) -> str:
    """A class's verdict in the mix comparison, in words."""
    return MIX_VERDICTS[check_lang(lang)].get(verdict, verdict)
