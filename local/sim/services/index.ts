import type { SimService } from '../protocol.ts';
import { organizationsService } from './organizations.ts';
import { stsService } from './sts.ts';
import { ec2Service } from './ec2.ts';
import { snsService } from './sns.ts';
import { kmsService } from './kms.ts';
import { sagemakerService } from './sagemaker/service.ts';
import { cloudwatchService } from './cloudwatch/service.ts';
import { autoscalingService } from './autoscaling.ts';
import { s3Service } from './s3/service.ts';
import { taggingService } from './tagging.ts';
import { pricingService } from './pricing.ts';
import { cloudFormationService } from './cloudformation.ts';
import { apiGatewayService } from './apigateway.ts';
import { secretsManagerService } from './secretsmanager.ts';

/** Every built-in service; Step Functions is added by the local runner (local/runner). */
export function allServices(): SimService[] {
  return [
    organizationsService(),
    stsService(),
    ec2Service(),
    snsService(),
    kmsService(),
    sagemakerService(),
    cloudwatchService(),
    autoscalingService(),
    s3Service(),
    taggingService(),
    pricingService(),
    // Read-only services `zombie-sweep doctor` and the hub's external id reader need.
    cloudFormationService(),
    apiGatewayService(),
    secretsManagerService(),
  ];
}
