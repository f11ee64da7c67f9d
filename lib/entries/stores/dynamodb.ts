/**
 * @module
 * oss-upload-callback/stores/dynamodb: records in an AWS DynamoDB table, over the package's own
 * SigV4 client. Credentials from the environment; for profiles, SSO and roles install the optional
 * peer @aws-sdk/credential-provider-node.
 */
export { openDynamoDbStore, type DynamoDbStoreOptions } from '../../store/dynamodb.js';
export type { DynamoDbClientConfig } from '../../store/dynamodb-client.js';
