"""The view in the URL: ?lang=ja&era=wareki&year=2020&indicator=M13-1 (the page is the URL path).

A copied link opens the same view; each selection is written back to the URL on every rerun. A value the link
carries is applied once, when it is new to the session (a pasted link, browser back/forward); after that the
widgets lead. A value that is not one of the options is reported and the default is shown instead.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from app.i18n import t

WRITTEN_KEY = "_url_written"  # param -> the value this session last wrote to the URL
REJECTED_KEY = "_url_rejected"  # (param, value, valid values) seen in this rerun, shown by notices()


def start_rerun() -> None:
    """Forget the previous rerun's rejected values (called once at the top of the app)."""
    st.session_state[REJECTED_KEY] = []


def seed(param: str, widget_key: str, options: Sequence[Any], parse: Callable[[str], Any] = str,
         describe: Callable[[Any], str] = str) -> None:
    """Set the widget's state from ?param= when the link brings a value this session has not written.

    Must run before the widget is created. An unknown value leaves the widget at its default and is recorded
    for notices(); it never raises.
    """
    raw = st.query_params.get(param)
    if raw is None or st.session_state.get(WRITTEN_KEY, {}).get(param) == raw:
        return
    try:
        value = parse(raw)
    except (TypeError, ValueError):
        value = None
    if value in options:
        st.session_state[widget_key] = value
        return
    valid = ", ".join(describe(option) for option in options)
    st.session_state.setdefault(REJECTED_KEY, []).append((param, raw, valid))


def publish(param: str, value: Any) -> None:
    """Write the current selection to the URL (only when it changed, so the browser history stays short)."""
    text = str(value)
    st.session_state.setdefault(WRITTEN_KEY, {})[param] = text
    if st.query_params.get(param) != text:
        st.query_params[param] = text


def notices(lang: str) -> None:
    """One warning per link value that could not be used, saying which default is shown instead."""
    for param, raw, valid in st.session_state.get(REJECTED_KEY, []):
        st.warning(t("url_fallback", lang, name=param, value=raw, valid=valid))
    st.session_state[REJECTED_KEY] = []
