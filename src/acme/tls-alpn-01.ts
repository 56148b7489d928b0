import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { connect } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { lookupThrough, type ValidationNetwork } from './http-01.js';
import { AcmeProblem } from './problems.js';

/** RFC 8737 §3: the id-pe-acmeIdentifier extension. */
const ACME_IDENTIFIER = '1.3.6.1.5.5.7.1.31';

/**
 * RFC 8737 §3: a TLS handshake to <domain>:<port> with SNI <domain> and ALPN
 * acme-tls/1 must present a certificate whose only SAN is the domain and
 * whose critical acmeIdentifier extension holds SHA-256(key authorization).
 * The certificate is self-signed and not validated otherwise.
 */
export function validateTlsAlpn01(domain: string, keyAuthorization: string, network: ValidationNetwork): Promise<void> {
  const expected = Buffer.concat([Buffer.from([0x04, 0x20]), createHash('sha256').update(keyAuthorization).digest()]);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: domain,
      port: network.tlsAlpnPort,
      servername: domain,
      ALPNProtocols: ['acme-tls/1'],
      // The challenge certificate is self-signed on purpose (RFC 8737 §3); its content is what is checked.
      rejectUnauthorized: false,
      lookup: lookupThrough(network) as never,
      timeout: network.timeoutMs,
    });
    const fail = (problem: AcmeProblem) => {
      socket.destroy();
      reject(problem);
    };
    socket.on('secureConnect', () => {
      if (socket.alpnProtocol !== 'acme-tls/1') return fail(new AcmeProblem('unauthorized', `tls-alpn-01: ${domain} did not negotiate acme-tls/1`));
      const peer = socket.getPeerX509Certificate();
      if (!peer) return fail(new AcmeProblem('unauthorized', `tls-alpn-01: ${domain} presented no certificate`));
      let certificate: x509.X509Certificate;
      try {
        certificate = new x509.X509Certificate(peer.raw);
      } catch (error) {
        return fail(new AcmeProblem('unauthorized', `tls-alpn-01: the certificate does not parse: ${(error as Error).message}`));
      }
      const san = certificate.getExtension('2.5.29.17') as x509.SubjectAlternativeNameExtension | null;
      const names = san?.names.items ?? [];
      if (names.length !== 1 || names[0]!.type !== 'dns' || names[0]!.value.toLowerCase() !== domain) {
        return fail(new AcmeProblem('unauthorized', `tls-alpn-01: the certificate must name ${domain} and nothing else`));
      }
      const extension = certificate.extensions.find((e) => e.type === ACME_IDENTIFIER);
      if (!extension?.critical) return fail(new AcmeProblem('unauthorized', 'tls-alpn-01: the certificate has no critical acmeIdentifier extension'));
      if (!Buffer.from(extension.value).equals(expected)) return fail(new AcmeProblem('incorrectResponse', 'tls-alpn-01: the acmeIdentifier is not this challenge\'s key authorization digest'));
      socket.end();
      resolve();
    });
    socket.on('timeout', () => fail(new AcmeProblem('connection', `tls-alpn-01: ${domain}:${network.tlsAlpnPort} timed out`)));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const kind = error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN' ? 'dns' : error.code?.startsWith('ERR_SSL') ? 'tls' : 'connection';
      reject(new AcmeProblem(kind, `tls-alpn-01: could not complete a handshake with ${domain}:${network.tlsAlpnPort}: ${error.message}`));
    });
  });
}
