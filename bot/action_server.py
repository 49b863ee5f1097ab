"""The action server: rasa_sdk's app with the door's body checks in front of its webhook.

`rasa run actions` builds rasa_sdk's Sanic app and runs it with no way to add a check before the
webhook, which answered 500 (and echoed the body into its log) for `[]` or a deeply nested body. This
builds the same app with rasa_sdk's own `create_app`, adds the check, and runs it the same way.
"""

from __future__ import annotations

import logging
import os

from rasa_sdk.endpoint import create_app
from rasa_sdk.plugin import plugin_manager

from bot.channels.door import install_on_action_server


def run(port: int, actions_package: str = "actions") -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app(actions_package, cors_origins=None)
    install_on_action_server(app)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    # Only Rasa calls it: loopback unless SANIC_HOST says otherwise (as `rasa run actions` reads it).
    app.run(os.environ.get("SANIC_HOST", "127.0.0.1"), port, workers=1, access_log=False)
