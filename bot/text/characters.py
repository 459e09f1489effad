"""Characters as the sentence rules see them: CJK text (written without spaces), NFC, and the
brackets and quotes a cut must not leave open. Shared by finding the first sentence
(bot/text/sentences.py) and shortening (bot/text/shorten.py).
"""

from __future__ import annotations

import re
import unicodedata

PAIRS = {
    "(": ")",
    "[": "]",
    "{": "}",
    "（": "）",
    "［": "］",
    "｛": "｝",
    "【": "】",
    "「": "」",
    "『": "』",
    "《": "》",
    "〈": "〉",
    "〔": "〕",
    "“": "”",
    "‘": "’",
    "«": "»",
}
OPENERS = frozenset(PAIRS)
CLOSERS = frozenset(PAIRS.values()) | {'"', "'"}
QUOTE = '"'
_BRACKET_CHARS = re.compile("[" + re.escape("".join(sorted(OPENERS | CLOSERS))) + "]")


#: The code points ``is_cjk`` takes, as (first, last) ranges (a test checks they agree).
CJK_RANGES = (
    (0x3000, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
    (0x31F0, 0x31FF),
    (0x20000, 0x3FFFF),
)


def is_cjk(char: str) -> bool:
    """Han, kana, CJK punctuation and full-width forms: text written without spaces."""
    code = ord(char)
    return (
        0x3000 <= code <= 0x30FF  # CJK symbols and punctuation, hiragana, katakana
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF
        or 0x31F0 <= code <= 0x31FF
        or 0x20000 <= code <= 0x3FFFF
    )


def nfc(text: str) -> str:
    """``text`` NFC-normalised (as X counts it), without copying text that already is."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


class Brackets:
    """Open brackets and quotes, scanned left to right up to a position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.stack: list[str] = []

    def feed(self, char: str) -> None:
        stack = self.stack
        if char in OPENERS:
            stack.append(char)
        elif char == QUOTE:
            if stack and stack[-1] == QUOTE:
                stack.pop()
            else:
                stack.append(QUOTE)
        elif char in CLOSERS and stack and PAIRS.get(stack[-1]) == char:
            stack.pop()

    def advance(self, position: int) -> None:
        if position > self.position:
            for match in _BRACKET_CHARS.finditer(self.text, self.position, position):
                self.feed(match.group())
            self.position = position


def open_brackets(text: str) -> list[str]:
    """The brackets and quotes ``text`` leaves open, innermost last."""
    state = Brackets(text)
    state.advance(len(text))
    return state.stack
