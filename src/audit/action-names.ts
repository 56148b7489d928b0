import type { Locale } from '../i18n/locale.js';

type Words = Record<Locale, string>;

/**
 * What each audit action means, in words an auditor reads (issue 20): the log
 * stores `domain.verb` codes, the viewer shows these. An action missing here
 * is shown by its domain's words (auditActionWords), never as a bare code.
 */
export const AUDIT_ACTION_NAMES: Record<string, Words> = {
  // Certificates and the CA
  'certificate.issued': { 'zh-CN': '签发证书', en: 'Certificate issued' },
  'certificate.revoked': { 'zh-CN': '吊销证书', en: 'Certificate revoked' },
  'issuance.abandoned': { 'zh-CN': '放弃未完成的签发', en: 'Unfinished issuance abandoned' },
  'key.blocked': { 'zh-CN': '封禁密钥（密钥泄露）', en: 'Key blocked (compromised)' },
  'crl.published': { 'zh-CN': '发布证书废止列表', en: 'CRL published' },
  'ca.created': { 'zh-CN': '创建 CA', en: 'CA created' },
  'ca.issuing-ceremony': { 'zh-CN': '签发 CA 仪式', en: 'Issuing CA ceremony' },
  'root.ceremony': { 'zh-CN': '根 CA 仪式', en: 'Root CA ceremony' },
  'signer.rolled-over': { 'zh-CN': '签名身份自动更替', en: 'Signing identity rolled over' },
  'tsa.clock-guard-reset': { 'zh-CN': '重置时间戳服务时钟保护', en: 'Time-stamping clock guard reset' },
  'store.moved': { 'zh-CN': '迁移数据库', en: 'Database moved' },
  // The RA: organisations, operators, sessions
  'ra.created': { 'zh-CN': '新建注册机构', en: 'RA created' },
  'ra.merged': { 'zh-CN': '合并注册机构', en: 'RA merged' },
  'ra.withdrawn': { 'zh-CN': '撤销注册机构', en: 'RA withdrawn' },
  'ra.approval-policy-set': { 'zh-CN': '设置审核方式', en: 'Approval policy set' },
  'ra.operator-created': { 'zh-CN': '新建操作员', en: 'Operator created' },
  'ra.operator-enabled': { 'zh-CN': '启用操作员', en: 'Operator enabled' },
  'ra.operator-disabled': { 'zh-CN': '停用操作员', en: 'Operator disabled' },
  'ra.operator-role-changed': { 'zh-CN': '变更操作员角色', en: 'Operator role changed' },
  'ra.operator-password-reset': { 'zh-CN': '重设操作员口令', en: 'Operator password reset' },
  'ra.operator-unlocked': { 'zh-CN': '解除操作员锁定', en: 'Operator unlocked' },
  'ra.operator-locked': { 'zh-CN': '操作员账户被锁定', en: 'Operator account locked' },
  'ra.login': { 'zh-CN': '操作员登录', en: 'Operator signed in' },
  'ra.login-failed': { 'zh-CN': '操作员登录失败', en: 'Operator sign-in failed' },
  'ra.logout': { 'zh-CN': '操作员退出', en: 'Operator signed out' },
  'ra.api-token-created': { 'zh-CN': '创建接口令牌', en: 'API token created' },
  'ra.personal-data-resealed': { 'zh-CN': '更换个人信息加密密钥', en: 'Personal data resealed' },
  // Subscribers and their applications
  'ra.subscriber-registered': { 'zh-CN': '登记订户', en: 'Subscriber registered' },
  'ra.subscriber-read': { 'zh-CN': '查看订户资料', en: 'Subscriber record read' },
  'ra.subscriber-history-read': { 'zh-CN': '查看订户资料历史', en: 'Subscriber history read' },
  'ra.document-stored': { 'zh-CN': '上传证明材料', en: 'Document uploaded' },
  'ra.document-read': { 'zh-CN': '查看证明材料', en: 'Document viewed' },
  'ra.application-submitted': { 'zh-CN': '提交证书申请', en: 'Application submitted' },
  'ra.application-in-review': { 'zh-CN': '开始审核申请', en: 'Application taken into review' },
  'ra.application-approved': { 'zh-CN': '批准申请', en: 'Application approved' },
  'ra.application-rejected': { 'zh-CN': '拒绝申请', en: 'Application rejected' },
  'ra.credential-issued': { 'zh-CN': '生成下载凭证', en: 'Download credential issued' },
  'ra.credential-released': { 'zh-CN': '释放下载凭证', en: 'Download credential released' },
  'ra.credential-wrong-code': { 'zh-CN': '下载凭证授权码错误', en: 'Wrong authorization code' },
  'ra.credential-locked': { 'zh-CN': '下载凭证被锁定', en: 'Download credential locked' },
  'ra.certificate-downloaded': { 'zh-CN': '下载证书', en: 'Certificate downloaded' },
  'ra.revocation-requested': { 'zh-CN': '申请吊销证书', en: 'Revocation requested' },
  'ra.change-submitted': { 'zh-CN': '提交信息变更', en: 'Change of information submitted' },
  'ra.change-read': { 'zh-CN': '查看信息变更', en: 'Change of information read' },
  'ra.change-approved': { 'zh-CN': '批准信息变更', en: 'Change of information approved' },
  'ra.change-rejected': { 'zh-CN': '拒绝信息变更', en: 'Change of information rejected' },
  'ra.delegation-created': { 'zh-CN': '登记授权委托', en: 'Delegation recorded' },
  'ra.delegation-revoked': { 'zh-CN': '撤销授权委托', en: 'Delegation revoked' },
  'ra.agent-refused': { 'zh-CN': '拒绝代理人办理', en: 'Agent refused' },
  'ra.portal-access-issued': { 'zh-CN': '签发门户凭据', en: 'Portal access issued' },
  'ra.portal-signed-in': { 'zh-CN': '订户登录门户', en: 'Subscriber signed in to the portal' },
  'ra.portal-wrong-code': { 'zh-CN': '门户跟踪码错误', en: 'Wrong portal tracking code' },
  'ra.portal-access-locked': { 'zh-CN': '门户凭据被锁定', en: 'Portal access locked' },
  'ra.portal-registration-of-existing': { 'zh-CN': '已有订户的证件号码在门户再次注册', en: 'Portal registration with an existing subscriber’s number' },
  // Agreements and publications
  'agreement.published': { 'zh-CN': '发布订户协议', en: 'Subscriber agreement published' },
  'agreement.cps-published': { 'zh-CN': '发布电子认证业务规则', en: 'CPS published' },
  'agreement.notice-published': { 'zh-CN': '发布公告', en: 'Notice published' },
  'agreement.accepted': { 'zh-CN': '订户同意协议', en: 'Agreement accepted' },
  'agreement.objected': { 'zh-CN': '订户对协议提出异议', en: 'Objection to the agreement' },
  // Subscriber services
  'service.complaint-filed': { 'zh-CN': '登记投诉', en: 'Complaint filed' },
  'service.complaint-read': { 'zh-CN': '查看投诉', en: 'Complaint read' },
  'service.complaint-responded': { 'zh-CN': '答复投诉', en: 'Complaint answered' },
  'service.calendar-loaded': { 'zh-CN': '载入工作日历', en: 'Working-day calendar loaded' },
  'service.calendar-replaced': { 'zh-CN': '替换工作日历', en: 'Working-day calendar replaced' },
  'service.fee-scheduled': { 'zh-CN': '设定收费标准', en: 'Fee scheduled' },
  'service.fee-settings-changed': { 'zh-CN': '变更收费设置', en: 'Fee settings changed' },
  'service.charged': { 'zh-CN': '记录应收费用', en: 'Charge recorded' },
  'service.charge-waived': { 'zh-CN': '减免费用', en: 'Charge waived' },
  'service.payment-recorded': { 'zh-CN': '记录收款', en: 'Payment recorded' },
  'service.liability-cap-set': { 'zh-CN': '设定赔偿上限', en: 'Liability cap set' },
  'service.liability-claim-registered': { 'zh-CN': '登记赔偿申请', en: 'Liability claim registered' },
  'service.liability-claim-read': { 'zh-CN': '查看赔偿申请', en: 'Liability claim read' },
  'service.liability-claim-paid': { 'zh-CN': '支付赔偿', en: 'Liability claim paid' },
  'service.liability-claim-rejected': { 'zh-CN': '拒绝赔偿申请', en: 'Liability claim rejected' },
  'service.legal-hold-placed': { 'zh-CN': '设置保全', en: 'Legal hold placed' },
  'service.legal-hold-released': { 'zh-CN': '解除保全', en: 'Legal hold released' },
  'service.personal-data-purged': { 'zh-CN': '到期清除个人信息', en: 'Personal data purged' },
  'service.personal-data-resealed': { 'zh-CN': '重新加密个人信息', en: 'Personal data resealed' },
  'service.notification-sent': { 'zh-CN': '发送通知', en: 'Notice sent' },
  // Disputes, evidence, audit
  'dispute.filed': { 'zh-CN': '登记争议', en: 'Dispute filed' },
  'dispute.advanced': { 'zh-CN': '争议进入下一阶段', en: 'Dispute advanced' },
  'dispute.read': { 'zh-CN': '查看争议', en: 'Dispute read' },
  'evidence.produced': { 'zh-CN': '出具证据包', en: 'Evidence package produced' },
  'audit.checkpoint': { 'zh-CN': '签署审计检查点', en: 'Audit checkpoint signed' },
  'audit.key-created': { 'zh-CN': '创建审计密钥', en: 'Audit key created' },
  // ACME and the key management centre
  'acme.account-created': { 'zh-CN': '创建 ACME 账户', en: 'ACME account created' },
  'acme.account-deactivated': { 'zh-CN': '停用 ACME 账户', en: 'ACME account deactivated' },
  'acme.account-key-changed': { 'zh-CN': '更换 ACME 账户密钥', en: 'ACME account key changed' },
  'acme.binding-issued': { 'zh-CN': '签发 ACME 外部账户绑定', en: 'ACME external account binding issued' },
  'acme.binding-revoked': { 'zh-CN': '撤销 ACME 外部账户绑定', en: 'ACME external account binding revoked' },
  'acme.bindings-resealed': { 'zh-CN': '重新加密 ACME 外部账户绑定密钥', en: 'ACME binding keys resealed' },
  'acme.identifier-validated': { 'zh-CN': '验证 ACME 标识', en: 'ACME identifier validated' },
  'acme.identifier-reused': { 'zh-CN': '沿用 ACME 标识的验证', en: 'ACME identifier validation reused' },
  'kmc.key-created': { 'zh-CN': '创建密钥管理中心密钥', en: 'Key management centre key created' },
  'kmc.key-rotated': { 'zh-CN': '更替密钥管理中心密钥', en: 'Key management centre key rotated' },
  'kmc.ca-trusted': { 'zh-CN': '密钥管理中心信任 CA', en: 'CA trusted by the key management centre' },
  'kmc.key-generated': { 'zh-CN': '生成托管加密密钥', en: 'Escrowed encryption key generated' },
  'kmc.certificate-bound': { 'zh-CN': '托管密钥绑定证书', en: 'Escrowed key bound to its certificate' },
  'kmc.operator-registered': { 'zh-CN': '登记密钥管理员', en: 'Key management operator registered' },
  'kmc.recovery-requested': { 'zh-CN': '申请恢复密钥', en: 'Key recovery requested' },
  'kmc.recovery-approved': { 'zh-CN': '批准恢复密钥', en: 'Key recovery approved' },
  'kmc.key-recovered': { 'zh-CN': '恢复密钥', en: 'Key recovered' },
};

