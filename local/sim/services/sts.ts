// PLACEHOLDER: replaced by the service implementation.
import { jsonService, type SimService } from '../protocol.ts';

export function stsService(): SimService {
  return jsonService({ signingName: 'sts', targetPrefix: 'X', version: '1.1', operations: {} });
}
