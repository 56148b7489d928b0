import type { Catalogue } from '../i18n/messages.js';

/** Texts of the SCEP door (RFC 8894), zh-CN and en: CertRep carries only a failInfo, so these go to the log and the HTTP 400 body. */
export const SCEP_MESSAGES = {
  'scep.malformed': {
    'zh-CN': 'SCEP 报文无法读取（RFC 8894 §3，须为 DER）：{detail}',
    en: 'The SCEP message cannot be read (RFC 8894 §3, DER required): {detail}',
  },
  'scep.unknown-operation': {
    'zh-CN': '未知的 SCEP 操作 {operation}；支持 GetCACaps、GetCACert、PKIOperation',
    en: 'Unknown SCEP operation {operation}; GetCACaps, GetCACert and PKIOperation are served',
  },
  'scep.bad-signature': {
    'zh-CN': 'SCEP 报文的签名验证失败',
    en: 'The signature on the SCEP message does not verify',
  },
  'scep.bad-time': {
    'zh-CN': 'SCEP 报文的签名时间 {signingTime} 与服务器时间相差超过 {seconds} 秒',
    en: 'The SCEP message\'s signing time {signingTime} is more than {seconds} seconds from the server\'s clock',
  },
  'scep.unsupported-message': {
    'zh-CN': '不支持的 SCEP 消息类型 {type}（支持 PKCSReq、RenewalReq、CertPoll、GetCert）',
    en: 'SCEP message type {type} is not supported (PKCSReq, RenewalReq, CertPoll and GetCert are)',
  },
  'scep.envelope-unreadable': {
    'zh-CN': 'SCEP 加密信封无法读取：{detail}',
    en: 'The SCEP envelope cannot be read: {detail}',
  },
  'scep.envelope-undecryptable': {
    'zh-CN': 'SCEP 加密信封无法解密（不是用本注册机构证书加密的，或已被篡改）',
    en: 'The SCEP envelope cannot be decrypted (not encrypted to this registration authority\'s certificate, or altered)',
  },
  'scep.not-for-us': {
    'zh-CN': 'SCEP 加密信封的接收者不是本 CA 的 SCEP 注册机构证书；请重新执行 GetCACert',
    en: 'The SCEP envelope is not addressed to this CA\'s SCEP registration authority certificate; fetch it again with GetCACert',
  },
  'scep.unsupported-algorithm': {
    'zh-CN': '不支持的算法 {algorithm}（密钥传输须为 RSA，内容加密须为 AES-CBC 或 3DES-CBC）',
    en: 'Algorithm {algorithm} is not supported (key transport must be RSA, content encryption AES-CBC or 3DES-CBC)',
  },
  'scep.requester-not-rsa': {
    'zh-CN': 'SCEP 的回复须以 RSA 密钥传输加密给申请者，申请者的签名证书须为 RSA 密钥',
    en: 'SCEP replies are encrypted to the requester by RSA key transport: the requester\'s signing certificate must have an RSA key',
  },
  'scep.signer-not-request-key': {
    'zh-CN': 'PKCSReq 须由所申请密钥的自签名证书签名（RFC 8894 §2.3）；更新已有证书请用 RenewalReq',
    en: 'A PKCSReq must be signed with a self-signed certificate of the key being certified (RFC 8894 §2.3); renew an existing certificate with RenewalReq',
  },
  'scep.transaction-in-use': {
    'zh-CN': '该 transactionID 已用于另一个请求',
    en: 'This transactionID was already used for another request',
  },
  'scep.challenge-required': {
    'zh-CN': '请在 challengePassword 中提供注册机构发放的“参考号:授权码”',
    en: 'Give the registration authority\'s "reference number:authorization code" as the challengePassword',
  },
  'scep.challenge-refused': {
    'zh-CN': '参考号或授权码不正确，或该凭证已不可用（连续错误 {max} 次后锁定，请联系注册机构）',
    en: 'Wrong reference number or authorization code, or the credential can no longer be used (it locks after {max} wrong codes; ask the registration authority)',
  },
  'scep.unknown-transaction': {
    'zh-CN': '没有由该证书发起的 SCEP 事务 {transaction}',
    en: 'There is no SCEP transaction {transaction} opened by this certificate',
  },
  'scep.unknown-certificate': {
    'zh-CN': '本 CA 没有在册的证书 {serial}',
    en: 'This CA holds no certificate {serial} on record',
  },
} satisfies Catalogue;
