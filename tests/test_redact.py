"""The one display form of a central URL or DSN (issue 20, "Secrets"): a password is
masked in the userinfo, the query string and key=value form, malformed URLs included;
any text quoting the URL loses its secrets too."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from agentdesk.core.redact import MASK, read_alike, redact, shown_url

S = "Zq9-s3cr3t"

SHOWN = {
    f"postgresql://u:{S}@127.0.0.1:abc/nope": "postgresql://u:***@127.0.0.1:abc/nope",
    f"postgresql://u@127.0.0.1:5432/db?password={S}":
        "postgresql://u@127.0.0.1:5432/db?password=***",
    f"postgresql://u@h/db?sslmode=require&PassWord={S}&application_name=x":
        "postgresql://u@h/db?sslmode=require&PassWord=***&application_name=x",
    f"postgresql://u@h/db?pass%77ord={S}": "postgresql://u@h/db?pass%77ord=***",
    f"postgresql://u:ab@{S}@127.0.0.1:5432/db": "postgresql://u:***@127.0.0.1:5432/db",
    f"postgresql://u:{quote(S + '@/:?', safe='')}@h:5432/db": "postgresql://u:***@h:5432/db",
    f"postgresql://u:a/{S}@h:5432/db": "postgresql://u:***@h:5432/db",
    f"postgresql+psycopg://u:{S}@[::1]:5432/db": "postgresql+psycopg://u:***@[::1]:5432/db",
    f"postgresql://u:{S}@h1:5432,h2:5433/db": "postgresql://u:***@h1:5432,h2:5433/db",
    f"postgresql://u:{S}@h/db#{S}": "postgresql://u:***@h/db#***",
    f"host=127.0.0.1 port=5432 user=u password={S} dbname=x":
        "host=127.0.0.1 port=5432 user=u password=*** dbname=x",
    f"host=h password = '{S} \\' x' dbname=x": "host=h password=*** dbname=x",
    f"host=h password='{S}": "host=h password=***",
    # cannot be read with certainty: nothing after the scheme
    f"postgresql://u:{S}127.0.0.1/db": "postgresql://***",
    f"postgresql://u:ab?x={S}@h/db": "postgresql://***",
    f"u:{S}@h/db": MASK,
    S: MASK,
    # nothing secret: as written
    "postgresql://agentdesk@db.example:5432/centre": "postgresql://agentdesk@db.example:5432/centre",
    "sqlite:////srv/centre@2/central.db": "sqlite:////srv/centre@2/central.db",
    "": "",
}


@pytest.mark.parametrize("url", list(SHOWN))
def test_shown_url_masks_every_password(url: str) -> None:
    assert shown_url(url) == SHOWN[url]
    assert S not in shown_url(url) and "s3cr3t" not in shown_url(url)


# (URL, what a driver could quote back from it)
ECHOES = [
    (f"postgresql://u:{S}@127.0.0.1:abc/nope", S),
    (f"postgresql://u@127.0.0.1:5432/db?password={S}", S),
    (f"postgresql://u:ab@{S}@127.0.0.1:5432/db", f"{S}@127.0.0.1"),  # host "S@127.0.0.1"
    (f"postgresql://u:{quote(S + '@/:?', safe='')}@h:5432/db", S + "@/:?"),
    (f"postgresql://u:a/{S}@h:5432/db", f"a/{S}"),
    (f"host=h password='{S} \\' x' dbname=x", f"{S} ' x"),
    (f"postgresql://u:{S}127.0.0.1/db", f"{S}127.0.0.1"),  # port "S127.0.0.1"
    (f"u:{S}@h/db", S),
]


@pytest.mark.parametrize(("url", "echo"), ECHOES)
def test_text_quoting_the_url_or_its_password_loses_them(url: str, echo: str) -> None:
    out = redact(f"could not connect to {url}: {echo!r} refused ({echo})", url)
    assert "s3cr3t" not in out, out


def test_an_at_sign_in_the_userinfo_is_not_read_alike() -> None:
    assert not read_alike(f"postgresql://u:ab@{S}@127.0.0.1/db")
    assert not read_alike(f"postgresql://u:{S}127.0.0.1/db")
    assert read_alike("postgresql://u:pw@127.0.0.1:5432/db?sslmode=require")
    assert read_alike("sqlite:////tmp/a@b/central.db")


def test_text_with_no_known_url_still_loses_url_passwords_and_pairs() -> None:
    out = redact(f"dsn postgresql://a:{S}@h/db and password={S} or PGPASSWORD = '{S}'")
    assert S not in out and "postgresql://a:***@h/db" in out


def test_a_short_password_is_masked_only_as_a_whole_word() -> None:
    url = "postgresql://u:se@127.0.0.1:1/db"
    assert redact("Name or service not known: se", url) == "Name or service not known: ***"


def test_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    from agentdesk.sync import central  # noqa: F401 - installs the guard

    log = logging.getLogger("sqlalchemy.engine.test_redact")
    with caplog.at_level(logging.INFO):
        log.warning("connecting to %s", f"postgresql://u:{S}@h/db")
        try:
            raise RuntimeError(f"password={S}")
        except RuntimeError:
            log.exception("failed")
    assert caplog.records and S not in caplog.text


PASSWORDS = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF,
                                  blacklist_characters="'\\"), min_size=6, max_size=24)


@given(PASSWORDS)
def test_no_password_survives_in_any_form(password: str) -> None:
    fixed = "postgresql://agentdesk@127.0.0.1:5432/centre?password=*** host port user dbname"
    assume(password not in fixed and MASK not in password)
    for url in (f"postgresql://agentdesk:{quote(password, safe='')}@127.0.0.1:5432/centre",
                f"postgresql://agentdesk@127.0.0.1:5432/centre?password="
                f"{quote(password, safe='')}",
                f"postgresql://agentdesk:{password}@127.0.0.1:5432/centre",
                f"host=127.0.0.1 port=5432 user=agentdesk password='{password}' dbname=c"):
        assert password not in shown_url(url), url
        assert password not in redact(f"failed: {url} ({password})", url), url


def test_a_masked_url_keeps_the_words_after_it() -> None:
    url = f"postgresql://u@h:1/db?password={S}"
    assert redact(f"central store {url}: unreachable", url) == \
        "central store postgresql://u@h:1/db?password=***: unreachable"


@pytest.mark.parametrize("password", ["0000#0", "ab?cd", "x#y?z", "0@#000", "a@b?c"])
def test_an_unencoded_hash_or_question_mark_in_the_password_masks_everything(password
                                                                             ) -> None:
    """Hypothesis found it: ``postgresql://u:0000#0@h/db`` read the password as a host
    and a fragment, and the error text kept it."""
    url = f"postgresql://agentdesk:{password}@127.0.0.1:5432/centre"
    assert shown_url(url) == "postgresql://***"
    assert password not in redact(f"failed: {url} ({password})", url)
