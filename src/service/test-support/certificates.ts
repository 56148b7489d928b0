/** Test support for the service domain: real subscriber certificates from a real hierarchy. */
import type { IssuedCertificate } from '../../ca/authority.js';
import { opensslRequest } from '../../ca/test-support/ca-fixture.js';
import type { Signet } from '../../signet.js';

export async function issueFor(
  signet: Signet,
  dir: string,
  subscriberId: string,
  profileId: 'enterprise-signing' | 'individual-signing' | 'tls-client' = 'enterprise-signing',
  validityDays?: number,
): Promise<IssuedCertificate> {
  const { csrPem } = opensslRequest(dir, 'ecdsa-p256', `${subscriberId}-${Math.random().toString(16).slice(2)}`);
  const subject =
    profileId === 'enterprise-signing'
      ? { commonName: '王五', organizationName: '示例科技有限公司', countryName: 'CN' }
      : profileId === 'tls-client'
        ? { commonName: 'client.example.cn', organizationName: '示例科技有限公司', countryName: 'CN' }
        : { commonName: '赵六' };
  return signet.ca.issue({ csr: csrPem, profileId, subject, subscriberId, validityDays, requestedBy: 'test', reason: 'service test' });
}
