// PLACEHOLDER: replaced by the service implementation.
import { jsonService, type SimService } from '../protocol.ts';

export function snsService(): SimService {
  return jsonService({ signingName: 'sns', targetPrefix: 'X', version: '1.1', operations: {} });
}
