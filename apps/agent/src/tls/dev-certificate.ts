import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A self-signed certificate for development, kept in the agent's state directory so clients can pin
 * it across restarts. Production configures `tls.certFile`/`keyFile` per connection.
 */
export async function devCertificate(stateDir: string, commonName: string): Promise<{ cert: string; key: string; generated: boolean }> {
  const dir = join(stateDir, 'tls');
  const certFile = join(dir, 'dev-cert.pem');
  const keyFile = join(dir, 'dev-key.pem');
  try {
    return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8'), generated: false };
  } catch {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const notAfter = new Date();
    notAfter.setFullYear(notAfter.getFullYear() + 2);
    // Loaded only when a certificate must be made: the library is slow to import.
    const { generate } = await import('selfsigned');
    const pem = await generate([{ name: 'commonName', value: commonName }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate: notAfter,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    });
    await writeFile(keyFile, pem.private, { mode: 0o600 });
    await writeFile(certFile, pem.cert, { mode: 0o644 });
    return { cert: pem.cert, key: pem.private, generated: true };
  }
}
