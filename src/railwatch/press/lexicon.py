"""Words the claim rules look for, per language.

Each entry is a regular expression fragment (case-insensitive). Adding a
language means adding its entries here and its code to ``language.LANGUAGES``;
a language with no entry falls back to numbers in digits and the gazetteer.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Nouns that make a number a railcar count. The class comes from RAILCAR_CLASS_WORDS.
RAILCAR_NOUN = {
    "fr": r"wagons?(?:[ -](?:de marchandises|de fret|de chemin de fer|porte-conteneurs|citernes?"
    r"|plats?|couverts?|tombereaux?|minéraliers?))?",
    "en": r"(?:(?:freight|cargo|goods|rail|railway|tank|box|flat|covered|open|ore|coal|hopper"
    r"|gondola)[ -])*"
    r"(?:rail ?cars?|cars?|wagons?|carriages?)",
    "nl": r"(?:goederen|trein|spoor|tank|ketel)?(?:wagons?|wagens?)",
    "de": r"(?:Güter|Eisenbahn|Kessel|Tank|Flach)?(?:wagen|waggons?|wägen)",
    "ru": r"(?:грузовых |железнодорожных )?вагон(?:а|ов|ы)?",
    "ko": r"(?:량|칸|대)(?:의)?(?: ?화차| ?화물 ?열차| ?화물차)?",
    "es": r"vagones(?: de mercancías| de carga)?",
}
RAILCAR_CLASS_WORDS = {
    "freight": r"marchandises|fret|freight|cargo|goods|goederen|güter|грузов|화물|화차|mercancías"
    r"|carga",
    "tank": r"citerne|tank|kessel|ketel|цистерн",
    "open": r"\bore\b|\bopen\b|\bcoal\b|hopper|gondola|tombereau|minéralier",
    "flat": r"\bplats?\b|\bflat|flach",
    "box": r"couvert|\bbox|gedeckt",
}

QUALIFIERS = {
    "approx": {
        "fr": r"environ|près de|quelque|approximativement|autour de|une? (?:bonne )?(?:dizaine|"
        r"vingtaine|trentaine)",
        "en": r"about|around|approximately|roughly|some|nearly|almost|an estimated",
        "nl": r"ongeveer|circa|zo'n|zo’n|rond de|bijna|ruim",
        "de": r"ungefähr|etwa|rund|circa|ca\.|fast|knapp",
        "ru": r"примерно|около|почти|порядка",
        "ko": r"약|대략",
        "es": r"cerca de|alrededor de|unos|unas|aproximadamente",
    },
    "at_least": {
        "fr": r"au moins|plus de|pas moins de|au minimum",
        "en": r"at least|more than|over|no fewer than|upwards of",
        "nl": r"zeker|minstens|ten minste|tenminste|meer dan|ruim",
        "de": r"mindestens|mehr als|über|wenigstens",
        "ru": r"не менее|более|больше|свыше",
        "ko": r"최소|이상",
        "es": r"al menos|más de",
    },
    "at_most": {
        "fr": r"au maximum|un maximum de|au plus|pas plus de|jusqu'à|jusqu’à|tout au plus"
        r"|un pic de|un record de",
        "en": r"at most|no more than|up to|a maximum of|a peak of|a high of|a previous high of"
        r"|never more than|not more than",
        "nl": r"hooguit|maximaal|ten hoogste|niet meer dan|hoogstens|een piek van|nooit meer dan",
        "de": r"höchstens|maximal|bis zu|nicht mehr als|ein Höchststand von",
        "ru": r"не более|максимум|до",
        "ko": r"최대|많아야",
        "es": r"como máximo|hasta|un máximo de",
    },
}

# "in the past five years": a number of years looking back.
YEARS_AFTER = {
    "fr": r"\s*(?:dernières\s+|précédentes\s+)?(?:années|ans)\b",
    "en": r"[\s-]*(?:years?)\b",
    "nl": r"\s*(?:jaar|jaren)\b",
    "de": r"\s*(?:Jahren?|Jahre)\b",
    "ru": r"\s*(?:лет|года|год)\b",
    "ko": r"\s*년",
    "es": r"\s*(?:años)\b",
}
LOOKBACK = {
    "fr": r"dernières|précédentes|au cours des|depuis|ces",
    "en": r"past|last|previous|prior|preceding",
    "nl": r"afgelopen|voorbije|laatste|vorige",
    "de": r"letzten|vergangenen|vorigen",
    "ru": r"последние|прошедшие",
    "ko": r"지난|최근",
    "es": r"últimos|pasados",
}
COMPARATIVE = {
    "fr": r"plus importante?s?|plus élevée?s?|bien plus|supérieure?s?|sans précédent|record"
    r"|jamais vu",
    "en": r"higher|more than|greater|highest|busier|far more|exceed\w*|unprecedented|record",
    "nl": r"hoger|meer dan|drukker|hoogste|ongekend|record|groter",
    "de": r"höher|mehr als|höchste\w*|beispiellos\w*|Rekord|größer",
    "ru": r"выше|больше|рекорд|беспрецедент\w*",
    "ko": r"최고|전례|많",
    "es": r"mayor|más alto|sin precedentes|récord",
}
UNPRECEDENTED = {
    "fr": r"sans précédent",
    "en": r"unprecedented|never before seen",
    "nl": r"ongekend|ongeëvenaard|nooit eerder",
    "de": r"beispiellos\w*|noch nie dagewesen\w*",
    "ru": r"беспрецедент\w*",
    "ko": r"전례 없는",
    "es": r"sin precedentes",
}

IMAGERY = {
    "fr": r"images?(?: satellites?| satellitaires)?|imagerie|clichés?|photos?(?: satellites?)?",
    "en": r"imagery|images?|pictures?|photos?|photographs?",
    "nl": r"satellietbeelden|satellietfoto'?s|beelden|foto'?s|opnamen|opnames",
    "de": r"Satellitenbilder\w*|Satellitenaufnahmen|Bilder\w*|Aufnahmen",
    "ru": r"снимк\w*|спутниковы\w* изображени\w*",
    "ko": r"위성 ?사진|위성 ?영상|사진",
    "es": r"imágenes(?: satelitales| de satélite)?|fotos",
}
SPEECH = {
    "fr": r"(?:a|ont|avait) (?:déclaré|indiqué|écrit|affirmé|ajouté|estimé|conclu|souligné|précisé"
    r"|constaté|annoncé|publié)|(?:déclare|écrit|affirme|poursuit|estime|conclut|selon)"
    r"|(?:rapport|étude) publiée?",
    "en": r"said|says|wrote|writes|stated|states|reported|reports|added|concluded|found|noted"
    r"|according to|published|released",
    "nl": r"zei|zegt|schreef|schrijft|meldde|meldt|stelde|stelt|concludeerde|volgens|aldus"
    r"|publiceerde|liet weten",
    "de": r"sagte|sagt|schrieb|schreibt|erklärte|erklärt|teilte mit|laut|berichtete"
    r"|veröffentlichte",
    "ru": r"заявил\w*|сообщил\w*|написал\w*|по данным|отметил\w*",
    "ko": r"밝혔다|말했다|전했다|발표했다|따르면",
    "es": r"dijo|afirmó|escribió|señaló|según|informó",
}
HEDGE_LEVELS: list[tuple[str, dict[str, str]]] = [
    (
        "unlikely",
        {
            "fr": r"peu probable|improbable",
            "en": r"unlikely|improbable",
            "nl": r"onwaarschijnlijk",
            "de": r"unwahrscheinlich",
            "ru": r"маловероятно",
            "es": r"poco probable|improbable",
        },
    ),
    (
        "almost_certain",
        {
            "fr": r"presque certainement|quasi certainement|quasi-certain",
            "en": r"almost certainly|nearly certain",
            "nl": r"vrijwel zeker|bijna zeker",
            "de": r"nahezu sicher|fast sicher|mit ziemlicher Sicherheit",
            "ru": r"почти наверняка",
            "es": r"casi con certeza",
        },
    ),
    (
        "likely",
        {
            "fr": r"probablement|il est probable|probable|vraisemblablement|sans doute",
            "en": r"likely|probably|probable",
            "nl": r"waarschijnlijk|vermoedelijk|naar alle waarschijnlijkheid",
            "de": r"wahrscheinlich|vermutlich|dürfte",
            "ru": r"вероятно|скорее всего",
            "ko": r"가능성이 높|것으로 보인다|추정",
            "es": r"probablemente|es probable",
        },
    ),
    (
        "possible",
        {
            "fr": r"peut-être|pourrai(?:en)?t|possiblement|il est possible",
            "en": r"possibly|may|might|could",
            "nl": r"mogelijk|misschien|zou(?:den)? kunnen",
            "de": r"möglicherweise|vielleicht|könnte\w*",
            "ru": r"возможно|может",
            "es": r"posiblemente|podría",
        },
    ),
]
UNCERTAIN = {
    "fr": r"ne (?:puisse|peut|pouvait|pourrait) (?:pas )?(?:en )?être (?:sûr|certain)\w*"
    r"|sans pouvoir (?:le )?(?:confirmer|affirmer)|impossible (?:de|d’|d')\s?\w+"
    r"|pas (?:pu|possible de) (?:identifier|confirmer|déterminer)",
    "en": r"impossible to (?:conclusively )?\w+|cannot be (?:sure|certain)|can(?:no|')t be sure"
    r"|could not (?:confirm|determine|identify|verify)|not possible to \w+|unable to \w+",
    "nl": r"niet met zekerheid|onmogelijk (?:om )?\w+|kon(?:den)? niet \w+|niet vast te stellen",
    "de": r"nicht (?:mit )?Sicherheit|nicht eindeutig|unmöglich|nicht feststellen",
    "ru": r"невозможно|нельзя с уверенностью|не может быть уверен\w*",
    "ko": r"확인할 수 없|알 수 없",
    "es": r"imposible|no (?:se )?puede (?:estar )?seguro",
}
CONCEALMENT = {
    "fr": r"bâches?|couvertures? de fret|bâchée?s?|masqu\w+|dissimul\w+|recouv\w+",
    "en": r"tarps?|tarpaulins?|covers?|covered|obscur\w+|conceal\w+|hidden|hide|hid",
    "nl": r"dekzeilen|zeilen|afgedekt|afdekking|verborgen|verhuld|aan het zicht onttrokken",
    "de": r"Planen|abgedeckt|verdeckt|verborgen|verhüllt",
    "ru": r"брезент\w*|скрыт\w*|укрыт\w*",
    "ko": r"방수포|덮개|가려",
    "es": r"lonas?|cubiert\w+|ocult\w+",
}
ARMS = (
    r"armes?|armement|munitions?|artillerie|obus|weapons?|arms|ammunition|artillery|shells"
    r"|wapens?|munitie|granaten|Waffen|Munition|Artillerie|оружи\w*|боеприпас\w*|снаряд\w*"
    r"|무기|탄약|포탄|armas|municiones"
)
SHIPMENT = (
    r"expéditions?|envois?|livraisons?|shipments?|deliveries|zendingen|leveringen|Lieferungen"
    r"|поставк\w*|수송|envíos"
)
IMPACT = r"impact|effet|effect|invloed|Auswirkung\w*|влияни\w*|영향|efecto"
SUMMIT = {
    "fr": r"sommet|rencontre au sommet",
    "en": r"summit",
    "nl": r"top|topontmoeting|topoverleg",
    "de": r"Gipfel\w*",
    "ru": r"саммит\w*",
    "ko": r"정상회담|회담",
    "es": r"cumbre",
}
TRIP = {
    "fr": r"visite|voyage|séjour",
    "en": r"trip|visit|tour",
    "nl": r"bezoek|reis",
    "de": r"Besuch\w*|Reise",
    "ru": r"визит\w*|поездк\w*",
    "ko": r"방문",
    "es": r"visita|viaje",
}
LEADERS = r"Kim|Poutine|Putin|Poetin|Путин\w*|Ким\w*|김정은|푸틴"
WEEK_WORDS = {
    "fr": r"(?:d[’']une|une) semaine",
    "en": r"week[- ]?long|one[- ]week|a week",
    "nl": r"een week durende|weeklange|eenweekse|een week",
    "de": r"einwöchig\w*|eine Woche",
    "ru": r"недельн\w*|неделю",
    "ko": r"일주일",
    "es": r"una semana",
}
DAY_UNITS = {
    "fr": r"\s+jours?\b",
    "en": r"(?:-|\s+)days?\b",
    "nl": r"(?:daagse|\s+dagen\b)",
    "de": r"(?:-?tägig\w*|\s+Tage\b)",
    "ru": r"\s*(?:дн\w+|-дневн\w*)",
    "ko": r"\s*일간",
    "es": r"\s+días\b",
}

WEEKDAYS = {
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "en": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    "nl": ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"],
    "de": ["montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"],
    "ru": ["понедельник", "вторник", "сред", "четверг", "пятниц", "суббот", "воскресень"],
    "ko": ["월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
}
MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ],
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "de": [
        "januar",
        "februar",
        "märz",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "dezember",
    ],
    "ru": [
        "январ",
        "феврал",
        "март",
        "апрел",
        "ма[яй]",
        "июн",
        "июл",
        "август",
        "сентябр",
        "октябр",
        "ноябр",
        "декабр",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}
# Relative expressions: (regex, kind, amount) — kind day/week/month offsets from publication.
RELATIVE = {
    "fr": [
        (r"aujourd'hui|aujourd’hui", "day", 0),
        (r"\bhier\b", "day", -1),
        (r"cette semaine", "week", 0),
        (r"la semaine dernière", "week", -1),
        (r"ce mois-ci|ce mois", "month", 0),
        (r"le mois dernier", "month", -1),
    ],
    "en": [
        (r"today", "day", 0),
        (r"yesterday", "day", -1),
        (r"this week", "week", 0),
        (r"last week", "week", -1),
        (r"this month", "month", 0),
        (r"last month", "month", -1),
    ],
    "nl": [
        (r"vandaag", "day", 0),
        (r"gisteren", "day", -1),
        (r"deze week", "week", 0),
        (r"vorige week", "week", -1),
        (r"deze maand", "month", 0),
        (r"vorige maand", "month", -1),
    ],
    "de": [
        (r"heute", "day", 0),
        (r"gestern", "day", -1),
        (r"diese Woche|dieser Woche", "week", 0),
        (r"letzte Woche|vergangene Woche", "week", -1),
        (r"diesen Monat", "month", 0),
        (r"letzten Monat|vergangenen Monat", "month", -1),
    ],
    "ru": [
        (r"сегодня", "day", 0),
        (r"вчера", "day", -1),
        (r"на этой неделе", "week", 0),
        (r"в прошлом месяце", "month", -1),
    ],
    "ko": [
        (r"오늘", "day", 0),
        (r"어제", "day", -1),
        (r"이번 주", "week", 0),
        (r"지난달", "month", -1),
    ],
    "es": [
        (r"hoy", "day", 0),
        (r"ayer", "day", -1),
        (r"esta semana", "week", 0),
        (r"el mes pasado", "month", -1),
    ],
}


@lru_cache(maxsize=512)
def rx(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def words(table: dict[str, str], lang: str) -> re.Pattern[str] | None:
    """The table's pattern for ``lang`` as whole words, or None when it has none."""
    frag = table.get(lang)
    if not frag:
        return None
    if lang == "ko":  # particles attach to Korean words, so no word boundaries there
        return rx(frag)
    return rx(rf"(?<![\w])(?:{frag})(?![\w])")
