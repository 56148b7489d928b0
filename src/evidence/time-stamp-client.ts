import { randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CmsSignedData } from './signed-data-schema.js';
import { MessageImprint, TimeStampReq, TimeStampResp, TSTInfo } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { HASH_OID } from '../crypto/algorithms.js';
import { SignetError } from '../i18n/signet-error.js';
import { failuresIn } from '../tsa/time-stamp-query.js';
import type { ImprintRequest } from '../tsa/time-stamp-authority.js';
import type { TimeStamper } from './cms-signing.js';

/**
 * A TSA reached over HTTP (RFC 3161 §3.4): Signet's own `POST /tsa` from
 * another machine, or any other TSA. The reply must echo our nonce and imprint.
 */
export class HttpTimeStamper implements TimeStamper {
  constructor(private readonly url: string) {}

  async stampDigest(request: ImprintRequest): Promise<{ tokenDer: Buffer }> {
    const nonce = randomBytes(8);
    nonce[0] = (nonce[0] ?? 0) & 0x7f; // a positive INTEGER
    const query = new TimeStampReq({
      messageImprint: new MessageImprint({
        hashAlgorithm: new AlgorithmIdentifier({ algorithm: HASH_OID[request.hash] }),
        hashedMessage: new OctetString(request.digest),
      }),
      nonce: new Uint8Array(nonce).buffer,
      certReq: request.certReq ?? true,
    });
    let body: Buffer;
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query' },
        body: Buffer.from(AsnConvert.serialize(query)),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      throw new SignetError('tsa.refused', 502, { failure: 'unreachable', detail: `${this.url}: ${(error as Error).message}` });
    }
    const reply = AsnConvert.parse(body, TimeStampResp);
    const token = reply.timeStampToken;
    if (reply.status.status > 1 || !token) {
      const failures = reply.status.failInfo ? failuresIn(reply.status.failInfo).join(', ') : 'rejection';
      throw new SignetError('tsa.refused', 502, { failure: failures, detail: [...(reply.status.statusString ?? [])].join(' / ') });
    }
    const signedData = AsnConvert.parse(token.content, CmsSignedData);
    const tstInfo = AsnConvert.parse(signedData.encapContentInfo.eContent!.single!.buffer, TSTInfo);
    const echoed = tstInfo.nonce && Buffer.from(tstInfo.nonce).equals(nonce);
    const sameImprint = Buffer.from(tstInfo.messageImprint.hashedMessage.buffer).equals(Buffer.from(request.digest));
    if (!echoed || !sameImprint) {
      throw new SignetError('tsa.refused', 502, { failure: 'mismatch', detail: 'the reply does not answer our request (nonce or imprint differs)' });
    }
    return { tokenDer: Buffer.from(AsnConvert.serialize(token)) };
  }
}
