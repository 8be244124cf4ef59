import { describe, expect, it } from 'vitest';
import { findCloudKeys } from './cloud-key-detector.js';

const found = (text: string): string[] => findCloudKeys(text).map(({ start, end }) => text.slice(start, end));

// Fabricated keys with the documented shapes; none is a real credential.
const AWS = 'AKIAIOSFODNN7EXAMPLE';
const GITHUB = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a';
const GITHUB_PAT = `github_pat_11ABCDEFG0123456789_${'abcdefghij'.repeat(6)}`;
const SLACK = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const STRIPE = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
const GOOGLE = 'AIzaSyA1234567890abcdefghijklmnopqrstuv'; // AIza + 35
const AZURE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

describe('findCloudKeys', () => {
  it.each([
    ['AWS access key id', `aws_access_key_id = ${AWS}`, [AWS]],
    ['AWS session key id', 'ASIAY34FZKBOKMUTVV7A', ['ASIAY34FZKBOKMUTVV7A']],
    ['GitHub token', `token: ${GITHUB}`, [GITHUB]],
    [
      'GitHub OAuth/server tokens',
      `gho_${'a1B2'.repeat(9)} ghs_${'Z9y8'.repeat(9)}`,
      [`gho_${'a1B2'.repeat(9)}`, `ghs_${'Z9y8'.repeat(9)}`],
    ],
    ['GitHub fine-grained PAT', GITHUB_PAT, [GITHUB_PAT]],
    ['Slack bot token', `SLACK=${SLACK}`, [SLACK]],
    ['Stripe live key', `"${STRIPE}"`, [STRIPE]],
    ['Stripe restricted key', 'rk_live_51H8abcdefGHIJKL012345', ['rk_live_51H8abcdefGHIJKL012345']],
    ['Google API key', `key=${GOOGLE}&q=1`, [GOOGLE]],
    [
      'Azure storage account key (value only)',
      `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${AZURE_KEY};EndpointSuffix=core.windows.net`,
      [AZURE_KEY],
    ],
    ['Azure key in any case', `accountkey=${AZURE_KEY}`, [AZURE_KEY]],
  ])('finds the %s', (_what, text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each([
    ['AWS id too short', 'AKIAIOSFODNN7EXAMPL'],
    ['AWS id too long', 'AKIAIOSFODNN7EXAMPLEX'],
    ['AWS id with lower case', 'AKIAiosfodnn7example'],
    ['AWS prefix inside a word', 'XAKIAIOSFODNN7EXAMPLE'],
    ['GitHub token too short', 'ghp_16C7e42F292c6912E7710c838347Ae178'],
    ['GitHub prefix inside a word', `myghp_${'a1B2'.repeat(9)}`],
    ['Slack token too short', 'xoxb-12345'],
    ['Stripe publishable key', 'pk_live_4eC39HqLyjWDarjtT1zdp7dc'],
    ['Stripe key too short', 'sk_live_abc123'],
    ['Google key one character short', 'AIzaSyA1234567890abcdefghijklmnopqrstu'],
    ['Google key one character long', 'AIzaSyA1234567890abcdefghijklmnopqrstuvw'],
    ['Azure key too short', 'AccountKey=abc123=='],
    ['prose mentioning the prefixes', 'the AKIA prefix, ghp_ tokens and xoxb- bots'],
  ])('finds nothing for a %s', (_what, text) => {
    expect(found(text)).toEqual([]);
  });

  it('merges a prefix match inside an Azure key into one finding', () => {
    const key = `AKIA${'A'.repeat(16)}+${'b1C2'.repeat(5)}==`;
    expect(found(`AccountKey=${key}`)).toEqual([key]);
  });

  it('reports findings in text order', () => {
    const text = `${STRIPE} AccountKey=${AZURE_KEY} ${AWS}`;
    expect(found(text)).toEqual([STRIPE, AZURE_KEY, AWS]);
  });
});
