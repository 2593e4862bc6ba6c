"""Every hostile payload through clean(), clean_log_line(), safe(), log_text(): nothing can act."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from rich.console import Console
from rich.text import Text

from dockscope.textsafe import DEFAULT_LIMIT, LOG_LINE_LIMIT, MAX_COMBINING, clean, clean_log_line, has_url_credentials, mask_url_credentials
from dockscope.ui.text import log_text, safe, safe_block, state_text
from tests.hardening.payloads import BYTE_PAYLOADS, FORBIDDEN, HUGE_LINE, MARKER, PAYLOADS, all_text_payloads

TEXT = all_text_payloads()
ALL = {**TEXT, **{f"{name}_bytes": data for name, data in BYTE_PAYLOADS.items()}}
SGR_ONLY = re.compile(r"\x1b\[[0-9;]*m")


def assert_inert(text: str, *, allow: str = "") -> None:
    """No character in ``text`` that a terminal or a layout would act on."""
    for char in text:
        if char in allow:
            continue
        category = unicodedata.category(char)
        assert category not in ("Cc", "Cf", "Cs", "Zl", "Zp"), f"{char!r} ({category}) left in {text[:80]!r}"
    text.encode("utf-8")  # strict: a lone surrogate would make the terminal write fail


def longest_mark_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if unicodedata.category(char) in ("Mn", "Me") else 0
        longest = max(longest, run)
    return longest


def rendered(text: Text, width: int = 200) -> bytes:
    """What rich writes to a colour terminal for ``text``."""
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="truecolor", width=width, legacy_windows=False)
    console.print(text)
    return buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize("name", sorted(ALL))
def test_clean_leaves_nothing_active(name: str) -> None:
    out = clean(ALL[name])
    assert_inert(out)
    assert MARKER in out
    assert len(out) <= DEFAULT_LIMIT
    assert longest_mark_run(out) <= MAX_COMBINING


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("keep_sgr", [False, True])
def test_clean_log_line_keeps_at_most_sgr(name: str, keep_sgr: bool) -> None:
    out = clean_log_line(ALL[name], keep_sgr=keep_sgr)
    assert_inert(SGR_ONLY.sub("", out), allow="\t")
    assert MARKER in out


@pytest.mark.parametrize("name", sorted(TEXT))
def test_escape_sequences_show_as_text(name: str) -> None:
    """The payload is still readable: each ESC shows as ␛, each C1 as <9b>..."""
    out = clean(TEXT[name])
    assert out.count("␛") == TEXT[name].count("\x1b")
    assert out.count("<9b>") == TEXT[name].count("\x9b")


@pytest.mark.parametrize("name", sorted(ALL))
def test_safe_renders_without_escapes_or_markup(name: str) -> None:
    text = safe(ALL[name])
    assert not text.spans
    assert text.plain == clean(ALL[name], limit=512)[: len(text.plain)].rstrip("…") + text.plain[len(text.plain.rstrip("…")) :]
    output = rendered(text)
    for label, sequence in FORBIDDEN.items():
        assert sequence not in output, label
    assert SGR_ONLY.sub("", output.decode()).count("\x1b") == 0


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("keep_colours", [False, True])
def test_log_text_emits_only_sgr(name: str, keep_colours: bool) -> None:
    text = log_text(ALL[name], keep_colours=keep_colours)
    assert_inert(text.plain, allow="\t")
    assert all(not getattr(span.style, "link", None) for span in text.spans)
    output = rendered(text).decode()
    assert SGR_ONLY.sub("", output).count("\x1b") == 0


def test_markup_is_never_parsed() -> None:
    for value in ("[@click=app.quit]x[/]", "[/]", "[bold", "[link=file:///etc/passwd]x[/link]", "[red]r[/red]"):
        assert safe(value).plain == value
        assert not safe(value).spans
        assert safe_block(value).plain == value
        assert log_text(value).plain == value


def test_sgr_colours_survive_in_logs_and_links_do_not() -> None:
    text = log_text("\x1b[31mred\x1b[0m \x1b]8;;http://x.invalid/\x1b\\link\x1b]8;;\x1b\\ done")
    assert text.plain == "red link done"
    assert [(s.start, s.end, s.style.color.number) for s in text.spans if s.style.color] == [(0, 3, 1)]
    assert not any(getattr(span.style, "link", None) for span in text.spans)
    assert log_text("\x1b[31mred", keep_colours=False).plain == "red"


def test_c1_csi_in_a_log_line_shows_as_text() -> None:
    assert clean_log_line("a\x9b2Jb") == "a<9b>2Jb"
    assert clean_log_line(b"a\xc2\x9b2Jb") == "a<9b>2Jb"


def test_invalid_utf8_shows_each_bad_byte() -> None:
    assert clean(b"ok\xff\xfe") == "ok\\xff\\xfe"
    assert clean_log_line(b"\xed\xa0\x80x") == "\\xed\\xa0\\x80x"


def test_huge_line_is_cut_early() -> None:
    out = clean_log_line(HUGE_LINE)
    assert len(out) <= LOG_LINE_LIMIT + 1 and out.endswith("…")
    assert len(clean(HUGE_LINE)) <= DEFAULT_LIMIT
    assert log_text(HUGE_LINE).cell_len <= LOG_LINE_LIMIT + 1
    coloured = clean_log_line("\x1b[31m" * 10000 + "x", keep_sgr=True, limit=100)
    assert not re.search(r"\x1b(?!\[[0-9;]*m)", coloured)


def test_safe_cuts_by_display_width() -> None:
    wide = safe("全" * 600, limit=100)
    assert wide.cell_len <= 100
    assert safe("a" * 600, limit=100).cell_len <= 100


def test_combining_storm_is_capped_but_accents_stay() -> None:
    assert clean("e\u0301") == "e\u0301"
    assert clean("Z" + "\u0301" * 500) == "Z\u0301\u0301"
    assert clean("x" + "\u20dd" * 50) == "x\u20dd\u20dd"  # enclosing marks have combining class 0


def test_bidi_and_zero_width_are_visible() -> None:
    assert clean("a\u202eb") == "a<U+202E>b"
    assert clean("a\u200bb") == "a<U+200B>b"
    assert clean("a\u00adb") == "a<U+00AD>b"


def test_health_in_state_text_is_cleaned() -> None:
    text = state_text("running", "healthy\x1b]0;x\x07")
    assert "\x1b" not in text.plain and "␛" in text.plain


def test_plain_ascii_is_unchanged() -> None:
    value = "web-1 sh -c 'echo hi' [x] 100%"
    assert clean(value) == value
    assert clean("tab\there", keep_tabs=True) == "tab\there"
    assert clean("tab\there") == "tab␉here"


def test_url_credentials_are_masked() -> None:
    assert mask_url_credentials("pull https://bob:s3cret@registry.example/v2/") == "pull https://bob:***@registry.example/v2/"
    assert mask_url_credentials("tcp://host:2376 and unix:///run/docker.sock") == "tcp://host:2376 and unix:///run/docker.sock"
    assert has_url_credentials("DB=postgres://app:pw@db:5432/app")
    assert not has_url_credentials("DB=postgres://db:5432/app")


@pytest.mark.parametrize("value", [HUGE_LINE, "a://" + "A" * 1_000_000, "x" * 1_000_000 + "://"])
def test_url_credential_search_stays_linear_on_huge_values(value: str) -> None:
    """An unbounded scheme pattern rescans a long run of letters from every position (hours at 5 MB)."""
    import time

    started = time.process_time()
    assert not has_url_credentials(value)
    assert mask_url_credentials(value) == value
    assert time.process_time() - started < 5
