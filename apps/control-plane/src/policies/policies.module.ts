import { Module } from '@nestjs/common';
import { PolicyService } from './policy.service.js';

/** The active policy and its evaluation. */
@Module({
  providers: [PolicyService],
  exports: [PolicyService],
})
export class PoliciesModule {}
