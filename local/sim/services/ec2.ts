// PLACEHOLDER: replaced by the service implementation.
import { jsonService, type SimService } from '../protocol.ts';

export function ec2Service(): SimService {
  return jsonService({ signingName: 'ec2', targetPrefix: 'X', version: '1.1', operations: {} });
}
