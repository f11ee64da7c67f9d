import { xmlDocument } from './xml.js';

/**
 * A refusal as OSS words it: HTTP status, `<Code>`, `<Message>` and any extra elements OSS adds
 * (`ArgumentName`, `StringToSign`, ...), rendered as OSS's XML error document.
 */
export class OssError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ReadonlyArray<readonly [string, string]>;

  constructor(status: number, code: string, message: string, details: ReadonlyArray<readonly [string, string]> = []) {
    super(message);
    this.name = 'OssError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  toXml(requestId: string, hostId: string): string {
    return xmlDocument('Error', [['Code', this.code], ['Message', this.message], ['RequestId', requestId], ['HostId', hostId], ...this.details]);
  }
}

/** The errors more than one operation raises, with OSS's texts. */
export const ossErrors = {
  noSuchKey: (key: string) => new OssError(404, 'NoSuchKey', 'The specified key does not exist.', [['Key', key]]),
  noSuchUpload: (uploadId: string) =>
    new OssError(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', [
      ['UploadId', uploadId],
    ]),
  invalidDigest: () => new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.'),
  accessDenied: (message = 'You have no right to access this object because of bucket acl.') => new OssError(403, 'AccessDenied', message),
  invalidObjectName: () => new OssError(400, 'InvalidObjectName', 'The specified object is not valid.'),
  notImplemented: () => new OssError(501, 'NotImplemented', 'The simulator does not implement this operation.'),
};
