"""The editor area: sign-in (Streamlit's OpenID Connect), forms to add and correct events,
retract and restore them, and the change log. Streamlit code only; the writes themselves are
`timeline.service`, reached only through `writes.py`, which checks the signed-in identity."""
