import type { Catalogue } from '../i18n/messages.js';

/** Texts of the CMP door (RFC 4210 / RFC 9483): they travel in PKIStatusInfo.statusString, both languages. */
export const CMP_MESSAGES = {
  'cmp.malformed': { 'zh-CN': 'CMP 消息无法解析：{detail}', en: 'The CMP message cannot be read: {detail}' },
  'cmp.unsupported-version': { 'zh-CN': '不支持的 CMP 版本 {pvno}（支持 2 和 3）', en: 'Unsupported CMP version {pvno} (2 and 3 are supported)' },
  'cmp.no-transaction-id': { 'zh-CN': 'CMP 消息须带至少 128 位的 transactionID', en: 'A CMP message carries a transactionID of at least 128 bits' },
  'cmp.no-sender-nonce': { 'zh-CN': 'CMP 消息须带至少 128 位的 senderNonce', en: 'A CMP message carries a senderNonce of at least 128 bits' },
  'cmp.unsupported-body': { 'zh-CN': '本 CA 不处理这种 CMP 消息（支持 ir、cr、kur、p10cr、certConf、pollReq、rr）', en: 'This CA does not handle this CMP message type (ir, cr, kur, p10cr, certConf, pollReq and rr are handled)' },
  'cmp.nothing-to-poll': { 'zh-CN': '该事务没有等待审核的密钥更新', en: 'This transaction has no key update waiting for review' },
  'cmp.signature-required': {
    'zh-CN': '密钥更新、轮询和吊销请求须用相关证书的私钥签名保护，并在 extraCerts 中首先附上该证书',
    en: 'Key update, poll and revocation requests are signature-protected with the key of the certificate concerned, which comes first in extraCerts',
  },
  'cmp.mac-required': {
    'zh-CN': '申请证书的消息须用注册机构发放的参考号（senderKID）和授权码做口令 MAC 保护（PBM）',
    en: 'A certificate request is MAC-protected (PBM) with the reference number (senderKID) and authorization code from the registration authority',
  },
  'cmp.unsupported-mac': { 'zh-CN': '不支持的 PBM 算法（OWF {owf}，MAC {mac}）', en: 'Unsupported PBM algorithms (OWF {owf}, MAC {mac})' },
  'cmp.pbm-parameters': { 'zh-CN': 'PBM 参数不可接受：盐至少 8 字节，迭代次数在 {min} 到 {max} 之间', en: 'PBM parameters not acceptable: a salt of at least 8 bytes and {min} to {max} iterations' },
  'cmp.one-request': { 'zh-CN': '每条消息只能申请一张证书（RFC 9483）', en: 'One certificate per message (RFC 9483)' },
  'cmp.no-public-key': { 'zh-CN': '证书模板中没有公钥（不支持由服务器生成密钥）', en: 'The certificate template has no public key (central key generation is not offered)' },
  'cmp.pop-required': { 'zh-CN': '须用签名证明持有私钥（POPOSigningKey，不带 poposkInput）', en: 'Proof of possession by signature is required (POPOSigningKey without poposkInput)' },
  'cmp.transaction-id-in-use': { 'zh-CN': '该 transactionID 已被使用（重放的请求不予处理）', en: 'This transactionID is already in use (a replayed request is not processed)' },
  'cmp.no-open-transaction': { 'zh-CN': '没有等待确认的证书事务', en: 'No certificate transaction is waiting for confirmation' },
  'cmp.bad-protection': { 'zh-CN': '消息保护校验失败', en: 'The message protection does not verify' },
  'cmp.bad-recipient-nonce': { 'zh-CN': 'recipNonce 与服务器上一条消息的 senderNonce 不符', en: 'The recipNonce does not match the senderNonce of the server\'s last message' },
  'cmp.bad-cert-id': { 'zh-CN': 'certConf 中的 certReqId 与签发的证书不符', en: 'The certReqId in certConf does not match the certificate issued' },
  'cmp.bad-cert-hash': { 'zh-CN': 'certConf 中的证书摘要与签发的证书不符', en: 'The certificate hash in certConf does not match the certificate issued' },
  'cmp.unknown-signer': { 'zh-CN': '保护消息的证书不是本 CA 签发并在册的证书', en: 'The certificate protecting the message is not one this CA issued and holds on record' },
  'cmp.revoke-own-only': { 'zh-CN': '只能吊销签名保护所用的那张证书', en: 'Only the certificate whose key protects the request can be revoked' },
  'cmp.bad-revocation-request': { 'zh-CN': '吊销请求须恰好指明一张证书的序列号', en: 'A revocation request names exactly one certificate by serial number' },
} satisfies Catalogue;
