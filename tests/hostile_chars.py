"""One list of hostile characters, that both front ends (the CLI and the dashboard) are tested
against: each must show every one of them as its escape, never pass it to the terminal."""

from __future__ import annotations

# (character, what it does, the escape shown in its place)
HOSTILE: list[tuple[str, str, str]] = [
    ("\x00", "NUL", "\\x00"),
    ("\x07", "bell (ends an OSC)", "\\x07"),
    ("\x08", "backspace", "\\x08"),
    ("\x0b", "vertical tab", "\\x0b"),
    ("\x0c", "form feed", "\\x0c"),
    ("\r", "carriage return (overwrites the line)", "\\x0d"),
    ("\x1b", "ESC (starts CSI and OSC sequences)", "\\x1b"),
    ("\x1f", "unit separator", "\\x1f"),
    ("\x7f", "DEL", "\\x7f"),
    ("\x85", "next line (C1)", "\\x85"),
    ("\x9b", "8-bit CSI", "\\x9b"),
    ("\x9d", "8-bit OSC", "\\x9d"),
    ("\u061c", "Arabic letter mark", "\\u061c"),
    ("\u200e", "left-to-right mark", "\\u200e"),
    ("\u200f", "right-to-left mark", "\\u200f"),
    ("\u2028", "line separator", "\\u2028"),
    ("\u2029", "paragraph separator", "\\u2029"),
    ("\u202a", "left-to-right embedding", "\\u202a"),
    ("\u202b", "right-to-left embedding", "\\u202b"),
    ("\u202c", "pop directional formatting", "\\u202c"),
    ("\u202d", "left-to-right override", "\\u202d"),
    ("\u202e", "right-to-left override", "\\u202e"),
    ("\u2066", "left-to-right isolate", "\\u2066"),
    ("\u2067", "right-to-left isolate", "\\u2067"),
    ("\u2068", "first strong isolate", "\\u2068"),
    ("\u2069", "pop directional isolate", "\\u2069"),
    ("\ud800", "lone high surrogate", "\\ud800"),
    ("\udbff", "lone high surrogate (last)", "\\udbff"),
    ("\udc00", "lone low surrogate", "\\udc00"),
    ("\udfff", "lone low surrogate (last)", "\\udfff"),
]
# Ordinary text that neither front end may change.
HARMLESS = "Zoë Ångström «quoted» — 日本 café ✓ #1000 (Leeds DC) شركة עברית"
