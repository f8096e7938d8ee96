"""Password gate for a shared server (``SCGRN_SHARE=1``), through streamlit-authenticator.

Local use (the default: the server listens on localhost only) needs no password. When sharing, the password
comes from ``SCGRN_PASSWORD`` (plain, hashed with bcrypt here) or ``SCGRN_PASSWORD_HASH`` (a bcrypt hash);
the user name is ``SCGRN_USER`` (default ``lab``). Nothing of the app is drawn before a successful login.
"""

from __future__ import annotations

import copy
import os
import secrets

import streamlit as st


def sharing() -> bool:
    return os.environ.get("SCGRN_SHARE", "").strip().lower() in ("1", "true", "yes", "on")


@st.cache_resource
def _credentials() -> tuple[dict, str]:
    """The hashed credentials and the cookie key, made once per server start (bcrypt is slow). Plain data
    only: the Authenticate object holds widgets and per-session state, so it is built on every run."""
    import streamlit_authenticator as stauth

    user = os.environ.get("SCGRN_USER", "lab")
    hashed = os.environ.get("SCGRN_PASSWORD_HASH") or stauth.Hasher.hash(os.environ["SCGRN_PASSWORD"])
    credentials = {"usernames": {user: {"email": f"{user}@localhost", "first_name": user, "last_name": "",
                                        "password": hashed, "failed_login_attempts": 0, "logged_in": False}}}
    # a fresh cookie key per server start: a restart asks for the password again
    return credentials, os.environ.get("SCGRN_COOKIE_KEY") or secrets.token_hex(32)


def _authenticator():
    import streamlit_authenticator as stauth

    credentials, key = _credentials()
    return stauth.Authenticate(copy.deepcopy(credentials), "scgrn_auth", key, cookie_expiry_days=1, auto_hash=False)


def require_login() -> None:
    """When sharing, show the login form and stop the page until the password is right."""
    if not sharing():
        return
    if not (os.environ.get("SCGRN_PASSWORD") or os.environ.get("SCGRN_PASSWORD_HASH")):
        st.error("Sharing is on but no password is set: start with SCGRN_PASSWORD=... bash scripts/app.sh --share.")
        st.stop()
    auth = _authenticator()
    try:
        auth.login(location="main", max_login_attempts=None, fields={"Form name": "scGRN Studio: log in"})
    except Exception as exc:  # the library raises on a bad cookie or form state: show only a short message
        st.error(f"Login failed: {type(exc).__name__}.")
    status = st.session_state.get("authentication_status")
    if status is False:
        st.error("Wrong user name or password.")
    if not status:
        st.stop()
    auth.logout(location="sidebar")
