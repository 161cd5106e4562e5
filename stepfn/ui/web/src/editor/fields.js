// The fields of each state type (from the ASL specification and the Step Functions
// developer guide), by query language: used by the state form and the code view's hints.

export const STATE_TYPES = ['Pass', 'Task', 'Choice', 'Wait', 'Succeed', 'Fail', 'Parallel', 'Map'];

const TRANSITION = ['Next', 'End'];
const JSONPATH_IO = ['InputPath', 'OutputPath'];
const RESULT = ['ResultSelector', 'ResultPath'];
const RECOVERY = ['Retry', 'Catch'];

/** Fields of a state of `type` in `lang` (JSONPath or JSONata), besides Type and Comment. */
export function fieldsOf(type, lang) {
  const jsonata = lang === 'JSONata';
  const io = jsonata ? ['Output', 'Assign'] : [...JSONPATH_IO, 'Assign'];
  const params = jsonata ? ['Arguments'] : ['Parameters'];
  const result = jsonata ? [] : RESULT;
  switch (type) {
    case 'Pass':
      return [...(jsonata ? [] : ['Parameters', 'Result', 'ResultPath']), ...io, ...TRANSITION];
    case 'Task':
      return ['Resource', ...params, ...result, ...io, 'TimeoutSeconds', 'HeartbeatSeconds',
        'Credentials', ...RECOVERY, ...TRANSITION];
    case 'Choice':
      return ['Choices', 'Default', ...io];
    case 'Wait':
      return [...(jsonata ? ['Seconds', 'Timestamp'] : ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath']),
        ...io, ...TRANSITION];
    case 'Succeed':
      return jsonata ? ['Output'] : JSONPATH_IO;
    case 'Fail':
      return jsonata ? ['Error', 'Cause'] : ['Error', 'ErrorPath', 'Cause', 'CausePath'];
    case 'Parallel':
      return ['Branches', ...params, ...result, ...io, ...RECOVERY, ...TRANSITION];
    case 'Map':
      return ['ItemProcessor', ...(jsonata ? ['Items'] : ['ItemsPath']), 'ItemSelector',
        'ItemReader', 'ItemBatcher', 'ResultWriter', 'MaxConcurrency',
        'ToleratedFailureCount', 'ToleratedFailurePercentage', 'Label', ...result, ...io,
        ...RECOVERY, ...TRANSITION];
    default:
      return [];
  }
}

/** Every field any state may have (for hints when the Type is not known yet). */
export const ALL_STATE_FIELDS = ['Type', 'Comment', 'QueryLanguage', ...new Set(
  STATE_TYPES.flatMap((t) => [...fieldsOf(t, 'JSONPath'), ...fieldsOf(t, 'JSONata')]))];

export const MACHINE_FIELDS = ['Comment', 'StartAt', 'States', 'QueryLanguage', 'TimeoutSeconds', 'Version'];
export const SCOPE_FIELDS = ['StartAt', 'States', 'Comment', 'ProcessorConfig'];
export const RETRIER_FIELDS = ['ErrorEquals', 'IntervalSeconds', 'MaxAttempts', 'BackoffRate',
  'MaxDelaySeconds', 'JitterStrategy', 'Comment'];
export const CATCHER_FIELDS = ['ErrorEquals', 'Next', 'ResultPath', 'Output', 'Assign', 'Comment'];
export const RULE_FIELDS = ['Variable', 'Condition', 'Next', 'And', 'Or', 'Not', 'Assign', 'Output',
  'StringEquals', 'StringEqualsPath', 'StringMatches', 'StringLessThan', 'StringGreaterThan',
  'NumericEquals', 'NumericEqualsPath', 'NumericLessThan', 'NumericLessThanEquals',
  'NumericGreaterThan', 'NumericGreaterThanEquals', 'BooleanEquals', 'TimestampEquals',
  'TimestampLessThan', 'TimestampGreaterThan', 'IsNull', 'IsPresent', 'IsNumeric', 'IsString',
  'IsBoolean', 'IsTimestamp'];

/** Values a field takes from a fixed set. */
export const ENUMS = {
  Type: STATE_TYPES,
  QueryLanguage: ['JSONPath', 'JSONata'],
  Mode: ['INLINE', 'DISTRIBUTED'],
  ExecutionType: ['STANDARD', 'EXPRESS'],
  JitterStrategy: ['FULL', 'NONE'],
  Resource: [
    'arn:aws:states:::lambda:invoke', 'arn:aws:states:::sqs:sendMessage',
    'arn:aws:states:::sns:publish', 'arn:aws:states:::dynamodb:getItem',
    'arn:aws:states:::dynamodb:putItem', 'arn:aws:states:::events:putEvents',
    'arn:aws:states:::http:invoke', 'arn:aws:states:::states:startExecution.sync:2',
    'arn:aws:states:::aws-sdk:', 'arn:aws:lambda:us-east-1:123456789012:function:',
  ],
};

/** Fields whose value is a state name. */
export const TARGET_FIELDS = new Set(['Next', 'Default', 'StartAt']);

/** Fields edited as JSON (objects, arrays or any value). */
export const JSON_FIELDS = new Set(['Parameters', 'Arguments', 'Result', 'ResultSelector',
  'Output', 'Assign', 'ItemSelector', 'ItemReader', 'ItemBatcher', 'ResultWriter',
  'Credentials', 'Choices', 'Items']);

/** JSON fields edited as a form of members (editor/PayloadForm.jsx). */
export const PAYLOAD_FIELDS = new Set(['Parameters', 'Arguments', 'Result', 'ResultSelector',
  'Output', 'Assign', 'ItemSelector']);

/** Fields holding a number (or, in JSONata, an expression string). */
export const NUMBER_FIELDS = new Set(['TimeoutSeconds', 'HeartbeatSeconds', 'Seconds',
  'MaxConcurrency', 'ToleratedFailureCount', 'ToleratedFailurePercentage']);
