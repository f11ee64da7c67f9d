/**
 * Where DynamoDB requests go, resolved as the AWS SDK for JavaScript v3 resolves them: DynamoDB's
 * endpoint rule set (@aws-sdk/client-dynamodb 3.1169.0, `endpoint/bdd`) over the partitions of
 * @aws-sdk/core 3.981.1 (`util-endpoints/lib/aws/partitions`), with the SDK's environment variables.
 * test/unit/store/dynamodb-endpoint.test.ts holds both tables to the installed SDK.
 *
 * One deliberate difference: for a region in no partition the SDK knows, the SDK guesses the `aws`
 * partition's `amazonaws.com`; we refuse with an error that names AWS_ENDPOINT_URL_DYNAMODB instead,
 * because a guessed host is a request to a name nobody vouched for.
 */
export interface DynamoDbEndpoint {
  url: URL;
  /** The region the signature names: the configured one, or us-east-1 for `local`. */
  signingRegion: string;
}

export interface EndpointConfig {
  /** Set in code: used as given, whatever the environment says. */
  endpoint?: string | undefined;
  region?: string | undefined;
}

interface Partition {
  id: string;
  regionRegex: RegExp;
  /** The regions the partition names outright (a region is matched by name before any regex). */
  regions: readonly string[];
  dnsSuffix: string;
  dualStackDnsSuffix: string;
}

/** Every partition supports FIPS and dual-stack in this version of the table. */
export const PARTITIONS: readonly Partition[] = [
  {
    id: 'aws',
    regionRegex: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/,
    regions: ['aws-global'],
    dnsSuffix: 'amazonaws.com',
    dualStackDnsSuffix: 'api.aws',
  },
  { id: 'aws-cn', regionRegex: /^cn-\w+-\d+$/, regions: ['aws-cn-global'], dnsSuffix: 'amazonaws.com.cn', dualStackDnsSuffix: 'api.amazonwebservices.com.cn' },
  { id: 'aws-eusc', regionRegex: /^eusc-(de)-\w+-\d+$/, regions: [], dnsSuffix: 'amazonaws.eu', dualStackDnsSuffix: 'api.amazonwebservices.eu' },
  { id: 'aws-iso', regionRegex: /^us-iso-\w+-\d+$/, regions: ['aws-iso-global'], dnsSuffix: 'c2s.ic.gov', dualStackDnsSuffix: 'api.aws.ic.gov' },
  { id: 'aws-iso-b', regionRegex: /^us-isob-\w+-\d+$/, regions: ['aws-iso-b-global'], dnsSuffix: 'sc2s.sgov.gov', dualStackDnsSuffix: 'api.aws.scloud' },
  { id: 'aws-iso-e', regionRegex: /^eu-isoe-\w+-\d+$/, regions: ['aws-iso-e-global'], dnsSuffix: 'cloud.adc-e.uk', dualStackDnsSuffix: 'api.cloud-aws.adc-e.uk' },
  { id: 'aws-iso-f', regionRegex: /^us-isof-\w+-\d+$/, regions: ['aws-iso-f-global'], dnsSuffix: 'csp.hci.ic.gov', dualStackDnsSuffix: 'api.aws.hci.ic.gov' },
  { id: 'aws-us-gov', regionRegex: /^us-gov-\w+-\d+$/, regions: ['aws-us-gov-global'], dnsSuffix: 'amazonaws.com', dualStackDnsSuffix: 'api.aws' },
];

/** A named region wins over every regex (`us-gov-west-1` would otherwise match `aws`'s `us-…`). */
function partitionOf(region: string): Partition | undefined {
  return PARTITIONS.find((partition) => partition.regions.includes(region)) ?? PARTITIONS.find((partition) => partition.regionRegex.test(region));
}

export function resolveDynamoDbEndpoint(config: EndpointConfig, env: NodeJS.ProcessEnv): DynamoDbEndpoint {
  const region = config.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION);
  if (!region) throw new Error('DynamoDB needs a region: set AWS_REGION');
  const fips = flag(env, 'AWS_USE_FIPS_ENDPOINT');
  const dualStack = flag(env, 'AWS_USE_DUALSTACK_ENDPOINT');
  const configured = config.endpoint ?? (flag(env, 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS') ? undefined : env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL);
  if (configured !== undefined) {
    if (fips) throw new Error('Invalid Configuration: FIPS and custom endpoint are not supported (unset AWS_USE_FIPS_ENDPOINT or the endpoint URL)');
    if (dualStack) throw new Error('Invalid Configuration: Dualstack and custom endpoint are not supported (unset AWS_USE_DUALSTACK_ENDPOINT or the endpoint URL)');
    return { url: endpointUrl(configured), signingRegion: region };
  }
  if (region === 'local') {
    if (fips) throw new Error('Invalid Configuration: FIPS and local endpoint are not supported');
    if (dualStack) throw new Error('Invalid Configuration: Dualstack and local endpoint are not supported');
    return { url: new URL('http://localhost:8000'), signingRegion: 'us-east-1' };
  }
  const partition = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(region) ? partitionOf(region) : undefined;
  if (!partition) {
    throw new Error(
      `DynamoDB: the region ${JSON.stringify(region)} is in no AWS partition this package knows (${PARTITIONS.map((each) => each.id).join(', ')}); set AWS_ENDPOINT_URL_DYNAMODB to its DynamoDB endpoint`,
    );
  }
  const suffix = dualStack ? partition.dualStackDnsSuffix : partition.dnsSuffix;
  // GovCloud's regular DynamoDB endpoints are FIPS endpoints already; the rule set sends FIPS there.
  const host = fips && !(partition.id === 'aws-us-gov' && !dualStack) ? 'dynamodb-fips' : 'dynamodb';
  return { url: new URL(`https://${host}.${region}.${suffix}`), signingRegion: region };
}

/** `"true"` or `"false"` exactly, as the SDK's `booleanSelector` reads them; anything else is refused. */
function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new Error(`${name} must be "true" or "false", not ${JSON.stringify(value)}`);
}

function endpointUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`the DynamoDB endpoint ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`the DynamoDB endpoint ${JSON.stringify(text)} is not http(s)`);
  return url;
}
