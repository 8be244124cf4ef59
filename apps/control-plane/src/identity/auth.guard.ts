import { ForbiddenException, Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { CONTROL_PLANE_CONFIG } from '../config/config.module.js';
import type { ControlPlaneConfig } from '../config/config.js';
import { PUBLIC_ROUTE, REQUIRED_ROLES, type RequestWithCaller } from './auth.decorators.js';
import { IdentityService } from './identity.service.js';
import { PrincipalsService } from './principals.service.js';
import { sluiceRolesOf, type SluiceRole } from './sluice-roles.js';

/**
 * Every REST route requires a bearer token from a trusted issuer unless marked @Public().
 * 401 (with a WWW-Authenticate challenge, RFC 6750) for a missing, invalid or revoked token;
 * 403 naming the missing role otherwise.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly identity: IdentityService,
    private readonly principals: PrincipalsService,
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets) === true) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<Request & RequestWithCaller>();
    const response = http.getResponse<Response>();

    const token = bearerToken(request.headers.authorization);
    if (token === undefined) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="sluice"');
      throw new UnauthorizedException('a bearer token is required (Authorization: Bearer <access token>)');
    }
    const checked = await this.identity.verify(token);
    if (!checked.ok) {
      response.setHeader('WWW-Authenticate', challenge('invalid_token', checked.message));
      throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', code: checked.code, message: checked.message });
    }
    const record = await this.principals.recordSeen(checked.principal);
    if (record.revokedAt) {
      response.setHeader('WWW-Authenticate', challenge('invalid_token', 'principal revoked'));
      throw new UnauthorizedException({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'revoked',
        message: 'this principal has been revoked',
      });
    }
    const roles = sluiceRolesOf(checked.principal, this.config.identity.roles);
    request.caller = { principal: checked.principal, roles };

    const required = this.reflector.getAllAndOverride<SluiceRole[] | undefined>(REQUIRED_ROLES, targets) ?? [];
    if (required.length > 0 && !required.some((role) => roles.includes(role))) {
      throw new ForbiddenException(`requires the ${required.join(' or ')} role`);
    }
    return true;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(header);
  return match?.[1];
}

function challenge(error: string, description: string): string {
  // Quoted-string: drop characters that would break the header.
  const safe = description.replace(/["\\\r\n]/g, '');
  return `Bearer realm="sluice", error="${error}", error_description="${safe}"`;
}
