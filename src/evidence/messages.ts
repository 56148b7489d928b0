import type { Catalogue } from '../i18n/messages.js';

/** Texts of the signing and encryption toolkit (R13) and the evidence it produces (R14). */
export const EVIDENCE_MESSAGES = {
  'cms.no-recipients': {
    'zh-CN': '至少需要一个接收者证书',
    en: 'At least one recipient certificate is needed',
  },
  'cms.recipient-key-unsupported': {
    'zh-CN': '接收者证书的密钥不能用于加密：{detail}',
    en: 'The recipient certificate key cannot be used for encryption: {detail}',
  },
  'cms.malformed': {
    'zh-CN': '不是有效的 CMS 结构：{detail}',
    en: 'Not a valid CMS structure: {detail}',
  },
  'cms.not-enveloped': {
    'zh-CN': '这不是加密信封（内容类型 {contentType}）',
    en: 'This is not an encrypted envelope (content type {contentType})',
  },
  'cms.not-signed': {
    'zh-CN': '这不是签名数据（内容类型 {contentType}）',
    en: 'This is not signed data (content type {contentType})',
  },
  'cms.not-a-recipient': {
    'zh-CN': '该证书不是此加密信封的接收者',
    en: 'This certificate is not a recipient of the envelope',
  },
  'cms.decryption-failed': {
    'zh-CN': '解密失败：信封已被改动，或私钥不匹配',
    en: 'Decryption failed: the envelope was altered or the private key does not match',
  },
  'cms.cipher-unsupported': {
    'zh-CN': '不支持的内容加密算法 {algorithm}（支持 AES-256-CBC、AES-256-GCM）',
    en: 'Content encryption algorithm {algorithm} is not supported (AES-256-CBC and AES-256-GCM are)',
  },
  'cms.key-transport-unsupported': {
    'zh-CN': '不支持的密钥传输算法 {algorithm}（请使用 RSA-OAEP）',
    en: 'Key transport algorithm {algorithm} is not supported (use RSA-OAEP)',
  },
  'cms.key-agreement-unsupported': {
    'zh-CN': '不支持的密钥协商算法 {algorithm}',
    en: 'Key agreement algorithm {algorithm} is not supported',
  },
  'cms.bad-private-key': {
    'zh-CN': '无法读取私钥：{detail}',
    en: 'The private key cannot be read: {detail}',
  },
  'cms.bad-certificate': {
    'zh-CN': '无法读取证书：{detail}',
    en: 'The certificate cannot be read: {detail}',
  },
  'cms.key-certificate-mismatch': {
    'zh-CN': '私钥与证书中的公钥不匹配',
    en: 'The private key does not match the public key in the certificate',
  },
  'cms.detached-content-missing': {
    'zh-CN': '这是分离式签名，需要同时提供原文',
    en: 'This is a detached signature: the signed content must be supplied too',
  },
  'cms.verify.ok': {
    'zh-CN': '签名有效：由 {signer} 签署{time}',
    en: 'The signature is valid: signed by {signer}{time}',
  },
  'cms.verify.failed': {
    'zh-CN': '签名无效：{problems}',
    en: 'The signature is not valid: {problems}',
  },
  'cli.cms-signed': {
    'zh-CN': '已签名：{out}（{mode}，签名者 {signer}{stamp}）',
    en: 'Signed: {out} ({mode}, signer {signer}{stamp})',
  },
  'cli.cms-stamped': {
    'zh-CN': '，时间戳 {time}',
    en: ', time-stamped {time}',
  },
  'cli.cms-verified': {
    'zh-CN': '签名有效。签名者：{signer}；声称的签名时间：{signingTime}；时间戳：{stamp}',
    en: 'Signature valid. Signer: {signer}; claimed signing time: {signingTime}; time-stamp: {stamp}',
  },
  'cli.cms-not-verified': {
    'zh-CN': '签名无效：\n{problems}',
    en: 'Signature NOT valid:\n{problems}',
  },
  'cli.cms-no-stamp': {
    'zh-CN': '无',
    en: 'none',
  },
  'cli.cms-encrypted': {
    'zh-CN': '已加密：{out}（{cipher}，{count} 个接收者）',
    en: 'Encrypted: {out} ({cipher}, {count} recipient(s))',
  },
  'cli.cms-decrypted': {
    'zh-CN': '已解密：{out}（{cipher}，{keyManagement}，{bytes} 字节）',
    en: 'Decrypted: {out} ({cipher}, {keyManagement}, {bytes} bytes)',
  },
} satisfies Catalogue;