const DOMAIN_WORDS: Record<string, Words> = {
  certificate: { 'zh-CN': '证书', en: 'Certificate' },
  ca: { 'zh-CN': 'CA', en: 'CA' },
  crl: { 'zh-CN': '证书废止列表', en: 'CRL' },
  ra: { 'zh-CN': '注册机构', en: 'RA' },
  agreement: { 'zh-CN': '协议', en: 'Agreement' },
  service: { 'zh-CN': '订户服务', en: 'Subscriber services' },
  dispute: { 'zh-CN': '争议', en: 'Dispute' },
  evidence: { 'zh-CN': '证据', en: 'Evidence' },
  audit: { 'zh-CN': '审计', en: 'Audit' },
  acme: { 'zh-CN': 'ACME', en: 'ACME' },
  kmc: { 'zh-CN': '密钥管理中心', en: 'Key management centre' },
  est: { 'zh-CN': 'EST', en: 'EST' },
  cmp: { 'zh-CN': 'CMP', en: 'CMP' },
  scep: { 'zh-CN': 'SCEP', en: 'SCEP' },
  tsa: { 'zh-CN': '时间戳服务', en: 'Time-stamping' },
  key: { 'zh-CN': '密钥', en: 'Key' },
  signer: { 'zh-CN': '签名身份', en: 'Signing identity' },
  store: { 'zh-CN': '数据库', en: 'Database' },
};

/** The words for an action: its own name, else "<domain>: other action" (the code itself stays beside it in the viewer). */
export function auditActionWords(action: string): Words & { known: boolean } {
  const named = AUDIT_ACTION_NAMES[action];
  if (named) return { ...named, known: true };
  const domain = DOMAIN_WORDS[action.split('.')[0] ?? ''];
  return domain
    ? { 'zh-CN': `${domain['zh-CN']}：其他操作`, en: `${domain.en}: other action`, known: false }
    : { 'zh-CN': '其他操作', en: 'Other action', known: false };
}
