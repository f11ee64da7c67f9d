/**
 * OSS callback signature vectors, as data. Each `title` names where the vector comes from; "protocol
 * note" is /work/shared/reference/oss-callback-protocol.md. Only §7.2 is signed by OSS itself; the
 * others are its documented negative forms, one derived by flipping a byte, and a third-party
 * synthetic vector signed with its own test key (§7.4).
 *
 * The §7.2 request as raw bytes on the wire (CRLF, a blank line, the 18-byte body with no newline
 * after it) is `oss-doc-callback.http` beside this file; `.gitattributes` keeps its bytes as they are.
 */
export interface SignatureVector {
  title: string;
  rawPath: string;
  rawQuery: string | null;
  body: string;
  contentType: string;
  /** The `authorization` header: base64 of the RSA-MD5 signature. */
  authorization: string;
  /** The key URL, as `x-oss-pub-key-url` carries it after base64 decoding. */
  keyUrl: string;
  /** The exact string to sign, as hex, where the source states it. */
  stringToSignHex?: string;
  /** MD5 of the string to sign, where the source states it. */
  md5?: string;
  /** Whether the signature holds under the vector's own key (`publicKeyPem`, else the official key). */
  verifies: boolean;
  /** The key the vector was signed with, when it is not OSS's official v1 key. */
  publicKeyPem?: string;
}

const FORM = 'application/x-www-form-urlencoded';
const OFFICIAL_HTTP_URL = 'http://gosspublic.alicdn.com/callback_pub_key_v1.pem';
const OFFICIAL_HTTPS_URL = 'https://gosspublic.alicdn.com/callback_pub_key_v1.pem';

/** Protocol note §7.1: facts about OSS's callback public key v1 that a test can check. */
export const OFFICIAL_KEY_FACTS = {
  title: 'protocol note §7.1 - OSS callback public key v1',
  spkiSha256: 'a1f54d0fb9263a14276c9e890f99cdeae986265b3985e6b1aa4603631c5bc9cf',
  modulusHex:
    'AB3F2411B3C1407669586DE1CAC1C77A083C12CDB231AC0B47D35EFFA7BE59A496F91CA25BE9BD72D38DAC541D1DD6F4B5F14361075C025F081FBA1F6605D64F',
  modulusBits: 512,
  publicExponent: 65537,
  /** The copy the design names; tests compare the pinned PEM with it when /work/shared is present. */
  sharedPemPath: '/work/shared/keys/oss-callback-public-key-v1.pem',
  urls: [OFFICIAL_HTTPS_URL, OFFICIAL_HTTP_URL],
} as const;

/** Protocol note §7.2: the real OSS-signed callback from the official Callback API doc, "Step 4". */
export const OSS_DOC_VECTOR: SignatureVector = {
  title: 'protocol note §7.2 - real OSS-signed callback (AlibabaCloudDocs/oss Callback.md, zh-CN, "Step 4 回调签名")',
  rawPath: '/index.php',
  rawQuery: 'id=1&index=2',
  body: 'bucket=yonghu-test',
  contentType: FORM,
  authorization: 'kKQeGTRccDKyHB3H9vF+xYMSrmhMZjzzl2/kdD1ktNVgbWEfYTQG0G2SU/RaHBovRCE8OkQDjC3uG33esH2txA==',
  keyUrl: OFFICIAL_HTTP_URL,
  stringToSignHex: '2f696e6465782e7068703f69643d3126696e6465783d320a6275636b65743d796f6e6768752d74657374',
  md5: '5b74fc97cc385b45c6c8b7782d5a2140',
  verifies: true,
};

/** Protocol note §7.2, "Negative vectors with the same signature and key (all must FAIL)", plus one derived. */
export const OSS_DOC_NEGATIVE_VECTORS: SignatureVector[] = [
  {
    ...OSS_DOC_VECTOR,
    title: 'protocol note §7.2 negative - the body with a trailing newline',
    body: 'bucket=yonghu-test\n',
    stringToSignHex: undefined,
    md5: undefined,
    verifies: false,
  },
  {
    ...OSS_DOC_VECTOR,
    title: 'protocol note §7.2 negative - the query dropped',
    rawQuery: null,
    stringToSignHex: undefined,
    md5: undefined,
    verifies: false,
  },
  {
    ...OSS_DOC_VECTOR,
    title: "protocol note §7.2 negative - the 2025 doc's edited example (body bucket=examplebucket, old signature)",
    body: 'bucket=examplebucket',
    stringToSignHex: undefined,
    md5: undefined,
    verifies: false,
  },
  {
    ...OSS_DOC_VECTOR,
    title: 'derived from protocol note §7.2 - the last signature byte XOR 0x01 (…txA== becomes …txQ==)',
    authorization: 'kKQeGTRccDKyHB3H9vF+xYMSrmhMZjzzl2/kdD1ktNVgbWEfYTQG0G2SU/RaHBovRCE8OkQDjC3uG33esH2txQ==',
    verifies: false,
  },
];

/**
 * Protocol note §7.4: alphasnow/aliyun-oss-appserver `tests/CallbackTest.php`, signed with that repo's
 * own 1024-bit test key (`tests/stubs/public.pem`) but naming the official https key URL (the PHP test
 * mocks the download). Right algorithm, wrong key: it holds under its own key and must be refused
 * under the pinned official key.
 */
export const SYNTHETIC_VECTOR: SignatureVector = {
  title: 'protocol note §7.4 - synthetic vector, alphasnow/aliyun-oss-appserver tests/CallbackTest.php (NOT from OSS)',
  rawPath: '/tests/callback.php',
  rawQuery: null,
  body: 'filename=upload%2Ffile.zip&size=157&mimeType=application%2Fx-zip-compressed&height=&width=',
  contentType: FORM,
  authorization:
    'adK5wEx8Xko1k+PLK7X9AdNeBrERezJc+dIDs/cbI7a1Qj6T79maIO1VsSRmgiIH3LY+MG/N62lfaDSBq3ylN+yJyyXeletN/j/o+lg/j/m/6ghAUzbTBPniuxByWGvCE9pYgn5hKYDV6JhqF/y+8p87JsndAZULK9jdgjloOEw=',
  keyUrl: OFFICIAL_HTTPS_URL,
  verifies: true,
  publicKeyPem: `-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC6MJTNJ+/zFOdDI4EUPudLBpTX
nY9QHoaPB+Ty6m+NqnEtFefxzQFgyaA3YQKHNh7ms9YrhBZV1tbpmqLdFX3HvifQ
pv1YVsv4zm1F5SrqKreXBFeX8+UWJoMxbr871u3K1OBFAwx8JhmQWEdmn2qRoqOl
3wdKATLa+g3BMGG7HQIDAQAB
-----END PUBLIC KEY-----
`,
};

/** The §7.2 request as captured on the wire. */
export const OSS_DOC_CAPTURE_FILE = new URL('./oss-doc-callback.http', import.meta.url);
