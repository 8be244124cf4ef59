import { Body, Controller, HttpCode, HttpException, HttpStatus, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Caller, type AuthenticatedCaller } from '../identity/auth.decorators.js';
import { answer, approverOf } from './approvals.controller.js';
import {
  AccessRequestBodyDto,
  ApprovalDto,
  CommentBodyDto,
  accessRequestBodySchema,
  commentBodySchema,
  type AccessRequestBody,
  type CommentBody,
} from './approvals.dto.js';
import { ApprovalsService, MAX_PENDING_ACCESS_REQUESTS } from './approvals.service.js';

/** Just-in-time access: any authenticated principal may ask; approvers decide through /approvals. */
@ApiTags('access-requests')
@ApiBearerAuth()
@Controller('access-requests')
export class AccessRequestsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Post()
  @ApiBody({ type: AccessRequestBodyDto })
  @ApiCreatedResponse({ type: ApprovalDto, description: 'Pending until an approver approves it at /approvals/{id}/approve' })
  async request(
    @Body({ schema: accessRequestBodySchema }) body: AccessRequestBody,
    @Caller() caller: AuthenticatedCaller,
  ): Promise<ApprovalDto> {
    const request = await this.approvals.requestAccess({
      principalId: caller.principal.id,
      principalName: caller.principal.displayName,
      connection: body.connection,
      grant: body.grant,
      durationSeconds: body.durationSeconds,
      reason: body.reason,
      approverGroups: body.approverGroups,
    });
    if (request === 'too-many-pending') {
      throw new HttpException(
        `you have ${MAX_PENDING_ACCESS_REQUESTS} pending access requests; wait for an approver to resolve them`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    return ApprovalDto.from(request);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiBody({ type: CommentBodyDto })
  @ApiOkResponse({ type: ApprovalDto, description: 'Ends an active grant now (admin or the requester)' })
  async revoke(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body({ schema: commentBodySchema }) body: CommentBody,
    @Caller() caller: AuthenticatedCaller,
  ): Promise<ApprovalDto> {
    return answer(await this.approvals.revokeGrant(id, approverOf(caller), caller.roles.includes('admin'), body.comment));
  }
}
