"""AWS's rules as data: diagnostic codes, limits, the fields each state type accepts
in each query language, operators, and the integration patterns of each service.
"""

from __future__ import annotations

import re

SCHEMA = "SCHEMA_VALIDATION_FAILED"
MISSING_TARGET = "MISSING_TRANSITION_TARGET"
MISSING_END = "MISSING_END_STATE"
DUPLICATE_NAME = "DUPLICATE_STATE_NAME"
INVALID_NAME = "INVALID_STATE_NAME"
INVALID_LABEL = "INVALID_LABEL_NAME"
DUPLICATE_LABEL = "DUPLICATE_LABEL_NAME"
# Warning codes (severity WARNING: reported only when asked for, never refuse a definition)
NO_DOLLAR = "NO_DOLLAR"
NO_PATH = "NO_PATH"
PASS_RESULT_IS_STATIC = "PASS_RESULT_IS_STATIC"
WARNING = "WARNING"
INVALID_RESOURCE = "INVALID_RESOURCE"
INVALID_JSON = "INVALID_JSON_DESCRIPTION"
INVALID_JSONATA = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED_JSONATA = "UNSUPPORTED_JSONATA_EXPRESSION"

JSONPATH = "JSONPath"
JSONATA = "JSONata"

# The order AWS lists the types in its enum message.
STATE_TYPES = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")
MAX_STATE_NAME = 80
MAX_LABEL = 40
MAX_VARIABLE_NAME = 80
MAX_SECONDS = 99999999
MAX_DELAY_SECONDS = 31622400
MAX_READER_ITEMS = 100_000_000  # ReaderConfig.MaxItems upper bound
MAX_BATCH_BYTES = 262_144  # ItemBatcher.MaxInputBytesPerBatch: 256 KiB
# ResultWriter: the one documented resource, and WriterConfig's enumerations
WRITER_CONFIG_VALUES = {"Transformation": ("NONE", "COMPACT", "FLATTEN"),
                        "OutputType": ("JSON", "JSONL")}

TOP_FIELDS = {"Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage"}
PROCESSOR_FIELDS = {"Comment", "StartAt", "States", "ProcessorConfig"}
BRANCH_FIELDS = {"Comment", "StartAt", "States"}
COMMON = {"Type", "Comment", "QueryLanguage"}
FLOW = {"Next", "End"}
IO_PATH = {"InputPath", "OutputPath"}
TASK_LIKE_PATH = IO_PATH | {"Parameters", "ResultSelector", "ResultPath"}

