"""The interpreter: runs one execution of a compiled state machine."""
