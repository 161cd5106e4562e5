"""A handler module with a hyphen in its name, in a subfolder, using a layer's module."""

import shared_lib


def handler(event, context):
    return {"greeting": shared_lib.greet(event["name"]), "layer": shared_lib.__file__}
