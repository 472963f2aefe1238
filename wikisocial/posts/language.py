"""Guessing a post's language when its author did not say. The model (py3langid, about 100 MB
with NumPy) is loaded only in the worker, by the fan-out task, never in web processes."""

from __future__ import annotations

import re
import threading

_lock = threading.Lock()
_identifier = None
MIN_LETTERS = 15
# The model knows close neighbours (Spanish, Aragonese, Extremaduran …) that share the
# probability, so ask for a clear lead rather than a high absolute score.
MIN_CONFIDENCE = 0.5
MIN_LEAD = 3.0
# Links, mentions, hashtags and wikilinks say little about the language of the text around them.
_NOISE = re.compile(r"https?://\S+|[@#][\w.@:-]+|\[\[[^\]]*\]\]|[*_`>~]")


def _load():
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def detect_language(text: str) -> str:
    """An ISO 639-1 code, or "" when the text is too short or the guess is unsure."""
    text = _NOISE.sub(" ", text)
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return ""
    (code, first), (_second_code, second) = _load().rank(text)[:2]
    return code if first >= MIN_CONFIDENCE and first >= MIN_LEAD * second else ""


def ensure_language(post) -> None:
    """Fill in the language of a post that has none, if it can be told."""
    if post.language or not post.content:
        return
    code = detect_language(post.content)
    if code:
        type(post).objects.filter(pk=post.pk, language="").update(language=code)
        post.language = code
