import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Caller, RequireRoles, type AuthenticatedCaller } from './auth.decorators.js';
import { PrincipalDto, RevokeBodyDto, revokeBodySchema, type RevokeBody } from './principals.dto.js';
import { PrincipalsService } from './principals.service.js';

@ApiTags('principals')
@ApiBearerAuth()
@Controller('principals')
export class PrincipalsController {
  constructor(private readonly principals: PrincipalsService) {}

  @Get()
  @RequireRoles('admin', 'auditor')
  @ApiOkResponse({ type: [PrincipalDto], description: 'Every principal seen in a verified token, most recent first' })
  async list(): Promise<PrincipalDto[]> {
    return (await this.principals.list()).map((p) => PrincipalDto.from(p));
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @RequireRoles('admin')
  @ApiBody({ type: RevokeBodyDto })
  @ApiOkResponse({ type: PrincipalDto, description: 'Revoked: new sessions are refused, open ones end within a second' })
  async revoke(
    @Param('id') id: string,
    @Body({ schema: revokeBodySchema }) body: RevokeBody,
    @Caller() caller: AuthenticatedCaller,
  ): Promise<PrincipalDto> {
    const revoked = await this.principals.revoke(id, caller.principal.id, body.reason);
    if (!revoked) throw new NotFoundException(`no principal ${id}`);
    return PrincipalDto.from(revoked);
  }

  @Post(':id/unrevoke')
  @HttpCode(200)
  @RequireRoles('admin')
  @ApiOkResponse({ type: PrincipalDto })
  async unrevoke(@Param('id') id: string, @Caller() caller: AuthenticatedCaller): Promise<PrincipalDto> {
    const restored = await this.principals.unrevoke(id, caller.principal.id);
    if (!restored) throw new NotFoundException(`no principal ${id}`);
    return PrincipalDto.from(restored);
  }
}
