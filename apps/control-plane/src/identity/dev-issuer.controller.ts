import { Body, Controller, Get, Headers, HttpCode, NotFoundException, Param, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from './auth.decorators.js';
import { DEV_ISSUER_PATH, IdentityService } from './identity.service.js';

interface TokenForm {
  grant_type?: unknown;
  client_id?: unknown;
  client_secret?: unknown;
  scope?: unknown;
  resource?: unknown;
}

/**
 * The development issuer's endpoints, shaped like Entra's (OIDC discovery, JWKS, the v2 token
 * endpoint with the client-credentials grant). Registered only when SLUICE_DEV_ISSUER is on.
 */
@ApiExcludeController()
@Public()
@Controller(DEV_ISSUER_PATH)
export class DevIssuerController {
  constructor(private readonly identity: IdentityService) {}

  @Get(':tenant/v2.0/.well-known/openid-configuration')
  discovery(@Param('tenant') tenant: string): Record<string, unknown> {
    return this.issuerFor(tenant).discoveryDocument();
  }

  @Get(':tenant/discovery/v2.0/keys')
  keys(@Param('tenant') tenant: string): unknown {
    return this.issuerFor(tenant).jwks();
  }

  @Post(':tenant/oauth2/v2.0/token')
  @HttpCode(200)
  async tenantToken(
    @Param('tenant') tenant: string,
    @Body() form: TokenForm,
    @Headers('authorization') authorization: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.issuerFor(tenant);
    await this.token(form, authorization, res);
  }

  /** Short form: POST /dev-issuer/token. */
  @Post('token')
  @HttpCode(200)
  async token(@Body() form: TokenForm, @Headers('authorization') authorization: string | undefined, @Res() res: Response): Promise<void> {
    const issuer = this.issuerFor(undefined);
    res.setHeader('Cache-Control', 'no-store');
    if (form.grant_type !== 'client_credentials') {
      res.status(400).json({ error: 'unsupported_grant_type', error_description: 'only grant_type=client_credentials is offered' });
      return;
    }
    const basic = basicCredentials(authorization);
    const clientId = basic?.id ?? stringOrUndefined(form.client_id);
    const clientSecret = basic?.secret ?? stringOrUndefined(form.client_secret);
    if (clientId === undefined || clientSecret === undefined) {
      res.status(401).json({ error: 'invalid_client', error_description: 'client_id and client_secret are required' });
      return;
    }
    const scope = stringOrUndefined(form.scope);
    const resource = stringOrUndefined(form.resource);
    const result = await issuer.mintClientCredentialsToken({
      clientId,
      clientSecret,
      ...(scope !== undefined ? { scope } : {}),
      ...(resource !== undefined ? { resource } : {}),
    });
    if (result.ok) res.status(200).json(result.response);
    else
      res.status(result.error === 'invalid_client' ? 401 : 400).json({ error: result.error, error_description: result.error_description });
  }

  private issuerFor(tenant: string | undefined) {
    const issuer = this.identity.developmentIssuer;
    if (!issuer || (tenant !== undefined && tenant !== issuer.tenantId)) throw new NotFoundException();
    return issuer;
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header === undefined ? null : /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    // Bad percent-encoding (RFC 6749 §2.3.1 form-encodes both): no credentials, so 401.
    return undefined;
  }
}
