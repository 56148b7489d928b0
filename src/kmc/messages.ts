import type { Catalogue } from '../i18n/messages.js';

/** Texts of the key management centre (GM/T 0034): dual certificates, escrow, recovery. */
export const KMC_MESSAGES = {
  'kmc.not-initialised': {
    'zh-CN': '密钥管理中心尚未初始化（没有签名密钥或托管密钥）',
    en: 'The key management centre is not initialised (no signing or escrow key)',
  },
  'kmc.already-initialised': {
    'zh-CN': '密钥管理中心已经初始化',
    en: 'The key management centre is already initialised',
  },
  'kmc.bad-request': {
    'zh-CN': '密钥管理中心请求无效：{detail}',
    en: 'The key management centre request is invalid: {detail}',
  },
  'kmc.untrusted-ca': {
    'zh-CN': 'CA {caId} 未在密钥管理中心登记，请求被拒绝',
    en: 'CA {caId} is not registered with the key management centre; the request is refused',
  },
  'kmc.bad-signature': {
    'zh-CN': '请求或响应的签名无效：{detail}',
    en: 'The signature of the request or response is invalid: {detail}',
  },
  'kmc.replayed-request': {
    'zh-CN': '请求 {requestId} 已处理过，不再重复处理',
    en: 'Request {requestId} was already handled and is not handled again',
  },
  'kmc.stale-request': {
    'zh-CN': '请求时间 {issuedAt} 与密钥管理中心时间相差超过 {minutes} 分钟',
    en: 'The request time {issuedAt} is more than {minutes} minutes from the key management centre’s clock',
  },
  'kmc.sm2-only': {
    'zh-CN': '双证书只用于 SM2：签名密钥是 {keyAlgorithm}',
    en: 'Dual certificates are for SM2 only: the signing key is {keyAlgorithm}',
  },
  'kmc.profiles-not-a-pair': {
    'zh-CN': '证书模板 {signing} 与 {encryption} 不构成签名/加密双证书',
    en: 'Profiles {signing} and {encryption} do not make a signing/encryption pair',
  },
  'kmc.unknown-escrow': {
    'zh-CN': '没有托管的密钥 {escrowId}',
    en: 'No escrowed key {escrowId}',
  },
  'kmc.unknown-recovery': {
    'zh-CN': '没有密钥恢复申请 {recoveryId}',
    en: 'No key recovery request {recoveryId}',
  },
  'kmc.justification-required': {
    'zh-CN': '密钥恢复必须说明理由',
    en: 'A key recovery needs a written justification',
  },
  'kmc.unknown-operator': {
    'zh-CN': '没有密钥管理中心操作员 {operatorId}',
    en: 'No key management centre operator {operatorId}',
  },
  'kmc.operator-not-authorised': {
    'zh-CN': '操作员 {operatorId}（{role}）无权批准{kind}密钥恢复',
    en: 'Operator {operatorId} ({role}) may not approve a {kind} key recovery',
  },
  'kmc.duplicate-approval': {
    'zh-CN': '操作员 {operatorId} 已批准过该恢复申请，需要另一位操作员批准',
    en: 'Operator {operatorId} already approved this recovery; a second, different operator must approve',
  },
  'kmc.bad-approval-signature': {
    'zh-CN': '操作员 {operatorId} 的批准签名无效',
    en: 'The approval signature of operator {operatorId} is invalid',
  },
  'kmc.recovery-closed': {
    'zh-CN': '密钥恢复申请 {recoveryId} 已经完成',
    en: 'Key recovery {recoveryId} is already completed',
  },
  'kmc.bad-recipient': {
    'zh-CN': '恢复的密钥只能交付给 SM2 公钥：{detail}',
    en: 'A recovered key can only be delivered to an SM2 public key: {detail}',
  },
  'cli.kmc-initialised': {
    'zh-CN': '密钥管理中心已初始化：签名密钥 SHA-256 {fingerprint}；已登记 CA：{cas}',
    en: 'Key management centre initialised: signing key SHA-256 {fingerprint}; registered CAs: {cas}',
  },
  'cli.kmc-operator-added': {
    'zh-CN': '已登记操作员 {id}（{role}）',
    en: 'Registered operator {id} ({role})',
  },
  'cli.kmc-recovery-requested': {
    'zh-CN': '已提交密钥恢复申请 {recoveryId}；需两位授权操作员签署 {statement}',
    en: 'Key recovery {recoveryId} requested; two authorised operators must sign {statement}',
  },
  'cli.kmc-recovery-approved': {
    'zh-CN': '密钥恢复 {recoveryId} 已获 {approvals} 位操作员批准，等待第二位',
    en: 'Key recovery {recoveryId} approved by {approvals} operator(s); waiting for a second one',
  },
  'cli.kmc-recovery-delivered': {
    'zh-CN': '密钥恢复 {recoveryId} 已完成，数字信封已写入 {out}',
    en: 'Key recovery {recoveryId} completed; the enveloped key was written to {out}',
  },
  'cli.dual-issued': {
    'zh-CN': '已签发双证书：签名证书 {signing}，加密证书 {encryption}（{subject}），文件在 {outDir}',
    en: 'Issued dual certificates: signing {signing}, encryption {encryption} ({subject}); files in {outDir}',
  },
} satisfies Catalogue;
