"""Words the claim rules look for, per language.

Each entry is a regular expression fragment (case-insensitive). Adding a
language means adding its entries here and its code to ``language.LANGUAGES``;
a language with no entry falls back to numbers in digits and the gazetteer.
"""

from __future__ import annotations

import re
from functools import lru_cache

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
    "nl": r"afgelopen|voorbije|laatste|vorige|voorgaande",
    "de": r"letzten|vergangenen|vorigen|vorangegangenen|zurückliegenden",
    "ru": r"последние|прошедшие|предыдущие|прошлые",
    "ko": r"지난|최근",
    "es": r"últimos|pasados|anteriores|previos",
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
# "according to Maxar": who says it, not an act of saying with a day of its own, so a
# date beside it ("Según Maxar, el martes había…") is not the report's date.
ATTRIBUTION = {
    "fr": r"selon|d['’]après",
    "en": r"according to",
    "nl": r"volgens|aldus",
    "de": r"laut|nach Angaben",
    "ru": r"по данным|по словам|согласно",
    "ko": r"따르면",
    "es": r"según|de acuerdo con",
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


@lru_cache(maxsize=8192)  # every table × language × context: a few thousand patterns
def rx(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags)


#: What may stand between two words of a multi-word cue: up to two inserted words,
#: never a number or punctuation ("nicht mit letzter Sicherheit", "no puede estar del
#: todo seguro").
TOKEN_GAP = r"[\s\u00a0]+(?:[^\W\d_]+[\s\u00a0]+){0,2}"


@lru_cache(maxsize=1024)
def gapped(frag: str) -> str:
    """``frag`` with each literal space between words widened to :data:`TOKEN_GAP`.

    Writers insert adverbs inside set phrases ("es probable" → "es muy probable",
    "not possible to" → "not really possible to"), so a cue written as a phrase
    should not depend on its words standing side by side. Spaces inside character
    classes, escaped spaces and spaces beside ``|`` are left alone. Only letters may
    be inserted, so a number or a clause break never falls inside a cue.
    """
    out, depth_class, i = [], False, 0
    while i < len(frag):
        ch = frag[i]
        if ch == "\\" and i + 1 < len(frag):
            out.append(frag[i : i + 2])
            i += 2
            continue
        if ch == "[":
            depth_class = True
        elif ch == "]":
            depth_class = False
        if (
            ch == " "
            and not depth_class
            and i > 0
            and i + 1 < len(frag)
            and frag[i - 1] != "|"
            and frag[i + 1] != "|"
        ):
            out.append(TOKEN_GAP)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def words(table: dict[str, str], lang: str, *, gap: bool = False) -> re.Pattern[str] | None:
    """The table's pattern for ``lang`` as whole words, or None when it has none.

    With ``gap``, a multi-word entry also matches with up to two words inserted inside it
    (:func:`gapped`): for hedges and caveats, whose set phrases writers pad freely.
    """
    frag = table.get(lang)
    if not frag:
        return None
    if gap:
        frag = gapped(frag)
    if lang == "ko":  # particles attach to Korean words, so no word boundaries there
        return rx(frag)
    return rx(rf"(?<![\w])(?:{frag})(?![\w])")


# --- Railcar vocabulary: one table per language, the only place a word gets a class. ---
# Each entry is (pattern, class); the first entry that matches a noun phrase wins, so the
# specific names come before the generic "wagons". Classes are railwatch.railcars.CLASSES
# plus the roll-ups "freight" (a freight car of unknown type) and "total" (any railcar).
RAILCARS: dict[str, list[tuple[str, str]]] = {
    "en": [
        (
            r"(?:iron[- ])?ore (?:rail ?)?(?:cars?|wagons?)|hopper(?: cars?| wagons?)?s?"
            r"|gondolas?(?: cars?)?|open(?:[- ]top)? (?:cars?|wagons?)|coal (?:cars?|wagons?)"
            r"|dump cars?",
            "open",
        ),
        (r"box ?cars?|boxcars?|covered (?:cars?|wagons?|goods wagons?)|(?:goods )?vans", "box"),
        (r"tank (?:cars?|wagons?)|tankers?|cisterns?(?: cars?| wagons?)?", "tank"),
        (r"flat ?cars?|flat(?:bed)? wagons?|flatbeds?|container (?:cars?|wagons?)", "flat"),
        (r"passenger (?:cars?|carriages?|coaches?|wagons?)|coaches", "passenger"),
        (r"locomotives?", "locomotive"),
        (
            r"maintenance[- ]of[- ]way (?:cars?|vehicles?|equipment)|MOW (?:cars?|vehicles?)"
            r"|service (?:cars?|wagons?)|work (?:cars?|wagons?)",
            "other",
        ),
        (r"(?:freight|cargo|goods)(?: rail| railway)? ?(?:cars?|wagons?|carriages?)", "freight"),
        (r"(?:rail ?|railway |train )?(?:cars?|wagons?|carriages?)|railcars?", "total"),
    ],
    "fr": [
        (
            r"wagons?[- ]trémies?|trémies|wagons? tombereaux?|tombereaux|wagons? (?:à|de) minerai"
            r"|wagons? minéraliers?|wagons? ouverts?",
            "open",
        ),
        (r"wagons? couverts?|wagons? fermés?", "box"),
        (r"wagons?[- ]citernes?|citernes", "tank"),
        (r"wagons? plats?|wagons?[- ]plates?-formes?|wagons? porte-conteneurs", "flat"),
        (r"voitures? (?:de |à )?voyageurs|wagons? de (?:passagers|voyageurs)", "passenger"),
        (r"locomotives?", "locomotive"),
        (r"wagons? (?:de service|d['’]entretien|de maintenance)", "other"),
        (r"wagons? (?:de marchandises|de fret)", "freight"),
        (r"wagons?(?: de chemin de fer)?", "total"),
    ],
    "nl": [
        (
            r"open (?:goederen)?wagons?|open (?:goederen)?wagens|(?:erts|kolen|stort|bak|hopper)"
            r"(?:wagons?|wagens)",
            "open",
        ),
        (r"gesloten (?:goederen)?(?:wagons?|wagens)", "box"),
        (r"(?:ketel|tank)(?:wagons?|wagens)", "tank"),
        (r"(?:platte |container)(?:wagons?|wagens)|platte wagons?", "flat"),
        (r"(?:personen|reizigers)(?:wagons?|rijtuigen)", "passenger"),
        (r"locomotieven|locomotief", "locomotive"),
        (r"onderhouds(?:wagons?|wagens)", "other"),
        (r"goederen(?:trein)?(?:wagons?|wagens)", "freight"),
        (r"(?:trein|spoor)?(?:wagons?|wagens)", "total"),
    ],
    "de": [
        (
            r"offenen? (?:Güter)?wagen|offene (?:Güter)?wagen|Schüttgutwagen|Erzwagen|Kohlewagen"
            r"|Trichterwagen|Selbstentladewagen",
            "open",
        ),
        (r"gedeckten? (?:Güter)?wagen|geschlossenen? Güterwagen", "box"),
        (r"Kesselwagen|Tankwagen|Zisternenwagen", "tank"),
        (r"Flachwagen|Plattformwagen|Containertragwagen", "flat"),
        (r"Personenwagen|Reisezugwagen", "passenger"),
        (r"Lokomotiven|Lokomotive|Loks?", "locomotive"),
        (r"Bahndienstwagen|Dienstwagen", "other"),
        (r"Güterwag(?:en|gons?)", "freight"),
        (r"(?:Eisenbahn)?(?:wagen|waggons?|wägen)", "total"),
    ],
    "ru": [
        (r"полувагон\w*|хоппер\w*|думпкар\w*", "open"),
        (r"крыт\w+ вагон\w*", "box"),
        (r"цистерн\w*|вагон\w*-цистерн\w*", "tank"),
        (r"платформ\w*", "flat"),
        (r"пассажирск\w+ вагон\w*", "passenger"),
        (r"локомотив\w*|тепловоз\w*", "locomotive"),
        (r"грузов\w+ вагон\w*", "freight"),
        (r"(?:железнодорожн\w+ )?вагон\w*", "total"),
    ],
    # Korean names the railcar before the number and its counter ("무개화차 62량").
    "ko": [
        (r"무개화차|무개차|호퍼화차|광석화차", "open"),
        (r"유개화차|유개차", "box"),
        (r"탱크화차|유조화차|유조차", "tank"),
        (r"평판화차|평판차", "flat"),
        (r"객차", "passenger"),
        (r"기관차", "locomotive"),
        (r"화물열차|화물차|화물 ?화차|화차", "freight"),
        (r"열차|차량", "total"),
    ],
    "es": [
        (r"vagones? (?:tolva|abiertos?|góndola|de mineral|bateas?)|tolvas", "open"),
        (r"vagones? (?:cerrados?|cubiertos?)", "box"),
        (r"vagones?[- ]cisternas?|cisternas", "tank"),
        (r"vagones? plataformas?|plataformas", "flat"),
        (r"(?:vagones?|coches?) de pasajeros", "passenger"),
        (r"locomotoras?", "locomotive"),
        (r"vagones? de (?:mantenimiento|servicio)", "other"),
        (r"vagones? de (?:carga|mercancías)", "freight"),
        (r"vagones|vagón", "total"),
    ],
}
#: Korean counters that follow a number of railcars ("73량").
KO_COUNTERS = r"량|칸|대"

# --- Cues that give a number its role, per language. ---
# "freight cars, totalling approximately 73": a count named after its noun.
TOTAL_AFTER = {
    "en": r"totall?ing|numbering|in total|a total of|totals?|amounting to",
    "fr": r"au nombre|au total|soit|pour un total|totalisant",
    "nl": r"in totaal|samen|ten getale van|totaal",
    "de": r"insgesamt|zusammen|in Summe",
    "ru": r"всего|в общей сложности|общим числом",
    "ko": r"총|모두|합계",
    "es": r"en total|un total de|que suman|sumando",
}
# A maximum stated after the number ("20 cars were seen there at most").
MAX_AFTER = {
    "en": r"at most|at the most|at the very most|tops|at peak|at its peak",
    "fr": r"au maximum|au plus|tout au plus|au plus fort",
    "nl": r"hooguit|maximaal|op zijn hoogst|hoogstens|op het hoogtepunt",
    "de": r"höchstens|maximal|allenfalls|in der Spitze",
    "ru": r"максимум|не более",
    "ko": r"최대|최고|많아야",
    "es": r"como máximo|a lo sumo|como mucho",
}
# Words that set a number in the past, before the imagery: with a maximum it is a prior
# peak, alone a prior count ("in the past", "previously", "before the pandemic").
PAST = {
    "en": r"in the past|previously|previous|until now|so far|ever|a year ago|last year"
    r"|pre-pandemic|historically|at any (?:point|time)",
    "fr": r"par le passé|précédemment|auparavant|jusqu['’]ici|jusqu['’]alors"
    r"|l['’]an dernier|l['’]année dernière|au cours des|à un moment donné",
    "nl": r"in het verleden|eerder|voorheen|vroeger|ooit|tot nu toe|vorig jaar|in de afgelopen",
    "de": r"in der Vergangenheit|zuvor|bisher|früher|vorher|jemals|im Vorjahr"
    r"|in den (?:vergangenen|letzten)",
    "ru": r"ранее|прежде|раньше|до сих пор|когда-либо|в прошлом|за последние",
    "ko": r"과거|이전까지|그동안|지금까지|종전",
    "es": r"en el pasado|anteriormente|hasta ahora|el año pasado|en los últimos",
}
# A typical level, not a peak ("usually", "on average").
TYPICAL = {
    "en": r"usually|typically|normally|on average|on a typical day|an average of|ordinarily",
    "fr": r"d['’]habitude|habituellement|en moyenne|normalement|généralement|une moyenne de",
    "nl": r"doorgaans|gewoonlijk|gemiddeld|normaal|normaliter|meestal",
    "de": r"gewöhnlich|normalerweise|durchschnittlich|im Schnitt|üblicherweise|meist",
    "ru": r"обычно|в среднем|как правило",
    "ko": r"평소|평균|보통|통상",
    "es": r"normalmente|habitualmente|en promedio|de media|por lo general",
}
# A difference, not a level ("an increase of 25 wagons", "53 more cars than").
CHANGE_BEFORE = {
    "en": r"(?:an? )?(?:increase|rise|jump|drop|fall|decrease|surge|gain) of|up by|down by"
    r"|(?:increased|rose|grew|fell|dropped|jumped) by",
    "fr": r"(?:une )?(?:augmentation|hausse|baisse|progression|diminution) de|de plus de"
    r"|(?:augmenté|diminué|progressé|baissé|grimpé|reculé|crû) de",
    "nl": r"(?:een )?(?:stijging|toename|afname|daling|groei) (?:van|met)|gestegen met|gedaald met"
    r"|toegenomen met|afgenomen met",
    "de": r"(?:ein(?:e|en)? )?(?:Anstieg|Zunahme|Rückgang|Plus|Minus) (?:um|von)|um"
    r"|(?:gestiegen|gesunken|zugenommen|abgenommen) um",
    "ru": r"(?:рост|увеличение|снижение|прирост) на|на",
    "ko": r"증가|감소",
    "es": r"(?:un )?(?:aumento|incremento|descenso|alza) de|(?:aumentó|creció|subió|bajó) en",
}
CHANGE_AFTER = {
    "en": r"(?:more|fewer|additional|extra|times)\b(?! than)|new arrivals",
    "fr": r"(?:de plus|de moins|supplémentaires|fois)\b",
    "nl": r"(?:meer|minder|extra|keer|maal)\b",
    "de": r"(?:mehr|weniger|zusätzliche\w*|mal)\b",
    "ru": r"(?:больше|меньше|раза?|дополнительн\w*)",
    "ko": r"(?:배|더|증가|늘)",
    "es": r"(?:más|menos|adicionales|veces)\b",
}
# Numbers about something else: a capacity, a rate, a train, a distance.
UNRELATED = {
    "en": r"capacity|can (?:hold|take|accommodate|handle)|room for|per day|a day|daily|per week"
    r"|a week|kilometres?|km|miles?|per cent|percent|%|tracks?|sidings?|platforms?",
    "fr": r"capacité|peut (?:accueillir|contenir)|par jour|quotidiens?|par semaine|kilomètres?|km"
    r"|pour cent|%|voies",
    "nl": r"capaciteit|plaats voor|per dag|dagelijks|per week|kilometers?|km|procent|%|sporen",
    "de": r"Kapazität|Platz für|pro Tag|täglich|pro Woche|Kilometer|km|Prozent|%|Gleise",
    "ru": r"вместим\w*|пропускн\w*|способн\w* принять|может принять|вмеща\w*|рассчитан\w* на"
    r"|в сутки|в день|ежедневно|километр\w*|км|процент\w*|%|пут\w+",
    "ko": r"수용|하루|매일|킬로미터|km|퍼센트|%|선로",
    "es": r"capacidad|cabida|al día|por día|diarios|kilómetros?|km|por ciento|%|vías",
}
# Not a report of what was seen: a plan, a possibility, a demand.
MODAL = {
    "en": r"could|would|might|(?-i:may)|plans? to|expected to|will|intends? to|able to",
    "fr": r"pourrai\w*|devrai\w*|prévoi\w*|envisage\w*|sera\w*",
    "nl": r"zou(?:den)?|kunnen|kan|zal|zullen|van plan|verwacht",
    "de": r"könnte\w*|würde\w*|soll(?:en|te\w*)?|plan(?:t|en|te\w*)|geplant\w*|voraussichtlich",
    "ru": r"мог\w*|может|будет|планиру\w*|собира\w*",
    "ko": r"수 있|예정|계획",
    "es": r"podría\w*|podrá\w*|planea\w*|prevé|será\w*",
}
# Clause breaks inside a sentence: a number's role and date come from its own clause.
CLAUSE_BREAK = (
    r";|:\s|\s[—–]\s|,?\s(?=(?:while|whereas|compared (?:with|to)|against|up from|down from"
    r"|but|although|though|contre|alors qu|tandis qu|comparé|par rapport|mais|bien qu|terwijl"
    r"|vergeleken met|tegen|tegenover|maar|hoewel|während|gegenüber|verglichen mit|aber|obwohl"
    r"|тогда как|по сравнению|против|но|хотя|mientras|frente a|en comparación|pero|aunque"
    r"|반면|비해|대비|이전에)(?![\w]))"
)
# What a date is the date of, read from the words around it.
DATE_CUES = {
    "imagery": {
        "en": r"imagery|images?|pictures?|photos?|photographs?|taken|captured|shot|acquired"
        r"|collected|dated|snapped",
        "fr": r"images?|imagerie|clichés?|photos?|prise?s?|capturée?s?|datée?s?|réalisée?s?",
        "nl": r"beelden|satellietbeelden|satellietfoto'?s|foto'?s|opnamen|opnames|gemaakt"
        r"|genomen|vastgelegd",
        "de": r"Bilder\w*|Aufnahmen|Satellitenbilder\w*|Satellitenaufnahmen|aufgenommen"
        r"|entstanden|datiert\w*",
        "ru": r"снимк\w*|снимок|изображени\w*|сделанн\w*|снят\w*|датированн\w*",
        "ko": r"촬영|찍힌|찍은|자 위성|위성 ?사진|위성 ?영상|사진|영상",
        "es": r"imágenes|fotos|fotografías|tomadas?|captadas?|capturadas?|fechadas?",
    },
    "event": {
        "en": r"summit|visit\w*|trip|tour|met|meeting|talks|arriv\w+|travel\w*|ceremony"
        r"|statement|announced",
        "fr": r"sommet|visite\w*|voyage|séjour|rencontr\w+|rendre|arriv\w+|entretiens?"
        r"|cérémonie|déclaration",
        "nl": r"top|topontmoeting|bezoek\w*|bezocht|reis|ontmoet\w*|aankomst|aangekomen"
        r"|ceremonie|verklaring",
        "de": r"Gipfel\w*|Besuch\w*|besucht\w*|Reise|Treffen|trafen|Ankunft|eingetroffen"
        r"|Zeremonie|Erklärung",
        "ru": r"саммит\w*|визит\w*|поездк\w*|встреч\w*|прибы\w+|переговор\w*",
        "ko": r"정상회담|회담|방문|도착|만남|회의",
        "es": r"cumbre|visita\w*|viaje|reuni\w+|lleg\w+|encuentro|ceremonia|declaración",
    },
    "report": SPEECH,
}
# "starting five days after the summit": a delay measured from an event, not its length.
LAG_AFTER = {
    "en": r"after|before|later|earlier|since|on from|prior to",
    "fr": r"après|avant|plus tard|plus tôt|auparavant",
    "nl": r"na|voor|later|eerder|nadat",
    "de": r"nach|vor|später|früher|danach",
    "ru": r"после|до|спустя|позже|раньше",
    "ko": r"후|뒤|전|만에",
    "es": r"después|antes|más tarde",
}
#: Korean native day counts ("사흘 뒤": three days later).
KO_DAY_WORDS = {
    "하루": 1,
    "이틀": 2,
    "사흘": 3,
    "나흘": 4,
    "닷새": 5,
    "엿새": 6,
    "이레": 7,
    "열흘": 10,
}
# Verbs of seeing: a date in a sentence with one of these and a count is when it was seen.
OBSERVED = {
    "en": r"seen|observed|spotted|counted|visible|documented|parked|stood|lined up|recorded",
    "fr": r"vus?|observée?s?|aperçue?s?|comptée?s?|visibles?|documentée?s?|stationn\w+|relevée?s?",
    "nl": r"gezien|waargenomen|geteld|zichtbaar|stonden|stond|gespot",
    "de": r"gesehen|beobachtet|gezählt|zählte|sichtbar|standen|stand|erfasst",
    "ru": r"замечен\w*|видн\w*|зафиксирован\w*|насчитал\w*|стоял\w*|наблюдал\w*",
    "ko": r"포착|관측|확인|서 있|있었",
    "es": r"vistos?|observados?|contados?|visibles|había|estaban|registrados?",
}
# "a week ago", "il y a une semaine": a time before publication, neither a length nor a lag.
AGO_BEFORE = {"fr": r"il y a", "de": r"vor", "es": r"hace"}
AGO_AFTER = {"en": r"ago", "nl": r"geleden", "ru": r"назад", "ko": r"전에|전"}
