import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { DevIssuer, TokenVerifier, type Principal, type TrustedIssuerConfig } from '@sluice/identity';
import { exportPKCS8, generateKeyPair, importPKCS8, importSPKI, type GenerateKeyPairResult } from 'jose';
import type { Logger } from 'pino';
import { CONTROL_PLANE_CONFIG } from '../config/config.module.js';
import type { ControlPlaneConfig } from '../config/config.js';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';
import { DEMO_CLIENTS } from './dev-clients.js';
import type { TokenCheck, VerifiedPrincipal } from './verified-principal.js';

/** Path prefix the development issuer is served under (outside /api/v1). */
export const DEV_ISSUER_PATH = 'dev-issuer';

/**
 * Verifies access tokens for the REST API and for sessions opened over the agent link, with the
 * trusted issuers from configuration plus, in development, the built-in issuer.
 * `start()` runs once the HTTP server is listening, because the development issuer's identity is
 * its own URL.
 */
@Injectable()
export class IdentityService {
  private verifier: TokenVerifier | undefined;
  private devIssuer: DevIssuer | undefined;
  private readonly logger: Logger;

  constructor(
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(APP_LOGGER) logger: AppLogger,
  ) {
    this.logger = logger.child({ component: 'identity' });
  }

  private started = false;

  /** True once trusted issuers (and the development issuer, when enabled) are loaded: part of readiness. */
  get isStarted(): boolean {
    return this.started;
  }

  async start(httpBaseUrl: string): Promise<void> {
    try {
      await this.loadIssuers(httpBaseUrl);
    } finally {
      this.started = true;
    }
  }

  private async loadIssuers(httpBaseUrl: string): Promise<void> {
    const issuers: TrustedIssuerConfig[] = [...this.config.identity.issuers];
    if (this.config.devIssuer.enabled) {
      const base = this.config.publicUrl ?? httpBaseUrl;
      const secret =
        this.config.devIssuer.clientSecret ?? (await this.persisted('dev-issuer.secret', () => randomBytes(24).toString('base64url')));
      this.devIssuer = await DevIssuer.create(
        { authorityHost: `${base}/${DEV_ISSUER_PATH}`, clients: DEMO_CLIENTS.map((client) => ({ ...client, clientSecret: secret })) },
        { keyPair: await this.devIssuerKeyPair() },
      );
      issuers.push(this.devIssuer.trustedIssuer());
      this.logger.warn(
        { issuer: this.devIssuer.issuer },
        'development issuer enabled: it mints tokens for the demo clients (never use in production)',
      );
    }
    if (issuers.length === 0) {
      this.logger.warn('no trusted issuers configured: every token will be refused (see docs/identity.md)');
      return;
    }
    this.verifier = new TokenVerifier(issuers);
    this.logger.info({ issuers: issuers.map((i) => i.name) }, 'trusted issuers loaded');
  }

  /** The built-in development issuer, when enabled. */
  get developmentIssuer(): DevIssuer | undefined {
    return this.devIssuer;
  }

  async verify(token: string): Promise<TokenCheck> {
    if (!this.verifier) return { ok: false, code: 'no-trusted-issuers', message: 'this control plane trusts no token issuer yet' };
    const result = await this.verifier.verify(token);
    if (!result.ok) return { ok: false, code: result.code, message: result.message };
    return { ok: true, principal: toVerifiedPrincipal(result.principal) };
  }

  /** The development issuer's RS256 key, kept in the state directory so tokens survive a restart. */
  private async devIssuerKeyPair(): Promise<GenerateKeyPairResult> {
    const privatePem = await this.persisted('dev-issuer.key.pem', async () =>
      exportPKCS8((await generateKeyPair('RS256', { extractable: true })).privateKey),
    );
    const publicPem = createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }).toString();
    return {
      privateKey: await importPKCS8(privatePem, 'RS256', { extractable: true }),
      publicKey: await importSPKI(publicPem, 'RS256', { extractable: true }),
    };
  }

  private async persisted(name: string, create: () => string | Promise<string>): Promise<string> {
    const file = join(this.config.stateDir, name);
    await mkdir(this.config.stateDir, { recursive: true });
    try {
      return (await readFile(file, 'utf8')).trim();
    } catch {
      const value = await create();
      await writeFile(file, `${value}\n`, { mode: 0o600 });
      return value;
    }
  }
}

function toVerifiedPrincipal(p: Principal): VerifiedPrincipal {
  return {
    id: p.id,
    issuer: p.issuer,
    tenantId: p.tenantId,
    subject: p.subject,
    kind: p.kind,
    displayName: p.displayName,
    appId: p.appId,
    groups: p.groups,
    roles: p.roles,
    scopes: p.scopes,
    groupOverage: p.groupOverage,
    tokenId: p.tokenId,
    expiresAt: p.expiresAt,
    claims: p.claims,
  };
}
