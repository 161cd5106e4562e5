// The palette: flow states and actions (Task states for the integrations stepfn runs),
// each a template made for the machine's query language (JSONPath: Parameters with `.$`
// paths; JSONata: Arguments with {% %} expressions).
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

function task(resource, jsonpath, jsonata) {
  return (lang) => {
    const state = { Type: 'Task', Resource: resource };
    if (lang === 'JSONata') {
      if (jsonata) state.Arguments = jsonata;
    } else if (jsonpath) {
      state.Parameters = jsonpath;
    }
    return state;
  };
}

/** The palette's items: {id, group, label, name (the new state's name), make(lang, extra)}. */
export const PALETTE = [
  { id: 'Pass', group: 'Flow', label: 'Pass', name: 'Pass', make: () => ({ Type: 'Pass' }) },
  {
    id: 'Choice', group: 'Flow', label: 'Choice', name: 'Choice',
    make: (lang) => ({
      Type: 'Choice',
      Choices: [lang === 'JSONata'
        ? { Condition: '{% $states.input.value = "yes" %}' }
        : { Variable: '$.value', StringEquals: 'yes' }],
    }),
  },
  { id: 'Wait', group: 'Flow', label: 'Wait', name: 'Wait', make: () => ({ Type: 'Wait', Seconds: 5 }) },
  { id: 'Succeed', group: 'Flow', label: 'Succeed', name: 'Success', make: () => ({ Type: 'Succeed' }) },
  {
    id: 'Fail', group: 'Flow', label: 'Fail', name: 'Fail',
    make: () => ({ Type: 'Fail', Error: 'Failed', Cause: 'Something went wrong' }),
  },
  {
    id: 'Parallel', group: 'Flow', label: 'Parallel', name: 'Parallel',
    make: () => ({
      Type: 'Parallel',
      Branches: [
        { StartAt: 'Branch A', States: { 'Branch A': { Type: 'Pass', End: true } } },
        { StartAt: 'Branch B', States: { 'Branch B': { Type: 'Pass', End: true } } },
      ],
    }),
  },
  {
    id: 'Map', group: 'Flow', label: 'Map', name: 'Map',
    make: (lang) => ({
      Type: 'Map',
      ...(lang === 'JSONata' ? { Items: '{% $states.input.items %}' } : { ItemsPath: '$.items' }),
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Process item',
        States: { 'Process item': { Type: 'Pass', End: true } },
      },
    }),
  },
  {
    id: 'Lambda', group: 'Actions', label: 'Lambda: Invoke', name: 'Lambda Invoke',
    make: task('arn:aws:states:::lambda:invoke',
      { FunctionName: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:my-function`, 'Payload.$': '$' },
      { FunctionName: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:my-function`, Payload: '{% $states.input %}' }),
  },
  {
    id: 'Function', group: 'Actions', label: 'Local function', name: 'Call function',
    // A local function (stepfn serve --functions) is called by its Lambda ARN.
    make: (lang, extra) => ({
      Type: 'Task',
      Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${extra || 'my_function'}`,
    }),
    extra: 'function name',
  },
  {
    id: 'SQS', group: 'Actions', label: 'SQS: SendMessage', name: 'SQS SendMessage',
    make: task('arn:aws:states:::sqs:sendMessage',
      { QueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/my-queue`, 'MessageBody.$': '$' },
      { QueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/my-queue`, MessageBody: '{% $states.input %}' }),
  },
  {
    id: 'SNS', group: 'Actions', label: 'SNS: Publish', name: 'SNS Publish',
    make: task('arn:aws:states:::sns:publish',
      { TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:my-topic`, 'Message.$': '$' },
      { TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:my-topic`, Message: '{% $states.input %}' }),
  },
  {
    id: 'DynamoGet', group: 'Actions', label: 'DynamoDB: GetItem', name: 'DynamoDB GetItem',
    make: task('arn:aws:states:::dynamodb:getItem',
      { TableName: 'my-table', Key: { id: { 'S.$': '$.id' } } },
      { TableName: 'my-table', Key: { id: { S: '{% $states.input.id %}' } } }),
  },
  {
    id: 'DynamoPut', group: 'Actions', label: 'DynamoDB: PutItem', name: 'DynamoDB PutItem',
    make: task('arn:aws:states:::dynamodb:putItem',
      { TableName: 'my-table', Item: { id: { 'S.$': '$.id' } } },
      { TableName: 'my-table', Item: { id: { S: '{% $states.input.id %}' } } }),
  },
  {
    id: 'Events', group: 'Actions', label: 'EventBridge: PutEvents', name: 'EventBridge PutEvents',
    make: task('arn:aws:states:::events:putEvents',
      { Entries: [{ Source: 'my.app', DetailType: 'MyEvent', 'Detail.$': '$' }] },
      { Entries: [{ Source: 'my.app', DetailType: 'MyEvent', Detail: '{% $states.input %}' }] }),
  },
  {
    id: 'HTTP', group: 'Actions', label: 'HTTP: Invoke', name: 'Call HTTP API',
    make: task('arn:aws:states:::http:invoke',
      { ApiEndpoint: 'https://example.com/api', Method: 'GET' },
      { ApiEndpoint: 'https://example.com/api', Method: 'GET' }),
  },
  {
    id: 'StartExecution', group: 'Actions', label: 'Step Functions: StartExecution (.sync)',
    name: 'Start execution',
    make: task('arn:aws:states:::states:startExecution.sync:2',
      { StateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:child`, 'Input.$': '$' },
      { StateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:child`, Input: '{% $states.input %}' }),
  },
  {
    id: 'SDK', group: 'Actions', label: 'AWS SDK: any service:action', name: 'SDK call',
    make: (lang, extra) => {
      const [service, action] = String(extra || 's3:listBuckets').split(':');
      const state = { Type: 'Task', Resource: `arn:aws:states:::aws-sdk:${service}:${action || 'listBuckets'}` };
      state[lang === 'JSONata' ? 'Arguments' : 'Parameters'] = {};
      return state;
    },
    extra: 'service:action',
  },
];

/** The palette item `id`. */
export const paletteItem = (id) => PALETTE.find((p) => p.id === id);

/** The MIME type of a palette item being dragged (its id is the data). */
export const DRAG_TYPE = 'application/x-stepfn-state';
