"""The web UI: built files in ``static/`` (from the sources in ``web/``) served by
``stepfn serve`` beside the API. See ``stepfn.ui.app``."""

from stepfn.ui.app import create_ui_app

__all__ = ["create_ui_app"]
