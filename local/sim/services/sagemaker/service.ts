// PLACEHOLDER: replaced by the service implementation.
import { jsonService, type SimService } from '../../protocol.ts';

export function sagemakerService(): SimService {
  return jsonService({ signingName: 'sagemaker', targetPrefix: 'SageMaker', version: '1.1', operations: {} });
}
