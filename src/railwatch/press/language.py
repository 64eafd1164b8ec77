"""Which language a report is in, decided offline by py3langid's packaged model.

The model is restricted to the languages the claim rules know, so a Dutch
report is not taken for Afrikaans; text the model is unsure of is ``und``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

#: Languages with claim rules (number words, nouns, hedges, dates).
LANGUAGES: tuple[str, ...] = ("fr", "en", "nl", "de", "ru", "ko", "es")
#: Below this (normalized over LANGUAGES) the language is reported as unknown.
MIN_CONFIDENCE = 0.9
#: Fewer letters than this are too few to tell a language by.
MIN_LETTERS = 20


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(LANGUAGES))
    return ident


def load() -> None:
    """Load the model now (it takes about a second) rather than on first use."""
    _identifier()


def identify(text: str) -> tuple[str, float]:
    """The language code of ``text`` and the model's confidence, or ``("und", p)``."""
    letters = len(re.findall(r"[^\W\d_]", text))
    if letters < MIN_LETTERS:
        return "und", 0.0
    lang, prob = _identifier().classify(text)
    if prob < MIN_CONFIDENCE:
        return "und", float(prob)
    return str(lang), float(prob)
