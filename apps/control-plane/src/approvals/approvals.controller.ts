import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  HttpCode,
  HttpException,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Caller, RequireRoles, type AuthenticatedCaller } from '../identity/auth.decorators.js';
import { ApprovalDto, CommentBodyDto, commentBodySchema, listQuerySchema, type CommentBody, type ListQuery } from './approvals.dto.js';
import { ApprovalsService, type ApprovalActionResult, type Approver } from './approvals.service.js';

@ApiTags('approvals')
@ApiBearerAuth()
@Controller('approvals')
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Get()
  @RequireRoles('approver', 'admin', 'auditor')
  @ApiOkResponse({ type: [ApprovalDto] })
  async list(@Query({ schema: listQuerySchema }) query: ListQuery): Promise<ApprovalDto[]> {
    return (await this.approvals.list(query.status, query.limit)).map((r) => ApprovalDto.from(r));
  }

  @Get(':id')
  @RequireRoles('approver', 'admin', 'auditor')
  @ApiOkResponse({ type: ApprovalDto })
  async get(@Param('id', new ParseUUIDPipe()) id: string): Promise<ApprovalDto> {
    const found = await this.approvals.get(id);
    if (!found) throw new NotFoundException(`no approval ${id}`);
    return ApprovalDto.from(found.request, found.actions);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @RequireRoles('approver')
  @ApiBody({ type: CommentBodyDto })
  @ApiOkResponse({ type: ApprovalDto, description: 'Approved once enough approvers agreed; the held command then runs' })
  async approve(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body({ schema: commentBodySchema }) body: CommentBody,
    @Caller() caller: AuthenticatedCaller,
  ): Promise<ApprovalDto> {
    return answer(await this.approvals.approve(id, approverOf(caller), body.comment));
  }

  @Post(':id/deny')
  @HttpCode(200)
  @RequireRoles('approver')
  @ApiBody({ type: CommentBodyDto })
  @ApiOkResponse({ type: ApprovalDto, description: 'Denied: the held command fails with the comment' })
  async deny(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body({ schema: commentBodySchema }) body: CommentBody,
    @Caller() caller: AuthenticatedCaller,
  ): Promise<ApprovalDto> {
    return answer(await this.approvals.deny(id, approverOf(caller), body.comment));
  }
}

export function approverOf(caller: AuthenticatedCaller): Approver {
  return { principalId: caller.principal.id, displayName: caller.principal.displayName, groups: caller.principal.groups };
}

export function answer(result: ApprovalActionResult): ApprovalDto {
  if (result.ok) return ApprovalDto.from(result.approval);
  if (result.status === 403) throw new ForbiddenException(result.message);
  if (result.status === 404) throw new NotFoundException(result.message);
  throw new HttpException(result.message, result.status);
}
