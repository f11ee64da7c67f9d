/**
 * Every error Tablestore's error-code reference lists that a PutRow, GetRow or BatchGetRow can get
 * (https://www.alibabacloud.com/help/en/tablestore/developer-reference/error-codes: access control,
 * HTTP message, row and batch operation, server errors; the table-creation, search and stream ones
 * are left out), with its status, code, message and the reference's Retry column. Two codes the
 * reference no longer lists are kept because the SDK still retries them (`lib/retry/retry_util.js`):
 * OTSNotEnoughCapacityUnit (in earlier versions of the reference) and OTSOperationThrottled.
 */
export interface DocumentedError {
  status: number;
  code: string;
  message: string;
  /** The reference's Retry column. */
  retry: boolean;
}

const no = (status: number, code: string, message: string): DocumentedError => ({ status, code, message, retry: false });
const yes = (status: number, code: string, message: string): DocumentedError => ({ status, code, message, retry: true });

export const DOCUMENTED_ERRORS: DocumentedError[] = [
  // Access control
  no(403, 'OTSAuthFailed', 'The AccessKeyID does not exist.'),
  no(403, 'OTSAuthFailed', 'The AccessKeyID is disabled.'),
  no(403, 'OTSAuthFailed', 'The user does not exist.'),
  no(403, 'OTSAuthFailed', 'The instance is not found.'),
  no(403, 'OTSAuthFailed', 'The user has no privilege to access the instance.'),
  no(403, 'OTSAuthFailed', 'The instance is not running.'),
  no(403, 'OTSAuthFailed', 'Signature mismatch.'),
  no(403, 'OTSAuthFailed', 'Mismatch between system time and x-ots-date: 2000-01-01T00:00:00.000Z.'),
  no(403, 'OTSAuthFailed', 'Request denied by instance ACL policies.'),
  no(403, 'OTSNoPermissionAccess', 'You have no permission to access the requested resource, please contact the resource owner'),
  // HTTP message
  no(413, 'OTSRequestBodyTooLarge', 'The size of POST data is too large.'),
  no(408, 'OTSRequestTimeout', 'Request timeout.'),
  no(405, 'OTSMethodNotAllowed', 'OTSMethodNotAllowedOnly POST method for requests is supported.'),
  no(403, 'OTSAuthFailed', 'Mismatch between MD5 value of request body and x-ots-contentmd5 in header.'),
  no(400, 'OTSParameterInvalid', "Missing header: 'x-ots-date'."),
  no(400, 'OTSParameterInvalid', 'Invalid date format: yesterday.'),
  no(400, 'OTSParameterInvalid', 'Unsupported operation: PutRows.'),
  // Operations
  yes(500, 'OTSInternalServerError', 'Internal server error.'),
  yes(403, 'OTSQuotaExhausted', 'Too frequent table operations.'),
  no(403, 'OTSQuotaExhausted', 'Number of tables exceeded the quota.'),
  no(400, 'OTSParameterInvalid', 'Invalid table name: a-b.'),
  no(400, 'OTSParameterInvalid', 'Invalid column name: 1x.'),
  no(400, 'OTSParameterInvalid', 'Value of column record must be UTF8 encoding.'),
  no(400, 'OTSInvalidPK', 'Primary key schema mismatch.'),
  no(400, 'OTSOutOfRowSizeLimit', 'The total data size of columns in one row exceeded the limit.'),
  no(400, 'OTSOutOfColumnCountLimit', 'The number of columns in one row exceeded the limit.'),
  no(400, 'OTSParameterInvalid', 'Invalid row-existence expectation: 3.'),
  no(400, 'OTSParameterInvalid', 'No row specified in the request of BatchGetRow.'),
  no(400, 'OTSParameterInvalid', 'Rows count exceeds the upper limit:100.'),
  no(400, 'OTSParameterInvalid', 'Duplicate rows detected in MultiGet.'),
  no(400, 'OTSParameterInvalid', 'Cell data broken, checksum is mismatch, 12 :34 :'),
  no(400, 'OTSParameterInvalid', 'Deserialize filter failed.'),
  // Server
  yes(503, 'OTSServerBusy', 'Server is busy.'),
  yes(503, 'OTSPartitionUnavailable', 'The partition is not available.'),
  yes(503, 'OTSTimeout', 'Operation timeout.'),
  yes(503, 'OTSServerUnavailable', 'Server is not available.'),
  yes(409, 'OTSRowOperationConflict', 'Data is being modified by the other request.'),
  no(404, 'OTSObjectNotExist', 'Requested table does not exist.'),
  yes(404, 'OTSTableNotReady', 'The table is not ready.'),
  no(403, 'OTSCapacityUnitExhausted', 'Capacity unit is not enough.'),
  no(403, 'OTSConditionCheckFail', 'Condition check failed.'),
  no(429, 'OTSFlowControl', 'The requests have been throttled.'),
  // Retried by the SDK, no longer in the reference
  yes(403, 'OTSNotEnoughCapacityUnit', 'Remaining capacity unit is not enough.'),
  yes(503, 'OTSOperationThrottled', 'Operation is throttled.'),
];

/** One documented error by code (the first listed, when a code has several messages). */
export function documentedError(code: string): DocumentedError {
  const found = DOCUMENTED_ERRORS.find((error) => error.code === code);
  if (!found) throw new Error(`${code} is not in DOCUMENTED_ERRORS`);
  return found;
}
