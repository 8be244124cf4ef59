import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentLinkModule } from '../agent-link/agent-link.module.js';
import { AuthGuard } from './auth.guard.js';
import { DevIssuerController } from './dev-issuer.controller.js';
import { IdentityService } from './identity.service.js';
import { PrincipalEntity } from './principal.entity.js';
import { PrincipalsController } from './principals.controller.js';
import { PrincipalsService } from './principals.service.js';

/**
 * Token verification, principals and their revocation, REST authentication (a global guard), and
 * — in development only — the built-in issuer. Owns the `principals` table.
 */
@Module({})
export class IdentityModule {
  static register(options: { readonly devIssuer: boolean }): DynamicModule {
    return {
      module: IdentityModule,
      global: true,
      imports: [TypeOrmModule.forFeature([PrincipalEntity]), AgentLinkModule],
      controllers: options.devIssuer ? [PrincipalsController, DevIssuerController] : [PrincipalsController],
      providers: [IdentityService, PrincipalsService, { provide: APP_GUARD, useClass: AuthGuard }],
      exports: [IdentityService, PrincipalsService],
    };
  }
}
