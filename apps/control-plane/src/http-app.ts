import { StandardSchemaValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DEV_ISSUER_PATH } from './identity/identity.service.js';
import { YAML_MEDIA_TYPES } from './policies/policy-upload.js';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { createRequestLogger } from './logging/request-logging.js';
import { CONTROL_PLANE_VERSION } from './version.js';

export const API_PREFIX = 'api/v1';

/** Everything about the HTTP surface that is not a controller: prefix, request logging, OpenAPI. */
export function configureHttp(app: NestExpressApplication, logger: Logger): void {
  app.disable('x-powered-by');
  app.use(createRequestLogger(logger));
  // Policies may be uploaded as raw YAML (docs/policy.md). Only these media types are read as text,
  // so JSON and form bodies elsewhere are parsed as before; 1 MB covers the policy text limit (512 Ki).
  app.useBodyParser('text', { type: [...YAML_MEDIA_TYPES], limit: '1mb' });
  app.setGlobalPrefix(API_PREFIX, { exclude: ['healthz', 'readyz', 'metrics', `${DEV_ISSUER_PATH}/{*path}`] });
  app.useGlobalPipes(new StandardSchemaValidationPipe());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Sluice control plane')
      .setDescription('Identity, policy, approvals and session recordings for the Sluice access gateway.')
      .setVersion(CONTROL_PLANE_VERSION)
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/openapi.json' });
}
