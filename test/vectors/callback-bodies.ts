import type { CallbackFields } from '../../lib/protocol/callback-body.js';

/**
 * Callback bodies as data, each with the fields `parseCallbackBody` must read from it. Each `title`
 * names its source; "protocol note" is /work/shared/reference/oss-callback-protocol.md.
 */
export interface BodyVector {
  title: string;
  contentType: string;
  body: string;
  fields: CallbackFields;
}

const FORM = 'application/x-www-form-urlencoded';

/** Every field but bucket and object as a body without them reads: null, no image, no vars. */
export const NO_OPTIONAL_FIELDS: Omit<CallbackFields, 'bucket' | 'object'> = {
  etag: null,
  size: null,
  mimeType: null,
  crc64: null,
  contentMd5: null,
  operation: null,
  reqId: null,
  clientIp: null,
  vpcId: null,
  image: null,
  vars: {},
};

export const DOC_FORM_BODY: BodyVector = {
  title: 'protocol note §2.1 - the official doc example form body (AlibabaCloudDocs/oss Callback.md)',
  contentType: FORM,
  body: 'bucket=callback-test&object=test.txt&etag=D8E8FCA2DC0F896FD7CB4CB0031BA249&size=5&mimeType=text%2Fplain&imageInfo.height=&imageInfo.width=&imageInfo.format=&x:var1=for-callback-test',
  fields: {
    ...NO_OPTIONAL_FIELDS,
    bucket: 'callback-test',
    object: 'test.txt',
    etag: 'D8E8FCA2DC0F896FD7CB4CB0031BA249',
    size: 5,
    mimeType: 'text/plain',
    vars: { 'x:var1': 'for-callback-test' },
  },
};

/** The fields of the upload alphasnow/aliyun-oss-appserver-go shows, its masked digits filled in. */
const APPSERVER_UPLOAD: CallbackFields = {
  bucket: 'bucket-name',
  object: 'user-dir-prefix/image.jpg',
  etag: 'A3AC1B2FAADBD00000EE9F5EA57CAACB',
  size: 2788,
  mimeType: 'image/jpeg',
  crc64: '3461631372872852000',
  contentMd5: 'o6wbL6rb0000007p9epXyqyw==',
  operation: 'PutObject',
  reqId: '674EB5AA20000037341888F8',
  clientIp: '100.20.30.40',
  vpcId: null,
  image: { width: 257, height: 197, format: 'jpg' },
  vars: {},
};

export const APPSERVER_JSON_BODY: BodyVector = {
  title: 'protocol note §2.1 - the JSON body alphasnow/aliyun-oss-appserver-go README-CN.md prints for the full JSON template (masked digits filled in with 0)',
  contentType: 'application/json',
  body:
    '{"bucket":"bucket-name","object":"user-dir-prefix/image.jpg","etag":"A3AC1B2FAADBD00000EE9F5EA57CAACB","size":2788,' +
    '"mimeType":"image/jpeg","imageInfo":{"height":197,"width":257,"format":"jpg"},"crc64":3461631372872852000,' +
    '"contentMd5":"o6wbL6rb0000007p9epXyqyw==","vpcId":null,"clientIp":"100.20.30.40","reqId":"674EB5AA20000037341888F8",' +
    '"operation":"PutObject"}',
  fields: APPSERVER_UPLOAD,
};

export const APPSERVER_FORM_BODY: BodyVector = {
  title: 'derived from protocol note §2.1 - the same upload through the full form template, values URL-encoded as OSS does',
  contentType: FORM,
  body:
    'bucket=bucket-name&object=user-dir-prefix%2Fimage.jpg&etag=A3AC1B2FAADBD00000EE9F5EA57CAACB&size=2788&mimeType=image%2Fjpeg' +
    '&imageInfo.height=197&imageInfo.width=257&imageInfo.format=jpg&crc64=3461631372872852000' +
    '&contentMd5=o6wbL6rb0000007p9epXyqyw%3D%3D&vpcId=&clientIp=100.20.30.40&reqId=674EB5AA20000037341888F8&operation=PutObject',
  fields: APPSERVER_UPLOAD,
};
