"""A layer's module (on the path as /opt/python would be)."""


def greet(name):
    return f"hello {name}"
