// PLACEHOLDER: replaced by the service implementation.
import { jsonService, type SimService } from '../../protocol.ts';

export function s3Service(): SimService {
  return jsonService({ signingName: 's3', targetPrefix: 'X', version: '1.1', operations: {} });
}
