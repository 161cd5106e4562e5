// API errors as sentences: the page never shows a bare error code (the code stays on
// the element's data-code attribute, and in its tooltip, for whoever needs it).

const SENTENCES = {
  NetworkError: 'The server did not answer. Is stepfn serve still running?',
  FeedError: 'The live feed of this execution stopped.',
  StateMachineTypeNotSupported: 'Express state machines do not support this operation.',
  StateMachineDoesNotExist: 'There is no state machine with this ARN (it may have been deleted).',
  StateMachineDeleting: 'This state machine is being deleted.',
  StateMachineAlreadyExists: 'A state machine with this name already exists.',
  ExecutionDoesNotExist: 'There is no execution with this ARN (an Express execution is kept only for a while).',
  ExecutionAlreadyExists: 'An execution with this name already exists for this state machine.',
  ExecutionLimitExceeded: 'Too many executions are running.',
  ExecutionNotRedrivable: 'This execution cannot be redriven.',
  InvalidDefinition: 'The definition is not valid.',
  InvalidArn: 'This ARN is not valid.',
  InvalidName: 'This name is not valid: use 1 to 80 letters, digits, - and _.',
  InvalidExecutionInput: 'The input is not valid JSON (or too large).',
  InvalidToken: 'The page token is not valid any more: start again from the first page.',
  ValidationException: 'The request was refused.',
  ResourceNotFound: 'It does not exist (any more).',
  ConflictException: 'It changed meanwhile: reload and try again.',
  ServiceQuotaExceededException: 'A quota of the server is reached.',
  ThrottlingException: 'The server is busy: try again in a moment.',
  ServiceUnavailable: 'The server is not available right now: try again in a moment.',
  UnrecognizedClientException: 'The server does not know this access key: check it under Settings.',
  InvalidSignatureException: 'The server refused the request\'s signature: check the secret key under Settings.',
  MissingAuthenticationToken: 'The server wants signed requests: enter an access key under Settings.',
  MissingAuthenticationTokenException: 'The server wants signed requests: enter an access key under Settings.',
  AccessDeniedException: 'The server refused access: check the keys under Settings.',
  IncompleteSignature: 'The request\'s signature was incomplete: enter the keys again under Settings.',
};

/** The sentence for an error from the API (an ApiError, or any Error). */
export function errorSentence(error) {
  if (!error) return '';
  const known = error.code && SENTENCES[error.code];
  const message = error.message && error.message !== error.code ? error.message : '';
  if (known) {
    // The server's own message adds the detail (which field, which name).
    return message && !known.includes(message) ? `${known} ${withStop(message)}` : known;
  }
  if (message) return withStop(message);
  if (error.status >= 500) return 'The server failed to answer this request.';
  return 'Something went wrong.';
}

function withStop(text) {
  const t = String(text).trim();
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?:)]$/.test(first) ? first : `${first}.`;
}
