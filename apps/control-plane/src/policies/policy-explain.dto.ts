import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CONNECTION_PROTOCOLS } from '@sluice/policy';

// OpenAPI shapes for the explain call; the body is validated by explainBodySchema.

export class ExplainPrincipalDto {
  @ApiPropertyOptional({ default: 'explain:inline' }) id?: string;
  @ApiProperty({ enum: ['workload', 'user'] }) kind!: 'workload' | 'user';
  @ApiPropertyOptional() subject?: string;
  @ApiPropertyOptional() issuer?: string;
  @ApiPropertyOptional() tenantId?: string;
  @ApiPropertyOptional() appId?: string;
  @ApiPropertyOptional() displayName?: string;
  @ApiPropertyOptional({ type: [String], example: ['ai-agents'] }) groups?: string[];
  @ApiPropertyOptional({ type: [String] }) roles?: string[];
  @ApiPropertyOptional({ type: [String] }) scopes?: string[];
  @ApiPropertyOptional() groupOverage?: boolean;
}

export class ExplainConnectionDto {
  @ApiProperty({ example: 'demo-postgres' }) name!: string;
  @ApiProperty({ enum: CONNECTION_PROTOCOLS }) protocol!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { env: 'prod' } }) tags?: Record<
    string,
    string
  >;
}

export class ExplainCommandDto {
  @ApiPropertyOptional({ example: 'DROP TABLE customers', description: 'PostgreSQL text is classified like the agent does' }) text?: string;
  @ApiPropertyOptional({ enum: CONNECTION_PROTOCOLS, description: "Defaults to the connection's protocol" }) protocol?: string;
  @ApiPropertyOptional({ type: [String], example: ['http.DELETE'], description: 'Command facts given directly (any protocol)' })
  classes?: string[];
  @ApiPropertyOptional({ type: [String] }) tables?: string[];
  @ApiPropertyOptional({ type: [String] }) tablesWritten?: string[];
  @ApiPropertyOptional({ type: [String] }) functions?: string[];
  @ApiPropertyOptional() hasWhere?: boolean;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { method: 'DELETE', path: '/admin/users/1', query: {} } })
  http?: Record<string, unknown>;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { verb: 'create', group: '', resource: 'pods', subresource: 'exec', namespace: 'prod' },
  })
  k8s?: Record<string, unknown>;
}

export class ExplainBodyDto {
  @ApiPropertyOptional({ description: 'A principal seen before (GET /api/v1/principals); or give `principal`' }) principalId?: string;
  @ApiPropertyOptional({ type: ExplainPrincipalDto, description: 'A principal described inline; or give `principalId`' })
  principal?: ExplainPrincipalDto;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { $ref: '#/components/schemas/ExplainConnectionDto' }],
    description: 'A connection name or inline',
  })
  connection!: string | ExplainConnectionDto;
  @ApiProperty({ type: ExplainCommandDto }) command!: ExplainCommandDto;
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Evaluation time; default now' }) now?: string;
  @ApiPropertyOptional({ type: [String] }) grants?: string[];
}

export class RuleExplanationDto {
  @ApiProperty() ruleId!: string;
  @ApiProperty({ enum: ['allow', 'deny', 'review', 'mask'] }) effect!: string;
  @ApiProperty({ description: 'The rule counts for its own effect' }) matched!: boolean;
  @ApiProperty({ enum: ['matched', 'not-matched', 'unsettled'] }) state!: string;
  @ApiProperty({ example: "match.connection.tags: tag 'env' is not 'prod'" }) why!: string;
}

export class ExplainDecisionDto {
  @ApiProperty({ enum: ['allow', 'deny', 'review', 'mask'] }) effect!: string;
  @ApiProperty({ type: [String] }) ruleIds!: string[];
  @ApiProperty() reason!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The mask plan' }) mask?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Approver groups, timeout, approvals needed' })
  review?: Record<string, unknown>;
  @ApiProperty() cacheable!: boolean;
  @ApiPropertyOptional() policyVersion?: string;
}

export class StatementExplanationDto {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The command facts policy decided on' }) command!: Record<
    string,
    unknown
  >;
  @ApiProperty({ type: ExplainDecisionDto }) decision!: ExplainDecisionDto;
  @ApiProperty({ type: [RuleExplanationDto] }) rules!: RuleExplanationDto[];
}

export class ExplanationDto {
  @ApiProperty({ example: '7' }) policyVersion!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) principal!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true }) connection!: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'PostgreSQL text: classes, tables, functions, hasWhere, failure',
  })
  classification!: Record<string, unknown> | null;
  @ApiProperty({ type: ExplainDecisionDto, description: 'The most restrictive statement decision' }) decision!: ExplainDecisionDto;
  @ApiProperty({ type: [RuleExplanationDto], description: 'Every rule, in order, for that statement' }) rules!: RuleExplanationDto[];
  @ApiProperty({ type: [StatementExplanationDto] }) statements!: StatementExplanationDto[];
  @ApiProperty({ type: [String] }) notes!: string[];
}
