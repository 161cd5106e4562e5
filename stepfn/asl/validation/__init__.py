"""Static validation of a state machine definition, with AWS's diagnostics.

``validate_definition`` walks a parsed definition's model (``stepfn.asl.model``, the
one loader the compiler and TestState share) and returns *every* problem it
finds as a ``Diagnostic`` shaped like ValidateStateMachineDefinition's answer: AWS's code
(``SCHEMA_VALIDATION_FAILED``, ``MISSING_TRANSITION_TARGET``...), a location inside the
definition and AWS's wording where it is known. ``parse_definition`` turns the JSON text
into a dict, rejecting malformed JSON and duplicate state names (which a dict cannot keep).

Locations follow what AWS reports: ``/`` for the root, ``/States/<name>`` for a state,
``/States/<name>/<Field>`` for a field, array members as ``Field[<i>]`` (for example
``/States/C/Choices[0]/Next``) and nested machines under their container
(``/States/M/ItemProcessor/States/X``, ``/States/P/Branches[0]/States/X``).

Every rule, its source page and its test are listed in docs/validation.md. Modules:
``rules`` (AWS's rules as data), ``parsing``, ``values`` (field-value predicates),
``validator`` (the per-state checks over the model's states, machine by machine),
``graph`` (the model's transitions: targets, terminal states, reachability).

Optional collaborators (``stepfn.asl.intrinsics``, ``stepfn.asl.jsonata``) are imported
lazily; while one is missing its check degrades to a lexical test instead of failing.
"""

from .parsing import find_duplicate_keys, parse_definition
from .validator import validate_definition, validate_state

# The text entry points (validate_text, load_definition) are the loader's:
# ``stepfn.asl.loader`` (``stepfn.asl.validate`` re-exports them).
__all__ = ["find_duplicate_keys", "parse_definition", "validate_definition",
           "validate_state"]
