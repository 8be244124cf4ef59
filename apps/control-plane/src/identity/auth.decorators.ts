import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { SluiceRole } from './sluice-roles.js';
import type { VerifiedPrincipal } from './verified-principal.js';

export const PUBLIC_ROUTE = 'sluice:public';
export const REQUIRED_ROLES = 'sluice:roles';

/** Marks a route that needs no token (health probes, the development issuer). Use sparingly. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The caller must hold at least one of these Sluice roles. */
export const RequireRoles = (...roles: SluiceRole[]) => SetMetadata(REQUIRED_ROLES, roles);

export interface AuthenticatedCaller {
  readonly principal: VerifiedPrincipal;
  readonly roles: readonly SluiceRole[];
}

export interface RequestWithCaller {
  caller?: AuthenticatedCaller;
}

/** The caller the AuthGuard verified for this request. */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedCaller => {
  const caller = context.switchToHttp().getRequest<RequestWithCaller>().caller;
  if (!caller) throw new Error('@Caller() used on a route the AuthGuard did not authenticate');
  return caller;
});
