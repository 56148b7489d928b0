import type { Catalogue } from '../i18n/messages.js';

export const AGREEMENT_MESSAGES = {
  'agreement.none-published': {
    'zh-CN': '尚未发布订户协议，无法受理申请；请 CA 管理员先发布协议版本',
    en: 'No subscriber agreement has been published, so no application can be taken; a CA administrator must publish a version first',
  },
  'agreement.unknown-version': {
    'zh-CN': '没有版本号为 {version} 的订户协议',
    en: 'There is no subscriber agreement version {version}',
  },
  'agreement.version-exists': {
    'zh-CN': '订户协议版本 {version} 已发布，已发布的版本不能修改',
    en: 'Subscriber agreement version {version} is already published and cannot be changed',
  },
  'agreement.bad-version-id': {
    'zh-CN': '协议版本号只能包含字母、数字、点、连字符和下划线（最多 32 个字符）',
    en: 'An agreement version id may contain only letters, digits, dots, hyphens and underscores (at most 32 characters)',
  },
  'agreement.empty-text': {
    'zh-CN': '协议正文不能为空',
    en: 'The agreement text must not be empty',
  },
  'agreement.effective-before-publication': {
    'zh-CN': '生效时间不能早于发布时间',
    en: 'The effective date cannot be earlier than the publication',
  },
  'agreement.bad-document-kind': {
    'zh-CN': '发布文件类型必须是 cps（电子认证业务规则）或 notice（公告）',
    en: 'A published document is either cps (Certification Practice Statement) or notice',
  },
  'agreement.document-exists': {
    'zh-CN': '{kind} 版本 {version} 已发布，已发布的版本不能修改',
    en: '{kind} version {version} is already published and cannot be changed',
  },
  'agreement.unknown-document': {
    'zh-CN': '没有版本号为 {version} 的 {kind}',
    en: 'There is no {kind} version {version}',
  },
  'agreement.objection-outside-window': {
    'zh-CN': '书面异议须在协议版本 {version} 发布后一个月内（{from} 至 {until}）提出',
    en: 'A written objection to agreement version {version} must arrive within a month of its publication ({from} to {until})',
  },
  'agreement.objection-exists': {
    'zh-CN': '订户 {subscriber} 已对协议版本 {version} 提出过异议',
    en: 'Subscriber {subscriber} has already objected to agreement version {version}',
  },
  'agreement.already-accepted': {
    'zh-CN': '订户 {subscriber} 已接受协议版本 {version}，不能再提出异议',
    en: 'Subscriber {subscriber} has already accepted agreement version {version}, so it can no longer object',
  },
  'agreement.revocation-unavailable': {
    'zh-CN': '无法吊销证书：状态服务不可用',
    en: 'The certificates cannot be revoked: the status domain is not available',
  },
  'agreement.cli-published': {
    'zh-CN': '已发布 {kind} {version}，已通知 {notified} 位订户',
    en: 'Published {kind} {version}; {notified} subscribers notified',
  },
  'agreement.cli-deemed': {
    'zh-CN': '已记录 {count} 项视为接受',
    en: 'Recorded {count} deemed acceptances',
  },
  'agreement.cli-objection': {
    'zh-CN': '已记录异议 {id}，吊销证书 {count} 张（停止使用）',
    en: 'Recorded objection {id}; {count} certificates revoked (cessationOfOperation)',
  },
} satisfies Catalogue;
