import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { PARTITIONS, resolveDynamoDbEndpoint } from '../../../lib/store/dynamodb-endpoint.js';
import { DynamoDbClient } from '../../../lib/store/dynamodb-client.js';

interface SdkPartition {
  id: string;
  regionRegex: string;
  regions: Record<string, unknown>;
  outputs: { dnsSuffix: string; dualStackDnsSuffix: string; supportsFIPS: boolean; supportsDualStack: boolean };
}

/**
 * The installed SDK's partitions.json, which @aws-sdk/core bundles without exporting: the JSON
 * literal its `partition()` reads, taken from the module's text.
 */
function sdkPartitions(): SdkPartition[] {
  const source = readFileSync(createRequire(import.meta.url).resolve('@aws-sdk/core/client'), 'utf8');
  const start = source.indexOf('const partitionsInfo = ');
  const literal = source.slice(start + 'const partitionsInfo = '.length, source.indexOf('\n};', start) + 2);
  return (JSON.parse(literal) as { partitions: SdkPartition[] }).partitions;
}

/** The installed AWS SDK's own DynamoDB endpoint rules: the oracle. */
const sdk = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
function sdkEndpoint(params: { Region: string; UseFIPS: boolean; UseDualStack: boolean; Endpoint?: string }): { url: string; signingRegion?: string } | { error: string } {
  try {
    const endpoint = sdk.config.endpointProvider(params);
    const scheme = (endpoint.properties?.authSchemes as { signingRegion?: string }[] | undefined)?.[0];
    return { url: endpoint.url.href, ...(scheme?.signingRegion && { signingRegion: scheme.signingRegion }) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function ours(region: string, env: NodeJS.ProcessEnv, endpoint?: string): { url: string; signingRegion?: string } | { error: string } {
  try {
    const resolved = resolveDynamoDbEndpoint({ region, endpoint }, env);
    return { url: resolved.url.href, ...(resolved.signingRegion !== region && { signingRegion: resolved.signingRegion }) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const flags = (fips: boolean, dualStack: boolean): NodeJS.ProcessEnv => ({ AWS_USE_FIPS_ENDPOINT: String(fips), AWS_USE_DUALSTACK_ENDPOINT: String(dualStack) });
const combinations = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

describe('DynamoDB endpoints, as the AWS SDK resolves them', () => {
  it('keeps the same partitions as the installed SDK (a new partition there fails here until added)', () => {
    const theirs = sdkPartitions();
    expect(PARTITIONS.map(({ id, regionRegex, dnsSuffix, dualStackDnsSuffix }) => ({ id, regionRegex: regionRegex.source, dnsSuffix, dualStackDnsSuffix }))).toEqual(
      theirs.map(({ id, regionRegex, outputs }) => ({ id, regionRegex: regionRegex.replaceAll('\\-', '-'), dnsSuffix: outputs.dnsSuffix, dualStackDnsSuffix: outputs.dualStackDnsSuffix })),
    );
    for (const { outputs } of theirs) expect(outputs).toMatchObject({ supportsFIPS: true, supportsDualStack: true });
  });

  it('resolves every region the SDK names, and made-up ones of each partition, with FIPS and dual-stack on and off, to the SDK’s URL', () => {
    const named = sdkPartitions().flatMap((partition) => Object.keys(partition.regions));
    const madeUp = ['us-west-9', 'eu-future-3', 'cn-south-7', 'us-gov-central-2', 'us-iso-north-4', 'us-isob-south-2', 'eu-isoe-north-1', 'us-isof-west-5', 'eusc-de-west-2', 'mx-north-1'];
    let compared = 0;
    for (const region of [...named, ...madeUp, 'local']) {
      for (const [fips, dualStack] of combinations) {
        const expected = sdkEndpoint({ Region: region, UseFIPS: fips, UseDualStack: dualStack });
        const actual = ours(region, flags(fips, dualStack));
        if ('error' in expected) expect(actual, `${region} fips=${fips} dualstack=${dualStack}`).toHaveProperty('error', expect.stringContaining(expected.error));
        else expect(actual, `${region} fips=${fips} dualstack=${dualStack}`).toEqual(expected);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('uses a configured endpoint as given and refuses it with FIPS or dual-stack, as the SDK does', () => {
    for (const [fips, dualStack] of combinations) {
      const expected = sdkEndpoint({ Region: 'eu-west-1', UseFIPS: fips, UseDualStack: dualStack, Endpoint: 'http://127.0.0.1:8000' });
      const env = { ...flags(fips, dualStack), AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' };
      const actual = ours('eu-west-1', env);
      if ('error' in expected) expect(actual).toHaveProperty('error', expect.stringContaining(expected.error));
      else expect(actual).toEqual(expected);
    }
  });

  it('reads AWS_ENDPOINT_URL_DYNAMODB, then AWS_ENDPOINT_URL, and neither with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true; an endpoint set in code always', () => {
    const both = { AWS_ENDPOINT_URL_DYNAMODB: 'http://dynamo.test:1', AWS_ENDPOINT_URL: 'http://all.test:2' };
    expect(ours('eu-west-1', both)).toEqual({ url: 'http://dynamo.test:1/' });
    expect(ours('eu-west-1', { AWS_ENDPOINT_URL: 'http://all.test:2' })).toEqual({ url: 'http://all.test:2/' });
    expect(ours('eu-west-1', { ...both, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })).toEqual({ url: 'https://dynamodb.eu-west-1.amazonaws.com/' });
    expect(ours('eu-west-1', { ...both, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'false' })).toEqual({ url: 'http://dynamo.test:1/' });
    expect(ours('eu-west-1', { ...both, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }, 'http://code.test:3')).toEqual({ url: 'http://code.test:3/' });
  });

  it('refuses a flag that is not "true" or "false", as the SDK does, naming it', () => {
    expect(ours('eu-west-1', { AWS_USE_FIPS_ENDPOINT: 'yes' })).toEqual({ error: 'AWS_USE_FIPS_ENDPOINT must be "true" or "false", not "yes"' });
    expect(ours('eu-west-1', { AWS_USE_DUALSTACK_ENDPOINT: '1' })).toHaveProperty('error', expect.stringContaining('AWS_USE_DUALSTACK_ENDPOINT'));
  });

  it('refuses a region in no partition it knows, naming AWS_ENDPOINT_URL_DYNAMODB, where the SDK would guess amazonaws.com', () => {
    for (const region of ['mars-east-1', 'xx-1', 'us-east-1.evil.example', 'US-EAST-1', 'eu-west-1/..']) {
      expect(ours(region, {})).toHaveProperty('error', expect.stringMatching(/no AWS partition .*set AWS_ENDPOINT_URL_DYNAMODB/));
    }
    expect(sdkEndpoint({ Region: 'mars-east-1', UseFIPS: false, UseDualStack: false })).toEqual({ url: 'https://dynamodb.mars-east-1.amazonaws.com/' });
    // With an endpoint, any region only names the signature's scope.
    expect(ours('mars-east-1', { AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' })).toEqual({ url: 'http://127.0.0.1:8000/' });
  });

  it('is what the client connects to and signs for', () => {
    const client = new DynamoDbClient({ credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }, { AWS_REGION: 'us-gov-east-1', AWS_USE_FIPS_ENDPOINT: 'true' });
    expect(client.endpoint).toBe('https://dynamodb.us-gov-east-1.amazonaws.com');
    client.destroy();
    expect(() => new DynamoDbClient({}, { AWS_REGION: 'mars-east-1' })).toThrow(/AWS_ENDPOINT_URL_DYNAMODB/);
  });
});
