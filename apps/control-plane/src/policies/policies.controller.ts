import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpException,
  NotFoundException,
  Param,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiQuery,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { PolicyError } from '@sluice/policy';
import { Caller, RequireRoles, type AuthenticatedCaller } from '../identity/auth.decorators.js';
import { ExplainBodyDto, ExplainConnectionDto, ExplanationDto } from './policy-explain.dto.js';
import { explainBodySchema, type ExplainBody } from './policy-explain.schema.js';
import { PolicyExplainService, type PolicyExplanation } from './policy-explain.service.js';
import { readPolicyUpload, YAML_MEDIA_TYPES } from './policy-upload.js';
import { PolicyVersionsService } from './policy-versions.service.js';
import { PolicyService, type PolicyAuthor, type PolicyChange } from './policy.service.js';
import {
  ActivePolicyDto,
  PolicyEnvelopeDto,
  PolicyRejectedDto,
  PolicyVersionDetailDto,
  PolicyVersionDto,
  RollbackBodyDto,
  rollbackBodySchema,
  versionParamSchema,
  versionsQuerySchema,
  type RollbackBody,
  type VersionsQuery,
} from './policies.dto.js';

const DEFAULT_VERSIONS_LIMIT = 100;

/** Policy editing, history, rollback and explain (docs/policy.md). Writes are admin-only. */
@ApiTags('policy')
@ApiBearerAuth()
@ApiExtraModels(ExplainConnectionDto)
@Controller('policy')
export class PoliciesController {
  constructor(
    private readonly policy: PolicyService,
    private readonly versions: PolicyVersionsService,
    private readonly explainer: PolicyExplainService,
  ) {}

  @Get()
  @RequireRoles('admin', 'auditor')
  @ApiOkResponse({ type: ActivePolicyDto, description: 'The policy this control plane enforces now' })
  active(): ActivePolicyDto {
    return ActivePolicyDto.fromActive(this.policy.active);
  }

  @Put()
  @HttpCode(200)
  @RequireRoles('admin')
  @ApiConsumes(...YAML_MEDIA_TYPES, 'application/json')
  @ApiBody({ type: PolicyEnvelopeDto, description: 'YAML text, a JSON policy object, or the JSON envelope { document, format, comment }' })
  @ApiQuery({ name: 'comment', required: false, description: 'Why (for raw YAML/JSON bodies)' })
  @ApiOkResponse({ type: ActivePolicyDto, description: 'Stored as a new version and activated on every replica' })
  @ApiBadRequestResponse({ type: PolicyRejectedDto, description: 'Invalid: every problem with its path; nothing was activated' })
  @ApiUnsupportedMediaTypeResponse({ type: PolicyRejectedDto })
  async upload(
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Query('comment') comment: unknown,
    @Caller() caller: AuthenticatedCaller,
  ): Promise<ActivePolicyDto> {
    const read = readPolicyUpload(contentType, body, comment);
    if (!read.ok) throw rejected(read.status, read.errors);
    return changed(await this.policy.upload(read.upload, authorOf(caller)));
  }

  @Get('versions')
  @RequireRoles('admin', 'auditor')
  @ApiQuery({ name: 'limit', required: false, description: `1..1000, default ${DEFAULT_VERSIONS_LIMIT}` })
  @ApiQuery({ name: 'before', required: false, description: 'Only versions below this number (paging)' })
  @ApiOkResponse({ type: [PolicyVersionDto], description: 'Every version, newest first: who, when, why' })
  async list(@Query({ schema: versionsQuerySchema }) query: VersionsQuery): Promise<PolicyVersionDto[]> {
    return (await this.versions.list(query.limit ?? DEFAULT_VERSIONS_LIMIT, query.before)).map((v) => PolicyVersionDto.from(v));
  }

  @Get('versions/:version')
  @RequireRoles('admin', 'auditor')
  @ApiOkResponse({ type: PolicyVersionDetailDto })
  @ApiNotFoundResponse()
  async version(@Param('version', { schema: versionParamSchema }) version: number): Promise<PolicyVersionDetailDto> {
    const found = await this.versions.get(version);
    if (!found) throw new NotFoundException(`no policy version ${version}`);
    return PolicyVersionDetailDto.withDocument(found);
  }

  @Post('rollback/:version')
  @HttpCode(200)
  @RequireRoles('admin')
  @ApiBody({ type: RollbackBodyDto, required: false })
  @ApiOkResponse({ type: ActivePolicyDto, description: "The old version's document, activated as a new version" })
  @ApiBadRequestResponse({ type: PolicyRejectedDto, description: 'The old version no longer validates; nothing was activated' })
  @ApiNotFoundResponse()
  async rollback(
    @Param('version', { schema: versionParamSchema }) version: number,
    @Body({ schema: rollbackBodySchema }) body: RollbackBody,
    @Caller() caller: AuthenticatedCaller,
  ): Promise<ActivePolicyDto> {
    const comment = body?.comment === '' ? undefined : body?.comment;
    return changed(await this.policy.rollback(version, authorOf(caller), comment), version);
  }

  @Post('explain')
  @HttpCode(200)
  @RequireRoles('admin', 'auditor')
  @ApiBody({ type: ExplainBodyDto })
  @ApiOkResponse({ type: ExplanationDto, description: 'The decision, the classification and every rule with why it matched or not' })
  @ApiNotFoundResponse({ description: 'Unknown principal id or connection name' })
  async explain(@Body({ schema: explainBodySchema }) body: ExplainBody): Promise<PolicyExplanation> {
    const result = await this.explainer.explain(body);
    if (result.ok) return result.explanation;
    if (result.status === 404) throw new NotFoundException(result.message);
    throw new BadRequestException(result.message);
  }
}

function authorOf(caller: AuthenticatedCaller): PolicyAuthor {
  const { id, displayName } = caller.principal;
  return displayName !== undefined ? { id, name: displayName } : { id };
}

function changed(change: PolicyChange, version?: number): ActivePolicyDto {
  if (change.ok) return ActivePolicyDto.fromStored(change.stored);
  switch (change.reason) {
    case 'invalid':
      throw rejected(400, change.errors);
    case 'not-found':
      throw new NotFoundException(`no policy version ${version ?? ''}`);
  }
}

function rejected(status: 400 | 415, errors: readonly PolicyError[]): HttpException {
  return new HttpException({ statusCode: status, message: 'the policy was rejected; nothing was activated', errors }, status);
}
