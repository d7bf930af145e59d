// PLACEHOLDER: replaced by the service implementation.
import { jsonService, type SimService } from '../protocol.ts';

export function kmsService(): SimService {
  return jsonService({ signingName: 'kms', targetPrefix: 'TrentService', version: '1.1', operations: {} });
}
