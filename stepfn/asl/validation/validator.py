"""The per-state checks over the definition's model (``stepfn.asl.model``: root,
states, Parallel branches, Map processors) and the public entry points.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from ...errors import Diagnostic
from ..model import MachineModel, StateModel, load_model, load_state
from ..resources import (
    CALLBACK,
    ITEM_READER_ACTIONS,
    RESULT_WRITER_ACTIONS,
    ResourceError,
    parse_resource,
    parse_s3_resource,
)
from ..timestamps import is_timestamp
from .graph import graph_diagnostics
from .rules import (
    BOOLEAN_OPS,
    BRANCH_FIELDS,
    CATCHER_FIELDS,
    COMMON,
    COMPARISON_OPS,
    DUPLICATE_LABEL,
    DUPLICATE_NAME,
    FIELDS,
    INVALID_JSONATA,
    INVALID_LABEL,
    INVALID_NAME,
    JSONATA,
    JSONPATH,
    LABEL_FORBIDDEN,
    MAX_BATCH_BYTES,
    MAX_DELAY_SECONDS,
    MAX_LABEL,
    MAX_READER_ITEMS,
    MAX_SECONDS,
    MAX_STATE_NAME,
    MAX_VARIABLE_NAME,
    NO_DOLLAR,
    NO_PATH,
    NO_TRANSITION_TYPES,
    NUMERIC_OPS,
    PASS_RESULT_IS_STATIC,
    POINTER_INDEX,
    PROCESSOR_FIELDS,
    REQUIRED,
    RESERVED_VARIABLES,
    RESULT_TYPES,
    RETRIER_FIELDS,
    SCHEMA,
    STATE_TYPES,
    STATES_EVERYWHERE,
    STATES_IN_CATCH,
    STATES_OPTIONAL,
    STATES_WITH_RESULT,
    STRING_OPS,
    TIMESTAMP_OPS,
    TOP_FIELDS,
    UNSUPPORTED_JSONATA,
    VARIABLE_REF,
    WAIT_CHOICES,
    WARNING,
    WRITER_CONFIG_VALUES,
)
from .values import (
    _at,
    _compile_jsonata,
    _has_dynamic_key,
    _intrinsic_error,
    _is_int,
    _is_jsonata,
    _is_number,
    _item,
    _looks_dynamic,
    _optional,
    _reference_ok,
    _result_path_ok,
)


class _Validator:
    """Collects diagnostics over one definition (the root and nested machines)."""

    def __init__(self, machine_type: str) -> None:
        self.machine_type = machine_type
        self.diagnostics: list[Diagnostic] = []
        self.root_language = JSONPATH
        self.state_names: dict[str, str] = {}
        # Variables assigned and referenced (name, text, location). Not a static rule:
        # AWS documents no creation-time check of unassigned references (RT-6 in
        # docs/validation.md); kept for DescribeStateMachine's variableReferences.
        self.assigned: set[str] = set()
        self.variable_refs: list[tuple[str, str, str]] = []
        # The state whose fields are being checked, and the variables each state reads
        # (DescribeStateMachine's variableReferences: state name -> variable names).
        self.current_state: str | None = None
        self.references: dict[str, dict[str, None]] = {}
        self.labels: set[str] = set()
        self.broken_states: set[str] = set()

    def error(self, code: str, location: str | None, message: str) -> None:
        self.diagnostics.append(Diagnostic(code, location, message))

    def warning(self, code: str, location: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(code, location, message, WARNING))

    # ---- top level

    def run(self, definition: Any, model: MachineModel | None = None) -> list[Diagnostic]:
        if not isinstance(definition, dict):
            self.error(SCHEMA, "/", "The definition must be a JSON object")
            return self.diagnostics
        model = model or load_model(definition)
        self.root_language = model.query_language
        self.check_root_fields(definition)
        self.check_machine(model, TOP_FIELDS)
        for machine in model.walk_machines():
            self.diagnostics.extend(graph_diagnostics(machine, self.broken_states))
        return self.diagnostics

    def check_root_fields(self, definition: dict) -> None:
        if "Version" in definition and definition["Version"] != "1.0":
            self.error(SCHEMA, "/Version",
                       "The field 'Version' should have one of these values: [1.0]")
        if "TimeoutSeconds" in definition:
            self.positive_int(definition["TimeoutSeconds"], "/TimeoutSeconds",
                              "TimeoutSeconds", JSONPATH)
        self.check_language_value(definition, "/QueryLanguage")

    def check_language_value(self, body: dict, location: str) -> None:
        """Report a declared QueryLanguage that is neither JSONPath nor JSONata (the
        model reads such a value as JSONata, as AWS does)."""
        if "QueryLanguage" in body and body["QueryLanguage"] not in (JSONPATH, JSONATA):
            self.error(SCHEMA, location,
                       "The field 'QueryLanguage' should have one of these values: "
                       "[JSONPath, JSONata]")

    def check_machine(self, machine: MachineModel, allowed: set[str]) -> None:
        """One machine object's own fields, then each of its states (and, within a
        Parallel or Map state's checks, the machines it contains). Not a flat
        ``walk_states()``: the diagnostics' order puts a container's nested machines
        between its own checks (a Parallel's Retry/Catch come after its branches)."""
        body, location = machine.fields, machine.path
        missing = [name for name in ("StartAt", "States") if name not in body]
        if missing:
            self.error(SCHEMA, location, f"These fields are required: [{', '.join(missing)}]")
        for name in body:
            if name not in allowed:
                self.error(SCHEMA, location, f"Field '{name}' is not supported")
        if "StartAt" in body and not isinstance(body["StartAt"], str):
            self.error(SCHEMA, machine.field_location("StartAt"),
                       "The value for the field 'StartAt' must be a STRING")
        if "States" in body and not isinstance(body["States"], dict):
            self.error(SCHEMA, machine.field_location("States"),
                       "The value for the field 'States' must be an OBJECT")
        for state in machine.states.values():
            self.check_state(state)

    # ---- one state

    def check_state(self, model: StateModel) -> None:
        before = len(self.diagnostics)
        outer, self.current_state = self.current_state, model.name
        try:
            self.check_state_body(model)
        finally:
            self.current_state = outer
        location = model.location
        if not model.is_object or any(
                d.location in (location, model.field_location("Type"),
                               model.field_location("Next"), model.field_location("End"))
                for d in self.diagnostics[before:]):
            # a state whose type or transition is broken cannot tell whether it ends the
            # workflow: the graph checks leave its machine alone (no cascade)
            self.broken_states.add(location)

    def check_state_body(self, model: StateModel) -> None:
        state, location = model.fields, model.location
        self.check_state_name(model.name, location)
        if not model.is_object:
            self.error(SCHEMA, location, "The value for a state must be an OBJECT")
            return
        kind = model.type
        if "Type" not in state:
            self.error(SCHEMA, location, "These fields are required: [Type]")
            return
        if kind not in STATE_TYPES:
            self.error(SCHEMA, model.field_location("Type"),
                       "The field 'Type' should have one of these values: "
                       f"[{', '.join(STATE_TYPES)}]")
            return
        language = self.state_language(model)
        self.check_fields(kind, state, location, language)
        self.check_transition(kind, state, location)
        self.check_io(kind, state, location, language)
        self.check_assign(state.get("Assign"), _at(location, "Assign"), language,
                          STATES_WITH_RESULT if kind in RESULT_TYPES else STATES_EVERYWHERE)
        getattr(self, f"check_{kind.lower()}")(model)

    def check_state_name(self, name: str, location: str) -> None:
        if name in self.state_names:
            self.error(DUPLICATE_NAME, location, f"Duplicate State name: {name}")
        else:
            self.state_names[name] = location
        if not name:
            self.error(INVALID_NAME, location, "State name must not be empty")
        elif len(name) > MAX_STATE_NAME:
            self.error(INVALID_NAME, location,
                       f"State name exceeds the maximum length of {MAX_STATE_NAME} characters")

    def state_language(self, model: StateModel) -> str:
        """The state's language (the model's: nested states inherit the top-level
        language, not their container's), once its declaration is checked."""
        self.check_language_value(model.fields, model.field_location("QueryLanguage"))
        if self.root_language == JSONATA and model.fields.get("QueryLanguage") == JSONPATH:
            self.error(SCHEMA, model.location, "'QueryLanguage' can not be 'JSONPath' if "
                                               "set to 'JSONata' for whole state machine")
        return model.query_language

    def check_fields(self, kind: str, state: dict, location: str, language: str) -> None:
        other = JSONATA if language == JSONPATH else JSONPATH
        own, foreign = FIELDS[language][kind], FIELDS[other][kind]
        for name in state:
            if name in COMMON or name in own:
                continue
            if name in foreign:
                self.error(SCHEMA, location,
                           f"The QueryLanguage is set to '{language}', but field '{name}' "
                           f"is only supported for the '{other}' QueryLanguage")
            else:
                self.error(SCHEMA, location, f"Field '{name}' is not supported")
        for name in REQUIRED.get(kind, ()):
            if name not in state:
                self.error(SCHEMA, location, f"These fields are required: [{name}]")

    def check_transition(self, kind: str, state: dict, location: str) -> None:
        if kind in NO_TRANSITION_TYPES:
            return
        has_next = "Next" in state
        end = state.get("End")
        if "End" in state and not isinstance(end, bool):
            self.error(SCHEMA, _at(location, "End"),
                       "The value for the field 'End' must be a BOOLEAN")
        if has_next and not isinstance(state["Next"], str):
            self.error(SCHEMA, _at(location, "Next"),
                       "The value for the field 'Next' must be a STRING")
        if has_next and end is True:
            self.error(SCHEMA, location, "These fields are mutually exclusive: [Next, End]")
        elif not has_next and end is not True:
            self.error(SCHEMA, location, "Exactly one of these fields is required: [Next, End]")

    # ---- input/output processing

    def check_io(self, kind: str, state: dict, location: str, language: str) -> None:
        if language == JSONATA:
            self.check_jsonata_fields(kind, state, location)
            return
        for name in ("InputPath", "OutputPath"):
            if name in state and state[name] is not None:
                self.path_field(state[name], location, name)
        if "ResultPath" in state and state["ResultPath"] is not None:
            if not _result_path_ok(state["ResultPath"]):
                self.error(SCHEMA, _at(location, "ResultPath"),
                           "The value for the field 'ResultPath' must be a valid "
                           "ReferencePath")
        for name in ("Parameters", "ResultSelector", "ItemSelector"):
            if name in state:
                self.template(state[name], _at(location, name))

    def check_jsonata_fields(self, kind: str, state: dict, location: str) -> None:
        for name in ("Arguments", "Output", "ItemSelector", "Items", "Error", "Cause",
                     "Seconds", "Timestamp", "TimeoutSeconds", "HeartbeatSeconds",
                     "MaxConcurrency", "ToleratedFailureCount",
                     "ToleratedFailurePercentage"):
            if name in state:
                allowed = (STATES_WITH_RESULT if name == "Output" and kind in RESULT_TYPES
                           else STATES_EVERYWHERE)
                self.jsonata_values(state[name], _at(location, name), name, allowed)

    def jsonata_values(self, value: Any, location: str, name: str,
                       allowed: frozenset[str] = STATES_EVERYWHERE) -> None:
        """Check every ``{% ... %}`` expression found inside ``value``: it parses,
        reads no field of an absent input document, reads only the ``$states``
        fields ``allowed`` here; its variable references are recorded."""
        if isinstance(value, str):
            if _is_jsonata(value):
                self.jsonata_expression(value, location, allowed)
        elif isinstance(value, dict):
            for key, child in value.items():
                self.jsonata_values(child, _at(location, key), key, allowed)
        elif isinstance(value, list):
            for index, child in enumerate(value):
                self.jsonata_values(child, _item(location, index), name, allowed)

    def jsonata_expression(self, value: str, location: str, allowed: frozenset[str]) -> None:
        compiled, problem = _compile_jsonata(value[2:-2])
        if problem:
            self.error(INVALID_JSONATA, location, problem)
            return
        if compiled is None:
            return
        for name in dict.fromkeys(compiled.top_level_fields):
            self.error(UNSUPPORTED_JSONATA, location,
                       f"Reference to '{name}' at the top level is not supported.")
        for field_name in sorted(compiled.states_fields & STATES_OPTIONAL - allowed):
            self.error(UNSUPPORTED_JSONATA, location,
                       f"Field '$states.{field_name}' does not exist.")
        for name in sorted(compiled.variables_referenced - RESERVED_VARIABLES):
            self.reference(name, value, location)

    def path_field(self, value: Any, location: str, name: str) -> None:
        if not _reference_ok(value):
            self.error(SCHEMA, _at(location, name),
                       f"The value for the field '{name}' must be a valid JSONPath")
        else:
            self.note_variable(value, _at(location, name))

    def template(self, value: Any, location: str) -> None:
        """A payload template: ``"key.$"`` values must be paths or intrinsic calls."""
        if isinstance(value, dict):
            for key, child in value.items():
                if key.endswith(".$") and len(key) > 2:
                    self.dynamic_value(key, child, location)
                elif _looks_dynamic(child):
                    self.warning(NO_DOLLAR, _at(location, key),
                                 f"The value of the field '{key}' looks like a JSONPath or "
                                 "an intrinsic function, but the field name does not end "
                                 "with '.$': it is used as a literal string")
                else:
                    self.template(child, _at(location, key))
        elif isinstance(value, list):
            for index, child in enumerate(value):
                self.template(child, _item(location, index))

    def dynamic_value(self, key: str, value: Any, location: str) -> None:
        ok = isinstance(value, str) and (
            _reference_ok(value) if value.startswith("$")
            else value.startswith("States.") and not _intrinsic_error(value))
        if not ok:
            self.error(SCHEMA, location, f"The value for the field '{key}' must be a valid "
                                         "JSONPath or a valid intrinsic function call")
        elif value.startswith("$"):
            self.note_variable(value, location)
        else:
            for name in _intrinsic_variables(value):
                self.reference(name, value, location)

    # ---- variables

    def check_assign(self, assign: Any, location: str, language: str,
                     allowed: frozenset[str] = STATES_EVERYWHERE) -> None:
        if assign is None:
            return
        if not isinstance(assign, dict):
            self.error(SCHEMA, location, "The value for the field 'Assign' must be an OBJECT")
            return
        for key, value in assign.items():
            name = key[:-2] if language == JSONPATH and key.endswith(".$") else key
            self.check_variable_name(name, location)
            self.assigned.add(name)
            if language == JSONPATH:
                if key.endswith(".$"):
                    self.dynamic_value(key, value, location)
                else:
                    self.template(value, _at(location, key))
            else:
                self.jsonata_values(value, _at(location, key), key, allowed)

    def check_variable_name(self, name: str, location: str) -> None:
        if name in RESERVED_VARIABLES:
            self.error(SCHEMA, location, f"The variable name '{name}' is reserved")
        elif not name.isidentifier() or len(name) > MAX_VARIABLE_NAME:
            self.error(SCHEMA, location, f"The variable name '{name}' is invalid")

    def note_variable(self, path: str, location: str) -> None:
        match = VARIABLE_REF.match(path)
        if match:
            self.reference(match.group(1), path, location)

    def reference(self, name: str, text: str, location: str) -> None:
        """Variable ``name`` is read by ``text`` at ``location`` (in the current state)."""
        self.variable_refs.append((name, text, location))
        if self.current_state is not None:
            self.references.setdefault(self.current_state, {})[name] = None

    # ---- numbers

    def positive_int(self, value: Any, location: str, name: str, language: str,
                     minimum: int = 1, maximum: int = MAX_SECONDS) -> bool:
        if language == JSONATA and _is_jsonata(value):
            return False
        if not _is_int(value) or not minimum <= value <= maximum:
            kind = "positive" if minimum >= 1 else "non-negative"
            self.error(SCHEMA, location,
                       f"The value for the field '{name}' must be a {kind} integer"
                       + (f" no greater than {maximum}" if maximum != MAX_SECONDS else ""))
            return False
        return True

    def no_path(self, location: str, name: str) -> None:
        self.warning(NO_PATH, _at(location, name),
                     f"The value of the field '{name}' looks like a path, but the field "
                     f"name does not end with 'Path': use '{name}Path' to read it")

    def exclusive(self, state: dict, location: str, names: tuple[str, ...]) -> list[str]:
        present = [name for name in names if name in state]
        if len(present) > 1:
            self.error(SCHEMA, location,
                       f"These fields are mutually exclusive: [{', '.join(present)}]")
        return present

    # ---- state types

    def check_pass(self, model: StateModel) -> None:
        state, language = model.fields, model.query_language
        # Result is any JSON value, taken as is: a "key.$" inside it is not evaluated,
        # which AWS flags with a warning.
        if language == JSONPATH and _has_dynamic_key(state.get("Result")):
            self.warning(PASS_RESULT_IS_STATIC, model.field_location("Result"),
                         "The 'Result' field of a Pass state is static: paths in it are "
                         "not evaluated; use 'Parameters' instead")

    def check_succeed(self, model: StateModel) -> None:
        pass

    def check_task(self, model: StateModel) -> None:
        state, location, language = model.fields, model.location, model.query_language
        self.check_resource(state.get("Resource"), _at(location, "Resource"))
        timeout = self.timer(state, location, language, "TimeoutSeconds")
        heartbeat = self.timer(state, location, language, "HeartbeatSeconds")
        if _is_int(timeout) and _is_int(heartbeat) and heartbeat >= timeout:
            self.error(SCHEMA, _at(location, "HeartbeatSeconds"),
                       "The value for the field 'HeartbeatSeconds' must be smaller than "
                       "the value for the field 'TimeoutSeconds'")
        if "Credentials" in state:
            self.check_credentials(state["Credentials"], _at(location, "Credentials"),
                                   language)
        self.check_http_endpoint(model)
        self.check_retry(model)
        self.check_catch(model)

    def check_credentials(self, credentials: Any, location: str, language: str) -> None:
        """``Credentials``: an object naming the role to assume, ``RoleArn`` (JSONPath
        also ``RoleArn.$``, a path or an intrinsic; JSONata a string or an expression),
        and nothing else (state-task: "Credentials ... RoleArn")."""
        if not isinstance(credentials, dict):
            self.error(SCHEMA, location,
                       "The value for the field 'Credentials' must be an OBJECT")
            return
        names = {"RoleArn", "RoleArn.$"} if language == JSONPATH else {"RoleArn"}
        for name in credentials:
            if name not in names:
                self.error(SCHEMA, location, f"Field '{name}' is not supported")
        if not names & set(credentials):
            self.error(SCHEMA, location, "These fields are required: [RoleArn]")
        if language == JSONPATH:
            self.template(credentials, location)
        else:
            self.jsonata_values(credentials, location, "Credentials")

    HTTP_INVOKE = "arn:aws:states:::http:invoke"

    def check_http_endpoint(self, model: StateModel) -> None:
        """An HTTP Task's literal ApiEndpoint must be an http(s) URL (a computed one is
        checked when the task runs)."""
        if model.fields.get("Resource") != self.HTTP_INVOKE:
            return
        field = "Arguments" if model.is_jsonata else "Parameters"
        args = model.fields.get(field)
        endpoint = args.get("ApiEndpoint") if isinstance(args, dict) else None
        if not isinstance(endpoint, str) or endpoint.lstrip().startswith("{%"):
            return
        parts = urlsplit(endpoint)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            self.error(SCHEMA, _at(model.field_location(field), "ApiEndpoint"),
                       "The value for the field 'ApiEndpoint' must be a URL with the http "
                       "or https scheme")

    def timer(self, state: dict, location: str, language: str, name: str) -> Any:
        self.exclusive(state, location, (name, name + "Path"))
        if name + "Path" in state:
            self.path_field(state[name + "Path"], location, name + "Path")
        if name in state and self.positive_int(state[name], _at(location, name), name,
                                               language):
            return state[name]
        return None

    def check_resource(self, resource: Any, location: str) -> None:
        """A Task's Resource, read by the one grammar the compiler uses too."""
        if not isinstance(resource, str):
            if resource is not None:
                self.error(SCHEMA, location, "The value for the field 'Resource' must be a "
                                             "STRING")
            return
        try:
            parsed = parse_resource(resource)
        except ResourceError as exc:
            self.error(exc.code, location, exc.message)
            return
        if self.machine_type != "EXPRESS":
            return
        if parsed.kind == "activity":
            self.error(SCHEMA, location, "Express state machine does not support Activity ARN")
        elif parsed.runs_a_job:
            self.error(SCHEMA, location,
                       "Express state machine does not support '.sync' service integration")
        elif parsed.pattern == CALLBACK:
            # AWS's own message ends with a space before " at <location>"
            self.error(SCHEMA, location, "Express state machine does not support "
                                         "'.waitForTaskToken' service integration ")

    def check_s3_resource(self, resource: Any, location: str,
                          actions: frozenset[str]) -> None:
        """An ItemReader's or ResultWriter's Resource (``arn:aws:states:::s3:<action>``)."""
        if not isinstance(resource, str):
            self.error(SCHEMA, location, "The value for the field 'Resource' must be a "
                                         "STRING")
            return
        try:
            parse_s3_resource(resource, actions)
        except ResourceError as exc:
            self.error(exc.code, location, exc.message)

    def check_wait(self, model: StateModel) -> None:
        state, location, language = model.fields, model.location, model.query_language
        present = self.exclusive(state, location, WAIT_CHOICES)
        if not present:
            self.error(SCHEMA, location, "Exactly one of these fields is required: "
                                         f"[{', '.join(WAIT_CHOICES)}]")
        if "Seconds" in state:
            self.positive_int(state["Seconds"], _at(location, "Seconds"), "Seconds",
                              language, minimum=0)
        if "Timestamp" in state:
            value = state["Timestamp"]
            if not (language == JSONATA and _is_jsonata(value)) and not is_timestamp(value):
                self.error(SCHEMA, _at(location, "Timestamp"),
                           "The value for the field 'Timestamp' must be a valid ISO-8601 "
                           "timestamp")
        for name in ("SecondsPath", "TimestampPath"):
            if name in state:
                self.path_field(state[name], location, name)

    def check_fail(self, model: StateModel) -> None:
        state, location, language = model.fields, model.location, model.query_language
        for name in ("Error", "Cause"):
            self.exclusive(state, location, (name, name + "Path"))
            if name in state and not isinstance(state[name], str):
                self.error(SCHEMA, _at(location, name),
                           f"The value for the field '{name}' must be a STRING")
            elif language == JSONPATH and _looks_dynamic(state.get(name)):
                self.no_path(location, name)
            path = state.get(name + "Path")
            if name + "Path" in state:
                if isinstance(path, str) and path.startswith("States."):
                    if _intrinsic_error(path):
                        self.error(SCHEMA, _at(location, name + "Path"),
                                   f"The value for the field '{name}Path' must be a valid "
                                   "JSONPath or a valid intrinsic function call")
                else:
                    self.path_field(path, location, name + "Path")

    def check_parallel(self, model: StateModel) -> None:
        state = model.fields
        branches = state.get("Branches")
        if "Branches" in state:
            if not isinstance(branches, list) or not branches:
                self.error(SCHEMA, model.field_location("Branches"),
                           "The value for the field 'Branches' must be a non-empty ARRAY")
            else:
                # the model holds the branches that are objects, in their order
                loaded = iter(model.branches)
                for index, branch in enumerate(branches):
                    if isinstance(branch, dict):
                        self.check_machine(next(loaded), BRANCH_FIELDS)
                    else:
                        self.error(SCHEMA, model.item_location("Branches", index),
                                   "The value must be an OBJECT")
        self.check_retry(model)
        self.check_catch(model)

    # ---- Map

    def check_map(self, model: StateModel) -> None:
        state, location, language = model.fields, model.location, model.query_language
        self.check_processor(model)
        if language == JSONPATH:
            if "ItemsPath" in state:
                self.path_field(state["ItemsPath"], location, "ItemsPath")
            for name in ("MaxConcurrencyPath", "ToleratedFailureCountPath",
                         "ToleratedFailurePercentagePath"):
                if name in state:
                    self.path_field(state[name], location, name)
        elif "Items" in state and not (isinstance(state["Items"], (list, dict))
                                       or _is_jsonata(state["Items"])):
            self.error(SCHEMA, _at(location, "Items"), "The value for the field 'Items' "
                                                       "must be an ARRAY or a JSONata "
                                                       "expression")
        self.check_map_limits(state, location, language)
        self.check_item_reader(state.get("ItemReader"), _at(location, "ItemReader"), language)
        self.check_item_batcher(state.get("ItemBatcher"), _at(location, "ItemBatcher"),
                                language)
        self.check_result_writer(state.get("ResultWriter"), _at(location, "ResultWriter"),
                                 language)
        if "Label" in state:
            self.check_label(state["Label"], _at(location, "Label"))
        self.check_retry(model)
        self.check_catch(model)

    def check_processor(self, model: StateModel) -> None:
        self.exclusive(model.fields, model.location, ("ItemProcessor", "Iterator"))
        if model.processor_field is None:
            self.error(SCHEMA, model.location, "These fields are required: [ItemProcessor]")
        elif model.processor is None:
            self.error(SCHEMA, model.field_location(model.processor_field),
                       "The value must be an OBJECT")
        else:
            self.check_processor_config(model.processor.fields.get("ProcessorConfig"),
                                        model.processor.field_location("ProcessorConfig"))
            self.check_machine(model.processor, PROCESSOR_FIELDS)

    def check_processor_config(self, config: Any, location: str) -> None:
        if config is None:
            return
        if not isinstance(config, dict):
            self.error(SCHEMA, location, "The value for the field 'ProcessorConfig' must be "
                                         "an OBJECT")
            return
        for name in config:
            if name not in ("Mode", "ExecutionType"):
                self.error(SCHEMA, location, f"Field '{name}' is not supported")
        if "Mode" in config and config["Mode"] not in ("INLINE", "DISTRIBUTED"):
            self.error(SCHEMA, _at(location, "Mode"),
                       "The field 'Mode' should have one of these values: "
                       "[INLINE, DISTRIBUTED]")
        if "ExecutionType" in config and config["ExecutionType"] not in ("STANDARD",
                                                                         "EXPRESS"):
            self.error(SCHEMA, _at(location, "ExecutionType"),
                       "The field 'ExecutionType' should have one of these values: "
                       "[STANDARD, EXPRESS]")
        elif config.get("Mode") == "DISTRIBUTED" and "ExecutionType" not in config:
            # state-map-distributed: "You must provide this field if you specified
            # DISTRIBUTED for the Mode sub-field."
            self.error(SCHEMA, location, "These fields are required: [ExecutionType]")

    def check_map_limits(self, state: dict, location: str, language: str) -> None:
        for name in ("MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage"):
            self.exclusive(state, location, (name, name + "Path"))
        if "MaxConcurrency" in state:
            self.positive_int(state["MaxConcurrency"], _at(location, "MaxConcurrency"),
                              "MaxConcurrency", language, minimum=0)
        if "ToleratedFailureCount" in state:
            self.positive_int(state["ToleratedFailureCount"],
                              _at(location, "ToleratedFailureCount"),
                              "ToleratedFailureCount", language, minimum=0)
        value = state.get("ToleratedFailurePercentage")
        if "ToleratedFailurePercentage" in state and not (
                language == JSONATA and _is_jsonata(value)) and not (
                isinstance(value, (int, float)) and not isinstance(value, bool)
                and 0 <= value <= 100):
            self.error(SCHEMA, _at(location, "ToleratedFailurePercentage"),
                       "The value for the field 'ToleratedFailurePercentage' must be a "
                       "number between 0 and 100")

    def sub_object(self, value: Any, location: str, name: str, allowed: set[str],
                   language: str) -> dict | None:
        """A Distributed Map sub-object: an OBJECT holding only ``allowed`` fields
        (the other query language's payload field is reported as such)."""
        if value is None:
            return None
        if not isinstance(value, dict):
            self.error(SCHEMA, location, f"The value for the field '{name}' must be an OBJECT")
            return None
        payload = {JSONPATH: "Parameters", JSONATA: "Arguments"}
        other = JSONATA if language == JSONPATH else JSONPATH
        for key in value:
            if key == payload[other]:
                self.error(SCHEMA, location,
                           f"The QueryLanguage is set to '{language}', but field '{key}' "
                           f"is only supported for the '{other}' QueryLanguage")
            elif key not in allowed:
                self.error(SCHEMA, location, f"Field '{key}' is not supported")
        return value

    def payload(self, body: dict, location: str, language: str) -> None:
        """Parameters (JSONPath) or Arguments (JSONata) of a reader or writer."""
        if language == JSONPATH and "Parameters" in body:
            self.template(body["Parameters"], _at(location, "Parameters"))
        elif language == JSONATA and "Arguments" in body:
            self.jsonata_values(body["Arguments"], _at(location, "Arguments"), "Arguments")

    def check_item_reader(self, reader: Any, location: str, language: str) -> None:
        fields = {"Resource", "ReaderConfig",
                  "Parameters" if language == JSONPATH else "Arguments"}
        body = self.sub_object(reader, location, "ItemReader", fields, language)
        if body is None:
            return
        if "Resource" not in body:
            self.error(SCHEMA, location, "These fields are required: [Resource]")
        else:
            self.check_s3_resource(body["Resource"], _at(location, "Resource"),
                                   ITEM_READER_ACTIONS)
        self.payload(body, location, language)
        config = body.get("ReaderConfig")
        if "ReaderConfig" in body and not isinstance(config, dict):
            self.error(SCHEMA, _at(location, "ReaderConfig"),
                       "The value for the field 'ReaderConfig' must be an OBJECT")
        elif isinstance(config, dict):
            where = _at(location, "ReaderConfig")
            self.exclusive(config, where, ("MaxItems", "MaxItemsPath"))
            if "MaxItems" in config:
                # 0 means "no limit" (an AWS-run definition uses it)
                self.positive_int(config["MaxItems"], _at(where, "MaxItems"), "MaxItems",
                                  language, minimum=0, maximum=MAX_READER_ITEMS)
            if "MaxItemsPath" in config and language == JSONPATH:
                self.path_field(config["MaxItemsPath"], where, "MaxItemsPath")

    def check_item_batcher(self, batcher: Any, location: str, language: str) -> None:
        fields = {"MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"}
        if language == JSONPATH:
            fields |= {"MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"}
        body = self.sub_object(batcher, location, "ItemBatcher", fields, language)
        if body is None:
            return
        for name, maximum in (("MaxItemsPerBatch", MAX_SECONDS),
                              ("MaxInputBytesPerBatch", MAX_BATCH_BYTES)):
            self.exclusive(body, location, (name, name + "Path"))
            if name in body:
                self.positive_int(body[name], _at(location, name), name, language,
                                  maximum=maximum)
            if name + "Path" in body:
                self.path_field(body[name + "Path"], location, name + "Path")
        if language == JSONPATH and "BatchInput" in body:
            self.template(body["BatchInput"], _at(location, "BatchInput"))

    def check_result_writer(self, writer: Any, location: str, language: str) -> None:
        fields = {"Resource", "WriterConfig",
                  "Parameters" if language == JSONPATH else "Arguments"}
        body = self.sub_object(writer, location, "ResultWriter", fields, language)
        if body is None:
            return
        payload = "Parameters" if language == JSONPATH else "Arguments"
        # AWS: "The ResultWriter field cannot be empty. You must specify one of these
        # sets of sub-fields": WriterConfig; Resource and Parameters; all three.
        # (the other language's payload field is reported already: no second message)
        has_payload = "Parameters" in body or "Arguments" in body
        if ("Resource" in body) != has_payload or not (
                "Resource" in body or "WriterConfig" in body):
            self.error(SCHEMA, location,
                       f"The ResultWriter field requires WriterConfig, or Resource with "
                       f"{payload}, or all three")
        if "Resource" in body:
            self.check_s3_resource(body["Resource"], _at(location, "Resource"),
                                   RESULT_WRITER_ACTIONS)
        self.payload(body, location, language)
        if "WriterConfig" in body:
            self.check_writer_config(body["WriterConfig"], _at(location, "WriterConfig"),
                                     language)

    def check_writer_config(self, config: Any, location: str, language: str) -> None:
        body = self.sub_object(config, location, "WriterConfig",
                               set(WRITER_CONFIG_VALUES), language)
        if body is None:
            return
        for name, values in WRITER_CONFIG_VALUES.items():
            if name in body and body[name] not in values:
                self.error(SCHEMA, _at(location, name),
                           f"The field '{name}' should have one of these values: "
                           f"[{', '.join(values)}]")

    def check_label(self, label: Any, location: str) -> None:
        if not isinstance(label, str):
            self.error(SCHEMA, location, "The value for the field 'Label' must be a STRING")
        elif not label:
            self.error(INVALID_LABEL, location, "Label must not be empty")
        elif len(label) > MAX_LABEL:
            self.error(INVALID_LABEL, location,
                       f"Label exceeds the maximum length of {MAX_LABEL} characters")
        else:
            bad = next((char for char in label if char in LABEL_FORBIDDEN), None)
            if bad is not None:
                self.error(INVALID_LABEL, location,
                           f"Label contains an invalid character: {bad!r}")
            elif label in self.labels:
                self.error(DUPLICATE_LABEL, location, f"Duplicate Label name: {label}")
            self.labels.add(label)

    # ---- Retry / Catch

    def check_retry(self, model: StateModel) -> None:
        retriers = self.handler_list(model.fields, model.location, "Retry")
        for index, retrier in enumerate(retriers):
            where = model.item_location("Retry", index)
            if not self.handler_common(retrier, where, RETRIER_FIELDS,
                                       index == len(retriers) - 1, "retrier"):
                continue
            self.check_retrier_numbers(retrier, where)

    def check_retrier_numbers(self, retrier: dict, where: str) -> None:
        if "IntervalSeconds" in retrier:
            self.positive_int(retrier["IntervalSeconds"], _at(where, "IntervalSeconds"),
                              "IntervalSeconds", JSONPATH)
        if "MaxAttempts" in retrier:
            self.positive_int(retrier["MaxAttempts"], _at(where, "MaxAttempts"),
                              "MaxAttempts", JSONPATH, minimum=0)
        if "MaxDelaySeconds" in retrier:
            self.positive_int(retrier["MaxDelaySeconds"], _at(where, "MaxDelaySeconds"),
                              "MaxDelaySeconds", JSONPATH, maximum=MAX_DELAY_SECONDS)
        rate = retrier.get("BackoffRate")
        if "BackoffRate" in retrier and not (
                isinstance(rate, (int, float)) and not isinstance(rate, bool) and rate >= 1.0):
            self.error(SCHEMA, _at(where, "BackoffRate"),
                       "The value for the field 'BackoffRate' must be a number greater than "
                       "or equal to 1.0")
        if "JitterStrategy" in retrier and retrier["JitterStrategy"] not in ("FULL", "NONE"):
            self.error(SCHEMA, _at(where, "JitterStrategy"),
                       "The field 'JitterStrategy' should have one of these values: "
                       "[FULL, NONE]")

    def check_catch(self, model: StateModel) -> None:
        language = model.query_language
        catchers = self.handler_list(model.fields, model.location, "Catch")
        for index, catcher in enumerate(catchers):
            where = model.item_location("Catch", index)
            if not self.handler_common(catcher, where, CATCHER_FIELDS[language],
                                       index == len(catchers) - 1, "catcher"):
                continue
            if "Next" not in catcher:
                self.error(SCHEMA, where, "These fields are required: [Next]")
            elif not isinstance(catcher["Next"], str):
                self.error(SCHEMA, _at(where, "Next"),
                           "The value for the field 'Next' must be a STRING")
            if language == JSONPATH:
                path = catcher.get("ResultPath")
                if path is not None and not _result_path_ok(path):
                    self.error(SCHEMA, _at(where, "ResultPath"),
                               "The value for the field 'ResultPath' must be a valid "
                               "ReferencePath")
            elif "Output" in catcher:
                self.jsonata_values(catcher["Output"], _at(where, "Output"), "Output",
                                    STATES_IN_CATCH)
            self.check_assign(catcher.get("Assign"), _at(where, "Assign"), language,
                              STATES_IN_CATCH)

    def handler_list(self, state: dict, location: str, name: str) -> list:
        handlers = state.get(name)
        if handlers is None:
            return []
        if not isinstance(handlers, list):
            self.error(SCHEMA, _at(location, name),
                       f"The value for the field '{name}' must be an ARRAY")
            return []
        return handlers

    def handler_common(self, handler: Any, where: str, allowed: set[str], last: bool,
                       role: str) -> bool:
        if not isinstance(handler, dict):
            self.error(SCHEMA, where, "The value must be an OBJECT")
            return False
        for name in handler:
            if name not in allowed:
                self.error(SCHEMA, where, f"Field '{name}' is not supported")
        errors = handler.get("ErrorEquals")
        if "ErrorEquals" not in handler:
            self.error(SCHEMA, where, "These fields are required: [ErrorEquals]")
        elif not isinstance(errors, list) or not errors or not all(
                isinstance(error, str) for error in errors):
            self.error(SCHEMA, _at(where, "ErrorEquals"),
                       "The value for the field 'ErrorEquals' must be a non-empty ARRAY of "
                       "STRING")
        elif "States.ALL" in errors:
            if len(errors) > 1:
                self.error(SCHEMA, _at(where, "ErrorEquals"),
                           "'States.ALL' must appear alone in 'ErrorEquals'")
            if not last:
                self.error(SCHEMA, _at(where, "ErrorEquals"),
                           f"'States.ALL' must appear in the last {role}")
        return True

    # ---- Choice

    def check_choice(self, model: StateModel) -> None:
        state = model.fields
        choices = state.get("Choices")
        if "Choices" in state and (not isinstance(choices, list) or not choices):
            self.error(SCHEMA, model.field_location("Choices"),
                       "The value for the field 'Choices' must be a non-empty ARRAY")
            return
        if "Default" in state and not isinstance(state["Default"], str):
            self.error(SCHEMA, model.field_location("Default"),
                       "The value for the field 'Default' must be a STRING")
        for index, rule in enumerate(choices or ()):
            where = model.item_location("Choices", index)
            if model.is_jsonata:
                self.check_jsonata_rule(rule, where)
            else:
                self.check_rule(rule, where, top=True)

    def check_jsonata_rule(self, rule: Any, where: str) -> None:
        if not isinstance(rule, dict):
            self.error(SCHEMA, where, "The value must be an OBJECT")
            return
        for name in rule:
            if name in ("Variable", "And", "Or", "Not") or name in COMPARISON_OPS:
                self.error(SCHEMA, where, f"The QueryLanguage is set to 'JSONata', but field "
                                          f"'{name}' is only supported for the 'JSONPath' "
                                          "QueryLanguage")
            elif name not in ("Condition", "Next", "Comment", "Assign", "Output"):
                self.error(SCHEMA, where, f"Field '{name}' is not supported")
        missing = [name for name in ("Condition", "Next") if name not in rule]
        if missing:
            self.error(SCHEMA, where, f"These fields are required: [{', '.join(missing)}]")
        condition = rule.get("Condition")
        if "Condition" in rule and not (isinstance(condition, bool) or _is_jsonata(condition)):
            self.error(SCHEMA, _at(where, "Condition"),
                       "The value for the field 'Condition' must be a JSONata expression")
        elif _is_jsonata(condition):
            self.jsonata_values(condition, _at(where, "Condition"), "Condition")
        if "Output" in rule:
            self.jsonata_values(rule["Output"], _at(where, "Output"), "Output")
        self.check_assign(rule.get("Assign"), _at(where, "Assign"), JSONATA)

    def check_rule(self, rule: Any, where: str, top: bool) -> None:
        found = len(self.diagnostics)
        self.check_rule_shape(rule, where, top)
        if top and len(self.diagnostics) == found:
            # only a rule that passed the shape checks, so a fault is not reported twice
            self.reuse_choice_compiler(rule, where)

    def check_rule_shape(self, rule: Any, where: str, top: bool) -> None:
        if not isinstance(rule, dict):
            self.error(SCHEMA, where, "The value must be an OBJECT")
            return
        operators = [name for name in rule if name in COMPARISON_OPS or name in BOOLEAN_OPS]
        allowed = {"Variable", "Comment"} | ({"Next", "Assign"} if top else set())
        for name in rule:
            if name == "Condition":
                self.error(SCHEMA, where, "The QueryLanguage is set to 'JSONPath', but field "
                                          "'Condition' is only supported for the 'JSONata' "
                                          "QueryLanguage")
            elif name not in allowed and name not in operators:
                self.error(SCHEMA, where, f"Field '{name}' is not supported")
        if top and "Next" not in rule:
            self.error(SCHEMA, where, "These fields are required: [Next]")
        if len(operators) != 1:
            self.error(SCHEMA, where, "A choice rule must have exactly one comparison "
                                      "operator, or one of And, Or, Not")
            return
        self.check_operator(rule, operators[0], where)
        if top:
            self.check_assign(rule.get("Assign"), _at(where, "Assign"), JSONPATH)

    def check_operator(self, rule: dict, operator: str, where: str) -> None:
        value = rule[operator]
        if operator in ("And", "Or"):
            if not isinstance(value, list) or not value:
                self.error(SCHEMA, _at(where, operator),
                           f"The value for the field '{operator}' must be a non-empty ARRAY")
                return
            for index, child in enumerate(value):
                self.check_rule(child, _item(_at(where, operator), index), top=False)
            if "Variable" in rule:
                self.error(SCHEMA, where, "Field 'Variable' is not supported")
            return
        if operator == "Not":
            self.check_rule(value, _at(where, "Not"), top=False)
            return
        if "Variable" not in rule:
            self.error(SCHEMA, where, "These fields are required: [Variable]")
        else:
            self.path_field(rule["Variable"], where, "Variable")
        if operator in STRING_OPS and operator != "StringMatches" and _looks_dynamic(value):
            self.no_path(where, operator)
        if not self.operand_ok(operator, value):
            self.error(SCHEMA, _at(where, operator),
                       f"The value for the field '{operator}' is not valid")
        elif operator.endswith("Path"):
            self.note_variable(value, _at(where, operator))

    @staticmethod
    def operand_ok(operator: str, value: Any) -> bool:
        if operator.endswith("Path"):
            return _reference_ok(value)
        if operator in STRING_OPS:
            return isinstance(value, str)
        if operator in NUMERIC_OPS:
            return _is_number(value)
        if operator in TIMESTAMP_OPS:
            return is_timestamp(value)
        return isinstance(value, bool)  # BooleanEquals and the type tests

    def reuse_choice_compiler(self, rule: dict, where: str) -> None:
        """Let the choice compiler (when present) reject what it cannot compile."""
        compile_rule = getattr(_optional("choice"), "compile_choice_rule", None)
        if compile_rule is None:
            return
        try:
            compile_rule(rule)
        except ValueError as exc:
            relative = getattr(exc, "location", "") or ""
            self.error(SCHEMA, where + POINTER_INDEX.sub(r"[\1]", relative),
                       getattr(exc, "message", str(exc)))
        except Exception:  # noqa: BLE001 - an API mismatch must not break validation
            return


def variable_references(definition: Any, model: MachineModel | None = None
                        ) -> dict[str, list[str]]:
    """DescribeStateMachine's ``variableReferences``: for each state that reads workflow
    variables (in any field, nested states under their own name), the variables it
    reads, in the order first read; states that read none are left out."""
    validator = _Validator("STANDARD")
    validator.run(definition, model)
    return {state: list(names) for state, names in validator.references.items()}


def _intrinsic_variables(text: str) -> list[str]:
    """The workflow variables an intrinsic call's arguments read (``$x``, ``$x.y``),
    outside quoted strings."""
    found: list[str] = []
    quoted = escaped = False
    for index, char in enumerate(text):
        if quoted:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "'":
                quoted = False
        elif char == "'":
            quoted = True
        elif char == "$" and text[index - 1] in "(, ":
            match = _VARIABLE_ARGUMENT.match(text, index)
            if match:
                found.append(match.group(1))
    return found


_VARIABLE_ARGUMENT = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def validate_definition(definition: dict, machine_type: str = "STANDARD",
                        severity: str = "ERROR", *,
                        model: MachineModel | None = None) -> list[Diagnostic]:
    """Every problem in ``definition``, as AWS's ValidateStateMachineDefinition lists them.

    ``machine_type`` is ``STANDARD`` or ``EXPRESS`` (Express refuses ``.sync``,
    ``.waitForTaskToken`` and activities). ``severity`` is the API's minimum level:
    ``ERROR`` (its default) leaves warnings out, ``WARNING`` includes them. An empty
    list means the definition is valid. ``model`` is ``load_model(definition)`` when
    the caller has it already (the compiler loads once for both); else it is loaded.
    """
    diagnostics = _Validator(machine_type).run(definition, model)
    if severity == WARNING:
        return diagnostics
    return [d for d in diagnostics if d.severity != WARNING]


def validate_state(name: str, spec: Any) -> list[Diagnostic]:
    """The checks of one state on its own, as TestState takes it: every per-state rule
    (fields, I/O, Retry, Catch, the type's own), no rule of the graph around it."""
    validator = _Validator("STANDARD")
    validator.check_state(load_state(name, spec, JSONPATH))
    return validator.diagnostics