# Fields each state type accepts, by query language (the common ones aside).
FIELDS: dict[str, dict[str, frozenset[str]]] = {
    JSONPATH: {
        "Task": frozenset(FLOW | TASK_LIKE_PATH | {
            "Resource", "Retry", "Catch", "TimeoutSeconds", "TimeoutSecondsPath",
            "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "Assign"}),
        "Pass": frozenset(FLOW | IO_PATH | {"Parameters", "ResultPath", "Result", "Assign"}),
        "Wait": frozenset(FLOW | IO_PATH | {
            "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Assign"}),
        "Choice": frozenset(IO_PATH | {"Choices", "Default", "Assign"}),
        "Succeed": frozenset(IO_PATH),
        "Fail": frozenset({"Error", "ErrorPath", "Cause", "CausePath"}),
        "Parallel": frozenset(FLOW | TASK_LIKE_PATH | {"Retry", "Catch", "Branches", "Assign"}),
        "Map": frozenset(FLOW | TASK_LIKE_PATH | {
            "Retry", "Catch", "ItemsPath", "ItemSelector", "ItemProcessor", "Iterator",
            "ItemReader", "ItemBatcher", "ResultWriter", "MaxConcurrency",
            "MaxConcurrencyPath", "ToleratedFailureCount", "ToleratedFailureCountPath",
            "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "Label",
            "Assign"}),
    },
    JSONATA: {
        "Task": frozenset(FLOW | {
            "Resource", "Arguments", "Output", "Retry", "Catch", "TimeoutSeconds",
            "HeartbeatSeconds", "Credentials", "Assign"}),
        "Pass": frozenset(FLOW | {"Output", "Assign"}),
        "Wait": frozenset(FLOW | {"Output", "Seconds", "Timestamp", "Assign"}),
        "Choice": frozenset({"Output", "Choices", "Default", "Assign"}),
        "Succeed": frozenset({"Output"}),
        "Fail": frozenset({"Error", "Cause"}),
        "Parallel": frozenset(FLOW | {"Arguments", "Output", "Retry", "Catch", "Branches",
                                       "Assign"}),
        "Map": frozenset(FLOW | {
            "Output", "Items", "ItemSelector", "Retry", "Catch", "ItemProcessor",
            "Iterator", "ItemReader", "ItemBatcher", "ResultWriter", "MaxConcurrency",
            "ToleratedFailureCount", "ToleratedFailurePercentage", "Label", "Assign"}),
    },
}
REQUIRED = {"Task": ("Resource",), "Choice": ("Choices",), "Parallel": ("Branches",)}
TERMINAL_TYPES = {"Succeed", "Fail"}
NO_TRANSITION_TYPES = {"Choice", "Succeed", "Fail"}

RETRIER_FIELDS = {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
                   "MaxDelaySeconds", "JitterStrategy", "Comment"}
CATCHER_FIELDS = {JSONPATH: {"ErrorEquals", "Next", "ResultPath", "Assign", "Comment"},
                   JSONATA: {"ErrorEquals", "Next", "Output", "Assign", "Comment"}}

WAIT_CHOICES = ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")

STRING_OPS = ("StringEquals", "StringLessThan", "StringGreaterThan",
               "StringLessThanEquals", "StringGreaterThanEquals", "StringMatches")
NUMERIC_OPS = ("NumericEquals", "NumericLessThan", "NumericGreaterThan",
                "NumericLessThanEquals", "NumericGreaterThanEquals")
TIMESTAMP_OPS = ("TimestampEquals", "TimestampLessThan", "TimestampGreaterThan",
                  "TimestampLessThanEquals", "TimestampGreaterThanEquals")
TYPE_TEST_OPS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")
COMPARISON_OPS = frozenset(
    STRING_OPS + NUMERIC_OPS + TIMESTAMP_OPS + TYPE_TEST_OPS + ("BooleanEquals",)
    + tuple(op + "Path" for op in STRING_OPS + NUMERIC_OPS + TIMESTAMP_OPS
            if op != "StringMatches")
    + ("BooleanEqualsPath",))
BOOLEAN_OPS = ("And", "Or", "Not")

# Characters AWS refuses in a Map Label (and in the names of history-visible things).
LABEL_FORBIDDEN = set(' \t\n\r<>{}[]?*"#%\\^|~`$&,;:/') | {
    chr(c) for c in list(range(0x00, 0x20)) + list(range(0x7F, 0xA0))}

VARIABLE_REF = re.compile(r"^\$([^\s.\[$][^\s.\[]*)")
INTRINSIC_HEAD = re.compile(r"^States\.[A-Za-z0-9]+\(")
RESERVED_VARIABLES = frozenset({"states"})
POINTER_INDEX = re.compile(r"/(\d+)(?=/|$)")

# $states fields every JSONata field may read; "result" and "errorOutput" are offered
# only where AWS offers them (a Task/Map/Parallel's Output and Assign; a catcher's).
STATES_EVERYWHERE = frozenset({"input", "context"})
STATES_WITH_RESULT = STATES_EVERYWHERE | {"result"}
STATES_IN_CATCH = STATES_EVERYWHERE | {"errorOutput"}
STATES_OPTIONAL = frozenset({"result", "errorOutput"})
RESULT_TYPES = frozenset({"Task", "Map", "Parallel"})

