/**
 * Deterministic, realistic-looking but fictitious customer rows for the demo database:
 * example.* e-mail domains (reserved for documentation), 555-01xx phone numbers (reserved for
 * fiction), card numbers that pass the Luhn check, SSNs that follow the SSA's allocation rules.
 */
export interface DemoCustomer {
  readonly id: number;
  readonly fullName: string;
  readonly email: string;
  readonly cardNumber: string;
  readonly ssn: string;
  readonly phone: string;
  readonly createdAt: Date;
}

const FIRST = [
  'Ava',
  'Liam',
  'Maya',
  'Noah',
  'Zoe',
  'Ethan',
  'Chloe',
  'Lucas',
  'Aria',
  'Mason',
  'Isla',
  'Omar',
  'Priya',
  'Diego',
  'Hana',
  'Kofi',
  'Elena',
  'Yusuf',
  'Mei',
  'Tomas',
];
const LAST = [
  'Garcia',
  'Okafor',
  'Nguyen',
  'Schmidt',
  'Rossi',
  'Kowalski',
  'Haddad',
  'Silva',
  'Tanaka',
  'Murphy',
  'Ivanova',
  'Patel',
  'Moreau',
  'Jensen',
  'Costa',
  'Novak',
  'Larsen',
  'Mensah',
  'Fischer',
  'Reyes',
];
const DOMAINS = ['example.com', 'example.org', 'example.net'];
const CARD_PREFIXES = ['4', '51', '52', '53', '54', '55', '37'];

/** mulberry32: a tiny seeded PRNG, so every run seeds the same rows. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function luhnCheckDigit(digitsWithoutCheck: string): number {
  let sum = 0;
  for (let i = 0; i < digitsWithoutCheck.length; i++) {
    let d = Number(digitsWithoutCheck[digitsWithoutCheck.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export function demoCustomers(count: number, seed = 20_261_126): DemoCustomer[] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const between = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const epoch = Date.UTC(2026, 10, 1);
  const customers: DemoCustomer[] = [];
  for (let id = 1; id <= count; id++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const prefix = pick(CARD_PREFIXES);
    const length = prefix === '37' ? 15 : 16;
    const body = prefix + digits(length - prefix.length - 1);
    let area = between(1, 899);
    if (area === 666) area = 667;
    customers.push({
      id,
      fullName: `${first} ${last}`,
      email: `${first}.${last}${id}@${pick(DOMAINS)}`.toLowerCase(),
      cardNumber: body + String(luhnCheckDigit(body)),
      ssn: `${String(area).padStart(3, '0')}-${String(between(1, 99)).padStart(2, '0')}-${String(between(1, 9999)).padStart(4, '0')}`,
      phone: `+1-${between(201, 989)}-555-01${String(between(0, 99)).padStart(2, '0')}`,
      createdAt: new Date(epoch - between(0, 730) * 86_400_000 - between(0, 86_399) * 1000),
    });
  }
  return customers;
}
